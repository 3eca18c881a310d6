// The sequence runtime: Elasticsearch's SequenceMatcher (SEMANTICS §7), streaming, in bounded memory.
//
// The matcher does not evaluate anything. For every event the engine tells it which stages the event matched
// and with which join key (StageHit), and it decides matches with Elasticsearch's rules:
//
//   SequenceMatcher m(spec, [&](const SequenceMatch& match) { ... });
//   for each event, in (timestamp, tiebreaker, arrival) order:
//     m.on_event(EventInfo{record.ordinal, record.timestamp_ns, record.source}, hits);
//   m.finish();
//
// Stages are the query's terms after `runs` expansion, in written order, missing terms `![...]` included;
// the `until` term is the pseudo stage kUntil. A hit with a multi-valued key is one StageHit per key (the
// engine expands the Cartesian product, dropping null array elements); one event may hit several stages,
// each with several keys. Duplicate (stage, key) pairs within one event count once.
//
// Matches are delivered through the sink, in Elasticsearch's output order (by the arrival of the last
// positive event, ties by key in compare_keys order), as soon as they are final: right away for plain
// sequences, and once the missing-event check is decided when the query has trailing `![...]` terms (at
// the latest one maxspan of event time later, or at finish()). The engine applies head/tail/size to this
// ordered stream. Everything the sink receives (key bytes, source text) is valid only during the call.
//
// Time: each on_event moves event time to the event's timestamp; advance_time() moves it without an
// event (a heartbeat, or the timestamp of an event that hit no stage), which lets pending decisions and
// expired state go earlier. Results do not depend on how often it is called, only delivery timing does.
// Timestamps going backwards are tolerated (counted in stats.out_of_order_events) but the events must
// arrive in order for Elasticsearch's results.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sequence/event_store.hpp"
#include "sequence/key.hpp"
#include "sequence/key_table.hpp"
#include "sequence/limits.hpp"
#include "sequence/stage_stats.hpp"

namespace eqlc::sequence {

struct SequenceSpec {
    // One entry per stage after `runs` expansion, in written order: true for a missing-event term `![...]`.
    std::vector<bool> missing;
    bool has_until = false;
    // `with maxspan=...`, in nanoseconds. A gap equal to maxspan is accepted. Required with missing terms
    // (the checker enforces it); without it they behave as with an infinite maxspan.
    std::optional<int64_t> maxspan_ns;
};

// Empty if `spec` is usable, else what is wrong (no stage, no positive stage, negative maxspan).
std::string validate(const SequenceSpec& spec);

inline constexpr uint32_t kUntil = UINT32_MAX;

struct StageHit {
    uint32_t stage = 0;  // index into SequenceSpec::missing, or kUntil
    KeyView key;         // encode_key() of the shared keys followed by the term's keys
};

struct MatchEvent {
    bool missing = false;  // a placeholder for a `![...]` term: no ordinal, timestamp or source
    uint64_t ordinal = 0;  // EventInfo::ordinal of the event
    int64_t timestamp_ns = 0;
    std::string_view source;  // the event's JSON text as given to on_event (empty if none was given)
};

struct SequenceMatch {
    KeyView key;                         // the join key (decode_key for values)
    std::span<const MatchEvent> events;  // one per stage, in stage order
};

struct SequenceStats {
    // Activity.
    uint64_t events = 0;               // on_event calls
    uint64_t hits = 0;                 // stage hits after de-duplication
    uint64_t out_of_order_events = 0;  // timestamp lower than an earlier event's
    uint64_t completed = 0;            // matches delivered
    uint64_t candidates = 0;           // sequences whose positive stages all matched
    uint64_t rejected_missing = 0;     // candidates discarded by a missing-event check
    uint64_t rejected_maxspan = 0;     // transitions refused because the gap exceeded maxspan
    uint64_t rejected_until = 0;       // transitions refused because an until event came in between
    uint64_t partials_replaced = 0;    // a newer partial replaced the pending one of its key and stage
    uint64_t expired_partials = 0;     // partials dropped because maxspan had passed in event time
    uint64_t expired_keys = 0;
    uint64_t dropped_at_finish = 0;  // partials still pending at finish()
    // Limits (see limits.hpp).
    uint64_t evicted_keys_max_keys = 0;
    uint64_t evicted_keys_bytes = 0;
    uint64_t evicted_keys_budget = 0;  // evicted by the engine-wide budget (evict_for_budget)
    uint64_t evicted_partials = 0;     // partials lost with evicted keys
    uint64_t evicted_missing_hits = 0;
    // Current state.
    uint64_t keys = 0;
    uint64_t pending_partials = 0;
    uint64_t pending_matches = 0;  // matches waiting for a missing-event decision or for their turn
    uint64_t kept_events = 0;
    uint64_t state_bytes = 0;  // everything, the kept events' text counted in full
    uint64_t text_bytes = 0;   // the kept events' text in state_bytes
};

class SequenceMatcher {
public:
    using Sink = std::function<void(const SequenceMatch&)>;

    // `spec` must validate().
    SequenceMatcher(SequenceSpec spec, Sink sink, Limits limits = {});

    void on_event(const EventInfo& event, std::span<const StageHit> hits);
    void advance_time(int64_t now_ns);
    // End of input: every window closes, pending checks are decided, the rest is delivered and all state dropped.
    void finish();

    const SequenceStats& stats() const { return stats_; }
    // Per stage (SequenceSpec::missing's order): where the events and partials went.
    QueryStages stage_stats() const;
    const SequenceSpec& spec() const { return spec_; }
    // Event time as the matcher sees it: the latest timestamp given (INT64_MIN before any).
    int64_t now() const { return now_; }
    // The event time after which time has work to do here (a missing-event check to decide, partials whose maxspan
    // runs out): advance_time(t) with t <= wakeup() changes nothing but the clock. INT64_MAX: nothing pending.
    // Lets an engine leave idle sequences alone (engine/query_runner.cpp).
    int64_t wakeup() const;
    // Whether some of one event's hits, with their keys, would make on_event(event, hits) change anything
    // beyond the StageStats::passed counts (a later stage's hit only matters to a key with a partial waiting at
    // the stage before, an until hit to a key with partials, a trailing missing-event hit to a key whose
    // completed sequence waits). When not, the engine can take the event as one that matched nothing.
    bool any_hit_can_matter(std::span<const StageHit> hits) const;
    // Whether a hit on `stage` (kUntil: the until term) can change anything right now: a later positive stage
    // or `until` only while some partial waits, a trailing missing-event term only while a completed sequence
    // waits for its decision; the first stage and leading or intermediate missing-event terms always. A hit that
    // cannot changes nothing in on_event but the StageStats::passed count, so an engine need not evaluate such a
    // term on an event unless a hit that can (the same event's, handled first) changes the state.
    bool hit_can_matter(uint32_t stage) const {
        if (stage == kUntil) return pending_partials_ > 0;
        if (stage >= stages_.size()) return false;
        const StageInfo& s = stages_[stage];
        if (s.missing) return s.kind != MissingKind::trailing || !waiters_.empty();
        return s.positive == 0 || pending_partials_ > 0;
    }
    const Limits& limits() const { return limits_; }

    // The whole state (spec, limits, stats, pending partials, kept events with their text, undelivered matches).
    // With `texts`, the kept events' texts are written into that table instead (an engine's snapshot).
    std::string snapshot(SnapshotTextWriter* texts = nullptr) const;
    // A matcher that continues from `bytes`; nullopt (and `error`) if the bytes are not a valid snapshot.
    // `limits` replaces the saved limits when given. A snapshot written with a text table needs its texts
    // (read into `texts`, whose pool the matcher then shares).
    static std::optional<SequenceMatcher> restore(std::string_view bytes, Sink sink, std::string* error = nullptr,
                                                  std::optional<Limits> limits = std::nullopt,
                                                  const SnapshotTextReader* texts = nullptr);

    // Keeps the events' text in `pool`, shared with the other matchers that use it (before the first event).
    void share_texts(TextPool* pool) { events_.share_texts(pool); }

    // For an engine-wide budget: the pending state that evicting keys can free, without the kept events' text
    // (which the engine counts once in its pool); the recency (EventInfo::tick) of the least recently updated key,
    // if there is a key; and evicting that key (counted in stats.evicted_keys_budget).
    uint64_t evictable_bytes_without_text() const {
        return events_.held_bytes() - events_.held_text_bytes() + keys_.bytes() + key_bytes_;
    }
    std::optional<uint64_t> oldest_key_tick() const {
        return keys_.oldest() == kNone ? std::nullopt : std::optional(keys_[keys_.oldest()].tick);
    }
    void evict_for_budget();

    // Approximate real heap use of the state, for benchmarks (includes container slack, unlike state_bytes).
    uint64_t heap_bytes_estimate() const;

private:
    static constexpr uint32_t kNone = UINT32_MAX;
    static constexpr uint32_t kFreeSlot = UINT32_MAX - 1;  // KeyState::aux of an unused slot of keys_

    // A key with pending state (48 bytes), an entry of keys_ (which manages `key` and the LRU links). Group p
    // holds the newest partial sequence of the key that has matched positive stages 0..p: group 0 is `group0`
    // (the event's handle); groups p >= 1 are slots of a block of (positives - 2) slots in group_slots_, each a
    // block of p + 1 event handles in pools_[p] (or kNone).
    struct KeyState {
        CompactKey key;
        int64_t last_touch = 0;  // event time of the last update; the LRU list is in this order
        uint64_t tick = 0;       // EventInfo::tick of the last update (the same order)
        uint32_t lru_prev = kNone;
        uint32_t lru_next = kNone;
        uint32_t group0 = kNone;
        uint32_t aux = kNone;  // index into auxes_, allocated on demand
    };
    static_assert(sizeof(KeyState) == 48);
    struct MissingHit {
        int64_t timestamp_ns;
        uint32_t stage;
    };
    // What a key needs beyond a stage-0 partial: groups >= 1, until marker, missing-term history.
    struct KeyAux {
        uint32_t groups = kNone;  // block index in group_slots_ for groups 1 .. positives - 2
        uint32_t missing_head = 0;
        uint64_t until_seq = 0;           // arrival number of the latest until event of the key; 0: none
        std::vector<MissingHit> missing;  // hits of missing terms, arrival order, from missing_head on
    };
    struct Pool {
        uint32_t width = 0;
        std::vector<EventHandle> data;
        std::vector<uint32_t> free;
    };
    enum class Decision : uint8_t { pending, accepted, rejected };
    struct Candidate {
        uint64_t seq = 0;  // arrival number of the last positive event
        std::string key;
        std::vector<EventHandle> events;  // positive events, in stage order
        int64_t first_ts = 0;
        int64_t last_ts = 0;
        int64_t base_ts = 0;  // trailing check: gap measured from here (lastLeading or first_ts)
        Decision decision = Decision::pending;
    };
    enum class MissingKind : uint8_t { leading, intermediate, trailing };
    struct StageInfo {
        bool missing = false;
        uint32_t positive = 0;                         // positive stage index (positive stages)
        MissingKind kind = MissingKind::intermediate;  // (missing stages)
        uint32_t prev_positive = 0;                    // (intermediate) positive index before and after
        uint32_t next_positive = 0;
    };

    SequenceMatcher(SequenceSpec spec, Sink sink, Limits limits, bool);  // no validation (restore)
    void init_layout();

    // Time.
    void advance(int64_t now);
    void decide_deadlines();
    void sweep_expired();
    int64_t maxspan() const { return spec_.maxspan_ns.value_or(INT64_MAX); }

    // Hits.
    void on_positive(uint32_t positive, KeyView key, int64_t ts, uint64_t seq, EventHandle& handle,
                     const EventInfo& ev);
    void on_missing(uint32_t stage, KeyView key, int64_t ts);
    void on_until(KeyView key, uint64_t seq);
    EventHandle ensure_event(EventHandle& handle, const EventInfo& ev, uint64_t seq);

    // Keys.
    uint32_t create_key(KeyView key);
    void touch(uint32_t id);
    void erase_key(uint32_t id);
    void erase_key_if_empty(uint32_t id);
    void evict_oldest(uint64_t& counter);
    void enforce_limits();
    KeyAux& aux_of(uint32_t id);
    void prune_missing(KeyAux& x);

    // Partials.
    uint32_t slot(uint32_t id, uint32_t p) const;
    uint32_t& slot_ref(uint32_t id, uint32_t p);  // allocates the aux record and the group block for p >= 1
    void partial_events(uint32_t p, uint32_t value, std::vector<EventHandle>& out) const;
    uint32_t store_partial(uint32_t p, std::span<const EventHandle> events);  // takes the references
    void drop_partial(uint32_t p, uint32_t value, bool release);
    uint32_t allocate_group_block();
    bool has_partials(uint32_t id) const;

    // Candidates and output.
    void add_candidate(KeyView key, std::span<const EventHandle> events);  // takes the references
    void deliver(const Candidate& c);
    bool intermediate_ok(const KeyAux* x, const std::vector<EventHandle>& events) const;
    std::optional<int64_t> last_leading(const KeyAux* x, int64_t first_ts) const;
    void commit_new_candidates();
    void resolve_trailing(KeyView key, int64_t ts);
    void decide(uint64_t id, Decision d);
    void flush();
    uint64_t candidate_bytes(const Candidate& c) const;

    void update_stats();

    SequenceSpec spec_;
    Sink sink_;
    Limits limits_;
    SequenceStats stats_;
    std::vector<StageStats> stage_stats_;  // per stage
    uint64_t until_events_ = 0;

    // Layout derived from the spec.
    std::vector<StageInfo> stages_;
    std::vector<uint32_t> positive_stage_;  // positive index -> stage index
    uint32_t positives_ = 0;
    uint32_t groups_per_key_ = 0;  // positives - 1
    bool has_leading_ = false;
    bool has_trailing_ = false;
    bool has_missing_ = false;

    // Clock.
    uint64_t seq_ = 0;         // arrival number of the last event (first event: 1)
    int64_t now_ = INT64_MIN;  // event time: the highest timestamp seen
    uint64_t tick_ = 0;        // EventInfo::tick of the current event

    EventStore events_;

    KeyTable<KeyState> keys_;  // LRU order: least recently updated first
    std::vector<uint32_t> group_slots_;
    std::vector<uint32_t> free_group_blocks_;
    std::vector<Pool> pools_;  // pools_[p] for p >= 1: partials of p + 1 events
    std::vector<KeyAux> auxes_;
    std::vector<uint32_t> free_auxes_;
    uint64_t key_bytes_ = 0;  // aux records, group blocks, partial blocks, history (keys_.bytes(): the keys)
    uint64_t pending_partials_ = 0;

    std::deque<Candidate> out_;  // undelivered candidates, in output order; id = out_base_ + index
    uint64_t out_base_ = 0;
    uint64_t cand_bytes_ = 0;
    uint64_t undecided_ = 0;
    uint64_t rejected_in_queue_ = 0;  // decided against, waiting behind a pending one to be dropped
    std::vector<std::pair<int64_t, uint64_t>> deadlines_;  // min-heap of (deadline, candidate id), pending only
    std::unordered_map<std::string, std::vector<uint64_t>> waiters_;  // key -> pending ids (trailing terms)

    // Scratch, reused across events.
    std::vector<Candidate> new_candidates_;  // the first new_count_ are this event's candidates
    size_t new_count_ = 0;
    std::vector<uint32_t> maybe_empty_;
    std::vector<uint32_t> order_;
    std::vector<EventHandle> tmp_events_;
    std::vector<MatchEvent> match_events_;
};

}  // namespace eqlc::sequence
