// Routing by rule: the queries of one engine split into shards that run on threads of their own, each over every
// event, for read_ndjson with threads > 1 and several queries.
//
// A query's state (its limiter, its sequence or sample matcher) is only ever touched by its shard, and each shard
// has its own QueryRunner (VM context, key buffers, counters), so the shards share nothing but the read-only
// compiled programs and the batch they read. Per batch (input/parallel_reader.hpp):
//
//   the engine's thread  decides, event by event, what the sequential engine would run (the entries: which
//                        event of the batch, which pass, which ordinal), then calls run();
//   run()                wakes the other shards' threads and runs shard 0 itself; each shard loads every entry's
//                        event into its own record and runs its queries over it; the results its queries deliver
//                        are kept, tagged with the entry;
//   the engine's thread  then hands the results out entry by entry, in query order within an entry
//                        (take_matches): exactly the order in which one runner over all queries delivers them.
//
// Queries are split by an estimate of their cost (the size of their programs), the largest first onto the least
// loaded shard, so that no shard waits on another for long.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "engine/query_runner.hpp"
#include "input/parallel_reader.hpp"

namespace eqlc::engine {

class RuleShards {
public:
    // Shards for the valid queries of `queries`: min(count, valid queries) of them. `deliver` is what the runners
    // call with an event query's result; it (and the sequence and sample sinks) must send results to collect()
    // while run() runs.
    // `noted`: the batches run() gets carry each event's candidates and value bits (input::EventNotes: `index`'s
    // candidates, `values`' bits), which the runners take instead of working them out again; they then need no
    // index of their own. Their words, when there are any, are the times of `time_slots` (QueryRunner::Noted).
    RuleShards(std::vector<QueryState>& queries, const vm::FieldCatalog& catalog, unsigned count,
               const QueryRunner::Deliver& deliver, const ValueMask* values = nullptr, const RuleIndex* index = nullptr,
               bool noted = false, std::span<const vm::SlotId> time_slots = {});
    // Joins the threads.
    ~RuleShards();
    RuleShards(const RuleShards&) = delete;
    RuleShards& operator=(const RuleShards&) = delete;

    size_t size() const { return shards_.size(); }

    struct Entry {
        uint32_t event = 0;  // in the batch
        Pass pass = Pass::all;
        uint64_t ordinal = 0;
        uint64_t tick = 0;  // the engine's clock (sequence::EventInfo::tick)
    };
    // Runs entries [begin, end) through every shard's queries, in entry order; returns when all shards are done
    // (an exception thrown on a shard's thread is thrown again here). The results are kept until take_matches().
    // A batch's entries may be run in several parts (the engine checks the state limits in between, when no
    // shard runs): `entries` is the whole batch's list each time. The queries that keep an entry's event share
    // one copy of its text (sequence/shared_text.hpp), through a slot per entry released when run() returns.
    void run(const input::ReadBatch& batch, std::span<const Entry> entries, size_t begin, size_t end);

    // A result of `query`, for the entry its shard is running (called on the shard's thread).
    void collect(size_t query, Match&& match);

    // Calls f(query, match) for each result of entry `entry` in query order. Entries must be taken in increasing
    // order; after the last one, clear_matches() before the next run().
    template <typename F>
    void take_matches(uint32_t entry, F&& f) {
        for (;;) {
            Shard* best = nullptr;
            for (auto& s : shards_) {
                if (s->taken == s->results.size() || s->results[s->taken].entry != entry) continue;
                if (!best || s->results[s->taken].query < best->results[best->taken].query) best = s.get();
            }
            if (!best) return;
            Result& r = best->results[best->taken++];
            f(r.query, std::move(r.match));
        }
    }
    void clear_matches();

    // Why entry `entry`'s event is not valid JSON, when some shard's query matched it and found it so
    // (QueryRunner::invalid(); the shard that checked it found it, the others took its verdict). Entries must be asked in increasing
    // order, like take_matches(), whose calls they may interleave with.
    std::optional<input::JsonProblem> take_invalid(uint32_t entry);

    // The shards' counters since the last call, added up.
    RunCounters take_counters();
    // Every shard's QueryRunner::sync_time() (when no shard runs).
    void sync_time();

private:
    bool noted_ = false;
    std::vector<vm::SlotId> time_slots_;
    struct Result {
        uint32_t entry = 0;
        size_t query = 0;
        Match match;
    };
    struct Shard {
        Shard(std::vector<QueryState>& queries, std::vector<size_t> which, const vm::FieldCatalog& catalog,
              const QueryRunner::Deliver& deliver, const ValueMask* values, const RuleIndex* all, bool noted)
            : own_index(all && !noted ? all->restricted(which) : nullptr),
              runner(queries, std::move(which), catalog, deliver, values, noted ? all : own_index.get()) {}
        // Over the shard's queries only, for looking events up itself (not when they come noted: the whole index's
        // ids and keys are the same).
        std::shared_ptr<const RuleIndex> own_index;
        QueryRunner runner;
        vm::EventRecord record;
        input::ReadBatch::Loaded loaded;  // what the last load set in record
        uint32_t current = 0;             // the entry being run
        std::vector<Result> results;
        size_t taken = 0;
        std::vector<std::pair<uint32_t, input::JsonProblem>> invalid;  // (entry, problem), in entry order
        size_t invalid_taken = 0;
        std::exception_ptr error;
    };

    void run_shard(Shard& shard);
    void thread_main(Shard& shard);

    std::vector<std::unique_ptr<Shard>> shards_;
    std::vector<uint32_t> owner_;  // query -> shard

    std::mutex mutex_;
    std::condition_variable work_;  // a new generation to run, or stop
    std::condition_variable done_;  // pending_ reached 0
    uint64_t generation_ = 0;
    size_t pending_ = 0;
    bool stop_ = false;
    const input::ReadBatch* batch_ = nullptr;
    std::span<const Entry> entries_;
    size_t begin_ = 0;
    size_t end_ = 0;
    std::unique_ptr<sequence::TextSlot[]> slots_;       // per entry of the batch
    std::unique_ptr<std::atomic<uint8_t>[]> verdicts_;  // per entry: its JSON check (QueryRunner::process)
    size_t slot_count_ = 0;
    std::vector<std::thread> threads_;  // for shards 1..n-1
};

}  // namespace eqlc::engine
