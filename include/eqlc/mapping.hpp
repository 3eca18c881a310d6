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
//
// As in Elasticsearch, the mapping's `dynamic` setting (at its root or on an object; inherited; default true)
// decides about fields it does not list. Under "strict" or false, a query that names one is refused ("Unknown
// column"). Under true or "runtime", Elasticsearch would add the field when an event carries it, so the query is
// accepted: the field is read as without a mapping (typed from its values), and check_query reports it as a
// warning ("field [x] is not in the mapping; typed from its values (the mapping is dynamic)"), with the nearest
// mapped name when one is close; `?x` is read the same way, without a warning (and is null where only a constant
// may stand: against another field). `dynamic_templates` and `date_detection` apply to
// infer_from_ndjson.
class Mapping {
public:
    // Parses the JSON of a mapping: `{"properties":...}`, `{"mappings":...}`, a GET index/_mapping response, a legacy
    // index template (`{"index_patterns":...,"mappings":...}`), a composable index template or a component template
    // (`{"template":{"mappings":...}}`, also as GET _index_template / _component_template print them; `composed_of`
    // is not followed). When it is not one, or its `dynamic` settings are invalid, returns nothing and sets `error`
    // (phase mapping) to say why.
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
