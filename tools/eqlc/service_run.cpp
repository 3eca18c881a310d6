// A continuous run of the eqlc tool (see service_run.hpp).
#include "service_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "alert_output.hpp"
#include "eqlc/printable.hpp"
#include "input_reports.hpp"
#include "run_control.hpp"
#include "run_setup.hpp"
#include "service/file_source.hpp"
#include "service/nats.hpp"
#include "service/worker.hpp"

namespace eqlc::cli {

namespace {

// Standard output through the tool's AlertOutput (alerts written within 50 ms, large writes on bulk input).
class StdoutSink final : public service::AlertSink {
public:
    StdoutSink() : out_(STDOUT_FILENO) {}
    bool write(const service::Alert& alert, std::string& error) override {
        line_.assign(alert.line);
        line_.push_back('\n');
        out_.write(line_);
        return ok(error);
    }
    bool flush(std::string& error) override {
        out_.flush();
        return ok(error);
    }
    std::string name() const override { return "standard output"; }

private:
    bool ok(std::string& error) const {
        if (!out_.failed()) return true;
        error = std::strerror(out_.error());
        return false;
    }
    AlertOutput out_;
    std::string line_;
};

// Identifies an alert whatever run gives it: the rule and its events' ordinals (stream sequences for a NATS source;
// arrival numbers, carried in the state, for files).
std::string alert_id(const Source& source, const eqlc::Match& match) {
    std::string id = source.rule ? source.rule->rule_id : std::string();
    if (id.empty()) id = source.origin;
    id += ':';
    for (size_t i = 0; i < match.events.size(); ++i) {
        if (i) id += ',';
        id += match.events[i].missing ? "-" : std::to_string(match.events[i].ordinal);
    }
    return id;
}

// A duration as the command line takes it (5s, 1500ms).
std::string duration_text(int64_t ns) {
    constexpr int64_t kSecond = 1'000'000'000;
    if (ns % (3600 * kSecond) == 0) return std::to_string(ns / (3600 * kSecond)) + "h";
    if (ns % (60 * kSecond) == 0) return std::to_string(ns / (60 * kSecond)) + "m";
    if (ns % kSecond == 0) return std::to_string(ns / kSecond) + "s";
    return std::to_string(ns / 1'000'000) + "ms";
}

// What the state belongs to: the rules, and the options that change what pending state means.
service::StateIdentity identity_of(const RunSetup& setup, const Options& options) {
    service::StateIdentity identity;
    for (const auto& source : setup.sources) identity.rules.emplace_back(source.origin, source.text);
    auto& o = identity.options;
    o["timestamp_field"] = options.timestamp_field;
    o["event_category_field"] = options.event_category_field;
    o["tiebreaker_field"] = options.tiebreaker_field ? nlohmann::json(*options.tiebreaker_field) : nullptr;
    o["mapping"] = options.mapping_file ? nlohmann::json(*options.mapping_file) : nullptr;
    o["reorder_window"] =
        options.reorder_window_ns ? nlohmann::json(duration_text(*options.reorder_window_ns)) : nullptr;
    o["max_samples_per_key"] = options.max_samples_per_key;
    return identity;
}

bool is_nats(const std::string& text) { return service::is_nats_location(text); }

// Rules whose matches could be split among workers fed by partitions of `key`.
void warn_partitioning(const eqlc::CompiledQueries& set, const std::string& key) {
    for (size_t q = 0; q < set.size(); ++q) {
        if (!set.valid(q) || !set.joins(q)) continue;
        const auto keys = set.join_keys(q);
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
        std::string by;
        for (const auto& k : keys) by += (by.empty() ? "" : ", ") + k;
        std::cerr << "eqlc: warning: rule " << eqlc::printable(set.source(q).name)
                  << (keys.empty() ? " joins events without a key" : " joins by " + eqlc::printable(by))
                  << ", not by the partitioning key " << eqlc::printable(key)
                  << ": with several workers its events may reach different workers and its alerts be missed\n";
    }
}

}  // namespace

int run_service(const Options& options, const eqlc::QueryOptions& query_options) {
    const auto started = std::chrono::steady_clock::now();
    RunSetup setup;
    if (!setup_run(options, query_options, setup)) return 2;
    int status = setup.status;
    eqlc::Engine& engine = *setup.engine;
    install_stop_handlers();
    const service::Reporter report = [](std::string_view message) {
        std::cerr << "eqlc: " << eqlc::printable(std::string(message)) << '\n';
    };

    std::vector<std::string> inputs = options.events;
    if (inputs.empty()) inputs.emplace_back("-");
    std::vector<std::unique_ptr<service::EventSource>> sources;
    bool from_nats = false;
    for (const auto& input : inputs) {
        std::string error;
        std::unique_ptr<service::EventSource> source;
        if (is_nats(input)) {
            service::NatsLocation location;
            if (service::parse_nats_location(input, location, error))
                source = service::make_nats_source(location, report, error);
            from_nats = true;
        } else {
            service::FileSourceOptions file_options;
            file_options.follow = options.follow;
            source = service::make_file_source(input, file_options, report, error);
        }
        if (!source) {
            std::cerr << "eqlc: " << eqlc::printable(input) << ": " << eqlc::printable(error) << '\n';
            return 2;
        }
        sources.push_back(std::move(source));
    }
    if (from_nats) warn_partitioning(*setup.compiled, options.partition_key);

    std::unique_ptr<service::AlertSink> sink;
    {
        std::string error;
        if (!options.alerts) {
            sink = std::make_unique<StdoutSink>();
        } else if (is_nats(*options.alerts)) {
            service::NatsLocation location;
            if (service::parse_nats_location(*options.alerts, location, error))
                sink = service::make_nats_alert_sink(location, report, error);
        } else {
            sink = service::make_file_alert_sink(*options.alerts, error, report);
        }
        if (!sink) {
            std::cerr << "eqlc: --alerts " << eqlc::printable(*options.alerts) << ": " << eqlc::printable(error)
                      << '\n';
            return 2;
        }
    }
    std::unique_ptr<service::StateStore> store;
    if (options.state) {
        std::string error;
        store = service::open_state_store(*options.state, report, error);
        if (!store) {
            std::cerr << "eqlc: --state " << eqlc::printable(*options.state) << ": " << eqlc::printable(error) << '\n';
            return 2;
        }
    }

    const bool pretty = options.format == "pretty";
    uint64_t alerts = 0;
    std::string sink_error;
    engine.on_match([&](const eqlc::Match& match) {
        const Source& source = setup.sources[match.query];
        std::string text = alert_text(source, match, pretty);
        if (!text.empty() && text.back() == '\n') text.pop_back();  // a sink ends each alert itself
        const std::string id = alert_id(source, match);
        ++alerts;
        if (sink_error.empty() && !sink->write(service::Alert{text, id}, sink_error)) request_stop();
    });
    InputReports reports([] {});
    engine.on_bad_input([&](const eqlc::BadInput& bad) { reports.report(bad); });
    engine.on_state_limit(
        [&](const eqlc::StateLimitReached& reached) { warn_state_limit(engine, setup.engine_options, reached); });

    service::WorkerOptions worker_options;
    worker_options.checkpoint_interval = std::chrono::milliseconds(options.checkpoint_interval_ns / 1'000'000);
    if (options.idle_exit_ns) worker_options.idle_exit = std::chrono::milliseconds(*options.idle_exit_ns / 1'000'000);
    worker_options.finish_at_end = !store || options.finish;
    worker_options.stop = &stop_flag();
    service::Worker worker(engine, std::move(sources), *sink, store.get(), identity_of(setup, options), worker_options,
                           report);
    std::string error;
    if (!worker.restore(error)) {
        std::cerr << "eqlc: " << eqlc::printable(error) << '\n';
        return 2;
    }
    reports.start();
    const auto end = worker.run(error);
    if (end == service::Worker::End::failed) {
        std::cerr << "eqlc: " << eqlc::printable(error) << '\n';
        status = 2;
    }
    if (!sink_error.empty()) {
        std::cerr << "eqlc: cannot write alerts to " << eqlc::printable(sink->name()) << ": "
                  << eqlc::printable(sink_error) << '\n';
        status = 2;
    }
    warn_at_end(engine.stats(), options);
    if (options.stats) {
        print_stats(engine, options, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        const auto& ws = worker.stats();
        std::fprintf(stderr, "  state                   %s\n",
                     !store        ? "none"
                     : ws.restored ? "continued from the saved state"
                                   : "started fresh");
        std::fprintf(stderr, "  checkpoints             %llu (last %llu bytes, %.1f ms; %.1f ms in all)\n",
                     static_cast<unsigned long long>(ws.checkpoints),
                     static_cast<unsigned long long>(ws.last_checkpoint_bytes), ws.last_checkpoint_ms,
                     ws.total_checkpoint_ms);
        std::fprintf(stderr, "  alerts in this run      %llu\n", static_cast<unsigned long long>(alerts));
    }
    if (end == service::Worker::End::stopped && stop_signal()) {
        std::cerr << "eqlc: stopped by " << (stop_signal() == SIGINT ? "SIGINT" : "SIGTERM")
                  << (store ? " (state saved)\n" : "\n");
        return 128 + stop_signal();
    }
    if (status) return status;
    return alerts ? 1 : 0;
}

}  // namespace eqlc::cli
