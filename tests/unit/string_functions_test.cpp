// EQL string functions (SEMANTICS §6) and the UTF-16 index helpers they rely on.
#include <catch2/catch.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "text/utf16.hpp"
#include "values/string_functions.hpp"

using namespace std::string_literals;
using namespace std::string_view_literals;
using eqlc::vm::between;
using eqlc::vm::ends_with;
using eqlc::vm::index_of;
using eqlc::vm::starts_with;
using eqlc::vm::string_contains;
using eqlc::vm::string_length;
using eqlc::vm::substring;

namespace {

// "a😀b": U+1F600 is 4 UTF-8 bytes and 2 UTF-16 units, so the string is 4 units long.
constexpr std::string_view kAstral =
    "a\xF0\x9F\x98\x80"
    "b";
constexpr std::string_view kGrin = "\xF0\x9F\x98\x80";
constexpr std::string_view kFffd = "\xEF\xBF\xBD";

std::optional<std::int64_t> idx(std::int64_t v) { return v; }
constexpr std::optional<std::int64_t> kNull = std::nullopt;

}  // namespace

TEST_CASE("utf16 lengths and offsets", "[string_functions]") {
    using namespace eqlc::text;
    CHECK(utf16_length("") == 0);
    CHECK(utf16_length("hello") == 5);
    CHECK(utf16_length("h\xC3\xA9llo") == 5);  // é: 2 bytes, 1 unit
    CHECK(utf16_length("\xE2\x82\xAC") == 1);  // €: 3 bytes, 1 unit
    CHECK(utf16_length(kAstral) == 4);         // astral: 2 units
    CHECK(utf16_length("\xFF"
                       "a\xC3") == 3);         // each invalid byte counts as one U+FFFD
    CHECK(utf16_length("\xED\xA0\x80") == 3);  // an encoded surrogate is invalid: 3 bytes, 3 units
    CHECK(utf16_length("\xC0\x80") == 2);      // overlong NUL is invalid

    CHECK(utf16_offset_of_byte(kAstral, 0) == 0);
    CHECK(utf16_offset_of_byte(kAstral, 1) == 1);
    CHECK(utf16_offset_of_byte(kAstral, 5) == 3);
    CHECK(utf16_offset_of_byte(kAstral, 6) == 4);
    CHECK(utf16_offset_of_byte(kAstral, 100) == 4);

    CHECK(byte_offset_of_utf16(kAstral, 0).byte_offset == 0);
    CHECK(byte_offset_of_utf16(kAstral, 1).byte_offset == 1);
    CHECK_FALSE(byte_offset_of_utf16(kAstral, 1).splits_pair);
    CHECK(byte_offset_of_utf16(kAstral, 2).byte_offset == 1);
    CHECK(byte_offset_of_utf16(kAstral, 2).splits_pair);
    CHECK(byte_offset_of_utf16(kAstral, 3).byte_offset == 5);
    CHECK(byte_offset_of_utf16(kAstral, 4).byte_offset == 6);
    CHECK(byte_offset_of_utf16(kAstral, 9).byte_offset == 6);

    std::string out;
    append_utf8(U'\u00E9', out);
    append_utf8(U'\U0001F600', out);
    append_utf8(0xD800, out);  // a lone surrogate cannot be UTF-8
    CHECK(out == "\xC3\xA9"s + std::string(kGrin) + std::string(kFffd));
}

TEST_CASE("compare_utf16 orders like Java String.compareTo", "[string_functions]") {
    using eqlc::text::compare_utf16;
    CHECK(compare_utf16("abc", "abc") == 0);
    CHECK(compare_utf16("abc", "abd") < 0);
    CHECK(compare_utf16("ab", "abc") < 0);
    CHECK(compare_utf16("b", "a") > 0);
    CHECK(compare_utf16("B", "a") < 0);  // case-sensitive: 'B' (0x42) < 'a' (0x61)
    // U+FF21 (fullwidth A, BMP) vs U+1F600 (surrogates D83D DE00): UTF-16 puts the astral one first, although
    // its UTF-8 bytes (F0...) sort after EF....
    CHECK(compare_utf16("\xEF\xBC\xA1", kGrin) > 0);
    CHECK(compare_utf16(kGrin, "\xEF\xBC\xA1") < 0);
    CHECK(compare_utf16("\xE2\x82\xAC", "\xC3\xA9") > 0);  // € U+20AC > é U+00E9
}

TEST_CASE("between", "[string_functions]") {
    const std::string_view path = "C:\\Windows\\System32\\cmd.exe";
    SECTION("documented examples") {
        CHECK(between(path, "System32\\", ".exe", false, false) == "cmd");
        CHECK(between(path, "system32\\", ".exe", false, true) == "cmd");
        CHECK(between(path, "system32\\", ".exe", false, false) == "");
        CHECK(between(path, "workspace\\", ".exe", false, false) == "");
        CHECK(between(path, "\\", "\\", false, false) == "Windows");
        CHECK(between(path, "\\", "\\", true, false) == "Windows\\System32");
        CHECK(between("", "System32\\", ".exe", false, false) == "");
        CHECK(between("", "", "", false, false) == "");
    }
    SECTION("QA specs between1..3 and the case-insensitive ones") {
        const std::string_view idle = "System Idle Process";
        CHECK(between(idle, "S", "e", true, false) == "ystem Idle Proc");  // between1
        CHECK(between(idle, "s", "e", true, true) == "ystem Idle Proc");   // betweenCaseInsensitive3
        CHECK(between(idle, "s", "E", false, true) == "yst");              // betweenCaseInsensitive1/2
        CHECK(between(idle, "s", "e", false, false) == "t");               // betweenCaseSensitive
        const std::string_view json = "C:\\Users\\dev\\TestLogs\\something.json";
        CHECK(between(json, "dev", ".json", false, false) == "\\TestLogs\\something");  // between2
        CHECK(between(json, "dev", ".json", true, false) == "\\TestLogs\\something");   // between3
    }
    SECTION("an empty left or right returns the source unchanged") {
        CHECK(between("abc", "", "c", false, false) == "abc");
        CHECK(between("abc", "a", "", false, false) == "abc");
        CHECK(between("abc", "", "", true, true) == "abc");
    }
    SECTION("not found") {
        CHECK(between("abc", "x", "c", false, false) == "");
        CHECK(between("abc", "a", "x", false, false) == "");
        CHECK(between("abc", "a", "x", true, false) == "");
    }
    SECTION("right is searched after the end of left; greedy takes the last right") {
        CHECK(between("a-b-c-d", "-", "-", false, false) == "b");
        CHECK(between("a-b-c-d", "-", "-", true, false) == "b-c");
        CHECK(between("aXa", "a", "a", false, false) == "X");
        CHECK(between("abab", "ab", "ab", false, false) == "");  // right found right after left
        CHECK(between("ab", "a", "b", false, false) == "");
    }
    SECTION("greedy with the last right before the end of left gives \"\" (Java would throw)") {
        CHECK(between("xay", "a", "x", true, false) == "");
        CHECK(between("aXa", "aX", "X", true, false) == "");
    }
    SECTION("case-insensitive returns a substring of the original") {
        CHECK(between("FOO[Bar]BAZ", "[", "]", false, true) == "Bar");
        CHECK(between("xxSTARTyyENDzz", "start", "end", false, true) == "yy");
        // É lowers to é: same lengths.
        CHECK(between("\xC3\x89"
                      "A[\xC3\x89]",
                      "\xC3\xA9"
                      "a[",
                      "]", false, true) == "\xC3\x89");
    }
    SECTION("case-insensitive when lowering changes byte lengths") {
        // U+212A KELVIN SIGN (3 bytes) lowers to 'k' (1 byte): positions must be mapped back.
        const std::string src =
            "\xE2\x84\xAA\xE2\x84\xAA"
            "ab[Value]";
        CHECK(between(src, "KKAB[", "]", false, true) == "Value");
        CHECK(between(src, "b", "]", false, true) == "[Value");
        // U+0130 (İ, 2 bytes, 1 unit) lowers to "i̇" (3 bytes, 2 units).
        const std::string dotted = "\xC4\xB0x<Mid>\xC4\xB0y";
        CHECK(between(dotted, "<", ">", false, true) == "Mid");
        CHECK(between(dotted, "x", "y", false, true) == "<Mid>\xC4\xB0");
        CHECK(between(dotted, "x", "y", true, true) == "<Mid>\xC4\xB0");
        // A left that ends inside the lowered form of İ ("i" without the combining dot) excludes that character.
        CHECK(between("\xC4\xB0x", "i", "x", false, true) == "");
    }
    SECTION("astral characters pass through") {
        const std::string src = "<"s + std::string(kGrin) + ">";
        CHECK(between(src, "<", ">", false, false) == kGrin);
        CHECK(between(src, "<", ">", false, true) == kGrin);
    }
}

TEST_CASE("startsWith and endsWith", "[string_functions]") {
    CHECK(starts_with("explorer.exe", "explorer.", false));
    CHECK_FALSE(starts_with("EXPLORER.EXE", "explorer.", false));
    CHECK(starts_with("EXPLORER.EXE", "explorer.", true));
    CHECK(starts_with("explorer.exe", "expLORER.ExE", true));
    CHECK_FALSE(starts_with("exp", "explorer", true));
    CHECK(starts_with("", "", false));
    CHECK(starts_with("", "", true));
    CHECK(starts_with("abc", "", false));
    CHECK_FALSE(starts_with("", "a", false));
    CHECK(starts_with("explorer.exeaAAAA", "EXPLORER.exe", true));  // QA endsWithAndCondition

    CHECK(ends_with("explorer.exe", "lorer.exe", false));
    CHECK_FALSE(ends_with("explorer.exe", "loREr.exe", false));
    CHECK(ends_with("explorer.exe", "loREr.exe", true));
    CHECK(ends_with("", "", false));
    CHECK(ends_with("abc", "", true));
    CHECK_FALSE(ends_with("bc", "abc", true));

    // Non-ASCII folding: "ÉCOLE" starts with "éc" only case-insensitively; the Kelvin sign folds to 'k'.
    CHECK(
        starts_with("\xC3\x89"
                    "COLE",
                    "\xC3\xA9"
                    "c",
                    true));
    CHECK_FALSE(
        starts_with("\xC3\x89"
                    "COLE",
                    "\xC3\xA9"
                    "c",
                    false));
    CHECK(ends_with("5\xE2\x84\xAA", "k", true));
    CHECK(ends_with("ab"s + std::string(kGrin), kGrin, false));
}

TEST_CASE("indexOf", "[string_functions]") {
    const std::string_view domain = "subdomain.example.com";
    SECTION("documented behaviour") {
        CHECK(index_of(domain, "d", std::nullopt, false) == idx(3));
        CHECK(index_of(domain, "D", std::nullopt, false) == kNull);
        CHECK(index_of(domain, "D", std::nullopt, true) == idx(3));
        CHECK(index_of(domain, ".", std::nullopt, false) == idx(9));
        CHECK(index_of(domain, ".", 9, false) == idx(9));
        CHECK(index_of(domain, ".", 10, false) == idx(17));
        CHECK(index_of(domain, ".", -4, false) == idx(9));  // negative start = 0
        CHECK(index_of(domain, "d", 4, false) == kNull);
        CHECK(index_of(domain, "thing that never happened", std::nullopt, false) == kNull);
    }
    SECTION("QA specs indexOf1..11 on file_name explorer.exe / EXPLORER.EXE") {
        CHECK(index_of("explorer.exe", "plore", std::nullopt, true) == idx(2));
        CHECK(index_of("EXPLORER.EXE", "plore", std::nullopt, true) == idx(2));
        CHECK(index_of("explorer.exe", ".pf", std::nullopt, true) == kNull);
        CHECK(index_of("explorer.exe", "plore", 100, false) == kNull);
        CHECK(index_of("explorer.exe", "plorer.", 0, false) == idx(2));
        CHECK(index_of("EXPLORER.EXE", "plorer.", 0, false) == kNull);
        CHECK(index_of("explorer.exe", "plorer.", 2, false) == idx(2));
        CHECK(index_of("explorer.exe", "plorer.", 4, false) == kNull);
        CHECK(index_of("EXPLORER.EXE", "pLOrer.", 2, true) == idx(2));
        CHECK(index_of("explorer.exe", "explorer.", 0, false) == idx(0));
    }
    SECTION("empty needle returns the start, clamped to the length (Java String.indexOf)") {
        CHECK(index_of("abc", "", std::nullopt, false) == idx(0));
        CHECK(index_of("abc", "", 2, false) == idx(2));
        CHECK(index_of("abc", "", 3, false) == idx(3));
        CHECK(index_of("abc", "", 100, false) == idx(3));
        CHECK(index_of("abc", "", -5, true) == idx(0));
        CHECK(index_of("", "", std::nullopt, false) == idx(0));
        CHECK(index_of("", "a", std::nullopt, false) == kNull);
    }
    SECTION("start is read with Java intValue (low 32 bits)") {
        CHECK(index_of("abcabc", "a", (std::int64_t{1} << 32) + 1, false) == idx(3));
        CHECK(index_of("abcabc", "a", std::int64_t{1} << 32, false) == idx(0));
    }
    SECTION("positions count UTF-16 units") {
        CHECK(index_of("h\xC3\xA9llo", "l", std::nullopt, false) == idx(2));
        CHECK(index_of(kAstral, "b", std::nullopt, false) == idx(3));
        CHECK(index_of(kAstral, kGrin, std::nullopt, false) == idx(1));
        CHECK(index_of(kAstral, "b", 2, false) == idx(3));  // start between the two surrogates
        CHECK(index_of(kAstral, kGrin, 2, false) == kNull);
        CHECK(index_of(kAstral, "", 2, false) == idx(2));  // Java returns the odd index as is
        CHECK(index_of(kAstral, "b", 4, false) == kNull);
        CHECK(index_of(std::string(kGrin) + std::string(kGrin) + "x", "x", std::nullopt, true) == idx(4));
    }
    SECTION("case-insensitive positions refer to the original string") {
        // Kelvin sign: 3 bytes -> 1 byte when lowered, still 1 unit.
        CHECK(index_of("\xE2\x84\xAA\xE2\x84\xAA"
                       "ab",
                       "AB", std::nullopt, true) == idx(2));
        CHECK(index_of("\xE2\x84\xAA\xE2\x84\xAA"
                       "ab",
                       "k", 1, true) == idx(1));
        // İ lowers to 2 units; eqlc reports positions in the original (Java would say 3 here).
        CHECK(index_of("\xC4\xB0"
                       "ab",
                       "b", std::nullopt, true) == idx(2));
    }
}

TEST_CASE("length", "[string_functions]") {
    CHECK(string_length("") == 0);
    CHECK(string_length("explorer.exe") == 12);
    CHECK(string_length("h\xC3\xA9llo") == 5);
    CHECK(string_length(kAstral) == 4);
}

TEST_CASE("substring", "[string_functions]") {
    const std::string_view name = "start regsvr32.exe";
    SECTION("documented examples") {
        CHECK(substring(name, 0, std::nullopt) == "start regsvr32.exe");
        CHECK(substring(name, 0, 5) == "start");
        CHECK(substring(name, 6, 14) == "regsvr32");
        CHECK(substring(name, -4, std::nullopt) == ".exe");
        CHECK(substring(name, -4, -1) == ".ex");
    }
    SECTION("QA substring1..5 on explorer.exe") {
        CHECK(substring("explorer.exe", 0, 4) == "expl");
        CHECK(substring("explorer.exe", 1, 3) == "xp");
        CHECK(substring("explorer.exe", -4, std::nullopt) == ".exe");
        CHECK(substring("explorer.exe", -4, -1) == ".ex");
    }
    SECTION("python slice clamping") {
        CHECK(substring("abc", -100, std::nullopt) == "abc");
        CHECK(substring("abc", -100, 100) == "abc");
        CHECK(substring("abc", 2, 1) == "");
        CHECK(substring("abc", 1, 1) == "");
        CHECK(substring("abc", 3, std::nullopt) == "");
        CHECK(substring("abc", 10, 20) == "");
        CHECK(substring("abc", 0, -100) == "");
        CHECK(substring("abc", -1, std::nullopt) == "c");
        CHECK(substring("", 0, 5) == "");
        CHECK(substring("", -1, std::nullopt) == "");
    }
    SECTION("UTF-16 positions, split surrogate pairs become U+FFFD") {
        CHECK(substring("h\xC3\xA9llo", 1, 2) == "\xC3\xA9");
        CHECK(substring(kAstral, 1, 3) == kGrin);
        CHECK(substring(kAstral, 0, 2) == "a"s + std::string(kFffd));
        CHECK(substring(kAstral, 2, std::nullopt) == std::string(kFffd) + "b");
        CHECK(substring(kAstral, -2, std::nullopt) == std::string(kFffd) + "b");
        CHECK(substring(kAstral, 2, 3) == kFffd);
        CHECK(substring(kAstral, 1, 2) == kFffd);
        CHECK(substring(kAstral, -1, std::nullopt) == "b");
    }
}

TEST_CASE("stringContains", "[string_functions]") {
    CHECK(string_contains("ABCDEFGHIexplorer.exeJKLMNOP", "explorer.exe", false));  // QA stringContains2
    CHECK_FALSE(string_contains("ABCDEFGHIexplorer.exeJKLMNOP", "EXPLORER.exe", false));
    CHECK(string_contains("ABCDEFGHIexplorer.exeJKLMNOP", "EXPLORER.exe", true));
    CHECK(string_contains("Windows 10 Pro", "10", true));
    CHECK_FALSE(string_contains("", "", false));
    CHECK_FALSE(string_contains("", "", true));
    CHECK_FALSE(string_contains("abc", "", false));
    CHECK_FALSE(string_contains("", "a", true));
    CHECK(
        string_contains("\xC3\x89"
                        "COLE",
                        "\xC3\xA9"
                        "co",
                        true));
}

TEST_CASE("concat joins stringified pieces", "[string_functions]") {
    const std::array<std::string_view, 4> pieces{"5", ":", "wininit.exe", "3"};
    CHECK(eqlc::vm::concat(pieces) == "5:wininit.exe3");
    const std::array<std::string_view, 1> one{"a"};
    CHECK(eqlc::vm::concat(one) == "a");
    std::string out = "x";
    eqlc::vm::append_concat(pieces, out);
    CHECK(out == "x5:wininit.exe3");
}
