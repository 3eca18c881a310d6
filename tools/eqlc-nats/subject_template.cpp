#include "subject_template.hpp"

#include <charconv>

namespace eqlc_nats {

namespace {

bool find_from(simdjson::dom::element node, const std::vector<std::string>& path, size_t first,
               simdjson::dom::element& out) {
    simdjson::dom::object object;
    if (node.get(object) != simdjson::SUCCESS) return false;
    // Try every split of the remaining names: the key may itself hold dots ("host.id" inside "event"...).
    std::string key;
    for (size_t last = first; last < path.size(); ++last) {
        if (last > first) key += '.';
        key += path[last];
        simdjson::dom::element child;
        if (object.at_key(key).get(child) != simdjson::SUCCESS) continue;
        if (last + 1 == path.size()) {
            out = child;
            return true;
        }
        if (find_from(child, path, last + 1, out)) return true;
    }
    return false;
}

std::string value_text(simdjson::dom::element value) {
    switch (value.type()) {
        case simdjson::dom::element_type::STRING: return std::string(value.get_string().value_unsafe());
        case simdjson::dom::element_type::BOOL: return value.get_bool().value_unsafe() ? "true" : "false";
        case simdjson::dom::element_type::INT64: return std::to_string(value.get_int64().value_unsafe());
        case simdjson::dom::element_type::UINT64: return std::to_string(value.get_uint64().value_unsafe());
        case simdjson::dom::element_type::DOUBLE: {
            char text[32];
            const auto [end, ec] = std::to_chars(text, text + sizeof text, value.get_double().value_unsafe());
            return ec == std::errc() ? std::string(text, end) : std::string();
        }
        default: return "";  // null, arrays and objects name no single partition
    }
}

}  // namespace

bool find_field(simdjson::dom::element event, const std::vector<std::string>& path, simdjson::dom::element& out) {
    return !path.empty() && find_from(event, path, 0, out);
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

std::string SubjectTemplate::expand(simdjson::dom::element event, bool subject_safe) const {
    std::string out;
    for (const auto& part : parts_) {
        if (!part.field) {
            out += part.literal;
            continue;
        }
        simdjson::dom::element found;
        std::string value = find_field(event, part.path, found) ? value_text(found) : std::string();
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
