#include "diagnostics.hpp"

#include <pybind11/stl.h>

namespace eqlc::python {

PyDiagnostic PyDiagnostic::from(const Diagnostic& d, std::string_view source, std::string_view origin) {
    PyDiagnostic out;
    out.origin = origin;
    out.line = d.span.begin.line;
    out.column = d.span.begin.column;
    out.end_line = d.span.end.line;
    out.end_column = d.span.end.column;
    out.phase = phase_name(d.phase);
    out.severity = d.severity == Severity::error ? "error" : "warning";
    out.message = d.message;
    out.expected = d.expected;
    out.hint = d.hint;
    out.text = format_diagnostic(d, source, origin);
    while (!out.text.empty() && out.text.back() == '\n') out.text.pop_back();
    return out;
}

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// A new exception class in the module (a new reference from the C API, handed to the module).
void add_exception(py::module_& module, const char* name, PyObject* base, const char* doc) {
    const std::string qualified = std::string("eqlc.") + name;
    PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
    if (!type) throw py::error_already_set();
    module.attr(name) = py::reinterpret_steal<py::object>(type);
}

const char* class_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::query: return "QueryError";
        case ErrorKind::state: return "StateError";
        case ErrorKind::input: return "InputError";
    }
    return "Error";
}

}  // namespace

void register_diagnostics(py::module_& module) {
    py::class_<PyDiagnostic>(module, "Diagnostic",
                             "A problem in a query or rule file: where (origin, line, column; 1-based, columns in "
                             "bytes), what (message, expected, hint) and which phase found it.")
        .def_readonly("origin", &PyDiagnostic::origin)
        .def_readonly("line", &PyDiagnostic::line)
        .def_readonly("column", &PyDiagnostic::column)
        .def_readonly("end_line", &PyDiagnostic::end_line)
        .def_readonly("end_column", &PyDiagnostic::end_column)
        .def_readonly("phase", &PyDiagnostic::phase)
        .def_readonly("severity", &PyDiagnostic::severity)
        .def_readonly("message", &PyDiagnostic::message)
        .def_readonly("expected", &PyDiagnostic::expected)
        .def_readonly("hint", &PyDiagnostic::hint)
        .def_readonly("text", &PyDiagnostic::text, "the diagnostic as the eqlc tool prints it")
        .def("to_dict",
             [](const PyDiagnostic& d) {
                 py::dict out;
                 out["origin"] = d.origin;
                 out["line"] = d.line;
                 out["column"] = d.column;
                 out["end_line"] = d.end_line;
                 out["end_column"] = d.end_column;
                 out["phase"] = d.phase;
                 out["severity"] = d.severity;
                 out["message"] = d.message;
                 out["expected"] = d.expected;
                 out["hint"] = d.hint;
                 return out;
             })
        .def("__str__", [](const PyDiagnostic& d) { return d.text; })
        .def("__repr__", [](const PyDiagnostic& d) {
            return "<eqlc.Diagnostic " + d.origin + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) +
                   " " + d.phase + ": " + d.message + ">";
        });

    add_exception(module, "Error", PyExc_Exception, "Base class of the errors eqlc raises.");
    PyObject* base = module.attr("Error").ptr();
    add_exception(module, "QueryError", base,
                  "A query, rule file or mapping cannot be used; .diagnostics lists every problem with its position.");
    add_exception(module, "StateError", base, "A snapshot cannot be taken or restored.");
    add_exception(module, "InputError", base, "A rule file or folder cannot be read.");
}

void raise_error(ErrorKind kind, std::string message, const std::vector<PyDiagnostic>& diagnostics) {
    if (message.empty() && !diagnostics.empty()) {
        message = first_line(diagnostics.front().text);
        if (diagnostics.size() > 1) message += " (and " + std::to_string(diagnostics.size() - 1) + " more)";
    }
    const py::object type = py::module_::import("eqlc").attr(class_name(kind));
    const py::object error = type(message);
    error.attr("diagnostics") = py::cast(diagnostics);
    PyErr_SetObject(type.ptr(), error.ptr());
    throw py::error_already_set();
}

}  // namespace eqlc::python
