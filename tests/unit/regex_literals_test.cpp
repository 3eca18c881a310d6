// The literals a Lucene regexp cannot match without (matchers/regex_literals.hpp): what is found on the corpus's
// shapes of patterns, what gives none, and the property the rule index rests on: every value a pattern matches
// contains one of its literals (folded, for regex~), over random patterns and values.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <variant>
#include <vector>

#include "matchers/lucene_regex.hpp"
#include "matchers/regex_literals.hpp"
#include "text/casefold.hpp"

using eqlc::matchers::regex_required_literals;
using Strings = std::vector<std::string>;

TEST_CASE("regex literals: the longest required run of each branch", "[matchers][regex]") {
    CHECK(regex_required_literals(R"([A-Z]:\\:.+)", true) == Strings{":\\:"});
    CHECK(regex_required_literals(R"([a-z0-9]\.exe)", true) == Strings{".exe"});
    CHECK(regex_required_literals("abc", false) == Strings{"abc"});
    CHECK(regex_required_literals(R"(.*\\AppData\\Roaming\\[a-z]+\.dll)", false) == Strings{"\\AppData\\Roaming\\"});
    CHECK(regex_required_literals(R"(x"quoted.*"y)", false) == Strings{"xquoted.*y"});
    // Quantifiers: optional atoms end the run before them, repeated ones after them.
    CHECK(regex_required_literals("abcd?ef", false) == Strings{"abc"});
    CHECK(regex_required_literals("ab*cdef", false) == Strings{"cdef"});
    CHECK(regex_required_literals("abc+def", false) == Strings{"abc"});
    CHECK(regex_required_literals("ab{2}cd", false) == Strings{"ab"});
    CHECK(regex_required_literals("abc{0,3}defg", false) == Strings{"defg"});
    CHECK(regex_required_literals("ab{1}cd", false) == Strings{"abcd"});
    // A quantifier with nothing before it is a literal character.
    CHECK(regex_required_literals("*abc", false) == Strings{"*abc"});
    // Branches: each must have one.
    CHECK(regex_required_literals("powershell|pwsh[0-9]", true) == Strings{"powershell", "pwsh"});
    CHECK(regex_required_literals("powershell|[0-9]+", true).empty());
    CHECK(regex_required_literals("(a|b)cde(f|g)", false) == Strings{"cde"});
    // Classes, groups and intervals are not literal; escapes are, shorthand classes are not.
    CHECK(regex_required_literals(R"([]abc]xy(z\)w)<1-9>\d\.)", false) == Strings{"xy"});
    CHECK(regex_required_literals(R"(\d\w\s)", false).empty());
    CHECK(regex_required_literals(".*", false).empty());
    // Non-ASCII: kept case-sensitively, a run's end when only ASCII may be folded.
    CHECK(regex_required_literals("ab\xC3\xA9\xC3\xA9" "cd", false) == Strings{"ab\xC3\xA9\xC3\xA9" "cd"});
    CHECK(regex_required_literals("ab\xC3\xA9" "cde", true) == Strings{"cde"});
    // What the translator refuses gives nothing.
    CHECK(regex_required_literals("abc~d", false).empty());
    CHECK(regex_required_literals("abc(d", false).empty());
    CHECK(regex_required_literals("abc)", false).empty());
    CHECK(regex_required_literals("ab\"cd", false).empty());
    CHECK(regex_required_literals("ab{x}", false).empty());
}

TEST_CASE("regex literals: every value a pattern matches contains one", "[matchers][regex]") {
    std::mt19937 rng(20261203);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    const std::vector<std::string> atoms = {"a", "b", "A", "B", "\\.", "\\\\", ".", "[ab]", "(a|b)", "(ab)", "\"ab\"",
                                            "\\d", "@",  "*",  "?",  "x",    "\xC3\xA9", "<1-3>", "[^a]"};
    const std::vector<std::string> quantifiers = {"", "", "", "", "?", "*", "+", "{2}", "{0,2}", "{1,}"};
    const std::string alphabet[] = {"a", "b", "A", "B", ".", "\\", "x", "1", "2", "*", "?", "\xC3\xA9", "\xC3\x89"};
    size_t checked = 0, matched = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string pattern;
        const size_t length = 1 + pick(6);
        for (size_t i = 0; i < length; ++i) {
            if (i > 0 && pick(8) == 0) pattern += '|';
            pattern += atoms[pick(atoms.size())];
            pattern += quantifiers[pick(quantifiers.size())];
        }
        const bool ci = pick(2) == 0;
        auto compiled = eqlc::matchers::RegexMatcher::compile(pattern, ci);
        const auto literals = regex_required_literals(pattern, ci);
        if (std::holds_alternative<eqlc::matchers::RegexError>(compiled) || literals.empty()) continue;
        const auto& matcher = std::get<eqlc::matchers::RegexMatcher>(compiled);
        for (int v = 0; v < 300; ++v) {
            std::string value;
            const size_t n = pick(9);
            for (size_t i = 0; i < n; ++i) value += alphabet[pick(std::size(alphabet))];
            ++checked;
            if (!matcher.matches(value)) continue;
            ++matched;
            const std::string seen = ci ? eqlc::text::to_lower_root(value) : value;
            bool found = false;
            for (const auto& literal : literals)
                found |= seen.find(ci ? eqlc::text::to_lower_root(literal) : literal) != std::string::npos;
            INFO("pattern " << pattern << (ci ? " (regex~)" : "") << " matches " << value);
            REQUIRE(found);
        }
    }
    CHECK(matched > 1000);
    CHECK(checked > matched);
}
