// eqlc's rule index from the command line: --stats and --explain show it, --no-rule-index turns it off, and the
// alerts are the same either way.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "support/cli_runner.hpp"
#include "support/wmi_rule.hpp"

using eqlc::test::run_eqlc;
using eqlc::test::TempDir;

TEST_CASE("eqlc --stats and --explain show the rule index; --no-rule-index gives the same alerts", "[cli][index]") {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "rules");
    std::filesystem::copy_file(eqlc::test::wmi_rule_toml(), dir.path() / "rules" / "wmi.toml");
    dir.write("rules/cmd.eql", R"(process where process.name : ("cmd.exe", "powershell.exe"))");
    dir.write("rules/wmiprvse.eql", R"(process where process.parent.name like~ "wmiprvse*")");
    dir.write("rules/long.eql", "any where length(process.name) > 10");
    const std::string rules = (dir.path() / "rules").string();
    const std::string defend = eqlc::test::wmi_defend_samples().string();
    const std::string sysmon = eqlc::test::wmi_sysmon_samples().string();

    const auto with = run_eqlc({"--stats", rules, defend, sysmon});
    REQUIRE(with.status == 1);
    INFO(with.err);
    // The WMI rule's two terms, cmd and wmiprvse are indexed; length() gives no key.
    const std::regex stats_line("  rule index +4 terms on [0-9]+ fields, 1 run on every event\n");
    CHECK(std::regex_search(with.err, stats_line));
    const auto without = run_eqlc({"--stats", "--no-rule-index", rules, defend, sysmon});
    CHECK(without.status == 1);
    CHECK(without.out == with.out);
    CHECK(without.err.find("rule index") == std::string::npos);

    const auto explain = run_eqlc({"--explain", rules});
    CHECK(explain.status == 0);
    CHECK(explain.out.find("# rule index: 4 of 5 terms indexed on") != std::string::npos);
    CHECK(explain.out.find("  term 0: process.parent.name : \"wmiprvse*\"\n") != std::string::npos);
    CHECK(explain.out.find("  term 0: none: always run\n") != std::string::npos);
    CHECK(explain.out.find("  term 0: process.name in~ 2 values\n") != std::string::npos);
    CHECK(run_eqlc({"--explain", "--no-rule-index", rules}).out.find("rule index") == std::string::npos);

    const auto help = run_eqlc({"--help"});
    CHECK(help.out.find("--no-rule-index") != std::string::npos);
}
