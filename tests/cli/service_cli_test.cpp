// eqlc running continuously over files: --state carried across runs, --follow, --alerts FILE cut back after a
// crash, --idle-exit, and the usage errors around them. (The NATS source and sink: nats_cli_test.cpp.)
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/cli_process.hpp"
#include "support/cli_runner.hpp"
#include "support/files.hpp"
#include "support/wmi_rule.hpp"

using eqlc::test::exit_status;
using eqlc::test::read_text;
using eqlc::test::run_eqlc;
using eqlc::test::spawn_eqlc;
using eqlc::test::TempDir;

namespace {

std::vector<std::string> sample_lines() {
    std::vector<std::string> lines;
    std::ifstream in(eqlc::test::wmi_defend_samples());
    for (std::string line; std::getline(in, line);) lines.push_back(line + "\n");
    return lines;
}

std::string join(const std::vector<std::string>& lines, size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to && i < lines.size(); ++i) out += lines[i];
    return out;
}

size_t line_count(const std::filesystem::path& path) {
    const std::string text = read_text(path);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Waits (bounded) until `path` holds `lines` lines; returns how many it holds.
size_t wait_for_lines(const std::filesystem::path& path, size_t lines) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    size_t now = 0;
    while ((now = line_count(path)) < lines && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return now;
}

void append(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::app) << text;
}

}  // namespace

TEST_CASE("eqlc --state: two runs over a file cut anywhere give the alerts of one run over the whole file",
          "[cli][service]") {
    const auto lines = sample_lines();
    REQUIRE(lines.size() > 100);
    const std::string rule = eqlc::test::wmi_rule_toml().string();
    TempDir dir;
    const auto whole_path = dir.write("whole.ndjson", join(lines, 0, lines.size()));
    const auto whole = run_eqlc({rule, whole_path.string()});
    REQUIRE(whole.status == 1);
    bool some_cut_splits_a_sequence = false;
    for (size_t cut = 1; cut < lines.size(); cut += 4) {
        INFO("cut before line " << cut + 1);
        const auto part1 = dir.write("part1.ndjson", join(lines, 0, cut));
        const auto part2 = dir.write("part2.ndjson", join(lines, cut, lines.size()));
        const std::string state = (dir.path() / ("state-" + std::to_string(cut))).string();
        const auto first = run_eqlc({"--state", state, rule, part1.string()});
        const auto second = run_eqlc({"--state", state, "--finish", rule, part2.string()});
        REQUIRE(first.status <= 1);
        REQUIRE(second.status <= 1);
        CHECK(first.err.empty());
        CHECK(first.out + second.out == whole.out);
        // Without the state, the sequence cut in two is lost.
        const auto alone1 = run_eqlc({rule, part1.string()});
        const auto alone2 = run_eqlc({rule, part2.string()});
        if (alone1.out + alone2.out != whole.out) some_cut_splits_a_sequence = true;
    }
    CHECK(some_cut_splits_a_sequence);
}

TEST_CASE("eqlc --state: a file already read is continued, not read again", "[cli][service]") {
    const auto lines = sample_lines();
    const std::string rule = eqlc::test::wmi_rule_toml().string();
    TempDir dir;
    const auto events = dir.write("events.ndjson", join(lines, 0, 60));
    const std::string state = (dir.path() / "state").string();
    const auto first = run_eqlc({"--state", state, rule, events.string()});
    REQUIRE(first.status <= 1);
    append(events, join(lines, 60, lines.size()));
    const auto second = run_eqlc({"--state", state, "--finish", rule, events.string()});
    REQUIRE(second.status <= 1);
    CHECK(second.err.find("continuing at line 61") != std::string::npos);
    const auto whole = run_eqlc({rule, events.string()});
    CHECK(first.out + second.out == whole.out);
    // Once more: nothing new, no alert.
    const auto third = run_eqlc({"--state", state, rule, events.string()});
    CHECK(third.status == 0);
    CHECK(third.out.empty());
}

TEST_CASE("eqlc --state: a state saved for other rules or options is refused with what differs", "[cli][service]") {
    TempDir dir;
    const auto events = dir.write("events.ndjson", join(sample_lines(), 0, 10));
    const std::string state = (dir.path() / "state").string();
    const std::string rule = eqlc::test::wmi_rule_toml().string();
    REQUIRE(run_eqlc({"--state", state, rule, events.string()}).status <= 1);

    const auto other_rule = run_eqlc({"--state", state, "-e", "process where true", events.string()});
    CHECK(other_rule.status == 2);
    CHECK(other_rule.err.find("was saved for other rules or options (rule '<query>' is new; rule 'WMI Incoming "
                              "Lateral Movement' is not loaded now)") != std::string::npos);
    CHECK(other_rule.err.find("to start fresh, remove it or give another --state") != std::string::npos);

    const auto other_option = run_eqlc({"--state", state, "--reorder-window", "5s", rule, events.string()});
    CHECK(other_option.status == 2);
    CHECK(other_option.err.find("option reorder_window: none then, 5s now") != std::string::npos);

    dir.write("state", "not a state");
    const auto garbage = run_eqlc({"--state", state, rule, events.string()});
    CHECK(garbage.status == 2);
    CHECK(garbage.err.find("not an eqlc state") != std::string::npos);
}

TEST_CASE("eqlc --state: usage errors", "[cli][service]") {
    const std::string rule = eqlc::test::wmi_rule_toml().string();
    for (const auto& args : std::vector<std::vector<std::string>>{{"--state", "s", "--sort", rule},
                                                                  {"--state", "s", "--size", "3", rule},
                                                                  {"--finish", rule},
                                                                  {"--follow", rule},
                                                                  {"--follow", rule, "-"},
                                                                  {"--state", "s", "-j", "2", rule, "x.ndjson"},
                                                                  {"--idle-exit", "soon", rule},
                                                                  {"--checkpoint-interval", "0s", rule}}) {
        const auto r = run_eqlc(args);
        INFO(r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("Try 'eqlc --help'") != std::string::npos);
    }
    const auto state_dir = run_eqlc({"--state", "/nonexistent-folder/state", rule, "/dev/null"});
    CHECK(state_dir.status == 2);
    CHECK(state_dir.err.find("cannot create /nonexistent-folder/state.tmp") != std::string::npos);
}

TEST_CASE(
    "eqlc --follow: events appended are run as they come; SIGTERM saves the state; kill -9 loses nothing and "
    "--alerts FILE keeps each alert once",
    "[cli][service]") {
    const auto lines = sample_lines();
    const std::string rule = eqlc::test::wmi_rule_toml().string();
    TempDir dir;
    const auto whole_path = dir.write("whole.ndjson", join(lines, 0, lines.size()));
    const auto whole = run_eqlc({rule, whole_path.string()});
    const auto first_half = run_eqlc(
        {"--state", (dir.path() / "probe").string(), rule, dir.write("half.ndjson", join(lines, 0, 60)).string()});
    const size_t half_alerts = first_half.out_lines().size();
    const size_t all_alerts = whole.out_lines().size();
    REQUIRE(half_alerts > 0);
    REQUIRE(all_alerts > half_alerts);

    const auto events = dir.write("events.ndjson", join(lines, 0, 60));
    const auto alerts = dir.path() / "alerts.ndjson";
    const std::string state = (dir.path() / "state").string();
    const std::vector<std::string> args{
        "--follow", "--state", state,          "--alerts", alerts.string(), "--checkpoint-interval",
        "50ms",     rule,      events.string()};
    const bool crash = GENERATE(false, true);
    INFO((crash ? "kill -9" : "SIGTERM"));
    pid_t pid = spawn_eqlc(args, -1, -1, -1);
    REQUIRE(pid > 0);
    CHECK(wait_for_lines(alerts, half_alerts) == half_alerts);
    append(events, join(lines, 60, lines.size()));
    if (crash) {
        // Somewhere in the second half: alerts may be written and not yet covered by a checkpoint.
        wait_for_lines(alerts, half_alerts + 1);
        ::kill(pid, SIGKILL);
        CHECK(exit_status(pid) == 1000 + SIGKILL);
    } else {
        CHECK(wait_for_lines(alerts, all_alerts) == all_alerts);
        ::kill(pid, SIGTERM);
        CHECK(exit_status(pid) == 128 + SIGTERM);
    }
    // Again on the same file: it continues where the last checkpoint was, and exits when nothing more comes.
    auto again = args;
    again.insert(again.begin(), {"--idle-exit", "300ms"});
    const auto rest = run_eqlc(again);
    CHECK(rest.status <= 1);
    CHECK(read_text(alerts) == whole.out);
}

TEST_CASE("eqlc --idle-exit: a worker with no input ends with status 0 after the idle time", "[cli][service]") {
    TempDir dir;
    const auto events = dir.write("events.ndjson", "");
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_eqlc({"--follow", "--idle-exit", "200ms", "-e", "process where true", events.string()});
    CHECK(r.status == 0);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}
