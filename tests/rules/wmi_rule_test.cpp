// The shipped WMI Incoming Lateral Movement rule: its TOML file, its query file, its severity mapping, and the
// consistency of its sample events with their ground truth (expected_alerts.json). Running the samples
// through the engine is the CLI tests' job.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "eqlc/rule_loader.hpp"
#include "support/files.hpp"
#include "support/wmi_rule.hpp"

namespace fs = std::filesystem;
using eqlc::rules::effective_severity;
using eqlc::rules::load_rule_file;
using eqlc::rules::LoadStatus;
using nlohmann::json;

namespace {

const fs::path kRules = eqlc::test::rules_dir();
const fs::path kToml = eqlc::test::wmi_rule_toml();
const fs::path kEql = eqlc::test::wmi_rule_eql();

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

const eqlc::rules::Rule& wmi_rule() {
    static const eqlc::rules::LoadResult loaded = load_rule_file(kToml);
    REQUIRE(loaded.ok());
    return *loaded.rule;
}

json process_event(const char* name) { return json{{"process", {{"name", name}}}}; }

}  // namespace

TEST_CASE("WMI rule: the TOML file loads without diagnostics", "[rules]") {
    const auto loaded = load_rule_file(kToml);
    INFO(loaded.reason());
    REQUIRE(loaded.status == LoadStatus::loaded);
    std::string messages;
    for (const auto& d : loaded.diagnostics) messages += d.message + "\n";
    INFO(messages);
    CHECK(loaded.diagnostics.empty());
    CHECK(loaded.rule->format == eqlc::rules::RuleFormat::toml);
}

TEST_CASE("WMI rule: the TOML query is the text of the .eql file", "[rules]") {
    const auto& rule = wmi_rule();
    const std::string eql = eqlc::test::read_text(kEql);
    REQUIRE(!eql.empty());
    CHECK(trim(rule.query) == trim(eql));
    CHECK(rule.query == eql);  // byte for byte, in fact: the literal string starts right after '''\n
}

TEST_CASE("WMI rule: the query's position in the TOML file", "[rules]") {
    const auto& rule = wmi_rule();
    const std::string& text = *rule.source_text;
    const size_t opener = text.find("query = '''\n");
    REQUIRE(opener != std::string::npos);
    const auto line_of = [&](size_t offset) { return 1 + std::count(text.begin(), text.begin() + offset, '\n'); };

    const eqlc::SourcePos start = rule.query_location.start();
    CHECK(start.line == line_of(opener) + 1);
    CHECK(start.column == 1);
    // Every byte of the query maps to the same byte in the file (a literal string).
    for (uint32_t i = 0; i < rule.query.size(); ++i) {
        const auto pos = rule.query_location.file_position(i);
        REQUIRE(pos.offset < text.size());
        REQUIRE(text[pos.offset] == rule.query[i]);
    }
    // "maxspan" is on the query's first line; "WmiPrvSE.exe" on its sixth.
    const auto maxspan = rule.query_location.file_position(static_cast<uint32_t>(rule.query.find("maxspan")));
    CHECK(maxspan.line == start.line);
    CHECK(maxspan.column == rule.query.find("maxspan") + 1);
    const auto wmiprvse = rule.query_location.file_position(static_cast<uint32_t>(rule.query.find("\"WmiPrvSE.exe\"")));
    CHECK(wmiprvse.line == start.line + 5);
}

TEST_CASE("WMI rule: metadata", "[rules]") {
    const auto& rule = wmi_rule();
    CHECK(rule.rule_id == "fd7607f0-6c96-475a-9da6-d0f56b4e9ac5");
    CHECK(rule.name == "WMI Incoming Lateral Movement");
    CHECK(rule.severity == "medium");
    CHECK(rule.risk_score == 47);
    CHECK(rule.language == "eql");
    CHECK(rule.type == "eql");
    CHECK(rule.license == "Apache-2.0");
    CHECK(rule.maturity == "production");
    CHECK(rule.integration == std::vector<std::string>{"endpoint", "windows"});
    CHECK(rule.index == std::vector<std::string>{"logs-endpoint.events.process-*", "logs-endpoint.events.network-*",
                                                 "logs-windows.sysmon_operational-*"});
    CHECK_FALSE(rule.description.empty());
    CHECK_FALSE(rule.false_positives.empty());
    CHECK(rule.references.size() == 3);
    CHECK(rule.from == std::optional<std::string>("now-9m"));
    // No overrides: the samples' @timestamp and event.category are what the rule reads.
    CHECK_FALSE(rule.timestamp_override.has_value());
    CHECK_FALSE(rule.event_category_override.has_value());
    CHECK_FALSE(rule.tiebreaker_field.has_value());
    CHECK(rule.risk_score_mapping.empty());
    // The investigation guide covers the write-up's response, blind spots and false positives.
    for (const char* heading : {"## Triage and analysis", "### Possible investigation steps",
                                "### False positive analysis", "### Blind spots", "### Response and remediation"}) {
        INFO(heading);
        CHECK(rule.note.find(heading) != std::string::npos);
    }
    CHECK(std::find(rule.tags.begin(), rule.tags.end(), "Tactic: Lateral Movement") != rule.tags.end());
}

TEST_CASE("WMI rule: MITRE ATT&CK mapping", "[rules]") {
    const auto& rule = wmi_rule();
    CHECK(rule.tactic_ids() == std::vector<std::string>{"TA0008", "TA0002"});
    CHECK(rule.technique_ids() == std::vector<std::string>{"T1021", "T1047"});
    REQUIRE(rule.threat.size() == 2);
    const auto& lateral = rule.threat[0];
    CHECK(lateral.framework == "MITRE ATT&CK");
    CHECK(lateral.tactic.name == "Lateral Movement");
    CHECK(lateral.tactic.reference == "https://attack.mitre.org/tactics/TA0008/");
    REQUIRE(lateral.techniques.size() == 1);
    CHECK(lateral.techniques[0].technique.name == "Remote Services");
    CHECK(lateral.techniques[0].technique.reference == "https://attack.mitre.org/techniques/T1021/");
    const auto& execution = rule.threat[1];
    CHECK(execution.tactic.name == "Execution");
    CHECK(execution.tactic.reference == "https://attack.mitre.org/tactics/TA0002/");
    REQUIRE(execution.techniques.size() == 1);
    CHECK(execution.techniques[0].technique.name == "Windows Management Instrumentation");
    CHECK(execution.techniques[0].technique.reference == "https://attack.mitre.org/techniques/T1047/");
}

TEST_CASE("WMI rule: severity mapping", "[rules]") {
    const auto& rule = wmi_rule();
    REQUIRE(rule.severity_mapping.size() == 3);
    for (const auto& entry : rule.severity_mapping) {
        CHECK(entry.field == "process.name");
        CHECK(entry.op == "equals");
        CHECK(entry.severity == "high");
    }
    using Result = std::pair<std::string, int64_t>;
    CHECK(effective_severity(rule, process_event("cmd.exe")) == Result{"high", 47});
    CHECK(effective_severity(rule, process_event("powershell.exe")) == Result{"high", 47});
    CHECK(effective_severity(rule, process_event("mimikatz.exe")) == Result{"high", 47});
    CHECK(effective_severity(rule, process_event("notepad.exe")) == Result{"medium", 47});
    CHECK(effective_severity(rule, process_event("HOSTNAME.EXE")) == Result{"medium", 47});
    // Exact, as Kibana compares: another case is another value.
    CHECK(effective_severity(rule, process_event("CMD.EXE")) == Result{"medium", 47});
    CHECK(effective_severity(rule, json::object()) == Result{"medium", 47});
    // The parent's name does not count, only process.name.
    CHECK(effective_severity(rule, json{{"process", {{"name", "whoami.exe"}, {"parent", {{"name", "cmd.exe"}}}}}}) ==
          Result{"medium", 47});
    // Dotted keys, as some shippers write them.
    CHECK(effective_severity(rule, json{{"process.name", "powershell.exe"}}) == Result{"high", 47});
}

TEST_CASE("WMI rule: the rules folder loads the TOML rule once", "[rules]") {
    const auto folder = eqlc::rules::load_rule_folder(kRules);
    CHECK(folder.diagnostics.empty());
    CHECK(folder.refused_count() == 0);
    const auto rules = folder.rules();
    REQUIRE(rules.size() == 1);
    CHECK(rules[0]->rule_id == "fd7607f0-6c96-475a-9da6-d0f56b4e9ac5");
    // The .eql next to it is its query: skipped, and without a warning since the texts agree.
    bool saw_companion = false;
    for (const auto& file : folder.files)
        if (file.path.extension() == ".eql") {
            saw_companion = true;
            CHECK(file.status == LoadStatus::companion);
            CHECK(file.diagnostics.empty());
        }
    CHECK(saw_companion);
}

TEST_CASE("WMI samples: events and expected_alerts.json agree", "[rules]") {
    const fs::path samples = kRules / "samples";
    const json truth = json::parse(eqlc::test::read_text(samples / "expected_alerts.json"));
    CHECK(truth.at("rule_id") == wmi_rule().rule_id);
    const auto& files = truth.at("files");
    REQUIRE(files.size() == 2);
    size_t total_alerts = 0;
    std::set<std::string> severities;
    for (const auto& [file_name, expected] : files.items()) {
        INFO(file_name);
        std::ifstream in(samples / file_name);
        REQUIRE(in);
        std::vector<json> events;
        std::map<std::string, size_t> line_of;  // labels.event -> 1-based line
        std::string line, previous_timestamp;
        while (std::getline(in, line)) {
            json event = json::parse(line);
            events.push_back(event);
            const std::string id = event.at("labels").at("event");
            CHECK(line_of.emplace(id, events.size()).second);
            const std::string ts = event.at("@timestamp");
            CHECK(ts.size() == 24);  // 2026-11-20T09:01:00.000Z: milliseconds, UTC
            CHECK(ts >= previous_timestamp);
            previous_timestamp = ts;
            CHECK(event.at("event").at("category").is_array());
            CHECK(event.at("event").at("type").is_array());
            CHECK(event.at("host").at("os").at("type") == "windows");
        }
        CHECK(events.size() == expected.at("events"));

        for (const auto& alert : expected.at("alerts")) {
            INFO(alert.at("scenario"));
            const auto ids = alert.at("events");
            REQUIRE(ids.size() == 2);
            const size_t net_line = line_of.at(ids[0].get<std::string>());
            const size_t proc_line = line_of.at(ids[1].get<std::string>());
            CHECK(alert.at("lines") == json::array({net_line, proc_line}));
            const json& net = events[net_line - 1];
            const json& proc = events[proc_line - 1];
            CHECK(net.at("event").at("category") == json::array({"network"}));
            CHECK(proc.at("event").at("category") == json::array({"process"}));
            CHECK(net.at("host").at("id") == alert.at("host.id"));
            CHECK(proc.at("host").at("id") == alert.at("host.id"));
            // The severity override is evaluated against the last event of the sequence.
            const auto [severity, risk] = effective_severity(wmi_rule(), proc);
            CHECK(severity == alert.at("severity"));
            CHECK(risk == alert.at("risk_score"));
            severities.insert(severity);
            ++total_alerts;
        }
        // Every scenario's events are on its own hosts.
        std::map<std::string, std::string> scenario_of_host;
        for (const json& event : events) {
            const std::string host = event.at("host").at("id");
            const std::string scenario = event.at("labels").at("scenario");
            auto [it, inserted] = scenario_of_host.emplace(host, scenario);
            CHECK(it->second == scenario);
        }
    }
    CHECK(total_alerts > 30);
    CHECK(severities == std::set<std::string>{"high", "medium"});
}
