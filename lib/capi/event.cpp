// The event builder through the C API: the C++ EventBuilder behind an opaque handle, its setters' false as
// EQLC_ERROR_INPUT.
#include <cstring>

#include "capi/handles.hpp"

namespace {

// Runs one setter; a bad field or value is EQLC_ERROR_INPUT (the builder keeps the message), an exception (out of
// memory) EQLC_ERROR_MEMORY.
template <typename Set>
int set_field(eqlc_event* event, const char* field, Set&& set) noexcept {
    if (!event || !field) return EQLC_ERROR_ARGUMENT;
    try {
        return set(event->builder, std::string_view(field)) ? EQLC_OK : EQLC_ERROR_INPUT;
    } catch (...) {
        return EQLC_ERROR_MEMORY;
    }
}

std::string_view text(const char* value, size_t len) {
    if (!value) return {};
    return len == EQLC_NUL_TERMINATED ? std::string_view(value) : std::string_view(value, len);
}

}  // namespace

extern "C" {

eqlc_event* eqlc_event_new(const eqlc_engine* engine) {
    if (!engine) return nullptr;
    try {
        return new eqlc_event{engine->engine->event()};
    } catch (...) {
        return nullptr;
    }
}

void eqlc_event_free(eqlc_event* event) { delete event; }

void eqlc_event_clear(eqlc_event* event) {
    if (event) event->builder.clear();
}

int eqlc_event_set_string(eqlc_event* event, const char* field, const char* value, size_t len) {
    if (!value && len) return EQLC_ERROR_ARGUMENT;  // null is only the empty string given with length 0
    return set_field(event, field,
                     [&](eqlc::EventBuilder& b, std::string_view f) { return b.set(f, text(value, len)); });
}

int eqlc_event_set_int(eqlc_event* event, const char* field, int64_t value) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.set(f, value); });
}

int eqlc_event_set_uint(eqlc_event* event, const char* field, uint64_t value) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.set(f, value); });
}

int eqlc_event_set_double(eqlc_event* event, const char* field, double value) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.set(f, value); });
}

int eqlc_event_set_bool(eqlc_event* event, const char* field, int value) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.set(f, value != 0); });
}

int eqlc_event_set_null(eqlc_event* event, const char* field) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.set_null(f); });
}

int eqlc_event_append_string(eqlc_event* event, const char* field, const char* value, size_t len) {
    if (!value && len) return EQLC_ERROR_ARGUMENT;  // null is only the empty string given with length 0
    return set_field(event, field,
                     [&](eqlc::EventBuilder& b, std::string_view f) { return b.append(f, text(value, len)); });
}

int eqlc_event_append_int(eqlc_event* event, const char* field, int64_t value) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.append(f, value); });
}

int eqlc_event_append_uint(eqlc_event* event, const char* field, uint64_t value) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.append(f, value); });
}

int eqlc_event_append_double(eqlc_event* event, const char* field, double value) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.append(f, value); });
}

int eqlc_event_append_bool(eqlc_event* event, const char* field, int value) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.append(f, value != 0); });
}

int eqlc_event_append_null(eqlc_event* event, const char* field) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.append_null(f); });
}

int eqlc_event_set_empty_array(eqlc_event* event, const char* field) {
    return set_field(event, field, [&](eqlc::EventBuilder& b, std::string_view f) { return b.set_empty_array(f); });
}

int eqlc_event_set_time(eqlc_event* event, int64_t nanos) {
    if (!event) return EQLC_ERROR_ARGUMENT;
    try {
        return event->builder.set_time(nanos) ? EQLC_OK : EQLC_ERROR_INPUT;
    } catch (...) {
        return EQLC_ERROR_MEMORY;
    }
}

const char* eqlc_event_error(const eqlc_event* event) {
    if (!event) return "no event";
    return event->builder.ok() ? nullptr : event->builder.error().c_str();
}

char* eqlc_event_json(const eqlc_event* event) {
    if (!event) return nullptr;
    try {
        return eqlc::capi::copy_out(event->builder.json());
    } catch (...) {
        return nullptr;
    }
}

}  // extern "C"
