// The public field checker (eqlc/schema_check.hpp) over semantics::FieldCheck.
#include "eqlc/schema_check.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/internals.hpp"
#include "api/mapping_impl.hpp"
#include "semantics/checker.hpp"
#include "semantics/ecs_fields.hpp"
#include "semantics/field_check.hpp"
#include "syntax/parser.hpp"

namespace eqlc {

std::string_view ecs_version() { return semantics::ecs_version(); }

std::shared_ptr<const Mapping> ecs_mapping() {
    // Read by the mapping parser, as a file would be; the shipped list always parses.
    static const std::shared_ptr<const Mapping> mapping = [] {
        auto parsed = Mapping::parse(semantics::ecs_mapping_json().dump());
        return parsed ? std::make_shared<const Mapping>(std::move(*parsed)) : nullptr;
    }();
    return mapping;
}

struct FieldChecker::Impl {
    std::vector<NamedSchema> schemas;  // kept alive: the check's merged schema is a copy, but names are theirs
    semantics::FieldCheck check;
};

namespace {

std::string describe(const std::vector<NamedSchema>& schemas) {
    std::string out;
    for (size_t i = 0; i < schemas.size(); ++i) {
        if (i) out += i + 1 == schemas.size() ? " or " : ", ";
        out += schemas[i].name;
    }
    return out.empty() ? "any schema" : out;
}

std::vector<const semantics::Schema*> schemas_of(const std::vector<NamedSchema>& schemas) {
    std::vector<const semantics::Schema*> out;
    for (const auto& s : schemas)
        if (s.mapping) out.push_back(&detail::Internals::impl(*s.mapping).schema);
    return out;
}

bool has_errors(const Diagnostics& d) {
    return std::any_of(d.begin(), d.end(), [](const Diagnostic& x) { return x.severity == Severity::error; });
}

}  // namespace

FieldChecker::FieldChecker(std::vector<NamedSchema> schemas)
    : impl_(std::make_unique<Impl>(Impl{schemas, semantics::FieldCheck(schemas_of(schemas), describe(schemas))})) {}
FieldChecker::FieldChecker(FieldChecker&&) noexcept = default;
FieldChecker& FieldChecker::operator=(FieldChecker&&) noexcept = default;
FieldChecker::~FieldChecker() = default;

Diagnostics FieldChecker::check(std::string_view text, const QueryOptions& options) const {
    try {
        auto parsed = syntax::parse_query(text, {.max_depth = options.max_depth});
        if (!parsed.ok()) return std::move(parsed.diagnostics);
        Diagnostics refused = semantics::check_query(*parsed.query);
        if (has_errors(refused)) return refused;
        semantics::ConfiguredFields fields;
        fields.timestamp_field = options.timestamp_field;
        fields.event_category_field = options.event_category_field;
        fields.tiebreaker_field = options.tiebreaker_field;
        return impl_->check.check(*parsed.query, fields);
    } catch (const std::exception& e) {  // out of memory: said, not thrown
        Diagnostic d;
        d.phase = Phase::compile;
        d.message = std::string("field check failed: ") + e.what();
        return {d};
    }
}

std::vector<std::string> FieldChecker::nearest(std::string_view field) const { return impl_->check.nearest(field); }

}  // namespace eqlc
