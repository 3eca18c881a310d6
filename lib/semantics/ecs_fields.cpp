// The shipped ECS field list read as a mapping (see ecs_fields.hpp).
#include "semantics/ecs_fields.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace eqlc::semantics {
namespace {

struct EcsLine {
    std::string_view name;
    std::string_view type;
    bool array = false;
};

EcsLine split(std::string_view line) {
    EcsLine out;
    const size_t space = line.find(' ');
    out.name = line.substr(0, space);
    if (space == std::string_view::npos) return out;
    std::string_view rest = line.substr(space + 1);
    const size_t next = rest.find(' ');
    out.type = rest.substr(0, next);
    out.array = next != std::string_view::npos && rest.substr(next + 1) == "array";
    return out;
}

bool leaf_type(std::string_view t) { return t != "object" && t != "nested" && t != "flattened"; }

}  // namespace

std::string_view ecs_version() {
    for (const char* line : ecs_field_lines()) {
        const EcsLine l = split(line);
        if (l.name == "ecs-version") return l.type;
    }
    return "unknown";
}

nlohmann::json ecs_mapping_json() {
    using nlohmann::json;
    std::unordered_map<std::string_view, std::string_view> types;
    for (const char* line : ecs_field_lines()) {
        const EcsLine l = split(line);
        if (l.name != "ecs-version") types.emplace(l.name, l.type);
    }
    json properties = json::object();
    for (const char* line : ecs_field_lines()) {
        const EcsLine l = split(line);
        if (l.name == "ecs-version" || l.type.empty()) continue;
        const size_t dot = l.name.rfind('.');
        if (dot != std::string_view::npos) {
            // A sub-field of a leaf is one of its multi-fields (Elasticsearch refuses it as a field of its own).
            const std::string_view parent = l.name.substr(0, dot);
            auto found = types.find(parent);
            if (found != types.end() && leaf_type(found->second)) {
                properties[std::string(parent)]["fields"][std::string(l.name.substr(dot + 1))] = {
                    {"type", std::string(l.type)}};
                continue;
            }
        }
        properties[std::string(l.name)]["type"] = std::string(l.type);
    }
    json mapping = json::object();
    mapping["_meta"] = {{"version", std::string(ecs_version())}};
    mapping["date_detection"] = false;
    mapping["dynamic_templates"] = json::array(
        {{{"strings_as_keyword",
           {{"match_mapping_type", "string"}, {"mapping", {{"type", "keyword"}, {"ignore_above", 1024}}}}}}});
    mapping["properties"] = std::move(properties);
    return mapping;
}

bool ecs_array_field(std::string_view path) {
    const auto lines = ecs_field_lines();
    return std::any_of(lines.begin(), lines.end(), [&](const char* line) {
        const EcsLine l = split(line);
        return l.name == path && l.array;
    });
}

}  // namespace eqlc::semantics
