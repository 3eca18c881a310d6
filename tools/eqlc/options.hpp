// The eqlc command line: what each option means lives here, next to the --help text that documents it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eqlc::cli {

enum class Mode { run, check, explain, test, help, version };

struct Options {
    Mode mode = Mode::run;
    std::vector<std::string> queries;      // -e QUERY (inline)
    std::optional<std::string> rule_path;  // the rule file or folder when running
    std::vector<std::string> files;        // --check/--explain/test: rule/query files or folders
    std::optional<std::string> junit;      // test --junit FILE
    std::vector<std::string> events;       // run: NDJSON inputs ("-" is stdin); empty means stdin

    std::string timestamp_field = "@timestamp";
    std::string event_category_field = "event.category";
    std::optional<std::string> tiebreaker_field;
    std::optional<std::string> mapping_file;
    std::vector<std::string> schemas;  // --check --schema ecs|FILE, in order (field_check_run.hpp)
    std::optional<uint64_t> size;
    bool head = false;  // --size takes the first results instead of the last
    bool sort = false;
    std::optional<int64_t> reorder_window_ns;
    bool strict = false;
    bool prefilter = true;   // the engine's line prefilter
    bool rule_index = true;  // the engine's rule index
    bool map_files = false;  // -j: map plain files rather than read them (ReadOptions::map_files)
    unsigned threads = 1;    // -j: threads that parse the input (0 = one per CPU, resolved by parse_arguments)
    uint32_t max_depth = 200;
    std::string format = "ndjson";  // ndjson | pretty
    bool stats = false;
    enum class Progress { automatic, on, off } progress = Progress::automatic;
    uint32_t max_samples_per_key = 1;
    std::optional<uint64_t> max_keys;
    std::optional<uint64_t> max_state_bytes;

    // Running continuously (service_run.hpp).
    std::optional<std::string> state;  // --state LOCATION: a file or nats://HOST:PORT/BUCKET/KEY
    bool follow = false;               // --follow: read files as they grow
    int64_t checkpoint_interval_ns = 5'000'000'000;
    bool finish = false;                    // --finish: with --state, the end of input ends pending sequences
    std::optional<std::string> alerts;      // --alerts FILE | nats://HOST:PORT/SUBJECT (default stdout)
    std::optional<int64_t> idle_exit_ns;    // --idle-exit DURATION
    std::string partition_key = "host.id";  // --partition-key FIELD: how a NATS stream is split among workers
    // A continuous run: through a worker that checkpoints (not the one-pass file reader).
    bool service() const;
};

struct ParseOutcome {
    Options options;
    std::string error;  // set when the command line is wrong
};

ParseOutcome parse_arguments(const std::vector<std::string_view>& args);

extern const std::string_view kUsage;

}  // namespace eqlc::cli
