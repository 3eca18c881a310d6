// Skipping terms by category (engine/category_mask.hpp, CompiledTerm::exact_category): which terms get an exact
// category, and, over events that spell their categories in every way JSON allows, the same results as the
// same conditions written so that no term is skipped (`any where event.category == "x" and ...`).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/mapping.hpp"
#include "semantics/schema.hpp"
#include "support/cli_runner.hpp"

namespace {

// The exact category of each term of `query` ("" for none), compiled with the engine's defaults or a mapping.
std::vector<std::string> exact_categories(const std::string& query, const std::string& mapping_json = "",
                                          const std::string& category_field = "event.category") {
    eqlc::vm::FieldCatalog catalog;
    eqlc::compiler::CompileOptions options;
    options.event_category_field = category_field;
    std::optional<eqlc::semantics::Schema> schema;
    if (!mapping_json.empty()) {
        std::string error;
        schema = eqlc::semantics::Schema::parse_mapping(mapping_json, &error);
        REQUIRE(schema);
        options.schema = &*schema;
    }
    auto result = eqlc::compiler::compile_query(query, options, catalog);
    REQUIRE(result.ok());
    std::vector<std::string> out;
    for (const auto& t : result.query->terms) out.push_back(t.exact_category.value_or(""));
    return out;
}

}  // namespace

TEST_CASE("category mask: the terms that get an exact category", "[engine][category]") {
    CHECK(exact_categories(R"(process where process.name == "cmd.exe")") == std::vector<std::string>{"process"});
    CHECK(exact_categories("network where true") == std::vector<std::string>{"network"});
    CHECK(exact_categories("any where true") == std::vector<std::string>{""});
    CHECK(exact_categories("sequence [process where true] [any where true] [file where true]") ==
          std::vector<std::string>{"process", "", "file"});
    // Names a number or boolean could spell in a keyword field are left out.
    CHECK(exact_categories("\"1\" where true") == std::vector<std::string>{""});
    CHECK(exact_categories("\"true\" where true") == std::vector<std::string>{""});
    // A mapped keyword category gets one; one with a null_value (a missing value reads as it) does not.
    const std::string keyword = R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword"}}}}})";
    CHECK(exact_categories("process where true", keyword) == std::vector<std::string>{"process"});
    const std::string null_value =
        R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword","null_value":"process"}}}}})";
    CHECK(exact_categories("process where true", null_value) == std::vector<std::string>{""});
    // Another category field (a rule's event_category_override).
    CHECK(exact_categories("start where true", "", "event.type") == std::vector<std::string>{"start"});
}

TEST_CASE("category mask: skipped terms give the results of terms that are never skipped", "[engine][category]") {
    // Categories as strings, arrays, other cases, escapes, numbers, booleans, null, objects, missing, and the
    // name in another field.
    const std::vector<std::string> categories = {
        R"("process")", R"(["process"])", R"(["network","process"])", R"("Process")", R"("\u0070rocess")",
        R"("process ")", R"(["file",null])", R"(1)", R"(true)", R"(null)", R"({"process":1})", R"([])",
        R"("network")", R"("file")", "",
    };
    uint64_t state = 99;
    auto rand = [&](uint64_t n) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % n;
    };
    std::vector<std::string> events;
    for (int i = 0; i < 3000; ++i) {
        const std::string& category = categories[rand(categories.size())];
        std::string e = R"({"@timestamp":)" + std::to_string(1'700'000'000'000 + i * 10) + R"(,"host":{"id":"h)" +
                        std::to_string(rand(4)) + R"("},"process":{"name":")" + (rand(2) ? "cmd.exe" : "x.exe") + "\"}";
        if (!category.empty()) e += R"(,"event":{"category":)" + category + "}";
        if (rand(5) == 0) e += R"(,"category":"process")";
        events.push_back(e + "}");
    }
    // Each pair: a query whose terms are skipped by category, and the same conditions never skipped.
    const std::vector<std::pair<std::string, std::string>> pairs = {
        {R"(process where process.name == "cmd.exe")",
         R"(any where event.category == "process" and process.name == "cmd.exe")"},
        {"network where true", R"(any where event.category == "network")"},
        {"sequence by host.id [process where true] [file where true]",
         R"(sequence by host.id [any where event.category == "process"] [any where event.category == "file"])"},
        {"sample by host.id [process where true] [network where true]",
         R"(sample by host.id [any where event.category == "process"] [any where event.category == "network"])"},
        {"sequence by host.id [process where true] [process where true] until [file where true]",
         R"(sequence by host.id [any where event.category == "process"] [any where event.category == "process"]
            until [any where event.category == "file"])"},
    };
    std::vector<eqlc::QuerySource> queries;
    for (const auto& [skipped, plain] : pairs) {
        queries.emplace_back(skipped, "skipped");
        queries.emplace_back(plain, "plain");
    }
    auto created = eqlc::Engine::create(queries);
    REQUIRE(created.engine);
    CHECK(created.engine->explain().find("skipped unless the category is exactly \"process\"") != std::string::npos);
    std::vector<std::vector<std::string>> results(queries.size());
    created.engine->on_match([&](const eqlc::Match& m) {
        nlohmann::json j = {m.join_keys};
        for (const auto& e : m.events) j.push_back({e.missing, e.ordinal});
        results[m.query].push_back(j.dump());
    });
    for (const auto& e : events) created.engine->push(nlohmann::json::parse(e));
    created.engine->finish();
    for (size_t p = 0; p < pairs.size(); ++p) {
        INFO(pairs[p].first);
        CHECK(results[2 * p] == results[2 * p + 1]);
        CHECK(!results[2 * p].empty());
    }

    // The same through the NDJSON reader, where strings keep their escapes until they are unescaped.
    std::string text;
    for (const auto& e : events) text += e + "\n";
    auto reread = eqlc::Engine::create(queries);
    REQUIRE(reread.engine);
    std::vector<size_t> counts(queries.size(), 0);
    reread.engine->on_match([&](const eqlc::Match& m) { ++counts[m.query]; });
    eqlc::test::TempDir dir;
    const std::string path = dir.write("events.ndjson", text).string();
    eqlc::Diagnostic error;
    REQUIRE(reread.engine->read_ndjson(path, {}, &error));
    reread.engine->finish();
    for (size_t p = 0; p < pairs.size(); ++p) {
        INFO(pairs[p].first);
        CHECK(counts[2 * p] == results[2 * p].size());
        CHECK(counts[2 * p + 1] == results[2 * p + 1].size());
    }
}

TEST_CASE("category mask: a category field with a null_value matches events without a category", "[engine][category]") {
    // As in Elasticsearch, where an explicit null is indexed as the null_value (a missing field is not indexed):
    // `process where` then also matches events whose event.category is null, and no term of that field is
    // skipped by category.
    auto mapping = eqlc::Mapping::parse(
        R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword","null_value":"process"}}}}})");
    REQUIRE(mapping);
    eqlc::EngineOptions options;
    options.query.mapping = std::make_shared<const eqlc::Mapping>(std::move(*mapping));
    auto created = eqlc::Engine::create({{"process where true", "process"}, {"network where true", "network"}}, options);
    REQUIRE(created.engine);
    CHECK(created.engine->explain().find("skipped unless the category is exactly \"process\"") == std::string::npos);
    CHECK(created.engine->explain().find("skipped unless the category is exactly \"network\"") == std::string::npos);
    std::vector<std::pair<size_t, uint64_t>> matched;
    created.engine->on_match([&](const eqlc::Match& m) { matched.emplace_back(m.query, m.events.at(0).ordinal); });
    for (const char* e : {R"({"@timestamp":1,"event":{"category":null}})", R"({"@timestamp":2})",
                          R"({"@timestamp":3,"event":{"category":"process"}})", R"({"@timestamp":4,"event":{"category":"network"}})"})
        created.engine->push(nlohmann::json::parse(e));
    created.engine->finish();
    CHECK(matched == std::vector<std::pair<size_t, uint64_t>>{{0, 0}, {0, 2}, {1, 3}});
}
