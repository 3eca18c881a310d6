// Alerts as NDJSON lines. The event's original text is embedded as it was read (it is a JSON object that a
// JSON parser accepted), so an alert costs no re-serialisation of the events it carries.
#include <nlohmann/json.hpp>

#include "eqlc/match.hpp"
#include "values/timestamp.hpp"

namespace eqlc {

std::string_view match_kind_name(MatchKind kind) {
    switch (kind) {
        case MatchKind::event: return "event";
        case MatchKind::sequence: return "sequence";
        case MatchKind::sample: return "sample";
    }
    return "event";
}

std::string match_to_ndjson(const Match& match, std::string_view query_name, const AlertRule* rule) {
    std::string out;
    out.reserve(256);
    out += "{\"kind\":\"";
    out += match_kind_name(match.kind);
    out += '"';
    if (rule) {
        out += ",\"rule\":";
        out +=
            nlohmann::json{
                {"id", rule->id}, {"name", rule->name}, {"severity", rule->severity}, {"risk_score", rule->risk_score}}
                .dump();
    }
    out += ",\"query\":";
    out += nlohmann::json(std::string(query_name)).dump();
    if (!match.events.empty()) {
        out += ",\"@timestamp\":\"";
        out += input::format_iso8601(match.timestamp_ns());
        out += '"';
    }
    out += ",\"join_keys\":";
    out += match.join_keys.dump();
    out += ",\"events\":[";
    for (size_t i = 0; i < match.events.size(); ++i) {
        const MatchedEvent& e = match.events[i];
        if (i) out += ',';
        if (e.missing) {
            out += "{\"missing\":true}";
        } else {
            out += "{\"_source\":";
            out += e.source.empty() ? std::string_view("null") : std::string_view(e.source);
            out += '}';
        }
    }
    out += "]}";
    return out;
}

}  // namespace eqlc
