// The schema's answer for fields a mapping does not list: the `dynamic` setting that applies to them, and the
// `dynamic_templates` that decide how inference maps them (see schema.hpp for what is understood).
#include <algorithm>

#include <nlohmann/json.hpp>

#include "semantics/schema.hpp"

namespace eqlc::semantics {

using nlohmann::json;

namespace {

// Elasticsearch's Regex.simpleMatch: `*` matches any run of characters, everything else is literal.
bool simple_match(std::string_view pattern, std::string_view text) {
    size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool any_matches(const std::vector<std::string>& patterns, std::string_view text) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return simple_match(p, text); });
}

// A template condition: a string or a list of strings. False (after `problem`) for anything else.
bool read_patterns(const json& tmpl, const char* key, std::vector<std::string>& out, std::string& problem) {
    auto found = tmpl.find(key);
    if (found == tmpl.end()) return true;
    if (found->is_string()) {
        out.push_back(found->get<std::string>());
        return true;
    }
    if (found->is_array() && std::all_of(found->begin(), found->end(), [](const json& v) { return v.is_string(); })) {
        for (const auto& v : *found) out.push_back(v.get<std::string>());
        return true;
    }
    problem = std::string("\"") + key + "\" must be a string or a list of strings";
    return false;
}

// The type name `{dynamic_type}` stands for, and the type of a template definition without one.
std::string_view dynamic_type_name(std::string_view detected, bool runtime) {
    if (detected == "string") return runtime ? "keyword" : "text";
    if (detected == "double") return runtime ? "double" : "float";
    return detected;  // long, boolean, date, object
}

}  // namespace

std::string_view dynamic_mode_name(DynamicMode mode) {
    switch (mode) {
        case DynamicMode::inherit: return "inherit";
        case DynamicMode::true_: return "true";
        case DynamicMode::false_: return "false";
        case DynamicMode::strict: return "strict";
        case DynamicMode::runtime: return "runtime";
    }
    return "true";
}

DynamicMode parse_dynamic_mode(const json& value, std::string& problem) {
    if (value.is_boolean()) return value.get<bool>() ? DynamicMode::true_ : DynamicMode::false_;
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (text == "true") return DynamicMode::true_;
        if (text == "false") return DynamicMode::false_;
        if (text == "strict") return DynamicMode::strict;
        if (text == "runtime") return DynamicMode::runtime;
    }
    problem = "\"dynamic\" must be true, false, \"strict\" or \"runtime\", not " +
              value.dump(-1, ' ', false, json::error_handler_t::replace);
    return DynamicMode::inherit;
}

std::string_view parent_of(std::string_view dotted) {
    const size_t dot = dotted.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : dotted.substr(0, dot);
}

bool Schema::read_dynamic_settings(const json& mapping, std::string* error) {
    auto fail = [&](std::string message) {
        if (error) *error = std::move(message);
        return false;
    };
    if (auto found = mapping.find("dynamic"); found != mapping.end()) {
        std::string problem;
        root_dynamic_ = parse_dynamic_mode(*found, problem);
        if (!problem.empty()) return fail("the mapping's " + problem);
    }
    if (auto found = mapping.find("date_detection"); found != mapping.end()) {
        if (found->is_boolean())
            date_detection_ = found->get<bool>();
        else if (found->is_string() && (*found == "true" || *found == "false"))
            date_detection_ = *found == "true";
        else
            return fail("the mapping's \"date_detection\" must be true or false");
    }
    auto found = mapping.find("dynamic_templates");
    if (found == mapping.end()) return true;
    if (!found->is_array()) return fail("the mapping's \"dynamic_templates\" must be a list");
    for (size_t i = 0; i < found->size(); ++i) {
        const json& entry = (*found)[i];
        const std::string where = "dynamic template " + std::to_string(i + 1);
        if (!entry.is_object() || entry.size() != 1 || !entry.begin().value().is_object())
            return fail(where + ": expected {\"name\": {...}}");
        const json& tmpl = entry.begin().value();
        DynamicTemplate t;
        t.name = entry.begin().key();
        std::string problem;
        for (const auto& [key, list] :
             {std::pair{"match_mapping_type", &t.match_mapping_type},
              std::pair{"unmatch_mapping_type", &t.unmatch_mapping_type}, std::pair{"match", &t.match},
              std::pair{"unmatch", &t.unmatch}, std::pair{"path_match", &t.path_match},
              std::pair{"path_unmatch", &t.path_unmatch}})
            if (!read_patterns(tmpl, key, *list, problem)) return fail(where + " [" + t.name + "]: " + problem);
        t.regex = tmpl.value("match_pattern", "") == "regex";
        const bool runtime = !tmpl.contains("mapping") && tmpl.contains("runtime");
        const json& definition = runtime ? tmpl["runtime"] : tmpl.value("mapping", json());
        if (!definition.is_object())
            return fail(where + " [" + t.name + "]: needs a \"mapping\" (or \"runtime\") object");
        json own = definition;
        if (runtime) own["runtime"] = true;  // marks the definition: detected types map as runtime fields
        t.definition = std::make_shared<const json>(std::move(own));
        templates_.push_back(std::move(t));
    }
    return true;
}

const DynamicTemplate* Schema::template_for(const std::string& path, std::string_view detected_type) const {
    const size_t dot = path.rfind('.');
    const std::string_view name = std::string_view(path).substr(dot == std::string::npos ? 0 : dot + 1);
    for (const auto& t : templates_) {
        if (t.regex) continue;
        auto type_listed = [&](const std::vector<std::string>& types) {
            return std::any_of(types.begin(), types.end(),
                               [&](const std::string& x) { return x == "*" || x == detected_type; });
        };
        if (!t.match_mapping_type.empty() && !type_listed(t.match_mapping_type)) continue;
        if (type_listed(t.unmatch_mapping_type)) continue;
        if (!t.match.empty() && !any_matches(t.match, name)) continue;
        if (any_matches(t.unmatch, name)) continue;
        if (!t.path_match.empty() && !any_matches(t.path_match, path)) continue;
        if (any_matches(t.path_unmatch, path)) continue;
        return &t;
    }
    return nullptr;
}

bool Schema::infer_from_template(const std::string& path, std::string_view detected_type) {
    const DynamicTemplate* t = template_for(path, detected_type);
    if (!t) return false;
    json definition = *t->definition;
    const bool runtime = definition.value("runtime", false) == true;
    definition.erase("runtime");
    const std::string_view dynamic_type = dynamic_type_name(detected_type, runtime);
    auto type = definition.find("type");
    // An object keeps being an object unless the template makes it one of the object-like types ("*" templates
    // meant for values, and runtime fields, cannot apply to it).
    if (detected_type == "object" && (runtime || (type != definition.end() && *type != "object" && *type != "nested" &&
                                                  *type != "flattened" && *type != "{dynamic_type}")))
        return false;
    if (type == definition.end() || (type->is_string() && *type == "{dynamic_type}"))
        definition["type"] = std::string(dynamic_type);
    ensure_objects(path, true);
    add_field(path, definition);
    // What the template added is dynamic: the field and its multi-fields.
    for (auto it = fields_.find(path); it != fields_.end(); ++it) {
        if (it->first != path && it->first.compare(0, path.size() + 1, path + ".") != 0) break;
        if (it->first == path || it->second.source_path == path) it->second.dynamic = true;
    }
    return true;
}

bool Schema::strings_get_keyword_subfield(const std::string& path) const {
    const DynamicTemplate* t = template_for(path, "string");
    if (!t) return true;  // the default: text with a `keyword` multi-field
    const json& definition = *t->definition;
    if (definition.contains("runtime")) return false;
    const std::string type = definition.value("type", "{dynamic_type}");
    if (type != "text" && type != "{dynamic_type}" && type != "match_only_text") return false;
    auto fields = definition.find("fields");
    return fields != definition.end() && fields->is_object() && fields->contains("keyword") &&
           (*fields)["keyword"].is_object() && (*fields)["keyword"].value("type", "") == "keyword";
}

DynamicMode Schema::dynamic_mode_under(std::string_view parent, std::string* decided_by) const {
    for (std::string_view p = parent; !p.empty(); p = parent_of(p)) {
        const SchemaField* f = declared(p);
        if (f && f->object && f->dynamic_mode != DynamicMode::inherit) {
            if (decided_by) *decided_by = std::string(p);
            return f->dynamic_mode;
        }
    }
    if (decided_by) decided_by->clear();
    return root_dynamic_;
}

UnmappedLookup Schema::unmapped(std::string_view dotted) const {
    UnmappedLookup out;
    // Below a mapped leaf (a keyword, an alias, nested, flattened) nothing can be added.
    for (std::string_view p = parent_of(dotted); !p.empty(); p = parent_of(p)) {
        const SchemaField* f = declared(p);
        if (!f) continue;
        if (!f->object) {
            out.mode = DynamicMode::false_;
            out.decided_by = std::string(p);
            return out;
        }
        break;
    }
    const std::string_view parent = parent_of(dotted);
    out.mode = dynamic_mode_under(parent, &out.decided_by);
    out.accepted = out.mode == DynamicMode::true_ || out.mode == DynamicMode::runtime;
    if (!out.accepted) return out;
    out.source_path = std::string(dotted);
    // `x.keyword` of an unmapped string `x`: the multi-field default dynamic mapping adds.
    if (out.mode == DynamicMode::true_ && !parent.empty() && dotted.substr(parent.size() + 1) == "keyword" &&
        !declared(parent) && strings_get_keyword_subfield(std::string(parent)))
        out.source_path = std::string(parent);
    return out;
}

bool Schema::accepts_new_field(const std::string& path) const {
    const UnmappedLookup found = unmapped(path);
    return found.accepted && found.source_path == path;
}

}  // namespace eqlc::semantics
