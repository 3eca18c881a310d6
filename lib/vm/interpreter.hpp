// The VM's dispatch loop: runs a compiled Program (vm/program.hpp, whose opcode table is the spec) over
// one projected event.
//
// Programs are immutable and shared; everything an evaluation writes is in the VmContext, which a thread keeps
// and reuses (nothing is allocated per event once it is warm). One VmContext per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "values/functions.hpp"
#include "values/value.hpp"
#include "vm/program.hpp"

namespace eqlc::vm {

class VmContext {
public:
    VmContext() = default;

    // Runtime errors (a script would have failed in Elasticsearch: division by zero, number("abc"), a
    // string function on a number...). The expression gave null; the count says how often.
    const EvalErrors& errors() const { return errors_; }
    void clear_errors() { errors_.clear(); }

    // The event value `v` folded with Java's toLowerCase(Locale.ROOT), computed at most once per evaluation for
    // a value of `event` (other values, e.g. a null_value constant, are folded each time). The view is valid
    // until the next evaluation on this context.
    std::string_view folded(const Value& v, const EventRecord& event);

private:
    friend Value run(const vm::Program&, const EventRecord&, VmContext&);
    std::vector<Value> stack_;
    TextArena arena_;  // strings built by functions and folded values; reset at the start of every evaluation
    EvalErrors errors_;
    std::string scratch_;
    std::string fold_scratch_;
    // fold cache, indexed like EventRecord::values; an entry is valid when its stamp equals generation_
    std::vector<uint32_t> fold_stamp_;
    std::vector<std::string_view> fold_value_;
    uint32_t generation_ = 0;
};

// Runs `program` on `event`. For a condition program the result is a boolean (true: HALT_TRUE); for a value
// program it is the computed value, whose string (if any) stays valid until the next run on `ctx`.
Value run(const vm::Program& program, const EventRecord& event, VmContext& ctx);

// A condition program: does the event match?
inline bool matches(const vm::Program& program, const EventRecord& event, VmContext& ctx) {
    const Value r = run(program, event, ctx);
    return r.type == ValueType::boolean && r.boolean;
}

// A value program (join keys).
inline Value evaluate(const vm::Program& program, const EventRecord& event, VmContext& ctx) {
    return run(program, event, ctx);
}

}  // namespace eqlc::vm
