// Keyword arguments of Engine.from_path, Engine.from_query and check() turned into the library's option structs.
// An unknown keyword or a value of the wrong type raises TypeError, as a Python function would; a mapping that is
// not one raises eqlc.QueryError.
#pragma once

#include <pybind11/pybind11.h>

#include "eqlc/engine.hpp"
#include "eqlc/query.hpp"

namespace eqlc::python {

namespace py = pybind11;

struct EngineSettings {
    EngineOptions engine;
    bool skip_invalid = false;  // run the valid rules and keep the problems of the others (Engine.problems)
    bool json_alerts = false;   // alert_format="json": alerts as the NDJSON lines' text rather than dicts
};

// timestamp_field, event_category_field, tiebreaker_field, mapping (JSON text or a dict), max_depth.
QueryOptions query_settings(const py::kwargs& kwargs);
// The query settings, plus: size, head, sort_input, reorder_window_ns, max_samples_per_key, max_keys,
// max_state_bytes, max_query_state_bytes, state_check_events, rule_index, prefilter, skip_invalid, alert_format.
EngineSettings engine_settings(const py::kwargs& kwargs);

}  // namespace eqlc::python
