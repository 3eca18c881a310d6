// The Python module `eqlc`: what Python code sees of the library (the bindings; the work is in py_engine,
// options and diagnostics).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "diagnostics.hpp"
#include "eqlc/query.hpp"
#include "options.hpp"
#include "py_engine.hpp"
#include "rule_tests.hpp"

namespace py = pybind11;
using eqlc::python::PyDiagnostic;
using eqlc::python::PyEngine;

namespace {

constexpr const char* kEngineOptions = R"(
Options (keyword arguments): timestamp_field, event_category_field, tiebreaker_field, mapping (an Elasticsearch
mapping as JSON text or a dict), max_depth; size and head (at most `size` results per rule, from the end or with
head=True the start), sort_input, reorder_window_ns, max_samples_per_key; the state limits max_keys,
max_state_bytes, max_query_state_bytes, state_check_events; rule_index and prefilter (on by default; the same
results either way); skip_invalid (run the valid rules and list the others' problems in Engine.problems);
alert_format ("dict", the default, or "json": each alert as the text of its NDJSON line, for callers that pass
alerts on rather than look into them, at a fraction of the cost of building dicts).
Raises eqlc.QueryError (with .diagnostics) for an invalid query, rule file or mapping.)";

}  // namespace

PYBIND11_MODULE(eqlc, m) {
    m.doc() =
        "eqlc: Elastic EQL detection rules over JSON events.\n\n"
        "    engine = eqlc.Engine.from_path('rules/')   # or eqlc.Engine.from_query('process where ...')\n"
        "    alerts = engine.push(line)                 # str/bytes of JSON, or a dict: the alerts it completed\n"
        "    alerts += engine.push_many(lines)          # any iterable of the same\n"
        "    alerts += engine.finish()                  # what the end of input completes\n"
        "    eqlc.check('process where x ==')           # [eqlc.Diagnostic]\n"
        "    eqlc.test_rule('rules/x.toml')             # the cases of rules/x.test.toml: [dict]\n";
    m.attr("__version__") = EQLC_VERSION_STRING;

    eqlc::python::register_diagnostics(m);
    eqlc::python::register_rule_tests(m);
    m.attr("BadInput") = py::module_::import("collections")
                             .attr("namedtuple")("BadInput", py::make_tuple("origin", "line", "message", "excerpt"),
                                                 py::arg("module") = "eqlc");

    py::class_<PyEngine>(m, "Engine",
                         "Rules over a stream of events. Alerts are dicts, as the eqlc tool's NDJSON alert lines "
                         "(kind, rule with severity and risk_score after the rule's severity mapping, query, "
                         "@timestamp, join_keys, events[{_source}]). Events are expected in time order. Bad events "
                         "are skipped and reported (bad_input, on_bad_input); the engine stays usable.")
        .def_static("from_path", &PyEngine::from_path, py::arg("path"),
                    (std::string("Loads a rule file (TOML or .eql) or every rule of a folder, as the eqlc tool "
                                 "does. Raises eqlc.InputError when the path cannot be read.\n") +
                     kEngineOptions)
                        .c_str())
        .def_static("from_query", &PyEngine::from_query, py::arg("query"), py::arg("name") = "<query>",
                    (std::string("One EQL query; `name` names it in alerts and messages.\n") + kEngineOptions).c_str())
        .def("push", &PyEngine::push, py::arg("event"),
             "Runs one event (str or bytes of JSON, or a dict) and returns the alerts it completed.")
        .def("push_many", &PyEngine::push_many, py::arg("events"),
             "Runs every event of an iterable (str/bytes of JSON lines, or dicts) and returns the alerts they "
             "completed. An item that cannot be serialised raises after the items before it were run.")
        .def("finish", &PyEngine::finish, "End of input: returns the alerts it completes.")
        .def("snapshot", &PyEngine::snapshot,
             "The engine's state as bytes, for restore() on an engine with the same rules and options.")
        .def("restore", &PyEngine::restore, py::arg("snapshot"),
             "Continues from snapshot() bytes; raises eqlc.StateError (state unchanged) when they do not fit.")
        .def_property_readonly("stats", &PyEngine::stats)
        .def_property_readonly("rules", &PyEngine::rule_names, "the names of the rules, as alerts give them")
        .def_property_readonly("fields", &PyEngine::fields,
                               "the field paths the rules read, sorted: an event needs no other field to match")
        .def_readonly("bad_input", &PyEngine::bad_input,
                      "eqlc.BadInput(origin, line, message, excerpt) of every unusable event when on_bad_input is "
                      "None; `line` counts the events given to the engine from 1. Clear it as you please.")
        .def_readwrite("on_bad_input", &PyEngine::on_bad_input,
                       "None, or a function called with each eqlc.BadInput instead of keeping it in bad_input.")
        .def_readonly("problems", &PyEngine::problems,
                      "warnings about the rule files; with skip_invalid, also the problems of the rules left out")
        .def("explain", &PyEngine::explain, "the compiled programs of the rules")
        .def("__repr__", [](const PyEngine& engine) {
            const auto names = engine.rule_names();
            return "<eqlc.Engine: " + std::to_string(names.size()) + (names.size() == 1 ? " rule>" : " rules>");
        });

    m.def(
        "check",
        [](const std::string& query, const std::string& name, const py::kwargs& kwargs) {
            const eqlc::QueryOptions options = eqlc::python::query_settings(kwargs);
            std::vector<PyDiagnostic> out;
            for (const auto& d : eqlc::check_query(query, options)) out.push_back(PyDiagnostic::from(d, query, name));
            return out;
        },
        py::arg("query"), py::arg("name") = "<query>",
        "Checks an EQL query as Elasticsearch would and returns its problems (eqlc.Diagnostic): it is valid when "
        "none has severity 'error' (warnings name fields a dynamic mapping accepts), [] when nothing is to say. "
        "Options: timestamp_field, event_category_field, tiebreaker_field, mapping, max_depth.");
}
