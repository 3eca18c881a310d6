#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "matchers/lucene_regex.hpp"

using eqlc::matchers::LuceneRegexOptions;
using eqlc::matchers::LuceneRegexTranslation;
using eqlc::matchers::RegexError;
using eqlc::matchers::RegexMatcher;
using eqlc::matchers::translate_lucene_regex;

namespace {

RegexMatcher make(std::string_view pattern, bool ci = false, LuceneRegexOptions options = {}) {
    auto r = RegexMatcher::compile(pattern, ci, options);
    if (auto* err = std::get_if<RegexError>(&r)) {
        FAIL("pattern " << pattern << " refused: " << err->message << " at " << err->offset);
    }
    return std::get<RegexMatcher>(std::move(r));
}

RegexError refused(std::string_view pattern) {
    auto r = translate_lucene_regex(pattern, false);
    REQUIRE(std::holds_alternative<RegexError>(r));
    return std::get<RegexError>(r);
}

struct Case {
    const char* pattern;
    std::vector<const char*> yes;
    std::vector<const char*> no;
};

void check_cases(const std::vector<Case>& cases, bool ci = false) {
    for (const Case& c : cases) {
        const RegexMatcher m = make(c.pattern, ci);
        for (const char* v : c.yes) {
            INFO("pattern " << c.pattern << " -> " << m.re2_pattern() << " should match " << v);
            CHECK(m.matches(v));
        }
        for (const char* v : c.no) {
            INFO("pattern " << c.pattern << " -> " << m.re2_pattern() << " should not match " << v);
            CHECK_FALSE(m.matches(v));
        }
    }
}

}  // namespace

TEST_CASE("lucene_regex: basic operators, full-string match", "[lucene_regex]") {
    check_cases({
        {"abc", {"abc"}, {"ab", "abcd", "xabc", "ABC"}},
        {"", {""}, {"a"}},
        {"a.c", {"abc", "a.c", "a\nc", "a日c"}, {"ac", "abbc"}},
        {"a?b", {"ab", "b"}, {"aab"}},
        {"a*", {"", "a", "aaaa"}, {"b"}},
        {"a+", {"a", "aaa"}, {""}},
        {"a{2}", {"aa"}, {"a", "aaa"}},
        {"a{2,}", {"aa", "aaaaa"}, {"a"}},
        {"a{1,3}b", {"ab", "aaab"}, {"b", "aaaab"}},
        {"a{3,1}", {}, {"", "a", "aaa"}},  // empty repeat range matches nothing
        {"cat|dog", {"cat", "dog"}, {"catdog", "ca"}},
        {"(ab)+", {"ab", "abab"}, {"aba", ""}},
        {"a(b|c)d", {"abd", "acd"}, {"ad", "abcd"}},
        {"()", {""}, {"a"}},
        {"a()b", {"ab"}, {"a b"}},
        {".*?", {"", "anything"}, {}},  // lazy quantifier text accepted: (.*)?
        {"a**", {"", "aaa"}, {"b"}},
        {"a*+?", {"", "aa"}, {"b"}},
    });
}

TEST_CASE("lucene_regex: classes", "[lucene_regex]") {
    check_cases({
        {"[abc]", {"a", "c"}, {"d", "ab", ""}},
        {"[a-z0-9]+", {"abc123"}, {"ABC", "a-b"}},
        {"[^a-z]", {"A", "1", "\n", "日"}, {"a", "z"}},
        {"[]a]", {"]", "a"}, {"b"}},
        {"[a\\]]", {"]", "a"}, {"\\"}},
        {"[\\-a]", {"-", "a"}, {"b"}},
        {"[.*]", {".", "*"}, {"a"}},
        {"[日-本]", {"日", "本"}, {"a"}},
        {"[^\\n]*", {"abc", "", "a\nb"}, {"n", "ana"}},  // no control escapes in Lucene: \n is 'n'
        {"-[^-]*[uz][^-]*", {"-u", "-abzc"}, {"-abc", "-a-u"}},
    });
}

TEST_CASE("lucene_regex: escapes, quotes, @ and #", "[lucene_regex]") {
    check_cases({
        {"a\\.b", {"a.b"}, {"axb"}},
        {"\\*", {"*"}, {"", "a"}},
        {"\\\\", {"\\"}, {"\\\\"}},
        {"C:\\\\Windows\\\\.*", {"C:\\Windows\\x"}, {"C:/Windows/x"}},
        {"\"a.b*\"", {"a.b*"}, {"axb", "a.bbb"}},
        {"\"\"", {""}, {"a"}},
        {"x\"(|)\"y", {"x(|)y"}, {"xy"}},
        {"@", {"", "anything\nat all"}, {}},
        {"a@", {"a", "abc"}, {"b"}},
        {"#", {}, {"", "a"}},
        {"a|#", {"a"}, {""}},
        {"\\#\\@\\~\\&\\<", {"#@~&<"}, {}},
        {"*a", {"*a"}, {"a", "aa"}},  // a quantifier with nothing before it is literal
        {"+", {"+"}, {""}},
        {"{", {"{"}, {}},
        {"a}b]c>", {"a}b]c>"}, {}},
        {"\\q\\e", {"qe"}, {"\\q\\e"}},  // any escaped character is itself
    });
}

TEST_CASE("lucene_regex: shorthand classes (Lucene 9)", "[lucene_regex]") {
    check_cases({
        {"\\d+", {"0", "123"}, {"a", "", "١"}},
        {"\\D", {"a", "-"}, {"5"}},
        {"a\\sb",
         {"a b", "a\tb", "a\nb",
          "a\x0b"
          "b",
          "a\fb", "a\rb"},
         {"ab", "a_b"}},
        {"\\S+", {"abc"}, {"a b"}},
        {"\\w+", {"abc_XYZ_09"}, {"a-b", "é"}},
        {"\\W", {"-", "é", " "}, {"a", "_"}},
        {"[\\d\\s]+", {"1 2 3"}, {"1a"}},
        {"[^\\d]", {"a"}, {"1"}},
        {"/var/run/\\w+\\.(pid|lock|reboot)", {"/var/run/sshd.pid"}, {"/var/run/.pid", "/var/run/a/b.pid"}},
    });
    LuceneRegexOptions old;
    old.shorthand_classes = false;
    const RegexMatcher literal_d = make("\\d\\w", false, old);
    CHECK(literal_d.matches("dw"));
    CHECK_FALSE(literal_d.matches("1a"));
}

TEST_CASE("lucene_regex: numeric intervals", "[lucene_regex]") {
    check_cases({
        {"<1-100>", {"1", "9", "10", "99", "100", "007", "0100"}, {"0", "101", "1000", "", "a"}},
        {"<0-5>", {"0", "5"}, {"6", "10", "00"}},  // same width: exactly one digit
        {"<0-10>", {"0", "5", "10", "00", "0005", "010"}, {"11", ""}},
        {"<01-10>", {"01", "05", "10"}, {"1", "5", "11", "001", "00"}},
        {"<10-01>", {"01", "10"}, {"1"}},  // bounds are swapped like Lucene does
        {"<123-4567>", {"123", "999", "1000", "4567", "4000", "0200"}, {"122", "4568", "5000", "12"}},
        {"<100-199>", {"100", "150", "199"}, {"99", "200", "1000"}},
        {"<007-007>", {"007"}, {"7", "07"}},
        {"port<8000-8099>", {"port8000", "port8080", "port8099"}, {"port8100", "port7999"}},
    });
}

TEST_CASE("lucene_regex: case-insensitive is ASCII-only", "[lucene_regex]") {
    check_cases(
        {
            {"abc", {"abc", "ABC", "aBc"}, {"abd"}},
            {"%systemroot%\\\\[a-z0-9]+\\.exe",
             {"%SystemRoot%\\CMD.EXE", "%systemroot%\\a1.exe"},
             {"%systemroot%\\a\\b.exe"}},
            {"[^a]", {"b", "B"}, {"a", "A"}},
            {"[A-C]+", {"abc", "ABC"}, {"d"}},
            {"\"XyZ\"", {"xyz"}, {"xy"}},
            {"é", {"é"}, {"É"}},  // non-ASCII letters keep their case, as with ASCII_CASE_INSENSITIVE
            {"\\w", {"A", "a"}, {"-"}},
        },
        true);
}

TEST_CASE("lucene_regex: real rule patterns", "[lucene_regex]") {
    check_cases({
        {".*[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}.*", {"curl http://10.0.0.1/x"}, {"curl http://host/x"}},
        {".*\\.(top|buzz|xyz)", {"evil.xyz", "a.b.top"}, {"xyz", "a.topx"}},
        {"C:\\\\Program Files( \\(x86\\))?\\\\.*",
         {"C:\\Program Files\\a", "C:\\Program Files (x86)\\a"},
         {"C:\\Program Filesx\\a"}},
        {"\\\".*\\.exe[^\\\"].*", {"\"a.exe x"}, {"\"a.exe\""}},
    });
}

TEST_CASE("lucene_regex: translations", "[lucene_regex]") {
    auto t = translate_lucene_regex("a.b", false);
    REQUIRE(std::holds_alternative<LuceneRegexTranslation>(t));
    CHECK(std::get<LuceneRegexTranslation>(t).re2_pattern == "(?s)^(?:a.b)$");
    CHECK_FALSE(std::get<LuceneRegexTranslation>(t).literal);
    auto lit = translate_lucene_regex("abc\\.\"d|e\"", false);
    REQUIRE(std::holds_alternative<LuceneRegexTranslation>(lit));
    REQUIRE(std::get<LuceneRegexTranslation>(lit).literal);
    CHECK(*std::get<LuceneRegexTranslation>(lit).literal == "abc.d|e");
    auto ci_lit = translate_lucene_regex("abc", true);
    CHECK_FALSE(std::get<LuceneRegexTranslation>(ci_lit).literal);
}

TEST_CASE("lucene_regex: refused constructs name the construct and offset", "[lucene_regex]") {
    RegexError e = refused("ab~c");
    CHECK(e.message.find("complement") != std::string::npos);
    CHECK(e.offset == 2);
    e = refused("~a");
    CHECK(e.offset == 0);
    e = refused("abc&def");
    CHECK(e.message.find("intersection") != std::string::npos);
    CHECK(e.offset == 3);
    e = refused("日&x");
    CHECK(e.offset == 3);  // byte offset
    e = refused("<name>");
    CHECK(e.message.find("named automaton") != std::string::npos);
    CHECK(refused("(ab").message.find("')'") != std::string::npos);
    CHECK(refused("ab)").offset == 2);
    CHECK(refused("[ab").message.find("']'") != std::string::npos);
    CHECK(refused("\"ab").message.find("'\"'") != std::string::npos);
    CHECK(refused("a{").message.find("integer") != std::string::npos);
    CHECK(refused("a{2").message.find("'}'") != std::string::npos);
    CHECK(refused("a{,3}").message.find("integer") != std::string::npos);
    CHECK(refused("a{1001}").message.find("1000") != std::string::npos);
    CHECK(refused("[z-a]").message.find("range") != std::string::npos);
    CHECK(!refused("a\\").message.empty());
    CHECK(!refused("a|").message.empty());
    CHECK(!refused("<1-x>").message.empty());
    CHECK(!refused("<-5>").message.empty());
    CHECK(!refused("\xFF").message.empty());
}

TEST_CASE("lucene_regex: a list of patterns is ORed", "[lucene_regex]") {
    auto r = RegexMatcher::compile(std::vector<std::string>{"a+", "b|c", "\\d{2}"}, false);
    REQUIRE(std::holds_alternative<RegexMatcher>(r));
    const auto& m = std::get<RegexMatcher>(r);
    CHECK(m.matches("aaa"));
    CHECK(m.matches("c"));
    CHECK(m.matches("42"));
    CHECK_FALSE(m.matches("ab"));
    CHECK_FALSE(m.matches("4"));
    auto bad = RegexMatcher::compile(std::vector<std::string>{"ok", "x&y"}, false);
    REQUIRE(std::holds_alternative<RegexError>(bad));
    CHECK(std::get<RegexError>(bad).index == 1);
    CHECK(std::get<RegexError>(bad).offset == 1);
    auto none = RegexMatcher::compile(std::vector<std::string>{}, false);
    REQUIRE(std::holds_alternative<RegexMatcher>(none));
    CHECK_FALSE(std::get<RegexMatcher>(none).matches(""));
}
