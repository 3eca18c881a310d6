// The join keys of one term for one event, encoded for the sequence/sample runtime (sequence/key.hpp).
//
// Each key of the term (shared keys first, then the term's own) gives a list of components: every non-null
// value of a plain field (arrays expand), or the value of a key program. A non-optional key with no value
// drops the event from the term; an optional `?key` with no value gives one null component. The term's keys
// are the Cartesian product of the lists (SEMANTICS §7 "Keys").
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "text/reused_strings.hpp"
#include "vm/interpreter.hpp"

namespace eqlc::engine {

class JoinKeyBuilder {
public:
    // Most key combinations one event may produce for one term; the rest are dropped and counted.
    static constexpr size_t kMaxCombinations = 4096;

    // Computes the encoded keys of `term` for `event` into keys(); false when the event has no key for it.
    bool build(const compiler::CompiledTerm& term, const vm::EventRecord& event, vm::VmContext& vm);

    const text::ReusedStrings& keys() const { return keys_; }
    uint64_t truncated() const { return truncated_; }

private:
    std::vector<text::ReusedStrings> components_;  // per key: its encoded alternatives
    text::ReusedStrings keys_;
    std::vector<size_t> odometer_;
    uint64_t truncated_ = 0;
};

}  // namespace eqlc::engine
