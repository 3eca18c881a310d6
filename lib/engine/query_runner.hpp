// Runs queries over projected events, one event at a time: each query's filter programs, its join keys, and its
// sequence or sample state machine. The engine has one runner over all its queries; with read_ndjson's threads,
// each rule shard (engine/rule_shards.hpp) has one over its share, on its own thread.
//
// A runner owns only scratch space (a VM context, key buffers) and counters; the queries' state lives in the
// engine's QueryState list and is touched only by the runner that holds the query. Results go to the `deliver`
// function given at construction (and, for sequences and samples, to the matchers' sinks, which the engine set).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "engine/compiled_queries.hpp"
#include "engine/join_keys.hpp"
#include "engine/result_limiter.hpp"
#include "engine/rule_index.hpp"
#include "engine/value_mask.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/match.hpp"
#include "input/json_check.hpp"
#include "sequence/sample_matcher.hpp"
#include "sequence/sequence_matcher.hpp"
#include "values/field_catalog.hpp"
#include "vm/interpreter.hpp"

namespace eqlc::engine {

// One query of an engine: what was compiled (its entry in the engine's CompiledQueries: source, own timestamp
// field, value bits) and its run-time state.
struct QueryState {
    const QueryEntry& entry;
    const compiler::CompiledQuery& compiled;  // *entry.compiled, or an empty query when it did not compile
    ResultLimiter<Match> limiter;
    std::unique_ptr<sequence::SequenceMatcher> sequence;  // kind == sequence
    std::unique_ptr<sequence::SampleMatcher> sample;      // kind == sample

    // skip_invalid_queries: the query did not compile and never runs.
    bool disabled() const { return !entry.compiled; }
};

// Which queries an event is run through: samples do not depend on time order (Elasticsearch takes their
// documents in index order, i.e. arrival order), so with sort_input they see events as they arrive and the
// others see them sorted.
enum class Pass : uint8_t { all, samples_only, ordered_only };

// What running events counted (EngineStats' fields of the same names).
struct RunCounters {
    uint64_t evaluation_errors = 0;
    uint64_t query_events_without_timestamp = 0;
    uint64_t truncated_key_products = 0;
};

class QueryRunner {
public:
    using Deliver = std::function<void(size_t query, Match&&)>;

    // Runs the queries of `queries` whose indices are in `which` (ascending), in that order.
    // With a value mask, a term whose required values the event lacks is not run (engine/value_mask.hpp). With a
    // rule index, only the queries an event may match run (engine/rule_index.hpp), and sequences are woken by
    // their deadlines (see "Idle sequences" in query_runner.cpp); results are the same as without.
    QueryRunner(std::vector<QueryState>& queries, std::vector<size_t> which, const vm::FieldCatalog& catalog,
                Deliver deliver, const ValueMask* values = nullptr, const RuleIndex* index = nullptr);

    // With a rule index, idle sequences lag behind event time (nothing is due for them). sync_time() brings every
    // sequence of the runner to the time it would have without the index (before a snapshot, or before other code
    // runs the queries); resync() takes the matchers' state as it is (after a restore, or after other code ran
    // the queries).
    void sync_time();
    void resync();

    // `tick` and `text` are the engine's for the event (sequence::EventInfo): its clock, and the slot through which
    // the queries that keep the event share its text.
    // `verdict`, when runners on several threads run the same event: the event's JSON check, shared (0: not done
    // yet, 1: valid, 2: invalid), so that it is done once, not once per runner (see "Lazy validation").
    // `noted`, when the event's rule index candidates (RuleIndex::candidates, over the engine's whole index) and
    // value bits (ValueMask::of) were worked out already, once for every runner (engine/parallel_replay.cpp).
    // A candidate may also say that the term, an event query's filter, was evaluated on the event there (so that
    // the parsing threads take that work off the rule threads): kNotedHeld or kNotedFails beside its id.
    // It may also carry the event times of the queries with their own timestamp field (time_of() of each of
    // `time_slots`): `times` is empty, or a word whose bit k says that time_slots[k] gave a time, then one word per
    // slot, that time.
    struct Noted {
        std::span<const uint32_t> candidates;
        uint64_t values = 0;
        std::span<const vm::SlotId> time_slots;
        std::span<const uint64_t> times;
    };
    static constexpr uint32_t kNotedHeld = 1u << 31, kNotedFails = 1u << 30, kNotedTerm = kNotedFails - 1;
    // The event time a query with its own timestamp field `slot` (of type `type`) gives the event: the field's
    // first non-null value, as an instant; nullopt when there is none or it is no time.
    static std::optional<int64_t> time_of(const vm::EventRecord& event, vm::SlotId slot, vm::FieldType type);
    void process(const vm::EventRecord& event, Pass pass, uint64_t tick = 0, sequence::TextSlot* text = nullptr,
                 std::atomic<uint8_t>* verdict = nullptr, const Noted* noted = nullptr);

    // Why the event of the last process() call is not valid JSON, when some term matched it and the full check
    // found a problem (see "Lazy validation" in query_runner.cpp); nullopt otherwise (also when another runner
    // found it through the shared verdict: that runner reports it).
    const std::optional<input::JsonProblem>& invalid() const { return invalid_; }

    const std::vector<size_t>& queries() const { return which_; }
    // The counts since the last call, and resets them.
    RunCounters take_counters();

private:
    void run_event_query(size_t q, QueryState& state, const vm::EventRecord& event, int64_t ts);
    void run_sequence(size_t q, QueryState& state, const vm::EventRecord& event, int64_t ts);
    void run_sample(size_t q, QueryState& state, const vm::EventRecord& event, int64_t ts);
    // The term's keys when it holds (into hit_keys_); `id` is its rule index term id.
    size_t term_keys(const compiler::CompiledTerm& term, uint64_t value_bits, const vm::EventRecord& event,
                     uint32_t id);
    // Whether a term that needs these value bits may hold for the current event.
    bool may_hold(uint64_t value_bits) const { return (value_bits & event_values_) == value_bits; }
    // The event's time in another field than the order field, read once per event and field (rules often share
    // one, e.g. event.ingested).
    std::optional<int64_t> own_timestamp(const vm::EventRecord& event, vm::SlotId slot);
    void take_noted_times(const Noted& noted);
    // Whether the current event, which a term matched, may go into a result: checked once per event.
    bool admit(const vm::EventRecord& event);

    std::vector<QueryState>& queries_;
    std::vector<size_t> which_;
    const vm::FieldCatalog& catalog_;
    Deliver deliver_;
    RunCounters counters_;
    uint64_t truncated_taken_ = 0;  // key_builder_.truncated() at the last take_counters()

    // The rule index (null: every query runs on every event).
    void process_indexed(const vm::EventRecord& event, Pass pass, const Noted* noted);
    void run_query(size_t q, QueryState& state, const vm::EventRecord& event, bool is_sample,
                   std::optional<int64_t> ts);
    // Whether the rule index lets the term run on the current event (always, without an index).
    bool candidate(uint32_t id) const { return !index_ || index_->always(id) || term_epoch_[id] == epoch_; }
    bool may_run(size_t q, size_t term) const { return candidate(term_id(q, term)); }
    uint32_t term_id(size_t q, size_t term) const { return index_ ? index_->term_id(q, term) : 0; }
    uint32_t until_id(size_t q) const { return index_ ? index_->until_id(q) : 0; }
    void schedule(size_t q);
    const RuleIndex* index_ = nullptr;
    RuleIndex::Scratch index_scratch_;
    std::vector<uint32_t> hits_;         // the rule index lists of the current event (RuleIndex::candidate_lists)
    std::vector<uint32_t> term_epoch_;   // per term: == epoch_ when it is a candidate for the current event
    std::vector<uint32_t> held_epoch_;   // per term: == epoch_ when it was noted as holding on the current event
    std::vector<uint64_t> term_bits_;    // per term: its value bits (QueryEntry::value_bits)
    std::vector<uint32_t> query_epoch_;  // per query: == epoch_ when it runs on the current event
    uint32_t epoch_ = 0;
    std::vector<uint8_t> mine_;    // per query: in which_
    std::vector<uint8_t> sample_;  // per query: a sample query
    std::vector<size_t> touched_;  // the queries to run on the current event
    std::vector<size_t> always_;   // the queries of which_ with an always-run term
    // Where a query takes its event time from (QuerySource::timestamp_field): the order field, or its own field
    // with or without the order field's time as fallback. Each has the clock of the sequences that use it.
    struct TimeSource {
        std::optional<vm::SlotId> own;
        bool fallback = false;
        int64_t clock = INT64_MIN;     // the latest event time seen
        int64_t previous = INT64_MIN;  // the clock before the current event
        std::vector<size_t> queries;   // the non-sample queries of which_ that use it
        // (wakeup, query), a min-heap; entries whose time is no longer the query's wake_ are stale.
        std::vector<std::pair<int64_t, size_t>> wakeups;
    };
    std::vector<TimeSource> sources_;
    std::vector<uint32_t> source_of_;                  // per query
    std::vector<int64_t> wake_;                        // per sequence query: its matcher's wakeup() when last scheduled
    std::vector<uint8_t> scheduled_;                   // per sequence query: wake_ is in its source's heap
    std::vector<std::optional<int64_t>> event_times_;  // per source, for the current event

    const ValueMask* value_mask_;
    uint64_t event_values_ = 0;  // the current event's value bits
    uint64_t tick_ = 0;          // the current event's (process())
    sequence::TextSlot* text_ = nullptr;

    vm::VmContext vm_;
    JoinKeyBuilder key_builder_;
    std::vector<sequence::StageHit> stage_hits_;
    std::vector<sequence::SampleHit> sample_hits_;
    text::ReusedStrings hit_keys_;                     // owns the bytes the hits point to, for one event
    std::vector<std::pair<uint32_t, size_t>> counts_;  // (stage, number of keys), in hit_keys_ order, for one event
    std::vector<std::pair<vm::SlotId, std::optional<int64_t>>> own_timestamps_;  // for one event
    enum class Checked : uint8_t { no, valid, invalid };
    input::JsonChecker checker_;                 // for the events a term matches
    Checked checked_ = Checked::no;              // the current event's full JSON check
    std::atomic<uint8_t>* verdict_ = nullptr;    // shared with other runners (process())
    std::optional<input::JsonProblem> invalid_;  // its problem, when invalid
};

}  // namespace eqlc::engine
