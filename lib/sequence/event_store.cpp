#include "sequence/event_store.hpp"

#include <cstring>

namespace eqlc::sequence {

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
  e.pins = 0;
  e.live = 1;
  // Sources longer than 2 GiB cannot be kept (the length field is 31 bits); the event is kept without text.
  const size_t n = info.source.size() < (size_t{1} << 31) ? info.source.size() : 0;
  e.length = static_cast<uint32_t>(n);
  if (n > 0) {
    e.text = std::make_unique_for_overwrite<char[]>(n);
    std::memcpy(e.text.get(), info.source.data(), n);
  }
  ++live_;
  bytes_ += kEntryBytes + n;
  return h;
}

void EventStore::free_entry(EventHandle h) {
  Entry& e = entries_[h];
  bytes_ -= kEntryBytes + e.length;
  --live_;
  e.text.reset();
  e.length = 0;
  e.live = 0;
  free_.push_back(h);
}

void EventStore::save(ByteWriter& w) const {
  w.u64(entries_.size());
  for (const Entry& e : entries_) {
    w.u8(e.live);
    if (!e.live) continue;
    w.i64(e.timestamp_ns);
    w.u64(e.ordinal);
    w.u64(e.seq);
    w.u64(e.refs);
    w.u64(e.pins);
    w.bytes({e.text.get(), e.length});
  }
  w.u64(free_.size());
  for (EventHandle h : free_) w.u64(h);
}

bool EventStore::load(ByteReader& r) {
  entries_.clear();
  free_.clear();
  live_ = bytes_ = held_bytes_ = 0;
  const uint64_t n = r.count();
  if (n >= kNoEvent) r.fail();
  entries_.resize(r.ok() ? n : 0);
  for (Entry& e : entries_) {
    e.live = r.boolean();
    if (!e.live) continue;
    e.timestamp_ns = r.i64();
    e.ordinal = r.u64();
    e.seq = r.u64();
    e.refs = r.u32();
    e.pins = r.u32();
    const auto text = r.bytes();
    if (!r.ok()) return false;
    if (text.size() >= (size_t{1} << 31)) return r.fail(), false;
    e.length = static_cast<uint32_t>(text.size());
    if (!text.empty()) {
      e.text = std::make_unique_for_overwrite<char[]>(text.size());
      std::memcpy(e.text.get(), text.data(), text.size());
    }
    if (e.refs == 0 && e.pins == 0) return r.fail(), false;
    ++live_;
    bytes_ += kEntryBytes + e.length;
    if (e.refs > 0) held_bytes_ += kEntryBytes + e.length;
  }
  const uint64_t nfree = r.count();
  std::vector<bool> seen(entries_.size(), false);
  for (uint64_t i = 0; i < nfree && r.ok(); ++i) {
    const uint64_t h = r.u64();
    if (h >= entries_.size() || entries_[h].live || seen[h]) return r.fail(), false;
    seen[h] = true;
    free_.push_back(static_cast<EventHandle>(h));
  }
  if (r.ok() && free_.size() + live_ != entries_.size()) r.fail();
  return r.ok();
}

}  // namespace eqlc::sequence
