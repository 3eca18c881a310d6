// eqlc_test_rule: a rule's test file run through the C API (eqlc/rule_test.hpp), the results as JSON.
#include <filesystem>
#include <new>

#include <nlohmann/json.hpp>

#include "capi/handles.hpp"
#include "eqlc/rule_loader.hpp"
#include "eqlc/rule_test.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json case_json(const eqlc::authoring::CaseResult& r) {
    json out{
        {"name", r.name},         {"line", r.line},          {"passed", r.passed},       {"error", r.error},
        {"expected", r.expected}, {"actual", json::array()}, {"missing", json::array()}, {"unexpected", r.unexpected},
        {"reports", r.reports}};
    if (r.expected_severity) out["expected_severity"] = *r.expected_severity;
    for (const auto& a : r.actual) out["actual"].push_back({{"ids", a.ids}, {"severity", a.severity}});
    for (const auto& [index, why] : r.missing)
        out["missing"].push_back({{"alert", index}, {"summary", why.summary}, {"details", why.details}});
    return out;
}

// Every diagnostic of a file, each as file:line:column: error: message.
std::string messages_of(const eqlc::Diagnostics& diagnostics, const std::string& file) {
    std::string out;
    for (const auto& d : diagnostics)
        out += file + ":" + std::to_string(d.span.begin.line) + ":" + std::to_string(d.span.begin.column) + ": " +
               (d.severity == eqlc::Severity::error ? "error: " : "warning: ") + d.message + "\n";
    return out;
}

int run(const char* rule_file, const char* tests, const eqlc_options* options, char** results, char** error) {
    if (!rule_file || !results) {
        eqlc::capi::set_error(error, "eqlc_test_rule: no rule file or no place for the results");
        return EQLC_ERROR_ARGUMENT;
    }
    *results = nullptr;
    eqlc::EngineOptions engine_options;
    int status = EQLC_OK;
    std::string message;
    if (!eqlc::capi::engine_options(options, engine_options, status, message)) {
        eqlc::capi::set_error(error, message);
        return status;
    }
    const eqlc::rules::LoadResult loaded = eqlc::rules::load_rule_file(rule_file);
    if (!loaded.ok()) {
        eqlc::capi::set_error(error, messages_of(loaded.diagnostics, rule_file));
        return loaded.status == eqlc::rules::LoadStatus::unreadable ? EQLC_ERROR_IO : EQLC_ERROR_RULE;
    }
    const auto test_path = tests ? std::optional<fs::path>(tests) : eqlc::authoring::test_file_for(rule_file);
    if (!test_path) {
        eqlc::capi::set_error(error, std::string(rule_file) + ": no test file beside it (X.test.toml)");
        return EQLC_ERROR_IO;
    }
    const eqlc::authoring::TestFile file = eqlc::authoring::load_test_file(*test_path);
    if (!file.ok()) {
        eqlc::capi::set_error(error, messages_of(file.diagnostics, test_path->string()));
        return EQLC_ERROR_RULE;
    }
    const auto outcome = eqlc::authoring::run_rule_tests(*loaded.rule, file, engine_options);
    if (!outcome.rule_error.empty()) {
        eqlc::capi::set_error(error, outcome.rule_error);
        return EQLC_ERROR_RULE;
    }
    json out{{"passed", outcome.passed()}, {"failed", outcome.failed()}, {"cases", json::array()}};
    for (const auto& c : outcome.cases) out["cases"].push_back(case_json(c));
    *results = eqlc::capi::copy_out(out.dump(-1, ' ', false, json::error_handler_t::replace));
    return *results ? EQLC_OK : EQLC_ERROR_MEMORY;
}

}  // namespace

extern "C" int eqlc_test_rule(const char* rule_file, const char* tests, const eqlc_options* options, char** results,
                              char** error) {
    if (error) *error = nullptr;
    try {
        return run(rule_file, tests, options, results, error);
    } catch (const std::bad_alloc&) {
        eqlc::capi::set_error(error, "out of memory");
        return EQLC_ERROR_MEMORY;
    } catch (const std::exception& e) {
        eqlc::capi::set_error(error, std::string("internal error: ") + e.what());
        return EQLC_ERROR_INTERNAL;
    }
}
