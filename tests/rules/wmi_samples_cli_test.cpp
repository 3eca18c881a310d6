// The WMI incoming lateral-movement rule end to end, through the eqlc command line, on the shipped Elastic
// Defend and Sysmon samples: every scenario of rules/samples/expected_alerts.json gives exactly its expected
// alerts (which events, in which order, with which severity), and nothing else alerts.
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/shared_data.hpp"
#include "support/wmi_rule.hpp"

using eqlc::test::run_eqlc;
using nlohmann::json;

namespace {

const std::string kRule = eqlc::test::wmi_rule_toml().string();
const std::string kSamples = eqlc::test::wmi_samples_dir().string() + "/";

json expected() { return json::parse(eqlc::test::read_text(kSamples + "expected_alerts.json")); }

struct Alert {
    std::string scenario;
    std::vector<std::string> events;  // labels.event of each event
    std::string severity;
    int64_t risk_score = 0;
    std::string rule_id;
};

std::vector<Alert> run_rule(const std::string& rule, const std::string& file, int& status) {
    const auto r = run_eqlc({rule, kSamples + file});
    status = r.status;
    INFO(r.err);
    std::vector<Alert> out;
    for (const auto& line : r.out_lines()) {
        const json a = json::parse(line);
        Alert alert;
        alert.scenario = a["events"][0]["_source"]["labels"]["scenario"].get<std::string>();
        for (const auto& e : a["events"]) alert.events.push_back(e["_source"]["labels"]["event"].get<std::string>());
        if (a.contains("rule")) {
            alert.severity = a["rule"]["severity"].get<std::string>();
            alert.risk_score = a["rule"]["risk_score"].get<int64_t>();
            alert.rule_id = a["rule"]["id"].get<std::string>();
        }
        out.push_back(alert);
    }
    return out;
}

}  // namespace

TEST_CASE("WMI rule: every sample scenario alerts exactly as expected", "[rules][wmi][cli]") {
    const json truth = expected();
    for (const auto& [file, spec] : truth["files"].items()) {
        INFO(file);
        int status = -1;
        const auto got = run_rule(kRule, file, status);
        const auto& want = spec["alerts"];
        CHECK(status == (want.empty() ? 0 : 1));
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) {
            INFO("alert " << i << ": " << want[i]["scenario"].get<std::string>());
            CHECK(got[i].scenario == want[i]["scenario"].get<std::string>());
            CHECK(got[i].events == want[i]["events"].get<std::vector<std::string>>());
            CHECK(got[i].severity == want[i]["severity"].get<std::string>());
            CHECK(got[i].risk_score == want[i]["risk_score"].get<int64_t>());
            CHECK(got[i].rule_id == truth["rule_id"].get<std::string>());
        }
        // Per scenario: the expected number of alerts (including the ones that must not alert at all).
        std::map<std::string, int> per_scenario;
        for (const auto& a : got) ++per_scenario[a.scenario];
        for (const auto& scenario : spec["scenarios"]) {
            INFO("scenario " << scenario["scenario"].get<std::string>() << ": " << scenario["why"].get<std::string>());
            CHECK(per_scenario[scenario["scenario"].get<std::string>()] == scenario["expected_alerts"].get<int>());
        }
    }
}

TEST_CASE("WMI rule: high severity for cmd.exe, powershell.exe and mimikatz.exe children", "[rules][wmi][cli]") {
    int status = -1;
    std::map<std::string, std::string> severity_of_child;
    for (const char* file : {"wmi_defend.ndjson", "wmi_sysmon.ndjson"}) {
        const auto r = run_eqlc({kRule, kSamples + file});
        for (const auto& line : r.out_lines()) {
            const json a = json::parse(line);
            severity_of_child[a["events"][1]["_source"]["process"]["name"].get<std::string>()] =
                a["rule"]["severity"].get<std::string>();
        }
    }
    (void)status;
    CHECK(severity_of_child["cmd.exe"] == "high");
    CHECK(severity_of_child["powershell.exe"] == "high");
    CHECK(severity_of_child["mimikatz.exe"] == "high");
    CHECK(severity_of_child["notepad.exe"] == "medium");
}

TEST_CASE("WMI rule: the .eql query gives the same alerts as the TOML rule", "[rules][wmi][cli]") {
    for (const char* file : {"wmi_defend.ndjson", "wmi_sysmon.ndjson"}) {
        int a = -1, b = -1;
        const auto toml = run_rule(kRule, file, a);
        const auto eql = run_rule(eqlc::test::wmi_rule_eql().string(), file, b);
        REQUIRE(toml.size() == eql.size());
        for (size_t i = 0; i < toml.size(); ++i) CHECK(toml[i].events == eql[i].events);
    }
}

TEST_CASE("WMI rule: the upstream variant gives the same alerts on the samples", "[rules][wmi][cli]") {
    // Elastic's own version tests data_stream.dataset and `source.ip != ...` instead of event.dataset and
    // `not in`; on these samples both must agree.
    EQLC_REQUIRE_SHARED(upstream, "corpus/detection-rules/toml/rules/windows/lateral_movement_incoming_wmi.toml");
    for (const char* file : {"wmi_defend.ndjson", "wmi_sysmon.ndjson"}) {
        int a = -1, b = -1;
        const auto ours = run_rule(kRule, file, a);
        const auto theirs = run_rule(upstream->string(), file, b);
        CHECK(a == b);
        REQUIRE(ours.size() == theirs.size());
        for (size_t i = 0; i < ours.size(); ++i) CHECK(ours[i].events == theirs[i].events);
    }
}

TEST_CASE("WMI rule: pretty output shows what the responder needs", "[rules][wmi][cli]") {
    const auto r = run_eqlc({"--format", "pretty", kRule, kSamples + "wmi_defend.ndjson"});
    CHECK(r.status == 1);
    CHECK(r.out.find("[HIGH 47] WMI Incoming Lateral Movement") != std::string::npos);
    CHECK(r.out.find("WmiPrvSE.exe -> cmd.exe") != std::string::npos);
    CHECK(r.out.find("host def-srv-01") != std::string::npos);
    CHECK(r.out.find(":135") != std::string::npos);
}

TEST_CASE("a folder of rules loads and runs in one pass over the samples", "[rules][cli]") {
    SECTION("the shipped rules folder") {
        const auto r = run_eqlc({"--stats", eqlc::test::rules_dir().string(), kSamples + "wmi_defend.ndjson"});
        INFO(r.err);
        CHECK(r.status == 1);
        CHECK(r.err.find("not loaded") == std::string::npos);
        CHECK(r.err.find("alerts per rule") != std::string::npos);
    }
    SECTION("every detection-rules TOML of the corpus") {
        EQLC_REQUIRE_SHARED(toml_dir, "corpus/detection-rules/toml");
        const auto r =
            run_eqlc({"--stats", toml_dir->string(), kSamples + "wmi_defend.ndjson", kSamples + "wmi_sysmon.ndjson"});
        INFO(r.err.substr(0, 4000));
        // Rules that cannot run would be listed with the reason ("rule not loaded" / "rule not run") and make
        // the exit status 2; every corpus rule loads and runs.
        CHECK(r.err.find("rule not loaded") == std::string::npos);
        CHECK(r.err.find("rule not run") == std::string::npos);
        CHECK(r.status != 2);
        // The corpus has the upstream WMI rule, which alerts on the samples.
        CHECK(r.out.find("\"name\":\"WMI Incoming Lateral Movement\"") != std::string::npos);
    }
}

TEST_CASE("bad rule files are refused with file:line:column", "[rules][cli]") {
    eqlc::test::TempDir dir;
    const auto bad_toml =
        dir.write("bad.toml", "[rule]\nname = \"x\"\nquery = '''\nprocess where a = 1\n'''\nlanguage = \"eql\"\n");
    const auto r = run_eqlc({bad_toml.string(), kSamples + "wmi_defend.ndjson"});
    CHECK(r.status == 2);
    CHECK(r.err.find("bad.toml:4:17: error:") != std::string::npos);  // the query's `=`, at its place in the file
    const auto broken = dir.write("broken.toml", "[rule\nname = 1\n");
    const auto b = run_eqlc({"--check", broken.string()});
    CHECK(b.status == 2);
    CHECK(b.err.find("broken.toml:1:") != std::string::npos);
}
