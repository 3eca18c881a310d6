// EQL wildcard patterns (`:`, `like`, `like~`), compiled once and matched in time linear in the value.
//
// Pattern language (SEMANTICS.md §4): `*` matches any sequence (including the empty one), `?` matches
// exactly one character, every other byte is literal (`\`, `%`, `_`, `.` included); there is no escape,
// and the pattern must match the whole value.
//
// "One character" is one Unicode code point, as Java/Lucene count characters (a code point outside the
// BMP is one `?`, not two UTF-16 units). On bytes: a character starts at any byte that is not a UTF-8
// continuation byte (0x80-0xBF) and extends over all the continuation bytes that follow it. For valid
// UTF-8 that is exactly one code point; for invalid UTF-8 it is a deterministic, documented rule (a stray
// continuation byte at the very start of a value can only be matched by `*` or by a literal byte).
//
// Case-insensitive globs fold the pattern at compile time and the value at match time with
// text::to_lower_root (Java toLowerCase(Locale.ROOT)), then match bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eqlc::matchers {

// The shape of a pattern, decided at compile time; the matcher picks its fastest path from it.
enum class GlobShape : std::uint8_t {
    exact,          // no wildcard:            "abc"
    any,            // only stars:             "*", "**"
    prefix,         // literal then star:      "abc*"
    suffix,         // star then literal:      "*abc"
    contains,       // star, literal, star:    "*abc*"
    prefix_suffix,  // literal, star, literal: "ab*c"
    general,        // anything else (a `?`, or two or more literal parts between stars)
};

const char* to_string(GlobShape shape);

class Glob {
public:
    // Never fails: every string is a valid wildcard pattern.
    static Glob compile(std::string_view pattern, bool case_insensitive);

    // Matches `value` (folded first when the glob is case-insensitive). Thread-safe; when a fold is
    // needed it uses a thread_local scratch buffer, so no allocation in the steady state.
    bool matches(std::string_view value) const;
    // Matches a value that is already folded with text::to_lower_root (or any value when the glob is
    // case-sensitive). No allocation, no shared state.
    bool matches_folded(std::string_view value) const;

    GlobShape shape() const { return shape_; }
    bool case_insensitive() const { return case_insensitive_; }
    // The pattern as matched (folded when case-insensitive).
    const std::string& pattern() const { return pattern_; }
    // Literal parts between stars (each may contain `?`); parts().front() is anchored at the start unless
    // the pattern starts with `*`, parts().back() at the end unless it ends with `*`.
    const std::vector<std::string>& parts() const { return parts_; }
    // The longest run of literal bytes (no `*`, no `?`); empty when there is none. PatternSet uses it
    // as the prefilter key of general patterns.
    std::string_view longest_literal() const;
    // Every maximal run of literal bytes (split at `*` and `?`), in pattern order; views into pattern().
    std::vector<std::string_view> literal_runs() const;

private:
    std::string pattern_;
    std::vector<std::string> parts_;  // split on '*', empty parts dropped except when there is no star
    GlobShape shape_ = GlobShape::exact;
    bool case_insensitive_ = false;
    bool leading_star_ = false;
    bool trailing_star_ = false;
    bool has_question_ = false;
};

// Convenience for one-off use (tests, constant folding): compile and match.
bool glob_match(std::string_view pattern, std::string_view value, bool case_insensitive);

// The longest run of literal characters of a pattern (`*` and `?` are its only metacharacters): every value the
// pattern matches contains it. Empty for a pattern of wildcards only.
std::string_view longest_literal(std::string_view pattern);

// Translates an (already folded, if needed) wildcard pattern into an RE2 pattern, for RE2 in Latin-1
// mode with full-match anchoring, that accepts the same byte strings as Glob::matches_folded (same
// "character" rule for `?`). Used by benchmarks to compare against RE2::Set.
std::string glob_to_re2_latin1(std::string_view pattern);

}  // namespace eqlc::matchers
