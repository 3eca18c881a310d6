// The engine: per event, project once through the shared catalog, run every query's programs, and hand the
// results to each query's result stream (ordered, cut by head/tail/size).
#include "eqlc/engine.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/options.hpp"
#include "compiler/compiled_query.hpp"
#include "engine/event_order.hpp"
#include "engine/result_limiter.hpp"
#include "input/json_projection.hpp"
#include "input/ndjson_reader.hpp"
#include "vm/interpreter.hpp"

namespace eqlc {

// ---------------------------------------------------------------------------------------------------------
// Engine

namespace {

struct QueryState {
    QuerySource source;
    compiler::CompiledQuery compiled;
    engine::ResultLimiter<Match> limiter;
};

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
    bool finished = false;

    void report_bad(BadInput bad) {
        if (bad_input_handler) bad_input_handler(bad);
    }

    void deliver(size_t query, Match&& match) {
        ++stats.matches[query];
        if (match_handler) match_handler(match);
    }

    // One event, projected and in order: run every query.
    void process(const vm::EventRecord& event) {
        for (size_t q = 0; q < queries.size(); ++q) {
            QueryState& state = queries[q];
            if (state.limiter.saturated()) continue;
            const compiler::CompiledTerm& term = state.compiled.terms.front();
            if (!vm::matches(*term.filter, event, vm)) continue;
            Match match;
            match.query = q;
            match.kind = MatchKind::event;
            match.events.push_back(MatchedEvent{false, std::string(event.source), event.timestamp_ns, event.ordinal});
            state.limiter.add(std::move(match), [&](Match&& m) { deliver(q, std::move(m)); });
        }
        if (vm.errors().count) {
            stats.evaluation_errors += vm.errors().count;
            vm.clear_errors();
        }
    }

    // Common entry for every event source: checks the timestamp and the order, then runs or buffers it.
    void accept(vm::EventRecord& event, std::string_view origin, uint64_t line) {
        event.ordinal = next_ordinal++;
        if (!event.has_timestamp) {
            ++stats.events_without_timestamp;
            report_bad(BadInput{std::string(origin), line,
                                "event has no usable timestamp in field [" + options.query.timestamp_field + "]; skipped",
                                std::string(event.source.substr(0, 200))});
            return;
        }
        ++stats.events;
        const engine::OrderKey key = engine::order_key(event, plan->tiebreaker_slot());
        if (options.sort_input) {
            sort_buffer.add(key, event.source);
            return;
        }
        if (last_key && engine::before(key, *last_key)) ++stats.out_of_order;
        last_key = key;
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
            process(record);
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

    for (size_t i = 0; i < queries.size(); ++i) {
        auto result = compiler::compile_query(queries[i].text, compile_options, impl->catalog);
        if (!result.ok()) {
            created.problems.push_back(QueryProblem{i, std::move(result.diagnostics)});
            continue;
        }
        if (result.query->kind != ast::QueryKind::event) {
            Diagnostic d;
            d.phase = Phase::compile;
            d.span = result.query->terms.empty() ? SourceSpan{} : result.query->terms.front().span;
            d.span.begin = position_at(queries[i].text, 0);
            d.message = "sequence and sample queries cannot be run by this version of eqlc yet (only checked)";
            created.problems.push_back(QueryProblem{i, {d}});
            continue;
        }
        compiler::CompiledQuery compiled = std::move(*result.query);
        engine::ResultLimiter<Match> limiter(compiled.pipes, request);
        impl->queries.push_back(QueryState{std::move(queries[i]), std::move(compiled), std::move(limiter)});
    }
    if (!created.problems.empty()) return created;

    // Every query has interned its fields: the projection reads exactly those.
    input::ProjectionOptions projection;
    if (!impl->queries.empty()) {
        projection.timestamp_slot = impl->queries.front().compiled.timestamp_slot;
        projection.tiebreaker_slot = impl->queries.front().compiled.tiebreaker_slot;
    } else {
        projection.timestamp_slot = impl->catalog.intern(options.query.timestamp_field);
    }
    impl->plan = std::make_unique<input::ProjectionPlan>(impl->catalog, projection);
    impl->stats.matches.assign(impl->queries.size(), 0);
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
    while (reader.next(s.record)) {
        s.accept(s.record, reader.name(), s.record.line);
        drain_errors();
    }
    drain_errors();
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
    for (size_t q = 0; q < s.queries.size(); ++q)
        s.queries[q].limiter.finish([&](Match&& m) { s.deliver(q, std::move(m)); });
}

size_t Engine::query_count() const { return impl_->queries.size(); }
const std::string& Engine::query_name(size_t query) const { return impl_->queries.at(query).source.name; }
const EngineStats& Engine::stats() const { return impl_->stats; }

std::string Engine::explain() const {
    std::string out;
    for (const auto& q : impl_->queries) {
        out += "# " + q.source.name + "\n";
        out += compiler::explain(q.compiled);
    }
    return out;
}

}  // namespace eqlc
