// EventBuilder and fields(): events set field by field match exactly as their JSON lines read by read_ndjson, the
// builder writes the JSON it is given (escapes, number types, arrays, replacement), and an unusable field or value
// makes the event refused with a message while the engine goes on.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/internals.hpp"
#include "eqlc/alert.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/event_builder.hpp"
#include "eqlc/mapping.hpp"
#include "eqlc/rule_loader.hpp"
#include "support/files.hpp"
#include "support/wmi_rule.hpp"
#include "values/timestamp.hpp"

using nlohmann::json;

namespace {

// The WMI rule as the tool runs it, with its alerts (rule object and all) and bad-input reports collected.
struct WmiRun {
    eqlc::rules::LoadResult loaded = eqlc::rules::load_rule_file(eqlc::test::wmi_rule_toml());
    std::unique_ptr<eqlc::Engine> engine;
    std::vector<std::string> alerts;    // labels.event of each event, then severity
    std::vector<std::string> ordinals;  // the events' ordinals, per alert
    std::vector<std::string> reports;

    WmiRun() {
        REQUIRE(loaded.ok());
        auto created = eqlc::Engine::create({{loaded.rule->query, loaded.rule->name}});
        REQUIRE(created.engine);
        engine = std::move(created.engine);
        engine->on_match([this](const eqlc::Match& m) {
            const json alert = json::parse(eqlc::alert_to_ndjson(m, loaded.rule->name, &*loaded.rule));
            std::string ids, ords;
            // A built event's _source has dotted keys ("labels.event"), a read one nested objects: find_field
            // reads both.
            for (const auto& e : alert["events"]) {
                const json* id = eqlc::rules::find_field(e["_source"], "labels.event");
                ids += (id ? id->get<std::string>() : std::string("?")) + " ";
            }
            for (const auto& e : m.events) ords += std::to_string(e.ordinal) + " ";
            alerts.push_back(ids + alert["rule"]["severity"].get<std::string>());
            ordinals.push_back(ords);
        });
        engine->on_bad_input([this](const eqlc::BadInput& b) { reports.push_back(b.message); });
    }
};

// Sets every value of `value` (at dotted path `path`) the way an embedder holding the event in its own structs
// would: scalars with set, arrays with one append per element, objects flattened to dotted paths, arrays of
// objects flattened as Elasticsearch indexes them.
void build(eqlc::EventBuilder& b, const std::string& path, const json& value, bool in_array) {
    switch (value.type()) {
        case json::value_t::object:
            for (const auto& [key, item] : value.items())
                build(b, path.empty() ? key : path + "." + key, item, in_array);
            return;
        case json::value_t::array:
            if (value.empty() && !in_array) REQUIRE(b.set_empty_array(path));
            for (const auto& item : value) build(b, path, item, true);
            return;
        case json::value_t::string: {
            const auto& text = value.get_ref<const std::string&>();
            if (path == "@timestamp" && !in_array) {
                const auto parsed = eqlc::input::parse_timestamp(text);
                REQUIRE(parsed.ok());
                REQUIRE(b.set_time(parsed.nanos));
            } else {
                REQUIRE((in_array ? b.append(path, text) : b.set(path, text)));
            }
            return;
        }
        case json::value_t::boolean:
            REQUIRE((in_array ? b.append(path, value.get<bool>()) : b.set(path, value.get<bool>())));
            return;
        case json::value_t::number_integer:
            REQUIRE((in_array ? b.append(path, value.get<int64_t>()) : b.set(path, value.get<int64_t>())));
            return;
        case json::value_t::number_unsigned:
            REQUIRE((in_array ? b.append(path, value.get<uint64_t>()) : b.set(path, value.get<uint64_t>())));
            return;
        case json::value_t::number_float:
            REQUIRE((in_array ? b.append(path, value.get<double>()) : b.set(path, value.get<double>())));
            return;
        default: REQUIRE((in_array ? b.append_null(path) : b.set_null(path)));
    }
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

// An engine with one query, process.name == "cmd.exe", that adds each match's first event's ordinal to `matched`.
std::unique_ptr<eqlc::Engine> cmd_engine(bool prefilter, std::vector<uint64_t>& matched) {
    eqlc::EngineOptions options;
    options.line_prefilter = prefilter;
    auto created = eqlc::Engine::create({{R"(process where process.name == "cmd.exe")", "cmd"}}, options);
    REQUIRE(created.engine);
    created.engine->on_match([&matched](const eqlc::Match& m) { matched.push_back(m.events.at(0).ordinal); });
    return std::move(created.engine);
}

}  // namespace

TEST_CASE("events built field by field give the alerts read_ndjson gives on their JSON lines", "[builder]") {
    for (const auto& file : {eqlc::test::wmi_defend_samples(), eqlc::test::wmi_sysmon_samples()}) {
        INFO(file.string());
        WmiRun read, built;
        eqlc::Diagnostic error;
        REQUIRE(read.engine->read_ndjson(file.string(), {}, &error));
        read.engine->finish();

        eqlc::EventBuilder b = built.engine->event();
        CHECK(b.timestamp_field() == "@timestamp");
        for (const auto& line : lines_of(eqlc::test::read_text(file))) {
            b.clear();
            build(b, "", json::parse(line), false);
            REQUIRE(b.ok());
            CHECK(built.engine->push(b));
        }
        built.engine->finish();

        REQUIRE(read.alerts.size() >= 3);
        CHECK(built.alerts == read.alerts);
        CHECK(built.ordinals == read.ordinals);
        CHECK(built.reports.empty());
        // Built events go through the line prefilter as their JSON text would (push_json): the samples' events
        // that no term can match are skipped unprojected, as read_ndjson skips their lines.
        CHECK(built.engine->stats().skipped_events == read.engine->stats().skipped_events);
        CHECK(built.engine->stats().skipped_events > 0);
        CHECK(built.engine->stats().events + built.engine->stats().skipped_events ==
              read.engine->stats().events + read.engine->stats().skipped_events);
    }
}

TEST_CASE("fields() lists what the rules read, with the order and category fields", "[builder]") {
    eqlc::EngineOptions options;
    options.query.tiebreaker_field = "event.sequence";
    auto created = eqlc::Engine::create({{eqlc::test::wmi_rule_query(), "wmi"}}, options);
    REQUIRE(created.engine);
    const auto fields = created.engine->fields();
    CHECK(std::is_sorted(fields.begin(), fields.end()));
    CHECK(std::adjacent_find(fields.begin(), fields.end()) == fields.end());
    for (const char* f : {"@timestamp", "event.category", "event.sequence", "host.id", "host.os.type", "process.name",
                          "process.parent.name", "destination.port", "source.ip", "process.args", "event.dataset",
                          "winlog.event_data.IntegrityLevel"}) {
        INFO(f);
        CHECK(std::find(fields.begin(), fields.end(), f) != fields.end());
    }
    CHECK(std::find(fields.begin(), fields.end(), "labels.scenario") == fields.end());

    // A query's own settings (a rule's timestamp_override) are listed too; an `any` query still gets the defaults.
    eqlc::QuerySource own("any where x == 1", "own");
    own.timestamp_field = "event.ingested";
    const auto set = eqlc::CompiledQueries::compile({own});
    REQUIRE(set.queries);
    CHECK(set.queries->fields() == std::vector<std::string>{"@timestamp", "event.category", "event.ingested", "x"});
}

TEST_CASE("the builder writes the JSON it is given", "[builder]") {
    eqlc::EventBuilder b;
    CHECK(b.set("s", "quote \" backslash \\ newline \n tab \t nul \x01 unicode é 😀"));
    CHECK(b.set("i", -4));
    CHECK(b.set("u", std::numeric_limits<uint64_t>::max()));
    CHECK(b.set("min", std::numeric_limits<int64_t>::min()));
    CHECK(b.set("d", 1.0));
    CHECK(b.set("f", 0.1f));
    CHECK(b.set("big", 1e300));
    CHECK(b.set("t", true));
    CHECK(b.set("c", "text"));  // a string literal is a string, not a bool
    CHECK(b.set_null("n"));
    CHECK(b.append("arr", "a"));
    CHECK(b.append("arr", 2));
    CHECK(b.append_null("arr"));
    CHECK(b.set_empty_array("empty"));
    CHECK(b.set("replaced", 1));
    CHECK(b.set("replaced", "two"));
    CHECK(b.set("became_array", 1));
    CHECK(b.append("became_array", 3));
    CHECK(b.set("\"odd\\key", 1));
    REQUIRE(b.ok());
    CHECK(b.size() == 15);

    const std::string text = b.json();
    INFO(text);
    const json j = json::parse(text);
    CHECK(j["s"] == "quote \" backslash \\ newline \n tab \t nul \x01 unicode é 😀");
    CHECK(j["i"] == -4);
    CHECK(j["u"].is_number_unsigned());
    CHECK(j["u"].get<uint64_t>() == std::numeric_limits<uint64_t>::max());
    CHECK(j["min"].get<int64_t>() == std::numeric_limits<int64_t>::min());
    CHECK(j["d"].is_number_float());
    CHECK(j["d"] == 1.0);
    CHECK(j["f"].get<double>() == static_cast<double>(0.1f));
    CHECK(j["big"] == 1e300);
    CHECK(j["t"] == true);
    CHECK(j["c"] == "text");
    CHECK(j["n"].is_null());
    CHECK(j["arr"] == json::array({"a", 2, nullptr}));
    CHECK(j["empty"] == json::array());
    CHECK(j["replaced"] == "two");
    CHECK(j["became_array"] == json::array({3}));
    CHECK(j["\"odd\\key"] == 1);
    CHECK(j.size() == 15);
    CHECK(text.find("\"replaced\"") == text.rfind("\"replaced\""));  // one key, not two

    b.clear();
    CHECK(b.size() == 0);
    CHECK(b.json() == "{}");
}

// Names are found by place (the field the last event had there, the field set last) before any lookup; whatever
// the order, a builder reused for many events writes what a plain model of set/append/set_empty_array says:
// each name once, at its first place, with its last scalar or its elements since it last became an array.
TEST_CASE("a builder reused over events with shifting field orders keeps each field once, in place", "[builder]") {
    eqlc::EventBuilder b;
    // A name that moved to an earlier place is still where an older event had it: found again there, it must be
    // taken for the field it already is.
    for (const auto* name : {"a", "b", "c"}) b.set(name, 1);
    b.clear();
    b.set("c", 2);  // now at the first place, and still at the third
    b.clear();
    b.set("c", 3);
    b.set("b", 4);
    b.set("c", 5);
    CHECK(b.json() == R"({"c":5,"b":4})");

    const std::vector<std::string> names{"a", "b", "c", "d.e", "f", "g", "h", "i"};
    std::mt19937 random(7);
    for (int event = 0; event < 3000; ++event) {
        b.clear();
        nlohmann::ordered_json model = nlohmann::ordered_json::object();
        // Mostly the same order as the last event (the fast path), with shifts, repeats and skipped names.
        const int steps = static_cast<int>(random() % 14);
        for (int k = 0; k < steps; ++k) {
            const std::string& name =
                random() % 4 ? names[static_cast<size_t>(k) % names.size()] : names[random() % names.size()];
            const int value = static_cast<int>(random() % 100);
            switch (random() % 5) {
                case 0:
                    REQUIRE(b.set(name, value));
                    model[name] = value;
                    break;
                case 1: {
                    const std::string text = "v\"" + std::to_string(value);  // a string, with an escape
                    REQUIRE(b.set(name, text));
                    model[name] = text;
                    break;
                }
                case 2:
                case 3:
                    REQUIRE(b.append(name, value));
                    if (!model.contains(name) || !model[name].is_array()) model[name] = nlohmann::ordered_json::array();
                    model[name].push_back(value);
                    break;
                default: REQUIRE(b.set_empty_array(name)); model[name] = nlohmann::ordered_json::array();
            }
        }
        INFO("event " << event << ": " << b.json());
        REQUIRE(b.size() == model.size());
        REQUIRE(nlohmann::ordered_json::parse(b.json()) == model);
        REQUIRE(eqlc::detail::Internals::json_size(b) == b.json().size());  // kept as fields are set and replaced
    }
}

// Values and names are read a word at a time, short ones in overlapping pieces: a byte that JSON escapes, a byte
// that is not UTF-8, and a name that differs in one byte are seen at every place of every length up to five words.
TEST_CASE("string values and names of every short length: each byte is seen wherever it is", "[builder]") {
    eqlc::EventBuilder b;
    const std::vector<std::string> specials{"\"",   "\\",   "\n",       std::string(1, '\x01'),
                                            "\x1f", "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80"};
    const std::vector<std::string> invalid{"\xff", "\xc3", "\xc3\x28", "\xed\xa0\x80", "\xe0\x80\xaf"};
    for (size_t length = 0; length <= 40; ++length) {
        const std::string plain(length, 'a');
        b.clear();
        REQUIRE(b.set("v", plain));
        REQUIRE(json::parse(b.json())["v"] == plain);
        for (size_t at = 0; at < length; ++at) {
            for (const auto& special : specials) {
                const std::string value = plain.substr(0, at) + special + plain.substr(at + 1);
                INFO("length " << length << ", at " << at << ": " << json(value).dump());
                b.clear();
                REQUIRE(b.set("v", value));
                REQUIRE(b.append("w", value));
                const json j = json::parse(b.json());  // a byte that needed an escape and lacks it breaks the JSON
                CHECK(j["v"] == value);
                CHECK(j["w"] == json::array({value}));
            }
            for (const auto& bad : invalid) {
                const std::string value = plain.substr(0, at) + bad + plain.substr(at + 1);
                INFO("length " << length << ", at " << at << ": not UTF-8");
                b.clear();
                CHECK_FALSE(b.set("v", value));
                CHECK(b.error().find("not UTF-8") != std::string::npos);
            }
            // Names that differ in one byte are two fields, whichever of them the builder guesses first.
            const std::string name = std::string("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH").substr(0, length);
            std::string other = name;
            other[at] = '_';
            for (int event = 0; event < 3; ++event) {
                b.clear();
                REQUIRE(b.set(name, 1));
                REQUIRE(b.set(other, 2));
                INFO("names of length " << length << " differing at " << at << ": " << b.json());
                CHECK(b.size() == 2);
                const json j = json::parse(b.json());
                CHECK(j[name] == 1);
                CHECK(j[other] == 2);
            }
        }
    }
}

// The line prefilter reads a built event's values, not a JSON text: a needle that only a key holds does not make
// the event a candidate (push_json's line is one, and runs to no match); a value that needs a JSON escape sends the
// prefilter to the written JSON, where needles are in their escaped form.
TEST_CASE("built events are prefiltered on their values", "[builder]") {
    const std::vector<eqlc::QuerySource> queries{{R"(process where process.name == "cmd.exe")", "cmd"},
                                                 {R"(process where process.command_line : "*\"evil\"*")", "quoted"}};
    auto built = eqlc::Engine::create(queries);
    auto text = eqlc::Engine::create(queries);
    for (const auto& p : built.problems) UNSCOPED_INFO(p.query << ": " << p.diagnostics.at(0).message);
    REQUIRE(built.engine);
    REQUIRE(text.engine);
    std::vector<std::string> built_matches, text_matches;
    built.engine->on_match([&](const eqlc::Match& m) { built_matches.push_back(std::to_string(m.query)); });
    text.engine->on_match([&](const eqlc::Match& m) { text_matches.push_back(std::to_string(m.query)); });

    eqlc::EventBuilder b = built.engine->event();
    auto push = [&] {
        REQUIRE(b.ok());
        CHECK(built.engine->push(b));
        CHECK(text.engine->push_json(b.json()) == 1);
    };
    b.set_time(1'000'000'000);
    b.append("event.category", "process");
    b.set("labels.cmd.exe", "a key holds the needle");
    push();
    CHECK(built.engine->stats().skipped_events == 1);
    CHECK(text.engine->stats().skipped_events == 0);

    // Nor does a value of a field that no needle comes from: the needles are looked for where the terms test them.
    b.clear();
    b.set_time(1'500'000'000);
    b.append("event.category", "process");
    b.set("user.name", "cmd.exe");
    b.set("message", "run \"evil\" now");
    push();
    CHECK(built.engine->stats().skipped_events == 2);
    CHECK(text.engine->stats().skipped_events == 0);

    b.clear();
    b.set_time(2'000'000'000);
    b.append("event.category", "process");
    b.set("process.command_line", "run \"evil\" now");
    push();
    b.clear();
    b.set_time(3'000'000'000);
    b.append("event.category", "process");
    b.set("process.name", "cmd.exe");
    push();
    built.engine->finish();
    text.engine->finish();
    CHECK(built_matches == std::vector<std::string>{"1", "0"});
    CHECK(built_matches == text_matches);
    CHECK(built.engine->stats().skipped_events == 2);
    CHECK(built.engine->stats().bytes == text.engine->stats().bytes);
}

// The engine remembers where each field of a builder goes by the field's number in the builder; another builder
// numbers its fields otherwise, and each of its events must be read by its own names.
TEST_CASE("builders that number their fields differently, pushed in turn into one engine", "[builder]") {
    for (const bool prefilter : {true, false}) {
        INFO("line prefilter " << prefilter);
        std::vector<uint64_t> matched;
        const auto engine = cmd_engine(prefilter, matched);
        eqlc::EventBuilder first = engine->event(), second = engine->event();
        for (int round = 0; round < 3; ++round) {
            first.clear();
            first.set("x", "cmd.exe");  // number 0 in `first`
            first.append("event.category", "process");
            first.set("process.name", "notepad.exe");
            first.set_time(1'000'000'000 + round * 10);
            second.clear();
            second.set("process.name", "cmd.exe");  // number 0 in `second`
            second.append("event.category", "process");
            second.set("x", "notepad.exe");
            second.set_time(1'000'000'001 + round * 10);
            CHECK(engine->push(first));
            CHECK(engine->push(second));
        }
        engine->finish();
        CHECK(matched == std::vector<uint64_t>{1, 3, 5});  // the second builder's events only
    }
}

// A copy numbers the fields it is given from then on by itself, as does the builder a move left behind: the
// engine must not take a number of one for the same number of the other.
TEST_CASE("a copied or moved-from builder numbers its new fields by itself", "[builder]") {
    for (const bool prefilter : {true, false}) {
        INFO("line prefilter " << prefilter);
        std::vector<uint64_t> matched;
        const auto engine = cmd_engine(prefilter, matched);
        eqlc::EventBuilder original = engine->event();
        original.append("event.category", "process");
        original.set_time(1'000'000'000);
        REQUIRE(engine->push(original));  // ordinal 0; the engine knows numbers 0 and 1
        eqlc::EventBuilder copy = original;
        original.set("user.name", "cmd.exe");  // number 2 in `original`
        copy.set("process.name", "cmd.exe");   // number 2 in `copy`
        REQUIRE(engine->push(original));       // 1: no match
        REQUIRE(engine->push(copy));           // 2
        REQUIRE(engine->push(original));       // 3: no match
        eqlc::EventBuilder moved = std::move(original);
        original.clear();  // left behind, and used again: it numbers from 0
        original.set("process.name", "cmd.exe");
        original.append("event.category", "process");
        original.set_time(2'000'000'000);
        REQUIRE(engine->push(moved));     // 4: no match (user.name)
        REQUIRE(engine->push(original));  // 5
        engine->finish();
        CHECK(matched == std::vector<uint64_t>{2, 5});
    }
}

// The engine reads a built event's prefilter text from the fields it knows the builder to have numbered: a needle
// field numbered later must be learned, and one an event lacks must not lend the last event's value.
TEST_CASE("the needle fields of a built event: numbered late, or absent from one event", "[builder]") {
    std::vector<uint64_t> matched;
    const auto engine = cmd_engine(true, matched);
    eqlc::EventBuilder b = engine->event();
    const auto event = [&](int64_t second, const char* name) {
        b.clear();
        b.set_time(second * 1'000'000'000);
        b.append("event.category", "process");
        if (name) b.set("process.name", name);
        REQUIRE(engine->push(b));
    };
    event(1, nullptr);    // 0: process.name not numbered yet
    event(2, "cmd.exe");  // 1: numbered now
    event(3, nullptr);    // 2: skipped (it lacks the name), not read with event 1's
    event(4, "cmd.exe");  // 3
    engine->finish();
    CHECK(matched == std::vector<uint64_t>{1, 3});
    CHECK(engine->stats().skipped_events == 2);
}

TEST_CASE("field ids set what their names set", "[builder]") {
    auto created = eqlc::Engine::create({{R"(process where process.name == "cmd.exe" and process.pid == 4)", "q"}});
    REQUIRE(created.engine);
    std::vector<uint64_t> matched;
    created.engine->on_match([&](const eqlc::Match& m) { matched.push_back(m.events.at(0).ordinal); });
    eqlc::EventBuilder by_id = created.engine->event(), by_name = created.engine->event();
    const auto name = by_id.field("process.name"), pid = by_id.field("process.pid"),
               category = by_id.field("event.category"), args = by_id.field("process.args");
    CHECK(name.name() == "process.name");
    const auto fill = [&](eqlc::EventBuilder& b, bool ids, int64_t second) {
        b.clear();
        b.set_time(second * 1'000'000'000);
        if (ids) {
            REQUIRE(b.append(category, "process"));
            REQUIRE(b.set(name, "cmd.exe"));
            REQUIRE(b.set(pid, 4));
            REQUIRE(b.append(args, "a\"b"));
            REQUIRE(b.append(args, 2.5));
        } else {
            REQUIRE(b.append("event.category", "process"));
            REQUIRE(b.set("process.name", "cmd.exe"));
            REQUIRE(b.set("process.pid", 4));
            REQUIRE(b.append("process.args", "a\"b"));
            REQUIRE(b.append("process.args", 2.5));
        }
    };
    fill(by_id, true, 1);
    fill(by_name, false, 1);
    CHECK(by_id.json() == by_name.json());
    REQUIRE(created.engine->push(by_id));  // 0
    // Another builder's ids work by their names.
    eqlc::EventBuilder other = created.engine->event();
    other.set("host.name", "h");  // number 0 there, where by_id has event.category
    fill(other, true, 2);
    CHECK(other.json() ==
          by_name.json().replace(by_name.json().find("1970-01-01T00:00:01"), 19, "1970-01-01T00:00:02"));
    REQUIRE(created.engine->push(other));  // 1
    // After the builder forgot its names (past the names it remembers), its ids still work by their names.
    by_id.clear();
    for (int i = 0; i < 5000; ++i) by_id.set("labels.n" + std::to_string(i), "x");
    by_id.clear();  // forgets
    fill(by_id, true, 3);
    CHECK(by_id.json().find("\"process.name\":\"cmd.exe\"") != std::string::npos);
    REQUIRE(created.engine->push(by_id));  // 2
    // An unusable name: its id's sets fail as the name's do, and the event is refused.
    eqlc::EventBuilder bad = created.engine->event();
    const auto empty = bad.field("a..b");
    CHECK_FALSE(bad.ok());
    bad.clear();
    CHECK_FALSE(bad.set(empty, "x"));
    CHECK(bad.error().find("empty segment") != std::string::npos);
    CHECK_FALSE(created.engine->push(bad));
    created.engine->finish();
    CHECK(matched == std::vector<uint64_t>{0, 1, 2});
}

TEST_CASE("set_time gives the engine exactly the nanoseconds it was given", "[builder]") {
    auto created = eqlc::Engine::create({{"any where true", "all"}});
    REQUIRE(created.engine);
    std::vector<int64_t> times;
    created.engine->on_match([&](const eqlc::Match& m) { times.push_back(m.events.at(0).timestamp_ns); });
    const std::vector<int64_t> given{
        -1, 0, 1, 1'700'000'000'123'456'789, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
    eqlc::EventBuilder b = created.engine->event();
    for (const int64_t ns : given) {
        b.clear();
        REQUIRE(b.set_time(ns));
        CHECK(created.engine->push(b));
    }
    created.engine->finish();
    CHECK(times == given);
}

TEST_CASE("bad field names and values: the event is refused with a message, the engine goes on", "[builder]") {
    auto created = eqlc::Engine::create({{"process where process.name == \"cmd.exe\"", "cmd"}});
    REQUIRE(created.engine);
    eqlc::Engine& engine = *created.engine;
    int matches = 0;
    std::vector<eqlc::BadInput> reports;
    engine.on_match([&](const eqlc::Match&) { ++matches; });
    engine.on_bad_input([&](const eqlc::BadInput& b) { reports.push_back(b); });

    auto good = [&](eqlc::EventBuilder& b) {
        b.clear();
        b.set_time(1'000'000'000);
        b.append("event.category", "process");
        b.set("process.name", "cmd.exe");
    };

    struct Case {
        const char* what;
        std::function<bool(eqlc::EventBuilder&)> set;
        const char* message;
    };
    const std::vector<Case> cases{
        {"empty name", [](auto& b) { return b.set("", 1); }, "field \"\": a field name cannot be empty"},
        {"doubled dot", [](auto& b) { return b.set("a..b", 1); }, "field \"a..b\": a field name cannot have an empty"},
        {"leading dot", [](auto& b) { return b.append(".a", 1); }, "field \".a\": a field name cannot have an empty"},
        {"trailing dot", [](auto& b) { return b.set_null("a."); }, "field \"a.\": a field name cannot have an empty"},
        {"name not UTF-8", [](auto& b) { return b.set("a\xff", 1); }, "a field name must be UTF-8"},
        {"value not UTF-8", [](auto& b) { return b.set("a", "\xc3\x28"); },
         "field \"a\": the string value is not UTF-8"},
        {"surrogate", [](auto& b) { return b.append("a", "\xed\xa0\x80"); }, "the string value is not UTF-8"},
        {"NaN", [](auto& b) { return b.set("a", std::nan("")); }, "field \"a\": a number must be finite"},
        {"infinity", [](auto& b) { return b.append("a", -HUGE_VAL); }, "a number must be finite"},
    };
    eqlc::EventBuilder b = engine.event();
    for (const auto& c : cases) {
        INFO(c.what);
        good(b);
        CHECK_FALSE(c.set(b));
        CHECK_FALSE(b.ok());
        CHECK(b.error().find(c.message) != std::string::npos);
        CHECK(b.set("later", "ok"));  // a later good field keeps the first error
        CHECK(b.error().find(c.message) != std::string::npos);
        const size_t before = reports.size();
        CHECK_FALSE(engine.push(b));
        REQUIRE(reports.size() == before + 1);
        CHECK(reports.back().message.find(c.message) != std::string::npos);
        CHECK(reports.back().origin == "<event>");
        // The same event without the bad field is run.
        good(b);
        CHECK(engine.push(b));
    }
    CHECK(matches == static_cast<int>(cases.size()));
    CHECK(engine.stats().bad_lines == cases.size());

    // A built event's JSON is trusted (no lazy check); the next event given as text is checked again: a line whose
    // referenced fields read fine but which is not JSON further on matches nothing and is reported.
    good(b);
    CHECK(engine.push(b));
    const size_t reports_before = reports.size();
    engine.push_json(  // found invalid when a rule matches it (lazily)
        R"({"@timestamp":"2024-01-01T00:00:00Z","event":{"category":"process"},)"
        R"("process":{"name":"cmd.exe"},"x":tru})");
    CHECK(reports.size() == reports_before + 1);
    CHECK(matches == static_cast<int>(cases.size()) + 1);

    // An event without a time is refused by the engine as its JSON would be.
    b.clear();
    b.append("event.category", "process");
    b.set("process.name", "cmd.exe");
    CHECK_FALSE(engine.push(b));
}

namespace {

// Runs `events` (each filled into a builder after its time) through `queries` twice, built and as the builder's JSON
// text through push_json; returns the matches of each (query@ordinal source).
std::pair<std::vector<std::string>, std::vector<std::string>> built_and_text(
    const std::vector<std::string>& queries, const eqlc::EngineOptions& options,
    const std::vector<std::function<void(eqlc::EventBuilder&)>>& events) {
    std::vector<eqlc::QuerySource> sources;
    for (size_t i = 0; i < queries.size(); ++i) sources.emplace_back(queries[i], "q" + std::to_string(i));
    auto direct = eqlc::Engine::create(sources, options);
    auto text = eqlc::Engine::create(sources, options);
    for (const auto& p : direct.problems) INFO(p.query << ": " << p.diagnostics.at(0).message);
    REQUIRE(direct.problems.empty());
    std::vector<std::string> got_direct, got_text;
    auto record = [](std::vector<std::string>& out) {
        return [&out](const eqlc::Match& m) {
            out.push_back(std::to_string(m.query) + "@" + std::to_string(m.events.at(0).ordinal) + " " +
                          m.events.at(0).source);
        };
    };
    direct.engine->on_match(record(got_direct));
    text.engine->on_match(record(got_text));
    int64_t t = 1'000'000'000;
    for (const auto& fill : events) {
        eqlc::EventBuilder b = direct.engine->event();
        b.set_time(t += 1'000'000);
        fill(b);
        REQUIRE(b.ok());
        CHECK(direct.engine->push(b));
        CHECK(text.engine->push_json(b.json()));
    }
    direct.engine->finish();
    text.engine->finish();
    CHECK(direct.engine->stats().evaluation_errors == text.engine->stats().evaluation_errors);
    return {got_direct, got_text};
}

}  // namespace

TEST_CASE("a built event matches as its own JSON text does, value types and spellings included", "[builder]") {
    const std::vector<std::function<void(eqlc::EventBuilder&)>> events{
        [](auto& b) {
            b.set("n", 1);
            b.set("k", 4);
            b.set("l", "5");
        },
        [](auto& b) {
            b.set("n", 1.0);
            b.set("k", 1.5);
            b.set("l", 5.7);
            b.set_null("x");
        },
        [](auto& b) {
            b.set("k", true);
            b.append("arr", "a");
            b.append("arr", "b");
            b.append_null("arr");
        },
        [](auto& b) {
            b.set_empty_array("e");
            b.set("d", 1.0);
            b.set("u", std::numeric_limits<uint64_t>::max());
        },
        [](auto& b) {
            b.set("b", true);
            b.set("process", "x");
            b.set("process.name", "cmd.exe");
        },
        [](auto& b) {
            b.set("dt", "2024-01-01T00:00:00Z");
            b.set("ip", "10.1.2.3");
            b.set("l", "x");
        },
        [](auto& b) {
            b.set("dt", int64_t{1700000000000});
            b.set("ip", "not an ip");
            b.set("n", 2);
        },
        [](auto& b) {
            b.append("arr", "b");
            b.append("arr", 3);
            b.set("x", 0);
            b.set("b", false);
        },
    };
    SECTION("dynamic fields (no mapping): JSON types as they are") {
        const auto [direct, text] = built_and_text(
            {"any where n == 1", "any where x == null", "any where arr == \"b\"", "any where ?e == null",
             "any where d == 1.0", "any where u > 0", "any where b == true", "any where ?missing == null",
             "any where process.name == \"cmd.exe\"", "any where length(arr) == 2", "any where k == 4",
             "any where k == \"4\"", "any where ip == \"10.1.2.3\""},
            {}, events);
        REQUIRE(text.size() >= 10);
        CHECK(direct == text);
    }
    SECTION("mapped fields: coerced as an index would") {
        auto mapping = eqlc::Mapping::parse(
            R"({"properties":{"@timestamp":{"type":"date"},"k":{"type":"keyword"},"l":{"type":"long"},)"
            R"("dt":{"type":"date"},"ip":{"type":"ip"}}})");
        REQUIRE(mapping);
        eqlc::EngineOptions options;
        options.query.mapping = std::make_shared<const eqlc::Mapping>(std::move(*mapping));
        const auto [direct, text] = built_and_text(
            {"any where k == \"4\"", "any where k == \"1.5\"", "any where k : \"TRUE\"", "any where l == 5",
             "any where dt > \"2000-01-01\"", "any where cidrmatch(ip, \"10.0.0.0/8\")"},
            options, events);
        REQUIRE(text.size() >= 5);
        CHECK(direct == text);
    }
}
