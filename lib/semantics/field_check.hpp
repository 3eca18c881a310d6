// Field checks against schemas (`eqlc --check --schema ecs|FILE`): every field a query reads is looked up in one
// or more Elasticsearch mappings (ECS, shipped with eqlc, or any mapping file), so that a misspelled field, which
// is valid EQL against dynamic data and silently never matches, is found before the rule runs.
//
//   * A field no schema declares is a WARNING with the nearest known names ("did you mean [process.name]?").
//     Not flagged: fields written `?field`, and fields under an object a schema declares without sub-fields (a
//     namespace it leaves open: `"Ext": {"type": "object"}` under process declares process.Ext.*; ECS's own
//     key/value objects such as `labels`).
//   * The fields configured for the query count too: the event category field (when a term names a category),
//     the timestamp and tiebreaker fields (not for samples, which do not use them).
//   * A known field is then used as Elasticsearch would use it with that mapping, by the same resolver and
//     normalizer a compile with `--mapping` runs: what Elasticsearch refuses is an ERROR (see field_check.cpp for
//     the cases), what it accepts but can never match is a WARNING (`process.pid == 4.5` on a long).
// With several schemas, the first that declares a field gives its type (Schema::merge).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "semantics/field_names.hpp"
#include "semantics/schema.hpp"
#include "syntax/ast.hpp"

namespace eqlc::semantics {

// The fields a query reads besides those written in it.
struct ConfiguredFields {
    std::string timestamp_field = "@timestamp";
    std::string event_category_field = "event.category";
    std::optional<std::string> tiebreaker_field;
};

class FieldCheck {
public:
    // `schemas` in order of precedence; `described` names them in messages ("ECS 9.4.0", "ECS 9.4.0 or x.json").
    FieldCheck(const std::vector<const Schema*>& schemas, std::string described);

    // Checks a query that parsed and passed check_query. Unknown fields are made optional in `query` (as if
    // written `?field`), so that the type checks that follow see them as unmapped.
    Diagnostics check(ast::Query& query, const ConfiguredFields& fields) const;

    enum class Known : uint8_t {
        field,       // declared by a schema (an alias, an object or a field of an unusable type too)
        namespace_,  // under an object a schema leaves open
        unknown,
    };
    Known classify(std::string_view path) const;
    // The nearest known fields, best first (empty when none is close).
    std::vector<std::string> nearest(std::string_view path) const { return names_.nearest(path); }

    const Schema& schema() const { return schema_; }

private:
    Diagnostic unknown_field(std::string_view path, const SourceSpan& span, std::string_view role) const;

    Schema schema_;
    FieldNames names_;
    std::vector<std::string> open_objects_;  // sorted
    std::string described_;
};

}  // namespace eqlc::semantics
