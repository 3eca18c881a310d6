// The sample runtime: Elasticsearch's `sample by ...` (SEMANTICS §9), streaming, in bounded memory.
//
// Samples are unordered and key-grouped: for every key, distinct documents, one per filter, in filter order.
// Elasticsearch finds the keys with a composite aggregation, then for each key queries each filter for up to
// `filters + max_samples_per_key - 1` documents (unsorted: index order) and picks samples by backtracking.
// Here, per key and filter, the first that many matching events in arrival order are kept (arrival order
// plays the part of index order), and at finish() the samples are built by the same backtracking and
// delivered in ascending key order (compare_keys: nulls first, strings by bytes, numbers numerically),
// at most `size` in total.
//
//   SampleMatcher m(spec, [&](const SampleMatch& s) { ... });
//   for each event: m.on_event(EventInfo{...}, hits);   // hits: (filter, key) pairs the engine computed
//   m.finish();
//
// The engine skips an event for a filter when a non-optional key is null or missing, and expands
// multi-valued keys into one hit per combination. Duplicate (filter, key) pairs within one event count once.
// A document that matches several filters may fill several of them, but is used at most once per sample.
//
// Memory: bounded per key by the per-filter cap; keys are bounded by Limits (least recently created first)
// and, when `size` is set, keys that sort after `size` keys that already have a sample are dropped, since
// they cannot be part of the answer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sequence/event_store.hpp"
#include "sequence/key.hpp"
#include "sequence/key_table.hpp"
#include "sequence/limits.hpp"
#include "sequence/sequence_matcher.hpp"  // MatchEvent

namespace eqlc::sequence {

struct SampleSpec {
    uint32_t filters = 2;
    uint32_t max_samples_per_key = 1;  // request setting, default 1
    std::optional<uint64_t> size;      // request size: total samples (nullopt: unlimited)
};

std::string validate(const SampleSpec& spec);

struct SampleHit {
    uint32_t filter = 0;
    KeyView key;  // encode_key() of the shared keys followed by the filter's keys
};

struct SampleMatch {
    KeyView key;
    std::span<const MatchEvent> events;  // one per filter, in filter order
};

struct SampleStats {
    uint64_t events = 0;
    uint64_t hits = 0;               // after de-duplication
    uint64_t ignored_hits = 0;       // the filter of that key already had its documents, or the key cannot be output
    uint64_t samples = 0;            // delivered
    uint64_t dropped_keys_size = 0;  // keys dropped because `size` samples sort before them
    uint64_t evicted_keys_max_keys = 0;
    uint64_t evicted_keys_bytes = 0;
    uint64_t evicted_keys_budget = 0;  // evicted by the engine-wide budget (evict_for_budget)
    // Current state.
    uint64_t keys = 0;
    uint64_t kept_events = 0;
    uint64_t state_bytes = 0;  // everything, the kept events' text counted in full
    uint64_t text_bytes = 0;   // the kept events' text in state_bytes
};

class SampleMatcher {
public:
    using Sink = std::function<void(const SampleMatch&)>;

    SampleMatcher(SampleSpec spec, Sink sink, Limits limits = {});

    void on_event(const EventInfo& event, std::span<const SampleHit> hits);
    // Builds and delivers the samples, then drops all state.
    void finish();

    const SampleStats& stats() const { return stats_; }
    // Per filter: events that passed it, documents kept and lost; completed: samples delivered.
    QueryStages stage_stats() const;
    const SampleSpec& spec() const { return spec_; }

    // As SequenceMatcher's: `texts` is the engine's table of shared texts.
    std::string snapshot(SnapshotTextWriter* texts = nullptr) const;
    static std::optional<SampleMatcher> restore(std::string_view bytes, Sink sink, std::string* error = nullptr,
                                                std::optional<Limits> limits = std::nullopt,
                                                const SnapshotTextReader* texts = nullptr);

    // As SequenceMatcher's (keys are in creation order: a sample key is never "updated" in the LRU sense).
    void share_texts(TextPool* pool) { events_.share_texts(pool); }
    uint64_t evictable_bytes_without_text() const {
        return events_.held_bytes() - events_.held_text_bytes() + keys_.bytes() + key_bytes_;
    }
    std::optional<uint64_t> oldest_key_tick() const {
        return keys_.oldest() == kNone ? std::nullopt : std::optional(keys_[keys_.oldest()].tick);
    }
    void evict_for_budget();

private:
    static constexpr uint32_t kNone = UINT32_MAX;

    struct KeyState {  // an entry of keys_ (which manages key and the LRU links)
        std::string key;
        std::vector<std::vector<EventHandle>> docs;  // per filter, arrival order, at most per_filter_cap_
        uint64_t tick = 0;                           // EventInfo::tick of the event that created it
        uint32_t lru_prev = kNone;
        uint32_t lru_next = kNone;
        bool has_sample = false;
    };

    SampleMatcher(SampleSpec spec, Sink sink, Limits limits, bool);
    uint32_t create_key(KeyView key);
    void erase_key(uint32_t id);
    void evict_oldest(uint64_t& counter);
    uint64_t docs_bytes(const KeyState& k) const;
    bool beyond_threshold(KeyView key) const;
    void note_sample(uint32_t id);
    // Depth-first search over the filters, documents in arrival order, distinct documents: appends up to `max`
    // samples (each `filters` handles) to `out`.
    void samples_of(const KeyState& k, uint32_t max, std::vector<EventHandle>& out) const;
    void update_stats();

    SampleSpec spec_;
    Sink sink_;
    Limits limits_;
    SampleStats stats_;
    std::vector<StageStats> stage_stats_;  // per filter
    uint32_t per_filter_cap_ = 0;
    uint64_t seq_ = 0;
    uint64_t tick_ = 0;  // EventInfo::tick of the current event

    EventStore events_;
    KeyTable<KeyState> keys_;  // oldest key first
    uint64_t key_bytes_ = 0;   // the keys' document lists (keys_.bytes(): the keys)
    // With `size`: the smallest `size` keys that have a sample; a key after the largest of them (when there are
    // `size`) cannot be output.
    std::set<std::string, KeyLess> sampled_;

    std::vector<uint32_t> order_;
    std::vector<MatchEvent> match_events_;
};

}  // namespace eqlc::sequence
