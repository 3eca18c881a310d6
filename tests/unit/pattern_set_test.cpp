#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "matchers/glob.hpp"
#include "matchers/pattern_set.hpp"
#include "support/files.hpp"
#include "support/shared_data.hpp"
#include "text/casefold.hpp"

using eqlc::matchers::Glob;
using eqlc::matchers::PatternSet;

namespace {

bool is_cont(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

// Textbook dynamic program, same "character" rule as glob.hpp.
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

bool naive_any(const std::vector<std::string>& patterns, std::string_view v, bool ci) {
    const std::string folded = ci ? eqlc::text::to_lower_root(v) : std::string(v);
    for (const auto& p : patterns) {
        const std::string fp = ci ? eqlc::text::to_lower_root(p) : p;
        if (reference_match(fp, folded)) return true;
    }
    return false;
}

// The largest `field : ( "...", ... )` list of a query file, with EQL string escapes undone.
std::vector<std::string> largest_colon_list(const std::string& path) {
    const std::string text = eqlc::test::read_text(path);
    std::vector<std::string> best;
    for (std::size_t at = text.find(": ("); at != std::string::npos; at = text.find(": (", at + 1)) {
        std::vector<std::string> list;
        std::size_t i = at + 3;
        for (;;) {
            while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',')) ++i;
            if (i >= text.size() || text[i] != '"') break;
            std::string s;
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
                s.push_back(text[i]);
            }
            ++i;
            list.push_back(std::move(s));
        }
        if (list.size() > best.size()) best = std::move(list);
    }
    return best;
}

// A value that the pattern matches: stars and question marks replaced by random text.
std::string instantiate(std::string_view p, std::mt19937& rng) {
    static const std::vector<std::string> fill = {"", "x", "Program Files", "\\", "é", "日本", "A1"};
    std::string out;
    for (const char c : p) {
        if (c == '*') {
            out += fill[rng() % fill.size()];
        } else if (c == '?') {
            static const char* const one_char[] = {"C", "D", "é", "日"};
            out += one_char[rng() % 4];
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string mutate(std::string s, std::mt19937& rng) {
    if (s.empty()) return "z";
    switch (rng() % 4) {
        case 0: s[rng() % s.size()] = 'Q'; break;
        case 1: s.erase(rng() % s.size(), 1); break;
        case 2: s.insert(rng() % s.size(), "zz"); break;
        default: s += "~"; break;
    }
    return s;
}

}  // namespace

TEST_CASE("pattern_set: each kind of pattern", "[pattern_set]") {
    const PatternSet set = PatternSet::compile(
        {"cmd.exe", "power*", "*.ps1", "*mimikatz*", "?:\\Windows\\*.dll", "a*b*c", "??", "x*y"}, false);
    CHECK(set.size() == 8);
    CHECK(set.matches("cmd.exe"));
    CHECK_FALSE(set.matches("cmd.exe2"));
    CHECK(set.matches("powershell.exe"));
    CHECK(set.matches("power"));
    CHECK(set.matches("run.ps1"));
    CHECK(set.matches("/tmp/mimikatz/x"));
    CHECK(set.matches("C:\\Windows\\system32\\a.dll"));
    CHECK_FALSE(set.matches("CC:\\Windows\\system32\\a.dll"));
    CHECK(set.matches("aXbYc"));
    CHECK(set.matches("日é"));
    CHECK(set.matches("x_y"));
    CHECK_FALSE(set.matches("xy_"));
    CHECK_FALSE(set.matches(""));
    CHECK_FALSE(set.matches("Power"));  // case-sensitive
    const auto& st = set.stats();
    CHECK(st.exact == 1);
    CHECK(st.prefix == 1);
    CHECK(st.suffix == 1);
    CHECK(st.contains == 1);
    CHECK(st.general == 3);  // ?:\Windows\*.dll, a*b*c and x*y are verified after a literal hit
    CHECK(st.unanchored == 1);
}

TEST_CASE("pattern_set: empty list, empty pattern, match-all", "[pattern_set]") {
    CHECK_FALSE(PatternSet::compile({}, false).matches(""));
    CHECK_FALSE(PatternSet::compile({}, false).matches("a"));
    const PatternSet empty_pattern = PatternSet::compile({""}, false);
    CHECK(empty_pattern.matches(""));
    CHECK_FALSE(empty_pattern.matches("a"));
    const PatternSet all = PatternSet::compile({"abc", "*"}, true);
    CHECK(all.matches(""));
    CHECK(all.matches("anything"));
    CHECK(all.stats().match_all);
}

TEST_CASE("pattern_set: redundant prefixes and suffixes collapse", "[pattern_set]") {
    const PatternSet set = PatternSet::compile({"abc*", "ab*", "abd*", "b*", "*xyz", "*yz", "*wyz"}, false);
    CHECK(set.stats().prefix == 2);
    CHECK(set.stats().suffix == 1);
    CHECK(set.matches("abzzz"));
    CHECK(set.matches("ab"));
    CHECK(set.matches("b"));
    CHECK_FALSE(set.matches("a"));
    CHECK_FALSE(set.matches("ca"));
    CHECK(set.matches("yz"));
    CHECK(set.matches("qqxyz"));
    CHECK_FALSE(set.matches("z"));
    CHECK_FALSE(set.matches("yzq"));
}

TEST_CASE("pattern_set: shared literal keys", "[pattern_set]") {
    // Two general patterns and one contains pattern share the literal "evil".
    const PatternSet set = PatternSet::compile({"a*evil*b", "*evil*z?", "x*evil"}, false);
    CHECK(set.matches("a-evil-b"));
    CHECK(set.matches("evil-zQ"));
    CHECK(set.matches("x evil"));
    CHECK_FALSE(set.matches("evil"));
    const PatternSet with_contains = PatternSet::compile({"a*evil*b", "*evil*"}, false);
    CHECK(with_contains.matches("evil"));
    CHECK(with_contains.matches("a-evil-b"));
    CHECK_FALSE(with_contains.matches("evi"));
    // Overlapping contains keys: Aho-Corasick must report "he" inside "she" (dictionary links).
    const PatternSet ac = PatternSet::compile({"*she*x", "*he*", "*hers*"}, false);
    CHECK(ac.matches("ushe"));
    CHECK(ac.matches("he"));
    CHECK_FALSE(ac.matches("sh"));
}

TEST_CASE("pattern_set: case-insensitive", "[pattern_set]") {
    const PatternSet set =
        PatternSet::compile({"CMD.EXE", "*\\SYSTEM32\\*", "Power*", "*.PS1", "?:\\USERS\\*\\ÉTÉ.TXT"}, true);
    CHECK(set.matches("cmd.exe"));
    CHECK(set.matches("Cmd.Exe"));
    CHECK(set.matches("c:\\windows\\System32\\x"));
    CHECK(set.matches("POWERSHELL"));
    CHECK(set.matches("A.ps1"));
    CHECK(set.matches("c:\\Users\\bob\\été.txt"));
    CHECK(set.matches_folded("cmd.exe"));
    CHECK_FALSE(set.matches_folded("CMD.EXE"));  // matches_folded trusts the caller
}

TEST_CASE("pattern_set: random lists agree with the reference matcher", "[pattern_set]") {
    std::mt19937 rng(777);
    const std::vector<std::string> alpha = {"a", "b", "c", "*", "?", "é", "\\"};
    for (const bool ci : {false, true}) {
        std::vector<std::string> patterns;
        for (int i = 0; i < 150; ++i) {
            std::string p;
            const std::size_t len = 1 + rng() % 6;
            for (std::size_t k = 0; k < len; ++k) p += alpha[rng() % alpha.size()];
            if (ci && rng() % 2) p = "A" + p;
            if (p != "*" && p.find_first_not_of('*') != std::string::npos) patterns.push_back(p);
        }
        const PatternSet set = PatternSet::compile(patterns, ci);
        REQUIRE_FALSE(set.stats().match_all);
        const std::vector<std::string> value_alpha = {"a", "b", "c", "A", "é", "É", "\\", "d"};
        std::size_t positives = 0;
        for (int round = 0; round < 1500; ++round) {
            std::string v;
            const std::size_t len = rng() % 9;
            for (std::size_t k = 0; k < len; ++k) v += value_alpha[rng() % value_alpha.size()];
            const bool expected = naive_any(patterns, v, ci);
            positives += expected;
            INFO("ci=" << ci << " value=" << v);
            REQUIRE(set.matches(v) == expected);
        }
        CHECK(positives > 100);
        CHECK(positives < 1400);
    }
}

TEST_CASE("pattern_set: 2,600-pattern lists agree with one-by-one matching", "[pattern_set]") {
    std::vector<std::string> patterns = largest_colon_list(
        (eqlc::test::shared_root() / "corpus/detection-rules/queries/fb01d790-9f74-4e76-97dd-b4b0f7bf6435.eql")
            .string());
    const std::size_t from_corpus = patterns.size();
    std::mt19937 rng(4242);
    // Add generated path patterns of every shape so the list is both large and mixed.
    const std::vector<std::string> dirs = {"windows", "program files", "users", "temp", "appdata", "system32"};
    const std::vector<std::string> names = {"cmd", "powershell", "rundll32", "mshta", "svc", "update", "ZOOM"};
    while (patterns.size() < 2600) {
        const std::string d = dirs[rng() % dirs.size()];
        const std::string n = names[rng() % names.size()] + std::to_string(rng() % 500);
        switch (rng() % 6) {
            case 0: patterns.push_back("?:\\" + d + "\\*\\" + n + ".exe"); break;
            case 1: patterns.push_back("*\\" + n + ".dll"); break;
            case 2: patterns.push_back("c:\\" + d + "\\" + n + "*"); break;
            case 3: patterns.push_back("*" + n + "*"); break;
            case 4: patterns.push_back(n + ".exe"); break;
            default: patterns.push_back("*\\" + d + "\\*\\" + n + ".?s1"); break;
        }
    }
    INFO("patterns: " << patterns.size() << ", from the corpus rule: " << from_corpus);
    if (std::ifstream(eqlc::test::shared_root() / "corpus/detection-rules/README.md")) CHECK(from_corpus > 1000);
    std::vector<std::string> values;
    for (const auto& p : patterns) {
        values.push_back(instantiate(p, rng));
        values.push_back(mutate(instantiate(p, rng), rng));
    }
    for (int i = 0; i < 2000; ++i) {
        values.push_back("C:\\" + dirs[rng() % dirs.size()] + "\\" + names[rng() % names.size()] +
                         std::to_string(rng() % 900) + (rng() % 2 ? ".exe" : ".dll"));
    }
    for (const bool ci : {true, false}) {
        const PatternSet set = PatternSet::compile(patterns, ci);
        std::vector<Glob> globs;
        for (const auto& p : patterns) globs.push_back(Glob::compile(p, ci));
        std::size_t positives = 0;
        for (const auto& v : values) {
            bool expected = false;
            for (const auto& g : globs) {
                if (g.matches(v)) {
                    expected = true;
                    break;
                }
            }
            positives += expected;
            INFO("ci=" << ci << " value=" << v);
            REQUIRE(set.matches(v) == expected);
        }
        CHECK(positives > patterns.size() / 2);
    }
}

TEST_CASE("pattern_set: concurrent matching", "[pattern_set]") {
    std::vector<std::string> patterns;
    for (int i = 0; i < 300; ++i) {
        patterns.push_back("*\\dir" + std::to_string(i) + "\\*.EXE");
        patterns.push_back("*needle" + std::to_string(i) + "*");
    }
    const PatternSet set = PatternSet::compile(patterns, true);
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 3000; ++i) {
                const int k = (i * 7 + t) % 300;
                const bool want = (i % 3) != 0;
                const std::string v =
                    want ? "C:\\DIR" + std::to_string(k) + "\\x\\a.exe" : "C:\\DIR" + std::to_string(k) + "\\a.com";
                if (set.matches(v) != want) ++failures[t];
            }
        });
    }
    for (auto& th : threads) th.join();
    for (const int f : failures) CHECK(f == 0);
}
