// A test case's events, and the engine's verdicts on them (explain_missing_alert, eqlc/why_not.hpp): whether a
// condition holds on an event (the condition compiled as an event query with the case's options and run over the
// events), the events' times as the engine reads them, their field values as their JSON holds them, and the
// whole query run over the case. Each condition is run once over all the events and remembered.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "eqlc/query.hpp"
#include "eqlc/why_not.hpp"

namespace eqlc::authoring {

class CaseEvents {
public:
    CaseEvents(const QueryOptions& options, const WhyNotOptions& settings, const std::vector<std::string>& events);

    size_t size() const { return texts_.size(); }
    // The fields the query reads its time, category and tiebreaker from (its own, or the options').
    const std::string& timestamp_field() const { return timestamp_field_; }
    const std::string& event_category_field() const { return event_category_field_; }
    bool has_tiebreaker() const { return has_tiebreaker_; }
    // "event #N" (1-based), or the caller's name for it.
    std::string name(size_t event) const;

    // Whether the event query `query` matches the event; nullopt when the query is not valid (last_problem()).
    std::optional<bool> holds(const std::string& query, size_t event);
    const std::string& last_problem() const { return problem_; }

    // Whether the event is a JSON object (the engine runs no other).
    bool valid(size_t event) const { return docs_[event].is_object(); }
    // The event's time as the engine reads it; nullopt when it has none it can use (timestamp_problem()).
    std::optional<int64_t> timestamp(size_t event) const { return times_[event]; }
    std::string timestamp_problem(size_t event) const { return time_problems_[event]; }

    // The values of a dotted field in the event's JSON (nested objects, dotted keys, and arrays of objects on the
    // way); empty when it has none. values_text: as JSON, "missing" when empty.
    std::vector<nlohmann::json> values(size_t event, const std::string& field) const;
    std::string values_text(size_t event, const std::string& field) const;

    struct Run {
        std::vector<std::vector<size_t>> alerts;  // each alert's events (SIZE_MAX: a missing-event placeholder)
        std::vector<std::string> stage_lines;     // the per-stage counters, as describe_stages() writes them
    };
    // The query run over all the events in input order; nullopt when it is not valid.
    std::optional<Run> run_query(std::string_view query);

private:
    QueryOptions options_;
    WhyNotOptions settings_;
    std::string timestamp_field_;
    std::string event_category_field_;
    bool has_tiebreaker_ = false;
    std::vector<std::string> texts_;  // one line each
    std::vector<nlohmann::json> docs_;
    std::vector<std::optional<int64_t>> times_;
    std::vector<std::string> time_problems_;
    std::map<std::string, std::optional<std::vector<uint8_t>>> verdicts_;
    std::string problem_;
};

}  // namespace eqlc::authoring
