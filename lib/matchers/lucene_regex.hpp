// Lucene RegExp syntax (Elasticsearch `regex` / `regex~`, RLike) translated to RE2, matched against the
// whole value.
//
// Supported, with Lucene's meaning (RegExp with the flags Elasticsearch uses by default):
//   .  any one code point (newlines included)          @  any string            #  the empty language
//   ?  *  +  {n}  {n,}  {n,m}  (n > m: matches nothing, like Lucene's repeat; RE2 caps counts at 1000)
//   |  union      ( )  grouping, "()" is the empty string      "..."  literal string (no escapes inside)
//   [abc] [a-z] [^...]  classes (escapes allowed inside; "[]a]" has ']' as its first member)
//   \c  the literal character c (so \. \* \" \\), except the shorthand classes below
//   \d \D \s \S \w \W  shorthand classes (Lucene 9+, i.e. Elasticsearch 8): [0-9], [ \t\n\x0B\f\r],
//                      [a-zA-Z_0-9] and their complements; LuceneRegexOptions::shorthand_classes=false
//                      makes them literal letters as older Lucene did
//   <n-m>  decimal integer interval, expanded into an alternation: when n and m are written with the
//          same number of digits, exactly that many digits (zero-padded) are required ("<01-10>"),
//          otherwise any number of leading zeros is accepted ("<1-100>" matches "007")
// Lucene quirks kept: a quantifier with nothing before it is a literal character ("*a" is "\*a"), and
// ']', '}', '>' are literal outside their constructs.
// Refused with an error value that names the construct and its byte offset: `~` (complement) and `&`
// (intersection), which RE2 cannot express, `<name>` (named automata, which Elasticsearch does not
// register), and malformed syntax (unbalanced ( [ ", bad {n,m}, bad ranges, dangling \).
// Case-insensitive (`regex~`) is ASCII-only, as Lucene's ASCII_CASE_INSENSITIVE flag that the
// Elasticsearch regexp query uses: letters a-z/A-Z match either case (inside classes and ranges too);
// other characters match exactly.
// Values are matched as UTF-8; a value that is not valid UTF-8 can only be matched where its invalid
// bytes are not needed by the pattern (RE2 never matches them with `.` or a class).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace re2 {
class RE2;
}

namespace eqlc::matchers {

struct LuceneRegexOptions {
    bool shorthand_classes = true;  // \d \s \w (and upper-case complements) as classes
};

struct RegexError {
    std::string message;     // names the construct, e.g. "complement operator '~' is not supported"
    std::size_t offset = 0;  // byte offset in the pattern
    std::size_t index = 0;   // which pattern of a list
};

struct LuceneRegexTranslation {
    std::string re2_pattern;  // anchored: "(?s)^(?:body)$", for RE2 in UTF-8 mode
    std::string body;         // unanchored body, for combining several patterns
    // Set when the pattern is a plain literal string and the match is case-sensitive: the caller may test
    // equality instead (Elasticsearch's optimizer rewrites such a regex into equality).
    std::optional<std::string> literal;
};

std::variant<LuceneRegexTranslation, RegexError> translate_lucene_regex(std::string_view pattern, bool case_insensitive,
                                                                        LuceneRegexOptions options = {});

// One compiled RE2 for one pattern or for a list of patterns ORed. Copies share the compiled RE2, which
// is immutable and safe to use from many threads at once.
class RegexMatcher {
public:
    static std::variant<RegexMatcher, RegexError> compile(std::string_view pattern, bool case_insensitive,
                                                          LuceneRegexOptions options = {});
    static std::variant<RegexMatcher, RegexError> compile(const std::vector<std::string>& patterns,
                                                          bool case_insensitive, LuceneRegexOptions options = {});

    // Full match of the original (unfolded) value; case-insensitivity is in the compiled pattern.
    bool matches(std::string_view value) const;
    const std::string& re2_pattern() const { return pattern_; }

private:
    std::shared_ptr<const re2::RE2> re_;
    std::string pattern_;
};

}  // namespace eqlc::matchers
