// Elasticsearch's own EQL QA specs (../shared/conformance/elastic), event queries only: every spec whose query
// is an event query is compiled with its suite's settings, run over the suite's data, and its result ids are
// compared with `expected_event_ids` (README there: how a spec is judged).
//
// The schema is the suite's mapping plus what Elasticsearch's dynamic mapping added at index time (the data
// file's other fields). Events are projected with the shared projection (input/json_projection.hpp), ordered by
// (timestamp, tiebreaker, input order), and cut by the pipes and the request size (SEMANTICS §8: pipes in
// order, then `size` as a tail).
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/compiled_query.hpp"
#include "input/json_projection.hpp"
#include "semantics/schema.hpp"
#include "support/shared_data.hpp"
#include "syntax/parser.hpp"
#include "values/functions.hpp"
#include "vm/interpreter.hpp"

namespace {

using nlohmann::json;

struct Row {
    int64_t timestamp;
    eqlc::vm::Value tiebreaker;
    uint64_t ordinal;
    json id;
};

std::string ids_text(const json& ids) { return ids.dump(); }

}  // namespace

TEST_CASE("Elasticsearch QA specs: event queries", "[conformance][vm]") {
    EQLC_REQUIRE_SHARED(suites_path, "conformance/elastic/suites.json");
    const auto base = suites_path->parent_path();
    const json suites = json::parse(eqlc::test::read_text(*suites_path));

    size_t total = 0, passed = 0;
    std::vector<std::string> failures;

    for (const auto& suite : suites) {
        const std::string data_text = eqlc::test::read_text(base / suite["data"].get<std::string>());
        std::string error;
        auto schema = eqlc::semantics::Schema::parse_mapping(
            eqlc::test::read_text(base / suite["mapping"].get<std::string>()), &error);
        REQUIRE(schema.has_value());
        schema->infer_from_ndjson(data_text);

        std::vector<json> events;
        {
            std::istringstream lines(data_text);
            std::string line;
            while (std::getline(lines, line))
                if (line.find_first_not_of(" \t\r") != std::string::npos) events.push_back(json::parse(line));
        }

        eqlc::compiler::CompileOptions options;
        options.schema = &*schema;
        options.timestamp_field = suite["timestamp_field"].get<std::string>();
        options.event_category_field = suite["event_category_field"].get<std::string>();
        if (!suite["tiebreaker_field"].is_null())
            options.tiebreaker_field = suite["tiebreaker_field"].get<std::string>();
        const std::string id_field = suite["id_field"].get<std::string>();
        const uint64_t default_size = suite["default_size"].get<uint64_t>();

        const json specs = json::parse(eqlc::test::read_text(base / suite["queries"].get<std::string>()));
        for (const auto& spec : specs) {
            const std::string query = spec["query"].get<std::string>();
            auto parsed = eqlc::syntax::parse_query(query);
            if (!parsed.ok() || parsed.query->kind != eqlc::ast::QueryKind::event) continue;
            ++total;
            const std::string name = suite["suite"].get<std::string>() + "/" + spec["name"].get<std::string>();

            eqlc::vm::FieldCatalog catalog;
            auto compiled = eqlc::compiler::compile_query(query, options, catalog);
            if (!compiled.ok()) {
                std::string why = compiled.diagnostics.empty() ? "?" : compiled.diagnostics[0].message;
                failures.push_back(name + ": does not compile: " + why);
                continue;
            }
            const auto& q = *compiled.query;
            eqlc::input::ProjectionOptions popts;
            popts.timestamp_slot = q.timestamp_slot;
            popts.tiebreaker_slot = q.tiebreaker_slot;
            eqlc::input::ProjectionPlan plan(catalog, popts);

            eqlc::vm::VmContext ctx;
            eqlc::vm::EventRecord record;
            std::vector<Row> rows;
            for (size_t i = 0; i < events.size(); ++i) {
                eqlc::input::project(events[i], plan, record);
                record.ordinal = i;
                if (!eqlc::vm::matches(*q.terms[0].filter, record, ctx)) continue;
                Row row{record.timestamp_ns, eqlc::vm::Value::null(), i, events[i].value(id_field, json())};
                if (q.tiebreaker_slot) {
                    auto values = record.field(*q.tiebreaker_slot);
                    if (!values.empty() && values[0].is_number()) row.tiebreaker = values[0];
                }
                rows.push_back(row);
            }
            std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
                if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
                if (a.tiebreaker.is_null() != b.tiebreaker.is_null()) return a.tiebreaker.is_null();
                if (!a.tiebreaker.is_null()) {
                    auto c = eqlc::vm::compare_scalars(a.tiebreaker, b.tiebreaker, eqlc::vm::CompareKind::generic);
                    if (c && *c != 0) return *c < 0;
                }
                return a.ordinal < b.ordinal;
            });
            const uint64_t size = spec.contains("size") ? spec["size"].get<uint64_t>() : default_size;
            const auto window = eqlc::compiler::apply_limits(
                rows.size(), q.pipes, eqlc::compiler::PipeLimit{eqlc::compiler::PipeLimit::Kind::tail, size});
            json got = json::array();
            for (size_t i = window.begin; i < window.end; ++i) got.push_back(rows[i].id);

            const json& expected = spec["expected_event_ids"];
            bool ok = got == expected;
            if (!ok && expected.is_array() && !expected.empty() && expected[0].is_array())
                ok = std::any_of(expected.begin(), expected.end(), [&](const json& alt) { return alt == got; });
            if (ok) {
                ++passed;
            } else {
                failures.push_back(name + ": expected " + ids_text(expected) + ", got " + ids_text(got) + "\n  " +
                                   query + "\n" + eqlc::compiler::explain(q));
            }
        }
    }
    for (const auto& f : failures) UNSCOPED_INFO(f);
    WARN("event-query conformance: " << passed << "/" << total << " specs pass");
    CHECK(failures.empty());
    CHECK(total > 0);
}
