// The schema: what Elasticsearch knows about an index's fields, from its mapping and from what dynamic mapping
// would have added at index time. It decides three things for the compiler:
//   * which field references are valid (a non-optional field that is not mapped is "Unknown column [x]"; an
//     optional `?x` that is not mapped becomes the null literal);
//   * where a field's values live in the event (aliases, and the keyword sub-field of a text field, read the
//     values of another path);
//   * how values compare (vm::FieldType), and the `null_value` that replaces a JSON null at index time.
//
// Mapping JSON accepted: `{"properties":{...}}`, `{"mappings":{"properties":{...}}}`, and the response of
// GET index/_mapping (`{"index-name":{"mappings":{...}}}`, first index). Inside `properties`, nested
// `properties` objects and dotted names ("process.pid": {...}) both give dotted paths.
//
// Types (ES name -> FieldType):
//   keyword, constant_keyword, wildcard                -> keyword
//   text with a keyword multi-field (`fields`)         -> keyword (queries use the sub-field; values come from
//                                                         the text field's own path)
//   text without one, match_only_text, nested, geo_*… -> unsupported (error when referenced)
//   long, integer, short, byte, unsigned_long          -> long_
//   double, float, half_float, scaled_float            -> double_
//   boolean -> boolean; date, date_nanos -> date; ip -> ip; version -> version
//   object (a `properties` without a type, or type object) -> an object: not usable as a value
//   alias with `path`                                  -> the target (may be declared later in the mapping)
//
// Dynamic mapping (Elasticsearch's defaults), for fields a mapping does not list but events carry:
//   string  -> text with a `keyword` sub-field (so: keyword), or date when it matches date_detection's
//              strict_date_optional_time (yyyy, yyyy-MM, yyyy-MM-dd, yyyy-MM-ddTHH:mm[:ss[.f]][offset]) or
//              "yyyy/MM/dd HH:mm:ss" / "yyyy/MM/dd";
//   integer -> long; floating -> double_ (Elasticsearch maps JSON floats to `float`; eqlc keeps the double, so
//              only values that differ after float rounding would compare differently) [decision];
//   boolean -> boolean; object -> object, its members recursively; array -> its first non-null element's type
//   (arrays of objects: each object); null -> nothing is mapped (as in Elasticsearch).
// A field already in the schema is never changed by inference.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "values/field_catalog.hpp"

namespace eqlc::semantics {

struct SchemaField {
    std::string path;     // dotted name, as the mapping spells it
    std::string es_type;  // the mapping's type name ("keyword", "text", "long", "alias", "object", ...)
    vm::FieldType type = vm::FieldType::dynamic;
    std::string source_path;                // where the value lives in the event (a multi-field: its parent's path)
    std::string alias_path;                 // es_type == "alias": the target path as written
    std::optional<std::string> null_value;  // the mapping's null_value, as text (a number or boolean as written)
    bool object = false;                    // an object (has sub-fields, no value of its own)
    bool dynamic = false;                   // added by dynamic-mapping inference, not by the mapping
};

// The outcome of looking a field up.
struct SchemaLookup {
    enum class Status : uint8_t {
        found,      // `field` is the field to use (aliases followed)
        unknown,    // not in the schema
        bad_alias,  // an alias whose target is missing or is itself an alias chain that does not end
    };
    Status status = Status::unknown;
    const SchemaField* field = nullptr;
    std::string message;  // bad_alias: why
};

class Schema {
public:
    // Parses a mapping. On error returns nullopt and sets `error` (e.g. "mapping has no properties").
    static std::optional<Schema> from_mapping(const nlohmann::json& mapping, std::string* error = nullptr);
    static std::optional<Schema> parse_mapping(std::string_view json_text, std::string* error = nullptr);

    // Adds the fields that Elasticsearch's default dynamic mapping would create for this event (one JSON
    // object), leaving mapped fields alone.
    void infer_from_event(const nlohmann::json& event);
    // The same for every line of an NDJSON text; blank lines are skipped, malformed lines are ignored.
    void infer_from_ndjson(std::string_view ndjson);

    // Looks up a dotted path; aliases resolve to their target.
    SchemaLookup lookup(std::string_view dotted) const;
    // The field as declared (aliases not followed), or nullptr.
    const SchemaField* declared(std::string_view dotted) const;

    size_t size() const { return fields_.size(); }
    // Adds the fields of `other` that this schema does not declare: with several schemas, the first to declare a
    // field gives its type (defined in schema_merge.cpp).
    void merge(const Schema& other);
    std::vector<std::string> paths() const;

private:
    void add_properties(const nlohmann::json& properties, const std::string& prefix);
    void add_field(const std::string& path, const nlohmann::json& definition);
    void infer_value(const std::string& path, const nlohmann::json& value);
    void ensure_objects(const std::string& path, bool dynamic);

    std::map<std::string, SchemaField, std::less<>> fields_;
};

// The FieldType of an Elasticsearch type name (nullopt for object, alias and text, which need context).
std::optional<vm::FieldType> field_type_of_es_type(std::string_view es_type);

// True when `text` is a date for Elasticsearch's dynamic date_detection (see the header comment).
bool looks_like_dynamic_date(std::string_view text);

}  // namespace eqlc::semantics
