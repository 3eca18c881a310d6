// input::PositionalFile: which files it takes (the reads it counts are checked with MappedFile's, in
// mapped_file_test.cpp), the '\n' searches the parallel reader cuts chunks with (across its probe and count blocks), a file that grows
// while it is read, and one that shrinks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "input/parallel_reader.hpp"
#include "input/positional_file.hpp"
#include "input/projection.hpp"
#include "values/field_catalog.hpp"
#include "support/files.hpp"
#include "support/gzip.hpp"

using eqlc::input::PositionalFile;
using eqlc::test::TempDir;

namespace {

std::unique_ptr<PositionalFile> open_file(const std::string& path, bool detect_gzip = true) {
    return PositionalFile::open(path, "events", detect_gzip);
}

// Lines of varied lengths (1 to a few thousand bytes, some longer than the searches' probe), by a fixed recipe.
std::string varied_lines(size_t bytes) {
    std::string text;
    uint64_t state = 12345;
    while (text.size() < bytes) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const size_t length = (state >> 33) % 97 == 0 ? 40'000 : (state >> 33) % 3000;
        text += std::string(length, static_cast<char>('a' + length % 26)) + "\n";
    }
    return text;
}

}  // namespace

TEST_CASE("PositionalFile takes plain regular files only", "[input][positional]") {
    TempDir dir;
    CHECK(open_file("-") == nullptr);
    CHECK(open_file((dir.path() / "missing").string()) == nullptr);
    CHECK(open_file(dir.path().string()) == nullptr);
    CHECK(open_file(dir.write("empty", "").string()) == nullptr);
    const std::string gz = dir.write("a.gz", eqlc::test::gzip("{}\n")).string();
    CHECK(open_file(gz) == nullptr);
    CHECK(open_file(gz, /*detect_gzip=*/false) != nullptr);
    auto one = open_file(dir.write("one", "x").string());
    REQUIRE(one != nullptr);
    char c = 0;
    eqlc::Diagnostic error;
    CHECK(one->read_at(&c, 0, 1, error));
    CHECK(c == 'x');
}

TEST_CASE("PositionalFile finds and counts line ends as memchr does", "[input][positional]") {
    TempDir dir;
    const std::string text = varied_lines(700'000);  // more than two count blocks, many probes
    auto file = open_file(dir.write("lines", text).string());
    REQUIRE(file != nullptr);
    uint64_t state = 99;
    auto rand = [&](uint64_t n) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<size_t>((state >> 33) % n);
    };
    for (int trial = 0; trial < 300; ++trial) {
        size_t from = rand(text.size()), to = rand(text.size() + 1);
        if (from > to) std::swap(from, to);
        if (trial % 10 == 0) to = std::min(text.size(), from + rand(20));  // short ranges, empty ones too
        INFO("[" << from << ", " << to << ")");
        const std::string_view range = std::string_view(text).substr(from, to - from);
        const size_t first = range.find('\n'), last = range.rfind('\n');
        CHECK(file->find_first(from, to) == (first == std::string_view::npos ? PositionalFile::npos : from + first));
        CHECK(file->find_last(from, to) == (last == std::string_view::npos ? PositionalFile::npos : from + last));
        const size_t all = static_cast<size_t>(std::count(range.begin(), range.end(), '\n'));
        size_t after = 0;
        CHECK(file->count_newlines(from, to, PositionalFile::npos, after) == all);
        CHECK(after == PositionalFile::npos);
        if (all > 0) {
            const size_t limit = 1 + rand(all);
            size_t nth = from;
            for (size_t k = 0; k < limit; ++k) nth = text.find('\n', nth) + 1;
            CHECK(file->count_newlines(from, to, limit, after) == limit);
            CHECK(after == nth);
        }
    }
    CHECK(file->failed() == nullptr);
}

TEST_CASE("PositionalFile reads a file that grows, and fails on one that shrinks", "[input][positional]") {
    TempDir dir;
    const std::string path = dir.write("growing", "a\nb\n").string();
    auto file = open_file(path);
    REQUIRE(file != nullptr);
    CHECK(file->read(1 << 20) == 4);
    std::ofstream(path, std::ios::app) << "cc\n";  // appended after the reader saw its end
    CHECK(file->read(1 << 20) == 3);
    CHECK(file->read(1 << 20) == 0);

    std::filesystem::resize_file(path, 2);  // truncated under the reader
    std::string bytes(7, '\0');
    eqlc::Diagnostic error;
    CHECK_FALSE(file->read_at(bytes.data(), 0, 7, error));
    CHECK(error.message == "cannot read 'events': the file shrank while it was read");
    CHECK(file->find_last(0, 7) == PositionalFile::npos);
    REQUIRE(file->failed() != nullptr);
    CHECK(file->failed()->message == error.message);
}

TEST_CASE("A file that shrinks under a parallel read stops it with that failure", "[input][positional][parallel]") {
    // Small reads make many chunks; the reader holds at most 4 per thread before the caller takes them, so
    // truncating the file before taking any leaves the chunks after those to be read from the shorter file.
    TempDir dir;
    std::string text;
    for (int i = 0; text.size() < 200'000; ++i)
        text += R"({"@timestamp":"2024-01-01T00:00:00Z","n":)" + std::to_string(i) + "}\n";
    const std::string path = dir.write("events.ndjson", text).string();
    eqlc::vm::FieldCatalog catalog;
    catalog.intern("n");
    const eqlc::input::ProjectionPlan plan(catalog);
    eqlc::input::ReaderOptions options;
    options.chunk_size = 4096;
    auto opened = eqlc::input::ParallelReader::open(path, plan, 1, options, /*map=*/false);
    REQUIRE(opened);
    std::filesystem::resize_file(path, 50'000);
    uint64_t events = 0;
    std::optional<eqlc::Diagnostic> failure;
    while (const eqlc::input::ReadBatch* batch = opened.reader->next()) {
        events += batch->events();
        if (batch->failure()) failure = batch->failure();
    }
    REQUIRE(failure.has_value());
    CHECK(failure->message == "cannot read '" + path + "': the file shrank while it was read");
    CHECK(events > 0);
    CHECK(events * 60 < text.size());  // it stopped where the file ended, not at its old end
}
