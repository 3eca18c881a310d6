#include "sequence/event_store.hpp"

#include <cstring>

namespace eqlc::sequence {

EventStore::~EventStore() {
    for (Entry& e : entries_) delete[] e.text;
}

char* EventStore::copy_text(std::string_view s) {
    // Sources of 4 GiB or more cannot be kept (32-bit length); the event is kept without text.
    if (s.empty() || s.size() > UINT32_MAX - 4) return nullptr;
    char* p = new char[4 + s.size()];
    const auto n = static_cast<uint32_t>(s.size());
    std::memcpy(p, &n, 4);
    std::memcpy(p + 4, s.data(), s.size());
    return p;
}

EventHandle EventStore::add(const EventInfo& info, uint64_t seq) {
    EventHandle h;
    if (!free_.empty()) {
        h = free_.back();
        free_.pop_back();
    } else {
        h = static_cast<EventHandle>(entries_.size());
        entries_.emplace_back();
    }
    Entry& e = entries_[h];
    e.timestamp_ns = info.timestamp_ns;
    e.ordinal = info.ordinal;
    e.seq = seq;
    e.refs = 0;
    e.pins = kLive;
    e.text = copy_text(info.source);
    ++live_;
    bytes_ += entry_bytes(e);
    return h;
}

void EventStore::free_entry(EventHandle h) {
    Entry& e = entries_[h];
    bytes_ -= entry_bytes(e);
    --live_;
    delete[] e.text;
    e = Entry{};
    free_.push_back(h);
}

void EventStore::save(ByteWriter& w) const {
    w.u64(entries_.size());
    for (const Entry& e : entries_) {
        const bool live = (e.pins & kLive) != 0;
        w.u8(live ? 1 : 0);
        if (!live) continue;
        w.i64(e.timestamp_ns);
        w.u64(e.ordinal);
        w.u64(e.seq);
        w.u64(e.refs);
        w.u64(e.pins & ~kLive);
        w.bytes(text_of(e));
    }
    w.u64(free_.size());
    for (EventHandle h : free_) w.u64(h);
}

bool EventStore::load(ByteReader& r) {
    for (Entry& e : entries_) delete[] e.text;
    entries_.clear();
    free_.clear();
    live_ = bytes_ = held_bytes_ = 0;
    const uint64_t n = r.count();
    if (n >= kNoEvent) r.fail();
    entries_.resize(r.ok() ? n : 0);
    for (Entry& e : entries_) {
        if (!r.boolean()) continue;
        e.timestamp_ns = r.i64();
        e.ordinal = r.u64();
        e.seq = r.u64();
        e.refs = r.u32();
        const uint32_t pins = r.u32();
        const auto text = r.bytes();
        if (!r.ok()) return false;
        if (pins >= kLive || (e.refs == 0 && pins == 0) || text.size() > UINT32_MAX - 4) return r.fail(), false;
        e.pins = pins | kLive;
        e.text = copy_text(text);
        ++live_;
        bytes_ += entry_bytes(e);
        if (e.refs > 0) held_bytes_ += entry_bytes(e);
    }
    const uint64_t nfree = r.count();
    std::vector<bool> seen(entries_.size(), false);
    for (uint64_t i = 0; i < nfree && r.ok(); ++i) {
        const uint64_t h = r.u64();
        if (h >= entries_.size() || (entries_[h].pins & kLive) || seen[h]) return r.fail(), false;
        seen[h] = true;
        free_.push_back(static_cast<EventHandle>(h));
    }
    if (r.ok() && free_.size() + live_ != entries_.size()) r.fail();
    return r.ok();
}

}  // namespace eqlc::sequence
