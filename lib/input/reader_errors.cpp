// The text of the NDJSON reader's errors (reader_errors.hpp), and the message of a strict stop.
#include "input/reader_errors.hpp"

#include <algorithm>
#include <utility>

#include "input/ndjson_reader.hpp"

namespace eqlc::input {

namespace od = simdjson::ondemand;
using simdjson::error_code;

Diagnostic input_error(std::string message) {
    Diagnostic d;
    d.phase = Phase::input;
    d.severity = Severity::error;
    d.message = std::move(message);
    return d;
}

const char* json_type_name(od::json_type type) {
    switch (type) {
        case od::json_type::array: return "an array";
        case od::json_type::object: return "an object";
        case od::json_type::number: return "a number";
        case od::json_type::string: return "a string";
        case od::json_type::boolean: return "a boolean";
        case od::json_type::null: return "null";
    }
    return "a value";
}

std::string describe(error_code e) {
    switch (e) {
        case simdjson::INCORRECT_TYPE:  // a value that starts like an atom but is not one
        case simdjson::T_ATOM_ERROR:
        case simdjson::F_ATOM_ERROR:
        case simdjson::N_ATOM_ERROR: return "invalid JSON: not a JSON value";
        case simdjson::NUMBER_ERROR: return "invalid JSON: malformed number";
        case simdjson::DEPTH_ERROR:
            return "objects and arrays nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
        default: {
            std::string message = std::string("invalid JSON: ") + simdjson::error_message(e);
            if (!message.empty() && message.back() == '.') message.pop_back();
            return message;
        }
    }
}

// simdjson refuses a root object whose brackets do not balance by the end of the line with one message for two
// different mistakes. On that (rare) path, scan the line to say which: where the object closes early (content
// follows it), or that it never closes (a truncated line). Returns the 1-based column of the trailing content,
// or 0 when the object is not closed.
size_t trailing_content_column(std::string_view line, bool* closed) {
    if (closed) *closed = false;
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) {
                if (closed) *closed = true;
                const size_t rest = line.find_first_not_of(" \t\r", i + 1);
                return rest == std::string_view::npos ? 0 : rest + 1;
            }
        }
    }
    return 0;
}

// The failure of a source that cannot be read further.
Diagnostic read_error(const std::string& name, const std::string& error) {
    return input_error("cannot read '" + name + "': " + error);
}

std::string NdjsonReader::strict_stop_message(const std::string& name, uint64_t line, const std::string& message) {
    return name + ":" + std::to_string(line) + ": " + message + " (strict mode stops here)";
}

}  // namespace eqlc::input
