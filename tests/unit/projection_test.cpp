// Field projection: path shapes, arrays, nulls, index-time coercion and timestamps, through both JSON front-ends
// (nlohmann::json and the simdjson NDJSON reader), which must agree.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "input/json_projection.hpp"
#include "input/ndjson_reader.hpp"
#include "input/projection.hpp"
#include "values/field_catalog.hpp"
#include "values/value.hpp"

using eqlc::input::JsonScalar;
using eqlc::input::NdjsonReader;
using eqlc::input::ProjectionOptions;
using eqlc::input::ProjectionPlan;
using eqlc::vm::EventRecord;
using eqlc::vm::FieldCatalog;
using eqlc::vm::FieldType;
using eqlc::vm::SlotId;
using eqlc::vm::Value;
using eqlc::vm::ValueType;

namespace {

constexpr int64_t kSec = 1'000'000'000;

// A value as the tests spell it: "s:text", "i:42", "d:4.5", "b:true", "null".
std::string show(const Value& v) {
    switch (v.type) {
        case ValueType::null: return "null";
        case ValueType::boolean: return v.boolean ? "b:true" : "b:false";
        case ValueType::integer: return "i:" + std::to_string(v.integer);
        case ValueType::floating: {
            std::string s = std::to_string(v.floating);
            while (s.size() > 1 && s.back() == '0') s.pop_back();
            if (s.back() == '.') s.pop_back();
            return "d:" + s;
        }
        case ValueType::string: return "s:" + std::string(v.str());
    }
    return "?";
}

using Values = std::vector<std::string>;

// A field's values, or nullopt when the field is absent.
std::optional<Values> field(const EventRecord& r, SlotId slot) {
    if (!r.has(slot)) return std::nullopt;
    Values out;
    for (const Value& v : r.field(slot)) out.push_back(show(v));
    return out;
}

// One catalog, projected through both front-ends; each check runs on both records.
struct Fixture {
    FieldCatalog catalog;
    std::optional<std::string> timestamp_path;

    SlotId slot(const std::string& path, FieldType type = FieldType::dynamic) {
        const SlotId id = catalog.intern(path);
        catalog.set_type(id, type);
        return id;
    }

    struct Projected {
        EventRecord from_json;    // nlohmann::json
        EventRecord from_ndjson;  // simdjson reader
        nlohmann::json document;  // kept alive: from_json's strings point into it
        std::unique_ptr<NdjsonReader> reader;
        std::unique_ptr<ProjectionPlan> plan;
    };

    std::unique_ptr<Projected> project(const std::string& text) {
        auto p = std::make_unique<Projected>();
        ProjectionOptions options;
        if (timestamp_path) options.timestamp_slot = catalog.find(*timestamp_path);
        p->plan = std::make_unique<ProjectionPlan>(catalog, options);
        p->document = nlohmann::json::parse(text);
        eqlc::input::project(p->document, *p->plan, p->from_json);
        std::string line = text;  // the tests write some events over several lines
        for (char& c : line) {
            if (c == '\n') c = ' ';
        }
        p->reader = NdjsonReader::from_string(line + "\n", "test", *p->plan);
        REQUIRE(p->reader->next(p->from_ndjson));
        REQUIRE(p->reader->take_errors().empty());
        return p;
    }
};

// Checks a field on both records.
#define CHECK_FIELD(projected, slot, ...)                            \
    do {                                                             \
        const std::optional<Values> expected_ = __VA_ARGS__;         \
        CHECK(field((projected)->from_json, (slot)) == expected_);   \
        CHECK(field((projected)->from_ndjson, (slot)) == expected_); \
    } while (false)

const std::optional<Values> kAbsent = std::nullopt;

}  // namespace

TEST_CASE("nested objects, dotted keys and their mixes fill the same slot", "[projection]") {
    Fixture f;
    const SlotId name = f.slot("process.parent.name");
    for (const char* text : {
             R"({"process":{"parent":{"name":"x"}}})",
             R"({"process.parent.name":"x"})",
             R"({"process.parent":{"name":"x"}})",
             R"({"process":{"parent.name":"x"}})",
         }) {
        INFO(text);
        auto p = f.project(text);
        CHECK_FIELD(p, name, Values{"s:x"});
    }
}

TEST_CASE("dotted keys are matched segment by segment", "[projection]") {
    Fixture f;
    const SlotId name = f.slot("process.name");
    const SlotId pid = f.slot("process.pid");
    auto p = f.project(R"({"process.nam":"no","process.name.x":"no","proc.name":"no","process.":"no",
                          "process..name":"no","process":{"pid":1,"name.":"no"}})");
    CHECK_FIELD(p, name, kAbsent);
    CHECK_FIELD(p, pid, Values{"i:1"});
}

TEST_CASE("a field spelled two ways gets the values of both", "[projection]") {
    Fixture f;
    const SlotId name = f.slot("process.name");
    auto p = f.project(R"({"process":{"name":"a"},"process.name":"b"})");
    // Document order for the reader; nlohmann::json sorts keys ("process" < "process.name"): same here.
    CHECK_FIELD(p, name, Values{"s:a", "s:b"});
}

TEST_CASE("unreferenced fields are ignored, however big", "[projection]") {
    Fixture f;
    const SlotId a = f.slot("a");
    std::string big = R"({"huge":{)";
    for (int i = 0; i < 5000; ++i) {
        if (i) big += ",";
        big += "\"k" + std::to_string(i) + "\":{\"x\":[1,2,{\"y\":\"z\"}],\"s\":\"" + std::string(50, 'v') + "\"}";
    }
    big += R"(},"a":7,"other":[[[[1]]]]})";
    auto p = f.project(big);
    CHECK_FIELD(p, a, Values{"i:7"});
    CHECK(p->from_ndjson.values.size() == 1);
}

TEST_CASE("arrays: scalars, objects, nesting, empty", "[projection]") {
    Fixture f;
    const SlotId category = f.slot("event.category");
    const SlotId ab = f.slot("a.b");
    const SlotId n = f.slot("n");
    const SlotId e = f.slot("e");
    auto p = f.project(R"({"event":{"category":["process"]},"a":[{"b":1},{"b":2,"c":0},{"x":1},{"b":[3,4]}],
                          "n":[1,[2,[3]],[]],"e":[]})");
    CHECK_FIELD(p, category, Values{"s:process"});
    CHECK_FIELD(p, ab, Values{"i:1", "i:2", "i:3", "i:4"});
    CHECK_FIELD(p, n, Values{"i:1", "i:2", "i:3"});
    CHECK_FIELD(p, e, Values{});  // present, no value
}

TEST_CASE("arrays of objects interleave fields correctly", "[projection]") {
    Fixture f;
    const SlotId b = f.slot("a.b");
    const SlotId c = f.slot("a.c");
    auto p = f.project(R"({"a":[{"b":1,"c":"x"},{"c":"y","b":2},{"b":3}]})");
    CHECK_FIELD(p, b, Values{"i:1", "i:2", "i:3"});
    CHECK_FIELD(p, c, Values{"s:x", "s:y"});
}

TEST_CASE("null: kept as a scalar, dropped inside arrays and next to values", "[projection]") {
    Fixture f;
    const SlotId x = f.slot("x");
    const SlotId y = f.slot("y");
    const SlotId z = f.slot("z");
    const SlotId w = f.slot("w.v");
    auto p = f.project(R"({"x":null,"y":[1,null,2],"z":[null],"w.v":null,"w":{"v":5}})");
    CHECK_FIELD(p, x, Values{"null"});
    CHECK_FIELD(p, y, Values{"i:1", "i:2"});
    CHECK_FIELD(p, z, Values{});
    CHECK_FIELD(p, w, Values{"i:5"});

    auto q = f.project(R"({"w.v":null,"w":{"v":null}})");
    CHECK_FIELD(q, w, Values{"null"});
}

TEST_CASE("an object where a value is expected is absent", "[projection]") {
    Fixture f;
    const SlotId process = f.slot("process");
    const SlotId name = f.slot("process.name");
    const SlotId list = f.slot("list");
    auto p = f.project(R"({"process":{"name":"cmd.exe"},"list":[{"a":1}]})");
    CHECK_FIELD(p, process, kAbsent);
    CHECK_FIELD(p, name, Values{"s:cmd.exe"});
    CHECK_FIELD(p, list, kAbsent);

    auto q = f.project(R"({"process":"flat"})");
    CHECK_FIELD(q, process, Values{"s:flat"});
    CHECK_FIELD(q, name, kAbsent);
}

TEST_CASE("dynamic fields keep JSON types", "[projection]") {
    Fixture f;
    const SlotId v = f.slot("v");
    struct Case {
        const char* json;
        Values expected;
    };
    for (const Case& c : std::vector<Case>{
             {R"({"v":"text"})", {"s:text"}},
             {R"({"v":"esc\"aped\\ \u00e9"})", {"s:esc\"aped\\ \xC3\xA9"}},
             {R"({"v":42})", {"i:42"}},
             {R"({"v":-9223372036854775808})", {"i:-9223372036854775808"}},
             {R"({"v":9223372036854775807})", {"i:9223372036854775807"}},
             {R"({"v":18446744073709551615})", {"d:18446744073709551616"}},
             {R"({"v":4.5})", {"d:4.5"}},
             {R"({"v":1e2})", {"d:100"}},
             {R"({"v":true})", {"b:true"}},
             {R"({"v":false})", {"b:false"}},
         }) {
        INFO(c.json);
        auto p = f.project(c.json);
        CHECK_FIELD(p, v, c.expected);
    }
}

TEST_CASE("integers beyond 64 bits become floating", "[projection]") {
    Fixture f;
    const SlotId v = f.slot("v");
    auto p = f.project(R"({"v":123456789012345678901234567890})");
    REQUIRE(p->from_ndjson.field(v).size() == 1);
    CHECK(p->from_ndjson.field(v)[0].type == ValueType::floating);
    CHECK(p->from_ndjson.field(v)[0].floating == Approx(1.2345678901234568e29));
}

TEST_CASE("keyword coercion", "[projection]") {
    Fixture f;
    const SlotId k = f.slot("k", FieldType::keyword);
    struct Case {
        const char* json;
        Values expected;
    };
    for (const Case& c : std::vector<Case>{
             {R"({"k":"s"})", {"s:s"}},
             {R"({"k":4})", {"s:4"}},
             {R"({"k":-17})", {"s:-17"}},
             {R"({"k":4.5})", {"s:4.5"}},
             {R"({"k":true})", {"s:true"}},
             {R"({"k":[1,"a",false]})", {"s:1", "s:a", "s:false"}},
             {R"({"k":null})", {"null"}},
         }) {
        INFO(c.json);
        auto p = f.project(c.json);
        CHECK_FIELD(p, k, c.expected);
    }
    // The reader keeps the number's source text, as Elasticsearch indexes it; nlohmann formats as Java does.
    auto p = f.project(R"({"k":1.50})");
    CHECK(field(p->from_ndjson, k) == Values{"s:1.50"});
    CHECK(field(p->from_json, k) == Values{"s:1.5"});
    auto q = f.project(R"({"k":1e3})");
    CHECK(field(q->from_ndjson, k) == Values{"s:1e3"});
    CHECK(field(q->from_json, k) == Values{"s:1000.0"});
}

TEST_CASE("keyword text created for nlohmann events lives in the record", "[projection]") {
    FieldCatalog catalog;
    const SlotId k = catalog.intern("k");
    catalog.set_type(k, FieldType::keyword);
    ProjectionPlan plan(catalog);
    EventRecord record;
    std::vector<double> numbers;
    nlohmann::json event;
    for (int i = 0; i < 2000; ++i) event["k"].push_back(i + 0.25);
    eqlc::input::project(event, plan, record);
    REQUIRE(record.field(k).size() == 2000);
    CHECK(record.field(k)[0].str() == "0.25");
    CHECK(record.field(k)[1999].str() == "1999.25");
}

TEST_CASE("long coercion", "[projection]") {
    Fixture f;
    const SlotId v = f.slot("v", FieldType::long_);
    struct Case {
        const char* json;
        std::optional<Values> expected;
    };
    for (const Case& c : std::vector<Case>{
             {R"({"v":5})", Values{"i:5"}},
             {R"({"v":5.7})", Values{"i:5"}},
             {R"({"v":-5.7})", Values{"i:-5"}},
             {R"({"v":"5"})", Values{"i:5"}},
             {R"({"v":"5.7"})", Values{"i:5"}},
             {R"({"v":"-1e2"})", Values{"i:-100"}},
             {R"({"v":""})", Values{"null"}},
             {R"({"v":"abc"})", kAbsent},
             {R"({"v":true})", kAbsent},
             {R"({"v":1e30})", kAbsent},
             {R"({"v":18446744073709551615})", kAbsent},
             {R"({"v":[1,"x",2.9]})", Values{"i:1", "i:2"}},
         }) {
        INFO(c.json);
        auto p = f.project(c.json);
        CHECK_FIELD(p, v, c.expected);
    }
}

TEST_CASE("double coercion", "[projection]") {
    Fixture f;
    const SlotId v = f.slot("v", FieldType::double_);
    struct Case {
        const char* json;
        std::optional<Values> expected;
    };
    for (const Case& c : std::vector<Case>{
             {R"({"v":5})", Values{"d:5"}},
             {R"({"v":5.5})", Values{"d:5.5"}},
             {R"({"v":"5.5"})", Values{"d:5.5"}},
             {R"({"v":" 2 "})", Values{"d:2"}},
             {R"({"v":""})", Values{"null"}},
             {R"({"v":"NaN"})", kAbsent},
             {R"({"v":"x"})", kAbsent},
             {R"({"v":false})", kAbsent},
         }) {
        INFO(c.json);
        auto p = f.project(c.json);
        CHECK_FIELD(p, v, c.expected);
    }
}

TEST_CASE("boolean, ip and version coercion", "[projection]") {
    Fixture f;
    const SlotId b = f.slot("b", FieldType::boolean);
    const SlotId ip = f.slot("ip", FieldType::ip);
    const SlotId ver = f.slot("ver", FieldType::version);
    auto p = f.project(R"({"b":[true,"false","yes",1,""],"ip":["10.0.0.1",5,"::1"],"ver":["1.2.3",7]})");
    CHECK_FIELD(p, b, Values{"b:true", "b:false"});
    CHECK_FIELD(p, ip, Values{"s:10.0.0.1", "s:::1"});
    CHECK_FIELD(p, ver, Values{"s:1.2.3", "s:7"});
}

TEST_CASE("date coercion gives nanoseconds", "[projection]") {
    Fixture f;
    const SlotId d = f.slot("d", FieldType::date);
    auto p = f.project(R"({"d":["1970-01-01T00:00:01.000000001Z",1500,"2000",1.5,"garbage",true]})");
    CHECK_FIELD(p, d, Values{"i:" + std::to_string(kSec + 1), "i:1500000000", "i:2000000000", "i:1500000"});
}

TEST_CASE("the coercion function on its own", "[projection]") {
    eqlc::vm::TextArena arena;
    Value out;
    CHECK(eqlc::input::coerce(FieldType::keyword, JsonScalar::of_double(0.1), arena, out));
    CHECK(out.str() == "0.1");
    CHECK(eqlc::input::coerce(FieldType::keyword, JsonScalar::of_uint(18446744073709551615ull), arena, out));
    CHECK(out.str() == "18446744073709551615");
    CHECK_FALSE(eqlc::input::coerce(FieldType::long_, JsonScalar::of_bool(true), arena, out));
    CHECK(eqlc::input::coerce(FieldType::long_, JsonScalar::null(), arena, out));
    CHECK(out.is_null());
}

TEST_CASE("timestamps", "[projection]") {
    Fixture f;
    f.slot("@timestamp");
    f.timestamp_path = "@timestamp";
    struct Case {
        const char* json;
        bool ok;
        int64_t nanos;
    };
    for (const Case& c : std::vector<Case>{
             {R"({"@timestamp":"2024-05-01T10:00:00.123456789Z"})", true, 1714557600 * kSec + 123456789},
             {R"({"@timestamp":"2024-05-01T12:00:00+02:00"})", true, 1714557600 * kSec},
             {R"({"@timestamp":1714557600123})", true, 1714557600123 * 1'000'000},
             {R"({"@timestamp":"1714557600123"})", true, 1714557600123 * 1'000'000},
             {R"({"@timestamp":1.5})", true, 1'500'000},
             {R"({"@timestamp":["1970-01-01T00:00:02Z","1970-01-01T00:00:03Z"]})", true, 2 * kSec},
             {R"({"@timestamp":[null,2000]})", true, 2 * kSec},
             {R"({"other":1})", false, 0},
             {R"({"@timestamp":null})", false, 0},
             {R"({"@timestamp":"garbage"})", false, 0},
             {R"({"@timestamp":"2023-02-29T00:00:00Z"})", false, 0},
             {R"({"@timestamp":true})", false, 0},
             {R"({"@timestamp":{"a":1}})", false, 0},
         }) {
        INFO(c.json);
        auto p = f.project(c.json);
        for (const EventRecord* r : {&p->from_json, &p->from_ndjson}) {
            CHECK(r->has_timestamp == c.ok);
            if (c.ok) CHECK(r->timestamp_ns == c.nanos);
        }
    }
}

TEST_CASE("a date-typed timestamp field holds nanoseconds too", "[projection]") {
    Fixture f;
    const SlotId ts = f.slot("@timestamp", FieldType::date);
    f.timestamp_path = "@timestamp";
    auto p = f.project(R"({"@timestamp":"1970-01-01T00:00:01Z"})");
    CHECK_FIELD(p, ts, Values{"i:1000000000"});
    CHECK(p->from_ndjson.has_timestamp);
    CHECK(p->from_ndjson.timestamp_ns == kSec);
}

TEST_CASE("nlohmann projection of a non-object", "[projection]") {
    FieldCatalog catalog;
    const SlotId a = catalog.intern("a");
    ProjectionPlan plan(catalog);
    EventRecord record;
    CHECK_FALSE(eqlc::input::project(nlohmann::json::array({1, 2}), plan, record));
    CHECK_FALSE(record.has(a));
    CHECK(record.slots.size() == 1);
}

TEST_CASE("records are reused without keeping old values", "[projection]") {
    FieldCatalog catalog;
    const SlotId a = catalog.intern("a");
    const SlotId b = catalog.intern("b");
    ProjectionPlan plan(catalog);
    EventRecord record;
    eqlc::input::RecordBuilder builder;
    const auto first = nlohmann::json::parse(R"({"a":[1,2,3],"b":"x"})");
    const auto second = nlohmann::json::parse(R"({"b":"y"})");
    eqlc::input::project(first, plan, record, builder);
    CHECK(record.field(a).size() == 3);
    eqlc::input::project(second, plan, record, builder);
    CHECK_FALSE(record.has(a));
    REQUIRE(record.field(b).size() == 1);
    CHECK(record.field(b)[0].str() == "y");
}

TEST_CASE("a record refilled by one builder holds what a fresh one would, also when another wrote it between",
          "[projection]") {
    // A builder that refills the record it filled last clears only the slots it set then: every shape that sets a
    // slot (values, empty arrays, nulls, a field spelled two ways) must leave nothing behind for the next event.
    FieldCatalog catalog;
    const std::vector<std::string> paths = {"a", "b", "c", "c.d", "e.f", "g", "h"};
    std::vector<SlotId> slots;
    for (const auto& path : paths) slots.push_back(catalog.intern(path));
    ProjectionPlan plan(catalog);
    const std::vector<std::string> events = {
        R"({"a":[1,2,3],"b":"x","c":{"d":true},"e.f":1,"e":{"f":2},"g":null})",
        R"({"b":"y"})",
        R"({"a":[],"c":[{"d":1},{"d":2}],"h":[null]})",
        R"({"g":[null,"v"],"e":{"f":"w"},"z":1})",
        R"({})",
        R"({"a":1,"e.f":[3,4],"b":null,"e":{"f":5},"h":"last"})",
    };
    auto fields = [&](const EventRecord& r) {
        std::vector<std::optional<Values>> out;
        for (const SlotId slot : slots) out.push_back(field(r, slot));
        return out;
    };
    auto shown = [&](const std::vector<std::optional<Values>>& all) {
        std::string out;
        for (size_t i = 0; i < all.size(); ++i) {
            out += paths[i] + "=";
            if (!all[i]) {
                out += "absent ";
                continue;
            }
            for (const auto& v : *all[i]) out += v + ",";
            out += " ";
        }
        return out;
    };
    auto fresh = [&](const nlohmann::json& event) {
        EventRecord record;
        eqlc::input::project(event, plan, record);
        return fields(record);
    };
    std::vector<nlohmann::json> documents;
    for (const auto& text : events) documents.push_back(nlohmann::json::parse(text));

    EventRecord record;
    eqlc::input::RecordBuilder builder;
    for (size_t i = 0; i < documents.size(); ++i) {
        INFO("event " << i);
        eqlc::input::project(documents[i], plan, record, builder);
        CHECK(shown(fields(record)) == shown(fresh(documents[i])));
    }
    // Another builder fills the record between two events of the first: the first must not trust its own notes.
    eqlc::input::RecordBuilder other;
    for (size_t i = 0; i < documents.size(); ++i) {
        INFO("event " << i << " after the other builder's event " << (documents.size() - 1 - i));
        eqlc::input::project(documents[documents.size() - 1 - i], plan, record, other);
        eqlc::input::project(documents[i], plan, record, builder);
        CHECK(shown(fields(record)) == shown(fresh(documents[i])));
    }
    // The NDJSON reader refills the caller's record the same way (in document order, where nlohmann::json sorts
    // the keys: compared with a fresh reader).
    std::string lines;
    for (const auto& text : events) lines += text + "\n";
    auto reader = NdjsonReader::from_string(lines, "test", plan);
    for (size_t i = 0; i < events.size(); ++i) {
        INFO("line " << i + 1);
        REQUIRE(reader->next(record));
        auto alone = NdjsonReader::from_string(events[i] + "\n", "test", plan);
        EventRecord expected;
        REQUIRE(alone->next(expected));
        CHECK(shown(fields(record)) == shown(fields(expected)));
    }
}

TEST_CASE("the plan's trie", "[projection]") {
    FieldCatalog catalog;
    const SlotId a = catalog.intern("a");
    const SlotId abc = catalog.intern("a.b.c");
    catalog.intern("bad..path");
    ProjectionPlan plan(catalog);
    CHECK(plan.slot_count() == 3);
    const auto node_a = plan.child(ProjectionPlan::kRoot, "a");
    REQUIRE(node_a != ProjectionPlan::kNoNode);
    CHECK(plan.slot(node_a) == a);
    CHECK(plan.has_children(node_a));
    CHECK(plan.slot(plan.descend(ProjectionPlan::kRoot, "a.b.c")) == abc);
    CHECK(plan.slot(plan.descend(node_a, "b.c")) == abc);
    CHECK(plan.slot(plan.descend(plan.descend(ProjectionPlan::kRoot, "a.b"), "c")) == abc);
    CHECK(plan.descend(ProjectionPlan::kRoot, "a.b.c.d") == ProjectionPlan::kNoNode);
    CHECK(plan.descend(ProjectionPlan::kRoot, "bad..path") == ProjectionPlan::kNoNode);
    CHECK(plan.descend(ProjectionPlan::kRoot, "") == ProjectionPlan::kNoNode);
    CHECK(plan.slot(plan.descend(ProjectionPlan::kRoot, "a.b")) == ProjectionPlan::kNoSlot);
}

TEST_CASE("the trie's lookup: many siblings, every segment size, look-alike segments", "[projection]") {
    // Segments that share their first 8 or 16 bytes and their size, swap their two halves, or differ only past
    // byte 16: the lookup must tell all of them apart, and a node whose children cannot get a slot each (equal
    // hash keys) must still find every one of them.
    std::vector<std::string> segments;
    for (size_t size = 1; size <= 40; ++size) segments.push_back(std::string(size, 'k'));
    for (char c = 'a'; c <= 'z'; ++c) segments.push_back(std::string("process_name_") + c);
    const size_t distinct_keys = segments.size();  // the segments before these have keys of their own
    segments.push_back("ABCDEFGHabcdefgh");        // head and tail swapped: the same key
    segments.push_back("abcdefghABCDEFGH");
    segments.push_back("abcdefghABCDEFGHx");  // the same first 16 bytes and size
    segments.push_back("abcdefghABCDEFGHy");
    segments.push_back("integrity_level_name");
    segments.push_back("integrity_level_nama");
    FieldCatalog catalog;
    std::vector<SlotId> direct;
    std::vector<SlotId> nested;
    std::vector<SlotId> plain;  // under a node without look-alikes
    for (size_t i = 0; i < segments.size(); ++i) {
        direct.push_back(catalog.intern(segments[i]));
        nested.push_back(catalog.intern("abcdefghABCDEFGHx." + segments[i]));
        plain.push_back(i < distinct_keys ? catalog.intern("plain." + segments[i]) : ProjectionPlan::kNoSlot);
    }
    ProjectionPlan plan(catalog);
    const auto nest = plan.child(ProjectionPlan::kRoot, "abcdefghABCDEFGHx");
    const auto flat = plan.child(ProjectionPlan::kRoot, "plain");
    REQUIRE(nest != ProjectionPlan::kNoNode);
    REQUIRE(flat != ProjectionPlan::kNoNode);
    for (size_t i = 0; i < segments.size(); ++i) {
        const std::string& segment = segments[i];
        INFO(segment);
        CHECK(plan.slot(plan.child(ProjectionPlan::kRoot, segment)) == direct[i]);
        CHECK(plan.slot(plan.child(nest, segment)) == nested[i]);
        const auto in_flat = plan.child(flat, segment);
        CHECK((in_flat == ProjectionPlan::kNoNode ? ProjectionPlan::kNoSlot : plan.slot(in_flat)) == plain[i]);
        // The padded form reads 16 bytes from the segment whatever its size; what follows must not matter.
        for (const char* after : {"\"", ".", "\"xxxxxxxxxxxxxxxxxxxxxxxxxx", "kkkkkkkkkkkkkkkkkkkkkkkkkk"}) {
            const std::string padded = segment + after;
            CHECK(plan.slot(plan.child_padded(ProjectionPlan::kRoot, padded.data(), segment.size())) == direct[i]);
            CHECK(plan.slot(plan.child_padded(nest, padded.data(), segment.size())) == nested[i]);
            CHECK(plan.child_padded(flat, padded.data(), segment.size()) == in_flat);
        }
        // Near misses: one byte more, one byte less, the last byte changed.
        const std::string longer = segment + "k";
        if (std::find(segments.begin(), segments.end(), longer) == segments.end()) {
            CHECK(plan.child(ProjectionPlan::kRoot, longer) == ProjectionPlan::kNoNode);
            CHECK(plan.child_padded(ProjectionPlan::kRoot, (longer + std::string(16, '"')).data(), longer.size()) ==
                  ProjectionPlan::kNoNode);
        }
        std::string changed = segment;
        changed.back() = '#';
        CHECK(plan.child(ProjectionPlan::kRoot, changed) == ProjectionPlan::kNoNode);
        CHECK(plan.child(nest, changed) == ProjectionPlan::kNoNode);
        CHECK(plan.child(flat, changed) == ProjectionPlan::kNoNode);
    }
    CHECK(plan.child(ProjectionPlan::kRoot, "") == ProjectionPlan::kNoNode);
    CHECK(plan.child(ProjectionPlan::kRoot, "process_name_") == ProjectionPlan::kNoNode);
    CHECK(plan.child(ProjectionPlan::kRoot, "abcdefghABCDEFGHz") == ProjectionPlan::kNoNode);
    CHECK(plan.child(ProjectionPlan::kRoot, std::string("kk\0", 3)) == ProjectionPlan::kNoNode);
    // A node without children finds nothing, not even an empty segment.
    const auto leaf = plan.child(ProjectionPlan::kRoot, "k");
    REQUIRE(leaf != ProjectionPlan::kNoNode);
    CHECK_FALSE(plan.has_children(leaf));
    CHECK(plan.child(leaf, "k") == ProjectionPlan::kNoNode);
    CHECK(plan.child(leaf, "") == ProjectionPlan::kNoNode);

    // An empty catalog: the root has no children.
    FieldCatalog none;
    ProjectionPlan empty(none);
    CHECK(empty.child(ProjectionPlan::kRoot, "a") == ProjectionPlan::kNoNode);
    CHECK(empty.child(ProjectionPlan::kRoot, "") == ProjectionPlan::kNoNode);
}

TEST_CASE("nlohmann events: nesting depth is measured without recursion and bounded in the walk",
          "[projection][depth]") {
    FieldCatalog catalog;
    const SlotId x = catalog.intern("x");
    const ProjectionPlan plan(catalog);
    auto arrays = [](size_t n) {
        nlohmann::json v = 1;
        for (size_t i = 0; i < n; ++i) v = nlohmann::json::array({std::move(v)});
        return v;
    };
    // The root object is level 1.
    CHECK_FALSE(eqlc::input::json_depth_exceeds(nlohmann::json{{"x", arrays(999)}}));
    CHECK(eqlc::input::json_depth_exceeds(nlohmann::json{{"x", arrays(1000)}}));
    CHECK_FALSE(eqlc::input::json_depth_exceeds(nlohmann::json(5)));
    CHECK(eqlc::input::json_depth_exceeds(nlohmann::json{{"a", 1}, {"b", {{"c", 2}}}}, 1));
    CHECK_FALSE(eqlc::input::json_depth_exceeds(nlohmann::json{{"a", 1}, {"b", {{"c", 2}}}}, 2));

    // Projecting an event far deeper than the limit does not recurse past it (the engine refuses such events
    // first; the walk itself stays bounded either way).
    const nlohmann::json deep{{"x", arrays(100'000)}};
    CHECK(eqlc::input::json_depth_exceeds(deep));
    EventRecord record;
    CHECK(eqlc::input::project(deep, plan, record));
    CHECK(record.field(x).empty());
    const nlohmann::json shallow{{"x", arrays(998)}};
    CHECK(eqlc::input::project(shallow, plan, record));
    REQUIRE(record.field(x).size() == 1);
    CHECK(record.field(x)[0].integer == 1);
}
