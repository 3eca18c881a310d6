// The normalizer: not push-down, leaf shapes, null checks, folding, constant conversion to field types.
#include <catch2/catch.hpp>

#include "semantics/normalizer.hpp"
#include "semantics/schema.hpp"
#include "syntax/parser.hpp"

using eqlc::semantics::Cond;
using eqlc::semantics::CondKind;

namespace {

struct Normalized {
    std::string text;
    eqlc::Diagnostics diagnostics;
};

// Normalizes the condition of `any where <condition>`, against a mapping when given.
Normalized normalize(const std::string& condition, const char* mapping = nullptr) {
    auto parsed = eqlc::syntax::parse_query("any where " + condition);
    INFO(condition);
    REQUIRE(parsed.ok());
    std::optional<eqlc::semantics::Schema> schema;
    if (mapping) schema = eqlc::semantics::Schema::parse_mapping(mapping);
    eqlc::vm::FieldCatalog catalog;
    Normalized out;
    eqlc::semantics::Resolver resolver(schema ? &*schema : nullptr, catalog, out.diagnostics);
    eqlc::semantics::Normalizer n(resolver, out.diagnostics);
    Cond c = n.condition(*parsed.query->event.condition);
    out.text = eqlc::semantics::describe(c);
    return out;
}

std::string norm(const std::string& condition, const char* mapping = nullptr) {
    auto n = normalize(condition, mapping);
    for (const auto& d : n.diagnostics) UNSCOPED_INFO(d.message);
    CHECK(n.diagnostics.empty());
    return n.text;
}

const char* kMapping = R"({"dynamic":"strict","properties":{
    "k":{"type":"keyword"}, "n":{"type":"long"}, "d":{"type":"double"}, "t":{"type":"date"}, "ip":{"type":"ip"},
    "b":{"type":"boolean"}, "v":{"type":"version"}, "txt":{"type":"text"},
    "nv":{"type":"keyword","null_value":"NULL"},
    "event":{"properties":{"category":{"type":"alias","path":"cat"}}}, "cat":{"type":"keyword"}}})";

}  // namespace

TEST_CASE("normalizer: not is pushed down to the leaves", "[normalizer]") {
    CHECK(norm("not (a == 1 and b == 2)") == "or(!@a == 1, !@b == 2)");
    CHECK(norm("not (a == 1 or b == 2)") == "and(!@a == 1, !@b == 2)");
    CHECK(norm("not not a == 1") == "@a == 1");
    CHECK(norm("not (x > 1)") == "@x <= 1");
    CHECK(norm("not (x <= 1)") == "@x > 1");
    CHECK(norm("not (x < \"m\")") == "@x >= \"m\"");
    CHECK(norm("x != \"a\"") == "!@x == \"a\"");
    CHECK(norm("not x == \"a\"") == "!@x == \"a\"");
    CHECK(norm("not x != \"a\"") == "@x == \"a\"");
    CHECK(norm("x not in (\"a\", \"b\")") == "!@x in (\"a\", \"b\")");
    CHECK(norm("not x not in (\"a\", \"b\")") == "@x in (\"a\", \"b\")");
    CHECK(norm("not x : \"a*\"") == "!@x like~ (\"a*\")");
    CHECK(norm("not x like \"a*\"") == "!@x like (\"a*\")");
    CHECK(norm("not x regex \"a.*\"") == "!@x regex (\"a.*\")");
    CHECK(norm("not (?p : \"System\" or ?w : \"System\")") == "and(!@p in~ (\"System\"), !@w in~ (\"System\"))");
    CHECK(norm("not (a == 1 and not (b == 2 or c == 3))") == "or(!@a == 1, @b == 2, @c == 3)");
}

TEST_CASE("normalizer: null checks", "[normalizer]") {
    CHECK(norm("x == null") == "!@x exists");
    CHECK(norm("null == x") == "!@x exists");
    CHECK(norm("x != null") == "@x exists");
    CHECK(norm("not x == null") == "@x exists");
    CHECK(norm("null == (x > -1)") == "value(isnull((@x > -1)))");
    CHECK(norm("length(x) != null") == "false?value(isnull(length(@x)))");
    CHECK(norm("null == null") == "true");
    CHECK(norm("null != null") == "false");
    CHECK(norm("x == null or x < null") == "!@x exists");  // a comparison with null is null
    CHECK(norm("x > null") == "false");
    CHECK(norm("not x > null") == "false");
}

TEST_CASE("normalizer: leaf rewrites", "[normalizer]") {
    CHECK(norm("1 < x") == "@x > 1");
    CHECK(norm("0 >= x") == "@x <= 0");
    CHECK(norm("x : \"abc\"") == "@x in~ (\"abc\")");
    CHECK(norm("x : (\"abc\", \"d*\")") == "@x like~ (\"abc\", \"d*\")");
    CHECK(norm("x : 5") == "@x in (5)");
    CHECK(norm("x like \"abc\"") == "@x in (\"abc\")");
    CHECK(norm("x like~ \"abc\"") == "@x in~ (\"abc\")");
    CHECK(norm("x regex \"abc\"") == "@x in (\"abc\")");
    CHECK(norm("x regex~ \"abc\"") == "@x regex~ (\"abc\")");
    CHECK(norm("x in (\"a\", null)") == "@x in (\"a\")");
    CHECK(norm("startsWith(x, \"ab\")") == "@x prefix \"ab\"");
    // Negated, it stays a three-valued function (missing x: null, excluded).
    CHECK(norm("not startsWith~(x, \"ab\")") == "false?value(startsWith~(@x, \"ab\"))");
    CHECK(norm("cidrMatch(x, \"10.0.0.0/8\")") == "@x cidr (\"10.0.0.0/8\")");
    CHECK(norm("endsWith(x, \"ab\")") == "value(endsWith(@x, \"ab\"))");
    CHECK(norm("not endsWith(x, \"ab\")") == "false?value(endsWith(@x, \"ab\"))");
    CHECK(norm("not (length(x) > 3)") == "value((length(@x) <= 3))");
    CHECK(norm("x") == "@x == true");
    CHECK(norm("not x") == "!@x == true");
    // without a schema, list constants of several kinds become one test per kind
    CHECK(norm("x in (1, \"a\")") == "or(@x in (1), @x in (\"a\"))");
    CHECK(norm("x not in (1, \"a\")") == "and(!@x in (1), !@x in (\"a\"))");
}

TEST_CASE("normalizer: constant folding", "[normalizer]") {
    CHECK(norm("add(0, 1) == x") == "@x == 1");
    CHECK(norm("x == 1 + 2 * 3") == "@x == 7");
    CHECK(norm("divide(30, 4.0) == 7.5") == "true");
    CHECK(norm("startsWith~(\"explorer.exeaAAAA\", \"EXPLORER.exe\")") == "true");
    CHECK(norm("x == 1 and true") == "@x == 1");
    CHECK(norm("x == 1 and false") == "false");
    CHECK(norm("x == 1 or true") == "true");
    CHECK(norm("\"abc\" : \"A*\"") == "true");
    CHECK(norm("\"abc\" regex \"a.c\"") == "true");
    CHECK(norm("concat(\"a\", 1, true) == x") == "@x == \"a1true\"");
    CHECK(norm("x == -(-5)") == "@x == 5");
    CHECK(norm("null") == "false");
    CHECK(norm("not null") == "false");
    CHECK(norm("length(null) == null") == "true");
    CHECK(norm("(1 < 2) == true") == "true");
    auto bad = normalize("x == divide(1, 0)");
    REQUIRE(bad.diagnostics.size() == 1);
    CHECK(bad.diagnostics[0].message == "cannot evaluate constant expression: / by zero");
    CHECK(bad.diagnostics[0].span.begin.column == 16);
}

TEST_CASE("normalizer: optional fields and the schema", "[normalizer]") {
    CHECK(norm("?missing == null", kMapping) == "true");
    CHECK(norm("?missing != null", kMapping) == "false");
    CHECK(norm("?missing == \"a\"", kMapping) == "false");
    // Elasticsearch's ReplaceNullChecks runs before constant folding: `null != "a"` is IsNotNull("a")
    CHECK(norm("?missing != \"a\"", kMapping) == "true");
    CHECK(norm("not ?missing : \"a\"", kMapping) == "false");
    CHECK(norm("?a1 == ?b1", kMapping) == "true");
    CHECK(norm("?missing", kMapping) == "false");
    CHECK(norm("?k == null", kMapping) == "!@k exists");
    CHECK(norm("event.category == \"x\"", kMapping) == "@cat == \"x\"");

    auto unknown = normalize("nope == 1", kMapping);
    REQUIRE(unknown.diagnostics.size() == 1);
    CHECK(unknown.diagnostics[0].message == "Unknown column [nope]");
    CHECK(unknown.diagnostics[0].span.begin.column == 11);
    auto text = normalize("txt == \"a\"", kMapping);
    REQUIRE(text.diagnostics.size() == 1);
    CHECK(text.diagnostics[0].message.find("no keyword sub-field") != std::string::npos);
    auto fields = normalize("?a == k", kMapping);  // ?a unmapped: null == k is IsNull(k)
    CHECK(fields.diagnostics.empty());
    CHECK(fields.text == "!@k exists");
    auto two = normalize("k == ?k");
    REQUIRE(two.diagnostics.size() == 1);
    CHECK(two.diagnostics[0].message.find("Comparisons against fields") != std::string::npos);
}

TEST_CASE("normalizer: constants take the field's type", "[normalizer]") {
    CHECK(norm("k == 4", kMapping) == "@k == \"4\"");
    CHECK(norm("k == 4.5", kMapping) == "@k == \"4.5\"");
    CHECK(norm("k in (1, true)", kMapping) == "@k in (\"1\", \"true\")");
    CHECK(norm("k : 5", kMapping) == "@k in (\"5\")");
    CHECK(norm("n == \"5\"", kMapping) == "@n == 5");
    CHECK(norm("n == 4.0", kMapping) == "@n == 4");
    CHECK(norm("n == 4.5", kMapping) == "false");
    CHECK(norm("n != 4.5", kMapping) == "true");
    CHECK(norm("n < 4.5", kMapping) == "@n < 4.5");
    CHECK(norm("n in (1, 2.5, \"3\")", kMapping) == "@n in (1, 3)");
    CHECK(norm("n : \"7\"", kMapping) == "@n in (7)");
    CHECK(norm("d == \"1.5\"", kMapping) == "@d == 1.5");
    CHECK(norm("t == \"1970-01-01T00:00:01Z\"", kMapping) == "@t == 1000000000");
    CHECK(norm("t < 1000", kMapping) == "@t < 1000000000");
    CHECK(norm("t >= \"1000\"", kMapping) == "@t >= 1000000000");
    CHECK(norm("b == \"true\"", kMapping) == "@b == true");
    CHECK(norm("v > 1", kMapping) == "@v > \"1\"");
    CHECK(norm("ip == \"10.0.0.0/8\"", kMapping) == "@ip == \"10.0.0.0/8\"");

    auto bad_number = normalize("n == \"abc\"", kMapping);
    REQUIRE(bad_number.diagnostics.size() == 1);
    CHECK(bad_number.diagnostics[0].message.find("cannot compare field [n] of type [long]") == 0);
    CHECK_FALSE(normalize("ip == \"not an ip\"", kMapping).diagnostics.empty());
    CHECK_FALSE(normalize("t == \"yesterday\"", kMapping).diagnostics.empty());
    CHECK_FALSE(normalize("n : \"1*\"", kMapping).diagnostics.empty());  // no wildcard query on a long
    CHECK_FALSE(normalize("cidrMatch(k, \"10.0.0.0/8\")", kMapping).diagnostics.empty());
    CHECK(normalize("cidrMatch(ip, \"10.0.0.0/8\")", kMapping).diagnostics.empty());
}

TEST_CASE("normalizer: category condition and cost order", "[normalizer]") {
    auto parsed = eqlc::syntax::parse_query("process where x : \"*a*\" and y == 1");
    REQUIRE(parsed.ok());
    eqlc::vm::FieldCatalog catalog;
    eqlc::Diagnostics out;
    eqlc::semantics::Resolver r(nullptr, catalog, out);
    eqlc::semantics::Normalizer n(r, out);
    auto cat = r.configured("event.category", "event category", {});
    Cond c = n.filter(parsed.query->event, cat);
    CHECK(eqlc::semantics::describe(c) == "and(@event.category == \"process\", @x like~ (\"*a*\"), @y == 1)");
    eqlc::semantics::order_by_cost(c);
    CHECK(eqlc::semantics::describe(c) == "and(@event.category == \"process\", @y == 1, @x like~ (\"*a*\"))");
}

TEST_CASE("normalizer: regex errors point at the pattern", "[normalizer]") {
    auto bad = normalize("x regex (\"ok\", \"a~b\")");
    REQUIRE(bad.diagnostics.size() == 1);
    CHECK(bad.diagnostics[0].message.find("invalid regular expression [a~b]") == 0);
    CHECK(bad.diagnostics[0].span.begin.column == 26);
    CHECK(bad.diagnostics[0].phase == eqlc::Phase::compile);
}
