#include "semantics/schema.hpp"

#include <nlohmann/json.hpp>

#include "values/timestamp.hpp"

namespace eqlc::semantics {

using nlohmann::json;

std::optional<vm::FieldType> field_type_of_es_type(std::string_view t) {
    using vm::FieldType;
    if (t == "keyword" || t == "constant_keyword" || t == "wildcard") return FieldType::keyword;
    if (t == "long" || t == "integer" || t == "short" || t == "byte" || t == "unsigned_long") return FieldType::long_;
    if (t == "double" || t == "float" || t == "half_float" || t == "scaled_float") return FieldType::double_;
    if (t == "boolean") return FieldType::boolean;
    if (t == "date" || t == "date_nanos") return FieldType::date;
    if (t == "ip") return FieldType::ip;
    if (t == "version") return FieldType::version;
    return std::nullopt;
}

namespace {

bool digits(std::string_view s, size_t pos, size_t n) {
    if (pos + n > s.size()) return false;
    for (size_t i = pos; i < pos + n; ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

std::string join(const std::string& prefix, std::string_view name) {
    return prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
}

std::string scalar_text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

}  // namespace

bool looks_like_dynamic_date(std::string_view s) {
    // strict_date_optional_time: yyyy[-MM[-dd[THH[:mm[:ss[.fraction]]][offset]]]]
    if (!digits(s, 0, 4)) return false;
    if (s.size() == 4) return true;
    if (s[4] == '/') {
        // yyyy/MM/dd[ HH:mm:ss]
        if (s.size() < 10 || !digits(s, 5, 2) || s[7] != '/' || !digits(s, 8, 2)) return false;
        if (s.size() == 10) return true;
        return s.size() == 19 && s[10] == ' ' && digits(s, 11, 2) && s[13] == ':' && digits(s, 14, 2) && s[16] == ':' &&
               digits(s, 17, 2);
    }
    if (s[4] != '-' || !digits(s, 5, 2)) return false;
    const int month = (s[5] - '0') * 10 + (s[6] - '0');
    if (month < 1 || month > 12) return false;
    if (s.size() == 7) return true;
    if (s[7] != '-' || !digits(s, 8, 2)) return false;
    if (s.size() == 10) return input::parse_iso8601(s).ok();
    if (s[10] != 'T') return false;
    return input::parse_iso8601(s).ok();
}

std::optional<Schema> Schema::parse_mapping(std::string_view text, std::string* error) {
    json parsed = json::parse(text.begin(), text.end(), nullptr, false);
    if (parsed.is_discarded()) {
        if (error) *error = "the mapping is not valid JSON";
        return std::nullopt;
    }
    return from_mapping(parsed, error);
}

namespace {

// The first element of a GET _index_template / _component_template response (`{"index_templates":[{"name":..,
// "index_template":{...}}]}`), or nullptr.
const json* first_listed_template(const json& doc) {
    for (const auto& [list, member] :
         {std::pair{"index_templates", "index_template"}, std::pair{"component_templates", "component_template"}}) {
        auto found = doc.find(list);
        if (found == doc.end() || !found->is_array() || found->empty()) continue;
        const json& first = found->front();
        if (first.is_object() && first.contains(member) && first[member].is_object()) return &first[member];
    }
    return nullptr;
}

// The mapping object inside the shapes Elasticsearch prints or accepts (see the header comment). `wrapped`: it
// was found under a `mappings` member, so it may lack `properties` (an empty or purely dynamic mapping).
const json* find_mapping(const json& doc, bool& wrapped) {
    const json* node = &doc;
    if (const json* listed = first_listed_template(*node)) node = listed;
    // GET index/_mapping and GET _template wrap the mapping in the index's (or template's) name.
    if (!node->contains("properties") && !node->contains("mappings") && node->size() == 1) {
        const json& inner = node->begin().value();
        if (inner.is_object() && (inner.contains("mappings") || inner.contains("template"))) node = &inner;
    }
    // A composable index template or a component template (in 5.x legacy templates, `template` is a pattern).
    if (!node->contains("mappings") && node->contains("template") && (*node)["template"].is_object())
        node = &(*node)["template"];
    if (node->contains("mappings") && (*node)["mappings"].is_object()) {
        node = &(*node)["mappings"];
        wrapped = true;
        // 6.x templates and mappings name the document type: {"mappings":{"_doc":{"properties":...}}}.
        if (!node->contains("properties") && node->size() == 1) {
            const json& inner = node->begin().value();
            if (inner.is_object() && inner.contains("properties")) node = &inner;
        }
    }
    return node;
}

}  // namespace

std::optional<Schema> Schema::from_mapping(const json& mapping, std::string* error) {
    if (!mapping.is_object()) {
        if (error) *error = "the mapping must be a JSON object";
        return std::nullopt;
    }
    bool wrapped = false;
    const json* node = find_mapping(mapping, wrapped);
    const bool has_properties = node->is_object() && node->contains("properties");
    if (!node->is_object() || (has_properties && !(*node)["properties"].is_object()) ||
        (!has_properties && !wrapped && !node->contains("dynamic") && !node->contains("dynamic_templates"))) {
        if (error) *error = "the mapping has no \"properties\" object";
        return std::nullopt;
    }
    Schema schema;
    if (!schema.read_dynamic_settings(*node, error)) return std::nullopt;
    if (has_properties) schema.add_properties((*node)["properties"], "");
    if (!schema.parse_error_.empty()) {
        if (error) *error = schema.parse_error_;
        return std::nullopt;
    }
    return schema;
}

void Schema::ensure_objects(const std::string& path, bool dynamic) {
    // Every proper prefix of a dotted path is an object.
    for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
        std::string prefix = path.substr(0, dot);
        if (fields_.find(prefix) != fields_.end()) continue;
        SchemaField f;
        f.path = prefix;
        f.es_type = "object";
        f.object = true;
        f.type = vm::FieldType::unsupported;
        f.dynamic = dynamic;
        fields_.emplace(prefix, std::move(f));
    }
}

void Schema::add_properties(const json& properties, const std::string& prefix) {
    for (auto it = properties.begin(); it != properties.end(); ++it) {
        if (!it.value().is_object()) continue;
        add_field(join(prefix, it.key()), it.value());
    }
}

void Schema::add_field(const std::string& path, const json& def) {
    ensure_objects(path, false);
    std::string es_type = def.contains("type") && def["type"].is_string() ? def["type"].get<std::string>() : "";
    if (es_type.empty() && def.contains("properties")) es_type = "object";
    if (es_type.empty()) es_type = "object";

    SchemaField f;
    f.path = path;
    f.es_type = es_type;
    f.source_path = path;
    if (def.contains("null_value") && !def["null_value"].is_null()) f.null_value = scalar_text(def["null_value"]);

    if (es_type == "object" || es_type == "nested" || es_type == "flattened") {
        f.object = es_type == "object";
        f.type = vm::FieldType::unsupported;
        if (def.contains("dynamic")) {
            std::string problem;
            f.dynamic_mode = parse_dynamic_mode(def["dynamic"], problem);
            if (!problem.empty() && parse_error_.empty()) parse_error_ = "[" + path + "]: " + problem;
        }
    } else if (es_type == "alias") {
        f.alias_path = def.contains("path") && def["path"].is_string() ? def["path"].get<std::string>() : "";
    } else if (auto t = field_type_of_es_type(es_type)) {
        f.type = *t;
    } else if (es_type == "text" || es_type == "match_only_text") {
        f.type = vm::FieldType::unsupported;
        if (def.contains("fields") && def["fields"].is_object()) {
            for (auto sub = def["fields"].begin(); sub != def["fields"].end(); ++sub) {
                if (sub.value().is_object() && sub.value().value("type", "") == "keyword") {
                    f.type = vm::FieldType::keyword;  // queries use the keyword sub-field
                    break;
                }
            }
        }
    } else {
        f.type = vm::FieldType::unsupported;
    }
    fields_[path] = f;

    // Multi-fields: `name.sub` reads the parent's values with the sub-field's type.
    if (def.contains("fields") && def["fields"].is_object()) {
        for (auto sub = def["fields"].begin(); sub != def["fields"].end(); ++sub) {
            if (!sub.value().is_object()) continue;
            SchemaField m;
            m.path = join(path, sub.key());
            m.es_type = sub.value().value("type", "keyword");
            m.source_path = path;
            auto t = field_type_of_es_type(m.es_type);
            m.type = t ? *t : vm::FieldType::unsupported;
            if (sub.value().contains("null_value") && !sub.value()["null_value"].is_null())
                m.null_value = scalar_text(sub.value()["null_value"]);
            fields_[m.path] = m;
        }
    }
    if (def.contains("properties") && def["properties"].is_object()) add_properties(def["properties"], path);
}

void Schema::infer_from_event(const json& event) {
    if (!event.is_object()) return;
    for (auto it = event.begin(); it != event.end(); ++it) infer_value(it.key(), it.value());
}

void Schema::infer_from_ndjson(std::string_view text) {
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        json event = json::parse(line.begin(), line.end(), nullptr, false);
        if (!event.is_discarded()) infer_from_event(event);
    }
}

void Schema::infer_value(const std::string& path, const json& value) {
    if (value.is_null()) return;
    if (value.is_array()) {
        for (const auto& element : value) {
            if (element.is_null()) continue;
            infer_value(path, element);
            if (!element.is_object()) break;  // scalars: the first non-null element decides the type
        }
        return;
    }
    if (value.is_object()) {
        auto found = fields_.find(path);
        if (found == fields_.end() && !accepts_new_field(path)) return;  // dynamic false or strict above it
        if (found == fields_.end() && infer_from_template(path, "object")) {
            found = fields_.find(path);
            if (found == fields_.end() || !found->second.object) return;  // e.g. mapped as flattened
        } else if (found == fields_.end()) {
            ensure_objects(path, true);
            SchemaField f;
            f.path = path;
            f.es_type = "object";
            f.object = true;
            f.type = vm::FieldType::unsupported;
            f.dynamic = true;
            fields_.emplace(path, std::move(f));
        } else if (!found->second.object) {
            return;  // a mapped scalar field: Elasticsearch would reject the document
        }
        for (auto it = value.begin(); it != value.end(); ++it) infer_value(path + "." + it.key(), it.value());
        return;
    }
    if (fields_.find(path) != fields_.end() || !accepts_new_field(path)) return;
    const bool date =
        value.is_string() && date_detection_ && looks_like_dynamic_date(value.get_ref<const std::string&>());
    const std::string_view detected = value.is_boolean()          ? "boolean"
                                      : value.is_number_integer() ? "long"
                                      : value.is_number()         ? "double"
                                      : date                      ? "date"
                                                                  : "string";
    if (infer_from_template(path, detected)) return;
    ensure_objects(path, true);
    SchemaField f;
    f.path = path;
    f.source_path = path;
    f.dynamic = true;
    if (value.is_string() && !date && dynamic_mode_under(parent_of(path)) == DynamicMode::runtime) {
        f.es_type = "keyword";  // dynamic runtime fields: strings are keyword, without a sub-field
        f.type = vm::FieldType::keyword;
    } else if (value.is_boolean()) {
        f.es_type = "boolean";
        f.type = vm::FieldType::boolean;
    } else if (value.is_number_integer()) {
        f.es_type = "long";
        f.type = vm::FieldType::long_;
    } else if (value.is_number_float()) {
        f.es_type = "float";
        f.type = vm::FieldType::double_;
    } else if (value.is_string()) {
        if (date) {
            f.es_type = "date";
            f.type = vm::FieldType::date;
        } else {
            f.es_type = "text";
            f.type = vm::FieldType::keyword;  // text + keyword sub-field
            SchemaField sub;
            sub.path = path + ".keyword";
            sub.es_type = "keyword";
            sub.source_path = path;
            sub.type = vm::FieldType::keyword;
            sub.dynamic = true;
            fields_.emplace(sub.path, std::move(sub));
        }
    } else {
        return;
    }
    fields_.emplace(path, std::move(f));
}

const SchemaField* Schema::declared(std::string_view dotted) const {
    auto it = fields_.find(dotted);
    return it == fields_.end() ? nullptr : &it->second;
}

SchemaLookup Schema::lookup(std::string_view dotted) const {
    SchemaLookup out;
    const SchemaField* f = declared(dotted);
    for (int hops = 0; f && f->es_type == "alias"; ++hops) {
        if (hops > 16) {
            out.status = SchemaLookup::Status::bad_alias;
            out.message = "alias [" + std::string(dotted) + "] does not resolve to a field";
            return out;
        }
        const SchemaField* target = declared(f->alias_path);
        if (!target) {
            out.status = SchemaLookup::Status::bad_alias;
            out.message = "alias [" + f->path + "] points to the unknown field [" + f->alias_path + "]";
            return out;
        }
        f = target;
    }
    if (!f) return out;
    out.status = SchemaLookup::Status::found;
    out.field = f;
    return out;
}

std::vector<std::string> Schema::paths() const {
    std::vector<std::string> out;
    out.reserve(fields_.size());
    for (const auto& [path, field] : fields_) out.push_back(path);
    return out;
}

}  // namespace eqlc::semantics
