// Per-stage counters of sequences and samples (EngineStats::stages_by_query): each kind on hand-made events —
// maxspan expiry (at the next hit and in time), until, eviction by max_keys, completion, a stage never passed —
// and that they are the same with and without the rule index, with -j shards, and across a snapshot.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "eqlc/engine.hpp"
#include "eqlc/why_not.hpp"
#include "sequence/key.hpp"
#include "sequence/sequence_matcher.hpp"
#include "support/cli_runner.hpp"
#include "support/files.hpp"
#include "support/wmi_rule.hpp"

namespace {

using Strings = std::vector<std::string>;

std::string ev(int seconds, const std::string& host, const std::string& category, const std::string& name) {
    return R"({"@timestamp":"2026-01-01T00:)" + std::string(seconds < 600 ? "0" : "") + std::to_string(seconds / 60) +
           ":" + (seconds % 60 < 10 ? "0" : "") + std::to_string(seconds % 60) + R"(.000Z","host":{"id":")" + host +
           R"("},"event":{"category":")" + category + R"("},"process":{"name":")" + name + R"("}})";
}

struct Run {
    eqlc::EngineStats stats;
    uint64_t alerts = 0;
};

Run run(const std::vector<std::string>& queries, const Strings& events, eqlc::EngineOptions options = {}) {
    std::vector<eqlc::QuerySource> sources;
    for (size_t i = 0; i < queries.size(); ++i) sources.emplace_back(queries[i], "q" + std::to_string(i));
    auto created = eqlc::Engine::create(sources, options);
    REQUIRE(created.engine);
    Run r;
    created.engine->on_match([&](const eqlc::Match&) { ++r.alerts; });
    for (const auto& e : events) created.engine->push_json(e);
    created.engine->finish();
    r.stats = created.engine->stats();
    return r;
}

std::string lines(const eqlc::QueryStageStats& q) {
    std::string out;
    for (const auto& l : eqlc::describe_stages(q)) out += l + "\n";
    return out;
}

const std::string kTwo = R"(sequence by host.id with maxspan=5s
  [process where process.name == "a"] [process where process.name == "b"])";

}  // namespace

TEST_CASE("stage counters: maxspan expiry, at the next hit and in time", "[stage-stats]") {
    for (const bool index : {true, false}) {
        eqlc::EngineOptions options;
        options.rule_index = index;
        // h1: a, then b 10 s later (refused at the hit); h2: a, then only time passes (swept).
        const auto r = run({kTwo},
                           {ev(0, "h1", "process", "a"), ev(10, "h1", "process", "b"), ev(20, "h2", "process", "a"),
                            ev(40, "h3", "process", "other")},
                           options);
        const auto& q = r.stats.stages_by_query.at(0);
        INFO(lines(q));
        REQUIRE(q.stages.size() == 2);
        CHECK(q.stages[0].passed == 2);
        CHECK(q.stages[0].started == 2);
        CHECK(q.stages[0].expired == 2);
        CHECK(q.stages[1].passed == 1);
        CHECK(q.stages[1].advanced == 0);
        CHECK(q.completed == 0);
        CHECK(r.alerts == 0);
    }
}

TEST_CASE("stage counters: completion, replacement, a stage never passed, left at the end", "[stage-stats]") {
    const std::string three = R"(sequence by host.id [process where process.name == "a"]
      [process where process.name == "b"] [process where process.name == "c"])";
    const auto r = run({three, kTwo}, {ev(0, "h1", "process", "a"), ev(1, "h1", "process", "a"),
                                       ev(2, "h1", "process", "b"), ev(3, "h2", "process", "a")});
    const auto& q = r.stats.stages_by_query.at(0);
    INFO(lines(q));
    CHECK(q.stages[0].passed == 3);
    CHECK(q.stages[0].started == 3);
    CHECK(q.stages[0].replaced == 1);
    CHECK(q.stages[0].dropped_at_finish == 1);  // h2's
    CHECK(q.stages[1].advanced == 1);
    CHECK(q.stages[1].dropped_at_finish == 1);  // h1 waits for c
    CHECK(q.stages[2].passed == 0);             // never passed
    CHECK(q.completed == 0);
    const auto& two = r.stats.stages_by_query.at(1);
    INFO(lines(two));
    CHECK(two.stages[1].advanced == 1);
    CHECK(two.completed == 1);
    CHECK(r.stats.matches.at(1) == 1);
    CHECK(lines(two) ==
          "stage 1  passed 3  started 3  replaced 1  left at end 1\nstage 2  passed 1  advanced 1\n"
          "completed 1\n");
}

TEST_CASE("stage counters: until, eviction, samples, event queries", "[stage-stats]") {
    SECTION("until") {
        const auto r = run({R"(sequence by host.id [process where process.name == "a"]
                                [process where process.name == "b"] until [process where process.name == "stop"])"},
                           {ev(0, "h1", "process", "a"), ev(1, "h1", "process", "stop"), ev(2, "h1", "process", "b")});
        const auto& q = r.stats.stages_by_query.at(0);
        INFO(lines(q));
        CHECK(q.until_events == 1);
        CHECK(q.stages[0].until == 1);
        CHECK(q.stages[1].advanced == 0);
    }
    SECTION("eviction by max_keys") {
        eqlc::EngineOptions options;
        options.max_keys = 1;
        const auto r = run(
            {kTwo}, {ev(0, "h1", "process", "a"), ev(1, "h2", "process", "a"), ev(2, "h1", "process", "b")}, options);
        const auto& q = r.stats.stages_by_query.at(0);
        INFO(lines(q));
        CHECK(q.stages[0].evicted == 1);
        CHECK(r.stats.evicted_keys == 1);
        CHECK(q.completed == 0);
    }
    SECTION("samples") {
        const auto r =
            run({R"(sample by host.id [process where process.name == "a"] [process where process.name == "b"])"},
                {ev(0, "h1", "process", "a"), ev(1, "h1", "process", "b"), ev(2, "h2", "process", "a")});
        const auto& q = r.stats.stages_by_query.at(0);
        INFO(lines(q));
        CHECK(q.stages[0].passed == 2);
        CHECK(q.stages[0].kept == 2);
        CHECK(q.stages[1].kept == 1);
        CHECK(q.completed == 1);
    }
    SECTION("an event query has no stages") {
        const auto r = run({R"(process where process.name == "a")"}, {ev(0, "h1", "process", "a")});
        CHECK(r.stats.stages_by_query.at(0).stages.empty());
    }
}

TEST_CASE("stage counters: the same across a snapshot and with -j shards", "[stage-stats]") {
    const Strings events = {ev(0, "h1", "process", "a"), ev(1, "h1", "process", "b"),  ev(2, "h2", "process", "a"),
                            ev(3, "h3", "process", "a"), ev(30, "h1", "process", "a"), ev(31, "h1", "process", "b")};
    const std::vector<std::string> queries = {
        kTwo, R"(process where true)", R"(sequence by host.id [process where process.name == "b"] [any where true])"};
    const auto whole = run(queries, events);

    SECTION("snapshot") {
        for (size_t split = 0; split <= events.size(); ++split) {
            std::vector<eqlc::QuerySource> sources;
            for (size_t i = 0; i < queries.size(); ++i) sources.emplace_back(queries[i], "q" + std::to_string(i));
            auto first = eqlc::Engine::create(sources).engine;
            for (size_t i = 0; i < split; ++i) first->push_json(events[i]);
            std::string bytes;
            REQUIRE(first->snapshot(bytes));
            auto second = eqlc::Engine::create(sources).engine;
            REQUIRE(second->restore(bytes));
            for (size_t i = split; i < events.size(); ++i) second->push_json(events[i]);
            second->finish();
            for (size_t q = 0; q < queries.size(); ++q) {
                INFO("split " << split << " query " << q);
                CHECK(lines(second->stats().stages_by_query.at(q)) == lines(whole.stats.stages_by_query.at(q)));
            }
        }
    }
    SECTION("read_ndjson with threads") {
        eqlc::test::TempDir dir;
        const auto path = dir.path() / "events.ndjson";
        {
            std::ofstream out(path);
            for (const auto& e : events) out << e << "\n";
        }
        for (const unsigned threads : {1u, 3u}) {
            std::vector<eqlc::QuerySource> sources;
            for (size_t i = 0; i < queries.size(); ++i) sources.emplace_back(queries[i], "q" + std::to_string(i));
            auto engine = eqlc::Engine::create(sources).engine;
            eqlc::Engine::ReadOptions read;
            read.threads = threads;
            eqlc::Diagnostic error;
            REQUIRE(engine->read_ndjson(path.string(), read, &error));
            engine->finish();
            for (size_t q = 0; q < queries.size(); ++q) {
                INFO("threads " << threads << " query " << q);
                CHECK(lines(engine->stats().stages_by_query.at(q)) == lines(whole.stats.stages_by_query.at(q)));
            }
        }
    }
}

TEST_CASE("eqlc --stats prints the stages of the rules that had any", "[stage-stats][cli]") {
    const auto r =
        eqlc::test::run_eqlc({"--stats", eqlc::test::wmi_rule_toml().string(),
                              eqlc::test::wmi_defend_samples().string(), eqlc::test::wmi_sysmon_samples().string()});
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.err.find("  stages per rule (sequences and samples with activity)\n"
                     "    WMI Incoming Lateral Movement\n"
                     "      stage 1  passed 68  started 68  replaced 1  expired 24\n"
                     "      stage 2  passed 45  advanced 43\n"
                     "      completed 43\n") != std::string::npos);
    // An event query has no stages: no such section.
    const auto e =
        eqlc::test::run_eqlc({"--stats", "-e", "process where true", eqlc::test::wmi_defend_samples().string()});
    CHECK(e.err.find("stages per rule") == std::string::npos);
}

namespace {

// The end of the LEB128 varint that starts at `at`.
size_t varint_end(const std::string& bytes, size_t at) {
    while (static_cast<uint8_t>(bytes.at(at)) & 0x80) ++at;
    return at + 1;
}

}  // namespace

TEST_CASE("stage counters: a format 2 sequence snapshot (without them) still restores", "[stage-stats][snapshot]") {
    using namespace eqlc::sequence;
    SequenceSpec spec;
    spec.missing = {false, false};
    spec.maxspan_ns = 5'000'000'000;
    std::vector<uint64_t> matched;
    auto sink = [&](const SequenceMatch& m) { matched.push_back(m.events.back().ordinal); };
    const std::vector<eqlc::vm::Value> h1_values = {eqlc::vm::Value::of_string("h1")};
    const std::string h1 = encode_key(h1_values);
    SequenceMatcher m(spec, sink);
    const std::vector<StageHit> first = {StageHit{0, h1}};
    m.on_event(EventInfo{0, 1'000'000'000, "{}"}, first);
    const std::string v3 = m.snapshot();
    REQUIRE(m.stage_stats().stages.at(0).started == 1);

    // Format 2 is format 3 without the stage counters (2 stages x 9, and until_events) after the 17 stats.
    REQUIRE(v3.substr(0, 4) == "EQSQ");
    REQUIRE(v3.at(4) == 3);
    size_t at = 5;
    at = varint_end(v3, at);                                   // stage count
    at += 2 + 1 + 1;                                           // missing flags, has_until, has_maxspan
    at = varint_end(v3, at);                                   // maxspan
    for (int i = 0; i < 3 + 17; ++i) at = varint_end(v3, at);  // limits, stats
    size_t end = at;
    for (int i = 0; i < 2 * 9 + 1; ++i) end = varint_end(v3, end);
    std::string v2 = v3.substr(0, at) + v3.substr(end);
    v2[4] = 2;

    std::string error;
    auto restored = SequenceMatcher::restore(v2, sink, &error);
    INFO(error);
    REQUIRE(restored);
    CHECK(restored->stage_stats().stages.at(0).started == 0);  // not in format 2: they start over
    CHECK(restored->stats().events == 1);
    const std::vector<StageHit> second = {StageHit{1, h1}};
    restored->on_event(EventInfo{1, 2'000'000'000, "{}"}, second);
    CHECK(matched == std::vector<uint64_t>{1});
    CHECK(restored->stage_stats().stages.at(1).advanced == 1);
    // A version after 3 is refused.
    std::string v9 = v3;
    v9[4] = 9;
    CHECK_FALSE(SequenceMatcher::restore(v9, sink, &error));
}
