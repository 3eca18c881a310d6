// eqlc/alert.hpp: a rule's alert carries the severity its severity_mapping gives for the last event of the match,
// and the text is match_to_ndjson's with that rule object.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "eqlc/alert.hpp"
#include "eqlc/rule_loader.hpp"
#include "support/wmi_rule.hpp"

using nlohmann::json;

namespace {

eqlc::Match two_event_match(const std::string& child) {
    eqlc::Match m;
    m.query = 0;
    m.kind = eqlc::MatchKind::sequence;
    m.join_keys = json::array({"h1"});
    eqlc::MatchedEvent net;
    net.source = R"({"process":{"name":"svchost.exe"}})";
    net.timestamp_ns = 1'000'000'000;
    eqlc::MatchedEvent proc;
    proc.source = json{{"process", {{"name", child}}}}.dump();
    proc.timestamp_ns = 2'000'000'000;
    m.events = {net, proc};
    return m;
}

}  // namespace

TEST_CASE("alert_to_ndjson applies the rule's severity mapping to the last event", "[alert]") {
    const auto loaded = eqlc::rules::load_rule_file(eqlc::test::wmi_rule_toml());
    REQUIRE(loaded.ok());
    const eqlc::rules::Rule& rule = *loaded.rule;

    const auto high = json::parse(eqlc::alert_to_ndjson(two_event_match("cmd.exe"), "wmi", &rule));
    CHECK(high["rule"]["severity"] == "high");
    CHECK(high["rule"]["risk_score"] == 47);
    CHECK(high["rule"]["id"] == rule.rule_id);
    CHECK(high["rule"]["name"] == rule.name);
    CHECK(high["query"] == "wmi");
    CHECK(high["events"][1]["_source"]["process"]["name"] == "cmd.exe");

    const auto medium = json::parse(eqlc::alert_to_ndjson(two_event_match("notepad.exe"), "wmi", &rule));
    CHECK(medium["rule"]["severity"] == "medium");

    // A missing-event placeholder at the end: the last real event decides.
    auto with_missing = two_event_match("powershell.exe");
    eqlc::MatchedEvent missing;
    missing.missing = true;
    with_missing.events.push_back(missing);
    CHECK(eqlc::alert_rule(with_missing, rule).severity == "high");

    // Without a rule: no "rule" object, exactly match_to_ndjson.
    const auto m = two_event_match("cmd.exe");
    CHECK(eqlc::alert_to_ndjson(m, "q", nullptr) == eqlc::match_to_ndjson(m, "q"));
    CHECK(eqlc::alert_to_pretty(m, "q", &rule).find("[HIGH 47]") != std::string::npos);
}
