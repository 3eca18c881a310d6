#include "engine/category_mask.hpp"

#include <algorithm>

namespace eqlc::engine {

uint64_t CategoryMask::add(vm::SlotId slot, const std::string& name) {
    for (const Entry& e : entries_)
        if (e.slot == slot && e.name == name) return e.bit;
    if (entries_.size() == 64) return 0;
    const uint64_t bit = uint64_t{1} << entries_.size();
    entries_.push_back(Entry{slot, name, bit});
    if (std::find(slots_.begin(), slots_.end(), slot) == slots_.end()) slots_.push_back(slot);
    return bit;
}

uint64_t CategoryMask::of(const vm::EventRecord& event) const {
    uint64_t bits = 0;
    for (const vm::SlotId slot : slots_)
        for (const vm::Value& v : event.field(slot)) {
            if (v.type != vm::ValueType::string) continue;  // a name is never spelled by a number or boolean
            const std::string_view value = v.str();
            for (const Entry& e : entries_)
                if (e.slot == slot && e.name == value) bits |= e.bit;
        }
    return bits;
}

}  // namespace eqlc::engine
