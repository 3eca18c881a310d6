// What the line prefilter (input/line_filter.hpp) searches for: per query term, a condition on an event's raw
// JSON text, as a CNF over needles. The compiler derives it from each term (compiler/required_text.hpp says how
// and why it is only ever a NECESSARY condition); the reader only applies it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace eqlc::input {

struct Needle {
    std::string text;               // the JSON form of the characters (lowered when case_insensitive)
    bool case_insensitive = false;  // search ignoring ASCII case
    bool operator==(const Needle&) const = default;
};

struct RequiredText {
    using Clause = std::vector<Needle>;  // one of these needles
    bool never = false;                  // the filter can never hold (a constant false)
    std::vector<Clause> clauses;         // every clause must hold; the most selective first
    // The fields (projection slots, vm::SlotId) whose tests gave the needles: a needle that helps a term hold is in
    // the JSON text of a value of one of them. Events built field by field are searched in these fields only.
    std::vector<uint32_t> fields;

    // No condition: every line may match.
    bool unconditional() const { return !never && clauses.empty(); }
};

}  // namespace eqlc::input
