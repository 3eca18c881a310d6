// Field checks against schemas (eqlc/schema_check.hpp): unknown fields with the nearest known names, `?field` and
// the namespaces a second schema declares not flagged, comparisons that cannot hold for a field's type, mapping
// files, the shipped ECS list, and the rule corpus.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "eqlc/rule_loader.hpp"
#include "eqlc/schema_check.hpp"
#include "semantics/ecs_fields.hpp"
#include "semantics/field_names.hpp"
#include "semantics/schema.hpp"
#include "support/files.hpp"
#include "support/shared_data.hpp"

namespace {

using eqlc::Diagnostic;
using eqlc::Diagnostics;
using eqlc::FieldChecker;
using eqlc::Severity;

FieldChecker ecs_checker() { return FieldChecker({{eqlc::ecs_mapping(), "ECS 9.4.0"}}); }

std::shared_ptr<const eqlc::Mapping> mapping(std::string_view json) {
    eqlc::Diagnostic error;
    auto m = eqlc::Mapping::parse(json, &error);
    INFO(error.message);
    REQUIRE(m);
    return std::make_shared<const eqlc::Mapping>(std::move(*m));
}

size_t count(const Diagnostics& d, Severity severity) {
    return static_cast<size_t>(
        std::count_if(d.begin(), d.end(), [&](const Diagnostic& x) { return x.severity == severity; }));
}

std::string all(const Diagnostics& d) {
    std::string out;
    for (const auto& x : d)
        out += std::to_string(x.span.begin.line) + ":" + std::to_string(x.span.begin.column) + " " +
               (x.severity == Severity::error ? "error: " : "warning: ") + x.message + " | " + x.hint + "\n";
    return out;
}

}  // namespace

TEST_CASE("the shipped ECS list: version, types as ECS's template maps them, arrays", "[schema-check]") {
    CHECK(eqlc::ecs_version() == "9.4.0");
    auto lines = eqlc::semantics::ecs_field_lines();
    CHECK(lines.size() == 2726);  // the version line and 2,725 fields
    const auto json = eqlc::semantics::ecs_mapping_json();
    CHECK(json["date_detection"] == false);
    CHECK(json["dynamic_templates"][0]["strings_as_keyword"]["mapping"]["type"] == "keyword");
    CHECK(json["properties"]["process.pid"]["type"] == "long");
    CHECK(json["properties"]["process.command_line"]["type"] == "wildcard");
    // A multi-field sits under its parent, as in the template.
    CHECK(json["properties"]["process.name"]["fields"]["text"]["type"] == "match_only_text");
    CHECK_FALSE(json["properties"].contains("process.name.text"));
    CHECK(eqlc::semantics::ecs_array_field("event.category"));
    CHECK_FALSE(eqlc::semantics::ecs_array_field("process.name"));
    REQUIRE(eqlc::ecs_mapping());
    CHECK(eqlc::ecs_mapping() == eqlc::ecs_mapping());  // built once
}

TEST_CASE("unknown fields are warnings with the nearest known names", "[schema-check]") {
    const auto checker = ecs_checker();
    const auto d = checker.check("process where proces.name : \"cmd.exe\" and\n  process.parnet.name == \"x\"");
    INFO(all(d));
    REQUIRE(d.size() == 2);
    CHECK(count(d, Severity::error) == 0);
    CHECK(d[0].severity == Severity::warning);
    CHECK(d[0].message == "Unknown field [proces.name]: not in ECS 9.4.0");
    CHECK(d[0].hint == "did you mean [process.name]?");
    CHECK(d[0].span.begin.line == 1);
    CHECK(d[0].span.begin.column == 15);
    CHECK(d[0].span.end.column == 26);
    CHECK(d[1].message == "Unknown field [process.parnet.name]: not in ECS 9.4.0 ([process] has no [parnet])");
    CHECK(d[1].hint == "did you mean [process.parent.name]?");
    CHECK(d[1].span.begin.line == 2);
    CHECK(d[1].span.begin.column == 3);

    // Names as a typo changes them: case, swapped letters, a dropped or extra segment.
    CHECK(checker.nearest("process.Name") == std::vector<std::string>{"process.name"});
    CHECK(checker.nearest("event.catgeory") == std::vector<std::string>{"event.category"});
    CHECK(checker.nearest("destination.adress") == std::vector<std::string>{"destination.address"});
    CHECK(checker.nearest("process.parent.pe.orignal_file_name") ==
          std::vector<std::string>{"process.parent.pe.original_file_name"});
    CHECK(checker.nearest("process.pe.orignal_file_name") == std::vector<std::string>{"process.pe.original_file_name"});
    CHECK(checker.nearest("user.domian") == std::vector<std::string>{"user.domain"});
    // Nothing close: no hint but how to silence it.
    CHECK(checker.nearest("winlog.event_data.TargetUserName").empty());
    const auto far = checker.check("any where winlog.event_data.TargetUserName == \"x\"");
    REQUIRE(far.size() == 1);
    CHECK(far[0].hint.rfind("write ?winlog.event_data.TargetUserName", 0) == 0);
}

TEST_CASE("segment distance: case costs half an edit, swaps one edit", "[schema-check]") {
    using eqlc::semantics::segment_distance;
    CHECK(segment_distance("name", "name", 10) == 0);
    CHECK(segment_distance("Name", "name", 10) == 1);
    CHECK(segment_distance("nmae", "name", 10) == 2);
    CHECK(segment_distance("proces", "process", 10) == 2);
    CHECK(segment_distance("pid", "executable", 4) == 5);  // over the limit: limit + 1
}

TEST_CASE("fields written ?field and fields of known namespaces are not flagged", "[schema-check]") {
    const auto ecs = ecs_checker();
    const char* query =
        "process where ?process.Ext.token.integrity_level_name == \"System\" and process.Ext.api.name : \"x\" and "
        "winlog.event_data.TargetUserName : \"bob\"";
    const auto alone = ecs.check(query);
    INFO(all(alone));
    REQUIRE(alone.size() == 2);  // the optional one is not reported
    CHECK(alone[0].message.find("[process.Ext.api.name]") != std::string::npos);
    CHECK(alone[0].message.find("([process] has no [Ext])") != std::string::npos);
    CHECK(alone[1].message.find("[winlog.event_data.TargetUserName]") != std::string::npos);

    // A second schema declares the namespaces an integration adds: objects without sub-fields leave them open.
    const auto extra = mapping(R"({"mappings":{"properties":{
        "process":{"properties":{"Ext":{"type":"object"}}},
        "winlog":{"properties":{"event_data":{"properties":{}}, "channel":{"type":"keyword"}}}}}})");
    const FieldChecker both({{eqlc::ecs_mapping(), "ECS 9.4.0"}, {extra, "integrations.json"}});
    const auto d = both.check(query);
    INFO(all(d));
    CHECK(d.empty());
    // Its own fields are known, and what it does not declare is still flagged, naming both schemas.
    CHECK(both.check("any where winlog.channel == \"Security\"").empty());
    const auto other = both.check("any where winlog.chanel == \"Security\"");
    REQUIRE(other.size() == 1);
    CHECK(other[0].message ==
          "Unknown field [winlog.chanel]: not in ECS 9.4.0 or integrations.json ([winlog] has no "
          "[chanel])");
    CHECK(other[0].hint == "did you mean [winlog.channel]?");
    // ECS's own key/value objects (labels) are open.
    CHECK(ecs.check("any where labels.team == \"red\"").empty());
}

TEST_CASE("configured fields count: category, timestamp, tiebreaker; aliases resolve", "[schema-check]") {
    const auto ecs = ecs_checker();
    eqlc::QueryOptions options;
    options.event_category_field = "event.categroy";
    options.timestamp_field = "event.ingested";
    options.tiebreaker_field = "event.sequense";
    const auto d = ecs.check("process where true", options);
    INFO(all(d));
    REQUIRE(d.size() == 2);
    CHECK(d[0].message ==
          "Unknown field [event.categroy] (the event category field): not in ECS 9.4.0 ([event] has "
          "no [categroy])");
    CHECK(d[0].hint == "did you mean [event.category]?");
    CHECK(d[0].span.begin.column == 1);
    CHECK(d[1].message.find("[event.sequense] (the tiebreaker field)") != std::string::npos);
    // `any where` tests no category; samples use no timestamp.
    CHECK(ecs.check("any where true", options).size() == 1);
    CHECK(ecs.check("sample by host.id [any where true] [any where true]", options).empty());

    // An alias of a second schema resolves to its target, whose type counts.
    const auto aliases = mapping(R"({"properties":{"pid":{"type":"alias","path":"process.pid"}}})");
    const FieldChecker with_alias({{eqlc::ecs_mapping(), "ECS 9.4.0"}, {aliases, "aliases.json"}});
    CHECK(with_alias.check("process where pid == 4").empty());
    const auto typed = with_alias.check("process where pid == \"four\"");
    INFO(all(typed));
    REQUIRE(typed.size() == 1);
    CHECK(typed[0].severity == Severity::error);
    CHECK(typed[0].message.find("[process.pid] of type [long]") != std::string::npos);
}

TEST_CASE("comparisons that cannot hold for the field's type: errors as Elasticsearch refuses them", "[schema-check]") {
    const auto ecs = ecs_checker();
    auto one = [&](const std::string& query) {
        const auto d = ecs.check(query);
        INFO(query << "\n" << all(d));
        REQUIRE(d.size() == 1);
        return d[0];
    };
    // Refused by Elasticsearch: errors.
    auto d = one("process where process.pid == \"abc\"");
    CHECK(d.severity == Severity::error);
    CHECK(d.message == "cannot compare field [process.pid] of type [long] with [\"abc\"]: not a number");
    CHECK(one("network where cidrMatch(destination.domain, \"10.0.0.0/8\")").severity == Severity::error);
    d = one("network where not cidrMatch(destination.domain, \"10.0.0.0/8\")");
    CHECK(d.message ==
          "first argument of [cidrMatch(destination.domain, \"10.0.0.0/8\")] must be [ip], found value "
          "[destination.domain] type [keyword]");
    d = one("process where process.pid : \"12*\"");
    CHECK(d.severity == Severity::error);
    CHECK(d.message.find("Can only use wildcard, prefix and regexp queries on keyword and text fields") == 0);
    CHECK(one("process where process.pid like \"1?\"").severity == Severity::error);
    CHECK(one("any where @timestamp == \"yesterday\"").severity == Severity::error);
    CHECK(one("any where destination.ip == \"not-an-ip\"").severity == Severity::error);
    CHECK(one("any where process.interactive == \"yes\"").severity == Severity::error);
    d = one("process where length(process.pid) > 2");
    CHECK(d.message ==
          "first argument of [length(process.pid)] must be [string], found value [process.pid] type [long]");
    CHECK(one("process where process.name + 1 > 2").severity == Severity::error);
    CHECK(one("process where process.parent").message ==
          "Cannot use field [process.parent] type [object] only its subfields");
    CHECK(one("any where message : \"x\"").severity == Severity::error);  // match_only_text: no keyword sub-field

    // Accepted by Elasticsearch but matching nothing: warnings.
    d = one("process where process.pid == 4.5");
    CHECK(d.severity == Severity::warning);
    CHECK(d.message == "[process.pid] is of type [long]: it never equals [4.5], so this comparison can never hold");
    CHECK(one("process where process.pid in (4.5, 7)").severity == Severity::warning);
    CHECK(one("process where process.pid : 4.5").severity == Severity::warning);

    // `==`, `!=` and `in` compare exactly: a `*` there is a literal star.
    d = one("process where process.parent.name == \"python*\"");
    CHECK(d.severity == Severity::warning);
    CHECK(d.message ==
          "[==] compares exactly: the * in [\"python*\"] is not a wildcard, so only a value holding a "
          "literal * matches it");
    CHECK(d.hint == "to match a pattern, write process.parent.name : ... (case-insensitive) or like (case-sensitive)");
    CHECK(d.span.begin.column == 38);
    CHECK(one("process where process.args not in (\"-o*\", \"-x\")").message.find("[not in] compares exactly") == 0);
    CHECK(one("process where ?process.Ext.x in~ (\"a*\")").message.find("[in~] compares exactly") == 0);
    CHECK(one("process where process.pid == \"1*\"").severity == Severity::error);  // a number: refused instead

    // What holds for its type: nothing to say.
    for (const char* fine :
         {"process where process.pid == \"4\"", "process where process.pid in (4, 5)",
          "network where cidrMatch(destination.ip, \"10.0.0.0/8\")", "process where process.name : \"cmd*\"",
          "any where @timestamp > \"2024-01-01\"", "process where length(process.name) > 2 and process.pid + 1 > 2",
          "file where file.size > 1000 and file.path : \"C:\\\\*\"",
          "process where process.command_line like~ \"*-enc*\"",
          "process where process.name : (\"a*\", \"b\") and process.args == \"/?\"",
          "sequence by host.id, process.entity_id [process where true] [network where true]"}) {
        const auto none = ecs.check(fine);
        INFO(fine << "\n" << all(none));
        CHECK(none.empty());
    }
}

TEST_CASE("many unknown fields: the first 100 and a count, still warnings", "[schema-check]") {
    std::string query = "any where ";
    for (int i = 0; i < 300; ++i) query += (i ? " or proces" : "proces") + std::to_string(i) + ".name == 1";
    const auto d = ecs_checker().check(query);
    REQUIRE(d.size() == 101);
    CHECK(d.back().message == "too many problems: 200 more not shown, the first of them here");
    CHECK(count(d, Severity::error) == 0);
    const auto refused = ecs_checker().check(query + " or process.pid == \"x\"");
    REQUIRE(refused.size() == 101);
    CHECK(refused.back().severity == Severity::error);  // the error left out makes the summary one
}

TEST_CASE("a mapping file as the schema; syntax errors come back as such", "[schema-check]") {
    const auto file = mapping(R"({"mappings":{"properties":{"@timestamp":{"type":"date"},
        "host":{"properties":{"name":{"type":"keyword"}, "port":{"type":"integer"}}}}}})");
    const FieldChecker checker({{file, "hosts.json"}});
    CHECK(checker.check("any where host.name == \"a\" and host.port > 10").empty());
    auto d = checker.check("any where host.nmae == \"a\" and host.port : \"8*\"");
    INFO(all(d));
    REQUIRE(d.size() == 2);
    CHECK(d[0].severity == Severity::warning);
    CHECK(d[0].message == "Unknown field [host.nmae]: not in hosts.json ([host] has no [nmae])");
    CHECK(d[0].hint == "did you mean [host.name]?");
    CHECK(d[1].severity == Severity::error);
    // The default event category field is not in this mapping: said once per query, at the first category.
    d = checker.check("sequence [process where host.name == \"a\"] [file where true]");
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == "Unknown field [event.category] (the event category field): not in hosts.json");
    CHECK(d[0].span.begin.column == 11);

    d = checker.check("process where (");
    REQUIRE_FALSE(d.empty());
    CHECK(d[0].phase == eqlc::Phase::syntax);
    d = checker.check("process where foo(host.name)");
    REQUIRE(d.size() == 1);
    CHECK(d[0].phase == eqlc::Phase::semantics);
}

TEST_CASE("the rule corpus against ECS: no errors, and quick", "[schema-check][corpus]") {
    EQLC_REQUIRE_SHARED(dir, "corpus/detection-rules/toml");
    const auto rules = eqlc::rules::load_rule_folder(*dir);
    const auto checker = ecs_checker();
    size_t queries = 0, warnings = 0;
    std::string errors;
    const auto start = std::chrono::steady_clock::now();
    for (const eqlc::rules::Rule* rule : rules.rules()) {
        eqlc::QueryOptions options;
        if (rule->timestamp_override) options.timestamp_field = *rule->timestamp_override;
        if (rule->event_category_override) options.event_category_field = *rule->event_category_override;
        if (rule->tiebreaker_field) options.tiebreaker_field = *rule->tiebreaker_field;
        ++queries;
        for (const auto& d : checker.check(rule->query, options)) {
            if (d.severity == Severity::error)
                errors += rule->path.string() + ": " + d.message + "\n";
            else
                ++warnings;
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(errors);
    CHECK(queries >= 500);  // 562 EQL rules
    CHECK(errors.empty());
    CHECK(warnings > 0);  // the corpus reads Elastic Defend and integration fields that ECS does not have
    CHECK(seconds < 20);
}

TEST_CASE("the rule corpus with a second schema of integration namespaces: no unknown field",
          "[schema-check][corpus]") {
    EQLC_REQUIRE_SHARED(dir, "corpus/detection-rules/toml");
    const auto rules = eqlc::rules::load_rule_folder(*dir);
    const std::string namespaces = eqlc::test::read_text(std::filesystem::path(EQLC_SOURCE_DIR) /
                                                         "tests/data/schemas/integration_namespaces.json");
    const FieldChecker checker({{eqlc::ecs_mapping(), "ECS 9.4.0"}, {mapping(namespaces), "integrations"}});
    std::string flagged;
    size_t stars = 0;
    for (const eqlc::rules::Rule* rule : rules.rules()) {
        eqlc::QueryOptions options;
        if (rule->timestamp_override) options.timestamp_field = *rule->timestamp_override;
        if (rule->event_category_override) options.event_category_field = *rule->event_category_override;
        for (const auto& d : checker.check(rule->query, options)) {
            // What is left: exact comparisons with a `*` (real mistakes of the rules: "python*" in ==, "/dev/fd/*"
            // in an `in` list of exclusions).
            if (d.message.find("compares exactly: the * in") != std::string::npos)
                ++stars;
            else
                flagged += rule->path.string() + ": " + d.message + "\n";
        }
    }
    CHECK(flagged.empty());
    CHECK(stars > 0);
}

TEST_CASE("typos of the ECS fields the rule corpus reads are traced back to them", "[schema-check][corpus]") {
    EQLC_REQUIRE_SHARED(dir, "corpus/detection-rules/toml");
    const auto rules = eqlc::rules::load_rule_folder(*dir);
    const auto checker = ecs_checker();
    // The ECS fields the rules read, found as the field names of a check against an empty mapping.
    const FieldChecker none({{mapping(R"({"properties":{}})"), "nothing"}});
    std::set<std::string> fields;
    const std::regex name("^Unknown field \\[([^\\]]+)\\]");
    for (const eqlc::rules::Rule* rule : rules.rules())
        for (const auto& d : none.check(rule->query)) {
            std::smatch m;
            if (std::regex_search(d.message, m, name) && checker.check("any where " + m[1].str() + " != null").empty())
                fields.insert(m[1]);
        }
    REQUIRE(fields.size() > 100);
    // Each field with one typo of each of four kinds in its first and in its last segment, at a position that
    // varies with the field.
    size_t tried = 0, first = 0, listed = 0;
    std::string missed;
    for (const auto& field : fields) {
        const size_t dot = field.find('.'), last_dot = field.rfind('.');
        if (dot == std::string::npos) continue;
        for (const auto& [begin, end] : {std::pair{size_t{0}, dot}, std::pair{last_dot + 1, field.size()}}) {
            if (end - begin < 4) continue;
            const size_t at = begin + std::hash<std::string>{}(field) % (end - begin - 1);
            std::vector<std::string> typos(4, field);
            typos[0].erase(at, 1);                           // a letter left out
            std::swap(typos[1][at], typos[1][at + 1]);       // two letters swapped
            typos[2][at] = typos[2][at] == 'x' ? 'y' : 'x';  // a wrong letter
            typos[3].insert(at, 1, 'e');                     // a letter too many
            for (const auto& typo : typos) {
                if (typo == field || checker.check("any where " + typo + " != null").empty()) continue;  // known
                ++tried;
                const auto near = checker.nearest(typo);
                if (!near.empty() && near.front() == field) ++first;
                if (std::find(near.begin(), near.end(), field) != near.end())
                    ++listed;
                else
                    missed += typo + " -> " + (near.empty() ? "nothing" : near.front()) + "\n";
            }
        }
    }
    INFO(tried << " typos, " << first << " first, " << listed << " listed; missed:\n" << missed);
    CHECK(tried > 600);
    CHECK(static_cast<double>(listed) >= 0.95 * static_cast<double>(tried));
    CHECK(static_cast<double>(first) >= 0.85 * static_cast<double>(tried));
}

TEST_CASE("the shipped ECS list reads as ECS's own index template does", "[schema-check]") {
    EQLC_REQUIRE_SHARED(template_file, "schemas/ecs/template.json");
    std::string error;
    const auto from_template = eqlc::semantics::Schema::parse_mapping(eqlc::test::read_text(*template_file), &error);
    INFO(error);
    REQUIRE(from_template);
    const auto shipped = eqlc::semantics::Schema::from_mapping(eqlc::semantics::ecs_mapping_json(), &error);
    REQUIRE(shipped);
    // Every field of the template, with its type, multi-field source and object-ness; the template also lists the
    // objects between (process.parent), which the shipped list implies.
    CHECK(shipped->paths() == from_template->paths());
    size_t differ = 0;
    for (const auto& path : from_template->paths()) {
        const auto* a = from_template->declared(path);
        const auto* b = shipped->declared(path);
        REQUIRE(b);
        if (a->es_type != b->es_type || a->type != b->type || a->object != b->object ||
            (!a->object && a->source_path != b->source_path)) {
            UNSCOPED_INFO(path << ": " << a->es_type << " / " << b->es_type);
            ++differ;
        }
    }
    CHECK(differ == 0);
}
