// eqlc — the command-line front of the library. It parses arguments, reads files, and prints what the
// library returns; every EQL decision is made in lib/.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "alert_output.hpp"
#include "eqlc/diagnostics.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/mapping.hpp"
#include "eqlc/printable.hpp"
#include "eqlc/query.hpp"
#include "eqlc/rule.hpp"
#include "eqlc/rule_loader.hpp"
#include "input_reports.hpp"
#include "options.hpp"
#include "run_control.hpp"

namespace {

constexpr std::string_view kVersion = "0.1.0";

using eqlc::cli::install_stop_handlers;
using eqlc::cli::Mode;
using eqlc::cli::Options;
using eqlc::cli::stop_flag;
using eqlc::cli::stop_signal;
namespace fs = std::filesystem;

// With -j --mmap, plain event files are mapped into memory (Engine::ReadOptions::map_files). When another process
// truncates such a file while it is read, the next access to the lost pages raises SIGBUS: say what happened and
// exit with status 2 instead of dying with "Bus error".
char g_reading[4096] = "";  // the input being read (truncated to fit), for the handler

extern "C" void on_sigbus(int) {
    constexpr char kBefore[] = "eqlc: ";
    constexpr char kAfter[] =
        ": the file shrank while it was read (with --mmap it is mapped into memory; without, it "
        "is read instead)\n";
    (void)!::write(STDERR_FILENO, kBefore, sizeof kBefore - 1);
    (void)!::write(STDERR_FILENO, g_reading, ::strnlen(g_reading, sizeof g_reading));
    (void)!::write(STDERR_FILENO, kAfter, sizeof kAfter - 1);
    ::_exit(2);
}

void note_reading(const std::string& input) {
    const size_t n = std::min(input.size(), sizeof g_reading - 1);
    std::memcpy(g_reading, input.data(), n);
    g_reading[n] = '\0';
}

int usage_error(const std::string& message) {
    std::cerr << "eqlc: " << eqlc::printable(message) << "\nTry 'eqlc --help' for more information.\n";
    return 2;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno);
        return false;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    out = buffer.str();
    return true;
}

// A query to check, explain or run: inline (-e) or from a rule file.
struct Source {
    std::string text;
    std::string origin;  // how messages name it
    const eqlc::rules::Rule* rule = nullptr;
};

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
            if (!file.ok() && file.status != eqlc::rules::LoadStatus::companion) {
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

// The queries of a --check/--explain run: inline ones first, then every rule of the given files and folders.
// Returns 2 when a file gave no rule (it was reported), else 0.
int gather_sources(const Options& options, std::vector<eqlc::rules::FolderLoad>& loads, std::vector<Source>& out) {
    const int status = load_rules(options.files, loads) ? 0 : 2;
    add_inline_sources(options, out);
    add_rule_sources(loads, out);
    return status;
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

// Builds the query options shared by every mode; false (after a message) if the mapping cannot be used.
bool query_options_from(const Options& options, eqlc::QueryOptions& out) {
    out.timestamp_field = options.timestamp_field;
    out.event_category_field = options.event_category_field;
    out.tiebreaker_field = options.tiebreaker_field;
    out.max_depth = options.max_depth;
    if (options.mapping_file) {
        std::string text, error;
        if (!read_file(*options.mapping_file, text, error)) {
            std::cerr << "eqlc: cannot read mapping " << eqlc::printable(*options.mapping_file) << ": " << error
                      << '\n';
            return false;
        }
        eqlc::Diagnostic problem;
        auto mapping = eqlc::Mapping::parse(text, &problem);
        if (!mapping) {
            std::cerr << "eqlc: " << eqlc::printable(*options.mapping_file)
                      << ": not a usable mapping: " << problem.message << '\n';
            return false;
        }
        out.mapping = std::make_shared<const eqlc::Mapping>(std::move(*mapping));
    }
    return true;
}

int check(const Options& options, const eqlc::QueryOptions& query_options) {
    std::vector<eqlc::rules::FolderLoad> loads;  // owns the rules the sources point to
    std::vector<Source> sources;
    int status = gather_sources(options, loads, sources);
    for (const auto& source : sources) {
        const auto diagnostics = eqlc::check_query(source.text, options_for(source, query_options));
        if (diagnostics.empty()) {
            if (source.rule)
                std::cout << eqlc::printable(source.rule->path.string()) << ": valid (rule \""
                          << eqlc::printable(source.origin) << "\")\n";
            else
                std::cout << source.origin << ": valid\n";
        } else {
            print_diagnostics(diagnostics, source);
            status = 2;
        }
    }
    return status;
}

// The engine's queries: each source's text with its rule's field settings.
std::vector<eqlc::QuerySource> query_sources(const std::vector<Source>& sources) {
    std::vector<eqlc::QuerySource> queries;
    for (const auto& source : sources) {
        eqlc::QuerySource q(source.text, source.origin);
        if (source.rule) {
            q.timestamp_field = source.rule->timestamp_override;
            q.event_category_field = source.rule->event_category_override;
            q.tiebreaker_field = source.rule->tiebreaker_field;
            q.timestamp_fallback = !source.rule->timestamp_override_fallback_disabled;
        }
        queries.push_back(std::move(q));
    }
    return queries;
}

int explain(const Options& options, const eqlc::QueryOptions& query_options) {
    std::vector<eqlc::rules::FolderLoad> loads;  // owns the rules the sources point to
    std::vector<Source> sources;
    int status = gather_sources(options, loads, sources);
    // The rule index over the valid queries, as a run would build it.
    eqlc::EngineOptions engine_options;
    engine_options.query = query_options;
    engine_options.skip_invalid_queries = true;
    engine_options.line_prefilter = false;
    engine_options.rule_index = options.rule_index;
    const auto set = eqlc::CompiledQueries::compile(query_sources(sources), engine_options).queries;
    if (set) std::cout << set->explain_index();
    for (size_t i = 0; i < sources.size(); ++i) {
        const Source& source = sources[i];
        const auto explanation = eqlc::explain_query(source.text, options_for(source, query_options));
        if (!explanation.diagnostics.empty()) {
            print_diagnostics(explanation.diagnostics, source);
            status = 2;
            continue;
        }
        if (source.rule && source.rule->timestamp_override) {
            // Which field gives an event's time (Kibana's timestamp_override and its fallback).
            std::cout << "# timestamp: " << *source.rule->timestamp_override;
            if (source.rule->timestamp_override_fallback_disabled)
                std::cout << " (events without it are skipped)\n";
            else
                std::cout << ", else " << query_options.timestamp_field << '\n';
        }
        std::cout << "# " << eqlc::printable(source.origin) << ": syntax tree\n"
                  << explanation.text << "# canonical EQL\n"
                  << explanation.canonical << "\n# bytecode\n"
                  << explanation.program;
        if (set && set->valid(i)) {
            const std::string index = set->explain_index(i);
            if (!index.empty()) std::cout << "# rule index\n" << index;
        }
    }
    return status;
}

// The progress line: on stderr, rewritten in place, only where a person watches it.
class Progress {
public:
    Progress(bool enabled) : enabled_(enabled) {}

    void update(const std::string& input, uint64_t input_bytes, uint64_t events, uint64_t total_bytes) {
        if (!enabled_) return;
        char line[256];
        if (total_bytes)
            std::snprintf(line, sizeof line, "\reqlc: %s %3.0f%%  %llu events ", input.c_str(),
                          100.0 * static_cast<double>(input_bytes) / static_cast<double>(total_bytes),
                          static_cast<unsigned long long>(events));
        else
            std::snprintf(line, sizeof line, "\reqlc: %s  %llu events ", input.c_str(),
                          static_cast<unsigned long long>(events));
        std::fputs(line, stderr);
        shown_ = true;
    }
    void clear() {
        if (shown_) std::fputs("\r\033[K", stderr);
        shown_ = false;
    }

private:
    bool enabled_;
    bool shown_ = false;
};

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
}

int run(const Options& options, const eqlc::QueryOptions& query_options) {
    const auto started = std::chrono::steady_clock::now();
    std::vector<eqlc::rules::FolderLoad> loads;
    int status = 0;
    std::vector<Source> sources;
    if (options.rule_path) {
        if (!load_rules({*options.rule_path}, loads)) status = 2;
        add_rule_sources(loads, sources);
        if (sources.empty()) {
            // One line per problem: when loading already said why, there is nothing to add.
            if (status == 0) std::cerr << "eqlc: " << eqlc::printable(*options.rule_path) << ": no rule to run\n";
            return 2;
        }
    } else {
        add_inline_sources(options, sources);
    }

    if (options.threads != 1 && options.map_files) std::signal(SIGBUS, on_sigbus);

    eqlc::EngineOptions engine_options;
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
    auto created = eqlc::Engine::create(query_sources(sources), engine_options);
    for (const auto& problem : created.problems) {
        const Source& source = sources[problem.query];
        print_diagnostics(problem.diagnostics, source);
        if (source.rule) std::cerr << "eqlc: " << eqlc::printable(source.rule->path.string()) << ": rule not run\n";
        status = 2;
    }
    if (!created.engine) return 2;
    const std::vector<Source>& runnable = sources;
    eqlc::Engine& engine = *created.engine;

    // Alerts are written as soon as they are final (alert_output.hpp); a write error or a signal stops the run.
    install_stop_handlers();
    eqlc::cli::AlertOutput output(STDOUT_FILENO);
    const bool pretty = options.format == "pretty";
    std::string out;
    engine.on_match([&](const eqlc::Match& match) {
        const Source& source = runnable[match.query];
        std::optional<eqlc::AlertRule> alert_rule;
        if (source.rule) {
            const auto& rule = *source.rule;
            alert_rule = eqlc::AlertRule{rule.rule_id, rule.name, rule.severity, rule.risk_score};
            if (!rule.severity_mapping.empty() || !rule.risk_score_mapping.empty()) {
                // The overrides read the last event of the alert (for the WMI rule: the spawned process).
                for (auto it = match.events.rbegin(); it != match.events.rend(); ++it) {
                    if (it->missing) continue;
                    const auto last = nlohmann::json::parse(it->source, nullptr, false);
                    auto [severity, risk] = eqlc::rules::effective_severity(rule, last);
                    alert_rule->severity = severity;
                    alert_rule->risk_score = risk;
                    break;
                }
            }
        }
        const eqlc::AlertRule* rule_ptr = alert_rule ? &*alert_rule : nullptr;
        out = pretty ? eqlc::match_to_pretty(match, source.origin, rule_ptr)
                     : eqlc::match_to_ndjson(match, source.origin, rule_ptr) + '\n';
        output.write(out);
    });
    Progress progress(false);
    eqlc::cli::InputReports reports([&] { progress.clear(); });
    engine.on_bad_input([&](const eqlc::BadInput& bad) { reports.report(bad); });
    engine.on_state_limit([&](const eqlc::StateLimitReached& reached) {
        progress.clear();
        std::cerr << "eqlc: warning: rule " << eqlc::printable(engine.query_name(reached.query))
                  << ": state limit reached ("
                  << (reached.limit == eqlc::StateLimit::max_keys
                          ? std::to_string(engine_options.max_keys) + " join keys per rule"
                      : reached.limit == eqlc::StateLimit::max_state_bytes
                          ? std::to_string(engine_options.max_state_bytes) + " bytes for all rules"
                          : std::to_string(engine_options.max_query_state_bytes) + " bytes per rule")
                  << "); least recently used keys are being dropped, alerts may be lost; raise "
                     "--max-state-bytes/--max-keys\n";
    });

    std::vector<std::string> inputs = options.events;
    if (inputs.empty()) inputs.emplace_back("-");
    std::unique_ptr<eqlc::cli::StdinRelay> relay;
    if (std::find(inputs.begin(), inputs.end(), "-") != inputs.end()) {
        std::string why;
        relay = eqlc::cli::StdinRelay::start(why);
        if (!why.empty()) std::cerr << "eqlc: " << why << '\n';  // read directly then: a stop waits for the next line
    }
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    for (const auto& input : inputs) {
        if (stop_flag().load()) break;
        std::error_code ec;
        const bool regular = input != "-" && fs::is_regular_file(input, ec);
        const uint64_t total = regular ? fs::file_size(input, ec) : 0;
        progress = Progress(options.progress == Options::Progress::on ||
                            (options.progress == Options::Progress::automatic && terminal && regular));
        eqlc::Engine::ReadOptions read_options;
        read_options.strict = options.strict;
        read_options.threads = options.threads;
        read_options.map_files = options.map_files;
        read_options.progress = [&](uint64_t bytes, uint64_t events) {
            progress.update(eqlc::printable(input), bytes, events, total);
        };
        read_options.stop = &stop_flag();
        eqlc::Diagnostic error;
        note_reading(eqlc::printable(input));
        reports.start();
        const uint64_t problems_before = eqlc::cli::input_problems(engine.stats());
        const bool read = engine.read_ndjson(input, read_options, &error);
        progress.clear();
        reports.end(input, eqlc::cli::input_problems(engine.stats()) - problems_before);
        if (!read) {
            std::cerr << "eqlc: " << eqlc::printable(error.message) << '\n';
            status = 2;
            if (options.strict) break;
        }
    }
    relay.reset();
    // A stop (a signal, or alerts that cannot be written) ends the run where it is: what is pending (partial
    // sequences, results held back by --size, events in the reorder window or read for --sort) is not completed.
    const bool stopped = stop_flag().load();
    if (!stopped) engine.finish();
    if (!output.flush()) {
        std::cerr << "eqlc: cannot write alerts: " << std::strerror(output.error()) << '\n';
        status = 2;
    }

    const auto& stats = engine.stats();
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
    if (options.stats)
        print_stats(engine, options, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (output.failed()) return 2;
    if (const int sig = stop_signal()) {
        std::cerr << "eqlc: stopped by " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << '\n';
        return 128 + sig;
    }
    if (status) return status;
    uint64_t alerts = 0;
    for (uint64_t m : stats.matches) alerts += m;
    return alerts ? 1 : 0;
}

// What --help, --version, --check and --explain wrote to standard output must have been written: false (after a
// message) when it could not be (a full disk, a closed pipe).
bool stdout_written() {
    std::cout.flush();
    if (std::cout.good() && std::fflush(stdout) == 0 && !std::ferror(stdout)) return true;
    std::cerr << "eqlc: cannot write to standard output: " << std::strerror(errno) << '\n';
    return false;
}

int run_mode(const Options& options) {
    switch (options.mode) {
        case Mode::help: std::cout << eqlc::cli::kUsage; return 0;
        case Mode::version: std::cout << "eqlc " << kVersion << '\n'; return 0;
        default: break;
    }

    eqlc::QueryOptions query_options;
    if (!query_options_from(options, query_options)) return 2;
    switch (options.mode) {
        case Mode::check: return check(options, query_options);
        case Mode::explain: return explain(options, query_options);
        default: return run(options, query_options);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // a closed pipe is a write error (EPIPE), reported as such
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    const auto parsed = eqlc::cli::parse_arguments(args);
    if (!parsed.error.empty()) return usage_error(parsed.error);
    const int status = run_mode(parsed.options);
    return stdout_written() ? status : 2;
}
