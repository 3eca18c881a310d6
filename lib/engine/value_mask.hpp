// Skipping terms by the exact values they require. Most filters are conjunctions with a few `field == "value"`
// tests: the category test of `process where` (event.category has the value "process"), host.os.type ==
// "windows", event.type == "start"... (compiler: CompiledTerm::exact_values). With hundreds of rules, most of the
// filters run on an event fail on one of those, yet running each still costs a program's worth of memory
// traffic. The mask reads the fields once per event and gives each of the (field, value) pairs that terms
// require most often a bit: a term whose bits the event lacks is false without running its program.
//
//   ValueMask mask;
//   for (each term) mask.count(term.exact_values);     // when compiling
//   mask.assign();                                     // the 64 most required pairs get a bit
//   uint64_t need = mask.bits(term.exact_values);      // per term; 0: always run
//   uint64_t has = mask.of(event);                     // per event
//   if ((has & need) != need) ...                      // the term cannot hold
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "values/value.hpp"

namespace eqlc::engine {

class ValueMask {
public:
    void count(const std::vector<compiler::ExactValue>& values);
    void assign();
    // The bits of the pairs that got one (the others are simply not checked).
    uint64_t bits(const std::vector<compiler::ExactValue>& values) const;
    // The bits of the pairs whose field has that exact string among the event's values.
    uint64_t of(const vm::EventRecord& event) const;
    bool empty() const { return slots_.empty(); }

private:
    struct Pair {
        vm::SlotId slot = 0;
        std::string value;
        uint64_t count = 0;
        uint64_t bit = 0;
    };
    std::vector<Pair> pairs_;  // every pair counted; after assign(), those with a bit first
    struct Slot {
        vm::SlotId slot = 0;
        std::vector<std::pair<std::string, uint64_t>> values;  // value, bit
    };
    std::vector<Slot> slots_;  // the fields to read per event, with the values that have a bit
};

}  // namespace eqlc::engine
