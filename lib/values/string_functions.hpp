// The string functions of EQL (SEMANTICS §6) as plain functions over UTF-8 text, with Elasticsearch's (Java's)
// semantics: positions and lengths count UTF-16 code units (a code point above U+FFFF counts 2), and the
// case-insensitive `~` variants compare copies lowered with Java's toLowerCase(Locale.ROOT)
// (eqlc::text::to_lower_root).
//
// Null handling belongs to the VM: every function returns null when a required argument is null, so the string
// arguments here are never null. Optional arguments that may legitimately be null are std::optional and the
// comment says what null means. A std::optional result is null when the function's value is null.
//
// Integer position arguments arrive as the VM's longs; Java reads them with Number.intValue(), which keeps the
// low 32 bits, and so do these functions (a start of 2^32 + 1 behaves as 1).
//
// Invalid UTF-8 in inputs: each invalid byte counts as one UTF-16 unit (a U+FFFD) for positions and lengths;
// matching compares bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace eqlc::vm {

// between(src, left, right[, greedy][~]) — EQL StringUtils.between:
//   * src, left or right empty -> src unchanged;
//   * left not found -> ""; the substring starts after the FIRST occurrence of left;
//   * non-greedy: ends at the first occurrence of right at or after that point; greedy: at the LAST occurrence
//     of right in src; right not found -> "".
//   * greedy, when the last occurrence of right starts before the end of the first left (e.g.
//     between("xay", "a", "x", true)): Java throws StringIndexOutOfBoundsException (the query fails);
//     eqlc returns "" [decision].
//   * case_insensitive: the search runs on lowered copies and the result is the corresponding substring of
//     the ORIGINAL src. Positions are mapped back per code point, so it stays right when lowering changes the
//     length (Java reuses the lowered indices on the original, which is only wrong for U+0130 'İ', whose lower
//     case is two UTF-16 units). A match boundary that falls inside the lowered form of one code point is
//     rounded outward from the result (the partly matched code point is excluded).
std::string between(std::string_view src, std::string_view left, std::string_view right, bool greedy,
                    bool case_insensitive);

// startsWith / endsWith [~]: ("", "") is true; any string starts and ends with "".
bool starts_with(std::string_view src, std::string_view prefix, bool case_insensitive);
bool ends_with(std::string_view src, std::string_view suffix, bool case_insensitive);

// indexOf(src, sub[, start][~]) — Java String.indexOf(sub, start) in UTF-16 units; null when not found.
//   * start null or absent -> 0 (IndexOfFunctionProcessor; the docs' claim of null is wrong); negative -> 0;
//   * start >= length(src): null, except for sub == "" which gives length(src) (Java clamps);
//   * sub == "" with start < length(src): start (even if start falls between the two units of a surrogate
//     pair, as in Java);
//   * case_insensitive: searches the lowered copies; start and the result are positions in the ORIGINAL src
//     (Java uses the lowered string's positions, which differ only when src contains U+0130).
std::optional<std::int64_t> index_of(std::string_view src, std::string_view sub, std::optional<std::int64_t> start,
                                     bool case_insensitive);

// length(s): UTF-16 code units.
std::int64_t string_length(std::string_view s);

// substring(src, start[, end]) — StringUtils.substringSlice, Python slice semantics over UTF-16 units: negative
// positions add length(src), then both are clamped to [0, length]; start >= end gives ""; `end` null or
// absent means length(src). A bound that splits a surrogate pair would leave half a pair (a lone surrogate,
// which UTF-8 cannot hold): that half becomes U+FFFD [decision].
std::string substring(std::string_view src, std::int64_t start, std::optional<std::int64_t> end);

// stringContains(src, sub[~]): false when src or sub is empty (even ("", "")).
bool string_contains(std::string_view src, std::string_view sub, bool case_insensitive);

// concat(v1, ...) of already stringified pieces (see number_format.hpp for numbers and booleans; a null piece
// makes the whole result null, which the VM checks first).
std::string concat(std::span<const std::string_view> pieces);
void append_concat(std::span<const std::string_view> pieces, std::string& out);

}  // namespace eqlc::vm
