// Table of invalid queries: each must be refused with the diagnostic at the expected line:column, from the
// expected phase, with a message that says what Elasticsearch says (same meaning, not always same words).
#include <catch2/catch.hpp>

#include <string>

#include "eqlc/query.hpp"

namespace {

struct Case {
    const char* query;
    uint32_t line;
    uint32_t column;
    eqlc::Phase phase;
    const char* message;  // a substring of the first diagnostic's message
};

using P = eqlc::Phase;

const Case kCases[] = {
    // --- lexical and grammar refusals (syntax) ---
    {"process where name = \"a\"", 1, 20, P::syntax, "="},
    {"process where name == 'a'", 1, 23, P::syntax, "single quote"},
    {"process where name == ?\"a\"", 1, 23, P::syntax, "?\""},
    {"process where name == \"a\\qb\"", 1, 25, P::syntax, "escape"},
    {"process where name == \"\\u{D800}\"", 1, 24, P::syntax, "\\u"},
    {"process where name == \"abc", 1, 23, P::syntax, "string"},
    {"process where /* never closed", 1, 15, P::syntax, "comment"},
    {"join [process where true] [file where true]", 1, 1, P::syntax, "Join is not supported"},
    {"sequence with maxspan=1s by pid [a where true] [b where true]", 1, 26, P::syntax,
     "Please specify sequence [by] before [with] not after"},
    {"sequence with maxspan=10 [a where true] [b where true]", 1, 23, P::syntax, "unit"},
    {"sequence with maxspan=1.5s [a where true] [b where true]", 1, 23, P::syntax, "maxspan"},
    {"sequence [a where true] with repeat=2 [b where true]", 1, 30, P::syntax, "runs"},
    {"process where args[0] == \"a\"", 1, 19, P::syntax, "array"},
    {"process where name not : \"a\"", 1, 20, P::syntax, ""},
    {"process where a == 1 == 2", 1, 22, P::syntax, ""},
    {"process where", 1, 14, P::syntax, ""},
    {"", 1, 1, P::syntax, ""},
    {"process where true extra", 1, 20, P::syntax, ""},
    {"process where true\n| head 1\nbogus", 3, 1, P::syntax, ""},
    {"process where (a == 1", 1, 22, P::syntax, ")"},

    // --- Elasticsearch's semantic refusals ---
    {"process where foo(name)", 1, 15, P::semantics, "Unknown function [foo]"},
    {"process where lenght(name) == 3", 1, 15, P::semantics, "Unknown function [lenght]"},
    {"process where length(name, 1) == 3", 1, 15, P::semantics, "expects exactly 1 argument"},
    {"process where between(name, \"a\") == \"b\"", 1, 15, P::semantics, "expects 3 to 4 arguments"},
    {"process where concat() == \"b\"", 1, 15, P::semantics, "expects at least 1 argument"},
    {"process where length~(name) == 3", 1, 15, P::semantics, "does not support case-insensitive"},
    {"process where concat~(name) == \"a\"", 1, 15, P::semantics, "does not support case-insensitive"},
    {"process where length(1) == 3", 1, 22, P::semantics, "first argument of [length(1)] must be [string]"},
    {"process where startsWith(name, 5)", 1, 32, P::semantics, "second argument"},
    {"process where add(\"a\", 1) == 2", 1, 19, P::semantics, "must be [numeric]"},
    {"process where number(x, base) == 1", 1, 25, P::semantics, "must be a constant"},
    {"process where cidrMatch(ip, net)", 1, 29, P::semantics, "must be a constant"},
    {"process where a == b", 1, 15, P::semantics, "Comparisons against fields are not (currently) supported"},
    {"process where a < b", 1, 15, P::semantics, "Comparisons against fields"},
    // Without a mapping `?` changes nothing: both may be mapped fields (with a mapping where neither is, this
    // is null == null, which is true).
    {"process where ?a == ?b", 1, 15, P::compile, "Comparisons against fields"},
    {"process where a in (\"x\", b)", 1, 26, P::semantics, "Comparisons against fields"},
    {"process where a in~ (\"x\", 1)", 1, 27, P::semantics, "must be [string]"},
    {"process where a like 5", 1, 22, P::semantics, "must be [string]"},
    {"process where 1", 1, 15, P::semantics, "Condition expression needs to be boolean"},
    {"process where length(a)", 1, 15, P::semantics, "Condition expression needs to be boolean"},
    {"process where \"a\" and true", 1, 15, P::semantics, "must be [boolean]"},
    {"process where a + b in (1)", 1, 19, P::semantics, "must be [numeric]"},
    {"process where true | count", 1, 22, P::semantics, "Pipe [count] is not supported"},
    {"process where true | unique name", 1, 22, P::semantics, "Pipe [unique] is not supported"},
    {"process where true | filter a == 1", 1, 22, P::semantics, "Pipe [filter] is not supported"},
    {"process where true | sort a", 1, 22, P::semantics, "Pipe [sort] is not supported"},
    {"process where true | unique_count a", 1, 22, P::semantics, "Pipe [unique_count] is not supported"},
    {"process where true | frobnicate", 1, 22, P::semantics, "Unrecognized pipe [frobnicate]"},
    {"process where true | head -1", 1, 20, P::semantics, "non-negative integer"},
    {"process where true | head", 1, 20, P::semantics, "non-negative integer"},
    {"sequence [a where true]", 1, 1, P::semantics, "A sequence requires a minimum of 2 queries, found [1]"},
    {"sample by h [a where true]", 1, 1, P::semantics, "A sample requires a minimum of 2 queries, found [1]"},
    {"sequence with maxspan=0s [a where true] [b where true]", 1, 23, P::semantics, "maxspan must be a positive"},
    {"sequence [a where true] with runs=0 [b where true]", 1, 30, P::semantics, "runs"},
    {"sequence [a where true] with runs=101 [b where true]", 1, 30, P::semantics, "between 1 and 100"},
    {"sequence [a where true] ![b where true] [c where true]", 1, 25, P::semantics, "require a sequence with maxspan"},
    {"sequence with maxspan=1s ![a where true] ![b where true]", 1, 1, P::semantics, "at least one positive"},
    {"sequence with maxspan=1s [a where true] [b where true] until ![c where true]", 1, 62, P::semantics,
     "not allowed in until"},
    {"sequence by a [x where true] by b [y where true]", 1, 35, P::semantics,
     "Inconsistent number of join keys specified; expected [2] but found [1]"},
    {"sequence [x where true] by a [y where true] by a, b", 1, 48, P::semantics, "Inconsistent number of join keys"},
    {"sequence [x where true] by a [y where true] by a until [z where true]", 1, 56, P::semantics,
     "Inconsistent number of join keys"},
    {"sample by h [a where true] by x [b where true]", 1, 33, P::semantics, "Inconsistent number of join keys"},
    {"sample by h [a where true] ![b where true]", 1, 28, P::semantics, "not allowed in a sample"},
};

}  // namespace

TEST_CASE("invalid queries are refused with position and message", "[frontend][diagnostics]") {
    for (const auto& c : kCases) {
        INFO("query: " << c.query);
        const auto diagnostics = eqlc::check_query(c.query);
        REQUIRE_FALSE(diagnostics.empty());
        const auto& d = diagnostics.front();
        INFO("got: " << eqlc::format_diagnostic(d, c.query, "<query>"));
        CHECK(d.phase == c.phase);
        CHECK(d.span.begin.line == c.line);
        CHECK(d.span.begin.column == c.column);
        CHECK(d.message.find(c.message) != std::string::npos);
        CHECK(d.severity == eqlc::Severity::error);
    }
}

TEST_CASE("every semantic problem of a query is reported, not only the first", "[frontend][diagnostics]") {
    const auto diagnostics = eqlc::check_query("process where foo(a) and bar(b) | count");
    REQUIRE(diagnostics.size() == 3);
    CHECK(diagnostics[0].message.find("[foo]") != std::string::npos);
    CHECK(diagnostics[1].message.find("[bar]") != std::string::npos);
    CHECK(diagnostics[2].message.find("[count]") != std::string::npos);
}

TEST_CASE("hints point the user at the fix", "[frontend][diagnostics]") {
    auto first = [](const char* q) { return eqlc::check_query(q).at(0); };
    CHECK(first("process where name = \"a\"").hint.find("==") != std::string::npos);
    CHECK(first("process where name == 'a'").hint.find("double quote") != std::string::npos);
    CHECK(first("process where lenght(a) == 1").hint.find("[length]") != std::string::npos);
}

TEST_CASE("valid queries that look suspicious are accepted", "[frontend]") {
    const char* valid[] = {
        "process where a == null",
        "process where cidrMatch(source.ip, \"10.0.0.0/8\", \"192.168.0.0/16\")",
        "process where CIDRMATCH(source.ip, \"10.0.0.0/8\")",  // names are case-insensitive
        "process where startswith~(name, \"a\") and STRINGCONTAINS~(name, \"b\")",
        "process where number(\"0x10\", 16) == 16",
        "process where between(a, \"x\", \"y\", true) == \"z\"",
        "process where x",  // a bare field is a boolean test
        "process where a : 5",
        "process where a in (1, null, \"x\")",
        "sequence with maxspan=1s [a where true] ![b where true] [c where true]",
        "sequence [a where true] with runs=100 [b where true]",
        "sample by h [a where true] by x [b where true] by y",
        "process where true | head 0 | tail 3",
    };
    for (const char* q : valid) {
        INFO(q);
        const auto diagnostics = eqlc::check_query(q);
        for (const auto& d : diagnostics) INFO(eqlc::format_diagnostic(d, q, "<query>"));
        CHECK(diagnostics.empty());
    }
}
