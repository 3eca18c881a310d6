// eqlc.Engine: an eqlc::Engine over rule files or a query, fed JSON text, bytes or dicts from Python, giving the
// alerts each call completed as dicts (the eqlc tool's NDJSON alert lines, parsed).
//
// The engine runs without the GIL: its handlers only collect alert text and reports into C++ vectors, which are
// turned into Python objects once the GIL is held again. A mutex keeps two Python threads from feeding one engine
// at the same time; it is only ever taken without the GIL held, so neither lock can wait on the other.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>

#include "diagnostics.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/rule_loader.hpp"
#include "options.hpp"

namespace eqlc::python {

namespace py = pybind11;

class PyEngine {
public:
    // The rules of a rule file or a folder of them (as the eqlc tool loads them), or one query given as text.
    static std::unique_ptr<PyEngine> from_path(const std::filesystem::path& path, const py::kwargs& kwargs);
    static std::unique_ptr<PyEngine> from_query(const std::string& query, const std::string& name,
                                                const py::kwargs& kwargs);

    // One event: str or bytes of JSON, or anything json.dumps takes (a dict).
    py::list push(py::handle event);
    // Every event of an iterable of the same, in batches of NDJSON text.
    py::list push_many(py::handle events);
    py::list finish();

    py::bytes snapshot();
    void restore(py::handle bytes);

    py::dict stats();
    std::vector<std::string> rule_names() const;
    std::string explain();
    // The field paths the rules read (CompiledQueries::fields()): an event needs no others to match.
    std::vector<std::string> fields() const;

    // Unusable events as BadInput tuples (origin, line, message, excerpt), when no callback is set; `line` counts
    // the events given to this engine, from 1.
    py::list bad_input;
    py::object on_bad_input = py::none();  // called with each BadInput instead, when set
    // Warnings about the rule files; with skip_invalid, also the errors of the rules that were left out.
    std::vector<PyDiagnostic> problems;

private:
    PyEngine() = default;

    // What the engine's handlers gathered during one call.
    struct Collected {
        std::vector<std::string> alerts;  // NDJSON alert lines
        std::vector<BadInput> bad;
        std::vector<StateLimitReached> limits;
    };

    void start(std::vector<QuerySource> sources, const EngineSettings& settings);
    // Runs `feed` on the engine without the GIL and returns what it gathered.
    template <class Feed>
    Collected run(Feed&& feed);
    // With the GIL: alerts appended to `out` as dicts, reports to bad_input / on_bad_input, state limits as
    // warnings. An exception from a callback is raised after everything was delivered.
    void deliver(Collected& collected, py::list& out);
    // Calls `body(out)` with the alerts a failed call left behind first in `out`; when it raises, the alerts it
    // already has are kept for the next call (an exception never loses an alert).
    template <class Body>
    py::list calling(Body&& body);

    std::vector<rules::FolderLoad> loads_;   // owns the rules rules_ points to
    std::vector<const rules::Rule*> rules_;  // per query: its rule, or null for a query given as text
    EngineOptions options_;
    bool json_alerts_ = false;  // alerts as text (alert_format="json")
    std::shared_ptr<const CompiledQueries> compiled_;
    std::unique_ptr<Engine> engine_;

    std::mutex mutex_;     // engine_ and collected_ (taken without the GIL)
    Collected collected_;  // filled by the handlers
    uint64_t events_ = 0;  // events given so far (with the GIL): their line numbers in reports
    py::list carry_;       // alerts of a call that raised, returned by the next one
};

}  // namespace eqlc::python
