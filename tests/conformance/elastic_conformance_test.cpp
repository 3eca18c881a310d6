// Elasticsearch's own EQL QA specs (../shared/conformance/elastic), every one of them — event queries,
// sequences, missing events, samples — run through the public Engine exactly as a library user runs it:
// the suite's mapping plus what dynamic mapping added at index time, the suite's field settings, the spec's
// size (else the suite default) applied as Elasticsearch's default tail; judged as support/elastic_specs.hpp
// says. tests/cli/elastic_specs_cli_test.cpp runs them through the eqlc tool.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>

#include "eqlc/engine.hpp"
#include "support/elastic_specs.hpp"
#include "support/shared_data.hpp"

namespace {

using nlohmann::json;

struct SpecOutcome {
    json ids = json::array();
    json keys = json::array();
    std::string error;
};

SpecOutcome run_spec(const json& suite, const json& spec, const std::string& data_path,
                     const std::shared_ptr<const eqlc::Mapping>& mapping) {
    SpecOutcome out;
    eqlc::EngineOptions options;
    options.query.mapping = mapping;
    options.query.timestamp_field = suite["timestamp_field"].get<std::string>();
    options.query.event_category_field = suite["event_category_field"].get<std::string>();
    if (!suite["tiebreaker_field"].is_null())
        options.query.tiebreaker_field = suite["tiebreaker_field"].get<std::string>();
    options.sort_input = true;  // the QA data files are not in time order; Elasticsearch sorts
    options.size = eqlc::test::spec_size(suite, spec);
    if (spec.contains("max_samples_per_key")) options.max_samples_per_key = spec["max_samples_per_key"].get<uint32_t>();

    auto created = eqlc::Engine::create({{spec["query"].get<std::string>(), spec["name"].get<std::string>()}}, options);
    if (!created.engine) {
        out.error = created.problems.empty() || created.problems[0].diagnostics.empty()
                        ? "refused"
                        : created.problems[0].diagnostics[0].message;
        return out;
    }
    const std::string id_field = suite["id_field"].get<std::string>();
    created.engine->on_match([&](const eqlc::Match& match) {
        for (const auto& e : match.events) {
            if (e.missing) {
                out.ids.push_back(-1);
                continue;
            }
            const json source = json::parse(e.source);
            out.ids.push_back(source.contains(id_field) ? source[id_field] : json(nullptr));
        }
        for (const auto& k : match.join_keys) out.keys.push_back(eqlc::test::spec_key_text(k));
    });
    eqlc::Diagnostic error;
    if (!created.engine->read_ndjson(data_path, {}, &error)) out.error = error.message;
    created.engine->finish();
    return out;
}

}  // namespace

TEST_CASE("Elasticsearch QA specs through the engine", "[conformance][engine]") {
    EQLC_REQUIRE_SHARED(suites_path, "conformance/elastic/suites.json");
    const auto base = suites_path->parent_path();
    const json suites = json::parse(eqlc::test::read_text(*suites_path));

    size_t total = 0, passed = 0;
    std::vector<std::string> failures;
    std::set<std::string> failed_names;
    for (const auto& suite : suites) {
        const std::string data_path = (base / suite["data"].get<std::string>()).string();
        eqlc::Diagnostic error;
        auto mapping = eqlc::Mapping::parse(eqlc::test::read_text(base / suite["mapping"].get<std::string>()), &error);
        INFO(error.message);
        REQUIRE(mapping.has_value());
        mapping->infer_from_ndjson(eqlc::test::read_text(data_path));
        const auto shared_mapping = std::make_shared<const eqlc::Mapping>(std::move(*mapping));

        const json specs = json::parse(eqlc::test::read_text(base / suite["queries"].get<std::string>()));
        CHECK(specs.size() == suite["count"].get<size_t>());
        for (const auto& spec : specs) {
            ++total;
            const SpecOutcome got = run_spec(suite, spec, data_path, shared_mapping);
            const bool ok = got.error.empty() && eqlc::test::spec_ids_match(spec["expected_event_ids"], got.ids) &&
                            eqlc::test::spec_keys_match(spec, got.keys);
            if (ok) {
                ++passed;
            } else {
                const std::string name = eqlc::test::spec_name(suite, spec);
                failed_names.insert(name);
                if (eqlc::test::kDataLimitedSpecs.count(name)) continue;
                failures.push_back(name + (got.error.empty() ? "" : " error: " + got.error) + "\n    expected " +
                                   spec["expected_event_ids"].dump() + "\n    got      " + got.ids.dump() +
                                   (spec.contains("join_keys")
                                        ? "\n    keys expected " + spec["join_keys"].dump() + " got " + got.keys.dump()
                                        : ""));
            }
        }
    }
    for (const auto& f : failures) UNSCOPED_INFO(f);
    CHECK(failures.empty());
    CHECK(failed_names == eqlc::test::kDataLimitedSpecs);
    CHECK(total == 237);
    WARN("Elasticsearch QA conformance through the engine: " << passed << "/" << total << " specs pass");
}
