// Index arithmetic between our UTF-8 strings and the UTF-16 code units that Elasticsearch (Java) counts.
//
// Java strings are UTF-16: `length()`, `indexOf()` and `substring()` positions count code units, and a code
// point above U+FFFF takes two units (a surrogate pair). eqlc keeps text as UTF-8, so every position that a
// user can see (indexOf results, substring bounds, length) goes through these helpers.
//
// Invalid UTF-8: each byte that does not start a well-formed sequence is decoded as U+FFFD and counts as one
// UTF-16 unit (what a lenient decoder such as Java's would produce from it). Well-formed means the sequence is
// the shortest form, is not a surrogate, and is at most U+10FFFF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eqlc::text {

inline constexpr char32_t kReplacementCharacter = U'\uFFFD';

struct DecodedCodePoint {
    char32_t code_point;       // U+FFFD when the bytes are invalid
    std::uint8_t byte_length;  // 1..4; an invalid byte is consumed on its own (1)
    bool valid;
};

// Decodes the code point that starts at byte `pos` (pos < s.size()).
DecodedCodePoint decode_utf8(std::string_view s, std::size_t pos) noexcept;

// Number of UTF-16 code units of a code point.
constexpr std::size_t utf16_units(char32_t cp) noexcept { return cp > 0xFFFF ? 2 : 1; }

bool is_ascii(std::string_view s) noexcept;

// Java's String.length() of the text.
std::size_t utf16_length(std::string_view s) noexcept;

// UTF-16 units of the prefix s[0, byte_offset). An offset inside a multi-byte sequence counts the code point
// that the offset falls in (i.e. rounds up to the end of that code point). Offsets past the end are clamped.
std::size_t utf16_offset_of_byte(std::string_view s, std::size_t byte_offset) noexcept;

// Where UTF-16 offset `units` falls in the UTF-8 text.
struct Utf8Position {
    std::size_t byte_offset;  // start of the code point that contains the unit (s.size() at or past the end)
    bool splits_pair;         // the offset is between the two surrogates of a code point above U+FFFF
};
// Offsets at or past the end give {s.size(), false}.
Utf8Position byte_offset_of_utf16(std::string_view s, std::size_t units) noexcept;

// Appends the UTF-8 encoding of `cp` (surrogates and values above U+10FFFF become U+FFFD).
void append_utf8(char32_t cp, std::string& out);

// Java's String.compareTo: compares UTF-16 code unit sequences. Returns <0, 0 or >0. This differs from a plain
// byte comparison of UTF-8 only between code points in U+E000..U+FFFF and code points above U+FFFF
// (UTF-16 sorts the surrogates D800..DFFF below E000).
int compare_utf16(std::string_view a, std::string_view b) noexcept;

}  // namespace eqlc::text
