// Index keys: the string tests a filter cannot hold without, in a form a rule index can look up.
//
// A library of rules runs every event through every rule's filters, yet most filters fail on a test of one
// field against a few constants (`process.name in ("cmd.exe", ...)`, `event.category == "process"`,
// `file.path : "*\\startup\\*"`). The engine's rule index (engine/rule_index.hpp) reads each such field once per
// event and looks its values up in one table for all rules, so that only the terms whose key an event satisfies
// run their programs. A key must be NECESSARY for the filter: a term whose key the event does not satisfy must
// never hold, so only tests with exactly the VM's meaning are keys:
//
//   * positive field tests of string-typed fields (keyword or dynamic, no null_value mapping: a null would read
//     as the constant) — the VM's string tests only ever hold on string values of the field (any of them);
//   * `==`, `in` (exact strings), `:` / `in~` without wildcards (strings folded with text::to_lower_root, the
//     VM's folding), wildcard patterns of `:`, `like`, `like~` (folded when case-insensitive), startsWith
//     on a plain field (the pattern "prefix*", when the prefix has no wildcard character), and `regex` /
//     `regex~` whose every pattern has a literal it cannot match without (the pattern "*literal*");
//   * `==` and `in` of integer constants, on fields that are not dates, ips or versions: the VM's number tests only
//     ever hold on number values, equal in value (a floating 445.0 equals 445);
//   * an `and` has one key per such conjunct (the engine picks the most selective); an `or` has one key, the
//     alternatives of one key of each branch (all of them kept, for the engine to choose), or none when a
//     branch has none. A branch that can never hold
//     (the constant false) needs nothing; a filter that can never hold has one key with no alternative.
// Negated tests, number ranges, floating constants, dates, ips, regexps without a literal, cidrMatch and value
// tests (functions, arithmetic) give no key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "semantics/normalizer.hpp"
#include "values/field_catalog.hpp"

namespace eqlc::compiler {

// One field against constants: holds when some string value of the field satisfies the test.
struct IndexAlternative {
    enum class Kind : uint8_t {
        exact,           // equals one of `values`
        folded,          // folded with text::to_lower_root, equals one of `values` (already folded)
        pattern,         // matches one of the wildcard patterns `values` (`*`, `?`)
        folded_pattern,  // folded, matches one of the (folded) patterns
        number,          // a number (integer or floating) equal to one of the integers `values` (in decimal)
    };
    Kind kind = Kind::exact;
    vm::SlotId slot = 0;
    std::string field;  // the path, for --explain
    std::vector<std::string> values;
};

// An `or` whose key grows beyond this many alternatives gives none (it would hold on most events anyway).
inline constexpr size_t kMaxIndexAlternatives = 16;

// Holds when one of its alternatives does (none: never).
struct IndexKey {
    std::vector<IndexAlternative> alternatives;
    // For the key of an `or`: every key of each branch (each one necessary for its branch). `alternatives` holds
    // one key per branch picked on local grounds; an index that knows which values are common across its rules
    // can pick better ones (engine/rule_index.cpp): `(event.type == "creation" and file.path : "*x*") or
    // (event.type == "start" and process.name : "*x*")` is better keyed on the two patterns than on event.type.
    std::vector<std::vector<IndexKey>> branches;
};

// The keys of a normalized filter condition (each one necessary for it); empty when it has none.
std::vector<IndexKey> index_keys(const semantics::Cond& cond);

// "process.name in 3 values", "file.path : 12 patterns (folded)", joined with " or ", for --explain.
std::string to_string(const IndexKey& key);

}  // namespace eqlc::compiler
