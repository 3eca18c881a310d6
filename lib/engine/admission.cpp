// Admission of events: ordinals, timestamps, event order (--sort, the reorder window), running the queries or
// noting the event for the rule shards, and events that a query matched but that are not valid JSON.
#include "engine/engine_impl.hpp"

#include <limits>

#include "input/ndjson_reader.hpp"

namespace eqlc {

void Engine::Impl::add(const engine::RunCounters& c) {
    stats.evaluation_errors += c.evaluation_errors;
    stats.query_events_without_timestamp += c.query_events_without_timestamp;
    stats.truncated_key_products += c.truncated_key_products;
}

// One event, projected: run the queries of `pass` (or, while a batch is prepared for the shards, note it).
void Engine::Impl::process(const vm::EventRecord& event, Pass pass) {
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
void Engine::Impl::invalid_event(std::string_view origin, uint64_t line, std::string_view source, bool has_timestamp,
                                 uint64_t id, const input::JsonProblem& problem) {
    if (!invalid_ids.insert(id).second) return;
    ++stats.bad_lines;
    if (has_timestamp && stats.events > 0) --stats.events;
    report_bad(BadInput{std::string(origin), line,
                        problem.message + " (column " + std::to_string(problem.offset + 1) +
                            "); the event matched a query but is left out of every result",
                        std::string(source.substr(0, 200))});
}

std::string Engine::Impl::timestamp_problem(input::TimestampError why) {
    if (why == input::TimestampError::Empty || why == input::TimestampError::None) return "missing, null or empty";
    return input::describe(why);
}

std::string Engine::Impl::no_timestamp_message(input::TimestampError why) const {
    return "event has no usable timestamp in field [" + options.query.timestamp_field + "] (" + timestamp_problem(why) +
           "); " + (has_samples ? "used only by sample queries" : "skipped");
}

// Common entry for every event source: checks the timestamp and the order, then runs or buffers it. False
// when the event has no usable timestamp (reported; what strict reading stops at).
bool Engine::Impl::accept(vm::EventRecord& event, std::string_view origin, uint64_t line, input::TimestampError why) {
    event.ordinal = next_ordinal++;
    if (!event.has_timestamp) {
        // Event queries and sequences order events by time; samples do not need it (SEMANTICS §9).
        ++stats.events_without_timestamp;
        last_timestamp_error = why;
        report_bad(
            BadInput{std::string(origin), line, no_timestamp_message(why), std::string(event.source.substr(0, 200))});
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
bool Engine::Impl::stop_after(bool accepted, const ReadOptions& read, const std::string& name, uint64_t line,
                              std::optional<Diagnostic>& failure) {
    if (!accepted && read.strict) {
        Diagnostic d;
        d.phase = Phase::input;
        d.message = input::NdjsonReader::strict_stop_message(name, line, no_timestamp_message(last_timestamp_error));
        d.span.begin.line = d.span.end.line =
            static_cast<uint32_t>(std::min<uint64_t>(line, std::numeric_limits<uint32_t>::max()));
        failure = std::move(d);
        return true;
    }
    return read.stop && read.stop->load(std::memory_order_relaxed);
}

void Engine::Impl::run_sorted() {
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

}  // namespace eqlc
