// The text of the NDJSON reader's errors: the diagnostics of bad lines and of inputs that cannot be opened or
// read. Internal to lib/input (the reader and its byte sources).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "eqlc/diagnostics.hpp"

namespace eqlc::input {

// How much of a bad line is kept (BadLine::excerpt).
constexpr size_t kExcerptBytes = 200;

// An error of phase input with this message.
Diagnostic input_error(std::string message);
// The failure of a source that cannot be read further.
Diagnostic read_error(const std::string& name, const std::string& error);
// "an array", "a string", ... (for "expected a JSON object, found ...").
const char* json_type_name(simdjson::ondemand::json_type type);
// The message of a line simdjson refused with `e`.
std::string describe(simdjson::error_code e);
// Which of two mistakes simdjson reports alike (see reader_errors.cpp): the 1-based column of the content after a
// root object that closes early, or 0 when it never closes (`closed` says which).
size_t trailing_content_column(std::string_view line, bool* closed = nullptr);

}  // namespace eqlc::input
