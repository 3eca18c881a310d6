// eqlc workers on a real NATS JetStream server (started on a loopback port by the test): events partitioned by
// host.id over two workers, one killed with SIGKILL mid-stream and started again, the other stopped with SIGTERM and
// started again; the alerts stream must hold exactly the alerts of one `eqlc RULE FILE` run, none lost, none twice.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/cli_process.hpp"
#include "support/cli_runner.hpp"
#include "support/files.hpp"
#include "support/nats_client.hpp"
#include "support/nats_server.hpp"
#include "support/wmi_rule.hpp"

using eqlc::test::exit_status;
using eqlc::test::NatsClient;
using eqlc::test::NatsServer;
using eqlc::test::read_text;
using eqlc::test::run_eqlc;
using eqlc::test::spawn_eqlc;
using eqlc::test::TempDir;

namespace {

// The WMI samples eight times over, each copy on hosts of its own (host.id with a suffix), copies interleaved line
// by line so that the whole stays in time order: about 900 events over some 470 hosts.
std::vector<std::string> partitioned_events() {
    std::vector<std::string> lines;
    std::ifstream in(eqlc::test::wmi_defend_samples());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::vector<std::string> out;
    for (const auto& line : lines) {
        for (int copy = 0; copy < 8; ++copy) {
            auto event = nlohmann::json::parse(line);
            event["host"]["id"] = event["host"]["id"].get<std::string>() + "-" + std::to_string(copy);
            out.push_back(event.dump());
        }
    }
    return out;
}

// What the server's subject mapping partition(2, ...) does for a producer publishing to events.<host.id>: a stable
// hash of the key picks the partition.
int partition_of(const std::string& event) {
    const std::string host = nlohmann::json::parse(event)["host"]["id"].get<std::string>();
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : host) h = (h ^ c) * 1099511628211ull;
    return static_cast<int>(h % 2);
}

std::string subject_of(const std::string& event) {
    return "events." + std::to_string(partition_of(event)) + "." +
           nlohmann::json::parse(event)["host"]["id"].get<std::string>();
}

size_t alerts_of_partition(const std::vector<std::string>& alerts, int partition) {
    return static_cast<size_t>(std::count_if(alerts.begin(), alerts.end(), [&](const std::string& alert) {
        return partition_of(nlohmann::json::parse(alert)["events"][0]["_source"].dump()) == partition;
    }));
}

template <typename Done>
bool wait_until(Done done, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return true;
}

}  // namespace

TEST_CASE("eqlc on NATS: two partitioned workers, one killed and one stopped mid-stream, give each alert once",
          "[cli][nats-e2e]") {
    EQLC_REQUIRE_NATS_SERVER();
    NatsServer server;
    REQUIRE(server.start());
    NatsClient client(server.url());
    client.add_stream("EVENTS", "events.>");
    client.add_stream("ALERTS", "alerts", int64_t{120} * 1'000'000'000);

    const auto events = partitioned_events();
    TempDir dir;
    std::string whole;
    for (const auto& e : events) whole += e + "\n";
    const auto file = dir.write("events.ndjson", whole);
    const std::string rule = eqlc::test::wmi_rule_toml().string();
    const auto single = run_eqlc({rule, file.string()});
    REQUIRE(single.status == 1);
    auto expected = single.out_lines();
    REQUIRE(expected.size() > 100);
    int partitions_used[2] = {0, 0};
    for (const auto& e : events) ++partitions_used[partition_of(e)];
    REQUIRE(partitions_used[0] > 100);
    REQUIRE(partitions_used[1] > 100);

    auto worker = [&](int k, const std::string& interval, const std::string& idle) {
        const std::string err = (dir.path() / ("worker-" + std::to_string(k) + ".err")).string();
        const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        const pid_t pid =
            spawn_eqlc({"--stats", "--state", server.url() + "/eqlc_state/worker-" + std::to_string(k), "--alerts",
                        server.url() + "/alerts", "--checkpoint-interval", interval, "--idle-exit", idle, rule,
                        server.url() + "/EVENTS?consumer=worker-" + std::to_string(k) + "&subjects=events." +
                            std::to_string(k) + ".>"},
                       -1, -1, fd);
        ::close(fd);
        return pid;
    };
    auto publish = [&](size_t from, size_t to) {
        for (size_t i = from; i < to; ++i) client.publish(subject_of(events[i]), events[i]);
    };

    const size_t third = events.size() / 3;
    publish(0, third);
    // Worker 0 checkpoints only every hour: when it is killed, nothing it ran is acknowledged or saved.
    pid_t w0 = worker(0, "1h", "60s");
    pid_t w1 = worker(1, "100ms", "60s");
    REQUIRE(w0 > 0);
    REQUIRE(w1 > 0);
    // Killed once some of its alerts are published.
    CHECK(wait_until([&] { return alerts_of_partition(client.messages("ALERTS"), 0) > 0; }, std::chrono::seconds(30)));
    ::kill(w0, SIGKILL);
    CHECK(exit_status(w0) == 1000 + SIGKILL);

    publish(third, 2 * third);
    ::kill(w1, SIGTERM);
    CHECK(exit_status(w1) == 128 + SIGTERM);
    w0 = worker(0, "100ms", "2s");
    w1 = worker(1, "100ms", "2s");
    publish(2 * third, events.size());
    CHECK(exit_status(w0) <= 1);
    CHECK(exit_status(w1) <= 1);
    INFO("worker 0: " << read_text(dir.path() / "worker-0.err"));
    INFO("worker 1: " << read_text(dir.path() / "worker-1.err"));

    // The killed worker had acknowledged nothing and saved no state: after its restart it ran its whole partition
    // again, its alerts came again, and the stream kept them once.
    const std::string err0 = read_text(dir.path() / "worker-0.err");
    const auto at = err0.find("alerts in this run");
    REQUIRE(at != std::string::npos);
    CHECK(std::stoull(err0.substr(at + 18)) == alerts_of_partition(expected, 0));

    // The stopped worker saved its state in the key-value bucket and went on from it.
    CHECK(read_text(dir.path() / "worker-1.err").find("continued from the saved state") != std::string::npos);

    std::vector<std::string> ids;
    auto stored = client.messages("ALERTS", &ids);
    CHECK(stored.size() == expected.size());
    std::sort(stored.begin(), stored.end());
    std::sort(expected.begin(), expected.end());
    CHECK(stored == expected);
    // Ids name the rule and the events' stream sequences, and are unique.
    std::sort(ids.begin(), ids.end());
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    REQUIRE_FALSE(ids.empty());
    CHECK(ids.front().rfind("fd7607f0-6c96-475a-9da6-d0f56b4e9ac5:", 0) == 0);
}

TEST_CASE("eqlc on NATS: a rule that does not join by the partitioning key is warned about", "[cli][nats-e2e]") {
    EQLC_REQUIRE_NATS_SERVER();
    NatsServer server;
    REQUIRE(server.start());
    NatsClient client(server.url());
    client.add_stream("EVENTS", "events.>");
    const auto r =
        run_eqlc({"--idle-exit", "200ms", "-e", "sequence by user.name [process where true] [network where true]",
                  server.url() + "/EVENTS?consumer=w"});
    CHECK(r.status == 0);
    CHECK(r.err.find("eqlc: warning: rule <query> joins by user.name, not by the partitioning key host.id") !=
          std::string::npos);
    const auto keyed =
        run_eqlc({"--idle-exit", "200ms", "-e", "sequence by host.id [process where true] [network where true]",
                  server.url() + "/EVENTS?consumer=w"});
    CHECK(keyed.status == 0);
    CHECK(keyed.err.find("warning") == std::string::npos);
}
