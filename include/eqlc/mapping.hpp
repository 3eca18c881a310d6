// An Elasticsearch index mapping, for queries that must see fields as an index would (types, aliases,
// null_value). Optional everywhere: without one every field is dynamic.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace eqlc {

// An Elasticsearch index mapping: field types, aliases, null_value. Optional: without one every field is
// dynamic (values keep their JSON types) and any field may be referenced.
class Mapping {
public:
    // Parses the JSON of a mapping (`{"properties":...}`, `{"mappings":...}` or a GET _mapping response).
    static std::optional<Mapping> parse(std::string_view json_text, std::string* error = nullptr);
    // Adds what Elasticsearch's default dynamic mapping would add for the fields these events carry and the
    // mapping does not list (as an index would have done when the events were stored). Bad lines are ignored.
    void infer_from_ndjson(std::string_view ndjson);

    Mapping(Mapping&&) noexcept;
    Mapping& operator=(Mapping&&) noexcept;
    ~Mapping();

    struct Impl;
    const Impl& impl() const { return *impl_; }

private:
    explicit Mapping(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace eqlc
