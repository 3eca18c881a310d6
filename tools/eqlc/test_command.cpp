// `eqlc test`: finds each rule's test file, runs it through the library (eqlc/rule_test.hpp) and prints the results.
#include "test_command.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "eqlc/printable.hpp"
#include "eqlc/rule_loader.hpp"
#include "eqlc/rule_test.hpp"
#include "junit_report.hpp"

namespace eqlc::cli {

namespace {

namespace fs = std::filesystem;
using authoring::CaseResult;

std::string joined(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ", ") + printable(id);
    return "[" + out + "]";
}

// The expected and the actual alerts side by side, aligned as a diff aligns lines (a longest common subsequence of
// the alerts' event ids), so that one missing alert does not shift every row after it. Runs of equal rows are
// folded into one line; rows that differ (or whose severity differs) are marked "!".
std::string side_by_side(const CaseResult& r) {
    const auto& ex = r.expected;
    const auto& ac = r.actual;
    std::vector<std::vector<size_t>> lcs(ex.size() + 1, std::vector<size_t>(ac.size() + 1, 0));
    for (size_t i = ex.size(); i-- > 0;)
        for (size_t j = ac.size(); j-- > 0;)
            lcs[i][j] = ex[i] == ac[j].ids ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    auto expected_text = [&](size_t i) {
        std::string t = std::to_string(i + 1) + ". " + joined(ex[i]);
        if (r.expected_severity) t += " " + (*r.expected_severity)[i];
        return t;
    };
    auto actual_text = [&](size_t j) {
        std::string t = std::to_string(j + 1) + ". " + joined(ac[j].ids);
        if (r.expected_severity) t += " " + ac[j].severity;
        return t;
    };
    struct Row {
        std::string left, right;
        bool differs;
    };
    std::vector<Row> rows;
    size_t i = 0, j = 0;
    while (i < ex.size() || j < ac.size()) {
        if (i < ex.size() && j < ac.size() && ex[i] == ac[j].ids) {
            const bool severity_differs = r.expected_severity && (*r.expected_severity)[i] != ac[j].severity;
            rows.push_back({expected_text(i), actual_text(j), severity_differs});
            ++i, ++j;
        } else if (j < ac.size() && (i == ex.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
            rows.push_back({"-", actual_text(j++), true});
        } else {
            rows.push_back({expected_text(i++), "-", true});
        }
    }
    if (ex.empty() || ac.empty())
        rows.push_back({ex.empty() ? "(no alert)" : "", ac.empty() ? "(no alert)" : "", false});
    size_t width = std::string_view("expected").size();
    for (const auto& row : rows) width = std::max(width, row.left.size());
    auto line = [&](std::string_view mark, const std::string& left, const std::string& right) {
        return std::string(mark) + left + std::string(width - left.size() + 3, ' ') + right + "\n";
    };
    std::string out = line("    ", "expected", "actual");
    for (size_t k = 0; k < rows.size();) {
        size_t same = 0;
        while (k + same < rows.size() && !rows[k + same].differs) ++same;
        if (same > 3) {  // a long run of equal alerts: its first and last row only
            out += line("    ", rows[k].left, rows[k].right);
            out += "    ... " + std::to_string(same - 2) + " equal alerts ...\n";
            out += line("    ", rows[k + same - 1].left, rows[k + same - 1].right);
            k += same;
            continue;
        }
        out += line(rows[k].differs ? "  ! " : "    ", rows[k].left, rows[k].right);
        ++k;
    }
    return out;
}

// What a failed case prints under its FAIL line (also the JUnit failure text).
std::string failure_text(const CaseResult& r) {
    std::string out;
    if (!r.error.empty()) out += "  error: " + printable(r.error) + (r.error.ends_with('\n') ? "" : "\n");
    for (const auto& report : r.reports) out += "  input: " + printable(report) + "\n";
    if (!r.error.empty()) return out;
    out += side_by_side(r);
    for (const auto& [index, why] : r.missing) {
        out += "  alert " + std::to_string(index + 1) + " " + joined(r.expected[index]) +
               " did not fire: " + printable(why.summary) + "\n";
        for (const auto& d : why.details) out += "      " + printable(d) + "\n";
    }
    for (size_t a : r.unexpected) out += "  alert " + joined(r.actual[a].ids) + " was not expected\n";
    return out;
}

// A rule file and its test file.
struct Pair {
    fs::path rule;
    fs::path tests;
};

// The rule of a test file given on the command line: X.test.toml -> X.toml, else X.eql.
std::optional<fs::path> rule_for_test_file(const fs::path& test) {
    const std::string name = test.filename().string();
    const std::string stem = name.substr(0, name.size() - std::string_view(".test.toml").size());
    for (const char* ext : {".toml", ".eql"}) {
        fs::path p = test.parent_path() / (stem + ext);
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return p;
    }
    return std::nullopt;
}

// The (rule, tests) pairs under the given paths; rules without a test file are counted in `untested`.
bool gather(const std::vector<std::string>& paths, std::vector<Pair>& out, std::vector<fs::path>& untested) {
    bool ok = true;
    for (const auto& path : paths) {
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            std::cerr << "eqlc: " << printable(path) << ": no such file or folder\n";
            ok = false;
            continue;
        }
        if (rules::is_rule_test_file(path)) {
            auto rule = rule_for_test_file(path);
            if (!rule) {
                std::cerr << "eqlc: " << printable(path) << ": no rule beside it (X.test.toml tests X.toml or X.eql)\n";
                ok = false;
            } else {
                out.push_back({*rule, path});
            }
            continue;
        }
        std::vector<fs::path> files;
        if (fs::is_directory(path, ec)) {
            for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (it->path().filename().string().starts_with(".")) {
                    if (it->is_directory(ec)) it.disable_recursion_pending();
                    continue;
                }
                const std::string ext = it->path().extension().string();
                if (it->is_regular_file(ec) && (ext == ".toml" || ext == ".eql") &&
                    !rules::is_rule_test_file(it->path()))
                    files.push_back(it->path());
            }
            std::sort(files.begin(), files.end());
        } else {
            files.emplace_back(path);
        }
        for (const auto& f : files) {
            // A .eql file beside a .toml of the same stem is that rule's query, not a rule of its own.
            if (f.extension() == ".eql" && fs::exists(fs::path(f).replace_extension(".toml"), ec)) continue;
            if (auto t = authoring::test_file_for(f))
                out.push_back({f, *t});
            else
                untested.push_back(f);
        }
    }
    return ok;
}

void print_file_diagnostics(const fs::path& path, const Diagnostics& diagnostics) {
    for (const auto& d : diagnostics)
        std::cerr << printable(path.string()) << ":" << d.span.begin.line << ":" << d.span.begin.column << ": "
                  << (d.severity == Severity::error ? "error: " : "warning: ") << printable(d.message)
                  << (d.hint.empty() ? "" : " (" + printable(d.hint) + ")") << "\n";
}

}  // namespace

int run_tests(const Options& options, const EngineOptions& engine_options) {
    std::vector<Pair> pairs;
    std::vector<fs::path> untested;
    int status = gather(options.files, pairs, untested) ? 0 : 2;

    size_t passed = 0, failed = 0;
    std::vector<JunitSuite> suites;
    for (const Pair& pair : pairs) {
        JunitSuite suite;
        suite.name = pair.rule.string();
        const rules::LoadResult loaded = rules::load_rule_file(pair.rule);
        for (const auto& d : loaded.diagnostics)
            std::cerr << format_diagnostic(d, loaded.text(), printable(pair.rule.string()));
        const authoring::TestFile tests = authoring::load_test_file(pair.tests);
        print_file_diagnostics(pair.tests, tests.diagnostics);
        auto error_case = [&](std::string message) {
            std::cerr << "eqlc: " << printable(message) << '\n';
            suite.cases.push_back({pair.tests.filename().string(), pair.rule.string(), pair.tests.string(), 0, true,
                                   true, message, message});
            status = 2;
        };
        if (!loaded.ok()) {
            error_case(pair.rule.string() + ": rule not loaded: " + loaded.reason());
        } else if (!tests.ok()) {
            error_case(pair.tests.string() + ": test file not usable");
        } else {
            const auto results = authoring::run_rule_tests(*loaded.rule, tests, engine_options);
            if (!results.rule_error.empty()) {
                std::cerr << results.rule_error;  // diagnostics, already made printable
                error_case(pair.rule.string() + ": the rule does not compile");
            }
            for (const CaseResult& r : results.cases) {
                const std::string where = pair.tests.string() + ":" + std::to_string(r.line);
                std::cout << (r.passed ? "PASS " : "FAIL ") << printable(where) << " " << printable(r.name) << '\n';
                JunitCase jc{r.name, pair.rule.string(), pair.tests.string(), r.line, !r.passed, false, "", ""};
                if (r.passed) {
                    ++passed;
                } else {
                    ++failed;
                    jc.details = failure_text(r);
                    jc.message = !r.error.empty()     ? "could not run the case"
                                 : !r.missing.empty() ? std::to_string(r.missing.size()) + " expected alert(s) missing"
                                 : !r.unexpected.empty() ? std::to_string(r.unexpected.size()) + " unexpected alert(s)"
                                                         : "alerts differ (order or severity)";
                    std::cout << jc.details;
                }
                suite.cases.push_back(std::move(jc));
            }
        }
        suites.push_back(std::move(suite));
    }
    if (!untested.empty())
        std::cout << untested.size() << (untested.size() == 1 ? " rule has" : " rules have")
                  << " no test file (X.test.toml beside X.toml)\n";
    std::cout << passed << " passed, " << failed << " failed\n";
    if (pairs.empty() && status == 0) {
        std::cerr << "eqlc: no test file found (a rule X.toml or X.eql is tested by X.test.toml beside it)\n";
        status = 2;
    }
    if (options.junit) {
        std::ofstream out(*options.junit, std::ios::binary | std::ios::trunc);
        out << junit_xml(suites);
        out.flush();
        if (!out) {
            std::cerr << "eqlc: cannot write " << printable(*options.junit) << '\n';
            status = 2;
        }
    }
    if (status) return status;
    return failed ? 1 : 0;
}

}  // namespace eqlc::cli
