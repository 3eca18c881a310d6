#include "engine/query_runner.hpp"

#include "values/timestamp.hpp"

namespace eqlc::engine {

namespace {

// Whether the event has a non-null value in the field.
bool has_value(const vm::EventRecord& event, vm::SlotId slot) {
    for (const vm::Value& v : event.field(slot))
        if (v.type != vm::ValueType::null) return true;
    return false;
}

}  // namespace

QueryRunner::QueryRunner(std::vector<QueryState>& queries, std::vector<size_t> which, const vm::FieldCatalog& catalog,
                         Deliver deliver, const ValueMask* values, const RuleIndex* index)
    : queries_(queries),
      which_(std::move(which)),
      catalog_(catalog),
      deliver_(std::move(deliver)),
      index_(index),
      value_mask_(values != nullptr && !values->empty() ? values : nullptr) {
    if (!index_) return;
    term_epoch_.assign(index_->term_count(), 0);
    held_epoch_.assign(index_->term_count(), 0);
    query_epoch_.assign(queries_.size(), 0);
    mine_.assign(queries_.size(), 0);
    source_of_.assign(queries_.size(), 0);
    wake_.assign(queries_.size(), INT64_MAX);
    scheduled_.assign(queries_.size(), 0);
    sample_.assign(queries_.size(), 0);
    for (const size_t q : which_) {
        mine_[q] = 1;
        sample_[q] = !queries_[q].disabled() && queries_[q].compiled.kind == ast::QueryKind::sample;
    }
    // Each term's value bits beside its id, so that a candidate the value mask rules out wakes nothing (its
    // query's state is cold memory).
    term_bits_.assign(index_->term_count(), 0);
    if (value_mask_)
        for (const size_t q : which_) {
            const QueryState& state = queries_[q];
            if (state.disabled()) continue;
            for (size_t t = 0; t < state.entry.value_bits.size(); ++t)
                term_bits_[index_->term_id(q, t)] = state.entry.value_bits[t];
            if (index_->until_id(q) != RuleIndex::kNone) term_bits_[index_->until_id(q)] = state.entry.until_value_bit;
        }
    for (const uint32_t q : index_->always_queries())
        if (mine_[q]) always_.push_back(q);
    sources_.emplace_back();  // the order field
    for (const size_t q : which_) {
        const QueryState& state = queries_[q];
        if (state.disabled() || state.compiled.kind == ast::QueryKind::sample) continue;
        const std::optional<vm::SlotId> own = state.entry.own_timestamp;
        const bool fallback = own && state.entry.source.timestamp_fallback;
        size_t s = 0;
        while (s < sources_.size() && !(sources_[s].own == own && sources_[s].fallback == fallback)) ++s;
        if (s == sources_.size()) sources_.push_back(TimeSource{own, fallback, INT64_MIN, INT64_MIN, {}, {}});
        source_of_[q] = static_cast<uint32_t>(s);
        sources_[s].queries.push_back(q);
    }
    event_times_.resize(sources_.size());
    resync();
}

std::optional<int64_t> QueryRunner::time_of(const vm::EventRecord& event, vm::SlotId slot, vm::FieldType type) {
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
    const std::optional<int64_t> ts = time_of(event, slot, catalog_.type(slot));
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
    if (event.source_valid) return true;
    if (checked_ == Checked::no) {
        if (const uint8_t shared = verdict_ ? verdict_->load(std::memory_order_relaxed) : 0) {
            checked_ = shared == 1 ? Checked::valid : Checked::invalid;
        } else {
            invalid_ = event.source.empty() ? std::nullopt : checker_.check(event.source);
            checked_ = invalid_ ? Checked::invalid : Checked::valid;
            if (verdict_) verdict_->store(invalid_ ? 2 : 1, std::memory_order_relaxed);
        }
    }
    return checked_ == Checked::valid;
}

void QueryRunner::take_noted_times(const Noted& noted) {
    if (noted.times.size() != noted.time_slots.size() + 1) return;  // none noted (the worker was not ahead)
    const uint64_t found = noted.times.front();
    for (size_t k = 0; k < noted.time_slots.size(); ++k) {
        std::optional<int64_t> ts;
        if ((found >> k) & 1) ts = static_cast<int64_t>(noted.times[k + 1]);
        own_timestamps_.emplace_back(noted.time_slots[k], ts);
    }
}

void QueryRunner::process(const vm::EventRecord& event, Pass pass, uint64_t tick, sequence::TextSlot* text,
                          std::atomic<uint8_t>* verdict, const Noted* noted) {
    tick_ = tick;
    text_ = text;
    verdict_ = verdict;
    checked_ = Checked::no;
    invalid_.reset();
    own_timestamps_.clear();
    if (noted) take_noted_times(*noted);
    event_values_ = noted ? noted->values : value_mask_ ? value_mask_->of(event) : 0;
    if (index_) {
        process_indexed(event, pass, noted);
    } else {
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
            run_query(q, state, event, is_sample, ts);
        }
    }
    if (vm_.errors().count) {
        counters_.evaluation_errors += vm_.errors().count;
        vm_.clear_errors();
    }
}

void QueryRunner::run_query(size_t q, QueryState& state, const vm::EventRecord& event, bool is_sample,
                            std::optional<int64_t> ts) {
    if (is_sample) {
        run_sample(q, state, event, ts.value_or(0));
        return;
    }
    if (!ts) return;
    if (state.compiled.kind == ast::QueryKind::event)
        run_event_query(q, state, event, *ts);
    else
        run_sequence(q, state, event, *ts);
}

// Idle sequences. Without the index every query sees every event: an event query or sample that no term matches
// does nothing, and a sequence only has its time moved (SequenceMatcher::advance_time), which decides missing-event
// checks and drops partials whose maxspan ran out. With the index, a sequence runs only on an event that one of
// its terms may match, or once its time has work to do: each time source keeps the latest event time (its clock)
// and a heap of the sequences' wakeup() times, and an event that moves the clock past a sequence's wakeup runs
// it. Until then, advance_time would change nothing but the matcher's clock; the matcher is brought to the
// source's clock before it runs again (and by sync_time()), so it sees exactly the times it would see without
// the index: same results, in the same order, same statistics and snapshots.
void QueryRunner::process_indexed(const vm::EventRecord& event, Pass pass, const Noted* noted) {
    if (++epoch_ == 0) {  // wrapped: no stale mark may equal the new epoch
        std::fill(term_epoch_.begin(), term_epoch_.end(), 0);
        std::fill(held_epoch_.begin(), held_epoch_.end(), 0);
        std::fill(query_epoch_.begin(), query_epoch_.end(), 0);
        epoch_ = 1;
    }
    touched_.clear();
    auto touch = [&](size_t q) {
        if (query_epoch_[q] == epoch_) return;
        query_epoch_[q] = epoch_;
        touched_.push_back(q);
    };
    // A candidate term: its query runs, unless the value mask rules the term out.
    auto candidate_term = [&](uint32_t t) {
        if (!may_hold(term_bits_[t])) return false;
        term_epoch_[t] = epoch_;
        const uint32_t q = index_->query_of(t);
        if (mine_[q]) touch(q);
        return true;
    };
    if (noted) {
        for (const uint32_t noted_term : noted->candidates) {
            // An event query's filter noted false is no candidate: run_event_query would stop at it.
            if (noted_term & kNotedFails) continue;
            const uint32_t t = noted_term & kNotedTerm;
            if (candidate_term(t) && (noted_term & kNotedHeld)) held_epoch_[t] = epoch_;
        }
    } else {
        hits_.clear();
        index_->candidate_lists(event, index_scratch_, hits_);
        for (const uint32_t list : hits_)
            for (const uint32_t t : index_->terms_of(list)) candidate_term(t);
    }
    for (const size_t q : always_) touch(q);

    if (pass != Pass::samples_only) {
        const std::optional<int64_t> order_time =
            event.has_timestamp ? std::optional<int64_t>(event.timestamp_ns) : std::nullopt;
        for (size_t s = 0; s < sources_.size(); ++s) {
            TimeSource& source = sources_[s];
            std::optional<int64_t>& ts = event_times_[s];
            ts = order_time;
            if (source.own) {
                const std::optional<int64_t> own = own_timestamp(event, *source.own);
                if (own) {
                    ts = own;
                } else if (!source.fallback || has_value(event, *source.own)) {
                    ts.reset();  // the queries of this source skip the event, and count it
                    for (const size_t q : source.queries)
                        if (!queries_[q].disabled() && !queries_[q].limiter.saturated())
                            ++counters_.query_events_without_timestamp;
                }
            }
            if (!ts) continue;
            source.previous = source.clock;
            source.clock = std::max(source.clock, *ts);
            auto later = [](const std::pair<int64_t, size_t>& a, const std::pair<int64_t, size_t>& b) { return a > b; };
            while (!source.wakeups.empty() && source.wakeups.front().first < source.clock) {
                const auto [at, q] = source.wakeups.front();
                std::pop_heap(source.wakeups.begin(), source.wakeups.end(), later);
                source.wakeups.pop_back();
                if (!scheduled_[q] || wake_[q] != at) continue;  // stale
                scheduled_[q] = 0;
                touch(q);
            }
        }
    }
    std::sort(touched_.begin(), touched_.end());  // query order, as without the index

    for (const size_t q : touched_) {
        // Only valid queries have terms or deadlines. Their kind is kept here: the QueryEntry is cold.
        QueryState& state = queries_[q];
        if (state.limiter.saturated()) continue;
        const bool is_sample = sample_[q];
        if ((pass == Pass::samples_only && !is_sample) || (pass == Pass::ordered_only && is_sample)) continue;
        if (is_sample) {
            run_query(q, state, event, true,
                      event.has_timestamp ? std::optional<int64_t>(event.timestamp_ns) : std::nullopt);
            continue;
        }
        const TimeSource& source = sources_[source_of_[q]];
        const std::optional<int64_t> ts = event_times_[source_of_[q]];
        if (!ts) continue;
        if (state.sequence && state.sequence->now() < source.previous) state.sequence->advance_time(source.previous);
        run_query(q, state, event, false, ts);
        if (state.sequence) schedule(q);
    }
}

void QueryRunner::schedule(size_t q) {
    const int64_t at = queries_[q].sequence->wakeup();
    if (at == INT64_MAX) {
        scheduled_[q] = 0;
        return;
    }
    if (scheduled_[q] && wake_[q] == at) return;
    wake_[q] = at;
    scheduled_[q] = 1;
    auto& heap = sources_[source_of_[q]].wakeups;
    const auto later = [](const std::pair<int64_t, size_t>& a, const std::pair<int64_t, size_t>& b) { return a > b; };
    // Stale entries pile up as wakeups move: rebuild the heap from the live ones now and then.
    if (heap.size() > 64 + 4 * sources_[source_of_[q]].queries.size()) {
        heap.clear();
        for (const size_t other : sources_[source_of_[q]].queries)
            if (scheduled_[other]) heap.emplace_back(wake_[other], other);
        std::make_heap(heap.begin(), heap.end(), later);
    } else {
        heap.emplace_back(at, q);
        std::push_heap(heap.begin(), heap.end(), later);
    }
}

void QueryRunner::sync_time() {
    if (!index_) return;
    for (const TimeSource& source : sources_)
        for (const size_t q : source.queries) {
            QueryState& state = queries_[q];
            if (state.sequence && !state.disabled() && !state.limiter.saturated() &&
                state.sequence->now() < source.clock)
                state.sequence->advance_time(source.clock);
        }
}

void QueryRunner::resync() {
    if (!index_) return;
    for (TimeSource& source : sources_) {
        source.clock = INT64_MIN;
        source.wakeups.clear();
        for (const size_t q : source.queries) {
            const QueryState& state = queries_[q];
            scheduled_[q] = 0;
            if (!state.sequence || state.disabled()) continue;
            source.clock = std::max(source.clock, state.sequence->now());
        }
        source.previous = source.clock;
        for (const size_t q : source.queries)
            if (queries_[q].sequence && !queries_[q].disabled()) schedule(q);
    }
}

void QueryRunner::run_event_query(size_t q, QueryState& state, const vm::EventRecord& event, int64_t ts) {
    const compiler::CompiledTerm& term = state.compiled.terms.front();
    if (!may_hold(state.entry.value_bits.front()) || !may_run(q, 0)) return;
    const bool noted_held = index_ && held_epoch_[term_id(q, 0)] == epoch_;
    if (!noted_held && !vm::matches(*term.filter, event, vm_)) return;
    if (!admit(event)) return;
    Match match;
    match.query = q;
    match.kind = MatchKind::event;
    match.events.push_back(MatchedEvent{false, std::string(event.source), ts, event.ordinal});
    state.limiter.add(std::move(match), [&](Match&& m) { deliver_(q, std::move(m)); });
}

size_t QueryRunner::term_keys(const compiler::CompiledTerm& term, uint64_t value_bits, const vm::EventRecord& event,
                              uint32_t id) {
    if (!may_hold(value_bits) || !candidate(id) || !vm::matches(*term.filter, event, vm_)) return 0;
    if (!key_builder_.build(term, event, vm_)) return 0;
    for (const auto& k : key_builder_.keys()) hit_keys_.add().assign(k);
    return key_builder_.keys().size();
}

// Most sequences wait most of the time: with no partial pending, only their first stage (and leading or
// intermediate missing-event terms) can do anything with an event. So the terms whose hits cannot matter now
// (SequenceMatcher::hit_can_matter) are evaluated only when a term whose hit can matter held on the event, which
// may change the state before the matcher looks at the others; otherwise the event is, for this sequence, one
// that matched nothing. That spares their programs, their join keys and, above all, the JSON check (admit) of
// the events that only such terms match: with a library, a waiting sequence's later stage (a broad "process
// where event.type == \"start\"") or trailing missing-event term matches much of the stream.
void QueryRunner::run_sequence(size_t q, QueryState& state, const vm::EventRecord& event, int64_t ts) {
    hit_keys_.clear();
    counts_.clear();
    const auto& terms = state.compiled.terms;
    const sequence::SequenceMatcher& matcher = *state.sequence;
    bool deferred = false, mattering_hit = false;
    auto evaluate = [&](uint32_t stage) {
        // `runs=N` repeats one filter N times: evaluate it once (the copy before it was evaluated in the same
        // round, as both have the same standing).
        if (stage > 0 && terms[stage].filter == terms[stage - 1].filter &&
            terms[stage].keys.size() == terms[stage - 1].keys.size() && !counts_.empty() &&
            counts_.back().first == stage - 1) {
            const size_t n = counts_.back().second;
            const size_t from = hit_keys_.size() - n;
            for (size_t i = 0; i < n; ++i) {
                std::string& copy = hit_keys_.add();  // may move the strings: the one copied is found after
                copy.assign(hit_keys_[from + i]);
            }
            counts_.emplace_back(stage, n);
            return true;
        }
        if (const size_t n = term_keys(terms[stage], state.entry.value_bits[stage], event, term_id(q, stage))) {
            counts_.emplace_back(stage, n);
            return true;
        }
        return false;
    };
    auto evaluate_until = [&] {
        if (const size_t n = term_keys(*state.compiled.until, state.entry.until_value_bit, event, until_id(q))) {
            counts_.emplace_back(sequence::kUntil, n);
            return true;
        }
        return false;
    };
    for (uint32_t stage = 0; stage < terms.size(); ++stage) {
        if (!matcher.hit_can_matter(stage)) {
            deferred = true;
            continue;
        }
        mattering_hit |= evaluate(stage);
    }
    if (state.compiled.until) {
        if (matcher.hit_can_matter(sequence::kUntil))
            mattering_hit |= evaluate_until();
        else
            deferred = true;
    }
    if (deferred && mattering_hit) {
        for (uint32_t stage = 0; stage < terms.size(); ++stage)
            if (!matcher.hit_can_matter(stage)) evaluate(stage);
        if (state.compiled.until && !matcher.hit_can_matter(sequence::kUntil)) evaluate_until();
    }
    if (!mattering_hit) {
        state.sequence->advance_time(ts);
        return;
    }
    stage_hits_.clear();
    size_t i = 0;
    for (const auto& [stage, n] : counts_)
        for (size_t j = 0; j < n; ++j) stage_hits_.push_back(sequence::StageHit{stage, hit_keys_[i++]});
    // A later stage's hit on a key with nothing waiting changes nothing either: no check for it.
    if (!matcher.any_hit_can_matter(stage_hits_) || !admit(event)) {
        state.sequence->advance_time(ts);
        return;
    }
    state.sequence->on_event(sequence::EventInfo{event.ordinal, ts, event.source, tick_, text_}, stage_hits_);
}

void QueryRunner::run_sample(size_t q, QueryState& state, const vm::EventRecord& event, int64_t ts) {
    hit_keys_.clear();
    counts_.clear();
    const auto& terms = state.compiled.terms;
    for (uint32_t filter = 0; filter < terms.size(); ++filter)
        if (const size_t n = term_keys(terms[filter], state.entry.value_bits[filter], event, term_id(q, filter)))
            counts_.emplace_back(filter, n);
    if (counts_.empty() || !admit(event)) return;
    sample_hits_.clear();
    size_t i = 0;
    for (const auto& [filter, n] : counts_)
        for (size_t j = 0; j < n; ++j) sample_hits_.push_back(sequence::SampleHit{filter, hit_keys_[i++]});
    state.sample->on_event(sequence::EventInfo{event.ordinal, ts, event.source, tick_, text_}, sample_hits_);
}

}  // namespace eqlc::engine
