// Skipping terms by category. Most filters begin with their category test (`process where ...` holds only when
// event.category has the value "process"; compiler: CompiledTerm::exact_category). With hundreds of rules, most
// of the filters run on an event are of other categories and fail at that first test, yet running each still
// costs a program's worth of memory traffic. The mask reads an event's category values once and gives each
// (category field, name) pair a bit: a term whose bit the event lacks is false without running its program.
//
//   CategoryMask mask;                                  // when compiling: one bit per distinct pair
//   uint64_t bit = mask.add(slot, "process");           // 0 once 64 bits are given out (the term always runs)
//   uint64_t has = mask.of(event);                      // per event
//   if (bit != 0 && (has & bit) == 0) ...               // the term cannot hold
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vm/value.hpp"

namespace eqlc::engine {

class CategoryMask {
public:
    uint64_t add(vm::SlotId slot, const std::string& name);
    // The bits of the pairs whose field has that exact string among the event's values.
    uint64_t of(const vm::EventRecord& event) const;
    bool empty() const { return entries_.empty(); }

private:
    struct Entry {
        vm::SlotId slot;
        std::string name;
        uint64_t bit;
    };
    std::vector<Entry> entries_;   // by slot, in the order given
    std::vector<vm::SlotId> slots_;  // distinct slots
};

}  // namespace eqlc::engine
