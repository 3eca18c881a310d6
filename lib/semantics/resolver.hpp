// Field resolution: a field path of the query text becomes a slot of the FieldCatalog (or the null literal, or
// an error), after the schema's aliases and multi-fields are followed; the slot's FieldType is set from the
// schema so the reader coerces values the way Elasticsearch indexed them.
//
// Without a schema every path is a field (dynamic type), and `?` changes nothing. With one:
//   * mapped (directly, through an alias, or as a multi-field)  -> the slot of the path holding the values;
//   * not mapped, written `?x`, where the mapping is strict or false
//                                                               -> the null literal (folded later);
//   * not mapped, plain                                         -> "Unknown column [x]" (phase compile);
//   * not mapped, where the mapping is dynamic (true or runtime, see schema.hpp)
//                                                               -> a dynamic slot, as without a schema; a plain
//                                                                  one is recorded (unmapped()) and reported once
//                                                                  as a warning (phase compile). `?x` is not: it
//                                                                  says the field may be absent. (The normalizer
//                                                                  takes such a `?x` as null where only a
//                                                                  constant is allowed: against another field.)
//   * an object, or text without a keyword sub-field, or nested -> an error naming the field and its type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "semantics/schema.hpp"
#include "syntax/ast.hpp"
#include "values/field_catalog.hpp"

namespace eqlc::semantics {

struct ResolvedField {
    enum class Kind : uint8_t { slot, null_literal, error };
    Kind kind = Kind::error;
    vm::SlotId slot = 0;
    vm::FieldType type = vm::FieldType::dynamic;
    std::string path;                       // the path whose values the slot holds (after aliases)
    std::optional<std::string> null_value;  // the mapping's null_value, as text
};

class Resolver {
public:
    // `schema` may be null (everything dynamic). Diagnostics go to `out`.
    Resolver(const Schema* schema, vm::FieldCatalog& catalog, Diagnostics& out)
        : schema_(schema), catalog_(catalog), out_(out) {}

    // A field reference of the query.
    ResolvedField field(const ast::FieldPath& path, const SourceSpan& span);

    // A field named by configuration (timestamp, tiebreaker, event category): `role` names it in messages.
    ResolvedField configured(std::string_view dotted, std::string_view role, const SourceSpan& span,
                             bool optional = false);

    // True when `path` is not in the mapping (a slot only because the mapping is dynamic there); false without one.
    bool unlisted(const ast::FieldPath& path) const;
    // The fields resolved because the mapping is dynamic (not `?x` ones), in the order first met.
    const std::vector<std::string>& unmapped() const { return unmapped_; }

private:
    ResolvedField dynamic_slot(std::string_view dotted, const UnmappedLookup& dynamic, bool optional,
                               const SourceSpan& span, const std::string& what);
    std::string nearest_known(std::string_view dotted) const;
    ResolvedField resolve(std::string_view dotted, bool optional, const SourceSpan& span, std::string_view role);
    void error(const SourceSpan& span, std::string message, std::string hint = {});

    const Schema* schema_;
    vm::FieldCatalog& catalog_;
    Diagnostics& out_;
    std::vector<std::string> unmapped_;
};

}  // namespace eqlc::semantics
