// Elasticsearch's SequenceMatcher, one event at a time.
//
// Why one pending partial per key and stage is exact (and not a limit). Elasticsearch keeps, per stage and
// key, an OrdinalGroup of partial sequences ordered by the ordinal of their last event; a hit h at stage n
// calls trimBefore(h) on stage n-1, which removes and returns the newest partial whose last ordinal is < h and
// discards every older one. We process the stages an event hits from the last to the first, so when stage n
// sees the event, stage n-1 holds only partials whose last event is strictly earlier: trimBefore(h) then takes
// the newest partial of the group and empties it. Hence a partial that is not the newest of its group when a
// hit comes is never taken; it is discarded. Keeping only the newest (a newer partial replaces the pending
// one) gives the same matches. What would differ is maxspan: could an older partial have a later first event,
// and survive maxspan where the newest does not? No: a group is emptied by every take, so the partials that
// enter group n after a take at h were taken from group n-1 after h, i.e. were inserted into group n-1 after
// the partials taken before h; by induction from stage 0 (whose partials start at their only event), first
// events are non-decreasing in insertion order within every group. Processing within an event from the last
// stage to the first is what Elasticsearch's stage-by-stage matching amounts to: a partial created by event e
// at stage n-1 has last ordinal e and cannot be taken by e at stage n (strict <), whatever the order.
//
// The until rule needs only the newest until event per key: a transition from a partial whose last event is
// at ordinal a to a hit at ordinal h is refused when the newest until event u before h (u < h) has u >= a;
// an older one does too only if the newest does. Until hits of an event are applied after its stage hits,
// so an event that is both a stage event and an until event kills the partial it just extended at the
// next transition (a <= u), as Elasticsearch does. An until event of a key with no pending partial is
// forgotten: any later partial of that key starts after it.
//
// Missing terms (SEMANTICS §7 "Missing events"): matching uses the positive terms only; each completed
// candidate is then checked. Intermediate and leading checks look at events that arrived before the
// candidate completed (they must be strictly earlier in time than a positive event of the candidate), so they
// are decided at once from a per-key history of missing-term hits; that history only needs one maxspan of
// event time (an older leading hit decides exactly as no hit). Trailing checks wait for the first trailing hit
// after the candidate, or for event time to pass the point after which any hit would be outside maxspan.
#include "sequence/sequence_matcher.hpp"

#include <algorithm>
#include <cassert>

#include "sequence/snapshot.hpp"

namespace eqlc::sequence {

namespace {

// a - b > limit, for any int64 values and limit >= 0, without overflow.
bool gap_exceeds(int64_t a, int64_t b, int64_t limit) {
    if (a <= b) return false;
    return static_cast<uint64_t>(a) - static_cast<uint64_t>(b) > static_cast<uint64_t>(limit);
}

int64_t add_sat(int64_t a, int64_t b) {  // b >= 0
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

int64_t sub_sat(int64_t a, int64_t b) {  // b >= 0
    return a < INT64_MIN + b ? INT64_MIN : a - b;
}

// Heap bytes of a std::string holding `n` bytes (libstdc++ keeps up to 15 inline).
uint64_t string_heap_bytes(size_t n) { return n > 15 ? n + 1 : 0; }

constexpr uint64_t kMissingHitBytes = 16;
constexpr uint64_t kPendingSurcharge = 16;  // a deadline heap entry and a waiter list entry

}  // namespace

std::string validate(const SequenceSpec& spec) {
    if (spec.missing.empty()) return "a sequence needs at least one stage";
    if (spec.missing.size() >= kUntil) return "too many stages";
    if (std::none_of(spec.missing.begin(), spec.missing.end(), [](bool m) { return !m; }))
        return "a sequence needs at least one stage that is not a missing-event term";
    if (spec.maxspan_ns && *spec.maxspan_ns < 0) return "maxspan must not be negative";
    return {};
}

SequenceMatcher::SequenceMatcher(SequenceSpec spec, Sink sink, Limits limits)
    : SequenceMatcher(std::move(spec), std::move(sink), limits, true) {
    [[maybe_unused]] const std::string problem = validate(spec_);
    assert(problem.empty());
}

SequenceMatcher::SequenceMatcher(SequenceSpec spec, Sink sink, Limits limits, bool)
    : spec_(std::move(spec)), sink_(std::move(sink)), limits_(limits) {
    init_layout();
}

void SequenceMatcher::init_layout() {
    const auto n = static_cast<uint32_t>(spec_.missing.size());
    stages_.assign(n, StageInfo{});
    stage_stats_.assign(n, StageStats{});
    positive_stage_.clear();
    for (uint32_t i = 0; i < n; ++i) {
        stages_[i].missing = spec_.missing[i];
        if (!spec_.missing[i]) {
            stages_[i].positive = static_cast<uint32_t>(positive_stage_.size());
            positive_stage_.push_back(i);
        }
    }
    positives_ = static_cast<uint32_t>(positive_stage_.size());
    groups_per_key_ = positives_ > 0 ? positives_ - 1 : 0;
    has_leading_ = has_trailing_ = has_missing_ = false;
    for (uint32_t i = 0; i < n; ++i) {
        if (!stages_[i].missing) continue;
        has_missing_ = true;
        std::optional<uint32_t> prev, next;
        for (uint32_t j = i; j-- > 0;)
            if (!stages_[j].missing) {
                prev = stages_[j].positive;
                break;
            }
        for (uint32_t j = i + 1; j < n; ++j)
            if (!stages_[j].missing) {
                next = stages_[j].positive;
                break;
            }
        if (!prev) {
            stages_[i].kind = MissingKind::leading;
            has_leading_ = true;
        } else if (!next) {
            stages_[i].kind = MissingKind::trailing;
            has_trailing_ = true;
        } else {
            stages_[i].kind = MissingKind::intermediate;
            stages_[i].prev_positive = *prev;
            stages_[i].next_positive = *next;
        }
    }
    pools_.assign(std::max<uint32_t>(groups_per_key_, 1), Pool{});
    for (uint32_t p = 1; p < groups_per_key_; ++p) pools_[p].width = p + 1;
}

// ---------------------------------------------------------------------------------------------------------
// Events

void SequenceMatcher::on_event(const EventInfo& ev, std::span<const StageHit> hits) {
    ++stats_.events;
    if (now_ != INT64_MIN && ev.timestamp_ns < now_) ++stats_.out_of_order_events;
    advance(std::max(now_, ev.timestamp_ns));
    const uint64_t seq = ++seq_;
    tick_ = ev.tick;

    // Positive stages from the last to the first, then missing terms, then until; duplicates once.
    auto rank = [&](const StageHit& h) -> uint64_t {
        if (h.stage == kUntil) return uint64_t{3} << 32;
        if (stages_[h.stage].missing) return (uint64_t{2} << 32) | h.stage;
        return (uint64_t{1} << 32) | (UINT32_MAX - stages_[h.stage].positive);
    };
    order_.clear();
    for (uint32_t i = 0; i < hits.size(); ++i)
        if (hits[i].stage == kUntil ? spec_.has_until : hits[i].stage < stages_.size()) order_.push_back(i);
    std::sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) {
        const uint64_t ra = rank(hits[a]), rb = rank(hits[b]);
        if (ra != rb) return ra < rb;
        return hits[a].key < hits[b].key;
    });
    order_.erase(std::unique(order_.begin(), order_.end(),
                             [&](uint32_t a, uint32_t b) {
                                 return hits[a].stage == hits[b].stage && hits[a].key == hits[b].key;
                             }),
                 order_.end());

    EventHandle handle = kNoEvent;
    // Hits are grouped by stage: count each stage once per event.
    bool first = true;
    uint32_t previous_stage = 0;
    for (uint32_t i : order_) {
        const StageHit& h = hits[i];
        ++stats_.hits;
        if (first || h.stage != previous_stage) {
            first = false;
            previous_stage = h.stage;
            if (h.stage == kUntil)
                ++until_events_;
            else
                ++stage_stats_[h.stage].passed;
        }
        if (h.stage == kUntil)
            on_until(h.key, seq);
        else if (stages_[h.stage].missing)
            on_missing(h.stage, h.key, ev.timestamp_ns);
        else
            on_positive(stages_[h.stage].positive, h.key, ev.timestamp_ns, seq, handle, ev);
    }
    if (handle != kNoEvent) events_.unpin(handle);
    // Keys a transition emptied, unless a later hit of this event filled them again (or they went away).
    for (uint32_t id : maybe_empty_)
        if (keys_[id].aux != kFreeSlot) erase_key_if_empty(id);
    maybe_empty_.clear();

    commit_new_candidates();
    flush();
    enforce_limits();
    update_stats();
}

void SequenceMatcher::advance_time(int64_t now_ns) {
    if (now_ns <= now_) return;
    advance(now_ns);
    flush();
    update_stats();
}

bool SequenceMatcher::any_hit_can_matter(std::span<const StageHit> hits) const {
    for (const StageHit& h : hits) {
        if (!hit_can_matter(h.stage)) continue;
        if (h.stage == kUntil) {
            const uint32_t id = keys_.find(h.key);
            if (id != kNone && has_partials(id)) return true;
            continue;
        }
        const StageInfo& s = stages_[h.stage];
        if (s.missing) {
            if (s.kind != MissingKind::trailing || waiters_.count(std::string(h.key))) return true;
            continue;
        }
        if (s.positive == 0) return true;
        const uint32_t id = keys_.find(h.key);
        if (id != kNone && slot(id, s.positive - 1) != kNone) return true;
    }
    return false;
}

int64_t SequenceMatcher::wakeup() const {
    int64_t at = INT64_MAX;
    if (!deadlines_.empty()) at = deadlines_.front().first;  // decided when now_ passes it
    if (spec_.maxspan_ns && keys_.oldest() != kNone)
        at = std::min(at, add_sat(keys_[keys_.oldest()].last_touch, *spec_.maxspan_ns));  // swept likewise
    return at;
}

void SequenceMatcher::advance(int64_t now) {
    now_ = now;
    decide_deadlines();
    sweep_expired();
}

void SequenceMatcher::finish() {
    for (size_t i = 0; i < out_.size(); ++i)
        if (out_[i].decision == Decision::pending) decide(out_base_ + i, Decision::accepted);  // no trailing event
    deadlines_.clear();
    flush();
    stats_.dropped_at_finish += pending_partials_;
    for (uint32_t id = keys_.oldest(); id != kNone; id = keys_.newer(id))
        for (uint32_t p = 0; p < groups_per_key_; ++p)
            if (slot(id, p) != kNone) ++stage_stats_[positive_stage_[p]].dropped_at_finish;
    while (keys_.oldest() != kNone) erase_key(keys_.oldest());
    update_stats();
}

EventHandle SequenceMatcher::ensure_event(EventHandle& handle, const EventInfo& ev, uint64_t seq) {
    if (handle == kNoEvent) {
        handle = events_.add(ev, seq);
        events_.pin(handle);  // for the duration of the event: a rejected candidate must not free it mid-way
    }
    return handle;
}

void SequenceMatcher::on_positive(uint32_t p, KeyView key, int64_t ts, uint64_t seq, EventHandle& handle,
                                  const EventInfo& ev) {
    if (p == 0) {
        ++stage_stats_[positive_stage_[0]].started;
        if (positives_ == 1) {
            const EventHandle h = ensure_event(handle, ev, seq);
            events_.retain(h);
            add_candidate(key, std::span<const EventHandle>(&h, 1));
            return;
        }
        uint32_t id = keys_.find(key);
        if (id == kNone) id = create_key(key);
        if (id == kNone) return;
        const EventHandle h = ensure_event(handle, ev, seq);
        events_.retain(h);
        uint32_t& s = slot_ref(id, 0);
        if (s != kNone) {
            drop_partial(0, s, true);
            ++stats_.partials_replaced;
            ++stage_stats_[positive_stage_[0]].replaced;
            --pending_partials_;
        }
        s = h;
        ++pending_partials_;
        touch(id);
        return;
    }

    const uint32_t id = keys_.find(key);
    if (id == kNone) return;
    const uint32_t value = slot(id, p - 1);
    if (value == kNone) return;
    // trimBefore: take the (only, newest) partial of the previous stage.
    slot_ref(id, p - 1) = kNone;
    --pending_partials_;
    std::vector<EventHandle>& events = tmp_events_;
    partial_events(p - 1, value, events);
    drop_partial(p - 1, value, /*release=*/false);  // the references move to `events`

    StageStats& waiting = stage_stats_[positive_stage_[p - 1]];
    auto refuse = [&](uint64_t& counter, uint64_t& stage_counter) {
        for (EventHandle e : events) events_.release(e);
        ++counter;
        ++stage_counter;
        maybe_empty_.push_back(id);
    };
    if (spec_.maxspan_ns && gap_exceeds(ts, events_.timestamp(events.front()), *spec_.maxspan_ns))
        return refuse(stats_.rejected_maxspan, waiting.expired);
    if (spec_.has_until && keys_[id].aux != kNone) {
        const uint64_t until = auxes_[keys_[id].aux].until_seq;
        // Elasticsearch: the newest until event before the hit (strictly), if it lies in [last event, hit]
        // (Ordinal.between is inclusive), kills the transition: an until event that is the partial's last event
        // counts (spec sequenceWithOptionalFieldsAndUntil_2), one that is the hit itself does not (…_1).
        if (until != 0 && until >= events_.seq(events.back()) && until < seq)
            return refuse(stats_.rejected_until, waiting.until);
    }
    ++stage_stats_[positive_stage_[p]].advanced;
    const EventHandle h = ensure_event(handle, ev, seq);
    events_.retain(h);
    events.push_back(h);
    if (p + 1 == positives_) {
        add_candidate(key, events);
        maybe_empty_.push_back(id);
        return;
    }
    uint32_t& s = slot_ref(id, p);
    if (s != kNone) {
        drop_partial(p, s, true);
        ++stats_.partials_replaced;
        ++stage_stats_[positive_stage_[p]].replaced;
        --pending_partials_;
    }
    const uint32_t stored = store_partial(p, events);
    slot_ref(id, p) = stored;
    ++pending_partials_;
    touch(id);
}

void SequenceMatcher::on_missing(uint32_t stage, KeyView key, int64_t ts) {
    if (stages_[stage].kind == MissingKind::trailing) {
        // Only candidates that already completed care, and they are waiting for exactly this.
        resolve_trailing(key, ts);
        return;
    }
    uint32_t id = keys_.find(key);
    if (id == kNone) id = create_key(key);
    if (id == kNone) return;
    KeyAux& x = aux_of(id);
    prune_missing(x);
    if (x.missing.size() - x.missing_head >= limits_.max_missing_hits_per_key) {
        if (limits_.max_missing_hits_per_key == 0) {
            ++stats_.evicted_missing_hits;
            erase_key_if_empty(id);
            return;
        }
        ++x.missing_head;
        key_bytes_ -= kMissingHitBytes;
        ++stats_.evicted_missing_hits;
    }
    x.missing.push_back(MissingHit{ts, stage});
    key_bytes_ += kMissingHitBytes;
    touch(id);
}

void SequenceMatcher::on_until(KeyView key, uint64_t seq) {
    const uint32_t id = keys_.find(key);
    if (id == kNone || !has_partials(id)) return;
    aux_of(id).until_seq = seq;
}

// ---------------------------------------------------------------------------------------------------------
// Time

void SequenceMatcher::decide_deadlines() {
    auto later = [](const std::pair<int64_t, uint64_t>& a, const std::pair<int64_t, uint64_t>& b) { return a > b; };
    while (!deadlines_.empty() && deadlines_.front().first < now_) {
        const uint64_t id = deadlines_.front().second;
        std::pop_heap(deadlines_.begin(), deadlines_.end(), later);
        deadlines_.pop_back();
        if (id >= out_base_ && out_[id - out_base_].decision == Decision::pending) decide(id, Decision::accepted);
    }
}

void SequenceMatcher::sweep_expired() {
    if (!spec_.maxspan_ns) return;
    const int64_t cutoff = sub_sat(now_, *spec_.maxspan_ns);
    while (keys_.oldest() != kNone && keys_[keys_.oldest()].last_touch < cutoff) {
        const uint32_t id = keys_.oldest();
        uint64_t n = 0;
        for (uint32_t p = 0; p < groups_per_key_; ++p)
            if (slot(id, p) != kNone) {
                ++n;
                ++stage_stats_[positive_stage_[p]].expired;
            }
        stats_.expired_partials += n;
        ++stats_.expired_keys;
        erase_key(id);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Keys

uint32_t SequenceMatcher::create_key(KeyView key) {
    if (!keys_.make_room(limits_.max_keys, [&](uint32_t) { evict_oldest(stats_.evicted_keys_max_keys); })) {
        ++stats_.evicted_keys_max_keys;  // max_keys == 0: the key is refused
        return kNone;
    }
    const uint32_t id = keys_.insert(key);
    KeyState& k = keys_[id];
    k.group0 = kNone;
    k.aux = kNone;
    k.last_touch = now_;
    k.tick = tick_;
    return id;
}

void SequenceMatcher::touch(uint32_t id) {
    KeyState& k = keys_[id];
    k.last_touch = now_;
    k.tick = tick_;
    keys_.touch(id);
}

void SequenceMatcher::erase_key(uint32_t id) {
    for (uint32_t p = 0; p < groups_per_key_; ++p) {
        const uint32_t v = slot(id, p);
        if (v == kNone) continue;
        drop_partial(p, v, true);
        slot_ref(id, p) = kNone;  // exists: allocates nothing
        --pending_partials_;
    }
    KeyState& k = keys_[id];
    if (k.aux != kNone) {
        KeyAux& x = auxes_[k.aux];
        if (x.groups != kNone) {
            free_group_blocks_.push_back(x.groups);
            key_bytes_ -= 4ull * (groups_per_key_ - 1);
        }
        key_bytes_ -= sizeof(KeyAux) + kMissingHitBytes * (x.missing.size() - x.missing_head);
        x = KeyAux{};
        free_auxes_.push_back(k.aux);
    }
    k.group0 = kNone;
    k.aux = kFreeSlot;
    keys_.erase(id);
}

void SequenceMatcher::erase_key_if_empty(uint32_t id) {
    if (has_partials(id)) return;
    const KeyState& k = keys_[id];
    if (k.aux != kNone) {
        const KeyAux& x = auxes_[k.aux];
        if (x.missing.size() > x.missing_head) return;
    }
    erase_key(id);
}

void SequenceMatcher::evict_oldest(uint64_t& counter) {
    const uint32_t id = keys_.oldest();
    uint64_t n = 0;
    for (uint32_t p = 0; p < groups_per_key_; ++p)
        if (slot(id, p) != kNone) {
            ++n;
            ++stage_stats_[positive_stage_[p]].evicted;
        }
    stats_.evicted_partials += n;
    ++counter;
    erase_key(id);
}

void SequenceMatcher::evict_for_budget() {
    if (keys_.oldest() == kNone) return;
    evict_oldest(stats_.evicted_keys_budget);
    update_stats();
}

// The byte limit applies to what eviction can free: keys, partials, history and the events they retain.
// Matches waiting for a missing-event decision are never evicted (they are bounded by maxspan).
void SequenceMatcher::enforce_limits() {
    while (keys_.oldest() != kNone && events_.held_bytes() + keys_.bytes() + key_bytes_ > limits_.max_state_bytes)
        evict_oldest(stats_.evicted_keys_bytes);
}

SequenceMatcher::KeyAux& SequenceMatcher::aux_of(uint32_t id) {
    if (keys_[id].aux == kNone) {
        uint32_t x;
        if (!free_auxes_.empty()) {
            x = free_auxes_.back();
            free_auxes_.pop_back();
        } else {
            x = static_cast<uint32_t>(auxes_.size());
            auxes_.emplace_back();
        }
        keys_[id].aux = x;
        key_bytes_ += sizeof(KeyAux);
    }
    return auxes_[keys_[id].aux];
}

void SequenceMatcher::prune_missing(KeyAux& x) {
    if (spec_.maxspan_ns) {
        const int64_t cutoff = sub_sat(now_, *spec_.maxspan_ns);
        while (x.missing_head < x.missing.size() && x.missing[x.missing_head].timestamp_ns < cutoff) {
            ++x.missing_head;
            key_bytes_ -= kMissingHitBytes;
        }
    }
    if (x.missing_head > 0 && x.missing_head * 2 >= x.missing.size()) {
        x.missing.erase(x.missing.begin(), x.missing.begin() + x.missing_head);
        x.missing_head = 0;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Partials

bool SequenceMatcher::has_partials(uint32_t id) const {
    for (uint32_t p = 0; p < groups_per_key_; ++p)
        if (slot(id, p) != kNone) return true;
    return false;
}

uint32_t SequenceMatcher::slot(uint32_t id, uint32_t p) const {
    const KeyState& k = keys_[id];
    if (p == 0) return k.group0;
    if (k.aux == kNone) return kNone;
    const uint32_t block = auxes_[k.aux].groups;
    if (block == kNone) return kNone;
    return group_slots_[size_t{block} * (groups_per_key_ - 1) + (p - 1)];
}

uint32_t& SequenceMatcher::slot_ref(uint32_t id, uint32_t p) {
    if (p == 0) return keys_[id].group0;
    KeyAux& x = aux_of(id);
    if (x.groups == kNone) {
        x.groups = allocate_group_block();
        key_bytes_ += 4ull * (groups_per_key_ - 1);
    }
    return group_slots_[size_t{x.groups} * (groups_per_key_ - 1) + (p - 1)];
}

uint32_t SequenceMatcher::allocate_group_block() {
    if (!free_group_blocks_.empty()) {
        const uint32_t b = free_group_blocks_.back();
        free_group_blocks_.pop_back();
        return b;
    }
    const uint32_t width = groups_per_key_ - 1;
    const auto b = static_cast<uint32_t>(group_slots_.size() / width);
    group_slots_.resize(group_slots_.size() + width, kNone);
    return b;
}

void SequenceMatcher::partial_events(uint32_t p, uint32_t value, std::vector<EventHandle>& out) const {
    out.clear();
    if (p == 0) {
        out.push_back(value);
        return;
    }
    const Pool& pool = pools_[p];
    const auto* at = pool.data.data() + size_t{value} * pool.width;
    out.assign(at, at + pool.width);
}

uint32_t SequenceMatcher::store_partial(uint32_t p, std::span<const EventHandle> events) {
    assert(p > 0 && events.size() == p + 1);
    Pool& pool = pools_[p];
    uint32_t block;
    if (!pool.free.empty()) {
        block = pool.free.back();
        pool.free.pop_back();
    } else {
        block = static_cast<uint32_t>(pool.data.size() / pool.width);
        pool.data.resize(pool.data.size() + pool.width);
    }
    std::copy(events.begin(), events.end(), pool.data.begin() + size_t{block} * pool.width);
    key_bytes_ += 4ull * pool.width;
    return block;
}

void SequenceMatcher::drop_partial(uint32_t p, uint32_t value, bool release) {
    if (p == 0) {
        if (release) events_.release(value);
        return;
    }
    Pool& pool = pools_[p];
    if (release)
        for (uint32_t i = 0; i < pool.width; ++i) events_.release(pool.data[size_t{value} * pool.width + i]);
    pool.free.push_back(value);
    key_bytes_ -= 4ull * pool.width;
}

// ---------------------------------------------------------------------------------------------------------
// Candidates

bool SequenceMatcher::intermediate_ok(const KeyAux* x, const std::vector<EventHandle>& events) const {
    if (x == nullptr) return true;
    for (size_t i = x->missing_head; i < x->missing.size(); ++i) {
        const MissingHit& m = x->missing[i];
        const StageInfo& st = stages_[m.stage];
        if (st.kind != MissingKind::intermediate) continue;
        const int64_t lo = events_.timestamp(events[st.prev_positive]);
        const int64_t hi = events_.timestamp(events[st.next_positive]);
        if (lo < m.timestamp_ns && m.timestamp_ns < hi) return false;
    }
    return true;
}

std::optional<int64_t> SequenceMatcher::last_leading(const KeyAux* x, int64_t first_ts) const {
    std::optional<int64_t> best;
    if (x == nullptr) return best;
    for (size_t i = x->missing_head; i < x->missing.size(); ++i) {
        const MissingHit& m = x->missing[i];
        if (stages_[m.stage].kind == MissingKind::leading && m.timestamp_ns < first_ts &&
            (!best || m.timestamp_ns > *best))
            best = m.timestamp_ns;
    }
    return best;
}

void SequenceMatcher::add_candidate(KeyView key, std::span<const EventHandle> events) {
    ++stats_.candidates;
    // Reuse the scratch candidates' buffers: most candidates are delivered at once and never copied.
    if (new_count_ == new_candidates_.size()) new_candidates_.emplace_back();
    Candidate& c = new_candidates_[new_count_++];
    c.seq = events_.seq(events.back());
    c.key.assign(key);
    c.first_ts = events_.timestamp(events.front());
    c.last_ts = events_.timestamp(events.back());
    c.base_ts = 0;
    c.events.assign(events.begin(), events.end());
    c.decision = Decision::accepted;
    // From pending state (evictable) to a match (never evicted): the references become pins.
    for (EventHandle e : c.events) {
        events_.pin(e);
        events_.release(e);
    }
    if (has_missing_) {
        const uint32_t id = keys_.find(key);
        KeyAux* x = nullptr;
        if (id != kNone && keys_[id].aux != kNone) {
            x = &auxes_[keys_[id].aux];
            prune_missing(*x);
        }
        const int64_t span = maxspan();
        if (!intermediate_ok(x, c.events)) {
            c.decision = Decision::rejected;
        } else if (has_leading_ || has_trailing_) {
            // Elasticsearch's acceptance rules: lastLeading and firstTrailing both absent; or lastLeading absent
            // and stage 0 is a missing term; or firstTrailing absent and the last stage is a missing term; or the
            // gap (lastLeading or the first positive event .. firstTrailing or the last positive event) > maxspan.
            const std::optional<int64_t> leading = has_leading_ ? last_leading(x, c.first_ts) : std::nullopt;
            if (has_leading_ && !leading) {
                c.decision = Decision::accepted;
            } else if (!has_trailing_) {
                c.decision = gap_exceeds(c.last_ts, *leading, span) ? Decision::accepted : Decision::rejected;
            } else {
                c.base_ts = leading ? *leading : c.first_ts;
                c.decision = Decision::pending;
            }
        }
        if (c.decision == Decision::rejected) {
            ++stats_.rejected_missing;
            for (EventHandle e : c.events) events_.unpin(e);
            --new_count_;
            return;
        }
    }
}

void SequenceMatcher::commit_new_candidates() {
    if (new_count_ == 0) return;
    const auto end = new_candidates_.begin() + static_cast<std::ptrdiff_t>(new_count_);
    // All end on this event: Elasticsearch breaks the tie by key.
    if (new_count_ > 1)
        std::stable_sort(new_candidates_.begin(), end,
                         [](const Candidate& a, const Candidate& b) { return compare_keys(a.key, b.key) < 0; });
    for (auto it = new_candidates_.begin(); it != end; ++it) {
        Candidate& c = *it;
        if (out_.empty() && c.decision == Decision::accepted) {  // nothing ahead of it: deliver right away
            deliver(c);
            for (EventHandle e : c.events) events_.unpin(e);
            continue;
        }
        const uint64_t id = out_base_ + out_.size();
        if (c.decision == Decision::pending) {
            ++undecided_;
            waiters_[c.key].push_back(id);
            if (spec_.maxspan_ns) {
                deadlines_.emplace_back(add_sat(c.base_ts, *spec_.maxspan_ns), id);
                std::push_heap(deadlines_.begin(), deadlines_.end(),
                               [](const auto& a, const auto& b) { return a > b; });
            }
        }
        cand_bytes_ += candidate_bytes(c);
        out_.push_back(std::move(c));
    }
    new_count_ = 0;
}

void SequenceMatcher::deliver(const Candidate& c) {
    match_events_.clear();
    size_t next = 0;
    for (const StageInfo& st : stages_) {
        if (st.missing) {
            match_events_.push_back(MatchEvent{true, 0, 0, {}});
        } else {
            const EventHandle e = c.events[next++];
            match_events_.push_back(MatchEvent{false, events_.ordinal(e), events_.timestamp(e), events_.source(e)});
        }
    }
    ++stats_.completed;
    if (sink_) sink_(SequenceMatch{c.key, match_events_});
}

void SequenceMatcher::resolve_trailing(KeyView key, int64_t ts) {
    auto it = waiters_.find(std::string(key));
    if (it == waiters_.end()) return;
    // Copy: decide() edits the waiter list.
    std::vector<uint64_t> ids = it->second;
    for (uint64_t id : ids) {
        Candidate& c = out_[id - out_base_];
        if (c.decision != Decision::pending || !(c.last_ts < ts)) continue;
        // This is firstTrailing: hits arrive in time order, so the first one after the candidate is the earliest.
        decide(id, gap_exceeds(ts, c.base_ts, maxspan()) ? Decision::accepted : Decision::rejected);
    }
}

void SequenceMatcher::decide(uint64_t id, Decision d) {
    Candidate& c = out_[id - out_base_];
    assert(c.decision == Decision::pending);
    c.decision = d;
    --undecided_;
    cand_bytes_ -= kPendingSurcharge;
    if (d == Decision::rejected) {
        ++stats_.rejected_missing;
        ++rejected_in_queue_;
    }
    auto it = waiters_.find(c.key);
    if (it != waiters_.end()) {
        auto& ids = it->second;
        ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
        if (ids.empty()) waiters_.erase(it);
    }
}

uint64_t SequenceMatcher::candidate_bytes(const Candidate& c) const {
    return sizeof(Candidate) + string_heap_bytes(c.key.size()) + 4ull * c.events.size() +
           (c.decision == Decision::pending ? kPendingSurcharge : 0);
}

void SequenceMatcher::flush() {
    while (!out_.empty() && out_.front().decision != Decision::pending) {
        Candidate& c = out_.front();
        if (c.decision == Decision::accepted) {
            deliver(c);
        } else {
            --rejected_in_queue_;
        }
        for (EventHandle e : c.events) events_.unpin(e);
        cand_bytes_ -= candidate_bytes(c);
        out_.pop_front();
        ++out_base_;
    }
}

void SequenceMatcher::update_stats() {
    stats_.keys = keys_.size();
    stats_.pending_partials = pending_partials_;
    stats_.pending_matches = out_.size() - rejected_in_queue_;
    stats_.kept_events = events_.live();
    stats_.state_bytes = events_.bytes() + keys_.bytes() + key_bytes_ + cand_bytes_;
    stats_.text_bytes = events_.text_bytes();
}

QueryStages SequenceMatcher::stage_stats() const {
    QueryStages out;
    out.stages = stage_stats_;
    out.until_events = until_events_;
    out.completed = stats_.candidates;
    out.rejected_missing = stats_.rejected_missing;
    return out;
}

uint64_t SequenceMatcher::heap_bytes_estimate() const {
    uint64_t b = keys_.heap_bytes_estimate() + group_slots_.capacity() * 4 + auxes_.capacity() * sizeof(KeyAux) +
                 events_.bytes();
    for (const Pool& p : pools_) b += p.data.capacity() * 4 + p.free.capacity() * 4;
    for (const KeyAux& x : auxes_) b += x.missing.capacity() * sizeof(MissingHit);
    b += cand_bytes_ + free_group_blocks_.capacity() * 4;
    return b;
}

// ---------------------------------------------------------------------------------------------------------
// Snapshot

namespace {
constexpr std::string_view kSequenceMagic = "EQSQ";

void save_stats(ByteWriter& w, const SequenceStats& s) {
    for (uint64_t v : {s.events, s.hits, s.out_of_order_events, s.completed, s.candidates, s.rejected_missing,
                       s.rejected_maxspan, s.rejected_until, s.partials_replaced, s.expired_partials, s.expired_keys,
                       s.dropped_at_finish, s.evicted_keys_max_keys, s.evicted_keys_bytes, s.evicted_keys_budget,
                       s.evicted_partials, s.evicted_missing_hits})
        w.u64(v);
}

void load_stats(ByteReader& r, SequenceStats& s) {
    for (uint64_t* v : {&s.events, &s.hits, &s.out_of_order_events, &s.completed, &s.candidates, &s.rejected_missing,
                        &s.rejected_maxspan, &s.rejected_until, &s.partials_replaced, &s.expired_partials,
                        &s.expired_keys, &s.dropped_at_finish, &s.evicted_keys_max_keys, &s.evicted_keys_bytes,
                        &s.evicted_keys_budget, &s.evicted_partials, &s.evicted_missing_hits})
        *v = r.u64();
}

void save_limits(ByteWriter& w, const Limits& l) {
    w.u64(l.max_keys);
    w.u64(l.max_state_bytes);
    w.u64(l.max_missing_hits_per_key);
}

void load_limits(ByteReader& r, Limits& l) {
    l.max_keys = r.u64();
    l.max_state_bytes = r.u64();
    l.max_missing_hits_per_key = r.u32();
}
}  // namespace

std::string SequenceMatcher::snapshot(SnapshotTextWriter* texts) const {
    ByteWriter w;
    w.raw(kSequenceMagic);
    w.u64(kSnapshotVersion);
    w.u64(spec_.missing.size());
    for (bool m : spec_.missing) w.u8(m ? 1 : 0);
    w.u8(spec_.has_until ? 1 : 0);
    w.u8(spec_.maxspan_ns ? 1 : 0);
    if (spec_.maxspan_ns) w.i64(*spec_.maxspan_ns);
    save_limits(w, limits_);
    save_stats(w, stats_);
    save_stage_stats(w, stage_stats_, until_events_);
    w.u64(seq_);
    w.i64(now_);
    w.u64(tick_);
    w.u8(texts ? 1 : 0);
    events_.save(w, texts);

    // Keys, least recently updated first (the LRU order is part of the state: it decides evictions).
    w.u64(keys_.size());
    std::vector<EventHandle> evs;
    for (uint32_t id = keys_.oldest(); id != kNone; id = keys_.newer(id)) {
        const KeyState& k = keys_[id];
        w.bytes(k.key.view());
        w.i64(k.last_touch);
        w.u64(k.tick);
        for (uint32_t p = 0; p < groups_per_key_; ++p) {
            const uint32_t v = slot(id, p);
            w.u8(v != kNone ? 1 : 0);
            if (v == kNone) continue;
            partial_events(p, v, evs);
            for (EventHandle e : evs) w.u64(e);
        }
        w.u8(k.aux != kNone ? 1 : 0);
        if (k.aux != kNone) {
            const KeyAux& x = auxes_[k.aux];
            w.u64(x.until_seq);
            w.u64(x.missing.size() - x.missing_head);
            for (size_t i = x.missing_head; i < x.missing.size(); ++i) {
                w.i64(x.missing[i].timestamp_ns);
                w.u64(x.missing[i].stage);
            }
        }
    }

    // Undelivered candidates, in output order.
    w.u64(out_base_);
    w.u64(out_.size());
    for (const Candidate& c : out_) {
        w.u64(c.seq);
        w.bytes(c.key);
        w.u64(c.events.size());
        for (EventHandle e : c.events) w.u64(e);
        w.i64(c.first_ts);
        w.i64(c.last_ts);
        w.i64(c.base_ts);
        w.u8(static_cast<uint8_t>(c.decision));
    }
    return w.take();
}

std::optional<SequenceMatcher> SequenceMatcher::restore(std::string_view bytes, Sink sink, std::string* error,
                                                        std::optional<Limits> limits, const SnapshotTextReader* texts) {
    auto fail = [&](const char* why) -> std::optional<SequenceMatcher> {
        if (error) *error = std::string("invalid sequence snapshot: ") + why;
        return std::nullopt;
    };
    ByteReader r(bytes);
    if (!r.expect(kSequenceMagic)) return fail("not a sequence matcher snapshot");
    const uint64_t version = r.u64();
    if (version < kOldestSnapshotVersion || version > kSnapshotVersion) return fail("unsupported version");
    SequenceSpec spec;
    const uint64_t n = r.count();
    for (uint64_t i = 0; i < n && r.ok(); ++i) spec.missing.push_back(r.boolean());
    spec.has_until = r.boolean();
    if (r.boolean()) spec.maxspan_ns = r.i64();
    if (!r.ok()) return fail("truncated spec");
    if (const std::string problem = validate(spec); !problem.empty()) return fail(problem.c_str());
    Limits saved;
    load_limits(r, saved);

    std::optional<SequenceMatcher> built;
    built.emplace(SequenceMatcher(std::move(spec), std::move(sink), limits.value_or(saved), true));
    SequenceMatcher& m = *built;
    load_stats(r, m.stats_);
    if (version >= 3) load_stage_stats(r, m.stage_stats_, m.until_events_);
    m.seq_ = r.u64();
    m.now_ = r.i64();
    m.tick_ = r.u64();
    const bool text_table = r.boolean();
    if (!r.ok()) return fail("truncated header");
    if (text_table && !texts) return fail("the kept events' texts are not in this snapshot");
    if (texts) m.share_texts(&texts->pool());
    if (!m.events_.load(r, text_table ? texts : nullptr)) return fail("bad event store");

    // Expected reference counts (partials) and pins (candidates), checked against the store.
    std::vector<std::pair<uint32_t, uint32_t>> refs;
    auto count_ref = [&](uint64_t h, bool pin) {
        if (h >= kNoEvent || !m.events_.valid_handle(static_cast<EventHandle>(h))) return false;
        if (refs.size() <= h) refs.resize(h + 1, {0, 0});
        ++(pin ? refs[h].second : refs[h].first);
        return true;
    };

    const uint64_t nkeys = r.count(2);
    std::vector<EventHandle> evs;
    for (uint64_t i = 0; i < nkeys; ++i) {
        const std::string_view key = r.bytes();
        const int64_t touched = r.i64();
        const uint64_t tick = r.u64();
        if (!r.ok() || !valid_key(key)) return fail("bad key");
        if (m.keys_.find(key) != kNone) return fail("duplicate key");
        const uint64_t max_keys = m.limits_.max_keys;
        m.limits_.max_keys = UINT64_MAX;  // restoring, not admitting: limits act from the next event on
        const int64_t now = m.now_;
        const uint64_t current_tick = m.tick_;
        m.now_ = touched;
        m.tick_ = tick;
        const uint32_t id = m.create_key(key);
        m.now_ = now;
        m.tick_ = current_tick;
        m.limits_.max_keys = max_keys;
        if (m.keys_.oldest() != id &&
            (m.keys_[m.keys_.older(id)].last_touch > touched || m.keys_[m.keys_.older(id)].tick > tick))
            return fail("keys out of order");
        for (uint32_t p = 0; p < m.groups_per_key_; ++p) {
            if (!r.boolean()) continue;
            evs.clear();
            for (uint32_t j = 0; j <= p; ++j) {
                const uint64_t h = r.u64();
                if (!r.ok() || !count_ref(h, false)) return fail("bad event handle in a partial");
                evs.push_back(static_cast<EventHandle>(h));
            }
            m.slot_ref(id, p) = p == 0 ? evs[0] : m.store_partial(p, evs);
            ++m.pending_partials_;
        }
        if (r.boolean()) {
            KeyAux& x = m.aux_of(id);
            x.until_seq = r.u64();
            const uint64_t nh = r.count(2);
            for (uint64_t j = 0; j < nh && r.ok(); ++j) {
                const int64_t ts = r.i64();
                const uint64_t stage = r.u64();
                if (stage >= m.stages_.size() || !m.stages_[stage].missing ||
                    m.stages_[stage].kind == MissingKind::trailing)
                    return fail("bad missing-term hit");
                x.missing.push_back(MissingHit{ts, static_cast<uint32_t>(stage)});
                m.key_bytes_ += kMissingHitBytes;
            }
        }
        if (!r.ok()) return fail("truncated key state");
    }

    m.out_base_ = r.u64();
    const uint64_t ncand = r.count(4);
    for (uint64_t i = 0; i < ncand && r.ok(); ++i) {
        Candidate c;
        c.seq = r.u64();
        c.key.assign(r.bytes());
        const uint64_t ne = r.count();
        if (!r.ok() || ne != m.positives_ || !valid_key(c.key)) return fail("bad candidate");
        for (uint64_t j = 0; j < ne; ++j) {
            const uint64_t h = r.u64();
            if (!r.ok() || !count_ref(h, true)) return fail("bad event handle in a candidate");
            c.events.push_back(static_cast<EventHandle>(h));
        }
        c.first_ts = r.i64();
        c.last_ts = r.i64();
        c.base_ts = r.i64();
        const uint8_t d = r.u8();
        if (d > 2 || (d == 0 && !m.has_trailing_)) return fail("bad candidate decision");
        c.decision = static_cast<Decision>(d);
        m.new_candidates_.push_back(std::move(c));
    }
    if (!r.ok()) return fail("truncated");
    if (!r.at_end()) return fail("trailing bytes");
    // Re-enter the candidates (ids, waiters, deadlines) without re-sorting: they are already in output order.
    for (Candidate& c : m.new_candidates_) {
        const uint64_t id = m.out_base_ + m.out_.size();
        if (c.decision == Decision::pending) {
            ++m.undecided_;
            m.waiters_[c.key].push_back(id);
            if (m.spec_.maxspan_ns) m.deadlines_.emplace_back(add_sat(c.base_ts, *m.spec_.maxspan_ns), id);
        }
        if (c.decision == Decision::rejected) ++m.rejected_in_queue_;
        m.cand_bytes_ += m.candidate_bytes(c);
        m.out_.push_back(std::move(c));
    }
    m.new_candidates_.clear();
    std::make_heap(m.deadlines_.begin(), m.deadlines_.end(), [](const auto& a, const auto& b) { return a > b; });

    uint64_t live_referenced = 0;
    for (size_t h = 0; h < refs.size(); ++h) {
        if (refs[h].first == 0 && refs[h].second == 0) continue;
        ++live_referenced;
        if (m.events_.refs(static_cast<EventHandle>(h)) != refs[h].first ||
            m.events_.pins(static_cast<EventHandle>(h)) != refs[h].second)
            return fail("reference counts do not match");
    }
    if (live_referenced != m.events_.live()) return fail("unreferenced events");
    m.update_stats();
    return built;
}

}  // namespace eqlc::sequence
