// eqlc — the command-line front of the library. It parses arguments, reads files, and prints what the
// library returns; every EQL decision is made in lib/.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/mapping.hpp"
#include "eqlc/query.hpp"
#include "options.hpp"

namespace {

constexpr std::string_view kVersion = "0.1.0";

using eqlc::cli::Mode;
using eqlc::cli::Options;

int usage_error(const std::string& message) {
    std::cerr << "eqlc: " << message << "\nTry 'eqlc --help' for more information.\n";
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

void print_diagnostics(const eqlc::Diagnostics& diagnostics, std::string_view source, std::string_view origin) {
    for (const auto& d : diagnostics) std::cerr << eqlc::format_diagnostic(d, source, origin);
}

struct Source {
    std::string text;
    std::string origin;
};

// The query sources of a --check/--explain run (inline queries first, then files). False if a file is unreadable.
bool collect_sources(const Options& options, std::vector<Source>& out) {
    bool ok = true;
    for (size_t i = 0; i < options.queries.size(); ++i)
        out.push_back({options.queries[i],
                       options.queries.size() == 1 ? "<query>" : "<query " + std::to_string(i + 1) + ">"});
    for (const auto& path : options.files) {
        std::string text, error;
        if (!read_file(path, text, error)) {
            std::cerr << "eqlc: cannot read " << path << ": " << error << '\n';
            ok = false;
            continue;
        }
        if (path.ends_with(".toml")) {
            std::cerr << "eqlc: " << path << ": detection-rules TOML files are not supported yet; pass the .eql query\n";
            ok = false;
            continue;
        }
        out.push_back({std::move(text), path});
    }
    return ok;
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
            std::cerr << "eqlc: cannot read mapping " << *options.mapping_file << ": " << error << '\n';
            return false;
        }
        auto mapping = eqlc::Mapping::parse(text, &error);
        if (!mapping) {
            std::cerr << "eqlc: " << *options.mapping_file << ": not a usable mapping: " << error << '\n';
            return false;
        }
        out.mapping = std::make_shared<const eqlc::Mapping>(std::move(*mapping));
    }
    return true;
}

int check(const Options& options, const eqlc::QueryOptions& query_options) {
    std::vector<Source> sources;
    int status = collect_sources(options, sources) ? 0 : 2;
    for (const auto& source : sources) {
        const auto diagnostics = eqlc::check_query(source.text, query_options);
        if (diagnostics.empty()) {
            std::cout << source.origin << ": valid\n";
        } else {
            print_diagnostics(diagnostics, source.text, source.origin);
            status = 2;
        }
    }
    return status;
}

int explain(const Options& options, const eqlc::QueryOptions& query_options) {
    std::vector<Source> sources;
    int status = collect_sources(options, sources) ? 0 : 2;
    for (const auto& source : sources) {
        const auto explanation = eqlc::explain_query(source.text, query_options);
        if (!explanation.diagnostics.empty()) {
            print_diagnostics(explanation.diagnostics, source.text, source.origin);
            status = 2;
            continue;
        }
        std::cout << "# " << source.origin << ": syntax tree\n"
                  << explanation.text << "# canonical EQL\n"
                  << explanation.canonical << "\n# bytecode\n"
                  << explanation.program;
    }
    return status;
}

int run(const Options& options, const eqlc::QueryOptions& query_options) {
    Source query;
    if (!options.queries.empty()) {
        query = {options.queries.front(), "<query>"};
    } else {
        std::string error;
        if (!read_file(*options.rule_file, query.text, error)) {
            std::cerr << "eqlc: cannot read " << *options.rule_file << ": " << error << '\n';
            return 2;
        }
        query.origin = *options.rule_file;
    }

    eqlc::EngineOptions engine_options;
    engine_options.query = query_options;
    engine_options.size = options.size;
    engine_options.result_position = options.head ? eqlc::ResultPosition::head : eqlc::ResultPosition::tail;
    engine_options.sort_input = options.sort;

    auto created = eqlc::Engine::create({{query.text, query.origin}}, engine_options);
    if (!created.engine) {
        for (const auto& problem : created.problems) print_diagnostics(problem.diagnostics, query.text, query.origin);
        return 2;
    }
    eqlc::Engine& engine = *created.engine;

    std::string line;
    engine.on_match([&](const eqlc::Match& match) {
        line = eqlc::match_to_ndjson(match, engine.query_name(match.query));
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
    });
    engine.on_bad_input([](const eqlc::BadInput& bad) {
        std::cerr << bad.origin << ':' << bad.line << ": " << bad.message << '\n';
    });

    int status = 0;
    std::vector<std::string> inputs = options.events;
    if (inputs.empty()) inputs.emplace_back("-");
    for (const auto& input : inputs) {
        eqlc::Diagnostic error;
        if (!engine.read_ndjson(input, {.strict = options.strict}, &error)) {
            std::cerr << "eqlc: " << error.message << '\n';
            status = 2;
            if (options.strict) break;
        }
    }
    engine.finish();
    std::fflush(stdout);

    const auto& stats = engine.stats();
    if (stats.out_of_order && !options.sort)
        std::cerr << "eqlc: warning: " << stats.out_of_order
                  << " events arrived earlier than the event before them; results follow input order. "
                     "Use --sort for time order.\n";
    if (status) return status;
    uint64_t matches = 0;
    for (uint64_t m : stats.matches) matches += m;
    return matches ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    const auto parsed = eqlc::cli::parse_arguments(args);
    if (!parsed.error.empty()) return usage_error(parsed.error);
    const Options& options = parsed.options;

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
