// Limits of the sequence and sample runtime (SEMANTICS Decision 8). Every limit is explicit, configurable,
// counted in the matcher's stats when it acts, and never crashes or loses a completed match.
//
// | Limit                        | Default   | When hit                                                           | Stat                  |
// |------------------------------|-----------|--------------------------------------------------------------------|-----------------------|
// | pending partials per key and | 1 (fixed) | Not a limit: Elasticsearch's OrdinalGroup.trimBefore takes the      | partials_replaced     |
// |   stage                      |           | newest partial of a stage and drops the older ones, so only the    |                       |
// |                              |           | newest can ever be used (proof in sequence_matcher.cpp). Keeping    |                       |
// |                              |           | one per key and stage is exact; a newer one replaces it.           |                       |
// | max_keys                     | 1,000,000 | The least recently updated key (its partials, until marker and     | evicted_keys_max_keys |
// |                              |           | missing-event history) is evicted before a new key is added.       |                       |
// | max_state_bytes              | 1 GiB     | After each event, least recently updated keys are evicted until    | evicted_keys_bytes    |
// |                              |           | the evictable state fits (or no key is left): keys, partials,      |                       |
// |                              |           | until markers, missing-event history and the kept events (with     |                       |
// |                              |           | their source text) they reference. Matches waiting for a missing-  |                       |
// |                              |           | event decision or for their turn in the output are never evicted;  |                       |
// |                              |           | they are bounded by maxspan and reported in stats.state_bytes.     |                       |
// | max_missing_hits_per_key     | 65,536    | The oldest remembered missing-term event of that key is forgotten  | evicted_missing_hits  |
// |                              |           | (history is otherwise kept only for one maxspan of event time).    |                       |
//
// Samples use max_keys and max_state_bytes the same way (least recently created key first; a key evicted
// from a sample loses its candidate documents, counted in evicted_keys_*), plus the per-key cap that
// Elasticsearch itself applies: each filter keeps the first `filters + max_samples_per_key - 1` matching
// documents of a key, which is all that Elasticsearch's per-key queries fetch.
//
// These limits are per matcher. An Engine uses max_keys as given and max_state_bytes as its per-query cap
// (EngineOptions::max_query_state_bytes, none by default); its main byte limit is one budget for all its
// matchers (EngineOptions::max_state_bytes), enforced by the engine between events through each matcher's
// evict_for_budget() (least recently used key of the whole engine first, stat evicted_keys_budget), with the
// kept events' text shared between matchers and counted once (engine/state_budget.cpp, sequence/shared_text.hpp).
//
// Expiry is not a limit: with maxspan, a key whose last update is more than maxspan old (in event time) can
// no longer produce a match and is dropped (stats.expired_*).
#pragma once

#include <cstddef>
#include <cstdint>

namespace eqlc::sequence {

struct Limits {
    uint64_t max_keys = 1'000'000;
    uint64_t max_state_bytes = uint64_t{1} << 30;
    uint32_t max_missing_hits_per_key = 65'536;
};

}  // namespace eqlc::sequence
