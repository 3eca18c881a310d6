// Input throughput: reading and projecting generated ECS-like NDJSON (nested process/network objects, arrays,
// unreferenced bulk) onto 0 to 17 referenced fields, against full simdjson DOM parses of the same text as the floor;
// and the event-time parser on its common and general forms.
//
//   build-release/bench/eqlc_bench --benchmark_filter='Reader|Dom|Nlohmann|Timestamp'
//
// items_per_second is events/s (timestamps/s for the timestamp parser), bytes_per_second the NDJSON text rate.
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "input/json_projection.hpp"
#include "input/ndjson_reader.hpp"
#include "input/projection.hpp"
#include "values/timestamp.hpp"
#include "values/field_catalog.hpp"

namespace {

using eqlc::input::NdjsonReader;
using eqlc::input::ProjectionPlan;
using eqlc::vm::FieldType;

constexpr int kEvents = 100'000;

const std::string& ndjson() {
    static const std::string text = [] {
        std::mt19937 rng(42);
        const char* categories[] = {"process", "network", "file", "registry"};
        const char* names[] = {"cmd.exe", "powershell.exe", "svchost.exe", "explorer.exe", "rundll32.exe"};
        std::string out;
        out.reserve(size_t{kEvents} * 900);
        for (int i = 0; i < kEvents; ++i) {
            const char* category = categories[rng() % 4];
            const char* name = names[rng() % 5];
            char line[2048];
            std::snprintf(
                line, sizeof line,
                R"({"@timestamp":"2024-05-01T10:%02d:%02d.%06dZ","agent":{"id":"%08x-1c2d-4e5f-8a9b-0c1d2e3f4a5b",)"
                R"("type":"endpoint","version":"8.13.0"},"ecs":{"version":"8.11.0"},)"
                R"("event":{"category":["%s"],"type":["start"],"action":"exec","kind":"event","id":"%u",)"
                R"("ingested":"2024-05-01T10:00:01Z","dataset":"endpoint.events.process"},)"
                R"("host":{"name":"WS-%04d","os":{"family":"windows","name":"Windows 10","version":"10.0"},)"
                R"("ip":["10.%d.%d.%d","fe80::1"],"mac":["00-11-22-33-44-55"]},)"
                R"("process":{"pid":%u,"name":"%s","executable":"C:\\Windows\\System32\\%s",)"
                R"("args":["%s","/c","whoami"],"command_line":"%s /c whoami","entity_id":"e%u",)"
                R"("parent":{"pid":%u,"name":"explorer.exe","executable":"C:\\Windows\\explorer.exe"},)"
                R"("hash":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},)"
                R"("user":{"name":"user%d","domain":"CORP","id":"S-1-5-21-%u"},)"
                R"("source":{"ip":"10.0.%d.%d","port":%d},"destination":{"ip":"192.168.%d.%d","port":%d},)"
                R"("network":{"protocol":"tcp","direction":"egress","transport":"tcp"},)"
                R"("file":{"path":"C:\\Users\\user%d\\file%d.txt","extension":"txt","size":%d}})"
                "\n",
                i / 60 % 60, i % 60, i % 1000000, static_cast<unsigned>(rng()), category, static_cast<unsigned>(rng()),
                i % 500, i % 256, (i / 256) % 256, i % 7, static_cast<unsigned>(rng() % 65536), name, name, name, name,
                static_cast<unsigned>(i), static_cast<unsigned>(rng() % 65536), i % 100, static_cast<unsigned>(rng()),
                i % 256, i % 200, 1024 + i % 50000, i % 256, i % 100, 443, i % 100, i, i % 100000);
            out += line;
        }
        return out;
    }();
    return text;
}

// The 17 fields a typical rule set reads (the first `count` of them).
constexpr const char* kPaths[] = {
    "@timestamp",         "event.category", "process.name", "event.type",          "event.action",
    "process.executable", "process.args",   "process.pid",  "process.parent.name", "process.parent.executable",
    "user.name",          "host.name",      "source.ip",    "destination.ip",      "destination.port",
    "network.protocol",   "file.path"};
constexpr int kAllFields = static_cast<int>(std::size(kPaths));

struct Catalog {
    eqlc::vm::FieldCatalog catalog;
    std::unique_ptr<ProjectionPlan> plan;
    explicit Catalog(int count) {
        for (int i = 0; i < count; ++i) catalog.intern(kPaths[i]);
        if (auto ip = catalog.find("destination.ip")) catalog.set_type(*ip, FieldType::ip);
        if (auto name = catalog.find("process.name")) catalog.set_type(*name, FieldType::keyword);
        eqlc::input::ProjectionOptions options;
        options.timestamp_slot = catalog.find("@timestamp");
        plan = std::make_unique<ProjectionPlan>(catalog, options);
    }
};

const Catalog& catalog(int count = kAllFields) {
    static std::map<int, std::unique_ptr<Catalog>> catalogs;
    auto& c = catalogs[count];
    if (!c) c = std::make_unique<Catalog>(count);
    return *c;
}

std::string gzip(const std::string& text) {
    z_stream zs{};
    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&zs, text.size()), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

void finish(benchmark::State& state, uint64_t events) {
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(events));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(ndjson().size()));
    state.counters["events"] = static_cast<double>(events);
}

void drain(benchmark::State& state, NdjsonReader& reader, uint64_t& events) {
    eqlc::vm::EventRecord record;
    uint64_t n = 0;
    while (reader.next(record)) {
        benchmark::DoNotOptimize(record.values.data());
        ++n;
    }
    if (n != kEvents || reader.stats().bad_lines != 0) state.SkipWithError("unexpected event count");
    events = n;
}

void BM_ReaderProjectMemory(benchmark::State& state) {
    const std::string& text = ndjson();
    uint64_t events = 0;
    eqlc::input::ReaderOptions options;
    const ProjectionPlan& plan = *catalog(static_cast<int>(state.range(0))).plan;
    options.validate = state.range(1) != 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto reader = NdjsonReader::from_string(text, "bench", plan, options);  // copies the text
        state.ResumeTiming();
        drain(state, *reader, events);
    }
    finish(state, events);
}
BENCHMARK(BM_ReaderProjectMemory)
    ->ArgNames({"fields", "validate"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({3, 0})
    ->Args({kAllFields, 0})
    ->Args({kAllFields, 1})
    ->Unit(benchmark::kMillisecond);

void BM_ReaderProjectFile(benchmark::State& state) {
    const bool compressed = state.range(0) != 0;
    const auto path = std::filesystem::temp_directory_path() /
                      ("eqlc_reader_bench_" + std::to_string(::getpid()) + (compressed ? ".ndjson.gz" : ".ndjson"));
    std::ofstream(path, std::ios::binary) << (compressed ? gzip(ndjson()) : ndjson());
    uint64_t events = 0;
    for (auto _ : state) {
        auto opened = NdjsonReader::open(path.string(), *catalog().plan);
        if (!opened) {
            state.SkipWithError(opened.error.message.c_str());
            break;
        }
        drain(state, *opened.reader, events);
    }
    std::filesystem::remove(path);
    finish(state, events);
}
BENCHMARK(BM_ReaderProjectFile)->ArgName("gzip")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The floor: a full DOM parse of every line (simdjson picks the best kernel for the CPU at run time).
void BM_DomParsePerLine(benchmark::State& state) {
    const std::string& text = ndjson();
    simdjson::padded_string padded(text);
    simdjson::dom::parser parser;
    uint64_t events = 0;
    for (auto _ : state) {
        events = 0;
        const char* p = padded.data();
        const char* end = p + text.size();
        while (p < end) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
            if (nl == nullptr) nl = end;
            simdjson::dom::element doc;
            if (parser.parse(p, static_cast<size_t>(nl - p), false).get(doc) != simdjson::SUCCESS) {
                state.SkipWithError("parse error");
                break;
            }
            benchmark::DoNotOptimize(doc);
            ++events;
            p = nl + 1;
        }
    }
    finish(state, events);
}
BENCHMARK(BM_DomParsePerLine)->Unit(benchmark::kMillisecond);

// The floor with batching: simdjson's parse_many over the whole text.
void BM_DomParseMany(benchmark::State& state) {
    const std::string& text = ndjson();
    simdjson::padded_string padded(text);
    simdjson::dom::parser parser;
    uint64_t events = 0;
    for (auto _ : state) {
        events = 0;
        simdjson::dom::document_stream stream;
        if (parser.parse_many(padded).get(stream) != simdjson::SUCCESS) {
            state.SkipWithError("parse_many error");
            break;
        }
        for (auto doc : stream) {
            benchmark::DoNotOptimize(doc);
            ++events;
        }
    }
    finish(state, events);
}
BENCHMARK(BM_DomParseMany)->Unit(benchmark::kMillisecond);

// For scale: what a library user gets by parsing with nlohmann::json and projecting.
void BM_NlohmannParseProject(benchmark::State& state) {
    const std::string& text = ndjson();
    eqlc::vm::EventRecord record;
    eqlc::input::RecordBuilder builder;
    uint64_t events = 0;
    for (auto _ : state) {
        events = 0;
        size_t pos = 0;
        while (pos < text.size()) {
            const size_t nl = text.find('\n', pos);
            const auto event = nlohmann::json::parse(text.begin() + static_cast<std::ptrdiff_t>(pos),
                                                     text.begin() + static_cast<std::ptrdiff_t>(nl));
            eqlc::input::project(event, *catalog().plan, record, builder);
            benchmark::DoNotOptimize(record.values.data());
            ++events;
            pos = nl + 1;
        }
    }
    finish(state, events);
}
BENCHMARK(BM_NlohmannParseProject)->Unit(benchmark::kMillisecond);

// Event times as the reader parses them, 1000 different values per shape: 0 the common shape (the fast path),
// 1 with a UTC offset, 2 with a space and a comma (the general ISO-8601 parser), 3 epoch milliseconds as text.
void BM_ParseTimestamp(benchmark::State& state) {
    std::vector<std::string> texts;
    char text[64];
    for (int i = 0; i < 1000; ++i) {
        const int day = 1 + i % 28, hour = i % 24, minute = i % 60, second = i * 7 % 60, millis = i * 37 % 1000;
        switch (state.range(0)) {
            case 0:
                std::snprintf(text, sizeof text, "2024-05-%02dT%02d:%02d:%02d.%03dZ", day, hour, minute, second,
                              millis);
                break;
            case 1:
                std::snprintf(text, sizeof text, "2024-05-%02dT%02d:%02d:%02d.%03d+02:00", day, hour, minute, second,
                              millis);
                break;
            case 2:
                std::snprintf(text, sizeof text, "2024-05-%02d %02d:%02d:%02d,%03dZ", day, hour, minute, second,
                              millis);
                break;
            default: std::snprintf(text, sizeof text, "%lld", 1714550400000LL + i * 86'400'017LL); break;
        }
        texts.emplace_back(text);
    }
    for (auto _ : state) {
        for (const std::string& t : texts) benchmark::DoNotOptimize(eqlc::input::parse_timestamp(t));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(texts.size()));
}
BENCHMARK(BM_ParseTimestamp)->ArgName("shape")->Arg(0)->Arg(1)->Arg(2)->Arg(3);

}  // namespace
