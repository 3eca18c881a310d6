// Levenshtein distance, for "did you mean" hints (unknown functions, unknown fields).
#pragma once

#include <cstddef>
#include <string_view>

namespace eqlc::text {

// Insertions, deletions and substitutions of bytes turning `a` into `b`; ASCII letters compare equal
// ignoring case when asked.
size_t edit_distance(std::string_view a, std::string_view b, bool ignore_ascii_case = false);

}  // namespace eqlc::text
