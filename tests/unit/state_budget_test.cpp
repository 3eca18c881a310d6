// Sequence and sample state through the Engine: what stats report about it, the warnings when limits cost
// alerts, the engine-wide memory budget and the sharing of kept events between queries.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "eqlc/engine.hpp"
#include "support/cli_runner.hpp"

namespace {

using nlohmann::json;

// A process event of host `host` at second `second`.
json process_event(const std::string& host, int second, const std::string& name) {
    return json{{"@timestamp", 1'700'000'000'000LL + second * 1000LL},
                {"event", {{"category", "process"}}},
                {"host", {{"id", host}}},
                {"process", {{"name", name}}}};
}

std::string ndjson(const std::vector<json>& events) {
    std::string text;
    for (const auto& e : events) text += e.dump() + "\n";
    return text;
}

const char* const kTwoStages =
    "sequence by host.id [process where process.name == \"a.exe\"] [process where process.name == \"b.exe\"]";

}  // namespace

TEST_CASE("stats: partials pending at the end of input are reported after finish()", "[engine][state]") {
    auto created = eqlc::Engine::create({{kTwoStages, "seq"}});
    REQUIRE(created.engine);
    auto& engine = *created.engine;
    // Three hosts start a sequence, one completes it: two partials are left when the input ends.
    engine.push(process_event("h1", 1, "a.exe"));
    engine.push(process_event("h2", 2, "a.exe"));
    engine.push(process_event("h3", 3, "a.exe"));
    engine.push(process_event("h1", 4, "b.exe"));
    CHECK(engine.stats().pending_partials == 2);
    CHECK(engine.stats().partials_at_finish == 0);
    engine.finish();
    CHECK(engine.stats().matches.at(0) == 1);
    CHECK(engine.stats().pending_partials == 0);
    CHECK(engine.stats().partials_at_finish == 2);
}

TEST_CASE("eqlc --stats prints the partials left at the end of input", "[cli][state]") {
    eqlc::test::TempDir dir;
    const auto events =
        dir.write("events.ndjson", ndjson({process_event("h1", 1, "a.exe"), process_event("h2", 2, "a.exe"),
                                           process_event("h3", 3, "a.exe"), process_event("h1", 4, "b.exe")}));
    const auto r = eqlc::test::run_eqlc({"--stats", "-e", kTwoStages, events.string()});
    CHECK(r.status == 1);
    CHECK(r.err.find("partials left at end    2\n") != std::string::npos);
}

namespace {

// An event whose text is mostly padding, so that kept events dominate the state.
json padded_event(const std::string& host, int second, const std::string& name, size_t padding = 2000) {
    json e = process_event(host, second, name);
    e["message"] = std::string(padding, 'x');
    return e;
}

struct Run {
    std::vector<std::string> matches;
    std::vector<eqlc::StateLimitReached> limits;
    std::unique_ptr<eqlc::Engine> engine;
};

Run make_run(const std::vector<eqlc::QuerySource>& queries, const eqlc::EngineOptions& options) {
    Run run;
    auto created = eqlc::Engine::create(queries, options);
    REQUIRE(created.engine);
    run.engine = std::move(created.engine);
    auto* matches = &run.matches;
    auto* limits = &run.limits;
    eqlc::Engine* engine = run.engine.get();
    run.engine->on_match([matches, engine](const eqlc::Match& m) {
        matches->push_back(eqlc::match_to_ndjson(m, engine->query_name(m.query)));
    });
    run.engine->on_state_limit([limits](const eqlc::StateLimitReached& r) { limits->push_back(r); });
    return run;
}

std::vector<eqlc::QuerySource> copies(const std::string& query, size_t n) {
    std::vector<eqlc::QuerySource> out;
    for (size_t i = 0; i < n; ++i) out.emplace_back(query, "copy" + std::to_string(i));
    return out;
}

// Stats that must not depend on how events came in.
struct StateFigures {
    uint64_t evicted_keys = 0;
    std::vector<uint64_t> evicted_by_query;
    uint64_t partials_at_finish = 0;
    std::vector<uint64_t> matches;
    bool operator==(const StateFigures&) const = default;
};

StateFigures figures(const eqlc::EngineStats& s) {
    return {s.evicted_keys, s.evicted_keys_by_query, s.partials_at_finish, s.matches};
}

}  // namespace

TEST_CASE("state: an event kept by several queries is stored once", "[engine][state]") {
    // Four copies of one rule, 100 hosts each waiting for the second stage: every copy keeps the same 100 events.
    std::vector<json> events;
    for (int i = 0; i < 100; ++i) events.push_back(padded_event("h" + std::to_string(i), i, "a.exe"));
    uint64_t bytes[2] = {0, 0};
    std::string snapshots[2];
    for (const size_t n : {size_t{1}, size_t{4}}) {
        Run run = make_run(copies(kTwoStages, n), {});
        for (const auto& e : events) run.engine->push(e);
        CHECK(run.engine->stats().pending_partials == 100 * n);
        bytes[n == 4] = run.engine->stats().state_bytes;
        REQUIRE(run.engine->snapshot(snapshots[n == 4]));
    }
    // The text (100 x 2 KB) is counted once; the copies add only their keys and entries.
    CHECK(bytes[0] > 100 * 2000);
    CHECK(bytes[1] < bytes[0] + bytes[0] / 2);
    // The snapshot also holds each text once.
    CHECK(snapshots[1].size() < snapshots[0].size() + snapshots[0].size() / 2);
}

TEST_CASE("state: max_state_bytes is one budget for all the queries of an engine", "[engine][state]") {
    // Four copies of a rule fit in the budget because the text is shared; a fifth, different, query pushes the
    // whole engine over it: keys are evicted although every query alone is far below the budget.
    std::vector<json> events;
    for (int i = 0; i < 100; ++i) events.push_back(padded_event("h" + std::to_string(i), i, "a.exe"));
    auto queries = copies(kTwoStages, 4);
    queries.emplace_back("sequence by host.id [process where true] [network where true]", "other");
    uint64_t four = 0, five = 0;
    {
        Run run = make_run(copies(kTwoStages, 4), {});
        for (const auto& e : events) run.engine->push(e);
        four = run.engine->stats().state_bytes;
        Run run5 = make_run(queries, {});
        for (const auto& e : events) run5.engine->push(e);
        five = run5.engine->stats().state_bytes;
    }
    REQUIRE(four < five);
    eqlc::EngineOptions options;
    options.max_state_bytes = (four + five) / 2;
    options.state_check_events = 1;
    {
        Run run = make_run(copies(kTwoStages, 4), options);
        for (const auto& e : events) run.engine->push(e);
        CHECK(run.engine->stats().evicted_keys == 0);
        CHECK(run.limits.empty());
    }
    Run run = make_run(queries, options);
    for (size_t i = 0; i < events.size(); ++i) {
        run.engine->push(events[i]);
        INFO("event " << i);
        // Checked before each event: what one event adds (5 partials, one text) may come on top.
        CHECK(run.engine->stats().state_bytes <= options.max_state_bytes + 5000);
    }
    const auto& stats = run.engine->stats();
    CHECK(stats.evicted_keys > 0);
    // Least recently used first across queries: the oldest hosts go from every query, so all five evict.
    for (size_t q = 0; q < 5; ++q) CHECK(stats.evicted_keys_by_query.at(q) > 0);
    CHECK(stats.evicted_keys ==
          std::accumulate(stats.evicted_keys_by_query.begin(), stats.evicted_keys_by_query.end(), uint64_t{0}));
    // Each query's first eviction is reported once, naming the engine-wide budget.
    REQUIRE(run.limits.size() == 5);
    for (size_t q = 0; q < 5; ++q) {
        CHECK(run.limits[q].query == q);
        CHECK(run.limits[q].limit == eqlc::StateLimit::max_state_bytes);
    }
}

TEST_CASE("state: the engine-wide budget evicts the least recently used keys of any query", "[engine][state]") {
    const std::vector<eqlc::QuerySource> queries = {
        {kTwoStages, "process"},
        {"sequence by host.id [network where true] [network where destination.port == 22]", "network"}};
    eqlc::EngineOptions options;
    options.state_check_events = 1;
    options.max_state_bytes = 70'000;  // about 28 kept events
    Run run = make_run(queries, options);
    // 10 process partials (query 0), then 25 network partials (query 1): when the budget is reached, query 1
    // holds more than query 0, but query 0's keys are the least recently used and go first; query 1 loses none
    // and its hosts complete their sequences.
    for (int i = 0; i < 10; ++i) run.engine->push(padded_event("p" + std::to_string(i), i, "a.exe"));
    for (int i = 0; i < 25; ++i) {
        json e = padded_event("n" + std::to_string(i), 100 + i, "");
        e["event"]["category"] = "network";
        run.engine->push(e);
    }
    CHECK(run.engine->stats().evicted_keys_by_query.at(0) > 0);
    for (int i = 0; i < 25; ++i) {
        json e = process_event("n" + std::to_string(i), 200 + i, "");
        e["event"]["category"] = "network";
        e["destination"] = {{"port", 22}};
        run.engine->push(e);
    }
    run.engine->finish();
    const auto& stats = run.engine->stats();
    CHECK(stats.evicted_keys_by_query.at(1) == 0);
    CHECK(stats.matches.at(1) == 25);
    REQUIRE(run.limits.size() == 1);
    CHECK(run.limits[0].query == 0);
}

TEST_CASE("state: the budget never drops a completed match", "[engine][state]") {
    // A match that waits for its missing-event decision pins its events: a budget of one byte evicts every key
    // at every event, but the match is still delivered.
    eqlc::EngineOptions options;
    options.max_state_bytes = 1;
    options.state_check_events = 2;  // after b.exe: the match is complete
    Run run = make_run({{"sequence by host.id with maxspan=1h [process where process.name == \"a.exe\"] "
                         "[process where process.name == \"b.exe\"] ![process where process.name == \"c.exe\"]",
                         "missing"}},
                       options);
    run.engine->push(padded_event("h1", 1, "a.exe"));
    run.engine->push(padded_event("h1", 2, "b.exe"));  // completes in the same event, then waits for c.exe
    for (int i = 0; i < 10; ++i) run.engine->push(padded_event("h" + std::to_string(i + 2), 3 + i, "a.exe"));
    CHECK(run.engine->stats().evicted_keys >= 5);
    run.engine->finish();
    REQUIRE(run.matches.size() == 1);
    CHECK(run.matches[0].find("\"h1\"") != std::string::npos);
}

TEST_CASE("state: per-query limits are reported as such", "[engine][state]") {
    eqlc::EngineOptions options;
    options.max_keys = 5;
    Run run = make_run({{kTwoStages, "seq"}, {"process where true", "events"}}, options);
    for (int i = 0; i < 10; ++i) run.engine->push(process_event("h" + std::to_string(i), i, "a.exe"));
    run.engine->finish();
    CHECK(run.engine->stats().evicted_keys_by_query == std::vector<uint64_t>{5, 0});
    REQUIRE(run.limits.size() == 1);
    CHECK(run.limits[0].query == 0);
    CHECK(run.limits[0].limit == eqlc::StateLimit::max_keys);
}

namespace {

// Hosts that start sequences (a.exe), continue some (b.exe), finish a few (c.exe), and network events for a
// sample; with a small budget the engine evicts all along.
std::string busy_stream(int count) {
    std::string text;
    for (int i = 0; i < count; ++i) {
        // Even events: 20 hot hosts going through a, b, c in turn; odd ones: 1000 cold hosts that only start.
        const bool hot = i % 2 == 0;
        const std::string host = hot ? "hot" + std::to_string(i / 2 % 20) : "cold" + std::to_string(i * 7919 % 1000);
        const int step = hot ? i / 40 % 3 : 0;
        // Every 9th cold event has a name no query needs: the line prefilter skips it.
        const char* name = !hot && i % 9 == 1 ? "z.exe" : step == 0 ? "a.exe" : step == 1 ? "b.exe" : "c.exe";
        json e = padded_event(host, i, name, 200 + static_cast<size_t>(i % 13) * 10);
        if (i % 11 == 0) e["event"]["category"] = "network";
        text += e.dump() + "\n";
    }
    return text;
}

std::vector<eqlc::QuerySource> busy_queries() {
    return {{kTwoStages, "two"},
            {kTwoStages, "two-copy"},
            {"sequence by host.id [process where process.name == \"a.exe\"] [process where process.name == "
             "\"b.exe\"] [process where process.name == \"c.exe\"]",
             "three"},
            {"sample by host.id [process where process.name == \"a.exe\"] [network where process.name == \"a.exe\"]",
             "sample"},
            {"process where process.name == \"c.exe\" and host.id == \"h7\"", "event"}};
}

}  // namespace

TEST_CASE("state: evictions and results are the same through push, one thread and rule shards",
          "[engine][state][parallel]") {
    eqlc::test::TempDir dir;
    const std::string text = busy_stream(6000);
    const auto file = dir.write("events.ndjson", text);
    eqlc::EngineOptions options;
    options.max_state_bytes = 120'000;
    options.state_check_events = 100;  // checks inside the reader's batches too

    Run pushed = make_run(busy_queries(), options);
    {
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) pushed.engine->push(json::parse(line));
        pushed.engine->finish();
    }
    const StateFigures expected = figures(pushed.engine->stats());
    CHECK(expected.evicted_keys > 0);
    CHECK(expected.matches.at(0) > 0);
    CHECK(expected.matches.at(2) > 0);
    REQUIRE(!pushed.limits.empty());

    for (const unsigned threads : {1u, 2u, 3u}) {
        Run run = make_run(busy_queries(), options);
        eqlc::Engine::ReadOptions read;
        read.threads = threads;
        read.chunk_bytes = 16 << 10;  // many batches, the checks fall inside them
        eqlc::Diagnostic error;
        REQUIRE(run.engine->read_ndjson(file.string(), read, &error));
        const uint64_t state_before_finish = run.engine->stats().state_bytes;
        run.engine->finish();
        INFO("threads " << threads);
        CHECK(run.matches == pushed.matches);
        CHECK(figures(run.engine->stats()) == expected);
        CHECK(state_before_finish > 0);
        CHECK(run.engine->stats().skipped_events > 0);  // the prefilter is on
        REQUIRE(run.limits.size() == pushed.limits.size());
        for (size_t i = 0; i < run.limits.size(); ++i) {
            CHECK(run.limits[i].query == pushed.limits[i].query);
            CHECK(run.limits[i].limit == pushed.limits[i].limit);
        }
    }
}

TEST_CASE("state: a snapshot keeps the budget's clock and the shared texts", "[engine][state][snapshot]") {
    const std::string text = busy_stream(1500);
    std::vector<json> events;
    {
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) events.push_back(json::parse(line));
    }
    eqlc::EngineOptions options;
    options.max_state_bytes = 60'000;
    options.state_check_events = 7;
    Run whole = make_run(busy_queries(), options);
    for (const auto& e : events) whole.engine->push(e);
    whole.engine->finish();
    REQUIRE(whole.engine->stats().evicted_keys > 0);

    for (const size_t split : {size_t{1}, size_t{500}, size_t{999}, size_t{1234}}) {
        std::string bytes;
        eqlc::Diagnostic error;
        Run first = make_run(busy_queries(), options);
        for (size_t i = 0; i < split; ++i) first.engine->push(events[i]);
        REQUIRE(first.engine->snapshot(bytes, &error));
        const uint64_t state_bytes = first.engine->stats().state_bytes;
        Run second = make_run(busy_queries(), options);
        INFO("split at " << split << ": " << error.message);
        REQUIRE(second.engine->restore(bytes, &error));
        CHECK(second.engine->stats().state_bytes == state_bytes);  // texts shared again after the restore
        second.matches = first.matches;
        second.limits.insert(second.limits.begin(), first.limits.begin(), first.limits.end());
        for (size_t i = split; i < events.size(); ++i) second.engine->push(events[i]);
        second.engine->finish();
        CHECK(second.matches == whole.matches);
        CHECK(figures(second.engine->stats()) == figures(whole.engine->stats()));
        CHECK(second.limits.size() == whole.limits.size());
    }
}

TEST_CASE("eqlc warns when a rule evicts state, with or without --stats", "[cli][state]") {
    eqlc::test::TempDir dir;
    std::vector<json> events;
    for (int i = 0; i < 10; ++i) events.push_back(process_event("h" + std::to_string(i), i, "a.exe"));
    const auto file = dir.write("events.ndjson", ndjson(events));
    const auto r = eqlc::test::run_eqlc({"--max-keys", "4", "-e", kTwoStages, file.string()});
    CHECK(r.status == 0);
    CHECK(r.err.find("eqlc: warning: rule <query>: state limit reached (4 join keys per rule); least recently used "
                     "keys are being dropped, alerts may be lost; raise --max-state-bytes/--max-keys\n") !=
          std::string::npos);
    CHECK(r.err.find("eqlc: warning: 6 join keys with pending sequence/sample state were dropped by the state "
                     "limits in 1 rule; alerts may have been lost\n") != std::string::npos);
    // The budget is checked every 1,024 events: 1,100 hosts waiting for b.exe.
    std::vector<json> many;
    for (int i = 0; i < 1100; ++i) many.push_back(process_event("h" + std::to_string(i), i, "a.exe"));
    const auto many_file = dir.write("many.ndjson", ndjson(many));
    const auto budget = eqlc::test::run_eqlc({"--max-state-bytes", "100", "-e", kTwoStages, many_file.string()});
    CHECK(budget.err.find("state limit reached (100 bytes for all rules)") != std::string::npos);
    CHECK(budget.err.find("eqlc: warning: 1024 join keys") != std::string::npos);
    // Without evictions, no warning.
    CHECK(eqlc::test::run_eqlc({"-e", kTwoStages, file.string()}).err.find("warning") == std::string::npos);
}
