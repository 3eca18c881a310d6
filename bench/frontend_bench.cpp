// Front-end throughput over the production rule corpus (../shared/corpus/detection-rules/queries):
// how many real queries per second the parser (and the printer) get through.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "semantics/checker.hpp"
#include "syntax/parser.hpp"
#include "syntax/printer.hpp"

namespace {

struct Corpus {
    std::vector<std::string> queries;
    size_t bytes = 0;
    std::string error;  // set when the corpus could not be read
};

// Read once, on first use, outside every timed loop.
const Corpus& rule_corpus() {
    static const Corpus corpus = [] {
        Corpus c;
        const std::filesystem::path dir = std::filesystem::path(EQLC_SHARED_DIR) / "corpus/detection-rules/queries";
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) {
            c.error = "rule corpus not found at " + dir.string() + " (configure with -DEQLC_SHARED_DIR=<shared>)";
            return c;
        }
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            if (entry.path().extension() == ".eql") files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            std::ifstream in(file, std::ios::binary);
            std::ostringstream text;
            text << in.rdbuf();
            c.queries.push_back(std::move(text).str());
            c.bytes += c.queries.back().size();
        }
        if (c.queries.empty()) c.error = "no .eql files in " + dir.string();
        return c;
    }();
    return corpus;
}

void report(benchmark::State& state, const Corpus& corpus, size_t failed) {
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.queries.size()));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.bytes));
    state.counters["queries"] = static_cast<double>(corpus.queries.size());
    state.counters["failed"] = static_cast<double>(failed);  // per iteration; should be 0 on this corpus
}

// Runs `one` (query text -> succeeded?) over every corpus query per iteration and reports the figures.
template <typename One>
void over_corpus(benchmark::State& state, One&& one) {
    const Corpus& corpus = rule_corpus();
    if (!corpus.error.empty()) {
        state.SkipWithError(corpus.error.c_str());
        return;
    }
    size_t failed = 0;
    for (auto _ : state) {
        failed = 0;
        for (const std::string& query : corpus.queries)
            if (!one(query)) ++failed;
    }
    report(state, corpus, failed);
}

void BM_parse_rule_corpus(benchmark::State& state) {
    over_corpus(state, [](const std::string& query) {
        eqlc::syntax::ParseResult result = eqlc::syntax::parse_query(query);
        benchmark::DoNotOptimize(result);
        return result.ok();
    });
}
BENCHMARK(BM_parse_rule_corpus)->Unit(benchmark::kMillisecond);

void BM_parse_print_rule_corpus(benchmark::State& state) {
    over_corpus(state, [](const std::string& query) {
        eqlc::syntax::ParseResult result = eqlc::syntax::parse_query(query);
        if (!result.ok()) return false;
        std::string printed = eqlc::syntax::print_query(*result.query);
        benchmark::DoNotOptimize(printed);
        return true;
    });
}
BENCHMARK(BM_parse_print_rule_corpus)->Unit(benchmark::kMillisecond);

// The front end as issue #2 measures it: parse and check every query (goal: all 562 in under 50 ms).
void BM_parse_check_rule_corpus(benchmark::State& state) {
    over_corpus(state, [](const std::string& query) {
        eqlc::syntax::ParseResult result = eqlc::syntax::parse_query(query);
        benchmark::DoNotOptimize(result);
        return result.ok() && eqlc::semantics::check_query(*result.query).empty();
    });
}
BENCHMARK(BM_parse_check_rule_corpus)->Unit(benchmark::kMillisecond);

// The whole front end down to bytecode: parse, check, resolve, normalise, generate every program.
void BM_compile_rule_corpus(benchmark::State& state) {
    over_corpus(state, [](const std::string& query) {
        eqlc::vm::FieldCatalog catalog;
        auto compiled = eqlc::compiler::compile_query(query, {}, catalog);
        benchmark::DoNotOptimize(compiled);
        return compiled.ok();
    });
}
BENCHMARK(BM_compile_rule_corpus)->Unit(benchmark::kMillisecond);

}  // namespace
