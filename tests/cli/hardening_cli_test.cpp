// eqlc under conditions a run meets in production: standard output full or closed, a live stream stopped by a
// signal, input that is out of order, without time or bad in bulk, rules with timestamp_override, and event data
// holding terminal control sequences.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eqlc/printable.hpp"
#include "support/cli_process.hpp"
#include "support/cli_runner.hpp"
#include "support/files.hpp"

using eqlc::test::exit_status;
using eqlc::test::read_line;
using eqlc::test::run_eqlc;
using eqlc::test::spawn_eqlc;
using eqlc::test::TempDir;

namespace {

std::string event(int second, const std::string& extra = "") {
    return R"({"@timestamp":"2024-05-01T10:00:)" + std::string(second < 10 ? "0" : "") + std::to_string(second) +
           R"(Z","event":{"category":"process"},"process":{"name":"cmd.exe"})" + extra + "}\n";
}

const char* kQuery = "process where process.name == \"cmd.exe\"";

}  // namespace

TEST_CASE("eqlc: alerts that cannot be written are an error (full disk)", "[cli][hardening]") {
    if (!std::filesystem::exists("/dev/full")) return;
    TempDir dir;
    const auto events = dir.write("events.ndjson", event(1) + event(2));
    const auto err = dir.path() / "stderr";
    const std::string command = eqlc::test::shell_quote(EQLC_CLI_PATH) + " -e " + eqlc::test::shell_quote(kQuery) +
                                " " + eqlc::test::shell_quote(events.string()) + " >/dev/full 2>" +
                                eqlc::test::shell_quote(err.string());
    const int raw = std::system(command.c_str());
    REQUIRE(WIFEXITED(raw));
    CHECK(WEXITSTATUS(raw) == 2);
    CHECK(eqlc::test::read_text(err) == "eqlc: cannot write alerts: No space left on device\n");

    SECTION("and so is --check output that cannot be written") {
        const auto rule = dir.write("rule.eql", std::string(kQuery) + "\n");
        const std::string check = eqlc::test::shell_quote(EQLC_CLI_PATH) + " --check " +
                                  eqlc::test::shell_quote(rule.string()) + " >/dev/full 2>" +
                                  eqlc::test::shell_quote(err.string());
        const int status = std::system(check.c_str());
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 2);
        CHECK(eqlc::test::read_text(err).find("eqlc: cannot write to standard output: No space left on device") !=
              std::string::npos);
    }
}

TEST_CASE("eqlc: a closed output pipe stops the run with a message", "[cli][hardening]") {
    TempDir dir;
    std::string text;
    const int kEvents = 20000;
    for (int i = 0; i < kEvents; ++i) text += event(i % 60);
    const auto events = dir.write("events.ndjson", text);
    const auto err_path = dir.path() / "stderr";
    const std::string threads = GENERATE(as<std::string>{}, "1", "2");
    int out[2];
    REQUIRE(::pipe(out) == 0);
    ::close(out[0]);  // nobody will read the alerts
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const pid_t pid = spawn_eqlc({"--stats", "-j", threads, "-e", kQuery, events.string()}, -1, out[1], err);
    ::close(out[1]);
    ::close(err);
    REQUIRE(pid > 0);
    // Not killed by SIGPIPE: eqlc says what happened and exits with 2.
    CHECK(exit_status(pid) == 2);
    const std::string message = eqlc::test::read_text(err_path);
    INFO(message);
    CHECK(message.find("eqlc: cannot write alerts: Broken pipe\n") != std::string::npos);
    // It stopped reading once the alerts could not be written, long before the end of the input.
    const auto at = message.find("events read");
    REQUIRE(at != std::string::npos);
    CHECK(std::stoll(message.substr(at + 11)) < kEvents);
}

TEST_CASE("eqlc: on a live stream an alert is written at once, and SIGTERM ends the run with its stats",
          "[cli][hardening]") {
    TempDir dir;
    const auto err_path = dir.path() / "stderr";
    const std::string threads = GENERATE(as<std::string>{}, "1", "2");
    const int sig = threads == "1" ? SIGTERM : SIGINT;
    int in[2], out[2];
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(out) == 0);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    // A sequence that the first event starts: pending, it must not be completed when eqlc is stopped.
    const pid_t pid = spawn_eqlc(
        {"--stats", "-j", threads, "-e", "sequence [process where process.name == \"cmd.exe\"] [network where true]"},
        in[0], out[1], err);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err);
    REQUIRE(pid > 0);
    const std::string first = event(1);
    const std::string network = R"({"@timestamp":"2024-05-01T10:00:02Z","event":{"category":"network"}})"
                                "\n";
    const std::string input = first + network + event(3);
    REQUIRE(::write(in[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
    // The alert arrives while the input is still open.
    const std::string alert = read_line(out[0]);
    INFO(alert);
    CHECK(alert.find(R"("kind":"sequence")") != std::string::npos);
    REQUIRE(::kill(pid, sig) == 0);
    const int status = exit_status(pid);
    ::close(in[1]);
    CHECK(status == 128 + sig);
    CHECK(read_line(out[0]) == "<end of output>");  // nothing more: the third event's partial is not completed
    ::close(out[0]);
    const std::string message = eqlc::test::read_text(err_path);
    INFO(message);
    CHECK(message.find("events read             3\n") != std::string::npos);
    CHECK(message.find("partials left at end    1\n") != std::string::npos);
    CHECK(message.find(sig == SIGTERM ? "eqlc: stopped by SIGTERM" : "eqlc: stopped by SIGINT") != std::string::npos);
}

TEST_CASE("eqlc --stats: late events are those the reorder window could not put back", "[cli][hardening]") {
    TempDir dir;
    // 10:00:05 then 10:00:04: one event out of order, within a 2 s window.
    const auto events = dir.write("events.ndjson", event(1) + event(5) + event(4) + event(6));
    SECTION("a window that puts everything back in order") {
        const auto r = run_eqlc({"--stats", "--reorder-window", "2s", "-e", kQuery, events.string()});
        INFO(r.err);
        CHECK(r.status == 1);
        CHECK(r.err.find("late events             0\n") != std::string::npos);
        CHECK(r.err.find("arrived out of order    1  (1 put back in order by the reorder window)") !=
              std::string::npos);
        CHECK(r.err.find("warning") == std::string::npos);
    }
    SECTION("no window: the out-of-order event was run late") {
        const auto r = run_eqlc({"--stats", "-e", kQuery, events.string()});
        CHECK(r.err.find("late events             1\n") != std::string::npos);
        CHECK(r.err.find("arrived out of order") == std::string::npos);
    }
    SECTION("a window too small") {
        // 10:00:09 releases 10:00:05 (older than 2 s before it), so 10:00:04 comes after a later event was run.
        const auto late = dir.write("late.ndjson", event(1) + event(5) + event(9) + event(4));
        const auto r = run_eqlc({"--stats", "--reorder-window", "2s", "-e", kQuery, late.string()});
        CHECK(r.err.find("late events             1\n") != std::string::npos);
        CHECK(r.err.find("arrived out of order    1  (0 put back in order by the reorder window)") !=
              std::string::npos);
    }
}

TEST_CASE("eqlc --strict stops at an event without a usable timestamp", "[cli][hardening][strict]") {
    TempDir dir;
    const auto events =
        dir.write("events.ndjson", event(1) +
                                       R"({"event":{"category":"process"},"process":{"name":"cmd.exe"}})"
                                       "\n" +
                                       event(3));
    const std::string threads = GENERATE(as<std::string>{}, "1", "2");
    const auto r = run_eqlc({"--strict", "-j", threads, "-e", kQuery, events.string()});
    INFO(r.err);
    CHECK(r.status == 2);
    CHECK(r.out_lines().size() == 1);  // the event before it; not the one after
    CHECK(r.err.find("events.ndjson:2: event has no usable timestamp in field [@timestamp] (missing, null or empty); "
                     "skipped (strict mode "
                     "stops here)") != std::string::npos);
    // Without --strict the run goes on.
    const auto lax = run_eqlc({"-j", threads, "-e", kQuery, events.string()});
    CHECK(lax.status == 1);
    CHECK(lax.out_lines().size() == 2);
}

TEST_CASE("eqlc: a rule's timestamp_override falls back to @timestamp as in Kibana", "[cli][hardening]") {
    TempDir dir;
    auto rule = [&](const std::string& name, const std::string& extra) {
        return dir.write(name,
                         "[rule]\nrule_id = \"r\"\nname = \"R\"\nseverity = \"low\"\nrisk_score = 21\n"
                         "type = \"eql\"\nlanguage = \"eql\"\ntimestamp_override = \"event.ingested\"\n" +
                             extra + "query = '''\n" + kQuery + "\n'''\n");
    };
    const auto events =
        dir.write("events.ndjson", event(1, R"(,"event.ingested":"2024-05-01T10:00:07Z")") + event(2) + event(3));
    SECTION("events without the field run with their @timestamp") {
        const auto r = run_eqlc({rule("r.toml", "").string(), events.string()});
        INFO(r.err);
        CHECK(r.status == 1);
        const auto lines = r.out_lines();
        REQUIRE(lines.size() == 3);
        CHECK(nlohmann::json::parse(lines[0])["@timestamp"] == "2024-05-01T10:00:07.000Z");
        CHECK(nlohmann::json::parse(lines[1])["@timestamp"] == "2024-05-01T10:00:02.000Z");
        const auto explained = run_eqlc({"--explain", rule("r.toml", "").string()});
        CHECK(explained.out.find("# timestamp: event.ingested, else @timestamp\n") != std::string::npos);
    }
    SECTION("unless the rule disables the fallback") {
        const auto r = run_eqlc(
            {"--stats", rule("off.toml", "timestamp_override_fallback_disabled = true\n").string(), events.string()});
        CHECK(r.status == 1);
        CHECK(r.out_lines().size() == 1);
        CHECK(r.err.find("rule-time fields absent 2\n") != std::string::npos);
        const auto explained =
            run_eqlc({"--explain", rule("off.toml", "timestamp_override_fallback_disabled = true\n").string()});
        CHECK(explained.out.find("# timestamp: event.ingested (events without it are skipped)\n") != std::string::npos);
    }
}

TEST_CASE("eqlc says when bad-line reports are cut, and how many there were", "[cli][hardening]") {
    TempDir dir;
    SECTION("many bad lines between events (the reader keeps 1,000)") {
        std::string text = event(1);
        for (int i = 0; i < 1500; ++i) text += "not json\n";
        text += event(2) + "not json\n";
        const auto r = run_eqlc({"-e", kQuery, dir.write("bad.ndjson", text).string()});
        CHECK(r.status == 1);
        CHECK(r.err.find("bad.ndjson:1001: invalid JSON") != std::string::npos);  // line 1 is an event
        CHECK(r.err.find("bad.ndjson:1002:") == std::string::npos);
        CHECK(r.err.find("bad.ndjson: more bad lines are not reported (1001 so far); --stats gives the "
                         "total\n") != std::string::npos);
        CHECK(r.err.find("bad.ndjson: 1501 bad lines in all, 501 of them not reported\n") != std::string::npos);
    }
    SECTION("bad lines spread among events") {
        std::string text;
        for (int i = 0; i < 1200; ++i) text += event(i % 60) + "{\"x\":\n";
        const auto r = run_eqlc({"--stats", "-e", kQuery, dir.write("bad.ndjson", text).string()});
        CHECK(r.err.find("bad.ndjson:2000:") != std::string::npos);
        CHECK(r.err.find("bad.ndjson:2002:") == std::string::npos);
        CHECK(r.err.find("bad.ndjson: more bad lines are not reported (1001 so far)") != std::string::npos);
        CHECK(r.err.find("bad.ndjson: 1200 bad lines in all, 200 of them not reported\n") != std::string::npos);
        CHECK(r.err.find("  bad lines               1200\n") != std::string::npos);
    }
    SECTION("each input has its own reports") {
        std::string text;
        for (int i = 0; i < 1000; ++i) text += "not json\n";
        const auto a = dir.write("a.ndjson", text), b = dir.write("b.ndjson", text);
        const auto r = run_eqlc({"-e", kQuery, a.string(), b.string()});
        CHECK(r.err.find("a.ndjson:1000:") != std::string::npos);
        CHECK(r.err.find("b.ndjson:1000:") != std::string::npos);
        CHECK(r.err.find("not reported") == std::string::npos);
    }
}

TEST_CASE("eqlc --format pretty escapes control characters from event data", "[cli][hardening]") {
    TempDir dir;
    const auto events =
        dir.write("events.ndjson", R"({"@timestamp":"2024-05-01T10:00:00Z","event":{"category":"process"},)"
                                   R"("process":{"name":"cmd.exe","command_line":"a\u001b[2J\u0007b\u009b\u007f\nc"}})"
                                   "\n");
    const auto r = run_eqlc({"--format", "pretty", "-e", kQuery, events.string()});
    CHECK(r.status == 1);
    CHECK(r.out.find("\"a\\x1b[2J\\x07b\\u009b\\x7f\\nc\"") != std::string::npos);
    for (const char c : r.out) CHECK((c == '\n' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)));
    // NDJSON is JSON: the same text stays escaped as JSON escapes it.
    const auto json = run_eqlc({"-e", kQuery, events.string()});
    CHECK(json.out.find('\x1b') == std::string::npos);
    CHECK(nlohmann::json::parse(json.out_lines().at(0))["events"][0]["_source"]["process"]["command_line"] ==
          "a\x1b[2J\x07"
          "b\xc2\x9b\x7f\nc");
}

TEST_CASE("eqlc escapes file names in its messages", "[cli][hardening]") {
    TempDir dir;
    const auto events = dir.write("bad\x1b]0;title\x07.ndjson", "not json\n");
    const auto r = run_eqlc({"-e", kQuery, events.string()});
    CHECK(r.status == 0);
    CHECK(r.err.find("bad\\x1b]0;title\\x07.ndjson:1: invalid JSON") != std::string::npos);
    CHECK(r.err.find('\x1b') == std::string::npos);
}

TEST_CASE("printable escapes controls and invalid UTF-8", "[output][hardening]") {
    CHECK(eqlc::printable("plain text, C:\\Windows") == "plain text, C:\\Windows");
    CHECK(eqlc::printable("\x1b[31mred\t\r\n\x7f") == "\\x1b[31mred\\t\\r\\n\\x7f");
    CHECK(eqlc::printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK(eqlc::printable("\xc2\x85\xc2\x9b\xc2\xa0") == "\\u0085\\u009b\xc2\xa0");  // C1 controls, then NBSP
    CHECK(eqlc::printable("\xff\xc0\xaf\xed\xa0\x80\xe2\x82") == "\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82");
    CHECK(eqlc::printable(std::string("a\0b", 3)) == "a\\x00b");
}
