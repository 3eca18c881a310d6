// Engine::Impl, the engine's private state, shared by the files that do its work: admission.cpp (events in,
// in order), delivery.cpp (matches and reports out), state_budget.cpp (the engine-wide state budget),
// parallel_replay.cpp (read_ndjson on several threads), engine_snapshot.cpp, and engine.cpp (the public methods).
#pragma once

#include <optional>
#include <unordered_set>

#include "eqlc/engine.hpp"

#include "api/options.hpp"
#include "compiler/compiled_query.hpp"
#include "engine/compiled_queries.hpp"
#include "engine/event_order.hpp"
#include "engine/join_keys.hpp"
#include "engine/prefilter_memo.hpp"
#include "engine/query_runner.hpp"
#include "engine/result_limiter.hpp"
#include "engine/rule_shards.hpp"
#include "input/ndjson_reader.hpp"
#include "input/parallel_reader.hpp"
#include "sequence/sample_matcher.hpp"
#include "sequence/sequence_matcher.hpp"
#include "values/timestamp.hpp"

namespace eqlc {

struct Engine::Impl {
    explicit Impl(std::shared_ptr<const CompiledQueries> set)
        : compiled(std::move(set)),
          catalog(detail::Internals::impl(*compiled).catalog),
          plan(*detail::Internals::impl(*compiled).plan) {}

    using QueryState = engine::QueryState;

    EngineOptions options;
    std::shared_ptr<const CompiledQueries> compiled;  // the queries, the catalog, the projection, the prefilter
    const vm::FieldCatalog& catalog;
    const input::ProjectionPlan& plan;
    sequence::TextPool texts;  // kept events' text, shared by every query's matcher (outlives them)
    std::vector<QueryState> queries;
    sequence::TextSlot slot;  // the text of the event being run, on the engine's thread

    vm::EventRecord record;
    input::RecordBuilder builder;
    // push_json / push_ndjson: the reader over the pushed text, and the padded copy of that text it reads.
    std::unique_ptr<input::NdjsonReader> push_reader;
    std::string push_text;
    std::string built_text;                             // push(EventBuilder): the event written as JSON
    std::unique_ptr<input::LineScanner> built_scanner;  // push(EventBuilder): the line prefilter
    // push(EventBuilder): per field number of the builders pushed, the name it stood for last and the slot the
    // projection gives it, so that a field is looked up in the plan once and not at every push; a number found
    // under another name (another builder's, or a renumbered one) is looked up again.
    struct BuiltField {
        std::string name;
        vm::SlotId slot = input::ProjectionPlan::kNoSlot;
        bool needles = false;  // a field the line prefilter's needles come from
        uint64_t naming = 0;   // the builder naming (EventBuilder::Naming) it was last checked for; 0: never
    };
    std::vector<BuiltField> built_fields;
    // The builder naming whose numbers below built_known all have their BuiltField, and which of those numbers are
    // needle fields: what the prefilter reads of a built event, without a look at its other fields.
    uint64_t built_naming = 0;
    size_t built_known = 0;
    std::vector<uint32_t> built_needle_fields;
    std::vector<std::string_view> built_pieces;  // its needle fields' values, each followed by '"', in the builder
    std::string built_values;          // its needle fields' values, each followed by '"': what the prefilter reads
    engine::PrefilterMemo built_memo;  // the prefilter's answers for recent built_values

    MatchHandler match_handler;
    BadInputHandler bad_input_handler;
    StateLimitHandler state_limit_handler;
    EngineStats stats;
    uint64_t next_ordinal = 0;
    std::optional<engine::OrderKey> last_key;

    engine::SortBuffer sort_buffer;                  // used when options.sort_input
    std::unique_ptr<engine::ReorderBuffer> reorder;  // used when options.reorder_window_ns
    bool finished = false;
    bool has_samples = false;
    input::TimestampError last_timestamp_error = input::TimestampError::None;  // of the last event without time

    sequence::Limits limits;  // per query

    // State checks (see state_budget.cpp).
    uint64_t ticks = 0;           // events run (process() calls): the recency of keys
    uint32_t check_every = 1024;  // EngineOptions::state_check_events
    uint64_t checked_epoch = 0;   // (ordinal + ordinal_offset) / check_every at the last check
    uint64_t ordinal_offset = 0;  // run_sorted numbers events again from 0: keeps the check clock going forward
    std::vector<uint8_t> warned;  // per query: its first eviction was reported

    static uint64_t evictable(const QueryState& q);
    static std::optional<uint64_t> oldest_tick(const QueryState& q);
    // Only where no matcher runs: on the engine's thread, between batches' parts.
    void check_state();
    void enforce_budget();
    void report_evictions();

    // Results and reports (delivery.cpp).
    sequence::SequenceMatcher::Sink sequence_sink(size_t q);
    sequence::SampleMatcher::Sink sample_sink(size_t q);
    void report_bad(BadInput bad);
    void deliver(size_t query, Match&& match);

    std::unique_ptr<engine::QueryRunner> runner;  // all the queries, on the engine's thread
    // While read_parallel splits the queries among threads: the shards, which take every result (deliver).
    engine::RuleShards* collecting = nullptr;

    // What the sequential engine would do, event by event, while a batch is prepared for the rule shards (see
    // read_parallel): the reports, the events to run and the progress calls, in order. Run and handed out after
    // the shards ran the batch.
    struct Step {
        enum class Kind : uint8_t { report, entry, progress };
        Kind kind;
        size_t index;  // in reports, entries or progress_calls
    };
    struct Deferred {
        bool active = false;
        uint32_t event = 0;  // the batch event being accepted
        std::vector<Step> steps;
        std::vector<BadInput> reports;
        std::vector<engine::RuleShards::Entry> entries;
        std::vector<size_t> checkpoints;  // check_state() after entries [0, checkpoint)
        std::vector<std::pair<uint64_t, uint64_t>> progress_calls;
        void clear() {
            steps.clear();
            reports.clear();
            entries.clear();
            checkpoints.clear();
            progress_calls.clear();
        }
    } deferred;

    using Pass = engine::Pass;

    // Admission (admission.cpp).
    void add(const engine::RunCounters& c);
    void process(const vm::EventRecord& event, Pass pass = Pass::all);
    std::unordered_set<uint64_t> invalid_ids;  // the events reported by invalid_event (arrival ordinals)
    void invalid_event(std::string_view origin, uint64_t line, std::string_view source, bool has_timestamp, uint64_t id,
                       const input::JsonProblem& problem);
    static std::string timestamp_problem(input::TimestampError why);
    std::string no_timestamp_message(input::TimestampError why) const;
    bool accept(vm::EventRecord& event, std::string_view origin, uint64_t line, input::TimestampError why);
    bool stop_after(bool accepted, const ReadOptions& read, const std::string& name, uint64_t line,
                    std::optional<Diagnostic>& failure);
    void run_sorted();

    // read_ndjson with threads > 1 (parallel_replay.cpp).
    bool read_parallel(const std::string& path, const ReadOptions& read, const input::ReaderOptions& reader_options,
                       Diagnostic* error);
    size_t valid_queries() const;
    static constexpr size_t kPrefetchAhead = 4;  // read_parallel prefetches the strings of the event this far ahead
    void run_shards(engine::RuleShards& shards, const input::ReadBatch& batch, const ReadOptions& read,
                    std::string_view reader_name);
    void replay(engine::RuleShards& shards, const Step& step, const ReadOptions& read, const input::ReadBatch& batch,
                std::string_view reader_name);
};

}  // namespace eqlc
