// Code generation: normalized conditions and value expressions (semantics/normalizer.hpp) become Programs
// (program.hpp). Matchers are built here, once: PatternSets for wildcard lists, LiteralSets/NumberSets for
// `in` lists, RE2 programs for regexps, CidrSets for cidrMatch and ip equality. A matcher that cannot be built
// (an unsupported regexp construct, a bad CIDR block) is a Diagnostic (phase compile) at the constants' span.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "eqlc/diagnostics.hpp"
#include "semantics/normalizer.hpp"
#include "vm/program.hpp"

namespace eqlc::compiler {

// A condition program: HALT_TRUE when `cond` holds. Returns nullopt (with diagnostics) when a matcher fails.
// Without `notes`, the instructions' notes (the source each came from, for EXPLAIN) are left empty: writing them
// out is a good part of compiling a large rule set, and only EXPLAIN reads them.
std::optional<vm::Program> generate_condition(const semantics::Cond& cond, std::string label, Diagnostics& out,
                                              bool notes = true);

// A value program: RET_VALUE with the value of `value`.
std::optional<vm::Program> generate_value(const semantics::ValueExpr& value, std::string label, Diagnostics& out,
                                          bool notes = true);

}  // namespace eqlc::compiler
