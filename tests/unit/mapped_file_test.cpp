// input::MappedFile: which files are mapped, the reads it counts (those NdjsonText makes, so that the parallel
// reader's byte counts are a sequential reader's; input::PositionalFile's too), and pages given back.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "input/mapped_file.hpp"
#include "input/ndjson_text.hpp"
#include "input/positional_file.hpp"
#include "support/files.hpp"
#include "support/gzip.hpp"

using eqlc::input::MappedFile;
using eqlc::input::NdjsonText;
using eqlc::input::PositionalFile;
using eqlc::test::TempDir;

TEST_CASE("MappedFile maps plain regular files only", "[input][mapped]") {
    TempDir dir;
    CHECK(MappedFile::open("-") == nullptr);
    CHECK(MappedFile::open((dir.path() / "missing").string()) == nullptr);
    CHECK(MappedFile::open(dir.path().string()) == nullptr);
    CHECK(MappedFile::open(dir.write("empty", "").string()) == nullptr);
    const std::string gz = dir.write("a.gz", eqlc::test::gzip("{}\n")).string();
    CHECK(MappedFile::open(gz) == nullptr);
    CHECK(MappedFile::open(gz, /*detect_gzip=*/false) != nullptr);
    auto one = MappedFile::open(dir.write("one", "x").string());
    REQUIRE(one != nullptr);
    CHECK(std::string(one->data(), one->size()) == "x");
}

TEST_CASE("MappedFile and PositionalFile count the reads NdjsonText makes", "[input][mapped][positional]") {
    TempDir dir;
    std::string text;
    for (int i = 0; text.size() < 3 * NdjsonText::kDetectBytes + 12345; ++i) text += "line " + std::to_string(i) + "\n";
    const std::string path = dir.write("text", text).string();
    // Read sizes as a reader asks for them: a first one larger than the detection prefix, then smaller, odd ones.
    for (const std::vector<size_t>& asks :
         {std::vector<size_t>{1 << 20, 1000, 1 << 20}, std::vector<size_t>{100, 300'000, 7, 1 << 20}}) {
        auto opened = NdjsonText::open(path);
        REQUIRE(opened);
        auto mapped = MappedFile::open(path);
        REQUIRE(mapped != nullptr);
        auto by_position = PositionalFile::open(path, "text");
        REQUIRE(by_position != nullptr);
        std::vector<char> buffer(1 << 20);
        size_t ask = 0;
        std::string from_reads;
        while (true) {
            const size_t capacity = asks[std::min(ask++, asks.size() - 1)];
            size_t got = 0;
            eqlc::Diagnostic error;
            REQUIRE(opened.text->read(buffer.data(), capacity, got, error));
            const size_t position = mapped->position();
            INFO("read " << ask << " of " << capacity);
            REQUIRE(mapped->read(capacity) == got);
            CHECK(mapped->raw_bytes() == opened.text->raw_bytes());
            CHECK(std::string(mapped->data() + position, got) == std::string(buffer.data(), got));
            REQUIRE(by_position->read(capacity) == got);
            CHECK(by_position->raw_bytes() == opened.text->raw_bytes());
            std::string at(got, '\0');
            CHECK(by_position->read_at(at.data(), position, got, error));
            CHECK(at == std::string(buffer.data(), got));
            from_reads.append(buffer.data(), got);
            if (got == 0) break;
        }
        CHECK(from_reads == text);
        // Pages given back read the file again.
        mapped->release_before(mapped->size() / 2);
        CHECK(std::string(mapped->data(), mapped->size()) == text);
    }
}
