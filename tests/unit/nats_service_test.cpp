// The NATS JetStream state store, event source and alert sink against a real nats-server on a loopback port.
#include <nats/nats.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "service/nats.hpp"
#include "support/nats_client.hpp"
#include "support/nats_server.hpp"

using namespace eqlc::service;
using eqlc::test::NatsServer;

namespace {

// Reports collected for the assertions.
struct Reports {
    std::vector<std::string> lines;
    Reporter reporter() {
        return [this](std::string_view line) { lines.emplace_back(line); };
    }
    bool any(std::string_view needle) const {
        return std::any_of(lines.begin(), lines.end(),
                           [&](const std::string& line) { return line.find(needle) != std::string::npos; });
    }
    std::string all() const {
        std::string out;
        for (const auto& line : lines) out += line + "\n";
        return out;
    }
};

using Client = eqlc::test::NatsClient;

NatsLocation location(const std::string& text) {
    NatsLocation out;
    std::string error;
    INFO(text);
    REQUIRE(parse_nats_location(text, out, error));
    return out;
}

std::unique_ptr<EventSource> source(const std::string& text, Reports& reports) {
    std::string error;
    auto made = make_nats_source(location(text), reports.reporter(), error);
    INFO(error);
    REQUIRE(made);
    return made;
}

// Reads until `count` events arrived or `limit` passed; the batches' lines, in order.
std::vector<uint64_t> read_events(EventSource& from, size_t count,
                                  std::chrono::seconds limit = std::chrono::seconds(15), size_t max_batch = 256) {
    std::vector<uint64_t> lines;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (lines.size() < count && std::chrono::steady_clock::now() < deadline) {
        EventBatch batch;
        const auto status = from.next(batch, std::min(max_batch, count - lines.size()), std::chrono::milliseconds(200));
        INFO(from.error());
        REQUIRE(status != EventSource::Status::failed);
        if (status == EventSource::Status::events) {
            CHECK(batch.ordinals);
            CHECK(batch.origin == from.name());
            CHECK(std::count(batch.text.begin(), batch.text.end(), '\n') == static_cast<long>(batch.size()));
            lines.insert(lines.end(), batch.lines.begin(), batch.lines.end());
        }
    }
    return lines;
}

// Nothing more within `wait`.
bool quiet(EventSource& from, std::chrono::milliseconds wait = std::chrono::milliseconds(500)) {
    EventBatch batch;
    return from.next(batch, 100, wait) == EventSource::Status::idle;
}

std::string random_bytes(size_t size, unsigned seed) {
    std::mt19937_64 random(seed);
    std::string out(size, '\0');
    for (auto& c : out) c = static_cast<char>(random());
    return out;
}

}  // namespace

TEST_CASE("nats locations: host, port, IPv6, path and parameters", "[nats]") {
    NatsLocation l;
    std::string error;
    REQUIRE(parse_nats_location("nats://127.0.0.1:4333/EVENTS?consumer=w1&subjects=a.1,a.2", l, error));
    CHECK(l.host == "127.0.0.1");
    CHECK(l.port == 4333);
    CHECK(l.path == std::vector<std::string>{"EVENTS"});
    CHECK(l.param("consumer") == "w1");
    CHECK(l.param("subjects") == "a.1,a.2");
    CHECK(l.param("absent").empty());
    CHECK(l.server_url() == "nats://127.0.0.1:4333");

    REQUIRE(parse_nats_location("nats://localhost/BUCKET/KEY", l, error));
    CHECK(l.host == "localhost");
    CHECK(l.port == 4222);
    CHECK(l.path == std::vector<std::string>{"BUCKET", "KEY"});
    CHECK(l.params.empty());

    REQUIRE(parse_nats_location("nats://[::1]:5000/S", l, error));
    CHECK(l.host == "::1");
    CHECK(l.port == 5000);
    CHECK(l.server_url() == "nats://[::1]:5000");
    REQUIRE(parse_nats_location("nats://[::1]/S", l, error));
    CHECK(l.port == 4222);

    REQUIRE(parse_nats_location("nats://h:1/alerts%3Eout?x=a%2Cb", l, error));
    CHECK(l.path[0] == "alerts>out");
    CHECK(l.param("x") == "a,b");

    CHECK(is_nats_location("nats://x"));
    CHECK_FALSE(is_nats_location("state.json"));
    for (const char* bad : {"nats://", "nats://:4222/S", "nats://h:/S", "nats://h:0/S", "nats://h:70000/S",
                            "nats://h:12ab/S", "nats://[::1/S", "nats://[::1]x/S", "nats://h//S", "nats://h/S?=v",
                            "nats://user:pw@h/S", "nats://h/a%zz", "file.json"}) {
        INFO(bad);
        error.clear();
        CHECK_FALSE(parse_nats_location(bad, l, error));
        CHECK(error.find("nats://HOST[:PORT]/PATH") != std::string::npos);
    }

    // What each kind of location needs is checked before any connection is made.
    Reports reports;
    REQUIRE(parse_nats_location("nats://127.0.0.1:1/ONLYBUCKET", l, error));
    CHECK_FALSE(make_nats_state_store(l, reports.reporter(), error));
    CHECK(error.find("BUCKET/KEY expected") != std::string::npos);
    REQUIRE(parse_nats_location("nats://127.0.0.1:1/EVENTS", l, error));
    CHECK_FALSE(make_nats_source(l, reports.reporter(), error));
    CHECK(error.find("consumer=NAME is required") != std::string::npos);
    REQUIRE(parse_nats_location("nats://127.0.0.1:1/EVENTS?consumer=a.b", l, error));
    CHECK_FALSE(make_nats_source(l, reports.reporter(), error));
    REQUIRE(parse_nats_location("nats://127.0.0.1:1/EVENTS?consumer=w&bogus=1", l, error));
    CHECK_FALSE(make_nats_source(l, reports.reporter(), error));
    CHECK(error.find("unknown parameter 'bogus'") != std::string::npos);
    REQUIRE(parse_nats_location("nats://127.0.0.1:1/a/b", l, error));
    CHECK_FALSE(make_nats_alert_sink(l, reports.reporter(), error));
    CHECK(error.find("nats://HOST:PORT/SUBJECT") != std::string::npos);
}

TEST_CASE("nats state store: small and split checkpoints round trip; a new one replaces the old", "[nats]") {
    EQLC_REQUIRE_NATS_SERVER();
    NatsServer server;
    REQUIRE(server.start());
    Reports reports;
    std::string error;
    auto store = make_nats_state_store(location(server.url() + "/CHECKPOINTS/worker-1"), reports.reporter(), error);
    REQUIRE(store);
    CHECK(store->name() == server.url() + "/CHECKPOINTS/worker-1");

    std::optional<std::string> loaded;
    REQUIRE(store->load(loaded, error));
    CHECK_FALSE(loaded);  // no checkpoint yet (the bucket was created)

    REQUIRE(store->save("small state", error));
    REQUIRE(store->load(loaded, error));
    REQUIRE(loaded);
    CHECK(*loaded == "small state");

    Client client(server.url());
    const std::string big = random_bytes(5 * 1024 * 1024, 1);
    REQUIRE(store->save(big, error));
    auto keys = client.keys("CHECKPOINTS");
    CHECK(keys.size() >= 6);  // the manifest and at least five parts of at most 1 MB
    const std::set<std::string> first_parts = keys;

    // Another store (another process after a restart) reads it back whole.
    {
        auto other = make_nats_state_store(location(server.url() + "/CHECKPOINTS/worker-1"), reports.reporter(), error);
        REQUIRE(other);
        REQUIRE(other->load(loaded, error));
        REQUIRE(loaded);
        CHECK(loaded->size() == big.size());
        CHECK(*loaded == big);
    }

    // A second large checkpoint replaces the first; the first one's parts are gone.
    const std::string bigger = random_bytes(5 * 1024 * 1024 + 12345, 2);
    REQUIRE(store->save(bigger, error));
    REQUIRE(store->load(loaded, error));
    REQUIRE(loaded);
    CHECK(*loaded == bigger);
    keys = client.keys("CHECKPOINTS");
    for (const auto& key : first_parts)
        if (key != "worker-1") CHECK(keys.count(key) == 0);
    CHECK(keys.size() == first_parts.size());

    // A small one after it: nothing but the entry is left.
    REQUIRE(store->save("small again", error));
    CHECK(client.keys("CHECKPOINTS") == std::set<std::string>{"worker-1"});
    REQUIRE(store->load(loaded, error));
    CHECK(*loaded == "small again");

    // A damaged split checkpoint is refused with what is wrong.
    REQUIRE(store->save(big, error));
    std::string part;
    for (const auto& key : client.keys("CHECKPOINTS"))
        if (key != "worker-1") part = key;
    REQUIRE_FALSE(part.empty());
    client.put("CHECKPOINTS", part, "garbage");
    error.clear();
    CHECK_FALSE(store->load(loaded, error));
    CHECK(error.find("damaged") != std::string::npos);
    CHECK(error.find(server.url() + "/CHECKPOINTS/worker-1") != std::string::npos);

    // A new checkpoint replaces the damaged one.
    REQUIRE(store->save("repaired", error));
    REQUIRE(store->load(loaded, error));
    CHECK(*loaded == "repaired");

    // Two writers on one location: the one that did not see the other's checkpoint is refused.
    {
        auto other = make_nats_state_store(location(server.url() + "/CHECKPOINTS/worker-1"), reports.reporter(), error);
        REQUIRE(other->load(loaded, error));
        REQUIRE(other->save("from the other writer", error));
        error.clear();
        CHECK_FALSE(store->save("stale writer", error));
        CHECK(error.find("replaced by another writer") != std::string::npos);
        REQUIRE(store->load(loaded, error));  // reading it again makes it current
        CHECK(*loaded == "from the other writer");
    }

    // The server goes away and comes back while a checkpoint is written: the write waits and succeeds.
    server.stop();
    std::thread restart([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        CHECK(server.start());
    });
    const bool saved = store->save("after the restart", error);
    restart.join();
    INFO(error << "\n" << reports.all());
    REQUIRE(saved);
    REQUIRE(store->load(loaded, error));
    REQUIRE(loaded);
    CHECK(*loaded == "after the restart");
    CHECK(reports.any("retrying"));
}

TEST_CASE("nats: a server that stays away is a clear error after retry= seconds", "[nats]") {
    EQLC_REQUIRE_NATS_SERVER();
    NatsServer server;
    REQUIRE(server.start());
    {
        Client client(server.url());
        client.add_stream("EVENTS", "events.>");
        client.add_stream("ALERTS", "alerts.>", int64_t{60} * 1000 * 1000 * 1000);
    }
    const std::string url = server.url();
    Reports reports;
    std::string error;
    auto events = source(url + "/EVENTS?consumer=w&retry=1.5", reports);
    EventBatch batch;
    CHECK(events->next(batch, 10, std::chrono::milliseconds(100)) == EventSource::Status::idle);
    auto sink = make_nats_alert_sink(location(url + "/alerts.x?retry=1.5"), reports.reporter(), error);
    REQUIRE(sink);
    REQUIRE(sink->write(Alert{"{}", "a"}, error));
    REQUIRE(sink->flush(error));
    server.stop();

    auto store = make_nats_state_store(location(url + "/B/K?retry=1.5"), reports.reporter(), error);
    REQUIRE(store);
    const auto started = std::chrono::steady_clock::now();
    std::optional<std::string> loaded;
    CHECK_FALSE(store->load(loaded, error));
    CHECK(error.find(url + ": cannot connect") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));

    auto status = EventSource::Status::idle;
    for (int i = 0; i < 40 && status != EventSource::Status::failed; ++i)
        status = events->next(batch, 10, std::chrono::milliseconds(100));
    CHECK(status == EventSource::Status::failed);
    CHECK(events->error().find(url + "/EVENTS: no server for 1 s") != std::string::npos);

    REQUIRE(sink->write(Alert{"{}", "b"}, error));
    error.clear();
    CHECK_FALSE(sink->flush(error));
    CHECK(error.find(url + "/alerts.x") != std::string::npos);
    INFO(reports.all());
    CHECK(reports.any("connection lost, retrying"));

    CHECK_FALSE(make_nats_state_store(location(url + "/B/K?retry=soon"), reports.reporter(), error));
    CHECK(error.find("retry=soon: a number of seconds expected") != std::string::npos);
}

TEST_CASE("nats source: merged stream order, bad messages, position, restore, redelivery", "[nats]") {
    EQLC_REQUIRE_NATS_SERVER();
    NatsServer server;
    REQUIRE(server.start());
    Client client(server.url());
    client.add_stream("EVENTS", "events.>");
    std::set<uint64_t> good;
    uint64_t bad_sequence = 0;
    uint64_t empty_sequence = 0;
    for (int i = 0; i < 1000; ++i) {
        const std::string subject = i % 3 == 0 ? "events.1" : "events.2";
        good.insert(client.publish(subject, "{\"n\": " + std::to_string(i) + ",\n \"s\": \"" + subject + "\"}"));
        if (i == 500) bad_sequence = client.publish("events.2", "not json at all");
        if (i == 700) empty_sequence = client.publish("events.1", "");
    }
    client.publish("events.3", "{\"ignored\": true}");  // not on the source's subjects
    const std::string url = server.url() + "/EVENTS?consumer=worker&subjects=events.1,events.2";
    const std::vector<uint64_t> all(good.begin(), good.end());

    Reports reports;
    nlohmann::json position;
    {
        auto events = source(url, reports);
        CHECK(events->name() == server.url() + "/EVENTS");
        const auto lines = read_events(*events, 1000);
        CHECK(lines == all);  // every good message, once, in stream order across both consumers
        CHECK(quiet(*events));
        CHECK(reports.any("message " + std::to_string(bad_sequence) + " on events.2: not a JSON object; skipped"));
        CHECK(reports.any("message " + std::to_string(empty_sequence) + " on events.1: empty; skipped"));
        position = events->position();
        CHECK(position["stream"] == "EVENTS");
        CHECK(position["consumers"].size() == 2);
        CHECK(position["consumers"]["worker_events_1"].get<uint64_t>() > 0);
        CHECK(std::max(position["consumers"]["worker_events_1"].get<uint64_t>(),
                       position["consumers"]["worker_events_2"].get<uint64_t>()) == all.back());
        // Nothing acknowledged: destroyed here like a crashed worker.
    }

    SECTION("nothing is acknowledged before acknowledge(): a new worker gets everything again") {
        auto events = source(url, reports);
        CHECK(read_events(*events, 1000) == all);
        CHECK(quiet(*events));
    }

    SECTION("a restored position skips what the checkpoint covered, without acknowledging first") {
        // Take a position in the middle: read 400, keep its position, read on, crash.
        nlohmann::json middle;
        {
            auto events = source(url, reports);
            REQUIRE(read_events(*events, 400, std::chrono::seconds(15), 100).size() == 400);
            middle = events->position();
            CHECK(read_events(*events, 600).size() == 600);
        }
        auto events = source(url, reports);
        std::string error;
        REQUIRE(events->restore(middle, error));
        const auto lines = read_events(*events, 600);
        CHECK(lines == std::vector<uint64_t>(all.begin() + 400, all.end()));
        CHECK(quiet(*events));
    }

    SECTION("acknowledged messages are not delivered again; the rest is") {
        {
            auto events = source(url, reports);
            REQUIRE(read_events(*events, 300, std::chrono::seconds(15), 100).size() == 300);
            std::string error;
            REQUIRE(events->acknowledge(error));
            CHECK_FALSE(events->wants_checkpoint());
            REQUIRE(read_events(*events, 200, std::chrono::seconds(15), 100).size() == 200);
            // 200 handed out but not acknowledged: lost with the worker.
        }
        auto events = source(url, reports);
        CHECK(read_events(*events, 700) == std::vector<uint64_t>(all.begin() + 300, all.end()));
        std::string error;
        REQUIRE(events->acknowledge(error));
        CHECK(quiet(*events));
        // Everything acknowledged: a third worker finds nothing, and new messages are read.
        events.reset();
        events = source(url, reports);
        CHECK(quiet(*events));
        const uint64_t fresh = client.publish("events.2", "{\"late\": 1}");
        CHECK(read_events(*events, 1) == std::vector<uint64_t>{fresh});
    }

    SECTION("a position from another stream is refused") {
        auto events = source(url, reports);
        std::string error;
        CHECK_FALSE(
            events->restore(nlohmann::json{{"stream", "OTHER"}, {"consumers", nlohmann::json::object()}}, error));
        CHECK(error.find("OTHER") != std::string::npos);
        CHECK_FALSE(events->restore(nlohmann::json{{"file", "x"}}, error));
    }
}

TEST_CASE("nats source: the whole stream without subjects=; a checkpoint wanted at half of max_pending", "[nats]") {
    EQLC_REQUIRE_NATS_SERVER();
    NatsServer server;
    REQUIRE(server.start());
    Client client(server.url());
    client.add_stream("EVENTS", "events.>");
    std::vector<uint64_t> expected;
    for (int i = 0; i < 30; ++i)
        expected.push_back(client.publish("events." + std::to_string(i % 4), "{\"n\": " + std::to_string(i) + "}"));
    Reports reports;
    auto events = source(server.url() + "/EVENTS?consumer=all&max_pending=20&ack_wait=30", reports);
    auto lines = read_events(*events, 9, std::chrono::seconds(10), 9);
    CHECK_FALSE(events->wants_checkpoint());
    const auto more = read_events(*events, 1, std::chrono::seconds(10), 1);
    lines.insert(lines.end(), more.begin(), more.end());
    CHECK(events->wants_checkpoint());  // 10 of 20 unacknowledged
    CHECK(events->position()["consumers"].contains("all"));
    std::string error;
    REQUIRE(events->acknowledge(error));
    CHECK_FALSE(events->wants_checkpoint());
    const auto rest = read_events(*events, 20);
    lines.insert(lines.end(), rest.begin(), rest.end());
    CHECK(lines == expected);
    CHECK(quiet(*events));
}

TEST_CASE("nats source: a missing stream fails with a clear message", "[nats]") {
    EQLC_REQUIRE_NATS_SERVER();
    NatsServer server;
    REQUIRE(server.start());
    Reports reports;
    auto events = source(server.url() + "/NOPE?consumer=w", reports);
    EventBatch batch;
    const auto status = events->next(batch, 10, std::chrono::milliseconds(500));
    INFO(reports.all() << events->error());
    CHECK(status == EventSource::Status::failed);
    CHECK(events->error().find("stream NOPE does not exist") != std::string::npos);
}

TEST_CASE("nats source: a server restart during reading is survived", "[nats]") {
    EQLC_REQUIRE_NATS_SERVER();
    NatsServer server;
    REQUIRE(server.start());
    std::vector<uint64_t> expected;
    {
        Client client(server.url());
        client.add_stream("EVENTS", "events.>");
        for (int i = 0; i < 200; ++i)
            expected.push_back(client.publish("events." + std::to_string(i % 2), "{\"n\": " + std::to_string(i) + "}"));
    }
    Reports reports;
    auto events = source(server.url() + "/EVENTS?consumer=w&subjects=events.0,events.1", reports);
    auto lines = read_events(*events, 100, std::chrono::seconds(15), 50);
    REQUIRE(lines.size() == 100);

    server.stop();
    EventBatch batch;
    // The source waits and retries while the server is away.
    for (int i = 0; i < 3; ++i) {
        batch.clear();
        CHECK(events->next(batch, 50, std::chrono::milliseconds(200)) != EventSource::Status::failed);
        lines.insert(lines.end(), batch.lines.begin(), batch.lines.end());  // what it still held
    }
    REQUIRE(server.start());
    const auto rest = read_events(*events, 200 - lines.size(), std::chrono::seconds(20), 50);
    lines.insert(lines.end(), rest.begin(), rest.end());
    INFO(reports.all());
    CHECK(lines == expected);
    CHECK(reports.any("connection lost"));
    std::string error;
    CHECK(events->acknowledge(error));
}

TEST_CASE("nats alert sink: duplicate ids are stored once; no stream is a clear error", "[nats]") {
    EQLC_REQUIRE_NATS_SERVER();
    NatsServer server;
    REQUIRE(server.start());
    Client client(server.url());
    client.add_stream("ALERTS", "alerts.>", int64_t{120} * 1000 * 1000 * 1000);
    Reports reports;
    std::string error;
    auto sink = make_nats_alert_sink(location(server.url() + "/alerts.out"), reports.reporter(), error);
    REQUIRE(sink);
    CHECK(sink->name() == server.url() + "/alerts.out");
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < 50; ++i) {
            const std::string id = "rule-" + std::to_string(i % 5) + ":" + std::to_string(i);
            const std::string line = "{\"alert\": " + std::to_string(i) + "}";
            REQUIRE(sink->write(Alert{line, id}, error));
        }
        INFO(error);
        REQUIRE(sink->flush(error));
    }
    CHECK(client.stream_messages("ALERTS") == 50);

    // A second sink (a replaying worker) publishing the same ids adds nothing.
    auto again = make_nats_alert_sink(location(server.url() + "/alerts.out"), reports.reporter(), error);
    REQUIRE(again->write(Alert{"{\"alert\": 3}", "rule-3:3"}, error));
    REQUIRE(again->write(Alert{"{\"alert\": 99}", "rule-4:99"}, error));
    REQUIRE(again->flush(error));
    CHECK(client.stream_messages("ALERTS") == 51);

    // Alerts written while the server restarts are stored once it is back.
    server.stop();
    for (int i = 100; i < 110; ++i) {
        const std::string id = "late:" + std::to_string(i);
        REQUIRE(sink->write(Alert{"{}", id}, error));
    }
    std::thread restart([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        CHECK(server.start());
    });
    const bool flushed = sink->flush(error);
    restart.join();
    INFO(error << "\n" << reports.all());
    CHECK(flushed);
    CHECK(client.stream_messages("ALERTS") == 61);

    auto nowhere = make_nats_alert_sink(location(server.url() + "/nobody.listens"), reports.reporter(), error);
    REQUIRE(nowhere->write(Alert{"{}", "x"}, error));
    error.clear();
    CHECK_FALSE(nowhere->flush(error));
    CHECK(error.find("no JetStream stream captures subject nobody.listens") != std::string::npos);
}
