// eqlc — the command-line front of the library. It parses arguments, reads files, and prints what the
// library returns; every EQL decision is made in lib/.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "eqlc/query.hpp"

namespace {

constexpr std::string_view kVersion = "0.1.0";

constexpr std::string_view kUsage = R"(usage: eqlc --check FILE...           check EQL query files
       eqlc --check -e QUERY           check a query given on the command line
       eqlc --explain FILE             print the syntax tree of a query file
       eqlc --explain -e QUERY         print the syntax tree of a query
       eqlc --help | --version

Options:
  --check          Parse and check each query against Elasticsearch's EQL rules. Prints "FILE: valid"
                   for each valid query and one diagnostic per problem on stderr (FILE:LINE:COLUMN).
  --explain        Print the query's syntax tree and its canonical EQL text.
  -e, --query Q    Use the query text Q instead of a file.
  --max-depth N    Nesting depth limit for parentheses, not, unary minus and calls (default 200).
  -h, --help       Show this help.
  --version        Show the version.

Exit status: 0 when every query is valid, 2 when any query is invalid or a file cannot be read or the
command line is wrong.
)";

enum class Mode { none, check, explain };

struct Options {
    Mode mode = Mode::none;
    std::vector<std::string> files;
    std::vector<std::string> queries;
    uint32_t max_depth = 200;
};

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

// Runs `action` over each query source (inline queries, then files); returns the exit status.
template <typename Action>
int for_each_source(const Options& options, Action action) {
    int status = 0;
    for (size_t i = 0; i < options.queries.size(); ++i) {
        const std::string origin = options.queries.size() == 1 ? "<query>" : "<query " + std::to_string(i + 1) + ">";
        if (!action(options.queries[i], origin)) status = 2;
    }
    for (const auto& path : options.files) {
        std::string text, error;
        if (!read_file(path, text, error)) {
            std::cerr << "eqlc: cannot read " << path << ": " << error << '\n';
            status = 2;
            continue;
        }
        if (path.size() > 5 && path.ends_with(".toml")) {
            std::cerr << "eqlc: " << path << ": detection-rules TOML files are not supported yet; pass the .eql query\n";
            status = 2;
            continue;
        }
        if (!action(text, path)) status = 2;
    }
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg == "-h" || arg == "--help") {
            std::cout << kUsage;
            return 0;
        }
        if (arg == "--version") {
            std::cout << "eqlc " << kVersion << '\n';
            return 0;
        }
        if (arg == "--check") {
            options.mode = Mode::check;
        } else if (arg == "--explain") {
            options.mode = Mode::explain;
        } else if (arg == "-e" || arg == "--query") {
            if (i + 1 >= args.size()) return usage_error(std::string(arg) + " needs a query");
            options.queries.emplace_back(args[++i]);
        } else if (arg == "--max-depth") {
            if (i + 1 >= args.size()) return usage_error("--max-depth needs a number");
            const std::string value(args[++i]);
            char* end = nullptr;
            const unsigned long n = std::strtoul(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || n == 0 || n > 100000)
                return usage_error("--max-depth needs a number from 1 to 100000, got '" + value + "'");
            options.max_depth = static_cast<uint32_t>(n);
        } else if (arg.size() > 1 && arg[0] == '-') {
            return usage_error("unknown option '" + std::string(arg) + "'");
        } else {
            options.files.emplace_back(arg);
        }
    }

    if (options.mode == Mode::none) {
        if (options.files.empty() && options.queries.empty()) return usage_error("nothing to do");
        return usage_error("running queries over events is not available yet; use --check or --explain");
    }
    if (options.files.empty() && options.queries.empty())
        return usage_error(options.mode == Mode::check ? "--check needs a FILE or -e QUERY"
                                                       : "--explain needs a FILE or -e QUERY");

    const eqlc::QueryOptions query_options{.max_depth = options.max_depth};
    if (options.mode == Mode::check) {
        return for_each_source(options, [&](const std::string& text, const std::string& origin) {
            const auto diagnostics = eqlc::check_query(text, query_options);
            if (diagnostics.empty()) {
                std::cout << origin << ": valid\n";
                return true;
            }
            print_diagnostics(diagnostics, text, origin);
            return false;
        });
    }
    return for_each_source(options, [&](const std::string& text, const std::string& origin) {
        const auto explanation = eqlc::explain_query(text, query_options);
        if (!explanation.diagnostics.empty()) {
            print_diagnostics(explanation.diagnostics, text, origin);
            return false;
        }
        std::cout << "# " << origin << "\n" << explanation.text << "# canonical EQL\n" << explanation.canonical << '\n';
        return true;
    });
}
