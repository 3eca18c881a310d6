// Engine::push_json and push_ndjson: events given as JSON text run exactly as read_ndjson runs the same lines.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "eqlc/engine.hpp"
#include "support/files.hpp"
#include "support/wmi_rule.hpp"

namespace {

struct Run {
    std::vector<std::string> matches;  // per match: query, then each event's ordinal and source
    std::vector<std::string> reports;  // origin:line: message
};

std::unique_ptr<eqlc::Engine> wmi_engine(Run& run, bool prefilter = true) {
    eqlc::EngineOptions options;
    options.line_prefilter = prefilter;
    auto created = eqlc::Engine::create(
        {{eqlc::test::wmi_rule_query(), "wmi"}, {"process where process.name : \"cmd.exe\"", "cmd"}}, options);
    REQUIRE(created.engine);
    created.engine->on_match([&run](const eqlc::Match& m) {
        std::string s = std::to_string(m.query);
        for (const auto& e : m.events) s += " " + std::to_string(e.ordinal) + ":" + e.source;
        run.matches.push_back(s);
    });
    created.engine->on_bad_input([&run](const eqlc::BadInput& b) {
        run.reports.push_back(b.origin + ":" + std::to_string(b.line) + ": " + b.message);
    });
    return std::move(created.engine);
}

std::string samples_text() {
    return eqlc::test::read_text(eqlc::test::wmi_defend_samples()) +
           eqlc::test::read_text(eqlc::test::wmi_sysmon_samples());
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("push_ndjson and push_json give what read_ndjson gives on the same lines", "[push]") {
    // A bad line and an event without a timestamp among the samples.
    const std::string text = samples_text() + "{not json\n{\"event\":{\"category\":\"process\"}}\n";
    eqlc::test::TempDir dir;
    const auto path = dir.write("events.ndjson", text);
    const std::string origin = path.string();

    for (bool prefilter : {true, false}) {
        Run read, whole, each;
        auto a = wmi_engine(read, prefilter);
        eqlc::Diagnostic error;
        REQUIRE(a->read_ndjson(path.string(), {}, &error));
        a->finish();

        auto b = wmi_engine(whole, prefilter);
        eqlc::PushOptions named;
        named.origin = origin;
        b->push_ndjson(text, named);
        b->finish();

        auto c = wmi_engine(each, prefilter);
        const auto lines = lines_of(text);
        for (size_t i = 0; i < lines.size(); ++i) {
            const std::vector<uint64_t> position{i + 1};
            eqlc::PushOptions one;
            one.origin = origin;
            one.lines = position;
            c->push_json(lines[i], one);
        }
        c->finish();

        REQUIRE(read.matches.size() >= 3);  // the WMI scenarios and the cmd.exe events
        CHECK(whole.matches == read.matches);
        CHECK(each.matches == read.matches);
        CHECK(whole.reports == read.reports);
        CHECK(each.reports == read.reports);
        CHECK(b->stats().events == a->stats().events);
        CHECK(c->stats().bad_lines == a->stats().bad_lines);
        CHECK(c->stats().bytes + lines.size() == a->stats().bytes);  // push_json is given lines without '\n'
    }
}

TEST_CASE("push_ndjson: positions name the lines and can be the events' ordinals", "[push]") {
    const auto lines = lines_of(samples_text());
    std::string text;
    std::vector<uint64_t> positions;
    for (size_t i = 0; i < lines.size(); ++i) {
        text += lines[i] + "\n";
        positions.push_back(1000 + 7 * i);  // stream sequences with gaps
    }
    text += "[1,2]\n";
    positions.push_back(5000);

    Run run;
    auto engine = wmi_engine(run);
    eqlc::PushOptions options;
    options.origin = "nats://127.0.0.1:4222/EVENTS";
    options.lines = positions;
    options.lines_are_ordinals = true;
    CHECK(engine->push_ndjson(text, options) == lines.size());
    engine->finish();
    REQUIRE(run.reports.size() == 1);
    CHECK(run.reports[0].rfind("nats://127.0.0.1:4222/EVENTS:5000: ", 0) == 0);
    REQUIRE_FALSE(run.matches.empty());
    for (const auto& m : run.matches) {
        // Every ordinal in a match is one of the positions given.
        std::istringstream in(m.substr(m.find(' ') + 1));
        for (std::string item; in >> item;) {
            const auto colon = item.find(':');
            if (colon == std::string::npos || item[0] < '0' || item[0] > '9') continue;
            const uint64_t ordinal = std::stoull(item.substr(0, colon));
            if (ordinal < 1000) continue;  // not an ordinal: a number inside the source
            CHECK((ordinal - 1000) % 7 == 0);
        }
    }

    // Without positions the ordinals count events from 0, as read_ndjson does.
    Run plain;
    auto second = wmi_engine(plain);
    second->push_ndjson(text);
    second->finish();
    REQUIRE(plain.matches.size() == run.matches.size());
    CHECK(plain.matches != run.matches);
}

TEST_CASE("push_json reads a pretty-printed event as one event", "[push]") {
    Run run;
    auto engine = wmi_engine(run);
    CHECK(
        engine->push_json("{\n  \"@timestamp\": \"2024-01-01T00:00:00Z\",\n  \"event\": {\"category\": "
                          "\"process\"},\r\n  \"process\": {\"name\": \"cmd.exe\"}\n}\n"));
    CHECK_FALSE(engine->push_json("{\"@timestamp\": "));
    engine->finish();
    CHECK(run.matches.size() == 1);
    CHECK(run.reports.size() == 1);
    CHECK(engine->stats().bad_lines == 1);
}
