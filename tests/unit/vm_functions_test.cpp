// Every EQL function through the VM: null propagation, types, edge cases (SEMANTICS §6). Each query compares the
// function's result with a constant, over events that give the arguments.
#include <catch2/catch.hpp>

#include "unit/vm_harness.hpp"
#include "values/functions.hpp"

using eqlc::test::VmHarness;
using eqlc::vm::Value;

namespace {

// The value of `expr` (an expression over the event's fields) for `event`, as a key program computes it.
std::string value_of(VmHarness& h, const std::string& expr, const std::string& event) {
    const auto& q = h.compile("sequence [any where true] by " + expr + " [any where true] by " + expr);
    const auto& key = q.terms[0].keys.at(0);
    const auto& rec = h.project(event);
    Value v;
    if (key.program) {
        v = eqlc::vm::evaluate(*key.program, rec, h.ctx);
    } else {
        auto values = rec.field(*key.slot);
        v = values.empty() ? Value::null() : values[0];
    }
    std::string out;
    switch (v.type) {
        case eqlc::vm::ValueType::null: return "null";
        case eqlc::vm::ValueType::string: return "\"" + std::string(v.str()) + "\"";
        default: eqlc::vm::append_java_string(v, out); return out;
    }
}

}  // namespace

TEST_CASE("vm functions: arithmetic (add, subtract, multiply, divide, modulo)", "[vm_functions]") {
    VmHarness h;
    const std::string ev = R"({"i":7,"neg":-10,"z":0,"d":0.5,"s":"x","big":9223372036854775807})";
    CHECK(value_of(h, "add(i, 1)", ev) == "8");
    CHECK(value_of(h, "add(i, 1.5)", ev) == "8.5");
    CHECK(value_of(h, "subtract(i, -5)", ev) == "12");
    CHECK(value_of(h, "multiply(i, d)", ev) == "3.5");
    CHECK(value_of(h, "divide(i, 2)", ev) == "3");  // integer division truncates
    CHECK(value_of(h, "divide(neg, 3)", ev) == "-3");
    CHECK(value_of(h, "divide(i, 2.0)", ev) == "3.5");
    CHECK(value_of(h, "modulo(-10, -6)", ev) == "-4");
    CHECK(value_of(h, "modulo(10, 0.5)", ev) == "0.0");
    // null propagation
    CHECK(value_of(h, "add(missing, 1)", ev) == "null");
    CHECK(value_of(h, "multiply(1, missing)", ev) == "null");
    // errors give null and are counted
    h.ctx.clear_errors();
    CHECK(value_of(h, "divide(i, z)", ev) == "null");
    CHECK(h.ctx.errors().count == 1);
    CHECK(value_of(h, "add(big, 1)", ev) == "null");  // long overflow
    CHECK(value_of(h, "add(s, 1)", ev) == "null");    // not a number
    CHECK(h.ctx.errors().count == 3);
    // operators are the same functions
    CHECK(value_of(h, "i * 2 + 1", ev) == "15");
    CHECK(value_of(h, "-i", ev) == "-7");
    CHECK(value_of(h, "i % 4", ev) == "3");
}

TEST_CASE("vm functions: between", "[vm_functions]") {
    VmHarness h;
    const std::string ev = R"({"p":"System Idle Process","e":"","n":null})";
    CHECK(value_of(h, "between(p, \"S\", \"e\", true)", ev) == "\"ystem Idle Proc\"");
    CHECK(value_of(h, "between(p, \"S\", \"e\")", ev) == "\"yst\"");
    CHECK(value_of(h, "between~(p, \"s\", \"E\")", ev) == "\"yst\"");
    CHECK(value_of(h, "between(p, \"s\", \"E\")", ev) == "\"\"");
    CHECK(value_of(h, "between(e, \"a\", \"b\")", ev) == "\"\"");
    CHECK(value_of(h, "between(p, \"\", \"b\")", ev) == "\"System Idle Process\"");
    CHECK(value_of(h, "between(n, \"a\", \"b\")", ev) == "null");
    CHECK(value_of(h, "between(p, n, \"b\")", ev) == "null");
}

TEST_CASE("vm functions: cidrMatch", "[vm_functions]") {
    VmHarness h;
    const std::string ev = R"({"ip":"10.6.48.157","v6":"::ffff:10.0.0.1","bad":"nope"})";
    CHECK(value_of(h, "cidrMatch(ip, \"10.6.48.157/8\")", ev) == "true");
    CHECK(value_of(h, "cidrMatch(ip, \"192.168.0.0/16\")", ev) == "false");
    CHECK(value_of(h, "cidrMatch(ip, \"192.168.0.0/16\", \"10.0.0.0/8\")", ev) == "true");
    CHECK(value_of(h, "cidrMatch(v6, \"10.0.0.0/8\")", ev) == "true");
    CHECK(value_of(h, "cidrMatch(bad, \"10.0.0.0/8\")", ev) == "false");
    CHECK(value_of(h, "cidrMatch(missing, \"10.0.0.0/8\")", ev) == "null");
    VmHarness bad;
    auto r = bad.try_compile("any where cidrMatch(ip, \"10.0.0.0/33\")");
    REQUIRE_FALSE(r.ok());
    CHECK(r.diagnostics[0].phase == eqlc::Phase::compile);
}

TEST_CASE("vm functions: concat and string", "[vm_functions]") {
    VmHarness h;
    const std::string ev = R"({"n":5,"s":"wininit.exe","d":42.5,"b":true,"z":null})";
    CHECK(value_of(h, "concat(n, \":\", s, 3)", ev) == "\"5:wininit.exe3\"");
    CHECK(value_of(h, "concat(d, b)", ev) == "\"42.5true\"");
    CHECK(value_of(h, "concat(s)", ev) == "\"wininit.exe\"");
    CHECK(value_of(h, "concat(s, z)", ev) == "null");
    CHECK(value_of(h, "concat(s, missing)", ev) == "null");
    CHECK(value_of(h, "string(n)", ev) == "\"5\"");
    CHECK(value_of(h, "string(d)", ev) == "\"42.5\"");
    CHECK(value_of(h, "string(b)", ev) == "\"true\"");
    CHECK(value_of(h, "string(z)", ev) == "null");
    CHECK(value_of(h, "string(1.0E7)", ev) == "\"1.0E7\"");
}

TEST_CASE("vm functions: startsWith, endsWith, stringContains", "[vm_functions]") {
    VmHarness h;
    const std::string ev = R"({"f":"explorer.exe","e":"","n":3})";
    CHECK(value_of(h, "endsWith(f, \"lorer.exe\")", ev) == "true");
    CHECK(value_of(h, "endsWith(f, \"LORER.exe\")", ev) == "false");
    CHECK(value_of(h, "endsWith~(f, \"LORER.exe\")", ev) == "true");
    CHECK(value_of(h, "startsWith(e, \"\")", ev) == "true");
    CHECK(value_of(h, "startsWith(\"explorer.exeaaaa\", f)", ev) == "true");
    CHECK(value_of(h, "startsWith~(f, \"EXP\")", ev) == "true");
    CHECK(value_of(h, "stringContains(f, \"plore\")", ev) == "true");
    CHECK(value_of(h, "stringContains(e, e)", ev) == "false");  // empty gives false
    CHECK(value_of(h, "stringContains~(f, \"PLORE\")", ev) == "true");
    CHECK(value_of(h, "endsWith(missing, \"a\")", ev) == "null");
    CHECK(value_of(h, "stringContains(f, missing)", ev) == "null");
    h.ctx.clear_errors();
    CHECK(value_of(h, "endsWith(n, \"3\")", ev) == "null");  // a number is not a string
    CHECK(h.ctx.errors().count == 1);
}

TEST_CASE("vm functions: indexOf", "[vm_functions]") {
    VmHarness h;
    const std::string ev = R"({"f":"explorer.exe"})";
    CHECK(value_of(h, "indexOf(f, \"plore\")", ev) == "2");
    CHECK(value_of(h, "indexOf~(f, \"PLORE\")", ev) == "2");
    CHECK(value_of(h, "indexOf(f, \"PLORE\")", ev) == "null");  // not found
    CHECK(value_of(h, "indexOf(f, \"plore\", 3)", ev) == "null");
    CHECK(value_of(h, "indexOf(f, \"e\", 1)", ev) == "6");
    CHECK(value_of(h, "indexOf(f, \"e\", -5)", ev) == "0");
    CHECK(value_of(h, "indexOf(f, \"e\", null)", ev) == "0");  // null start is 0
    CHECK(value_of(h, "indexOf(f, \"\", 4)", ev) == "4");
    CHECK(value_of(h, "indexOf(f, \"e\", 100)", ev) == "null");
    CHECK(value_of(h, "indexOf(missing, \"e\")", ev) == "null");
}

TEST_CASE("vm functions: length, substring (UTF-16 units, Python slices)", "[vm_functions]") {
    VmHarness h;
    const std::string ev = R"({"s":"start regsvr32.exe","e":"","u":"a😀b"})";
    CHECK(value_of(h, "length(s)", ev) == "18");
    CHECK(value_of(h, "length(e)", ev) == "0");
    CHECK(value_of(h, "length(u)", ev) == "4");
    CHECK(value_of(h, "length(missing)", ev) == "null");
    CHECK(value_of(h, "substring(s, -4, -1)", ev) == "\".ex\"");
    CHECK(value_of(h, "substring(s, -4)", ev) == "\".exe\"");
    CHECK(value_of(h, "substring(s, 0, 5)", ev) == "\"start\"");
    CHECK(value_of(h, "substring(s, 10, 2)", ev) == "\"\"");
    CHECK(value_of(h, "substring(s, 100)", ev) == "\"\"");
    CHECK(value_of(h, "substring(missing, 1)", ev) == "null");
}

TEST_CASE("vm functions: number", "[vm_functions]") {
    VmHarness h;
    const std::string ev = R"({"a":"5","h":"0x32","f":" 42.5 ","g":"abc","big":"9223372036854775808"})";
    CHECK(value_of(h, "number(a)", ev) == "5");
    CHECK(value_of(h, "number(h, 16)", ev) == "50");
    CHECK(value_of(h, "number(h)", ev) == "50");
    CHECK(value_of(h, "number(\"32\", 16)", ev) == "50");
    CHECK(value_of(h, "number(f)", ev) == "42.5");
    CHECK(value_of(h, "number(big)", ev) == "9.223372036854776E18");
    CHECK(value_of(h, "number(missing)", ev) == "null");
    h.ctx.clear_errors();
    CHECK(value_of(h, "number(g)", ev) == "null");  // an error in Elasticsearch: null + counted here
    CHECK(h.ctx.errors().count == 1);
    // a constant that cannot convert is a compile error
    VmHarness c;
    auto r = c.try_compile("any where x == number(\"abc\")");
    REQUIRE_FALSE(r.ok());
    CHECK(r.diagnostics[0].phase == eqlc::Phase::compile);
}

TEST_CASE("vm functions: folded and evaluated results agree", "[vm_functions]") {
    VmHarness h;
    const std::string ev = R"({"a":"Explorer.EXE","n":30})";
    // the same expression once over constants (folded) and once over fields (run time)
    CHECK(
        value_of(h, "concat(between~(a, \"x\", \".\"), length(a), divide(n, 4.0))", ev) ==
        value_of(h, "concat(between~(\"Explorer.EXE\", \"x\", \".\"), length(\"Explorer.EXE\"), divide(30, 4.0))", ev));
    CHECK(value_of(h, "concat(between~(a, \"x\", \".\"), length(a), divide(n, 4.0))", ev) == "\"plorer127.5\"");
}

TEST_CASE("vm functions: direct calls", "[vm_functions]") {
    eqlc::vm::TextArena arena;
    eqlc::vm::EvalErrors errors;
    std::string scratch;
    eqlc::vm::FunctionContext ctx{arena, errors, scratch};
    using eqlc::semantics::FunctionId;
    const Value args[] = {Value::of_string("abc"), Value::of_string("b")};
    auto r = eqlc::vm::call_function(FunctionId::index_of, false, args, ctx);
    REQUIRE(r.type == eqlc::vm::ValueType::integer);
    CHECK(r.integer == 1);
    CHECK(eqlc::vm::is_java_int(r));
    const Value nulls[] = {Value::null(), Value::of_string("b")};
    CHECK(eqlc::vm::call_function(FunctionId::ends_with, false, nulls, ctx).is_null());
    // int + int overflows as an int (Java Math.addExact); long + int does not
    const Value ints[] = {eqlc::vm::make_java_int(INT32_MAX), eqlc::vm::make_java_int(1)};
    CHECK(eqlc::vm::call_function(FunctionId::add, false, ints, ctx).is_null());
    CHECK(errors.first == "integer overflow");
    const Value longs[] = {Value::of_int(INT32_MAX), eqlc::vm::make_java_int(1)};
    CHECK(eqlc::vm::call_function(FunctionId::add, false, longs, ctx).integer == int64_t{INT32_MAX} + 1);
    // compare_values: three-valued, type mismatches are null
    CHECK(eqlc::vm::compare_values(eqlc::vm::CmpOp::eq, Value::of_string("1"), Value::of_int(1)).is_null());
    CHECK(eqlc::vm::compare_values(eqlc::vm::CmpOp::lt, Value::of_int(1), Value::of_double(1.5)).boolean);
    CHECK(eqlc::vm::compare_values(eqlc::vm::CmpOp::gt, Value::null(), Value::of_int(1)).is_null());
    // version and ip orders
    CHECK(eqlc::vm::compare_versions("1.2.4", "1.11.3") < 0);
    CHECK(eqlc::vm::compare_versions("1.0.0-alpha", "1.0.0") < 0);
    CHECK(eqlc::vm::compare_versions("1.0.0-alpha.1", "1.0.0-alpha.beta") < 0);
    CHECK(eqlc::vm::compare_versions("1.0.0-2", "1.0.0-11") < 0);
    CHECK(eqlc::vm::compare_versions("9.9.9", "bad") < 0);
    CHECK(eqlc::vm::compare_versions("1.2", "1.2.0") < 0);
    CHECK(*eqlc::vm::compare_scalars(Value::of_string("10.0.0.10"), Value::of_string("10.0.0.9"),
                                     eqlc::vm::CompareKind::ip) > 0);
    // script values: the first sorted doc value
    const Value tags[] = {Value::of_string("b"), Value::null(), Value::of_string("a")};
    CHECK(eqlc::vm::script_value(tags, eqlc::vm::FieldType::keyword).str() == "a");
    const Value nums[] = {Value::of_int(3), Value::of_double(-1.5)};
    CHECK(eqlc::vm::script_value(nums, eqlc::vm::FieldType::dynamic).floating == -1.5);
    const Value only_null[] = {Value::null()};
    CHECK(eqlc::vm::script_value(only_null, eqlc::vm::FieldType::keyword).is_null());
    const Value nv = Value::of_string("NULL");
    CHECK(eqlc::vm::script_value(only_null, eqlc::vm::FieldType::keyword, &nv).str() == "NULL");
}
