// Case folding as Elasticsearch does it: Java's String.toLowerCase(Locale.ROOT), applied to UTF-8 text.
// Used at compile time (folding patterns and literal sets once) and at run time (folding event values for
// `:`, `like~`, `in~`, `regex~` and the `~` functions).
#pragma once

#include <string>
#include <string_view>

namespace eqlc::text {

// Lower-cases UTF-8 text the way Java's toLowerCase(Locale.ROOT) does. Invalid UTF-8 bytes are kept as
// they are. ASCII-only input takes a fast path.
std::string to_lower_root(std::string_view utf8);

// Appends the folded form of `utf8` to `out` (no allocation when `out` has capacity).
void append_lower_root(std::string_view utf8, std::string& out);

// True when folding `utf8` would change nothing (lets callers skip a copy).
bool is_lower_root(std::string_view utf8);

}  // namespace eqlc::text
