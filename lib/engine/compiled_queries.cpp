// Compiling a list of queries once, for any number of engines.
#include "engine/compiled_queries.hpp"

#include <algorithm>
#include <stdexcept>

#include "api/options.hpp"
#include "engine/rule_index.hpp"
#include "text/shared_work.hpp"

namespace eqlc {

namespace {

// A library with more terms than this gets no line prefilter: the union of that many terms' required texts is in
// nearly every line, and searching for them costs more than it saves (the 562 detection-rules EQL rules, 861
// terms, skipped 119 of 200,000 realistic ECS lines at 16% of the run time); the rule index does that job per
// field instead.
constexpr size_t kMaxPrefilterTerms = 64;

// The line prefilter over every term of every query (until and missing-event terms included: they change
// sequence state when they match). None when some term may match any line, or with too many terms. Marks in
// `needle_fields` (by slot) the fields the needles come from.
std::unique_ptr<input::LineFilter> build_line_filter(const std::vector<engine::QueryEntry>& queries,
                                                     std::vector<uint8_t>& needle_fields) {
    std::vector<compiler::RequiredText> terms;
    auto add = [&](const compiler::CompiledTerm& term) {
        if (term.required.never) return true;
        if (term.required.unconditional()) return false;
        terms.push_back(term.required);
        for (const uint32_t slot : term.required.fields) {
            if (slot >= needle_fields.size()) needle_fields.resize(slot + 1);
            needle_fields[slot] = 1;
        }
        return true;
    };
    for (const auto& q : queries) {
        if (!q.compiled) continue;
        for (const auto& term : q.compiled->terms)
            if (!add(term)) return nullptr;
        if (q.compiled->until && !add(*q.compiled->until)) return nullptr;
        if (terms.size() > kMaxPrefilterTerms) return nullptr;
    }
    std::string error;
    return input::LineFilter::create(terms, &error);  // null on error: no prefilter, nothing lost
}

// A query's compile options: the set's, with the query's own field settings.
compiler::CompileOptions query_options(const QuerySource& q, compiler::CompileOptions options) {
    if (q.timestamp_field) options.timestamp_field = *q.timestamp_field;
    if (q.event_category_field) options.event_category_field = *q.event_category_field;
    if (q.tiebreaker_field) options.tiebreaker_field = *q.tiebreaker_field;
    return options;
}

// Parses and checks every query (the half of compiling that needs no field catalog) on up to four threads when
// there are enough queries to share: a rules folder of a thousand queries compiles a good part faster.
std::vector<compiler::CheckedQuery> check_all(const std::vector<QuerySource>& queries,
                                              const std::vector<compiler::CompileOptions>& options) {
    std::vector<compiler::CheckedQuery> out(queries.size());
    constexpr size_t kQueriesPerThread = 64;
    text::share_work(queries.size(), kQueriesPerThread,
                     [&](size_t i) { out[i] = compiler::check_query_text(queries[i].text, options[i]); });
    return out;
}

}  // namespace

CompiledQueries::Impl::~Impl() = default;

CompiledQueries::CompiledQueries(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledQueries::~CompiledQueries() = default;

CompiledQueries::Result CompiledQueries::compile(std::vector<QuerySource> queries, const EngineOptions& options) {
    Result out;
    auto impl = std::make_unique<Impl>();
    impl->options = options.query;
    const compiler::CompileOptions compile_options = api::compile_options(options.query);
    impl->order_slot = impl->catalog.intern(options.query.timestamp_field);
    std::vector<compiler::CompileOptions> own;
    own.reserve(queries.size());
    for (const QuerySource& q : queries) {
        own.push_back(query_options(q, compile_options));
        own.back().notes = false;  // explain() compiles a query again with them
    }
    std::vector<compiler::CheckedQuery> checked = check_all(queries, own);
    for (size_t i = 0; i < queries.size(); ++i) {
        // Fields are interned here, one query after the other, so that slots are numbered as the list is ordered.
        auto result = compiler::compile_query(std::move(checked[i]), queries[i].text, own[i], impl->catalog);
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
    if (options.line_prefilter) impl->line_filter = build_line_filter(impl->queries, impl->needle_fields);
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
    if (options.rule_index) {
        try {
            impl->rule_index = std::make_unique<engine::RuleIndex>(impl->queries);
        } catch (const std::runtime_error&) {
            // Hyperscan refused the patterns' literals: every query runs on every event, with the same results.
            impl->rule_index.reset();
        }
    }
    out.queries.reset(new CompiledQueries(std::move(impl)));
    return out;
}

size_t CompiledQueries::size() const { return impl_->queries.size(); }

std::vector<std::string> CompiledQueries::fields() const {
    // The catalog holds every field a query reads (after schema aliases); the order, category and tiebreaker fields
    // are added even when no query tests them, since an embedder building events sets those on every one.
    std::vector<std::string> out = impl_->catalog.paths();
    auto add_settings = [&out](const std::optional<std::string>& timestamp, const std::optional<std::string>& category,
                               const std::optional<std::string>& tiebreaker) {
        for (const auto* field : {&timestamp, &category, &tiebreaker})
            if (*field) out.push_back(**field);
    };
    add_settings(impl_->options.timestamp_field, impl_->options.event_category_field, impl_->options.tiebreaker_field);
    for (const auto& q : impl_->queries)
        add_settings(q.source.timestamp_field, q.source.event_category_field, q.source.tiebreaker_field);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}
const QuerySource& CompiledQueries::source(size_t query) const { return impl_->queries.at(query).source; }
bool CompiledQueries::valid(size_t query) const { return impl_->queries.at(query).compiled.has_value(); }
bool CompiledQueries::prefiltered() const { return impl_->line_filter != nullptr; }

bool CompiledQueries::joins(size_t query) const {
    const auto& q = impl_->queries.at(query).compiled;
    return q && q->kind != ast::QueryKind::event;
}

std::vector<std::string> CompiledQueries::join_keys(size_t query) const {
    // Keys join by position (the i-th key of one term with the i-th of the next), so a key is shared only where every
    // term has it at the same place.
    std::vector<std::string> common;
    if (!joins(query)) return common;
    const auto& q = *impl_->queries.at(query).compiled;
    std::vector<const compiler::CompiledTerm*> terms;
    for (const auto& term : q.terms) terms.push_back(&term);
    if (q.until) terms.push_back(&*q.until);
    if (terms.empty()) return common;
    for (size_t i = 0; i < terms[0]->keys.size(); ++i) {
        const std::string& text = terms[0]->keys[i].text;
        if (std::all_of(terms.begin(), terms.end(),
                        [&](const auto* t) { return i < t->keys.size() && t->keys[i].text == text; }))
            common.push_back(text);
    }
    return common;
}

std::string CompiledQueries::explain_index() const {
    const engine::RuleIndex* index = impl_->rule_index.get();
    if (!index) return {};
    return "# rule index: " + std::to_string(index->indexed_terms()) + " of " + std::to_string(index->term_count()) +
           " terms indexed on " + std::to_string(index->fields()) + " fields; " +
           std::to_string(index->always_run_terms()) + " run on every event\n";
}

std::string CompiledQueries::explain_index(size_t query) const {
    const engine::RuleIndex* index = impl_->rule_index.get();
    const auto& q = impl_->queries.at(query);
    if (!index || !q.compiled) return {};
    std::string out;
    for (size_t t = 0; t < q.compiled->terms.size(); ++t)
        out += "  term " + std::to_string(t) + ": " + index->describe(index->term_id(query, t)) + "\n";
    if (q.compiled->until) out += "  until: " + index->describe(index->until_id(query)) + "\n";
    return out;
}

std::string CompiledQueries::explain() const {
    std::string out = explain_index();
    for (size_t i = 0; i < impl_->queries.size(); ++i) {
        const auto& q = impl_->queries[i];
        out += "# " + q.source.name + "\n";
        if (!q.compiled) {
            out += "(not compiled: invalid)\n";
            continue;
        }
        // The set was compiled without the instructions' notes: the query again with them, against a copy of the
        // set's catalog, which already holds its fields (so the slots are the same).
        vm::FieldCatalog catalog = impl_->catalog;
        const auto again =
            compiler::compile_query(q.source.text, query_options(q.source, api::compile_options(impl_->options)), catalog);
        out += compiler::explain(again.query ? *again.query : *q.compiled);
        if (impl_->rule_index) out += "\nrule index:\n" + explain_index(i);
    }
    return out;
}

}  // namespace eqlc
