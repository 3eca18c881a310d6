#include "py_engine.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <system_error>
#include <utility>

#include "eqlc/alert.hpp"
#include "eqlc/rule_query.hpp"

namespace eqlc::python {

namespace fs = std::filesystem;

namespace {

// push_many hands the engine NDJSON text in batches of about this size: large enough that running without the
// GIL pays off, small enough that a long iterable is never held in memory whole and that a batch and its alerts
// stay in the caches (4 MiB batches ran the WMI rule over generated events at half the speed).
constexpr size_t kBatchBytes = size_t{1} << 20;

constexpr std::string_view kOrigin = "<event>";

// A bytes object with the bytes of any bytes-like object (bytearray, memoryview).
py::bytes bytes_of(py::handle data) {
    PyObject* bytes = PyBytes_FromObject(data.ptr());
    if (!bytes) throw py::error_already_set();
    return py::reinterpret_steal<py::bytes>(bytes);
}

// Text for Python from bytes that may not all be UTF-8 (an excerpt of a bad line): bad bytes become U+FFFD.
py::str readable(const std::string& text) {
    PyObject* str = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
    if (!str) throw py::error_already_set();
    return py::reinterpret_steal<py::str>(str);
}

// The JSON text of one event. str and bytes are read in place (they cannot change, and `event` is held by the
// caller); other bytes-like objects are copied, anything else goes through json.dumps (kept alive by `keep`).
std::string_view event_text(py::handle event, std::string& copy, py::object& keep) {
    if (PyUnicode_Check(event.ptr())) {
        Py_ssize_t size = 0;
        const char* data = PyUnicode_AsUTF8AndSize(event.ptr(), &size);
        if (!data) throw py::error_already_set();
        return {data, static_cast<size_t>(size)};
    }
    if (PyBytes_Check(event.ptr())) {
        char* data = nullptr;
        Py_ssize_t size = 0;
        if (PyBytes_AsStringAndSize(event.ptr(), &data, &size) != 0) throw py::error_already_set();
        return {data, static_cast<size_t>(size)};
    }
    if (PyByteArray_Check(event.ptr()) || PyMemoryView_Check(event.ptr())) {
        copy = bytes_of(event).cast<std::string>();
        return copy;
    }
    keep = py::module_::import("json").attr("dumps")(event, py::arg("ensure_ascii") = false,
                                                     py::arg("separators") = py::make_tuple(",", ":"));
    return event_text(keep, copy, keep);
}

// A line as read from a file ends with its line break, which is not part of the event: without it, an alert's
// _source is the line's text, as the eqlc tool gives it (whose reader drops "\n" and "\r\n" too).
std::string_view without_line_break(std::string_view text) {
    if (text.ends_with('\n')) text.remove_suffix(1);
    if (text.ends_with('\r')) text.remove_suffix(1);
    return text;
}

std::string limit_name(StateLimit limit) {
    switch (limit) {
        case StateLimit::max_keys: return "max_keys (join keys per rule)";
        case StateLimit::max_query_state_bytes: return "max_query_state_bytes (bytes per rule)";
        case StateLimit::max_state_bytes: return "max_state_bytes (bytes for all rules)";
    }
    return "a state limit";
}

}  // namespace

std::unique_ptr<PyEngine> PyEngine::from_path(const fs::path& path, const py::kwargs& kwargs) {
    const EngineSettings settings = engine_settings(kwargs);
    std::unique_ptr<PyEngine> self(new PyEngine);
    const std::string shown = path.string();
    std::error_code ec;
    if (!fs::exists(path, ec)) raise_error(ErrorKind::input, shown + ": no such file or folder");
    {
        // A folder of a few hundred rules takes a while to read and compile; other Python threads go on meanwhile.
        py::gil_scoped_release without_gil;
        self->loads_.push_back(rules::load_rule_folder(path));
    }
    const rules::FolderLoad& load = self->loads_.back();
    if (!load.diagnostics.empty()) raise_error(ErrorKind::input, shown + ": " + load.diagnostics.front().message);

    // Files that give no rule: unreadable ones are input errors, the others query errors (with their positions),
    // unless skip_invalid leaves them out as the eqlc tool does.
    std::vector<PyDiagnostic> errors;
    for (const auto& file : load.files) {
        const std::string file_name = file.path.string();
        const bool refused = file.refused();
        if (refused && file.status == rules::LoadStatus::unreadable && !settings.skip_invalid)
            raise_error(ErrorKind::input, file_name + ": " + file.reason());
        const size_t errors_before = errors.size();
        for (const auto& d : file.diagnostics) {
            auto diagnostic = PyDiagnostic::from(d, file.text(), file_name);
            (refused && d.severity == Severity::error ? errors : self->problems).push_back(std::move(diagnostic));
        }
        if (refused && errors.size() == errors_before) {
            // Refused without an error of its own to show: the reason is the diagnostic.
            Diagnostic why;
            why.phase = Phase::rule;
            why.message = "rule not loaded: " +
                          (file.reason().empty() ? std::string(rules::status_name(file.status)) : file.reason());
            errors.push_back(PyDiagnostic::from(why, file.text(), file_name));
        }
    }
    if (!errors.empty() && !settings.skip_invalid) raise_error(ErrorKind::query, "", errors);
    self->problems.insert(self->problems.end(), errors.begin(), errors.end());

    std::vector<QuerySource> sources;
    for (const rules::Rule* rule : load.rules()) {
        sources.push_back(authoring::rule_query(*rule));
        self->rules_.push_back(rule);
    }
    if (sources.empty()) raise_error(ErrorKind::query, shown + ": no rule to run", self->problems);
    self->start(std::move(sources), settings);
    return self;
}

std::unique_ptr<PyEngine> PyEngine::from_query(const std::string& query, const std::string& name,
                                               const py::kwargs& kwargs) {
    const EngineSettings settings = engine_settings(kwargs);
    std::unique_ptr<PyEngine> self(new PyEngine);
    self->rules_.push_back(nullptr);
    self->start({QuerySource(query, name)}, settings);
    return self;
}

void PyEngine::start(std::vector<QuerySource> sources, const EngineSettings& settings) {
    options_ = settings.engine;
    json_alerts_ = settings.json_alerts;
    CompiledQueries::Result compiled;
    {
        py::gil_scoped_release without_gil;
        compiled = CompiledQueries::compile(sources, options_);
    }
    std::vector<PyDiagnostic> errors;
    for (const auto& problem : compiled.problems) {
        const QuerySource& source = sources[problem.query];
        const rules::Rule* rule = rules_[problem.query];
        for (const auto& d : problem.diagnostics)
            errors.push_back(
                rule ? PyDiagnostic::from(rule->to_file_diagnostic(d), *rule->source_text, rule->path.string())
                     : PyDiagnostic::from(d, source.text, source.name));
    }
    bool any_valid = false;
    if (compiled.queries)
        for (size_t q = 0; q < compiled.queries->size(); ++q) any_valid = any_valid || compiled.queries->valid(q);
    if (!any_valid || (!errors.empty() && !options_.skip_invalid_queries)) raise_error(ErrorKind::query, "", errors);
    problems.insert(problems.end(), errors.begin(), errors.end());

    compiled_ = std::move(compiled.queries);
    engine_ = Engine::create(compiled_, options_);
    // The handlers run without the GIL: they only keep what they are given, for deliver().
    engine_->on_match([this](const Match& match) {
        const std::string& name = engine_->query_name(match.query);
        try {
            collected_.alerts.push_back(alert_to_ndjson(match, name, rules_[match.query]));
        } catch (const std::exception& e) {
            collected_.bad.push_back(BadInput{name, 0, std::string("alert could not be written: ") + e.what(), {}});
        }
    });
    engine_->on_bad_input([this](const BadInput& bad) { collected_.bad.push_back(bad); });
    engine_->on_state_limit([this](const StateLimitReached& reached) { collected_.limits.push_back(reached); });
}

template <class Feed>
PyEngine::Collected PyEngine::run(Feed&& feed) {
    py::gil_scoped_release without_gil;
    const std::lock_guard lock(mutex_);
    feed(*engine_);
    return std::exchange(collected_, {});
}

void PyEngine::deliver(Collected& collected, py::list& out) {
    if (json_alerts_) {
        for (const auto& line : collected.alerts) out.append(readable(line));
    } else if (!collected.alerts.empty()) {
        // The alert lines are parsed by json.loads (its C scanner); with many alerts, building the dicts is most
        // of what a call costs (alert_format="json" skips it).
        const py::object loads = py::module_::import("json").attr("loads");
        for (const auto& line : collected.alerts) out.append(loads(py::bytes(line)));
    }
    std::optional<py::error_already_set> failure;
    if (!collected.bad.empty()) {
        const py::object make = py::module_::import("eqlc").attr("BadInput");
        for (const auto& bad : collected.bad) {
            py::object report = make(readable(bad.origin), bad.line, readable(bad.message), readable(bad.excerpt));
            if (on_bad_input.is_none()) {
                bad_input.append(report);
                continue;
            }
            try {
                on_bad_input(report);
            } catch (py::error_already_set& e) {
                if (!failure) failure = std::move(e);
            }
        }
    }
    if (!collected.limits.empty()) {
        const py::object warn = py::module_::import("warnings").attr("warn");
        for (const auto& reached : collected.limits) {
            try {
                warn("eqlc: rule " + engine_->query_name(reached.query) + ": state limit " + limit_name(reached.limit) +
                         " reached; least recently used join keys are being dropped, alerts may be lost",
                     py::reinterpret_borrow<py::object>(PyExc_RuntimeWarning));
            } catch (py::error_already_set& e) {
                if (!failure) failure = std::move(e);
            }
        }
    }
    if (failure) throw std::move(*failure);
}

template <class Body>
py::list PyEngine::calling(Body&& body) {
    py::list out = std::exchange(carry_, py::list());
    try {
        body(out);
    } catch (...) {
        carry_ = std::move(out);
        throw;
    }
    return out;
}

py::list PyEngine::push(py::handle event) {
    return calling([&](py::list& out) {
        std::string copy;
        py::object keep;
        const std::string_view text = without_line_break(event_text(event, copy, keep));
        const uint64_t line = ++events_;
        Collected collected = run([&](Engine& engine) {
            engine.push_json(text, PushOptions{kOrigin, std::span<const uint64_t>(&line, 1)});
        });
        deliver(collected, out);
    });
}

py::list PyEngine::push_many(py::handle events) {
    return calling([&](py::list& out) {
        std::string batch;
        std::vector<uint64_t> lines;
        const auto flush = [&] {
            if (lines.empty()) return;
            Collected collected = run([&](Engine& engine) { engine.push_ndjson(batch, PushOptions{kOrigin, lines}); });
            batch.clear();
            lines.clear();
            deliver(collected, out);
        };
        // An item that cannot be read (not JSON-serialisable, a str that is not UTF-8) stops the call there: the
        // items before it are run, then the error is raised.
        // One event where an iterable of them belongs would be read as a run of characters, keys or numbers.
        if (PyUnicode_Check(events.ptr()) || PyBytes_Check(events.ptr()) || PyByteArray_Check(events.ptr()) ||
            PyDict_Check(events.ptr()))
            throw py::type_error("eqlc: push_many takes an iterable of events, not one event (see push)");
        std::exception_ptr failure;
        try {
            for (py::handle item : py::iter(events)) {
                std::string copy;
                py::object keep;
                const std::string_view text = without_line_break(event_text(item, copy, keep));
                const size_t from = batch.size();
                batch.append(text);
                // One line per event: line breaks inside JSON text can only be whitespace (push_json reads them so).
                // Looked for with memchr first: most events have none, and a byte loop cost as much as the rest.
                if (std::memchr(text.data(), '\n', text.size()) || std::memchr(text.data(), '\r', text.size()))
                    std::replace_if(
                        batch.begin() + static_cast<std::ptrdiff_t>(from), batch.end(),
                        [](char c) { return c == '\n' || c == '\r'; }, ' ');
                batch += '\n';
                lines.push_back(++events_);
                if (batch.size() >= kBatchBytes) flush();
            }
        } catch (...) {
            failure = std::current_exception();
        }
        flush();
        if (failure) std::rethrow_exception(failure);
    });
}

py::list PyEngine::finish() {
    return calling([&](py::list& out) {
        Collected collected = run([](Engine& engine) { engine.finish(); });
        deliver(collected, out);
    });
}

py::bytes PyEngine::snapshot() {
    std::string bytes;
    Diagnostic error;
    bool ok = false;
    {
        py::gil_scoped_release without_gil;
        const std::lock_guard lock(mutex_);
        ok = engine_->snapshot(bytes, &error);
    }
    if (!ok) raise_error(ErrorKind::state, "eqlc: snapshot: " + error.message);
    return py::bytes(bytes);
}

void PyEngine::restore(py::handle data) {
    // Read in place from a bytes object (immutable, and held here while the GIL is released).
    const py::bytes held = PyBytes_Check(data.ptr()) ? py::reinterpret_borrow<py::bytes>(data) : bytes_of(data);
    char* ptr = nullptr;
    Py_ssize_t size = 0;
    if (PyBytes_AsStringAndSize(held.ptr(), &ptr, &size) != 0) throw py::error_already_set();
    Diagnostic error;
    bool ok = false;
    {
        py::gil_scoped_release without_gil;
        const std::lock_guard lock(mutex_);
        ok = engine_->restore(std::string_view(ptr, static_cast<size_t>(size)), &error);
    }
    if (!ok) raise_error(ErrorKind::state, "eqlc: restore: " + error.message);
}

py::dict PyEngine::stats() {
    EngineStats s;
    {
        py::gil_scoped_release without_gil;
        const std::lock_guard lock(mutex_);
        s = engine_->stats();
    }
    py::dict out;
    out["events"] = s.events;
    out["skipped_events"] = s.skipped_events;
    out["bad_lines"] = s.bad_lines;
    out["events_without_timestamp"] = s.events_without_timestamp;
    out["query_events_without_timestamp"] = s.query_events_without_timestamp;
    out["out_of_order"] = s.out_of_order;
    out["late_events"] = s.late_events;
    out["bytes"] = s.bytes;
    out["evaluation_errors"] = s.evaluation_errors;
    out["truncated_key_products"] = s.truncated_key_products;
    out["indexed_terms"] = s.indexed_terms;
    out["always_run_terms"] = s.always_run_terms;
    out["index_fields"] = s.index_fields;
    out["evicted_keys"] = s.evicted_keys;
    out["pending_partials"] = s.pending_partials;
    out["partials_at_finish"] = s.partials_at_finish;
    out["state_bytes"] = s.state_bytes;
    // Per rule, by name (rules of the same name add up).
    py::dict matches, evicted;
    for (size_t q = 0; q < rules_.size(); ++q) {
        const py::str name(engine_->query_name(q));
        const auto add = [&](py::dict& to, const std::vector<uint64_t>& counts) {
            const uint64_t n = q < counts.size() ? counts[q] : 0;
            to[name] = (to.contains(name) ? to[name].cast<uint64_t>() : 0) + n;
        };
        add(matches, s.matches);
        add(evicted, s.evicted_keys_by_query);
    }
    out["matches"] = matches;
    out["evicted_keys_by_rule"] = evicted;
    // Sequences' and samples' per-stage counters, by rule name (why a rule did not fire: which stage events stop at).
    py::dict stages;
    for (size_t q = 0; q < rules_.size() && q < s.stages_by_query.size(); ++q) {
        const QueryStageStats& qs = s.stages_by_query[q];
        if (qs.stages.empty()) continue;
        py::list per_stage;
        for (const StageStats& st : qs.stages)
            per_stage.append(py::dict(py::arg("passed") = st.passed, py::arg("started") = st.started,
                                      py::arg("advanced") = st.advanced, py::arg("replaced") = st.replaced,
                                      py::arg("expired") = st.expired, py::arg("until") = st.until,
                                      py::arg("evicted") = st.evicted,
                                      py::arg("dropped_at_finish") = st.dropped_at_finish, py::arg("kept") = st.kept));
        stages[py::str(engine_->query_name(q))] =
            py::dict(py::arg("stages") = per_stage, py::arg("until_events") = qs.until_events,
                     py::arg("completed") = qs.completed, py::arg("rejected_missing") = qs.rejected_missing);
    }
    out["stages"] = stages;
    return out;
}

std::vector<std::string> PyEngine::rule_names() const {
    std::vector<std::string> out;
    for (size_t q = 0; q < rules_.size(); ++q) out.push_back(engine_->query_name(q));
    return out;
}

std::string PyEngine::explain() { return compiled_->explain(); }

std::vector<std::string> PyEngine::fields() const { return compiled_->fields(); }

}  // namespace eqlc::python
