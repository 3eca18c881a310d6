// Engine::read_ndjson with threads > 1: the input is parsed on several threads, and everything the caller sees
// (matches in order and content, bad-input reports with origin and line, the failure, stats, progress calls)
// is what threads = 1 gives. Tiny chunk sizes force many chunks, lines longer than a chunk, and chunk edges at
// every kind of line.

#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "eqlc/engine.hpp"
#include "support/files.hpp"
#include "support/gzip.hpp"
#include "support/wmi_rule.hpp"

namespace {

using eqlc::test::TempDir;
using nlohmann::json;

// Everything a run shows its caller, as text, so that two runs compare with ==.
struct Run {
    std::vector<std::string> matches;   // in delivery order: query, kind, keys, events (source, time, ordinal)
    std::vector<std::string> reports;   // bad input, in report order: origin:line: message | excerpt
    std::vector<std::string> reads;     // per file: ok, or the error message
    std::vector<std::string> progress;  // every progress call
    std::string stats;

    bool operator==(const Run&) const = default;
};

std::string describe(const eqlc::EngineStats& s) {
    std::ostringstream o;
    o << "events " << s.events << " skipped " << s.skipped_events << " bad " << s.bad_lines << " no-time "
      << s.events_without_timestamp << " query-no-time " << s.query_events_without_timestamp << " out-of-order "
      << s.out_of_order << " late " << s.late_events << " bytes " << s.bytes << " eval-errors " << s.evaluation_errors
      << " truncated " << s.truncated_key_products << " evicted " << s.evicted_keys << " pending " << s.pending_partials
      << " state " << s.state_bytes << " matches";
    for (auto m : s.matches) o << ' ' << m;
    return o.str();
}

Run run(const std::vector<eqlc::QuerySource>& queries, const eqlc::EngineOptions& options,
        const std::vector<std::string>& files, eqlc::Engine::ReadOptions read) {
    Run out;
    auto created = eqlc::Engine::create(queries, options);
    REQUIRE(created.engine);
    eqlc::Engine& engine = *created.engine;
    engine.on_match([&](const eqlc::Match& m) {
        json events = json::array();
        for (const auto& e : m.events) events.push_back({e.missing, e.source, e.timestamp_ns, e.ordinal});
        out.matches.push_back(json{m.query, eqlc::match_kind_name(m.kind), m.join_keys, events}.dump());
    });
    engine.on_bad_input([&](const eqlc::BadInput& bad) {
        out.reports.push_back(bad.origin + ":" + std::to_string(bad.line) + ": " + bad.message + " | " + bad.excerpt);
    });
    read.progress = [&](uint64_t bytes, uint64_t events) {
        out.progress.push_back(std::to_string(bytes) + " " + std::to_string(events));
    };
    for (const auto& file : files) {
        eqlc::Diagnostic error;
        out.reads.push_back(engine.read_ndjson(file, read, &error) ? "ok" : "failed: " + error.message);
    }
    engine.finish();
    out.stats = describe(engine.stats());
    return out;
}

// "" when equal, else the first difference (the lists can be long).
std::string difference(const std::vector<std::string>& got, const std::vector<std::string>& want) {
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i)
        if (got[i] != want[i])
            return "at " + std::to_string(i) + ": " + got[i].substr(0, 300) + " instead of " + want[i].substr(0, 300);
    if (got.size() != want.size())
        return std::to_string(got.size()) + " items instead of " + std::to_string(want.size());
    return "";
}

// Runs with threads = 1 and then 2, 3 and 4 at several chunk sizes; every run must equal the first. Plain files
// are mapped with 2 and 4 threads, and read with 3.
void check_same(const std::vector<eqlc::QuerySource>& queries, const eqlc::EngineOptions& options,
                const std::vector<std::string>& files, const std::vector<size_t>& chunk_sizes,
                eqlc::Engine::ReadOptions read = {}, size_t min_matches = 1) {
    for (size_t chunk : chunk_sizes) {
        read.chunk_bytes = chunk;
        read.threads = 1;
        const Run sequential = run(queries, options, files, read);
        CHECK(sequential.matches.size() >= min_matches);
        for (unsigned threads : {2u, 3u, 4u}) {
            read.threads = threads;
            read.map_files = threads != 3;  // plain files mapped, or read as with threads = 1
            const Run parallel = run(queries, options, files, read);
            INFO("chunk " << chunk << ", threads " << threads << (read.map_files ? ", mapped" : ""));
            CHECK(difference(parallel.matches, sequential.matches) == "");
            CHECK(difference(parallel.reports, sequential.reports) == "");
            CHECK(difference(parallel.reads, sequential.reads) == "");
            CHECK(difference(parallel.progress, sequential.progress) == "");
            CHECK(parallel.stats == sequential.stats);
        }
    }
}

std::string wmi_rule() { return eqlc::test::wmi_rule_query(); }

std::vector<std::string> wmi_samples() {
    return {eqlc::test::wmi_defend_samples().string(), eqlc::test::wmi_sysmon_samples().string()};
}

// A generated input with everything a reader meets: escaped strings (which the parser unescapes into its own
// buffer), events out of order, events without a timestamp, blank lines, CRLF, bad lines of several kinds,
// a run of bad lines longer than the reader keeps between two events, a line longer than the chunks and one
// longer than the line limit, a byte order mark, and a last line without '\n'.
std::string generated_input(size_t events, uint64_t seed) {
    std::string out = "\xEF\xBB\xBF";
    uint64_t state = seed;
    auto rand = [&](uint64_t n) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % n;
    };
    int64_t ms = 1'700'000'000'000;
    for (size_t i = 0; i < events; ++i) {
        ms += static_cast<int64_t>(rand(2000));
        int64_t t = ms;
        if (rand(20) == 0) t -= static_cast<int64_t>(rand(5000));  // out of order, sometimes beyond the window
        const std::string host =
            rand(3) == 0 ? "host\\u002d" + std::to_string(rand(7)) : "host-" + std::to_string(rand(7));
        const uint64_t kind = rand(3);
        json::string_t ts = std::to_string(t);
        std::string line;
        if (kind == 0) {
            line = R"({"@timestamp":)" + ts + R"(,"event":{"category":"process","type":"start"},"host":{"id":")" +
                   host + R"("},"process":{"name":")" + (rand(2) ? "cmd\\u002eexe" : "cmd.exe") +
                   R"(","executable":"C:\\Windows\\System32\\cmd.exe","pid":)" + std::to_string(rand(100000)) + "}}";
        } else if (kind == 1) {
            line = R"({"@timestamp":)" + ts + R"(,"event":{"category":["network"]},"host.id":")" + host +
                   R"(","destination":{"port":)" + std::to_string(rand(2) ? 443 : 80) + R"(},"note":"tab\there"})";
        } else {
            line = R"({"@timestamp":")" + std::string(rand(2) ? "2023-11-14T22:13:20.123Z" : "2023-11-14T22:13:21Z") +
                   R"(","event":{"category":"file")" +
                   (rand(2) ? R"(,"ingested":)" + std::to_string(t + 5) : std::string()) + R"(},"host":{"id":")" +
                   host + R"("},"file":{"path":"\/tmp\/x"}})";
        }
        switch (rand(40)) {
            case 0: line = "{not json"; break;
            case 1: line = "[1,2]"; break;
            case 2: line = ""; break;
            case 3: line = "   \t"; break;
            case 4: line = R"({"event":{"category":"process"},"host":{"id":"no-time"}})"; break;
            case 5: line += "\r"; break;
            case 6: line += " trailing"; break;
            case 7:
                line = R"({"@timestamp":)" + ts + R"(,"event":{"category":"process"},"pad":")" +
                       std::string(3000 + rand(3000), 'x') + R"(","host":{"id":"long"}})";
                break;
            default: break;
        }
        out += line;
        out += '\n';
        if (i == events / 3) {
            for (int b = 0; b < 1100; ++b) out += "bad " + std::to_string(b) + "\n";  // > max_kept_errors in a row
        }
        if (i == events / 2) out += R"({"@timestamp":1,"x":")" + std::string(70'000, 'y') + "\"}\n";
    }
    out += R"({"@timestamp":)" + std::to_string(ms + 1) +
           R"(,"event":{"category":"process","type":"start"},"host":{"id":"host-1"},"process":{"name":"cmd.exe"}})";
    return out;
}

std::vector<eqlc::QuerySource> generated_queries() {
    return {
        eqlc::QuerySource(R"(process where process.name : "cmd.exe" and process.executable : "C:\\Windows\\*")",
                          "event"),
        eqlc::QuerySource(
            "sequence by host.id with maxspan=10s [process where true] [network where destination.port == 443]",
            "sequence"),
        eqlc::QuerySource("sample by host.id [process where true] [file where true]", "sample"),
        eqlc::QuerySource("any where true | tail 5", "tail"),
        // With several queries, threads > 1 splits them among threads: results of several queries on one event
        // (this one and "event"), run-time errors, and a query with its own time field must come out as with one.
        eqlc::QuerySource(R"(any where host.id : "host-1*")", "same events"),
        eqlc::QuerySource("process where 10 / (process.pid - process.pid) == 1", "errors"),
        [] {
            eqlc::QuerySource q("sequence by host.id [file where true] [file where true]", "own time");
            q.timestamp_field = "event.ingested";
            return q;
        }(),
        // A second own time field (the port, as epoch milliseconds): the parsing threads note each field's times
        // apart, and a query must get the times of its own field.
        [] {
            eqlc::QuerySource q("sequence by host.id with maxspan=1s [network where true] [network where true]",
                                "other own time");
            q.timestamp_field = "destination.port";
            return q;
        }(),
    };
}

// Queries whose every term needs some text: the line prefilter skips the other lines unparsed.
std::vector<eqlc::QuerySource> prefiltered_queries() {
    return {
        eqlc::QuerySource(R"(process where process.name : "cmd.exe")", "event"),
        eqlc::QuerySource(R"(sequence by host.id with maxspan=10s [process where process.name : "cmd.exe"]
                             [file where file.path : "/tmp/x"])",
                          "sequence"),
    };
}

}  // namespace

TEST_CASE("Parallel read: the WMI rule over the samples gives the sequential results", "[engine][parallel]") {
    const std::vector<eqlc::QuerySource> queries{eqlc::QuerySource(wmi_rule(), "wmi")};
    check_same(queries, {}, wmi_samples(), {1, 100, 1000, 1 << 20});
    eqlc::EngineOptions sorted;
    sorted.sort_input = true;
    check_same(queries, sorted, wmi_samples(), {500});
}

TEST_CASE("Parallel read: a generated input with bad lines, long lines, gzip and out-of-order events",
          "[engine][parallel]") {
    TempDir dir;
    const std::string text = generated_input(3000, 7);
    const std::string plain = dir.write("events.ndjson", text).string();
    const std::string gz = dir.write("events.ndjson.gz", eqlc::test::gzip(generated_input(2000, 11))).string();
    const std::vector<std::string> files{plain, gz};
    const auto queries = generated_queries();

    SECTION("in input order") { check_same(queries, {}, files, {64, 4096, 1 << 20}); }
    SECTION("line prefilter") { check_same(prefiltered_queries(), {}, files, {64, 4096, 1 << 20}); }
    SECTION("sorted") {
        eqlc::EngineOptions options;
        options.sort_input = true;
        check_same(queries, options, files, {1000, 65536});
    }
    SECTION("reorder window") {
        eqlc::EngineOptions options;
        options.reorder_window_ns = int64_t{2'000'000'000};
        check_same(queries, options, files, {300, 65536});
    }
    SECTION("head") {
        eqlc::EngineOptions options;
        options.size = 3;
        options.result_position = eqlc::ResultPosition::head;
        check_same(queries, options, files, {700});
    }
    SECTION("a small line limit") {
        eqlc::Engine::ReadOptions read;
        read.max_line_bytes = 2000;
        check_same(queries, {}, files, {100, 1500, 5000}, read);
    }
    SECTION("strict: stop at the first bad line") {
        eqlc::Engine::ReadOptions read;
        read.strict = true;
        check_same(queries, {}, files, {64, 9000, 1 << 20}, read, 0);
        read.max_line_bytes = 2000;
        check_same(queries, {}, files, {64, 9000}, read, 0);
    }
}

TEST_CASE("Parallel read: progress every 64 Ki events, a file that cannot be read, edge inputs", "[engine][parallel]") {
    TempDir dir;
    std::string many;
    for (int i = 0; i < 140'000; ++i)
        many += R"({"@timestamp":)" + std::to_string(1'700'000'000'000 + i) +
                R"(,"event":{"category":"process"}})"
                "\n";
    const std::string big = dir.write("many.ndjson", many).string();
    const std::string empty = dir.write("empty.ndjson", "").string();
    const std::string blank = dir.write("blank.ndjson", "\n\n \n").string();
    const std::string no_newline =
        dir.write("one.ndjson", R"({"@timestamp":5,"event":{"category":"process"}})").string();
    const std::string only_bad = dir.write("bad.ndjson", "x\ny\nz").string();
    const std::string missing = (dir.path() / "missing.ndjson").string();
    const std::string folder = dir.path().string();
    const std::string truncated_gz = [&] {
        std::string z = eqlc::test::gzip(many.substr(0, 100'000));
        z.resize(z.size() / 2);
        return dir.write("truncated.ndjson.gz", z).string();
    }();
    const std::vector<eqlc::QuerySource> queries{eqlc::QuerySource("process where true | tail 2", "q")};

    const Run sequential = run(queries, {}, {big}, {});
    REQUIRE(sequential.progress.size() == 3);                     // at 65536, 131072 and the end
    check_same(queries, {}, {big}, {1 << 16, 1 << 20, 4 << 20});  // 4 MiB reads: cut into several chunks

    // The line prefilter's trial over the first 50,000 lines: a filter that lets most lines through is dropped
    // from there on (events it would have skipped are run: counted, and reported when they have no time), one
    // that skips most lines is kept.
    for (int percent : {90, 10}) {
        std::string text;
        for (int i = 0; i < 120'000; ++i) {
            const bool named = i % 100 < percent;
            if (i % 1000 == 7) {
                text += R"({"event":{"category":"process"},"n":)" + std::to_string(i) + "}\n";  // no time
                continue;
            }
            text += R"({"@timestamp":)" + std::to_string(1'700'000'000'000 + i) +
                    R"(,"event":{"category":"process"},"process":{"name":")" + (named ? "cmd.exe" : "x.exe") +
                    R"(","pid":)" + std::to_string(i % 50) + "}}\n";
        }
        const std::string file = dir.write("filter" + std::to_string(percent) + ".ndjson", text).string();
        const std::vector<eqlc::QuerySource> filtered{
            eqlc::QuerySource(R"(process where process.name : "cmd.exe" and process.pid == 3)", "q")};
        check_same(filtered, {}, {file}, {1 << 14, 1 << 20, 4 << 20});
    }
    // The line from which the trial's decision applies is the input's last one, without '\n': a filter that lets
    // most lines through is dropped for it, and the event it would have skipped (no "cmd.exe") is run.
    {
        std::string text;
        for (int i = 1; i <= 50'000; ++i) {
            const bool named = i % 10 != 0 && i != 50'000;
            text += R"({"@timestamp":)" + std::to_string(1'700'000'000'000 + i) +
                    R"(,"event":{"category":"process"},"process":{"name":")" + (named ? "cmd.exe" : "x.exe") +
                    R"(","pid":)" + std::to_string(i == 50'000 ? 3 : i % 50) + "}}" + (i < 50'000 ? "\n" : "");
        }
        const std::string file = dir.write("filter-last.ndjson", text).string();
        const std::vector<eqlc::QuerySource> named{
            eqlc::QuerySource(R"(process where process.name : "cmd.exe" and process.pid == 3)", "q")};
        CHECK(run(named, {}, {file}, {}).stats.rfind("events 45001 skipped 4999 ", 0) == 0);  // 4999 in the trial
        check_same(named, {}, {file}, {1 << 14, 1 << 20});
    }
    check_same(queries, {}, {empty, blank, no_newline, only_bad, missing, folder, truncated_gz, big}, {7, 1 << 20});
    eqlc::Engine::ReadOptions strict;
    strict.strict = true;
    check_same(queries, {}, {no_newline, truncated_gz, big}, {64, 1 << 20}, strict);
}

TEST_CASE("Parallel read: several queries are split among the threads; handlers run on the caller's thread",
          "[engine][parallel]") {
    TempDir dir;
    const std::string file = dir.write("events.ndjson", generated_input(2000, 3)).string();
    auto queries = generated_queries();
    queries.insert(queries.begin() + 2, eqlc::QuerySource("process where", "invalid"));
    eqlc::EngineOptions options;
    options.skip_invalid_queries = true;
    const size_t valid = queries.size() - 1;

    struct Seen {
        uint32_t query_threads = 0;
        size_t matches = 0;
        size_t reports = 0;
        bool other_thread = false;
    };
    auto read = [&](const std::vector<eqlc::QuerySource>& qs, const eqlc::EngineOptions& opts, unsigned threads) {
        auto created = eqlc::Engine::create(qs, opts);
        REQUIRE(created.engine);
        Seen seen;
        const auto caller = std::this_thread::get_id();
        created.engine->on_match([&](const eqlc::Match&) {
            ++seen.matches;
            seen.other_thread |= std::this_thread::get_id() != caller;
        });
        created.engine->on_bad_input([&](const eqlc::BadInput&) {
            ++seen.reports;
            seen.other_thread |= std::this_thread::get_id() != caller;
        });
        eqlc::Engine::ReadOptions ro;
        ro.threads = threads;
        ro.chunk_bytes = 4096;
        ro.progress = [&](uint64_t, uint64_t) { seen.other_thread |= std::this_thread::get_id() != caller; };
        REQUIRE(created.engine->read_ndjson(file, ro, nullptr));
        seen.query_threads = created.engine->stats().query_threads;
        created.engine->finish();
        return seen;
    };

    const Seen one = read(queries, options, 1);
    CHECK(one.query_threads == 1);
    for (unsigned threads : {2u, 3u, 16u}) {
        INFO("threads " << threads);
        const Seen split = read(queries, options, threads);
        // With the rule index, half the threads run rules (at least one); the others parse.
        CHECK(split.query_threads == std::min<size_t>(std::max(1u, threads / 2), valid));
        CHECK(split.matches == one.matches);
        CHECK(split.reports == one.reports);
        CHECK(!split.other_thread);
    }
    CHECK(one.matches > 100);
    CHECK(one.reports > 100);
    check_same(queries, options, {file}, {4096});

    // One query: nothing to split. A reorder window holds events across batches: the queries stay on one thread.
    CHECK(read({queries.front()}, options, 4).query_threads == 1);
    // Without the index, every thread runs rules too.
    eqlc::EngineOptions no_index = options;
    no_index.rule_index = false;
    const Seen unindexed = read(queries, no_index, 3);
    CHECK(unindexed.query_threads == 3);
    CHECK(unindexed.matches == one.matches);
    eqlc::EngineOptions reorder = options;
    reorder.reorder_window_ns = int64_t{1'000'000'000};
    CHECK(read(queries, reorder, 4).query_threads == 1);
}

TEST_CASE("Parallel read: random files around page sizes, mapped and read, give the sequential results",
          "[engine][parallel][mapped]") {
    // Files whose ends fall on and around page boundaries (a mapped chunk near the end must not be read past it),
    // with lines of random length (blank, bad, longer than the line limit) and with or without a last '\n'.
    TempDir dir;
    uint64_t state = 12345;
    auto rand = [&](uint64_t n) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % n;
    };
    const std::vector<eqlc::QuerySource> queries{
        eqlc::QuerySource(R"(process where process.name : "cmd.exe")", "cmd"),
        eqlc::QuerySource("sequence by host.id [process where true] [process where true]", "pairs"),
    };
    size_t matches = 0;
    size_t reports = 0;
    for (int round = 0; round < 24; ++round) {
        const size_t target = 4096 * (1 + rand(3)) + rand(3) - 1;  // a page multiple, one less or one more
        std::string text;
        int64_t ms = 1'700'000'000'000;
        while (text.size() < target) {
            ms += static_cast<int64_t>(rand(100));
            std::string line;
            switch (rand(12)) {
                case 0: line = ""; break;
                case 1: line = "{bad"; break;
                case 2:
                    line =
                        R"({"@timestamp":)" + std::to_string(ms) + R"(,"pad":")" + std::string(rand(900), 'p') + "\"}";
                    break;
                default:
                    line = R"({"@timestamp":)" + std::to_string(ms) +
                           R"(,"event":{"category":"process"},"host":{"id":"h)" + std::to_string(rand(3)) +
                           R"("},"process":{"name":")" + (rand(2) ? "cmd.exe" : "x.exe") + "\"}}";
            }
            text += line + "\n";
        }
        text.resize(target);  // cuts the last line anywhere, '\n' or not
        const std::string file = dir.write("r" + std::to_string(round) + ".ndjson", text).string();
        eqlc::Engine::ReadOptions read;
        read.chunk_bytes = 1 + rand(3000);
        read.max_line_bytes = 200 + rand(1200);
        const Run sequential = run(queries, {}, {file}, read);
        matches += sequential.matches.size();
        reports += sequential.reports.size();
        for (const bool map : {true, false}) {
            read.threads = 2;
            read.map_files = map;
            const Run parallel = run(queries, {}, {file}, read);
            INFO("round " << round << ", size " << target << ", chunk " << read.chunk_bytes << ", line limit "
                          << read.max_line_bytes << (map ? ", mapped" : ", read"));
            CHECK(difference(parallel.matches, sequential.matches) == "");
            CHECK(difference(parallel.reports, sequential.reports) == "");
            CHECK(difference(parallel.progress, sequential.progress) == "");
            CHECK(parallel.stats == sequential.stats);
            read.threads = 1;
        }
    }
    CHECK(matches > 100);
    CHECK(reports > 100);
}
