// Rule tests: a rule file X.toml / X.eql with a sibling X.test.toml of cases, each a list of events and the alerts
// the rule must give on them (as the ids of their events), in order. `eqlc test` runs them; so can any program:
//
//   auto rule = eqlc::rules::load_rule_file("rules/x.toml");
//   auto tests = eqlc::authoring::load_test_file(*eqlc::authoring::test_file_for(rule.path));
//   for (const auto& result : eqlc::authoring::run_rule_tests(*rule.rule, tests, options))
//       std::cout << (result.passed ? "PASS " : "FAIL ") << result.name << '\n';
//
// The test file (TOML):
//
//   [[case]]
//   name = "remote wmic starts cmd.exe"
//   events = "samples/wmi_defend.ndjson"    # NDJSON, a path relative to the test file; or inline: ['{...}', '{...}']
//   select = 'labels.scenario == "wmic-cmd"'  # optional: only the events for which this EQL condition holds
//   id_field = "event.id"                    # what names an event in `alerts` (default event.id)
//   alerts = [["ev-1", "ev-2"]]              # the expected alerts in order, each as its events' ids; [] = none
//   severity = ["high"]                      # optional: each alert's severity after the rule's severity_mapping
//
// A missing-event placeholder of a sequence (`![...]`) is written "-" in an alert's list.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/rule.hpp"
#include "eqlc/why_not.hpp"

namespace eqlc::authoring {

// One event of a case: its JSON text and where it came from (a line of an events file, or an inline string).
struct CaseEvent {
    std::string text;
    std::string origin;  // the events file, or the test file for inline events
    uint64_t line = 0;   // the line in `origin` (for inline events: the line of the test file where it is written)
};

struct TestCase {
    std::string name;
    uint32_t line = 0;  // where the case starts in the test file
    std::vector<CaseEvent> events;
    std::optional<std::string> select;  // an EQL condition choosing the events the rule is run on
    uint32_t select_line = 0, select_column = 0;
    std::string id_field = "event.id";
    std::vector<std::vector<std::string>> alerts;      // expected, in order
    std::optional<std::vector<std::string>> severity;  // expected severities, one per alert
};

struct TestFile {
    std::filesystem::path path;
    std::vector<TestCase> cases;
    Diagnostics diagnostics;  // problems with the file (positions in it); any error means no case is run
    bool ok() const;
};

// The test file of a rule file: X.toml or X.eql -> X.test.toml beside it, when that exists.
std::optional<std::filesystem::path> test_file_for(const std::filesystem::path& rule_file);

// Reads a test file and the events files it names. Never throws: problems are in the result's diagnostics.
TestFile load_test_file(const std::filesystem::path& path);

// An alert as a test sees it: its events' ids (id_field, "-" for a missing-event placeholder, "?" when the
// event has no such field) and its severity after the rule's severity_mapping.
struct TestAlert {
    std::vector<std::string> ids;
    std::string severity;
};

struct CaseResult {
    std::string name;
    uint32_t line = 0;
    bool passed = false;
    std::string error;  // the case could not run as written (bad events, bad select, an unknown id): it failed
    std::vector<std::vector<std::string>> expected;
    std::optional<std::vector<std::string>> expected_severity;
    std::vector<TestAlert> actual;
    // For every expected alert that did not come: its index in `expected` and why it did not fire.
    std::vector<std::pair<size_t, MissExplanation>> missing;
    std::vector<size_t> unexpected;    // indices in `actual` of alerts no expected alert names
    std::vector<std::string> reports;  // events the engine could not use (bad JSON, no timestamp): origin:line: why
};

struct RuleTestResults {
    std::string rule_error;  // the rule does not compile with these options: the compiler's messages (no case ran)
    std::vector<CaseResult> cases;
    size_t passed() const;
    size_t failed() const;
};

// Runs every case of `tests` against `rule`, each on a fresh engine made with `options` (field names, mapping;
// the rule's own overrides are applied as the eqlc tool applies them). Events are run in the order given, as
// `eqlc RULE FILE` runs them.
RuleTestResults run_rule_tests(const rules::Rule& rule, const TestFile& tests, const EngineOptions& options = {});

}  // namespace eqlc::authoring
