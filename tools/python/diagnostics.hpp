// Problems as Python sees them: eqlc.Diagnostic objects (a position, a message, the phase that found it) and the
// exception classes eqlc.Error, eqlc.QueryError (with the diagnostics), eqlc.StateError and eqlc.InputError.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pybind11/pybind11.h>

#include "eqlc/diagnostics.hpp"

namespace eqlc::python {

namespace py = pybind11;

// One diagnostic, its position in `origin` (a rule file, or the name of a query given as text).
struct PyDiagnostic {
    std::string origin;
    uint32_t line = 1;
    uint32_t column = 1;
    uint32_t end_line = 1;
    uint32_t end_column = 1;
    std::string phase;     // syntax, semantics, compile, rule, input, mapping, state
    std::string severity;  // error or warning
    std::string message;
    std::string expected;
    std::string hint;
    std::string text;  // as the eqlc tool prints it: origin:line:column, the line and a caret

    // `source` is the text the positions point into (the query, or the rule file).
    static PyDiagnostic from(const Diagnostic& diagnostic, std::string_view source, std::string_view origin);
};

// Adds eqlc.Diagnostic and the exception classes to the module.
void register_diagnostics(py::module_& module);

enum class ErrorKind { query, state, input };

// Raises the eqlc exception of that kind (through py::error_already_set). Its message is `message`, or the first
// diagnostic's first line when `message` is empty; `.diagnostics` holds them all.
[[noreturn]] void raise_error(ErrorKind kind, std::string message, const std::vector<PyDiagnostic>& diagnostics = {});

}  // namespace eqlc::python
