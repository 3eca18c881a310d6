#include "sequence/sample_matcher.hpp"

#include <algorithm>
#include <cassert>

#include "sequence/snapshot.hpp"

namespace eqlc::sequence {

namespace {
constexpr std::string_view kSampleMagic = "EQSM";
}  // namespace

std::string validate(const SampleSpec& spec) {
    if (spec.filters == 0) return "a sample needs at least one filter";
    if (spec.max_samples_per_key == 0) return "max_samples_per_key must be at least 1";
    if (uint64_t{spec.filters} + spec.max_samples_per_key - 1 > UINT32_MAX) return "max_samples_per_key is too large";
    return {};
}

SampleMatcher::SampleMatcher(SampleSpec spec, Sink sink, Limits limits)
    : SampleMatcher(std::move(spec), std::move(sink), limits, true) {
    [[maybe_unused]] const std::string problem = validate(spec_);
    assert(problem.empty());
}

SampleMatcher::SampleMatcher(SampleSpec spec, Sink sink, Limits limits, bool)
    : spec_(std::move(spec)), sink_(std::move(sink)), limits_(limits) {
    // Elasticsearch's per-key, per-filter fetch size (SampleIterator).
    per_filter_cap_ = spec_.filters + spec_.max_samples_per_key - 1;
    stage_stats_.assign(spec_.filters, StageStats{});
}

// Beyond KeyTable's bytes for the key: its per-filter lists and the handles in them.
uint64_t SampleMatcher::docs_bytes(const KeyState& k) const {
    uint64_t docs = 0;
    for (const auto& d : k.docs) docs += d.size();
    return uint64_t{spec_.filters} * 24 + 4 * docs;
}

uint32_t SampleMatcher::create_key(KeyView key) {
    if (!keys_.make_room(limits_.max_keys, [&](uint32_t) { evict_oldest(stats_.evicted_keys_max_keys); })) {
        ++stats_.evicted_keys_max_keys;
        return kNone;
    }
    const uint32_t id = keys_.insert(key);
    KeyState& k = keys_[id];
    k.docs.assign(spec_.filters, {});
    k.has_sample = false;
    k.tick = tick_;
    key_bytes_ += docs_bytes(k);
    return id;
}

void SampleMatcher::erase_key(uint32_t id) {
    KeyState& k = keys_[id];
    key_bytes_ -= docs_bytes(k);
    for (auto& d : k.docs)
        for (EventHandle h : d) events_.release(h);
    std::vector<std::vector<EventHandle>>().swap(k.docs);
    keys_.erase(id);
}

void SampleMatcher::evict_oldest(uint64_t& counter) {
    const uint32_t id = keys_.oldest();
    for (uint32_t f = 0; f < spec_.filters; ++f) stage_stats_[f].evicted += keys_[id].docs[f].size();
    if (keys_[id].has_sample) sampled_.erase(keys_[id].key);  // it no longer counts towards `size`
    ++counter;
    erase_key(id);
}

void SampleMatcher::evict_for_budget() {
    if (keys_.oldest() == kNone) return;
    evict_oldest(stats_.evicted_keys_budget);
    update_stats();
}

bool SampleMatcher::beyond_threshold(KeyView key) const {
    return spec_.size && !sampled_.empty() && sampled_.size() >= *spec_.size &&
           compare_keys(key, *sampled_.rbegin()) > 0;
}

void SampleMatcher::note_sample(uint32_t id) {
    if (!spec_.size) return;
    sampled_.insert(keys_[id].key);
    if (sampled_.size() <= *spec_.size) return;
    auto last = std::prev(sampled_.end());
    const uint32_t dropped = keys_.find(*last);
    sampled_.erase(last);
    if (dropped != kNone) {
        ++stats_.dropped_keys_size;
        erase_key(dropped);
    }
}

void SampleMatcher::samples_of(const KeyState& k, uint32_t max, std::vector<EventHandle>& out) const {
    const uint32_t n = spec_.filters;
    std::vector<EventHandle> chosen(n, kNoEvent);
    std::vector<uint32_t> pos(n, 0);  // next document to try, per filter
    uint32_t found = 0;
    // Iterative depth-first search: level f picks a document for filter f not already chosen at levels < f.
    uint32_t f = 0;
    while (found < max) {
        bool advanced = false;
        while (pos[f] < k.docs[f].size()) {
            const EventHandle h = k.docs[f][pos[f]++];
            if (std::find(chosen.begin(), chosen.begin() + f, h) != chosen.begin() + f) continue;
            chosen[f] = h;
            advanced = true;
            break;
        }
        if (!advanced) {
            if (f == 0) break;  // exhausted
            pos[f] = 0;
            --f;
            continue;
        }
        if (f + 1 == n) {
            out.insert(out.end(), chosen.begin(), chosen.end());
            ++found;
            continue;  // next document for the last filter
        }
        ++f;
    }
}

void SampleMatcher::on_event(const EventInfo& ev, std::span<const SampleHit> hits) {
    ++stats_.events;
    const uint64_t seq = ++seq_;
    tick_ = ev.tick;
    order_.clear();
    for (uint32_t i = 0; i < hits.size(); ++i)
        if (hits[i].filter < spec_.filters) order_.push_back(i);
    std::sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) {
        if (hits[a].filter != hits[b].filter) return hits[a].filter < hits[b].filter;
        return hits[a].key < hits[b].key;
    });
    order_.erase(std::unique(order_.begin(), order_.end(),
                             [&](uint32_t a, uint32_t b) {
                                 return hits[a].filter == hits[b].filter && hits[a].key == hits[b].key;
                             }),
                 order_.end());

    EventHandle handle = kNoEvent;
    std::vector<EventHandle> probe;
    uint32_t previous_filter = kNone;  // hits are grouped by filter: count each once per event
    for (uint32_t i : order_) {
        const SampleHit& h = hits[i];
        ++stats_.hits;
        if (h.filter != previous_filter) {
            previous_filter = h.filter;
            ++stage_stats_[h.filter].passed;
        }
        if ((spec_.size && *spec_.size == 0) || beyond_threshold(h.key)) {
            ++stats_.ignored_hits;
            if (const uint32_t id = keys_.find(h.key); id != kNone) {
                ++stats_.dropped_keys_size;
                erase_key(id);
            }
            continue;
        }
        uint32_t id = keys_.find(h.key);
        if (id == kNone) id = create_key(h.key);
        if (id == kNone) continue;
        KeyState& k = keys_[id];
        auto& list = k.docs[h.filter];
        if (list.size() >= per_filter_cap_) {
            ++stats_.ignored_hits;
            continue;
        }
        if (handle == kNoEvent) {
            handle = events_.add(ev, seq);
            events_.pin(handle);  // for the duration of the event: dropping a key must not free it mid-way
        }
        events_.retain(handle);
        list.push_back(handle);
        ++stage_stats_[h.filter].kept;
        key_bytes_ += 4;
        if (!k.has_sample) {
            probe.clear();
            samples_of(k, 1, probe);
            if (!probe.empty()) {
                k.has_sample = true;
                note_sample(id);
            }
        }
    }
    if (handle != kNoEvent) events_.unpin(handle);
    while (keys_.oldest() != kNone && events_.bytes() + keys_.bytes() + key_bytes_ > limits_.max_state_bytes)
        evict_oldest(stats_.evicted_keys_bytes);
    update_stats();
}

void SampleMatcher::finish() {
    std::vector<uint32_t> ids;
    ids.reserve(keys_.size());
    for (uint32_t id = keys_.oldest(); id != kNone; id = keys_.newer(id))
        if (keys_[id].has_sample) ids.push_back(id);
    std::sort(ids.begin(), ids.end(),
              [&](uint32_t a, uint32_t b) { return compare_keys(keys_[a].key, keys_[b].key) < 0; });
    uint64_t emitted = 0;
    const uint64_t limit = spec_.size.value_or(UINT64_MAX);
    std::vector<EventHandle> samples;
    for (uint32_t id : ids) {
        if (emitted >= limit) break;
        const KeyState& k = keys_[id];
        samples.clear();
        samples_of(k, spec_.max_samples_per_key, samples);
        for (size_t at = 0; at < samples.size() && emitted < limit; at += spec_.filters) {
            match_events_.clear();
            for (uint32_t f = 0; f < spec_.filters; ++f) {
                const EventHandle e = samples[at + f];
                match_events_.push_back(MatchEvent{false, events_.ordinal(e), events_.timestamp(e), events_.source(e)});
            }
            ++emitted;
            ++stats_.samples;
            if (sink_) sink_(SampleMatch{k.key, match_events_});
        }
    }
    while (keys_.oldest() != kNone) erase_key(keys_.oldest());
    sampled_.clear();
    update_stats();
}

QueryStages SampleMatcher::stage_stats() const {
    QueryStages out;
    out.stages = stage_stats_;
    out.completed = stats_.samples;
    return out;
}

void SampleMatcher::update_stats() {
    stats_.keys = keys_.size();
    stats_.kept_events = events_.live();
    stats_.state_bytes = events_.bytes() + keys_.bytes() + key_bytes_;
    stats_.text_bytes = events_.text_bytes();
}

std::string SampleMatcher::snapshot(SnapshotTextWriter* texts) const {
    ByteWriter w;
    w.raw(kSampleMagic);
    w.u64(kSnapshotVersion);
    w.u64(spec_.filters);
    w.u64(spec_.max_samples_per_key);
    w.u8(spec_.size ? 1 : 0);
    if (spec_.size) w.u64(*spec_.size);
    w.u64(limits_.max_keys);
    w.u64(limits_.max_state_bytes);
    w.u64(limits_.max_missing_hits_per_key);
    for (uint64_t v : {stats_.events, stats_.hits, stats_.ignored_hits, stats_.samples, stats_.dropped_keys_size,
                       stats_.evicted_keys_max_keys, stats_.evicted_keys_bytes, stats_.evicted_keys_budget})
        w.u64(v);
    save_stage_stats(w, stage_stats_, 0);
    w.u64(seq_);
    w.u64(tick_);
    w.u8(texts ? 1 : 0);
    events_.save(w, texts);
    w.u64(keys_.size());
    for (uint32_t id = keys_.oldest(); id != kNone; id = keys_.newer(id)) {
        const KeyState& k = keys_[id];
        w.bytes(k.key);
        w.u64(k.tick);
        w.u8(k.has_sample ? 1 : 0);
        for (const auto& d : k.docs) {
            w.u64(d.size());
            for (EventHandle h : d) w.u64(h);
        }
    }
    w.u64(sampled_.size());
    for (const auto& key : sampled_) w.bytes(key);
    return w.take();
}

std::optional<SampleMatcher> SampleMatcher::restore(std::string_view bytes, Sink sink, std::string* error,
                                                    std::optional<Limits> limits, const SnapshotTextReader* texts) {
    auto fail = [&](const char* why) -> std::optional<SampleMatcher> {
        if (error) *error = std::string("invalid sample snapshot: ") + why;
        return std::nullopt;
    };
    ByteReader r(bytes);
    if (!r.expect(kSampleMagic)) return fail("not a sample matcher snapshot");
    const uint64_t version = r.u64();
    if (version < kOldestSnapshotVersion || version > kSnapshotVersion) return fail("unsupported version");
    SampleSpec spec;
    spec.filters = r.u32();
    spec.max_samples_per_key = r.u32();
    if (r.boolean()) spec.size = r.u64();
    Limits saved;
    saved.max_keys = r.u64();
    saved.max_state_bytes = r.u64();
    saved.max_missing_hits_per_key = r.u32();
    if (!r.ok()) return fail("truncated header");
    if (const std::string problem = validate(spec); !problem.empty()) return fail(problem.c_str());
    std::optional<SampleMatcher> built;
    built.emplace(SampleMatcher(spec, std::move(sink), limits.value_or(saved), true));
    SampleMatcher& m = *built;
    for (uint64_t* v :
         {&m.stats_.events, &m.stats_.hits, &m.stats_.ignored_hits, &m.stats_.samples, &m.stats_.dropped_keys_size,
          &m.stats_.evicted_keys_max_keys, &m.stats_.evicted_keys_bytes, &m.stats_.evicted_keys_budget})
        *v = r.u64();
    if (version >= 3) {
        uint64_t until_events = 0;  // none in a sample
        load_stage_stats(r, m.stage_stats_, until_events);
    }
    m.seq_ = r.u64();
    m.tick_ = r.u64();
    const bool text_table = r.boolean();
    if (!r.ok()) return fail("truncated header");
    if (text_table && !texts) return fail("the kept events' texts are not in this snapshot");
    if (texts) m.share_texts(&texts->pool());
    if (!m.events_.load(r, text_table ? texts : nullptr)) return fail("bad event store");
    std::vector<uint32_t> refs;
    const uint64_t nkeys = r.count(2);
    for (uint64_t i = 0; i < nkeys && r.ok(); ++i) {
        const std::string_view key = r.bytes();
        const uint64_t tick = r.u64();
        const bool has_sample = r.boolean();
        if (!r.ok() || !valid_key(key) || m.keys_.find(key) != kNone) return fail("bad key");
        if (m.keys_.newest() != kNone && m.keys_[m.keys_.newest()].tick > tick) return fail("keys out of order");
        const uint64_t max_keys = m.limits_.max_keys;
        const uint64_t current_tick = m.tick_;
        m.limits_.max_keys = UINT64_MAX;
        m.tick_ = tick;
        const uint32_t id = m.create_key(key);
        m.limits_.max_keys = max_keys;
        m.tick_ = current_tick;
        KeyState& k = m.keys_[id];
        k.has_sample = has_sample;
        for (uint32_t f = 0; f < spec.filters; ++f) {
            const uint64_t nd = r.count();
            if (nd > m.per_filter_cap_) return fail("too many documents for a filter");
            for (uint64_t j = 0; j < nd; ++j) {
                const uint64_t h = r.u64();
                if (!r.ok() || h >= kNoEvent || !m.events_.valid_handle(static_cast<EventHandle>(h)))
                    return fail("bad event handle");
                if (refs.size() <= h) refs.resize(h + 1, 0);
                ++refs[h];
                k.docs[f].push_back(static_cast<EventHandle>(h));
                m.key_bytes_ += 4;
            }
        }
    }
    const uint64_t nsampled = r.count();
    for (uint64_t i = 0; i < nsampled && r.ok(); ++i) {
        const std::string_view key = r.bytes();
        if (!r.ok() || !valid_key(key)) return fail("bad sampled key");
        m.sampled_.emplace(key);
    }
    if (!r.ok()) return fail("truncated");
    if (!r.at_end()) return fail("trailing bytes");
    uint64_t referenced = 0;
    for (size_t h = 0; h < refs.size(); ++h) {
        if (refs[h] == 0) continue;
        ++referenced;
        if (m.events_.refs(static_cast<EventHandle>(h)) != refs[h] || m.events_.pins(static_cast<EventHandle>(h)) != 0)
            return fail("reference counts do not match");
    }
    if (referenced != m.events_.live()) return fail("unreferenced events");
    m.update_stats();
    return built;
}

}  // namespace eqlc::sequence
