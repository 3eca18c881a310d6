// Checkpoint cost of a worker (lib/service/worker.hpp): the WMI rule with 100,000 pending partial sequences (real
// Elastic Defend stage-1 events, the inbound port-135 connection, one per host, all within the rule's 20 s maxspan),
// checkpointed to a state file: engine snapshot + checkpoint container + write, fsync and rename.
//
//   build/release/bench/eqlc_bench --benchmark_filter=Checkpoint
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "eqlc/engine.hpp"
#include "service/state_store.hpp"
#include "service/worker.hpp"

namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Stage 1 of the rule for `hosts` hosts: the first sample event (an accepted inbound connection to svchost.exe on
// port 135) with its host.id changed and its time moved 0.1 ms on per host.
std::string stage_one_events(size_t hosts) {
    const std::filesystem::path samples = std::filesystem::path(EQLC_SOURCE_DIR) / "rules/samples/wmi_defend.ndjson";
    std::istringstream in(read_file(samples));
    std::string first;
    std::getline(in, first);
    auto event = nlohmann::json::parse(first);
    std::string out;
    char time[64];
    for (size_t i = 0; i < hosts; ++i) {
        const size_t tenths = i;  // of a millisecond
        std::snprintf(time, sizeof time, "2026-11-20T09:01:%02zu.%03zu%01zuZ", tenths / 10000, tenths / 10 % 1000,
                      tenths % 10);
        event["@timestamp"] = time;
        event["host"]["id"] = "host-" + std::to_string(i);
        out += event.dump();
        out += '\n';
    }
    return out;
}

class NoSink final : public eqlc::service::AlertSink {
public:
    bool write(const eqlc::service::Alert&, std::string&) override { return true; }
    bool flush(std::string&) override { return true; }
    std::string name() const override { return "none"; }
};

void BM_CheckpointWmi100kPartials(benchmark::State& state) {
    const auto rule = read_file(std::filesystem::path(EQLC_SOURCE_DIR) / "rules/wmi_incoming_lateral_movement.eql");
    auto created = eqlc::Engine::create({{rule, "wmi"}});
    if (!created.engine) {
        state.SkipWithError("the WMI rule does not compile");
        return;
    }
    eqlc::Engine& engine = *created.engine;
    engine.push_ndjson(stage_one_events(static_cast<size_t>(state.range(0))));
    const auto folder = std::filesystem::temp_directory_path() / "eqlc-checkpoint-bench";
    std::filesystem::create_directories(folder);
    auto store = eqlc::service::make_file_state_store((folder / "state").string());
    NoSink sink;
    eqlc::service::Worker worker(engine, {}, sink, store.get(), {{{"wmi", rule}}, {}}, {}, {});
    std::string error;
    for (auto _ : state) {
        if (!worker.checkpoint(error)) {
            state.SkipWithError(error.c_str());
            break;
        }
    }
    state.counters["pending_partials"] = static_cast<double>(engine.stats().pending_partials);
    state.counters["checkpoint_bytes"] = static_cast<double>(worker.stats().last_checkpoint_bytes);
    state.counters["state_bytes"] = static_cast<double>(engine.stats().state_bytes);
    std::filesystem::remove_all(folder);
}

}  // namespace

BENCHMARK(BM_CheckpointWmi100kPartials)->Arg(100'000)->Unit(benchmark::kMillisecond)->Iterations(5);
