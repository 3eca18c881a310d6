// Why a rule did not fire (rule authoring, `eqlc test`): given a case's events and the events that should have
// made an alert, say which stage and which condition stopped them, with the values seen.
//
//   auto why = eqlc::explain_missing_alert(query_text, options, events, {3, 4});
//   std::cout << why.summary << "\n";                 // one line: the stage and the reason
//   for (auto& line : why.details) std::cout << "  " << line << "\n";
//
// Every condition is evaluated by the engine itself (each stage's filter, and each top-level condition of it, is
// compiled as its own event query with the same options), so the verdicts have the engine's exact semantics:
// optional fields, case-insensitive `:`, missing fields as null, arrays. Events are named "event #N", N counting
// from 1 in input order (the line of an NDJSON file of events), or by WhyNotOptions::event_names.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/engine.hpp"
#include "eqlc/query.hpp"

namespace eqlc {

struct MissExplanation {
    std::string summary;               // one line: the stage and the reason
    std::vector<std::string> details;  // further lines (values seen, times, what the engine did instead)
};

struct WhyNotOptions {
    // How messages name events, by index into `events` (an id such as labels.event); empty or shorter than the
    // events: "event #N".
    std::vector<std::string> event_names;
    // The query's own field settings, when it has some (a rule's timestamp_override, event_category_override,
    // tiebreaker_field, timestamp_override_fallback_disabled): as QuerySource's fields of the same names, which the
    // engine that ran the case was given. They decide the times maxspan is measured with.
    std::optional<std::string> timestamp_field;
    std::optional<std::string> event_category_field;
    std::optional<std::string> tiebreaker_field;
    bool timestamp_fallback = true;
};

// Why the events `expected` (indices into `events`) of a case did not come out as an alert of `query`: for a
// sequence one per stage in stage order (either one per positive stage, or one per stage with any value at the
// missing-event terms `![...]`, which are ignored), for an event query one, for a sample the events of the sample
// in filter order. `events` are the case's events as JSON texts in input order (run in that order, as the
// engine runs a file); `options` as the engine used them. Never throws; an invalid query or index is explained
// as such.
MissExplanation explain_missing_alert(std::string_view query, const QueryOptions& options,
                                      const std::vector<std::string>& events, const std::vector<size_t>& expected,
                                      const WhyNotOptions& why_options = {});

// A sequence's or sample's per-stage counters (EngineStats::stages_by_query) as lines for people, as `eqlc --stats`
// prints them: one per stage ("stage 1  passed 12  started 12  expired 8"; counters that are zero are left out,
// except passed), then one for the query ("completed 2  until events 1").
std::vector<std::string> describe_stages(const QueryStageStats& stats);

}  // namespace eqlc
