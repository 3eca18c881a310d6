// The events that pending state or undelivered matches reference: timestamp, the engine's ordinal, the
// matcher's arrival number, and an owned copy of the source JSON text. Entries are reference counted and
// freed when the last partial sequence, sample candidate or match that uses them is gone; their slots are
// reused, so a handle is a small integer and an entry costs 48 bytes plus its text.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "sequence/snapshot.hpp"

namespace eqlc::sequence {

// What the matcher is told about an event that hit at least one stage (or whose time it should know).
// Events must arrive in Elasticsearch's order: (timestamp, tiebreaker, arrival); the matcher orders events by
// their arrival and uses `timestamp_ns` for maxspan and missing-event ranges.
struct EventInfo {
    uint64_t ordinal = 0;      // the engine's id for the event (e.g. EventRecord::ordinal), handed back in matches
    int64_t timestamp_ns = 0;  // event time, nanoseconds since the epoch
    std::string_view source;   // the event's JSON text; copied if the event is kept (may be empty)
};

using EventHandle = uint32_t;
inline constexpr EventHandle kNoEvent = UINT32_MAX;

class EventStore {
public:
    // Two kinds of references: `retain` for pending state (partials, sample candidates), which limits may
    // evict, and `pin` for matches waiting to be delivered, which are never evicted. held_bytes() counts the
    // entries that pending state references, so a byte limit can be enforced on what eviction can free.
    // An entry is freed when it has neither.

    // A new entry with no reference yet: retain or pin it, or drop_if_unused() it.
    EventHandle add(const EventInfo& info, uint64_t seq);
    void retain(EventHandle h) {
        if (entries_[h].refs++ == 0) held_bytes_ += entry_bytes(entries_[h]);
    }
    void release(EventHandle h) {
        Entry& e = entries_[h];
        if (--e.refs == 0) {
            held_bytes_ -= entry_bytes(e);
            if (e.pins == kLive) free_entry(h);
        }
    }
    void pin(EventHandle h) { ++entries_[h].pins; }
    void unpin(EventHandle h) {
        Entry& e = entries_[h];
        if (--e.pins == kLive && e.refs == 0) free_entry(h);
    }
    void drop_if_unused(EventHandle h) {
        if (entries_[h].refs == 0 && entries_[h].pins == kLive) free_entry(h);
    }

    int64_t timestamp(EventHandle h) const { return entries_[h].timestamp_ns; }
    uint64_t ordinal(EventHandle h) const { return entries_[h].ordinal; }
    uint64_t seq(EventHandle h) const { return entries_[h].seq; }
    uint32_t refs(EventHandle h) const { return entries_[h].refs; }
    uint32_t pins(EventHandle h) const { return entries_[h].pins & ~kLive; }
    std::string_view source(EventHandle h) const { return text_of(entries_[h]); }

    uint64_t live() const { return live_; }
    uint64_t bytes() const { return bytes_; }            // sizeof(entry) + text, over live entries
    uint64_t held_bytes() const { return held_bytes_; }  // the same, over entries that pending state retains
    static constexpr uint64_t kEntryBytes = 40;

    void save(ByteWriter& w) const;
    bool load(ByteReader& r);
    bool valid_handle(EventHandle h) const { return h < entries_.size() && (entries_[h].pins & kLive) != 0; }

    EventStore() = default;
    EventStore(EventStore&&) noexcept = default;
    EventStore& operator=(EventStore&&) noexcept = default;
    ~EventStore();

private:
    static constexpr uint32_t kLive = 1u << 31;  // in Entry::pins: the entry is in use
    // The text is one allocation: a 4-byte length, then the bytes (null when there is no text).
    struct Entry {
        int64_t timestamp_ns = 0;
        uint64_t ordinal = 0;
        uint64_t seq = 0;
        uint32_t refs = 0;
        uint32_t pins = 0;  // | kLive
        char* text = nullptr;
    };
    static_assert(sizeof(Entry) == kEntryBytes);

    static uint32_t text_length(const Entry& e) {
        if (e.text == nullptr) return 0;
        uint32_t n;
        std::memcpy(&n, e.text, 4);
        return n;
    }
    static std::string_view text_of(const Entry& e) {
        return e.text == nullptr ? std::string_view() : std::string_view(e.text + 4, text_length(e));
    }
    static char* copy_text(std::string_view s);
    void free_entry(EventHandle h);
    static uint64_t entry_bytes(const Entry& e) { return kEntryBytes + text_length(e); }

    std::vector<Entry> entries_;
    std::vector<EventHandle> free_;
    uint64_t live_ = 0;
    uint64_t bytes_ = 0;
    uint64_t held_bytes_ = 0;
};

}  // namespace eqlc::sequence
