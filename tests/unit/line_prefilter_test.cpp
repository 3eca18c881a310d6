// The line prefilter: the text a query term requires (compiler/required_text), the Hyperscan line filter
// (input/line_filter), and, end to end, that the engine gives the same matches with and without it on events
// built to fool it (escapes, case, non-ASCII letters that Java lowers to ASCII, keys and values split over lines).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/compiled_query.hpp"
#include "eqlc/engine.hpp"
#include "input/line_filter.hpp"
#include "input/ndjson_reader.hpp"
#include "semantics/schema.hpp"

using eqlc::compiler::CompileOptions;
using eqlc::compiler::RequiredText;

namespace {

// The required text of each term of `query`, as --explain prints it.
std::vector<std::string> required(std::string_view query, const char* mapping = nullptr) {
    std::optional<eqlc::semantics::Schema> schema;
    CompileOptions options;
    if (mapping) {
        schema = eqlc::semantics::Schema::parse_mapping(mapping);
        REQUIRE(schema);
        options.schema = &*schema;
    }
    eqlc::vm::FieldCatalog catalog;
    auto result = eqlc::compiler::compile_query(query, options, catalog);
    INFO(query);
    REQUIRE(result.ok());
    std::vector<std::string> out;
    for (const auto& term : result.query->terms) out.push_back(eqlc::compiler::to_string(term.required));
    if (result.query->until) out.push_back("until " + eqlc::compiler::to_string(result.query->until->required));
    return out;
}

std::string one(std::string_view query, const char* mapping = nullptr) {
    auto all = required(query, mapping);
    REQUIRE(all.size() == 1);
    return all.front();
}

RequiredText text_of(std::vector<std::vector<std::pair<std::string, bool>>> clauses) {
    RequiredText r;
    for (auto& clause : clauses) {
        RequiredText::Clause c;
        for (auto& [text, ci] : clause) c.push_back(eqlc::compiler::Needle{text, ci});
        r.clauses.push_back(std::move(c));
    }
    return r;
}

// Which lines of `text` the filter lets through (scanned as one block, then line by line).
std::vector<bool> candidates(const eqlc::input::LineFilter& filter, const std::string& text) {
    eqlc::input::LineScanner scanner(filter);
    scanner.scan(text.data(), text.size());
    std::vector<bool> out;
    size_t begin = 0;
    while (begin < text.size()) {
        size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        out.push_back(scanner.may_match(text.data() + begin, end - begin));
        begin = end + 1;
    }
    return out;
}

}  // namespace

TEST_CASE("required text: string tests give needles in their JSON form", "[prefilter]") {
    CHECK(one(R"(process where process.name : "svchost.exe")") == "~'svchost.exe' and 'process'");
    CHECK(one(R"(any where process.name == "cmd.exe")") == "'cmd.exe'");
    // '"' and '\' are written \" and \\ in the line
    CHECK(one(R"(any where file.path == "C:\\a\"b")") == R"('C:\\a\"b')");
    CHECK(one(R"(any where a in ("one", "two", "three"))") == "('one' or 'two' or 'three')");
    CHECK(one(R"(any where a : ("One", "TWO"))") == "(~'one' or ~'two')");
    // wildcard patterns: their longest literal piece
    CHECK(one(R"(any where a : "?:\\Windows\\*\\csc.exe")") == R"(~':\\windows\\')");
    CHECK(one(R"(any where a like "*powershell*")") == "'powershell'");
    CHECK(one(R"(any where startsWith(a, "Program"))") == "'Program'");
    // and: the most selective clauses, longest needles first
    CHECK(one(R"(any where a == "abc" and b == "abcdefgh" and c : ("xyz", "uvw"))") ==
          "'abcdefgh' and 'abc' and (~'xyz' or ~'uvw')");
    // or: the union of each branch's best clause
    CHECK(one(R"(any where (a == "first" and b == "x1x") or c : "second")") == "('first' or ~'second')");
}

TEST_CASE("required text: tests that cannot require text give no condition", "[prefilter]") {
    CHECK(one(R"(any where not a : "svchost.exe")") == "any line");
    CHECK(one(R"(any where a != "svchost.exe")") == "any line");
    CHECK(one(R"(any where a == "svchost.exe" or b == 5)") == "any line");         // a number: compared by value
    CHECK(one(R"(any where a : "*")") == "any line");                              // no literal piece
    CHECK(one(R"(any where a == "ab")") == "any line");                            // too short to be worth it
    CHECK(one(R"(any where a regex "svc.*\\.exe")") == "any line");                // regexps are not analysed
    CHECK(one(R"(any where length(a) == 5)") == "any line");                       // functions are value tests
    CHECK(one(R"(any where a : "\u{00c9}t\u{00e9}")") == "any line");              // non-ASCII, case-insensitive
    CHECK(one(R"(any where a == "\u{00c9}t\u{00e9}")") == "'\xC3\x89t\xC3\xA9'");  // non-ASCII, exact: raw bytes
    CHECK(one(R"(any where a == "tab\there")") == R"('tab\there')");               // \t has one JSON spelling
    CHECK(one(R"(any where a == "bell\u{07}")") == "any line");                    // only \u0007 spells it
    CHECK(one("any where false") == "never");
    CHECK(one(R"(any where false or a == "xyz")") == "'xyz'");

    const char* mapping =
        R"({"properties":{"@timestamp":{"type":"date"},"event":{"properties":{"category":{"type":"keyword"}}},
        "port":{"type":"long"},"ip":{"type":"ip"},"name":{"type":"keyword"},"nv":{"type":"keyword","null_value":"NONE"}}})";
    CHECK(one(R"(any where port == 135)", mapping) == "any line");       // 135, 135.0, "135", 1.35e2
    CHECK(one(R"(any where ip == "10.0.0.1")", mapping) == "any line");  // compared as addresses
    CHECK(one(R"(any where name == "svchost")", mapping) == "'svchost'");
    CHECK(one(R"(any where name == 12345)", mapping) == "'12345'");  // a keyword holds the number's JSON text
    CHECK(one(R"(any where nv == "NONE")", mapping) == "any line");  // a JSON null reads as NONE
}

TEST_CASE("required text: every term of a sequence, until included", "[prefilter]") {
    auto terms = required(R"(sequence by host.id with maxspan=1m
        [network where process.name : "svchost.exe"]
        ![process where process.name : "blocker.exe"]
        [process where process.parent.name : "WmiPrvSE.exe"]
      until [process where event.type == "end"])");
    REQUIRE(terms.size() == 4);
    CHECK(terms[0] == "~'svchost.exe' and 'network'");
    CHECK(terms[1] == "~'blocker.exe' and 'process'");
    CHECK(terms[2] == "~'wmiprvse.exe' and 'process'");
    CHECK(terms[3] == "until 'end' and 'process'");  // the category is the weakest anchor: last
}

TEST_CASE("line filter: anchors, other clauses, case, escapes and forcing characters", "[prefilter]") {
    std::string error;
    auto filter = eqlc::input::LineFilter::create(
        {text_of({{{"svchost.exe", true}}, {{"network", false}}, {{"incoming", true}, {"ingress", true}}}),
         text_of({{{"wmiprvse.exe", true}}})},
        &error);
    REQUIRE(filter);
    CHECK(filter->term_count() == 2);
    CHECK(filter->anchor_count() == 2);
    const std::string lines = R"({"p":"SVCHOST.EXE","c":"network","d":"Incoming"})"
                              "\n"  // 0 all clauses: yes
                              R"({"p":"svchost.exe","c":"network","d":"outgoing"})"
                              "\n"  // 1 third clause missing: no
                              R"({"p":"svchost.exe","c":"NETWORK","d":"ingress"})"
                              "\n"  // 2 'network' is case-sensitive: no
                              R"({"parent":"WmiPrvSE.exe"})"
                              "\n"  // 3 second term: yes
                              R"({"p":"nothing here"})"
                              "\n"  // 4 no
                              R"({"p":"svch\u006fst.exe"})"
                              "\n"  // 5 a \u escape: yes
                              R"({"p":"C:\\users\\x"})"
                              "\n"  // 6 \\u is an escaped backslash: no
                              R"({"p":"C:\\\u0041"})"
                              "\n"  // 7 \\ then \u0041: yes
                              R"({"p":"a\/b"})"
                              "\n"                               // 8 \/: yes
                              "{\"p\":\"\xE2\x84\xAA\"}\n"       // 9 KELVIN SIGN: yes
                              "{\"p\":\"\xC4\xB0\"}\n"           // 10 I WITH DOT ABOVE: yes
                              "{\"p\":\"\xC3\xA9t\xC3\xA9\"}\n"  // 11 other non-ASCII: no
                              R"({"p":"svchost.exe"})"
                              "\n"  // 12 anchor only: no
                              R"({"c":"network","d":"incoming"})"
                              "\n"  // 13 anchor missing: no
                              R"({"x":"wmiprvse.ex"})"
                              "\n"                        // 14 no
                              R"({"x":"WMIPRVSE.EXE"})";  // 15 last line without '\n': yes
    const std::vector<bool> expected{true, false, false, true,  false, true,  false, true,
                                     true, true,  true,  false, false, false, false, true};
    CHECK(candidates(*filter, lines) == expected);

    // A block may also be asked about line by line with lines skipped (the reader does not skip, but the scanner
    // must not carry hits of one line over to the next).
    eqlc::input::LineScanner scanner(*filter);
    scanner.scan(lines.data(), lines.size());
    const size_t third = lines.find("{\"parent\"");
    CHECK(scanner.may_match(lines.data() + third, lines.find('\n', third) - third));
    const size_t fifth = lines.find("{\"p\":\"svch\\u");
    CHECK(scanner.may_match(lines.data() + fifth, lines.find('\n', fifth) - fifth));
}

namespace {

// Events whose strings are chosen to sit on the edges of the prefilter: the needle in another case, spelled with
// \u escapes, split between key and value, with KELVIN SIGN for k, as a number, or in an unrelated field.
std::string tricky_events(unsigned seed, size_t count) {
    std::mt19937 rng(seed);
    auto pick = [&](std::initializer_list<const char*> options) {
        return std::string(options.begin()[rng() % options.size()]);
    };
    std::string out;
    for (size_t i = 0; i < count; ++i) {
        nlohmann::json e;
        e["@timestamp"] = 1700000000000 + static_cast<int64_t>(i) * 1000;
        e["event"]["category"] = pick({"process", "network", "file"});
        e["host"]["id"] = pick({"h1", "h2"});
        e["process"]["name"] = pick({"svchost.exe", "SvcHost.EXE", "svchost.ex", "cmd.exe", "blocker.exe",
                                     "\xE2\x84\xAA"
                                     "ernel.exe",
                                     "kernel.exe"});
        e["process"]["parent"]["name"] = pick({"WmiPrvSE.exe", "wmiprvse.exe", "explorer.exe", "x"});
        e["network"]["direction"] = pick({"incoming", "INGRESS", "egress"});
        e["user"]["name"] = pick({"alice", "svchost.exe", "ALICE"});
        std::string line = e.dump();
        // Rewrite some characters as \u escapes, and some '/' as \/, the way other JSON writers may.
        const unsigned style = rng() % 4;
        if (style == 1) {
            for (size_t at = line.find("svchost"); at != std::string::npos; at = line.find("svchost", at + 1))
                line.replace(at + 1, 1, "\\u0076");  // v
        } else if (style == 2) {
            for (size_t at = line.find("alice"); at != std::string::npos; at = line.find("alice", at))
                line.replace(at, 5, "\\u0061lice");
            for (size_t at = line.find("ALICE"); at != std::string::npos; at = line.find("ALICE", at))
                line.replace(at, 5, "AL\\u0049CE");
        } else if (style == 3) {
            const size_t at = line.find("\"process\"");
            if (at != std::string::npos) line.replace(at, 9, "\"pro\\u0063ess\"");
        }
        out += line + "\n";
    }
    return out;
}

std::vector<std::string> run(const std::vector<eqlc::QuerySource>& queries, const std::string& path, bool prefilter,
                             eqlc::EngineStats* stats = nullptr) {
    eqlc::EngineOptions options;
    options.line_prefilter = prefilter;
    auto created = eqlc::Engine::create(queries, options);
    REQUIRE(created.engine);
    std::vector<std::string> out;
    created.engine->on_match([&](const eqlc::Match& m) { out.push_back(eqlc::match_to_ndjson(m, "q")); });
    eqlc::Diagnostic error;
    REQUIRE(created.engine->read_ndjson(path, {}, &error));
    created.engine->finish();
    if (stats) *stats = created.engine->stats();
    return out;
}

}  // namespace

TEST_CASE("line prefilter: the engine finds the same matches with and without it", "[prefilter][engine]") {
    const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/eqlc_prefilter_" +
                             std::to_string(::getpid()) + ".ndjson";
    { std::ofstream(path, std::ios::binary) << tricky_events(7, 3000); }
    const std::vector<std::vector<eqlc::QuerySource>> cases = {
        {{R"(process where process.name : "svchost.exe")", "ci"}},
        {{R"(process where process.name == "svchost.exe")", "cs"}},
        {{R"(any where process.name : "kernel.exe")", "kelvin"}},
        {{R"(any where user.name : "alice")", "escaped"}},
        {{R"(process where process.name : "*host*" and user.name == "ALICE")", "pattern"}},
        {{R"(sequence by host.id with maxspan=30s
              [network where process.name : "svchost.exe" and network.direction : ("incoming", "ingress")]
              [process where process.parent.name : "WmiPrvSE.exe"])",
          "wmi"},
         {R"(sequence by host.id with maxspan=1m [process where process.name : "cmd.exe"]
              ![process where process.name : "blocker.exe"] [process where process.name : "svchost.exe"]
              until [file where user.name == "alice"])",
          "missing-until"},
         {R"(sample by host.id [process where process.name : "cmd.exe"] [network where user.name : "alice"])",
          "sample"}},
    };
    for (const auto& queries : cases) {
        INFO(queries.front().name);
        eqlc::EngineStats with, without;
        const auto a = run(queries, path, true, &with);
        const auto b = run(queries, path, false, &without);
        CHECK(a == b);
        CHECK_FALSE(b.empty());                                   // the case tests something
        if (queries.size() == 1) CHECK(with.skipped_events > 0);  // the filter did something
        CHECK(with.events + with.skipped_events == without.events);
        CHECK(without.skipped_events == 0);
    }
    std::remove(path.c_str());
}

TEST_CASE("line prefilter: skipped lines that are not JSON objects are still reported", "[prefilter][engine]") {
    const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                             "/eqlc_prefilter_bad_" + std::to_string(::getpid()) + ".ndjson";
    {
        std::ofstream(path, std::ios::binary)
            << R"({"@timestamp":1,"event":{"category":"process"},"process":{"name":"other.exe"}})"
               "\n"
            << R"({"@timestamp":2,"event":{"category":"process"},"process":{"name":"other.exe")"
               "\n"                                   // truncated
            << "{\"@timestamp\":3,\"p\":\"\xFF\"}\n"  // bad UTF-8
            << R"([1, 2])"
               "\n"
            << R"({"@timestamp":4,"event":{"category":"process"},"process":{"name":"svchost.exe"}})"
               "\n";
    }
    eqlc::EngineOptions options;
    auto created = eqlc::Engine::create({{R"(process where process.name : "svchost.exe")", "q"}}, options);
    REQUIRE(created.engine);
    std::vector<uint64_t> bad_lines;
    created.engine->on_bad_input([&](const eqlc::BadInput& bad) { bad_lines.push_back(bad.line); });
    size_t matches = 0;
    created.engine->on_match([&](const eqlc::Match&) { ++matches; });
    eqlc::Diagnostic error;
    REQUIRE(created.engine->read_ndjson(path, {}, &error));
    created.engine->finish();
    CHECK(matches == 1);
    CHECK(bad_lines == std::vector<uint64_t>{2, 3, 4});
    CHECK(created.engine->stats().skipped_events == 1);
    CHECK(created.engine->stats().bad_lines == 3);
    std::remove(path.c_str());
}

TEST_CASE("line prefilter: explain shows it, and a term without required text turns it off", "[prefilter][engine]") {
    auto with = eqlc::Engine::create({{R"(process where process.name : "svchost.exe")", "a"}});
    REQUIRE(with.engine);
    CHECK(with.engine->explain().find("line prefilter: ~'svchost.exe' and 'process'") != std::string::npos);

    const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                             "/eqlc_prefilter_off_" + std::to_string(::getpid()) + ".ndjson";
    { std::ofstream(path, std::ios::binary) << tricky_events(3, 200); }
    eqlc::EngineStats stats;
    run({{R"(process where process.name : "svchost.exe")", "a"}, {R"(any where process.pid == 5)", "b"}}, path, true,
        &stats);
    CHECK(stats.skipped_events == 0);
    CHECK(stats.events == 200);
    std::remove(path.c_str());
}

TEST_CASE("line prefilter: the reader drops a filter that lets nearly every line through", "[prefilter][reader]") {
    eqlc::vm::FieldCatalog catalog;
    catalog.intern("name");
    const eqlc::input::ProjectionPlan plan(catalog);
    auto read = [&](const std::string& needle) {
        std::string error;
        auto filter = eqlc::input::LineFilter::create({text_of({{{needle, false}}})}, &error);
        REQUIRE(filter);
        std::string text;
        for (int i = 0; i < 60'000; ++i)
            text +=
                R"({"name":")" + std::string(i % 10 == 0 ? "rare" : "common") + R"(","i":)" + std::to_string(i) + "}\n";
        eqlc::input::ReaderOptions options;
        options.line_filter = filter.get();
        auto reader = eqlc::input::NdjsonReader::from_string(std::move(text), "t", plan, options);
        eqlc::vm::EventRecord record;
        uint64_t events = 0;
        while (reader->next(record)) ++events;
        return std::make_tuple(events, reader->stats().skipped_events, reader->stats().line_filter_dropped);
    };
    // "common" is in 90% of the lines: after 50,000 lines the filter goes, and every later line is read.
    const auto [events, skipped, dropped] = read("common");
    CHECK(dropped);
    CHECK(events + skipped == 60'000);
    CHECK(skipped == 5'000);  // the rare lines among the first 50,000
    // "rare" is in 10%: the filter stays.
    const auto [rare_events, rare_skipped, rare_dropped] = read("rare");
    CHECK_FALSE(rare_dropped);
    CHECK(rare_events == 6'000);
    CHECK(rare_skipped == 54'000);
}

TEST_CASE("line filter: many other needles are searched with a second Hyperscan database", "[prefilter]") {
    std::vector<std::pair<std::string, bool>> many;
    for (int i = 0; i < 20; ++i) many.emplace_back("alt" + std::to_string(i) + "x", i % 2 == 1);
    std::string error;
    auto filter =
        eqlc::input::LineFilter::create({text_of({{{"anchorword", false}}, many, {{"third", true}}})}, &error);
    REQUIRE(filter);
    const std::string lines = R"({"a":"anchorword","b":"alt7X","c":"THIRD"})"
                              "\n"  // alt7x ignoring case (odd: ~), third: yes
                              R"({"a":"anchorword","b":"ALT8X","c":"third"})"
                              "\n"  // alt8x is case-sensitive: no
                              R"({"a":"anchorword","b":"alt8x","c":"thi"})"
                              "\n"  // third clause missing: no
                              R"({"a":"anchorword","b":"alt19x","c":"third"})"
                              "\n"                                          // yes
                              R"({"a":"anchor","b":"alt1x","c":"third"})";  // no anchor: no
    CHECK(candidates(*filter, lines) == std::vector<bool>{true, false, false, true, false});
}
