// An Elasticsearch index mapping, for queries that must see fields as an index would (types, aliases,
// null_value). Optional everywhere: without one every field is dynamic.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "eqlc/diagnostics.hpp"

namespace eqlc {

namespace detail {
struct Internals;  // the library's own access to implementations (lib/api/internals.hpp)
}

// An Elasticsearch index mapping: field types, aliases, null_value. Optional: without one every field is
// dynamic (values keep their JSON types) and any field may be referenced.
class Mapping {
public:
    // Parses the JSON of a mapping (`{"properties":...}`, `{"mappings":...}` or a GET _mapping response). When it
    // is not one, returns nothing and sets `error` (phase mapping) to say why.
    static std::optional<Mapping> parse(std::string_view json_text, Diagnostic* error = nullptr);
    // Adds what Elasticsearch's default dynamic mapping would add for the fields these events carry and the
    // mapping does not list (as an index would have done when the events were stored). Bad lines are ignored.
    void infer_from_ndjson(std::string_view ndjson);

    Mapping(Mapping&&) noexcept;
    Mapping& operator=(Mapping&&) noexcept;
    ~Mapping();

private:
    friend struct detail::Internals;
    struct Impl;
    explicit Mapping(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace eqlc
