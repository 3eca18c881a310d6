// `eqlc --check --schema ecs|FILE`: field checks from the command line, their output and exit status.
#include <catch2/catch.hpp>

#include <regex>

#include "support/cli_runner.hpp"
#include "support/shared_data.hpp"

using eqlc::test::run_eqlc;
using eqlc::test::TempDir;

TEST_CASE("eqlc --check --schema ecs: warnings with positions and suggestions, status 0", "[schema-check][cli]") {
    TempDir dir;
    const auto rule = dir.write("typo.eql", "process where\n  proces.name : \"cmd.exe\" and ?process.Ext.x == 1\n");
    const auto r = run_eqlc({"--check", "--schema", "ecs", rule.string()});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.err.find(rule.string() + ":2:3: warning: Unknown field [proces.name]: not in ECS 9.4.0 (compile)\n"
                                     "    proces.name : \"cmd.exe\" and ?process.Ext.x == 1\n"
                                     "    ^~~~~~~~~~~\n"
                                     "  hint: did you mean [process.name]?\n") != std::string::npos);
    CHECK(r.out == rule.string() + ": valid (rule \"typo\"), 1 warning\n");
    CHECK(r.err.find("eqlc: 1 query checked against ECS 9.4.0: 1 warning (1 unknown field), 0 errors\n") !=
          std::string::npos);
    // Without --schema, the same query is simply valid.
    const auto plain = run_eqlc({"--check", rule.string()});
    CHECK(plain.status == 0);
    CHECK(plain.err.empty());
}

TEST_CASE("eqlc --check --schema: errors give status 2; a second schema; a rule's own fields", "[schema-check][cli]") {
    TempDir dir;
    const auto bad = run_eqlc({"--check", "--schema", "ecs", "-e", "process where process.pid == \"abc\""});
    CHECK(bad.status == 2);
    CHECK(bad.err.find("<query>:1:30: error: cannot compare field [process.pid] of type [long] with [\"abc\"]: not a "
                       "number (compile)") != std::string::npos);
    CHECK(bad.out.empty());

    const auto extra = dir.write("defend.json", R"({"mappings":{"properties":{"process":{"properties":{
        "Ext":{"type":"object"}}}}}})");
    const char* query = "process where process.Ext.api.name == \"VirtualAlloc\"";
    CHECK(run_eqlc({"--check", "--schema", "ecs", "-e", query}).err.find("Unknown field [process.Ext.api.name]") !=
          std::string::npos);
    const auto both = run_eqlc({"--check", "--schema", "ecs", "--schema", extra.string(), "-e", query});
    INFO(both.err);
    CHECK(both.status == 0);
    CHECK(both.out == "<query>: valid\n");
    CHECK(both.err == "eqlc: 1 query checked against ECS 9.4.0 and " + extra.string() +
                          ": 0 warnings (0 unknown fields), 0 errors\n");

    // A TOML rule's timestamp_override is one of its fields, reported in the rule file.
    const auto toml = dir.write("r.toml", R"([rule]
name = "override"
rule_id = "x"
type = "eql"
language = "eql"
timestamp_override = "event.ingestd"
query = '''
process where process.name == "a"
'''
)");
    const auto r = run_eqlc({"--check", "--schema", "ecs", toml.string()});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.err.find(toml.string() + ":8:1: warning: Unknown field [event.ingestd] (the timestamp field)") !=
          std::string::npos);
    CHECK(r.err.find("hint: did you mean [event.ingested]?") != std::string::npos);
}

TEST_CASE("eqlc --schema: usage and unusable schemas; --help documents it", "[schema-check][cli]") {
    TempDir dir;
    CHECK(run_eqlc({"--schema", "ecs", "-e", "any where true"}).status == 2);
    const auto usage = run_eqlc({"--schema", "ecs", "-e", "any where true"});
    CHECK(usage.err.find("--schema goes with --check") != std::string::npos);
    const auto missing = run_eqlc({"--check", "--schema", (dir.path() / "nope.json").string(), "-e", "any where x"});
    CHECK(missing.status == 2);
    CHECK(missing.err.find("cannot read schema") != std::string::npos);
    const auto junk = dir.write("junk.json", "{not json");
    const auto unusable = run_eqlc({"--check", "--schema", junk.string(), "-e", "any where x"});
    CHECK(unusable.status == 2);
    CHECK(unusable.err.find("not a usable mapping") != std::string::npos);
    const auto help = run_eqlc({"--help"});
    CHECK(help.out.find("--schema ecs|FILE") != std::string::npos);
    CHECK(help.out.find("ECS 9.4.0") != std::string::npos);
}

TEST_CASE("eqlc --check --schema ecs over the rule corpus: no rule refused", "[schema-check][cli][corpus]") {
    EQLC_REQUIRE_SHARED(dir, "corpus/detection-rules/toml");
    const auto r = run_eqlc({"--check", "--schema", "ecs", dir->string()});
    CHECK(r.status == 0);
    const std::regex summary(
        "eqlc: ([0-9]+) queries checked against ECS 9.4.0: ([0-9]+) warnings \\(([0-9]+) unknown "
        "fields\\), 0 errors\n");
    std::smatch m;
    REQUIRE(std::regex_search(r.err, m, summary));
    CHECK(std::stoul(m[1]) >= 500);  // 562 EQL rules
}
