// The engine: per event, project once through the shared catalog, run every query's programs, and hand the
// results to each query's result stream (ordered, cut by head/tail/size).
//
// Sequence and sample state: one memory budget for the whole engine (EngineOptions::max_state_bytes).
//
// * Kept events are shared. Every matcher keeps its own small entries (handles, times, reference counts), but
//   the text of an event, by far the largest part, is a SharedText made once per event and referenced by every
//   matcher that keeps it (sequence/shared_text.hpp): through a TextSlot per event (Impl::slot, or one per
//   batch entry in the rule shards), the first matcher that keeps the event makes the text and the others
//   take references. Counts are atomic, the slot is published by compare-and-swap, so matchers on different
//   shard threads share texts safely. What the budget counts: every query's evictable state without text
//   (keys, partials, history, entries) plus each held text once (TextPool::held_bytes).
// * The budget is enforced at deterministic points of the event stream: before running the first event whose
//   ordinal (its place in the input, lines the prefilter skipped included) reaches the next multiple of
//   state_check_events, check_state() runs on the engine's thread while no matcher runs. The
//   decision is taken on the engine's thread in process(), also while it prepares a batch for the rule shards,
//   which then run the batch in parts that end at these points. Over budget, it evicts the engine's least
//   recently used keys across all queries: the key whose last update has the smallest tick (EventInfo::tick:
//   `ticks` counts process() calls, so ticks follow the order in which events were run), ties by query index,
//   until the state fits. Each query's state depends only on the events it ran and on these evictions, the
//   checkpoints fall on the same events, and the shared counters are read when every shard is idle, so results,
//   stats and evictions are the same with push, read_ndjson and any number of threads. (One caveat: a line the
//   prefilter skips is not run, while the same event pushed is run and moves the sequences' clocks, which can
//   drop expired state earlier; with the prefilter off, or without skipped lines, push gives the same figures.)
// * The per-query limits (max_keys, max_query_state_bytes) act inside each matcher at once, as before.
// * Completed matches are never evicted: a match waiting for its turn or for a missing-event decision pins its
//   events, which the budget does not count as evictable (they are bounded by maxspan).
// * check_state() also reports, once per query, the first eviction (on_state_limit), at the same points.
#include "eqlc/engine.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "api/options.hpp"
#include "compiler/compiled_query.hpp"
#include "engine/compiled_queries.hpp"
#include "engine/event_order.hpp"
#include "engine/join_keys.hpp"
#include "input/parallel_reader.hpp"
#include "engine/query_runner.hpp"
#include "engine/result_limiter.hpp"
#include "engine/rule_shards.hpp"
#include "input/json_projection.hpp"
#include "input/ndjson_reader.hpp"
#include "values/timestamp.hpp"
#include "sequence/key.hpp"
#include "sequence/sample_matcher.hpp"
#include "sequence/sequence_matcher.hpp"
#include "vm/interpreter.hpp"

namespace eqlc {

// ---------------------------------------------------------------------------------------------------------
// Engine

namespace {

using engine::QueryState;

// The join key values as Elasticsearch returns them. A date key is an instant internally (nanoseconds); a
// sequence returns the field's value as formatted by its date format (ISO-8601 with milliseconds, the default),
// a sample the composite aggregation's epoch milliseconds.
nlohmann::json key_to_json(sequence::KeyView key, const compiler::CompiledTerm& term, MatchKind kind) {
    nlohmann::json out = nlohmann::json::array();
    const auto values = sequence::decode_key(key);
    for (size_t i = 0; i < values.size(); ++i) {
        const vm::Value& v = values[i];
        const bool date = i < term.keys.size() && term.keys[i].type == vm::FieldType::date;
        switch (v.type) {
            case vm::ValueType::null: out.push_back(nullptr); break;
            case vm::ValueType::boolean: out.push_back(v.boolean); break;
            case vm::ValueType::integer:
                if (date && kind == MatchKind::sequence) {
                    out.push_back(input::format_iso8601(v.integer));
                } else if (date) {
                    out.push_back(v.integer / 1'000'000);
                } else {
                    out.push_back(v.integer);
                }
                break;
            case vm::ValueType::floating: out.push_back(v.floating); break;
            case vm::ValueType::string: out.push_back(std::string(v.str())); break;
        }
    }
    return out;
}

Match to_match(size_t query, MatchKind kind, sequence::KeyView key, std::span<const sequence::MatchEvent> events,
               const compiler::CompiledTerm& first_term) {
    Match match;
    match.query = query;
    match.kind = kind;
    match.join_keys = key_to_json(key, first_term, kind);
    match.events.reserve(events.size());
    for (const auto& e : events)
        match.events.push_back(MatchedEvent{e.missing, std::string(e.source), e.timestamp_ns, e.ordinal});
    return match;
}

}  // namespace

struct Engine::Impl {
    explicit Impl(std::shared_ptr<const CompiledQueries> set)
        : compiled(std::move(set)), catalog(compiled->impl().catalog), plan(*compiled->impl().plan) {}

    EngineOptions options;
    std::shared_ptr<const CompiledQueries> compiled;  // the queries, the catalog, the projection, the prefilter
    const vm::FieldCatalog& catalog;
    const input::ProjectionPlan& plan;
    sequence::TextPool texts;  // kept events' text, shared by every query's matcher (outlives them)
    std::vector<QueryState> queries;
    sequence::TextSlot slot;  // the text of the event being run, on the engine's thread

    vm::EventRecord record;
    input::RecordBuilder builder;

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

    // State checks (see the top of this file).
    uint64_t ticks = 0;           // events run (process() calls): the recency of keys
    uint32_t check_every = 1024;  // EngineOptions::state_check_events
    uint64_t checked_epoch = 0;   // (ordinal + ordinal_offset) / check_every at the last check
    uint64_t ordinal_offset = 0;  // run_sorted numbers events again from 0: keeps the check clock going forward
    std::vector<uint8_t> warned;  // per query: its first eviction was reported

    static uint64_t evictable(const QueryState& q) {
        if (q.sequence) return q.sequence->evictable_bytes_without_text();
        if (q.sample) return q.sample->evictable_bytes_without_text();
        return 0;
    }
    static std::optional<uint64_t> oldest_tick(const QueryState& q) {
        if (q.sequence) return q.sequence->oldest_key_tick();
        if (q.sample) return q.sample->oldest_key_tick();
        return std::nullopt;
    }

    // Only where no matcher runs: on the engine's thread, between batches' parts.
    void check_state() {
        enforce_budget();
        report_evictions();
    }

    void enforce_budget() {
        uint64_t own = 0;
        for (const QueryState& q : queries) own += evictable(q);
        while (own + texts.held_bytes() > options.max_state_bytes) {
            // The engine's least recently used key: the smallest tick, ties by query index.
            size_t victim = queries.size();
            uint64_t victim_tick = 0;
            for (size_t q = 0; q < queries.size(); ++q) {
                const std::optional<uint64_t> tick = oldest_tick(queries[q]);
                if (tick && (victim == queries.size() || *tick < victim_tick)) {
                    victim = q;
                    victim_tick = *tick;
                }
            }
            if (victim == queries.size()) break;  // no key left: what remains are matches, never evicted
            QueryState& q = queries[victim];
            own -= evictable(q);
            if (q.sequence) q.sequence->evict_for_budget();
            if (q.sample) q.sample->evict_for_budget();
            own += evictable(q);
        }
    }

    void report_evictions() {
        for (size_t q = 0; q < queries.size(); ++q) {
            if (warned[q]) continue;
            uint64_t keys = 0, query_bytes = 0, budget = 0;
            auto read = [&](const auto& counts) {
                keys = counts.evicted_keys_max_keys;
                query_bytes = counts.evicted_keys_bytes;
                budget = counts.evicted_keys_budget;
            };
            if (queries[q].sequence) read(queries[q].sequence->stats());
            if (queries[q].sample) read(queries[q].sample->stats());
            if (keys + query_bytes + budget == 0) continue;
            warned[q] = 1;
            const StateLimit limit = budget        ? StateLimit::max_state_bytes
                                     : query_bytes ? StateLimit::max_query_state_bytes
                                                   : StateLimit::max_keys;
            if (state_limit_handler) state_limit_handler(StateLimitReached{q, limit});
        }
    }

    sequence::SequenceMatcher::Sink sequence_sink(size_t q) {
        return [this, q](const sequence::SequenceMatch& m) {
            queries[q].limiter.add(to_match(q, MatchKind::sequence, m.key, m.events, queries[q].compiled.terms.front()),
                                   [this, q](Match&& match) { deliver(q, std::move(match)); });
        };
    }
    sequence::SampleMatcher::Sink sample_sink(size_t q) {
        return [this, q](const sequence::SampleMatch& m) {
            queries[q].limiter.add(to_match(q, MatchKind::sample, m.key, m.events, queries[q].compiled.terms.front()),
                                   [this, q](Match&& match) { deliver(q, std::move(match)); });
        };
    }

    void report_bad(BadInput bad) {
        if (deferred.active) {
            deferred.steps.push_back(Step{Step::Kind::report, deferred.reports.size()});
            deferred.reports.push_back(std::move(bad));
            return;
        }
        if (bad_input_handler) bad_input_handler(bad);
    }

    // Where every result goes (event queries through the runners, sequences and samples through their sinks).
    void deliver(size_t query, Match&& match) {
        if (collecting) {
            collecting->collect(query, std::move(match));
            return;
        }
        ++stats.matches[query];
        if (match_handler) match_handler(match);
    }

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

    void add(const engine::RunCounters& c) {
        stats.evaluation_errors += c.evaluation_errors;
        stats.query_events_without_timestamp += c.query_events_without_timestamp;
        stats.truncated_key_products += c.truncated_key_products;
    }

    // One event, projected: run the queries of `pass` (or, while a batch is prepared for the shards, note it).
    void process(const vm::EventRecord& event, Pass pass = Pass::all) {
        const uint64_t epoch = (event.ordinal + ordinal_offset) / check_every;
        const bool check = epoch > checked_epoch;
        if (check) checked_epoch = epoch;
        const uint64_t tick = ++ticks;
        if (deferred.active) {
            if (check) deferred.checkpoints.push_back(deferred.entries.size());
            deferred.steps.push_back(Step{Step::Kind::entry, deferred.entries.size()});
            deferred.entries.push_back(engine::RuleShards::Entry{deferred.event, pass, event.ordinal, tick});
            return;
        }
        if (check) check_state();
        runner->process(event, pass, tick, &slot);
        slot.reset();
        add(runner->take_counters());
        if (const auto& problem = runner->invalid())
            invalid_event(event.origin, event.line, event.source, event.has_timestamp, event.ordinal, *problem);
    }

    // An event that a query matched but that is not valid JSON (QueryRunner's lazy validation): no query used
    // it; it is reported once as a bad line and not counted as an event. `id` is its arrival ordinal: with
    // --sort or a reorder window, samples see it on arrival and the other queries later.
    std::unordered_set<uint64_t> invalid_ids;
    void invalid_event(std::string_view origin, uint64_t line, std::string_view source, bool has_timestamp, uint64_t id,
                       const input::JsonProblem& problem) {
        if (!invalid_ids.insert(id).second) return;
        ++stats.bad_lines;
        if (has_timestamp && stats.events > 0) --stats.events;
        report_bad(BadInput{std::string(origin), line,
                            problem.message + " (column " + std::to_string(problem.offset + 1) +
                                "); the event matched a query but is left out of every result",
                            std::string(source.substr(0, 200))});
    }

    static std::string timestamp_problem(input::TimestampError why) {
        if (why == input::TimestampError::Empty || why == input::TimestampError::None) return "missing, null or empty";
        return input::describe(why);
    }

    std::string no_timestamp_message(input::TimestampError why) const {
        return "event has no usable timestamp in field [" + options.query.timestamp_field + "] (" +
               timestamp_problem(why) + "); " + (has_samples ? "used only by sample queries" : "skipped");
    }

    // Common entry for every event source: checks the timestamp and the order, then runs or buffers it. False
    // when the event has no usable timestamp (reported; what strict reading stops at).
    bool accept(vm::EventRecord& event, std::string_view origin, uint64_t line, input::TimestampError why) {
        event.ordinal = next_ordinal++;
        if (!event.has_timestamp) {
            // Event queries and sequences order events by time; samples do not need it (SEMANTICS §9).
            ++stats.events_without_timestamp;
            last_timestamp_error = why;
            report_bad(BadInput{std::string(origin), line, no_timestamp_message(why),
                                std::string(event.source.substr(0, 200))});
            if (has_samples) process(event, Pass::samples_only);
            return false;
        }
        ++stats.events;
        const engine::OrderKey key = engine::order_key(event, plan.tiebreaker_slot());
        if (options.sort_input) {
            if (has_samples) process(event, Pass::samples_only);
            sort_buffer.add(key, event.source, origin, line);
            return true;
        }
        if (last_key && engine::before(key, *last_key)) ++stats.out_of_order;
        last_key = key;
        if (reorder) {
            if (reorder->late(key)) {
                ++stats.late_events;
                report_bad(BadInput{std::string(origin), line,
                                    "event arrived after later events had already been run (beyond the reorder "
                                    "window); run out of order",
                                    std::string(event.source.substr(0, 200))});
                process(event);
                return true;
            }
            if (has_samples) process(event, Pass::samples_only);
            reorder->add(event, key);
            reorder->release(false, [&](const vm::EventRecord& e) { process(e, Pass::ordered_only); });
            return true;
        }
        process(event);
        return true;
    }

    // After an event of read_ndjson: whether reading stops there (the caller's stop flag, or strict reading and an
    // event without a usable timestamp, which sets `failure`).
    bool stop_after(bool accepted, const ReadOptions& read, const std::string& name, uint64_t line,
                    std::optional<Diagnostic>& failure) {
        if (!accepted && read.strict) {
            Diagnostic d;
            d.phase = Phase::input;
            d.message =
                input::NdjsonReader::strict_stop_message(name, line, no_timestamp_message(last_timestamp_error));
            d.span.begin.line = d.span.end.line =
                static_cast<uint32_t>(std::min<uint64_t>(line, std::numeric_limits<uint32_t>::max()));
            failure = std::move(d);
            return true;
        }
        return read.stop && read.stop->load(std::memory_order_relaxed);
    }

    // read_ndjson with threads > 1: the same calls in the same order as the sequential loop in read_ndjson,
    // from batches parsed on other threads (input/parallel_reader.hpp).
    bool read_parallel(const std::string& path, const ReadOptions& read, const input::ReaderOptions& reader_options,
                       Diagnostic* error) {
        auto opened = engine::ParallelReader::open(path, plan, read.threads, reader_options, read.map_files);
        if (!opened) {
            if (error) *error = opened.error;
            return false;
        }
        engine::ParallelReader& reader = *opened.reader;
        // The sequential loop reports, before each event, the bad lines read since the event before it, at most
        // max_kept_errors of them (the reader keeps no more between two take_errors()).
        std::vector<BadInput> held;
        size_t since_event = 0;
        auto hold = [&](const input::BadLine& bad) {
            if (since_event++ < reader_options.max_kept_errors)
                held.push_back(BadInput{bad.origin, bad.line, bad.diagnostic.message, bad.excerpt});
        };
        auto drain = [&] {
            for (auto& bad : held) report_bad(std::move(bad));
            held.clear();
            since_event = 0;
        };
        // Routing by rule: with several queries, they are split among `threads` shards that run on threads of
        // their own (engine/rule_shards.hpp). Not with a reorder window, whose held events outlive the batches.
        std::unique_ptr<engine::RuleShards> shards;
        if (!reorder && valid_queries() > 1)
            shards = std::make_unique<engine::RuleShards>(
                queries, catalog, read.threads, [this](size_t q, Match&& m) { deliver(q, std::move(m)); },
                &compiled->impl().value_mask);
        stats.query_threads = shards ? static_cast<uint32_t>(shards->size()) : 1;
        struct Reset {  // leaves the engine sequential again, also when a handler or a shard throws
            Impl& impl;
            ~Reset() {
                impl.deferred.active = false;
                impl.deferred.clear();
                impl.collecting = nullptr;
            }
        } reset{*this};
        auto progress = [&](uint64_t bytes, uint64_t count) {
            if (!deferred.active) return read.progress(bytes, count);
            deferred.steps.push_back(Step{Step::Kind::progress, deferred.progress_calls.size()});
            deferred.progress_calls.emplace_back(bytes, count);
        };

        const uint64_t bytes_before = stats.bytes;
        engine::ReadBatch::Loaded loaded;  // `record` gets its events from load() alone in this loop
        uint64_t events = 0;
        uint64_t skipped = 0;       // lines the line filter skipped before the last event
        uint64_t skipped_base = 0;  // ... in the batches before this one
        uint64_t progress_at = 0;   // events (run or skipped) at the last progress call
        std::optional<Diagnostic> failure;
        bool stopped = false;  // stop_after() said so: the rest of the input is not read
        uint64_t bad_lines_before_stop = 0;
        while (const engine::ReadBatch* batch = reader.next()) {
            deferred.active = shards != nullptr;
            const auto& bad = batch->bad();
            size_t b = 0;
            for (size_t i = 0; i < batch->events() && !stopped; ++i) {
                while (b < bad.size() && bad[b].events_before <= i) hold(bad[b++].line);
                // Skipped lines take their places in arrival order, as if they had been run.
                next_ordinal += skipped_base + batch->skipped_before(i) - skipped;
                skipped = skipped_base + batch->skipped_before(i);
                batch->load(i, record, loaded);
                deferred.event = static_cast<uint32_t>(i);
                drain();  // the bad lines before this event are reported before it (in line order)
                const bool accepted = accept(record, reader.name(), record.line, batch->timestamp_error(i));
                ++events;
                stopped = stop_after(accepted, read, reader.name(), record.line, failure);
                if (read.progress && events + skipped >= progress_at + 0x10000) {
                    progress_at = events + skipped;
                    progress(batch->input_bytes(), progress_at);
                }
            }
            if (stopped) {
                bad_lines_before_stop = reader.bad_lines() - batch->bad_lines() + b;
            } else {
                while (b < bad.size()) hold(bad[b++].line);
                skipped_base += batch->skipped();
                if (batch->failure()) failure = batch->failure();
            }
            if (shards) run_shards(*shards, *batch, read, reader.name());
            if (stopped) break;
        }
        drain();
        if (stopped) {
            if (read.progress) read.progress(reader.input_bytes(), events + skipped);
            stats.skipped_events += skipped;
            stats.bad_lines += bad_lines_before_stop;
            stats.bytes = bytes_before + reader.bytes();
            if (failure && error) *error = *failure;
            return !failure;
        }
        if (read.progress) read.progress(reader.input_bytes(), reader.events() + reader.skipped());
        next_ordinal += reader.skipped() - skipped;
        stats.skipped_events += reader.skipped();
        stats.bad_lines += reader.bad_lines();
        stats.bytes = bytes_before + reader.bytes();
        if (failure) {
            if (error) *error = *failure;
            return false;
        }
        return true;
    }

    size_t valid_queries() const {
        return static_cast<size_t>(
            std::count_if(queries.begin(), queries.end(), [](const QueryState& q) { return !q.disabled(); }));
    }

    // Runs a batch's deferred entries on the rule shards, then does what the sequential engine would have done,
    // in its order: the reports, each entry's results (in query order) and the progress calls.
    // The batch runs in parts that end at the state checks, each check seeing the state (and coming in the
    // order of the other steps) as in the sequential engine.
    void run_shards(engine::RuleShards& shards, const engine::ReadBatch& batch, const ReadOptions& read,
                    std::string_view reader_name) {
        deferred.active = false;
        size_t begin = 0;
        size_t next_step = 0;
        // Entries [begin, end), and the steps before entry `end`.
        auto part = [&](size_t end) {
            collecting = &shards;
            shards.run(batch, deferred.entries, begin, end);
            collecting = nullptr;
            add(shards.take_counters());
            begin = end;
            for (; next_step < deferred.steps.size(); ++next_step) {
                const Step& step = deferred.steps[next_step];
                if (step.kind == Step::Kind::entry && step.index >= end) return;
                replay(shards, step, read, batch, reader_name);
            }
        };
        for (const size_t checkpoint : deferred.checkpoints) {
            part(checkpoint);
            check_state();
        }
        part(deferred.entries.size());
        shards.clear_matches();
        deferred.clear();
    }

    void replay(engine::RuleShards& shards, const Step& step, const ReadOptions& read, const engine::ReadBatch& batch,
                std::string_view reader_name) {
        switch (step.kind) {
            case Step::Kind::report: report_bad(std::move(deferred.reports[step.index])); break;
            case Step::Kind::entry: {
                const auto entry = static_cast<uint32_t>(step.index);
                shards.take_matches(entry, [&](size_t q, Match&& m) { deliver(q, std::move(m)); });
                if (auto problem = shards.take_invalid(entry)) {
                    const engine::RuleShards::Entry& e = deferred.entries[step.index];
                    invalid_event(reader_name, batch.line(e.event), batch.source(e.event), batch.has_timestamp(e.event),
                                  e.ordinal, *problem);
                }
                break;
            }
            case Step::Kind::progress: {
                const auto [bytes, count] = deferred.progress_calls[step.index];
                read.progress(bytes, count);
                break;
            }
        }
    }

    void run_sorted() {
        // Replays the buffered events in (timestamp, tiebreaker, arrival) order through a reader over memory,
        // so that they are projected exactly as they were the first time.
        std::vector<engine::SortBuffer::Place> places;
        std::string text = sort_buffer.take_sorted_text(&places);
        auto reader = input::NdjsonReader::from_string(std::move(text), "<sorted input>", plan);
        uint64_t ordinal = 0;
        ordinal_offset = next_ordinal;
        while (reader->next(record)) {
            const engine::SortBuffer::Place& place = places.at(record.line - 1);
            record.ordinal = ordinal++;
            record.origin = place.origin;
            record.line = place.line;
            runner->process(record, Pass::ordered_only);
            add(runner->take_counters());
            if (const auto& problem = runner->invalid())
                invalid_event(record.origin, record.line, record.source, true, place.ordinal, *problem);
        }
    }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Engine::Created Engine::create(std::vector<QuerySource> queries, EngineOptions options) {
    Created created;
    auto compiled = CompiledQueries::compile(std::move(queries), options);
    created.problems = std::move(compiled.problems);
    created.engine = create(std::move(compiled.queries), std::move(options));
    return created;
}

std::unique_ptr<Engine> Engine::create(std::shared_ptr<const CompiledQueries> set, EngineOptions options) {
    if (!set) return nullptr;
    auto impl = std::make_unique<Impl>(std::move(set));
    options.query = impl->compiled->impl().options;
    impl->options = options;

    std::optional<compiler::PipeLimit> request;
    if (options.size)
        request = compiler::PipeLimit{options.result_position == ResultPosition::head ? compiler::PipeLimit::Kind::head
                                                                                      : compiler::PipeLimit::Kind::tail,
                                      *options.size};
    static const compiler::CompiledQuery kInvalid;  // what a query left out as invalid refers to
    for (const auto& q : impl->compiled->impl().queries) {
        if (!q.compiled) {
            impl->queries.push_back(QueryState{q, kInvalid, engine::ResultLimiter<Match>({}, std::nullopt), {}, {}});
            continue;
        }
        const bool is_sample = q.compiled->kind == ast::QueryKind::sample;
        // A sample's size caps the number of samples in key order; the runtime applies it.
        engine::ResultLimiter<Match> limiter(q.compiled->pipes, is_sample ? std::nullopt : request);
        impl->queries.push_back(QueryState{q, *q.compiled, std::move(limiter), {}, {}});
    }

    sequence::Limits& limits = impl->limits;
    limits.max_keys = options.max_keys;
    limits.max_state_bytes = options.max_query_state_bytes;
    impl->check_every = std::max<uint32_t>(1, options.state_check_events);
    impl->warned.assign(impl->queries.size(), 0);
    for (size_t q = 0; q < impl->queries.size(); ++q) {
        QueryState& state = impl->queries[q];
        if (state.disabled()) continue;
        if (state.compiled.kind == ast::QueryKind::sequence) {
            sequence::SequenceSpec spec;
            for (const auto& term : state.compiled.terms) spec.missing.push_back(term.missing);
            spec.has_until = state.compiled.until.has_value();
            spec.maxspan_ns = state.compiled.maxspan_ns;
            state.sequence =
                std::make_unique<sequence::SequenceMatcher>(std::move(spec), impl->sequence_sink(q), limits);
            state.sequence->share_texts(&impl->texts);
        } else if (state.compiled.kind == ast::QueryKind::sample) {
            impl->has_samples = true;
            sequence::SampleSpec spec;
            spec.filters = static_cast<uint32_t>(state.compiled.terms.size());
            spec.max_samples_per_key = options.max_samples_per_key;
            spec.size = options.size;
            state.sample = std::make_unique<sequence::SampleMatcher>(std::move(spec), impl->sample_sink(q), limits);
            state.sample->share_texts(&impl->texts);
        }
    }
    impl->stats.matches.assign(impl->queries.size(), 0);
    std::vector<size_t> all(impl->queries.size());
    for (size_t q = 0; q < all.size(); ++q) all[q] = q;
    Impl* self = impl.get();
    impl->runner = std::make_unique<engine::QueryRunner>(
        impl->queries, std::move(all), impl->catalog, [self](size_t q, Match&& m) { self->deliver(q, std::move(m)); },
        &impl->compiled->impl().value_mask);
    if (options.reorder_window_ns && !options.sort_input)
        impl->reorder = std::make_unique<engine::ReorderBuffer>(*options.reorder_window_ns);
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::on_match(MatchHandler handler) { impl_->match_handler = std::move(handler); }
void Engine::on_bad_input(BadInputHandler handler) { impl_->bad_input_handler = std::move(handler); }
void Engine::on_state_limit(StateLimitHandler handler) { impl_->state_limit_handler = std::move(handler); }

bool Engine::push(const nlohmann::json& event) {
    Impl& s = *impl_;
    auto refuse = [&](std::string message, std::string excerpt) {
        ++s.stats.bad_lines;
        s.report_bad(BadInput{"<event>", 0, std::move(message), std::move(excerpt)});
    };
    // nlohmann's dump() recurses, and throws on a string that is not UTF-8: check both first.
    if (input::json_depth_exceeds(event)) {
        refuse("objects and arrays nested deeper than " + std::to_string(input::kMaxJsonDepth) + " levels; skipped",
               "");
        return false;
    }
    std::string text;
    try {
        text = event.dump();
    } catch (const nlohmann::json::type_error&) {
        refuse("event holds a string that is not valid UTF-8; skipped",
               event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).substr(0, 200));
        return false;
    }
    if (!input::project(event, s.plan, s.record, s.builder)) {
        ++s.stats.bad_lines;
        s.report_bad(BadInput{"<event>", 0, "event is not a JSON object; skipped", text.substr(0, 200)});
        return false;
    }
    s.record.source = text;
    return s.accept(s.record, "<event>", 0, s.builder.timestamp_error());
}

bool Engine::read_ndjson(const std::string& path, const ReadOptions& options, Diagnostic* error) {
    Impl& s = *impl_;
    input::ReaderOptions reader_options;
    reader_options.strict = options.strict;
    reader_options.line_filter = s.compiled->impl().line_filter.get();
    reader_options.chunk_size = options.chunk_bytes;
    reader_options.max_line_bytes = options.max_line_bytes;
    if (options.threads > 1) return s.read_parallel(path, options, reader_options, error);
    s.stats.query_threads = 1;
    auto opened = input::NdjsonReader::open(path, s.plan, reader_options);
    if (!opened) {
        if (error) *error = opened.error;
        return false;
    }
    input::NdjsonReader& reader = *opened.reader;
    auto drain_errors = [&] {
        for (auto& bad : reader.take_errors())
            s.report_bad(BadInput{bad.origin, bad.line, bad.diagnostic.message, bad.excerpt});
    };
    const uint64_t bytes_before = s.stats.bytes;
    uint64_t skipped = 0;
    uint64_t progress_at = 0;  // events (run or skipped) at the last progress call
    std::optional<Diagnostic> stop_failure;
    bool stopped = false;
    while (!stopped && reader.next(s.record)) {
        // Skipped lines take their places in arrival order, as if they had been run.
        s.next_ordinal += reader.stats().skipped_events - skipped;
        skipped = reader.stats().skipped_events;
        drain_errors();  // the bad lines before this event are reported before it (in line order)
        const bool accepted = s.accept(s.record, reader.name(), s.record.line, reader.timestamp_error());
        stopped = s.stop_after(accepted, options, reader.name(), s.record.line, stop_failure);
        if (options.progress && reader.stats().events + skipped >= progress_at + 0x10000) {
            progress_at = reader.stats().events + skipped;
            options.progress(reader.stats().input_bytes, progress_at);
        }
    }
    if (!stopped) drain_errors();
    if (options.progress)
        options.progress(reader.stats().input_bytes, reader.stats().events + reader.stats().skipped_events);
    s.next_ordinal += reader.stats().skipped_events - skipped;
    s.stats.skipped_events += reader.stats().skipped_events;
    s.stats.bad_lines += reader.stats().bad_lines;
    s.stats.bytes = bytes_before + reader.stats().bytes;
    const std::optional<Diagnostic>& failure = stop_failure ? stop_failure : reader.failure();
    if (failure) {
        if (error) *error = *failure;
        return false;
    }
    return true;
}

void Engine::finish() {
    Impl& s = *impl_;
    if (s.finished) return;
    s.finished = true;
    if (s.options.sort_input) s.run_sorted();
    if (s.reorder) s.reorder->release(true, [&](const vm::EventRecord& e) { s.process(e, Impl::Pass::ordered_only); });
    // Evictions not reported yet; no eviction for the budget here: finish() drops the partials anyway, and
    // evicting them now would report alerts lost that no further event could have completed.
    s.report_evictions();
    for (size_t q = 0; q < s.queries.size(); ++q) {
        QueryState& state = s.queries[q];
        if (state.sequence) state.sequence->finish();
        if (state.sample) state.sample->finish();
        state.limiter.finish([&](Match&& m) { s.deliver(q, std::move(m)); });
    }
}

size_t Engine::query_count() const { return impl_->queries.size(); }
const std::string& Engine::query_name(size_t query) const { return impl_->queries.at(query).entry.source.name; }
const EngineStats& Engine::stats() const {
    EngineStats& st = impl_->stats;
    st.evicted_keys = st.pending_partials = st.partials_at_finish = 0;
    st.evicted_keys_by_query.assign(impl_->queries.size(), 0);
    st.state_bytes = impl_->texts.bytes();  // each kept event's text once
    for (size_t i = 0; i < impl_->queries.size(); ++i) {
        const QueryState& q = impl_->queries[i];
        if (q.sequence) {
            const auto& m = q.sequence->stats();
            st.evicted_keys_by_query[i] = m.evicted_keys_max_keys + m.evicted_keys_bytes + m.evicted_keys_budget;
            st.pending_partials += m.pending_partials;
            st.partials_at_finish += m.dropped_at_finish;
            st.state_bytes += m.state_bytes - m.text_bytes;
        }
        if (q.sample) {
            const auto& m = q.sample->stats();
            st.evicted_keys_by_query[i] = m.evicted_keys_max_keys + m.evicted_keys_bytes + m.evicted_keys_budget;
            st.state_bytes += m.state_bytes - m.text_bytes;
        }
        st.evicted_keys += st.evicted_keys_by_query[i];
    }
    return st;
}

std::string Engine::explain() const { return impl_->compiled->explain(); }

// ---------------------------------------------------------------------------------------------------------
// Snapshots: the engine's state as CBOR (nlohmann), the matchers' own snapshots embedded as binary.

namespace {

// 2: kept events' texts once, in "texts" (the matchers refer to them by index); the state-check clock and
// which queries' first eviction was reported.
constexpr std::string_view kSnapshotFormat = "eqlc-engine-2";

nlohmann::json tie_to_json(const engine::TieValue& v) {
    return std::visit(
        [](const auto& x) -> nlohmann::json {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
                return nullptr;
            else
                return x;
        },
        v);
}

engine::TieValue tie_from_json(const nlohmann::json& j) {
    if (j.is_null()) return std::monostate{};
    if (j.is_boolean()) return j.get<bool>();
    if (j.is_number_integer()) return j.get<int64_t>();
    if (j.is_number()) return j.get<double>();
    return j.get<std::string>();
}

nlohmann::json key_to_json(const engine::OrderKey& k) {
    return {{"ts", k.timestamp_ns}, {"tb", tie_to_json(k.tiebreaker)}, {"ord", k.ordinal}};
}

engine::OrderKey key_from_json(const nlohmann::json& j) {
    return engine::OrderKey{j.at("ts").get<int64_t>(), tie_from_json(j.at("tb")), j.at("ord").get<uint64_t>()};
}

nlohmann::json match_to_json(const Match& m) {
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : m.events)
        events.push_back({{"missing", e.missing}, {"source", e.source}, {"ts", e.timestamp_ns}, {"ord", e.ordinal}});
    return {{"query", m.query}, {"kind", static_cast<int>(m.kind)}, {"keys", m.join_keys}, {"events", events}};
}

Match match_from_json(const nlohmann::json& j) {
    Match m;
    m.query = j.at("query").get<size_t>();
    m.kind = static_cast<MatchKind>(j.at("kind").get<int>());
    m.join_keys = j.at("keys");
    for (const auto& e : j.at("events"))
        m.events.push_back(MatchedEvent{e.at("missing").get<bool>(), e.at("source").get<std::string>(),
                                        e.at("ts").get<int64_t>(), e.at("ord").get<uint64_t>()});
    return m;
}

}  // namespace

bool Engine::snapshot(std::string& bytes, std::string* error) const {
    const Impl& s = *impl_;
    if (s.options.sort_input) {
        if (error) *error = "an engine that sorts its whole input has no state to save before finish()";
        return false;
    }
    nlohmann::json j;
    j["format"] = kSnapshotFormat;
    j["next_ordinal"] = s.next_ordinal;
    j["last_key"] = s.last_key ? key_to_json(*s.last_key) : nlohmann::json();
    j["finished"] = s.finished;
    const EngineStats& st = s.stats;
    j["stats"] = {
        st.events,      st.bad_lines, st.events_without_timestamp, st.query_events_without_timestamp, st.out_of_order,
        st.late_events, st.bytes,     st.evaluation_errors,        st.truncated_key_products};
    j["matches"] = st.matches;
    j["ticks"] = s.ticks;
    j["checked_epoch"] = s.checked_epoch;
    j["warned"] = s.warned;
    sequence::SnapshotTextWriter texts;
    nlohmann::json queries = nlohmann::json::array();
    for (const auto& q : s.queries) {
        nlohmann::json held = nlohmann::json::array();
        for (const auto& m : q.limiter.held()) held.push_back(match_to_json(m));
        nlohmann::json state = {{"text", q.entry.source.text}, {"seen", q.limiter.seen()}, {"held", held}};
        if (q.sequence) {
            const std::string b = q.sequence->snapshot(&texts);
            state["sequence"] = nlohmann::json::binary(std::vector<uint8_t>(b.begin(), b.end()));
        }
        if (q.sample) {
            const std::string b = q.sample->snapshot(&texts);
            state["sample"] = nlohmann::json::binary(std::vector<uint8_t>(b.begin(), b.end()));
        }
        queries.push_back(std::move(state));
    }
    j["queries"] = std::move(queries);
    nlohmann::json text_list = nlohmann::json::array();
    for (const sequence::SharedText* t : texts.texts())
        text_list.push_back(nlohmann::json::binary(std::vector<uint8_t>(t->data(), t->data() + t->size)));
    j["texts"] = std::move(text_list);
    if (s.reorder) {
        nlohmann::json events = nlohmann::json::array();
        for (const auto& e : s.reorder->held())
            events.push_back({{"source", std::string(e->record().source)},
                              {"origin", std::string(e->record().origin)},
                              {"line", e->record().line},
                              {"key", key_to_json(e->key())}});
        j["reorder"] = {
            {"newest", s.reorder->newest()},
            {"released", s.reorder->last_released() ? key_to_json(*s.reorder->last_released()) : nlohmann::json()},
            {"events", std::move(events)}};
    }
    const std::vector<uint8_t> cbor = nlohmann::json::to_cbor(j);
    bytes.assign(cbor.begin(), cbor.end());
    return true;
}

bool Engine::restore(std::string_view bytes, std::string* error) {
    Impl& s = *impl_;
    auto fail = [&](std::string why) {
        if (error) *error = std::move(why);
        return false;
    };
    if (s.options.sort_input) return fail("an engine that sorts its whole input cannot continue a snapshot");
    const nlohmann::json j = nlohmann::json::from_cbor(bytes.begin(), bytes.end(), true, false);
    if (j.is_discarded() || !j.is_object() || j.value("format", "") != kSnapshotFormat)
        return fail("not an eqlc engine snapshot");
    try {
        const auto& queries = j.at("queries");
        if (queries.size() != s.queries.size()) return fail("the snapshot was taken with other queries");
        for (size_t q = 0; q < s.queries.size(); ++q)
            if (queries[q].at("text").get<std::string>() != s.queries[q].entry.source.text)
                return fail("the snapshot was taken with other queries (query " + std::to_string(q + 1) + " differs)");
        if (j.contains("reorder") != (s.reorder != nullptr))
            return fail("the snapshot was taken with a different reorder window setting");

        // Build everything first, then swap in: a bad snapshot leaves the engine as it was.
        sequence::SnapshotTextReader texts(s.texts);
        for (const auto& t : j.at("texts")) {
            const auto& b = t.get_binary();
            texts.add(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
        }
        const auto warned = j.at("warned").get<std::vector<uint8_t>>();
        if (warned.size() != s.queries.size()) return fail("the snapshot was taken with other queries");
        std::vector<std::unique_ptr<sequence::SequenceMatcher>> sequences(s.queries.size());
        std::vector<std::unique_ptr<sequence::SampleMatcher>> samples(s.queries.size());
        std::vector<std::deque<Match>> held(s.queries.size());
        for (size_t q = 0; q < s.queries.size(); ++q) {
            const auto& state = queries[q];
            std::string why;
            if (s.queries[q].sequence) {
                const auto& b = state.at("sequence").get_binary();
                auto m = sequence::SequenceMatcher::restore(
                    std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), s.sequence_sink(q), &why,
                    s.limits, &texts);
                if (!m) return fail("query " + std::to_string(q + 1) + ": " + why);
                sequences[q] = std::make_unique<sequence::SequenceMatcher>(std::move(*m));
            }
            if (s.queries[q].sample) {
                const auto& b = state.at("sample").get_binary();
                auto m = sequence::SampleMatcher::restore(
                    std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), s.sample_sink(q), &why,
                    s.limits, &texts);
                if (!m) return fail("query " + std::to_string(q + 1) + ": " + why);
                samples[q] = std::make_unique<sequence::SampleMatcher>(std::move(*m));
            }
            for (const auto& m : state.at("held")) held[q].push_back(match_from_json(m));
        }
        std::unique_ptr<engine::ReorderBuffer> reorder;
        if (s.reorder) {
            const auto& r = j.at("reorder");
            reorder = std::make_unique<engine::ReorderBuffer>(*s.options.reorder_window_ns);
            std::string text;
            std::vector<const nlohmann::json*> entries;
            for (const auto& e : r.at("events")) {
                text += e.at("source").get<std::string>();
                text += '\n';
                entries.push_back(&e);
            }
            auto reader = input::NdjsonReader::from_string(std::move(text), "<snapshot>", s.plan);
            vm::EventRecord record;
            for (size_t i = 0; i < entries.size(); ++i) {
                if (!reader->next(record)) return fail("a held event of the reorder window does not read back");
                const engine::OrderKey key = key_from_json(entries[i]->at("key"));
                const std::string origin = entries[i]->at("origin").get<std::string>();
                record.ordinal = key.ordinal;
                record.origin = origin;
                record.line = entries[i]->at("line").get<uint64_t>();
                reorder->add(record, key);
            }
            reorder->restore(r.at("newest").get<int64_t>(), r.at("released").is_null()
                                                                ? std::nullopt
                                                                : std::optional(key_from_json(r.at("released"))));
        }

        for (size_t q = 0; q < s.queries.size(); ++q) {
            s.queries[q].sequence = std::move(sequences[q]);
            s.queries[q].sample = std::move(samples[q]);
            s.queries[q].limiter.restore(queries[q].at("seen").get<uint64_t>(), std::move(held[q]));
        }
        s.reorder = std::move(reorder);
        s.next_ordinal = j.at("next_ordinal").get<uint64_t>();
        s.last_key = j.at("last_key").is_null() ? std::nullopt : std::optional(key_from_json(j.at("last_key")));
        s.finished = j.at("finished").get<bool>();
        s.ticks = j.at("ticks").get<uint64_t>();
        s.checked_epoch = j.at("checked_epoch").get<uint64_t>();
        s.warned = warned;
        const auto& st = j.at("stats");
        s.stats.events = st.at(0).get<uint64_t>();
        s.stats.bad_lines = st.at(1).get<uint64_t>();
        s.stats.events_without_timestamp = st.at(2).get<uint64_t>();
        s.stats.query_events_without_timestamp = st.at(3).get<uint64_t>();
        s.stats.out_of_order = st.at(4).get<uint64_t>();
        s.stats.late_events = st.at(5).get<uint64_t>();
        s.stats.bytes = st.at(6).get<uint64_t>();
        s.stats.evaluation_errors = st.at(7).get<uint64_t>();
        s.stats.truncated_key_products = st.at(8).get<uint64_t>();
        s.stats.matches = j.at("matches").get<std::vector<uint64_t>>();
    } catch (const nlohmann::json::exception& e) {
        return fail(std::string("malformed snapshot: ") + e.what());
    }
    return true;
}

}  // namespace eqlc
