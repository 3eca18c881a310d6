// Per-stage counters of a sequence or sample (why a rule did not fire): where its events went, stage by stage.
// Plain increments on paths the matchers take anyway; saved in their snapshots (format 3).
#pragma once

#include <cstdint>
#include <vector>

#include "sequence/snapshot.hpp"

namespace eqlc::sequence {

// One stage of a sequence (after `runs` expansion, missing-event terms included) or one filter of a sample.
// "Waiting here" means a partial sequence whose last matched stage is this one.
struct StageStats {
    // Events whose filter held with a usable join key and that could change the state (once per event): a later
    // stage, until and a trailing missing-event term count only events of a key with state waiting for them
    // (SequenceMatcher::any_hit_can_matter); the engine does not evaluate them otherwise.
    uint64_t passed = 0;
    uint64_t started = 0;   // sequences: partials started here (the first positive stage)
    uint64_t advanced = 0;  // sequences: partials that reached this stage from the previous positive one
    uint64_t replaced = 0;  // sequences: partials waiting here replaced by a newer one of their key
    uint64_t expired = 0;   // sequences: partials waiting here dropped by maxspan (in time, or at the next hit)
    uint64_t until = 0;     // sequences: partials waiting here ended by an until event
    uint64_t evicted = 0;   // partials waiting here lost with an evicted key (samples: documents lost)
    uint64_t dropped_at_finish = 0;  // sequences: partials still waiting here at finish()
    uint64_t kept = 0;               // samples: documents kept for this filter (at most the per-key cap)
};

// Counters of the whole query beyond its stages.
struct QueryStages {
    std::vector<StageStats> stages;
    uint64_t until_events = 0;      // sequences: events that matched the until condition
    uint64_t completed = 0;         // sequences whose positive stages all matched (samples: samples delivered)
    uint64_t rejected_missing = 0;  // of those, refused by a missing-event term `![...]`
};

// Snapshot encoding (format 3), the stages' count given by the matcher's spec.
inline void save_stage_stats(ByteWriter& w, const std::vector<StageStats>& stages, uint64_t until_events) {
    for (const StageStats& s : stages)
        for (uint64_t v :
             {s.passed, s.started, s.advanced, s.replaced, s.expired, s.until, s.evicted, s.dropped_at_finish, s.kept})
            w.u64(v);
    w.u64(until_events);
}

inline void load_stage_stats(ByteReader& r, std::vector<StageStats>& stages, uint64_t& until_events) {
    for (StageStats& s : stages)
        for (uint64_t* v : {&s.passed, &s.started, &s.advanced, &s.replaced, &s.expired, &s.until, &s.evicted,
                            &s.dropped_at_finish, &s.kept})
            *v = r.u64();
    until_events = r.u64();
}

}  // namespace eqlc::sequence
