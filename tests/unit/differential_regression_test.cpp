// Replays the engine differential fuzzer's kept cases (tests/fuzz/regressions/engine/*.json: queries, events and
// how to cut and shuffle them) without libFuzzer: every way of running the engine must give the same matches and
// stats (tests/fuzz/engine_diff.hpp). Also holds the minimal regression tests of bugs the fuzzers found.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fuzz/engine_diff.hpp"
#include "support/cli_runner.hpp"

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> kept_cases(const char* folder) {
    std::vector<fs::path> out;
    const fs::path dir = fs::path(EQLC_SOURCE_DIR) / "tests/fuzz/regressions" / folder;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().extension() == ".json") out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

eqlc::fuzz::DiffCase load_case(const fs::path& path) {
    std::ifstream in(path);
    return eqlc::fuzz::case_from_json(nlohmann::json::parse(in));
}

}  // namespace

TEST_CASE("engine differential: every kept case runs the same every way", "[fuzz][engine]") {
    eqlc::test::TempDir dir;
    const auto cases = kept_cases("engine");
    REQUIRE(cases.size() >= 3);
    for (const auto& path : cases) {
        INFO(path.filename().string());
        const eqlc::fuzz::DiffCase diff_case = load_case(path);
        eqlc::fuzz::DiffRunner runner(diff_case, (dir.path() / "events.ndjson").string());
        REQUIRE(runner.valid());
        CHECK(runner.run() == "");
    }
}

TEST_CASE("engine differential: the generator makes valid query sets and cases that round-trip as JSON",
          "[fuzz][engine]") {
    eqlc::test::TempDir dir;
    size_t valid = 0, matching = 0;
    for (uint32_t seed = 0; seed < 200; ++seed) {
        std::vector<uint8_t> bytes(400);
        uint32_t x = seed * 2654435761u + 1;
        for (auto& b : bytes) b = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
        const auto diff_case = eqlc::fuzz::generate_case(bytes.data(), bytes.size());
        REQUIRE(eqlc::fuzz::case_to_json(eqlc::fuzz::case_from_json(eqlc::fuzz::case_to_json(diff_case))) ==
                eqlc::fuzz::case_to_json(diff_case));
        eqlc::fuzz::DiffRunner runner(diff_case, (dir.path() / "events.ndjson").string());
        if (!runner.valid()) continue;
        ++valid;
        CHECK(runner.run() == "");
        matching += runner.matches() > 0;
    }
    CHECK(valid >= 150);     // most generated sets are valid, so the fuzzer spends its time running them
    CHECK(matching >= 100);  // and most of them match something, so the ways have results to disagree on
}
