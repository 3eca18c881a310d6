// The engine-wide state budget, checked at deterministic points of the event stream.
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
#include "engine/engine_impl.hpp"

namespace eqlc {

uint64_t Engine::Impl::evictable(const QueryState& q) {
    if (q.sequence) return q.sequence->evictable_bytes_without_text();
    if (q.sample) return q.sample->evictable_bytes_without_text();
    return 0;
}

std::optional<uint64_t> Engine::Impl::oldest_tick(const QueryState& q) {
    if (q.sequence) return q.sequence->oldest_key_tick();
    if (q.sample) return q.sample->oldest_key_tick();
    return std::nullopt;
}

// Only where no matcher runs: on the engine's thread, between batches' parts.
void Engine::Impl::check_state() {
    enforce_budget();
    report_evictions();
}

void Engine::Impl::enforce_budget() {
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

void Engine::Impl::report_evictions() {
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

}  // namespace eqlc
