// Running a rule's test cases (see eqlc/rule_test.hpp): each case on a fresh engine, its alerts named by their
// events' ids and compared with the expected ones; for every expected alert that did not come, the explainer says
// why (why_not.hpp).
#include "eqlc/rule_test.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "authoring/json_fields.hpp"
#include "eqlc/alert.hpp"
#include "eqlc/rule_query.hpp"

namespace eqlc::authoring {

namespace {

using nlohmann::json;

// An event's id as a test names it: the id field's (first) string, or its JSON text for another type; "?" when
// absent.
std::string event_id(std::string_view text, const std::string& id_field) {
    const auto values = field_values(json::parse(text, nullptr, false), id_field);
    if (values.empty() || values.front().is_null()) return "?";
    return values.front().is_string() ? values.front().get<std::string>() : values.front().dump();
}

std::string where(const CaseEvent& e) { return e.origin + ":" + std::to_string(e.line); }

// Runs `sources` over `events`, in order, and gives each match with its events' indices in `events`.
struct Run {
    std::vector<Match> matches;
    std::vector<std::string> reports;
    std::string error;  // the queries did not compile: the compiler's messages
};

Run run_events(std::vector<QuerySource> sources, const EngineOptions& options, const std::vector<CaseEvent>& events,
               const std::function<std::string(const Diagnostic&)>& describe) {
    Run run;
    auto created = Engine::create(std::move(sources), options);
    if (!created.engine) {
        for (const auto& problem : created.problems)
            for (const auto& d : problem.diagnostics) run.error += describe(d);
        if (run.error.empty()) run.error = "the query was refused";
        return run;
    }
    Engine& engine = *created.engine;
    engine.on_match([&](const Match& m) { run.matches.push_back(m); });
    engine.on_bad_input([&](const BadInput& bad) {
        // The pushed position is the event's index + 1 (see below): name the event by its own file and line.
        const size_t i = bad.line >= 1 && bad.line <= events.size() ? bad.line - 1 : 0;
        run.reports.push_back((events.empty() ? bad.origin : where(events[i])) + ": " + bad.message);
    });
    for (size_t i = 0; i < events.size(); ++i) {
        const uint64_t position = i + 1;
        PushOptions push;
        push.origin = events[i].origin;
        push.lines = std::span<const uint64_t>(&position, 1);
        push.lines_are_ordinals = true;  // a match's events carry index + 1 as their ordinal
        engine.push_json(events[i].text, push);
    }
    engine.finish();
    return run;
}

// A problem of the rule's query, at its place in the rule file.
std::string describe_rule_problem(const rules::Rule& rule, const Diagnostic& d) {
    if (rule.source_text) return format_diagnostic(rule.to_file_diagnostic(d), *rule.source_text, rule.path.string());
    return format_diagnostic(d, rule.query, rule.path.string());
}

// Applies `select` to the case's events: the events for which the condition holds, in order.
bool select_events(const TestCase& c, const TestFile& file, const EngineOptions& base, std::vector<CaseEvent>& out,
                   std::string& error) {
    out = c.events;
    if (!c.select) return true;
    // The condition as an event query of its own; its diagnostics are moved back to the place in the test file.
    static constexpr std::string_view kPrefix = "any where ";
    const std::string query = std::string(kPrefix) + *c.select;
    EngineOptions options = base;
    options.size.reset();
    options.sort_input = false;
    auto describe = [&](const Diagnostic& d) {
        const uint32_t column = d.span.begin.line == 1 && d.span.begin.column > kPrefix.size()
                                    ? d.span.begin.column - static_cast<uint32_t>(kPrefix.size())
                                    : 1;
        return file.path.string() + ":" + std::to_string(c.select_line) + ": select, column " + std::to_string(column) +
               ": " + d.message + (d.hint.empty() ? "" : " (" + d.hint + ")") + "\n";
    };
    Run run = run_events({QuerySource(query, "select")}, options, c.events, describe);
    if (!run.error.empty()) {
        error = run.error;
        return false;
    }
    std::vector<bool> keep(c.events.size(), false);
    for (const auto& m : run.matches)
        if (!m.events.empty() && m.events[0].ordinal >= 1 && m.events[0].ordinal <= keep.size())
            keep[m.events[0].ordinal - 1] = true;
    out.clear();
    for (size_t i = 0; i < c.events.size(); ++i)
        if (keep[i]) out.push_back(c.events[i]);
    return true;
}

CaseResult run_case(const rules::Rule& rule, const TestFile& file, const TestCase& c, const EngineOptions& options) {
    CaseResult result;
    result.name = c.name;
    result.line = c.line;
    result.expected = c.alerts;
    result.expected_severity = c.severity;

    std::vector<CaseEvent> events;
    if (!select_events(c, file, options, events, result.error)) return result;

    auto describe = [&](const Diagnostic& d) { return describe_rule_problem(rule, d); };
    Run run = run_events({rule_query(rule)}, options, events, describe);
    result.reports = std::move(run.reports);
    if (!run.error.empty()) {
        result.error = "the rule does not compile:\n" + run.error;
        return result;
    }

    std::vector<std::string> ids(events.size());
    for (size_t i = 0; i < events.size(); ++i) ids[i] = event_id(events[i].text, c.id_field);
    for (const Match& m : run.matches) {
        TestAlert alert;
        for (const auto& e : m.events)
            alert.ids.push_back(e.missing ? "-" : e.ordinal >= 1 && e.ordinal <= ids.size() ? ids[e.ordinal - 1] : "?");
        alert.severity = alert_rule(m, rule).severity;
        result.actual.push_back(std::move(alert));
    }

    // Which expected alerts came, and which actual ones were not expected (each actual alert answers one expected).
    std::vector<bool> used(result.actual.size(), false);
    for (size_t e = 0; e < c.alerts.size(); ++e) {
        bool found = false;
        for (size_t a = 0; a < result.actual.size() && !found; ++a)
            if (!used[a] && result.actual[a].ids == c.alerts[e]) found = used[a] = true;
        if (found) continue;
        // The events the expected alert names, by id; an id no event carries is a mistake in the case.
        std::vector<size_t> indices;
        std::string unknown;
        for (const auto& id : c.alerts[e]) {
            if (id == "-") continue;
            auto at = std::find(ids.begin(), ids.end(), id);
            if (at == ids.end())
                unknown += (unknown.empty() ? "" : ", ") + id;
            else
                indices.push_back(static_cast<size_t>(at - ids.begin()));
        }
        MissExplanation why;
        if (!unknown.empty()) {
            why.summary =
                "no event of this case has " + c.id_field + " = " + unknown + (c.select ? " (after select)" : "");
        } else {
            std::vector<std::string> texts;
            texts.reserve(events.size());
            for (const auto& ev : events) texts.push_back(ev.text);
            WhyNotOptions names;
            names.event_names = ids;
            names.timestamp_field = rule.timestamp_override;
            names.event_category_field = rule.event_category_override;
            names.tiebreaker_field = rule.tiebreaker_field;
            names.timestamp_fallback = !rule.timestamp_override_fallback_disabled;
            why = explain_missing_alert(rule.query, options.query, texts, indices, names);
        }
        result.missing.emplace_back(e, std::move(why));
    }
    for (size_t a = 0; a < result.actual.size(); ++a)
        if (!used[a]) result.unexpected.push_back(a);

    bool same = result.actual.size() == c.alerts.size();
    for (size_t i = 0; same && i < c.alerts.size(); ++i) same = result.actual[i].ids == c.alerts[i];
    if (same && c.severity)
        for (size_t i = 0; same && i < c.alerts.size(); ++i) same = result.actual[i].severity == (*c.severity)[i];
    result.passed = same && result.error.empty() && result.reports.empty();  // unusable test data fails the case
    return result;
}

}  // namespace

size_t RuleTestResults::passed() const {
    return static_cast<size_t>(std::count_if(cases.begin(), cases.end(), [](const CaseResult& c) { return c.passed; }));
}

size_t RuleTestResults::failed() const { return cases.size() - passed(); }

RuleTestResults run_rule_tests(const rules::Rule& rule, const TestFile& tests, const EngineOptions& options) {
    RuleTestResults out;
    // Compiled once up front, so that a rule that does not compile is one error rather than a failure per case.
    auto compiled = CompiledQueries::compile({rule_query(rule)}, options);
    if (!compiled.queries) {
        for (const auto& problem : compiled.problems)
            for (const auto& d : problem.diagnostics) out.rule_error += describe_rule_problem(rule, d);
        if (out.rule_error.empty()) out.rule_error = rule.path.string() + ": the rule was refused\n";
        return out;
    }
    for (const TestCase& c : tests.cases) out.cases.push_back(run_case(rule, tests, c, options));
    return out;
}

}  // namespace eqlc::authoring
