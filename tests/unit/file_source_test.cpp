// Files as event sources (lib/service/file_source.cpp): line cutting, gzip, positions across restarts, following a
// growing, rotated or truncated file; and the alert sinks over file descriptors (lib/service/file_alert_sinks.cpp).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "service/alert_sink.hpp"
#include "service/file_source.hpp"
#include "support/files.hpp"
#include "support/gzip.hpp"

using eqlc::service::EventBatch;
using eqlc::service::EventSource;
using eqlc::service::FileSourceOptions;
using eqlc::test::TempDir;
using Status = EventSource::Status;
using namespace std::chrono_literals;

namespace {

struct Line {
    uint64_t number;
    std::string text;
    bool operator==(const Line& other) const { return number == other.number && text == other.text; }
};

std::ostream& operator<<(std::ostream& out, const Line& line) { return out << line.number << ": " << line.text; }

// The reports a source makes, kept for the test to look at.
struct Reports {
    std::vector<std::string> messages;
    eqlc::service::Reporter reporter() {
        return [this](std::string_view message) { messages.emplace_back(message); };
    }
    size_t count(const std::string& part) const {
        size_t n = 0;
        for (const auto& message : messages) n += message.find(part) != std::string::npos ? 1 : 0;
        return n;
    }
};

void append_lines(const EventBatch& batch, std::vector<Line>& out) {
    size_t start = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
        const size_t end = batch.text.find('\n', start);
        REQUIRE(end != std::string::npos);
        out.push_back({batch.lines[i], batch.text.substr(start, end - start)});
        start = end + 1;
    }
    REQUIRE(start == batch.text.size());
}

// Calls next() until it says something else than `events`; returns the lines and that last status.
std::vector<Line> drain(EventSource& source, Status& last, std::chrono::milliseconds wait = 0ms, size_t max = 1000) {
    std::vector<Line> lines;
    EventBatch batch;
    while (true) {
        batch.clear();
        last = source.next(batch, max, wait);
        if (last != Status::events) {
            REQUIRE(batch.empty());
            return lines;
        }
        REQUIRE(!batch.empty());
        REQUIRE(batch.size() <= max);
        append_lines(batch, lines);
    }
}

std::unique_ptr<EventSource> open_source(const std::filesystem::path& path, Reports& reports, bool follow = false,
                                         size_t max_line = size_t{64} << 20) {
    FileSourceOptions options;
    options.follow = follow;
    options.poll = 10ms;
    options.max_line = max_line;
    std::string error;
    auto source = eqlc::service::make_file_source(path.string(), options, reports.reporter(), error);
    INFO(error);
    REQUIRE(source != nullptr);
    return source;
}

void append(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::app) << text;
}

}  // namespace

TEST_CASE("a file source cuts lines: CRLF, blank lines, a BOM, a last line without newline", "[file-source]") {
    TempDir dir;
    const auto path = dir.write("events.ndjson", "\xEF\xBB\xBF{\"n\":1}\r\n\n  \t\r\n{\"n\":2}\n{\"n\":3}");
    Reports reports;
    auto source = open_source(path, reports);
    EventBatch batch;
    REQUIRE(source->next(batch, 2, 0ms) == Status::events);
    CHECK(batch.origin == path.string());
    CHECK(batch.size() == 2);
    Status last{};
    std::vector<Line> lines;
    append_lines(batch, lines);
    const auto rest = drain(*source, last);
    lines.insert(lines.end(), rest.begin(), rest.end());
    CHECK(last == Status::ended);
    CHECK(lines == std::vector<Line>{{1, "{\"n\":1}"}, {4, "{\"n\":2}"}, {5, "{\"n\":3}"}});
    CHECK(source->position()["offset"] == std::filesystem::file_size(path));
    CHECK(source->position()["line"] == 5);
    batch.clear();
    CHECK(source->next(batch, 10, 0ms) == Status::ended);  // and stays ended
    CHECK(reports.messages.empty());
}

TEST_CASE("a file source refuses a missing file unless followed", "[file-source]") {
    TempDir dir;
    std::string error;
    Reports reports;
    const auto missing = (dir.path() / "missing.ndjson").string();
    CHECK(eqlc::service::make_file_source(missing, {}, reports.reporter(), error) == nullptr);
    CHECK(error.find(missing) != std::string::npos);
    CHECK(error.find("No such file") != std::string::npos);
    CHECK(eqlc::service::make_file_source(dir.path().string(), {}, reports.reporter(), error) == nullptr);
}

TEST_CASE("a file source reads gzip decompressed and does not follow it", "[file-source]") {
    TempDir dir;
    const auto path = dir.write("events.ndjson.gz", eqlc::test::gzip("{\"n\":1}\n\n{\"n\":2}\r\n{\"n\":3}"));
    Reports reports;
    SECTION("read once") {
        auto source = open_source(path, reports);
        Status last{};
        CHECK(drain(*source, last) == std::vector<Line>{{1, "{\"n\":1}"}, {3, "{\"n\":2}"}, {4, "{\"n\":3}"}});
        CHECK(last == Status::ended);
    }
    SECTION("followed: said so, read once") {
        auto source = open_source(path, reports, true);
        Status last{};
        CHECK(drain(*source, last, 20ms).size() == 3);
        CHECK(last == Status::ended);
        CHECK(reports.count("gzip") == 1);
    }
    SECTION("restored in the middle") {
        auto first = open_source(path, reports);
        EventBatch batch;
        REQUIRE(first->next(batch, 1, 0ms) == Status::events);
        const auto position = first->position();
        auto second = open_source(path, reports);
        std::string error;
        REQUIRE(second->restore(position, error));
        Status last{};
        CHECK(drain(*second, last) == std::vector<Line>{{3, "{\"n\":2}"}, {4, "{\"n\":3}"}});
    }
}

TEST_CASE("a file source goes on from a position on the same file, from the start on another", "[file-source]") {
    TempDir dir;
    const auto path = dir.write("events.ndjson", "{\"n\":1}\n{\"n\":2}\n\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n");
    Reports reports;
    std::vector<Line> all;
    nlohmann::json position;
    {
        auto source = open_source(path, reports);
        EventBatch batch;
        REQUIRE(source->next(batch, 3, 0ms) == Status::events);
        append_lines(batch, all);
        position = source->position();
    }
    CHECK(position["path"] == path.string());
    CHECK(position["line"] == 4);
    CHECK(position["offset"] == 25);

    SECTION("the same file: the rest, nothing twice") {
        auto source = open_source(path, reports);
        std::string error;
        REQUIRE(source->restore(position, error));
        CHECK(reports.count("continuing at line 5") == 1);
        Status last{};
        const auto rest = drain(*source, last);
        all.insert(all.end(), rest.begin(), rest.end());
        CHECK(all == std::vector<Line>{
                         {1, "{\"n\":1}"}, {2, "{\"n\":2}"}, {4, "{\"n\":3}"}, {5, "{\"n\":4}"}, {6, "{\"n\":5}"}});
    }
    SECTION("the same file grown meanwhile: the rest and the new lines") {
        append(path, "{\"n\":6}\n");
        auto source = open_source(path, reports);
        std::string error;
        REQUIRE(source->restore(position, error));
        Status last{};
        CHECK(drain(*source, last).size() == 3);
    }
    SECTION("another file at the path: from its start") {
        // Written beside and renamed over, so that it cannot get the old file's inode.
        const auto other = dir.write("other.ndjson", "{\"m\":1}\n{\"m\":2}\n");
        std::filesystem::rename(other, path);
        auto source = open_source(path, reports);
        std::string error;
        REQUIRE(source->restore(position, error));
        CHECK(reports.count("another file") == 1);
        Status last{};
        CHECK(drain(*source, last) == std::vector<Line>{{1, "{\"m\":1}"}, {2, "{\"m\":2}"}});
    }
    SECTION("the same file, now shorter than the position: from its start") {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << "{\"m\":1}\n";
        auto source = open_source(path, reports);
        std::string error;
        REQUIRE(source->restore(position, error));
        CHECK(reports.count("shorter") == 1);
        Status last{};
        CHECK(drain(*source, last) == std::vector<Line>{{1, "{\"m\":1}"}});
    }
    SECTION("a position that is not a file's is refused") {
        auto source = open_source(path, reports);
        std::string error;
        CHECK_FALSE(source->restore(nlohmann::json{{"stream_sequence", 7}}, error));
        CHECK(error.find("not a file position") != std::string::npos);
        CHECK(source->restore(nullptr, error));  // no position yet: from the start
    }
}

TEST_CASE("a followed file hands out lines as they are appended, a line only once it is complete", "[file-source]") {
    TempDir dir;
    const auto path = dir.write("events.ndjson", "{\"n\":1}\n");
    Reports reports;
    auto source = open_source(path, reports, true);
    Status last{};
    CHECK(drain(*source, last) == std::vector<Line>{{1, "{\"n\":1}"}});
    CHECK(last == Status::idle);

    append(path, "{\"n\":2}\n{\"n\":");
    CHECK(drain(*source, last, 20ms) == std::vector<Line>{{2, "{\"n\":2}"}});
    CHECK(last == Status::idle);
    CHECK(drain(*source, last, 30ms).empty());  // the unterminated line is held
    CHECK(source->position()["line"] == 2);
    CHECK(source->position()["offset"] == 16);

    append(path, "3}\n");
    CHECK(drain(*source, last, 20ms) == std::vector<Line>{{3, "{\"n\":3}"}});

    // A writer in another thread: next() returns as soon as its line is there, long before the wait is over.
    std::thread writer([&] {
        std::this_thread::sleep_for(20ms);
        append(path, "{\"n\":4}\n");
    });
    const auto start = std::chrono::steady_clock::now();
    EventBatch batch;
    const Status status = source->next(batch, 10, 5000ms);
    writer.join();
    CHECK(status == Status::events);
    CHECK(batch.lines == std::vector<uint64_t>{4});
    CHECK(std::chrono::steady_clock::now() - start < 2000ms);
    CHECK(reports.messages.empty());
}

TEST_CASE("a followed file that is rotated: the old file's rest, then the new file", "[file-source]") {
    TempDir dir;
    const auto path = dir.write("events.ndjson", "{\"n\":1}\n");
    Reports reports;
    auto source = open_source(path, reports, true);
    Status last{};
    CHECK(drain(*source, last).size() == 1);
    // Written to the old file before it is moved away, not read yet; its last line has no newline.
    append(path, "{\"n\":2}\n{\"n\":3}");
    std::filesystem::rename(path, dir.path() / "events.ndjson.1");
    CHECK(drain(*source, last, 20ms) == std::vector<Line>{{2, "{\"n\":2}"}});  // no new file yet: waits
    CHECK(last == Status::idle);
    dir.write("events.ndjson", "{\"m\":1}\n{\"m\":2}\n");
    CHECK(drain(*source, last, 20ms) == std::vector<Line>{{3, "{\"n\":3}"}, {1, "{\"m\":1}"}, {2, "{\"m\":2}"}});
    CHECK(reports.count("rotated, reading the new file") == 1);
    append(path, "{\"m\":3}\n");
    CHECK(drain(*source, last, 20ms) == std::vector<Line>{{3, "{\"m\":3}"}});
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(source->position()["ino"] == static_cast<uint64_t>(st.st_ino));
}

TEST_CASE("a followed file that is truncated is read again from its start", "[file-source]") {
    TempDir dir;
    const auto path = dir.write("events.ndjson", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
    Reports reports;
    auto source = open_source(path, reports, true);
    Status last{};
    CHECK(drain(*source, last).size() == 3);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << "{\"m\":1}\n";  // same file, shorter
    CHECK(drain(*source, last, 20ms) == std::vector<Line>{{1, "{\"m\":1}"}});
    CHECK(reports.count("truncated, reading from the start") == 1);
    CHECK(source->position()["offset"] == 8);
    CHECK(source->position()["line"] == 1);
}

TEST_CASE("a followed path that does not exist yet is waited for", "[file-source]") {
    TempDir dir;
    const auto path = dir.path() / "later.ndjson";
    Reports reports;
    auto source = open_source(path, reports, true);
    Status last{};
    CHECK(drain(*source, last, 20ms).empty());
    CHECK(last == Status::idle);
    CHECK(drain(*source, last, 0ms).empty());
    CHECK(reports.count("does not exist yet") == 1);  // said once
    dir.write("later.ndjson", "\xEF\xBB\xBF{\"n\":1}\n");
    CHECK(drain(*source, last, 20ms) == std::vector<Line>{{1, "{\"n\":1}"}});
    CHECK(last == Status::idle);
}

TEST_CASE("a line longer than the limit is reported and skipped", "[file-source]") {
    TempDir dir;
    const std::string long_line(100, 'x');
    Reports reports;
    SECTION("complete lines") {
        const auto path = dir.write("events.ndjson", "{\"n\":1}\n" + long_line + "\n{\"n\":3}\n" + long_line);
        auto source = open_source(path, reports, false, 32);
        Status last{};
        CHECK(drain(*source, last) == std::vector<Line>{{1, "{\"n\":1}"}, {3, "{\"n\":3}"}});
        CHECK(reports.count(path.string() + ":2: a line longer than 32 bytes") == 1);
        CHECK(reports.count(path.string() + ":4: a line longer than 32 bytes") == 1);
        CHECK(source->position()["line"] == 4);
    }
    SECTION("followed: not held while it grows, the position stays at its start") {
        const auto path = dir.write("events.ndjson", "{\"n\":1}\n");
        auto source = open_source(path, reports, true, 32);
        Status last{};
        CHECK(drain(*source, last).size() == 1);
        append(path, long_line);
        CHECK(drain(*source, last, 10ms).empty());
        CHECK(reports.count(":2: a line longer than 32 bytes") == 1);
        CHECK(source->position()["offset"] == 8);
        append(path, long_line + "\n{\"n\":3}\n");
        CHECK(drain(*source, last, 10ms) == std::vector<Line>{{3, "{\"n\":3}"}});
        CHECK(reports.count("longer") == 1);
    }
}

TEST_CASE("a file alert sink syncs, records its length and is cut back to it", "[file-source]") {
    TempDir dir;
    const auto path = (dir.path() / "alerts.ndjson").string();
    std::string error;
    Reports reports;
    nlohmann::json checkpoint;
    {
        auto sink = eqlc::service::make_file_alert_sink(path, error, reports.reporter());
        REQUIRE(sink != nullptr);
        REQUIRE(sink->write({"{\"a\":1}", "r/1"}, error));
        REQUIRE(sink->write({"{\"a\":2}", "r/2"}, error));
        REQUIRE(sink->flush(error));
        checkpoint = sink->position();
        CHECK(checkpoint["length"] == 16);
        REQUIRE(sink->write({"{\"a\":3}", "r/3"}, error));  // after the checkpoint: the crash comes before the next
        REQUIRE(sink->flush(error));
        CHECK(sink->position()["length"] == 24);
    }
    CHECK(eqlc::test::read_text(path) == "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
    {
        auto sink = eqlc::service::make_file_alert_sink(path, error, reports.reporter());
        REQUIRE(sink != nullptr);
        REQUIRE(sink->restore(checkpoint, error));
        CHECK(reports.count("cut back from 24 to 16 bytes") == 1);
        CHECK(eqlc::test::read_text(path) == "{\"a\":1}\n{\"a\":2}\n");
        REQUIRE(sink->write({"{\"a\":3}", "r/3"}, error));  // the replayed event gives it again, once
        REQUIRE(sink->flush(error));
    }
    CHECK(eqlc::test::read_text(path) == "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
    {
        auto sink = eqlc::service::make_file_alert_sink(path, error, reports.reporter());
        REQUIRE(sink->restore({{"length", 24}}, error));  // as long as the checkpoint says: nothing to do
        CHECK(reports.messages.size() == 1);
        CHECK_FALSE(sink->restore({{"length", 100}}, error));
        CHECK(error == "alerts file " + path +
                           " is shorter than the checkpoint says (24 < 100): it was changed by something else");
    }
}

TEST_CASE("an fd alert sink writes lines, and a pipe whose reader is gone is an error", "[file-source]") {
    struct sigaction ignore {};
    struct sigaction previous {};
    ignore.sa_handler = SIG_IGN;
    REQUIRE(::sigaction(SIGPIPE, &ignore, &previous) == 0);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string error;
    {
        auto sink = eqlc::service::make_fd_alert_sink(fds[1], "<stdout>");
        CHECK(sink->position().is_null());
        REQUIRE(sink->write({"{\"a\":1}", "r/1"}, error));
        REQUIRE(sink->flush(error));
        char buffer[64] = {};
        CHECK(::read(fds[0], buffer, sizeof buffer) == 8);
        CHECK(std::string(buffer) == "{\"a\":1}\n");
        ::close(fds[0]);
        REQUIRE(sink->write({"{\"a\":2}", "r/2"}, error));  // buffered
        CHECK_FALSE(sink->flush(error));
        CHECK(error == "cannot write alerts to <stdout>: Broken pipe (its reader went away)");
        error.clear();
        CHECK_FALSE(sink->write({"{\"a\":3}", "r/3"}, error));  // and it stays failed
        CHECK(!error.empty());
    }
    ::close(fds[1]);
    ::sigaction(SIGPIPE, &previous, nullptr);
}

TEST_CASE("a pipe is read as a stream: waited for up to the wait, ended when its writer is gone", "[file-source]") {
    TempDir dir;
    const auto path = dir.path() / "events.fifo";
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    // Opened for reading and writing, so that neither this open nor the source's blocks for the other side.
    const int writer = ::open(path.c_str(), O_RDWR);
    REQUIRE(writer >= 0);
    Reports reports;
    auto source = open_source(path, reports, true);
    const std::string text = "{\"n\":1}\n\n{\"n\":2}\n{\"n\":";
    REQUIRE(::write(writer, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    Status last{};
    CHECK(drain(*source, last, 20ms) == std::vector<Line>{{1, "{\"n\":1}"}, {3, "{\"n\":2}"}});
    CHECK(last == Status::idle);
    std::string error;
    CHECK(source->restore(source->position(), error));  // nothing to skip in a stream: said so
    CHECK(reports.count("cannot be positioned") == 1);
    REQUIRE(::write(writer, "3}", 2) == 2);
    ::close(writer);
    CHECK(drain(*source, last, 20ms) == std::vector<Line>{{4, "{\"n\":3}"}});
    CHECK(last == Status::ended);
}

TEST_CASE("standard input is read as a stream, gzip or not", "[file-source]") {
    const std::string text = "{\"n\":1}\n{\"n\":2}";
    const bool compressed = GENERATE(false, true);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::string bytes = compressed ? eqlc::test::gzip(text) : text;
    REQUIRE(::write(fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    ::close(fds[1]);
    const int saved = ::dup(STDIN_FILENO);
    REQUIRE(::dup2(fds[0], STDIN_FILENO) == STDIN_FILENO);
    ::close(fds[0]);
    std::vector<Line> lines;
    Status last{};
    std::string name;
    {
        Reports reports;
        auto source = open_source("-", reports);
        name = source->name();
        lines = drain(*source, last, 100ms);
    }
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    CHECK(name == "<stdin>");
    CHECK(lines == std::vector<Line>{{1, "{\"n\":1}"}, {2, "{\"n\":2}"}});
    CHECK(last == Status::ended);
}

TEST_CASE("a gzip file cut short is a failure that says where", "[file-source]") {
    TempDir dir;
    std::string lines;
    for (int i = 0; i < 2000; ++i) lines += "{\"n\":" + std::to_string(i) + "}\n";
    const std::string compressed = eqlc::test::gzip(lines);
    const auto path = dir.write("cut.ndjson.gz", compressed.substr(0, compressed.size() / 2));
    Reports reports;
    auto source = open_source(path, reports);
    Status last{};
    drain(*source, last);
    CHECK(last == Status::failed);
    CHECK(source->error().find(path.string()) != std::string::npos);
    CHECK(source->error().find("gzip") != std::string::npos);
}

TEST_CASE("an fd alert sink on a full device says so", "[file-source]") {
    const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        WARN("SKIPPED: no /dev/full here");
        return;
    }
    std::string error;
    {
        auto sink = eqlc::service::make_fd_alert_sink(fd, "/dev/full");
        REQUIRE(sink->write({"{\"a\":1}", "r/1"}, error));
        CHECK_FALSE(sink->flush(error));
        CHECK(error == "cannot write alerts to /dev/full: No space left on device");
    }
    ::close(fd);
}
