// eqlc-nats, the companion tool that sets up and feeds a JetStream deployment: streams made idempotently, NDJSON
// published to templated subjects and read back in order, bad lines reported. Each test starts its own nats-server.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/cli_runner.hpp"
#include "support/files.hpp"
#include "support/nats_server.hpp"

using eqlc::test::CliResult;
using eqlc::test::read_text;
using eqlc::test::TempDir;

namespace {

// Runs `eqlc-nats ARGS...`, capturing its status, standard output and standard error.
CliResult run_tool(const std::vector<std::string>& args) { return eqlc::test::run_program(EQLC_NATS_TOOL_PATH, args); }

std::string count_of(const eqlc::test::NatsServer& server, const std::string& stream) {
    const CliResult r = run_tool({"count", server.url(), stream});
    INFO(r.err);
    REQUIRE(r.status == 0);
    return r.out;
}

}  // namespace

TEST_CASE("eqlc-nats --help describes every command", "[nats-tool]") {
    const CliResult r = run_tool({"--help"});
    CHECK(r.status == 0);
    for (const char* command : {"stream-add URL NAME", "publish URL FILE", "get URL STREAM", "count URL STREAM"})
        CHECK(r.out.find(command) != std::string::npos);
    CHECK(run_tool({"publish"}).status == 2);
    CHECK(run_tool({"frobnicate", "nats://127.0.0.1:1"}).status == 2);
}

TEST_CASE("eqlc-nats: stream-add, publish, count and get give back the events in order", "[nats-tool]") {
    EQLC_REQUIRE_NATS_SERVER();
    eqlc::test::NatsServer server;
    REQUIRE(server.start());
    TempDir dir;
    const std::vector<std::string> events = {
        R"({"@timestamp":"2024-01-01T00:00:01Z","host":{"id":"h1"},"event":{"id":"e1"}})",
        R"({"@timestamp":"2024-01-01T00:00:02Z","host":{"id":"h2"},"event":{"id":"e2"}})",
        R"({"@timestamp":"2024-01-01T00:00:03Z","host":{"id":"h1"},"event":{"id":"e3"}})",
    };
    const auto file = dir.write("events.ndjson", events[0] + "\n" + events[1] + "\r\n\n" + events[2] + "\n");

    CliResult r = run_tool({"stream-add", server.url(), "EVENTS", "events.>", "--duplicate-window", "2m"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    // Again, and with another setting: the stream is updated in place, not refused.
    REQUIRE(run_tool({"stream-add", server.url(), "EVENTS", "events.>", "--duplicate-window", "1m"}).status == 0);
    REQUIRE(run_tool({"stream-add", server.url(), "EVENTS", "events.>", "--max-age", "7d"}).status == 0);
    CHECK(count_of(server, "EVENTS") == "0\n");

    r = run_tool({"publish", server.url(), file.string(), "--msg-id", "{event.id}"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("published 3 events in ") != std::string::npos);
    CHECK(r.err.find(" events/s") != std::string::npos);
    CHECK(count_of(server, "EVENTS") == "3\n");

    r = run_tool({"get", server.url(), "EVENTS"});
    REQUIRE(r.status == 0);
    CHECK(r.out == events[0] + "\n" + events[1] + "\n" + events[2] + "\n");

    r = run_tool({"get", server.url(), "EVENTS", "--headers"});
    REQUIRE(r.status == 0);
    CHECK(r.out == "e1\t" + events[0] + "\ne2\t" + events[1] + "\ne3\t" + events[2] + "\n");

    // The same file again with the same ids within the duplicate window: nothing new is stored.
    r = run_tool({"publish", server.url(), file.string(), "--msg-id", "{event.id}"});
    REQUIRE(r.status == 0);
    CHECK(r.err.find("3 already in the stream") != std::string::npos);
    CHECK(count_of(server, "EVENTS") == "3\n");

    // Without ids it is published again.
    REQUIRE(run_tool({"publish", server.url(), file.string()}).status == 0);
    CHECK(count_of(server, "EVENTS") == "6\n");

    // A stream of several subjects is read message by message, still in sequence order.
    REQUIRE(run_tool({"stream-add", server.url(), "MULTI", "a.*", "b.*"}).status == 0);
    REQUIRE(run_tool({"publish", server.url(), file.string(), "--subject", "a.{host.id}"}).status == 0);
    REQUIRE(run_tool({"publish", server.url(), file.string(), "--subject", "b.{event.id}"}).status == 0);
    r = run_tool({"get", server.url(), "MULTI", "--headers"});
    CHECK(r.status == 0);
    std::string twice;
    for (int round = 0; round < 2; ++round)
        for (const auto& event : events) twice += "-\t" + event + "\n";
    CHECK(r.out == twice);

    r = run_tool({"count", server.url(), "NOSUCH"});
    CHECK(r.status == 2);
    CHECK(r.err.find("stream NOSUCH: no such stream") != std::string::npos);
}

TEST_CASE("eqlc-nats publish: the subject template takes the event's field values, made subject-safe", "[nats-tool]") {
    EQLC_REQUIRE_NATS_SERVER();
    eqlc::test::NatsServer server;
    REQUIRE(server.start());
    TempDir dir;
    // One stream per expected subject, so each count says where the event went.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"host":{"id":"nested"}})", "events.nested"},
        {R"({"host.id":"flat"})", "events.flat"},
        {R"({"host":{"id":"a.b c*d>e"}})", "events.a_b_c_d_e"},
        {R"({"host":{"name":"no id"}})", "events._"},
        {R"({"host":{"id":null}})", "events._"},
        {R"({"host":{"id":42}})", "events.42"},
    };
    std::string lines;
    for (const auto& [event, subject] : cases) lines += event + "\n";
    const auto file = dir.write("events.ndjson", lines);
    const std::vector<std::pair<std::string, std::string>> streams = {
        {"NESTED", "events.nested"}, {"FLAT", "events.flat"}, {"UNSAFE", "events.a_b_c_d_e"},
        {"MISSING", "events._"},     {"NUMBER", "events.42"},
    };
    for (const auto& [name, subject] : streams)
        REQUIRE(run_tool({"stream-add", server.url(), name, subject}).status == 0);

    CliResult r = run_tool({"publish", server.url(), file.string()});
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(count_of(server, "NESTED") == "1\n");
    CHECK(count_of(server, "FLAT") == "1\n");
    CHECK(count_of(server, "UNSAFE") == "1\n");
    CHECK(count_of(server, "MISSING") == "2\n");
    CHECK(count_of(server, "NUMBER") == "1\n");

    // Two fields and literal text; and a template that does not parse is a usage error.
    REQUIRE(run_tool({"stream-add", server.url(), "TWO", "x.>"}).status == 0);
    const auto one = dir.write("one.ndjson", R"({"host":{"id":"h"},"user":{"name":"u"}})"
                                             "\n");
    REQUIRE(run_tool({"publish", server.url(), one.string(), "--subject", "x.{user.name}-at-{host.id}.end"}).status ==
            0);
    r = run_tool({"get", server.url(), "TWO", "--headers"});
    CHECK(r.out ==
          "-\t"
          R"({"host":{"id":"h"},"user":{"name":"u"}})"
          "\n");
    r = run_tool({"publish", server.url(), one.string(), "--subject", "x.{host.id"});
    CHECK(r.status == 2);
    CHECK(r.err.find("is not closed") != std::string::npos);
}

TEST_CASE("eqlc-nats publish reports a bad line with its file and line and publishes the others", "[nats-tool]") {
    EQLC_REQUIRE_NATS_SERVER();
    eqlc::test::NatsServer server;
    REQUIRE(server.start());
    TempDir dir;
    const auto file =
        dir.write("mixed.ndjson", "{\"host\":{\"id\":\"h1\"}}\n{\"host\":\n[1,2]\n{\"host\":{\"id\":\"h2\"}}\n");
    REQUIRE(run_tool({"stream-add", server.url(), "EVENTS", "events.*"}).status == 0);
    const CliResult r = run_tool({"publish", server.url(), file.string()});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.err.find(file.string() + ":2: not JSON") != std::string::npos);
    CHECK(r.err.find(file.string() + ":3: not a JSON object") != std::string::npos);
    CHECK(r.err.find(":1:") == std::string::npos);
    CHECK(r.err.find(":4:") == std::string::npos);
    CHECK(r.err.find("published 2 events") != std::string::npos);
    CHECK(r.err.find("2 bad lines skipped") != std::string::npos);
    CHECK(count_of(server, "EVENTS") == "2\n");

    const CliResult missing = run_tool({"publish", server.url(), (dir.path() / "absent.ndjson").string()});
    CHECK(missing.status == 2);
    CHECK(missing.err.find("cannot open") != std::string::npos);
}
