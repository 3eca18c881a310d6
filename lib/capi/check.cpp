// eqlc_check: a query's diagnostics as JSON, without an engine.
#include <nlohmann/json.hpp>

#include "capi/handles.hpp"
#include "eqlc/query.hpp"

namespace {

nlohmann::json diagnostic_json(const eqlc::Diagnostic& d) {
    nlohmann::json out{{"severity", d.severity == eqlc::Severity::error ? "error" : "warning"},
                       {"phase", eqlc::phase_name(d.phase)},
                       {"line", d.span.begin.line},
                       {"column", d.span.begin.column},
                       {"end_line", d.span.end.line},
                       {"end_column", d.span.end.column},
                       {"message", d.message}};
    if (!d.expected.empty()) out["expected"] = d.expected;
    if (!d.hint.empty()) out["hint"] = d.hint;
    return out;
}

// A problem with the options, as a diagnostic at the query's start.
std::string option_problem(int status, const std::string& message) {
    eqlc::Diagnostic d;
    d.phase = status == EQLC_ERROR_MAPPING ? eqlc::Phase::mapping : eqlc::Phase::semantics;
    d.message = message;
    return nlohmann::json::array({diagnostic_json(d)}).dump();
}

}  // namespace

extern "C" char* eqlc_check(const char* query, const eqlc_options* options) {
    if (!query) return nullptr;
    try {
        eqlc::EngineOptions engine_options;
        int status = EQLC_OK;
        std::string message;
        if (!eqlc::capi::engine_options(options, engine_options, status, message))
            return eqlc::capi::copy_out(option_problem(status, message));
        const eqlc::Diagnostics diagnostics = eqlc::check_query(query, engine_options.query);
        auto out = nlohmann::json::array();
        for (const auto& d : diagnostics) out.push_back(diagnostic_json(d));
        // Messages quote the query, which may hold bytes that are not UTF-8: replaced rather than refused.
        return eqlc::capi::copy_out(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } catch (...) {
        return nullptr;  // out of memory (check_query itself never throws)
    }
}
