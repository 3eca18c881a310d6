// Engine::create with invalid queries: refused by default; with skip_invalid_queries the valid ones run and keep
// the indexes of the caller's list. A compiled set shared by engines on several threads.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "compiler/compiled_query.hpp"
#include "eqlc/engine.hpp"
#include "support/files.hpp"
#include "support/wmi_rule.hpp"

TEST_CASE("engine: invalid queries refuse the engine unless skipped", "[engine]") {
    const std::vector<eqlc::QuerySource> queries = {
        {R"(process where process.name : "a.exe")", "first"},
        {R"(process where process.name : )", "broken"},
        {R"(process where process.name : "b.exe")", "third"},
    };
    auto refused = eqlc::Engine::create(queries);
    CHECK_FALSE(refused.engine);
    REQUIRE(refused.problems.size() == 1);
    CHECK(refused.problems[0].query == 1);

    eqlc::EngineOptions options;
    options.skip_invalid_queries = true;
    auto created = eqlc::Engine::create(queries, options);
    REQUIRE(created.engine);
    REQUIRE(created.problems.size() == 1);
    CHECK(created.problems[0].query == 1);
    CHECK(created.engine->query_count() == 3);
    CHECK(created.engine->query_name(2) == "third");
    CHECK(created.engine->explain().find("# broken\n(not compiled: invalid)") != std::string::npos);

    std::vector<size_t> matched;
    created.engine->on_match([&](const eqlc::Match& m) { matched.push_back(m.query); });
    for (const char* name : {"b.exe", "a.exe", "c.exe"})
        created.engine->push(
            nlohmann::json{{"@timestamp", 1}, {"event", {{"category", "process"}}}, {"process", {{"name", name}}}});
    created.engine->finish();
    CHECK(matched == std::vector<size_t>{2, 0});
    CHECK(created.engine->stats().matches == std::vector<uint64_t>{1, 0, 1});

    // Nothing valid: no engine, every problem reported.
    auto none = eqlc::Engine::create({{"process where", "x"}, {"sequence [", "y"}}, options);
    CHECK_FALSE(none.engine);
    CHECK(none.problems.size() == 2);
}

TEST_CASE("engine: one compiled set shared by engines on several threads", "[engine][threads]") {
    auto compiled = eqlc::CompiledQueries::compile({{eqlc::test::wmi_rule_query(), "wmi"}});
    REQUIRE(compiled.queries);
    CHECK(compiled.queries->size() == 1);
    CHECK(compiled.queries->valid(0));
    CHECK(compiled.queries->prefiltered());
    CHECK(compiled.queries->explain().find("line prefilter") != std::string::npos);

    auto run = [&](std::vector<std::string>& out) {
        auto engine = eqlc::Engine::create(compiled.queries);
        engine->on_match([&](const eqlc::Match& m) { out.push_back(eqlc::match_to_ndjson(m, "wmi")); });
        for (const char* file : {"wmi_defend.ndjson", "wmi_sysmon.ndjson"}) {
            eqlc::Diagnostic error;
            engine->read_ndjson((eqlc::test::wmi_samples_dir() / file).string(), {}, &error);
        }
        engine->finish();
    };
    std::vector<std::string> alone;
    run(alone);
    CHECK(alone.size() == 43);  // rules/samples/expected_alerts.json
    std::vector<std::vector<std::string>> results(4);
    std::vector<std::thread> threads;
    for (auto& r : results) threads.emplace_back([&run, &r] { run(r); });
    for (auto& t : threads) t.join();
    for (const auto& r : results) CHECK(r == alone);
    CHECK(eqlc::Engine::create(std::shared_ptr<const eqlc::CompiledQueries>()) == nullptr);
}

TEST_CASE("engine: queries with their own timestamp fields each read their own", "[engine]") {
    // Three queries share event.ingested, one reads event.created; a match reports the query's own time.
    std::vector<eqlc::QuerySource> queries;
    for (const char* field : {"event.ingested", "event.created", "event.ingested", "event.ingested"}) {
        eqlc::QuerySource q("process where true", field);
        q.timestamp_field = field;
        q.timestamp_fallback = false;  // an event without the field is skipped (see the fallback test below)
        queries.push_back(q);
    }
    auto created = eqlc::Engine::create(queries);
    REQUIRE(created.engine);
    std::vector<std::pair<size_t, int64_t>> times;
    created.engine->on_match([&](const eqlc::Match& m) { times.emplace_back(m.query, m.events.at(0).timestamp_ns); });
    created.engine->push(nlohmann::json{{"@timestamp", 1000},
                                        {"event", {{"category", "process"}, {"ingested", 2000}, {"created", 3000}}}});
    created.engine->push(nlohmann::json{{"@timestamp", 1001}, {"event", {{"category", "process"}, {"created", 3001}}}});
    created.engine->finish();
    const int64_t ms = 1'000'000;
    CHECK(times == std::vector<std::pair<size_t, int64_t>>{
                       {0, 2000 * ms}, {1, 3000 * ms}, {2, 2000 * ms}, {3, 2000 * ms}, {1, 3001 * ms}});
    CHECK(created.engine->stats().query_events_without_timestamp == 3);  // the second event has no event.ingested
}

TEST_CASE("engine: a query with its own timestamp field falls back to the order field for events without it",
          "[engine][timestamp_override]") {
    // Kibana's timestamp_override: events without the field are run with their @timestamp, unless the rule sets
    // timestamp_override_fallback_disabled; a field that holds something else than a time is not a fallback case.
    std::vector<eqlc::QuerySource> queries;
    for (const bool fallback : {true, false}) {
        eqlc::QuerySource q("process where true", fallback ? "fallback" : "no fallback");
        q.timestamp_field = "event.ingested";
        q.timestamp_fallback = fallback;
        queries.push_back(q);
    }
    auto created = eqlc::Engine::create(queries);
    REQUIRE(created.engine);
    std::vector<std::pair<size_t, int64_t>> times;
    created.engine->on_match([&](const eqlc::Match& m) { times.emplace_back(m.query, m.events.at(0).timestamp_ns); });
    created.engine->push(
        nlohmann::json{{"@timestamp", 1000}, {"event", {{"category", "process"}, {"ingested", 2000}}}});
    created.engine->push(nlohmann::json{{"@timestamp", 1001}, {"event", {{"category", "process"}}}});
    created.engine->push(
        nlohmann::json{{"@timestamp", 1002}, {"event", {{"category", "process"}, {"ingested", nullptr}}}});
    created.engine->push(
        nlohmann::json{{"@timestamp", 1003}, {"event", {{"category", "process"}, {"ingested", "not a time"}}}});
    created.engine->finish();
    const int64_t ms = 1'000'000;
    CHECK(times ==
          std::vector<std::pair<size_t, int64_t>>{{0, 2000 * ms}, {1, 2000 * ms}, {0, 1001 * ms}, {0, 1002 * ms}});
    // Skipped: the two events without the field for the query without fallback, the bad value for both.
    CHECK(created.engine->stats().query_events_without_timestamp == 4);
}

TEST_CASE("engine: push says when an event is not usable", "[engine][strict]") {
    auto created = eqlc::Engine::create({{"process where true", "q"}});
    REQUIRE(created.engine);
    size_t reports = 0;
    created.engine->on_bad_input([&](const eqlc::BadInput&) { ++reports; });
    CHECK(created.engine->push(nlohmann::json{{"@timestamp", 1000}, {"event", {{"category", "process"}}}}));
    CHECK_FALSE(created.engine->push(nlohmann::json{{"event", {{"category", "process"}}}}));  // no timestamp
    CHECK_FALSE(created.engine->push(nlohmann::json::array({1, 2})));                         // not an object
    CHECK(reports == 2);
}

TEST_CASE("engine: read_ndjson stops at ReadOptions::stop and, when strict, at an event without time",
          "[engine][strict]") {
    eqlc::test::TempDir dir;
    std::string text;
    for (int i = 0; i < 10; ++i)
        text += (i == 6 ? std::string(R"({"event":{"category":"process"}})")
                        : R"({"@timestamp":)" + std::to_string(1000 + i) + R"(,"event":{"category":"process"}})") +
                "\n";
    const auto file = dir.write("events.ndjson", text).string();
    const std::string threads = GENERATE(as<std::string>{}, "1", "2");
    eqlc::Engine::ReadOptions read;
    read.threads = static_cast<unsigned>(std::stoi(threads));
    SECTION("stop") {
        auto created = eqlc::Engine::create({{"process where true", "q"}});
        REQUIRE(created.engine);
        std::atomic<bool> stop{false};
        size_t matches = 0;
        created.engine->on_match([&](const eqlc::Match&) {
            if (++matches == 3) stop = true;
        });
        read.stop = &stop;
        eqlc::Diagnostic error;
        CHECK(created.engine->read_ndjson(file, read, &error));
        CHECK(matches == 3);
        CHECK(created.engine->stats().events == 3);
    }
    SECTION("strict") {
        auto created = eqlc::Engine::create({{"process where true", "q"}});
        REQUIRE(created.engine);
        size_t matches = 0;
        created.engine->on_match([&](const eqlc::Match&) { ++matches; });
        read.strict = true;
        eqlc::Diagnostic error;
        CHECK_FALSE(created.engine->read_ndjson(file, read, &error));
        CHECK(error.message.find("events.ndjson:7: event has no usable timestamp") != std::string::npos);
        CHECK(error.message.find("strict mode stops here") != std::string::npos);
        CHECK(matches == 6);
        CHECK(created.engine->stats().events_without_timestamp == 1);
    }
}

// A list of queries compiles as each query in turn against one catalog: the slots, programs and problems (and their
// order) are those of compile_query run on each query one after the other.
TEST_CASE("engine: a long list of queries compiles as one query after the other", "[engine][threads]") {
    std::vector<eqlc::QuerySource> queries;
    for (int i = 0; i < 60; ++i) {
        const std::string n = std::to_string(i);
        std::string text;
        switch (i % 6) {
            case 0: text = "process where field" + n + ".name : \"x" + n + "\" and shared.a == " + n; break;
            case 1:
                text = "sequence by host" + n + " [network where dest" + n + " == 1] [file where shared.b : \"*.exe\"]";
                break;
            case 2: text = "process where field" + n + " == "; break;             // syntax error
            case 3: text = "any where nosuchfunction" + n + "(shared.c)"; break;  // semantic error
            case 4: text = "file where length(f" + n + ") > 2 and shared.a in (1, 2, 3)"; break;
            default: text = "registry where r" + n + ".path like~ (\"a*\", \"b*\", \"c" + n + "*\")"; break;
        }
        queries.emplace_back(text, "q" + n);
    }
    queries[7].timestamp_field = "own.time";

    eqlc::EngineOptions options;
    options.skip_invalid_queries = true;
    options.rule_index = false;  // its lines in explain() are the engine's, not compile_query's
    const auto all = eqlc::CompiledQueries::compile(queries, options);
    REQUIRE(all.queries);

    // The reference: compile_query on each query in turn, one catalog, as the engine did before the helper.
    eqlc::vm::FieldCatalog catalog;
    catalog.intern(options.query.timestamp_field);
    std::string explain;
    std::vector<std::pair<size_t, eqlc::Diagnostics>> problems;
    for (size_t i = 0; i < queries.size(); ++i) {
        eqlc::compiler::CompileOptions own;
        if (queries[i].timestamp_field) own.timestamp_field = *queries[i].timestamp_field;
        auto result = eqlc::compiler::compile_query(queries[i].text, own, catalog);
        explain += "# " + queries[i].name + "\n";
        if (result.ok())
            explain += eqlc::compiler::explain(*result.query);
        else
            explain += "(not compiled: invalid)\n";
        if (!result.ok()) problems.emplace_back(i, std::move(result.diagnostics));
    }
    CHECK(all.queries->explain() == explain);
    REQUIRE(all.problems.size() == problems.size());
    CHECK(problems.size() == 20);  // the syntax and semantic errors
    for (size_t p = 0; p < problems.size(); ++p) {
        CHECK(all.problems[p].query == problems[p].first);
        REQUIRE(all.problems[p].diagnostics.size() == problems[p].second.size());
        for (size_t d = 0; d < problems[p].second.size(); ++d) {
            CHECK(all.problems[p].diagnostics[d].message == problems[p].second[d].message);
            CHECK(all.problems[p].diagnostics[d].span == problems[p].second[d].span);
        }
    }
}
