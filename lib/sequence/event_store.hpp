// The events that pending state or undelivered matches reference: timestamp, the engine's ordinal, the
// matcher's arrival number, and the source JSON text, which is a SharedText (sequence/shared_text.hpp): an
// engine's matchers share one copy of an event's text. Entries are reference counted and freed when the last
// partial sequence, sample candidate or match that uses them is gone; their slots are reused, so a handle is a
// small integer and an entry costs 40 bytes plus its (possibly shared) text.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "sequence/shared_text.hpp"
#include "sequence/snapshot.hpp"

namespace eqlc::sequence {

// What the matcher is told about an event that hit at least one stage (or whose time it should know).
// Events must arrive in Elasticsearch's order: (timestamp, tiebreaker, arrival); the matcher orders events by
// their arrival and uses `timestamp_ns` for maxspan and missing-event ranges.
struct EventInfo {
    uint64_t ordinal = 0;      // the engine's id for the event (e.g. EventRecord::ordinal), handed back in matches
    int64_t timestamp_ns = 0;  // event time, nanoseconds since the epoch
    std::string_view source;   // the event's JSON text; copied if the event is kept (may be empty)
    // The engine's clock (it counts the events run, all queries alike): the recency of the keys the event
    // updates, by which the engine-wide budget evicts across queries. 0 when there is no engine.
    uint64_t tick = 0;
    // Shares the text with the other matchers that keep this event (they must all use one TextPool); null: the
    // matcher makes a text of its own.
    TextSlot* text = nullptr;
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
        Entry& e = entries_[h];
        if (e.refs++ == 0) {
            held_bytes_ += entry_bytes(e);
            held_text_bytes_ += text_length(e);
            if (e.text) TextPool::hold(e.text);
        }
    }
    void release(EventHandle h) {
        Entry& e = entries_[h];
        if (--e.refs == 0) {
            held_bytes_ -= entry_bytes(e);
            held_text_bytes_ -= text_length(e);
            if (e.text) TextPool::unhold(e.text);
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
    std::string_view source(EventHandle h) const { return entries_[h].text ? entries_[h].text->view() : ""; }

    uint64_t live() const { return live_; }
    // sizeof(entry) + text, over live entries: what the events cost this matcher alone (texts counted in full).
    uint64_t bytes() const { return bytes_; }
    uint64_t held_bytes() const { return held_bytes_; }            // the same, over entries that pending state retains
    uint64_t text_bytes() const { return text_bytes_; }            // the text part of bytes()
    uint64_t held_text_bytes() const { return held_text_bytes_; }  // the text part of held_bytes()
    static constexpr uint64_t kEntryBytes = 40;

    // The pool the texts come from: the matcher's own unless share_texts() gave one (before any event).
    void share_texts(TextPool* pool) { pool_ = pool ? pool : own_pool_.get(); }
    TextPool& pool() const { return *pool_; }

    // With `texts`, the texts are written as ids into that table (an engine writes each text once), else inline.
    void save(ByteWriter& w, SnapshotTextWriter* texts) const;
    bool load(ByteReader& r, const SnapshotTextReader* texts);
    bool valid_handle(EventHandle h) const { return h < entries_.size() && (entries_[h].pins & kLive) != 0; }

    EventStore() = default;
    EventStore(EventStore&&) noexcept = default;
    EventStore& operator=(EventStore&&) noexcept;
    ~EventStore();

private:
    static constexpr uint32_t kLive = 1u << 31;  // in Entry::pins: the entry is in use
    struct Entry {
        int64_t timestamp_ns = 0;
        uint64_t ordinal = 0;
        uint64_t seq = 0;
        uint32_t refs = 0;
        uint32_t pins = 0;  // | kLive
        SharedText* text = nullptr;
    };
    static_assert(sizeof(Entry) == kEntryBytes);

    static uint32_t text_length(const Entry& e) { return e.text ? e.text->size : 0; }
    void free_entry(EventHandle h);
    void clear();
    static uint64_t entry_bytes(const Entry& e) { return kEntryBytes + text_length(e); }

    std::unique_ptr<TextPool> own_pool_ = std::make_unique<TextPool>();
    TextPool* pool_ = own_pool_.get();
    std::vector<Entry> entries_;
    std::vector<EventHandle> free_;
    uint64_t live_ = 0;
    uint64_t bytes_ = 0;
    uint64_t held_bytes_ = 0;
    uint64_t text_bytes_ = 0;
    uint64_t held_text_bytes_ = 0;
};

}  // namespace eqlc::sequence
