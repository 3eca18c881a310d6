// Elasticsearch mappings and dynamic-mapping inference.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "semantics/resolver.hpp"
#include "semantics/schema.hpp"

using eqlc::semantics::Schema;
using eqlc::semantics::SchemaLookup;
using eqlc::vm::FieldType;

namespace {

Schema parse(std::string_view text) {
    std::string error;
    auto s = Schema::parse_mapping(text, &error);
    INFO(error);
    REQUIRE(s.has_value());
    return std::move(*s);
}

FieldType type_of(const Schema& s, std::string_view path) {
    auto r = s.lookup(path);
    REQUIRE(r.status == SchemaLookup::Status::found);
    return r.field->type;
}

}  // namespace

TEST_CASE("schema: mapping shapes", "[schema]") {
    for (const char* text :
         {R"({"properties":{"a":{"type":"long"}}})", R"({"mappings":{"properties":{"a":{"type":"long"}}}})",
          R"({"my-index":{"mappings":{"properties":{"a":{"type":"long"}}}}})"}) {
        INFO(text);
        CHECK(type_of(parse(text), "a") == FieldType::long_);
    }
    std::string error;
    CHECK_FALSE(Schema::parse_mapping("{", &error));
    CHECK_FALSE(error.empty());
    CHECK_FALSE(Schema::parse_mapping(R"({"nothing":1,"else":2})", &error));
}

TEST_CASE("schema: types", "[schema]") {
    const Schema s = parse(R"({"properties":{
        "k":{"type":"keyword"}, "ck":{"type":"constant_keyword"}, "w":{"type":"wildcard"},
        "l":{"type":"long"}, "i":{"type":"integer"}, "sh":{"type":"short"}, "by":{"type":"byte"}, "ul":{"type":"unsigned_long"},
        "d":{"type":"double"}, "f":{"type":"float"}, "hf":{"type":"half_float"}, "sf":{"type":"scaled_float","scaling_factor":100},
        "b":{"type":"boolean"}, "dt":{"type":"date"}, "dn":{"type":"date_nanos"}, "ip":{"type":"ip"}, "v":{"type":"version"},
        "t":{"type":"text"}, "tk":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},
        "n":{"type":"nested","properties":{"x":{"type":"keyword"}}}}})");
    for (auto p : {"k", "ck", "w", "tk", "tk.keyword"}) CHECK(type_of(s, p) == FieldType::keyword);
    for (auto p : {"l", "i", "sh", "by", "ul"}) CHECK(type_of(s, p) == FieldType::long_);
    for (auto p : {"d", "f", "hf", "sf"}) CHECK(type_of(s, p) == FieldType::double_);
    CHECK(type_of(s, "b") == FieldType::boolean);
    CHECK(type_of(s, "dt") == FieldType::date);
    CHECK(type_of(s, "dn") == FieldType::date);
    CHECK(type_of(s, "ip") == FieldType::ip);
    CHECK(type_of(s, "v") == FieldType::version);
    CHECK(type_of(s, "t") == FieldType::unsupported);
    CHECK(type_of(s, "n") == FieldType::unsupported);
    // the multi-field reads its parent's values
    CHECK(s.lookup("tk.keyword").field->source_path == "tk");
}

TEST_CASE("schema: nested properties, dotted names, aliases declared later, null_value", "[schema]") {
    const Schema s = parse(R"({"properties":{
        "event":{"properties":{"category":{"type":"alias","path":"event_type"},
                               "sequence":{"type":"alias","path":"serial"}}},
        "process.pid":{"type":"long"},
        "process":{"properties":{"name":{"type":"keyword"}}},
        "opt":{"type":"keyword","null_value":"NULL"},
        "num":{"type":"long","null_value":0},
        "chain":{"type":"alias","path":"event.category"},
        "broken":{"type":"alias","path":"nowhere"},
        "event_type":{"type":"keyword"},
        "serial":{"type":"long"}}})");
    auto r = s.lookup("event.category");
    REQUIRE(r.status == SchemaLookup::Status::found);
    CHECK(r.field->path == "event_type");
    CHECK(type_of(s, "event.sequence") == FieldType::long_);
    CHECK(type_of(s, "process.pid") == FieldType::long_);
    CHECK(type_of(s, "process.name") == FieldType::keyword);
    CHECK(s.lookup("process").field->object);
    CHECK(s.lookup("opt").field->null_value == "NULL");
    CHECK(s.lookup("num").field->null_value == "0");
    CHECK(s.lookup("chain").field->path == "event_type");
    CHECK(s.lookup("broken").status == SchemaLookup::Status::bad_alias);
    CHECK(s.lookup("nope").status == SchemaLookup::Status::unknown);
}

TEST_CASE("schema: dynamic mapping inference", "[schema]") {
    Schema s = parse(R"({"properties":{"sequence":{"type":"long"},"mapped":{"type":"keyword"}}})");
    s.infer_from_ndjson(R"({"transID":[1234,599999],"tags":["tag1","tag2"],"sequence":"7","f":1.5,"b":true}
{"when":"2024-05-01T10:00:00Z","day":"2024-05-01","year":"2024","slashed":"2024/05/01","notdate":"1","obj":{"inner":{"x":"a"},"dotted.key":3},"nulls":null,"arr":[null,"s"],"objs":[{"a":1},{"b":"x"}],"mapped":5}

not json
)");
    CHECK(type_of(s, "transID") == FieldType::long_);
    CHECK(type_of(s, "tags") == FieldType::keyword);
    CHECK(type_of(s, "tags.keyword") == FieldType::keyword);
    CHECK(type_of(s, "sequence") == FieldType::long_);  // mapped fields are never changed
    CHECK(type_of(s, "mapped") == FieldType::keyword);
    CHECK(type_of(s, "f") == FieldType::double_);
    CHECK(type_of(s, "b") == FieldType::boolean);
    CHECK(type_of(s, "when") == FieldType::date);
    CHECK(type_of(s, "day") == FieldType::date);
    CHECK(type_of(s, "year") == FieldType::date);
    CHECK(type_of(s, "slashed") == FieldType::date);
    CHECK(type_of(s, "notdate") == FieldType::keyword);
    CHECK(type_of(s, "obj.inner.x") == FieldType::keyword);
    CHECK(type_of(s, "obj.dotted.key") == FieldType::long_);
    CHECK(s.lookup("obj").field->object);
    CHECK(s.lookup("nulls").status == SchemaLookup::Status::unknown);  // null maps nothing
    CHECK(type_of(s, "arr") == FieldType::keyword);
    CHECK(type_of(s, "objs.a") == FieldType::long_);
    CHECK(type_of(s, "objs.b") == FieldType::keyword);
    CHECK(s.lookup("transID").field->dynamic);
}

TEST_CASE("schema: dynamic date detection", "[schema]") {
    using eqlc::semantics::looks_like_dynamic_date;
    CHECK(looks_like_dynamic_date("2024-05-01T10:00:00.123Z"));
    CHECK(looks_like_dynamic_date("2024-05-01T10:00:00+02:00"));
    CHECK(looks_like_dynamic_date("1970-01-01T00:00:00.000Z"));
    CHECK(looks_like_dynamic_date("2024-05"));
    CHECK_FALSE(looks_like_dynamic_date("2024-13"));
    CHECK_FALSE(looks_like_dynamic_date("2024-02-30"));
    CHECK_FALSE(looks_like_dynamic_date("1"));
    CHECK_FALSE(looks_like_dynamic_date("20240501"));
    CHECK_FALSE(looks_like_dynamic_date("2024-05-01 10:00:00"));
    CHECK_FALSE(looks_like_dynamic_date("tag1"));
}

TEST_CASE("schema: the resolver interns paths, types slots and reports unknown columns", "[schema]") {
    const Schema s = parse(R"({"dynamic":"strict","properties":{"event":{"properties":{"category":{"type":"alias","path":"event_type"}}},
        "event_type":{"type":"keyword"},"pid":{"type":"long"},"t":{"type":"text"},"o":{"properties":{"x":{"type":"long"}}}}})");
    eqlc::vm::FieldCatalog catalog;
    eqlc::Diagnostics out;
    eqlc::semantics::Resolver r(&s, catalog, out);
    eqlc::ast::FieldPath cat{{"event", "category"}, false};
    auto f = r.field(cat, {});
    REQUIRE(f.kind == eqlc::semantics::ResolvedField::Kind::slot);
    CHECK(f.path == "event_type");
    CHECK(catalog.path(f.slot) == "event_type");
    CHECK(catalog.type(f.slot) == FieldType::keyword);
    CHECK(r.field({{"pid"}, false}, {}).kind == eqlc::semantics::ResolvedField::Kind::slot);
    CHECK(catalog.type(*catalog.find("pid")) == FieldType::long_);
    CHECK(out.empty());

    CHECK(r.field({{"missing"}, true}, {}).kind == eqlc::semantics::ResolvedField::Kind::null_literal);
    CHECK(out.empty());
    CHECK(r.field({{"pidd"}, false}, {}).kind == eqlc::semantics::ResolvedField::Kind::error);
    REQUIRE(out.size() == 1);
    CHECK(out[0].message == "Unknown column [pidd]");
    CHECK(out[0].hint == "did you mean [pid]?");
    CHECK(out[0].phase == eqlc::Phase::compile);
    CHECK(r.field({{"t"}, false}, {}).kind == eqlc::semantics::ResolvedField::Kind::error);
    CHECK(r.field({{"o"}, false}, {}).kind == eqlc::semantics::ResolvedField::Kind::error);
    CHECK(out.size() == 3);

    // without a schema everything is a dynamic field, and `?` changes nothing
    eqlc::semantics::Resolver none(nullptr, catalog, out);
    auto d = none.field({{"anything", "goes"}, true}, {});
    REQUIRE(d.kind == eqlc::semantics::ResolvedField::Kind::slot);
    CHECK(catalog.path(d.slot) == "anything.goes");
    CHECK(catalog.type(d.slot) == FieldType::dynamic);
}
