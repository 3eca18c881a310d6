// The C API (include/eqlc/eqlc.h), called as a C program would: the WMI rule over the samples gives the alerts of
// rules/samples/expected_alerts.json, as the very lines the eqlc tool prints; bad input, bad queries and bad rule
// files give a status and a message with their place, and the engine goes on; snapshots round-trip; the event builder
// gives the alerts JSON lines give.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eqlc/eqlc.h"
#include "support/files.hpp"
#include "support/wmi_rule.hpp"
#ifdef EQLC_CLI_PATH
#include "support/cli_runner.hpp"
#endif

using nlohmann::json;

namespace {

const std::string kRule = eqlc::test::wmi_rule_toml().string();
const std::string kSamples = eqlc::test::wmi_samples_dir().string() + "/";

// Owns what the C API hands out.
struct Engine {
    eqlc_engine* e = nullptr;
    std::vector<std::string> alerts;
    std::vector<std::string> bad;  // origin:line: message
    explicit Engine(eqlc_engine* engine) : e(engine) {
        if (!e) return;
        eqlc_engine_on_alert(
            e,
            [](void* user, const char* text, size_t len) {
                // The text is NUL-terminated as well as `len` long.
                REQUIRE(std::strlen(text) == len);
                static_cast<Engine*>(user)->alerts.emplace_back(text, len);
            },
            this);
        eqlc_engine_on_bad_input(
            e,
            [](void* user, const char* origin, uint64_t line, const char* message, const char*) {
                static_cast<Engine*>(user)->bad.push_back(std::string(origin) + ":" + std::to_string(line) + ": " +
                                                          message);
            },
            this);
    }
    ~Engine() { eqlc_engine_free(e); }
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;
};

struct Text {
    char* p = nullptr;
    ~Text() { eqlc_free(p); }
    std::string str() const { return p ? p : ""; }
};

eqlc_engine* wmi_engine(const eqlc_options* options = nullptr) {
    Text error;
    eqlc_engine* e = eqlc_engine_from_path(kRule.c_str(), options, &error.p);
    INFO(error.str());
    REQUIRE(e);
    CHECK(error.p == nullptr);
    return e;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// Pushes a file's lines one by one through eqlc_engine_push_json, then finishes.
void push_lines(Engine& engine, const std::string& file) {
    for (const auto& line : lines_of(eqlc::test::read_text(kSamples + file)))
        CHECK(eqlc_engine_push_json(engine.e, line.data(), line.size()) == EQLC_OK);
    CHECK(eqlc_engine_finish(engine.e) == EQLC_OK);
}

}  // namespace

TEST_CASE("C API: the WMI rule over the samples gives expected_alerts.json", "[capi]") {
    const json truth = json::parse(eqlc::test::read_text(kSamples + "expected_alerts.json"));
    for (const auto& [file, spec] : truth["files"].items()) {
        INFO(file);
        Engine engine(wmi_engine());
        push_lines(engine, file);
        const auto& want = spec["alerts"];
        REQUIRE(engine.alerts.size() == want.size());
        for (size_t i = 0; i < want.size(); ++i) {
            const json alert = json::parse(engine.alerts[i]);
            INFO(engine.alerts[i].substr(0, 300));
            std::vector<std::string> events;
            for (const auto& e : alert["events"]) events.push_back(e["_source"]["labels"]["event"].get<std::string>());
            CHECK(events == want[i]["events"].get<std::vector<std::string>>());
            CHECK(alert["rule"]["severity"] == want[i]["severity"]);
            CHECK(alert["rule"]["risk_score"] == want[i]["risk_score"]);
            CHECK(alert["rule"]["id"] == truth["rule_id"]);
        }
        CHECK(engine.bad.empty());

        // The whole file at once through push_ndjson: the same alert lines.
        Engine whole(wmi_engine());
        const std::string text = eqlc::test::read_text(kSamples + file);
        size_t used = 0;
        CHECK(eqlc_engine_push_ndjson(whole.e, text.data(), text.size(), file.c_str(), &used) == EQLC_OK);
        CHECK(used == spec["events"].get<size_t>());
        CHECK(eqlc_engine_finish(whole.e) == EQLC_OK);
        CHECK(whole.alerts == engine.alerts);

#ifdef EQLC_CLI_PATH
        // Alerts are the tool's lines, byte for byte.
        const auto cli = eqlc::test::run_eqlc({kRule, kSamples + file});
        CHECK(cli.out_lines() == engine.alerts);
#endif
    }
}

TEST_CASE("C API: bad input gives a status and a message, and the engine goes on", "[capi]") {
    Engine engine(wmi_engine());
    const std::string bad = "{not json";
    CHECK(eqlc_engine_push_json(engine.e, bad.data(), bad.size()) == EQLC_ERROR_INPUT);
    const std::string first_error = eqlc_engine_last_error(engine.e);
    CHECK(first_error.rfind("<event>", 0) == 0);
    REQUIRE(engine.bad.size() == 1);
    // An event without a time (with the WMI rule the line prefilter would skip it unread, as read_ndjson does).
    Engine all(eqlc_engine_from_query("process where true", nullptr, nullptr));
    REQUIRE(all.e);
    const std::string no_time = R"({"event":{"category":"process"}})";
    CHECK(eqlc_engine_push_json(all.e, no_time.data(), no_time.size()) == EQLC_ERROR_INPUT);
    CHECK(std::string(eqlc_engine_last_error(all.e)).find("timestamp") != std::string::npos);

    // A buffer with a bad line in the middle: its line is named, the others run.
    const std::string text = eqlc::test::read_text(kSamples + "wmi_defend.ndjson");
    auto lines = lines_of(text);
    std::string mixed = lines[0] + "\n[1,2]\n";
    for (size_t i = 1; i < lines.size(); ++i) mixed += lines[i] + "\n";
    size_t used = 0;
    CHECK(eqlc_engine_push_ndjson(engine.e, mixed.data(), mixed.size(), "mixed.ndjson", &used) == EQLC_ERROR_INPUT);
    CHECK(used == lines.size());
    CHECK(std::string(eqlc_engine_last_error(engine.e)).rfind("mixed.ndjson:2: ", 0) == 0);
    CHECK(eqlc_engine_finish(engine.e) == EQLC_OK);
    CHECK(std::string(eqlc_engine_last_error(engine.e)).empty());  // the last call succeeded
    CHECK(engine.alerts.size() == 32);                             // every alert of the file (expected_alerts.json)

    eqlc_stats stats;
    stats.struct_size = sizeof stats;
    REQUIRE(eqlc_engine_get_stats(engine.e, &stats) == EQLC_OK);
    CHECK(stats.bad_lines == 2);
    CHECK(stats.alerts == 32);
    CHECK(stats.events + stats.skipped_events == lines.size());
    Text stats_json{eqlc_engine_stats_json(engine.e)};
    const json s = json::parse(stats_json.str());
    CHECK(s["bad_lines"] == 2);
    CHECK(s["rules"][0]["name"] == "WMI Incoming Lateral Movement");
    CHECK(s["rules"][0]["alerts"] == 32);
    // The rule's stages (the Defend file as --stats counts it: 32 completed).
    CHECK(s["rules"][0]["stages"].size() == 2);
    CHECK(s["rules"][0]["stages"][1]["advanced"] == 32);
    CHECK(s["rules"][0]["completed"] == 32);

    // A caller built against a smaller eqlc_stats gets only its fields.
    eqlc_stats small;
    std::memset(&small, 0xAB, sizeof small);
    small.struct_size = offsetof(eqlc_stats, bytes);
    REQUIRE(eqlc_engine_get_stats(engine.e, &small) == EQLC_OK);
    CHECK(small.bad_lines == 2);
    CHECK(small.bytes == 0xABABABABABABABABull);
}

TEST_CASE("C API: bad queries and rule files give their line and column", "[capi]") {
    Text error;
    CHECK(eqlc_engine_from_query("process where process.name ==", nullptr, &error.p) == nullptr);
    INFO(error.str());
    CHECK(error.str().rfind("<query>:1:", 0) == 0);
    CHECK(error.str().find("error:") != std::string::npos);

    Text diagnostics{eqlc_check("process where\n  foo(x)", nullptr)};
    const json d = json::parse(diagnostics.str());
    REQUIRE(d.size() >= 1);
    CHECK(d[0]["severity"] == "error");
    CHECK(d[0]["phase"] == "semantics");
    CHECK(d[0]["line"] == 2);
    CHECK(d[0]["column"] == 3);
    CHECK(d[0]["message"].get<std::string>().find("foo") != std::string::npos);
    Text valid{eqlc_check("process where true", nullptr)};
    CHECK(valid.str() == "[]");
    CHECK(eqlc_check(nullptr, nullptr) == nullptr);

    eqlc::test::TempDir dir;
    const auto bad_toml =
        dir.write("bad.toml", "[rule]\nname = \"x\"\nquery = '''\nprocess where a = 1\n'''\nlanguage = \"eql\"\n");
    Text rule_error;
    CHECK(eqlc_engine_from_path(bad_toml.c_str(), nullptr, &rule_error.p) == nullptr);
    CHECK(rule_error.str().find("bad.toml:4:17: error:") != std::string::npos);

    const auto broken = dir.write("broken.toml", "[rule\nname = 1\n");
    Text broken_error;
    CHECK(eqlc_engine_from_path(broken.c_str(), nullptr, &broken_error.p) == nullptr);
    CHECK(broken_error.str().find("broken.toml:1:") != std::string::npos);
    CHECK(broken_error.str().find("rule not loaded") != std::string::npos);

    Text missing;
    CHECK(eqlc_engine_from_path((dir.path() / "absent").c_str(), nullptr, &missing.p) == nullptr);
    CHECK(missing.str().find("no such file or folder") != std::string::npos);

    // skip_invalid: the good rule of a folder runs, and *error says what was left out.
    dir.write("good.eql", "process where process.name == \"cmd.exe\"");
    eqlc_options options;
    eqlc_options_init(&options);
    options.skip_invalid = 1;
    Text left_out;
    Engine some(eqlc_engine_from_path(dir.path().c_str(), &options, &left_out.p));
    REQUIRE(some.e);
    CHECK(eqlc_engine_rule_count(some.e) == 1);
    CHECK(std::string(eqlc_engine_rule_name(some.e, 0)) == "good");
    CHECK(left_out.str().find("bad.toml:4:17: error:") != std::string::npos);
    CHECK(left_out.str().find("broken.toml") != std::string::npos);
}

TEST_CASE("C API: options, versions and null arguments", "[capi]") {
    CHECK(eqlc_version_number() == EQLC_VERSION_MAJOR * 10000 + EQLC_VERSION_MINOR * 100 + EQLC_VERSION_PATCH);
    CHECK(std::string(eqlc_version()) == std::to_string(EQLC_VERSION_MAJOR) + "." + std::to_string(EQLC_VERSION_MINOR) +
                                             "." + std::to_string(EQLC_VERSION_PATCH));
    CHECK(std::string(eqlc_status_name(EQLC_ERROR_INPUT)) == "EQLC_ERROR_INPUT");
    CHECK(std::string(eqlc_status_name(1234)) == "EQLC_UNKNOWN");

    eqlc_options zeroed{};
    Text error;
    CHECK(eqlc_engine_from_query("any where true", &zeroed, &error.p) == nullptr);
    CHECK(error.str().find("eqlc_options_init") != std::string::npos);

    eqlc_options options;
    eqlc_options_init(&options);
    CHECK(options.struct_size == sizeof options);
    CHECK(options.rule_index == 1);
    CHECK(options.line_prefilter == 1);
    CHECK(options.max_keys == 1'000'000);
    options.mapping_json = "{\"properties\": 5}";
    Text mapping_error;
    CHECK(eqlc_engine_from_query("any where true", &options, &mapping_error.p) == nullptr);
    CHECK(mapping_error.str().rfind("mapping: ", 0) == 0);

    // Field names: the query reads `time` for its order and `kind` for its category.
    eqlc_options_init(&options);
    options.timestamp_field = "time";
    options.event_category_field = "kind";
    options.mapping_json = R"({"properties":{"n":{"type":"long"},"time":{"type":"date"},"kind":{"type":"keyword"}}})";
    Engine engine(eqlc_engine_from_query("proc where n == 4", &options, nullptr));
    REQUIRE(engine.e);
    const std::string event = R"({"time":"2024-01-01T00:00:00Z","kind":"proc","n":"4"})";
    CHECK(eqlc_engine_push_json(engine.e, event.data(), event.size()) == EQLC_OK);
    CHECK(engine.alerts.size() == 1);  // "4" read as the long 4, as the mapping says
    std::vector<std::string> fields;
    for (size_t i = 0; i < eqlc_engine_field_count(engine.e); ++i) fields.push_back(eqlc_engine_field(engine.e, i));
    CHECK(fields == std::vector<std::string>{"kind", "n", "time"});
    CHECK(eqlc_engine_field(engine.e, 3) == nullptr);

    // Null handles and pointers: a status, never a crash.
    CHECK(eqlc_engine_push_json(nullptr, "{}", 2) == EQLC_ERROR_ARGUMENT);
    CHECK(eqlc_engine_push_json(engine.e, nullptr, 2) == EQLC_ERROR_ARGUMENT);
    CHECK(eqlc_engine_finish(nullptr) == EQLC_ERROR_ARGUMENT);
    CHECK(eqlc_engine_snapshot(engine.e, nullptr, nullptr) == EQLC_ERROR_ARGUMENT);
    CHECK(eqlc_engine_from_path(nullptr, nullptr, nullptr) == nullptr);
    CHECK(eqlc_event_new(nullptr) == nullptr);
    CHECK(eqlc_event_set_int(nullptr, "a", 1) == EQLC_ERROR_ARGUMENT);
    eqlc_engine_free(nullptr);
    eqlc_event_free(nullptr);
    eqlc_free(nullptr);
}

TEST_CASE("C API: snapshot and restore continue a stream", "[capi]") {
    const auto lines = lines_of(eqlc::test::read_text(kSamples + "wmi_defend.ndjson"));
    Engine whole(wmi_engine());
    for (const auto& line : lines) REQUIRE(eqlc_engine_push_json(whole.e, line.data(), line.size()) == EQLC_OK);
    REQUIRE(eqlc_engine_finish(whole.e) == EQLC_OK);

    // Cut after the first line of the first scenario: its sequence is pending in the snapshot.
    Engine first(wmi_engine());
    REQUIRE(eqlc_engine_push_json(first.e, lines[0].data(), lines[0].size()) == EQLC_OK);
    void* bytes = nullptr;
    size_t len = 0;
    REQUIRE(eqlc_engine_snapshot(first.e, &bytes, &len) == EQLC_OK);
    REQUIRE(bytes);
    REQUIRE(len > 0);

    Engine second(wmi_engine());
    // Garbage is refused, and the engine is as it was.
    const std::string garbage = "not a snapshot";
    CHECK(eqlc_engine_restore(second.e, garbage.data(), garbage.size()) == EQLC_ERROR_STATE);
    CHECK(std::string(eqlc_engine_last_error(second.e)).size() > 0);
    REQUIRE(eqlc_engine_restore(second.e, bytes, len) == EQLC_OK);
    eqlc_free(bytes);
    for (size_t i = 1; i < lines.size(); ++i)
        REQUIRE(eqlc_engine_push_json(second.e, lines[i].data(), lines[i].size()) == EQLC_OK);
    REQUIRE(eqlc_engine_finish(second.e) == EQLC_OK);

    std::vector<std::string> resumed = first.alerts;
    resumed.insert(resumed.end(), second.alerts.begin(), second.alerts.end());
    REQUIRE(whole.alerts.size() == 32);
    CHECK(resumed == whole.alerts);  // the first alert completes in `second` from the restored partial
}

namespace {

// Sets a parsed event's values through the C builder, as a C embedder holding the values would: by name, or
// (with `numbers`) through the field numbers eqlc_event_field gives, asked once per name.
struct CBuild {
    eqlc_event* b;
    bool numbers = false;
    std::map<std::string, int> known;

    int number(const std::string& path) {
        auto it = known.find(path);
        if (it == known.end()) {
            const int n = eqlc_event_field(b, path.c_str());
            REQUIRE(n >= 0);
            it = known.emplace(path, n).first;
        }
        return it->second;
    }

    // One setter, given the field either way.
    template <typename ByName, typename ByNumber>
    int set(const std::string& path, ByName&& by_name, ByNumber&& by_number) {
        return numbers ? by_number(number(path)) : by_name(path.c_str());
    }

    void operator()(const std::string& path, const json& value, bool in_array) {
        int status = EQLC_OK;
        switch (value.type()) {
            case json::value_t::object:
                for (const auto& [key, item] : value.items())
                    (*this)(path.empty() ? key : path + "." + key, item, in_array);
                return;
            case json::value_t::array:
                if (value.empty() && !in_array)
                    status = set(
                        path, [&](const char* f) { return eqlc_event_set_empty_array(b, f); },
                        [&](int f) { return eqlc_event_set_empty_array_at(b, f); });
                for (const auto& item : value) (*this)(path, item, true);
                break;
            case json::value_t::string: {
                const auto& s = value.get_ref<const std::string&>();
                status = set(
                    path,
                    [&](const char* f) {
                        return in_array ? eqlc_event_append_string(b, f, s.data(), s.size())
                                        : eqlc_event_set_string(b, f, s.data(), s.size());
                    },
                    [&](int f) {
                        return in_array ? eqlc_event_append_string_at(b, f, s.data(), s.size())
                                        : eqlc_event_set_string_at(b, f, s.data(), s.size());
                    });
                break;
            }
            case json::value_t::boolean: {
                const bool v = value.get<bool>();
                status = set(
                    path,
                    [&](const char* f) {
                        return in_array ? eqlc_event_append_bool(b, f, v) : eqlc_event_set_bool(b, f, v);
                    },
                    [&](int f) {
                        return in_array ? eqlc_event_append_bool_at(b, f, v) : eqlc_event_set_bool_at(b, f, v);
                    });
                break;
            }
            case json::value_t::number_integer: {
                const auto v = value.get<int64_t>();
                status = set(
                    path,
                    [&](const char* f) {
                        return in_array ? eqlc_event_append_int(b, f, v) : eqlc_event_set_int(b, f, v);
                    },
                    [&](int f) {
                        return in_array ? eqlc_event_append_int_at(b, f, v) : eqlc_event_set_int_at(b, f, v);
                    });
                break;
            }
            case json::value_t::number_unsigned: {
                const auto v = value.get<uint64_t>();
                status = set(
                    path,
                    [&](const char* f) {
                        return in_array ? eqlc_event_append_uint(b, f, v) : eqlc_event_set_uint(b, f, v);
                    },
                    [&](int f) {
                        return in_array ? eqlc_event_append_uint_at(b, f, v) : eqlc_event_set_uint_at(b, f, v);
                    });
                break;
            }
            case json::value_t::number_float: {
                const auto v = value.get<double>();
                status = set(
                    path,
                    [&](const char* f) {
                        return in_array ? eqlc_event_append_double(b, f, v) : eqlc_event_set_double(b, f, v);
                    },
                    [&](int f) {
                        return in_array ? eqlc_event_append_double_at(b, f, v) : eqlc_event_set_double_at(b, f, v);
                    });
                break;
            }
            default:
                status = set(
                    path,
                    [&](const char* f) { return in_array ? eqlc_event_append_null(b, f) : eqlc_event_set_null(b, f); },
                    [&](int f) { return in_array ? eqlc_event_append_null_at(b, f) : eqlc_event_set_null_at(b, f); });
        }
        REQUIRE(status == EQLC_OK);
    }
};

std::vector<std::string> event_ids(const std::vector<std::string>& alerts) {
    std::vector<std::string> out;
    for (const auto& text : alerts) {
        const json a = json::parse(text);
        std::string ids = a["rule"]["severity"].get<std::string>();
        for (const auto& e : a["events"]) {
            // Built events have dotted keys, read ones nested objects.
            const auto& source = e["_source"];
            ids += " " + (source.contains("labels.event") ? source["labels.event"] : source["labels"]["event"])
                             .get<std::string>();
        }
        out.push_back(ids);
    }
    return out;
}

}  // namespace

TEST_CASE("C API: events built field by field give the alerts of their JSON", "[capi]") {
    for (const char* file : {"wmi_defend.ndjson", "wmi_sysmon.ndjson"})
        for (const bool numbers : {false, true}) {
            INFO(file << (numbers ? " through field numbers" : " by name"));
            Engine json_run(wmi_engine());
            push_lines(json_run, file);

            Engine built(wmi_engine());
            eqlc_event* b = eqlc_event_new(built.e);
            REQUIRE(b);
            CBuild build{b, numbers, {}};
            for (const auto& line : lines_of(eqlc::test::read_text(kSamples + file))) {
                eqlc_event_clear(b);
                build("", json::parse(line), false);
                REQUIRE(eqlc_event_error(b) == nullptr);
                CHECK(eqlc_engine_push_event(built.e, b) == EQLC_OK);
            }
            CHECK(eqlc_engine_finish(built.e) == EQLC_OK);
            CHECK(event_ids(built.alerts) == event_ids(json_run.alerts));
            CHECK(built.alerts.size() == json_run.alerts.size());

            // A bad field: the setter says so, the push refuses the event with the message, the engine goes on.
            eqlc_event_clear(b);
            CHECK(eqlc_event_set_time(b, 0) == EQLC_OK);
            CHECK(eqlc_event_set_string(b, "a..b", "x", EQLC_NUL_TERMINATED) == EQLC_ERROR_INPUT);
            REQUIRE(eqlc_event_error(b));
            CHECK(std::string(eqlc_event_error(b)).find("a..b") != std::string::npos);
            CHECK(eqlc_engine_push_event(built.e, b) == EQLC_ERROR_INPUT);
            CHECK(std::string(eqlc_engine_last_error(built.e)).find("a..b") != std::string::npos);
            eqlc_event_clear(b);
            CHECK(eqlc_event_error(b) == nullptr);
            CHECK(eqlc_event_set_double(b, "x", 1.5) == EQLC_OK);
            CHECK(eqlc_event_set_string(b, "s", "\xff", 1) == EQLC_ERROR_INPUT);
            Text event_json{eqlc_event_json(b)};
            CHECK(event_json.str() == R"({"x":1.5})");
            // Field numbers: one this builder did not give, a NULL builder, an unusable name.
            eqlc_event_clear(b);
            CHECK(eqlc_event_set_int_at(b, -1, 1) == EQLC_ERROR_ARGUMENT);
            CHECK(eqlc_event_set_int_at(b, 1 << 20, 1) == EQLC_ERROR_ARGUMENT);
            CHECK(eqlc_event_set_int_at(nullptr, 0, 1) == EQLC_ERROR_ARGUMENT);
            CHECK(eqlc_event_field(nullptr, "x") == EQLC_ERROR_ARGUMENT);
            CHECK(eqlc_event_field(b, nullptr) == EQLC_ERROR_ARGUMENT);
            CHECK(eqlc_event_error(b) == nullptr);
            CHECK(eqlc_event_field(b, ".x") == EQLC_ERROR_INPUT);
            REQUIRE(eqlc_event_error(b));
            CHECK(std::string(eqlc_event_error(b)).find("empty segment") != std::string::npos);
            eqlc_event_free(b);
        }
}

TEST_CASE("C API: a rule's test file, passing and failing", "[capi][rule-test]") {
    const std::string rule = (eqlc::test::rules_dir() / "wmi_incoming_lateral_movement.toml").string();
    char* results = nullptr;
    char* error = nullptr;
    REQUIRE(eqlc_test_rule(rule.c_str(), nullptr, nullptr, &results, &error) == EQLC_OK);
    CHECK(error == nullptr);
    REQUIRE(results != nullptr);
    const json all = json::parse(results);
    eqlc_free(results);
    CHECK(all["failed"] == 0);
    CHECK(all["passed"].get<size_t>() >= 70);
    CHECK(all["cases"][0]["actual"].size() == all["cases"][0]["expected"].size());

    eqlc::test::TempDir dir;
    const auto eql = dir.write("r.eql", "process where process.name : \"cmd.exe\"\n");
    dir.write("r.test.toml",
              "[[case]]\nname = \"miss\"\nevents = ['{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"id\":\"a\","
              "\"category\":\"process\"},\"process\":{\"name\":\"x.exe\"}}']\nalerts = [[\"a\"]]\n");
    REQUIRE(eqlc_test_rule(eql.c_str(), nullptr, nullptr, &results, &error) == EQLC_OK);
    const json one = json::parse(results);
    eqlc_free(results);
    CHECK(one["failed"] == 1);
    CHECK(one["cases"][0]["missing"][0]["alert"] == 0);
    CHECK(!one["cases"][0]["missing"][0]["summary"].get<std::string>().empty());

    const auto broken = dir.write("b.test.toml", "[[case]]\nname = \"x\"\n");
    CHECK(eqlc_test_rule(eql.c_str(), broken.c_str(), nullptr, &results, &error) == EQLC_ERROR_RULE);
    REQUIRE(error != nullptr);
    CHECK(std::string(error).find("b.test.toml:1:1: error: this case has no \"events\"") != std::string::npos);
    eqlc_free(error);
    CHECK(eqlc_test_rule((dir.path() / "none.eql").c_str(), nullptr, nullptr, &results, &error) == EQLC_ERROR_IO);
    eqlc_free(error);
    CHECK(eqlc_test_rule(nullptr, nullptr, nullptr, &results, &error) == EQLC_ERROR_ARGUMENT);
    eqlc_free(error);
}
