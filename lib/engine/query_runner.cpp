#include "engine/query_runner.hpp"

#include "values/timestamp.hpp"

namespace eqlc::engine {

namespace {

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

// Whether the event has a non-null value in the field.
bool has_value(const vm::EventRecord& event, vm::SlotId slot) {
    for (const vm::Value& v : event.field(slot))
        if (v.type != vm::ValueType::null) return true;
    return false;
}

}  // namespace

QueryRunner::QueryRunner(std::vector<QueryState>& queries, std::vector<size_t> which, const vm::FieldCatalog& catalog,
                         Deliver deliver, const ValueMask* values)
    : queries_(queries),
      which_(std::move(which)),
      catalog_(catalog),
      deliver_(std::move(deliver)),
      value_mask_(values != nullptr && !values->empty() ? values : nullptr) {}

RunCounters QueryRunner::take_counters() {
    RunCounters out = counters_;
    out.truncated_key_products = key_builder_.truncated() - truncated_taken_;
    truncated_taken_ = key_builder_.truncated();
    counters_ = {};
    return out;
}

std::optional<int64_t> QueryRunner::own_timestamp(const vm::EventRecord& event, vm::SlotId slot) {
    for (const auto& [seen, ts] : own_timestamps_)
        if (seen == slot) return ts;
    const std::optional<int64_t> ts = timestamp_from(event, slot, catalog_.type(slot));
    own_timestamps_.emplace_back(slot, ts);
    return ts;
}

// Lazy validation. The reader parses only the members the queries read, so an event may hold malformed JSON
// elsewhere ({"unused": tru}); copied into an alert as its _source, it would make the output invalid. Checking
// every line in full would cost about a DOM parse per line, which the reader is built to avoid; but only events
// that some term matches can reach a result, and they are few. So the first time a term of any query matches
// the event (an event query's condition, a sequence stage or `until`, a sample filter), admit() checks its text
// in full (input/json_check.hpp) and remembers the verdict for the rest of the event. An invalid event is then,
// for every query, an event that matches no term: no alert, no sequence or sample state (a sequence only sees
// its time pass, as for any event it does not match). Since that is decided per query from the event alone,
// it does not depend on which queries share a runner: one runner over all queries (read_ndjson with one
// thread, push) and the rule shards of read_ndjson with several threads (each shard checks an event it
// matches on its own) agree on every query's outcome. invalid() tells the engine, which reports the event once
// as a bad line (engine/admission.cpp). Cost: one full check per matched event (per shard that matches it), nothing for
// the others.
bool QueryRunner::admit(const vm::EventRecord& event) {
    if (checked_ == Checked::no) {
        invalid_ = event.source.empty() ? std::nullopt : checker_.check(event.source);
        checked_ = invalid_ ? Checked::invalid : Checked::valid;
    }
    return checked_ == Checked::valid;
}

void QueryRunner::process(const vm::EventRecord& event, Pass pass, uint64_t tick, sequence::TextSlot* text) {
    tick_ = tick;
    text_ = text;
    checked_ = Checked::no;
    invalid_.reset();
    own_timestamps_.clear();
    event_values_ = value_mask_ ? value_mask_->of(event) : 0;
    for (const size_t q : which_) {
        QueryState& state = queries_[q];
        if (state.disabled() || state.limiter.saturated()) continue;
        const bool is_sample = state.compiled.kind == ast::QueryKind::sample;
        if ((pass == Pass::samples_only && !is_sample) || (pass == Pass::ordered_only && is_sample)) continue;
        std::optional<int64_t> ts;
        if (event.has_timestamp) ts = event.timestamp_ns;
        if (state.entry.own_timestamp && !is_sample) {
            const std::optional<int64_t> own = own_timestamp(event, *state.entry.own_timestamp);
            // Without the field, the event keeps its time in the order field (QuerySource::timestamp_fallback).
            if (own) {
                ts = own;
            } else if (!state.entry.source.timestamp_fallback || has_value(event, *state.entry.own_timestamp)) {
                ++counters_.query_events_without_timestamp;
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
    if (vm_.errors().count) {
        counters_.evaluation_errors += vm_.errors().count;
        vm_.clear_errors();
    }
}

void QueryRunner::run_event_query(size_t q, QueryState& state, const vm::EventRecord& event, int64_t ts) {
    const compiler::CompiledTerm& term = state.compiled.terms.front();
    if (!may_hold(state.entry.value_bits.front()) || !vm::matches(*term.filter, event, vm_)) return;
    if (!admit(event)) return;
    Match match;
    match.query = q;
    match.kind = MatchKind::event;
    match.events.push_back(MatchedEvent{false, std::string(event.source), ts, event.ordinal});
    state.limiter.add(std::move(match), [&](Match&& m) { deliver_(q, std::move(m)); });
}

size_t QueryRunner::term_keys(const compiler::CompiledTerm& term, uint64_t value_bits, const vm::EventRecord& event) {
    if (!may_hold(value_bits) || !vm::matches(*term.filter, event, vm_)) return 0;
    if (!key_builder_.build(term, event, vm_)) return 0;
    for (const auto& k : key_builder_.keys()) hit_keys_.push_back(k);
    return key_builder_.keys().size();
}

void QueryRunner::run_sequence(QueryState& state, const vm::EventRecord& event, int64_t ts) {
    hit_keys_.clear();
    counts_.clear();
    const auto& terms = state.compiled.terms;
    for (uint32_t stage = 0; stage < terms.size(); ++stage) {
        // `runs=N` repeats one filter N times: evaluate it once.
        if (stage > 0 && terms[stage].filter == terms[stage - 1].filter &&
            terms[stage].keys.size() == terms[stage - 1].keys.size() && !counts_.empty() &&
            counts_.back().first == stage - 1) {
            const size_t n = counts_.back().second;
            const size_t from = hit_keys_.size() - n;
            for (size_t i = 0; i < n; ++i) hit_keys_.push_back(hit_keys_[from + i]);
            counts_.emplace_back(stage, n);
            continue;
        }
        if (const size_t n = term_keys(terms[stage], state.entry.value_bits[stage], event))
            counts_.emplace_back(stage, n);
    }
    if (state.compiled.until)
        if (const size_t n = term_keys(*state.compiled.until, state.entry.until_value_bit, event))
            counts_.emplace_back(sequence::kUntil, n);
    if (counts_.empty() || !admit(event)) {
        state.sequence->advance_time(ts);
        return;
    }
    stage_hits_.clear();
    size_t i = 0;
    for (const auto& [stage, n] : counts_)
        for (size_t j = 0; j < n; ++j) stage_hits_.push_back(sequence::StageHit{stage, hit_keys_[i++]});
    state.sequence->on_event(sequence::EventInfo{event.ordinal, ts, event.source, tick_, text_}, stage_hits_);
}

void QueryRunner::run_sample(QueryState& state, const vm::EventRecord& event, int64_t ts) {
    hit_keys_.clear();
    counts_.clear();
    const auto& terms = state.compiled.terms;
    for (uint32_t filter = 0; filter < terms.size(); ++filter)
        if (const size_t n = term_keys(terms[filter], state.entry.value_bits[filter], event))
            counts_.emplace_back(filter, n);
    if (counts_.empty() || !admit(event)) return;
    sample_hits_.clear();
    size_t i = 0;
    for (const auto& [filter, n] : counts_)
        for (size_t j = 0; j < n; ++j) sample_hits_.push_back(sequence::SampleHit{filter, hit_keys_[i++]});
    state.sample->on_event(sequence::EventInfo{event.ordinal, ts, event.source, tick_, text_}, sample_hits_);
}

}  // namespace eqlc::engine
