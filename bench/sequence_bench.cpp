// Sequence runtime benchmarks: push throughput of a 2-stage sequence with maxspan 20s, with 200 and with
// 1,000,000 active keys, and the memory of one pending partial sequence.
//
//   build/bench/eqlc_bench --benchmark_filter=Sequence
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "sequence/sequence_matcher.hpp"

namespace {

using namespace eqlc::sequence;

constexpr int64_t kSec = 1'000'000'000;

std::vector<std::string> make_keys(size_t n) {
    // Realistic join keys: an entity id string (36 bytes, like a GUID-ish process.entity_id).
    std::vector<std::string> keys(n);
    char buf[64];
    for (size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "%08zx-4d3c-9b1a-%012zx", i * 2654435761u % 0xffffffffu, i);
        const eqlc::vm::Value v = eqlc::vm::Value::of_string(buf);
        keys[i] = encode_key(std::span<const eqlc::vm::Value>(&v, 1));
    }
    return keys;
}

const std::string kSource =
    R"({"@timestamp":"2024-05-01T10:00:00.000Z","event":{"category":["process"],"type":["start"]},)"
    R"("process":{"entity_id":"x","name":"cmd.exe","pid":4242},"host":{"name":"ws-01"}})";

// Stream: keys in a fixed random order, one pass over all keys spans 10s of event time. In the first pass each
// event starts a sequence for its key; afterwards each event hits both stages for its key (as in
// `sequence by k [process] [process]`): it completes the key's pending sequence and starts the next one. So
// every key stays active (maxspan 20s) and, after the first pass, every event produces a match.
void BM_SequencePush(benchmark::State& state) {
    const auto n = static_cast<size_t>(state.range(0));
    const auto keys = make_keys(n);
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(42));

    SequenceSpec spec;
    spec.missing = {false, false};
    spec.maxspan_ns = 20 * kSec;
    uint64_t matches = 0;
    SequenceMatcher m(spec, [&](const SequenceMatch&) { ++matches; });
    const int64_t step = 10 * kSec / static_cast<int64_t>(n);
    uint64_t i = 0;
    auto push_one = [&] {
        const KeyView k = keys[order[i % n]];
        const StageHit hits[2] = {{0, k}, {1, k}};
        m.on_event(EventInfo{i, static_cast<int64_t>(i) * step, kSource},
                   std::span<const StageHit>(hits, i < n ? 1 : 2));
        ++i;
    };
    for (size_t k = 0; k < n; ++k) push_one();  // warm: every key has a pending partial
    for (auto _ : state) push_one();
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.counters["keys"] = static_cast<double>(m.stats().keys);
    state.counters["matches"] = static_cast<double>(matches);
    state.counters["state_MB"] = static_cast<double>(m.stats().state_bytes) / 1e6;
}
BENCHMARK(BM_SequencePush)->Arg(200)->Arg(1'000'000)->Unit(benchmark::kNanosecond);

// Bytes per pending partial: 1,000,000 keys, each with one stage-0 partial, no source text (the event's own
// text is data, not overhead). Reports the matcher's own accounting, its container-capacity estimate and the
// malloc heap growth, each divided by the number of partials, and the key's encoded size.
void BM_SequenceBytesPerPartial(benchmark::State& state) {
    const size_t n = 1'000'000;
    const auto keys = make_keys(n);
    for (auto _ : state) {
        SequenceSpec spec;
        spec.missing = {false, false};
        spec.maxspan_ns = 20 * kSec;
        const size_t before = mallinfo2().uordblks;
        auto m = std::make_unique<SequenceMatcher>(spec, nullptr);
        for (size_t i = 0; i < n; ++i) {
            StageHit hit{0, keys[i]};
            m->on_event(EventInfo{i, static_cast<int64_t>(i), {}}, std::span<const StageHit>(&hit, 1));
        }
        const size_t after = mallinfo2().uordblks;
        const double partials = static_cast<double>(m->stats().pending_partials);
        state.counters["partials"] = partials;
        state.counters["key_bytes"] = static_cast<double>(keys[0].size());
        state.counters["accounted_B_per_partial"] = static_cast<double>(m->stats().state_bytes) / partials;
        state.counters["capacity_B_per_partial"] = static_cast<double>(m->heap_bytes_estimate()) / partials;
        state.counters["malloc_B_per_partial"] = static_cast<double>(after - before) / partials;
        benchmark::DoNotOptimize(m);
    }
}
BENCHMARK(BM_SequenceBytesPerPartial)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
