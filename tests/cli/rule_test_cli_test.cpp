// `eqlc test`: rule test files (X.test.toml) run from the command line — the shipped WMI rule's cases, a broken copy
// of the rule, JUnit output, and test files that are wrong in each way a person writes them wrong.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "support/cli_runner.hpp"
#include "support/files.hpp"
#include "support/wmi_rule.hpp"

namespace {

namespace fs = std::filesystem;
using eqlc::test::run_eqlc;
using eqlc::test::TempDir;

size_t count_lines_starting(const std::string& text, const std::string& prefix) {
    size_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0;
    return n;
}

// A copy of the shipped rules folder (rule, test file, samples) to break.
void copy_rules(const TempDir& dir) {
    fs::copy(eqlc::test::rules_dir(), dir.path() / "rules", fs::copy_options::recursive);
}

void replace_in(const fs::path& file, const std::string& from, const std::string& to) {
    std::string text = eqlc::test::read_text(file);
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

const std::string kEvent1 =
    R"({"@timestamp":"2026-01-01T00:00:00Z","event":{"id":"a","category":"process"},"process":{"name":"cmd.exe"}})";
const std::string kEvent2 =
    R"({"@timestamp":"2026-01-01T00:00:01Z","event":{"id":"b","category":"process"},"process":{"name":"calc.exe"}})";

std::string toml_literal(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("eqlc test passes on the shipped rule and its samples", "[rule-test][cli]") {
    const auto r = run_eqlc({"test", eqlc::test::rules_dir().string()});
    INFO(r.out << r.err);
    CHECK(r.status == 0);
    // Every scenario of both sample files has a case, and each file a whole-file case.
    const size_t cases = count_lines_starting(r.out, "PASS ");
    CHECK(cases >= 70);
    CHECK(count_lines_starting(r.out, "FAIL ") == 0);
    CHECK(r.out.find(std::to_string(cases) + " passed, 0 failed") != std::string::npos);
    CHECK(r.out.find("maxspan-20.001s") != std::string::npos);
}

TEST_CASE("eqlc test fails with a readable diff and the reason on a broken rule", "[rule-test][cli]") {
    TempDir dir;
    copy_rules(dir);
    const fs::path rule = dir.path() / "rules" / "wmi_incoming_lateral_movement.toml";
    SECTION("maxspan shortened") {
        replace_in(rule, "maxspan = 20s", "maxspan = 1s");
        const auto r = run_eqlc({"test", (dir.path() / "rules").string()});
        INFO(r.out << r.err);
        CHECK(r.status == 1);
        // The scenario whose events are 1.25 s apart now fails; the one with two children 1 s apart still passes.
        CHECK(r.out.find("FAIL ") != std::string::npos);
        CHECK(std::regex_search(r.out, std::regex("FAIL .*wmi_defend.ndjson: wmic-cmd ")));
        CHECK(std::regex_search(r.out, std::regex("PASS .*wmi_defend.ndjson: maxspan-20.001s")));
        CHECK(r.out.find("expected") != std::string::npos);
        CHECK(r.out.find("actual") != std::string::npos);
        CHECK(r.out.find("alert 1 [wmic-cmd:net, wmic-cmd:proc] did not fire: maxspan exceeded by 0.25 s") !=
              std::string::npos);
        CHECK(r.out.find("stage 1  passed 1  started 1  expired 1") != std::string::npos);  // the stage counters
        CHECK(std::regex_search(r.out, std::regex("\\d+ passed, \\d+ failed")));
        CHECK(r.out.find(" 0 failed") == std::string::npos);
    }
    SECTION("a condition changed: the failure names the stage, the condition and the value seen") {
        replace_in(rule, "process.parent.name : \"WmiPrvSE.exe\"", "process.parent.name : \"WmiPrvSE2.exe\"");
        const auto r = run_eqlc({"test", rule.string()});
        INFO(r.out << r.err);
        CHECK(r.status == 1);
        CHECK(r.out.find("alert 1 [wmic-cmd:net, wmic-cmd:proc] did not fire: stage 2 [process]: event wmic-cmd:proc: "
                         "`process.parent.name : \"WmiPrvSE2.exe\"` was false: process.parent.name = "
                         "\"WmiPrvSE.exe\"") != std::string::npos);
        // The negative scenarios still pass: the rule stays quiet on them.
        CHECK(std::regex_search(r.out, std::regex("PASS .*: parent-services.exe ")));
    }
    SECTION("severity mapping removed: the alerts come, their severity differs") {
        replace_in(rule, "severity_mapping", "ignored_severity_mapping");
        const auto r = run_eqlc({"test", rule.string()});
        INFO(r.out << r.err);
        // An unknown TOML key is a warning of the rule loader at most; the run goes on.
        CHECK(r.status == 1);
        CHECK(std::regex_search(r.out, std::regex("FAIL .*wmic-cmd ")));
        CHECK(
            std::regex_search(r.out, std::regex("! 1\\. \\[wmic-cmd:net, wmic-cmd:proc\\] high +1\\. \\[wmic-cmd:net, "
                                                "wmic-cmd:proc\\] medium")));
        CHECK(std::regex_search(r.out, std::regex("PASS .*invoke-wmimethod-notepad")));  // medium either way
    }
    SECTION("--junit writes the results for CI") {
        replace_in(rule, "maxspan = 20s", "maxspan = 1s");
        const fs::path junit = dir.path() / "out.xml";
        const auto r = run_eqlc({"test", "--junit", junit.string(), (dir.path() / "rules").string()});
        CHECK(r.status == 1);
        const std::string xml = eqlc::test::read_text(junit);
        INFO(xml.substr(0, 2000));
        CHECK(xml.rfind("<?xml", 0) == 0);
        CHECK(std::regex_search(xml, std::regex("<testsuites name=\"eqlc test\" tests=\"\\d+\" failures=\"[1-9]")));
        CHECK(xml.find("<failure message=") != std::string::npos);
        CHECK(xml.find("did not fire") != std::string::npos);
        CHECK(xml.find("</testsuites>") != std::string::npos);
    }
}

TEST_CASE("eqlc test runs inline events, select and missing ids", "[rule-test][cli]") {
    TempDir dir;
    dir.write("r.eql", "process where process.name : \"cmd.exe\"\n");
    SECTION("inline events, one alert expected and given") {
        dir.write("r.test.toml", "[[case]]\nname = \"cmd\"\nevents = [" + toml_literal(kEvent1) + ", " +
                                     toml_literal(kEvent2) + "]\nalerts = [[\"a\"]]\n");
        const auto r = run_eqlc({"test", (dir.path() / "r.eql").string()});
        INFO(r.out << r.err);
        CHECK(r.status == 0);
        CHECK(r.out.find("PASS ") != std::string::npos);
        CHECK(r.out.find("1 passed, 0 failed") != std::string::npos);
    }
    SECTION("the test file named directly, an unexpected alert and a missing one") {
        dir.write("r.test.toml", "[[case]]\nname = \"wrong\"\nevents = [" + toml_literal(kEvent1) + ", " +
                                     toml_literal(kEvent2) + "]\nalerts = [[\"b\"]]\n");
        const auto r = run_eqlc({"test", (dir.path() / "r.test.toml").string()});
        INFO(r.out << r.err);
        CHECK(r.status == 1);
        CHECK(r.out.find("alert 1 [b] did not fire: ") != std::string::npos);
        CHECK(r.out.find("alert [a] was not expected") != std::string::npos);
        CHECK(r.out.find("0 passed, 1 failed") != std::string::npos);
    }
    SECTION("select chooses the events; an id that no selected event has is named") {
        dir.write("r.test.toml", "[[case]]\nname = \"selected\"\nevents = [" + toml_literal(kEvent1) + ", " +
                                     toml_literal(kEvent2) +
                                     "]\nselect = 'event.id == \"b\"'\nalerts = []\n\n[[case]]\nname = \"gone\"\n"
                                     "events = [" +
                                     toml_literal(kEvent1) + "]\nselect = 'event.id == \"b\"'\nalerts = [[\"a\"]]\n");
        const auto r = run_eqlc({"test", (dir.path() / "r.eql").string()});
        INFO(r.out << r.err);
        CHECK(r.status == 1);
        CHECK(r.out.find("PASS ") != std::string::npos);
        CHECK(r.out.find("no event of this case has event.id = a (after select)") != std::string::npos);
    }
    SECTION("a select that is not EQL is refused with its place") {
        dir.write("r.test.toml", "[[case]]\nname = \"bad select\"\nevents = [" + toml_literal(kEvent1) +
                                     "]\nselect = 'event.id =='\nalerts = []\n");
        const auto r = run_eqlc({"test", (dir.path() / "r.eql").string()});
        INFO(r.out << r.err);
        CHECK(r.status == 1);
        CHECK(r.out.find("r.test.toml:4: select, column ") != std::string::npos);
    }
    SECTION("a bad event is reported with its place and fails the case") {
        dir.write("events.ndjson", kEvent1 + "\n{not json\n");
        dir.write("r.test.toml", "[[case]]\nname = \"bad line\"\nevents = \"events.ndjson\"\nalerts = [[\"a\"]]\n");
        const auto r = run_eqlc({"test", (dir.path() / "r.eql").string()});
        INFO(r.out << r.err);
        CHECK(r.status == 1);
        CHECK(r.out.find("events.ndjson:2: ") != std::string::npos);
    }
}

TEST_CASE("eqlc test refuses broken test files and rules with their place", "[rule-test][cli]") {
    TempDir dir;
    dir.write("r.eql", "process where process.name : \"cmd.exe\"\n");
    const std::string rule = (dir.path() / "r.eql").string();
    SECTION("not TOML") {
        dir.write("r.test.toml", "[[case]]\nname = \"x\nevents = []\n");
        const auto r = run_eqlc({"test", rule});
        CHECK(r.status == 2);
        CHECK(r.err.find("r.test.toml:2:") != std::string::npos);
        CHECK(r.err.find("not valid TOML") != std::string::npos);
    }
    SECTION("missing alerts, unknown keys, severities that do not fit, an events file that is not there") {
        dir.write("r.test.toml",
                  "[[case]]\nname = \"x\"\nevents = []\n\n[[case]]\nname = \"y\"\nevents = \"nope.ndjson\"\n"
                  "alerts = [[\"a\"]]\nseverity = [\"high\", \"low\"]\nalert = 1\n");
        const auto r = run_eqlc({"test", rule});
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("r.test.toml:1:1: error: this case has no \"alerts\"") != std::string::npos);
        CHECK(r.err.find("r.test.toml:7:") != std::string::npos);
        CHECK(r.err.find("cannot read the events file") != std::string::npos);
        CHECK(r.err.find("\"severity\" has 2 entries for 1 alerts") != std::string::npos);
        CHECK(r.err.find("unknown key \"alert\" in a case") != std::string::npos);
    }
    SECTION("a rule that does not compile") {
        dir.write("r.eql", "process where process.name ==\n");
        dir.write("r.test.toml", "[[case]]\nname = \"x\"\nevents = []\nalerts = []\n");
        const auto r = run_eqlc({"test", rule});
        CHECK(r.status == 2);
        CHECK(r.err.find("r.eql:2:1: error: unexpected end of query") != std::string::npos);
    }
    SECTION("no test file at all, and usage errors") {
        const auto r = run_eqlc({"test", rule});
        CHECK(r.status == 2);
        CHECK(r.err.find("no test file found") != std::string::npos);
        CHECK(run_eqlc({"test"}).status == 2);
        CHECK(run_eqlc({"--junit", "x.xml", rule}).status == 2);
        CHECK(run_eqlc({"test", "-e", "any where true", rule}).status == 2);
    }
}

TEST_CASE("rule folders do not load test files as rules", "[rule-test][cli]") {
    const auto r = run_eqlc({"--check", eqlc::test::rules_dir().string()});
    INFO(r.out << r.err);
    CHECK(r.status == 0);
    CHECK(r.err.find("test.toml") == std::string::npos);
    CHECK(r.out.find("valid") != std::string::npos);
}
