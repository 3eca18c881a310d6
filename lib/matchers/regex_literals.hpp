// Text a Lucene regexp (matchers/lucene_regex.hpp) cannot match without: for the rule index, which files a term
// under a literal its filter requires (compiler/index_keys.hpp), as it does for wildcard patterns.
//
// The analysis is conservative: it reads the pattern's top level only, a sequence of atoms, and keeps the longest
// run of consecutive atoms that are each one literal character (or a "quoted string") and that must each occur
// exactly there: an atom under `?`, `*` or `{0,...}` may be absent and ends the run before it; under `+` or
// `{n,...}` it may repeat, and ends the run after it. Anything else (`.`, classes, groups, `@`, intervals) ends the
// run. A top-level `|` splits the pattern into branches, each of which must have a literal. Every match of the
// pattern contains one of the returned literals; an empty result means no literal was found (not that none
// exists). Syntax the translator would refuse gives an empty result too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace eqlc::matchers {

// One literal per top-level branch, or none. With `ascii_only` (for `regex~`, whose case-insensitivity covers
// ASCII letters only) a run stops at any non-ASCII byte, so that a caller may fold the literals with
// text::to_lower_root and find them in the folded value.
std::vector<std::string> regex_required_literals(std::string_view pattern, bool ascii_only);

}  // namespace eqlc::matchers
