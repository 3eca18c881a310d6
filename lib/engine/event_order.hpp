// Event order: (timestamp, tiebreaker, arrival), as Elasticsearch orders search hits for EQL (SEMANTICS §7,
// "Ordering key"): ascending, a missing tiebreaker first. Plus the buffer that sorts a whole input that did
// not arrive in that order (`sort_input`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vm/value.hpp"

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
    void add(const OrderKey& key, std::string_view source);
    size_t size() const { return entries_.size(); }
    // The events' text sorted, one per line; the buffer is emptied.
    std::string take_sorted_text();

private:
    struct Entry {
        OrderKey key;
        size_t offset = 0;
        size_t length = 0;
    };
    std::vector<Entry> entries_;
    std::string text_;
};

}  // namespace eqlc::engine
