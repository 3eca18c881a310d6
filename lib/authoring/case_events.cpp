#include "authoring/case_events.hpp"
#include "authoring/json_fields.hpp"

#include <algorithm>

#include "eqlc/engine.hpp"
#include "eqlc/why_not.hpp"

namespace eqlc::authoring {

namespace {

// Pushes every event, numbered by its index (its ordinal in matches), through an engine running `query`.
// Returns the engine after finish(), or null with `problem` set when the query is not valid.
std::unique_ptr<Engine> run(std::string_view query, const QueryOptions& options, const WhyNotOptions& settings,
                            const std::vector<std::string>& texts, const Engine::MatchHandler& on_match,
                            const Engine::BadInputHandler& on_bad, std::string& problem) {
    EngineOptions eo;
    eo.query = options;
    QuerySource source(std::string(query), "why-not");
    source.timestamp_field = settings.timestamp_field;
    source.event_category_field = settings.event_category_field;
    source.tiebreaker_field = settings.tiebreaker_field;
    source.timestamp_fallback = settings.timestamp_fallback;
    auto created = Engine::create({std::move(source)}, eo);
    if (!created.engine) {
        problem = "invalid query";
        if (!created.problems.empty() && !created.problems.front().diagnostics.empty())
            problem = created.problems.front().diagnostics.front().message;
        return nullptr;
    }
    created.engine->on_match(on_match);
    if (on_bad) created.engine->on_bad_input(on_bad);
    for (size_t i = 0; i < texts.size(); ++i) {
        const uint64_t line = i;
        PushOptions push;
        push.origin = "<case>";
        push.lines = std::span<const uint64_t>(&line, 1);
        push.lines_are_ordinals = true;
        created.engine->push_json(texts[i], push);
    }
    created.engine->finish();
    return std::move(created.engine);
}

}  // namespace

CaseEvents::CaseEvents(const QueryOptions& options, const WhyNotOptions& settings,
                       const std::vector<std::string>& events)
    : options_(options),
      settings_(settings),
      timestamp_field_(settings.timestamp_field.value_or(options.timestamp_field)),
      event_category_field_(settings.event_category_field.value_or(options.event_category_field)),
      has_tiebreaker_(settings.tiebreaker_field || options.tiebreaker_field) {
    texts_.reserve(events.size());
    for (std::string text : events) {
        // One line per event (PushOptions numbers lines); a line break in JSON is whitespace.
        std::replace(text.begin(), text.end(), '\n', ' ');
        std::replace(text.begin(), text.end(), '\r', ' ');
        docs_.push_back(nlohmann::json::parse(text, nullptr, false));
        texts_.push_back(std::move(text));
    }
    times_.assign(texts_.size(), std::nullopt);
    time_problems_.assign(texts_.size(), "");
    std::string problem;
    // The times the engine uses: those it reports for a condition that always holds.
    run(
        "any where true", options_, settings_, texts_,
        [&](const Match& m) {
            if (!m.events.empty() && m.events[0].ordinal < times_.size())
                times_[m.events[0].ordinal] = m.events[0].timestamp_ns;
        },
        [&](const BadInput& bad) {
            if (bad.line < time_problems_.size()) time_problems_[bad.line] = bad.message;
        },
        problem);
}

std::string CaseEvents::name(size_t event) const {
    const auto& names = settings_.event_names;
    if (event < names.size() && !names[event].empty()) return "event " + names[event];
    return "event #" + std::to_string(event + 1);
}

std::optional<bool> CaseEvents::holds(const std::string& query, size_t event) {
    auto it = verdicts_.find(query);
    if (it == verdicts_.end()) {
        std::vector<uint8_t> matched(texts_.size(), 0);
        std::string problem;
        auto engine = run(
            query, options_, settings_, texts_,
            [&](const Match& m) {
                if (!m.events.empty() && m.events[0].ordinal < matched.size()) matched[m.events[0].ordinal] = 1;
            },
            nullptr, problem);
        std::optional<std::vector<uint8_t>> verdict;
        if (engine) verdict = std::move(matched);
        it = verdicts_.emplace(query, std::move(verdict)).first;
        if (!engine) problem_ = problem;
    }
    if (!it->second) return std::nullopt;
    return (*it->second)[event] != 0;
}

std::vector<nlohmann::json> CaseEvents::values(size_t event, const std::string& field) const {
    if (event >= docs_.size()) return {};
    return field_values(docs_[event], field);
}

std::string CaseEvents::values_text(size_t event, const std::string& field) const {
    const auto found = values(event, field);
    if (found.empty()) return "missing";
    std::string out;
    if (found.size() > 1) out += '[';
    for (size_t i = 0; i < found.size(); ++i) {
        if (i) out += ", ";
        out += found[i].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    if (found.size() > 1) out += ']';
    if (out.size() > 200) out = out.substr(0, 200) + "...";
    return out;
}

std::optional<CaseEvents::Run> CaseEvents::run_query(std::string_view query) {
    Run result;
    std::string problem;
    auto engine = run(
        query, options_, settings_, texts_,
        [&](const Match& m) {
            std::vector<size_t> alert;
            for (const auto& e : m.events) alert.push_back(e.missing ? SIZE_MAX : static_cast<size_t>(e.ordinal));
            result.alerts.push_back(std::move(alert));
        },
        nullptr, problem);
    if (!engine) return std::nullopt;
    const auto& stats = engine->stats();
    if (!stats.stages_by_query.empty() && !stats.stages_by_query[0].stages.empty())
        result.stage_lines = describe_stages(stats.stages_by_query[0]);
    return result;
}

}  // namespace eqlc::authoring
