// The engine: per event, project once through the shared catalog, run every query's programs, and hand the
// results to each query's result stream (ordered, cut by head/tail/size).
//
// This file holds the public Engine methods. Engine::Impl (engine_impl.hpp) does the work, in files by job:
// admission.cpp, delivery.cpp, state_budget.cpp, parallel_replay.cpp and engine_snapshot.cpp.
#include "eqlc/engine.hpp"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "engine/engine_impl.hpp"
#include "input/json_projection.hpp"
#include "input/ndjson_reader.hpp"
#include "text/short_text.hpp"

namespace eqlc {

namespace {

using engine::QueryState;

}  // namespace

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
    options.query = detail::Internals::impl(*impl->compiled).options;
    impl->options = options;

    std::optional<compiler::PipeLimit> request;
    if (options.size)
        request = compiler::PipeLimit{options.result_position == ResultPosition::head ? compiler::PipeLimit::Kind::head
                                                                                      : compiler::PipeLimit::Kind::tail,
                                      *options.size};
    static const compiler::CompiledQuery kInvalid;  // what a query left out as invalid refers to
    for (const auto& q : detail::Internals::impl(*impl->compiled).queries) {
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
    const auto& compiled_set = detail::Internals::impl(*impl->compiled);
    impl->runner = std::make_unique<engine::QueryRunner>(
        impl->queries, std::move(all), impl->catalog, [self](size_t q, Match&& m) { self->deliver(q, std::move(m)); },
        &compiled_set.value_mask, compiled_set.rule_index.get());
    if (const engine::RuleIndex* index = compiled_set.rule_index.get()) {
        impl->stats.indexed_terms = index->indexed_terms();
        impl->stats.always_run_terms = index->always_run_terms();
        impl->stats.index_fields = index->fields();
    }
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

bool Engine::push_json(std::string_view json, const PushOptions& options) {
    // One event, whatever its layout: line breaks in JSON text can only be whitespace (a string cannot hold a raw
    // one), so read as spaces they keep the event as it is and make it one line.
    if (!std::memchr(json.data(), '\n', json.size()) && !std::memchr(json.data(), '\r', json.size()))
        return push_ndjson(json, options) == 1;
    std::string line(json);
    std::replace_if(
        line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return push_ndjson(line, options) == 1;
}

size_t Engine::push_ndjson(std::string_view text, const PushOptions& options) {
    Impl& s = *impl_;
    // The reader reads the caller's text in place from a padded copy (simdjson reads past a document's end); one
    // reader serves every call, so its parser and line filter are built once.
    s.push_text.assign(text);
    s.push_text.append(input::NdjsonReader::kViewPadding, '\0');
    const std::string_view view(s.push_text.data(), text.size());
    if (!s.push_reader) {
        input::ReaderOptions reader_options;
        reader_options.line_filter = detail::Internals::impl(*s.compiled).line_filter.get();
        s.push_reader = input::NdjsonReader::from_view(view, std::string(), s.plan, reader_options);
    } else {
        s.push_reader->reset_view(view, 1);
    }
    input::NdjsonReader& reader = *s.push_reader;
    const std::string_view origin = options.origin;  // copied only into a report, not per event
    auto position = [&](uint64_t line) {
        return line >= 1 && line <= options.lines.size() ? options.lines[line - 1] : line;
    };
    auto drain_errors = [&] {
        for (auto& bad : reader.take_errors())
            s.report_bad(BadInput{std::string(origin), position(bad.line), bad.diagnostic.message, bad.excerpt});
    };
    const input::ReaderStats before = reader.stats();
    uint64_t skipped = before.skipped_events;
    size_t usable = 0;
    while (reader.next(s.record)) {
        if (!options.lines_are_ordinals) s.next_ordinal += reader.stats().skipped_events - skipped;
        skipped = reader.stats().skipped_events;
        drain_errors();
        const uint64_t line = position(s.record.line);
        if (options.lines_are_ordinals) s.next_ordinal = line;
        if (s.accept(s.record, origin, line, reader.timestamp_error())) ++usable;
    }
    drain_errors();
    const input::ReaderStats& after = reader.stats();
    if (!options.lines_are_ordinals) s.next_ordinal += after.skipped_events - skipped;
    s.stats.skipped_events += after.skipped_events - before.skipped_events;
    s.stats.bad_lines += after.bad_lines - before.bad_lines;
    s.stats.bytes += text.size();
    return usable + (after.skipped_events - before.skipped_events);
}

EventBuilder Engine::event() const { return EventBuilder(impl_->options.query.timestamp_field); }

std::vector<std::string> Engine::fields() const { return impl_->compiled->fields(); }

bool Engine::push(const EventBuilder& event, const PushOptions& options) {
    Impl& s = *impl_;
    if (!event.ok()) {
        ++s.stats.bad_lines;
        s.report_bad(BadInput{std::string(options.origin), options.lines.empty() ? 0 : options.lines.front(),
                              event.error() + "; skipped", ""});
        return false;
    }
    // Where the projection puts each field: looked up in the plan when the builder's field of that number is new
    // here, else remembered. Every number the builder has given is known here at once (a builder names a few dozen
    // fields, and names new ones rarely): while it is the naming seen last and gave no new number, nothing is looked
    // at again. A number of another naming is known to stand for the same field when its name is the same.
    const auto& set = detail::Internals::impl(*s.compiled);
    const input::ProjectionPlan& plan = s.plan;
    const input::LineFilter* filter = set.line_filter.get();
    const uint64_t naming = detail::Internals::naming(event);
    const size_t numbers = detail::Internals::field_count(event);
    if (naming != s.built_naming || numbers > s.built_known) {
        if (numbers > s.built_fields.size()) s.built_fields.resize(numbers);
        s.built_needle_fields.clear();
        for (uint32_t number = 0; number < numbers; ++number) {
            const auto& field = detail::Internals::field_at(event, number);
            Impl::BuiltField& known = s.built_fields[number];
            if (known.naming != naming) {
                if (known.naming == 0 || !text::same_text(known.name, field.name)) {
                    known.name = field.name;
                    const auto node = plan.descend(input::ProjectionPlan::kRoot, field.name);
                    known.slot =
                        node == input::ProjectionPlan::kNoNode ? input::ProjectionPlan::kNoSlot : plan.slot(node);
                    known.needles = known.slot < set.needle_fields.size() && set.needle_fields[known.slot];
                }
                known.naming = naming;
            }
            if (known.needles) s.built_needle_fields.push_back(number);
        }
        s.built_naming = naming;
        s.built_known = numbers;
    }
    // The line prefilter, as push_json applies it: an event no query term could match (it lacks every term's
    // required text) is counted as skipped and never projected. Most events of a stream are, and projecting them
    // was most of a built event's cost. A needle is looked for in the JSON text of the values of the fields whose
    // tests gave the needles, which is where a term needs it, not in the whole event's JSON: a key, or another
    // field's value, holding a needle makes push_json take a line but not a built event. The JSON, what alerts
    // show as the event's source, is written for an event that goes on.
    // The answer depends on that text alone: a text seen lately has it remembered (engine/prefilter_memo.hpp),
    // and is looked up there in pieces, where the builder keeps them; it is copied out only for the scanner. The
    // values are read in the order of their fields' numbers: the answer does not depend on their order.
    if (filter) {
        auto& pieces = s.built_pieces;
        pieces.clear();
        size_t total = 0;
        for (const uint32_t number : s.built_needle_fields)
            if (detail::Internals::has_field(event, number))
                for (const auto& value : detail::Internals::field_at(event, number).values) {
                    pieces.push_back(detail::Internals::json_text_and_quote(event, value));
                    total += pieces.back().size();
                }
        const bool memo = s.built_memo.active();
        const uint64_t hash = memo ? engine::PrefilterMemo::hash(pieces) : 0;
        const bool* known = memo ? s.built_memo.find(pieces, total, hash) : nullptr;
        bool may_match;
        if (known) {
            may_match = *known;
        } else {
            std::string& values = s.built_values;
            values.clear();
            for (const auto piece : pieces) values += piece;
            if (!s.built_scanner) s.built_scanner = std::make_unique<input::LineScanner>(*filter);
            s.built_scanner->scan(values.data(), values.size());
            may_match = s.built_scanner->may_match(values.data(), values.size());
            if (memo) s.built_memo.remember(values, hash, may_match);
        }
        if (!may_match) {
            if (!options.lines_are_ordinals) ++s.next_ordinal;  // as push_ndjson counts a skipped line
            ++s.stats.skipped_events;
            s.stats.bytes += detail::Internals::json_size(event);
            return true;
        }
    }
    s.built_text.clear();
    event.write_json(s.built_text);
    s.builder.begin(plan, s.record);
    detail::Internals::for_each_field(event, [&](uint32_t number, const auto& field) {
        const vm::SlotId slot = s.built_fields[number].slot;
        if (slot == input::ProjectionPlan::kNoSlot) return;
        if (field.array) s.builder.mark_present(slot);
        for (const auto& value : field.values) {
            using Kind = typename std::decay_t<decltype(value)>::Kind;
            const std::string_view text = detail::Internals::value_text(event, value);
            input::JsonScalar scalar;
            switch (value.kind) {
                case Kind::null: break;
                case Kind::boolean: scalar = input::JsonScalar::of_bool(value.boolean); break;
                case Kind::integer: scalar = input::JsonScalar::of_int(value.integer, text); break;
                case Kind::unsigned_integer: scalar = input::JsonScalar::of_uint(value.unsigned_integer, text); break;
                case Kind::floating: scalar = input::JsonScalar::of_double(value.floating, text); break;
                case Kind::string: s.builder.add_string(slot, text, field.array); continue;
            }
            s.builder.add(slot, scalar, field.array);
        }
    });
    s.builder.finish();
    s.record.source = s.built_text;
    s.record.source_valid = true;  // written by EventBuilder: escaped, UTF-8 checked, finite numbers
    s.record.origin = options.origin;
    s.record.line = options.lines.empty() ? 0 : options.lines.front();
    if (options.lines_are_ordinals && !options.lines.empty()) s.next_ordinal = options.lines.front();
    s.stats.bytes += s.built_text.size();
    return s.accept(s.record, options.origin, s.record.line, s.builder.timestamp_error());
}

bool Engine::read_ndjson(const std::string& path, const ReadOptions& options, Diagnostic* error) {
    Impl& s = *impl_;
    input::ReaderOptions reader_options;
    reader_options.strict = options.strict;
    reader_options.line_filter = detail::Internals::impl(*s.compiled).line_filter.get();
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
    s.runner->sync_time();
    for (size_t q = 0; q < s.queries.size(); ++q) {
        QueryState& state = s.queries[q];
        if (state.sequence) state.sequence->finish();
        if (state.sample) state.sample->finish();
        state.limiter.finish([&](Match&& m) { s.deliver(q, std::move(m)); });
    }
}

size_t Engine::query_count() const { return impl_->queries.size(); }
const std::string& Engine::query_name(size_t query) const { return impl_->queries.at(query).entry.source.name; }
namespace {
void copy_stages(const sequence::QueryStages& from, QueryStageStats& to) {
    to.stages.resize(from.stages.size());
    for (size_t i = 0; i < from.stages.size(); ++i) {
        const sequence::StageStats& a = from.stages[i];
        to.stages[i] = StageStats{a.passed, a.started, a.advanced,          a.replaced, a.expired,
                                  a.until,  a.evicted, a.dropped_at_finish, a.kept};
    }
    to.until_events = from.until_events;
    to.completed = from.completed;
    to.rejected_missing = from.rejected_missing;
}
}  // namespace

const EngineStats& Engine::stats() const {
    EngineStats& st = impl_->stats;
    st.evicted_keys = st.pending_partials = st.partials_at_finish = 0;
    st.evicted_keys_by_query.assign(impl_->queries.size(), 0);
    st.stages_by_query.resize(impl_->queries.size());
    st.state_bytes = impl_->texts.bytes();  // each kept event's text once
    for (size_t i = 0; i < impl_->queries.size(); ++i) {
        const QueryState& q = impl_->queries[i];
        if (q.sequence) copy_stages(q.sequence->stage_stats(), st.stages_by_query[i]);
        if (q.sample) copy_stages(q.sample->stage_stats(), st.stages_by_query[i]);
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

}  // namespace eqlc
