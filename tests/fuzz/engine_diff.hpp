// Differential check of the engine: one set of queries over one event stream, run several ways that must give
// the same matches and stats. Shared by the libFuzzer target (tests/fuzz/engine_diff_fuzz.cpp), which generates
// cases from its input, and the regression test (tests/unit/differential_regression_test.cpp), which replays the
// cases kept in tests/fuzz/regressions/engine/ (a case is stored as JSON: see case_to_json).
//
// The ways, each compared with the first:
//   push          Engine::push event by event (line prefilter off)
//   read          read_ndjson of the events as an NDJSON file, one thread
//   threads       read_ndjson with 2-4 threads and tiny chunks (bad-input reports also compared with `read`)
//   snapshot      push, with snapshot() and restore() into a fresh engine at the case's cut points
//   prefilter     read_ndjson with the line prefilter on: the same matches of each query, in the same order
//                 (stats count skipped lines instead; a skipped line does not move time, so a missing-event
//                 result may come with a later event, among other queries' results)
//   no index      push without the rule index (every query on every event; the others use the index)
//   sorted        sort_input over a shuffled copy of the timestamped events, against push of those events
//                 stably sorted by (timestamp, seq); `seq` (the event's place in the stream) is the tiebreaker
//                 field in every way, so the sorted order is total.
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eqlc/engine.hpp"

namespace eqlc::fuzz {

struct DiffCase {
    std::vector<std::string> queries;
    std::vector<std::string> events;  // NDJSON lines: json::dump() of objects, so push() sees the same text
    std::optional<uint64_t> size;     // EngineOptions::size
    bool head = false;                // result position head instead of tail
    uint32_t max_samples_per_key = 1;
    uint64_t max_keys = 1'000'000;
    std::vector<size_t> cuts;  // snapshot + restore before these event indexes (ascending)
    unsigned threads = 2;
    size_t chunk_bytes = 64;
    uint64_t shuffle_seed = 0;
};

inline nlohmann::json case_to_json(const DiffCase& c) {
    nlohmann::json j;
    j["queries"] = c.queries;
    j["events"] = c.events;
    j["size"] = c.size ? nlohmann::json(*c.size) : nlohmann::json(nullptr);
    j["head"] = c.head;
    j["max_samples_per_key"] = c.max_samples_per_key;
    j["max_keys"] = c.max_keys;
    j["cuts"] = c.cuts;
    j["threads"] = c.threads;
    j["chunk_bytes"] = c.chunk_bytes;
    j["shuffle_seed"] = c.shuffle_seed;
    return j;
}

inline DiffCase case_from_json(const nlohmann::json& j) {
    DiffCase c;
    c.queries = j.at("queries").get<std::vector<std::string>>();
    c.events = j.at("events").get<std::vector<std::string>>();
    if (!j.at("size").is_null()) c.size = j.at("size").get<uint64_t>();
    c.head = j.at("head").get<bool>();
    c.max_samples_per_key = j.at("max_samples_per_key").get<uint32_t>();
    c.max_keys = j.at("max_keys").get<uint64_t>();
    c.cuts = j.at("cuts").get<std::vector<size_t>>();
    c.threads = j.at("threads").get<unsigned>();
    c.chunk_bytes = j.at("chunk_bytes").get<size_t>();
    c.shuffle_seed = j.at("shuffle_seed").get<uint64_t>();
    return c;
}

// ---------------------------------------------------------------------------------------------------------
// Generating a case from fuzz bytes: a small vocabulary of fields and values so that queries match.

class ByteSource {
public:
    ByteSource(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    size_t pick(size_t n) { return n == 0 ? 0 : byte() % n; }
    bool chance(unsigned percent) { return pick(100) < percent; }
    template <size_t N>
    const char* one_of(const char* const (&choices)[N]) {
        return choices[pick(N)];
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

namespace detail {

inline const char* const kCategories[] = {"process", "file", "network", "any"};

inline std::string condition(ByteSource& in, int depth) {
    static const char* const kAtoms[] = {
        R"(host == "h1")",
        R"(host : "H2")",
        R"(host != "h1")",
        R"(user.name : "a")",
        R"(user.name == "b")",
        R"(pid > 1)",
        R"(pid == 2)",
        R"(pid in (1, 3))",
        R"(args : "x")",
        R"(n < 5)",
        R"(n >= 10)",
        R"(msg : "*b*")",
        R"(?nothing == null)",
        R"(host like~ "h*")",
        R"(true)",
        R"(startsWith(host, "h"))",
        R"(pid + 1 == 3)",
        R"(length(msg) > 2)",
        R"(stringContains(msg, "a"))",
        R"(user.name == null)",
        R"(msg : "tab\t")",
        R"(msg == "q\"uote")",
        R"(10 / n > 1)",
        R"(args == null)",
        R"(msg regex~ "A.*")",
        R"(host regex "h[0-9]")",
        R"(msg regex ".*\\\\b")",
        R"(n == 9007199254740993)",
        R"(n in (3, 10))",
    };
    const size_t form = depth < 2 ? in.pick(8) : 0;
    if (form < 5) return in.one_of(kAtoms);
    // The operands in order (the order of evaluation of `a() + b()` is unspecified).
    const std::string left = condition(in, depth + 1);
    if (form == 7) return "not (" + left + ")";
    const std::string right = condition(in, depth + 1);
    return form == 5 ? left + " and " + right : "(" + left + " or " + right + ")";
}

inline std::string filter(ByteSource& in) { return std::string(in.one_of(kCategories)) + " where " + condition(in, 0); }

inline std::string event_query(ByteSource& in) {
    std::string q = filter(in);
    if (in.chance(10)) q += in.chance(50) ? " | head 2" : " | tail 3";
    return q;
}

inline std::string sequence_query(ByteSource& in) {
    static const char* const kKeys[] = {"host", "user.name", "host, pid", "pid"};
    std::string q = "sequence";
    const bool sequence_by = in.chance(60);
    const bool stage_by = !sequence_by && in.chance(40);
    if (sequence_by) q += std::string(" by ") + in.one_of(kKeys);
    const bool maxspan = in.chance(50);
    if (maxspan) q += " with maxspan=" + std::to_string(1 + in.pick(6)) + "s";
    const size_t stages = 2 + in.pick(2);
    for (size_t i = 0; i < stages; ++i) {
        const bool missing = maxspan && i > 0 && in.chance(25);
        q += missing ? " ![" : " [";
        q += filter(in) + "]";
        if (stage_by) q += " by pid";
        if (!missing && in.chance(15)) q += " with runs=" + std::to_string(2 + in.pick(2));
    }
    if (in.chance(20)) q += " until [" + filter(in) + "]" + (stage_by ? " by pid" : "");
    if (in.chance(10)) q += in.chance(50) ? " | head 2" : " | tail 2";
    return q;
}

inline std::string sample_query(ByteSource& in) {
    static const char* const kKeys[] = {"host", "user.name", "host, pid"};
    std::string q = std::string("sample by ") + in.one_of(kKeys);
    const size_t stages = 2 + in.pick(2);
    for (size_t i = 0; i < stages; ++i) q += " [" + filter(in) + "]";
    return q;
}

inline nlohmann::json value(ByteSource& in, int kind) {
    using nlohmann::json;
    switch (kind) {
        case 0: {  // host
            static const char* const kHosts[] = {"h1", "h2", "H1", "h3"};
            const size_t form = in.pick(10);
            if (form == 0) return json::array({"h1", "h2"});
            if (form == 1) return 7;
            if (form == 2) return nullptr;
            return in.one_of(kHosts);
        }
        case 1: {  // user.name
            static const char* const kUsers[] = {"a", "A", "b", "\u212a"};
            return in.one_of(kUsers);
        }
        case 2: {  // pid
            const size_t form = in.pick(10);
            if (form == 0) return "2";
            if (form == 1) return in.chance(50) ? 2.5 : 2.0;
            if (form == 2) return json::array({1, 3});
            return 1 + in.pick(3);
        }
        case 3: {  // args
            const size_t form = in.pick(5);
            if (form == 0) return "x";
            if (form == 1) return json::array();
            if (form == 2) return json::array({1, "x"});
            return json::array({"y", "x"});
        }
        case 4: {  // n
            static const int64_t kNumbers[] = {0, -1, 3, 10, 1000, 9007199254740993};
            if (in.chance(10)) return "3";
            if (in.chance(10)) return 10.0;
            return kNumbers[in.pick(6)];
        }
        default: {  // msg
            static const char* const kMessages[] = {"abc", "tab\t", "q\"uote", "\u00e9b", "", "a\\b"};
            return in.one_of(kMessages);
        }
    }
}

inline std::string event(ByteSource& in, size_t seq, int64_t& clock_ms) {
    using nlohmann::json;
    json e = json::object();
    static const char* const kCategoryValues[] = {"process", "file", "network", "other"};
    if (in.chance(90)) {
        e["event"]["category"] = in.chance(10) ? json::array({"process", "file"}) : json(in.one_of(kCategoryValues));
    }
    // Mostly ascending times, with ties and some steps back.
    const size_t step = in.pick(8);
    if (step >= 4 && step < 7) clock_ms += 1000 * static_cast<int64_t>(step - 3);
    if (step == 7) clock_ms -= 1000 * static_cast<int64_t>(1 + in.pick(3));
    const size_t ts_form = in.pick(20);
    if (ts_form == 0)
        e["@timestamp"] = nullptr;  // no usable timestamp
    else if (ts_form != 1)
        e["@timestamp"] = clock_ms;
    e["seq"] = seq;
    static const char* const kFields[] = {"host", "user", "pid", "args", "n", "msg"};
    for (int kind = 0; kind < 6; ++kind) {
        if (!in.chance(75)) continue;
        json v = value(in, kind);
        if (kind == 1) {
            if (in.chance(15))
                e["user.name"] = v;  // a dotted key, as Elasticsearch flattens it
            else
                e["user"]["name"] = v;
        } else {
            e[kFields[kind]] = v;
        }
    }
    return e.dump();
}

}  // namespace detail

inline DiffCase generate_case(const uint8_t* data, size_t size) {
    ByteSource in(data, size);
    DiffCase c;
    const size_t queries = 1 + in.pick(4);
    for (size_t i = 0; i < queries; ++i) {
        const size_t kind = in.pick(10);
        c.queries.push_back(kind < 3   ? detail::event_query(in)
                            : kind < 8 ? detail::sequence_query(in)
                                       : detail::sample_query(in));
    }
    if (in.chance(15)) c.size = 1 + in.pick(4);
    c.head = in.chance(30);
    c.max_samples_per_key = in.chance(20) ? 2 : 1;
    if (in.chance(15)) c.max_keys = 1 + in.pick(3);
    c.threads = 2 + static_cast<unsigned>(in.pick(3));
    c.chunk_bytes = 16 + in.pick(200);
    c.shuffle_seed = in.byte();
    c.shuffle_seed = c.shuffle_seed * 256 + in.byte();
    const size_t events = 1 + in.pick(40);
    int64_t clock_ms = 1'700'000'000'000;
    for (size_t i = 0; i < events; ++i) c.events.push_back(detail::event(in, i, clock_ms));
    const size_t cuts = 1 + in.pick(3);
    for (size_t i = 0; i < cuts; ++i) c.cuts.push_back(in.pick(events + 1));
    std::sort(c.cuts.begin(), c.cuts.end());
    return c;
}

// ---------------------------------------------------------------------------------------------------------
// Running a case.

struct Observed {
    std::vector<std::string> matches;  // in delivery order: query, kind, keys, events (missing, source, time, ordinal)
    std::vector<MatchKind> kinds;      // of each match
    std::vector<std::string> reports;  // bad input: line (0 for pushed events) and message
    std::string stats;                 // the counters every way must agree on
    std::string failure;               // a way that could not run (read error, snapshot refused...)
};

inline std::string describe_stats(const EngineStats& s, bool with_event_counts) {
    std::ostringstream o;
    if (with_event_counts)
        o << "events " << s.events << " no-time " << s.events_without_timestamp << " out-of-order " << s.out_of_order
          << ' ';
    o << "bad " << s.bad_lines << " query-no-time " << s.query_events_without_timestamp << " late " << s.late_events
      << " eval-errors " << s.evaluation_errors << " truncated " << s.truncated_key_products << " evicted "
      << s.evicted_keys << " pending " << s.pending_partials << " state " << s.state_bytes << " matches";
    for (auto m : s.matches) o << ' ' << m;
    return o.str();
}

class DiffRunner {
public:
    // `scratch_file`: where the events are written for read_ndjson (overwritten).
    DiffRunner(const DiffCase& c, std::string scratch_file) : case_(c), file_(std::move(scratch_file)) {
        for (const auto& q : c.queries) sources_.push_back({q, "q" + std::to_string(sources_.size())});
        options_.query.tiebreaker_field = "seq";
        options_.size = c.size;
        options_.result_position = c.head ? ResultPosition::head : ResultPosition::tail;
        options_.max_samples_per_key = c.max_samples_per_key;
        options_.max_keys = c.max_keys;
        options_.line_prefilter = false;
    }

    // False when the generated queries are not a valid set (nothing to compare).
    bool valid() { return compiled(false) != nullptr; }

    // Matches of the reference way (push) in the last run().
    size_t matches() const { return matches_; }

    // "" when every way agrees, else which way differs first and how.
    std::string run() {
        const Observed pushed = push_all(case_.events, options_, {});
        matches_ = pushed.matches.size();
        {
            std::ofstream out(file_, std::ios::binary | std::ios::trunc);
            for (const auto& e : case_.events) out << e << '\n';
        }
        Engine::ReadOptions one;
        const Observed read = read_file(options_, one);
        Engine::ReadOptions many;
        many.threads = case_.threads;
        many.chunk_bytes = case_.chunk_bytes;
        const Observed threaded = read_file(options_, many);
        const Observed snapshotted = push_all(case_.events, options_, case_.cuts);
        EngineOptions filtered = options_;
        filtered.line_prefilter = true;
        const Observed prefiltered = read_file(filtered, one);
        EngineOptions unindexed = options_;
        unindexed.rule_index = false;
        const Observed plain = push_all(case_.events, unindexed, {});

        std::string d;
        if (!(d = compare("read", read, pushed, false, true)).empty()) return d;
        if (!(d = compare("threads", threaded, read, true, true)).empty()) return d;
        if (!(d = compare("snapshot", snapshotted, pushed, true, true)).empty()) return d;
        // The prefilter: skipped lines are counted apart, so only the matches are compared, query by query.
        if (!(d = compare("prefilter", by_query(prefiltered), by_query(read), false, false)).empty()) return d;
        if (!(d = compare("no index", plain, pushed, true, true)).empty()) return d;
        return compare_sorted();
    }

private:
    // The queries compiled once per prefilter and rule index setting (the compile-time options that differ between
    // ways).
    std::shared_ptr<const CompiledQueries> compiled(bool prefilter, bool index = true) {
        auto& set = !index ? unindexed_ : prefilter ? prefiltered_ : unfiltered_;
        if (!set) {
            EngineOptions options = options_;
            options.line_prefilter = prefilter;
            options.rule_index = index;
            set = CompiledQueries::compile(sources_, options).queries;
        }
        return set;
    }

    std::unique_ptr<Engine> create(const EngineOptions& options) {
        return Engine::create(compiled(options.line_prefilter, options.rule_index), options);
    }

    static void observe(Engine& engine, Observed& out) {
        engine.on_match([&out](const Match& m) {
            out.kinds.push_back(m.kind);
            nlohmann::json events = nlohmann::json::array();
            for (const auto& e : m.events) events.push_back({e.missing, e.source, e.timestamp_ns, e.ordinal});
            out.matches.push_back(nlohmann::json{m.query, match_kind_name(m.kind), m.join_keys, events}.dump());
        });
        engine.on_bad_input(
            [&out](const BadInput& bad) { out.reports.push_back(std::to_string(bad.line) + ": " + bad.message); });
    }

    Observed push_all(const std::vector<std::string>& events, const EngineOptions& options,
                      const std::vector<size_t>& cuts) {
        Observed out;
        auto engine = create(options);
        observe(*engine, out);
        size_t next_cut = 0;
        for (size_t i = 0; i <= events.size(); ++i) {
            while (next_cut < cuts.size() && cuts[next_cut] == i) {
                ++next_cut;
                std::string bytes;
                eqlc::Diagnostic error;
                if (!engine->snapshot(bytes, &error)) {
                    out.failure = "snapshot: " + error.message;
                    return out;
                }
                engine = create(options);
                if (!engine->restore(bytes, &error)) {
                    out.failure = "restore: " + error.message;
                    return out;
                }
                observe(*engine, out);
            }
            if (i < events.size()) engine->push(nlohmann::json::parse(events[i]));
        }
        engine->finish();
        out.stats = describe_stats(engine->stats(), true);
        return out;
    }

    Observed read_file(const EngineOptions& options, const Engine::ReadOptions& read) {
        Observed out;
        auto engine = create(options);
        observe(*engine, out);
        Diagnostic error;
        if (!engine->read_ndjson(file_, read, &error)) out.failure = "read_ndjson: " + error.message;
        engine->finish();
        out.stats = describe_stats(engine->stats(), true);
        return out;
    }

    // Events with a usable timestamp (the generator writes an integer or null/nothing).
    std::vector<std::string> timestamped() const {
        std::vector<std::string> out;
        for (const auto& e : case_.events)
            if (nlohmann::json::parse(e).value("@timestamp", nlohmann::json()).is_number()) out.push_back(e);
        return out;
    }

    std::string compare_sorted() {
        std::vector<std::string> events = timestamped();
        auto key = [](const std::string& e) {
            const auto j = nlohmann::json::parse(e);
            return std::pair<int64_t, uint64_t>(j.at("@timestamp").get<int64_t>(), j.at("seq").get<uint64_t>());
        };
        std::vector<std::string> sorted = events;
        std::stable_sort(sorted.begin(), sorted.end(),
                         [&](const std::string& a, const std::string& b) { return key(a) < key(b); });
        std::mt19937_64 random(case_.shuffle_seed);
        for (size_t i = events.size(); i > 1; --i) std::swap(events[i - 1], events[random() % i]);
        EngineOptions sorting = options_;
        sorting.sort_input = true;
        const Observed got = push_all(events, sorting, {});
        const Observed want = push_all(sorted, options_, {});
        // Samples need no order: sort_input runs them in arrival order (SEMANTICS 9), so their matches are those
        // of push() over the shuffled events, and the other queries' those of push() over the sorted ones.
        const Observed want_samples = push_all(events, options_, {});
        // (Their state, and so the eviction counters, depend on the order too: with samples only matches compare.)
        if (std::none_of(case_.queries.begin(), case_.queries.end(),
                         [](const std::string& q) { return q.rfind("sample", 0) == 0; }))
            return compare("sorted", got, want, true, true);
        auto only = [](const Observed& o, bool samples) {
            Observed out;
            out.failure = o.failure;
            for (size_t i = 0; i < o.matches.size(); ++i)
                if ((o.kinds[i] == MatchKind::sample) == samples) out.matches.push_back(o.matches[i]);
            return out;
        };
        std::string d = compare("sorted", only(got, false), only(want, false), true, false);
        if (d.empty()) d = compare("sorted samples", only(got, true), only(want_samples, true), true, false);
        return d;
    }

    static std::string first_difference(const char* what, const std::vector<std::string>& got,
                                        const std::vector<std::string>& want) {
        for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
            const std::string g = i < got.size() ? got[i] : "(none)";
            const std::string w = i < want.size() ? want[i] : "(none)";
            if (g != w)
                return std::string(what) + " #" + std::to_string(i) + " (" + std::to_string(got.size()) + " vs " +
                       std::to_string(want.size()) + "):\n  got  " + g + "\n  want " + w;
        }
        return "";
    }

    // Reports carry line numbers (0 when pushed), so they are compared only between ways that read the same way;
    // their messages are always compared unless `full` is false (the prefilter skips lines unreported).
    // The matches grouped by query, each query's in delivery order.
    static Observed by_query(const Observed& o) {
        std::vector<size_t> order(o.matches.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        auto query = [&](size_t i) { return nlohmann::json::parse(o.matches[i]).at(0).get<size_t>(); };
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return query(a) < query(b); });
        Observed out = o;
        for (size_t i = 0; i < order.size(); ++i) {
            out.matches[i] = o.matches[order[i]];
            out.kinds[i] = o.kinds[order[i]];
        }
        return out;
    }

    static std::string compare(const char* way, const Observed& got, const Observed& want, bool same_lines, bool full) {
        const std::string prefix = std::string(way) + ": ";
        if (!got.failure.empty() || !want.failure.empty())
            return prefix + "failed: '" + got.failure + "' / '" + want.failure + "'";
        std::string d = first_difference("match", got.matches, want.matches);
        if (!d.empty()) return prefix + d;
        if (!full) return "";
        if (got.stats != want.stats) return prefix + "stats\n  got  " + got.stats + "\n  want " + want.stats;
        auto messages = [&](const std::vector<std::string>& reports) {
            if (same_lines) return reports;
            std::vector<std::string> out;
            for (const auto& r : reports) out.push_back(r.substr(r.find(": ") + 2));
            return out;
        };
        d = first_difference("report", messages(got.reports), messages(want.reports));
        return d.empty() ? "" : prefix + d;
    }

    const DiffCase& case_;
    std::string file_;
    std::vector<QuerySource> sources_;
    EngineOptions options_;
    std::shared_ptr<const CompiledQueries> unfiltered_, prefiltered_, unindexed_;
    size_t matches_ = 0;
};

}  // namespace eqlc::fuzz
