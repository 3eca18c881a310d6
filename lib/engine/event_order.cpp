#include "engine/event_order.hpp"

#include <algorithm>
#include <cstring>

#include "values/arithmetic.hpp"

namespace eqlc::engine {

OrderKey order_key(const vm::EventRecord& event, const std::optional<vm::SlotId>& tiebreaker_slot) {
    OrderKey key;
    key.timestamp_ns = event.timestamp_ns;
    key.ordinal = event.ordinal;
    if (tiebreaker_slot) {
        for (const vm::Value& v : event.field(*tiebreaker_slot)) {
            switch (v.type) {
                case vm::ValueType::null: continue;
                case vm::ValueType::boolean: key.tiebreaker = v.boolean; break;
                case vm::ValueType::integer: key.tiebreaker = v.integer; break;
                case vm::ValueType::floating: key.tiebreaker = v.floating; break;
                case vm::ValueType::string: key.tiebreaker = std::string(v.str()); break;
            }
            break;  // tiebreakers are single-valued in practice; an array sorts by its first non-null value
        }
    }
    return key;
}

namespace {

int rank(const TieValue& v) {
    switch (v.index()) {
        case 0: return 0;  // missing first
        case 1: return 1;
        case 2:
        case 3: return 2;  // numbers compare with each other by value
        default: return 3;
    }
}

}  // namespace

int compare_tiebreakers(const TieValue& a, const TieValue& b) {
    const int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb ? -1 : 1;
    switch (ra) {
        case 0: return 0;
        case 1: return std::get<bool>(a) == std::get<bool>(b) ? 0 : (std::get<bool>(a) ? 1 : -1);
        case 2: {
            auto number = [](const TieValue& v) {
                return v.index() == 2 ? vm::Number::of_long(std::get<int64_t>(v))
                                      : vm::Number::of_double(std::get<double>(v));
            };
            return vm::compare_numbers(number(a), number(b));
        }
        default: {
            const int c = std::get<std::string>(a).compare(std::get<std::string>(b));
            return c < 0 ? -1 : (c > 0 ? 1 : 0);
        }
    }
}

bool before(const OrderKey& a, const OrderKey& b) {
    if (a.timestamp_ns != b.timestamp_ns) return a.timestamp_ns < b.timestamp_ns;
    return compare_tiebreakers(a.tiebreaker, b.tiebreaker) < 0;
}

void SortBuffer::add(const OrderKey& key, std::string_view source, std::string_view origin, uint64_t line) {
    if (origins_.empty() || origins_.back() != origin) origins_.emplace_back(origin);
    entries_.push_back(Entry{key, text_.size(), source.size(), static_cast<uint32_t>(origins_.size() - 1), line});
    text_.append(source);
}

std::string SortBuffer::take_sorted_text(std::vector<Place>* places) {
    std::stable_sort(entries_.begin(), entries_.end(),
                     [](const Entry& a, const Entry& b) { return before(a.key, b.key); });
    std::string out;
    out.reserve(text_.size() + entries_.size());
    for (const Entry& e : entries_) {
        out.append(text_, e.offset, e.length);
        out += '\n';
        if (places) places->push_back(Place{origins_[e.origin], e.line, e.key.ordinal});
    }
    entries_.clear();
    text_.clear();
    text_.shrink_to_fit();
    return out;
}

}  // namespace eqlc::engine

namespace eqlc::engine {

OwnedEvent::OwnedEvent(const vm::EventRecord& event, OrderKey key) : key_(std::move(key)) {
    size_t bytes = event.source.size() + event.origin.size();
    for (const vm::Value& v : event.values)
        if (v.type == vm::ValueType::string) bytes += v.length;
    text_ = std::make_unique<char[]>(bytes + 1);
    char* at = text_.get();
    auto keep = [&](std::string_view s) {
        if (s.empty()) return std::string_view();  // an empty view may have no data pointer at all
        std::memcpy(at, s.data(), s.size());
        std::string_view copy(at, s.size());
        at += s.size();
        return copy;
    };
    record_.slots = event.slots;
    record_.values = event.values;
    for (vm::Value& v : record_.values)
        if (v.type == vm::ValueType::string) v = vm::Value::of_string(keep(v.str()));
    record_.source = keep(event.source);
    record_.source_valid = event.source_valid;
    record_.origin = keep(event.origin);
    record_.line = event.line;
    record_.timestamp_ns = event.timestamp_ns;
    record_.has_timestamp = event.has_timestamp;
    record_.ordinal = event.ordinal;
}

void ReorderBuffer::add(const vm::EventRecord& event, const OrderKey& key) {
    newest_ = std::max(newest_, key.timestamp_ns);
    heap_.push_back(std::make_unique<OwnedEvent>(event, key));
    std::push_heap(heap_.begin(), heap_.end(), Later());
}

}  // namespace eqlc::engine
