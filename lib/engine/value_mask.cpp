#include "engine/value_mask.hpp"

#include <algorithm>

namespace eqlc::engine {

void ValueMask::count(const std::vector<compiler::ExactValue>& values) {
    for (const auto& v : values) {
        auto found = std::find_if(pairs_.begin(), pairs_.end(),
                                  [&](const Pair& p) { return p.slot == v.slot && p.value == v.value; });
        if (found == pairs_.end())
            pairs_.push_back(Pair{v.slot, v.value, 1, 0});
        else
            ++found->count;
    }
}

void ValueMask::assign() {
    // The most required pairs first; ties in the order they were first met, so that the bits are deterministic.
    std::stable_sort(pairs_.begin(), pairs_.end(), [](const Pair& a, const Pair& b) { return a.count > b.count; });
    slots_.clear();
    for (size_t i = 0; i < pairs_.size(); ++i) {
        Pair& p = pairs_[i];
        p.bit = i < 64 ? uint64_t{1} << i : 0;
        if (!p.bit) continue;
        auto slot = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.slot == p.slot; });
        if (slot == slots_.end()) slot = slots_.insert(slots_.end(), Slot{p.slot, {}});
        slot->values.emplace_back(p.value, p.bit);
    }
}

uint64_t ValueMask::bits(const std::vector<compiler::ExactValue>& values) const {
    uint64_t out = 0;
    for (const auto& v : values)
        for (const Pair& p : pairs_)
            if (p.slot == v.slot && p.value == v.value) out |= p.bit;
    return out;
}

uint64_t ValueMask::of(const vm::EventRecord& event) const {
    uint64_t bits = 0;
    for (const Slot& slot : slots_)
        for (const vm::Value& v : event.field(slot.slot)) {
            if (v.type != vm::ValueType::string) continue;  // a required value is never spelled by a number or boolean
            const std::string_view value = v.str();
            for (const auto& [name, bit] : slot.values)
                if (name == value) bits |= bit;
        }
    return bits;
}

}  // namespace eqlc::engine
