#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "matchers/literal_set.hpp"

using eqlc::matchers::LiteralSet;
using eqlc::matchers::NumberSet;

TEST_CASE("literal_set: case-sensitive `in`", "[literal_set]") {
    const LiteralSet set = LiteralSet::compile({"cmd.exe", "powershell.exe", "", "winini*.exe"}, false);
    CHECK(set.size() == 4);
    CHECK(set.contains("cmd.exe"));
    CHECK(set.contains(""));
    CHECK_FALSE(set.contains("CMD.EXE"));
    CHECK_FALSE(set.contains("cmd.ex"));
    CHECK(set.contains("winini*.exe"));  // wildcards are literal in `in`
    CHECK_FALSE(set.contains("wininit.exe"));
    const std::string owner = "powershell.exe and more";
    CHECK(set.contains(std::string_view(owner).substr(0, 14)));
}

TEST_CASE("literal_set: case-insensitive `in~`", "[literal_set]") {
    const LiteralSet set = LiteralSet::compile({"CMD.EXE", "Été", "cmd.exe", "ΟΔΟΣ"}, true);
    CHECK(set.size() == 3);  // CMD.EXE and cmd.exe fold to the same key
    CHECK(set.case_insensitive());
    CHECK(set.contains("cmd.exe"));
    CHECK(set.contains("Cmd.Exe"));
    CHECK(set.contains("ÉTÉ"));
    CHECK(set.contains("οδος"));
    CHECK(set.contains_folded("été"));
    CHECK_FALSE(set.contains_folded("ÉTÉ"));
    CHECK_FALSE(set.contains("winini*.exe"));
    CHECK_FALSE(LiteralSet::compile({}, true).contains(""));
}

TEST_CASE("literal_set: numbers compare by value", "[literal_set]") {
    const NumberSet set = NumberSet::compile({1, 2, -7, 9007199254740993LL}, {2.5, 3.0, -0.0, std::nan("")});
    CHECK(set.contains(std::int64_t{1}));
    CHECK(set.contains(1.0));
    CHECK(set.contains(std::int64_t{3}));  // 3.0 in the list
    CHECK(set.contains(3.0));
    CHECK(set.contains(2.5));
    CHECK_FALSE(set.contains(std::int64_t{4}));
    CHECK_FALSE(set.contains(2.4));
    CHECK(set.contains(0.0));  // -0.0 == 0
    CHECK(set.contains(std::int64_t{0}));
    CHECK(set.contains(std::int64_t{-7}));
    CHECK(set.contains(-7.0));
    CHECK_FALSE(set.contains(std::nan("")));
    CHECK(set.contains(std::int64_t{9007199254740993LL}));  // exact beyond 2^53
    CHECK_FALSE(set.contains(std::int64_t{9007199254740992LL}));
    CHECK_FALSE(set.contains(std::numeric_limits<double>::infinity()));
    const NumberSet big = NumberSet::compile({}, {1e300, 9223372036854775808.0});
    CHECK(big.contains(1e300));
    CHECK(big.contains(9223372036854775808.0));
    CHECK_FALSE(big.contains(std::numeric_limits<std::int64_t>::max()));
}
