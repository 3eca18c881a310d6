// Field checks against schemas: does every field a query reads exist in the index it will run on? A misspelled
// field (`proces.name`) is valid EQL against dynamic data and silently never matches; checked against ECS (shipped
// with eqlc) or an index's own mapping, it is a warning with the nearest known names. Comparisons that cannot hold
// for a field's mapped type are reported as Elasticsearch decides them: an error where it refuses the query
// (`process.pid == "abc"` on a long, `cidrMatch` on a keyword, `:` wildcards on a number), a warning where it runs
// it and matches nothing (`process.pid == 4.5`).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "eqlc/mapping.hpp"
#include "eqlc/query.hpp"

namespace eqlc {

// The Elastic Common Schema release shipped with eqlc ("9.4.0").
std::string_view ecs_version();

// ECS as a mapping: its fields with the types an index made with ECS's template gives them. Built once; shared.
std::shared_ptr<const Mapping> ecs_mapping();

// A schema to check fields against, and how messages name it ("ECS 9.4.0", a file name).
struct NamedSchema {
    std::shared_ptr<const Mapping> mapping;
    std::string name;
};

class FieldChecker {
public:
    // The schemas in order of precedence: the first that declares a field gives its type. Fields of the other
    // schemas (a mapping of the namespaces an integration adds beside ECS: process.Ext.*, winlog.event_data.*) are
    // known too. An object declared without sub-fields leaves what is under it open (`"Ext": {"type": "object"}`
    // under process: every process.Ext.* field is known).
    explicit FieldChecker(std::vector<NamedSchema> schemas);

    // Checks the fields `text` reads, with the timestamp, event category and tiebreaker fields of `options` (its
    // mapping is not used: the schemas are). When the query does not parse or is refused by Elasticsearch's rules,
    // returns those errors instead (check_query gives them all). Otherwise:
    //   * a warning (phase compile) per field no schema declares, with "did you mean [...]?" as its hint when a
    //     known name is close; fields written `?field` are not reported;
    //   * an error per use of a known field that Elasticsearch refuses for its type, a warning per comparison it
    //     accepts but that can never hold.
    // Never throws; safe to call from several threads at once.
    Diagnostics check(std::string_view text, const QueryOptions& options = {}) const;

    // The known fields nearest to `field`, best first (what the hint of an unknown field lists).
    std::vector<std::string> nearest(std::string_view field) const;

    FieldChecker(FieldChecker&&) noexcept;
    FieldChecker& operator=(FieldChecker&&) noexcept;
    ~FieldChecker();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace eqlc
