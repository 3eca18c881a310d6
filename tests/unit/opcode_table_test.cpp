// The opcode table (vm/program.hpp) against itself and against code generation: every opcode declares its
// operands, and the programs generated for a set of queries covering every opcode keep each field in range for
// its declared kind, leave unused fields zero, and keep the value stack within its declared effects.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "unit/vm_harness.hpp"
#include "values/function_table.hpp"

using eqlc::vm::Instruction;
using eqlc::vm::kNoIndex;
using eqlc::vm::kOpcodeCount;
using eqlc::vm::kPopsArgc;
using eqlc::vm::Opcode;
using eqlc::vm::Operand;
using eqlc::vm::Program;
namespace flag = eqlc::vm::flag;

namespace {

// Is field value `v` of `in` (in `p`, whose field catalog has `slots` slots) in range for its declared kind?
bool in_range(const Program& p, size_t slots, const Instruction& in, Operand kind, uint32_t v) {
    switch (kind) {
        case Operand::none: return v == 0;
        case Operand::slot: return v < slots;
        case Operand::constant: return v < p.constants.size();
        case Operand::constant_run: return v + in.aux <= p.constants.size();
        case Operand::string_list: return v < p.string_lists.size();
        case Operand::literal_set: return v < p.literal_sets.size() && v < p.literal_set_bounds.size();
        case Operand::number_set: return v < p.number_sets.size();
        case Operand::glob: return v < p.globs.size();
        case Operand::glob_list: return v < p.glob_lists.size() && v < p.glob_list_bounds.size();
        case Operand::pattern_set: return v < p.pattern_sets.size() && v < p.pattern_set_bounds.size();
        case Operand::regex: return v < p.regexes.size();
        case Operand::cidr_set: return v < p.cidr_sets.size();
        case Operand::cidr_set_or_none: return v == kNoIndex || v < p.cidr_sets.size();
        case Operand::ip: return v < p.ips.size();
        case Operand::bool_mask: return v <= 3;
        case Operand::field_type: return v <= static_cast<uint32_t>(eqlc::vm::FieldType::unsupported);
        case Operand::function: {
            for (const auto& spec : eqlc::semantics::all_functions())
                if (static_cast<uint32_t>(spec.id) == v) return true;
            return false;
        }
        case Operand::arith_op: return v <= static_cast<uint32_t>(eqlc::vm::ArithOp::mod);
        case Operand::compare_kind: return v <= static_cast<uint32_t>(eqlc::vm::CompareKind::version);
        case Operand::argc:
        case Operand::count: return true;  // checked by the stack effect and constant_run
        case Operand::null_value: return (in.flags & flag::NULLV) ? v < p.constants.size() : v == 0;
        case Operand::target:
        case Operand::branch: return v < p.code.size();
    }
    return false;
}

// Checks every instruction of `p`; records the opcodes seen.
void check_program(const Program& p, size_t slots, std::set<Opcode>& seen) {
    INFO(eqlc::compiler::explain(p));
    REQUIRE_FALSE(p.code.empty());
    int64_t depth = 0;
    for (size_t pc = 0; pc < p.code.size(); ++pc) {
        const Instruction& in = p.code[pc];
        const auto& info = eqlc::vm::opcode_info(in.op);
        INFO("instruction " << pc << " " << info.name);
        seen.insert(in.op);
        CHECK(in_range(p, slots, in, info.a, in.a));
        CHECK(in_range(p, slots, in, info.b, in.b));
        CHECK(in_range(p, slots, in, info.aux, in.aux));
        CHECK(in_range(p, slots, in, info.target, in.target));
        // the value stack: never below empty, never above max_stack, empty across jumps and at a halt
        const int64_t pops = info.pops == kPopsArgc ? in.aux : info.pops;
        CHECK(depth >= pops);
        depth += info.pushes - pops;
        CHECK(depth <= static_cast<int64_t>(p.max_stack));
        if (info.target != Operand::none || in.op == Opcode::HALT_TRUE || in.op == Opcode::HALT_FALSE ||
            in.op == Opcode::RET_VALUE)
            CHECK(depth == 0);
    }
    // programs end in a halt
    const Opcode last = p.code.back().op;
    CHECK((last == Opcode::HALT_TRUE || last == Opcode::HALT_FALSE || last == Opcode::RET_VALUE));
}

}  // namespace

TEST_CASE("opcode table: every opcode declares its operands and stack effect", "[codegen][opcodes]") {
    std::set<std::string_view> names;
    for (size_t i = 0; i < kOpcodeCount; ++i) {
        const auto& info = eqlc::vm::opcode_info(static_cast<Opcode>(i));
        INFO(info.name);
        CHECK(names.insert(info.name).second);
        CHECK_FALSE(info.synopsis.empty());
        CHECK((info.pops >= 0 || info.pops == kPopsArgc));
        CHECK(info.pushes >= 0);
        CHECK(info.pushes <= 1);
        // a kind names the field it fits: matchers and constants in B, slots in A, counts in aux
        CHECK((info.a == Operand::none || info.a == Operand::slot || info.a == Operand::cidr_set_or_none));
        CHECK((info.aux == Operand::none || info.aux == Operand::null_value || info.aux == Operand::argc ||
               info.aux == Operand::count));
        CHECK((info.target == Operand::none || info.target == Operand::target || info.target == Operand::branch));
        CHECK((info.b != Operand::slot && info.b != Operand::target && info.b != Operand::branch));
        // a pop count from aux needs aux to be a count, and a constant run its length
        if (info.pops == kPopsArgc) CHECK(info.aux == Operand::argc);
        if (info.b == Operand::constant_run) CHECK(info.aux == Operand::count);
        // every field the form prints is declared
        if (info.form.find("{A") != std::string_view::npos || info.form.find("{ A") != std::string_view::npos)
            CHECK(info.a != Operand::none);
        if (info.form.find("{B") != std::string_view::npos || info.form.find("{ B") != std::string_view::npos)
            CHECK(info.b != Operand::none);
        if (info.form.find("{aux") != std::string_view::npos) CHECK(info.aux != Operand::none);
    }
    CHECK(eqlc::vm::opcode_name(Opcode::V_IP_IN) == "V_IP_IN");
    CHECK(static_cast<size_t>(Opcode::V_IP_IN) + 1 == kOpcodeCount);
}

TEST_CASE("opcode table: generated programs keep their operands in range for the declared kinds",
          "[codegen][opcodes]") {
    eqlc::test::VmHarness h(R"({"properties":{
        "k":{"type":"keyword"}, "n":{"type":"long"}, "f":{"type":"double"}, "d":{"type":"date"},
        "ip":{"type":"ip"}, "v":{"type":"version"}, "b":{"type":"boolean"}, "@timestamp":{"type":"date"},
        "nv":{"type":"keyword","null_value":"NONE"}, "x":{"type":"keyword"}, "y":{"type":"long"}, "z":{"type":"long"}, "event":{"properties":{"category":{"type":"keyword"}}}}})");
    const std::vector<std::string> queries = {
        R"(process where k == "a" and not n == 1 or x != null)",
        R"(any where k : "AbC" and nv == "NONE" and x : ("a", "B", "c"))",
        R"(any where k in ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j") and x : ("a", "b"))",
        R"(any where k in~ ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"))",
        R"(any where k > "m" and n < 5 and f >= 1.5 and v > "1.2.3" and ip > "10.0.0.1")",
        R"(any where startsWith(k, "pre") and startsWith~(x, "Pre"))",
        R"(any where k : "a*b" and x like~ ("*a", "b*", "c?d"))",
        R"(any where k : ("a*", "b*", "c*", "d*", "e*", "f*", "g*", "h*", "i*", "j*"))",
        R"(any where k regex "a.*b" and n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10) and b == true)",
        R"(any where ip == "10.0.0.0/8" and cidrMatch(ip, "192.168.0.0/16"))",
        R"(any where length(k) + 1 > n * 2 and -n < 0 and n - 1 / 2 % 3 != 0)",
        R"(any where (x == null) == true and (x != null) == true and not (y == 1 and z == 2))",
        R"(any where (y == 1 and z == 2) == true and (y == 1 or z == 2) == false)",
        R"(any where string(n) : "A" and string(n) in ("a", "b", "c", "d", "e", "f", "g", "h", "i"))",
        R"(any where (n + 0) in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10) and (length(x) > 1) in (true, false))",
        R"(any where string(n) like "a*" and string(n) like ("a*", "b*", "c*", "d*", "e*", "f*", "g*", "h*", "i*"))",
        R"(any where string(n) regex "a.*" and startsWith(string(n), "a") == true)",
        R"(any where cidrMatch(string(n), "10.0.0.0/8") == true)",
        R"(sequence by k, length(x) [any where true] [any where n > 1] until [any where ip == "1.2.3.4"])",
        R"(sample by string(n) [any where k == "a"] [any where x == 1])",
        R"(any where concat(x, y, nv) == "a")",
    };
    std::set<Opcode> seen;
    for (const auto& q : queries) {
        INFO(q);
        auto r = h.try_compile(q);
        for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.message);
        REQUIRE(r.ok());
        const size_t slots = h.catalog.size();
        auto check_term = [&](const eqlc::compiler::CompiledTerm& t) {
            check_program(*t.filter, slots, seen);
            for (const auto& k : t.keys)
                if (k.program) check_program(*k.program, slots, seen);
        };
        for (const auto& t : r.query->terms) check_term(t);
        if (r.query->until) check_term(*r.query->until);
    }
    // The queries use every opcode but three that code generation can emit and no query reaches: JUMP (only for a
    // constant inside and/or, which the normalizer folds away), V_PREFIX and V_IP_IN (a value-context
    // startsWith / cidrMatch is a CALL; prefix and cidr predicates are only built as field tests).
    const std::set<Opcode> unreached = {Opcode::JUMP, Opcode::V_PREFIX, Opcode::V_IP_IN};
    for (size_t i = 0; i < kOpcodeCount; ++i) {
        const auto op = static_cast<Opcode>(i);
        INFO("opcode " << eqlc::vm::opcode_name(op));
        CHECK(seen.count(op) != unreached.count(op));
    }
}
