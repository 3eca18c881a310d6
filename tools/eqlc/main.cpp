// eqlc — the command-line front of the library. It parses arguments, reads files, and prints what the
// library returns; every EQL decision is made in lib/.
#include <sys/syscall.h>
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
#include "field_check_run.hpp"
#include "heap_pages.hpp"
#include "input_reports.hpp"
#include "options.hpp"
#include "run_control.hpp"
#include "run_setup.hpp"
#include "service_run.hpp"
#include "test_command.hpp"

namespace {

constexpr std::string_view kVersion = "0.1.0";

using eqlc::cli::add_inline_sources;
using eqlc::cli::add_rule_sources;
using eqlc::cli::install_stop_handlers;
using eqlc::cli::load_rules;
using eqlc::cli::Mode;
using eqlc::cli::Options;
using eqlc::cli::options_for;
using eqlc::cli::print_diagnostics;
using eqlc::cli::query_sources;
using eqlc::cli::Source;
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
    // exit_group by syscall rather than _exit: a call to a noreturn function is preceded, under AddressSanitizer, by
    // a stack check that warns on stderr when the signal landed on a thread whose stack it does not know yet.
    ::syscall(SYS_exit_group, 2);
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

// The queries of a --check/--explain run: inline ones first, then every rule of the given files and folders.
// Returns 2 when a file gave no rule (it was reported), else 0.
int gather_sources(const Options& options, std::vector<eqlc::rules::FolderLoad>& loads, std::vector<Source>& out) {
    const int status = load_rules(options.files, loads) ? 0 : 2;
    add_inline_sources(options, out);
    add_rule_sources(loads, out);
    return status;
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
    std::unique_ptr<eqlc::FieldChecker> fields;  // --schema
    if (!eqlc::cli::load_field_checker(options, fields)) return 2;
    eqlc::cli::FieldCheckTally tally;
    std::vector<eqlc::rules::FolderLoad> loads;  // owns the rules the sources point to
    std::vector<Source> sources;
    int status = gather_sources(options, loads, sources);
    for (const auto& source : sources) {
        const eqlc::QueryOptions source_options = options_for(source, query_options);
        auto diagnostics = eqlc::check_query(source.text, source_options);
        const bool valid = std::none_of(diagnostics.begin(), diagnostics.end(),
                                        [](const auto& d) { return d.severity == eqlc::Severity::error; });
        if (fields && valid) {
            auto more = fields->check(source.text, source_options);
            diagnostics.insert(diagnostics.end(), more.begin(), more.end());
        }
        if (fields) tally.add(diagnostics);
        print_diagnostics(diagnostics, source);
        const bool errors = std::any_of(diagnostics.begin(), diagnostics.end(),
                                        [](const auto& d) { return d.severity == eqlc::Severity::error; });
        if (errors) {
            status = 2;
            continue;
        }
        const std::string warned = diagnostics.empty() ? ""
                                                       : ", " + std::to_string(diagnostics.size()) +
                                                             (diagnostics.size() == 1 ? " warning" : " warnings");
        if (source.rule)
            std::cout << eqlc::printable(source.rule->path.string()) << ": valid (rule \""
                      << eqlc::printable(source.origin) << "\")" << warned << "\n";
        else
            std::cout << source.origin << ": valid" << warned << "\n";
    }
    if (fields) tally.print(options);
    return status;
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

// A run's rules, compiled set and engine once the run is over: left to the end of the process rather than freed
// piece by piece, which took milliseconds with a thousand rules (as compilers skip freeing their trees at exit).
// Reachable from here, they are no leak to a leak checker.
eqlc::cli::RunSetup* volatile finished_setup = nullptr;  // volatile: a store the optimizer must keep

int run(const Options& options, const eqlc::QueryOptions& query_options) {
    const auto started = std::chrono::steady_clock::now();
    auto owned = std::make_unique<eqlc::cli::RunSetup>();
    struct KeepToExit {
        std::unique_ptr<eqlc::cli::RunSetup>& setup;
        ~KeepToExit() { finished_setup = setup.release(); }
    } keep{owned};
    eqlc::cli::RunSetup& setup = *owned;
    if (!eqlc::cli::setup_run(options, query_options, setup)) return 2;
    int status = setup.status;
    if (options.threads != 1 && options.map_files) std::signal(SIGBUS, on_sigbus);
    const eqlc::EngineOptions& engine_options = setup.engine_options;
    const std::vector<Source>& runnable = setup.sources;
    eqlc::Engine& engine = *setup.engine;

    // Alerts are written as soon as they are final (alert_output.hpp); a write error or a signal stops the run.
    install_stop_handlers();
    eqlc::cli::AlertOutput output(STDOUT_FILENO);
    const bool pretty = options.format == "pretty";
    engine.on_match(
        [&](const eqlc::Match& match) { output.write(eqlc::cli::alert_text(runnable[match.query], match, pretty)); });
    Progress progress(false);
    eqlc::cli::InputReports reports([&] { progress.clear(); });
    engine.on_bad_input([&](const eqlc::BadInput& bad) { reports.report(bad); });
    engine.on_state_limit([&](const eqlc::StateLimitReached& reached) {
        progress.clear();
        eqlc::cli::warn_state_limit(engine, engine_options, reached);
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
    eqlc::cli::warn_at_end(stats, options);
    if (options.stats)
        eqlc::cli::print_stats(engine, options,
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
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
        case Mode::test: {
            eqlc::EngineOptions engine_options;
            engine_options.query = query_options;
            engine_options.max_samples_per_key = options.max_samples_per_key;
            return eqlc::cli::run_tests(options, engine_options);
        }
        default:
            return options.service() ? eqlc::cli::run_service(options, query_options) : run(options, query_options);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // a closed pipe is a write error (EPIPE), reported as such
    eqlc::cli::use_huge_heap_pages();
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    const auto parsed = eqlc::cli::parse_arguments(args);
    if (!parsed.error.empty()) return usage_error(parsed.error);
    const int status = run_mode(parsed.options);
    return stdout_written() ? status : 2;
}
