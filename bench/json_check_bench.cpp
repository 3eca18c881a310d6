// The full JSON check of the events that a term matches (input/json_check.hpp): JsonChecker::check (simdjson's
// DOM parser plus a walk for duplicate keys and depth, falling back to the exact check) against check_exact (the
// hand-written one-pass check alone), and a bare simdjson DOM parse as the floor, over the lines of a realistic
// ECS stream (bench/gen_ecs.cpp, 20,000 events of about 1.8 KB).
//
//   build/release/bench/eqlc_bench --benchmark_filter=JsonCheck
//
// The lines come from $EQLC_ECS_FILE when set, else from ecs-20000-s7.ndjson next to the bench binary, written on
// first use by the eqlc_gen_ecs built beside it (with the detection-rules corpus of the shared data when present).
// bytes_per_second is the rate over the text checked; items_per_second is events/s.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <simdjson.h>

#include "input/json_check.hpp"

namespace {

struct Lines {
    std::vector<std::string> lines;
    size_t bytes = 0;
    std::string error;
};

const Lines& ecs_lines() {
    static const Lines lines = [] {
        Lines l;
        std::filesystem::path file;
        if (const char* env = std::getenv("EQLC_ECS_FILE"); env != nullptr && *env != '\0') {
            file = env;
        } else {
            const auto dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
            file = dir / "ecs-20000-s7.ndjson";
            if (!std::filesystem::exists(file)) {
                const auto rules = std::filesystem::path(EQLC_SHARED_DIR) / "corpus/detection-rules/toml/rules";
                std::string command = "'" + (dir / "eqlc_gen_ecs").string() +
                                      "' --events 20000 --hosts 300 --seed 7 --hot-percent 2 --out '" + file.string() +
                                      "'";
                if (std::filesystem::is_directory(rules)) command += " --rules '" + rules.string() + "'";
                if (std::system(command.c_str()) != 0) {
                    l.error = "could not generate " + file.string() + " with eqlc_gen_ecs; set EQLC_ECS_FILE";
                    return l;
                }
            }
        }
        std::ifstream in(file);
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            l.bytes += line.size();
            l.lines.push_back(std::move(line));
        }
        if (l.lines.empty()) l.error = "no lines in " + file.string();
        return l;
    }();
    return lines;
}

// The benchmark's argument is the number of lines checked per iteration: all 20,000 (35 MB: the text comes from
// memory, as for a stream) or the first 500 (under 1 MB: the text is in the cache, as in the engine, which checks
// an event right after reading it).
template <typename Check>
void run(benchmark::State& state, Check&& check) {
    const Lines& l = ecs_lines();
    if (!l.error.empty()) {
        state.SkipWithError(l.error.c_str());
        return;
    }
    const size_t lines = std::min(l.lines.size(), static_cast<size_t>(state.range(0)));
    size_t bytes = 0;
    for (size_t i = 0; i < lines; ++i) bytes += l.lines[i].size();
    size_t invalid = 0;
    for (auto _ : state) {
        for (size_t i = 0; i < lines; ++i) invalid += check(l.lines[i]) ? 0 : 1;
    }
    if (invalid != 0) state.SkipWithError("a generated line was refused");
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines));
}

// A shared machine adds time, never removes it: with --benchmark_repetitions, the fastest run is the one to compare.
void lines_and_min(benchmark::internal::Benchmark* b) {
    b->Arg(20000)->Arg(500)->Unit(benchmark::kMicrosecond);
    b->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
}

void BM_JsonCheckExact(benchmark::State& state) {
    eqlc::input::JsonChecker checker;
    run(state, [&](const std::string& line) { return !checker.check_exact(line); });
}
BENCHMARK(BM_JsonCheckExact)->Apply(lines_and_min);

void BM_JsonCheck(benchmark::State& state) {
    eqlc::input::JsonChecker checker;
    run(state, [&](const std::string& line) { return !checker.check(line); });
}
BENCHMARK(BM_JsonCheck)->Apply(lines_and_min);

// The floor: simdjson's DOM parse alone (a copy into its padded buffer, as check() makes), no walk.
void BM_JsonCheckFloorDomParse(benchmark::State& state) {
    simdjson::dom::parser parser;
    run(state, [&](const std::string& line) { return parser.parse(line.data(), line.size(), true).error() == 0; });
}
BENCHMARK(BM_JsonCheckFloorDomParse)->Apply(lines_and_min);

}  // namespace
