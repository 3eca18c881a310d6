// Hostile rules (issue 11): huge lists, long chains, deep nesting, long sequences, megabyte queries. Each one must
// compile, or be refused with a diagnostic at a line:column, in time linear in its size and within the stack: never
// a crash or a hang. The sizes are chosen so that a quadratic pass would take minutes (the suite's timeout catches
// it) while the linear ones take well under a second; timings are printed, never asserted.
#include <pthread.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "eqlc/query.hpp"
#include "input/line_filter.hpp"
#include "support/cli_runner.hpp"
#include "syntax/parser.hpp"
#include "syntax/printer.hpp"
#include "values/field_catalog.hpp"

namespace {

using namespace eqlc;

// Times `what` and prints it (for the report; never asserted).
template <typename F>
auto timed(const char* what, F&& f) {
    const auto start = std::chrono::steady_clock::now();
    auto result = f();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "  [hostile] %-48s %6lld ms\n", what, static_cast<long long>(ms));
    return result;
}

compiler::CompileResult compile(const std::string& text, uint32_t max_depth = 200) {
    vm::FieldCatalog catalog;
    compiler::CompileOptions options;
    options.max_depth = max_depth;
    return compiler::compile_query(text, options, catalog);
}

void require_valid(const compiler::CompileResult& r) {
    INFO((r.diagnostics.empty() ? std::string("no diagnostic") : r.diagnostics[0].message));
    REQUIRE(r.ok());
}

std::string joined(size_t n, const std::function<std::string(size_t)>& item, const std::string& separator) {
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        if (i) out += separator;
        out += item(i);
    }
    return out;
}

std::string repeat(const std::string& s, size_t n) {
    std::string out;
    out.reserve(s.size() * n);
    for (size_t i = 0; i < n; ++i) out += s;
    return out;
}

std::string name(size_t i) { return "\"v" + std::to_string(i) + ".exe\""; }

// The line filter of a compiled query, as the reader builds it (null when a term requires no text).
std::unique_ptr<input::LineFilter> line_filter(const compiler::CompiledQuery& q) {
    std::vector<compiler::RequiredText> terms;
    for (const auto& t : q.terms) {
        if (t.required.unconditional()) return nullptr;
        if (!t.required.never) terms.push_back(t.required);
    }
    std::string error;
    auto filter = input::LineFilter::create(terms, &error);
    INFO(error);
    REQUIRE(filter);
    return filter;
}

constexpr size_t kItems = 100'000;

QueryOptions deep_options(uint32_t max_depth) {
    QueryOptions options;
    options.max_depth = max_depth;
    return options;
}

}  // namespace

TEST_CASE("hostile rules: 100,000-item lists compile in linear time", "[hostile]") {
    const std::string list = "(" + joined(kItems, name, ", ") + ")";
    for (const std::string op : {" in ", " in~ ", " : ", " like ", " like~ "}) {
        const std::string query = "process where process.name" + op + list;
        const auto r = timed(("compile 100,000 items:" + op).c_str(), [&] { return compile(query); });
        require_valid(r);
        // Far too many needles for the prefilter (building the Hyperscan database would take seconds): the list
        // gives no condition, only the category does.
        const auto& required = r.query->terms[0].required;
        REQUIRE(required.clauses.size() == 1);
        CHECK(required.clauses[0] == compiler::RequiredText::Clause{compiler::Needle{"process", false}});
    }
    // The same values twice: deduplicated wherever they are collected (needles, constants, sets).
    const std::string twice = "(" +
                              joined(
                                  2 * kItems, [](size_t i) { return name(i % kItems); }, ", ") +
                              ")";
    require_valid(timed("compile 200,000 items, each twice", [&] { return compile("any where a in " + twice); }));
}

TEST_CASE("hostile rules: a list just under the needle limit feeds the prefilter", "[hostile]") {
    const auto r = compile("process where process.name in (" + joined(1000, name, ", ") + ")");
    require_valid(r);
    const auto& required = r.query->terms[0].required;
    REQUIRE(required.clauses.size() == 2);  // the names, then the category
    CHECK(required.clauses[0].size() == 1000);
    auto filter = timed("line filter of 1,000 needles", [&] { return line_filter(*r.query); });
    CHECK(filter->anchor_count() == 1000);
}

TEST_CASE("hostile rules: 10,000 wildcard patterns, in one list and across terms", "[hostile]") {
    auto glob = [](size_t i) { return "\"*v" + std::to_string(i) + "*.exe\""; };
    require_valid(timed("compile 10,000 globs in one list", [&] {
        return compile("process where process.command_line : (" + joined(10'000, glob, ", ") + ")");
    }));
    const std::string across = joined(
        10'000, [&](size_t i) { return "process.command_line like~ " + glob(i); }, " or ");
    require_valid(timed("compile 10,000 globs across or-terms", [&] { return compile("process where " + across); }));
    const std::string fields = joined(
        10'000, [&](size_t i) { return "f" + std::to_string(i) + " : " + glob(i); }, " or ");
    require_valid(timed("compile 10,000 globs on 10,000 fields", [&] { return compile("process where " + fields); }));
}

TEST_CASE("hostile rules: a 50,000-term or / and compiles in linear time", "[hostile]") {
    const size_t n = 50'000;
    const std::string same_field = joined(
        n, [](size_t i) { return "process.name == " + name(i); }, " or ");
    const auto r = timed("compile 50,000-term or on one field", [&] { return compile("process where " + same_field); });
    require_valid(r);
    CHECK(r.query->terms[0].filter->code.size() > n);

    const std::string many_fields = joined(
        n, [](size_t i) { return "f" + std::to_string(i) + " == " + std::to_string(i); }, " or ");
    require_valid(
        timed("compile 50,000-term or on 50,000 fields", [&] { return compile("any where " + many_fields); }));

    const std::string ands = joined(
        n, [](size_t i) { return "f" + std::to_string(i) + " != " + name(i); }, " and ");
    require_valid(timed("compile 50,000-term and", [&] { return compile("any where " + ands); }));

    // The same, with every term in value position (three-valued) and with repeated constants.
    const std::string values = joined(
        n, [](size_t i) { return "length(f" + std::to_string(i % 100) + ") == " + std::to_string(i % 7); }, " or ");
    require_valid(timed("compile 50,000-term or of function tests", [&] { return compile("any where " + values); }));
}

TEST_CASE("hostile rules: 50,000 problems give 100 diagnostics and a count", "[hostile]") {
    const size_t n = 50'000;
    const auto r = timed("check a 50,000-term or of non-booleans", [&] {
        return compile("any where " + joined(
                                          n, [](size_t) { return "1"; }, " or "));
    });
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.diagnostics.size() == semantics::kMaxProblems + 1);
    CHECK(r.diagnostics[0].message.find("must be [boolean]") != std::string::npos);
    CHECK(r.diagnostics[0].message.size() < 3000);  // the 50,000-term chain is quoted only in part
    CHECK(r.diagnostics.back().message == "too many problems: " + std::to_string(n - semantics::kMaxProblems) +
                                              " more not shown, the first of them here");
    CHECK(r.diagnostics.back().span.begin.line == 1);
    CHECK(r.diagnostics.back().span.begin.column == 11 + 5 * semantics::kMaxProblems);

    // Field-against-field items of a 100,000-item list: the same.
    const auto items = compile("any where a in (" +
                               joined(
                                   kItems, [](size_t i) { return "b" + std::to_string(i); }, ", ") +
                               ")");
    REQUIRE(items.diagnostics.size() == semantics::kMaxProblems + 1);
    CHECK(items.diagnostics[0].message.find("Comparisons against fields") != std::string::npos);
}

TEST_CASE("hostile rules: a 1 MB query compiles", "[hostile]") {
    std::string query = "process where ";
    for (size_t i = 0; query.size() < (1u << 20); ++i) {
        if (i) query += i % 3 ? " or " : " and ";
        query += "process.command_line : \"*abc" + std::to_string(i) + "*\"";
    }
    require_valid(timed("compile a 1 MB query", [&] { return compile(query); }));
    const auto explained = timed("explain a 1 MB query", [&] { return explain_query(query); });
    CHECK(explained.diagnostics.empty());
    CHECK(explained.program.size() > (1u << 20));
}

namespace {

// Queries nested `depth` levels deep (as the parser counts: each `not`, parenthesis, sign and call is one level),
// one per kind of nesting the grammar allows.
std::vector<std::pair<std::string, std::string>> deep_queries(size_t depth) {
    const size_t half = (depth + 1) / 2;  // for two levels per repetition
    return {
        {"not", "process where " + repeat("not ", depth) + "a"},
        {"parentheses", "process where " + std::string(depth, '(') + "a == 1" + std::string(depth, ')')},
        {"calls", "process where " + repeat("concat(", depth) + "a" + std::string(depth, ')') + " == \"x\""},
        {"unary minus", "process where x == " + repeat("-", depth) + "y"},
        {"unary minus and parentheses", "process where x == " + repeat("-(", half) + "y" + std::string(half, ')')},
        {"signs in a list", "process where x in (" + repeat("-", depth - 1) + "1)"},
        {"not and or", "process where " + repeat("not (a or ", half) + "b" + std::string(half, ')')},
        {"sequence terms", "sequence [process where " + repeat("not ", depth) + "a] [file where " +
                               std::string(depth, '(') + "b" + std::string(depth, ')') + "]"},
    };
}

}  // namespace

TEST_CASE("hostile rules: nesting up to the maximum depth compiles; beyond, a diagnostic", "[hostile]") {
    const uint32_t max = syntax::kMaxDepthLimit;
    for (const auto& [kind, query] : deep_queries(max - 2)) {
        INFO(kind);
        require_valid(compile(query, max));
        const auto explained = explain_query(query, deep_options(max));
        CHECK(explained.diagnostics.empty());
        CHECK_FALSE(explained.text.empty());
    }
    for (const auto& [kind, query] : deep_queries(max + 1)) {
        INFO(kind);
        const auto r = compile(query, max);
        REQUIRE_FALSE(r.ok());
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics[0].message.find("nested too deeply") != std::string::npos);
        CHECK(r.diagnostics[0].span.begin.line == 1);
        CHECK(r.diagnostics[0].span.begin.column > 1);
    }
    // 100,000 levels, as before, with the default limit.
    for (const auto& [kind, query] : deep_queries(100'000)) {
        INFO(kind);
        const auto r = compile(query);
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics[0].message.find("nested too deeply") != std::string::npos);
    }
}

TEST_CASE("hostile rules: a nesting limit above the maximum is refused", "[hostile]") {
    for (const uint32_t limit : {0u, syntax::kMaxDepthLimit + 1, 100'000u}) {
        const auto r = compile("process where true", limit);
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics[0].message.find("must be from 1 to 1000") != std::string::npos);
    }
    require_valid(compile("process where true", syntax::kMaxDepthLimit));
    require_valid(compile("process where true", 1));
}

namespace {

// Runs `f` on a thread with a stack of `bytes`.
void on_thread_with_stack(size_t bytes, std::function<void()> f) {
    pthread_attr_t attr;
    REQUIRE(pthread_attr_init(&attr) == 0);
    REQUIRE(pthread_attr_setstacksize(&attr, bytes) == 0);
    pthread_t thread;
    auto run = [](void* p) -> void* {
        (*static_cast<std::function<void()>*>(p))();
        return nullptr;
    };
    REQUIRE(pthread_create(&thread, &attr, run, &f) == 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attr);
}

}  // namespace

TEST_CASE("hostile rules: the maximum depth fits in the stack the limit documents", "[hostile]") {
    // Release builds: 4 MiB (eqlc/query.hpp says about 2 MiB). AddressSanitizer frames are several times larger:
    // the main thread's 8 MiB.
#if defined(__SANITIZE_ADDRESS__)
    const size_t stack = 8u << 20;
#else
    const size_t stack = 4u << 20;
#endif
    const uint32_t max = syntax::kMaxDepthLimit;
    std::vector<std::string> failures;
    on_thread_with_stack(stack, [&] {
        for (const auto& [kind, query] : deep_queries(max)) {
            if (!compile(query, max).ok()) failures.push_back(kind);
            if (!explain_query(query, deep_options(max)).diagnostics.empty()) failures.push_back(kind + " (explain)");
        }
    });
    CHECK(failures.empty());
}

TEST_CASE("hostile rules: a sequence of 1,000 stages and deep terms", "[hostile]") {
    const std::string stages = joined(
        1000, [](size_t i) { return "  [process where process.name == " + name(i) + "] by user.id"; }, "\n");
    const auto r = timed("compile a 1,000-stage sequence", [&] {
        return compile("sequence by host.id with maxspan=1h\n" + stages + "\nuntil [any where x] by user.id");
    });
    require_valid(r);
    CHECK(r.query->terms.size() == 1000);
    CHECK(r.query->terms[999].keys.size() == 2);
    auto filter = line_filter(*r.query);
    REQUIRE(filter);
    CHECK(filter->term_count() == 1000);

    // runs=100 on 100 stages: 10,000 terms sharing 100 programs.
    const std::string runs = joined(
        100, [](size_t i) { return "  [process where process.name == " + name(i) + "] with runs=100"; }, "\n");
    const auto expanded = timed("compile 100 stages with runs=100", [&] { return compile("sequence\n" + runs); });
    require_valid(expanded);
    CHECK(expanded.query->terms.size() == 10'000);

    // Every stage nested to the limit.
    const std::string deep = joined(
        100, [](size_t) { return "  [any where " + repeat("not ", 190) + "a]"; }, "\n");
    require_valid(timed("compile 100 stages nested 190 deep", [&] { return compile("sequence\n" + deep); }));
}

TEST_CASE("hostile rules: eqlc --check reports a hostile rule at its line and column", "[hostile][cli]") {
    test::TempDir dir;
    const auto deep = dir.write("deep.eql", "process where\n  " + repeat("not ", 300) + "a");
    auto r = test::run_eqlc({"--check", deep.string()});
    CHECK(r.status == 2);
    CHECK(r.err.find("deep.eql:2:") != std::string::npos);
    CHECK(r.err.find("nested too deeply") != std::string::npos);

    r = test::run_eqlc({"--check", "--max-depth", "1000", deep.string()});
    CHECK(r.status == 0);
    CHECK(r.out.find("valid") != std::string::npos);

    r = test::run_eqlc({"--check", "--max-depth", "1001", deep.string()});
    CHECK(r.status == 2);
    CHECK(r.err.find("--max-depth needs a number from 1 to 1000") != std::string::npos);

    const auto big = dir.write("list.eql", "process where process.name in (" + joined(kItems, name, ", ") + ")");
    r = timed("eqlc --check on a 100,000-item list", [&] { return test::run_eqlc({"--check", big.string()}); });
    CHECK(r.status == 0);
    CHECK(r.out.find("valid") != std::string::npos);

    const auto bad = dir.write("bad.eql", "any where " + joined(
                                                             50'000, [](size_t) { return "1"; }, " or "));
    r = timed("eqlc --check on 50,000 problems", [&] { return test::run_eqlc({"--check", bad.string()}); });
    CHECK(r.status == 2);
    CHECK(r.err.find("bad.eql:1:11: error:") != std::string::npos);
    CHECK(r.err.find("more not shown") != std::string::npos);
    CHECK(r.err.size() < 2'000'000);

    r = timed("eqlc --explain on a 100,000-item list", [&] { return test::run_eqlc({"--explain", big.string()}); });
    CHECK(r.status == 0);
}

TEST_CASE("hostile rules: constants are deduplicated by value, as the linear search did", "[hostile][codegen]") {
    const auto r = compile(R"(any where a == "x" or b == "x" or c == "y" or d == 1 or e == 1 or f == 1.0 or )"
                           R"(g == 0.0 or h == -0.0 or i == true or j == true)");
    require_valid(r);
    const auto& constants = r.query->terms[0].filter->constants;
    // "x", "y", 1, 1.0, 0.0 (-0.0 equals it); booleans are tested without constants
    CHECK(constants.size() == 5);
}

TEST_CASE("hostile rules: brief texts of huge expressions are cut", "[hostile][printer]") {
    const auto parsed = syntax::parse_query("any where " + joined(
                                                               10'000, [](size_t) { return "a == \"é\""; }, " or "));
    REQUIRE(parsed.ok());
    const ast::Expr& chain = *parsed.query->event.condition;
    const std::string brief = syntax::print_expr_brief(chain, 100);
    CHECK(brief.size() <= 100 + 3 + 16);
    CHECK(brief.substr(brief.size() - 3) == "...");
    CHECK(syntax::print_expr(chain).compare(0, brief.size() - 3, brief, 0, brief.size() - 3) == 0);
    // Short expressions are printed whole.
    CHECK(syntax::print_expr_brief(*chain.operands[0]) == syntax::print_expr(*chain.operands[0]));
}
