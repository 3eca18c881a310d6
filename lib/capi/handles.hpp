// What the C API's opaque handles hold, and the helpers every C entry point uses: the options translated to the C++
// ones, strings handed to C in malloc'd memory, and the guard that turns any exception into a status, so that none
// crosses into C.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/engine.hpp"
#include "eqlc/eqlc.h"
#include "eqlc/event_builder.hpp"
#include "eqlc/rule_loader.hpp"

struct eqlc_engine {
    std::vector<eqlc::rules::FolderLoad> loads;   // owns the rules `rules` points to
    std::vector<const eqlc::rules::Rule*> rules;  // per query: its rule, or null for a query given as text
    std::unique_ptr<eqlc::Engine> engine;
    std::vector<std::string> fields;  // Engine::fields(), kept for eqlc_engine_field

    eqlc_alert_fn alert_fn = nullptr;
    void* alert_user = nullptr;
    eqlc_bad_input_fn bad_input_fn = nullptr;
    void* bad_input_user = nullptr;

    std::string last_error;  // what the last failing call found ("" after a call that succeeded)
    // Bad input met during the current call: how many, and the first one's message.
    size_t bad_inputs = 0;
    std::string first_bad_input;
};

struct eqlc_event {
    eqlc::EventBuilder builder;
    std::vector<eqlc::EventBuilder::FieldId> fields;  // eqlc_event_field's, by the number it returned
};

namespace eqlc::capi {

// A copy of `text` in malloc'd memory, NUL-terminated, for the caller to eqlc_free; null when memory ran out.
char* copy_out(std::string_view text) noexcept;

// Sets `*error` (when `error` is not null) to a copy of `message`; never throws.
void set_error(char** error, std::string_view message) noexcept;

// Records the message of a failed call on the engine; never throws (the message may then be lost).
int fail(eqlc_engine* engine, int status, std::string_view message) noexcept;

// The caller's options (null: the defaults) as the engine's. False with `status` and `message` when they cannot be
// used (struct_size 0, a mapping that does not parse).
bool engine_options(const eqlc_options* given, EngineOptions& out, int& status, std::string& message);

// Runs `body` (which returns a status) on `engine`: clears last_error first, and turns an exception into
// EQLC_ERROR_MEMORY or EQLC_ERROR_INTERNAL with its message.
template <typename Body>
int guarded(eqlc_engine* engine, Body&& body) noexcept {
    if (!engine) return EQLC_ERROR_ARGUMENT;
    try {
        engine->last_error.clear();
        return body();
    } catch (const std::bad_alloc&) {
        return fail(engine, EQLC_ERROR_MEMORY, "out of memory");
    } catch (const std::exception& e) {
        return fail(engine, EQLC_ERROR_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
        return fail(engine, EQLC_ERROR_INTERNAL, "internal error");
    }
}

}  // namespace eqlc::capi
