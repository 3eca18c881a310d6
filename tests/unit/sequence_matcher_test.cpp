// The sequence runtime (lib/sequence): Elasticsearch's matching rules on hand-built hit streams, on the
// Elasticsearch QA data (through the TEST-ONLY evaluator of sequence_test_support.hpp), against a reference
// model of Elasticsearch's batch algorithm on random streams, and under limits.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "sequence_test_support.hpp"

using namespace seqtest;
using eqlc::sequence::compare_keys;
using eqlc::sequence::kUntil;

namespace {

SequenceSpec plain(size_t stages, std::optional<int64_t> maxspan = std::nullopt, bool until = false) {
    SequenceSpec s;
    s.missing.assign(stages, false);
    s.maxspan_ns = maxspan;
    s.has_until = until;
    return s;
}

SequenceSpec with_missing(std::vector<bool> missing, std::optional<int64_t> maxspan) {
    SequenceSpec s;
    s.missing = std::move(missing);
    s.maxspan_ns = maxspan;
    return s;
}

using Ids = std::vector<int64_t>;
const std::string K0 = key();

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Hand-built streams reproducing SEMANTICS §7

TEST_CASE("doubleSameSequence: one event serves different stages of different sequences", "[sequence]") {
    // sequence [process where serial_event_id < 5] [process where serial_event_id < 5]
    std::vector<Ev> evs;
    for (int i = 1; i <= 7; ++i) {
        Ev e{i, i * kMs, {}};
        if (i < 5) e.hits = {{0, K0}, {1, K0}};
        evs.push_back(e);
    }
    CHECK(flat_ids(run(plain(2), evs)) == Ids{1, 2, 2, 3, 3, 4});
}

TEST_CASE("sequenceConditionManyMany and sequenceThreeManyCondition", "[sequence]") {
    auto stream = [](size_t stages, auto cond) {
        std::vector<Ev> evs;
        for (int i = 1; i <= 9; ++i) {
            Ev e{i, 0, {}};
            for (uint32_t s = 0; s < stages; ++s)
                if (cond(s, i)) e.hits.push_back({s, K0});
            evs.push_back(e);
        }
        return evs;
    };
    // [id <= 3] [true] [true]
    CHECK(flat_ids(run(plain(3), stream(3, [](uint32_t s, int i) { return s != 0 || i <= 3; }))) ==
          Ids{1, 2, 3, 2, 3, 4, 3, 4, 5});
    // [true] [id <= 3] [true]
    CHECK(flat_ids(run(plain(3), stream(3, [](uint32_t s, int i) { return s != 1 || i <= 3; }))) ==
          Ids{1, 2, 3, 2, 3, 4});
    // [true] [true] [id <= 3]
    CHECK(flat_ids(run(plain(3), stream(3, [](uint32_t s, int i) { return s != 2 || i <= 3; }))) == Ids{1, 2, 3});
    // [true] [true] [id <= 4] [true]
    CHECK(flat_ids(run(plain(4), stream(4, [](uint32_t s, int i) { return s != 2 || i <= 4; }))) ==
          Ids{1, 2, 3, 4, 2, 3, 4, 5});
}

TEST_CASE("newest wins: a later stage takes the latest partial and discards older ones", "[sequence]") {
    // sequenceManyOneMatch: [id < 5] [id == 5] -> [4, 5]
    std::vector<Ev> evs;
    for (int i = 1; i <= 6; ++i) {
        Ev e{i, i * kMs, {}};
        if (i < 5) e.hits.push_back({0, K0});
        if (i == 5) e.hits.push_back({1, K0});
        evs.push_back(e);
    }
    CHECK(flat_ids(run(plain(2), evs)) == Ids{4, 5});

    // Per key: a's partials are independent of b's.
    const auto a = key({"a"}), b = key({"b"});
    std::vector<Ev> evs2 = {{1, 1, {{0, a}}}, {2, 2, {{0, b}}}, {3, 3, {{0, a}}},
                            {4, 4, {{1, b}}}, {5, 5, {{1, a}}}, {6, 6, {{1, a}}}};
    const auto got = run(plain(2), evs2);
    CHECK(flat_ids(got) == Ids{2, 4, 3, 5});
    CHECK(got[0].key == b);
    CHECK(got[1].key == a);
}

TEST_CASE("maxspan: a gap equal to maxspan is accepted, a rejected candidate is not put back", "[sequence]") {
    std::vector<Ev> evs = {{1, 0, {{0, K0}}}, {2, 10 * kSec, {{1, K0}}}};
    CHECK(flat_ids(run(plain(2, 10 * kSec), evs)) == Ids{1, 2});
    CHECK(flat_ids(run(plain(2, 10 * kSec - 1), evs)).empty());

    // The newest partial is too old: rejected, and the hit does not fall back on anything.
    std::vector<Ev> evs2 = {{1, 0, {{0, K0}}}, {2, 11 * kSec, {{1, K0}}}, {3, 12 * kSec, {{1, K0}}}};
    SequenceMatcher::Sink none;
    std::vector<Recorded> out;
    SequenceMatcher m(plain(2, 10 * kSec), recorder(out));
    for (const auto& e : evs2) push(m, e);
    m.finish();
    CHECK(out.empty());
    // The partial expired by event time before the hit came: it was swept, not rejected.
    CHECK(m.stats().expired_partials + m.stats().rejected_maxspan == 1);

    // maxspan is measured from the first event, not the previous one.
    std::vector<Ev> evs3 = {{1, 0, {{0, K0}}}, {2, 6 * kSec, {{1, K0}}}, {3, 12 * kSec, {{2, K0}}}};
    CHECK(flat_ids(run(plain(3, 10 * kSec), evs3)).empty());
    CHECK(flat_ids(run(plain(3, 12 * kSec), evs3)) == Ids{1, 2, 3});

    // The newer partial starts later and survives where the older would not.
    std::vector<Ev> evs4 = {{1, 0, {{0, K0}}}, {2, 5 * kSec, {{0, K0}}}, {3, 14 * kSec, {{1, K0}}}};
    CHECK(flat_ids(run(plain(2, 10 * kSec), evs4)) == Ids{2, 3});
}

TEST_CASE("until kills a sequence whose span contains an until event of the same key", "[sequence]") {
    const auto a = key({"a"}), b = key({"b"});
    // until between stage 0 and stage 1
    CHECK(run(plain(2, {}, true), {{1, 1, {{0, a}}}, {2, 2, {{kUntil, a}}}, {3, 3, {{1, a}}}}).empty());
    // until of another key: no effect
    CHECK(flat_ids(run(plain(2, {}, true), {{1, 1, {{0, a}}}, {2, 2, {{kUntil, b}}}, {3, 3, {{1, a}}}})) == Ids{1, 3});
    // until before the first event: irrelevant
    CHECK(flat_ids(run(plain(2, {}, true), {{1, 1, {{kUntil, a}}}, {2, 2, {{0, a}}}, {3, 3, {{1, a}}}})) == Ids{2, 3});
    // until after the sequence completed: irrelevant
    CHECK(flat_ids(run(plain(2, {}, true), {{1, 1, {{0, a}}}, {2, 2, {{1, a}}}, {3, 3, {{kUntil, a}}}})) == Ids{1, 2});
    // an until event that is also the hit does not count; one that is the partial's last event does
    CHECK(flat_ids(run(plain(2, {}, true), {{1, 1, {{0, a}}}, {2, 2, {{1, a}, {kUntil, a}}}})) == Ids{1, 2});
    CHECK(run(plain(2, {}, true), {{1, 1, {{0, a}, {kUntil, a}}}, {2, 2, {{1, a}}}}).empty());
    // until inside a 3-stage sequence, between stages 1 and 2; a new sequence after it is fine
    CHECK(flat_ids(run(plain(3, {}, true), {{1, 1, {{0, a}}},
                                            {2, 2, {{1, a}}},
                                            {3, 3, {{kUntil, a}}},
                                            {4, 4, {{2, a}}},
                                            {5, 5, {{0, a}}},
                                            {6, 6, {{1, a}}},
                                            {7, 7, {{2, a}}}})) == Ids{5, 6, 7});
}

TEST_CASE("output order: by the last event, ties by key", "[sequence]") {
    // ManyToMany: [1 (tag1,tag2)] ... [4 (tag3,tag4)] then one event (tag1,tag3,tag4) completes three.
    const auto t1 = key({"tag1"}), t2 = key({"tag2"}), t3 = key({"tag3"}), t4 = key({"tag4"});
    std::vector<Ev> evs = {
        {1, 1, {{0, t2}, {0, t1}}}, {4, 10, {{0, t4}, {0, t3}}}, {23, 12, {{1, t4}, {1, t1}, {1, t3}}}};
    const auto got = run(plain(2), evs);
    REQUIRE(got.size() == 3);
    CHECK(flat_ids(got) == Ids{1, 23, 4, 23, 4, 23});
    CHECK(got_keys(got) == std::vector<std::string>{"tag1", "tag3", "tag4"});

    // Key order: null first, false < true, numbers numerically, strings by bytes.
    std::vector<Ev> evs2 = {{1,
                             1,
                             {{0, key({"doom"})},
                              {0, key({"GTA"})},
                              {0, key({10})},
                              {0, key({9.5})},
                              {0, key({nullptr})},
                              {0, key({true})},
                              {0, key({false})}}},
                            {2,
                             2,
                             {{1, key({"doom"})},
                              {1, key({"GTA"})},
                              {1, key({10})},
                              {1, key({9.5})},
                              {1, key({nullptr})},
                              {1, key({true})},
                              {1, key({false})}}}};
    std::vector<std::string> order;
    for (const auto& r : run(plain(2), evs2)) append_key_strings(r.key, order);
    CHECK(order == std::vector<std::string>{"null", "false", "true", std::to_string(9.5), "10", "GTA", "doom"});
}

TEST_CASE("keys are type-sensitive and duplicate hits count once", "[sequence]") {
    // keyword "1" != long 1; long 1 == double 1.0
    CHECK(run(plain(2), {{1, 1, {{0, key({"1"})}}}, {2, 2, {{1, key({1})}}}}).empty());
    CHECK(flat_ids(run(plain(2), {{1, 1, {{0, key({1.0})}}}, {2, 2, {{1, key({1})}}}})) == Ids{1, 2});
    CHECK(key({1.5}) != key({1}));
    // tags_with_duplicates: ["tag1","tag1","tag2"] gives each key once
    const auto t1 = key({"tag1"}), t2 = key({"tag2"});
    CHECK(flat_ids(run(plain(2), {{12, 1, {{0, t1}, {0, t1}, {0, t2}}}, {13, 2, {{1, t1}, {1, t2}, {1, t2}}}})) ==
          Ids{12, 13, 12, 13});
}

TEST_CASE("the sink receives the kept source text", "[sequence]") {
    const auto got = run(plain(2), {{1, 1, {{0, K0}}}, {2, 2, {{1, K0}}}});
    REQUIRE(got.size() == 1);
    CHECK(got[0].sources == std::vector<std::string>{"{\"id\":1}", "{\"id\":2}"});
}

TEST_CASE("missing events: intermediate, leading and trailing checks", "[sequence]") {
    const auto spec = with_missing({false, true, false}, 1 * kSec);
    // skipFirstMatchAndPickSecondCandidate on a 3-positive variant is in the QA test; here the basic shapes.
    // [a] ![m] [b]: m strictly between a and b discards; m at a's timestamp does not.
    CHECK(run(spec, {{1, 1 * kMs, {{0, K0}}}, {2, 2 * kMs, {{1, K0}}}, {3, 3 * kMs, {{2, K0}}}}).empty());
    CHECK(flat_ids(run(spec, {{1, 1 * kMs, {{0, K0}}}, {2, 1 * kMs, {{1, K0}}}, {3, 3 * kMs, {{2, K0}}}})) ==
          Ids{1, -1, 3});
    // no backtracking: the displaced older partial is not tried after the newest is discarded
    CHECK(
        run(spec, {{1, 1 * kMs, {{0, K0}}}, {2, 2 * kMs, {{0, K0}}}, {3, 3 * kMs, {{1, K0}}}, {4, 4 * kMs, {{2, K0}}}})
            .empty());

    // Trailing: [a] ![m], maxspan 10s.
    const auto trailing = with_missing({false, true}, 10 * kSec);
    // m within maxspan of a: rejected; exactly maxspan: rejected; beyond: accepted; none: accepted
    CHECK(run(trailing, {{1, 0, {{0, K0}}}, {2, 5 * kSec, {{1, K0}}}}).empty());
    CHECK(run(trailing, {{1, 0, {{0, K0}}}, {2, 10 * kSec, {{1, K0}}}}).empty());
    CHECK(flat_ids(run(trailing, {{1, 0, {{0, K0}}}, {2, 10 * kSec + 1, {{1, K0}}}})) == Ids{1, -1});
    CHECK(flat_ids(run(trailing, {{1, 0, {{0, K0}}}})) == Ids{1, -1});

    // Leading: ![m] [a], maxspan 10s: measured from lastLeading to the last positive event.
    const auto leading = with_missing({true, false, false}, 10 * kSec);
    CHECK(run(leading, {{1, 0, {{0, K0}}}, {2, 5 * kSec, {{1, K0}}}, {3, 10 * kSec, {{2, K0}}}}).empty());
    CHECK(flat_ids(run(leading, {{1, 0, {{0, K0}}}, {2, 5 * kSec, {{1, K0}}}, {3, 10 * kSec + 1, {{2, K0}}}})) ==
          Ids{-1, 2, 3});
    // a leading event at the first positive event's timestamp is not before it
    CHECK(flat_ids(run(leading, {{1, 5 * kSec, {{0, K0}}}, {2, 5 * kSec, {{1, K0}}}, {3, 6 * kSec, {{2, K0}}}})) ==
          Ids{-1, 2, 3});
}

TEST_CASE("a match waiting for its trailing check holds back later matches, in order", "[sequence]") {
    // Key a waits (trailing term); key b completes later without missing terms... same query: both wait.
    const auto a = key({"a"}), b = key({"b"});
    const auto spec = with_missing({false, false, true}, 10 * kSec);
    std::vector<Recorded> out;
    SequenceMatcher m(spec, recorder(out));
    push(m, {1, 0, {{0, a}}});
    push(m, {2, 1 * kSec, {{1, a}}});  // candidate a, waits until 10s have passed since 0
    push(m, {3, 2 * kSec, {{0, b}}});
    push(m, {4, 3 * kSec, {{1, b}}});  // candidate b, waits until 12s
    push(m, {5, 4 * kSec, {{2, b}}});  // b's trailing event within maxspan: b rejected
    CHECK(out.empty());
    CHECK(m.stats().pending_matches == 1);
    m.advance_time(10 * kSec);  // not past the deadline yet (a gap equal to maxspan would still reject)
    CHECK(out.empty());
    m.advance_time(10 * kSec + 1);
    CHECK(flat_ids(out) == Ids{1, 2, -1});
    m.finish();
    CHECK(flat_ids(out) == Ids{1, 2, -1});
    CHECK(m.stats().rejected_missing == 1);
}

TEST_CASE("expiry by event time drops state that maxspan has closed", "[sequence]") {
    std::vector<Recorded> out;
    SequenceMatcher m(plain(2, 10 * kSec), recorder(out));
    for (int i = 0; i < 1000; ++i) push(m, {i, i * kSec, {{0, key({i})}}});
    // only the keys of the last 10 seconds (plus the current one) are alive
    CHECK(m.stats().keys == 11);
    CHECK(m.stats().pending_partials == 11);
    CHECK(m.stats().expired_partials == 989);
    m.finish();
    CHECK(m.stats().keys == 0);
    CHECK(m.stats().kept_events == 0);
    CHECK(m.stats().state_bytes == 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Elasticsearch QA specs, hits computed by the TEST-ONLY evaluator

namespace {

Term tag(const char* category, const char* value, std::vector<std::string> keys = {}) {
    return Term{category, [v = std::string(value)](const json& e) { return is_str(e, "tag", v); }, std::move(keys)};
}
Term missing(Term t) {
    t.missing = true;
    return t;
}
Term runs(Term t, int n) {
    t.runs = n;
    return t;
}
Term cat(const char* category, std::vector<std::string> keys = {}, Pred where = {}) {
    return Term{category, std::move(where), std::move(keys)};
}
bool num_any(const json& e, const std::string& f, double v) {
    const json* x = field(e, f);
    if (x == nullptr) return false;
    if (x->is_array()) {
        for (const auto& el : *x)
            if (el.is_number() && el.get<double>() == v) return true;
        return false;
    }
    return x->is_number() && x->get<double>() == v;
}
std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
bool ieq(const json& e, const std::string& f, const std::string& v) {
    const json* x = field(e, f);
    return x != nullptr && x->is_string() && lower(x->get<std::string>()) == lower(v);
}
bool iends(const json& e, const std::string& f, const std::string& suffix) {
    const json* x = field(e, f);
    if (x == nullptr || !x->is_string()) return false;
    const std::string s = lower(x->get<std::string>());
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), lower(suffix)) == 0;
}

void check_spec(const json& specs, const std::string& name, const std::vector<json>& data, const Query& q,
                const std::string& id_field, const std::string& tiebreaker) {
    INFO("spec " << name);
    const json* spec = find_spec(specs, name);
    REQUIRE(spec != nullptr);
    const auto got = run_qa_sequence(data, q, id_field, tiebreaker);
    INFO("got " << render(got));
    CHECK(ids_match(spec->at("expected_event_ids"), flat_ids(got)));
    if (spec->contains("join_keys")) CHECK(got_keys(got) == expected_keys(*spec));
}

}  // namespace

TEST_CASE("QA missing-events specs", "[sequence]") {
    EQLC_REQUIRE_SHARED(qa_data, "conformance/elastic/data/missing-events.ndjson");
    const auto data = load_ndjson(qa_data->string());
    const auto specs = load_specs("missing-events.json");
    const int64_t s1 = kSec;
    const std::map<std::string, Query> queries = {
        {"missingInBetween_noMatches",
         {{}, {tag("test1", "normal"), missing(tag("test1", "nonexisting")), tag("test1", "normal")}, {}, s1, {}}},
        {"missingInBetween_noMatches_head",
         {{},
          {tag("test1", "normal"), missing(tag("test1", "nonexisting")), tag("test1", "normal")},
          {},
          s1,
          {{'h', 1}}}},
        {"missingInBetween_noMatches_tail",
         {{},
          {tag("test1", "normal"), missing(tag("test1", "nonexisting")), tag("test1", "normal")},
          {},
          s1,
          {{'t', 1}}}},
        {"missingInBetween_match",
         {{}, {tag("test1", "normal"), missing(tag("test1", "missing")), tag("test1", "normal")}, {}, s1, {}}},
        {"positivePlusMissing", {{}, {tag("test1", "normal"), missing(tag("test1", "missing"))}, {}, s1, {}}},
        {"skipFirstMatchAndPickSecondCandidate",
         {{},
          {tag("test2", "normal"), tag("test2", "normal"), missing(tag("test2", "missing")), tag("test2", "normal")},
          {},
          s1,
          {}}},
        {"leadingSimple", {{}, {missing(tag("test3", "missing")), tag("test3", "normal")}, {}, 3 * 60 * s1, {}}},
        {"leadingAndTrailingExcluded1",
         {{},
          {missing(tag("test3", "missing")), tag("test3", "normal"), missing(tag("test3", "missing"))},
          {},
          19 * 60 * s1,
          {}}},
        {"leadingAndTrailingExcluded2",
         {{},
          {missing(tag("test3", "missing")), tag("test3", "normal"), missing(tag("test3", "missing"))},
          {},
          21 * 60 * s1,
          {}}},
        {"multipleMissing1",
         {{},
          {tag("test4", "A"), tag("test4", "B"), missing(tag("test4", "M1")), tag("test4", "C"),
           missing(tag("test4", "M2")), tag("test4", "D")},
          {},
          s1,
          {}}},
        {"multipleMissing2",
         {{},
          {tag("test4", "A"), tag("test4", "B"), missing(tag("test4", "M1")), tag("test4", "C"), tag("test4", "D")},
          {},
          s1,
          {}}},
        {"multipleMissing3",
         {{},
          {tag("test4", "A"), tag("test4", "B"), tag("test4", "C"), missing(tag("test4", "M2")), tag("test4", "D")},
          {},
          s1,
          {}}},
        {"multipleMissing4",
         {{},
          {tag("test4", "A"), tag("test4", "B"), missing(tag("test4", "M1")), tag("test4", "C"),
           missing(tag("test4", "M2")), tag("test4", "D"), missing(tag("test4", "M4"))},
          {},
          s1,
          {}}},
        {"multipleMissing5",
         {{},
          {tag("test4", "A"), tag("test4", "B"), missing(tag("test4", "none")), tag("test4", "C"),
           missing(tag("test4", "none")), tag("test4", "D")},
          {},
          s1,
          {}}},
        {"multipleMissing6",
         {{},
          {tag("test4", "A"), tag("test4", "B"), tag("test4", "C"), missing(tag("test4", "M2")), tag("test4", "D"),
           missing(tag("test4", "none"))},
          {},
          s1,
          {}}},
        {"multipleMissing7",
         {{},
          {missing(tag("test4", "none")), tag("test4", "A"), tag("test4", "B"), tag("test4", "C"),
           missing(tag("test4", "M2")), tag("test4", "D")},
          {},
          s1,
          {}}},
        {"withByKey1",
         {{"k1"},
          {tag("test5", "normal"), tag("test5", "normal"), missing(tag("test5", "missing")), tag("test5", "normal")},
          {},
          s1,
          {}}},
        {"withByKey2",
         {{},
          {tag("test5", "normal", {"k1"}), tag("test5", "normal", {"k1"}), missing(tag("test5", "missing", {"k1"})),
           tag("test5", "normal", {"k1"})},
          {},
          s1,
          {}}},
        {"withByKey3",
         {{},
          {tag("test5", "normal", {"k1"}), tag("test5", "normal", {"k1"}), missing(tag("test5", "missing", {"k2"})),
           tag("test5", "normal", {"k1"})},
          {},
          s1,
          {}}},
        {"withByKey4",
         {{"k2"},
          {tag("test5", "normal"), tag("test5", "normal"), missing(tag("test5", "missing")), tag("test5", "normal")},
          {},
          s1,
          {}}},
        {"withByKey5",
         {{"k1"},
          {tag("test5", "normal", {"k2"}), tag("test5", "normal", {"k2"}), missing(tag("test5", "missing", {"k2"})),
           tag("test5", "normal", {"k2"})},
          {},
          s1,
          {}}},
        {"withByKey_head",
         {{"k1"},
          {tag("test5", "normal", {"k2"}), tag("test5", "normal", {"k2"}), missing(tag("test5", "missing", {"k2"})),
           tag("test5", "normal", {"k2"})},
          {},
          s1,
          {{'h', 2}}}},
        {"withByKey_runs",
         {{"k1"},
          {runs(tag("test5", "normal", {"k2"}), 2), missing(tag("test5", "missing", {"k2"})),
           tag("test5", "normal", {"k2"})},
          {},
          s1,
          {}}},
        {"withByKey_runsOnMissing",
         {{"k1"},
          {runs(tag("test5", "normal", {"k2"}), 2), runs(missing(tag("test5", "missing", {"k2"})), 2),
           tag("test5", "normal", {"k2"})},
          {},
          s1,
          {}}},
    };
    auto missing_after_10 =
        missing(Term{"test5",
                     [](const json& e) {
                         return is_str(e, "tag", "missing") && has_num(e, "sequence", [](double d) { return d > 10; });
                     },
                     {"k2"}});
    const Query by_key6{{"k1"},
                        {tag("test5", "normal", {"k2"}), tag("test5", "normal", {"k2"}), missing_after_10,
                         tag("test5", "normal", {"k2"})},
                        {},
                        s1,
                        {}};
    Query by_key_tail = by_key6;
    by_key_tail.pipes = {{'t', 2}};

    size_t checked = 0;
    for (const auto& [name, q] : queries) {
        check_spec(specs, name, data, q, "sequence", "sequence");
        ++checked;
    }
    check_spec(specs, "withByKey6", data, by_key6, "sequence", "sequence");
    check_spec(specs, "withByKey_tail", data, by_key_tail, "sequence", "sequence");
    CHECK(checked + 2 == specs.size());  // every spec of the suite
}

TEST_CASE("QA extra specs: multi-valued and optional keys, runs, until", "[sequence]") {
    EQLC_REQUIRE_SHARED(qa_data, "conformance/elastic/data/extra.ndjson");
    const auto data = load_ndjson(qa_data->string());
    const auto specs = load_specs("extra.json");
    auto tid = [](double v) { return [v](const json& e) { return num_any(e, "transID", v); }; };
    auto seq_is = [](double v) { return [v](const json& e) { return is_num(e, "sequence", v); }; };
    const Term x_null{"OPTIONAL", [](const json& e) { return field(e, "x") == nullptr; }, {}};
    const std::map<std::string, Query> queries = {
        {"basic", {{"transID"}, {cat("REQUEST"), cat("ERROR"), cat("STAT")}, {}, {}, {}}},
        {"basicWithFilter", {{"transID"}, {cat("REQUEST", {}, tid(1234)), cat("ERROR"), cat("STAT")}, {}, {}, {}}},
        {"basicWithFilters",
         {{"transID"},
          {cat("REQUEST", {}, tid(1234)), cat("ERROR", {}, tid(1234)), cat("STAT", {}, tid(1234))},
          {},
          {},
          {}}},
        {"byDate", {{"date_tags"}, {cat("process"), cat("process")}, {}, {}, {}}},
        {"sequenceOptionalFieldAsKeyAndFirstFilter", {{"?x"}, {x_null, cat("OPTIONAL")}, {}, {}, {}}},
        {"sequenceOptionalFieldAsKeyAndSecondFilter", {{"?x"}, {cat("REQUEST", {}, tid(1234)), x_null}, {}, {}, {}}},
        {"sequenceOptionalFieldAsQueryKeys",
         {{"?x", "transID"}, {cat("ERROR", {"?x"}), cat("OPTIONAL", {"?y"})}, {}, {}, {}}},
        {"sequenceOptionalFieldAsKeyAndMultipleConditions",
         {{"?x", "?y"}, {cat("ERROR"), cat("OPTIONAL")}, {}, {}, {}}},
        {"sequenceOptionalFieldAsQueryKeysOnly",
         {{"transID"}, {cat("REQUEST", {"?z"}, tid(1234)), cat("ERROR", {"?y"}), cat("STAT", {"?x"})}, {}, {}, {}}},
        {"sequenceAllKeysOptional",
         {{"?process.entity_id", "?process.pid"},
          {cat("process", {}, tid(2)), runs(cat("file", {}, tid(0)), 2)},
          {},
          {},
          {}}},
        {"sequenceOneKeyOptional_1",
         {{"process.entity_id", "?process.pid"},
          {cat("process", {}, tid(2)), runs(cat("file", {}, tid(0)), 2)},
          {},
          {},
          {}}},
        {"sequenceOneKeyOptional_2",
         {{"?process.entity_id", "process.pid"},
          {cat("process", {}, tid(2)), runs(cat("file", {}, tid(0)), 2)},
          {},
          {},
          {}}},
        {"sequenceNoOptionalKeys",
         {{"process.entity_id", "process.pid"},
          {cat("process", {}, tid(2)), runs(cat("file", {}, tid(0)), 2)},
          {},
          {},
          {}}},
        {"sequenceWithOptionalFieldsAndUntil_1",
         {{"?process.entity_id", "?process.pid"},
          {cat("process", {}, tid(2)), runs(cat("file", {}, tid(0)), 2)},
          cat("file", {}, seq_is(20)),
          {},
          {}}},
        {"sequenceWithOptionalFieldsAndUntil_2",
         {{"?process.entity_id", "?process.pid"},
          {cat("process", {}, tid(2)), runs(cat("file", {}, tid(0)), 2)},
          cat("file", {}, seq_is(19)),
          {},
          {}}},
        {"sequenceWithVersionJoinKey", {{"version"}, {cat("process"), cat("file")}, {}, {}, {}}},
        {"sequenceWithMultivalue_OneToMany", {{"tags"}, {cat("REQUEST"), cat("ERROR")}, {}, {}, {}}},
        {"sequenceWithMultivalue_ManyToOne", {{"tags"}, {cat("process"), cat("process")}, {}, {}, {}}},
        {"sequenceWithMultivalue_ManyToMany", {{"tags"}, {cat("REQUEST"), cat("file")}, {}, {}, {}}},
        {"sequenceWithMultivalue_CartesianProduct", {{"tags", "items"}, {cat("REQUEST"), cat("file")}, {}, {}, {}}},
        {"sequenceWithMultivalue_Duplicates", {{"tags_with_duplicates"}, {cat("process"), cat("file")}, {}, {}, {}}},
        {"sequenceWithMultivalue_RandomOrder", {{"tags_unordered"}, {cat("file"), cat("file")}, {}, {}, {}}},
        {"sequenceWithMultivalue_NullValues", {{"tags_with_null"}, {cat("file"), cat("file")}, {}, {}, {}}},
        {"sequenceWithMultivalue_DateValues", {{"date_tags"}, {cat("file"), cat("file")}, {}, {}, {}}},
        {"sequenceWithOptionalMultivalue_simple", {{"?optional_tags"}, {cat("process"), cat("process")}, {}, {}, {}}},
        {"sequenceWithOptionalMultivalue_perQuery",
         {{}, {cat("process", {"?optional_tags"}), cat("process", {"?optional_tags"})}, {}, {}, {}}},
        {"sequenceWithOptionalMultivalue_multiPlusOptional",
         {{"tags", "?optional_tags"}, {cat("REQUEST"), cat("ERROR")}, {}, {}, {}}},
        {"sequenceWithOptionalMultivalue_optionalPlusMulti",
         {{"?optional_tags", "tags"}, {cat("REQUEST"), cat("ERROR")}, {}, {}, {}}},
        {"sequenceWithOptionalMultivalue_twoOptionals",
         {{"?optional_tags", "?tags"}, {cat("REQUEST"), cat("ERROR")}, {}, {}, {}}},
    };
    for (const auto& [name, q] : queries) check_spec(specs, name, data, q, "sequence", "sequence");
}

TEST_CASE("QA endgame sequence specs", "[sequence]") {
    EQLC_REQUIRE_SHARED(qa_data, "conformance/elastic/data/endgame-140.ndjson");
    const auto data = load_ndjson(qa_data->string());
    const auto specs = load_specs("endgame.json");
    auto id_lt = [](double v) {
        return [v](const json& e) { return has_num(e, "serial_event_id", [v](double d) { return d < v; }); };
    };
    auto id_le = [](double v) {
        return [v](const json& e) { return has_num(e, "serial_event_id", [v](double d) { return d <= v; }); };
    };
    auto id_eq = [](double v) { return [v](const json& e) { return is_num(e, "serial_event_id", v); }; };
    auto op = [](double v) { return [v](const json& e) { return is_num(e, "opcode", v); }; };
    auto subtype = [](const char* s) {
        return [v = std::string(s)](const json& e) { return ieq(e, "event_subtype_full", v); };
    };
    auto create_delete = [&](std::optional<int64_t> maxspan) {
        return Query{
            {},
            {cat("file", {"file_path"}, subtype("file_create_event")), cat("process", {"process_path"}, op(1)),
             cat("process", {"process_path"}, op(2)), cat("file", {"file_path"}, subtype("file_delete_event"))},
            {},
            maxspan,
            {{'h', 4}, {'t', 2}}};
    };
    auto exe0 = [](const json& e) { return is_num(e, "opcode", 0) && iends(e, "file_name", ".exe"); };
    auto lsass = [](const json& e) { return ieq(e, "file_name", "lsass.exe"); };
    const std::map<std::string, Query> queries = {
        {"sequenceOneOneMatch", {{}, {cat("process", {}, id_eq(1)), cat("process", {}, id_eq(2))}, {}, {}, {}}},
        {"sequenceManyOneMatch", {{}, {cat("process", {}, id_lt(5)), cat("process", {}, id_eq(5))}, {}, {}, {}}},
        {"sequenceOneManyMany", {{}, {cat("process", {}, id_eq(1)), cat("process"), cat("process")}, {}, {}, {}}},
        {"sequenceConditionManyMany", {{}, {cat("process", {}, id_le(3)), cat("process"), cat("process")}, {}, {}, {}}},
        {"sequenceManyConditionMany", {{}, {cat("process"), cat("process", {}, id_le(3)), cat("process")}, {}, {}, {}}},
        {"sequenceThreeManyCondition1",
         {{}, {cat("process", {}, id_le(4)), cat("process"), cat("process"), cat("process")}, {}, {}, {}}},
        {"sequenceThreeManyCondition4",
         {{}, {cat("process"), cat("process"), cat("process"), cat("process", {}, id_le(4))}, {}, {}, {}}},
        {"doubleSameSequence", {{}, {cat("process", {}, id_lt(5)), cat("process", {}, id_lt(5))}, {}, {}, {}}},
        {"twoSequencesWithKeys",
         {{}, {cat("process", {"unique_pid"}), cat("process", {"unique_ppid"}, op(1))}, {}, {}, {}}},
        {"twoSequencesWithTwoKeys",
         {{},
          {cat("process", {"unique_pid", "process_path"}),
           cat("process", {"unique_ppid", "parent_process_path"}, op(1))},
          {},
          {},
          {}}},
        {"fourSequencesByPid",
         {{},
          {cat("process", {"unique_pid"}, op(1)), cat("file", {"unique_pid"}, op(0)),
           cat("file", {"unique_pid"}, op(0)), cat("file", {"unique_pid"}, op(0))},
          {},
          {},
          {}}},
        {"fourSequencesByPidWithUntil1",
         {{},
          {cat("process", {"unique_pid"}, op(1)), cat("file", {"unique_pid"}, op(0)),
           cat("file", {"unique_pid"}, op(0)), cat("file", {"unique_pid"}, op(0))},
          cat("file", {"unique_pid"}, op(2)),
          {},
          {}}},
        {"fourSequencesByPidWithUntil2",
         {{},
          {cat("process", {"unique_pid"}, op(1)), cat("file", {"unique_pid"}, op(0)),
           cat("file", {"unique_pid"}, op(0)), cat("file", {"unique_pid"}, op(0))},
          cat("file", {"unique_pid"}, op(200)),
          {},
          {}}},
        {"sequenceManyManyWithJoin",
         {{}, {cat("process", {"unique_pid"}, id_lt(3)), cat("process", {"unique_ppid"})}, {}, {}, {}}},
        {"sequencesOnDifferentEventTypes2", create_delete(std::nullopt)},
        {"sequencesOnDifferentEventTypes3", create_delete(86400 * kSec)},
        {"sequencesOnDifferentEventTypes5", create_delete(60 * kSec)},
        {"sequencesOnDifferentEventTypes6", create_delete(10 * kSec)},
        {"sequencesOnDifferentEventTypes7", create_delete(500 * kMs)},
        {"doubleSameSequenceWithBy",
         {{}, {cat("file", {"unique_pid"}, op(0)), cat("file", {"unique_pid"}, op(0))}, {}, {}, {{'h', 1}}}},
        {"doubleSameSequenceWithByUntilAndHead1",
         {{},
          {cat("file", {"unique_pid"}, exe0), cat("file", {"unique_pid"}, exe0)},
          cat("process", {"unique_ppid"}, op(5000)),
          {},
          {{'h', 1}}}},
        {"doubleSameSequenceWithByUntilAndHead2",
         {{},
          {cat("file", {"unique_pid"}, exe0), cat("file", {"unique_pid"}, exe0)},
          cat("process", {"unique_ppid"}, op(1)),
          {},
          {{'h', 1}}}},
        {"twoSequencesWithKeys2",
         {{},
          {cat("file", {"file_path", "process_path"}, lsass), cat("process", {"process_path", "parent_process_path"})},
          {},
          {},
          {}}},
        {"twoSequencesWithKeys3",
         {{"user_name"},
          {cat("file", {"file_path", "process_path"}, lsass), cat("process", {"process_path", "parent_process_path"})},
          {},
          {},
          {}}},
        {"fourSequencesByMixedFields",
         {{"user_name"},
          {cat("file", {"file_path"}, op(0)), cat("process", {"process_path"}, op(1)),
           cat("process", {"process_path"}, op(2)), cat("file", {"file_path"}, op(2))},
          {},
          {},
          {{'t', 1}}}},
        {"twoSequencesWithTwoKeysAndUntil",
         {{"user_name"},
          {cat("file", {"pid", "file_path"}, op(0)), cat("file", {"pid", "file_path"}, op(2))},
          cat("process", {"ppid", "process_path"}, op(2)),
          {},
          {}}},
        {"twoSequencesWithUntil",
         {{"user_name"},
          {cat("file", {"pid", "file_path"}, op(0)), cat("file", {"pid", "file_path"}, op(2))},
          cat("process", {"ppid", "process_path"}, op(5)),
          {},
          {{'h', 2}}}},
        {"fourSequencesWithTail",
         {{"pid"},
          {cat("file", {"file_path"}, op(0)), cat("process", {"process_path"}, op(1)),
           cat("process", {"process_path"}, op(2)), cat("file", {"file_path"}, op(2))},
          {},
          {},
          {{'t', 1}}}},
    };
    for (const auto& [name, q] : queries) check_spec(specs, name, data, q, "serial_event_id", "serial_event_id");
}

// ---------------------------------------------------------------------------------------------------------------
// Reference model: Elasticsearch's algorithm as written (stage by stage over the whole input, every partial kept
// in ordinal groups, trimBefore), brute-force missing-event checks, sorted output. No streaming, no limits.

namespace {

std::vector<Recorded> reference(const SequenceSpec& spec, const std::vector<Ev>& evs) {
    const size_t n = evs.size();
    std::vector<uint32_t> pos;  // positive stage indexes
    for (uint32_t s = 0; s < spec.missing.size(); ++s)
        if (!spec.missing[s]) pos.push_back(s);
    auto keys_of = [&](size_t i, uint32_t stage) {
        std::set<std::string> ks;
        for (const auto& [s, k] : evs[i].hits)
            if (s == stage) ks.insert(k);
        return ks;
    };
    struct Partial {
        std::vector<size_t> at;  // event indexes of the positive stages so far
    };
    const int64_t maxspan = spec.maxspan_ns.value_or(INT64_MAX);
    std::map<std::string, std::vector<Partial>> group;  // current stage's groups by key, in last-ordinal order
    std::vector<std::pair<std::string, Partial>> done;
    for (size_t i = 0; i < n; ++i)
        for (const auto& k : keys_of(i, pos[0])) group[k].push_back(Partial{{i}});
    if (pos.size() == 1)
        for (auto& [k, ps] : group)
            for (auto& p : ps) done.emplace_back(k, p);
    for (size_t p = 1; p < pos.size(); ++p) {
        std::map<std::string, std::vector<Partial>> next;
        for (size_t i = 0; i < n; ++i)
            for (const auto& k : keys_of(i, pos[p])) {
                auto it = group.find(k);
                if (it == group.end()) continue;
                auto& g = it->second;
                // trimBefore(i): the latest partial whose last event is before i; it and all older ones are removed.
                std::optional<size_t> found;
                for (size_t j = 0; j < g.size(); ++j)
                    if (g[j].at.back() < i) found = j;
                if (!found) continue;
                Partial taken = g[*found];
                g.erase(g.begin(), g.begin() + static_cast<std::ptrdiff_t>(*found) + 1);
                if (evs[i].ts - evs[taken.at.front()].ts > maxspan) continue;
                if (spec.has_until) {
                    std::optional<size_t> u;  // latest until of k strictly before i
                    for (size_t j = 0; j < i; ++j)
                        if (keys_of(j, kUntil).count(k)) u = j;
                    if (u && *u >= taken.at.back()) continue;
                }
                taken.at.push_back(i);
                if (p + 1 == pos.size())
                    done.emplace_back(k, taken);
                else
                    next[k].push_back(taken);
            }
        group = std::move(next);
    }
    // Missing-event checks.
    std::vector<std::pair<std::string, Partial>> accepted;
    bool leading = false, trailing = false;
    for (uint32_t s = 0; s < spec.missing.size(); ++s) {
        if (!spec.missing[s]) continue;
        if (s < pos.front()) leading = true;
        if (s > pos.back()) trailing = true;
    }
    for (auto& [k, part] : done) {
        bool ok = true;
        std::optional<int64_t> last_leading, first_trailing;
        const int64_t first_ts = evs[part.at.front()].ts, last_ts = evs[part.at.back()].ts;
        for (uint32_t s = 0; s < spec.missing.size(); ++s) {
            if (!spec.missing[s]) continue;
            for (size_t j = 0; j < n; ++j) {
                if (!keys_of(j, s).count(k)) continue;
                const int64_t t = evs[j].ts;
                if (s < pos.front()) {
                    if (t < first_ts && (!last_leading || t > *last_leading)) last_leading = t;
                } else if (s > pos.back()) {
                    if (t > last_ts && (!first_trailing || t < *first_trailing)) first_trailing = t;
                } else {
                    size_t prev = 0;
                    while (pos[prev + 1] < s) ++prev;
                    if (evs[part.at[prev]].ts < t && t < evs[part.at[prev + 1]].ts) ok = false;
                }
            }
        }
        if (!ok) continue;
        if (leading || trailing) {
            if (!last_leading && !first_trailing) {
            } else if (!last_leading && leading) {
            } else if (!first_trailing && trailing) {
            } else {
                const int64_t from = leading ? *last_leading : first_ts;
                const int64_t to = trailing ? *first_trailing : last_ts;
                if (!(to - from > maxspan)) continue;
            }
        }
        accepted.emplace_back(k, part);
    }
    std::stable_sort(accepted.begin(), accepted.end(), [](const auto& a, const auto& b) {
        if (a.second.at.back() != b.second.at.back()) return a.second.at.back() < b.second.at.back();
        return compare_keys(a.first, b.first) < 0;
    });
    std::vector<Recorded> out;
    for (auto& [k, part] : accepted) {
        Recorded r;
        r.key = k;
        size_t next = 0;
        for (bool m : spec.missing) {
            r.ids.push_back(m ? -1 : evs[part.at[next]].id);
            r.sources.push_back(m ? std::string() : "{\"id\":" + std::to_string(evs[part.at[next]].id) + "}");
            if (!m) ++next;
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

TEST_CASE("streaming matcher equals the reference model of Elasticsearch's algorithm", "[sequence]") {
    std::mt19937_64 rng(20240607);
    for (int iter = 0; iter < 4000; ++iter) {
        const auto g = generate(rng);
        const auto expected = reference(g.spec, g.events);
        const auto got = run(g.spec, g.events);
        if (got != expected) {
            std::string stages;
            for (bool m : g.spec.missing) stages += m ? "M" : "P";
            INFO("iteration " << iter << " stages " << stages << " until " << g.spec.has_until << " maxspan "
                              << (g.spec.maxspan_ns ? std::to_string(*g.spec.maxspan_ns) : "none"));
            std::string stream;
            for (const auto& e : g.events) {
                stream += std::to_string(e.id) + "@" + std::to_string(e.ts) + "{";
                for (const auto& [s, k] : e.hits)
                    stream +=
                        (s == kUntil ? std::string("U") : std::to_string(s)) + eqlc::sequence::key_to_string(k) + " ";
                stream += "} ";
            }
            INFO("stream " << stream);
            INFO("expected " << render(expected));
            INFO("got      " << render(got));
            REQUIRE(got == expected);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Limits

TEST_CASE("max_keys evicts the least recently updated key and counts it", "[sequence]") {
    Limits limits;
    limits.max_keys = 2;
    std::vector<Recorded> out;
    SequenceMatcher m(plain(2), recorder(out), limits);
    push(m, {1, 1, {{0, key({"a"})}}});
    push(m, {2, 2, {{0, key({"b"})}}});
    push(m, {3, 3, {{0, key({"a"})}}});  // a is now the most recent
    push(m, {4, 4, {{0, key({"c"})}}});  // evicts b
    push(m, {5, 5, {{1, key({"a"})}, {1, key({"b"})}, {1, key({"c"})}}});
    m.finish();
    CHECK(flat_ids(out) == Ids{3, 5, 4, 5});
    CHECK(m.stats().evicted_keys_max_keys == 1);
    CHECK(m.stats().evicted_partials == 1);
}

TEST_CASE("a flood of 1,000,000 distinct keys stays within the byte limit", "[sequence]") {
    Limits limits;
    limits.max_state_bytes = 1 << 20;
    std::vector<Recorded> out;
    SequenceMatcher m(plain(2), recorder(out), limits);
    uint64_t max_seen = 0;
    std::string k;
    const std::string source = R"({"event":{"category":"process"},"user":{"name":"x"}})";
    for (int64_t i = 0; i < 1'000'000; ++i) {
        const eqlc::vm::Value v = eqlc::vm::Value::of_int(i);
        eqlc::sequence::encode_key(std::span<const eqlc::vm::Value>(&v, 1), k);
        StageHit h{0, k};
        m.on_event(EventInfo{static_cast<uint64_t>(i), i, source}, std::span<const StageHit>(&h, 1));
        max_seen = std::max(max_seen, m.stats().state_bytes);
    }
    CHECK(max_seen <= limits.max_state_bytes);
    CHECK(m.stats().evicted_keys_bytes > 900'000);
    CHECK(m.stats().keys + m.stats().evicted_keys_bytes == 1'000'000);
    // The newest keys are still there and complete.
    const eqlc::vm::Value last = eqlc::vm::Value::of_int(999'999);
    eqlc::sequence::encode_key(std::span<const eqlc::vm::Value>(&last, 1), k);
    StageHit h{1, k};
    m.on_event(EventInfo{2'000'000, 2'000'000, source}, std::span<const StageHit>(&h, 1));
    m.finish();
    CHECK(flat_ids(out) == Ids{999'999, 2'000'000});
}

TEST_CASE("evictions never lose a completed match", "[sequence]") {
    // A trailing check keeps matches pending while the byte limit evicts everything else.
    Limits limits;
    limits.max_state_bytes = 2000;
    std::vector<Recorded> out;
    SequenceMatcher m(with_missing({false, false, true}, 1000), recorder(out), limits);
    for (int i = 0; i < 200; ++i) {
        push(m, {2 * i, 2 * i, {{0, key({i})}}});
        push(m, {2 * i + 1, 2 * i + 1, {{1, key({i})}}});
    }
    m.finish();
    CHECK(out.size() == 200);
    CHECK(m.stats().completed == 200);
}

TEST_CASE("missing-term history per key is capped", "[sequence]") {
    Limits limits;
    limits.max_missing_hits_per_key = 4;
    std::vector<Recorded> out;
    SequenceMatcher m(with_missing({false, true, false}, 1000 * kSec), recorder(out), limits);
    push(m, {1, 1, {{0, K0}}});
    for (int i = 0; i < 10; ++i) push(m, {10 + i, 2 + i, {{1, K0}}});
    CHECK(m.stats().evicted_missing_hits == 6);
    push(m, {30, 100, {{2, K0}}});
    m.finish();
    CHECK(out.empty());  // the 4 newest missing events still discard the candidate
}

TEST_CASE("spec validation", "[sequence]") {
    CHECK(!eqlc::sequence::validate(SequenceSpec{}).empty());
    CHECK(!eqlc::sequence::validate(with_missing({true, true}, kSec)).empty());
    CHECK(!eqlc::sequence::validate(plain(2, -1)).empty());
    CHECK(eqlc::sequence::validate(plain(2, 0)).empty());
}
