#include "engine/rule_shards.hpp"

#include <algorithm>

namespace eqlc::engine {

namespace {

// What running a query over one event roughly costs: its instructions, and a little per term and key.
uint64_t estimated_cost(const compiler::CompiledQuery& query) {
    uint64_t cost = 0;
    auto add_term = [&](const compiler::CompiledTerm& term) {
        cost += 4 + term.filter->code.size();
        for (const auto& key : term.keys) cost += 2 + (key.program ? key.program->code.size() : 0);
    };
    for (size_t i = 0; i < query.terms.size(); ++i) {
        // `runs=N` terms share one filter, which is evaluated once.
        if (i > 0 && query.terms[i].filter == query.terms[i - 1].filter) continue;
        add_term(query.terms[i]);
    }
    if (query.until) add_term(*query.until);
    return cost;
}

}  // namespace

RuleShards::RuleShards(std::vector<QueryState>& queries, const vm::FieldCatalog& catalog, unsigned count,
                       const QueryRunner::Deliver& deliver, const ValueMask* values, const RuleIndex* index, bool noted,
                       std::span<const vm::SlotId> time_slots)
    : noted_(noted), time_slots_(time_slots.begin(), time_slots.end()) {
    std::vector<size_t> valid;
    for (size_t q = 0; q < queries.size(); ++q)
        if (!queries[q].disabled()) valid.push_back(q);
    const size_t n = std::max<size_t>(1, std::min<size_t>(count, valid.size()));

    // Largest first onto the least loaded shard; ties by query index, so that the split is deterministic.
    std::vector<uint64_t> cost(queries.size(), 0);
    for (const size_t q : valid) cost[q] = estimated_cost(queries[q].compiled);
    std::stable_sort(valid.begin(), valid.end(), [&](size_t a, size_t b) { return cost[a] > cost[b]; });
    std::vector<std::vector<size_t>> which(n);
    std::vector<uint64_t> load(n, 0);
    for (const size_t q : valid) {
        const size_t s = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        which[s].push_back(q);
        load[s] += cost[q];
    }
    owner_.assign(queries.size(), 0);
    for (size_t s = 0; s < n; ++s) {
        std::sort(which[s].begin(), which[s].end());
        for (const size_t q : which[s]) owner_[q] = static_cast<uint32_t>(s);
        shards_.push_back(
            std::make_unique<Shard>(queries, std::move(which[s]), catalog, deliver, values, index, noted && index));
    }
    for (size_t s = 1; s < n; ++s) threads_.emplace_back([this, s] { thread_main(*shards_[s]); });
}

RuleShards::~RuleShards() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    work_.notify_all();
    for (auto& t : threads_) t.join();
}

void RuleShards::run_shard(Shard& shard) {
    try {
        for (size_t i = begin_; i < end_; ++i) {
            const Entry& entry = entries_[i];
            shard.current = static_cast<uint32_t>(i);
            batch_->load(entry.event, shard.record, shard.loaded);
            shard.record.ordinal = entry.ordinal;
            const QueryRunner::Noted noted{batch_->note_ids(entry.event), batch_->note_bits(entry.event), time_slots_,
                                           batch_->note_words(entry.event)};
            shard.runner.process(shard.record, entry.pass, entry.tick, &slots_[i], &verdicts_[i],
                                 noted_ ? &noted : nullptr);
            if (const auto& problem = shard.runner.invalid()) shard.invalid.emplace_back(i, *problem);
        }
    } catch (...) {
        shard.error = std::current_exception();
    }
}

void RuleShards::thread_main(Shard& shard) {
    uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            work_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
        }
        run_shard(shard);
        {
            std::lock_guard lock(mutex_);
            if (--pending_ == 0) done_.notify_one();
        }
    }
}

void RuleShards::run(const input::ReadBatch& batch, std::span<const Entry> entries, size_t begin, size_t end) {
    if (begin >= end) return;
    if (slot_count_ < entries.size()) {
        slot_count_ = std::max(entries.size(), 2 * slot_count_);
        slots_ = std::make_unique<sequence::TextSlot[]>(slot_count_);
        verdicts_ = std::make_unique<std::atomic<uint8_t>[]>(slot_count_);
    }
    for (size_t i = begin; i < end; ++i) verdicts_[i].store(0, std::memory_order_relaxed);
    struct Release {  // the slots' references, also when a shard throws
        sequence::TextSlot* slots;
        size_t begin, end;
        ~Release() {
            for (size_t i = begin; i < end; ++i) slots[i].reset();
        }
    } release{slots_.get(), begin, end};
    {
        std::lock_guard lock(mutex_);
        batch_ = &batch;
        entries_ = entries;
        begin_ = begin;
        end_ = end;
        pending_ = threads_.size();
        ++generation_;
    }
    work_.notify_all();
    run_shard(*shards_[0]);
    {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return pending_ == 0; });
    }
    for (auto& s : shards_)
        if (s->error) {
            std::exception_ptr e = s->error;
            s->error = nullptr;
            std::rethrow_exception(e);
        }
}

void RuleShards::collect(size_t query, Match&& match) {
    Shard& shard = *shards_[owner_[query]];
    shard.results.push_back(Result{shard.current, query, std::move(match)});
}

void RuleShards::clear_matches() {
    for (auto& s : shards_) {
        s->results.clear();
        s->taken = 0;
        s->invalid.clear();
        s->invalid_taken = 0;
    }
}

std::optional<input::JsonProblem> RuleShards::take_invalid(uint32_t entry) {
    std::optional<input::JsonProblem> found;
    for (auto& s : shards_) {
        while (s->invalid_taken < s->invalid.size() && s->invalid[s->invalid_taken].first < entry) ++s->invalid_taken;
        if (s->invalid_taken < s->invalid.size() && s->invalid[s->invalid_taken].first == entry) {
            if (!found) found = std::move(s->invalid[s->invalid_taken].second);
            ++s->invalid_taken;
        }
    }
    return found;
}

RunCounters RuleShards::take_counters() {
    RunCounters sum;
    for (auto& s : shards_) {
        const RunCounters c = s->runner.take_counters();
        sum.evaluation_errors += c.evaluation_errors;
        sum.query_events_without_timestamp += c.query_events_without_timestamp;
        sum.truncated_key_products += c.truncated_key_products;
    }
    return sum;
}

void RuleShards::sync_time() {
    for (auto& s : shards_) s->runner.sync_time();
}

}  // namespace eqlc::engine
