#include "options.hpp"

#include <string>

#include <pybind11/stl.h>

#include "diagnostics.hpp"

namespace eqlc::python {

namespace {

template <class T>
T value_of(const char* name, py::handle value, const char* expected) {
    try {
        return value.cast<T>();
    } catch (const py::cast_error&) {
        throw py::type_error(std::string("eqlc: ") + name + " must be " + expected + ", not " +
                             std::string(py::str(py::type::of(value).attr("__name__"))));
    }
}

std::shared_ptr<const Mapping> mapping_of(py::handle value) {
    std::string text;
    if (py::isinstance<py::str>(value) || py::isinstance<py::bytes>(value)) {
        text = value.cast<std::string>();
    } else if (py::isinstance<py::dict>(value)) {
        text = py::module_::import("json").attr("dumps")(value).cast<std::string>();
    } else {
        throw py::type_error("eqlc: mapping must be JSON text or a dict");
    }
    Diagnostic error;
    auto mapping = Mapping::parse(text, &error);
    if (!mapping) raise_error(ErrorKind::query, "", {PyDiagnostic::from(error, text, "<mapping>")});
    return std::make_shared<const Mapping>(std::move(*mapping));
}

// Takes the query settings out of `kwargs` (the entries it used are removed from `left`).
QueryOptions read_query(const py::kwargs& kwargs, py::dict& left) {
    QueryOptions out;
    for (auto [key, value] : kwargs) {
        const std::string name = key.cast<std::string>();
        if (name == "timestamp_field") {
            out.timestamp_field = value_of<std::string>("timestamp_field", value, "a str");
        } else if (name == "event_category_field") {
            out.event_category_field = value_of<std::string>("event_category_field", value, "a str");
        } else if (name == "tiebreaker_field") {
            if (!value.is_none()) out.tiebreaker_field = value_of<std::string>("tiebreaker_field", value, "a str");
        } else if (name == "mapping") {
            if (!value.is_none()) out.mapping = mapping_of(value);
        } else if (name == "max_depth") {
            out.max_depth = value_of<uint32_t>("max_depth", value, "an int from 1 to 1000");
        } else {
            continue;
        }
        PyDict_DelItem(left.ptr(), key.ptr());
    }
    return out;
}

[[noreturn]] void unknown(const py::dict& left) {
    const std::string name = py::str(left.begin()->first);
    throw py::type_error("eqlc: unexpected keyword argument '" + name + "'");
}

}  // namespace

QueryOptions query_settings(const py::kwargs& kwargs) {
    py::dict left = kwargs.attr("copy")();
    QueryOptions out = read_query(kwargs, left);
    if (!left.empty()) unknown(left);
    return out;
}

EngineSettings engine_settings(const py::kwargs& kwargs) {
    py::dict left = kwargs.attr("copy")();
    EngineSettings out;
    EngineOptions& e = out.engine;
    e.query = read_query(kwargs, left);
    for (auto [key, value] : py::dict(left.attr("copy")())) {
        const std::string name = key.cast<std::string>();
        const char* count = "a non-negative int";
        if (name == "size") {
            if (!value.is_none()) e.size = value_of<uint64_t>("size", value, count);
        } else if (name == "head") {
            e.result_position = value_of<bool>("head", value, "a bool") ? ResultPosition::head : ResultPosition::tail;
        } else if (name == "sort_input") {
            e.sort_input = value_of<bool>("sort_input", value, "a bool");
        } else if (name == "reorder_window_ns") {
            if (!value.is_none()) e.reorder_window_ns = value_of<int64_t>("reorder_window_ns", value, "an int");
        } else if (name == "max_samples_per_key") {
            e.max_samples_per_key = value_of<uint32_t>("max_samples_per_key", value, count);
        } else if (name == "max_keys") {
            e.max_keys = value_of<uint64_t>("max_keys", value, count);
        } else if (name == "max_state_bytes") {
            e.max_state_bytes = value_of<uint64_t>("max_state_bytes", value, count);
        } else if (name == "max_query_state_bytes") {
            e.max_query_state_bytes = value_of<uint64_t>("max_query_state_bytes", value, count);
        } else if (name == "state_check_events") {
            e.state_check_events = value_of<uint32_t>("state_check_events", value, "a positive int");
        } else if (name == "rule_index") {
            e.rule_index = value_of<bool>("rule_index", value, "a bool");
        } else if (name == "prefilter") {
            e.line_prefilter = value_of<bool>("prefilter", value, "a bool");
        } else if (name == "alert_format") {
            const auto format = value_of<std::string>("alert_format", value, "\"dict\" or \"json\"");
            if (format != "dict" && format != "json")
                throw py::value_error("eqlc: alert_format must be \"dict\" or \"json\", not \"" + format + "\"");
            out.json_alerts = format == "json";
        } else if (name == "skip_invalid") {
            out.skip_invalid = value_of<bool>("skip_invalid", value, "a bool");
        } else {
            continue;
        }
        PyDict_DelItem(left.ptr(), key.ptr());
    }
    if (!left.empty()) unknown(left);
    e.skip_invalid_queries = out.skip_invalid;
    return out;
}

}  // namespace eqlc::python
