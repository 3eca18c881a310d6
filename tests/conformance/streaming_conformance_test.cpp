// The streaming runtime gives the batch results: every QA dataset is put in (timestamp, tiebreaker, file)
// order once, then fed one event at a time through Engine::push (no sorting by the engine), and every spec's
// results must equal those of the batch run (Engine::read_ndjson over the file with sort_input, and its line
// prefilter, which the push path does not have).
#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "eqlc/engine.hpp"
#include "values/timestamp.hpp"
#include "support/shared_data.hpp"

namespace {

using nlohmann::json;

std::vector<std::string> run(const json& suite, const json& spec, const std::shared_ptr<const eqlc::Mapping>& mapping,
                             const std::string& data_path, const std::vector<json>* stream) {
    eqlc::EngineOptions options;
    options.query.mapping = mapping;
    options.query.timestamp_field = suite["timestamp_field"].get<std::string>();
    options.query.event_category_field = suite["event_category_field"].get<std::string>();
    if (!suite["tiebreaker_field"].is_null())
        options.query.tiebreaker_field = suite["tiebreaker_field"].get<std::string>();
    options.size = spec.contains("size") ? spec["size"].get<uint64_t>() : suite["default_size"].get<uint64_t>();
    if (spec.contains("max_samples_per_key")) options.max_samples_per_key = spec["max_samples_per_key"].get<uint32_t>();
    options.sort_input = stream == nullptr;
    auto created = eqlc::Engine::create({eqlc::QuerySource(spec["query"].get<std::string>(), "q")}, options);
    if (!created.engine) return {"<refused>"};
    std::vector<std::string> out;
    created.engine->on_match([&](const eqlc::Match& m) {
        std::string line = m.join_keys.dump() + ":";
        // Events are named by their JSON (normalized): the batch run's line prefilter skips events that cannot
        // match, so positions in the sorted run differ from positions in the stream.
        for (const auto& e : m.events) line += (e.missing ? std::string("-") : json::parse(e.source).dump()) + ",";
        out.push_back(line);
    });
    if (stream) {
        for (const auto& event : *stream) created.engine->push(event);
    } else {
        eqlc::Diagnostic error;
        REQUIRE(created.engine->read_ndjson(data_path, {}, &error));
    }
    created.engine->finish();
    return out;
}

int64_t event_time(const json& event, const std::string& field) {
    const json* v = &event;
    if (!event.contains(field)) return INT64_MIN;
    v = &event[field];
    if (v->is_number_integer()) return eqlc::input::from_epoch_millis(v->get<int64_t>()).nanos;
    if (v->is_string()) {
        auto r = eqlc::input::parse_timestamp(v->get<std::string>());
        return r.ok() ? r.nanos : INT64_MIN;
    }
    return INT64_MIN;
}

}  // namespace

TEST_CASE("one event at a time through push gives the batch results", "[conformance][engine][streaming]") {
    EQLC_REQUIRE_SHARED(suites_path, "conformance/elastic/suites.json");
    const auto base = suites_path->parent_path();
    const json suites = json::parse(eqlc::test::read_text(*suites_path));
    size_t compared = 0;
    for (const auto& suite : suites) {
        const std::string data_path = (base / suite["data"].get<std::string>()).string();
        const std::string data = eqlc::test::read_text(data_path);
        auto mapping = eqlc::Mapping::parse(eqlc::test::read_text(base / suite["mapping"].get<std::string>()));
        REQUIRE(mapping);
        mapping->infer_from_ndjson(data);
        const auto shared_mapping = std::make_shared<const eqlc::Mapping>(std::move(*mapping));

        // The stream, in the order Elasticsearch reads it. Ordinals are then stream positions in both runs.
        struct Row {
            int64_t time;
            json tiebreaker;
            size_t line;
            json event;
        };
        std::vector<Row> rows;
        std::istringstream lines(data);
        std::string text;
        const std::string ts_field = suite["timestamp_field"].get<std::string>();
        const json tb_field = suite["tiebreaker_field"];
        for (size_t n = 0; std::getline(lines, text);) {
            if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
            json event = json::parse(text);
            json tb = (!tb_field.is_null() && event.contains(tb_field.get<std::string>()))
                          ? event[tb_field.get<std::string>()]
                          : json();
            rows.push_back({event_time(event, ts_field), tb, n++, std::move(event)});
        }
        std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
            if (a.time != b.time) return a.time < b.time;
            if (a.tiebreaker.is_null() != b.tiebreaker.is_null()) return a.tiebreaker.is_null();
            if (a.tiebreaker.is_number() && b.tiebreaker.is_number())
                return a.tiebreaker.get<double>() < b.tiebreaker.get<double>();
            return false;
        });
        std::vector<json> stream;
        for (auto& r : rows) stream.push_back(std::move(r.event));

        const json specs = json::parse(eqlc::test::read_text(base / suite["queries"].get<std::string>()));
        for (const auto& spec : specs) {
            // Samples take documents in index (arrival) order, which the re-ordered stream changes on purpose.
            if (spec["query"].get<std::string>().find("sample") != std::string::npos) continue;
            INFO(suite["suite"].get<std::string>() << "/" << spec["name"].get<std::string>());
            CHECK(run(suite, spec, shared_mapping, data_path, &stream) ==
                  run(suite, spec, shared_mapping, data_path, nullptr));
            ++compared;
        }
    }
    CHECK(compared >= 200);
    WARN("streaming vs batch: " << compared << " specs compared");
}
