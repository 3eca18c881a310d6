#include "authoring/json_fields.hpp"

#include <string>

namespace eqlc::authoring {

namespace {

void collect(const nlohmann::json& at, const std::vector<std::string_view>& segments, size_t from,
             std::vector<nlohmann::json>& out) {
    if (from == segments.size()) {
        out.push_back(at);
        return;
    }
    if (at.is_array()) {
        for (const auto& v : at) collect(v, segments, from, out);
        return;
    }
    if (!at.is_object()) return;
    // A dotted field may be written nested, flat, or anything in between: try every split.
    std::string key;
    for (size_t i = from; i < segments.size(); ++i) {
        if (i > from) key += '.';
        key += segments[i];
        const auto it = at.find(key);
        if (it != at.end()) collect(*it, segments, i + 1, out);
    }
}

}  // namespace

std::vector<nlohmann::json> field_values(const nlohmann::json& event, std::string_view dotted) {
    std::vector<nlohmann::json> out;
    if (!event.is_object()) return out;
    std::vector<std::string_view> segments;
    for (size_t start = 0;;) {
        const size_t dot = dotted.find('.', start);
        segments.push_back(dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    collect(event, segments, 0, out);
    return out;
}

}  // namespace eqlc::authoring
