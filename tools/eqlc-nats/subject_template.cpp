#include "subject_template.hpp"

namespace eqlc_nats {

namespace {

const nlohmann::json* find_from(const nlohmann::json& object, const std::vector<std::string>& path, size_t first) {
    if (!object.is_object()) return nullptr;
    // Try every split of the remaining names: the key may itself hold dots ("host.id" inside "event"...).
    std::string key;
    for (size_t last = first; last < path.size(); ++last) {
        if (last > first) key += '.';
        key += path[last];
        const auto it = object.find(key);
        if (it == object.end()) continue;
        if (last + 1 == path.size()) return &*it;
        if (const nlohmann::json* found = find_from(*it, path, last + 1)) return found;
    }
    return nullptr;
}

std::string value_text(const nlohmann::json* value) {
    if (!value) return "";
    if (value->is_string()) return value->get<std::string>();
    if (value->is_boolean()) return value->get<bool>() ? "true" : "false";
    if (value->is_number()) return value->dump();
    return "";  // null, arrays and objects name no single partition
}

}  // namespace

const nlohmann::json* find_field(const nlohmann::json& event, const std::vector<std::string>& path) {
    return path.empty() ? nullptr : find_from(event, path, 0);
}

bool SubjectTemplate::parse(std::string_view text, std::string& error) {
    parts_.clear();
    size_t i = 0;
    while (i < text.size()) {
        const size_t open = text.find('{', i);
        if (open != i) {
            const size_t end = open == std::string_view::npos ? text.size() : open;
            parts_.push_back({false, std::string(text.substr(i, end - i)), {}});
            i = end;
            continue;
        }
        const size_t close = text.find('}', open);
        if (close == std::string_view::npos) {
            error = "'{' at column " + std::to_string(open + 1) + " is not closed by '}'";
            return false;
        }
        const std::string_view name = text.substr(open + 1, close - open - 1);
        if (name.empty() || name.find('{') != std::string_view::npos) {
            error = "a field name was expected between '{' and '}' at column " + std::to_string(open + 1);
            return false;
        }
        Part part;
        part.field = true;
        for (size_t start = 0; start <= name.size();) {
            const size_t dot = std::min(name.find('.', start), name.size());
            if (dot == start) {
                error = "an empty name in field '" + std::string(name) + "' at column " + std::to_string(open + 1);
                return false;
            }
            part.path.emplace_back(name.substr(start, dot - start));
            start = dot + 1;
        }
        parts_.push_back(std::move(part));
        i = close + 1;
    }
    return true;
}

bool SubjectTemplate::uses_fields() const {
    for (const auto& part : parts_)
        if (part.field) return true;
    return false;
}

std::string SubjectTemplate::expand(const nlohmann::json& event, bool subject_safe) const {
    std::string out;
    for (const auto& part : parts_) {
        if (!part.field) {
            out += part.literal;
            continue;
        }
        std::string value = value_text(find_field(event, part.path));
        if (subject_safe) {
            if (value.empty()) value = "_";
            for (char& c : value)
                if (c == '.' || c == '*' || c == '>' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
                    c == '\v')
                    c = '_';
        }
        out += value;
    }
    return out;
}

}  // namespace eqlc_nats
