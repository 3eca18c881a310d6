// Embedding entry points on the same events, one thread: read_ndjson (the reference), push_ndjson over 1 MiB
// buffers, push_json one line at a time, the C API's eqlc_engine_push_json, and the event builder (events given as
// compact records of fields, as an embedder holds them: the builder's cost only; flattening the JSON into them is
// done before timing), with every field set or only the fields the rules read. The WMI rule over
// the first 200,000 lines of build/bench-data/events-1000000-h200-s42.ndjson (bench/run-throughput makes it;
// skipped when absent). Events/s is the items_per_second column.
//
//   build/release/bench/eqlc_bench --benchmark_filter=Push
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>
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
// Events as an embedder holds them before it builds them: its own compact records (here: every event's fields in
// one array, names interned, string bytes in one arena), not a JSON DOM, whose scattered nodes would make the
// benchmark measure cache misses in the DOM rather than the builder.
struct FlatField {
    enum class Kind : uint8_t { string, integer, floating, boolean, element };  // element: a string array item
    uint32_t name = 0;
    Kind kind = Kind::string;
    uint32_t begin = 0, size = 0;  // string bytes in the arena
    int64_t integer = 0;
    double floating = 0;
    bool boolean = false;
};

struct FlatEvents {
    std::vector<std::string> names;
    std::string arena;
    std::vector<FlatField> fields;
    std::vector<uint32_t> starts;  // event i is fields[starts[i], starts[i + 1])
};

void flatten(const nlohmann::json& j, const std::string& prefix, FlatEvents& out,
             std::unordered_map<std::string, uint32_t>& ids) {
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out, ids);
        return;
    }
    auto [it, added] = ids.emplace(prefix, static_cast<uint32_t>(out.names.size()));
    if (added) out.names.push_back(prefix);
    auto string_field = [&](const std::string& text, FlatField::Kind kind) {
        FlatField f{it->second, kind, static_cast<uint32_t>(out.arena.size()), static_cast<uint32_t>(text.size())};
        out.arena += text;
        out.fields.push_back(f);
    };
    if (j.is_string()) {
        string_field(j.get_ref<const std::string&>(), FlatField::Kind::string);
    } else if (j.is_number_integer()) {
        FlatField f{it->second, FlatField::Kind::integer};
        f.integer = j.get<int64_t>();
        out.fields.push_back(f);
    } else if (j.is_number()) {
        FlatField f{it->second, FlatField::Kind::floating};
        f.floating = j.get<double>();
        out.fields.push_back(f);
    } else if (j.is_boolean()) {
        FlatField f{it->second, FlatField::Kind::boolean};
        f.boolean = j.get<bool>();
        out.fields.push_back(f);
    } else if (j.is_array()) {
        for (const auto& x : j)
            if (x.is_string()) string_field(x.get_ref<const std::string&>(), FlatField::Kind::element);
    }
}

const FlatEvents& flat_events() {
    static const FlatEvents all = [] {
        FlatEvents out;
        std::unordered_map<std::string, uint32_t> ids;
        for (const auto& l : lines()) {
            out.starts.push_back(static_cast<uint32_t>(out.fields.size()));
            flatten(nlohmann::json::parse(l), "", out, ids);
        }
        out.starts.push_back(static_cast<uint32_t>(out.fields.size()));
        return out;
    }();
    return all;
}

// Builds and pushes every event; with `only_read`, sets only the fields the rules read (Engine::fields(), the
// builder's documented use: the others cost nothing), else every field.
void push_built(benchmark::State& state, bool only_read) {
    if (!have_events(state)) return;
    const FlatEvents& events = flat_events();
    uint64_t matches = 0;
    for (auto _ : state) {
        auto e = engine(matches);
        std::vector<bool> read(events.names.size(), !only_read);
        if (only_read) {
            const auto fields = e->fields();
            for (size_t n = 0; n < events.names.size(); ++n)
                read[n] = std::find(fields.begin(), fields.end(), events.names[n]) != fields.end();
        }
        eqlc::EventBuilder b = e->event();
        for (size_t i = 0; i + 1 < events.starts.size(); ++i) {
            b.clear();
            for (uint32_t k = events.starts[i]; k < events.starts[i + 1]; ++k) {
                const FlatField& f = events.fields[k];
                if (!read[f.name]) continue;
                const std::string& name = events.names[f.name];
                const std::string_view text(events.arena.data() + f.begin, f.size);
                switch (f.kind) {
                    case FlatField::Kind::string: b.set(name, text); break;
                    case FlatField::Kind::element: b.append(name, text); break;
                    case FlatField::Kind::integer: b.set(name, f.integer); break;
                    case FlatField::Kind::floating: b.set(name, f.floating); break;
                    case FlatField::Kind::boolean: b.set(name, f.boolean); break;
                }
            }
            e->push(b);
        }
        e->finish();
    }
    report(state, matches);
}

void BM_PushEventBuilder(benchmark::State& state) { push_built(state, false); }
void BM_PushEventBuilderReadFields(benchmark::State& state) { push_built(state, true); }

}  // namespace

BENCHMARK(BM_PushReadNdjson)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PushNdjsonBuffers)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PushJsonLines)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PushCApiLines)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PushEventBuilder)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_PushEventBuilderReadFields)->Unit(benchmark::kMillisecond)->Iterations(3);
