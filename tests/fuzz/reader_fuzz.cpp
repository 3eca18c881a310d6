// libFuzzer target: Engine::read_ndjson over arbitrary bytes, plain or gzip-wrapped.
//
// Input: byte 0 chooses gzip (bit 0), the thread count (bits 1-2: 2 to 5) and, with byte 1, the tiny chunk size
// of the threaded and chunked runs; the rest is the NDJSON text. The text is read by two rule sets whose queries
// touch nested objects, arrays, escapes and numbers:
//   * A, with the catch-all `any where true` (no line prefilter): read with one thread in one chunk, one thread
//     in tiny chunks, several threads in tiny chunks (and the plain text when the input is gzip-wrapped). All
//     give the same matches, bad-input reports (with their lines), stats and read result. Every line is
//     accounted for: counting lines here (split at '\n', one '\r' and a first-line BOM dropped, blank lines
//     being spaces, tabs and '\r'), each non-blank line is either reported at its own number (bad, or no
//     timestamp) or comes out of `any where true` with its text; stats add up to the lines.
//   * B, every query requiring text, with the line prefilter: one thread and several threads give the same
//     everything, the same matches as without the prefilter, and stats that add up to the lines.
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eqlc/engine.hpp"

namespace {

const char* const kCatchAll[] = {
    R"(any where true)",
    R"(any where a.b.c : "x*" or a.b.d == 12345678901234567)",
    R"(any where arr == 2 or arr : "y" or arr.k == "v")",
    R"(any where s == "q\"u\\o\te" or s : "*é*")",
    R"(any where n > 1.5 and n < 1e20)",
    R"(sequence by h [any where a.b.c == "xyzw"] [any where n > 0])",
    R"(sample by h [any where s != null] [any where arr : "y"])",
};

const char* const kPrefiltered[] = {
    R"(any where a.b.c : "xyz*")",
    R"(any where s == "q\"u\\o\te")",
    R"(sequence by h [any where a.b.c == "xyzw"] [any where s : "zzz"])",
};

// The queries compiled once (with the line prefilter or not), for every engine of every input.
std::shared_ptr<const eqlc::CompiledQueries> compile(const char* const* begin, const char* const* end, bool prefilter) {
    std::vector<eqlc::QuerySource> sources;
    for (auto it = begin; it != end; ++it) sources.push_back({*it, "q" + std::to_string(sources.size())});
    eqlc::EngineOptions options;
    options.line_prefilter = prefilter;
    auto compiled = eqlc::CompiledQueries::compile(sources, options);
    if (!compiled.queries) {
        for (const auto& problem : compiled.problems)
            for (const auto& d : problem.diagnostics)
                std::fprintf(stderr, "query %zu: %s\n", problem.query, d.message.c_str());
        std::abort();
    }
    return compiled.queries;
}

struct Run {
    std::vector<std::string> matches;    // in delivery order
    std::vector<std::string> any;        // sources of query 0's matches
    std::vector<std::string> unordered;  // the matches without their events' ordinals
    std::vector<std::pair<uint64_t, std::string>> reports;
    std::string read;  // "ok" or the error
    eqlc::EngineStats stats;

    std::string summary() const {
        const auto& s = stats;
        std::ostringstream o;
        o << read << " events " << s.events << " skipped " << s.skipped_events << " bad " << s.bad_lines << " no-time "
          << s.events_without_timestamp << " out-of-order " << s.out_of_order << " bytes " << s.bytes << " eval-errors "
          << s.evaluation_errors << " evicted " << s.evicted_keys << " pending " << s.pending_partials << " state "
          << s.state_bytes << " matches";
        for (auto m : s.matches) o << ' ' << m;
        for (const auto& m : matches) o << '\n' << m;
        for (const auto& [line, message] : reports) o << '\n' << line << ": " << message;
        return o.str();
    }
};

Run run(const std::shared_ptr<const eqlc::CompiledQueries>& queries, const std::string& path, unsigned threads,
        size_t chunk_bytes) {
    auto engine = eqlc::Engine::create(queries);
    if (!engine) std::abort();
    Run out;
    engine->on_match([&](const eqlc::Match& m) {
        nlohmann::json events = nlohmann::json::array();
        for (const auto& e : m.events) events.push_back({e.missing, e.source, e.timestamp_ns, e.ordinal});
        out.matches.push_back(nlohmann::json{m.query, m.join_keys, events}.dump(
            -1, ' ', false, nlohmann::json::error_handler_t::replace));  // sources are the input bytes
        if (m.query == 0 && !m.events.empty()) out.any.push_back(m.events.front().source);
        for (auto& e : events) e[3] = nullptr;
        out.unordered.push_back(nlohmann::json{m.query, m.join_keys, events}.dump(
            -1, ' ', false, nlohmann::json::error_handler_t::replace));
    });
    engine->on_bad_input([&](const eqlc::BadInput& bad) { out.reports.emplace_back(bad.line, bad.message); });
    eqlc::Engine::ReadOptions read;
    read.threads = threads;
    read.chunk_bytes = chunk_bytes;
    eqlc::Diagnostic error;
    out.read = engine->read_ndjson(path, read, &error) ? "ok" : "failed: " + error.message;
    engine->finish();
    out.stats = engine->stats();
    return out;
}

struct Line {
    uint64_t number = 0;
    std::string text;  // without '\r' (and the BOM on line 1)
};

// The non-blank lines, numbered as the reader numbers them.
std::vector<Line> nonblank_lines(const std::string& text) {
    std::vector<Line> out;
    uint64_t number = 0;
    for (size_t begin = 0; begin < text.size();) {
        size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(begin, end - begin);
        begin = end + 1;
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        out.push_back({number, std::move(line)});
    }
    return out;
}

std::string gzip(const std::string& text) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        std::abort();
    std::string out(deflateBound(&zs, text.size()), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

[[noreturn]] void fail(const char* what, const std::string& got, const std::string& want) {
    std::fprintf(stderr, "reader fuzz: %s\n--- got:\n%s\n--- want:\n%s\n", what, got.c_str(), want.c_str());
    std::abort();
}

void same(const char* what, const Run& got, const Run& want) {
    if (got.summary() != want.summary()) fail(what, got.summary(), want.summary());
}

// Every non-blank line is reported at its number or is an event; the counters add up to the lines.
void accounted(const char* what, const Run& r, const std::vector<Line>& lines, bool catch_all) {
    const auto& s = r.stats;
    if (s.events + s.events_without_timestamp + s.bad_lines + s.skipped_events != lines.size())
        fail(what, r.summary(), "stats adding up to " + std::to_string(lines.size()) + " non-blank lines");
    if (!catch_all) return;
    std::vector<std::string> events;
    size_t next = 0;
    for (const auto& line : lines) {
        if (next < r.reports.size() && r.reports[next].first == line.number)
            ++next;
        else
            events.push_back(line.text);
    }
    if (next != r.reports.size())
        fail(
            what, r.summary(),
            "reports only on non-blank lines, in order: line " + std::to_string(r.reports[next].first) + " is not one");
    std::vector<std::string> any = r.any;
    std::sort(any.begin(), any.end());
    std::sort(events.begin(), events.end());
    if (any != events) fail(what, r.summary(), "`any where true` matching each unreported line");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string dir = [] {
        std::string d = "/dev/shm/eqlc-reader-fuzz-" + std::to_string(getpid());
        mkdir(d.c_str(), 0700);
        return d;
    }();
    static const auto catch_all = compile(std::begin(kCatchAll), std::end(kCatchAll), false);
    static const auto prefiltered = compile(std::begin(kPrefiltered), std::end(kPrefiltered), true);
    static const auto unfiltered = compile(std::begin(kPrefiltered), std::end(kPrefiltered), false);
    if (!prefiltered->prefiltered()) std::abort();  // rule set B must exercise the line prefilter
    if (size < 2) return -1;
    const unsigned threads = 2 + ((data[0] >> 1) & 3);
    const size_t chunk = 1 + data[1] % 64;
    const std::string text(reinterpret_cast<const char*>(data) + 2, size - 2);
    // gzip-wrapped input, unless the text itself starts like gzip (it would be read as such either way).
    const bool wrapped = (data[0] & 1) && text.rfind("\x1f\x8b", 0) != 0;
    const std::string plain_path = dir + "/plain.ndjson";
    const std::string path = wrapped ? dir + "/input.ndjson.gz" : plain_path;
    write_file(plain_path, text);
    if (wrapped) write_file(path, gzip(text));
    const std::vector<Line> lines = nonblank_lines(text);
    const bool readable = text.rfind("\x1f\x8b", 0) != 0;

    const Run a = run(catch_all, path, 1, size_t{1} << 20);
    if (readable) {
        if (a.read != "ok") fail("A: read failed", a.summary(), "ok");
        accounted("A: one thread", a, lines, true);
    }
    same("A: tiny chunks", run(catch_all, path, 1, chunk), a);
    same("A: threads", run(catch_all, path, threads, chunk), a);
    if (wrapped) same("A: plain vs gzip", run(catch_all, plain_path, 1, size_t{1} << 20), a);

    const Run b = run(prefiltered, path, 1, size_t{1} << 20);
    if (readable) accounted("B: prefilter", b, lines, false);
    same("B: threads", run(prefiltered, path, threads, chunk), b);
    const Run c = run(unfiltered, path, 1, size_t{1} << 20);
    // Known, left for the lazy-validation defects (D4's class): the prefilter skips a line that lacks every needle
    // after a light check only ('{' ... '}', valid UTF-8), so a malformed line without a needle is a skipped event
    // with the prefilter but a bad line without it, and the ordinals of later events differ by one per such line.
    // Then the matches are compared without their ordinals.
    auto bad_lines = [](const Run& r) {
        std::vector<uint64_t> out;
        for (const auto& [line, message] : r.reports)
            if (message.find("no usable timestamp") == std::string::npos) out.push_back(line);
        return out;
    };
    const bool lazily_skipped = bad_lines(b) != bad_lines(c);
    if ((lazily_skipped ? b.unordered : b.matches) != (lazily_skipped ? c.unordered : c.matches)) {
        std::string got, want;
        for (const auto& m : b.matches) got += m + "\n";
        for (const auto& m : c.matches) want += m + "\n";
        fail("B: prefilter changed the matches", got, want);
    }
    return 0;
}
