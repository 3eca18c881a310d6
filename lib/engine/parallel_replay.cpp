// read_ndjson on several threads: batches from the parallel reader replayed through the same calls as the
// sequential loop, the queries run on the rule shards when there are several.
#include "engine/engine_impl.hpp"

#include <algorithm>

namespace eqlc {

namespace {

// With rule shards, each event's rule index candidates and value bits are worked out once, by the reader's
// workers (which parse the events in parallel anyway), not once per shard: the index's lookups are a large part
// of the per-event work of a library, and the same for every shard (whose runners keep only their own queries'
// candidates). The workers also evaluate the filters of the event queries among the candidates (most rules of a
// library are event queries, and their filters are pure: programs are shared, the context is the worker's), so
// that the rule threads, which keep the state of sequences and samples, only use the answer. A filter whose
// evaluation reports an error is left to the rule thread, which counts the error as without the notes. A worker
// evaluates filters only while it is ahead of the rule threads (they were busy when it handed over its last
// batch): where parsing is the slower side the filters stay with the rule threads, and the sides balance. So do
// the event times of the queries with their own timestamp field (detection rules read `event.ingested`), which
// would otherwise be parsed by each shard that runs such a query.
class IndexNotes final : public input::EventNotes {
public:
    IndexNotes(const engine::RuleIndex& index, const engine::ValueMask& values,
               const std::vector<engine::QueryEntry>& queries, const vm::FieldCatalog& catalog)
        : index_(index), values_(values), catalog_(catalog), filters_(index.term_count()), bits_(index.term_count()) {
        for (const auto& query : queries) {
            if (!query.compiled || query.compiled->kind == ast::QueryKind::sample || !query.own_timestamp) continue;
            if (std::find(time_slots_.begin(), time_slots_.end(), *query.own_timestamp) == time_slots_.end())
                time_slots_.push_back(*query.own_timestamp);
        }
        if (time_slots_.size() > 64) time_slots_.clear();  // one word says which gave a time: none noted
        if (index.term_count() > engine::QueryRunner::kNotedTerm) return;  // no room beside the ids: none evaluated
        for (size_t q = 0; q < queries.size(); ++q) {
            const auto& compiled = queries[q].compiled;
            if (!compiled || compiled->kind != ast::QueryKind::event || compiled->terms.size() != 1) continue;
            const uint32_t t = index.term_id(q, 0);
            filters_[t] = compiled->terms.front().filter.get();
            if (!values.empty() && !queries[q].value_bits.empty()) bits_[t] = queries[q].value_bits.front();
        }
    }
    std::unique_ptr<Scratch> make_scratch() const override { return std::make_unique<IndexScratch>(); }
    std::span<const vm::SlotId> time_slots() const { return time_slots_; }
    uint64_t note(const vm::EventRecord& event, Scratch& scratch, std::vector<uint32_t>& ids,
                  std::vector<uint64_t>& words, bool ahead) const override {
        auto& s = static_cast<IndexScratch&>(scratch);
        const size_t first = ids.size();
        index_.candidates(event, s.index, ids);
        const uint64_t values = values_.empty() ? 0 : values_.of(event);
        if (!ahead) return values;  // the rule threads wait for the parsing: they do the rest themselves
        if (!time_slots_.empty()) {  // QueryRunner::Noted::times
            const size_t found = words.size();
            words.push_back(0);
            for (size_t k = 0; k < time_slots_.size(); ++k) {
                const std::optional<int64_t> ts =
                    engine::QueryRunner::time_of(event, time_slots_[k], catalog_.type(time_slots_[k]));
                if (ts) words[found] |= uint64_t{1} << k;
                words.push_back(ts ? static_cast<uint64_t>(*ts) : 0);
            }
        }
        for (size_t i = first; i < ids.size(); ++i) {
            const uint32_t t = ids[i];
            const vm::Program* filter = filters_[t];
            if (!filter || (bits_[t] & values) != bits_[t]) continue;  // not an event query, or ruled out by values
            const bool holds = vm::matches(*filter, event, s.vm);
            if (s.vm.errors().count) {
                s.vm.clear_errors();
                continue;
            }
            ids[i] = t | (holds ? engine::QueryRunner::kNotedHeld : engine::QueryRunner::kNotedFails);
        }
        return values;
    }

private:
    struct IndexScratch final : Scratch {
        engine::RuleIndex::Scratch index;
        vm::VmContext vm;
    };
    const engine::RuleIndex& index_;
    const engine::ValueMask& values_;
    const vm::FieldCatalog& catalog_;
    std::vector<vm::SlotId> time_slots_;       // the own timestamp fields of the queries, each once
    std::vector<const vm::Program*> filters_;  // per term: an event query's filter, else null
    std::vector<uint64_t> bits_;               // per term: its value bits
};

}  // namespace

// read_ndjson with threads > 1: the same calls in the same order as the sequential loop in read_ndjson,
// from batches parsed on other threads (input/parallel_reader.hpp).
bool Engine::Impl::read_parallel(const std::string& path, const ReadOptions& read,
                                 const input::ReaderOptions& reader_options, Diagnostic* error) {
    // Routing by rule: with several queries, they are split among `threads` shards that run on threads of
    // their own (engine/rule_shards.hpp). Not with a reorder window, whose held events outlive the batches.
    const bool sharded = !reorder && valid_queries() > 1;
    const auto& set = detail::Internals::impl(*compiled);
    std::optional<IndexNotes> notes;
    if (sharded && set.rule_index) notes.emplace(*set.rule_index, set.value_mask, set.queries, catalog);
    // How the threads are shared. With the rule index, the parsing threads also do its lookups and evaluate the
    // event queries among the candidates while they are ahead, and then parsing is about as much work per event as
    // running the rules: half the threads run rules (at least one, this one), the others parse. Measured on 2 cores
    // with 562 and 1,124 rules over a realistic ECS stream, one parsing and one rule thread took 10-15% less time
    // and CPU than two of each (which the CPUs could not run at once).
    unsigned parse_threads = read.threads, rule_threads = read.threads;
    if (notes) {
        rule_threads = std::max(1u, read.threads / 2);
        parse_threads = std::max(1u, read.threads - rule_threads);
    }
    auto opened = input::ParallelReader::open(path, plan, parse_threads, reader_options, read.map_files,
                                              notes ? &*notes : nullptr);
    if (!opened) {
        if (error) *error = opened.error;
        return false;
    }
    input::ParallelReader& reader = *opened.reader;
    // The sequential loop reports, before each event, the bad lines read since the event before it, at most
    // max_kept_errors of them (the reader keeps no more between two take_errors()).
    std::vector<BadInput> held;
    size_t since_event = 0;
    auto hold = [&](const input::BadLine& bad) {
        if (since_event++ < reader_options.max_kept_errors)
            held.push_back(BadInput{bad.origin, bad.line, bad.diagnostic.message, bad.excerpt});
    };
    auto drain = [&] {
        for (auto& bad : held) report_bad(std::move(bad));
        held.clear();
        since_event = 0;
    };
    std::unique_ptr<engine::RuleShards> shards;
    if (sharded) {
        runner->sync_time();  // the shards' runners take the sequences from here (QueryRunner::sync_time)
        shards = std::make_unique<engine::RuleShards>(
            queries, catalog, rule_threads, [this](size_t q, Match&& m) { deliver(q, std::move(m)); }, &set.value_mask,
            set.rule_index.get(), notes.has_value(), notes ? notes->time_slots() : std::span<const vm::SlotId>());
    }
    stats.query_threads = shards ? static_cast<uint32_t>(shards->size()) : 1;
    struct Reset {  // leaves the engine sequential again, also when a handler or a shard throws
        Impl& impl;
        engine::RuleShards* shards;
        ~Reset() {
            impl.deferred.active = false;
            impl.deferred.clear();
            impl.collecting = nullptr;
            if (!shards) return;
            // The engine's own runner takes the sequences back from the shards' runners.
            try {
                shards->sync_time();
                impl.runner->resync();
            } catch (...) {  // a sink that threw before: the run is failing anyway
            }
        }
    } reset{*this, shards.get()};
    auto progress = [&](uint64_t bytes, uint64_t count) {
        if (!deferred.active) return read.progress(bytes, count);
        deferred.steps.push_back(Step{Step::Kind::progress, deferred.progress_calls.size()});
        deferred.progress_calls.emplace_back(bytes, count);
    };

    const uint64_t bytes_before = stats.bytes;
    input::ReadBatch::Loaded loaded;  // `record` gets its events from load() alone in this loop
    uint64_t events = 0;
    uint64_t skipped = 0;       // lines the line filter skipped before the last event
    uint64_t skipped_base = 0;  // ... in the batches before this one
    uint64_t progress_at = 0;   // events (run or skipped) at the last progress call
    std::optional<Diagnostic> failure;
    bool stopped = false;  // stop_after() said so: the rest of the input is not read
    uint64_t bad_lines_before_stop = 0;
    while (const input::ReadBatch* batch = reader.next()) {
        deferred.active = shards != nullptr;
        const auto& bad = batch->bad();
        size_t b = 0;
        for (size_t i = 0; i < batch->events() && !stopped; ++i) {
            while (b < bad.size() && bad[b].events_before <= i) hold(bad[b++].line);
            // Skipped lines take their places in arrival order, as if they had been run.
            next_ordinal += skipped_base + batch->skipped_before(i) - skipped;
            skipped = skipped_base + batch->skipped_before(i);
            // Without shards the queries run here, on strings that another thread parsed: fetch them ahead.
            if (!shards) batch->prefetch(i + kPrefetchAhead);
            batch->load(i, record, loaded);
            deferred.event = static_cast<uint32_t>(i);
            drain();  // the bad lines before this event are reported before it (in line order)
            const bool accepted = accept(record, reader.name(), record.line, batch->timestamp_error(i));
            ++events;
            stopped = stop_after(accepted, read, reader.name(), record.line, failure);
            if (read.progress && events + skipped >= progress_at + 0x10000) {
                progress_at = events + skipped;
                progress(batch->input_bytes(), progress_at);
            }
        }
        if (stopped) {
            bad_lines_before_stop = reader.bad_lines() - batch->bad_lines() + b;
        } else {
            while (b < bad.size()) hold(bad[b++].line);
            skipped_base += batch->skipped();
            if (batch->failure()) failure = batch->failure();
        }
        if (shards) run_shards(*shards, *batch, read, reader.name());
        if (stopped) break;
    }
    drain();
    if (stopped) {
        if (read.progress) read.progress(reader.input_bytes(), events + skipped);
        stats.skipped_events += skipped;
        stats.bad_lines += bad_lines_before_stop;
        stats.bytes = bytes_before + reader.bytes();
        if (failure && error) *error = *failure;
        return !failure;
    }
    if (read.progress) read.progress(reader.input_bytes(), reader.events() + reader.skipped());
    next_ordinal += reader.skipped() - skipped;
    stats.skipped_events += reader.skipped();
    stats.bad_lines += reader.bad_lines();
    stats.bytes = bytes_before + reader.bytes();
    if (failure) {
        if (error) *error = *failure;
        return false;
    }
    return true;
}

size_t Engine::Impl::valid_queries() const {
    return static_cast<size_t>(
        std::count_if(queries.begin(), queries.end(), [](const QueryState& q) { return !q.disabled(); }));
}

// Runs a batch's deferred entries on the rule shards, then does what the sequential engine would have done,
// in its order: the reports, each entry's results (in query order) and the progress calls.
// The batch runs in parts that end at the state checks, each check seeing the state (and coming in the
// order of the other steps) as in the sequential engine.
void Engine::Impl::run_shards(engine::RuleShards& shards, const input::ReadBatch& batch, const ReadOptions& read,
                              std::string_view reader_name) {
    deferred.active = false;
    size_t begin = 0;
    size_t next_step = 0;
    // Entries [begin, end), and the steps before entry `end`.
    auto part = [&](size_t end) {
        collecting = &shards;
        shards.run(batch, deferred.entries, begin, end);
        collecting = nullptr;
        add(shards.take_counters());
        begin = end;
        for (; next_step < deferred.steps.size(); ++next_step) {
            const Step& step = deferred.steps[next_step];
            if (step.kind == Step::Kind::entry && step.index >= end) return;
            replay(shards, step, read, batch, reader_name);
        }
    };
    for (const size_t checkpoint : deferred.checkpoints) {
        part(checkpoint);
        check_state();
    }
    part(deferred.entries.size());
    shards.clear_matches();
    deferred.clear();
}

void Engine::Impl::replay(engine::RuleShards& shards, const Step& step, const ReadOptions& read,
                          const input::ReadBatch& batch, std::string_view reader_name) {
    switch (step.kind) {
        case Step::Kind::report: report_bad(std::move(deferred.reports[step.index])); break;
        case Step::Kind::entry: {
            const auto entry = static_cast<uint32_t>(step.index);
            shards.take_matches(entry, [&](size_t q, Match&& m) { deliver(q, std::move(m)); });
            if (auto problem = shards.take_invalid(entry)) {
                const engine::RuleShards::Entry& e = deferred.entries[step.index];
                invalid_event(reader_name, batch.line(e.event), batch.source(e.event), batch.has_timestamp(e.event),
                              e.ordinal, *problem);
            }
            break;
        }
        case Step::Kind::progress: {
            const auto [bytes, count] = deferred.progress_calls[step.index];
            read.progress(bytes, count);
            break;
        }
    }
}

}  // namespace eqlc
