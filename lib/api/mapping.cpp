#include "api/internals.hpp"
#include "api/mapping_impl.hpp"
#include "api/options.hpp"

namespace eqlc {

Mapping::Mapping(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mapping::Mapping(Mapping&&) noexcept = default;
Mapping& Mapping::operator=(Mapping&&) noexcept = default;
Mapping::~Mapping() = default;

std::optional<Mapping> Mapping::parse(std::string_view json_text, Diagnostic* error) {
    std::string message;
    auto schema = semantics::Schema::parse_mapping(json_text, &message);
    if (!schema) {
        if (error) {
            *error = Diagnostic{};
            error->phase = Phase::mapping;
            error->message = std::move(message);
        }
        return std::nullopt;
    }
    return Mapping(std::make_unique<Impl>(Impl{std::move(*schema)}));
}

void Mapping::infer_from_ndjson(std::string_view ndjson) { impl_->schema.infer_from_ndjson(ndjson); }

namespace api {

compiler::CompileOptions compile_options(const QueryOptions& options) {
    compiler::CompileOptions out;
    out.timestamp_field = options.timestamp_field;
    out.event_category_field = options.event_category_field;
    out.tiebreaker_field = options.tiebreaker_field;
    out.max_depth = options.max_depth;
    if (options.mapping) out.schema = &detail::Internals::impl(*options.mapping).schema;
    return out;
}

}  // namespace api
}  // namespace eqlc
