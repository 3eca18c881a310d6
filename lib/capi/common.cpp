// The C API's handle-free functions: versions, status names, memory, options, and the helpers of handles.hpp.
#include <algorithm>
#include <cstring>
#include <optional>

#include "capi/handles.hpp"
#include "eqlc/mapping.hpp"

namespace eqlc::capi {

char* copy_out(std::string_view text) noexcept {
    auto* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (!out) return nullptr;
    if (!text.empty()) std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
    return out;
}

void set_error(char** error, std::string_view message) noexcept {
    if (error) *error = copy_out(message);
}

int fail(eqlc_engine* engine, int status, std::string_view message) noexcept {
    try {
        engine->last_error.assign(message);
    } catch (...) {
        engine->last_error.clear();  // out of memory: the status still says what kind of failure
    }
    return status;
}

bool engine_options(const eqlc_options* given, EngineOptions& out, int& status, std::string& message) {
    eqlc_options o;
    eqlc_options_init(&o);
    if (given) {
        if (given->struct_size == 0) {
            status = EQLC_ERROR_ARGUMENT;
            message = "options: struct_size is 0 (fill the options with eqlc_options_init first)";
            return false;
        }
        // An older caller's struct is shorter: the fields it lacks keep their defaults. A newer one's is longer:
        // the fields this library does not know are left unread.
        std::memcpy(&o, given, std::min(given->struct_size, sizeof o));
    }
    out = EngineOptions{};
    if (o.timestamp_field) out.query.timestamp_field = o.timestamp_field;
    if (o.event_category_field) out.query.event_category_field = o.event_category_field;
    if (o.tiebreaker_field) out.query.tiebreaker_field = std::string(o.tiebreaker_field);
    if (o.mapping_json) {
        Diagnostic error;
        auto mapping = Mapping::parse(o.mapping_json, &error);
        if (!mapping) {
            status = EQLC_ERROR_MAPPING;
            message = "mapping: " + error.message;
            return false;
        }
        out.query.mapping = std::make_shared<const Mapping>(std::move(*mapping));
    }
    if (o.max_keys) out.max_keys = o.max_keys;
    if (o.max_state_bytes) out.max_state_bytes = o.max_state_bytes;
    out.rule_index = o.rule_index != 0;
    out.line_prefilter = o.line_prefilter != 0;
    out.skip_invalid_queries = o.skip_invalid != 0;
    return true;
}

}  // namespace eqlc::capi

extern "C" {

const char* eqlc_status_name(int status) {
    switch (status) {
        case EQLC_OK: return "EQLC_OK";
        case EQLC_ERROR_ARGUMENT: return "EQLC_ERROR_ARGUMENT";
        case EQLC_ERROR_QUERY: return "EQLC_ERROR_QUERY";
        case EQLC_ERROR_RULE: return "EQLC_ERROR_RULE";
        case EQLC_ERROR_IO: return "EQLC_ERROR_IO";
        case EQLC_ERROR_INPUT: return "EQLC_ERROR_INPUT";
        case EQLC_ERROR_STATE: return "EQLC_ERROR_STATE";
        case EQLC_ERROR_MAPPING: return "EQLC_ERROR_MAPPING";
        case EQLC_ERROR_MEMORY: return "EQLC_ERROR_MEMORY";
        case EQLC_ERROR_INTERNAL: return "EQLC_ERROR_INTERNAL";
        default: return "EQLC_UNKNOWN";
    }
}

void eqlc_free(void* p) { std::free(p); }

#define EQLC_STRINGIFY2(x) #x
#define EQLC_STRINGIFY(x) EQLC_STRINGIFY2(x)

const char* eqlc_version(void) {
    return EQLC_STRINGIFY(EQLC_VERSION_MAJOR) "." EQLC_STRINGIFY(EQLC_VERSION_MINOR) "." EQLC_STRINGIFY(
        EQLC_VERSION_PATCH);
}

int eqlc_version_number(void) { return EQLC_VERSION_MAJOR * 10000 + EQLC_VERSION_MINOR * 100 + EQLC_VERSION_PATCH; }

void eqlc_options_init(eqlc_options* options) {
    if (!options) return;
    *options = eqlc_options{};
    options->struct_size = sizeof(eqlc_options);
    const eqlc::EngineOptions defaults;
    options->max_keys = defaults.max_keys;
    options->max_state_bytes = defaults.max_state_bytes;
    options->rule_index = defaults.rule_index ? 1 : 0;
    options->line_prefilter = defaults.line_prefilter ? 1 : 0;
}

}  // extern "C"
