// The streaming NDJSON reader: line splitting over chunk boundaries, bad lines as values, gzip, stdin/fd, strict
// mode, large inputs.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "input/ndjson_reader.hpp"
#include "input/projection.hpp"
#include "support/files.hpp"
#include "support/gzip.hpp"
#include "values/field_catalog.hpp"
#include "values/value.hpp"

using eqlc::input::BadLine;
using eqlc::input::NdjsonReader;
using eqlc::input::ProjectionOptions;
using eqlc::input::ProjectionPlan;
using eqlc::input::ReaderOptions;
using eqlc::test::TempDir;
using eqlc::vm::EventRecord;
using eqlc::vm::FieldCatalog;
using eqlc::vm::SlotId;

namespace fs = std::filesystem;

namespace {

struct Setup {
    FieldCatalog catalog;
    SlotId id;
    SlotId name;
    SlotId ts;
    std::unique_ptr<ProjectionPlan> plan;
    Setup() {
        id = catalog.intern("id");
        name = catalog.intern("process.name");
        ts = catalog.intern("@timestamp");
        ProjectionOptions options;
        options.timestamp_slot = ts;
        plan = std::make_unique<ProjectionPlan>(catalog, options);
    }
};

// Reads everything; returns the `id` field of each event (-1 when absent) and the line each came from.
struct Run {
    std::vector<int64_t> ids;
    std::vector<uint64_t> lines;
    std::vector<std::string> sources;
    std::vector<BadLine> errors;
};

Run read_all(NdjsonReader& reader, const Setup& s) {
    Run run;
    EventRecord record;
    while (reader.next(record)) {
        const auto values = record.field(s.id);
        run.ids.push_back(values.empty() ? -1 : values[0].integer);
        run.lines.push_back(record.line);
        run.sources.emplace_back(record.source);
        CHECK(record.ordinal == run.ids.size() - 1);
        CHECK(record.origin == reader.name());
    }
    run.errors = reader.take_errors();
    return run;
}

ReaderOptions tiny_chunks(size_t chunk) {
    ReaderOptions options;
    options.chunk_size = chunk;
    return options;
}

}  // namespace

TEST_CASE("lines across chunk boundaries, CRLF, blank lines, no final newline", "[ndjson]") {
    Setup s;
    const std::string text =
        "{\"id\":1,\"process\":{\"name\":\"a b c d e f g\"}}\r\n"
        "\n"
        "   \r\n"
        "{\"id\":2}\n"
        "\t\n"
        "{\"id\":3, \"pad\":\"" +
        std::string(100, 'x') +
        "\"}\r\n"
        "{\"id\":4}";
    for (size_t chunk : {1, 2, 3, 7, 16, 64, 1 << 20}) {
        INFO("chunk " << chunk);
        auto reader = NdjsonReader::from_string(text, "mem", *s.plan, tiny_chunks(chunk));
        const Run run = read_all(*reader, s);
        CHECK(run.ids == std::vector<int64_t>{1, 2, 3, 4});
        CHECK(run.lines == std::vector<uint64_t>{1, 4, 6, 7});
        CHECK(run.errors.empty());
        CHECK(run.sources[0] == "{\"id\":1,\"process\":{\"name\":\"a b c d e f g\"}}");  // no \r
        CHECK(run.sources[3] == "{\"id\":4}");
        CHECK_FALSE(reader->failure());
        CHECK(reader->stats().lines == 7);
        CHECK(reader->stats().events == 4);
        CHECK(reader->stats().blank_lines == 3);
        CHECK(reader->stats().bytes == text.size());
    }
}

TEST_CASE("string values survive until the next event", "[ndjson]") {
    Setup s;
    auto reader = NdjsonReader::from_string(
        "{\"process\":{\"name\":\"plain\"}}\n{\"process\":{\"name\":\"esc\\\"aped\\u0041\"}}\n", "mem", *s.plan,
        tiny_chunks(8));
    EventRecord r;
    REQUIRE(reader->next(r));
    CHECK(r.field(s.name)[0].str() == "plain");
    REQUIRE(reader->next(r));
    CHECK(r.field(s.name)[0].str() == "esc\"apedA");
    CHECK_FALSE(reader->next(r));
}

TEST_CASE("escaped keys are matched by their text", "[ndjson]") {
    Setup s;
    auto reader = NdjsonReader::from_string(R"({"\u0069d":5,"process\u002ename":"n"})", "mem", *s.plan);
    EventRecord r;
    REQUIRE(reader->next(r));
    REQUIRE(r.field(s.id).size() == 1);
    CHECK(r.field(s.id)[0].integer == 5);
    REQUIRE(r.field(s.name).size() == 1);
    CHECK(r.field(s.name)[0].str() == "n");
}

TEST_CASE("malformed lines are reported with their line numbers and the run goes on", "[ndjson]") {
    Setup s;
    const std::string text =
        "{\"id\":1}\n"
        "{\"id\":2\n"               // 2: unterminated object
        "not json\n"                // 3
        "[1,2]\n"                   // 4: not an object
        "\"str\"\n"                 // 5: not an object
        "{\"id\":6} trailing\n"     // 6: trailing garbage
        "{\"id\":7}{\"id\":8}\n"    // 7: two objects
        "\n"                        // 8: blank, silent
        "{\"id\":\"\xff\xfe\"}\n"   // 9: invalid UTF-8
        "{\"id\":10,\"x\":[1,2}\n"  // 10: bracket mismatch in an unreferenced member
        "{\"id\":11}\n";
    for (size_t chunk : {4, 1 << 16}) {
        auto reader = NdjsonReader::from_string(text, "events.ndjson", *s.plan, tiny_chunks(chunk));
        const Run run = read_all(*reader, s);
        CHECK(run.ids == std::vector<int64_t>{1, 11});
        CHECK(run.lines == std::vector<uint64_t>{1, 11});
        std::vector<uint64_t> bad;
        for (const BadLine& b : run.errors) {
            bad.push_back(b.line);
            CHECK(b.origin == "events.ndjson");
            CHECK(b.diagnostic.phase == eqlc::Phase::input);
            CHECK(b.diagnostic.span.begin.line == b.line);
            CHECK_FALSE(b.diagnostic.message.empty());
        }
        CHECK(bad == std::vector<uint64_t>{2, 3, 4, 5, 6, 7, 9, 10});
        REQUIRE(run.errors.size() == 8);
        CHECK(run.errors[2].diagnostic.message == "expected a JSON object, found an array");
        CHECK(run.errors[4].diagnostic.message == "unexpected content after the JSON object");
        CHECK(run.errors[5].diagnostic.span.begin.column == 9);
        CHECK(run.errors[0].excerpt == "{\"id\":2");
        CHECK(reader->stats().bad_lines == 8);
        CHECK_FALSE(reader->failure());
    }
}

TEST_CASE("validate catches bad values in skipped members", "[ndjson]") {
    Setup s;
    const std::string text =
        "{\"other\":tru,\"id\":1}\n{\"o\":{\"k\" 1},\"id\":2}\n{\"o\":[01],\"id\":3}\n{\"id\":4}\n";
    auto lax = NdjsonReader::from_string(text, "mem", *s.plan);
    CHECK(read_all(*lax, s).ids.size() >= 2);  // on-demand does not look at what it skips
    ReaderOptions options;
    options.validate = true;
    auto strict_json = NdjsonReader::from_string(text, "mem", *s.plan, options);
    const Run run = read_all(*strict_json, s);
    CHECK(run.ids == std::vector<int64_t>{4});
    CHECK(run.errors.size() == 3);
}

TEST_CASE("strict mode stops at the first bad line", "[ndjson]") {
    Setup s;
    ReaderOptions options;
    options.strict = true;
    auto reader = NdjsonReader::from_string("{\"id\":1}\n{bad}\n{\"id\":3}\n", "mem", *s.plan, options);
    const Run run = read_all(*reader, s);
    CHECK(run.ids == std::vector<int64_t>{1});
    REQUIRE(reader->failure());
    CHECK(reader->failure()->message.find("mem:2:") == 0);
    REQUIRE(run.errors.size() == 1);
    CHECK(run.errors[0].line == 2);
    EventRecord r;
    CHECK_FALSE(reader->next(r));  // stays stopped
}

TEST_CASE("kept errors are capped, all are counted", "[ndjson]") {
    Setup s;
    std::string text;
    for (int i = 0; i < 50; ++i) text += "oops\n";
    ReaderOptions options;
    options.max_kept_errors = 10;
    auto reader = NdjsonReader::from_string(text, "mem", *s.plan, options);
    const Run run = read_all(*reader, s);
    CHECK(run.errors.size() == 10);
    CHECK(reader->stats().bad_lines == 50);
    CHECK(reader->stats().errors_not_kept == 40);
}

TEST_CASE("lines longer than the limit are reported and skipped", "[ndjson]") {
    Setup s;
    ReaderOptions options;
    options.chunk_size = 8;
    options.max_line_bytes = 64;
    const std::string text = "{\"id\":1}\n{\"id\":2,\"pad\":\"" + std::string(300, 'x') + "\"}\n{\"id\":3," +
                             "\"pad\":\"" + std::string(40, 'y') + "\"}\n{\"x\":\"" + std::string(100, 'z') + "\"}";
    auto reader = NdjsonReader::from_string(text, "mem", *s.plan, options);
    const Run run = read_all(*reader, s);
    CHECK(run.ids == std::vector<int64_t>{1, 3});
    CHECK(run.lines == std::vector<uint64_t>{1, 3});
    REQUIRE(run.errors.size() == 2);
    CHECK(run.errors[0].line == 2);
    CHECK(run.errors[1].line == 4);
    CHECK(run.errors[0].diagnostic.message == "line longer than 64 bytes");
}

TEST_CASE("files: plain, gzip by magic bytes, concatenated gzip, missing file", "[ndjson]") {
    Setup s;
    TempDir dir;
    std::string text;
    for (int i = 0; i < 1000; ++i) {
        text += "{\"id\":" + std::to_string(i) + ",\"process\":{\"name\":\"p" + std::to_string(i) + "\"}}\n";
    }
    const std::vector<int64_t> expected = [] {
        std::vector<int64_t> v;
        for (int i = 0; i < 1000; ++i) v.push_back(i);
        return v;
    }();

    SECTION("plain") {
        auto opened = NdjsonReader::open(dir.write("plain.ndjson", text), *s.plan, tiny_chunks(100));
        REQUIRE(opened);
        CHECK(read_all(*opened.reader, s).ids == expected);
        CHECK_FALSE(opened.reader->is_gzip());
        CHECK(opened.reader->stats().input_bytes == text.size());
    }
    SECTION("gzip, whatever the name") {
        for (const char* name : {"events.ndjson.gz", "events.json"}) {
            const std::string compressed = eqlc::test::gzip(text);
            auto opened = NdjsonReader::open(dir.write(name, compressed), *s.plan, tiny_chunks(100));
            REQUIRE(opened);
            CHECK(read_all(*opened.reader, s).ids == expected);
            CHECK(opened.reader->is_gzip());
            CHECK(opened.reader->stats().bytes == text.size());
            CHECK(opened.reader->stats().input_bytes == compressed.size());
            CHECK_FALSE(opened.reader->failure());
        }
    }
    SECTION("concatenated gzip members") {
        const size_t half = text.find('\n', text.size() / 2) + 1;
        const std::string both = eqlc::test::gzip(text.substr(0, half)) + eqlc::test::gzip(text.substr(half));
        auto opened = NdjsonReader::open(dir.write("two.gz", both), *s.plan);
        REQUIRE(opened);
        CHECK(read_all(*opened.reader, s).ids == expected);
        CHECK_FALSE(opened.reader->failure());
    }
    SECTION("truncated gzip") {
        const std::string compressed = eqlc::test::gzip(text);
        auto opened = NdjsonReader::open(dir.write("cut.gz", compressed.substr(0, compressed.size() / 2)), *s.plan);
        REQUIRE(opened);
        const Run run = read_all(*opened.reader, s);
        CHECK(run.ids.size() < 1000);
        REQUIRE(opened.reader->failure());
        CHECK(opened.reader->failure()->message.find("truncated") != std::string::npos);
    }
    SECTION("corrupt gzip") {
        std::string compressed = eqlc::test::gzip(text);
        for (size_t i = 20; i < 60; ++i) compressed[i] = static_cast<char>(compressed[i] ^ 0x5a);
        auto opened = NdjsonReader::open(dir.write("bad.gz", compressed), *s.plan);
        REQUIRE(opened);
        read_all(*opened.reader, s);
        REQUIRE(opened.reader->failure());
        CHECK(opened.reader->failure()->phase == eqlc::Phase::input);
    }
    SECTION("missing file and directory are error values") {
        auto missing = NdjsonReader::open((dir.path() / "nope.ndjson").string(), *s.plan);
        CHECK_FALSE(missing);
        CHECK(missing.error.phase == eqlc::Phase::input);
        CHECK(missing.error.message.find("No such file or directory") != std::string::npos);
        auto directory = NdjsonReader::open(dir.path().string(), *s.plan);
        CHECK_FALSE(directory);
        CHECK(directory.error.message.find("Is a directory") != std::string::npos);
    }
    SECTION("empty file") {
        auto opened = NdjsonReader::open(dir.write("empty", ""), *s.plan);
        REQUIRE(opened);
        CHECK(read_all(*opened.reader, s).ids.empty());
        CHECK_FALSE(opened.reader->failure());
    }
}

TEST_CASE("a pipe, written a byte at a time, gzip detected", "[ndjson]") {
    Setup s;
    const std::string text = "{\"id\":1}\n{\"id\":2}\n";
    for (bool compressed : {false, true}) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        const std::string bytes = compressed ? eqlc::test::gzip(text) : text;
        std::thread writer([&] {
            for (char c : bytes) {
                REQUIRE(::write(fds[1], &c, 1) == 1);
            }
            ::close(fds[1]);
        });
        auto reader = NdjsonReader::from_fd(fds[0], "<pipe>", *s.plan, tiny_chunks(4));
        const Run run = read_all(*reader, s);
        writer.join();
        ::close(fds[0]);
        CHECK(run.ids == std::vector<int64_t>{1, 2});
        CHECK(reader->is_gzip() == compressed);
    }
}

TEST_CASE("\"-\" opens stdin", "[ndjson]") {
    Setup s;
    auto opened = NdjsonReader::open("-", *s.plan);
    REQUIRE(opened);
    CHECK(opened.reader->name() == "<stdin>");
}

TEST_CASE("timestamps are counted when missing", "[ndjson]") {
    Setup s;
    auto reader = NdjsonReader::from_string("{\"@timestamp\":\"2024-01-01T00:00:00Z\"}\n{\"@timestamp\":\"bad\"}\n{}\n",
                                            "mem", *s.plan);
    EventRecord r;
    REQUIRE(reader->next(r));
    CHECK(r.has_timestamp);
    REQUIRE(reader->next(r));
    CHECK_FALSE(r.has_timestamp);
    CHECK(reader->timestamp_error() == eqlc::input::TimestampError::Syntax);
    REQUIRE(reader->next(r));
    CHECK_FALSE(r.has_timestamp);
    CHECK(reader->timestamp_error() == eqlc::input::TimestampError::Empty);
    CHECK(reader->stats().events_without_timestamp == 2);
}

TEST_CASE("a UTF-8 byte order mark at the start is skipped", "[ndjson]") {
    Setup s;
    auto reader = NdjsonReader::from_string("\xEF\xBB\xBF{\"id\":1}\n", "mem", *s.plan);
    CHECK(read_all(*reader, s).ids == std::vector<int64_t>{1});
}

TEST_CASE("a 100,000-line generated file, gzip and plain", "[ndjson]") {
    Setup s;
    TempDir dir;
    std::string text;
    text.reserve(100000 * 120);
    for (int i = 0; i < 100000; ++i) {
        text += "{\"@timestamp\":" + std::to_string(1700000000000LL + i) + ",\"id\":" + std::to_string(i) +
                ",\"event\":{\"category\":[\"process\"]},\"process\":{\"name\":\"proc" + std::to_string(i % 97) +
                ".exe\",\"args\":[\"a\",\"b\"]}}\n";
        if (i % 10000 == 5000) text += "garbage line\n";
    }
    for (bool compressed : {false, true}) {
        auto opened = NdjsonReader::open(
            dir.write(compressed ? "big.gz" : "big.ndjson", compressed ? eqlc::test::gzip(text, 1) : text), *s.plan,
            tiny_chunks(64 * 1024));
        REQUIRE(opened);
        EventRecord r;
        int64_t expected = 0;
        bool ordered = true;
        while (opened.reader->next(r)) {
            ordered = ordered && r.field(s.id).size() == 1 && r.field(s.id)[0].integer == expected && r.has_timestamp &&
                      r.timestamp_ns == (1700000000000LL + expected) * 1'000'000;
            ++expected;
        }
        CHECK(ordered);
        CHECK(expected == 100000);
        CHECK(opened.reader->stats().events == 100000);
        CHECK(opened.reader->stats().bad_lines == 10);
        CHECK(opened.reader->stats().lines == 100010);
        CHECK(opened.reader->take_errors().size() == 10);
    }
}

TEST_CASE("strings and keys of every length, escapes at every offset", "[ndjson]") {
    // The reader finds a string's end, and a key's end and dots, 16 bytes at a time: put the closing quote, an
    // escaped quote, an escaped backslash and a dot at each offset around those blocks, with the string at the
    // end of the line (the scan reads into the buffer's padding) and followed by more members.
    FieldCatalog catalog;
    const SlotId value = catalog.intern("k.v");
    const SlotId other = catalog.intern("other");
    ProjectionPlan plan(catalog);
    for (size_t length = 0; length <= 40; ++length) {
        const std::string plain(length, 'a');
        std::vector<std::pair<std::string, std::string>> cases;  // JSON text, decoded text
        cases.emplace_back(plain, plain);
        for (size_t at = 0; at <= length; ++at) {
            cases.emplace_back(plain.substr(0, at) + "\\\"" + plain.substr(at),
                               plain.substr(0, at) + "\"" + plain.substr(at));
            cases.emplace_back(plain.substr(0, at) + "\\\\" + plain.substr(at),
                               plain.substr(0, at) + "\\" + plain.substr(at));
            cases.emplace_back(plain.substr(0, at) + "\\u00e9" + plain.substr(at),
                               plain.substr(0, at) + "\xC3\xA9" + plain.substr(at));
        }
        for (const auto& [json, text] : cases) {
            INFO("string " << json);
            for (const std::string& line :
                 {"{\"k\":{\"v\":\"" + json + "\"}}",
                  "{\"k\":{\"v\":[\"" + json + "\",\"" + json + "\"]},\"other\":\"" + json + "\"}",
                  "{\"other\":\"" + json + "\",\"k\":{\"v\":\"" + json + "\"}}"}) {
                for (size_t chunk : {size_t{7}, size_t{1} << 20}) {
                    auto reader = NdjsonReader::from_string(line, "mem", plan, tiny_chunks(chunk));
                    EventRecord r;
                    REQUIRE(reader->next(r));
                    REQUIRE(r.field(value).size() >= 1);
                    for (const auto& v : r.field(value)) CHECK(v.str() == text);
                    if (r.has(other)) CHECK(r.field(other)[0].str() == text);
                    CHECK_FALSE(reader->next(r));
                    CHECK(reader->take_errors().empty());
                }
            }
        }
    }

    // Keys: a dotted key leads through the trie segment by segment, wherever its dot is; an escaped key is
    // matched by its text; an unreferenced key of any length leads nowhere.
    for (size_t length = 1; length <= 40; ++length) {
        const std::string pad(length, 'p');
        FieldCatalog keys;
        const SlotId nested = keys.intern(pad + ".x");
        const SlotId flat = keys.intern(pad);
        ProjectionPlan key_plan(keys);
        const std::string lines[] = {
            "{\"" + pad + ".x\":1}",
            "{\"" + pad + "\":{\"x\":1}}",
            "{\"" + pad.substr(0, length - 1) + "\\u0070.x\":1}",
            "{\"" + pad.substr(0, length - 1) + "\\u0070\":{\"x\":1}}",
            "{\"" + pad + "q.x\":2,\"" + pad + "\":3,\"q" + pad + "\":4}",
            "{\"" + pad + "\\\"\":2,\"" + pad + "\":3,\"" + pad + ".\":4,\"" + pad + ".x.\":5}",
        };
        const std::vector<std::pair<int64_t, int64_t>> expected = {{1, -1}, {1, -1}, {1, -1},
                                                                   {1, -1}, {-1, 3}, {-1, 3}};
        for (size_t i = 0; i < std::size(lines); ++i) {
            INFO("line " << lines[i]);
            auto reader = NdjsonReader::from_string(lines[i], "mem", key_plan);
            EventRecord r;
            REQUIRE(reader->next(r));
            CHECK((r.has(nested) ? r.field(nested)[0].integer : -1) == expected[i].first);
            CHECK((r.has(flat) && !r.field(flat).empty() ? r.field(flat)[0].integer : -1) == expected[i].second);
        }
    }
}

TEST_CASE("values that start like no JSON value are errors where the projection reads them", "[ndjson]") {
    // simdjson's first stage does not check scalars; the reader parses those it reads (a referenced path, or one
    // leading to one) and reports a malformed one, with its column, and leaves the others alone.
    Setup s;
    const std::string text =
        "{\"id\":xyz}\n"                      // 1: a referenced scalar
        "{\"process\":xyz}\n"                 // 2: leads to a referenced path
        "{\"other\":xyz,\"id\":4}\n"          // 3: unreferenced: skipped
        "{\"id\":[1,xyz]}\n"                  // 4: in a referenced array
        "{\"process\":[xyz]}\n"               // 5
        "{\"id\":tru}\n"                      // 6
        "{\"id\":nul}\n"                      // 7
        "{\"id\":-}\n"                        // 8
        "{\"process\":{\"name\":\"\\x\"}}\n"  // 9: a bad escape in a referenced string
        "{\"other\":\"\\x\",\"id\":10}\n";    // 10: not in an unreferenced one (stage 1 does not check escapes)
    auto reader = NdjsonReader::from_string(text, "mem", *s.plan);
    const Run run = read_all(*reader, s);
    CHECK(run.ids == std::vector<int64_t>{4, 10});
    std::vector<uint64_t> bad;
    for (const BadLine& b : run.errors) bad.push_back(b.line);
    CHECK(bad == std::vector<uint64_t>{1, 2, 4, 5, 6, 7, 8, 9});
    REQUIRE(run.errors.size() == 8);
    CHECK(run.errors[0].diagnostic.span.begin.column == 7);
    CHECK(run.errors[1].diagnostic.span.begin.column == 12);
    CHECK(run.errors[2].diagnostic.span.begin.column == 10);
    CHECK(run.errors[4].diagnostic.message == "invalid JSON: not a JSON value");
    CHECK(run.errors[4].diagnostic.span.begin.column == 7);
    CHECK(run.errors[6].diagnostic.message == "invalid JSON: malformed number");
    CHECK(run.errors[7].diagnostic.span.begin.column == 24);
}

TEST_CASE("keys with blanks around the colon", "[ndjson]") {
    // The reader first looks a key up with the size implied by where its value starts ("key":value); blanks
    // around the colon make that size wrong, and the key must still be found (or not) by its text.
    FieldCatalog catalog;
    const SlotId id = catalog.intern("id");
    const SlotId name = catalog.intern("process.name");
    const SlotId longer = catalog.intern("a_key_longer_than_16_bytes.x");
    ProjectionPlan plan(catalog);
    for (const char* blank : {"", " ", "  ", "\t", " \t ", "                 "}) {
        const std::string b = blank;
        const std::string line = "{\"id\"" + b + ":" + b + "7," + b + "\"process\"" + b + ":" + b + "{" + b +
                                 "\"name\"" + b + ":" + b + "\"n\"" + b + "}," + "\"i\"" + b + ":" + b + "1,\"idx\"" +
                                 b + ":2," + "\"a_key_longer_than_16_bytes\"" + b + ":" + b + "{\"x\"" + b + ":" + b +
                                 "3}," + "\"a_key_longer_than_16_bytes.x\"" + b + ":" + b + "4}";
        INFO(line);
        auto reader = NdjsonReader::from_string(line, "mem", plan);
        EventRecord r;
        REQUIRE(reader->next(r));
        REQUIRE(r.field(id).size() == 1);
        CHECK(r.field(id)[0].integer == 7);
        REQUIRE(r.field(name).size() == 1);
        CHECK(r.field(name)[0].str() == "n");
        REQUIRE(r.field(longer).size() == 2);
        CHECK(r.field(longer)[0].integer == 3);
        CHECK(r.field(longer)[1].integer == 4);
        CHECK(reader->take_errors().empty());
    }
}

TEST_CASE("numbers with 19 or more significant digits and a fraction or exponent read as the nearest double",
          "[ndjson][numbers]") {
    // simdjson 3.0.1's get_number() reads these as 0; the reader must give what Java's Double.parseDouble gives.
    Setup s;
    const std::vector<std::string> tokens = {"3.141592653589793238",
                                             "1234567890123456789.5",
                                             "1.2345678901234567890e3",
                                             "-0.1234567890123456789",
                                             "17000000000000000000.0",
                                             "9007199254740993.0000000001",
                                             "1e-400",
                                             "2.5"};
    std::string text;
    for (const auto& t : tokens) text += "{\"process\":{\"name\":" + t + "}}\n";
    auto reader = NdjsonReader::from_string(text, "mem", *s.plan);
    EventRecord record;
    for (const auto& t : tokens) {
        REQUIRE(reader->next(record));
        const auto values = record.field(s.name);
        REQUIRE(values.size() == 1);
        REQUIRE(values[0].type == eqlc::vm::ValueType::floating);
        CHECK(values[0].floating == std::strtod(t.c_str(), nullptr));
    }
    CHECK(reader->take_errors().empty());
}

TEST_CASE("an epoch-millis timestamp with 19 or more significant digits", "[ndjson][numbers][timestamp]") {
    Setup s;
    auto reader = NdjsonReader::from_string(
        "{\"@timestamp\":1700000000000.0000001}\n{\"@timestamp\":1.7000000000000000001e12}\n", "mem", *s.plan);
    EventRecord record;
    for (int i = 0; i < 2; ++i) {
        REQUIRE(reader->next(record));
        CHECK(record.has_timestamp);
        CHECK(record.timestamp_ns == 1'700'000'000'000'000'000);
    }
}

TEST_CASE("nesting deeper than 1000 levels is a bad line, not a stack overflow", "[ndjson][depth]") {
    Setup s;
    auto nest = [](const std::string& open, const std::string& close, size_t n, const std::string& inner) {
        std::string out;
        for (size_t i = 0; i < n; ++i) out += open;
        out += inner;
        for (size_t i = 0; i < n; ++i) out += close;
        return out;
    };
    // A read field, 40,000 arrays deep. With the root and `process`, 998 arrays make 1000 levels (the limit),
    // 999 make 1001.
    const std::string text = "{\"id\":1,\"process\":{\"name\":" + nest("[", "]", 40'000, "\"x\"") + "}}\n" +
                             "{\"id\":2,\"process\":{\"name\":" + nest("[", "]", 998, "\"x\"") + "}}\n" +
                             "{\"id\":3,\"process\":{\"name\":" + nest("[", "]", 999, "\"x\"") + "}}\n" +
                             "{\"id\":4,\"other\":" + nest("{\"a\":", "}", 40'000, "1") + "}\n";
    auto reader = NdjsonReader::from_string(text, "mem", *s.plan);
    const Run run = read_all(*reader, s);
    CHECK(run.ids == std::vector<int64_t>{2, 4});  // an unread member is skipped without recursion
    REQUIRE(run.errors.size() == 2);
    CHECK(run.errors[0].line == 1);
    CHECK(run.errors[0].diagnostic.message == "objects and arrays nested deeper than 1000 levels");
    CHECK(run.errors[1].line == 3);

    // With `validate`, unread members are checked too, with the same limit.
    ReaderOptions options;
    options.validate = true;
    auto validating = NdjsonReader::from_string(text, "mem", *s.plan, options);
    const Run checked = read_all(*validating, s);
    CHECK(checked.ids == std::vector<int64_t>{2});
    CHECK(checked.errors.size() == 3);
}
