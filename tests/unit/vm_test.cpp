// The VM: every opcode, the missing-field and array rules (SEMANTICS "Decisions" 3 and 4), the WMI rule's
// second stage on Elastic Defend and Sysmon events.
#include <catch2/catch.hpp>

#include <set>

#include "compiler/codegen.hpp"
#include "support/wmi_rule.hpp"
#include "unit/vm_harness.hpp"

using eqlc::test::VmHarness;
using eqlc::vm::Opcode;

namespace {

// The opcodes a compiled query uses.
std::set<Opcode> opcodes_of(const eqlc::compiler::CompiledQuery& q) {
    std::set<Opcode> out;
    for (const auto& t : q.terms)
        for (const auto& in : t.filter->code) out.insert(in.op);
    return out;
}

bool uses(const eqlc::compiler::CompiledQuery& q, Opcode op) { return opcodes_of(q).count(op) != 0; }

}  // namespace

TEST_CASE("vm: category test matches any element, case-sensitively", "[vm]") {
    VmHarness h;
    const auto& q = h.compile("process where true");
    CHECK(uses(q, Opcode::TEST_STR_EQ));
    CHECK(h(R"({"event":{"category":"process"}})"));
    CHECK(h(R"({"event":{"category":["process"]}})"));
    CHECK(h(R"({"event":{"category":["network","process"]}})"));
    CHECK(h(R"({"event.category":["process"]})"));
    CHECK_FALSE(h(R"({"event":{"category":"Process"}})"));
    CHECK_FALSE(h(R"({"event":{"category":[]}})"));
    CHECK_FALSE(h(R"({"other":1})"));

    h.compile("any where true");
    CHECK(h(R"({"other":1})"));

    h.options.event_category_field = "kind";
    h.compile("\"network-1\" where true");
    CHECK(h(R"({"kind":"network-1"})"));
    CHECK_FALSE(h(R"({"event":{"category":"network-1"}})"));
}

TEST_CASE("vm: TEST_EXISTS is x != null, NEG is x == null (missing, null, only nulls)", "[vm]") {
    VmHarness h;
    const auto& q = h.compile("any where x == null");
    CHECK(uses(q, Opcode::TEST_EXISTS));
    CHECK(h(R"({})"));
    CHECK(h(R"({"x":null})"));
    CHECK(h(R"({"x":[null]})"));
    CHECK(h(R"({"x":[]})"));
    CHECK_FALSE(h(R"({"x":0})"));
    CHECK_FALSE(h(R"({"x":""})"));
    CHECK_FALSE(h(R"({"x":[null,"a"]})"));

    h.compile("any where x != null");
    CHECK_FALSE(h(R"({})"));
    CHECK_FALSE(h(R"({"x":null})"));
    CHECK(h(R"({"x":false})"));
    h.compile("any where not (x == null)");
    CHECK(h(R"({"x":"a"})"));
    CHECK_FALSE(h(R"({})"));
    h.compile("any where null == x");
    CHECK(h(R"({})"));
}

TEST_CASE("vm: null_value from the mapping makes a JSON null a value", "[vm]") {
    VmHarness h(R"({"properties":{"f":{"type":"keyword","null_value":"NULL"},"@timestamp":{"type":"date"},
                   "event":{"properties":{"category":{"type":"keyword"}}}}})");
    h.compile("any where ?f == null");
    CHECK(h(R"({})"));
    CHECK_FALSE(h(R"({"f":null})"));
    h.compile("any where f == \"NULL\"");
    CHECK(h(R"({"f":null})"));
    CHECK(h(R"({"f":"NULL"})"));
    CHECK_FALSE(h(R"({})"));
    h.compile("any where f : \"nu*\"");
    CHECK(h(R"({"f":null})"));
    h.compile("any where length(f) == 4");
    CHECK(h(R"({"f":null})"));
}

TEST_CASE("vm: positive leaves are false on missing fields, negated leaves are true", "[vm]") {
    VmHarness h;
    struct Case {
        const char* query;
        bool on_missing;
        bool on_null;
    };
    const Case cases[] = {
        {"any where x == \"a\"", false, false},
        {"any where x != \"a\"", true, true},
        {"any where not x == \"a\"", true, true},
        {"any where x : \"a*\"", false, false},
        {"any where not x : \"a*\"", true, true},
        {"any where x in (\"a\", \"b\")", false, false},
        {"any where x not in (\"a\", \"b\")", true, true},
        {"any where not x in (\"a\", \"b\")", true, true},
        {"any where x like \"a*\"", false, false},
        {"any where not x like \"a*\"", true, true},
        {"any where x regex \"a.*\"", false, false},
        {"any where not x regex \"a.*\"", true, true},
        {"any where x in~ (\"A\")", false, false},
        {"any where not x in~ (\"A\")", true, true},
        // ordered comparisons flip under not and stay false on a missing field
        {"any where x > 1", false, false},
        {"any where not (x > 1)", false, false},
        {"any where not (x <= \"m\")", false, false},
        // functions and arithmetic are three-valued: null is never TRUE, not null is null
        {"any where endsWith(x, \"a\")", false, false},
        {"any where not endsWith(x, \"a\")", false, false},
        {"any where length(x) != 3", false, false},
        {"any where not (length(x) == 3)", false, false},
        {"any where x + 1 > 0", false, false},
        {"any where not (x + 1 > 0)", false, false},
        // A positive startsWith/cidrMatch on a field runs as a field test: false when the field is missing.
        {"any where startsWith(x, \"a\")", false, false},
        // Functions are three-valued (SEMANTICS "Decisions" 3, §5.3): a missing or null argument gives null,
        // and `not null` is null, so the event is excluded.
        {"any where not startsWith(x, \"a\")", false, false},
        {"any where not cidrMatch(x, \"10.0.0.0/8\")", false, false},
    };
    for (const auto& c : cases) {
        INFO(c.query);
        h.compile(c.query);
        CHECK(h(R"({})") == c.on_missing);
        CHECK(h(R"({"x":null})") == c.on_null);
    }
}

TEST_CASE("vm: multi-valued fields: positive = any element, negated = no element", "[vm]") {
    VmHarness h;
    h.compile("any where x == \"a\"");
    CHECK(h(R"({"x":["b","a"]})"));
    CHECK_FALSE(h(R"({"x":["b","c"]})"));
    h.compile("any where x != \"a\"");
    CHECK_FALSE(h(R"({"x":["b","a"]})"));
    CHECK(h(R"({"x":["b","c"]})"));
    CHECK(h(R"({"x":[]})"));
    h.compile("any where x > 5");
    CHECK(h(R"({"x":[1,7]})"));
    h.compile("any where not (x > 5)");  // x <= 5: some element <= 5
    CHECK(h(R"({"x":[1,7]})"));
    CHECK_FALSE(h(R"({"x":[6,7]})"));
    h.compile("any where x : (\"*.EXE\", \"cmd*\")");
    CHECK(h(R"({"x":["a.txt","b.exe"]})"));
    h.compile("any where not x : (\"*.EXE\", \"cmd*\")");
    CHECK_FALSE(h(R"({"x":["a.txt","b.exe"]})"));
    CHECK(h(R"({"x":["a.txt","b.dll"]})"));
    // nested objects in arrays flatten as Elasticsearch indexes them
    h.compile("any where a.b == 2");
    CHECK(h(R"({"a":[{"b":1},{"b":2}]})"));
}

TEST_CASE("vm: function arguments read a field's first doc value (sorted doc values)", "[vm]") {
    VmHarness h;
    h.compile("any where length(tags) == 1");
    CHECK(h(R"({"tags":["bbb","a"]})"));  // doc values sort: "a" first
    CHECK_FALSE(h(R"({"tags":["bbb","cc"]})"));
    h.compile("any where n + 0 == 2");
    CHECK(h(R"({"n":[9,2,5]})"));
    h.compile("any where length(tags) == null");
    CHECK(h(R"({"tags":[]})"));
    CHECK(h(R"({"tags":[null]})"));
}

TEST_CASE("vm: string tests (STR_EQ, STR_EQ_CI, STR_IN, STR_CMP, PREFIX)", "[vm]") {
    VmHarness h;
    const auto& q1 = h.compile("any where x == \"Abc\"");
    CHECK(uses(q1, Opcode::TEST_STR_EQ));
    CHECK(h(R"({"x":"Abc"})"));
    CHECK_FALSE(h(R"({"x":"abc"})"));
    CHECK_FALSE(h(R"({"x":"Abc "})"));

    const auto& q2 = h.compile("any where x : \"ÉCOLE.exe\"");
    CHECK(uses(q2, Opcode::TEST_STR_EQ_CI));
    CHECK(h(R"({"x":"école.EXE"})"));
    CHECK(h(R"({"x":"ÉCOLE.exe"})"));
    CHECK_FALSE(h(R"({"x":"ecole.exe"})"));
    CHECK_FALSE(h(R"({"x":"école.ex"})"));
    h.compile("any where x : \"abc\"");
    CHECK(h(R"({"x":"ABC"})"));
    CHECK_FALSE(h(R"({"x":"ABCé"})"));
    CHECK_FALSE(h(R"({"x":"yabc"})"));  // `:` is not "contains"

    const auto& q3 = h.compile("any where x in (\"a\", \"B\")");
    CHECK(uses(q3, Opcode::TEST_STR_LIST));
    CHECK(h(R"({"x":"B"})"));
    CHECK_FALSE(h(R"({"x":"b"})"));
    h.compile("any where x in~ (\"a\", \"B\", \"winini*.exe\")");
    CHECK(h(R"({"x":"b"})"));
    CHECK_FALSE(h(R"({"x":"wininit.exe"})"));  // wildcards are literal in in~
    CHECK(h(R"({"x":"WININI*.EXE"})"));
    // more than a few strings: a hash set
    const auto& q4s = h.compile("any where x in (\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"B\")");
    CHECK(uses(q4s, Opcode::TEST_STR_IN));
    CHECK(h(R"({"x":"B"})"));
    CHECK_FALSE(h(R"({"x":"bb"})"));
    h.compile("any where x in~ (\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"Écol\")");
    CHECK(h(R"({"x":"éCOL"})"));
    CHECK(h(R"({"x":"A"})"));
    CHECK_FALSE(h(R"({"x":"ecol"})"));

    const auto& q4 = h.compile("any where x >= \"System\" and x < \"System Idle Process\"");
    CHECK(uses(q4, Opcode::TEST_STR_CMP));
    CHECK(h(R"({"x":"System"})"));
    CHECK_FALSE(h(R"({"x":"System Idle Process"})"));
    CHECK_FALSE(h(R"({"x":"system"})"));

    const auto& q5 = h.compile("any where startsWith~(x, \"EXP\")");
    CHECK(uses(q5, Opcode::TEST_PREFIX));
    CHECK(h(R"({"x":"explorer.exe"})"));
    CHECK_FALSE(h(R"({"x":"xexplorer"})"));
    h.compile("any where startsWith(x, \"a*\")");  // no wildcard in a prefix
    CHECK(h(R"({"x":"a*b"})"));
    CHECK_FALSE(h(R"({"x":"ab"})"));
}

TEST_CASE("vm: case-insensitive tests fold non-ASCII values whose length changes", "[vm]") {
    VmHarness h;
    // U+212A KELVIN SIGN (3 bytes) lowers to 'k' (1 byte); U+0130 (2 bytes) lowers to "i̇" (3 bytes)
    const std::string kelvin = "{\"x\":\"\u212A\"}";
    const std::string kelvins = "{\"x\":\"\u212A\u212A\u212A\"}";
    h.compile("any where x : \"k\"");
    CHECK(h(kelvin));
    h.compile("any where x in~ (\"k\", \"zz\")");
    CHECK(h(kelvin));
    h.compile("any where x in~ (\"kkk\", \"zz\")");
    CHECK(h(kelvins));
    h.compile("any where x : (\"k*\", \"z?\")");
    CHECK(h(kelvin));
    h.compile("any where x : (\"kk?\", \"z?\", \"1*\", \"2*\", \"3*\", \"4*\", \"5*\", \"6*\", \"7*\")");
    CHECK(h(kelvins));
    h.compile("any where x : \"ab\u0069\u0307\"");
    CHECK(h("{\"x\":\"AB\u0130\"}"));
    h.compile("any where x in~ (\"ab\u0069\u0307\", \"q\")");
    CHECK(h("{\"x\":\"AB\u0130\"}"));
    CHECK_FALSE(h("{\"x\":\"ABI\"}"));
}

TEST_CASE("vm: wildcard and regex tests (GLOB, PATTERN, REGEX)", "[vm]") {
    VmHarness h;
    const auto& q1 = h.compile("any where x : \"?:\\\\windows\\\\*.exe\"");
    CHECK(uses(q1, Opcode::TEST_GLOB));
    CHECK(h(R"({"x":"C:\\Windows\\System32\\cmd.EXE"})"));
    CHECK_FALSE(h(R"({"x":"CC:\\Windows\\cmd.exe"})"));

    const auto& q2 = h.compile("any where x like (\"*.exe\", \"cmd*\", \"a?c\")");
    CHECK(uses(q2, Opcode::TEST_GLOB_LIST));
    CHECK(h(R"({"x":"abc"})"));
    CHECK(h(R"({"x":"cmd.bat"})"));
    CHECK_FALSE(h(R"({"x":"CMD.bat"})"));  // like is case-sensitive
    h.compile("any where x like~ (\"*.exe\", \"cmd*\")");
    CHECK(h(R"({"x":"CMD.bat"})"));
    const auto& q5 =
        h.compile("any where x : (\"*.exe\", \"cmd*\", \"a?c\", \"1*\", \"2*\", \"3*\", \"4*\", \"5*\", \"É*\")");
    CHECK(uses(q5, Opcode::TEST_PATTERN));
    CHECK(h(R"({"x":"ABC"})"));
    CHECK(h(R"({"x":["zz","éCOLE"]})"));
    CHECK(h(R"({"x":"CMD.bat"})"));
    CHECK_FALSE(h(R"({"x":"bcd"})"));
    h.compile("any where x : \"*%*\"");
    CHECK(h(R"({"x":"%SystemRoot%"})"));
    CHECK_FALSE(h(R"({"x":"SystemRoot"})"));

    const auto& q3 = h.compile("any where x regex \"[a-c]+[0-9]{2}\"");
    CHECK(uses(q3, Opcode::TEST_REGEX));
    CHECK(h(R"({"x":"abc12"})"));
    CHECK_FALSE(h(R"({"x":"abc123"})"));  // full match
    CHECK_FALSE(h(R"({"x":"ABC12"})"));
    h.compile("any where x regex~ \"[a-c]+[0-9]{2}\"");
    CHECK(h(R"({"x":"ABC12"})"));
    const auto& q4 = h.compile("any where x regex \"abc\"");  // no metacharacters: equality
    CHECK(uses(q4, Opcode::TEST_STR_EQ));
    CHECK(h(R"({"x":"abc"})"));
}

TEST_CASE("vm: numeric and boolean tests (NUM_CMP, NUM_IN, BOOL)", "[vm]") {
    VmHarness h;
    const auto& q1 = h.compile("any where x == 1");
    CHECK(uses(q1, Opcode::TEST_NUM_CMP));
    CHECK(h(R"({"x":1})"));
    CHECK(h(R"({"x":1.0})"));
    CHECK_FALSE(h(R"({"x":"1"})"));  // without a schema a string never equals a number
    CHECK_FALSE(h(R"({"x":true})"));
    h.compile("any where x < 4.5 and x >= 3.1");
    CHECK(h(R"({"x":4})"));
    CHECK_FALSE(h(R"({"x":3})"));
    h.compile("any where 0 <= x");
    CHECK(h(R"({"x":0})"));
    CHECK_FALSE(h(R"({"x":-1})"));

    const auto& q2 = h.compile("any where x in (1, 2.5, 9007199254740993)");
    CHECK(uses(q2, Opcode::TEST_NUM_IN));
    CHECK(h(R"({"x":2.5})"));
    CHECK(h(R"({"x":1.0})"));
    CHECK(h(R"({"x":9007199254740993})"));
    CHECK_FALSE(h(R"({"x":9007199254740992})"));
    h.compile("any where x not in (1, 2)");
    CHECK(h(R"({"x":3})"));
    CHECK_FALSE(h(R"({"x":[3,2]})"));

    const auto& q3 = h.compile("any where x == true");
    CHECK(uses(q3, Opcode::TEST_BOOL));
    CHECK(h(R"({"x":true})"));
    CHECK_FALSE(h(R"({"x":false})"));
    CHECK_FALSE(h(R"({"x":"true"})"));
    h.compile("any where x");
    CHECK(h(R"({"x":true})"));
    CHECK_FALSE(h(R"({"x":false})"));
    h.compile("any where not x");
    CHECK(h(R"({"x":false})"));
    CHECK(h(R"({})"));
    // mixed kinds in one list (only without a schema): one test per kind
    h.compile("any where x in (1, \"a\", true)");
    CHECK(h(R"({"x":1})"));
    CHECK(h(R"({"x":"a"})"));
    CHECK(h(R"({"x":true})"));
    CHECK_FALSE(h(R"({"x":"1"})"));
    h.compile("any where x not in (1, \"a\")");
    CHECK_FALSE(h(R"({"x":"a"})"));
    CHECK(h(R"({"x":"b"})"));
}

TEST_CASE("vm: typed fields follow the mapping (keyword, long, date, ip, version, boolean)", "[vm]") {
    VmHarness h(R"({"properties":{
        "k":{"type":"keyword"}, "n":{"type":"long"}, "d":{"type":"date"}, "ip":{"type":"ip"},
        "v":{"type":"version"}, "b":{"type":"boolean"}, "@timestamp":{"type":"date"},
        "event":{"properties":{"category":{"type":"alias","path":"cat"}}}, "cat":{"type":"keyword"}}})");
    h.compile("any where k == 4");  // a term query converts the literal to the field's type
    CHECK(h(R"({"k":"4"})"));
    CHECK(h(R"({"k":4})"));
    h.compile("any where n == \"5\"");
    CHECK(h(R"({"n":5})"));
    CHECK(h(R"({"n":"5"})"));
    h.compile("any where n == 4.5");
    CHECK_FALSE(h(R"({"n":4})"));
    h.compile("any where n != 4.5");
    CHECK(h(R"({"n":4})"));
    h.compile("any where d == \"2017-08-30T20:47:33Z\"");
    CHECK(h(R"({"d":"2017-08-30T20:47:33.000Z"})"));
    CHECK(h(R"({"d":1504126053000})"));
    h.compile("any where d > 1504126053000");
    CHECK(h(R"({"d":"2017-08-30T20:47:33.001Z"})"));
    CHECK_FALSE(h(R"({"d":"2017-08-30T20:47:33Z"})"));

    const auto& qi = h.compile("any where ip == \"::1\"");
    CHECK(uses(qi, Opcode::TEST_IP_IN));
    CHECK(h(R"({"ip":"0:0:0:0:0:0:0:1"})"));
    CHECK_FALSE(h(R"({"ip":"::2"})"));
    h.compile("any where ip == \"10.0.0.0/8\"");  // a term query on an ip field accepts a CIDR block
    CHECK(h(R"({"ip":"10.1.2.3"})"));
    h.compile("any where ip not in (\"127.0.0.1\", \"::1\")");
    CHECK_FALSE(h(R"({"ip":"::ffff:127.0.0.1"})"));
    CHECK(h(R"({"ip":"10.0.0.1"})"));
    CHECK(h(R"({})"));
    const auto& qc = h.compile("any where ip > \"10.0.0.9\"");
    CHECK(uses(qc, Opcode::TEST_IP_CMP));
    CHECK(h(R"({"ip":"10.0.0.10"})"));  // address order, not text order
    CHECK_FALSE(h(R"({"ip":"10.0.0.1"})"));
    h.compile("any where cidrMatch(ip, \"10.0.0.0/8\", \"192.168.0.0/16\")");
    CHECK(h(R"({"ip":"192.168.4.4"})"));
    CHECK_FALSE(h(R"({"ip":"11.0.0.1"})"));

    const auto& qv = h.compile("any where v > \"1.5.0\"");
    CHECK(uses(qv, Opcode::TEST_VERSION_CMP));
    CHECK(h(R"({"v":"1.11.3"})"));
    CHECK_FALSE(h(R"({"v":"1.2.4"})"));
    h.compile("any where v < \"1.5.0\"");
    CHECK(h(R"({"v":"1.2.4-SNAPSHOT"})"));
    CHECK(h(R"({"v":"1.5.0-rc.1"})"));
    CHECK_FALSE(h(R"({"v":"bad"})"));  // invalid versions sort after valid ones
    CHECK_FALSE(h(R"({"v":"1.11.3"})"));

    h.compile("any where b == \"true\"");
    CHECK(h(R"({"b":true})"));
    CHECK(h(R"({"b":"true"})"));

    h.compile("foo where true");  // category through the alias
    CHECK(h(R"({"cat":"foo"})"));
}

TEST_CASE("vm: the value stack (PUSH, CALL, ARITH, NEG, CMP, IS_NULL, NOT3/AND3/OR3, TEST_VALUE)", "[vm]") {
    VmHarness h;
    const auto& q1 = h.compile("any where n / 2 == 41");
    CHECK(uses(q1, Opcode::PUSH_FIELD));
    CHECK(uses(q1, Opcode::ARITH));
    CHECK(uses(q1, Opcode::CMP));
    CHECK(uses(q1, Opcode::TEST_VALUE));
    CHECK(h(R"({"n":83})"));
    CHECK(h(R"({"n":82})"));
    CHECK_FALSE(h(R"({"n":84})"));
    h.compile("any where n / 2.0 == 41");
    CHECK_FALSE(h(R"({"n":83})"));
    h.compile("any where -n == -3");
    CHECK(h(R"({"n":3})"));
    h.compile("any where n % 40 == 2 and multiply(n, 2) == 164");
    CHECK(h(R"({"n":82})"));

    // null == (x > -1) is IsNull of a three-valued comparison
    const auto& q2 = h.compile("any where null == (x > -1)");
    CHECK(uses(q2, Opcode::IS_NULL));
    CHECK(h(R"({})"));
    CHECK_FALSE(h(R"({"x":0})"));
    h.compile("any where (x > 1 and y) == null");
    CHECK(h(R"({"x":2})"));        // true and null = null
    CHECK_FALSE(h(R"({"x":0})"));  // false and null = false
    h.compile("any where (x > 1 or y) == null");
    CHECK_FALSE(h(R"({"x":2})"));  // true or null = true
    CHECK(h(R"({"x":0})"));        // false or null = null
    h.compile("any where (not (x > 1)) == null");
    CHECK(h(R"({})"));

    // division by zero: null, counted as a runtime error
    h.ctx.clear_errors();
    h.compile("any where n / d == null");
    CHECK(h(R"({"n":1,"d":0})"));
    CHECK(h.ctx.errors().count == 1);
    CHECK(h.ctx.errors().first == "/ by zero");
}

TEST_CASE("vm: value-stack predicates (V_*)", "[vm]") {
    VmHarness h;
    const auto& q1 = h.compile("any where substring(x, -4) : \".exe\"");
    CHECK(uses(q1, Opcode::V_STR_EQ_CI));
    CHECK(h(R"({"x":"A.EXE"})"));
    CHECK_FALSE(h(R"({"x":"A.EXEC"})"));
    CHECK_FALSE(h(R"({})"));
    h.compile("any where not substring(x, -4) : \".exe\"");
    CHECK(h(R"({"x":"A.EXEC"})"));
    CHECK_FALSE(h(R"({})"));  // not null is null

    CHECK(uses(h.compile("any where concat(x, \"\") in (\"a\", \"b\")"), Opcode::V_STR_IN));
    CHECK(h(R"({"x":"b"})"));
    CHECK_FALSE(h(R"({"x":"B"})"));
    CHECK(uses(h.compile("any where concat(x, \"\") in~ (\"a\", \"b\")"), Opcode::V_STR_IN));
    CHECK(h(R"({"x":"B"})"));
    CHECK(uses(h.compile("any where length(x) in (1, 3)"), Opcode::V_NUM_IN));
    CHECK(h(R"({"x":"abc"})"));
    CHECK(uses(h.compile("any where string(x) in (\"1\", 2)"), Opcode::V_IN_ANY));
    CHECK(h(R"({"x":1})"));
    CHECK_FALSE(h(R"({"x":2})"));  // string(2) is "2", not 2
    CHECK(uses(h.compile("any where concat(x, \"\") : \"a*\""), Opcode::V_GLOB));
    CHECK(h(R"({"x":"ABC"})"));
    CHECK(uses(h.compile("any where concat(x, \"\") : (\"a*\", \"*z\")"), Opcode::V_PATTERN));
    CHECK(h(R"({"x":"xyz"})"));
    CHECK(uses(h.compile("any where concat(x, \"\") regex \"a.c\""), Opcode::V_REGEX));
    CHECK(h(R"({"x":"abc"})"));
    CHECK(uses(h.compile("any where cidrMatch(concat(x, \"\"), \"10.0.0.0/8\")"), Opcode::CALL));
    CHECK(h(R"({"x":"10.2.3.4"})"));
    CHECK_FALSE(h(R"({})"));
}

TEST_CASE("vm: and/or short-circuit jumps give the right answers", "[vm]") {
    VmHarness h;
    h.compile("any where (a == 1 or b == 1) and (c == 1 or not d == 1)");
    CHECK(h(R"({"a":1,"c":1})"));
    CHECK(h(R"({"b":1})"));  // d missing: not d == 1 is true
    CHECK_FALSE(h(R"({"b":1,"d":1})"));
    CHECK(h(R"({"b":1,"d":1,"c":1})"));
    CHECK_FALSE(h(R"({"c":1})"));
    h.compile("any where not ((a == 1 or b == 1) and c == 1)");
    CHECK(h(R"({"a":1})"));
    CHECK_FALSE(h(R"({"a":1,"c":1})"));
    CHECK(h(R"({"a":2,"b":2,"c":1})"));
    h.compile("any where a == 1 or (b == 1 and (c == 1 or d == 1)) or e == 1");
    CHECK(h(R"({"b":1,"d":1})"));
    CHECK_FALSE(h(R"({"b":1})"));
    CHECK(h(R"({"e":1})"));
}

TEST_CASE("vm: constant conditions", "[vm]") {
    VmHarness h;
    CHECK(h.compile("any where true").terms[0].filter->code[0].op == Opcode::HALT_TRUE);
    CHECK(h.compile("any where false").terms[0].filter->code[0].op == Opcode::HALT_FALSE);
    CHECK(h.compile("any where null").terms[0].filter->code[0].op == Opcode::HALT_FALSE);
    CHECK(h.compile("any where null == null").terms[0].filter->code[0].op == Opcode::HALT_TRUE);
    CHECK(h.compile("any where add(1, 2) == 3").terms[0].filter->code[0].op == Opcode::HALT_TRUE);
    CHECK(h.compile("any where not null").terms[0].filter->code[0].op == Opcode::HALT_FALSE);
}

TEST_CASE("vm: the WMI rule's second stage on Elastic Defend and Sysmon events", "[vm]") {
    const auto rule = eqlc::test::wmi_rule_query();
    VmHarness h;
    const auto& q = h.compile(rule);
    REQUIRE(q.terms.size() == 2);
    const auto& stage2 = *q.terms[1].filter;
    auto m = [&](std::string_view ev) { return h.matches_program(stage2, ev); };

    const std::string defend = R"({"@timestamp":"2024-05-01T10:00:01Z",
      "event":{"category":["process"],"type":["start"],"dataset":"endpoint.events.process"},
      "host":{"id":"h1","os":{"type":"windows"}},
      "user":{"id":"S-1-5-21-1111"},
      "process":{"name":"cmd.exe","executable":"C:\\Windows\\System32\\cmd.exe","args":["cmd.exe","/c","whoami"],
                 "parent":{"name":"WmiPrvSE.exe"}}})";
    // Neither integrity field: `not (?a : "System" or ?b : "System")` is TRUE
    CHECK(m(defend));

    auto with = [&](const std::string& base, const std::string& from, const std::string& to) {
        std::string s = base;
        const auto at = s.find(from);
        REQUIRE(at != std::string::npos);
        s.replace(at, from.size(), to);
        return s;
    };
    const std::string parent = R"("parent":{"name":"WmiPrvSE.exe"})";
    CHECK_FALSE(m(with(defend, parent, parent + R"(,"Ext":{"token":{"integrity_level_name":"system"}})")));
    CHECK(m(with(defend, parent, parent + R"(,"Ext":{"token":{"integrity_level_name":"high"}})")));
    CHECK(m(with(defend, R"("parent":{"name":"WmiPrvSE.exe"})", R"("parent":{"name":"wmiprvse.EXE"})")));
    CHECK_FALSE(m(with(defend, R"("parent":{"name":"WmiPrvSE.exe"})", R"("parent":{"name":"svchost.exe"})")));
    CHECK_FALSE(m(with(defend, R"("category":["process"])", R"("category":["network"])")));
    CHECK_FALSE(m(with(defend, R"("type":["start"])", R"("type":["end"])")));
    // SYSTEM users are excluded unless the event comes from Sysmon
    CHECK_FALSE(m(with(defend, "S-1-5-21-1111", "S-1-5-18")));
    // Excluded executables
    CHECK_FALSE(m(with(defend, R"(C:\\Windows\\System32\\cmd.exe)", R"(C:\\Windows\\System32\\wbem\\mofcomp.exe)")));
    CHECK_FALSE(
        m(with(defend, R"(C:\\Windows\\System32\\cmd.exe)", R"(D:\\Windows\\Microsoft.NET\\Framework64\\csc.exe)")));
    CHECK(m(with(defend, R"(C:\\Windows\\System32\\cmd.exe)", R"(C:\\Windows\\System32\\msiexec.exe)")));
    CHECK_FALSE(m(with(with(defend, R"(C:\\Windows\\System32\\cmd.exe)", R"(C:\\Windows\\System32\\msiexec.exe)"),
                       R"("/c")", R"("REBOOT=ReallySuppress")")));

    const std::string sysmon = R"({"@timestamp":"2024-05-01T10:00:01Z",
      "event":{"category":["process"],"type":["start"],"dataset":"windows.sysmon_operational"},
      "host":{"id":"h1","os":{"type":"windows"}},
      "user":{"id":"S-1-5-18"},
      "winlog":{"event_data":{"IntegrityLevel":"High"}},
      "process":{"name":"cmd.exe","executable":"C:\\Windows\\System32\\cmd.exe","args":["cmd.exe"],
                 "parent":{"name":"WmiPrvSE.exe"}}})";
    CHECK(m(sysmon));  // SYSTEM user, but Sysmon's dataset keeps it
    CHECK_FALSE(m(with(sysmon, R"("IntegrityLevel":"High")", R"("IntegrityLevel":"System")")));
    CHECK(m(with(sysmon, R"("winlog":{"event_data":{"IntegrityLevel":"High"}},)", "")));

    // The first stage
    const auto& stage1 = *q.terms[0].filter;
    const std::string net = R"({"event":{"category":["network"]},"host":{"os":{"type":"windows"}},
      "process":{"name":"svchost.exe"},"network":{"direction":"ingress"},"destination":{"port":135},
      "source":{"ip":"10.0.0.5"}})";
    CHECK(h.matches_program(stage1, net));
    CHECK_FALSE(h.matches_program(stage1, with(net, "10.0.0.5", "127.0.0.1")));
    CHECK_FALSE(h.matches_program(stage1, with(net, "135", "445")));
    CHECK(h.matches_program(stage1, with(net, "ingress", "INCOMING")));
}

TEST_CASE("vm: value programs compute join keys", "[vm]") {
    VmHarness h;
    const auto& q = h.compile("sequence by user [a where true] by concat(x, \"-\", y) [b where true] by ?z");
    REQUIRE(q.terms.size() == 2);
    REQUIRE(q.terms[0].keys.size() == 2);
    CHECK(q.terms[0].keys[0].slot.has_value());
    REQUIRE(q.terms[0].keys[1].program);
    h.project(R"({"x":"a","y":1})");
    const auto& rec = h.project(R"({"x":"a","y":1})");
    const auto v = eqlc::vm::evaluate(*q.terms[0].keys[1].program, rec, h.ctx);
    REQUIRE(v.type == eqlc::vm::ValueType::string);
    CHECK(v.str() == "a-1");
    CHECK(q.terms[1].keys[1].slot.has_value());  // no schema: ?z is a field
    CHECK(q.terms[1].keys[1].optional);
}
