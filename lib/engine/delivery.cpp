// Where the engine's output goes: matches (sequences and samples through their sinks, every result through
// deliver()) and the reports of bad input.
#include "engine/engine_impl.hpp"

#include <nlohmann/json.hpp>

#include "sequence/key.hpp"
#include "values/timestamp.hpp"

namespace eqlc {

namespace {

// The join key values as Elasticsearch returns them. A date key is an instant internally (nanoseconds); a
// sequence returns the field's value as formatted by its date format (ISO-8601 with milliseconds, the default),
// a sample the composite aggregation's epoch milliseconds.
nlohmann::json key_to_json(sequence::KeyView key, const compiler::CompiledTerm& term, MatchKind kind) {
    nlohmann::json out = nlohmann::json::array();
    const auto values = sequence::decode_key(key);
    for (size_t i = 0; i < values.size(); ++i) {
        const vm::Value& v = values[i];
        const bool date = i < term.keys.size() && term.keys[i].type == vm::FieldType::date;
        switch (v.type) {
            case vm::ValueType::null: out.push_back(nullptr); break;
            case vm::ValueType::boolean: out.push_back(v.boolean); break;
            case vm::ValueType::integer:
                if (date && kind == MatchKind::sequence) {
                    out.push_back(input::format_iso8601(v.integer));
                } else if (date) {
                    out.push_back(v.integer / 1'000'000);
                } else {
                    out.push_back(v.integer);
                }
                break;
            case vm::ValueType::floating: out.push_back(v.floating); break;
            case vm::ValueType::string: out.push_back(std::string(v.str())); break;
        }
    }
    return out;
}

Match to_match(size_t query, MatchKind kind, sequence::KeyView key, std::span<const sequence::MatchEvent> events,
               const compiler::CompiledTerm& first_term) {
    Match match;
    match.query = query;
    match.kind = kind;
    match.join_keys = key_to_json(key, first_term, kind);
    match.events.reserve(events.size());
    for (const auto& e : events)
        match.events.push_back(MatchedEvent{e.missing, std::string(e.source), e.timestamp_ns, e.ordinal});
    return match;
}

}  // namespace

sequence::SequenceMatcher::Sink Engine::Impl::sequence_sink(size_t q) {
    return [this, q](const sequence::SequenceMatch& m) {
        queries[q].limiter.add(to_match(q, MatchKind::sequence, m.key, m.events, queries[q].compiled.terms.front()),
                               [this, q](Match&& match) { deliver(q, std::move(match)); });
    };
}

sequence::SampleMatcher::Sink Engine::Impl::sample_sink(size_t q) {
    return [this, q](const sequence::SampleMatch& m) {
        queries[q].limiter.add(to_match(q, MatchKind::sample, m.key, m.events, queries[q].compiled.terms.front()),
                               [this, q](Match&& match) { deliver(q, std::move(match)); });
    };
}

void Engine::Impl::report_bad(BadInput bad) {
    if (deferred.active) {
        deferred.steps.push_back(Step{Step::Kind::report, deferred.reports.size()});
        deferred.reports.push_back(std::move(bad));
        return;
    }
    if (bad_input_handler) bad_input_handler(bad);
}

// Where every result goes (event queries through the runners, sequences and samples through their sinks).
void Engine::Impl::deliver(size_t query, Match&& match) {
    if (collecting) {
        collecting->collect(query, std::move(match));
        return;
    }
    ++stats.matches[query];
    if (match_handler) match_handler(match);
}

}  // namespace eqlc
