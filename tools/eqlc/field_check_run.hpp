// `--check --schema ecs|FILE`: the field checker over the schemas named on the command line, and the closing
// line that counts what it found.
#pragma once

#include <cstddef>
#include <memory>

#include "eqlc/diagnostics.hpp"
#include "eqlc/schema_check.hpp"
#include "options.hpp"

namespace eqlc::cli {

// The checker over options.schemas (`ecs` is the shipped ECS, anything else a mapping or template file); null when
// none is given. False (after a message on stderr) when a schema cannot be read or used.
bool load_field_checker(const Options& options, std::unique_ptr<eqlc::FieldChecker>& out);

// Counts of a --check --schema run, for its closing line.
struct FieldCheckTally {
    size_t queries = 0;
    size_t warnings = 0;
    size_t unknown_fields = 0;  // of the warnings
    size_t errors = 0;

    void add(const eqlc::Diagnostics& diagnostics);
    // "eqlc: 1081 queries checked against ECS 9.4.0: 12 warnings (10 unknown fields), 0 errors" on stderr.
    void print(const Options& options) const;
};

}  // namespace eqlc::cli
