// An engine's statistics and snapshots through the C API.
#include <algorithm>
#include <cstring>
#include <numeric>

#include <nlohmann/json.hpp>

#include "capi/handles.hpp"

namespace {

using eqlc::capi::fail;
using eqlc::capi::guarded;

eqlc_stats stats_of(const eqlc::EngineStats& s) {
    eqlc_stats out{};
    out.struct_size = sizeof out;
    out.events = s.events;
    out.skipped_events = s.skipped_events;
    out.bad_lines = s.bad_lines;
    out.events_without_timestamp = s.events_without_timestamp;
    out.out_of_order = s.out_of_order;
    out.bytes = s.bytes;
    out.evaluation_errors = s.evaluation_errors;
    out.alerts = std::accumulate(s.matches.begin(), s.matches.end(), uint64_t{0});
    out.evicted_keys = s.evicted_keys;
    out.pending_partials = s.pending_partials;
    out.state_bytes = s.state_bytes;
    return out;
}

}  // namespace

extern "C" {

int eqlc_engine_get_stats(const eqlc_engine* engine, eqlc_stats* stats) {
    if (!engine || !stats) return EQLC_ERROR_ARGUMENT;
    if (stats->struct_size < sizeof(size_t)) return EQLC_ERROR_ARGUMENT;  // struct_size not set
    const eqlc_stats full = stats_of(engine->engine->stats());
    const size_t size = std::min(stats->struct_size, sizeof full);
    // Everything after struct_size, as far as the caller's struct goes; struct_size stays the caller's.
    std::memcpy(reinterpret_cast<char*>(stats) + sizeof(size_t), reinterpret_cast<const char*>(&full) + sizeof(size_t),
                size - sizeof(size_t));
    return EQLC_OK;
}

char* eqlc_engine_stats_json(const eqlc_engine* engine) {
    if (!engine) return nullptr;
    try {
        const eqlc::EngineStats& s = engine->engine->stats();
        const eqlc_stats flat = stats_of(s);
        nlohmann::json out{{"events", flat.events},
                           {"skipped_events", flat.skipped_events},
                           {"bad_lines", flat.bad_lines},
                           {"events_without_timestamp", flat.events_without_timestamp},
                           {"out_of_order", flat.out_of_order},
                           {"bytes", flat.bytes},
                           {"evaluation_errors", flat.evaluation_errors},
                           {"alerts", flat.alerts},
                           {"evicted_keys", flat.evicted_keys},
                           {"pending_partials", flat.pending_partials},
                           {"state_bytes", flat.state_bytes}};
        auto rules = nlohmann::json::array();
        for (size_t q = 0; q < engine->engine->query_count(); ++q) {
            nlohmann::json rule{{"name", engine->engine->query_name(q)},
                                {"alerts", q < s.matches.size() ? s.matches[q] : 0},
                                {"evicted_keys", q < s.evicted_keys_by_query.size() ? s.evicted_keys_by_query[q] : 0}};
            if (q < s.stages_by_query.size() && !s.stages_by_query[q].stages.empty()) {
                const eqlc::QueryStageStats& st = s.stages_by_query[q];
                auto stages = nlohmann::json::array();
                for (const eqlc::StageStats& x : st.stages)
                    stages.push_back({{"passed", x.passed},
                                      {"started", x.started},
                                      {"advanced", x.advanced},
                                      {"replaced", x.replaced},
                                      {"expired", x.expired},
                                      {"until", x.until},
                                      {"evicted", x.evicted},
                                      {"dropped_at_finish", x.dropped_at_finish},
                                      {"kept", x.kept}});
                rule["stages"] = std::move(stages);
                rule["completed"] = st.completed;
                rule["until_events"] = st.until_events;
                rule["rejected_missing"] = st.rejected_missing;
            }
            rules.push_back(std::move(rule));
        }
        out["rules"] = std::move(rules);
        return eqlc::capi::copy_out(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } catch (...) {
        return nullptr;
    }
}

int eqlc_engine_snapshot(eqlc_engine* engine, void** bytes, size_t* len) {
    if (bytes) *bytes = nullptr;
    if (len) *len = 0;
    return guarded(engine, [&]() -> int {
        if (!bytes || !len) return fail(engine, EQLC_ERROR_ARGUMENT, "eqlc_engine_snapshot: no place for the bytes");
        std::string state;
        eqlc::Diagnostic error;
        if (!engine->engine->snapshot(state, &error)) return fail(engine, EQLC_ERROR_STATE, error.message);
        // malloc(0) may give null: a snapshot is never empty, but keep one byte for the case.
        void* out = std::malloc(std::max<size_t>(state.size(), 1));
        if (!out) return fail(engine, EQLC_ERROR_MEMORY, "out of memory");
        std::memcpy(out, state.data(), state.size());
        *bytes = out;
        *len = state.size();
        return EQLC_OK;
    });
}

int eqlc_engine_restore(eqlc_engine* engine, const void* bytes, size_t len) {
    return guarded(engine, [&]() -> int {
        if (!bytes && len) return fail(engine, EQLC_ERROR_ARGUMENT, "eqlc_engine_restore: no bytes");
        eqlc::Diagnostic error;
        const std::string_view state(static_cast<const char*>(bytes), bytes ? len : 0);
        if (!engine->engine->restore(state, &error)) return fail(engine, EQLC_ERROR_STATE, error.message);
        return EQLC_OK;
    });
}

}  // extern "C"
