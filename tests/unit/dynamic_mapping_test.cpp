// Mappings as Elasticsearch reads them: the `dynamic` setting (root, objects, inheritance), fields a dynamic
// mapping accepts (resolved as fields of no mapping, with a warning), the shapes of templates, and the
// `dynamic_templates` that inference applies.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "compiler/compiled_query.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/query.hpp"
#include "semantics/resolver.hpp"
#include "semantics/schema.hpp"
#include "support/shared_data.hpp"

using eqlc::semantics::DynamicMode;
using eqlc::semantics::ResolvedField;
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

// Resolves `dotted` (written `?dotted` when optional) against `schema`; the diagnostics go to `out`.
struct Resolution {
    ResolvedField field;
    eqlc::Diagnostics out;
    std::vector<std::string> unmapped;
    std::string slot_path;
};

Resolution resolve(const Schema& schema, const std::string& dotted, bool optional = false) {
    eqlc::vm::FieldCatalog catalog;
    Resolution r;
    eqlc::semantics::Resolver resolver(&schema, catalog, r.out);
    eqlc::ast::FieldPath path;
    for (size_t start = 0;;) {
        const size_t dot = dotted.find('.', start);
        path.segments.push_back(dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    path.optional = optional;
    r.field = resolver.field(path, {});
    r.unmapped = resolver.unmapped();
    if (r.field.kind == ResolvedField::Kind::slot) r.slot_path = catalog.path(r.field.slot);
    return r;
}

bool accepted(const Schema& s, const std::string& dotted) {
    const auto r = resolve(s, dotted);
    return r.field.kind == ResolvedField::Kind::slot;
}

bool refused(const Schema& s, const std::string& dotted) {
    const auto r = resolve(s, dotted);
    return r.field.kind == ResolvedField::Kind::error && r.out.size() == 1 &&
           r.out[0].message == "Unknown column [" + dotted + "]";
}

FieldType type_of(const Schema& s, std::string_view path) {
    auto r = s.lookup(path);
    REQUIRE(r.status == SchemaLookup::Status::found);
    return r.field->type;
}

bool has_errors(const eqlc::Diagnostics& d) {
    return std::any_of(d.begin(), d.end(),
                       [](const eqlc::Diagnostic& x) { return x.severity == eqlc::Severity::error; });
}

}  // namespace

TEST_CASE("dynamic mapping: a field of a dynamic mapping is a dynamic slot with a warning",
          "[schema][dynamic-mapping]") {
    const Schema s = parse(R"({"properties":{"process":{"properties":{"name":{"type":"keyword"}}}}})");
    CHECK(s.root_dynamic_mode() == DynamicMode::true_);

    const auto typo = resolve(s, "proces.name");
    REQUIRE(typo.field.kind == ResolvedField::Kind::slot);
    CHECK(typo.field.type == FieldType::dynamic);  // typed from its values, as without a mapping
    CHECK(typo.slot_path == "proces.name");
    CHECK(typo.unmapped == std::vector<std::string>{"proces.name"});
    REQUIRE(typo.out.size() == 1);
    CHECK(typo.out[0].severity == eqlc::Severity::warning);
    CHECK(typo.out[0].phase == eqlc::Phase::compile);
    CHECK(typo.out[0].message ==
          "field [proces.name] is not in the mapping; typed from its values (the mapping is dynamic)");
    CHECK(typo.out[0].hint == "did you mean [process.name]?");

    // `?x` says the field may be absent: read, not reported.
    const auto optional = resolve(s, "user.name", true);
    CHECK(optional.field.kind == ResolvedField::Kind::slot);
    CHECK(optional.out.empty());
    CHECK(optional.unmapped.empty());

    // A field under a mapped object inherits the root's setting.
    CHECK(accepted(s, "process.pid"));
    // Below a mapped leaf nothing can be added.
    CHECK(refused(s, "process.name.first"));
}

TEST_CASE("dynamic mapping: strict and false refuse unmapped fields", "[schema][dynamic-mapping]") {
    for (const char* setting : {R"("strict")", "false", R"("false")"}) {
        INFO(setting);
        const Schema s = parse(std::string(R"({"dynamic":)") + setting + R"(,"properties":{"a":{"type":"long"}}})");
        CHECK(refused(s, "b"));
        CHECK(refused(s, "a1"));
        CHECK(resolve(s, "b", true).field.kind == ResolvedField::Kind::null_literal);
        CHECK(accepted(s, "a"));
    }
    for (const char* setting : {"true", R"("true")", R"("runtime")"}) {
        INFO(setting);
        const Schema s = parse(std::string(R"({"dynamic":)") + setting + R"(,"properties":{"a":{"type":"long"}}})");
        CHECK(accepted(s, "b"));
    }
    const auto runtime = resolve(parse(R"({"dynamic":"runtime","properties":{}})"), "b");
    REQUIRE(runtime.out.size() == 1);
    CHECK(runtime.out[0].hint == "add it to the mapping, or write ?b if it may be absent from it (no warning then)");
    CHECK(runtime.out[0].message.find("(the mapping is dynamic: runtime)") != std::string::npos);
}

TEST_CASE("dynamic mapping: objects inherit their parent's setting unless they set their own",
          "[schema][dynamic-mapping]") {
    const Schema s = parse(R"({"dynamic":"strict","properties":{
        "labels":{"dynamic":true,"properties":{"env":{"type":"keyword"},
                  "inner":{"properties":{"x":{"type":"long"}}},
                  "closed":{"dynamic":"false","properties":{}}}},
        "process":{"properties":{"name":{"type":"keyword"}}},
        "host.meta":{"dynamic":"runtime","properties":{}}}})");
    CHECK(refused(s, "other"));
    CHECK(refused(s, "process.pid"));       // inherits strict from the root
    CHECK(accepted(s, "labels.team"));      // its own true
    CHECK(accepted(s, "labels.inner.y"));   // inherits true from labels
    CHECK(accepted(s, "labels.new.deep"));  // an object dynamic mapping would add, and its member
    CHECK(refused(s, "labels.closed.z"));   // its own false
    CHECK(accepted(s, "host.meta.zone"));   // set on an object declared with a dotted name
    CHECK(refused(s, "host.name"));         // `host` itself inherits strict
    const auto team = resolve(s, "labels.team");
    REQUIRE(team.out.size() == 1);
    CHECK(team.out[0].message ==
          "field [labels.team] is not in the mapping; typed from its values ([labels] is dynamic)");

    const Schema open =
        parse(R"({"properties":{"process":{"dynamic":"strict","properties":{"name":{"type":"keyword"}}}}})");
    CHECK(refused(open, "process.pid"));
    CHECK(accepted(open, "user.name"));
    CHECK(open.dynamic_mode_under("process") == DynamicMode::strict);
    CHECK(open.dynamic_mode_under("") == DynamicMode::true_);
}

TEST_CASE("dynamic mapping: a bad dynamic value is a mapping error", "[schema][dynamic-mapping]") {
    std::string error;
    CHECK_FALSE(Schema::parse_mapping(R"({"dynamic":"sometimes","properties":{}})", &error));
    CHECK(error == R"(the mapping's "dynamic" must be true, false, "strict" or "runtime", not "sometimes")");
    CHECK_FALSE(Schema::parse_mapping(R"({"properties":{"a":{"dynamic":1,"properties":{}}}})", &error));
    CHECK(error == R"([a]: "dynamic" must be true, false, "strict" or "runtime", not 1)");
    CHECK_FALSE(Schema::parse_mapping(R"({"properties":{},"dynamic_templates":{"a":1}})", &error));
    CHECK(error == R"(the mapping's "dynamic_templates" must be a list)");
    CHECK_FALSE(Schema::parse_mapping(R"({"properties":{},"dynamic_templates":[{"t":{"match":"*"}}]})", &error));
    CHECK(error == R"(dynamic template 1 [t]: needs a "mapping" (or "runtime") object)");

    eqlc::Diagnostic problem;
    CHECK_FALSE(eqlc::Mapping::parse(R"({"mappings":{"dynamic":"no"}})", &problem));
    CHECK(problem.phase == eqlc::Phase::mapping);
    CHECK(problem.message.find("\"dynamic\" must be") != std::string::npos);
}

TEST_CASE("dynamic mapping: `x.keyword` of an unmapped string reads x", "[schema][dynamic-mapping]") {
    const auto sub = resolve(parse(R"({"properties":{}})"), "process.name.keyword");
    REQUIRE(sub.field.kind == ResolvedField::Kind::slot);
    CHECK(sub.slot_path == "process.name");
    REQUIRE(sub.out.size() == 1);
    CHECK(sub.out[0].message.find("as the keyword sub-field of [process.name]") != std::string::npos);
    // Where strings are mapped as keyword (a template, or runtime fields) there is no sub-field.
    const auto keyword = resolve(parse(R"({"properties":{},"dynamic_templates":[
        {"strings":{"match_mapping_type":"string","mapping":{"type":"keyword"}}}]})"),
                                 "process.name.keyword");
    CHECK(keyword.slot_path == "process.name.keyword");
    CHECK(resolve(parse(R"({"dynamic":"runtime"})"), "a.keyword").slot_path == "a.keyword");
}

TEST_CASE("dynamic mapping: template and response shapes", "[schema][dynamic-mapping]") {
    const std::string body = R"({"dynamic":"strict","properties":{"a":{"type":"long"}}})";
    for (const std::string& text :
         {body, R"({"mappings":)" + body + "}", R"({"my-index":{"mappings":)" + body + "}}",
          R"({"index_patterns":["logs-*"],"order":1,"settings":{},"mappings":)" + body + "}",  // legacy template
          R"({"my-template":{"index_patterns":["logs-*"],"mappings":)" + body + "}}",          // GET _template
          R"({"index_patterns":["logs-*"],"mappings":{"_doc":)" + body + "}}",                 // 6.x type name
          R"({"index_patterns":["logs-*"],"priority":5,"composed_of":["x"],"template":{"settings":{},"mappings":)" +
              body + "}}",                              // composable
          R"({"template":{"mappings":)" + body + "}}",  // component
          R"({"index_templates":[{"name":"t","index_template":{"index_patterns":["l*"],"template":{"mappings":)" +
              body + "}}}]}",  // GET _index_template
          R"({"component_templates":[{"name":"c","component_template":{"template":{"mappings":)" + body +
              "}}}]}"}) {  // GET _component_template
        INFO(text);
        const Schema s = parse(text);
        CHECK(type_of(s, "a") == FieldType::long_);
        CHECK(s.root_dynamic_mode() == DynamicMode::strict);
    }
    // A mapping may set only how unknown fields are treated.
    CHECK(parse(R"({"mappings":{}})").size() == 0);
    CHECK(parse(R"({"dynamic":"strict"})").root_dynamic_mode() == DynamicMode::strict);
    std::string error;
    CHECK_FALSE(Schema::parse_mapping(R"({"nothing":1,"else":2})", &error));
    CHECK_FALSE(Schema::parse_mapping(R"({"template":"logs-*","order":0})", &error));  // 5.x: a pattern, no mappings
    CHECK_FALSE(Schema::parse_mapping(R"({"mappings":{"properties":5}})", &error));
}

TEST_CASE("dynamic mapping: inference applies dynamic_templates, date_detection and the dynamic setting",
          "[schema][dynamic-mapping]") {
    const char* events = R"({"msg":"hello","when":"2024-05-01","n":5,"f":1.5,"labels":{"team":"red","port":443},)"
                         R"("closed":{"x":"y"},"rt":{"s":"v"},"ip_addr":"10.0.0.1"})";
    Schema s = parse(R"({"date_detection":false,"dynamic_templates":[
        {"ips":{"match":"*_addr","mapping":{"type":"ip"}}},
        {"label_numbers":{"path_match":"labels.*","match_mapping_type":"long","mapping":{"type":"keyword"}}},
        {"regex":{"match_pattern":"regex","match":"^n$","mapping":{"type":"keyword"}}},
        {"strings":{"match_mapping_type":"string","unmatch":"msg","mapping":{"type":"keyword","ignore_above":1024}}},
        {"dyn":{"match_mapping_type":"double","mapping":{"type":"{dynamic_type}"}}}],
        "properties":{"closed":{"dynamic":"strict","properties":{}},"rt":{"dynamic":"runtime","properties":{}}}})");
    s.infer_from_ndjson(events);
    CHECK(type_of(s, "ip_addr") == FieldType::ip);           // match on the name
    CHECK(type_of(s, "labels.port") == FieldType::keyword);  // path_match and match_mapping_type
    CHECK(type_of(s, "labels.team") == FieldType::keyword);  // strings -> keyword
    CHECK(s.lookup("labels.team.keyword").status == SchemaLookup::Status::unknown);  // no sub-field
    CHECK(type_of(s, "msg") == FieldType::keyword);  // unmatch: the default, text + keyword
    CHECK(type_of(s, "msg.keyword") == FieldType::keyword);
    CHECK(type_of(s, "when") == FieldType::keyword);  // date_detection: false
    CHECK(type_of(s, "n") == FieldType::long_);       // the regex template is not understood
    CHECK(type_of(s, "f") == FieldType::double_);     // {dynamic_type}: float
    CHECK(s.lookup("f").field->es_type == "float");
    CHECK(s.lookup("labels.team").field->dynamic);
    CHECK(s.lookup("closed.x").status == SchemaLookup::Status::unknown);  // strict: never added
    CHECK(type_of(s, "rt.s") == FieldType::keyword);                      // runtime: keyword, no sub-field
    CHECK(s.lookup("rt.s.keyword").status == SchemaLookup::Status::unknown);

    // Object templates: `dynamic: false` below an object; a "*" template for values leaves objects alone.
    Schema objects = parse(R"({"dynamic_templates":[
        {"quiet":{"path_match":"quiet","match_mapping_type":"object","mapping":{"dynamic":false}}},
        {"all":{"match_mapping_type":"*","mapping":{"type":"keyword"}}}]})");
    objects.infer_from_ndjson(R"({"quiet":{"a":1},"loud":{"b":2}})");
    CHECK(objects.lookup("quiet").field->object);
    CHECK(objects.lookup("quiet.a").status == SchemaLookup::Status::unknown);
    CHECK(objects.lookup("loud").field->object);
    CHECK(type_of(objects, "loud.b") == FieldType::keyword);
    CHECK(refused(objects, "quiet.c"));

    // Without templates and with date detection (the defaults).
    Schema plain = parse(R"({"properties":{}})");
    plain.infer_from_ndjson(events);
    CHECK(type_of(plain, "when") == FieldType::date);
    CHECK(type_of(plain, "labels.port") == FieldType::long_);
    CHECK(type_of(plain, "labels.team.keyword") == FieldType::keyword);
    CHECK(type_of(plain, "ip_addr") == FieldType::keyword);
}

TEST_CASE("dynamic mapping: the ECS template", "[schema][dynamic-mapping]") {
    EQLC_REQUIRE_SHARED(path, "schemas/ecs/template.json");
    std::string error;
    auto s = Schema::parse_mapping(eqlc::test::read_text(*path), &error);
    INFO(error);
    REQUIRE(s.has_value());
    CHECK(type_of(*s, "process.name") == FieldType::keyword);
    CHECK(type_of(*s, "@timestamp") == FieldType::date);
    CHECK(s->root_dynamic_mode() == DynamicMode::true_);
    // Its strings_as_keyword template: a custom string field is keyword, without a `.keyword` sub-field.
    s->infer_from_ndjson(R"({"custom":{"note":"x","when":"2024-05-01"}})");
    CHECK(type_of(*s, "custom.note") == FieldType::keyword);
    CHECK(type_of(*s, "custom.when") == FieldType::keyword);  // date_detection: false
    CHECK(s->lookup("custom.note.keyword").status == SchemaLookup::Status::unknown);
    const auto typo = resolve(*s, "proces.name");
    REQUIRE(typo.out.size() == 1);
    CHECK(typo.out[0].severity == eqlc::Severity::warning);
    CHECK(typo.out[0].hint == "did you mean [process.name]?");
}

TEST_CASE("dynamic mapping: queries compile with warnings and run on the field's values", "[schema][dynamic-mapping]") {
    auto mapping = eqlc::Mapping::parse(
        R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword"}}}}})");
    REQUIRE(mapping);
    eqlc::QueryOptions options;
    options.mapping = std::make_shared<const eqlc::Mapping>(std::move(*mapping));

    const auto d = eqlc::check_query("process where pid == 4 and pid > 1 and ?user == null", options);
    REQUIRE(d.size() == 1);  // one warning per field, none for ?user
    CHECK(d[0].severity == eqlc::Severity::warning);
    CHECK(d[0].message.find("field [pid]") == 0);
    CHECK(d[0].span.begin.column == 15);

    // Many unmapped fields: the summary past the limit stays a warning, and the query is valid.
    std::string many = "any where f0 == 1";
    for (int i = 1; i < 150; ++i) many += " and f" + std::to_string(i) + " == 1";
    const auto lots = eqlc::check_query(many, options);
    CHECK(lots.size() == 101);
    CHECK_FALSE(has_errors(lots));

    eqlc::EngineOptions engine_options;
    engine_options.query = options;
    auto created = eqlc::Engine::create({{"process where pid == 4 and tags == \"a\"", "q"}}, engine_options);
    REQUIRE(created.engine);
    size_t matches = 0;
    created.engine->on_match([&](const eqlc::Match&) { ++matches; });
    CHECK(created.engine->push_json(R"({"@timestamp":1,"event":{"category":"process"},"pid":4,"tags":["b","a"]})"));
    CHECK(created.engine->push_json(R"({"@timestamp":2,"event":{"category":"process"},"pid":"4","tags":"a"})"));
    created.engine->finish();
    CHECK(matches == 1);  // "4" is a string: no long field in a mapping converts it

    // Under strict, the same query is refused.
    engine_options.query.mapping = std::make_shared<const eqlc::Mapping>(*eqlc::Mapping::parse(
        R"({"dynamic":"strict","properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword"}}}}})"));
    CHECK_FALSE(eqlc::Engine::create({{"process where pid == 4", "q"}}, engine_options).engine);
}

TEST_CASE("dynamic mapping: `?x` of an unlisted field is null where only a constant may stand",
          "[schema][dynamic-mapping]") {
    auto mapping = eqlc::Mapping::parse(R"({"properties":{"@timestamp":{"type":"date"},"a":{"type":"keyword"}}})");
    REQUIRE(mapping);
    eqlc::QueryOptions options;
    options.mapping = std::make_shared<const eqlc::Mapping>(std::move(*mapping));
    // Elasticsearch refuses comparing two fields; an unlisted `?x` there is the null of an index without x.
    CHECK(eqlc::check_query("any where ?x == ?y", options).empty());
    CHECK(eqlc::check_query("any where a == ?y", options).empty());
    const auto two = eqlc::check_query("any where a == b", options);
    CHECK(has_errors(two));  // b is read (a warning), and two fields are compared (an error)

    eqlc::EngineOptions engine_options;
    engine_options.query = options;
    auto created = eqlc::Engine::create({{"any where ?x == ?y and ?tag == \"t\"", "q"}}, engine_options);
    REQUIRE(created.engine);
    size_t matches = 0;
    created.engine->on_match([&](const eqlc::Match&) { ++matches; });
    CHECK(created.engine->push_json(R"({"@timestamp":1,"tag":"t"})"));
    CHECK(created.engine->push_json(R"({"@timestamp":2,"tag":"u"})"));
    created.engine->finish();
    CHECK(matches == 1);  // ?tag reads the events' values
}
