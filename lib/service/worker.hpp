// A worker: runs an Engine continuously over event sources, and checkpoints — the engine's state together with
// every source's position — so that a restart continues where the last checkpoint was, with nothing lost and, with
// a sink that can be cut back or de-duplicates, nothing reported twice (Flink's model: state checkpointed with the
// source position, replay from there after a failure).
//
// A checkpoint, in this order: the sink is flushed (every alert so far durably stored), the engine's snapshot and
// the sources' positions are saved to the store (atomically), and only then are the sources told to acknowledge
// what they handed out. A crash between two checkpoints replays the events after the last one; their alerts come
// again with the same ids (de-duplicated by a NATS sink, cut back by a file sink).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eqlc/engine.hpp"
#include "service/alert_sink.hpp"
#include "service/event_source.hpp"
#include "service/state_store.hpp"

namespace eqlc::service {

// What a checkpoint belongs to: the rules (each one's name and query text) and the options that change what the
// state means. A checkpoint saved for another identity is refused, with what differs.
struct StateIdentity {
    std::vector<std::pair<std::string, std::string>> rules;  // name, query text
    nlohmann::json options = nlohmann::json::object();       // option name -> value as the user wrote it
};

struct WorkerOptions {
    std::chrono::milliseconds checkpoint_interval{5000};
    // Checkpoint and end after this long without any event from any source.
    std::optional<std::chrono::milliseconds> idle_exit;
    // At the end of every source: finish the engine (deliver what the end of input completes). With a store and
    // more input to come, false: pending sequences are kept in the state for the next run.
    bool finish_at_end = true;
    size_t batch_events = 1024;               // events taken from a source at a time
    const std::atomic<bool>* stop = nullptr;  // checked between batches (and at least every 200 ms while waiting)
};

struct WorkerStats {
    uint64_t batches = 0;
    uint64_t checkpoints = 0;
    uint64_t last_checkpoint_bytes = 0;
    double last_checkpoint_ms = 0;  // flush + snapshot + save + acknowledge
    double total_checkpoint_ms = 0;
    bool restored = false;  // the run continued a stored checkpoint
};

class Worker {
public:
    // `store` may be null (no --state: nothing survives the process; sources are still acknowledged after the sink
    // is flushed). The engine, sink and store must outlive the worker.
    Worker(Engine& engine, std::vector<std::unique_ptr<EventSource>> sources, AlertSink& sink, StateStore* store,
           StateIdentity identity, WorkerOptions options, Reporter report);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Continues from the store's checkpoint, when there is one. False with `error` when it cannot be read or was
    // saved for other rules or options (the message says what differs and how to start fresh).
    bool restore(std::string& error);

    enum class End {
        input_ended,  // every source ended (files read to their end)
        stopped,      // the stop flag
        idle,         // idle_exit
        failed,       // a source, the sink or the store failed: `error` says which and why
    };
    // Runs until one of the ends above; a checkpoint is saved at the end in every case but `failed` (where the
    // failure may be the store itself), and every checkpoint_interval while events come.
    End run(std::string& error);

    // Saves a checkpoint now (see above). False with `error` when the sink or the store failed.
    bool checkpoint(std::string& error);

    const WorkerStats& stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The checkpoint's container (for tests and tools): the bytes a Worker saves for an engine snapshot, positions and
// identity, and the reverse. decode returns false with `error` for bytes that are not a checkpoint.
struct Checkpoint {
    StateIdentity identity;
    std::string engine;                                 // Engine::snapshot
    nlohmann::json sources = nlohmann::json::object();  // source name -> position
    nlohmann::json sink;                                // AlertSink::position
};
std::string encode_checkpoint(const Checkpoint& checkpoint);
bool decode_checkpoint(std::string_view bytes, Checkpoint& out, std::string& error);
// How two identities differ, in words ("rule 'x' is new; option reorder_window: 5s then, none now"); empty when equal.
std::string identity_difference(const StateIdentity& saved, const StateIdentity& now);

}  // namespace eqlc::service
