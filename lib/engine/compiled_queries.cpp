// Compiling a list of queries once, for any number of engines.
#include "engine/compiled_queries.hpp"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>

#include "api/options.hpp"
#include "compiler/checked_query.hpp"

namespace eqlc {

namespace {

// The line prefilter over every term of every query (until and missing-event terms included: they change
// sequence state when they match). None when some term may match any line.
std::unique_ptr<input::LineFilter> build_line_filter(const std::vector<engine::QueryEntry>& queries) {
    std::vector<compiler::RequiredText> terms;
    auto add = [&](const compiler::CompiledTerm& term) {
        if (term.required.never) return true;
        if (term.required.unconditional()) return false;
        terms.push_back(term.required);
        return true;
    };
    for (const auto& q : queries) {
        if (!q.compiled) continue;
        for (const auto& term : q.compiled->terms)
            if (!add(term)) return nullptr;
        if (q.compiled->until && !add(*q.compiled->until)) return nullptr;
    }
    std::string error;
    return input::LineFilter::create(terms, &error);  // null on error: no prefilter, nothing lost
}

// Parses and checks queries on a helper thread, ahead of the loop that compiles them in order (neither needs the
// field catalog). The loop takes query i once the helper has done it, or does it itself when the helper has not
// started it yet: it never waits for more than the one query the helper is on.
class CheckAhead {
public:
    CheckAhead(const std::vector<QuerySource>& queries, const std::vector<compiler::CompileOptions>& options)
        : queries_(queries), options_(options), checked_(queries.size()), state_(queries.size()) {
        if (queries.size() < kHelperMin) return;
        try {
            helper_ = std::thread([this] {
                for (size_t i = 0; i < queries_.size() && !stop_.load(std::memory_order_relaxed); ++i)
                    if (!run(i, true)) return;
            });
        } catch (const std::system_error&) {
            // no thread: the loop does every query itself
        }
    }
    ~CheckAhead() {
        stop_ = true;
        if (helper_.joinable()) helper_.join();
    }
    CheckAhead(const CheckAhead&) = delete;
    CheckAhead& operator=(const CheckAhead&) = delete;

    compiler::CheckedQuery take(size_t i) {
        while (state_[i].load() != kDone) {
            run(i, false);
            state_[i].wait(kTaken);  // the helper's query: until it is done (or given back)
        }
        return std::move(checked_[i]);
    }

private:
    static constexpr size_t kHelperMin = 8;
    static constexpr uint8_t kFree = 0, kTaken = 1, kDone = 2;

    // Does query i unless another thread took it. On the helper, a failure (an exception) gives the query back to
    // the loop, which then meets the same failure itself; false then.
    bool run(size_t i, bool helper) {
        uint8_t expected = kFree;
        if (!state_[i].compare_exchange_strong(expected, kTaken)) return true;
        bool ok = true;
        if (!helper) {
            checked_[i] = compiler::parse_and_check(queries_[i].text, options_[i]);
        } else {
            try {
                checked_[i] = compiler::parse_and_check(queries_[i].text, options_[i]);
            } catch (...) {
                ok = false;
            }
        }
        state_[i].store(ok ? kDone : kFree);
        state_[i].notify_all();
        return ok;
    }

    const std::vector<QuerySource>& queries_;
    const std::vector<compiler::CompileOptions>& options_;
    std::vector<compiler::CheckedQuery> checked_;
    std::vector<std::atomic<uint8_t>> state_;  // per query: kFree, kTaken, kDone
    std::atomic<bool> stop_{false};
    std::thread helper_;
};

}  // namespace

CompiledQueries::CompiledQueries(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledQueries::~CompiledQueries() = default;

CompiledQueries::Result CompiledQueries::compile(std::vector<QuerySource> queries, const EngineOptions& options) {
    Result out;
    auto impl = std::make_unique<Impl>();
    impl->options = options.query;
    const compiler::CompileOptions compile_options = api::compile_options(options.query);
    impl->order_slot = impl->catalog.intern(options.query.timestamp_field);
    std::vector<compiler::CompileOptions> own(queries.size(), compile_options);
    for (size_t i = 0; i < queries.size(); ++i) {
        if (queries[i].timestamp_field) own[i].timestamp_field = *queries[i].timestamp_field;
        if (queries[i].event_category_field) own[i].event_category_field = *queries[i].event_category_field;
        if (queries[i].tiebreaker_field) own[i].tiebreaker_field = *queries[i].tiebreaker_field;
    }
    // Fields are interned in query order, so the queries are compiled one after the other; their parsing and
    // checking is done ahead on a helper thread.
    CheckAhead ahead(queries, own);
    for (size_t i = 0; i < queries.size(); ++i) {
        auto result = compiler::compile_checked(ahead.take(i), queries[i].text, own[i], impl->catalog);
        Impl::Query query{std::move(queries[i]), std::nullopt, std::nullopt, {}, 0};
        if (!result.ok()) {
            out.problems.push_back(QueryProblem{i, std::move(result.diagnostics)});
        } else {
            if (result.query->timestamp_slot != impl->order_slot) query.own_timestamp = result.query->timestamp_slot;
            query.compiled = std::move(*result.query);
        }
        // An invalid query keeps its place, so that query indexes stay those of the caller's list.
        impl->queries.push_back(std::move(query));
    }
    const bool any_valid = std::any_of(impl->queries.begin(), impl->queries.end(),
                                       [](const Impl::Query& q) { return q.compiled.has_value(); });
    if ((!out.problems.empty() && !options.skip_invalid_queries) || !any_valid) return out;

    // Every query has interned its fields: the projection reads exactly those.
    input::ProjectionOptions projection;
    projection.timestamp_slot = impl->order_slot;
    if (options.query.tiebreaker_field)
        projection.tiebreaker_slot = impl->catalog.intern(*options.query.tiebreaker_field);
    impl->plan = std::make_unique<input::ProjectionPlan>(impl->catalog, projection);
    if (options.line_prefilter) impl->line_filter = build_line_filter(impl->queries);
    // The values terms require: a bit for the most required ones, then each term's bits.
    for (const auto& q : impl->queries) {
        if (!q.compiled) continue;
        for (const auto& t : q.compiled->terms) impl->value_mask.count(t.exact_values);
        if (q.compiled->until) impl->value_mask.count(q.compiled->until->exact_values);
    }
    impl->value_mask.assign();
    for (auto& q : impl->queries) {
        if (!q.compiled) continue;
        for (const auto& t : q.compiled->terms) q.value_bits.push_back(impl->value_mask.bits(t.exact_values));
        if (q.compiled->until) q.until_value_bit = impl->value_mask.bits(q.compiled->until->exact_values);
    }
    out.queries.reset(new CompiledQueries(std::move(impl)));
    return out;
}

size_t CompiledQueries::size() const { return impl_->queries.size(); }
const QuerySource& CompiledQueries::source(size_t query) const { return impl_->queries.at(query).source; }
bool CompiledQueries::valid(size_t query) const { return impl_->queries.at(query).compiled.has_value(); }
bool CompiledQueries::prefiltered() const { return impl_->line_filter != nullptr; }

std::string CompiledQueries::explain() const {
    std::string out;
    for (const auto& q : impl_->queries) {
        out += "# " + q.source.name + "\n";
        if (!q.compiled) {
            out += "(not compiled: invalid)\n";
            continue;
        }
        out += compiler::explain(*q.compiled);
    }
    return out;
}

}  // namespace eqlc
