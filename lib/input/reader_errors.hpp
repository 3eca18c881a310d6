// The text of the NDJSON reader's errors: the diagnostics of bad lines and of inputs that cannot be opened or
// read. Internal to lib/input (the reader and its byte sources).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "eqlc/diagnostics.hpp"

namespace eqlc::input {

constexpr size_t kExcerptBytes = 200;

Diagnostic input_error(std::string message);
// The failure of a source that cannot be read further.
Diagnostic read_error(const std::string& name, const std::string& error);
const char* json_type_name(simdjson::ondemand::json_type type);
std::string describe(simdjson::error_code e);
// simdjson refuses a root object whose brackets do not balance by the end of the line with one message for two
// different mistakes: see reader_errors.cpp.
size_t trailing_content_column(std::string_view line, bool* closed = nullptr);

}  // namespace eqlc::input
