// Running an engine through the C API: handlers, events in, the end of input, and what the engine says about itself.
#include <string>

#include "capi/handles.hpp"

namespace {

using eqlc::capi::fail;
using eqlc::capi::guarded;

// Starts counting the bad input of one call.
void begin_call(eqlc_engine& e) {
    e.bad_inputs = 0;
    e.first_bad_input.clear();
}

// The status of a call that met `e.bad_inputs` bad events or lines.
int input_status(eqlc_engine& e) {
    if (e.bad_inputs == 0) return EQLC_OK;
    std::string message = e.first_bad_input;
    if (e.bad_inputs > 1) message += " (and " + std::to_string(e.bad_inputs - 1) + " more)";
    return fail(&e, EQLC_ERROR_INPUT, message);
}

}  // namespace

extern "C" {

void eqlc_engine_on_alert(eqlc_engine* engine, eqlc_alert_fn fn, void* user) {
    if (!engine) return;
    engine->alert_fn = fn;
    engine->alert_user = user;
}

void eqlc_engine_on_bad_input(eqlc_engine* engine, eqlc_bad_input_fn fn, void* user) {
    if (!engine) return;
    engine->bad_input_fn = fn;
    engine->bad_input_user = user;
}

int eqlc_engine_push_json(eqlc_engine* engine, const char* json, size_t len) {
    return guarded(engine, [&]() -> int {
        if (!json && len) return fail(engine, EQLC_ERROR_ARGUMENT, "eqlc_engine_push_json: no text");
        begin_call(*engine);
        const bool used = engine->engine->push_json(std::string_view(json ? json : "", len));
        // An event refused without a report cannot happen; say so rather than return OK for it.
        if (!used && engine->bad_inputs == 0) return fail(engine, EQLC_ERROR_INPUT, "<event>: event not used");
        return input_status(*engine);
    });
}

int eqlc_engine_push_ndjson(eqlc_engine* engine, const char* text, size_t len, const char* origin,
                            size_t* events_used) {
    if (events_used) *events_used = 0;
    return guarded(engine, [&]() -> int {
        if (!text && len) return fail(engine, EQLC_ERROR_ARGUMENT, "eqlc_engine_push_ndjson: no text");
        begin_call(*engine);
        eqlc::PushOptions options;
        if (origin) options.origin = origin;
        const size_t used = engine->engine->push_ndjson(std::string_view(text ? text : "", len), options);
        if (events_used) *events_used = used;
        return input_status(*engine);
    });
}

int eqlc_engine_push_event(eqlc_engine* engine, const eqlc_event* event) {
    return guarded(engine, [&]() -> int {
        if (!event) return fail(engine, EQLC_ERROR_ARGUMENT, "eqlc_engine_push_event: no event");
        begin_call(*engine);
        const bool used = engine->engine->push(event->builder);
        if (!used && engine->bad_inputs == 0) return fail(engine, EQLC_ERROR_INPUT, "<event>: event not used");
        return input_status(*engine);
    });
}

int eqlc_engine_finish(eqlc_engine* engine) {
    return guarded(engine, [&]() -> int {
        engine->engine->finish();
        return EQLC_OK;
    });
}

const char* eqlc_engine_last_error(const eqlc_engine* engine) {
    return engine ? engine->last_error.c_str() : "no engine";
}

size_t eqlc_engine_rule_count(const eqlc_engine* engine) { return engine ? engine->engine->query_count() : 0; }

const char* eqlc_engine_rule_name(const eqlc_engine* engine, size_t rule) {
    if (!engine || rule >= engine->engine->query_count()) return nullptr;
    return engine->engine->query_name(rule).c_str();
}

size_t eqlc_engine_field_count(const eqlc_engine* engine) { return engine ? engine->fields.size() : 0; }

const char* eqlc_engine_field(const eqlc_engine* engine, size_t field) {
    if (!engine || field >= engine->fields.size()) return nullptr;
    return engine->fields[field].c_str();
}

}  // extern "C"
