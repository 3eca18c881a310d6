// eqlc --mapping as Elasticsearch reads a mapping: the `dynamic` setting (a field the mapping does not list is a
// warning of --check where the mapping is dynamic, an error where it is strict), and templates as mapping files.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/shared_data.hpp"

using eqlc::test::run_eqlc;
using eqlc::test::TempDir;

namespace {

const char* kProperties = R"("properties":{"@timestamp":{"type":"date"},
    "event":{"properties":{"category":{"type":"keyword"}}},
    "process":{"properties":{"name":{"type":"keyword"},"pid":{"type":"long"}}}})";

const char* kEvents =
    R"({"@timestamp":1,"event":{"category":"process"},"process":{"name":"cmd.exe","pid":4},"user":{"name":"bob"}})"
    "\n";

}  // namespace

TEST_CASE("eqlc --check --mapping: fields a dynamic mapping accepts are warnings", "[cli][cli-mapping]") {
    TempDir dir;
    const auto dynamic = dir.write("dynamic.json", std::string("{") + kProperties + "}");
    const auto rule = dir.write("rule.eql", "process where\n  proces.name == \"cmd.exe\" and user.name == \"bob\"\n");
    const auto r = run_eqlc({"--check", "--mapping", dynamic.string(), rule.string()});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out.find("rule.eql: valid") != std::string::npos);
    CHECK(r.err.find("rule.eql:2:3: warning: field [proces.name] is not in the mapping; typed from its values (the "
                     "mapping is dynamic) (compile)") != std::string::npos);
    CHECK(r.err.find("hint: did you mean [process.name]?") != std::string::npos);
    CHECK(r.err.find("rule.eql:2:32: warning: field [user.name]") != std::string::npos);
    CHECK(r.err.find("error") == std::string::npos);

    // The run reads the field from the events.
    const auto events = dir.write("events.ndjson", kEvents);
    const auto run =
        run_eqlc({"--mapping", dynamic.string(), "-e", "process where user.name == \"bob\"", events.string()});
    CHECK(run.status == 1);
    CHECK(run.out_lines().size() == 1);

    // Strict at the root, or on the object: an error, and --check fails.
    const auto strict = dir.write("strict.json", std::string(R"({"dynamic":"strict",)") + kProperties + "}");
    const auto refused = run_eqlc({"--check", "--mapping", strict.string(), rule.string()});
    CHECK(refused.status == 2);
    CHECK(refused.err.find("rule.eql:2:3: error: Unknown column [proces.name] (compile)") != std::string::npos);
    const auto object_strict =
        dir.write("object.json",
                  R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword"}}},
        "process":{"dynamic":"strict","properties":{"name":{"type":"keyword"}}}}})");
    const auto mixed = run_eqlc({"--check", "--mapping", object_strict.string(), "-e",
                                 "process where process.pid == 4 and user.name == \"x\""});
    CHECK(mixed.status == 2);
    CHECK(mixed.err.find("error: Unknown column [process.pid]") != std::string::npos);
    CHECK(mixed.err.find("warning: field [user.name]") != std::string::npos);

    const auto bad = dir.write("bad.json", std::string(R"({"dynamic":"yes",)") + kProperties + "}");
    const auto unusable = run_eqlc({"--check", "--mapping", bad.string(), rule.string()});
    CHECK(unusable.status == 2);
    CHECK(unusable.err.find("\"dynamic\" must be true, false, \"strict\" or \"runtime\"") != std::string::npos);
}

TEST_CASE("eqlc --mapping reads index and component templates", "[cli][cli-mapping]") {
    TempDir dir;
    const auto events = dir.write("events.ndjson", kEvents);
    const std::string mappings = std::string(R"({"dynamic":"strict",)") + kProperties + "}";
    for (const std::string& text : {R"({"index_patterns":["logs-*"],"mappings":)" + mappings + "}",
                                    R"({"index_patterns":["logs-*"],"template":{"mappings":)" + mappings + "}}",
                                    R"({"template":{"settings":{},"mappings":)" + mappings + "}}",
                                    R"({"logs-1":{"mappings":)" + mappings + "}}"}) {
        INFO(text);
        const auto file = dir.write("template.json", text);
        const auto r = run_eqlc({"--mapping", file.string(), "-e", "process where process.pid == 4", events.string()});
        CHECK(r.status == 1);
        // The template's own `dynamic` applies.
        CHECK(run_eqlc({"--check", "--mapping", file.string(), "-e", "process where user.name == \"x\""}).status == 2);
    }
}

TEST_CASE("eqlc --check --mapping with the ECS template", "[cli][cli-mapping]") {
    EQLC_REQUIRE_SHARED(ecs, "schemas/ecs/template.json");
    const auto r = run_eqlc({"--check", "--mapping", ecs->string(), "-e",
                             "process where process.name == \"cmd.exe\" and proces.parent.name == \"x\""});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.err.find("warning: field [proces.parent.name] is not in the mapping") != std::string::npos);
    CHECK(r.err.find("did you mean [process.parent.name]?") != std::string::npos);
}
