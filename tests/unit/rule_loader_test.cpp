// Rule files: detection-rules TOML and .eql files, one at a time and by folder; query positions in the file;
// severity_mapping / risk_score_mapping; and the detection-rules corpus, which must load in full.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "eqlc/rule_loader.hpp"
#include "support/files.hpp"
#include "support/shared_data.hpp"

namespace fs = std::filesystem;
using namespace eqlc::rules;
using eqlc::test::TempDir;
using nlohmann::json;

namespace {

LoadResult toml(const std::string& text, const char* name = "rule.toml") {
    return load_rule_text(text, name, RuleFormat::toml);
}

// A complete minimal rule, with the query given.
std::string rule_with(const std::string& query_line, const std::string& extra = "") {
    return "[metadata]\nmaturity = \"production\"\n\n[rule]\nrule_id = \"r1\"\nname = \"R\"\nseverity = \"low\"\n"
           "risk_score = 21\nlanguage = \"eql\"\ntype = \"eql\"\n" +
           extra + query_line + "\n";
}

const eqlc::Diagnostic& first_error(const LoadResult& r) {
    auto it = std::find_if(r.diagnostics.begin(), r.diagnostics.end(),
                           [](const auto& d) { return d.severity == eqlc::Severity::error; });
    REQUIRE(it != r.diagnostics.end());
    return *it;
}

std::string all_messages(const LoadResult& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += d.message + "\n";
    return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------------------
// One TOML file

TEST_CASE("rule loader: a minimal TOML rule", "[rules]") {
    const auto r = toml(rule_with("query = '''\nprocess where process.name == \"cmd.exe\"\n'''",
                                  "index = [\"logs-*\"]\ntiebreaker_field = \"event.sequence\"\n"
                                  "event_category_override = \"event.type\"\ntimestamp_override = \"event.ingested\"\n"
                                  "tags = [\"a\", \"b\"]\nnote = \"guide\"\n"));
    INFO(all_messages(r));
    REQUIRE(r.ok());
    CHECK(r.diagnostics.empty());
    const Rule& rule = *r.rule;
    CHECK(rule.rule_id == "r1");
    CHECK(rule.name == "R");
    CHECK(rule.severity == "low");
    CHECK(rule.risk_score == 21);
    CHECK(rule.query == "process where process.name == \"cmd.exe\"\n");
    CHECK(rule.index == std::vector<std::string>{"logs-*"});
    CHECK(rule.tiebreaker_field == std::optional<std::string>("event.sequence"));
    CHECK(rule.event_category_override == std::optional<std::string>("event.type"));
    CHECK(rule.timestamp_override == std::optional<std::string>("event.ingested"));
    CHECK_FALSE(rule.timestamp_override_fallback_disabled);  // Kibana's default: fall back to @timestamp
    CHECK(rule.tags == std::vector<std::string>{"a", "b"});
    CHECK(rule.note == "guide");
    CHECK(rule.maturity == "production");
    CHECK(rule.source_text == r.source_text);
    // The query starts on the line after ''' (line 18), column 1.
    CHECK(rule.query_location.start().line == 18);
    CHECK(rule.query_location.start().column == 1);
}

TEST_CASE("rule loader: malformed TOML is refused with line and column", "[rules]") {
    SECTION("a value is missing") {
        const auto r = toml("[rule]\nname = \"a\"\nrisk_score = = 3\n");
        CHECK(r.status == LoadStatus::malformed);
        CHECK_FALSE(r.rule.has_value());
        const auto& d = first_error(r);
        CHECK(d.phase == eqlc::Phase::rule);
        CHECK(d.span.begin.line == 3);
        CHECK(d.span.begin.column == 14);
        CHECK(d.message.find("invalid TOML") == 0);
        // The formatted diagnostic shows the file, line and column, and the line itself.
        const std::string shown = eqlc::format_diagnostic(d, r.text(), "rule.toml");
        CHECK(shown.find("rule.toml:3:14: error: invalid TOML") == 0);
        CHECK(shown.find("risk_score = = 3") != std::string::npos);
    }
    SECTION("what was expected is said") {
        const auto r = toml("[rule]\nquery = \"a\" \"b\"\n");
        CHECK(r.status == LoadStatus::malformed);
        const auto& d = first_error(r);
        CHECK(d.span.begin.line == 2);
        CHECK(d.span.begin.column == 13);
        CHECK(d.expected == "a comment or whitespace");
    }
    SECTION("an unterminated multi-line string") {
        const auto r = toml("[rule]\nquery = '''\nprocess where true\n");
        CHECK(r.status == LoadStatus::malformed);
        CHECK(first_error(r).span.begin.line >= 2);
        CHECK(first_error(r).message.find("end-of-file") != std::string::npos);
    }
    SECTION("a key given twice") {
        const auto r = toml("[rule]\nname = \"a\"\nname = \"b\"\n");
        CHECK(r.status == LoadStatus::malformed);
        CHECK(first_error(r).span.begin.line == 3);
    }
    SECTION("columns are bytes, also after non-ASCII text") {
        const auto r = toml("x = \"\xC3\xA9\" = 2\n");  // x = "é" = 2
        CHECK(r.status == LoadStatus::malformed);
        CHECK(first_error(r).span.begin.column == 10);
        CHECK(first_error(r).span.begin.offset == 9);
    }
}

TEST_CASE("rule loader: a TOML file without a query is refused", "[rules]") {
    SECTION("no [rule] table") {
        const auto r = toml("[metadata]\nmaturity = \"production\"\n");
        CHECK(r.status == LoadStatus::missing_query);
        CHECK(first_error(r).message.find("no [rule] table") != std::string::npos);
    }
    SECTION("[rule] without query") {
        const auto r = toml("[rule]\nname = \"x\"\nlanguage = \"eql\"\n");
        CHECK(r.status == LoadStatus::missing_query);
        CHECK(r.reason() == "[rule] has no query");
        CHECK(first_error(r).span.begin.line == 1);
    }
    SECTION("a query that is not a string") {
        const auto r = toml("[rule]\nlanguage = \"eql\"\nquery = 42\n");
        CHECK(r.status == LoadStatus::missing_query);
        CHECK(first_error(r).message == "[rule].query is an integer, not a string");
        CHECK(first_error(r).span.begin.line == 3);
    }
    SECTION("[rule] that is not a table") {
        const auto r = toml("rule = \"x\"\n");
        CHECK(r.status == LoadStatus::invalid);
    }
}

TEST_CASE("rule loader: rules in other languages are refused with the reason", "[rules]") {
    SECTION("KQL") {
        const auto r = toml("[rule]\nlanguage = \"kuery\"\ntype = \"query\"\nquery = \"process.name : cmd.exe\"\n");
        CHECK(r.status == LoadStatus::unsupported_language);
        CHECK(r.reason() == "rule language is \"kuery\": eqlc runs only EQL rules");
        CHECK(first_error(r).span.begin.line == 2);
        CHECK(first_error(r).span.begin.column == 12);
    }
    SECTION("ES|QL") {
        const auto r = toml("[rule]\nlanguage = \"esql\"\ntype = \"esql\"\nquery = \"FROM logs-*\"\n");
        CHECK(r.status == LoadStatus::unsupported_language);
    }
    SECTION("a non-EQL rule type without a query") {
        const auto r = toml("[rule]\ntype = \"machine_learning\"\nanomaly_threshold = 50\n");
        CHECK(r.status == LoadStatus::unsupported_language);
        CHECK(r.reason().find("machine_learning") != std::string::npos);
    }
    SECTION("no language and no type: read as EQL, with a warning") {
        const auto r = toml(
            "[rule]\nrule_id = \"x\"\nname = \"x\"\nseverity = \"high\"\nrisk_score = 73\n"
            "query = 'any where true'\n");
        REQUIRE(r.ok());
        CHECK(r.rule->language == "eql");
        REQUIRE(r.diagnostics.size() == 1);
        CHECK(r.diagnostics[0].severity == eqlc::Severity::warning);
    }
}

TEST_CASE("rule loader: invalid field values", "[rules]") {
    SECTION("unknown severity") {
        const auto r = toml(rule_with("query = 'any where true'")
                                .replace(rule_with("").find("severity = \"low\""), 16, "severity = \"severe\""));
        CHECK(r.status == LoadStatus::invalid);
        CHECK(first_error(r).message == "unknown severity \"severe\"");
        CHECK(first_error(r).expected == "\"low\", \"medium\", \"high\" or \"critical\"");
    }
    SECTION("risk score out of range") {
        const auto r = toml("[rule]\nlanguage = \"eql\"\nrisk_score = 200\nquery = 'any where true'\n");
        CHECK(r.status == LoadStatus::invalid);
        CHECK(first_error(r).span.begin.line == 3);
    }
    SECTION("index is not a list of strings") {
        const auto r = toml(rule_with("query = 'any where true'", "index = [1, 2]\n"));
        CHECK(r.status == LoadStatus::invalid);
        CHECK(first_error(r).message == "[rule].index element is an integer");
    }
    SECTION("a severity_mapping operator other than equals") {
        const auto r = toml(rule_with("query = 'any where true'") +
                            "[[rule.severity_mapping]]\nfield = \"a\"\noperator = \"contains\"\nvalue = \"x\"\n"
                            "severity = \"high\"\n");
        CHECK(r.status == LoadStatus::invalid);
        CHECK(first_error(r).message == "unsupported severity_mapping operator \"contains\"");
    }
    SECTION("a severity_mapping entry without severity") {
        const auto r =
            toml(rule_with("query = 'any where true'") + "[[rule.severity_mapping]]\nfield = \"a\"\nvalue = \"x\"\n");
        CHECK(r.status == LoadStatus::invalid);
    }
    SECTION("missing optional metadata gives warnings and defaults") {
        const auto r = load_rule_text(
            "[rule]\nlanguage = \"eql\"\ntype = \"eql\"\nseverity = \"high\"\n"
            "query = 'any where true'\n",
            "some/dir/my_rule.toml", RuleFormat::toml);
        REQUIRE(r.ok());
        CHECK(r.rule->rule_id == "my_rule");
        CHECK(r.rule->name == "my_rule");
        CHECK(r.rule->risk_score == 73);  // the score detection-rules pairs with "high"
        CHECK(r.diagnostics.size() == 3);
    }
}

// ------------------------------------------------------------------------------------------------------
// Query positions

TEST_CASE("rule loader: query offsets map to TOML line and column", "[rules]") {
    SECTION("multi-line literal string") {
        const auto r =
            toml(rule_with("query = '''\nsequence\n  [process where x == 1]\n  [file where y : \"a\\\\b\"]'''"));
        REQUIRE(r.ok());
        const auto& q = r.rule->query;
        const auto& loc = r.rule->query_location;
        CHECK(loc.start().line == 12);
        const auto file = loc.file_position(static_cast<uint32_t>(q.find("file")));
        CHECK(file.line == 14);
        CHECK(file.column == 4);
        CHECK(r.text().substr(file.offset, 4) == "file");
        // The backslashes of a literal string are the query's own.
        const auto slash = loc.file_position(static_cast<uint32_t>(q.find('\\')));
        CHECK(r.text()[slash.offset] == '\\');
    }
    SECTION("single-line literal string") {
        const auto r = toml(rule_with("query = 'process where x == 1'"));
        REQUIRE(r.ok());
        const auto pos = r.rule->query_location.file_position(14);  // the 'x'
        CHECK(pos.line == 11);
        CHECK(pos.column == 24);
        CHECK(r.text()[pos.offset] == 'x');
    }
    SECTION("basic string with escapes") {
        // In the file: query = "process where a == \"x\" and b == \u0041"
        const auto r = toml(rule_with("query = \"process where a == \\\"x\\\" and b == \\u0041\""));
        REQUIRE(r.ok());
        const auto& q = r.rule->query;
        CHECK(q == "process where a == \"x\" and b == A");
        const auto b = r.rule->query_location.file_position(static_cast<uint32_t>(q.find(" b ") + 1));
        CHECK(r.text()[b.offset] == 'b');
        const auto a = r.rule->query_location.file_position(static_cast<uint32_t>(q.find('A')));
        CHECK(r.text().substr(a.offset, 6) == "\\u0041");
    }
    SECTION("multi-line basic string with a line-ending backslash and CRLF") {
        const auto r = toml(rule_with("query = \"\"\"\r\nprocess where \\\r\n    a == 1 and\r\n  b == 2\"\"\""));
        REQUIRE(r.ok());
        const auto& q = r.rule->query;
        // Only the whitespace after a line-ending backslash goes; the next line keeps its indentation.
        CHECK(q == "process where a == 1 and\n  b == 2");
        const auto a = r.rule->query_location.file_position(static_cast<uint32_t>(q.find('a')));
        CHECK(a.line == 13);
        CHECK(a.column == 5);
        CHECK(r.text()[a.offset] == 'a');
        const auto b = r.rule->query_location.file_position(static_cast<uint32_t>(q.find('b')));
        CHECK(b.line == 14);
        CHECK(b.column == 3);
        CHECK(r.text()[b.offset] == 'b');
    }
    SECTION("a query diagnostic moved into the file") {
        const auto r = toml(rule_with("query = '''\nprocess where\n  foo(x)'''"));
        REQUIRE(r.ok());
        eqlc::Diagnostic d;
        d.message = "unknown function [foo]";
        d.span.begin = eqlc::position_at(r.rule->query, 16);
        d.span.end = eqlc::position_at(r.rule->query, 19);
        const auto moved = r.rule->to_file_diagnostic(d);
        CHECK(moved.span.begin.line == 13);
        CHECK(moved.span.begin.column == 3);
        CHECK(moved.span.end.column == 6);
        const std::string shown = eqlc::format_diagnostic(moved, r.text(), "rule.toml");
        CHECK(shown.find("rule.toml:13:3: error: unknown function [foo]") == 0);
        CHECK(shown.find("  foo(x)'''\n    ^~~") != std::string::npos);
    }
}

// ------------------------------------------------------------------------------------------------------
// .eql files

TEST_CASE("rule loader: an .eql file is a rule named after the file", "[rules]") {
    const auto r =
        load_rule_text("process where process.name : \"cmd.exe\"\n", "rules/suspicious_cmd.eql", RuleFormat::eql);
    REQUIRE(r.ok());
    const Rule& rule = *r.rule;
    CHECK(rule.format == RuleFormat::eql);
    CHECK(rule.rule_id == "suspicious_cmd");
    CHECK(rule.name == "suspicious_cmd");
    CHECK(rule.severity == "low");
    CHECK(rule.risk_score == 21);
    CHECK(rule.language == "eql");
    CHECK(rule.query == "process where process.name : \"cmd.exe\"\n");
    CHECK(rule.severity_mapping.empty());
    CHECK(rule.index.empty());
    CHECK(rule.query_location.file_position(8).line == 1);
    CHECK(rule.query_location.file_position(8).column == 9);

    const auto multi = load_rule_text("sequence\n  [a where true]\n  [b where true]\n", "s.eql", RuleFormat::eql);
    REQUIRE(multi.ok());
    CHECK(multi.rule->query_location.file_position(29).line == 3);
    CHECK(multi.rule->query_location.file_position(29).column == 4);

    const auto empty = load_rule_text(" \n\n", "empty.eql", RuleFormat::eql);
    CHECK(empty.status == LoadStatus::missing_query);
}

TEST_CASE("rule loader: files on disk", "[rules]") {
    TempDir dir;
    dir.write("a.toml", rule_with("query = 'any where true'"));
    dir.write("b.eql", "any where true");
    CHECK(load_rule_file(dir.path() / "a.toml").ok());
    CHECK(load_rule_file(dir.path() / "a.toml").rule->format == RuleFormat::toml);
    CHECK(load_rule_file(dir.path() / "b.eql").rule->format == RuleFormat::eql);
    const auto missing = load_rule_file(dir.path() / "nope.toml");
    CHECK(missing.status == LoadStatus::unreadable);
    CHECK(missing.reason().find("cannot read") == 0);
    CHECK(load_rule_file(dir.path()).status == LoadStatus::unreadable);  // a folder is not a rule file
}

// ------------------------------------------------------------------------------------------------------
// Folders

TEST_CASE("rule loader: a folder loads every .toml and .eql file, recursively, sorted", "[rules]") {
    TempDir dir;
    auto with_id = [](const std::string& id) {
        return "[rule]\nrule_id = \"" + id + "\"\nname = \"" + id +
               "\"\nlanguage = \"eql\"\ntype = \"eql\"\n"
               "severity = \"low\"\nrisk_score = 21\nquery = 'any where true'\n";
    };
    dir.write("zeta.toml", with_id("zeta"));
    dir.write("alpha.eql", "process where true");
    dir.write("sub/beta.toml", with_id("beta"));
    dir.write("sub/deeper/gamma.eql", "file where true");
    dir.write("broken.toml", "[rule\n");
    dir.write("kql.toml", "[rule]\nlanguage = \"kuery\"\nquery = \"a\"\n");
    dir.write("dup.toml", with_id("zeta"));  // same rule_id as zeta.toml
    dir.write("pair.toml", with_id("pair"));
    dir.write("pair.eql", "any where true\n");  // the query of pair.toml
    dir.write("sub/drift.toml", with_id("drift"));
    dir.write("sub/drift.eql", "any where false");  // disagrees with drift.toml
    dir.write("README.md", "not a rule");
    dir.write("samples/events.ndjson", "{}");
    dir.write(".hidden/ignored.toml", with_id("ignored"));
    dir.write(".ignored.eql", "any where true");

    const FolderLoad folder = load_rule_folder(dir.path());
    CHECK(folder.diagnostics.empty());
    std::vector<std::string> names;
    std::map<std::string, const LoadResult*> by_name;
    for (const auto& f : folder.files) {
        const std::string rel = fs::relative(f.path, dir.path()).generic_string();
        names.push_back(rel);
        by_name[rel] = &f;
    }
    CHECK(names == std::vector<std::string>{"alpha.eql", "broken.toml", "dup.toml", "kql.toml", "pair.eql", "pair.toml",
                                            "sub/beta.toml", "sub/deeper/gamma.eql", "sub/drift.eql", "sub/drift.toml",
                                            "zeta.toml"});
    CHECK(by_name["alpha.eql"]->ok());
    CHECK(by_name["broken.toml"]->status == LoadStatus::malformed);
    CHECK(by_name["kql.toml"]->status == LoadStatus::unsupported_language);
    CHECK(by_name["dup.toml"]->ok());  // first in path order keeps the rule_id
    CHECK(by_name["zeta.toml"]->status == LoadStatus::duplicate_rule_id);
    CHECK(by_name["zeta.toml"]->reason().find("dup.toml") != std::string::npos);
    CHECK(by_name["pair.eql"]->status == LoadStatus::companion);
    CHECK(by_name["pair.eql"]->diagnostics.empty());
    CHECK(by_name["pair.toml"]->ok());
    CHECK(by_name["sub/drift.eql"]->status == LoadStatus::companion);
    REQUIRE(by_name["sub/drift.eql"]->diagnostics.size() == 1);
    CHECK(by_name["sub/drift.eql"]->diagnostics[0].severity == eqlc::Severity::warning);
    CHECK(by_name["sub/deeper/gamma.eql"]->rule->rule_id == "gamma");

    std::vector<std::string> ids;
    for (const Rule* rule : folder.rules()) ids.push_back(rule->rule_id);
    CHECK(ids == std::vector<std::string>{"alpha", "zeta", "pair", "beta", "gamma", "drift"});
    CHECK(folder.loaded_count() == 6);
    CHECK(folder.refused_count() == 3);  // broken, kql, the duplicate; companions are not refusals
}

TEST_CASE("rule loader: a large folder, loaded on several threads, gives what loading each file gives", "[rules]") {
    TempDir dir;
    std::vector<std::filesystem::path> paths;
    for (int i = 0; i < 300; ++i) {
        char stem[16];
        std::snprintf(stem, sizeof stem, "r%03d", i);
        std::string text;
        switch (i % 5) {
            case 0: text = "[rule\n"; break;                                        // malformed
            case 1: text = "[rule]\nlanguage = \"kuery\"\nquery = \"a\"\n"; break;  // other language
            default:
                text = "[rule]\nrule_id = \"" + std::string(stem) + "\"\nname = \"" + stem +
                       "\"\nlanguage = \"eql\"\ntype = \"eql\"\nseverity = \"low\"\nrisk_score = 21\n"
                       "query = 'process where process.name == \"" +
                       stem + ".exe\"'\n";
        }
        paths.push_back(dir.write(std::string(stem) + ".toml", text));
    }
    const FolderLoad folder = load_rule_folder(dir.path());
    REQUIRE(folder.files.size() == paths.size());
    CHECK(folder.loaded_count() == 180);
    for (size_t i = 0; i < paths.size(); ++i) {
        const LoadResult one = load_rule_file(paths[i]);
        const LoadResult& got = folder.files[i];
        INFO(paths[i]);
        CHECK(got.path == paths[i]);
        CHECK(got.status == one.status);
        CHECK(all_messages(got) == all_messages(one));
        CHECK(got.text() == one.text());
        REQUIRE(got.rule.has_value() == one.rule.has_value());
        if (got.rule) {
            CHECK(got.rule->rule_id == one.rule->rule_id);
            CHECK(got.rule->query == one.rule->query);
        }
    }
}

TEST_CASE("rule loader: a folder that does not exist, or a single file", "[rules]") {
    const auto none = load_rule_folder("/nonexistent/eqlc/rules");
    CHECK(none.files.empty());
    REQUIRE(none.diagnostics.size() == 1);
    CHECK(none.diagnostics[0].message.find("no such rule folder") == 0);

    TempDir dir;
    dir.write("one.eql", "any where true");
    const auto single = load_rule_folder(dir.path() / "one.eql");
    REQUIRE(single.files.size() == 1);
    CHECK(single.loaded_count() == 1);
}

// ------------------------------------------------------------------------------------------------------
// Severity and risk score overrides

TEST_CASE("effective_severity: severity_mapping as Kibana applies it", "[rules]") {
    Rule rule;
    rule.severity = "medium";
    rule.risk_score = 47;
    using Result = std::pair<std::string, int64_t>;
    CHECK(effective_severity(rule, json{{"a", 1}}) == Result{"medium", 47});

    rule.severity_mapping = {
        {"user.name", "equals", "root", "critical", {}},   {"process.name", "equals", "cmd.exe", "high", {}},
        {"process.name", "equals", "calc.exe", "low", {}}, {"destination.port", "equals", "135", "high", {}},
        {"tls.established", "equals", "true", "low", {}},
    };
    CHECK(effective_severity(rule, json{{"process", {{"name", "cmd.exe"}}}}).first == "high");
    // A mapping may lower the severity too.
    CHECK(effective_severity(rule, json{{"process", {{"name", "calc.exe"}}}}).first == "low");
    CHECK(effective_severity(rule, json{{"process", {{"name", "notepad.exe"}}}}).first == "medium");
    // Several entries match: the highest severity wins, whatever the file order.
    CHECK(effective_severity(rule, json{{"process", {{"name", "calc.exe"}}}, {"user", {{"name", "root"}}}}).first ==
          "critical");
    CHECK(effective_severity(rule, json{{"process", {{"name", "calc.exe"}}}, {"destination", {{"port", 135}}}}).first ==
          "high");
    // Numbers and booleans compare by their JSON text.
    CHECK(effective_severity(rule, json{{"destination", {{"port", 135}}}}).first == "high");
    CHECK(effective_severity(rule, json{{"destination", {{"port", "135"}}}}).first == "high");
    CHECK(effective_severity(rule, json{{"destination", {{"port", 1350}}}}).first == "medium");
    CHECK(effective_severity(rule, json{{"tls", {{"established", true}}}}).first == "low");
    // Arrays: any element; arrays of objects: any object's value.
    CHECK(effective_severity(rule, json{{"process", {{"name", json::array({"x.exe", "cmd.exe"})}}}}).first == "high");
    CHECK(effective_severity(rule, json{{"process", json::array({json{{"name", "a"}}, json{{"name", "cmd.exe"}}})}})
              .first == "high");
    // Null and missing fields match nothing; case matters.
    CHECK(effective_severity(rule, json{{"process", {{"name", nullptr}}}}).first == "medium");
    CHECK(effective_severity(rule, json{{"process", {{"name", "Cmd.exe"}}}}).first == "medium");
    // Dotted keys and mixes of nesting and dots.
    CHECK(effective_severity(rule, json{{"process.name", "cmd.exe"}}).first == "high");
    CHECK(effective_severity(rule, json{{"user.name", "root"}}).first == "critical");
}

TEST_CASE("effective_severity: risk_score_mapping reads a number from the event", "[rules]") {
    Rule rule;
    rule.severity = "low";
    rule.risk_score = 21;
    rule.risk_score_mapping = {{"event.risk_score", "equals", "", std::nullopt, {}},
                               {"other.score", "equals", "", std::nullopt, {}}};
    using Result = std::pair<std::string, int64_t>;
    CHECK(effective_severity(rule, json{{"event", {{"risk_score", 88}}}}) == Result{"low", 88});
    CHECK(effective_severity(rule, json{{"event", {{"risk_score", "64"}}}}) == Result{"low", 64});
    CHECK(effective_severity(rule, json{{"event", {{"risk_score", 99.9}}}}) == Result{"low", 99});
    CHECK(effective_severity(rule, json{{"event", {{"risk_score", 0}}}}) == Result{"low", 0});
    CHECK(effective_severity(rule, json{{"event", {{"risk_score", json::array({12, 140, 55})}}}}) == Result{"low", 55});
    // Out of range, not a number, missing: the rule's own score.
    CHECK(effective_severity(rule, json{{"event", {{"risk_score", 101}}}}) == Result{"low", 21});
    CHECK(effective_severity(rule, json{{"event", {{"risk_score", -1}}}}) == Result{"low", 21});
    CHECK(effective_severity(rule, json{{"event", {{"risk_score", "high"}}}}) == Result{"low", 21});
    CHECK(effective_severity(rule, json{{"event", {{"risk_score", ""}}}}) == Result{"low", 21});
    CHECK(effective_severity(rule, json::object()) == Result{"low", 21});
    // Only the first entry is read.
    CHECK(effective_severity(rule, json{{"other", {{"score", 90}}}}) == Result{"low", 21});
}

TEST_CASE("rule loader: severity and risk score mappings from TOML", "[rules]") {
    const auto r =
        toml(rule_with("query = 'any where true'") +
             "[[rule.severity_mapping]]\nfield = \"process.name\"\noperator = \"equals\"\nvalue = \"cmd.exe\"\n"
             "severity = \"high\"\n\n"
             "[[rule.severity_mapping]]\nfield = \"destination.port\"\noperator = \"equals\"\nvalue = 135\n"
             "severity = \"critical\"\n\n"
             "[[rule.risk_score_mapping]]\nfield = \"event.risk_score\"\noperator = \"equals\"\nvalue = \"\"\n");
    INFO(all_messages(r));
    REQUIRE(r.ok());
    const Rule& rule = *r.rule;
    REQUIRE(rule.severity_mapping.size() == 2);
    CHECK(rule.severity_mapping[1].value == "135");
    CHECK(rule.severity_mapping[0].position.line == 12);
    REQUIRE(rule.risk_score_mapping.size() == 1);
    CHECK(rule.risk_score_mapping[0].field == "event.risk_score");
    CHECK_FALSE(rule.risk_score_mapping[0].risk_score.has_value());
    CHECK(effective_severity(rule, json{{"process", {{"name", "cmd.exe"}}}, {"event", {{"risk_score", 70}}}}) ==
          std::pair<std::string, int64_t>{"high", 70});
}

TEST_CASE("find_field: nested objects, dotted keys and mixes", "[rules]") {
    const json event = json::parse(R"({"process": {"name": "a", "parent.name": "b", "Ext": {"token": {"x": 1}}},
                                       "host.os.type": "windows", "host": {"id": "h"}})");
    REQUIRE(find_field(event, "process.name"));
    CHECK(*find_field(event, "process.name") == "a");
    CHECK(*find_field(event, "process.parent.name") == "b");
    CHECK(*find_field(event, "process.Ext.token.x") == 1);
    CHECK(*find_field(event, "host.os.type") == "windows");
    CHECK(*find_field(event, "host.id") == "h");
    CHECK(find_field(event, "host.name") == nullptr);
    CHECK(find_field(event, "process.name.x") == nullptr);
    CHECK(find_field(event, "") == nullptr);
}

// ------------------------------------------------------------------------------------------------------
// The detection-rules corpus

TEST_CASE("rule loader: every EQL rule of the detection-rules corpus loads", "[rules][corpus]") {
    EQLC_REQUIRE_SHARED(root, "corpus/detection-rules/toml");
    const FolderLoad folder = load_rule_folder(*root);
    size_t eql = 0, loaded = 0, other_language = 0, query_matches = 0, exact_positions = 0;
    std::string failures;
    for (const LoadResult& file : folder.files) {
        const std::string text(file.text());
        // Whether the file declares an EQL rule, judged from its text (independently of the loader).
        const bool declares_eql = text.find("\nlanguage = \"eql\"") != std::string::npos;
        if (!declares_eql) {
            ++other_language;
            continue;
        }
        ++eql;
        if (!file.ok()) {
            failures += fs::relative(file.path, *root).generic_string() + ": " + std::string(status_name(file.status)) +
                        ": " + file.reason() + "\n";
            continue;
        }
        ++loaded;
        const Rule& rule = *file.rule;
        // The extracted query files of the corpus hold the same text.
        if (auto q = eqlc::test::shared_path("corpus/detection-rules/queries/" + rule.rule_id + ".eql")) {
            const std::string expected = eqlc::test::read_text(*q);
            auto trim = [](std::string s) {
                s.erase(0, s.find_first_not_of(" \t\r\n"));
                s.erase(s.find_last_not_of(" \t\r\n") + 1);
                return s;
            };
            if (trim(expected) == trim(rule.query)) ++query_matches;
        }
        // Every query byte maps to the same byte of the file (the corpus uses ''' literal strings).
        bool exact = true;
        for (uint32_t i = 0; i < rule.query.size() && exact; ++i) {
            const auto pos = rule.query_location.file_position(i);
            exact = pos.offset < text.size() && text[pos.offset] == rule.query[i];
        }
        if (exact) ++exact_positions;
        CHECK_FALSE(rule.name.empty());
        CHECK(is_valid_severity(rule.severity));
        CHECK(!rule.threat.empty());
    }
    WARN("detection-rules corpus: " << folder.files.size() << " TOML files, " << eql << " EQL rules, " << loaded
                                    << " loaded, " << other_language << " in other languages; " << query_matches
                                    << " queries equal the corpus query files; " << exact_positions
                                    << " with exact query positions");
    INFO(failures);
    CHECK(failures.empty());
    CHECK(loaded == eql);
    CHECK(eql > 500);
    CHECK(query_matches == loaded);
    CHECK(exact_positions == loaded);
    CHECK(folder.refused_count() == other_language);
}

TEST_CASE("rule loader: timestamp_override_fallback_disabled", "[rules][timestamp_override]") {
    const std::string query = "query = 'process where true'";
    const auto on = toml(rule_with(query,
                                   "timestamp_override = \"event.ingested\"\n"
                                   "timestamp_override_fallback_disabled = true\n"));
    INFO(all_messages(on));
    REQUIRE(on.ok());
    CHECK(on.rule->timestamp_override_fallback_disabled);
    const auto wrong = toml(rule_with(query, "timestamp_override_fallback_disabled = \"yes\"\n"));
    CHECK_FALSE(wrong.ok());
    CHECK(first_error(wrong).message.find("timestamp_override_fallback_disabled") != std::string::npos);
}
