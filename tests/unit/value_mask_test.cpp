// Skipping terms by the exact values they require (CompiledTerm::exact_values, engine/value_mask.hpp): which
// tests give a required value, and the property that makes skipping safe: whenever the mask says an event lacks
// a term's values, the term's program says no too. Checked over events that spell the values in every way JSON
// allows, for hand-written queries and for every query of the detection-rules corpus.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/internals.hpp"
#include "compiler/compiled_query.hpp"
#include "engine/compiled_queries.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/mapping.hpp"
#include "input/json_projection.hpp"
#include "semantics/schema.hpp"
#include "support/shared_data.hpp"
#include "vm/interpreter.hpp"

namespace {

// Each term's required values as "field=value,..." ("" for none).
std::vector<std::string> exact(const std::string& query, const std::string& mapping_json = "",
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
    for (const auto& t : result.query->terms) {
        std::string s;
        for (const auto& v : t.exact_values) s += (s.empty() ? "" : ",") + v.field + "=" + v.value;
        out.push_back(s);
    }
    return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("value mask: the tests that give a required value", "[engine][values]") {
    CHECK(exact(R"(process where process.name == "cmd.exe")") ==
          Strings{"event.category=process,process.name=cmd.exe"});
    CHECK(exact(R"(process where process.name : "cmd.exe")") == Strings{"event.category=process"});  // any case
    CHECK(exact("network where true") == Strings{"event.category=network"});
    CHECK(exact("any where true") == Strings{""});
    CHECK(exact(R"(any where host.os.type == "windows" and event.type == "start")") ==
          Strings{"host.os.type=windows,event.type=start"});
    // Not a conjunct of the whole filter, negated, not a string, or a string a number or boolean could spell.
    CHECK(exact(R"(process where host.os.type == "windows" or event.type == "start")") ==
          Strings{"event.category=process"});
    CHECK(exact(R"(process where not host.os.type == "linux")") == Strings{"event.category=process"});
    CHECK(exact(R"(process where host.os.type != "linux")") == Strings{"event.category=process"});
    CHECK(exact("process where process.pid == 5") == Strings{"event.category=process"});
    CHECK(exact(R"(process where process.name == "1.exe")") == Strings{"event.category=process"});
    CHECK(exact("\"1\" where true") == Strings{""});
    CHECK(exact("\"true\" where true") == Strings{""});
    CHECK(exact("sequence [process where true] [any where true] [file where true]") ==
          Strings{"event.category=process", "", "event.category=file"});
    // A mapped keyword field gets one; one with a null_value (an explicit null reads as it) does not.
    const std::string keyword =
        R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword"}}}}})";
    CHECK(exact("process where true", keyword) == Strings{"event.category=process"});
    const std::string null_value =
        R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword","null_value":"process"}}}}})";
    CHECK(exact("process where true", null_value) == Strings{""});
    // Another category field (a rule's event_category_override).
    CHECK(exact("start where true", "", "event.type") == Strings{"event.type=start"});
}

TEST_CASE("value mask: a term the mask rules out never holds", "[engine][values]") {
    std::vector<eqlc::QuerySource> queries = {
        {R"(process where process.name == "cmd.exe")", "a"},
        {R"(any where host.os.type == "windows" and event.type == "start")", "b"},
        {"sequence by host.id [process where true] [file where true] until [network where true]", "c"},
        {"sample by host.id [process where true] [network where true]", "d"},
        {R"(process where host.os.type == "windows" and process.name == "cmd.exe" and event.type == "start")", "e"},
    };
    // The whole detection-rules corpus too, when ../shared is there: hundreds of real conjunctions.
    if (auto corpus = eqlc::test::shared_path("corpus/detection-rules/queries"))
        for (const auto& file : eqlc::test::files_in(*corpus, ".eql"))
            queries.emplace_back(eqlc::test::read_text(file), file.filename().string());
    eqlc::EngineOptions options;
    options.skip_invalid_queries = true;
    auto compiled = eqlc::CompiledQueries::compile(queries, options);
    REQUIRE(compiled.queries);
    const auto& impl = eqlc::detail::Internals::impl(*compiled.queries);

    // Values spelled as strings, arrays, other cases, escapes, numbers, booleans, nulls, objects, or missing.
    const std::vector<std::string> categories = {R"("process")",
                                                 R"(["process"])",
                                                 R"(["network","process"])",
                                                 R"("Process")",
                                                 R"("\u0070rocess")",
                                                 R"("process ")",
                                                 R"(["file",null])",
                                                 R"(1)",
                                                 R"(true)",
                                                 R"(null)",
                                                 R"({"process":1})",
                                                 R"([])",
                                                 R"("network")",
                                                 R"("file")",
                                                 R"("registry")",
                                                 R"(["authentication","iam"])"};
    const std::vector<std::string> names = {R"("cmd.exe")",        R"("CMD.EXE")", R"(["x.exe","cmd.exe"])",
                                            R"("powershell.exe")", R"(null)",      R"(5)",
                                            R"("rundll32.exe")"};
    const std::vector<std::string> os = {R"("windows")", R"("linux")", R"("Windows")", R"(["macos","windows"])",
                                         R"(null)"};
    const std::vector<std::string> types = {
        R"("start")", R"(["start","process_started"])", R"("end")", R"(["creation"])", R"("START")", R"(false)"};
    uint64_t state = 7;
    auto pick = [&](const std::vector<std::string>& from) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const uint64_t i = (state >> 33) % (from.size() + 1);
        return i == from.size() ? std::string() : from[i];  // sometimes absent
    };
    eqlc::vm::EventRecord record;
    eqlc::input::RecordBuilder builder;
    eqlc::vm::VmContext vm;
    size_t skipped = 0;
    size_t checked = 0;
    std::vector<std::string> wrong;  // terms the mask ruled out that hold
    for (int i = 0; i < 2000; ++i) {
        std::string text = R"({"@timestamp":)" + std::to_string(1'700'000'000'000 + i) + R"(,"host":{"id":"h1")";
        const std::string o = pick(os);
        if (!o.empty()) text += R"(,"os":{"type":)" + o + "}";
        text += "}";
        std::string event = R"("event":{"x":1)";
        const std::string c = pick(categories);
        if (!c.empty()) event += R"(,"category":)" + c;
        const std::string t = pick(types);
        if (!t.empty()) event += R"(,"type":)" + t;
        text += "," + event + "}";
        const std::string n = pick(names);
        if (!n.empty()) text += R"(,"process":{"name":)" + n + "}";
        text += "}";
        const nlohmann::json json = nlohmann::json::parse(text);  // the record's strings point into it
        REQUIRE(eqlc::input::project(json, *impl.plan, record, builder));
        const uint64_t has = impl.value_mask.of(record);
        for (const auto& q : impl.queries) {
            if (!q.compiled) continue;
            auto check = [&](const eqlc::compiler::CompiledTerm& term, uint64_t need) {
                ++checked;
                if ((has & need) == need) return;
                ++skipped;
                if (eqlc::vm::matches(*term.filter, record, vm) && wrong.size() < 10)
                    wrong.push_back(q.source.name + " holds on " + text);
            };
            for (size_t k = 0; k < q.compiled->terms.size(); ++k) check(q.compiled->terms[k], q.value_bits[k]);
            if (q.compiled->until) check(*q.compiled->until, q.until_value_bit);
        }
    }
    INFO(skipped << " of " << checked << " term evaluations skipped");
    CHECK(wrong == std::vector<std::string>{});
    CHECK(skipped > checked / 10);
}

TEST_CASE("value mask: a category field with a null_value matches events whose category is null", "[engine][values]") {
    // As in Elasticsearch, where an explicit null is indexed as the null_value (a missing field is not indexed):
    // `process where` then also matches events whose event.category is null, and no term of that field is
    // skipped by category.
    auto mapping = eqlc::Mapping::parse(
        R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword","null_value":"process"}}}}})");
    REQUIRE(mapping);
    eqlc::EngineOptions options;
    options.query.mapping = std::make_shared<const eqlc::Mapping>(std::move(*mapping));
    auto created =
        eqlc::Engine::create({{"process where true", "process"}, {"network where true", "network"}}, options);
    REQUIRE(created.engine);
    CHECK(created.engine->explain().find("skipped unless") == std::string::npos);
    std::vector<std::pair<size_t, uint64_t>> matched;
    created.engine->on_match([&](const eqlc::Match& m) { matched.emplace_back(m.query, m.events.at(0).ordinal); });
    for (const char* e :
         {R"({"@timestamp":1,"event":{"category":null}})", R"({"@timestamp":2})",
          R"({"@timestamp":3,"event":{"category":"process"}})", R"({"@timestamp":4,"event":{"category":"network"}})"})
        created.engine->push(nlohmann::json::parse(e));
    created.engine->finish();
    CHECK(matched == std::vector<std::pair<size_t, uint64_t>>{{0, 0}, {0, 2}, {1, 3}});
}

TEST_CASE("value mask: --explain names the values a term is skipped without", "[engine][values]") {
    auto created = eqlc::Engine::create({{R"(process where host.os.type == "windows" and process.name : "a")", "q"}});
    REQUIRE(created.engine);
    CHECK(created.engine->explain().find(
              "skipped unless event.category has \"process\", host.os.type has \"windows\"\n") != std::string::npos);
}
