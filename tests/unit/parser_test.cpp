// The EQL parser: every construct of the dialect, the shape of the tree (precedence, n-ary chains,
// folding), source positions, each refusal with its position and message, the nesting cap, and the whole
// rule corpus and conformance queries.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/files.hpp"
#include "support/shared_data.hpp"
#include "syntax/parser.hpp"

namespace {

using namespace eqlc;
using ast::ExprKind;

std::string format_all(const syntax::ParseResult& r, std::string_view text) {
    std::string out;
    for (const auto& d : r.diagnostics) out += format_diagnostic(d, text, "<query>");
    return out;
}

ast::Query parse_ok(std::string_view text) {
    auto r = syntax::parse_query(text);
    INFO("query: " << text << "\n" << format_all(r, text));
    REQUIRE(r.ok());
    return std::move(*r.query);
}

Diagnostic parse_error(std::string_view text, const syntax::ParseLimits& limits = {}) {
    auto r = syntax::parse_query(text, limits);
    INFO("query: " << text);
    REQUIRE_FALSE(r.ok());
    REQUIRE_FALSE(r.query.has_value());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].phase == Phase::syntax);
    CHECK(r.diagnostics[0].severity == Severity::error);
    return r.diagnostics[0];
}

// A compact prefix form of an expression, to state tree shapes in one line.
std::string sexpr(const ast::Expr& e) {
    auto list = [&](std::string head, size_t from = 0) {
        std::string out = "(" + head;
        for (size_t i = from; i < e.operands.size(); ++i) out += " " + sexpr(*e.operands[i]);
        return out + ")";
    };
    switch (e.kind) {
        case ExprKind::literal: {
            const auto& v = e.value;
            if (std::holds_alternative<ast::Null>(v)) return "null";
            if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
            if (const int64_t* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
            if (const double* d = std::get_if<double>(&v)) {
                std::ostringstream os;
                os << *d << "d";
                return os.str();
            }
            return "\"" + std::get<std::string>(v) + "\"";
        }
        case ExprKind::field: {
            std::string out = e.field.optional ? "?" : "";
            for (size_t i = 0; i < e.field.segments.size(); ++i) out += (i ? "." : "") + e.field.segments[i];
            return out;
        }
        case ExprKind::not_: return list("not");
        case ExprKind::and_: return list("and");
        case ExprKind::or_: return list("or");
        case ExprKind::negate: return list("neg");
        case ExprKind::compare: {
            static const char* ops[] = {"==", "!=", "<", "<=", ">", ">="};
            return list(ops[static_cast<int>(e.compare_op)]);
        }
        case ExprKind::match: {
            static const char* ops[] = {":", "like", "like~", "regex", "regex~"};
            return list(ops[static_cast<int>(e.match_op)]);
        }
        case ExprKind::in: return list(std::string(e.negated ? "not-" : "") + (e.case_insensitive ? "in~" : "in"));
        case ExprKind::arith: {
            static const char* ops[] = {"+", "-", "*", "/", "%"};
            return list(ops[static_cast<int>(e.arith_op)]);
        }
        case ExprKind::call: return list("call " + e.function + (e.case_insensitive ? "~" : ""));
    }
    return "?";
}

// The condition of `any where <cond>` in prefix form.
std::string shape(const std::string& condition) {
    const auto q = parse_ok("any where " + condition);
    return sexpr(*q.event.condition);
}

const ast::Expr& condition_of(const ast::Query& q) {
    REQUIRE(q.event.condition);
    return *q.event.condition;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

TEST_CASE("parser: event queries and categories", "[parser]") {
    auto q = parse_ok("process where true");
    CHECK(q.kind == ast::QueryKind::event);
    CHECK_FALSE(q.event.any);
    CHECK(q.event.category == "process");
    CHECK(sexpr(condition_of(q)) == "true");

    q = parse_ok("any where false");
    CHECK(q.event.any);
    CHECK(q.event.category.empty());

    q = parse_ok("\"network-1\" where true");
    CHECK(q.event.category == "network-1");
    CHECK_FALSE(q.event.any);

    q = parse_ok("\"\"\"my category\"\"\" where true");
    CHECK(q.event.category == "my category");

    // Keywords are lowercase only: PROCESS, Where-less uppercase words are identifiers.
    q = parse_ok("PROCESS where TRUE");
    CHECK(q.event.category == "PROCESS");
    CHECK(sexpr(condition_of(q)) == "TRUE");  // a field named TRUE, not the literal
    CHECK(parse_error("process WHERE true").message.find("'WHERE'") != std::string::npos);
}

TEST_CASE("parser: literals", "[parser]") {
    CHECK(shape("x == null") == "(== x null)");
    CHECK(shape("x == true") == "(== x true)");
    CHECK(shape("x == false") == "(== x false)");
    CHECK(shape("x == 0") == "(== x 0)");
    CHECK(shape("x == 9223372036854775807") == "(== x 9223372036854775807)");
    CHECK(shape("x == 1.5") == "(== x 1.5d)");
    CHECK(shape("x == 1.") == "(== x 1d)");
    CHECK(shape("x == .25") == "(== x 0.25d)");
    CHECK(shape("x == 1e3") == "(== x 1000d)");
    CHECK(shape("x == 2.5E-1") == "(== x 0.25d)");
    CHECK(shape("x == 1e+2") == "(== x 100d)");

    // An integer that does not fit int64 becomes a double.
    auto q = parse_ok("any where x == 9223372036854775808");
    const auto& big = *condition_of(q).operands[1];
    REQUIRE(std::holds_alternative<double>(big.value));
    CHECK(std::get<double>(big.value) == 9223372036854775808.0);
    q = parse_ok("any where x == 12");
    CHECK(std::holds_alternative<int64_t>(condition_of(q).operands[1]->value));
}

TEST_CASE("parser: strings, escapes, raw strings and concatenation", "[parser]") {
    auto value = [](const std::string& literal) {
        const auto q = parse_ok("any where x == " + literal);
        const auto& lit = *condition_of(q).operands[1];
        REQUIRE(lit.kind == ExprKind::literal);
        REQUIRE(std::holds_alternative<std::string>(lit.value));
        return std::get<std::string>(lit.value);
    };
    CHECK(value(R"("plain")") == "plain");
    CHECK(value(R"("")") == "");
    CHECK(value(R"("a\tb\nc\rd\fe\bf")") == "a\tb\nc\rd\fe\bf");
    CHECK(value(R"("q\"q\'q\\q")") == "q\"q'q\\q");
    CHECK(value(R"("C:\\Windows\\*.exe")") == "C:\\Windows\\*.exe");
    CHECK(value(R"("\u{41}\u{00e9}")") == "A\xC3\xA9");
    CHECK(value(R"("\u{20AC}")") == "\xE2\x82\xAC");
    CHECK(value(R"("\u{1F600}")") == "\xF0\x9F\x98\x80");
    CHECK(value(R"("\u{0010FFFF}")") == "\xF4\x8F\xBF\xBF");
    CHECK(value("\"caf\xC3\xA9\"") == "caf\xC3\xA9");  // UTF-8 passes through
    // Raw strings: no escapes; up to two extra quotes belong to the value.
    CHECK(value(R"("""C:\Windows\n""")") == R"(C:\Windows\n)");
    CHECK(value(R"("""say "hi"""")") == R"(say "hi")");
    CHECK(value(R"("""a""""")") == R"(a"")");
    // A sixth quote starts a new (unterminated) string, as in Elasticsearch's lexer.
    CHECK_FALSE(syntax::parse_query(R"(any where x == """a"""""")").ok());
    CHECK(value(R"("""""")") == "");
    // Adjacent strings are one literal.
    CHECK(value(R"("ab" "cd")") == "abcd");
    CHECK(value(R"("a" """\b""" "\n")") == "a\\b\n");
    CHECK(value("\"a\" // comment\n \"b\"") == "ab");
}

TEST_CASE("parser: identifiers, quoted identifiers and field paths", "[parser]") {
    CHECK(shape("@timestamp > 0") == "(> @timestamp 0)");
    CHECK(shape("_x1 == 1") == "(== _x1 1)");
    CHECK(shape("process.parent.name == 1") == "(== process.parent.name 1)");
    CHECK(shape("?process.pid == 1") == "(== ?process.pid 1)");
    CHECK(shape("? a . b == 1") == "(== ?a.b 1)");

    auto q = parse_ok("any where `my field`.x.`a``b` == 1");
    const auto& f = *condition_of(q).operands[0];
    REQUIRE(f.kind == ExprKind::field);
    CHECK(f.field.segments == std::vector<std::string>{"my field", "x", "a`b"});
    CHECK_FALSE(f.field.optional);
    CHECK(f.field.dotted() == "my field.x.a`b");

    // A keyword is a field only when quoted.
    q = parse_ok("any where `sequence` == 20");
    CHECK(condition_of(q).operands[0]->field.segments == std::vector<std::string>{"sequence"});
    q = parse_ok("any where ?`winlog.x` : \"a\"");
    CHECK(condition_of(q).operands[0]->field.optional);
    CHECK(condition_of(q).operands[0]->field.segments == std::vector<std::string>{"winlog.x"});
}

TEST_CASE("parser: function calls", "[parser]") {
    CHECK(shape("length(a) == 1") == "(== (call length a) 1)");
    CHECK(shape("startsWith~(a, \"x\")") == "(call startsWith~ a \"x\")");
    CHECK(shape("f()") == "(call f)");
    CHECK(shape("f (a)") == "(call f a)");  // a space before ( is allowed, as ANTLR allows it
    CHECK(shape("concat(a, substring(b, 1, -1), \"c\") : \"x*\"") ==
          "(: (call concat a (call substring b 1 -1) \"c\") \"x*\")");
    CHECK(shape("cidrmatch(ip, \"10.0.0.0/8\", \"::1\")") == "(call cidrmatch ip \"10.0.0.0/8\" \"::1\")");
    // No space before ~.
    auto d = parse_error("any where f ~(a)");
    CHECK(d.span.begin.column == 13);
}

TEST_CASE("parser: predicates", "[parser]") {
    CHECK(shape("x in (1, 2, \"a\")") == "(in x 1 2 \"a\")");
    CHECK(shape("x not in (1)") == "(not-in x 1)");
    CHECK(shape("x in~ (\"A\", \"b\")") == "(in~ x \"A\" \"b\")");
    CHECK(shape("x not in~ (\"A\")") == "(not-in~ x \"A\")");
    CHECK(shape("x in (y, 1 + 2)") == "(in x y (+ 1 2))");
    CHECK(shape("x : \"a*\"") == "(: x \"a*\")");
    CHECK(shape("x : (\"a\", \"b\")") == "(: x \"a\" \"b\")");
    CHECK(shape("x : (\"a\")") == shape("x : \"a\""));
    CHECK(shape("x like \"a*\"") == "(like x \"a*\")");
    CHECK(shape("x like~ (\"a*\", \"B\")") == "(like~ x \"a*\" \"B\")");
    CHECK(shape("x regex \".*\"") == "(regex x \".*\")");
    CHECK(shape("x regex~ \"\"\"\\d+\"\"\"") == "(regex~ x \"\\d+\")");
    CHECK(shape("x:\"a\"") == "(: x \"a\")");
    CHECK(shape("x : 5") == "(: x 5)");  // non-string constants are refused by semantics, not the grammar
    CHECK(shape("length(x) in (1, 2)") == "(in (call length x) 1 2)");
}

TEST_CASE("parser: operator precedence and tree shapes", "[parser]") {
    CHECK(shape("a or b and c") == "(or a (and b c))");
    CHECK(shape("a and b or c and d") == "(or (and a b) (and c d))");
    CHECK(shape("not a and b") == "(and (not a) b)");
    CHECK(shape("not a == 1") == "(not (== a 1))");
    CHECK(shape("not not a") == "(not (not a))");
    CHECK(shape("not (a or b)") == "(not (or a b))");
    CHECK(shape("a or b or c or d") == "(or a b c d)");
    CHECK(shape("a and b and c") == "(and a b c)");
    // Parenthesized chains of the same operator are flattened.
    CHECK(shape("(a or b) or c") == "(or a b c)");
    CHECK(shape("a or (b or c)") == "(or a b c)");
    CHECK(shape("(a and b) or c") == "(or (and a b) c)");
    CHECK(shape("a and (b or c)") == "(and a (or b c))");
    // Arithmetic: * / % over + -, left associative.
    CHECK(shape("a + b * c == 1") == "(== (+ a (* b c)) 1)");
    CHECK(shape("a - b - c == 1") == "(== (- (- a b) c) 1)");
    CHECK(shape("a / b % c == 1") == "(== (% (/ a b) c) 1)");
    CHECK(shape("(a + b) * c == 1") == "(== (* (+ a b) c) 1)");
    CHECK(shape("-a * b == 1") == "(== (* (neg a) b) 1)");
    CHECK(shape("a + -b == 1") == "(== (+ a (neg b)) 1)");
    CHECK(shape("a--1 == 1") == "(== (- a -1) 1)");
    CHECK(shape("1 + 2 == 3") == "(== (+ 1 2) 3)");
    // Comparisons take whole arithmetic operands.
    CHECK(shape("a == b + 1") == "(== a (+ b 1))");
    CHECK(shape("a != 1") == "(!= a 1)");
    CHECK(shape("a < 1 and a <= 2 and a > 3 and a >= 4") == "(and (< a 1) (<= a 2) (> a 3) (>= a 4))");
    // A predicate binds to the primary expression on its left.
    CHECK(shape("a + b in (1)") == "(+ a (in b 1))");
    CHECK(shape("-x in (1)") == "(neg (in x 1))");
    CHECK(shape("(a + b) in (1)") == "(in (+ a b) 1)");
    CHECK(shape("a == 1 : \"x\"") == "(== a (: 1 \"x\"))");
}

TEST_CASE("parser: signs fold into number literals", "[parser]") {
    CHECK(shape("x == -1") == "(== x -1)");
    CHECK(shape("x == - 2.5") == "(== x -2.5d)");
    CHECK(shape("x == -(3)") == "(== x -3)");
    CHECK(shape("x == --4") == "(== x 4)");
    CHECK(shape("x == +5") == "(== x 5)");
    CHECK(shape("x == -y") == "(== x (neg y))");
    CHECK(shape("x == -length(y)") == "(== x (neg (call length y)))");
    auto q = parse_ok("any where x == -9223372036854775807");
    CHECK(std::get<int64_t>(condition_of(q).operands[1]->value) == -9223372036854775807LL);
    q = parse_ok("any where x == -1");
    const auto& lit = *condition_of(q).operands[1];
    CHECK(lit.kind == ExprKind::literal);
    CHECK(lit.span.begin.column == 16);  // the span starts at the sign
    CHECK(lit.span.end.column == 18);
}

TEST_CASE("parser: sequences", "[parser]") {
    auto q = parse_ok(R"(sequence by host.id, user.name with maxspan=5m
        [process where process.name : "a.exe"] by process.pid
        ![file where true] by process.pid with runs=3
        [network where true] by process.pid
      until [process where event.type == "end"] by process.pid
      | head 10)");
    CHECK(q.kind == ast::QueryKind::sequence);
    REQUIRE(q.shared_keys.size() == 2);
    CHECK(sexpr(*q.shared_keys[0]) == "host.id");
    CHECK(sexpr(*q.shared_keys[1]) == "user.name");
    REQUIRE(q.maxspan);
    CHECK(q.maxspan->value == 5);
    CHECK(q.maxspan->unit == ast::TimeUnit::m);
    CHECK(q.maxspan->nanoseconds() == 300'000'000'000LL);
    REQUIRE(q.terms.size() == 3);
    CHECK_FALSE(q.terms[0].missing);
    CHECK(q.terms[0].filter.category == "process");
    CHECK(sexpr(*q.terms[0].filter.condition) == "(: process.name \"a.exe\")");
    REQUIRE(q.terms[0].keys.size() == 1);
    CHECK(sexpr(*q.terms[0].keys[0]) == "process.pid");
    CHECK_FALSE(q.terms[0].runs);
    CHECK(q.terms[1].missing);
    CHECK(q.terms[1].filter.category == "file");
    REQUIRE(q.terms[1].runs);
    CHECK(*q.terms[1].runs == 3);
    CHECK(q.terms[2].filter.category == "network");
    REQUIRE(q.until);
    CHECK(q.until->filter.category == "process");
    CHECK(q.until->keys.size() == 1);
    REQUIRE(q.pipes.size() == 1);
    CHECK(q.pipes[0].name == "head");

    // Header forms.
    q = parse_ok("sequence [a where true] [b where true]");
    CHECK(q.shared_keys.empty());
    CHECK_FALSE(q.maxspan);
    CHECK(q.terms.size() == 2);
    q = parse_ok("sequence by k [a where true] [b where true]");
    CHECK(q.shared_keys.size() == 1);
    CHECK_FALSE(q.maxspan);
    q = parse_ok("sequence with maxspan=1h [a where true] [b where true]");
    CHECK(q.shared_keys.empty());
    CHECK(q.maxspan->unit == ast::TimeUnit::h);
    // A single term is grammatical; the semantic checker refuses it with Elasticsearch's message.
    q = parse_ok("sequence [a where true]");
    CHECK(q.terms.size() == 1);

    // maxspan spellings and units.
    struct Span {
        const char* text;
        int64_t value;
        ast::TimeUnit unit;
    };
    for (const Span& s : {Span{"maxspan=100ms", 100, ast::TimeUnit::ms}, Span{"maxspan = 20s", 20, ast::TimeUnit::s},
                          Span{"maxspan=20 s", 20, ast::TimeUnit::s}, Span{"maxspan=30m", 30, ast::TimeUnit::m},
                          Span{"maxspan =2h", 2, ast::TimeUnit::h}, Span{"maxspan= 1d", 1, ast::TimeUnit::d},
                          Span{"maxspan=0s", 0, ast::TimeUnit::s}}) {
        INFO(s.text);
        q = parse_ok(std::string("sequence with ") + s.text + " [a where true] [b where true]");
        REQUIRE(q.maxspan);
        CHECK(q.maxspan->value == s.value);
        CHECK(q.maxspan->unit == s.unit);
    }
    // runs is kept as written; its range is checked by semantics.
    q = parse_ok("sequence [a where true] with runs=0 [b where true] with runs = 200");
    CHECK(*q.terms[0].runs == 0);
    CHECK(*q.terms[1].runs == 200);
    // Missing terms may start or end a sequence; `until` may be missing too (refused later).
    q = parse_ok("sequence with maxspan=1s ![a where true] [b where true] ![c where true] until ![d where true]");
    CHECK(q.terms[0].missing);
    CHECK(q.terms[2].missing);
    CHECK(q.until->missing);
}

TEST_CASE("parser: samples", "[parser]") {
    auto q = parse_ok("sample by host.id [process where true] by user.id [file where true] by user.name");
    CHECK(q.kind == ast::QueryKind::sample);
    CHECK(q.shared_keys.size() == 1);
    REQUIRE(q.terms.size() == 2);
    CHECK(q.terms[0].keys.size() == 1);
    CHECK(q.terms[1].keys.size() == 1);
    q = parse_ok("sample [a where true] [b where true] [c where true]");
    CHECK(q.shared_keys.empty());
    CHECK(q.terms.size() == 3);
    // No runs and no until in a sample.
    CHECK(parse_error("sample [a where true] with runs=2 [b where true]").span.begin.column == 23);
    CHECK(parse_error("sample [a where true] [b where true] until [c where true]").span.begin.column == 38);
}

TEST_CASE("parser: pipes", "[parser]") {
    auto q = parse_ok("process where true | head 5 | tail 2");
    REQUIRE(q.pipes.size() == 2);
    CHECK(q.pipes[0].name == "head");
    REQUIRE(q.pipes[0].args.size() == 1);
    CHECK(sexpr(*q.pipes[0].args[0]) == "5");
    CHECK(q.pipes[1].name == "tail");
    q = parse_ok("process where true | unique a, b.c | count | filter x == 1 | head -1");
    REQUIRE(q.pipes.size() == 4);
    CHECK(q.pipes[0].args.size() == 2);
    CHECK(q.pipes[1].args.empty());
    CHECK(sexpr(*q.pipes[2].args[0]) == "(== x 1)");
    CHECK(sexpr(*q.pipes[3].args[0]) == "-1");
    q = parse_ok("sequence [a where true] [b where true] | tail 3");
    CHECK(q.pipes.size() == 1);
    CHECK(parse_error("process where true |").message.find("end of query") != std::string::npos);
}

TEST_CASE("parser: comments and whitespace", "[parser]") {
    auto q = parse_ok("// leading\nprocess /* a */ where /* b\n multi-line */ a == 1 // trailing");
    CHECK(sexpr(condition_of(q)) == "(== a 1)");
    q = parse_ok("sequence/*x*/by/*y*/a[x where true]//c\n[y where true]");
    CHECK(q.shared_keys.size() == 1);
    CHECK(q.terms.size() == 2);
    q = parse_ok("\t\r\n process where\ta\r\n==\n1\n");
    CHECK(sexpr(condition_of(q)) == "(== a 1)");
    CHECK(shape("a /* comment */ / b == 1") == "(== (/ a b) 1)");
}

TEST_CASE("parser: source positions", "[parser]") {
    const std::string text =
        "sequence by user.name with maxspan=30s\n"                                  // line 1
        "  [process where length(process.name) > 3] by ?process.pid with runs=2\n"  // line 2
        "  [file where file.path : (\"a\", \"b\") and not x in (1, 2)]\n"           // line 3
        "| head 5";                                                                 // line 4
    const auto q = parse_ok(text);
    auto at = [](const SourcePos& p, uint32_t line, uint32_t column) {
        INFO("at " << p.line << ":" << p.column << " offset " << p.offset);
        CHECK(p.line == line);
        CHECK(p.column == column);
    };
    at(q.span.begin, 1, 1);
    at(q.span.end, 4, 9);
    CHECK(q.span.end.offset == text.size());
    at(q.shared_keys[0]->span.begin, 1, 13);
    at(q.shared_keys[0]->span.end, 1, 22);
    at(q.shared_keys_span.begin, 1, 13);
    at(q.maxspan->span.begin, 1, 36);
    at(q.maxspan->span.end, 1, 39);

    const auto& t0 = q.terms[0];
    at(t0.span.begin, 2, 3);
    at(t0.span.end, 2, 71);
    at(t0.filter.category_span.begin, 2, 4);
    at(t0.filter.category_span.end, 2, 11);
    at(t0.filter.span.begin, 2, 4);
    at(t0.filter.span.end, 2, 42);
    const auto& cmp = *t0.filter.condition;
    at(cmp.span.begin, 2, 18);
    at(cmp.span.end, 2, 42);
    const auto& call = *cmp.operands[0];
    at(call.span.begin, 2, 18);
    at(call.span.end, 2, 38);
    at(call.operands[0]->span.begin, 2, 25);
    at(call.operands[0]->span.end, 2, 37);
    at(cmp.operands[1]->span.begin, 2, 41);
    at(t0.keys_span.begin, 2, 47);
    at(t0.keys[0]->span.begin, 2, 47);  // includes the ?
    at(t0.keys[0]->span.end, 2, 59);
    at(t0.runs_span.begin, 2, 65);
    at(t0.runs_span.end, 2, 71);

    const auto& and_node = *q.terms[1].filter.condition;
    REQUIRE(and_node.kind == ExprKind::and_);
    at(and_node.span.begin, 3, 15);
    at(and_node.span.end, 3, 57);
    const auto& match = *and_node.operands[0];
    at(match.span.begin, 3, 15);
    at(match.span.end, 3, 37);
    at(match.operands[2]->span.begin, 3, 33);
    const auto& not_node = *and_node.operands[1];
    REQUIRE(not_node.kind == ExprKind::not_);
    at(not_node.span.begin, 3, 42);
    at(not_node.span.end, 3, 57);

    at(q.pipes[0].span.begin, 4, 1);
    at(q.pipes[0].span.end, 4, 9);
    at(q.pipes[0].name_span.begin, 4, 3);
    at(q.pipes[0].args[0]->span.begin, 4, 8);

    // Offsets agree with line/column everywhere.
    CHECK(position_at(text, match.span.begin.offset) == match.span.begin);
    CHECK(position_at(text, t0.runs_span.end.offset) == t0.runs_span.end);
}

TEST_CASE("parser: refusals carry position, message, expected text and hint", "[parser]") {
    struct Case {
        const char* query;
        uint32_t line;
        uint32_t column;
        const char* message;  // substring of the message
        const char* hint;     // substring of the hint ("" = not checked)
    };
    const Case cases[] = {
        {"process where name = \"a\"", 1, 20, "'=' is not an equality operator", "=="},
        {"process where name == 'a'", 1, 23, "single quotes are not supported", "double quotes"},
        {"process where name : ('a', \"b\")", 1, 23, "single quotes are not supported", "double quotes"},
        {"'process' where true", 1, 1, "single quotes are not supported", ""},
        {"process where name == ?\"a\"", 1, 23, "?\"...\" strings are not supported", "\"\"\""},
        {"process where name == ?'a'", 1, 23, "strings are not supported", "\"\"\""},
        {"process where name == \"a\\qb\"", 1, 25, "unknown escape sequence '\\q'", ""},
        {"process where name == \"a\\x41\"", 1, 25, "unknown escape", ""},
        {"process where name == \"\\u{D800}\"", 1, 24, "code point in unicode escape \\u{D800}", ""},
        {"process where name == \"\\u{110000}\"", 1, 24, "code point", ""},
        {"process where name == \"\\u{4}\"", 1, 24, "unicode escape", ""},
        {"process where name == \"\\u{123456789}\"", 1, 24, "unicode escape", ""},
        {"process where name == \"\\u0041\"", 1, 24, "unicode escape", ""},
        {"process where name == \"abc", 1, 23, "unterminated string", ""},
        {"process where name == \"ab\nc\"", 1, 23, "unterminated string", ""},
        {"process where name == \"\"\"abc\"\"", 1, 23, "unterminated raw string", ""},
        {"process where name == `abc", 1, 23, "unterminated quoted identifier", ""},
        {"process where /* never closed", 1, 15, "unterminated comment", ""},
        {"join [process where true] [file where true]", 1, 1, "Join is not supported", ""},
        {"join by a [process where true] [file where true]", 1, 1, "Join is not supported", ""},
        {"sequence with maxspan=1s by pid [a where true] [b where true]", 1, 26,
         "Please specify sequence [by] before [with] not after", ""},
        {"sequence with maxspan=10 [a where true] [b where true]", 1, 23, "No time unit specified", ""},
        {"sequence with maxspan=1.5s [a where true] [b where true]", 1, 23, "decimal", ""},
        {"sequence with maxspan=-5m [a where true] [b where true]", 1, 23, "positive", ""},
        {"sequence with maxspan=5 min [a where true] [b where true]", 1, 25, "Unrecognized time unit [min]", ""},
        {"sequence with maxspan=5M [a where true] [b where true]", 1, 24, "Unrecognized time unit [M]", ""},
        {"sequence with maxspan [a where true] [b where true]", 1, 23, "unexpected '['", ""},
        {"sequence with runs=2 [a where true] [b where true]", 1, 15, "unexpected 'runs'", ""},
        {"sequence [a where true] with repeat=2 [b where true]", 1, 30,
         "Unrecognized option [repeat], expecting [runs]", ""},
        {"sequence [a where true] with runs=2.5 [b where true]", 1, 35, "runs must be an integer", ""},
        {"sequence [a where true] with runs=-2 [b where true]", 1, 35, "runs must be a positive integer", ""},
        {"sequence [a where true] with maxspan=5m [b where true]", 1, 30, "unexpected keyword 'maxspan'", "header"},
        {"process where args[0] == \"a\"", 1, 19, "array indexes are not supported", ""},
        {"process where a.b [ 12 ] == \"a\"", 1, 19, "array indexes are not supported", ""},
        {"process where name not : \"a\"", 1, 20, "'not'", "not x : "},
        {"process where name not like \"a\"", 1, 20, "'not'", ""},
        {"process where a == 1 == 2", 1, 22, "cannot be chained", ""},
        {"process where a < 1 > 2", 1, 21, "cannot be chained", ""},
        {"process where", 1, 14, "unexpected end of query", ""},
        {"", 1, 1, "empty query", ""},
        {"  \n // nothing\n", 3, 1, "empty query", ""},
        {"process where true extra", 1, 20, "unexpected 'extra'", ""},
        {"process where true\n| head 1\nbogus", 3, 1, "unexpected 'bogus'", ""},
        {"process where (a == 1", 1, 22, "missing ')'", ""},
        {"process where f(a b)", 1, 19, "missing ')'", ""},
        {"process where a in (1, 2", 1, 25, "missing ')'", ""},
        {"process where a in 1", 1, 20, "unexpected number '1'", ""},
        {"process where a in ()", 1, 21, "unexpected ')'", ""},
        {"sequence [a where true", 1, 23, "missing ']'", ""},
        {"sequence [a true] [b where true]", 1, 13, "unexpected keyword 'true'", "where"},
        {"process where a == 1 AND b == 2", 1, 22, "unexpected 'AND'", "lowercase"},
        {"process where a == 1 Or b == 2", 1, 22, "unexpected 'Or'", "'or'"},
        {"process where descendant of [x where true]", 1, 26, "unexpected keyword 'of'", "lineage"},
        {"process where x : y", 1, 19, "unexpected 'y'", "literal"},
        {"process where x like (\"a\", y)", 1, 28, "unexpected 'y'", ""},
        {"process where a == 1e999", 1, 20, "too large", ""},
        {"process where a == $", 1, 20, "unexpected '$'", ""},
        {"where a == 1", 1, 1, "unexpected keyword 'where'", ""},
        {"process where a ==", 1, 19, "unexpected end of query", ""},
        {"process where a.", 1, 17, "unexpected end of query", ""},
        {"process where ?", 1, 16, "unexpected end of query", ""},
        {"process where a and", 1, 20, "unexpected end of query", ""},
        {"process where not", 1, 18, "unexpected end of query", ""},
        {"process where (", 1, 16, "unexpected end of query", ""},
        {"process where a : (", 1, 20, "unexpected end of query", ""},
        {"sequence", 1, 9, "unexpected end of query", "two terms"},
        {"sequence [a where true] until", 1, 30, "unexpected end of query", ""},
        {"sample by", 1, 10, "unexpected end of query", ""},
        {"process where true | 5", 1, 22, "unexpected number '5'", ""},
        {"process where a ! b", 1, 17, "unexpected '!'", ""},
        {"process\n  where a ==\n    == 1", 3, 5, "unexpected '=='", ""},
        {"any where true ]", 1, 16, "unexpected ']'", ""},
    };
    for (const Case& c : cases) {
        INFO("query: " << c.query);
        const Diagnostic d = parse_error(c.query);
        INFO("got: " << format_diagnostic(d, c.query, "<query>"));
        CHECK(d.span.begin.line == c.line);
        CHECK(d.span.begin.column == c.column);
        CHECK(d.span.begin == position_at(c.query, d.span.begin.offset));
        CHECK(d.span.end.offset >= d.span.begin.offset);
        CHECK(d.message.find(c.message) != std::string::npos);
        CHECK_FALSE(d.expected.empty());
        CHECK(d.hint.find(c.hint) != std::string::npos);
    }
}

TEST_CASE("parser: never throws on arbitrary prefixes and byte soup", "[parser]") {
    const std::string text =
        "sequence by a with maxspan=5m [process where x : (\"a\", \"\"\"b\"\"\") and not f~(y, -1.5e3)] by `q``x` "
        "with runs=2 ![file where ?z in~ (1, null) /* c */] until [any where a != 1 // x\n] | head 3";
    REQUIRE(syntax::parse_query(text).ok());
    for (size_t n = 0; n < text.size(); ++n) {
        const auto r = syntax::parse_query(std::string_view(text).substr(0, n));
        CHECK((r.ok() || r.diagnostics.size() == 1));
    }
    // Every byte value at every position of a short query.
    const std::string base = "any where a == \"x\"";
    for (size_t i = 0; i <= base.size(); ++i) {
        for (int b = 0; b < 256; ++b) {
            std::string t = base;
            t.insert(t.begin() + static_cast<std::ptrdiff_t>(i), static_cast<char>(b));
            const auto r = syntax::parse_query(t);
            if (!r.ok()) REQUIRE(r.diagnostics.size() == 1);
        }
    }
}

TEST_CASE("parser: nesting depth is capped before recursing", "[parser]") {
    const size_t deep = 100'000;
    auto check_too_deep = [](const std::string& text, const syntax::ParseLimits& limits = {}) {
        const Diagnostic d = parse_error(text, limits);
        CHECK(d.message.find("nested too deeply") != std::string::npos);
        CHECK(d.expected.find(std::to_string(limits.max_depth)) != std::string::npos);
    };
    check_too_deep("any where " + std::string(deep, '('));
    check_too_deep("any where " + std::string(deep, '(') + "a" + std::string(deep, ')'));
    std::string nots;
    for (size_t i = 0; i < deep; ++i) nots += "not ";
    check_too_deep("any where " + nots + "a");
    check_too_deep("any where x == " + std::string(deep, '-') + "1");
    check_too_deep("any where x == " + std::string(deep, '+') + "1");
    std::string calls;
    for (size_t i = 0; i < deep; ++i) calls += "f(";
    check_too_deep("any where " + calls);
    std::string ins;
    for (size_t i = 0; i < deep; ++i) ins += "x in (";
    check_too_deep("any where " + ins);
    // Left-deep operator chains nest the tree without nesting the text: capped too.
    std::string sum = "1";
    for (size_t i = 0; i < deep; ++i) sum += "+1";
    check_too_deep("any where x == " + sum);

    // Up to the limit is fine; one more is refused; the limit is configurable.
    auto nest = [](size_t n) { return "any where " + std::string(n, '(') + "a" + std::string(n, ')'); };
    CHECK(syntax::parse_query(nest(200)).ok());
    CHECK(syntax::parse_query("any where x == " + std::string(200, '-') + "y").ok());
    std::string nots200;
    for (int i = 0; i < 200; ++i) nots200 += "not ";
    CHECK(syntax::parse_query("any where a and " + nots200 + "x == 1").ok());
    check_too_deep(nest(201));
    syntax::ParseLimits small;
    small.max_depth = 10;
    CHECK(syntax::parse_query(nest(10), small).ok());
    check_too_deep(nest(11), small);
    const Diagnostic d = parse_error(nest(11), small);
    CHECK(d.span.begin.column == 22);  // just inside the 11th parenthesis
    std::string ten_nots;
    for (int i = 0; i < 10; ++i) ten_nots += "not ";
    CHECK(syntax::parse_query("any where " + ten_nots + "a", small).ok());
    check_too_deep("any where not " + ten_nots + "a", small);
}

TEST_CASE("parser: long flat inputs are loops, not recursion", "[parser]") {
    // 5,000 `or`s: one n-ary node.
    std::string ors = "a0 == 0";
    for (int i = 1; i <= 5000; ++i) ors += " or a" + std::to_string(i) + " == " + std::to_string(i);
    auto q = parse_ok("any where " + ors);
    CHECK(condition_of(q).kind == ExprKind::or_);
    CHECK(condition_of(q).operands.size() == 5001);
    CHECK(sexpr(*condition_of(q).operands[5000]) == "(== a5000 5000)");

    std::string ands = "a";
    for (int i = 0; i < 5000; ++i) ands += " and a";
    q = parse_ok("any where " + ands);
    CHECK(condition_of(q).operands.size() == 5001);

    // A 2,600-item pattern list and in-list.
    std::string patterns = "(";
    std::string values = "(";
    for (int i = 0; i < 2600; ++i) {
        patterns += (i ? ", " : "") + std::string("\"*pattern-") + std::to_string(i) + "*\"";
        values += (i ? ", " : "") + std::to_string(i);
    }
    patterns += ")";
    values += ")";
    q = parse_ok("any where x : " + patterns + " and y in " + values);
    CHECK(condition_of(q).operands[0]->operands.size() == 2601);
    CHECK(condition_of(q).operands[1]->operands.size() == 2601);
    // Many adjacent strings and many arguments.
    std::string strings;
    for (int i = 0; i < 5000; ++i) strings += "\"a\" ";
    q = parse_ok("any where x == " + strings);
    CHECK(std::get<std::string>(condition_of(q).operands[1]->value).size() == 5000);
    std::string args = "concat(a";
    for (int i = 0; i < 5000; ++i) args += ", a";
    q = parse_ok("any where " + args + ") == \"x\"");
    CHECK(condition_of(q).operands[0]->operands.size() == 5001);
}

TEST_CASE("parser: all detection-rule corpus queries parse", "[parser][corpus]") {
    EQLC_REQUIRE_SHARED(shared_dir, "corpus/detection-rules/queries");
    const std::filesystem::path dir = *shared_dir;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.path().extension() == ".eql") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 500);
    size_t parsed = 0;
    size_t sequences = 0;
    for (const auto& path : files) {
        const std::string text = eqlc::test::read_text(path);
        const auto r = syntax::parse_query(text);
        INFO(path.filename().string() << "\n" << format_all(r, text));
        CHECK(r.ok());
        if (r.ok()) {
            ++parsed;
            if (r.query->kind == ast::QueryKind::sequence) ++sequences;
        }
    }
    CHECK(parsed == files.size());
    CHECK(sequences > 0);
}

TEST_CASE("parser: all conformance queries parse", "[parser][conformance]") {
    EQLC_REQUIRE_SHARED(shared_dir, "conformance/elastic/queries");
    const std::filesystem::path dir = *shared_dir;
    size_t total = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        const auto specs = nlohmann::json::parse(eqlc::test::read_text(entry.path()));
        for (const auto& spec : specs) {
            if (!spec.contains("query")) continue;
            const std::string text = spec["query"].get<std::string>();
            const auto r = syntax::parse_query(text);
            INFO(entry.path().filename().string() << " " << spec.value("name", "") << "\n"
                                                  << text << "\n"
                                                  << format_all(r, text));
            CHECK(r.ok());
            ++total;
        }
    }
    CHECK(total > 100);
}
