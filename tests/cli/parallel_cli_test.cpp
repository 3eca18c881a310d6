// eqlc -j N: the input is parsed on N threads, and the output (alerts, messages on stderr, exit status) is
// that of -j 1.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "support/cli_runner.hpp"
#include "support/shared_data.hpp"
#include "support/wmi_rule.hpp"

using eqlc::test::CliResult;
using eqlc::test::run_eqlc;
using eqlc::test::TempDir;

namespace {

const std::string kRule = eqlc::test::wmi_rule_toml().string();
const std::string kDefend = eqlc::test::wmi_defend_samples().string();
const std::string kSysmon = eqlc::test::wmi_sysmon_samples().string();

// stderr without the --stats lines that depend on time and on the threads.
std::string steady(const std::string& err) {
    const std::string s = std::regex_replace(err, std::regex("  elapsed [^\n]*\n"), "  elapsed\n");
    return std::regex_replace(s, std::regex("  threads running rules [^\n]*\n"), "");
}

void check_same(const CliResult& one, const CliResult& many) {
    INFO("-j 1 stderr:\n" << one.err << "-j N stderr:\n" << many.err);
    CHECK(many.status == one.status);
    CHECK(many.out == one.out);
    CHECK(steady(many.err) == steady(one.err));
}

std::string events_with_problems() {
    std::string text;
    for (int i = 0; i < 4000; ++i) {
        text += R"({"@timestamp":)" + std::to_string(1'700'000'000'000 + i * 10) +
                R"(,"event":{"category":"process"},"process":{"name":")" + (i % 7 == 0 ? "cmd.exe" : "x.exe") +
                R"("},"n":)" + std::to_string(i) + "}\n";
        if (i % 501 == 0) text += "not json " + std::to_string(i) + "\n";
        if (i % 777 == 0)
            text += R"({"event":{"category":"process"}})"
                    "\n";
    }
    return text;
}

}  // namespace

TEST_CASE("eqlc -j 2 gives the output of -j 1 on the WMI samples", "[cli][parallel]") {
    const auto one = run_eqlc({"-j", "1", kRule, kDefend, kSysmon});
    REQUIRE(one.status == 1);
    REQUIRE(!one.out.empty());
    check_same(one, run_eqlc({"-j", "2", kRule, kDefend, kSysmon}));
    check_same(one, run_eqlc({"--threads", "3", kRule, kDefend, kSysmon}));
    check_same(one, run_eqlc({"-j4", kRule, kDefend, kSysmon}));
    check_same(one, run_eqlc({"-j", "2", "--mmap", kRule, kDefend, kSysmon}));  // mapped rather than read
    check_same(one, run_eqlc({kRule, kDefend, kSysmon}));                       // -j 1 is the default
}

TEST_CASE("eqlc -j 2 reports bad lines, stats and strict stops as -j 1 does", "[cli][parallel]") {
    TempDir dir;
    const auto events = dir.write("events.ndjson", events_with_problems()).string();
    const std::string query = R"(process where process.name : "cmd.exe")";
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{}, {"--stats"}, {"--strict", "--stats"}, {"--sort"}, {"--reorder-window", "5s"}}) {
        std::vector<std::string> args = extra;
        args.insert(args.end(), {"-e", query, events, events});
        auto with = [&](const std::string& j) {
            auto a = args;
            a.insert(a.begin(), {"-j", j});
            return run_eqlc(a);
        };
        const auto one = with("1");
        CHECK(!one.err.empty());
        check_same(one, with("2"));
        check_same(one, with("auto"));
    }
    // Standard input.
    const auto one = run_eqlc({"-j", "1", "-e", query}, events_with_problems());
    CHECK(one.err.find("<stdin>:") != std::string::npos);
    check_same(one, run_eqlc({"-j", "2", "-e", query}, events_with_problems()));
    check_same(one, run_eqlc({"-j", "2", "-e", query, "-"}, events_with_problems()));
}

TEST_CASE("eqlc -j 4 with a folder of rules splits the rules between two threads, with the output of -j 1",
          "[cli][parallel]") {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "rules");
    std::filesystem::copy_file(kRule, dir.path() / "rules" / "wmi.toml");
    dir.write("rules/cmd.eql", R"(process where process.name : ("cmd.exe", "powershell.exe"))");
    dir.write("rules/wmiprvse.eql", R"(process where process.parent.name : "WmiPrvSE.exe")");
    dir.write("rules/svchost_135.eql", "network where destination.port == 135 | head 2");
    const std::string rules = (dir.path() / "rules").string();
    const auto one = run_eqlc({"--stats", "-j", "1", rules, kDefend, kSysmon});
    REQUIRE(one.status == 1);
    CHECK(one.err.find("  threads running rules   1\n") != std::string::npos);
    // Half the threads run rules (the others parse and look events up in the rule index), all of them without
    // the index.
    for (const auto& [j, rule_threads] : std::vector<std::pair<std::string, std::string>>{{"2", "1"}, {"4", "2"}}) {
        const auto many = run_eqlc({"--stats", "-j", j, rules, kDefend, kSysmon});
        check_same(one, many);
        CHECK(many.err.find("  threads running rules   " + rule_threads + "\n") != std::string::npos);
    }
    const auto unindexed_one = run_eqlc({"--stats", "-j", "1", "--no-rule-index", rules, kDefend, kSysmon});
    const auto unindexed = run_eqlc({"--stats", "-j", "3", "--no-rule-index", rules, kDefend, kSysmon});
    check_same(unindexed_one, unindexed);
    CHECK(unindexed.out == one.out);
    CHECK(unindexed.err.find("  threads running rules   3\n") != std::string::npos);
}

TEST_CASE("eqlc -j 4 with the detection-rules corpus gives the output of -j 1", "[cli][parallel][corpus]") {
    EQLC_REQUIRE_SHARED(rules, "corpus/detection-rules/toml/rules");
    // Windows process starts of the tools many rules look at, with the fields those rules read (their time field
    // is event.ingested), and some network events.
    const std::vector<std::string> names = {"cmd.exe",   "powershell.exe", "rundll32.exe", "regsvr32.exe",
                                            "mshta.exe", "certutil.exe",   "wmic.exe",     "schtasks.exe",
                                            "net.exe",   "reg.exe"};
    const std::vector<std::string> parents = {"explorer.exe", "winword.exe", "WmiPrvSE.exe", "services.exe",
                                              "excel.exe"};
    std::string events;
    for (int i = 0; i < 3000; ++i) {
        const std::string ts = "\"2024-05-01T08:" + std::string(i / 60 < 10 ? "0" : "") + std::to_string(i / 60) + ":" +
                               (i % 60 < 10 ? "0" : "") + std::to_string(i % 60) + ".000Z\"";
        const std::string host = "\"host-" + std::to_string(i % 5) + "\"";
        if (i % 4 == 3) {
            events += R"({"@timestamp":)" + ts + R"(,"event":{"ingested":)" + ts +
                      R"(,"category":["network"],"type":["start"]},"host":{"id":)" + host +
                      R"(,"os":{"type":"windows"}},"destination":{"port":)" + std::to_string(i % 2 ? 445 : 135) +
                      R"(},"process":{"name":"svchost.exe"}})"
                      "\n";
            continue;
        }
        const std::string& name = names[static_cast<size_t>(i) % names.size()];
        const std::string& parent = parents[static_cast<size_t>(i / 7) % parents.size()];
        events += R"({"@timestamp":)" + ts + R"(,"event":{"ingested":)" + ts +
                  R"(,"category":["process"],"type":["start"],"action":"start"},"host":{"id":)" + host +
                  R"(,"os":{"type":"windows"}},"process":{"name":")" + name +
                  R"(","executable":"C:\\Windows\\System32\\)" + name + R"(","args":[")" + name +
                  R"(","/c","-enc","http://x/a.dll"],"command_line":")" + name +
                  R"( /c -enc http://x/a.dll","parent":{"name":")" + parent +
                  R"("}},"user":{"name":"alice"}})"
                  "\n";
    }
    TempDir dir;
    const std::string file = dir.write("events.ndjson", events).string();
    const auto one = run_eqlc({"--stats", "-j", "1", rules->string(), file});
    INFO(one.err.substr(0, 3000));
    REQUIRE(one.status == 1);
    INFO(one.out.substr(0, 3000));
    CHECK(one.err.find("  threads running rules   1\n") != std::string::npos);
    // Several rules fire, so that the shards' results are merged.
    std::set<std::string> fired;
    std::istringstream lines(one.out);
    for (std::string line; std::getline(lines, line);) fired.insert(nlohmann::json::parse(line).at("rule").at("name"));
    CHECK(fired.size() >= 3);
    const auto many = run_eqlc({"--stats", "-j", "4", rules->string(), file});
    check_same(one, many);
    CHECK(many.err.find("  threads running rules   2\n") != std::string::npos);
    // Every rule on every event (no rule index): the same alerts, the same counts but the index's.
    const auto all = run_eqlc({"--stats", "--no-rule-index", rules->string(), file});
    CHECK(all.status == one.status);
    CHECK(all.out == one.out);
    const std::regex index_line("  rule index [^\n]*\n");
    CHECK(std::regex_search(one.err, index_line));
    CHECK(!std::regex_search(all.err, index_line));
    CHECK(steady(all.err) == std::regex_replace(steady(one.err), index_line, ""));
}

TEST_CASE("eqlc -j says which file shrank when a mapped input raises SIGBUS", "[cli][parallel]") {
    // A file truncated by another process while eqlc maps it raises SIGBUS on the next access. That race cannot be
    // staged reliably, so the signal is sent: eqlc reads a FIFO, and the shell's opening of the FIFO for writing
    // returns once eqlc has opened it, i.e. after eqlc installed its handler.
    TempDir dir;
    const std::string script =
        "cd " + eqlc::test::shell_quote(dir.path().string()) + " || exit 1; mkfifo events || exit 1; " +
        eqlc::test::shell_quote(EQLC_CLI_PATH) +
        " -j 2 --mmap -e 'any where true' events >out 2>err & pid=$!; exec 3>events; kill -BUS $pid; "
        "wait $pid; echo $? >status";
    REQUIRE(std::system(("sh -c " + eqlc::test::shell_quote(script)).c_str()) == 0);
    CHECK(eqlc::test::read_text(dir.path() / "status") == "2\n");
    CHECK(eqlc::test::read_text(dir.path() / "err") ==
          "eqlc: events: the file shrank while it was read (with --mmap it is mapped into memory; "
          "without, it is read instead)\n");
}

TEST_CASE("eqlc -j refuses what is not a number of threads", "[cli][parallel]") {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"-j"}, {"-j", "x"}, {"-j", "-1"}, {"-j", "257"}, {"--threads", "1.5"}, {"-jz"}}) {
        std::vector<std::string> a = args;
        if (a.size() > 1 || a[0] != "-j") a.insert(a.end(), {"-e", "any where true"});
        const auto r = run_eqlc(a);
        INFO(args[0] << ' ' << (args.size() > 1 ? args[1] : ""));
        CHECK(r.status == 2);
        CHECK(r.err.find("thread") != std::string::npos);
    }
    const auto help = run_eqlc({"--help"});
    CHECK(help.out.find("--threads N") != std::string::npos);
    CHECK(help.out.find("--mmap") != std::string::npos);
}
