// What every run of the eqlc tool sets up, whether it reads files once or runs continuously (service_run.hpp):
// the rules and inline queries as sources, the engine over them with its options, the alert text of a match, and
// the reports at the end of a run (warnings, --stats).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/rule.hpp"
#include "eqlc/rule_loader.hpp"
#include "options.hpp"

namespace eqlc::cli {

// A query to check, explain or run: inline (-e) or from a rule file.
struct Source {
    std::string text;
    std::string origin;  // how messages name it
    const eqlc::rules::Rule* rule = nullptr;
};

void print_diagnostics(const eqlc::Diagnostics& diagnostics, const Source& source);
// Loads the rules of every path (files or folders), reporting the files that give no rule. Returns false
// when any file was refused or a path is unusable.
bool load_rules(const std::vector<std::string>& paths, std::vector<eqlc::rules::FolderLoad>& loads);
void add_rule_sources(const std::vector<eqlc::rules::FolderLoad>& loads, std::vector<Source>& out);
void add_inline_sources(const Options& options, std::vector<Source>& out);
// The query options of a rule: the run's, with the rule's own field overrides.
eqlc::QueryOptions options_for(const Source& source, const eqlc::QueryOptions& base);
// The engine's queries: each source's text with its rule's field settings.
std::vector<eqlc::QuerySource> query_sources(const std::vector<Source>& sources);

// The rules of a run and the engine over them.
struct RunSetup {
    std::vector<eqlc::rules::FolderLoad> loads;  // owns the rules the sources point to
    std::vector<Source> sources;
    eqlc::EngineOptions engine_options;
    std::shared_ptr<const eqlc::CompiledQueries> compiled;
    std::unique_ptr<eqlc::Engine> engine;
    int status = 0;  // 2 when a rule was refused (the others run)
};
// Loads the rules (or the inline query) and creates the engine; a rule that does not compile is reported and left
// out. False (after the messages) when nothing can run.
bool setup_run(const Options& options, const eqlc::QueryOptions& query_options, RunSetup& setup);

// The alert for a match as the tool writes it: one NDJSON line with its newline, or a pretty summary.
std::string alert_text(const Source& source, const eqlc::Match& match, bool pretty);
// Says on stderr that a rule hit a state limit (Engine::on_state_limit); `before` clears a progress line.
void warn_state_limit(const eqlc::Engine& engine, const eqlc::EngineOptions& options,
                      const eqlc::StateLimitReached& reached);
// The warnings at the end of a run (events out of order, late, evicted state).
void warn_at_end(const eqlc::EngineStats& stats, const Options& options);
void print_stats(const eqlc::Engine& engine, const Options& options, double seconds);

}  // namespace eqlc::cli
