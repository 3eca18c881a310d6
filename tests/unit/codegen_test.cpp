// Code generation and compile_query: program shapes, jumps, matchers, diagnostics, compiled queries, EXPLAIN,
// result windows.
#include <catch2/catch.hpp>

#include <type_traits>

#include "compiler/codegen.hpp"
#include "compiler/compiled_query.hpp"
#include "unit/vm_harness.hpp"

using eqlc::compiler::CompileOptions;
using eqlc::compiler::PipeLimit;
using eqlc::vm::Instruction;
using eqlc::vm::Opcode;
namespace flag = eqlc::vm::flag;

namespace {

eqlc::compiler::CompileResult compile(std::string_view text, const CompileOptions& options = {}) {
    eqlc::vm::FieldCatalog catalog;
    return eqlc::compiler::compile_query(text, options, catalog);
}

std::vector<Opcode> ops(const eqlc::vm::Program& p) {
    std::vector<Opcode> out;
    for (const auto& in : p.code) out.push_back(in.op);
    return out;
}

}  // namespace

TEST_CASE("codegen: the instruction is two words and trivially copyable", "[codegen]") {
    STATIC_REQUIRE(sizeof(Instruction) == 16);
    STATIC_REQUIRE(std::is_trivially_copyable_v<Instruction>);
    CHECK(eqlc::vm::opcode_name(Opcode::TEST_STR_EQ) == "TEST_STR_EQ");
    CHECK_FALSE(eqlc::vm::opcode_synopsis(Opcode::TEST_VALUE).empty());
}

TEST_CASE("codegen: and/or become fused tests with short-circuit jumps", "[codegen]") {
    CompileOptions o;
    o.order_by_cost = false;
    {
        auto r = compile("any where a == \"x\" and b == \"y\"", o);
        REQUIRE(r.ok());
        const auto& p = *r.query->terms[0].filter;
        REQUIRE(ops(p) ==
                std::vector<Opcode>{Opcode::TEST_STR_EQ, Opcode::TEST_STR_EQ, Opcode::HALT_TRUE, Opcode::HALT_FALSE});
        // each test jumps to HALT_FALSE when false
        CHECK(p.code[0].target == 3);
        CHECK_FALSE(p.code[0].flags & flag::JT);
        CHECK(p.code[1].target == 3);
    }
    {
        auto r = compile("any where a == \"x\" or b == \"y\"", o);
        REQUIRE(r.ok());
        const auto& p = *r.query->terms[0].filter;
        REQUIRE(ops(p) ==
                std::vector<Opcode>{Opcode::TEST_STR_EQ, Opcode::TEST_STR_EQ, Opcode::HALT_TRUE, Opcode::HALT_FALSE});
        CHECK((p.code[0].flags & flag::JT));  // true: skip to HALT_TRUE
        CHECK(p.code[0].target == 2);
        CHECK_FALSE(p.code[1].flags & flag::JT);
        CHECK(p.code[1].target == 3);
    }
    {
        auto r = compile("any where (a == 1 or b == 1) and c != 1", o);
        REQUIRE(r.ok());
        const auto& p = *r.query->terms[0].filter;
        REQUIRE(p.code.size() == 5);
        CHECK(p.code[0].target == 2);  // a == 1 true: go test c
        CHECK(p.code[1].target == 4);  // b == 1 false: fail
        CHECK((p.code[2].flags & flag::NEG));
        CHECK(p.code[2].target == 4);
    }
}

TEST_CASE("codegen: cost order puts cheap tests first", "[codegen]") {
    auto r = compile("process where x regex \"a.*b\" and y : \"*z*\" and z == 1");
    REQUIRE(r.ok());
    CHECK(ops(*r.query->terms[0].filter) == std::vector<Opcode>{Opcode::TEST_STR_EQ, Opcode::TEST_NUM_CMP,
                                                                Opcode::TEST_GLOB, Opcode::TEST_REGEX,
                                                                Opcode::HALT_TRUE, Opcode::HALT_FALSE});
}

TEST_CASE("codegen: matchers are built once, per leaf", "[codegen]") {
    auto r = compile(
        "any where a : (\"*.exe\", \"cmd*\", \"x\", \"1*\", \"2*\", \"3*\", \"4*\", \"5*\", \"6*\") and "
        "f : (\"*.exe\", \"cmd*\", \"x\") and b in (\"p\", \"q\") and c in (1, 2) and "
        "d regex (\"a+\", \"b+\") and cidrMatch(e, \"10.0.0.0/8\")");
    REQUIRE(r.ok());
    const auto& p = *r.query->terms[0].filter;
    REQUIRE(p.pattern_sets.size() == 1);  // many patterns: one PatternSet
    CHECK(p.pattern_sets[0].size() == 9);
    CHECK(p.pattern_sets[0].case_insensitive());
    REQUIRE(p.glob_lists.size() == 1);  // a few: globs tried in turn
    CHECK(p.glob_lists[0].size() == 3);
    CHECK(p.string_lists.size() == 1);  // two strings: compared in turn
    CHECK(p.literal_sets.empty());
    CHECK(p.number_sets.size() == 1);
    CHECK(p.regexes.size() == 1);
    CHECK(p.cidr_sets.size() == 1);
    // the program's strings live in the program
    for (const auto& k : p.constants)
        if (k.type == eqlc::vm::ValueType::string) CHECK_FALSE(k.str().empty());
}

TEST_CASE("codegen: compile errors carry the phase and position", "[codegen]") {
    auto r = compile("any where x regex \"a&b\"");
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].phase == eqlc::Phase::compile);
    CHECK(r.diagnostics[0].span.begin.column == 19);

    auto s = compile("any where foo(x)");  // semantics errors come through as they are
    REQUIRE_FALSE(s.ok());
    CHECK(s.diagnostics[0].phase == eqlc::Phase::semantics);
    auto p = compile("any where (");
    REQUIRE_FALSE(p.ok());
    CHECK(p.diagnostics[0].phase == eqlc::Phase::syntax);

    auto schema = eqlc::semantics::Schema::parse_mapping(
        R"({"dynamic":"strict","properties":{"@timestamp":{"type":"date"},"a":{"type":"long"}}})");
    CompileOptions o;
    o.schema = &*schema;
    auto u = compile("any where a == 1 and b == 2 and c == 3", o);
    REQUIRE_FALSE(u.ok());
    REQUIRE(u.diagnostics.size() == 2);
    CHECK(u.diagnostics[0].message == "Unknown column [b]");
    CHECK(u.diagnostics[1].message == "Unknown column [c]");
    auto cat = compile("process where a == 1", o);  // the category field must be mapped for `process where`
    REQUIRE_FALSE(cat.ok());
    CHECK(cat.diagnostics[0].message.find("Unknown column [event.category]") == 0);
    CHECK(compile("any where a == 1", o).ok());
    o.timestamp_field = "ts";
    auto ts = compile("any where a == 1", o);
    REQUIRE_FALSE(ts.ok());
    CHECK(ts.diagnostics[0].message.find("Unknown column [ts]") == 0);
}

TEST_CASE("codegen: compiled sequences and samples", "[codegen]") {
    CompileOptions o;
    o.tiebreaker_field = "seq";
    eqlc::vm::FieldCatalog catalog;
    auto r = eqlc::compiler::compile_query(
        "sequence by host.id with maxspan=20s [network where a == 1] by user [process where b == 2] by user with "
        "runs=3 "
        "![file where true] by user until [any where c == 3] by user | head 5 | tail 2",
        o, catalog);
    // missing events are allowed only with maxspan (present), and the checker counts keys
    for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.message);
    REQUIRE(r.ok());
    const auto& q = *r.query;
    CHECK(q.kind == eqlc::ast::QueryKind::sequence);
    REQUIRE(q.terms.size() == 5);                   // 1 + runs 3 + 1 missing
    CHECK(q.terms[1].filter == q.terms[2].filter);  // runs copies share their program
    CHECK(q.terms[1].written_index == 1);
    CHECK(q.terms[3].written_index == 1);
    CHECK(q.terms[4].missing);
    CHECK(q.terms[4].category == "file");
    REQUIRE(q.terms[0].keys.size() == 2);
    CHECK(q.terms[0].keys[0].text == "host.id");
    CHECK(catalog.path(*q.terms[0].keys[0].slot) == "host.id");
    CHECK(catalog.path(*q.terms[0].keys[1].slot) == "user");
    REQUIRE(q.until);
    CHECK(q.until->keys.size() == 2);
    CHECK(q.maxspan_ns == int64_t{20} * 1000 * 1000 * 1000);
    REQUIRE(q.pipes.size() == 2);
    CHECK(q.pipes[0].kind == PipeLimit::Kind::head);
    CHECK(q.pipes[1].count == 2);
    CHECK(catalog.path(q.timestamp_slot) == "@timestamp");
    CHECK(catalog.path(*q.tiebreaker_slot) == "seq");
    CHECK(catalog.path(*q.category_slot) == "event.category");
    CHECK(q.source.find("sequence by host.id") == 0);

    auto s = eqlc::compiler::compile_query("sample by host [any where true] by ?k [any where true] by length(x)", {},
                                           catalog);
    REQUIRE(s.ok());
    CHECK(s.query->kind == eqlc::ast::QueryKind::sample);
    CHECK(s.query->terms[0].keys[1].optional);
    REQUIRE(s.query->terms[1].keys[1].program);
    CHECK(s.query->terms[1].keys[1].program->kind == eqlc::vm::Program::Kind::value);
}

TEST_CASE("codegen: optional join keys that are not mapped are the constant null", "[codegen]") {
    // (Under a strict mapping: a dynamic one reads such a field, see dynamic_mapping_test.cpp.)
    eqlc::test::VmHarness h(R"({"dynamic":"strict","properties":{"@timestamp":{"type":"date"},"transID":{"type":"long"},
        "event":{"properties":{"category":{"type":"keyword"}}}}})");
    const auto& q = h.compile("sequence by ?x, transID [a where true] [b where true]");
    const auto& k = q.terms[0].keys[0];
    CHECK(k.optional);
    CHECK_FALSE(k.slot);
    REQUIRE(k.program);
    CHECK(eqlc::vm::evaluate(*k.program, h.project("{}"), h.ctx).is_null());
    CHECK(q.terms[0].keys[1].type == eqlc::vm::FieldType::long_);
}

TEST_CASE("codegen: EXPLAIN prints one line per instruction with decoded operands", "[codegen]") {
    auto r =
        compile("process where process.name : (\"a*\", \"b\") and pid > 4 and length(x) == 3 and ip in (\"10.0.0.1\")");
    REQUIRE(r.ok());
    const std::string text = eqlc::compiler::explain(*r.query);
    INFO(text);
    CHECK(text.find("query: event, 1 term(s)") != std::string::npos);
    CHECK(text.find("TEST_STR_EQ") != std::string::npos);
    CHECK(text.find("@event.category == \"process\"") != std::string::npos);
    CHECK(text.find("@pid > 4") != std::string::npos);
    CHECK(text.find("like globs#0 (\"a*\", \"b\"; case-insensitive)") != std::string::npos);
    CHECK(text.find("PUSH_FIELD") != std::string::npos);
    CHECK(text.find("CALL") != std::string::npos);
    CHECK(text.find("length/1") != std::string::npos);
    CHECK(text.find("TEST_VALUE") != std::string::npos);
    CHECK(text.find("HALT_TRUE") != std::string::npos);
    const auto& p = *r.query->terms[0].filter;
    const std::string program = eqlc::compiler::explain(p);
    size_t lines = 0;
    for (char c : program) lines += c == '\n';
    CHECK(lines == p.code.size() + 2);  // header + column titles + one per instruction
}

TEST_CASE("codegen: result windows (pipes, then the request size)", "[codegen]") {
    using eqlc::compiler::apply_limits;
    auto w = [](size_t n, std::vector<PipeLimit> pipes, std::optional<PipeLimit> request = std::nullopt) {
        auto r = apply_limits(n, pipes, request);
        return std::make_pair(r.begin, r.end);
    };
    const PipeLimit head2{PipeLimit::Kind::head, 2}, head6{PipeLimit::Kind::head, 6};
    const PipeLimit tail3{PipeLimit::Kind::tail, 3}, tail5{PipeLimit::Kind::tail, 5};
    CHECK(w(10, {}) == std::make_pair(size_t{0}, size_t{10}));
    CHECK(w(10, {head6}) == std::make_pair(size_t{0}, size_t{6}));
    CHECK(w(10, {tail3}) == std::make_pair(size_t{7}, size_t{10}));
    CHECK(w(10, {tail5, head2}) == std::make_pair(size_t{5}, size_t{7}));  // first 2 of the last 5
    CHECK(w(10, {head6, tail3}) == std::make_pair(size_t{3}, size_t{6}));
    CHECK(w(10, {head6, head2}) == std::make_pair(size_t{0}, size_t{2}));
    CHECK(w(2, {tail5}) == std::make_pair(size_t{0}, size_t{2}));
    CHECK(w(10, {PipeLimit{PipeLimit::Kind::head, 0}}) == std::make_pair(size_t{0}, size_t{0}));
    CHECK(w(100, {}, PipeLimit{PipeLimit::Kind::tail, 50}) == std::make_pair(size_t{50}, size_t{100}));
    CHECK(w(100, {head6}, PipeLimit{PipeLimit::Kind::tail, 50}) == std::make_pair(size_t{0}, size_t{6}));
}

TEST_CASE("codegen: generate_value and generate_condition directly", "[codegen]") {
    eqlc::semantics::ValueExpr v;  // the null constant
    eqlc::Diagnostics out;
    auto p = eqlc::compiler::generate_value(v, "null", out);
    REQUIRE(p);
    CHECK(ops(*p) == std::vector<Opcode>{Opcode::PUSH_CONST, Opcode::RET_VALUE});
    auto t = eqlc::compiler::generate_condition(eqlc::semantics::Cond::constant_of(true), "t", out);
    REQUIRE(t);
    CHECK(ops(*t) == std::vector<Opcode>{Opcode::HALT_TRUE});
    CHECK(out.empty());
}
