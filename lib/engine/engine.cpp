// The engine: per event, project once through the shared catalog, run every query's programs, and hand the
// results to each query's result stream (ordered, cut by head/tail/size).
#include "eqlc/engine.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/options.hpp"
#include "compiler/compiled_query.hpp"
#include "engine/event_order.hpp"
#include "engine/join_keys.hpp"
#include "engine/result_limiter.hpp"
#include "input/json_projection.hpp"
#include "input/ndjson_reader.hpp"
#include "input/timestamp.hpp"
#include "sequence/key.hpp"
#include "sequence/sample_matcher.hpp"
#include "sequence/sequence_matcher.hpp"
#include "vm/interpreter.hpp"

namespace eqlc {

// ---------------------------------------------------------------------------------------------------------
// Engine

namespace {

struct QueryState {
    QuerySource source;
    compiler::CompiledQuery compiled;
    engine::ResultLimiter<Match> limiter;
    std::unique_ptr<sequence::SequenceMatcher> sequence;  // kind == sequence
    std::unique_ptr<sequence::SampleMatcher> sample;      // kind == sample
    // Set when the query reads its event times from another field than the engine's order field.
    std::optional<vm::SlotId> own_timestamp;
};

// The event time of a query with its own timestamp field: the field's first non-null value.
std::optional<int64_t> timestamp_from(const vm::EventRecord& event, vm::SlotId slot, vm::FieldType type) {
    for (const vm::Value& v : event.field(slot)) {
        switch (v.type) {
            case vm::ValueType::integer: {
                if (type == vm::FieldType::date) return v.integer;  // already an instant in nanoseconds
                auto r = input::from_epoch_millis(v.integer);
                if (r.ok()) return r.nanos;
                return std::nullopt;
            }
            case vm::ValueType::floating: {
                auto r = input::from_epoch_millis_double(v.floating);
                if (r.ok()) return r.nanos;
                return std::nullopt;
            }
            case vm::ValueType::string: {
                auto r = input::parse_timestamp(v.str());
                if (r.ok()) return r.nanos;
                return std::nullopt;
            }
            default: continue;
        }
    }
    return std::nullopt;
}

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
    EngineOptions options;
    vm::FieldCatalog catalog;
    std::vector<QueryState> queries;
    std::unique_ptr<input::ProjectionPlan> plan;

    vm::VmContext vm;
    vm::EventRecord record;
    input::RecordBuilder builder;

    MatchHandler match_handler;
    BadInputHandler bad_input_handler;
    EngineStats stats;
    uint64_t next_ordinal = 0;
    std::optional<engine::OrderKey> last_key;

    engine::SortBuffer sort_buffer;  // used when options.sort_input
    std::unique_ptr<engine::ReorderBuffer> reorder;  // used when options.reorder_window_ns
    bool finished = false;
    bool has_samples = false;

    void report_bad(BadInput bad) {
        if (bad_input_handler) bad_input_handler(bad);
    }

    void deliver(size_t query, Match&& match) {
        ++stats.matches[query];
        if (match_handler) match_handler(match);
    }

    engine::JoinKeyBuilder key_builder;
    std::vector<sequence::StageHit> stage_hits;
    std::vector<sequence::SampleHit> sample_hits;
    std::vector<std::string> hit_keys;  // owns the bytes the hits point to, for one event

    // Which queries an event is run through: samples do not depend on time order (Elasticsearch takes their
    // documents in index order, i.e. arrival order), so with sort_input they see events as they arrive and the
    // others see them sorted.
    enum class Pass : uint8_t { all, samples_only, ordered_only };

    // One event, projected: run the queries of `pass`.
    void process(const vm::EventRecord& event, Pass pass = Pass::all) {
        for (size_t q = 0; q < queries.size(); ++q) {
            QueryState& state = queries[q];
            if (state.limiter.saturated()) continue;
            const bool is_sample = state.compiled.kind == ast::QueryKind::sample;
            if ((pass == Pass::samples_only && !is_sample) || (pass == Pass::ordered_only && is_sample)) continue;
            std::optional<int64_t> ts;
            if (event.has_timestamp) ts = event.timestamp_ns;
            if (state.own_timestamp && !is_sample) {
                ts = timestamp_from(event, *state.own_timestamp, catalog.type(*state.own_timestamp));
                if (!ts) {
                    ++stats.query_events_without_timestamp;
                    continue;
                }
            }
            switch (state.compiled.kind) {
                case ast::QueryKind::event:
                    if (ts) run_event_query(q, state, event, *ts);
                    break;
                case ast::QueryKind::sequence:
                    if (ts) run_sequence(state, event, *ts);
                    break;
                case ast::QueryKind::sample: run_sample(state, event, ts.value_or(0)); break;
            }
        }
        if (vm.errors().count) {
            stats.evaluation_errors += vm.errors().count;
            vm.clear_errors();
        }
    }

    void run_event_query(size_t q, QueryState& state, const vm::EventRecord& event, int64_t ts) {
        const compiler::CompiledTerm& term = state.compiled.terms.front();
        if (!vm::matches(*term.filter, event, vm)) return;
        Match match;
        match.query = q;
        match.kind = MatchKind::event;
        match.events.push_back(MatchedEvent{false, std::string(event.source), ts, event.ordinal});
        state.limiter.add(std::move(match), [&](Match&& m) { deliver(q, std::move(m)); });
    }

    // Runs `term`'s filter; on a match, appends its keys to hit_keys and returns how many it added.
    size_t term_keys(const compiler::CompiledTerm& term, const vm::EventRecord& event) {
        if (!vm::matches(*term.filter, event, vm)) return 0;
        if (!key_builder.build(term, event, vm)) return 0;
        for (const auto& k : key_builder.keys()) hit_keys.push_back(k);
        return key_builder.keys().size();
    }

    void run_sequence(QueryState& state, const vm::EventRecord& event, int64_t ts) {
        hit_keys.clear();
        std::vector<std::pair<uint32_t, size_t>> counts;  // (stage, number of keys), in hit_keys order
        const auto& terms = state.compiled.terms;
        for (uint32_t stage = 0; stage < terms.size(); ++stage) {
            // `runs=N` repeats one filter N times: evaluate it once.
            if (stage > 0 && terms[stage].filter == terms[stage - 1].filter && terms[stage].keys.size() ==
                                                                                  terms[stage - 1].keys.size() &&
                !counts.empty() && counts.back().first == stage - 1) {
                const size_t n = counts.back().second;
                const size_t from = hit_keys.size() - n;
                for (size_t i = 0; i < n; ++i) hit_keys.push_back(hit_keys[from + i]);
                counts.emplace_back(stage, n);
                continue;
            }
            if (const size_t n = term_keys(terms[stage], event)) counts.emplace_back(stage, n);
        }
        if (state.compiled.until)
            if (const size_t n = term_keys(*state.compiled.until, event)) counts.emplace_back(sequence::kUntil, n);
        stats.truncated_key_products = key_builder.truncated();
        if (counts.empty()) {
            state.sequence->advance_time(ts);
            return;
        }
        stage_hits.clear();
        size_t i = 0;
        for (const auto& [stage, n] : counts)
            for (size_t j = 0; j < n; ++j) stage_hits.push_back(sequence::StageHit{stage, hit_keys[i++]});
        state.sequence->on_event(sequence::EventInfo{event.ordinal, ts, event.source}, stage_hits);
    }

    void run_sample(QueryState& state, const vm::EventRecord& event, int64_t ts) {
        hit_keys.clear();
        std::vector<std::pair<uint32_t, size_t>> counts;
        const auto& terms = state.compiled.terms;
        for (uint32_t filter = 0; filter < terms.size(); ++filter)
            if (const size_t n = term_keys(terms[filter], event)) counts.emplace_back(filter, n);
        if (counts.empty()) return;
        sample_hits.clear();
        size_t i = 0;
        for (const auto& [filter, n] : counts)
            for (size_t j = 0; j < n; ++j) sample_hits.push_back(sequence::SampleHit{filter, hit_keys[i++]});
        state.sample->on_event(sequence::EventInfo{event.ordinal, ts, event.source}, sample_hits);
    }

    // Common entry for every event source: checks the timestamp and the order, then runs or buffers it.
    void accept(vm::EventRecord& event, std::string_view origin, uint64_t line) {
        event.ordinal = next_ordinal++;
        if (!event.has_timestamp) {
            // Event queries and sequences order events by time; samples do not need it (SEMANTICS §9).
            ++stats.events_without_timestamp;
            report_bad(BadInput{std::string(origin), line,
                                "event has no usable timestamp in field [" + options.query.timestamp_field + "]; " +
                                    (has_samples ? "used only by sample queries" : "skipped"),
                                std::string(event.source.substr(0, 200))});
            if (has_samples) process(event, Pass::samples_only);
            return;
        }
        ++stats.events;
        const engine::OrderKey key = engine::order_key(event, plan->tiebreaker_slot());
        if (options.sort_input) {
            if (has_samples) process(event, Pass::samples_only);
            sort_buffer.add(key, event.source);
            return;
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
                return;
            }
            if (has_samples) process(event, Pass::samples_only);
            reorder->add(event, key);
            reorder->release(false, [&](const vm::EventRecord& e) { process(e, Pass::ordered_only); });
            return;
        }
        process(event);
    }

    void run_sorted() {
        // Replays the buffered events in (timestamp, tiebreaker, arrival) order through a reader over memory,
        // so that they are projected exactly as they were the first time.
        std::string text = sort_buffer.take_sorted_text();
        auto reader = input::NdjsonReader::from_string(std::move(text), "<sorted input>", *plan);
        uint64_t ordinal = 0;
        while (reader->next(record)) {
            record.ordinal = ordinal++;
            process(record, Pass::ordered_only);
        }
    }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Engine::Created Engine::create(std::vector<QuerySource> queries, EngineOptions options) {
    Created created;
    auto impl = std::make_unique<Impl>();
    impl->options = options;

    const compiler::CompileOptions compile_options = api::compile_options(options.query);

    std::optional<compiler::PipeLimit> request;
    if (options.size)
        request = compiler::PipeLimit{options.result_position == ResultPosition::head ? compiler::PipeLimit::Kind::head
                                                                                      : compiler::PipeLimit::Kind::tail,
                                      *options.size};

    const vm::SlotId order_slot = impl->catalog.intern(options.query.timestamp_field);
    for (size_t i = 0; i < queries.size(); ++i) {
        compiler::CompileOptions own = compile_options;
        if (queries[i].timestamp_field) own.timestamp_field = *queries[i].timestamp_field;
        if (queries[i].event_category_field) own.event_category_field = *queries[i].event_category_field;
        if (queries[i].tiebreaker_field) own.tiebreaker_field = *queries[i].tiebreaker_field;
        auto result = compiler::compile_query(queries[i].text, own, impl->catalog);
        if (!result.ok()) {
            created.problems.push_back(QueryProblem{i, std::move(result.diagnostics)});
            continue;
        }
        compiler::CompiledQuery compiled = std::move(*result.query);
        const bool is_sample = compiled.kind == ast::QueryKind::sample;
        // A sample's size caps the number of samples in key order; the runtime applies it.
        engine::ResultLimiter<Match> limiter(compiled.pipes, is_sample ? std::nullopt : request);
        std::optional<vm::SlotId> own_timestamp;
        if (compiled.timestamp_slot != order_slot) own_timestamp = compiled.timestamp_slot;
        impl->queries.push_back(
            QueryState{std::move(queries[i]), std::move(compiled), std::move(limiter), {}, {}, own_timestamp});
    }
    if (!created.problems.empty()) return created;

    Impl* s = impl.get();
    sequence::Limits limits;
    limits.max_keys = options.max_keys;
    limits.max_state_bytes = options.max_state_bytes;
    for (size_t q = 0; q < impl->queries.size(); ++q) {
        QueryState& state = impl->queries[q];
        if (state.compiled.kind == ast::QueryKind::sequence) {
            sequence::SequenceSpec spec;
            for (const auto& term : state.compiled.terms) spec.missing.push_back(term.missing);
            spec.has_until = state.compiled.until.has_value();
            spec.maxspan_ns = state.compiled.maxspan_ns;
            state.sequence = std::make_unique<sequence::SequenceMatcher>(
                std::move(spec),
                [s, q](const sequence::SequenceMatch& m) {
                    s->queries[q].limiter.add(to_match(q, MatchKind::sequence, m.key, m.events, s->queries[q].compiled.terms.front()),
                                              [s, q](Match&& match) { s->deliver(q, std::move(match)); });
                },
                limits);
        } else if (state.compiled.kind == ast::QueryKind::sample) {
            impl->has_samples = true;
            sequence::SampleSpec spec;
            spec.filters = static_cast<uint32_t>(state.compiled.terms.size());
            spec.max_samples_per_key = options.max_samples_per_key;
            spec.size = options.size;
            state.sample = std::make_unique<sequence::SampleMatcher>(
                std::move(spec),
                [s, q](const sequence::SampleMatch& m) {
                    s->queries[q].limiter.add(to_match(q, MatchKind::sample, m.key, m.events, s->queries[q].compiled.terms.front()),
                                              [s, q](Match&& match) { s->deliver(q, std::move(match)); });
                },
                limits);
        }
    }
    if (!created.problems.empty()) return created;

    // Every query has interned its fields: the projection reads exactly those.
    input::ProjectionOptions projection;
    projection.timestamp_slot = order_slot;
    if (options.query.tiebreaker_field) projection.tiebreaker_slot = impl->catalog.intern(*options.query.tiebreaker_field);
    impl->plan = std::make_unique<input::ProjectionPlan>(impl->catalog, projection);
    impl->stats.matches.assign(impl->queries.size(), 0);
    if (options.reorder_window_ns && !options.sort_input)
        impl->reorder = std::make_unique<engine::ReorderBuffer>(*options.reorder_window_ns);
    created.engine.reset(new Engine(std::move(impl)));
    return created;
}

void Engine::on_match(MatchHandler handler) { impl_->match_handler = std::move(handler); }
void Engine::on_bad_input(BadInputHandler handler) { impl_->bad_input_handler = std::move(handler); }

void Engine::push(const nlohmann::json& event) {
    Impl& s = *impl_;
    const std::string text = event.dump();
    if (!input::project(event, *s.plan, s.record, s.builder)) {
        ++s.stats.bad_lines;
        s.report_bad(BadInput{"<event>", 0, "event is not a JSON object; skipped", text.substr(0, 200)});
        return;
    }
    s.record.source = text;
    s.accept(s.record, "<event>", 0);
}

bool Engine::read_ndjson(const std::string& path, const ReadOptions& options, Diagnostic* error) {
    Impl& s = *impl_;
    input::ReaderOptions reader_options;
    reader_options.strict = options.strict;
    auto opened = input::NdjsonReader::open(path, *s.plan, reader_options);
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
    uint64_t events = 0;
    while (reader.next(s.record)) {
        s.accept(s.record, reader.name(), s.record.line);
        drain_errors();
        if (options.progress && (++events & 0xFFFF) == 0) options.progress(reader.stats().input_bytes, events);
    }
    drain_errors();
    if (options.progress) options.progress(reader.stats().input_bytes, reader.stats().events);
    s.stats.bad_lines += reader.stats().bad_lines;
    s.stats.bytes = bytes_before + reader.stats().bytes;
    if (reader.failure()) {
        if (error) *error = *reader.failure();
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
    for (size_t q = 0; q < s.queries.size(); ++q) {
        QueryState& state = s.queries[q];
        if (state.sequence) state.sequence->finish();
        if (state.sample) state.sample->finish();
        state.limiter.finish([&](Match&& m) { s.deliver(q, std::move(m)); });
    }
}

size_t Engine::query_count() const { return impl_->queries.size(); }
const std::string& Engine::query_name(size_t query) const { return impl_->queries.at(query).source.name; }
const EngineStats& Engine::stats() const {
    EngineStats& st = impl_->stats;
    st.evicted_keys = st.pending_partials = st.state_bytes = 0;
    for (const auto& q : impl_->queries) {
        if (q.sequence) {
            const auto& m = q.sequence->stats();
            st.evicted_keys += m.evicted_keys_max_keys + m.evicted_keys_bytes;
            st.pending_partials += m.pending_partials;
            st.state_bytes += m.state_bytes;
        }
        if (q.sample) {
            const auto& m = q.sample->stats();
            st.evicted_keys += m.evicted_keys_max_keys + m.evicted_keys_bytes;
            st.state_bytes += m.state_bytes;
        }
    }
    return st;
}

std::string Engine::explain() const {
    std::string out;
    for (const auto& q : impl_->queries) {
        out += "# " + q.source.name + "\n";
        out += compiler::explain(q.compiled);
    }
    return out;
}

}  // namespace eqlc
