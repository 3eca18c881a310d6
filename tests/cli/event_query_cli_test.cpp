// The eqlc command line over event queries, as a user runs it: alerts on stdout, problems on stderr with
// file:line, exit status 0 (no result) / 1 (results) / 2 (errors).
#include <catch2/catch.hpp>

#include <zlib.h>
#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"

using eqlc::test::run_eqlc;
using eqlc::test::TempDir;
using nlohmann::json;

namespace {

const char* kEvents =
    R"({"@timestamp":"2024-05-01T10:00:00Z","event":{"category":["process"]},"process":{"name":"cmd.exe","pid":4}})"
    "\n"
    R"({"@timestamp":"2024-05-01T10:00:01Z","event":{"category":["network"]},"process":{"name":"svchost.exe"}})"
    "\n"
    "this is not json\n"
    R"({"event.category":"process","process.name":"CMD.EXE","@timestamp":1714557603000})"
    "\n"
    R"({"event":{"category":"process"},"process":{"name":"cmd.exe"}})"
    "\n"
    R"({"@timestamp":"2024-05-01T10:00:05Z","event":{"category":"process"},"process":{"name":"cmd.exe","pid":9}})"
    "\n";

std::vector<json> alerts(const eqlc::test::CliResult& r) {
    std::vector<json> out;
    for (const auto& line : r.out_lines()) out.push_back(json::parse(line));
    return out;
}

}  // namespace

TEST_CASE("eqlc -e runs an event query over an NDJSON file", "[cli]") {
    TempDir dir;
    const auto events = dir.write("events.ndjson", kEvents);
    const auto r = run_eqlc({"-e", "process where process.name : \"cmd.exe\"", events.string()});
    INFO(r.err);
    CHECK(r.status == 1);
    const auto got = alerts(r);
    REQUIRE(got.size() == 3);
    CHECK(got[0]["kind"] == "event");
    CHECK(got[0]["events"][0]["_source"]["process"]["pid"] == 4);
    CHECK(got[1]["events"][0]["_source"]["process.name"] == "CMD.EXE");  // dotted keys, case-insensitive `:`
    CHECK(got[2]["events"][0]["_source"]["process"]["pid"] == 9);
    CHECK(got[0]["@timestamp"] == "2024-05-01T10:00:00.000Z");
    // The bad line and the event without a timestamp are reported with file:line, and the run went on.
    CHECK(r.err.find("events.ndjson:3:") != std::string::npos);
    CHECK(r.err.find("events.ndjson:5:") != std::string::npos);
    CHECK(r.err.find("timestamp") != std::string::npos);
}

TEST_CASE("eqlc reads a query file, stdin and gzip input", "[cli]") {
    TempDir dir;
    const auto rule = dir.write("rule.eql", "process where process.pid == 9\n");
    SECTION("stdin when no event file is given") {
        const auto r = run_eqlc({rule.string()}, kEvents);
        CHECK(r.status == 1);
        CHECK(alerts(r).size() == 1);
        CHECK(r.err.find("<stdin>:3:") != std::string::npos);
    }
    SECTION("gzip file") {
        const auto gz = dir.path() / "events.ndjson.gz";
        gzFile f = gzopen(gz.string().c_str(), "wb");
        REQUIRE(f != nullptr);
        gzputs(f, kEvents);
        gzclose(f);
        const auto r = run_eqlc({rule.string(), gz.string()});
        CHECK(r.status == 1);
        CHECK(alerts(r).size() == 1);
    }
}

TEST_CASE("eqlc exit status: 0 without results, 2 on errors", "[cli]") {
    TempDir dir;
    const auto events = dir.write("events.ndjson", kEvents);
    CHECK(run_eqlc({"-e", "process where process.pid == 12345", events.string()}).status == 0);

    const auto bad_query = run_eqlc({"-e", "process where process.pid = 1", events.string()});
    CHECK(bad_query.status == 2);
    CHECK(bad_query.err.find("<query>:1:") != std::string::npos);

    const auto missing = run_eqlc({"-e", "process where true", (dir.path() / "absent.ndjson").string()});
    CHECK(missing.status == 2);
    CHECK(missing.err.find("absent.ndjson") != std::string::npos);

    const auto missing_rule = run_eqlc({(dir.path() / "absent.toml").string(), events.string()});
    CHECK(missing_rule.status == 2);
    CHECK(missing_rule.err == "eqlc: " + (dir.path() / "absent.toml").string() + ": no such file or folder\n");

    const auto unknown = run_eqlc({"--frobnicate"});
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find("unknown option '--frobnicate'") != std::string::npos);

    const auto strict = run_eqlc({"--strict", "-e", "process where true", events.string()});
    CHECK(strict.status == 2);
    CHECK(strict.err.find("events.ndjson:3:") != std::string::npos);
}

TEST_CASE("eqlc applies head, tail and --size as Elasticsearch does", "[cli]") {
    TempDir dir;
    std::string text;
    for (int i = 1; i <= 10; ++i)
        text += R"({"@timestamp":)" + std::to_string(1000 * i) + R"(,"event":{"category":"process"},"n":)" +
                std::to_string(i) + "}\n";
    const auto events = dir.write("events.ndjson", text);
    auto ns = [&](const std::vector<std::string>& args) {
        std::vector<std::string> full = args;
        full.push_back(events.string());
        std::vector<int> out;
        for (const auto& a : alerts(run_eqlc(full))) out.push_back(a["events"][0]["_source"]["n"].get<int>());
        return out;
    };
    CHECK(ns({"-e", "process where true | head 3"}) == std::vector<int>{1, 2, 3});
    CHECK(ns({"-e", "process where true | tail 2"}) == std::vector<int>{9, 10});
    CHECK(ns({"-e", "process where true | tail 5 | head 2"}) == std::vector<int>{6, 7});
    CHECK(ns({"-e", "process where true | head 0"}).empty());
    CHECK(ns({"--size", "2", "-e", "process where true"}) == std::vector<int>{9, 10});  // size is a tail by default
    CHECK(ns({"--size", "2", "--head", "-e", "process where true"}) == std::vector<int>{1, 2});
}

TEST_CASE("eqlc --sort orders unsorted input by timestamp, tiebreaker, input order", "[cli]") {
    TempDir dir;
    const auto events = dir.write("events.ndjson", R"({"@timestamp":3000,"event":{"category":"a"},"n":1,"t":1})"
                                                   "\n"
                                                   R"({"@timestamp":1000,"event":{"category":"a"},"n":2,"t":1})"
                                                   "\n"
                                                   R"({"@timestamp":2000,"event":{"category":"a"},"n":3,"t":2})"
                                                   "\n"
                                                   R"({"@timestamp":2000,"event":{"category":"a"},"n":4,"t":1})"
                                                   "\n"
                                                   R"({"@timestamp":2000,"event":{"category":"a"},"n":5,"t":1})"
                                                   "\n");
    auto order = [&](const std::vector<std::string>& extra) {
        std::vector<std::string> args = extra;
        args.insert(args.end(), {"-e", "a where true", events.string()});
        const auto r = run_eqlc(args);
        std::vector<int> out;
        for (const auto& a : alerts(r)) out.push_back(a["events"][0]["_source"]["n"].get<int>());
        return std::make_pair(out, r.err);
    };
    const auto [unsorted, warning] = order({});
    CHECK(unsorted == std::vector<int>{1, 2, 3, 4, 5});
    CHECK(warning.find("--sort") != std::string::npos);  // the user is told the input was out of order
    CHECK(order({"--sort"}).first == std::vector<int>{2, 3, 4, 5, 1});
    CHECK(order({"--sort", "--tiebreaker-field", "t"}).first == std::vector<int>{2, 4, 5, 3, 1});
}

TEST_CASE("eqlc --mapping: aliases, types, unknown fields", "[cli]") {
    TempDir dir;
    const auto mapping = dir.write("mapping.json", R"({"dynamic":"strict","properties":{
        "@timestamp":{"type":"date"}, "kind":{"type":"keyword"},
        "event":{"properties":{"category":{"type":"alias","path":"kind"}}},
        "pid":{"type":"long"}, "addr":{"type":"ip"}}})");
    const auto events = dir.write("events.ndjson", R"({"@timestamp":1,"kind":"process","pid":"42","addr":"::1"})"
                                                   "\n"
                                                   R"({"@timestamp":2,"kind":"process","pid":7,"addr":"10.0.0.1"})"
                                                   "\n");
    const auto r = run_eqlc({"--mapping", mapping.string(), "-e",
                             "process where pid == 42 and addr == \"0:0:0:0:0:0:0:1\"", events.string()});
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(alerts(r).size() == 1);
    const auto unknown = run_eqlc({"--mapping", mapping.string(), "-e", "process where nope == 1", events.string()});
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find("nope") != std::string::npos);
    CHECK(run_eqlc({"--mapping", mapping.string(), "-e", "process where ?nope == null", events.string()}).status == 1);
}

TEST_CASE("eqlc --check, --explain and --help", "[cli]") {
    TempDir dir;
    const auto good = dir.write("good.eql", "process where process.name : \"cmd.exe\"\n");
    const auto bad = dir.write("bad.eql", "process where\n  process.name == 'cmd.exe'\n");
    const auto r = run_eqlc({"--check", good.string(), bad.string()});
    CHECK(r.status == 2);
    CHECK(r.out.find("good.eql: valid") != std::string::npos);
    CHECK(r.err.find("bad.eql:2:19: error:") != std::string::npos);
    CHECK(run_eqlc({"--check", good.string()}).status == 0);

    const auto explained = run_eqlc({"--explain", good.string()});
    CHECK(explained.status == 0);
    CHECK(explained.out.find("TEST_") != std::string::npos);  // the bytecode
    CHECK(explained.out.find("process where process.name : \"cmd.exe\"") != std::string::npos);

    const auto help = run_eqlc({"--help"});
    CHECK(help.status == 0);
    for (const char* option : {"--sort", "--size", "--mapping", "--tiebreaker-field", "--timestamp-field",
                               "--event-category-field", "--check", "--explain", "--strict"})
        CHECK(help.out.find(option) != std::string::npos);
}

TEST_CASE("eqlc --stats and --progress report on stderr", "[cli]") {
    TempDir dir;
    const auto events = dir.write("events.ndjson", kEvents);
    const auto r =
        run_eqlc({"--stats", "--progress", "-e", "process where process.name : \"cmd.exe\"", events.string()});
    CHECK(r.status == 1);
    CHECK(r.out_lines().size() == 3);  // stats and progress never mix into the alerts
    CHECK(r.err.find("eqlc: stats") != std::string::npos);
    CHECK(r.err.find("events read             4") != std::string::npos);
    CHECK(r.err.find("bad lines               1") != std::string::npos);
    CHECK(r.err.find("events without time     1") != std::string::npos);
    CHECK(r.err.find("events/s") != std::string::npos);
    CHECK(r.err.find("       3  <query>") != std::string::npos);  // alerts per rule
    CHECK(r.err.find("% ") != std::string::npos);                 // the progress line: percent of the file
    // Without a terminal the progress line stays off by default.
    CHECK(run_eqlc({"-e", "process where true", events.string()}).err.find("% ") == std::string::npos);
}

TEST_CASE("eqlc --reorder-window puts a nearly ordered stream in order and reports what came too late", "[cli]") {
    TempDir dir;
    // Times in seconds: 1, 3, 2 (1 s late: inside a 2 s window), 6, 4 (2 s late: inside), 10, 5 (5 s late: outside).
    const auto events = dir.write("events.ndjson", R"({"@timestamp":1000,"event":{"category":"a"},"n":1})"
                                                   "\n"
                                                   R"({"@timestamp":3000,"event":{"category":"a"},"n":3})"
                                                   "\n"
                                                   R"({"@timestamp":2000,"event":{"category":"a"},"n":2})"
                                                   "\n"
                                                   R"({"@timestamp":6000,"event":{"category":"a"},"n":6})"
                                                   "\n"
                                                   R"({"@timestamp":4000,"event":{"category":"a"},"n":4})"
                                                   "\n"
                                                   R"({"@timestamp":10000,"event":{"category":"a"},"n":10})"
                                                   "\n"
                                                   R"({"@timestamp":5000,"event":{"category":"a"},"n":5})"
                                                   "\n");
    auto order = [&](const std::vector<std::string>& extra, const std::string& query) {
        std::vector<std::string> args = extra;
        args.insert(args.end(), {"--stats", "-e", query, events.string()});
        const auto r = run_eqlc(args);
        std::vector<int> out;
        for (const auto& a : alerts(r))
            for (const auto& e : a["events"]) out.push_back(e["_source"]["n"].get<int>());
        return std::make_pair(out, r.err);
    };
    const auto [ordered, err] = order({"--reorder-window", "2s"}, "a where true");
    // 5 is run when it arrives: after 6, which had already left the window when 10 came.
    CHECK(ordered == std::vector<int>{1, 2, 3, 4, 6, 5, 10});
    CHECK(err.find("events.ndjson:7: event arrived after later events") != std::string::npos);
    CHECK(err.find("late events             1") != std::string::npos);
    // A window wide enough for everything gives what --sort gives, sequences included.
    const char* sequence = "sequence with maxspan=3s [a where n < 5] [a where n >= 5]";
    CHECK(order({"--reorder-window", "10s"}, sequence).first == order({"--sort"}, sequence).first);
    CHECK(order({"--reorder-window", "10s"}, "a where true").first == std::vector<int>{1, 2, 3, 4, 5, 6, 10});
    CHECK(run_eqlc({"--reorder-window", "5 parsecs", "-e", "a where true", events.string()}).status == 2);
}
