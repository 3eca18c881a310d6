// eqlc.test_rule(): a rule's test file (X.test.toml) run from Python, as `eqlc test` runs it (eqlc/rule_test.hpp).
#include "rule_tests.hpp"

#include <filesystem>

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "diagnostics.hpp"
#include "eqlc/rule_loader.hpp"
#include "eqlc/rule_test.hpp"
#include "options.hpp"

namespace eqlc::python {

namespace {

namespace fs = std::filesystem;

py::dict case_dict(const authoring::CaseResult& r) {
    py::dict d;
    d["name"] = r.name;
    d["line"] = r.line;
    d["passed"] = r.passed;
    d["error"] = r.error;
    d["expected"] = r.expected;
    d["expected_severity"] = r.expected_severity ? py::cast(*r.expected_severity) : py::none();
    py::list actual;
    for (const auto& a : r.actual) actual.append(py::dict(py::arg("ids") = a.ids, py::arg("severity") = a.severity));
    d["actual"] = actual;
    py::list missing;
    for (const auto& [index, why] : r.missing)
        missing.append(
            py::dict(py::arg("alert") = index, py::arg("summary") = why.summary, py::arg("details") = why.details));
    d["missing"] = missing;
    d["unexpected"] = r.unexpected;
    d["reports"] = r.reports;
    return d;
}

py::list test_rule(const fs::path& rule_path, const std::optional<fs::path>& test_path, const py::kwargs& kwargs) {
    const EngineSettings settings = engine_settings(kwargs);
    const rules::LoadResult loaded = rules::load_rule_file(rule_path);
    if (!loaded.ok()) {
        std::vector<PyDiagnostic> diagnostics;
        for (const auto& d : loaded.diagnostics)
            diagnostics.push_back(PyDiagnostic::from(d, loaded.text(), rule_path.string()));
        raise_error(loaded.status == rules::LoadStatus::unreadable ? ErrorKind::input : ErrorKind::query,
                    rule_path.string() + ": rule not loaded: " + loaded.reason(), diagnostics);
    }
    const auto tests_file = test_path ? test_path : authoring::test_file_for(rule_path);
    if (!tests_file) raise_error(ErrorKind::input, rule_path.string() + ": no test file beside it (X.test.toml)");
    const authoring::TestFile tests = authoring::load_test_file(*tests_file);
    if (!tests.ok()) {
        std::vector<PyDiagnostic> diagnostics;
        for (const auto& d : tests.diagnostics) diagnostics.push_back(PyDiagnostic::from(d, "", tests_file->string()));
        raise_error(ErrorKind::query, "", diagnostics);
    }
    const authoring::RuleTestResults results = authoring::run_rule_tests(*loaded.rule, tests, settings.engine);
    if (!results.rule_error.empty()) raise_error(ErrorKind::query, results.rule_error);
    py::list out;
    for (const auto& r : results.cases) out.append(case_dict(r));
    return out;
}

}  // namespace

void register_rule_tests(py::module_& m) {
    m.def("test_rule", &test_rule, py::arg("rule"), py::arg("tests") = py::none(),
          "Runs a rule's test cases (the rule file's X.test.toml, or `tests`) and returns one dict per case: name, "
          "line, passed, error, expected, expected_severity, actual [{ids, severity}], missing [{alert, summary, "
          "details}] (why each missing expected alert did not fire), unexpected (indices in actual), reports. "
          "Options as Engine.from_path. Raises eqlc.InputError / eqlc.QueryError for a rule or test file that cannot "
          "be used.");
}

}  // namespace eqlc::python
