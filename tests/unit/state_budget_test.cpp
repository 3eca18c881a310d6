// Sequence and sample state through the Engine: what stats report about it, the warnings when limits cost
// alerts, the engine-wide memory budget and the sharing of kept events between queries.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eqlc/engine.hpp"
#include "support/cli_runner.hpp"

namespace {

using nlohmann::json;

// A process event of host `host` at second `second`.
json process_event(const std::string& host, int second, const std::string& name) {
    return json{{"@timestamp", 1'700'000'000'000LL + second * 1000LL},
                {"event", {{"category", "process"}}},
                {"host", {{"id", host}}},
                {"process", {{"name", name}}}};
}

std::string ndjson(const std::vector<json>& events) {
    std::string text;
    for (const auto& e : events) text += e.dump() + "\n";
    return text;
}

const char* const kTwoStages =
    "sequence by host.id [process where process.name == \"a.exe\"] [process where process.name == \"b.exe\"]";

}  // namespace

TEST_CASE("stats: partials pending at the end of input are reported after finish()", "[engine][state]") {
    auto created = eqlc::Engine::create({{kTwoStages, "seq"}});
    REQUIRE(created.engine);
    auto& engine = *created.engine;
    // Three hosts start a sequence, one completes it: two partials are left when the input ends.
    engine.push(process_event("h1", 1, "a.exe"));
    engine.push(process_event("h2", 2, "a.exe"));
    engine.push(process_event("h3", 3, "a.exe"));
    engine.push(process_event("h1", 4, "b.exe"));
    CHECK(engine.stats().pending_partials == 2);
    CHECK(engine.stats().partials_at_finish == 0);
    engine.finish();
    CHECK(engine.stats().matches.at(0) == 1);
    CHECK(engine.stats().pending_partials == 0);
    CHECK(engine.stats().partials_at_finish == 2);
}

TEST_CASE("eqlc --stats prints the partials left at the end of input", "[cli][state]") {
    eqlc::test::TempDir dir;
    const auto events =
        dir.write("events.ndjson", ndjson({process_event("h1", 1, "a.exe"), process_event("h2", 2, "a.exe"),
                                           process_event("h3", 3, "a.exe"), process_event("h1", 4, "b.exe")}));
    const auto r = eqlc::test::run_eqlc({"--stats", "-e", kTwoStages, events.string()});
    CHECK(r.status == 1);
    CHECK(r.err.find("partials left at end    2\n") != std::string::npos);
}
