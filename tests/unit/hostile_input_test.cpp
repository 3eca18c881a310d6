// Hostile NDJSON (issue 11): each kind of bad input gives a clear message with its file and line, the run goes
// on, and nothing else is lost: the good lines around it still give their alerts, and every alert is valid JSON.
// Every engine case runs with threads 1 and 4 (several queries: split among rule shards) and must give the same
// matches, reports and stats.

#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "eqlc/engine.hpp"
#include "eqlc/match.hpp"
#include "input/json_check.hpp"
#include "support/cli_runner.hpp"

namespace {

using eqlc::test::TempDir;
using nlohmann::json;

struct Run {
    std::vector<std::string> sources;  // the _source of every matched event, in delivery order (per match)
    std::vector<std::string> matches;  // query:kind:keys
    std::vector<std::string> reports;  // origin:line: message
    uint64_t events = 0;
    uint64_t bad_lines = 0;
    bool read_ok = false;

    bool operator==(const Run&) const = default;
};

std::vector<eqlc::QuerySource> queries_of(const std::vector<std::string>& texts) {
    std::vector<eqlc::QuerySource> out;
    for (size_t i = 0; i < texts.size(); ++i) out.emplace_back(texts[i], "q" + std::to_string(i));
    return out;
}

Run run_file(const std::vector<eqlc::QuerySource>& queries, const std::string& path, unsigned threads,
             eqlc::EngineOptions options = {}) {
    Run out;
    auto created = eqlc::Engine::create(queries, options);
    REQUIRE(created.engine);
    eqlc::Engine& engine = *created.engine;
    engine.on_match([&](const eqlc::Match& m) {
        out.matches.push_back(std::to_string(m.query) + ":" + std::string(eqlc::match_kind_name(m.kind)) + ":" +
                              m.join_keys.dump());
        for (const auto& e : m.events)
            if (!e.missing) out.sources.push_back(e.source);
    });
    engine.on_bad_input([&](const eqlc::BadInput& bad) {
        out.reports.push_back(bad.origin + ":" + std::to_string(bad.line) + ": " + bad.message);
    });
    eqlc::Engine::ReadOptions read;
    read.threads = threads;
    read.chunk_bytes = 64;  // many chunks with threads > 1
    eqlc::Diagnostic error;
    out.read_ok = engine.read_ndjson(path, read, &error);
    engine.finish();
    out.events = engine.stats().events;
    out.bad_lines = engine.stats().bad_lines;
    return out;
}

// Runs with 1 and 4 threads, checks they agree, and that every matched source is valid JSON.
Run run_both(const std::vector<std::string>& queries, const std::string& path, eqlc::EngineOptions options = {}) {
    const Run one = run_file(queries_of(queries), path, 1, options);
    const Run four = run_file(queries_of(queries), path, 4, options);
    CHECK(one.matches == four.matches);
    CHECK(one.reports == four.reports);
    CHECK(one.sources == four.sources);
    CHECK(one.events == four.events);
    CHECK(one.bad_lines == four.bad_lines);
    for (const auto& source : one.sources) CHECK(json::accept(source));
    return one;
}

bool mentions(const std::vector<std::string>& reports, const std::string& text) {
    for (const auto& r : reports)
        if (r.find(text) != std::string::npos) return true;
    return false;
}

std::string ev(int n, const std::string& extra = "") {
    return R"({"@timestamp":)" + std::to_string(1000 + n) + R"(,"event":{"category":"process"},"process":{"name":"p)" +
           std::to_string(n) + "\"}" + extra + "}";
}

std::string nested(const std::string& open, const std::string& inner, const std::string& close, size_t depth) {
    std::string s;
    for (size_t i = 0; i < depth; ++i) s += open;
    s += inner;
    for (size_t i = 0; i < depth; ++i) s += close;
    return s;
}

const std::vector<std::string> kQueries = {
    R"(process where process.name : "p*")",
    R"(any where x == 1)",
    R"(sequence by process.name [process where true] [process where true])",
};

}  // namespace

TEST_CASE("hostile: 40,000 nested arrays in a field a rule reads is a bad line, not a crash", "[hostile][depth]") {
    TempDir dir;
    const std::string deep = R"({"@timestamp":1,"event":{"category":"process"},"process":{"name":)" +
                             nested("[", "\"p9\"", "]", 40'000) + "}}";
    const auto path = dir.write("deep.ndjson", ev(1) + "\n" + deep + "\n" + ev(3) + "\n").string();
    const Run r = run_both(kQueries, path);
    CHECK(r.read_ok);
    CHECK(r.bad_lines == 1);
    CHECK(r.events == 2);
    CHECK(mentions(r.reports, path + ":2: objects and arrays nested deeper than 1000 levels"));
    CHECK(r.sources == std::vector<std::string>{ev(1), ev(3)});
}

TEST_CASE("hostile: depth limit is 1000 levels, objects and arrays alike", "[hostile][depth]") {
    TempDir dir;
    // The root object is level 1: 999 arrays inside it are allowed, 1000 are not.
    auto line = [](size_t arrays) {
        return R"({"@timestamp":1,"event":{"category":"process"},"process":{"name":"p1"},"x":)" +
               nested("[", "1", "]", arrays) + "}";
    };
    const auto path = dir.write("limit.ndjson", line(999) + "\n" + line(1000) + "\n").string();
    const Run r = run_both({R"(any where x == 1)"}, path);
    CHECK(r.matches.size() == 1);
    CHECK(r.bad_lines == 1);
    CHECK(mentions(r.reports, ":2: objects and arrays nested deeper than 1000 levels"));
}

TEST_CASE("hostile: deep nesting in a member no rule reads", "[hostile][depth]") {
    TempDir dir;
    const std::string deep_objects = nested(R"({"a":)", "1", "}", 10'000);
    // Line 1 matches a rule: checked in full before its alert, refused. Line 2 matches none: not parsed further.
    const auto path = dir.write("deep.ndjson", ev(1, R"(,"junk":)" + deep_objects) + "\n" +
                                                   R"({"@timestamp":2,"event":{"category":"network"},"junk":)" +
                                                   deep_objects + "}\n" + ev(3) + "\n")
                          .string();
    const Run r = run_both(kQueries, path);
    CHECK(r.sources == std::vector<std::string>{ev(3)});
    CHECK(r.bad_lines == 1);
    CHECK(r.events == 2);
    CHECK(mentions(r.reports, ":1: objects and arrays nested deeper than 1000 levels"));
}

TEST_CASE("hostile: Engine::push refuses an event nested too deep", "[hostile][depth]") {
    auto created = eqlc::Engine::create(queries_of(kQueries), {});
    REQUIRE(created.engine);
    std::vector<std::string> reports;
    created.engine->on_bad_input([&](const eqlc::BadInput& b) { reports.push_back(b.message); });
    size_t matches = 0;
    created.engine->on_match([&](const eqlc::Match&) { ++matches; });
    json deep = "p1";
    for (int i = 0; i < 40'000; ++i) deep = json::array({std::move(deep)});
    json event = {{"@timestamp", 1}, {"event", {{"category", "process"}}}, {"process", {{"name", std::move(deep)}}}};
    created.engine->push(event);
    created.engine->push(json::parse(ev(2)));
    created.engine->finish();
    CHECK(matches == 1);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].find("nested deeper than 1000 levels") != std::string::npos);
    CHECK(created.engine->stats().bad_lines == 1);
}

TEST_CASE("hostile: malformed values in members no rule reads never reach an alert", "[hostile][validate]") {
    TempDir dir;
    const std::vector<std::string> junk = {R"(,"u":tru)",    R"(,"u":01)",       R"(,"u":NaN)", R"(,"u":"\q")",
                                           R"(,"u":[1,2,])", R"(,"u":{"a":1,})", R"(,"u":-)",   R"(,"u":1.)"};
    std::string text;
    for (size_t i = 0; i < junk.size(); ++i) text += ev(static_cast<int>(i), junk[i]) + "\n" + ev(100 + int(i)) + "\n";
    // A line no rule matches keeps its junk unreported: it is in no result.
    text += R"({"@timestamp":5000,"event":{"category":"network"},"u":tru})"
            "\n";
    const auto path = dir.write("junk.ndjson", text).string();
    const Run r = run_both(kQueries, path);
    CHECK(r.bad_lines == junk.size());
    CHECK(r.events == junk.size() + 1);
    REQUIRE(r.reports.size() == junk.size());
    for (size_t i = 0; i < junk.size(); ++i) {
        CHECK(r.reports[i].rfind(path + ":" + std::to_string(2 * i + 1) + ": ", 0) == 0);
        CHECK(r.reports[i].find("left out of every result") != std::string::npos);
    }
    std::vector<std::string> want;
    for (size_t i = 0; i < junk.size(); ++i) want.push_back(ev(100 + int(i)));
    CHECK(r.sources == want);
    // The sequence by process.name never pairs an invalid event: each good event has a name of its own.
    for (const auto& m : r.matches) CHECK(m.find(":sequence:") == std::string::npos);
}

TEST_CASE("hostile: an invalid event is no sequence stage and no sample member", "[hostile][validate]") {
    TempDir dir;
    const std::string a = R"({"@timestamp":1,"event":{"category":"process"},"user":"u1","k":1})";
    const std::string bad = R"({"@timestamp":2,"event":{"category":"process"},"user":"u1","k":2,"junk":[1,]})";
    const std::string b = R"({"@timestamp":3,"event":{"category":"process"},"user":"u1","k":3})";
    const auto path = dir.write("seq.ndjson", a + "\n" + bad + "\n" + b + "\n").string();
    const std::vector<std::string> queries = {
        R"(sequence by user [process where k == 1] [process where k == 2])",
        R"(sequence by user [process where k == 1] [process where k >= 2])",
        R"(sample by user [process where k == 2] [process where k == 3])",
        R"(sample by user [process where k == 1] [process where k == 3])",
    };
    const Run r = run_both(queries, path);
    CHECK(r.matches == std::vector<std::string>{R"(1:sequence:["u1"])", R"(3:sample:["u1"])"});
    CHECK(r.sources == std::vector<std::string>{a, b, a, b});
    CHECK(r.bad_lines == 1);
    CHECK(r.reports.size() == 1);
    CHECK(mentions(r.reports, path + ":2: invalid JSON: "));
}

TEST_CASE("hostile: duplicate keys in an event that would be in an alert", "[hostile][validate]") {
    TempDir dir;
    const auto path = dir.write("dup.ndjson", ev(1, R"(,"x":1,"x":2)") + "\n" + ev(2, R"(,"o":{"k":1,"\u006b":2})") +
                                                  "\n" + ev(3, R"(,"o":{"k":1},"p":{"k":2})") + "\n")
                          .string();
    const Run r = run_both(kQueries, path);
    CHECK(r.sources == std::vector<std::string>{ev(3, R"(,"o":{"k":1},"p":{"k":2})")});
    CHECK(r.bad_lines == 2);
    CHECK(mentions(r.reports, path + ":1: duplicate key \"x\""));
    CHECK(mentions(r.reports, path + ":2: duplicate key \"k\""));
}

TEST_CASE("hostile: numbers at the edges", "[hostile][numbers]") {
    TempDir dir;
    const auto path = dir.write("numbers.ndjson", ev(1, R"(,"x":1e999,"big":123456789012345678901234567890)") + "\n" +
                                                      ev(2, R"(,"x":-0)") + "\n" + ev(3, R"(,"x":-0.0)") + "\n")
                          .string();
    const Run r = run_both({R"(process where x == 0)", R"(process where x > 1000)"}, path);
    CHECK(r.bad_lines == 0);
    CHECK(r.reports.empty());
    // -0 and -0.0 equal 0; 1e999 is Infinity in Java, which Elasticsearch cannot index: the field has no value.
    REQUIRE(r.matches.size() == 2);
    for (const auto& m : r.matches) CHECK(m.rfind("0:event:", 0) == 0);
    CHECK(r.sources == std::vector<std::string>{ev(2, R"(,"x":-0)"), ev(3, R"(,"x":-0.0)")});
}

TEST_CASE("hostile: a byte order mark, CRLF, NUL bytes, invalid UTF-8, truncated lines", "[hostile][lines]") {
    TempDir dir;
    const std::string text = "\xEF\xBB\xBF" + ev(1) + "\r\n" +                   // 1: BOM at the start, CRLF
                             "\xEF\xBB\xBF" + ev(2) + "\n" +                     // 2: a BOM elsewhere is an error
                             ev(3).substr(0, ev(3).size() - 1) + "\n" +          // 3: truncated
                             std::string("{\"a\":\"\0\"}", 9) + "\n" +           // 4: a raw NUL in a string
                             std::string(ev(5)) + std::string(4, '\0') + "\n" +  // 5: NULs after the object
                             R"({"@timestamp":6,"process":{"name":"p)"
                             "\xC3\x28"
                             R"("}})" +
                             "\n" +                                                  // 6: bad UTF-8
                             ev(7, R"(,"\u0000":1,"a\u0000b":"\u0000")") + "\r\n" +  // 7: \u0000 in keys
                             ev(8) + "\r\n";
    const auto path = dir.write("lines.ndjson", text).string();
    const Run r = run_both(kQueries, path);
    CHECK(r.sources == std::vector<std::string>{ev(1), ev(7, R"(,"\u0000":1,"a\u0000b":"\u0000")"), ev(8)});
    CHECK(r.bad_lines == 5);
    for (int line : {2, 3, 4, 5, 6}) CHECK(mentions(r.reports, path + ":" + std::to_string(line) + ": "));
    CHECK(mentions(r.reports, path + ":3: invalid JSON: the object is not closed (truncated line?)"));
}

TEST_CASE("hostile: lines of 64 MiB, just under and over the limit", "[hostile][lines][long]") {
    TempDir dir;
    const size_t limit = size_t{64} << 20;
    const std::string head = R"({"@timestamp":2,"event":{"category":"process"},"process":{"name":"p2"},"pad":")";
    const std::string tail = "\"}";
    // A line and its '\n' must fit in the limit: `under` (limit - 1 bytes) just does, `over` (limit + 1) does not.
    const std::string under = head + std::string(limit - 1 - head.size() - tail.size(), 'a') + tail;
    const std::string over = head + std::string(limit + 1 - head.size() - tail.size(), 'a') + tail;
    REQUIRE(under.size() == limit - 1);
    const auto path = dir.write("long.ndjson", ev(1) + "\n" + under + "\n" + over + "\n" + ev(4) + "\n").string();
    const Run one = run_file(queries_of({kQueries[0]}), path, 1);
    CHECK(one.matches.size() == 3);
    CHECK(one.bad_lines == 1);
    CHECK(mentions(one.reports, path + ":3: line longer than 67108864 bytes"));
    const Run two = run_file(queries_of({kQueries[0]}), path, 2);
    CHECK(two.matches == one.matches);
    CHECK(two.reports == one.reports);
}

TEST_CASE("hostile: a timestamp outside 1677-2262 says why", "[hostile][timestamp]") {
    TempDir dir;
    const auto path = dir.write("time.ndjson", R"({"@timestamp":"2300-01-01T00:00:00Z","event":{"category":"process"}})"
                                               "\n"
                                               R"({"event":{"category":"process"}})"
                                               "\n")
                          .string();
    const Run r = run_both(kQueries, path);
    REQUIRE(r.reports.size() == 2);
    CHECK(r.reports[0].find(path + ":1: event has no usable timestamp in field [@timestamp] (outside the range eqlc "
                                   "can represent, 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z") ==
          0);
    CHECK(r.reports[0].find("signed 64-bit") != std::string::npos);
    CHECK(r.reports[1].find(path +
                            ":2: event has no usable timestamp in field [@timestamp] (missing, null or empty)") == 0);
}

TEST_CASE("hostile: the CLI's output stays valid NDJSON", "[hostile][cli]") {
    TempDir dir;
    std::string text = "\xEF\xBB\xBF" + ev(1) + "\r\n";
    text += ev(2, R"(,"u":tru)") + "\n";
    text += ev(3, R"(,"x":1,"x":1)") + "\n";
    text += R"({"@timestamp":4,"process":{"name":)" + nested("[", "\"p4\"", "]", 40'000) + "}}\n";
    text += ev(5, R"(,"n":3.141592653589793238)") + "\n";
    text += ev(6).substr(0, 30) + "\n";
    text += std::string("\xFF\xFE{}\n");
    text += ev(8) + "\n";
    const auto events = dir.write("events.ndjson", text).string();
    for (const char* threads : {"1", "2"}) {
        const auto r = eqlc::test::run_eqlc({"-j", threads, "-e", R"(process where process.name : "p*")", events});
        CHECK(r.status == 1);
        const auto lines = r.out_lines();
        REQUIRE(lines.size() == 3);
        for (const auto& line : lines) CHECK(json::accept(line));
        CHECK(json::parse(lines[1])["events"][0]["_source"]["n"].get<double>() == 3.141592653589793);
        for (int line : {2, 3, 4, 6, 7})
            CHECK(r.err.find(events + ":" + std::to_string(line) + ": ") != std::string::npos);
    }
}

TEST_CASE("numbers with 19+ significant digits: a rule's own timestamp field and a join key", "[hostile][numbers]") {
    TempDir dir;
    // simdjson 3.0.1's get_number() read both as 0: the own timestamp became 1970 and the keys joined with 0.
    const std::string a =
        R"({"@timestamp":1,"event":{"category":"process"},"t2":1700000000000.0000001,"k":1234567890123456789.5,"s":1})";
    const std::string b = R"({"@timestamp":2,"event":{"category":"process"},"t2":1700000000001.0000001,"k":0,"s":2})";
    const std::string c =
        R"({"@timestamp":3,"event":{"category":"process"},"t2":1700000000002.0000001,"k":1.2345678901234567895e18,"s":2})";
    const auto path = dir.write("numbers.ndjson", a + "\n" + b + "\n" + c + "\n").string();

    auto own = queries_of({R"(process where s == 1)"});
    own[0].timestamp_field = "t2";
    auto created = eqlc::Engine::create(own, {});
    REQUIRE(created.engine);
    std::vector<int64_t> times;
    created.engine->on_match([&](const eqlc::Match& m) { times.push_back(m.events.back().timestamp_ns); });
    REQUIRE(created.engine->read_ndjson(path, {}, nullptr));
    created.engine->finish();
    CHECK(times == std::vector<int64_t>{1'700'000'000'000'000'000});

    const Run r = run_both({R"(sequence by k [process where s == 1] [process where s == 2])"}, path);
    REQUIRE(r.matches.size() == 1);
    CHECK(r.sources == std::vector<std::string>{a, c});
    CHECK(json::parse(r.matches[0].substr(r.matches[0].rfind(':') + 1))[0].get<double>() == 1234567890123456789.5);
}

TEST_CASE("check_json_object: what a full check accepts and refuses", "[hostile][json_check]") {
    using eqlc::input::check_json_object;
    for (const char* good : {R"({})", R"( {"a":1} )", R"({"a":[1,2,{"b":null}],"c":"\u0000\n\"\/","d":-0.5e+3})",
                             R"({"a":1e999,"b":-0,"c":123456789012345678901234567890,"\u0000":true})",
                             R"({"k":1,"K":2,"o":{"k":1},"p":[{"k":1},{"k":2}]})", "{\"a\":\"\xC3\xA9\"}\r"}) {
        INFO(good);
        CHECK_FALSE(check_json_object(good));
    }
    struct Bad {
        const char* text;
        const char* message;
    };
    for (const Bad& bad : std::vector<Bad>{{R"({"a":tru})", "not a JSON value"},
                                           {R"({"a":01})", "malformed number"},
                                           {R"({"a":NaN})", "not a JSON value"},
                                           {R"({"a":"\q"})", "invalid escape"},
                                           {R"({"a":"\u12G4"})", "invalid \\u escape"},
                                           {R"({"a":[1,2,]})", "trailing comma"},
                                           {R"({"a":1,})", "trailing comma"},
                                           {R"({"a":1 "b":2})", "expected ',' or '}'"},
                                           {R"({"a" 1})", "expected ':'"},
                                           {R"({"a":1}x)", "unexpected content"},
                                           {R"([1])", "not a JSON object"},
                                           {R"({"a":[1)", "not closed"},
                                           {R"({"a":1,"a":2})", "duplicate key \"a\""},
                                           {R"({"a":{"b":1,"\u0062":2}})", "duplicate key \"b\""},
                                           {"{\"a\":\"x\ty\"}", "control character"},
                                           {"{\"a\":\"\xC3\x28\"}", "UTF-8"},
                                           {R"({"a":+1})", "not a JSON value"},
                                           {R"({"a":.5})", "not a JSON value"},
                                           {R"({"a":1.})", "malformed number"},
                                           {R"({"a":1e})", "malformed number"}}) {
        INFO(bad.text);
        const auto problem = check_json_object(bad.text);
        REQUIRE(problem);
        CHECK(problem->message.find(bad.message) != std::string::npos);
    }
    const auto dup = check_json_object(R"({"x":1,"y":2,"x":3})");
    REQUIRE(dup);
    CHECK(dup->offset == 13);  // the second "x"
    std::string deep = "{\"a\":";
    for (int i = 0; i < 100'000; ++i) deep += '[';
    CHECK(check_json_object(deep)->message.find("nested deeper than 1000 levels") != std::string::npos);
}

TEST_CASE("hostile: an invalid event with --sort or a reorder window is reported once, at its own line",
          "[hostile][validate]") {
    TempDir dir;
    // Out of order on purpose; the invalid event is seen by the sample on arrival and by the others later.
    const std::string a = R"({"@timestamp":3,"event":{"category":"process"},"user":"u1","k":1})";
    const std::string bad = R"({"@timestamp":2,"event":{"category":"process"},"user":"u1","k":2,"junk":tru})";
    const std::string b = R"({"@timestamp":1,"event":{"category":"process"},"user":"u1","k":3})";
    const auto path = dir.write("order.ndjson", a + "\n" + bad + "\n" + b + "\n").string();
    const std::vector<std::string> queries = {R"(process where k >= 1)",
                                              R"(sample by user [process where k == 2] [process where k == 3])",
                                              R"(sample by user [process where k == 1] [process where k == 3])"};
    eqlc::EngineOptions sorted;
    sorted.sort_input = true;
    eqlc::EngineOptions window;
    window.reorder_window_ns = 10'000'000;
    for (const auto& options : {sorted, window}) {
        const Run r = run_both(queries, path, options);
        CHECK(r.reports == std::vector<std::string>{path + ":2: invalid JSON: not a JSON value (column 73); the "
                                                           "event matched a query but is left out of every result"});
        CHECK(r.bad_lines == 1);
        CHECK(r.events == 2);
        CHECK(r.matches == std::vector<std::string>{"0:event:[]", "0:event:[]", R"(2:sample:["u1"])"});
        CHECK(r.sources == std::vector<std::string>{b, a, a, b});
    }
}

// A sequence's later stage is only evaluated (and the event only checked) when a partial of its key waits: an
// invalid event that only a waiting sequence's later stage would match is, for that sequence, an event that
// matched nothing, and nothing reports it; the same event with a partial waiting is checked, reported and left
// out (engine/query_runner.cpp, run_sequence).
TEST_CASE("hostile: an invalid event that only an idle sequence's later stage matches is not checked",
          "[hostile][validate][idle-stages]") {
    TempDir dir;
    const std::string start = R"({"@timestamp":1,"event":{"category":"process"},"user":"u1","k":1})";
    const std::string bad = R"({"@timestamp":2,"event":{"category":"process"},"user":"u1","k":2,"junk":tru})";
    const std::string other_key = R"({"@timestamp":2,"event":{"category":"process"},"user":"u2","k":2,"junk":tru})";
    const std::string good = R"({"@timestamp":3,"event":{"category":"process"},"user":"u1","k":2})";
    const std::vector<std::string> queries = {R"(sequence by user [process where k == 1] [process where k == 2])"};

    // No partial anywhere: the bad event's stage-2 hit is never evaluated, so it is never checked.
    const auto idle = dir.write("idle.ndjson", bad + "\n" + good + "\n").string();
    const Run r1 = run_both(queries, idle);
    CHECK(r1.reports.empty());
    CHECK(r1.bad_lines == 0);
    CHECK(r1.matches.empty());

    // A partial of another key waits: the stage is evaluated, the hit's key has nothing waiting: not checked.
    const auto other = dir.write("other.ndjson", start + "\n" + other_key + "\n" + good + "\n").string();
    const Run r2 = run_both(queries, other);
    CHECK(r2.reports.empty());
    CHECK(r2.matches == std::vector<std::string>{R"(0:sequence:["u1"])"});

    // A partial of its key waits: checked, reported once, left out; the good event then completes the sequence.
    const auto waiting = dir.write("waiting.ndjson", start + "\n" + bad + "\n" + good + "\n").string();
    const Run r3 = run_both(queries, waiting);
    REQUIRE(r3.reports.size() == 1);
    CHECK(r3.reports[0].rfind(waiting + ":2: invalid JSON", 0) == 0);
    CHECK(r3.bad_lines == 1);
    CHECK(r3.matches == std::vector<std::string>{R"(0:sequence:["u1"])"});
    CHECK(r3.sources == std::vector<std::string>{start, good});
}
