// Engine snapshots: stopping a stream at any event, saving the engine's state, and continuing in a new
// engine from the bytes gives exactly the matches of one uninterrupted run (pending partial sequences,
// results held back by tail, samples, the reorder window and the counters all carry over).
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "eqlc/engine.hpp"
#include "support/wmi_rule.hpp"

namespace {

using nlohmann::json;

std::vector<json> sample_events() {
    std::vector<json> out;
    for (const auto& file : {eqlc::test::wmi_defend_samples(), eqlc::test::wmi_sysmon_samples()}) {
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) out.push_back(json::parse(line));
    }
    return out;
}

std::string rule_text() { return eqlc::test::wmi_rule_query(); }

std::vector<eqlc::QuerySource> queries() {
    return {
        eqlc::QuerySource(rule_text(), "wmi"),
        eqlc::QuerySource("sequence by host.id with maxspan=30s [network where true] ![process where "
                          "process.name : \"powershell.exe\"] [process where true] | tail 3",
                          "missing+tail"),
        eqlc::QuerySource("sample by host.id [network where true] [process where true]", "sample"),
        eqlc::QuerySource("process where process.name : \"cmd.exe\" | tail 2", "event-tail"),
    };
}

std::unique_ptr<eqlc::Engine> make(const eqlc::EngineOptions& options, std::vector<std::string>& out) {
    auto created = eqlc::Engine::create(queries(), options);
    REQUIRE(created.engine);
    created.engine->on_match([&out, e = created.engine.get()](const eqlc::Match& m) {
        out.push_back(eqlc::match_to_ndjson(m, e->query_name(m.query)));
    });
    return std::move(created.engine);
}

void check_every_split(const eqlc::EngineOptions& options, const std::vector<json>& events) {
    std::vector<std::string> whole;
    {
        auto engine = make(options, whole);
        for (const auto& e : events) engine->push(e);
        engine->finish();
    }
    REQUIRE(whole.size() > 40);
    for (size_t split = 0; split <= events.size(); ++split) {
        std::vector<std::string> got;
        std::string bytes;
        eqlc::Diagnostic error;
        {
            auto first = make(options, got);
            for (size_t i = 0; i < split; ++i) first->push(events[i]);
            REQUIRE(first->snapshot(bytes, &error));
        }
        auto second = make(options, got);
        INFO("split at " << split << ": " << error.message);
        REQUIRE(second->restore(bytes, &error));
        for (size_t i = split; i < events.size(); ++i) second->push(events[i]);
        second->finish();
        CHECK(got == whole);
        CHECK(second->stats().events == events.size());
    }
}

}  // namespace

TEST_CASE("engine snapshot: a split at any event resumes to the same matches", "[engine][snapshot]") {
    const auto events = sample_events();
    REQUIRE(events.size() == 151);
    SECTION("events in order") { check_every_split({}, events); }
    SECTION("with a reorder window, events slightly shuffled") {
        auto shuffled = events;
        for (size_t i = 0; i + 1 < shuffled.size(); i += 3) std::swap(shuffled[i], shuffled[i + 1]);
        eqlc::EngineOptions options;
        options.reorder_window_ns = 5'000'000'000;
        check_every_split(options, shuffled);
    }
}

TEST_CASE("engine snapshot: refused when it does not fit", "[engine][snapshot]") {
    std::vector<std::string> out;
    auto engine = make({}, out);
    eqlc::Diagnostic error;
    CHECK_FALSE(engine->restore("not a snapshot", &error));
    CHECK(error.message.find("not an eqlc engine snapshot") != std::string::npos);
    CHECK(error.phase == eqlc::Phase::state);

    auto other = eqlc::Engine::create({eqlc::QuerySource("process where true", "other")});
    REQUIRE(other.engine);
    std::string bytes;
    REQUIRE(other.engine->snapshot(bytes, &error));
    CHECK_FALSE(engine->restore(bytes, &error));
    CHECK(error.message.find("other queries") != std::string::npos);

    eqlc::EngineOptions sorted;
    sorted.sort_input = true;
    auto sorting = eqlc::Engine::create({eqlc::QuerySource("process where true", "q")}, sorted);
    error = {};
    CHECK_FALSE(sorting.engine->snapshot(bytes, &error));
    CHECK(error.phase == eqlc::Phase::state);
    CHECK(error.message.find("sorts its whole input") != std::string::npos);
}

TEST_CASE("engine snapshot: damaged bytes are refused (or restore a valid state), never a crash",
          "[engine][snapshot]") {
    const auto events = sample_events();
    std::vector<std::string> whole;
    std::string bytes;
    size_t split = 0;  // the first event after which a partial sequence is pending
    {
        auto engine = make({}, whole);
        while (split < events.size() && engine->stats().pending_partials == 0) engine->push(events[split++]);
        REQUIRE(engine->stats().pending_partials > 0);
        REQUIRE(engine->snapshot(bytes));
    }
    std::vector<std::string> out;
    auto engine = make({}, out);
    eqlc::Diagnostic error;
    // Cut short anywhere: refused.
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + cut / 16) {
        INFO("cut at " << cut);
        CHECK_FALSE(engine->restore(std::string_view(bytes).substr(0, cut), &error));
    }
    // A byte changed anywhere: refused or restored, and the engine goes on either way.
    for (size_t at = 0; at < bytes.size(); at += 1 + at / 8) {
        std::string changed = bytes;
        changed[at] = static_cast<char>(changed[at] ^ 0x5a);
        (void)engine->restore(changed, &error);
    }
    REQUIRE(engine->restore(bytes, &error));
    for (size_t i = split; i < events.size(); ++i) engine->push(events[i]);
    engine->finish();
    CHECK_FALSE(out.empty());
}
