// Required text: what an event's raw JSON line must contain for a filter to have any chance of holding.
//
// Most events in a stream cannot match any loaded query, and most queries compare fields with string constants.
// If a filter holds only when `process.name : "svchost.exe"`, the line holds the text `svchost.exe` (in some
// case), so a line without it can be skipped before it is parsed. This is the prefilter of network IDSs
// (Snort/Suricata's fast_pattern): a cheap multi-literal search decides which events are worth the full
// evaluation. The reader (input/line_filter.hpp) applies it; the full evaluation still decides every match, so
// the condition only has to be NECESSARY, never sufficient.
//
// The condition is a CNF over needles: every clause must have one of its needles in the line. It is derived from
// the normalized condition (semantics/normalizer.hpp):
//   * a positive field test of a string-typed field (keyword or dynamic, no null_value mapping) against string
//     constants gives one clause: equality and `in` give the constants; wildcard patterns their longest literal
//     piece; startsWith its prefix. Case-insensitive tests give lowered needles.
//   * `and` collects its children's clauses (keeping the most selective few); `or` gives one clause, the union of
//     each child's best clause; a child without a condition makes the whole `or` unconditional.
//   * negated tests, numbers, dates, ips, regexps and value tests (functions, arithmetic) give no condition.
//
// Why a needle is in the line when the value satisfies the test: JSON writes a string character by character
// ('"' as \", '\' as \\, the five control escapes), so when no character is written as \uXXXX and no '/' as \/,
// the text of a value that contains the needle's characters contains the needle's JSON form. Keyword values
// that came from numbers or booleans are their JSON text. The line filter treats every line with a \u or \/
// escape as a candidate. Case-insensitive needles are ASCII only (a test whose lowered constant is not gives no
// condition) and are searched ignoring ASCII case. That is Java's toLowerCase on ASCII text, and the only
// non-ASCII characters it lowers to ASCII ones are KELVIN SIGN (to k) and LATIN CAPITAL LETTER I WITH DOT ABOVE
// (to i + U+0307): the line filter treats every line holding one of them as a candidate.
#pragma once

#include <string>
#include <vector>

#include "input/needles.hpp"
#include "semantics/normalizer.hpp"

namespace eqlc::compiler {

// The needles and their CNF are the reader's types (input/needles.hpp); the compiler fills them.
using input::Needle;
using input::RequiredText;

// A positive test of a field that holds its strings as written: string-typed fields (numbers, dates, ips and
// versions compare by value, 1.35e2 == 135) without a null_value mapping (which makes a JSON null read as a
// constant). Such a test holds only when some string value of the field satisfies it.
bool text_field_test(const semantics::Cond& c);

// The required text of a normalized filter condition.
RequiredText required_text(const semantics::Cond& cond);

// "svchost.exe" or ~"network"|~"ingress", for --explain.
std::string to_string(const RequiredText& required);

// The same idea on the parsed event: a string a field must hold among its values for a filter to hold. The
// filter is a conjunction with a positive, case-sensitive `field == "value"` test (the category test of
// `process where` is one) of a field whose test reads text as written (as for needles: keyword or dynamic, no
// null_value, which would make an explicit null read as a constant). Only for values that no number or boolean
// spells (a keyword field holds a JSON number or boolean as its text): starting with a letter, not true/false.
struct ExactValue {
    vm::SlotId slot = 0;
    std::string field;  // the field's path, for explain
    std::string value;
};

// The exact values a normalized filter condition requires (its conjuncts of that form).
std::vector<ExactValue> exact_values(const semantics::Cond& cond);

}  // namespace eqlc::compiler
