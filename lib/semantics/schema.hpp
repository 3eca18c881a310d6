// The schema: what Elasticsearch knows about an index's fields, from its mapping and from what dynamic mapping
// would have added at index time. It decides three things for the compiler:
//   * which field references are valid (a non-optional field that is not mapped is "Unknown column [x]" and an
//     optional `?x` that is not mapped becomes the null literal, unless the mapping is dynamic there, see below);
//   * where a field's values live in the event (aliases, and the keyword sub-field of a text field, read the
//     values of another path);
//   * how values compare (vm::FieldType), and the `null_value` that replaces a JSON null at index time.
//
// Mapping JSON accepted: `{"properties":{...}}`, `{"mappings":{"properties":{...}}}`, the response of
// GET index/_mapping (`{"index-name":{"mappings":{...}}}`, first index), a legacy index template
// (`{"index_patterns":[...],"mappings":{...}}`, also as GET _template prints it, and with a 6.x type name such
// as `"_doc"` between `mappings` and `properties`), a composable index template or a component template
// (`{"template":{"mappings":{...}}}`, also as GET _index_template / _component_template print them: the first
// one). A template's `composed_of` is not followed: only its own mappings are read. A mapping may have no
// `properties` (only `dynamic` settings, or an empty `mappings`). Inside `properties`, nested
// `properties` objects and dotted names ("process.pid": {...}) both give dotted paths.
//
// The `dynamic` setting (at the mapping's root and on any object; an object without one inherits its
// parent's, the root's default is true; values true / "true", false / "false", "strict", "runtime"):
//   * strict, false -> a field the mapping does not list is not searchable: "Unknown column [x]" (Elasticsearch
//                      refuses such a document under strict, and keeps it unindexed under false);
//   * true, runtime -> Elasticsearch adds the field when a document carries it, so eqlc accepts it without
//                      knowing its type: the resolver reads it as a field of no mapping would be (typed from
//                      each value at run time) and records it, and the compiler reports it as a warning.
//                      Under true, `x.keyword` of an unlisted `x` is the keyword sub-field default dynamic
//                      mapping gives strings: it reads the values of `x`. An optional `?x` is read the same
//                      way (Elasticsearch reads it when some document has x), without a warning; where only a
//                      constant may stand (against another field) it is null, as for an index
//                      where no document has x.
// A field below a mapped leaf (a keyword, an alias, a nested or flattened field) is never accepted this way.
//
// `dynamic_templates` (applied, in order, by infer_from_event only: a field resolved at run time keeps the
// JSON type of each value): a template applies when its `match_mapping_type` (string, long, double, boolean,
// date, object, "*", or a list of them), `unmatch_mapping_type`, `match` / `unmatch` (the last path element)
// and `path_match` / `path_unmatch` (the dotted path; `*` wildcards as Elasticsearch's simple match, a
// string or a list) all allow it; its `mapping` (or `runtime`) then gives the field's definition, read as a
// mapped field would be (`{dynamic_type}` stands for the detected type). Templates with
// `"match_pattern":"regex"` are not understood and never apply; an object only takes a template that keeps it
// object-like (object, nested, flattened, or just settings such as `dynamic`). The common ECS template
// (`match_mapping_type: string -> keyword`) so types strings as keyword, without the `.keyword` sub-field.
// `date_detection: false` turns date detection off; `numeric_detection` and `dynamic_date_formats` are not read
// (the defaults: no numeric detection, strict_date_optional_time and yyyy/MM/dd).
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
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "values/field_catalog.hpp"

namespace eqlc::semantics {

// The `dynamic` setting of a mapping's root or of an object field. `inherit`: the object sets none.
enum class DynamicMode : uint8_t { inherit, true_, false_, strict, runtime };

std::string_view dynamic_mode_name(DynamicMode mode);
// Reads a `dynamic` value; on a bad one returns inherit and sets `problem`.
DynamicMode parse_dynamic_mode(const nlohmann::json& value, std::string& problem);
// The object a dotted path is a member of ("" for a top-level field).
std::string_view parent_of(std::string_view dotted);

struct SchemaField {
    std::string path;     // dotted name, as the mapping spells it
    std::string es_type;  // the mapping's type name ("keyword", "text", "long", "alias", "object", ...)
    vm::FieldType type = vm::FieldType::dynamic;
    std::string source_path;                // where the value lives in the event (a multi-field: its parent's path)
    std::string alias_path;                 // es_type == "alias": the target path as written
    std::optional<std::string> null_value;  // the mapping's null_value, as text (a number or boolean as written)
    bool object = false;                    // an object (has sub-fields, no value of its own)
    bool dynamic = false;                   // added by dynamic-mapping inference, not by the mapping
    DynamicMode dynamic_mode = DynamicMode::inherit;  // an object: its own `dynamic` setting, if it has one
};

// What Elasticsearch does with a field that is not mapped, when a document carries it.
struct UnmappedLookup {
    bool accepted = false;                  // dynamic mapping adds it (true or runtime): usable, typed from its values
    std::string source_path;                // accepted: where its values are (the path itself; for `x.keyword`, `x`)
    DynamicMode mode = DynamicMode::true_;  // the setting that decided
    std::string decided_by;                 // the object whose setting that is ("" = the mapping's root)
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

// One entry of the mapping's `dynamic_templates` (see the header comment for what is understood).
struct DynamicTemplate {
    std::string name;
    std::vector<std::string> match_mapping_type, unmatch_mapping_type, match, unmatch, path_match, path_unmatch;
    bool regex = false;                                // match_pattern: regex (not understood: never applies)
    std::shared_ptr<const nlohmann::json> definition;  // `mapping` (or `runtime`): the field's definition
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

    // A path `lookup` does not find: whether dynamic mapping would add it (see the header comment).
    UnmappedLookup unmapped(std::string_view dotted) const;
    // The `dynamic` setting that applies to new fields directly under the object `parent` ("" = the root);
    // `decided_by` gets the object that sets it ("" = the root).
    DynamicMode dynamic_mode_under(std::string_view parent, std::string* decided_by = nullptr) const;
    DynamicMode root_dynamic_mode() const { return root_dynamic_; }

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

    // The root's dynamic settings and templates (schema_dynamic.cpp)
    bool read_dynamic_settings(const nlohmann::json& mapping, std::string* error);
    const DynamicTemplate* template_for(const std::string& path, std::string_view detected_type) const;
    bool infer_from_template(const std::string& path, std::string_view detected_type);
    bool strings_get_keyword_subfield(const std::string& path) const;
    bool accepts_new_field(const std::string& path) const;

    std::map<std::string, SchemaField, std::less<>> fields_;
    DynamicMode root_dynamic_ = DynamicMode::true_;
    bool date_detection_ = true;
    std::vector<DynamicTemplate> templates_;
    std::string parse_error_;  // the first bad `dynamic` value met while reading properties
};

// The FieldType of an Elasticsearch type name (nullopt for object, alias and text, which need context).
std::optional<vm::FieldType> field_type_of_es_type(std::string_view es_type);

// True when `text` is a date for Elasticsearch's dynamic date_detection (see the header comment).
bool looks_like_dynamic_date(std::string_view text);

}  // namespace eqlc::semantics
