// Event order: (timestamp, tiebreaker, arrival), as Elasticsearch orders search hits for EQL (SEMANTICS §7,
// "Ordering key"): ascending, a missing tiebreaker first. Plus the buffer that sorts a whole input that did
// not arrive in that order (`sort_input`).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "values/value.hpp"

namespace eqlc::engine {

// An owned copy of a tiebreaker value (the event's buffers do not outlive it).
using TieValue = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct OrderKey {
    int64_t timestamp_ns = 0;
    TieValue tiebreaker;
    uint64_t ordinal = 0;
};

OrderKey order_key(const vm::EventRecord& event, const std::optional<vm::SlotId>& tiebreaker_slot);

// Compares tiebreakers: missing first, numbers by value, strings by bytes, then by type.
int compare_tiebreakers(const TieValue& a, const TieValue& b);

// a comes strictly before b by (timestamp, tiebreaker); arrival order is not considered.
bool before(const OrderKey& a, const OrderKey& b);

// Holds the text of every event of an input and gives it back sorted by (timestamp, tiebreaker, arrival).
class SortBuffer {
public:
    void add(const OrderKey& key, std::string_view source, std::string_view origin = {}, uint64_t line = 0);
    size_t size() const { return entries_.size(); }
    // Where a sorted event came from: its input and line, and its arrival ordinal (key.ordinal).
    struct Place {
        std::string_view origin;  // valid as long as the buffer lives
        uint64_t line = 0;
        uint64_t ordinal = 0;
    };
    // The events' text sorted, one per line; the buffer is emptied. With `places`, also each line's Place.
    std::string take_sorted_text(std::vector<Place>* places = nullptr);

private:
    struct Entry {
        OrderKey key;
        size_t offset = 0;
        size_t length = 0;
        uint32_t origin = 0;  // in origins_
        uint64_t line = 0;
    };
    std::vector<Entry> entries_;
    std::string text_;
    std::deque<std::string> origins_;  // the inputs' names, each once in a row
};

}  // namespace eqlc::engine

namespace eqlc::engine {

// An event that must outlive its reader's buffers: the record with every string (and the source text and
// origin) copied into one block the event owns.
class OwnedEvent {
public:
    OwnedEvent(const vm::EventRecord& event, OrderKey key);
    const vm::EventRecord& record() const { return record_; }
    const OrderKey& key() const { return key_; }

private:
    OrderKey key_;
    std::unique_ptr<char[]> text_;  // stable address: the record's views point into it
    vm::EventRecord record_;
};

// Holds events back for a window of event time and lets them out in (timestamp, tiebreaker, arrival) order:
// an event is released once an event at least `window_ns` later has arrived (or at the end). An event that
// arrives after an event later than it was released is late: it cannot be put in order any more.
class ReorderBuffer {
public:
    explicit ReorderBuffer(int64_t window_ns) : window_ns_(window_ns) {}

    // True when `key` comes before an event already released (the caller runs it at once and counts it).
    bool late(const OrderKey& key) const { return released_ && before(key, *released_); }

    void add(const vm::EventRecord& event, const OrderKey& key);

    // Calls `run` for every event that may leave now (all of them when `all`), in order.
    template <typename Run>
    void release(bool all, Run&& run) {
        while (!heap_.empty()) {
            const OrderKey& top = heap_.front()->key();
            if (!all && top.timestamp_ns > newest_ - window_ns_) break;
            released_ = top;
            std::pop_heap(heap_.begin(), heap_.end(), Later());
            std::unique_ptr<OwnedEvent> event = std::move(heap_.back());
            heap_.pop_back();
            run(event->record());
        }
    }

    size_t size() const { return heap_.size(); }

    // State for snapshots: the events held (in no particular order), the newest time seen, the last released.
    const std::vector<std::unique_ptr<OwnedEvent>>& held() const { return heap_; }
    int64_t newest() const { return newest_; }
    const std::optional<OrderKey>& last_released() const { return released_; }
    void restore(int64_t newest, std::optional<OrderKey> released) {
        newest_ = newest;
        released_ = std::move(released);
    }

private:
    struct Later {
        bool operator()(const std::unique_ptr<OwnedEvent>& a, const std::unique_ptr<OwnedEvent>& b) const {
            if (before(a->key(), b->key())) return false;
            if (before(b->key(), a->key())) return true;
            return a->key().ordinal > b->key().ordinal;
        }
    };
    int64_t window_ns_;
    int64_t newest_ = INT64_MIN;
    std::optional<OrderKey> released_;
    std::vector<std::unique_ptr<OwnedEvent>> heap_;  // a heap under Later: the earliest event at the front
};

}  // namespace eqlc::engine
