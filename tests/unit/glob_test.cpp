#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "matchers/glob.hpp"
#include "text/casefold.hpp"

using eqlc::matchers::Glob;
using eqlc::matchers::glob_match;
using eqlc::matchers::GlobShape;

namespace {

bool is_cont(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

// Reference: the textbook O(n*m) dynamic program over (pattern index, value position), with the same
// definition of "one character" as glob.hpp.
bool reference_match(std::string_view p, std::string_view v) {
    const std::size_t n = v.size();
    std::vector<char> cur(n + 1, 0);
    cur[0] = 1;
    for (const char pc : p) {
        std::vector<char> next(n + 1, 0);
        for (std::size_t i = 0; i <= n; ++i) {
            if (!cur[i]) continue;
            if (pc == '*') {
                for (std::size_t j = i; j <= n; ++j) next[j] = 1;
                break;
            }
            if (i == n) continue;
            if (pc == '?') {
                if (is_cont(v[i])) continue;
                std::size_t j = i + 1;
                while (j < n && is_cont(v[j])) ++j;
                next[j] = 1;
            } else if (v[i] == pc) {
                next[i + 1] = 1;
            }
        }
        cur.swap(next);
    }
    return cur[n] != 0;
}

bool cs(std::string_view p, std::string_view v) { return glob_match(p, v, false); }
bool ci(std::string_view p, std::string_view v) { return glob_match(p, v, true); }

}  // namespace

TEST_CASE("glob: shapes are precomputed", "[glob]") {
    auto shape = [](std::string_view p) { return Glob::compile(p, false).shape(); };
    CHECK(shape("") == GlobShape::exact);
    CHECK(shape("abc") == GlobShape::exact);
    CHECK(shape("*") == GlobShape::any);
    CHECK(shape("***") == GlobShape::any);
    CHECK(shape("abc*") == GlobShape::prefix);
    CHECK(shape("abc**") == GlobShape::prefix);
    CHECK(shape("*abc") == GlobShape::suffix);
    CHECK(shape("*abc*") == GlobShape::contains);
    CHECK(shape("**abc**") == GlobShape::contains);
    CHECK(shape("ab*c") == GlobShape::prefix_suffix);
    CHECK(shape("a*b*c") == GlobShape::general);
    CHECK(shape("*a*b*") == GlobShape::general);
    CHECK(shape("?") == GlobShape::general);
    CHECK(shape("a?c") == GlobShape::general);
    CHECK(shape("?:\\Windows\\*") == GlobShape::general);
    CHECK(Glob::compile("?:\\Windows\\Sys*\\x", false).longest_literal() == ":\\Windows\\Sys");
    CHECK(Glob::compile("*?*", false).longest_literal().empty());
}

TEST_CASE("glob: exact and empty", "[glob]") {
    CHECK(cs("", ""));
    CHECK_FALSE(cs("", "a"));
    CHECK(cs("abc", "abc"));
    CHECK_FALSE(cs("abc", "abcd"));
    CHECK_FALSE(cs("abc", "ab"));
    CHECK_FALSE(cs("abc", "ABC"));
    CHECK(ci("abc", "ABC"));
    // `:` without wildcards is exact, not "contains" (SEMANTICS betweenCaseInsensitive1).
    CHECK_FALSE(ci("yst", "system"));
}

TEST_CASE("glob: star", "[glob]") {
    CHECK(cs("*", ""));
    CHECK(cs("*", "anything at all"));
    CHECK(cs("**", ""));
    CHECK(cs("a*", "a"));
    CHECK(cs("a*", "abc"));
    CHECK_FALSE(cs("a*", "ba"));
    CHECK(cs("*a", "a"));
    CHECK(cs("*a", "bca"));
    CHECK_FALSE(cs("*a", "ab"));
    CHECK(cs("*a*", "a"));
    CHECK(cs("*a*", "xxaxx"));
    CHECK_FALSE(cs("*a*", "xxx"));
    CHECK(cs("ab*ba", "aba") == false);  // prefix and suffix may not overlap
    CHECK(cs("ab*ba", "abba"));
    CHECK(cs("a*b*c", "abc"));
    CHECK(cs("a*b*c", "aXbYc"));
    CHECK(cs("a*b*c", "abcbc"));
    CHECK_FALSE(cs("a*b*c", "acb"));
    CHECK(cs("*a*b*", "xaxbx"));
    CHECK_FALSE(cs("*a*b*", "xbxax"));
    CHECK(cs("*abc*abc*", "abcabc"));
    CHECK_FALSE(cs("*abc*abc*", "abcab"));
}

TEST_CASE("glob: every other character is literal", "[glob]") {
    CHECK(cs("*%*", "50%"));
    CHECK_FALSE(cs("*%*", "50"));
    CHECK(cs("a_c", "a_c"));
    CHECK_FALSE(cs("a_c", "abc"));  // not SQL LIKE
    CHECK_FALSE(cs("a.c", "abc"));  // not a regex
    CHECK(cs("a.c", "a.c"));
    CHECK(cs("C:\\\\*", "C:\\\\x"));
    // No escape: a backslash before * is a literal backslash followed by a wildcard.
    CHECK(cs("a\\*", "a\\bc"));
    CHECK_FALSE(cs("a\\*", "a*"));
    CHECK(cs("a\\*", "a\\*"));
    CHECK(cs("[ab]", "[ab]"));
    CHECK_FALSE(cs("[ab]", "a"));
}

TEST_CASE("glob: question mark is one code point", "[glob]") {
    CHECK(cs("?", "a"));
    CHECK_FALSE(cs("?", ""));
    CHECK_FALSE(cs("?", "ab"));
    CHECK(cs("?", "é"));           // 2 bytes
    CHECK(cs("?", "日"));          // 3 bytes
    CHECK(cs("?", "\U0001F600"));  // 4 bytes, one code point (two UTF-16 units in Java)
    CHECK_FALSE(cs("??", "é"));
    CHECK(cs("??", "éa"));
    CHECK(cs("a?c", "a日c"));
    CHECK(cs("*?", "x日"));
    CHECK(cs("*?日", "x日日"));
    CHECK_FALSE(cs("*??", "日"));
    CHECK(cs("?:\\Windows\\*", "C:\\Windows\\System32"));
    CHECK_FALSE(cs("?:\\Windows\\*", "CC:\\Windows\\System32"));
    CHECK(cs("*\\?.exe", "c:\\x\\a.exe"));
    CHECK_FALSE(cs("*\\?.exe", "c:\\x\\ab.exe"));
    CHECK(cs("*.?x?", "a.日x\U0001F600"));
    // Invalid UTF-8: a character is a non-continuation byte plus the continuation bytes after it.
    CHECK(cs("?", "\xFF"));
    CHECK(cs("?", "a\x80"));
    CHECK_FALSE(cs("?", "\x80"));
    CHECK(cs("*", "\x80"));
}

TEST_CASE("glob: case-insensitive folds pattern and value", "[glob]") {
    CHECK(ci("*\\SYSTEM32\\*.EXE", "C:\\Windows\\System32\\cmd.exe"));
    CHECK(ci("cmd.exe", "CMD.EXE"));
    CHECK(ci("ÉTÉ*", "étés"));
    CHECK(ci("*ПРИВЕТ*", "ну привет"));
    CHECK_FALSE(cs("*ПРИВЕТ*", "ну привет"));
    CHECK(ci("?", "É"));
    // U+0130 folds to two code points, so it needs two `?` (or a star) on the folded value.
    CHECK(ci("\u0130*", "\u0130stanbul"));
    CHECK(ci("i*", "\u0130stanbul"));
    CHECK(ci("??stanbul", "\u0130stanbul"));
    Glob g = Glob::compile("*SYSTEM32*", true);
    CHECK(g.pattern() == "*system32*");
    CHECK(g.matches_folded("c:\\system32\\"));
    CHECK_FALSE(g.matches_folded("C:\\SYSTEM32\\"));  // matches_folded trusts the caller
}

TEST_CASE("glob: pathological patterns run in linear time", "[glob]") {
    const std::string big(1 << 20, 'a');
    CHECK_FALSE(cs("*a*a*a*a*a*b", big));
    CHECK(cs("*a*a*a*a*a*", big));
    CHECK(cs("*a*a*a*a*a*a", big));
    CHECK_FALSE(cs("*a*a*a*a*a*ab*", big));
    CHECK_FALSE(cs("*aaaaaaaaaaaaaaaaaaaaaaaaaaaaab*", big));
    CHECK_FALSE(cs("*a?a?a?b*", big));
    CHECK_FALSE(ci("*A*A*A*A*A*B", big));
    std::string big_b = big + "b";
    CHECK(cs("*a*a*a*a*a*b", big_b));
}

TEST_CASE("glob: agrees with the reference matcher on random inputs", "[glob]") {
    std::mt19937 rng(12345);
    const std::vector<std::string> pattern_alphabet = {"a", "b", "*", "?", "é", "\xFF"};
    const std::vector<std::string> value_alphabet = {"a", "b", "é", "\x80", "\xC3", "日"};
    auto pick = [&](const std::vector<std::string>& alpha, std::size_t max_len) {
        std::string s;
        const std::size_t len = rng() % (max_len + 1);
        for (std::size_t i = 0; i < len; ++i) s += alpha[rng() % alpha.size()];
        return s;
    };
    std::size_t matched = 0;
    for (int round = 0; round < 20000; ++round) {
        const std::string p = pick(pattern_alphabet, 7);
        const std::string v = pick(value_alphabet, 9);
        const bool expected = reference_match(p, v);
        INFO("pattern=" << p << " value=" << v);
        REQUIRE(Glob::compile(p, false).matches(v) == expected);
        matched += expected ? 1 : 0;
    }
    CHECK(matched > 500);  // the generator does produce matches
}
