// The event builder through the C API: the C++ EventBuilder behind an opaque handle, its setters' false as
// EQLC_ERROR_INPUT.
#include <climits>
#include <cstring>

#include "capi/handles.hpp"

namespace {

using eqlc::EventBuilder;

// Runs one setter on the field named `field`, or numbered `number` by eqlc_event_field; a bad field or value is
// EQLC_ERROR_INPUT (the builder keeps the message), an exception (out of memory) EQLC_ERROR_MEMORY.
template <typename Set>
int set_field(eqlc_event* event, const char* field, Set&& set) noexcept {
    if (!event || !field) return EQLC_ERROR_ARGUMENT;
    try {
        return set(event->builder, EventBuilder::FieldRef(field)) ? EQLC_OK : EQLC_ERROR_INPUT;
    } catch (...) {
        return EQLC_ERROR_MEMORY;
    }
}

template <typename Set>
int set_field(eqlc_event* event, int number, Set&& set) noexcept {
    if (!event || number < 0 || static_cast<size_t>(number) >= event->fields.size()) return EQLC_ERROR_ARGUMENT;
    try {
        const EventBuilder::FieldRef field(event->fields[static_cast<size_t>(number)]);
        return set(event->builder, field) ? EQLC_OK : EQLC_ERROR_INPUT;
    } catch (...) {
        return EQLC_ERROR_MEMORY;
    }
}

std::string_view text(const char* value, size_t len) {
    if (!value) return {};
    return len == EQLC_NUL_TERMINATED ? std::string_view(value) : std::string_view(value, len);
}

// Each setter for a field given by name (const char*) or number (int).
template <typename Field>
int string_value(eqlc_event* event, Field field, const char* value, size_t len, bool element) {
    if (!value && len) return EQLC_ERROR_ARGUMENT;  // null is only the empty string given with length 0
    return set_field(event, field, [&](EventBuilder& b, EventBuilder::FieldRef f) {
        return element ? b.append(f, text(value, len)) : b.set(f, text(value, len));
    });
}

template <typename Field, typename Value>
int scalar_value(eqlc_event* event, Field field, Value value, bool element) {
    return set_field(event, field, [&](EventBuilder& b, EventBuilder::FieldRef f) {
        return element ? b.append(f, value) : b.set(f, value);
    });
}

template <typename Field>
int null_value(eqlc_event* event, Field field, bool element) {
    return set_field(event, field, [&](EventBuilder& b, EventBuilder::FieldRef f) {
        return element ? b.append_null(f) : b.set_null(f);
    });
}

template <typename Field>
int empty_array(eqlc_event* event, Field field) {
    return set_field(event, field, [&](EventBuilder& b, EventBuilder::FieldRef f) { return b.set_empty_array(f); });
}

}  // namespace

extern "C" {

eqlc_event* eqlc_event_new(const eqlc_engine* engine) {
    if (!engine) return nullptr;
    try {
        return new eqlc_event{engine->engine->event(), {}};
    } catch (...) {
        return nullptr;
    }
}

void eqlc_event_free(eqlc_event* event) { delete event; }

void eqlc_event_clear(eqlc_event* event) {
    if (event) event->builder.clear();
}

int eqlc_event_field(eqlc_event* event, const char* field) {
    if (!event || !field) return EQLC_ERROR_ARGUMENT;
    try {
        if (event->fields.size() >= static_cast<size_t>(INT_MAX)) return EQLC_ERROR_MEMORY;
        auto id = event->builder.field(field);
        if (!id.usable()) return EQLC_ERROR_INPUT;  // the builder has the message
        event->fields.push_back(std::move(id));
        return static_cast<int>(event->fields.size() - 1);
    } catch (...) {
        return EQLC_ERROR_MEMORY;
    }
}

int eqlc_event_set_string(eqlc_event* event, const char* field, const char* value, size_t len) {
    return string_value(event, field, value, len, false);
}
int eqlc_event_set_int(eqlc_event* event, const char* field, int64_t value) {
    return scalar_value(event, field, value, false);
}
int eqlc_event_set_uint(eqlc_event* event, const char* field, uint64_t value) {
    return scalar_value(event, field, value, false);
}
int eqlc_event_set_double(eqlc_event* event, const char* field, double value) {
    return scalar_value(event, field, value, false);
}
int eqlc_event_set_bool(eqlc_event* event, const char* field, int value) {
    return scalar_value(event, field, value != 0, false);
}
int eqlc_event_set_null(eqlc_event* event, const char* field) { return null_value(event, field, false); }
int eqlc_event_append_string(eqlc_event* event, const char* field, const char* value, size_t len) {
    return string_value(event, field, value, len, true);
}
int eqlc_event_append_int(eqlc_event* event, const char* field, int64_t value) {
    return scalar_value(event, field, value, true);
}
int eqlc_event_append_uint(eqlc_event* event, const char* field, uint64_t value) {
    return scalar_value(event, field, value, true);
}
int eqlc_event_append_double(eqlc_event* event, const char* field, double value) {
    return scalar_value(event, field, value, true);
}
int eqlc_event_append_bool(eqlc_event* event, const char* field, int value) {
    return scalar_value(event, field, value != 0, true);
}
int eqlc_event_append_null(eqlc_event* event, const char* field) { return null_value(event, field, true); }
int eqlc_event_set_empty_array(eqlc_event* event, const char* field) { return empty_array(event, field); }
int eqlc_event_set_string_at(eqlc_event* event, int field, const char* value, size_t len) {
    return string_value(event, field, value, len, false);
}
int eqlc_event_set_int_at(eqlc_event* event, int field, int64_t value) {
    return scalar_value(event, field, value, false);
}
int eqlc_event_set_uint_at(eqlc_event* event, int field, uint64_t value) {
    return scalar_value(event, field, value, false);
}
int eqlc_event_set_double_at(eqlc_event* event, int field, double value) {
    return scalar_value(event, field, value, false);
}
int eqlc_event_set_bool_at(eqlc_event* event, int field, int value) {
    return scalar_value(event, field, value != 0, false);
}
int eqlc_event_set_null_at(eqlc_event* event, int field) { return null_value(event, field, false); }
int eqlc_event_append_string_at(eqlc_event* event, int field, const char* value, size_t len) {
    return string_value(event, field, value, len, true);
}
int eqlc_event_append_int_at(eqlc_event* event, int field, int64_t value) {
    return scalar_value(event, field, value, true);
}
int eqlc_event_append_uint_at(eqlc_event* event, int field, uint64_t value) {
    return scalar_value(event, field, value, true);
}
int eqlc_event_append_double_at(eqlc_event* event, int field, double value) {
    return scalar_value(event, field, value, true);
}
int eqlc_event_append_bool_at(eqlc_event* event, int field, int value) {
    return scalar_value(event, field, value != 0, true);
}
int eqlc_event_append_null_at(eqlc_event* event, int field) { return null_value(event, field, true); }
int eqlc_event_set_empty_array_at(eqlc_event* event, int field) { return empty_array(event, field); }

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
