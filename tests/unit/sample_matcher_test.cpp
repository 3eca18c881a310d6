// The sample runtime (lib/sequence/sample_matcher): Elasticsearch's sample rules on hand-built hits and on the
// Elasticsearch QA data (hits from the TEST-ONLY evaluator of sequence_test_support.hpp).
#include <catch2/catch.hpp>

#include <map>

#include "sequence_test_support.hpp"

using namespace seqtest;

namespace {

using Ids = std::vector<int64_t>;

struct SEv {
    int64_t id;
    std::vector<std::pair<uint32_t, std::string>> hits;  // (filter, key)
};

std::vector<Recorded> run_sample(const SampleSpec& spec, const std::vector<SEv>& evs, Limits limits = {}) {
    std::vector<Recorded> out;
    SampleMatcher m(spec, sample_recorder(out), limits);
    for (const auto& e : evs) {
        std::vector<SampleHit> hits;
        for (const auto& [f, k] : e.hits) hits.push_back(SampleHit{f, k});
        m.on_event(EventInfo{static_cast<uint64_t>(e.id), 0, "{}"}, hits);
    }
    m.finish();
    return out;
}

SampleSpec sample_spec(uint32_t filters, uint32_t per_key = 1, std::optional<uint64_t> size = std::nullopt) {
    SampleSpec s;
    s.filters = filters;
    s.max_samples_per_key = per_key;
    s.size = size;
    return s;
}

}  // namespace

TEST_CASE("samples: distinct documents, one per filter, in filter order", "[sample]") {
    const auto a = key({"a"});
    // one document matching both filters cannot make a sample alone
    CHECK(run_sample(sample_spec(2), {{1, {{0, a}, {1, a}}}}).empty());
    // ... but can with a second one, in either role
    CHECK(flat_ids(run_sample(sample_spec(2), {{1, {{0, a}, {1, a}}}, {2, {{1, a}}}})) == Ids{1, 2});
    CHECK(flat_ids(run_sample(sample_spec(2), {{1, {{0, a}, {1, a}}}, {2, {{0, a}}}})) == Ids{2, 1});
    // filter order, not arrival order
    CHECK(flat_ids(run_sample(sample_spec(3), {{5, {{2, a}}}, {6, {{1, a}}}, {7, {{0, a}}}})) == Ids{7, 6, 5});
    // a single filter
    CHECK(flat_ids(run_sample(sample_spec(1), {{5, {{0, a}}}, {6, {{0, a}}}})) == Ids{5});
}

TEST_CASE("samples are ordered by key: nulls first, false < true, numbers numerically, strings by bytes", "[sample]") {
    std::vector<SEv> evs;
    int64_t id = 1;
    for (const auto& k : {key({"doom"}), key({"GTA"}), key({10}), key({9.5}), key({nullptr}), key({true}), key({false}),
                          key({"a", nullptr}), key({"a", 1})}) {
        evs.push_back({id++, {{0, k}}});
        evs.push_back({id++, {{1, k}}});
    }
    std::vector<std::string> order;
    for (const auto& r : run_sample(sample_spec(2), evs)) order.push_back(eqlc::sequence::key_to_string(r.key));
    CHECK(order == std::vector<std::string>{"[null]", "[false]", "[true]", "[9.5]", "[10]", "[\"GTA\"]",
                                            "[\"a\", null]", "[\"a\", 1]", "[\"doom\"]"});
}

TEST_CASE("max_samples_per_key and the per-filter fetch cap", "[sample]") {
    const auto w = key({"win10"}), r = key({"redhat"});
    // sample-multi: win10 alert_1 {1,2,4}, alert_2 {3}; redhat alert_2 {6}, alert_1 {7}
    const std::vector<SEv> evs = {{1, {{0, w}}}, {2, {{0, w}}}, {3, {{1, w}}},
                                  {4, {{0, w}}}, {6, {{1, r}}}, {7, {{0, r}}}};
    CHECK(flat_ids(run_sample(sample_spec(2, 1), evs)) == Ids{7, 6, 1, 3});
    CHECK(flat_ids(run_sample(sample_spec(2, 2), evs)) == Ids{7, 6, 1, 3, 2, 3});
    CHECK(flat_ids(run_sample(sample_spec(2, 3), evs)) == Ids{7, 6, 1, 3, 2, 3, 4, 3});
    CHECK(flat_ids(run_sample(sample_spec(2, 10), evs)) == Ids{7, 6, 1, 3, 2, 3, 4, 3});
    // Elasticsearch fetches filters + max_samples_per_key - 1 documents per filter: with 1 sample per key and two
    // filters, only the first two documents of each filter are candidates.
    const auto k = key({"k"});
    std::vector<SEv> crowded = {{1, {{0, k}, {1, k}}}, {2, {{0, k}, {1, k}}}, {3, {{1, k}}}};
    CHECK(flat_ids(run_sample(sample_spec(2, 1), crowded)) == Ids{1, 2});
    // 3 filters, a document in all of them: the cap of 3 documents per filter still finds 3 distinct ones
    std::vector<SEv> three = {
        {1, {{0, k}, {1, k}, {2, k}}}, {2, {{0, k}, {1, k}, {2, k}}}, {3, {{0, k}, {1, k}, {2, k}}}};
    CHECK(flat_ids(run_sample(sample_spec(3, 1), three)) == Ids{1, 2, 3});
}

TEST_CASE("size caps the total number of samples and bounds the keys kept", "[sample]") {
    std::vector<SEv> evs;
    for (int i = 0; i < 1000; ++i) {
        evs.push_back({2 * i, {{0, key({1000 - i})}}});
        evs.push_back({2 * i + 1, {{1, key({1000 - i})}}});
    }
    std::vector<Recorded> out;
    SampleMatcher m(sample_spec(2, 1, 3), sample_recorder(out));
    for (const auto& e : evs) {
        std::vector<SampleHit> hits;
        for (const auto& [f, k] : e.hits) hits.push_back(SampleHit{f, k});
        m.on_event(EventInfo{static_cast<uint64_t>(e.id), 0, {}}, hits);
    }
    CHECK(m.stats().keys <= 4);
    m.finish();
    CHECK(got_keys(out) == std::vector<std::string>{"1", "2", "3"});
    CHECK(run_sample(sample_spec(2, 1, 0), evs).empty());
}

TEST_CASE("sample limits evict the oldest keys", "[sample]") {
    Limits limits;
    limits.max_keys = 2;
    const auto a = key({"a"}), b = key({"b"}), c = key({"c"});
    // a is evicted when c comes
    CHECK(got_keys(run_sample(sample_spec(2), {{1, {{0, a}}}, {2, {{0, b}}}, {3, {{0, c}}}, {4, {{1, b}, {1, c}}}},
                              limits)) == std::vector<std::string>{"b", "c"});
    // stats count evictions
    std::vector<Recorded> out;
    SampleMatcher m(sample_spec(2), sample_recorder(out), limits);
    for (const auto& k : {a, b, c}) {
        SampleHit h{0, k};
        m.on_event(EventInfo{0, 0, {}}, std::span<const SampleHit>(&h, 1));
    }
    CHECK(m.stats().evicted_keys_max_keys == 1);
    CHECK(m.stats().keys == 2);
}

// ---------------------------------------------------------------------------------------------------------------
// Elasticsearch QA specs (sample.json, sample-multi.json), hits from the TEST-ONLY evaluator.

namespace {

struct Filter {
    std::string category;  // "" = any
    Pred where;
    std::vector<std::string> keys;
};

struct SampleQuery {
    std::vector<std::string> by;
    std::vector<Filter> filters;
};

bool absent_or_null(const json& e, const std::string& f) {
    const json* v = field(e, f);
    return v == nullptr || v->is_null();
}

std::vector<Recorded> run_qa_sample(const std::vector<json>& data, const SampleQuery& q, const json& spec) {
    SampleSpec s;
    s.filters = static_cast<uint32_t>(q.filters.size());
    if (spec.contains("max_samples_per_key")) s.max_samples_per_key = spec.at("max_samples_per_key").get<uint32_t>();
    s.size = spec.contains("size") ? spec.at("size").get<uint64_t>() : 50;
    std::vector<Recorded> out;
    SampleMatcher m(s, sample_recorder(out));
    for (const json& e : data) {
        std::vector<std::string> keys;
        std::vector<uint32_t> filters;
        for (uint32_t f = 0; f < q.filters.size(); ++f) {
            const Filter& flt = q.filters[f];
            if (!flt.category.empty() && !is_str(e, "event_type", flt.category)) continue;
            if (flt.where && !flt.where(e)) continue;
            std::vector<std::string> fields = q.by;
            fields.insert(fields.end(), flt.keys.begin(), flt.keys.end());
            for (auto& k : event_keys(e, fields)) {
                keys.push_back(std::move(k));
                filters.push_back(f);
            }
        }
        std::vector<SampleHit> hits;
        for (size_t i = 0; i < keys.size(); ++i) hits.push_back(SampleHit{filters[i], keys[i]});
        const std::string source = e.dump();
        m.on_event(EventInfo{e.at("id").get<uint64_t>(), 0, source}, hits);
    }
    m.finish();
    return out;
}

void check_sample(const json& specs, const std::string& name, const std::vector<json>& data, const SampleQuery& q) {
    INFO("spec " << name);
    const json* spec = find_spec(specs, name);
    REQUIRE(spec != nullptr);
    const auto got = run_qa_sample(data, q, *spec);
    INFO("got " << render(got));
    CHECK(ids_match(spec->at("expected_event_ids"), flat_ids(got)));
    if (spec->contains("join_keys")) CHECK(got_keys(got) == expected_keys(*spec));
}

Pred gt(const char* f, double v) {
    return [f = std::string(f), v](const json& e) { return has_num(e, f, [v](double d) { return d > v; }); };
}
Pred eq_num(const char* f, double v) {
    return [f = std::string(f), v](const json& e) { return is_num(e, f, v); };
}
Pred eq_bool(const char* f, bool v) {
    return [f = std::string(f), v](const json& e) { return is_bool(e, f, v); };
}
Pred any_of(Pred a, Pred b) {
    return [a, b](const json& e) { return a(e) || b(e); };
}
Pred all_of(Pred a, Pred b) {
    return [a, b](const json& e) { return a(e) && b(e); };
}
const Pred kTrue = [](const json&) { return true; };

}  // namespace

TEST_CASE("QA sample specs", "[sample]") {
    EQLC_REQUIRE_SHARED(qa_data, "conformance/elastic/data/sample1+sample2+sample3.ndjson");
    const auto data = load_ndjson(qa_data->string());
    const auto specs = load_specs("sample.json");
    const Pred or_filter1 = any_of(gt("uptime", 0), eq_bool("bool", false));
    const Pred or_filter2 = any_of(gt("port", 10000), eq_bool("bool", false));
    const Pred ids_21_24_11 = [](const json& e) {
        return is_num(e, "id", 21) || is_num(e, "id", 24) || is_num(e, "id", 11);
    };
    const Pred x_null = [](const json& e) { return absent_or_null(e, "x"); };
    const Pred x_eq_y = [](const json& e) { return absent_or_null(e, "x") && absent_or_null(e, "y"); };
    const std::map<std::string, SampleQuery> queries = {
        {"anyRulesWithOneDifferentNameKey",
         {{"host"},
          {{"", gt("uptime", 0), {"os"}}, {"", gt("port", 100), {"op_sys"}}, {"", eq_bool("bool", true), {"os"}}}}},
        {"complexFilters",
         {{"host"},
          {{"",
            [](const json& e) {
                return has_num(e, "uptime", [](double d) { return d > 0; }) && is_str(e, "host", "doom") &&
                       (has_num(e, "uptime", [](double d) { return d > 15; }) || is_bool(e, "bool", true));
            },
            {"os"}},
           {"",
            [](const json& e) {
                return (has_num(e, "port", [](double d) { return d > 100; }) && is_str(e, "ip", "10.0.0.5")) ||
                       (field(e, "op_sys") && field(e, "op_sys")->is_string() &&
                        field(e, "op_sys")->get<std::string>() == "redhat");
            },
            {"op_sys"}},
           {"", eq_bool("bool", true), {"os"}}}}},
        {"anyRulesWithORFilters", {{"bool", "host"}, {{"", or_filter1, {}}, {"", or_filter2, {}}}}},
        {"failureEventTypeWithORFilters", {{"bool", "host"}, {{"failure", or_filter1, {}}, {"", or_filter2, {}}}}},
        {"alertEventTypeRulesWithORFilters",
         {{"bool", "host"}, {{"alert", or_filter1, {}}, {"alert", or_filter2, {}}}}},
        {"ipAsKey",
         {{"host"},
          {{"", eq_bool("bool", true), {"host_ip"}}, {"", gt("uptime", 0), {"ip"}}, {"", gt("port", 100), {"ip"}}}}},
        {"keywordAsKey",
         {{"missing_keyword"},
          {{"success", kTrue, {"host"}},
           {"failure", [](const json& e) { return is_str(e, "host", "doom"); }, {"host"}}}}},
        {"simpleIpAsKey",
         {{},
          {{"success", kTrue, {"ip"}},
           {"alert",
            [](const json& e) {
                const json* os = field(e, "os");
                return os && os->is_string() && os->get<std::string>().rfind("win", 0) == 0;
            },
            {"host_ip"}}}}},
        {"nullValueAsJoinKey",
         {{"missing_keyword"},
          {{"alert", all_of([](const json& e) { return absent_or_null(e, "missing_keyword"); }, eq_num("id", 110)), {}},
           {"alert", eq_bool("bool", false), {}}}}},
        {"optionalFieldAsKeyAndFirstFilter",
         {{"?x"},
          {{"failure", all_of(x_null, eq_num("id", 17)), {}},
           {"failure", eq_num("id", 27), {}},
           {"", eq_num("id", 37), {}}}}},
        {"optionalFieldAsKeyAndSecondFilter", {{"?x"}, {{"", eq_num("id", 11), {}}, {"", x_null, {}}}}},
        {"optionalFieldAsQueryKeys",
         {{"?x"}, {{"success", eq_num("id", 18), {"?y"}}, {"failure", eq_num("id", 17), {"?z"}}}}},
        {"optionalFieldAsKeyAndMultipleConditions",
         {{"?x", "?y"},
          {{"failure", all_of(x_eq_y, eq_num("id", 17)), {}}, {"success", all_of(x_eq_y, eq_num("id", 18)), {}}}}},
        {"optionalFieldAsQueryKeysOnly",
         {{"host"},
          {{"success", eq_num("id", 38), {"?z"}},
           {"success", all_of(x_eq_y, eq_num("id", 28)), {"?y"}},
           {"alert", eq_num("id", 11), {"?x"}}}}},
        {"allKeysOptional", {{"?host", "?os"}, {{"success", kTrue, {}}, {"alert", kTrue, {}}}}},
        {"oneKeyOptional_1", {{"?host", "os"}, {{"success", kTrue, {}}, {"alert", kTrue, {}}}}},
        {"oneKeyOptional_2", {{"host", "?os"}, {{"success", kTrue, {}}, {"alert", ids_21_24_11, {}}}}},
        {"noOptionalKeys", {{"host", "os"}, {{"success", kTrue, {}}, {"alert", kTrue, {}}}}},
        {"size0", {{"host", "?os"}, {{"success", kTrue, {}}, {"alert", ids_21_24_11, {}}}}},
        {"size2", {{"host", "?os"}, {{"success", kTrue, {}}, {"alert", ids_21_24_11, {}}}}},
        {"size3", {{"host", "?os"}, {{"success", kTrue, {}}, {"alert", ids_21_24_11, {}}}}},
        {"sizeBig", {{"host", "?os"}, {{"success", kTrue, {}}, {"alert", ids_21_24_11, {}}}}},
    };
    for (const auto& [name, q] : queries) check_sample(specs, name, data, q);
}

TEST_CASE("QA sample-multi specs (max_samples_per_key)", "[sample]") {
    EQLC_REQUIRE_SHARED(qa_data, "conformance/elastic/data/sample-multi.ndjson");
    const auto data = load_ndjson(qa_data->string());
    const auto specs = load_specs("sample-multi.json");
    const SampleQuery by_os{{"os"}, {{"alert_1", kTrue, {}}, {"alert_2", kTrue, {}}}};
    const SampleQuery by_opt_os{{"?os"}, {{"alert_1", kTrue, {}}, {"alert_2", kTrue, {}}}};
    const std::map<std::string, SampleQuery> queries = {
        {"oneSamplePerKey", by_os},
        {"oneSamplePerKey_optional", by_opt_os},
        {"twoSamplesPerKeyOutOfThree", by_os},
        {"twoSamplesPerKeyOutOfThree_optional", by_opt_os},
        {"twoSamplesPerKeyOutOfThree_withCondition",
         {{"os"},
          {{"alert_1", [](const json& e) { return !is_str(e, "host", "farcry"); }, {}}, {"alert_2", kTrue, {}}}}},
        {"twoSamplesPerKeyOutOfThree2", {{"os"}, {{"alert_2", kTrue, {}}, {"alert_1", kTrue, {}}}}},
        {"threeSamplesPerKey", by_os},
        {"moreSamplesPerKey", by_os},
        {"twoSamplesPerKeyOutOfThree_inlineByKey", {{}, {{"alert_1", kTrue, {"os"}}, {"alert_2", kTrue, {"os"}}}}},
    };
    for (const auto& [name, q] : queries) check_sample(specs, name, data, q);
    CHECK(queries.size() == specs.size());
}
