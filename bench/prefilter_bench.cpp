// The line prefilter alone: Hyperscan scan of blocks of NDJSON lines plus the per-line decision, for the WMI rule's
// two terms and for the required text of every corpus rule that has one (hundreds of needles), over generated
// ECS-like lines. Shows that the cost is one pass over the text, whatever the number of needles.
//
//   build-release/bench/eqlc_bench --benchmark_filter=Prefilter
//
// bytes_per_second is the NDJSON text rate, items_per_second lines/s; the "candidates" counter is the share of
// lines let through.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "eqlc/rule_loader.hpp"
#include "input/line_filter.hpp"

namespace {

constexpr int kLines = 50'000;

const std::string& lines() {
    static const std::string text = [] {
        std::mt19937 rng(7);
        const char* names[] = {"svchost.exe", "chrome.exe", "Teams.exe", "explorer.exe", "WmiPrvSE.exe", "java"};
        const char* categories[] = {"process", "network", "file"};
        std::string out;
        char line[1024];
        for (int i = 0; i < kLines; ++i) {
            const char* name = names[rng() % 6];
            std::snprintf(line, sizeof line,
                          R"({"@timestamp":"2024-05-01T08:00:%02d.%03dZ","event":{"category":["%s"],"type":["start"],)"
                          R"("dataset":"endpoint.events.process"},"host":{"id":"%08x-0ac4-4ac6-a3ee-a12d53dd1e29",)"
                          R"("name":"WS-%04u","os":{"type":"windows"}},"process":{"pid":%u,"name":"%s",)"
                          R"("executable":"C:\\Windows\\System32\\%s","parent":{"pid":%u,"name":"services.exe"}},)"
                          R"("user":{"id":"S-1-5-21-1004336348-1003","name":"carol"}})"
                          "\n",
                          i % 60, i % 1000, categories[rng() % 3], static_cast<unsigned>(rng()),
                          static_cast<unsigned>(rng() % 200), static_cast<unsigned>(rng() % 60000), name, name,
                          static_cast<unsigned>(rng() % 60000));
            out += line;
        }
        return out;
    }();
    return text;
}

// The required text of every term of `query`; false when some term has none (no filter possible).
bool add_terms(const std::string& query, std::vector<eqlc::compiler::RequiredText>& out) {
    eqlc::vm::FieldCatalog catalog;
    auto result = eqlc::compiler::compile_query(query, {}, catalog);
    if (!result.ok()) return false;
    std::vector<eqlc::compiler::RequiredText> terms;
    for (const auto& t : result.query->terms) terms.push_back(t.required);
    if (result.query->until) terms.push_back(result.query->until->required);
    for (const auto& t : terms)
        if (t.unconditional()) return false;
    for (auto& t : terms)
        if (!t.never) out.push_back(std::move(t));
    return true;
}

void run(benchmark::State& state, const std::vector<eqlc::compiler::RequiredText>& terms) {
    std::string error;
    auto filter = eqlc::input::LineFilter::create(terms, &error);
    if (!filter) {
        state.SkipWithError(error.c_str());
        return;
    }
    eqlc::input::LineScanner scanner(*filter);
    const std::string& text = lines();
    constexpr size_t kBlock = size_t{1} << 20;
    size_t candidates = 0;
    for (auto _ : state) {
        candidates = 0;
        size_t begin = 0;
        while (begin < text.size()) {
            // Blocks of whole lines, as the reader hands them over.
            size_t stop = std::min(text.size(), begin + kBlock);
            if (stop < text.size()) stop = text.rfind('\n', stop - 1) + 1;
            scanner.scan(text.data() + begin, stop - begin);
            while (begin < stop) {
                const size_t end = text.find('\n', begin);
                candidates += scanner.may_match(text.data() + begin, end - begin);
                begin = end + 1;
            }
        }
        benchmark::DoNotOptimize(candidates);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kLines);
    state.counters["candidates"] = static_cast<double>(candidates) / kLines;
    state.counters["anchors"] = static_cast<double>(filter->anchor_count());
    state.counters["terms"] = static_cast<double>(filter->term_count());
}

void BM_Prefilter_WmiRule(benchmark::State& state) {
    std::ifstream in(std::string(EQLC_SOURCE_DIR) + "/rules/wmi_incoming_lateral_movement.eql");
    std::stringstream text;
    text << in.rdbuf();
    std::vector<eqlc::compiler::RequiredText> terms;
    if (!add_terms(text.str(), terms)) {
        state.SkipWithError("the WMI rule has a term without required text");
        return;
    }
    run(state, terms);
}
BENCHMARK(BM_Prefilter_WmiRule)->Unit(benchmark::kMillisecond);

// Every corpus rule whose terms all have required text, together (as if all were loaded and the others were not).
void BM_Prefilter_CorpusRules(benchmark::State& state) {
    const std::filesystem::path corpus = std::filesystem::path(EQLC_SHARED_DIR) / "corpus" / "detection-rules";
    if (!std::filesystem::exists(corpus)) {
        state.SkipWithError("../shared/corpus/detection-rules is absent");
        return;
    }
    std::vector<eqlc::compiler::RequiredText> terms;
    int rules = 0;
    const auto folder = eqlc::rules::load_rule_folder(corpus);
    for (const auto* rule : folder.rules()) rules += add_terms(rule->query, terms);
    state.counters["rules"] = rules;
    run(state, terms);
}
BENCHMARK(BM_Prefilter_CorpusRules)->Unit(benchmark::kMillisecond);

}  // namespace
