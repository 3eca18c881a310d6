// What every run of the eqlc tool sets up (see run_setup.hpp).
#include "run_setup.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "eqlc/alert.hpp"
#include "eqlc/match.hpp"
#include "eqlc/printable.hpp"
#include "eqlc/rule_query.hpp"
#include "eqlc/why_not.hpp"

namespace eqlc::cli {

namespace fs = std::filesystem;

void print_diagnostics(const eqlc::Diagnostics& diagnostics, const Source& source) {
    for (const auto& d : diagnostics) {
        if (source.rule && source.rule->source_text) {
            std::cerr << eqlc::format_diagnostic(source.rule->to_file_diagnostic(d), *source.rule->source_text,
                                                 eqlc::printable(source.rule->path.string()));
        } else {
            std::cerr << eqlc::format_diagnostic(d, source.text, source.origin);
        }
    }
}

// Loads the rules of every path (files or folders), reporting the files that give no rule. Returns false
// when any file was refused or a path is unusable.
bool load_rules(const std::vector<std::string>& paths, std::vector<eqlc::rules::FolderLoad>& loads) {
    bool ok = true;
    for (const auto& path : paths) {
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            std::cerr << "eqlc: " << eqlc::printable(path) << ": no such file or folder\n";
            ok = false;
            continue;
        }
        loads.push_back(eqlc::rules::load_rule_folder(path));
        const auto& load = loads.back();
        for (const auto& d : load.diagnostics)
            std::cerr << "eqlc: " << eqlc::printable(path) << ": " << eqlc::printable(d.message) << '\n';
        if (!load.diagnostics.empty()) ok = false;
        for (const auto& file : load.files) {
            for (const auto& d : file.diagnostics)
                std::cerr << eqlc::format_diagnostic(d, file.text(), eqlc::printable(file.path.string()));
            if (file.refused()) {
                std::cerr << "eqlc: " << eqlc::printable(file.path.string())
                          << ": rule not loaded: " << eqlc::printable(file.reason()) << '\n';
                ok = false;
            }
        }
    }
    return ok;
}

void add_rule_sources(const std::vector<eqlc::rules::FolderLoad>& loads, std::vector<Source>& out) {
    for (const auto& load : loads)
        for (const eqlc::rules::Rule* rule : load.rules()) out.push_back({rule->query, rule->name, rule});
}

void add_inline_sources(const Options& options, std::vector<Source>& out) {
    for (size_t i = 0; i < options.queries.size(); ++i)
        out.push_back({options.queries[i],
                       options.queries.size() == 1 ? "<query>" : "<query " + std::to_string(i + 1) + ">", nullptr});
}

// The query options of a rule: the run's, with the rule's own field overrides.
eqlc::QueryOptions options_for(const Source& source, const eqlc::QueryOptions& base) {
    eqlc::QueryOptions out = base;
    if (source.rule) {
        if (source.rule->timestamp_override) out.timestamp_field = *source.rule->timestamp_override;
        if (source.rule->event_category_override) out.event_category_field = *source.rule->event_category_override;
        if (source.rule->tiebreaker_field) out.tiebreaker_field = *source.rule->tiebreaker_field;
    }
    return out;
}

// The engine's queries: each source's text with its rule's field settings.
std::vector<eqlc::QuerySource> query_sources(const std::vector<Source>& sources) {
    std::vector<eqlc::QuerySource> queries;
    for (const auto& source : sources)
        queries.push_back(source.rule ? eqlc::authoring::rule_query(*source.rule)
                                      : eqlc::QuerySource(source.text, source.origin));
    return queries;
}

namespace {

// A sequence's or sample's stages, one line each (why a rule did not fire): the events each passed, and what
// happened to the partials waiting there; counters that are zero are left out, except `passed`.
bool stage_activity(const eqlc::QueryStageStats& q) {
    bool active = q.until_events || q.completed;
    for (const auto& st : q.stages) active = active || st.passed;
    return active;
}

void print_stages(const eqlc::QueryStageStats& q, const std::string& name) {
    std::fprintf(stderr, "    %s\n", name.c_str());
    for (const std::string& line : eqlc::describe_stages(q)) std::fprintf(stderr, "      %s\n", line.c_str());
}

}  // namespace

void print_stats(const eqlc::Engine& engine, const Options& options, double seconds) {
    const auto& s = engine.stats();
    const uint64_t events = s.events + s.skipped_events;
    const double rate = seconds > 0 ? static_cast<double>(events) / seconds : 0;
    const double mbps = seconds > 0 ? static_cast<double>(s.bytes) / seconds / 1e6 : 0;
    std::fprintf(stderr, "eqlc: stats\n");
    std::fprintf(stderr, "  events read             %llu\n", static_cast<unsigned long long>(events));
    std::fprintf(stderr, "    run through rules     %llu\n", static_cast<unsigned long long>(s.events));
    std::fprintf(stderr, "    skipped by prefilter  %llu\n", static_cast<unsigned long long>(s.skipped_events));
    std::fprintf(stderr, "  bytes read              %llu\n", static_cast<unsigned long long>(s.bytes));
    std::fprintf(stderr, "  bad lines               %llu\n", static_cast<unsigned long long>(s.bad_lines));
    std::fprintf(stderr, "  events without time     %llu\n",
                 static_cast<unsigned long long>(s.events_without_timestamp));
    std::fprintf(stderr, "  rule-time fields absent %llu\n",
                 static_cast<unsigned long long>(s.query_events_without_timestamp));
    // Late: run out of time order. Without a reorder window, every event that arrived out of order is; with one,
    // only those it could not put back (the others were reordered).
    const uint64_t late = options.reorder_window_ns ? s.late_events : options.sort ? 0 : s.out_of_order;
    std::fprintf(stderr, "  late events             %llu\n", static_cast<unsigned long long>(late));
    if (options.reorder_window_ns && s.out_of_order)
        std::fprintf(stderr, "  arrived out of order    %llu  (%llu put back in order by the reorder window)\n",
                     static_cast<unsigned long long>(s.out_of_order),
                     static_cast<unsigned long long>(s.out_of_order - std::min(s.out_of_order, s.late_events)));
    std::fprintf(stderr, "  evicted keys            %llu\n", static_cast<unsigned long long>(s.evicted_keys));
    // After finish() the partials it discarded; after a stop by signal (no finish()) those still pending.
    std::fprintf(stderr, "  partials left at end    %llu\n",
                 static_cast<unsigned long long>(s.partials_at_finish + s.pending_partials));
    std::fprintf(stderr, "  evaluation errors       %llu\n", static_cast<unsigned long long>(s.evaluation_errors));
    if (s.indexed_terms + s.always_run_terms)
        std::fprintf(stderr, "  rule index              %llu terms on %llu fields, %llu run on every event\n",
                     static_cast<unsigned long long>(s.indexed_terms), static_cast<unsigned long long>(s.index_fields),
                     static_cast<unsigned long long>(s.always_run_terms));
    std::fprintf(stderr, "  elapsed                 %.3f s  (%.0f events/s, %.1f MB/s)\n", seconds, rate, mbps);
    std::fprintf(stderr, "  threads running rules   %u\n", s.query_threads);
    std::fprintf(stderr, "  alerts per rule\n");
    for (size_t q = 0; q < engine.query_count(); ++q)
        std::fprintf(stderr, "    %8llu  %s\n", static_cast<unsigned long long>(s.matches[q]),
                     eqlc::printable(engine.query_name(q)).c_str());
    bool header = false;
    for (size_t q = 0; q < engine.query_count() && q < s.stages_by_query.size(); ++q) {
        if (!stage_activity(s.stages_by_query[q])) continue;
        if (!header) std::fprintf(stderr, "  stages per rule (sequences and samples with activity)\n");
        header = true;
        print_stages(s.stages_by_query[q], eqlc::printable(engine.query_name(q)));
    }
}

bool setup_run(const Options& options, const eqlc::QueryOptions& query_options, RunSetup& setup) {
    if (options.rule_path) {
        if (!load_rules({*options.rule_path}, setup.loads)) setup.status = 2;
        add_rule_sources(setup.loads, setup.sources);
        if (setup.sources.empty()) {
            // One line per problem: when loading already said why, there is nothing to add.
            if (setup.status == 0) std::cerr << "eqlc: " << eqlc::printable(*options.rule_path) << ": no rule to run\n";
            return false;
        }
    } else {
        add_inline_sources(options, setup.sources);
    }

    eqlc::EngineOptions& engine_options = setup.engine_options;
    engine_options.query = query_options;
    engine_options.size = options.size;
    engine_options.result_position = options.head ? eqlc::ResultPosition::head : eqlc::ResultPosition::tail;
    engine_options.sort_input = options.sort;
    engine_options.line_prefilter = options.prefilter;
    engine_options.rule_index = options.rule_index;
    engine_options.reorder_window_ns = options.reorder_window_ns;
    engine_options.max_samples_per_key = options.max_samples_per_key;
    if (options.max_keys) engine_options.max_keys = *options.max_keys;
    if (options.max_state_bytes) engine_options.max_state_bytes = *options.max_state_bytes;

    // Compile every rule once; a rule that does not compile is reported and left out, the others run.
    engine_options.skip_invalid_queries = true;
    auto compiled = eqlc::CompiledQueries::compile(query_sources(setup.sources), engine_options);
    for (const auto& problem : compiled.problems) {
        const Source& source = setup.sources[problem.query];
        print_diagnostics(problem.diagnostics, source);
        if (source.rule) std::cerr << "eqlc: " << eqlc::printable(source.rule->path.string()) << ": rule not run\n";
        setup.status = 2;
    }
    setup.compiled = std::move(compiled.queries);
    setup.engine = eqlc::Engine::create(setup.compiled, engine_options);
    return setup.engine != nullptr;
}

std::string alert_text(const Source& source, const eqlc::Match& match, bool pretty) {
    return pretty ? eqlc::alert_to_pretty(match, source.origin, source.rule)
                  : eqlc::alert_to_ndjson(match, source.origin, source.rule) + '\n';
}

void warn_state_limit(const eqlc::Engine& engine, const eqlc::EngineOptions& options,
                      const eqlc::StateLimitReached& reached) {
    std::cerr << "eqlc: warning: rule " << eqlc::printable(engine.query_name(reached.query))
              << ": state limit reached ("
              << (reached.limit == eqlc::StateLimit::max_keys ? std::to_string(options.max_keys) + " join keys per rule"
                  : reached.limit == eqlc::StateLimit::max_state_bytes
                      ? std::to_string(options.max_state_bytes) + " bytes for all rules"
                      : std::to_string(options.max_query_state_bytes) + " bytes per rule")
              << "); least recently used keys are being dropped, alerts may be lost; raise "
                 "--max-state-bytes/--max-keys\n";
}

void warn_at_end(const eqlc::EngineStats& stats, const Options& options) {
    if (stats.out_of_order && !options.sort && !options.reorder_window_ns)
        std::cerr << "eqlc: warning: " << stats.out_of_order
                  << " events arrived earlier than the event before them; results follow input order. "
                     "Use --sort (or --reorder-window) for time order.\n";
    if (stats.late_events)
        std::cerr << "eqlc: warning: " << stats.late_events
                  << " events came later than the reorder window and were run out of order; use a larger "
                     "--reorder-window or --sort.\n";
    if (stats.evicted_keys) {
        const auto rule_count = std::count_if(stats.evicted_keys_by_query.begin(), stats.evicted_keys_by_query.end(),
                                              [](uint64_t n) { return n > 0; });
        std::cerr << "eqlc: warning: " << stats.evicted_keys << " join keys with pending sequence/sample state were "
                  << "dropped by the state limits in " << rule_count << (rule_count == 1 ? " rule" : " rules")
                  << "; alerts may have been lost\n";
    }
}

}  // namespace eqlc::cli
