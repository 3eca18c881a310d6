// Re-reads a TOML string literal in the raw file text to learn where each byte of its value came from,
// which toml++ does not say (it gives the position of the opening quote only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/rule.hpp"

namespace eqlc::rules::detail {

struct ScannedString {
    std::string value;                     // the decoded value, as a TOML parser gives it
    std::vector<QueryLocation::Run> runs;  // value offsets -> file positions
};

// Scans the string whose opening quote is at byte `quote` of `text` (', ''', " or """). Returns nothing
// when the text there is not a well-formed TOML string (the caller then keeps only the start position).
std::optional<ScannedString> scan_toml_string(std::string_view text, uint32_t quote);

// The value of a hexadecimal digit, or -1.
int hex_digit(char c);

// The byte offset of a toml++ (line, column) pair; toml++ counts columns in code points.
uint32_t byte_offset_of(std::string_view text, uint32_t line, uint32_t column);

}  // namespace eqlc::rules::detail
