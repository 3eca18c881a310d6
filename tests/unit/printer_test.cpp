#include <catch2/catch.hpp>

#include "syntax/parser.hpp"
#include "syntax/printer.hpp"

namespace {

std::string canonical(const std::string& text) {
    auto parsed = eqlc::syntax::parse_query(text);
    INFO(text);
    REQUIRE(parsed.ok());
    return eqlc::syntax::print_query(*parsed.query);
}

// Printing must give text that parses back to the same tree.
void require_round_trip(const std::string& text) {
    auto parsed = eqlc::syntax::parse_query(text);
    INFO(text);
    REQUIRE(parsed.ok());
    const std::string printed = eqlc::syntax::print_query(*parsed.query);
    INFO(printed);
    auto reparsed = eqlc::syntax::parse_query(printed);
    REQUIRE(reparsed.ok());
    CHECK(eqlc::ast::same_query(*parsed.query, *reparsed.query));
}

}  // namespace

TEST_CASE("printer writes canonical EQL", "[printer]") {
    CHECK(canonical("process where   a==1") == "process where a == 1");
    CHECK(canonical("any where true") == "any where true");
    CHECK(canonical("\"network-1\" where true") == "\"network-1\" where true");
    CHECK(canonical("process where a : (\"x\")") == "process where a : \"x\"");
    CHECK(canonical("process where a : (\"x\", \"y\")") == "process where a : (\"x\", \"y\")");
    CHECK(canonical("process where a not in~ (\"x\")") == "process where a not in~ (\"x\")");
    CHECK(canonical("process where startswith~(a, \"x\")") == "process where startswith~(a, \"x\")");
    CHECK(canonical("process where `my field`.`x``y` == 1") == "process where `my field`.`x``y` == 1");
    CHECK(canonical("process where ?a.b == null") == "process where ?a.b == null");
    CHECK(canonical("process where a == \"\"\"C:\\x\"y\"\"\"") == "process where a == \"C:\\\\x\\\"y\"");
    CHECK(canonical("process where a == 1.5e3") == "process where a == 1500.0");
    CHECK(canonical("process where a == -5") == "process where a == -5");
    CHECK(canonical("process where true | head 5") == "process where true | head 5");
    CHECK(
        canonical("sequence by h with maxspan=20s [a where true] by x [b where true] by y until [c where true] by z") ==
        "sequence by h with maxspan=20s\n  [a where true] by x\n  [b where true] by y\nuntil [c where true] by z");
    CHECK(canonical("sequence with maxspan = 1 m [a where true] with runs=2 ![b where true]") ==
          "sequence with maxspan=1m\n  [a where true] with runs=2\n  ![b where true]");
}

TEST_CASE("printer keeps precedence with the fewest parentheses", "[printer]") {
    CHECK(canonical("process where (a == 1 or b == 2) and c == 3") == "process where (a == 1 or b == 2) and c == 3");
    CHECK(canonical("process where a == 1 or (b == 2 and c == 3)") == "process where a == 1 or b == 2 and c == 3");
    CHECK(canonical("process where not (a == 1 and b == 2)") == "process where not (a == 1 and b == 2)");
    CHECK(canonical("process where not a == 1") == "process where not a == 1");
    CHECK(canonical("process where a - (b - c) == 1") == "process where a - (b - c) == 1");
    CHECK(canonical("process where (a - b) - c == 1") == "process where a - b - c == 1");
    CHECK(canonical("process where (a + b) * c == 1") == "process where (a + b) * c == 1");
    CHECK(canonical("process where -(a) == 1") == "process where -a == 1");
}

TEST_CASE("printer output parses back to the same tree", "[printer]") {
    const char* queries[] = {
        "process where a or (b or c)",
        "process where (a and b) and c",
        "process where -(5) == x",
        "process where -(-x) == 1",
        "process where (-5) in (1)",
        "process where (a + b) in (1)",
        "process where (a : \"x\") == true",
        "process where length(a) + 1 in (3)",
        "process where a == \"tab\\there\\u{01}\\u{1F600}\\r\\n\"",
        "process where a == 99999999999999999999",
        "process where a == 1e308 * 10",
        "process where a == \"\" \"x\"",
        "sample by a [x where true] [y where true] | tail 2 | head 1",
        "process where `where`.`and` == 1",
    };
    for (const char* q : queries) require_round_trip(q);
}

TEST_CASE("printing a deep unary minus chain stays within the nesting limit", "[printer]") {
    // Found by the fuzzer: 100 nested minus signs parse, but printed as -(-(-(...))) they needed 200 levels.
    std::string query = "e where h((" + std::string(100, '-') + "\"\"))";
    require_round_trip(query);
    CHECK(canonical("process where - -x == 1") == "process where --x == 1");
}
