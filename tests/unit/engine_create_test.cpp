// Engine::create with invalid queries: refused by default; with skip_invalid_queries the valid ones run and keep
// the indexes of the caller's list.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "eqlc/engine.hpp"

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
        created.engine->push(nlohmann::json{{"@timestamp", 1}, {"event", {{"category", "process"}}},
                                            {"process", {{"name", name}}}});
    created.engine->finish();
    CHECK(matched == std::vector<size_t>{2, 0});
    CHECK(created.engine->stats().matches == std::vector<uint64_t>{1, 0, 1});

    // Nothing valid: no engine, every problem reported.
    auto none = eqlc::Engine::create({{"process where", "x"}, {"sequence [", "y"}}, options);
    CHECK_FALSE(none.engine);
    CHECK(none.problems.size() == 2);
}
