// Embedding entry points on the same events, one thread: read_ndjson (the reference), push_ndjson over 1 MiB
// buffers, push_json one line at a time, the C API's eqlc_engine_push_json (and its builder through field numbers),
// and the event builder (events given as compact records of fields, as an embedder holds them: the builder's cost
// only; flattening the JSON into them is done before timing), with every field set or only the fields the rules
// read, those by name or through field ids. Making and freeing the engine are not timed. The WMI rule over the
// first 200,000 lines of build/bench-data/events-1000000-h200-s42.ndjson (bench/run-throughput makes it; skipped
// when absent). Events/s is the items_per_second column.
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

// A query the line prefilter cannot help (a number test needs no text): every event is projected and run, which
// is the builder's other case, events that concern some rule.
constexpr const char* kUnfilteredQuery = "any where process.pid == 123456789";

std::unique_ptr<eqlc::Engine> engine(uint64_t& matches, bool unfiltered = false) {
    auto created = eqlc::Engine::create({{unfiltered ? kUnfilteredQuery : rule_text(), "wmi"}});
    created.engine->on_match([&matches](const eqlc::Match&) { ++matches; });
    return std::move(created.engine);
}

// Making an engine (compiling the rule and its prefilter: milliseconds, and more when the heap has to grow) and
// freeing it are left out of the timing: the figure is what feeding events costs.
std::unique_ptr<eqlc::Engine> untimed_engine(benchmark::State& state, uint64_t& matches, bool unfiltered = false) {
    state.PauseTiming();
    auto e = engine(matches, unfiltered);
    state.ResumeTiming();
    return e;
}

template <class Engine>
void untimed_free(benchmark::State& state, Engine& e) {
    state.PauseTiming();
    e.reset();
    state.ResumeTiming();
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
        auto e = untimed_engine(state, matches);
        eqlc::Diagnostic error;
        e->read_ndjson(path.string(), {}, &error);
        e->finish();
        untimed_free(state, e);
    }
    std::filesystem::remove(path);
    report(state, matches);
}

void BM_PushNdjsonBuffers(benchmark::State& state) {
    if (!have_events(state)) return;
    uint64_t matches = 0;
    const std::string& all = text();
    for (auto _ : state) {
        auto e = untimed_engine(state, matches);
        for (size_t at = 0; at < all.size();) {
            size_t end = std::min(all.size(), at + (size_t{1} << 20));
            end = all.find('\n', end == all.size() ? all.size() - 1 : end);
            end = end == std::string::npos ? all.size() : end + 1;
            e->push_ndjson(std::string_view(all).substr(at, end - at));
            at = end;
        }
        e->finish();
        untimed_free(state, e);
    }
    report(state, matches);
}

void push_lines(benchmark::State& state, bool unfiltered) {
    if (!have_events(state)) return;
    uint64_t matches = 0;
    for (auto _ : state) {
        auto e = untimed_engine(state, matches, unfiltered);
        for (const auto& l : lines()) e->push_json(l);
        e->finish();
        state.counters["skipped"] = static_cast<double>(e->stats().skipped_events);
        untimed_free(state, e);
    }
    report(state, matches);
}

void BM_PushJsonLines(benchmark::State& state) { push_lines(state, false); }
void BM_PushJsonLinesUnfiltered(benchmark::State& state) { push_lines(state, true); }

// The rule through the C API, counting its alerts in `matches`.
eqlc_engine* c_engine(const std::string& rule, uint64_t& matches) {
    char* error = nullptr;
    eqlc_engine* e = eqlc_engine_from_query(rule.c_str(), nullptr, &error);
    eqlc_free(error);
    eqlc_engine_on_alert(
        e, [](void* user, const char*, size_t) { ++*static_cast<uint64_t*>(user); }, &matches);
    return e;
}

void BM_PushCApiLines(benchmark::State& state) {
    if (!have_events(state)) return;
    uint64_t matches = 0;
    const std::string rule = rule_text();
    for (auto _ : state) {
        state.PauseTiming();
        eqlc_engine* e = c_engine(rule, matches);
        state.ResumeTiming();
        for (const auto& l : lines()) eqlc_engine_push_json(e, l.data(), l.size());
        eqlc_engine_finish(e);
        state.PauseTiming();
        eqlc_engine_free(e);
        state.ResumeTiming();
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

// Only the fields in `keep` of every event: what an embedder that maps just the fields the rules read holds.
FlatEvents only_fields(const FlatEvents& all, const std::vector<std::string>& keep) {
    FlatEvents out;
    out.names = all.names;
    std::vector<bool> read(all.names.size());
    for (size_t n = 0; n < all.names.size(); ++n)
        read[n] = std::find(keep.begin(), keep.end(), all.names[n]) != keep.end();
    for (size_t i = 0; i + 1 < all.starts.size(); ++i) {
        out.starts.push_back(static_cast<uint32_t>(out.fields.size()));
        for (uint32_t k = all.starts[i]; k < all.starts[i + 1]; ++k)
            if (read[all.fields[k].name]) {
                FlatField f = all.fields[k];
                f.begin = static_cast<uint32_t>(out.arena.size());
                out.arena.append(all.arena, all.fields[k].begin, f.size);
                out.fields.push_back(f);
            }
    }
    out.starts.push_back(static_cast<uint32_t>(out.fields.size()));
    // A copy made at once, as flat_events()' is: memory grown piece by piece read measurably slower here.
    return FlatEvents(out);
}

// Builds and pushes every event; with `only_read`, sets only the fields the rules read (Engine::fields(), the
// builder's documented use: the others cost nothing), else every field. Selecting those fields is the embedder's
// mapping, done before timing as the flattening is. With `ids`, the fields are named once (EventBuilder::field, as
// an embedder mapping its struct's members does when it starts) and set through their ids; else by name.
void push_built(benchmark::State& state, bool only_read, bool unfiltered = false, bool ids = false) {
    if (!have_events(state)) return;
    uint64_t matches = 0;
    const FlatEvents events =
        only_read ? only_fields(flat_events(), engine(matches, unfiltered)->fields()) : flat_events();
    for (auto _ : state) {
        auto e = untimed_engine(state, matches, unfiltered);
        eqlc::EventBuilder b = e->event();
        std::vector<eqlc::EventBuilder::FieldId> named;
        if (ids)
            for (const auto& name : events.names) named.push_back(b.field(name));
        const auto field = [&](uint32_t n) -> eqlc::EventBuilder::FieldRef {
            if (ids) return named[n];
            return events.names[n];
        };
        for (size_t i = 0; i + 1 < events.starts.size(); ++i) {
            b.clear();
            for (uint32_t k = events.starts[i]; k < events.starts[i + 1]; ++k) {
                const FlatField& f = events.fields[k];
                const eqlc::EventBuilder::FieldRef name = field(f.name);
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
        state.counters["skipped"] = static_cast<double>(e->stats().skipped_events);
        untimed_free(state, e);
    }
    report(state, matches);
    state.counters["fields"] = static_cast<double>(events.fields.size()) / static_cast<double>(kEvents);
}

// The C API's builder over the same records as push_built's `ids` case: the fields the rules read, each named once
// with eqlc_event_field and set with the _at setters.
void BM_PushCApiBuilderFieldNumbers(benchmark::State& state) {
    if (!have_events(state)) return;
    uint64_t matches = 0;
    const FlatEvents events = only_fields(flat_events(), engine(matches)->fields());
    const std::string rule = rule_text();
    for (auto _ : state) {
        state.PauseTiming();
        eqlc_engine* e = c_engine(rule, matches);
        eqlc_event* b = eqlc_event_new(e);
        std::vector<int> numbers;
        for (const auto& name : events.names) numbers.push_back(eqlc_event_field(b, name.c_str()));
        state.ResumeTiming();
        for (size_t i = 0; i + 1 < events.starts.size(); ++i) {
            eqlc_event_clear(b);
            for (uint32_t k = events.starts[i]; k < events.starts[i + 1]; ++k) {
                const FlatField& f = events.fields[k];
                const int n = numbers[f.name];
                const char* text = events.arena.data() + f.begin;
                switch (f.kind) {
                    case FlatField::Kind::string: eqlc_event_set_string_at(b, n, text, f.size); break;
                    case FlatField::Kind::element: eqlc_event_append_string_at(b, n, text, f.size); break;
                    case FlatField::Kind::integer: eqlc_event_set_int_at(b, n, f.integer); break;
                    case FlatField::Kind::floating: eqlc_event_set_double_at(b, n, f.floating); break;
                    case FlatField::Kind::boolean: eqlc_event_set_bool_at(b, n, f.boolean); break;
                }
            }
            eqlc_engine_push_event(e, b);
        }
        eqlc_engine_finish(e);
        state.PauseTiming();
        eqlc_event_free(b);
        eqlc_engine_free(e);
        state.ResumeTiming();
    }
    report(state, matches);
}

void BM_PushEventBuilder(benchmark::State& state) { push_built(state, false); }
void BM_PushEventBuilderReadFields(benchmark::State& state) { push_built(state, true); }
void BM_PushEventBuilderReadFieldsUnfiltered(benchmark::State& state) { push_built(state, true, true); }
void BM_PushEventBuilderFieldIds(benchmark::State& state) { push_built(state, true, false, true); }

}  // namespace

BENCHMARK(BM_PushReadNdjson)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_PushNdjsonBuffers)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_PushJsonLines)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_PushCApiLines)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_PushEventBuilder)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_PushEventBuilderReadFields)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_PushEventBuilderFieldIds)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_PushCApiBuilderFieldNumbers)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_PushJsonLinesUnfiltered)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_PushEventBuilderReadFieldsUnfiltered)->Unit(benchmark::kMillisecond)->Iterations(10);
