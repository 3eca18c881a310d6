// eqlc.test_rule: rule test files from Python.
#pragma once

#include <pybind11/pybind11.h>

namespace eqlc::python {

namespace py = pybind11;

void register_rule_tests(py::module_& module);

}  // namespace eqlc::python
