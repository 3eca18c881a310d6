// Front end of the library: check an EQL query against Elasticsearch's rules, or describe how it compiles.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "eqlc/diagnostics.hpp"
#include "eqlc/mapping.hpp"

namespace eqlc {

// The largest QueryOptions::max_depth accepted; a larger one makes every query fail with a diagnostic. Compiling a
// query this deep needs up to about 2 MiB of stack (release build).
inline constexpr uint32_t kMaxQueryDepth = 1000;

// How queries see events. The same settings must be used to check, explain and run a query.
struct QueryOptions {
    std::string timestamp_field = "@timestamp";
    std::string event_category_field = "event.category";  // what `<category> where` tests
    std::optional<std::string> tiebreaker_field;
    std::shared_ptr<const Mapping> mapping;  // none: every field dynamic, any field may be referenced
    // Nesting depth of parentheses, `not`, unary minus and function calls (1 to kMaxQueryDepth); deeper queries are
    // refused.
    uint32_t max_depth = 200;
};

// Parses, checks and compiles `text` as an Elastic EQL query (query plus pipes). Returns every problem found,
// each with its position; the query is valid and can run when none is an error (Severity::error). Warnings name
// fields the mapping does not list but accepts because it is dynamic (see Mapping). Never throws on any input.
Diagnostics check_query(std::string_view text, const QueryOptions& options = {});

struct Explanation {
    std::string text;         // the indented syntax tree, when the query is valid
    std::string canonical;    // the query as eqlc prints it back (canonical EQL)
    std::string program;      // the compiled bytecode, one line per instruction
    Diagnostics diagnostics;  // why it is not valid, otherwise
};

Explanation explain_query(std::string_view text, const QueryOptions& options = {});

}  // namespace eqlc
