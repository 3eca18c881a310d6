// What the engine reports: one Match per result of a query — an event for an event query, a sequence of
// events (with missing-event placeholders) for a sequence, a group of events for a sample.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace eqlc {

enum class MatchKind : uint8_t { event, sequence, sample };

struct MatchedEvent {
    bool missing = false;      // a missing-event placeholder `![...]`: no source
    std::string source;        // the event's original JSON text
    int64_t timestamp_ns = 0;  // event time, nanoseconds since the epoch (UTC)
    // The event's place in the order the engine ran events (0-based): arrival order, counting the lines the line
    // prefilter skipped; with sort_input, the place in the sorted order of the events that were run.
    uint64_t ordinal = 0;
};

struct Match {
    size_t query = 0;  // index of the query in the engine
    MatchKind kind = MatchKind::event;
    nlohmann::json join_keys = nlohmann::json::array();  // key values (sequences and samples)
    std::vector<MatchedEvent> events;                    // in stage order

    // The time of the last real event: what a sequence is ordered by.
    int64_t timestamp_ns() const {
        for (auto it = events.rbegin(); it != events.rend(); ++it)
            if (!it->missing) return it->timestamp_ns;
        return 0;
    }
};

std::string_view match_kind_name(MatchKind kind);

// The rule a match belongs to, as an alert shows it (severity and risk score after the rule's
// severity_mapping / risk_score_mapping for this match).
struct AlertRule {
    std::string id;
    std::string name;
    std::string severity;
    int64_t risk_score = 0;
};

// One NDJSON line (no newline) for a match, as the CLI prints it:
//   {"kind":"sequence","rule":{"id":..,"name":..,"severity":..,"risk_score":..},"query":"<name>",
//    "@timestamp":"<ISO of the last event>","join_keys":[...],
//    "events":[{"_source":{...}} | {"missing":true}, ...]}
// `rule` is present when `rule` is given. `_source` is the event's original JSON text, embedded as read.
std::string match_to_ndjson(const Match& match, std::string_view query_name, const AlertRule* rule = nullptr);

// A short human summary of a match, several lines ending with a newline: severity, rule, time and host, then
// per event what a responder looks at first (source address, parent -> process with its command line, user).
std::string match_to_pretty(const Match& match, std::string_view query_name, const AlertRule* rule = nullptr);

}  // namespace eqlc
