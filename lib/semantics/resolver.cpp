#include "semantics/resolver.hpp"

#include "text/edit_distance.hpp"

#include <algorithm>
#include <vector>

namespace eqlc::semantics {

void Resolver::error(const SourceSpan& span, std::string message, std::string hint) {
    Diagnostic d;
    d.phase = Phase::compile;
    d.span = span;
    d.message = std::move(message);
    d.hint = std::move(hint);
    out_.push_back(std::move(d));
}

std::string Resolver::nearest_known(std::string_view dotted) const {
    std::string hint;
    size_t best = 3;
    for (const auto& candidate : schema_->paths()) {
        const size_t d = text::edit_distance(dotted, candidate);
        if (d < best) {
            best = d;
            hint = "did you mean [" + candidate + "]?";
        }
    }
    return hint;
}

bool Resolver::unlisted(const ast::FieldPath& path) const {
    return schema_ && schema_->lookup(path.dotted()).status == SchemaLookup::Status::unknown;
}

ResolvedField Resolver::dynamic_slot(std::string_view dotted, const UnmappedLookup& dynamic, bool optional,
                                     const SourceSpan& span, const std::string& what) {
    // As without a mapping: the slot keeps each value's JSON type (FieldType::dynamic).
    ResolvedField out;
    out.kind = ResolvedField::Kind::slot;
    out.path = dynamic.source_path;
    out.slot = catalog_.intern(out.path);
    const std::string path(dotted);
    // `?x` says the field may be absent: not reported. Each field is reported once per query.
    if (optional || std::find(unmapped_.begin(), unmapped_.end(), path) != unmapped_.end()) return out;
    unmapped_.push_back(path);
    std::string message = "field [" + path + "]" + what + " is not in the mapping; typed from its values (";
    message += dynamic.decided_by.empty() ? "the mapping is " : "[" + dynamic.decided_by + "] is ";
    message += dynamic.mode == DynamicMode::runtime ? "dynamic: runtime)" : "dynamic)";
    if (dynamic.source_path != path) message += ", as the keyword sub-field of [" + dynamic.source_path + "]";
    std::string hint = nearest_known(dotted);
    if (hint.empty())
        hint = "add it to the mapping, or write ?" + path + " if it may be absent from it (no warning then)";
    Diagnostic d;
    d.phase = Phase::compile;
    d.severity = Severity::warning;
    d.span = span;
    d.message = std::move(message);
    d.hint = std::move(hint);
    out_.push_back(std::move(d));
    return out;
}

ResolvedField Resolver::field(const ast::FieldPath& path, const SourceSpan& span) {
    return resolve(path.dotted(), path.optional, span, {});
}

ResolvedField Resolver::configured(std::string_view dotted, std::string_view role, const SourceSpan& span,
                                   bool optional) {
    return resolve(dotted, optional, span, role);
}

ResolvedField Resolver::resolve(std::string_view dotted, bool optional, const SourceSpan& span, std::string_view role) {
    ResolvedField out;
    if (!schema_) {
        out.kind = ResolvedField::Kind::slot;
        out.path = std::string(dotted);
        out.slot = catalog_.intern(dotted);
        return out;
    }
    const SchemaLookup found = schema_->lookup(dotted);
    const std::string what = role.empty() ? std::string() : " (the " + std::string(role) + " field)";
    switch (found.status) {
        case SchemaLookup::Status::unknown: {
            const UnmappedLookup dynamic = schema_->unmapped(dotted);
            if (dynamic.accepted) return dynamic_slot(dotted, dynamic, optional, span, what);
            if (optional) {
                out.kind = ResolvedField::Kind::null_literal;
                return out;
            }
            std::string hint = nearest_known(dotted);
            if (hint.empty()) hint = "write ?" + std::string(dotted) + " if the field may be absent from the mapping";
            error(span, "Unknown column [" + std::string(dotted) + "]" + what, hint);
            return out;
        }
        case SchemaLookup::Status::bad_alias: error(span, found.message + what); return out;
        case SchemaLookup::Status::found: break;
    }
    const SchemaField& f = *found.field;
    if (f.object) {
        error(span, "Cannot use field [" + std::string(dotted) + "] type [object] only its subfields" + what);
        return out;
    }
    if (f.type == vm::FieldType::unsupported) {
        if (f.es_type == "text" || f.es_type == "match_only_text")
            error(span,
                  "Cannot use field [" + std::string(dotted) + "] of type [" + f.es_type +
                      "]: it has no keyword sub-field" + what,
                  "text fields are not supported by EQL unless mapped with a keyword multi-field");
        else
            error(span,
                  "Cannot use field [" + std::string(dotted) + "] with unsupported type [" + f.es_type + "]" + what);
        return out;
    }
    out.kind = ResolvedField::Kind::slot;
    out.path = f.source_path.empty() ? f.path : f.source_path;
    out.type = f.type;
    out.null_value = f.null_value;
    out.slot = catalog_.intern(out.path);
    catalog_.set_type(out.slot, f.type);
    return out;
}

}  // namespace eqlc::semantics
