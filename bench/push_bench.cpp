// Embedding entry points on the same events, one thread: read_ndjson (the reference), push_ndjson over 1 MiB
// buffers, push_json one line at a time, the C API's eqlc_engine_push_json, and the event builder (events given as
// parsed fields: the builder's cost only; flattening the JSON into fields is done before timing). The WMI rule over
// the first 200,000 lines of build/bench-data/events-1000000-h200-s42.ndjson (bench/run-throughput makes it;
// skipped when absent). Events/s is the items_per_second column.
//
//   build/release/bench/eqlc_bench --benchmark_filter=Push
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eqlc/engine.hpp"
#include "eqlc/eqlc.h"
#include "eqlc/event_builder.hpp"

namespace {

constexpr size_t kEvents = 200'000;

std::filesystem::path events_path() {
    return std::filesystem::path(EQLC_SOURCE_DIR) / "build/bench-data/events-1000000-h200-s42.ndjson";
}

std::string rule_text() {
    std::ifstream in(std::filesystem::path(EQLC_SOURCE_DIR) / "rules/wmi_incoming_lateral_movement.eql");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The first kEvents lines, kept once for every benchmark.
const std::vector<std::string>& lines() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> out;
        std::ifstream in(events_path());
        for (std::string line; out.size() < kEvents && std::getline(in, line);) out.push_back(line);
        return out;
    }();
    return all;
}

const std::string& text() {
    static const std::string all = [] {
        std::string out;
        for (const auto& l : lines()) out += l + "\n";
        return out;
    }();
    return all;
}

bool have_events(benchmark::State& state) {
    if (lines().size() == kEvents) return true;
    state.SkipWithError("no build/bench-data/events-1000000-h200-s42.ndjson (run bench/run-throughput first)");
    return false;
}

std::unique_ptr<eqlc::Engine> engine(uint64_t& matches) {
    auto created = eqlc::Engine::create({{rule_text(), "wmi"}});
    created.engine->on_match([&matches](const eqlc::Match&) { ++matches; });
    return std::move(created.engine);
}

void report(benchmark::State& state, uint64_t matches) {
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
    state.counters["alerts"] = static_cast<double>(matches) / static_cast<double>(state.iterations());
}

void BM_PushReadNdjson(benchmark::State& state) {
    if (!have_events(state)) return;
    const auto path = std::filesystem::temp_directory_path() / "eqlc-push-bench.ndjson";
    std::ofstream(path, std::ios::binary) << text();
    uint64_t matches = 0;
    for (auto _ : state) {
        auto e = engine(matches);
        eqlc::Diagnostic error;
        e->read_ndjson(path.string(), {}, &error);
        e->finish();
    }
    std::filesystem::remove(path);
    report(state, matches);
}

void BM_PushNdjsonBuffers(benchmark::State& state) {
    if (!have_events(state)) return;
    uint64_t matches = 0;
    const std::string& all = text();
    for (auto _ : state) {
        auto e = engine(matches);
        for (size_t at = 0; at < all.size();) {
            size_t end = std::min(all.size(), at + (size_t{1} << 20));
            end = all.find('\n', end == all.size() ? all.size() - 1 : end);
            end = end == std::string::npos ? all.size() : end + 1;
            e->push_ndjson(std::string_view(all).substr(at, end - at));
            at = end;
        }
        e->finish();
    }
    report(state, matches);
}

void BM_PushJsonLines(benchmark::State& state) {
    if (!have_events(state)) return;
    uint64_t matches = 0;
    for (auto _ : state) {
        auto e = engine(matches);
        for (const auto& l : lines()) e->push_json(l);
        e->finish();
    }
    report(state, matches);
}

void BM_PushCApiLines(benchmark::State& state) {
    if (!have_events(state)) return;
    uint64_t matches = 0;
    const std::string rule = rule_text();
    for (auto _ : state) {
        char* error = nullptr;
        eqlc_engine* e = eqlc_engine_from_query(rule.c_str(), nullptr, &error);
        eqlc_free(error);
        eqlc_engine_on_alert(
            e, [](void* user, const char*, size_t) { ++*static_cast<uint64_t*>(user); }, &matches);
        for (const auto& l : lines()) eqlc_engine_push_json(e, l.data(), l.size());
        eqlc_engine_finish(e);
        eqlc_engine_free(e);
    }
    report(state, matches);
}

// One event's scalar leaves as (dotted path, value), for the builder.
void flatten(const nlohmann::json& j, const std::string& prefix,
             std::vector<std::pair<std::string, nlohmann::json>>& out) {
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    } else {
        out.emplace_back(prefix, j);
    }
}

void BM_PushEventBuilder(benchmark::State& state) {
    if (!have_events(state)) return;
    std::vector<std::vector<std::pair<std::string, nlohmann::json>>> events;
    for (const auto& l : lines()) {
        events.emplace_back();
        flatten(nlohmann::json::parse(l), "", events.back());
    }
    uint64_t matches = 0;
    for (auto _ : state) {
        auto e = engine(matches);
        eqlc::EventBuilder b = e->event();
        for (const auto& fields : events) {
            b.clear();
            for (const auto& [name, v] : fields) {
                if (v.is_string())
                    b.set(name, v.get_ref<const std::string&>());
                else if (v.is_number_integer())
                    b.set(name, v.get<int64_t>());
                else if (v.is_number())
                    b.set(name, v.get<double>());
                else if (v.is_boolean())
                    b.set(name, v.get<bool>());
                else if (v.is_array())
                    for (const auto& x : v)
                        if (x.is_string()) b.append(name, x.get_ref<const std::string&>());
            }
            e->push(b);
        }
        e->finish();
    }
    report(state, matches);
}

}  // namespace

BENCHMARK(BM_PushReadNdjson)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PushNdjsonBuffers)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PushJsonLines)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PushCApiLines)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PushEventBuilder)->Unit(benchmark::kMillisecond)->Iterations(3);
