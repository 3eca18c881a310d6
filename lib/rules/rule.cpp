#include "eqlc/rule.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace eqlc::rules {

// ---------------------------------------------------------------------------------------------------
// Query positions

QueryLocation QueryLocation::whole_text(std::string_view text) {
    std::vector<Run> runs;
    SourcePos pos;
    runs.push_back({0, pos});
    for (uint32_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\n') continue;
        pos.offset = i + 1;
        ++pos.line;
        pos.column = 1;
        runs.push_back({i + 1, pos});
    }
    return QueryLocation(std::move(runs));
}

SourcePos QueryLocation::file_position(uint32_t query_offset) const {
    if (runs_.empty()) return SourcePos{query_offset, 1, query_offset + 1};
    auto it = std::upper_bound(runs_.begin(), runs_.end(), query_offset,
                               [](uint32_t offset, const Run& run) { return offset < run.query_offset; });
    if (it != runs_.begin()) --it;
    // A run holds no line break, so the bytes after its start are on the same line.
    const uint32_t delta = query_offset >= it->query_offset ? query_offset - it->query_offset : 0;
    SourcePos pos = it->file;
    pos.offset += delta;
    pos.column += delta;
    return pos;
}

Diagnostic Rule::to_file_diagnostic(Diagnostic d) const {
    d.span.begin = query_location.file_position(d.span.begin.offset);
    d.span.end = query_location.file_position(d.span.end.offset);
    return d;
}

std::vector<std::string> Rule::tactic_ids() const {
    std::vector<std::string> out;
    for (const Threat& t : threat)
        if (!t.tactic.id.empty() && std::find(out.begin(), out.end(), t.tactic.id) == out.end())
            out.push_back(t.tactic.id);
    return out;
}

std::vector<std::string> Rule::technique_ids() const {
    std::vector<std::string> out;
    auto add = [&](const std::string& id) {
        if (!id.empty() && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    };
    for (const Threat& t : threat)
        for (const ThreatTechnique& tech : t.techniques) {
            add(tech.technique.id);
            for (const AttackRef& sub : tech.subtechniques) add(sub.id);
        }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Severities

namespace {
constexpr std::array<std::string_view, 4> kSeverities = {"low", "medium", "high", "critical"};
}

int severity_rank(std::string_view severity) {
    for (size_t i = 0; i < kSeverities.size(); ++i)
        if (kSeverities[i] == severity) return static_cast<int>(i);
    return -1;
}

bool is_valid_severity(std::string_view severity) { return severity_rank(severity) >= 0; }

// ---------------------------------------------------------------------------------------------------
// Field values in an event's source

namespace {

// Every value at `path` under `node`, with arrays flattened (ES reads a field under an array of objects
// as the values of every object). `path` may be split between nested objects and dotted keys anywhere.
void collect(const nlohmann::json& node, std::string_view path, std::vector<const nlohmann::json*>& out) {
    if (node.is_array()) {
        for (const auto& element : node) collect(element, path, out);
        return;
    }
    if (!node.is_object()) return;
    // The whole remaining path as one key, then every split at a dot: "a.b.c" tries "a.b.c", then "a" +
    // "b.c", then "a.b" + "c".
    if (auto it = node.find(std::string(path)); it != node.end()) {
        if (it->is_array()) {
            for (const auto& element : *it) out.push_back(&element);
        } else {
            out.push_back(&*it);
        }
    }
    for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
        auto it = node.find(std::string(path.substr(0, dot)));
        if (it != node.end()) collect(*it, path.substr(dot + 1), out);
    }
}

std::vector<const nlohmann::json*> values_at(const nlohmann::json& source, std::string_view path) {
    std::vector<const nlohmann::json*> out;
    if (!path.empty()) collect(source, path, out);
    return out;
}

bool value_equals(const nlohmann::json& v, const std::string& expected) {
    if (v.is_string()) return v.get_ref<const std::string&>() == expected;
    if (v.is_number() || v.is_boolean()) return v.dump() == expected;
    if (v.is_array()) {
        for (const auto& element : v)
            if (value_equals(element, expected)) return true;
    }
    return false;
}

// A risk score taken from an event value: a number, or a string holding one, from 0 to 100.
std::optional<double> risk_value(const nlohmann::json& v) {
    double number = 0;
    if (v.is_number()) {
        number = v.get<double>();
    } else if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        const char* begin = s.c_str();
        while (*begin == ' ' || *begin == '\t') ++begin;
        if (*begin == '\0') return std::nullopt;
        char* end = nullptr;
        errno = 0;
        number = std::strtod(begin, &end);
        while (*end == ' ' || *end == '\t') ++end;
        if (*end != '\0' || errno != 0) return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (!std::isfinite(number) || number < 0 || number > 100) return std::nullopt;
    return number;
}

}  // namespace

const nlohmann::json* find_field(const nlohmann::json& source, std::string_view path) {
    if (!source.is_object() || path.empty()) return nullptr;
    if (auto it = source.find(std::string(path)); it != source.end()) return &*it;
    for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
        auto it = source.find(std::string(path.substr(0, dot)));
        if (it == source.end()) continue;
        if (const nlohmann::json* found = find_field(*it, path.substr(dot + 1))) return found;
    }
    return nullptr;
}

std::pair<std::string, int64_t> effective_severity(const Rule& rule, const nlohmann::json& event_source) {
    std::string severity = rule.severity;
    int64_t risk_score = rule.risk_score;

    if (!rule.severity_mapping.empty()) {
        std::vector<const SeverityMappingEntry*> entries;
        for (const auto& entry : rule.severity_mapping) entries.push_back(&entry);
        std::stable_sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) {
            return severity_rank(a->severity) < severity_rank(b->severity);
        });
        const SeverityMappingEntry* match = nullptr;
        for (const SeverityMappingEntry* entry : entries) {
            for (const nlohmann::json* v : values_at(event_source, entry->field))
                if (value_equals(*v, entry->value)) {
                    match = entry;
                    break;
                }
        }
        if (match) severity = match->severity;
    }

    if (!rule.risk_score_mapping.empty()) {
        std::optional<double> best;
        for (const nlohmann::json* v : values_at(event_source, rule.risk_score_mapping.front().field))
            if (auto r = risk_value(*v); r && (!best || *r > *best)) best = r;
        if (best) risk_score = static_cast<int64_t>(*best);
    }
    return {severity, risk_score};
}

}  // namespace eqlc::rules
