// Semantic checks: a parsed query is refused here when Elasticsearch would refuse it — unknown functions,
// wrong arity or argument kinds, `~` on a function without a case-insensitive form, comparisons between
// two fields, unsupported pipes, `runs` out of range, missing events without maxspan, inconsistent join
// key counts, non-boolean conditions. Each problem is one Diagnostic (phase semantics) at the node that
// causes it; checking goes on after a problem so that one run reports them all.
#pragma once

#include <cstddef>
#include <cstdint>

#include "eqlc/diagnostics.hpp"
#include "syntax/ast.hpp"

namespace eqlc::semantics {

struct CheckLimits {
    int64_t min_runs = 1;
    int64_t max_runs = 100;  // Elasticsearch's bound for `with runs=N`
};

// At most kMaxProblems problems are reported per query (checked, then compiled): a rule with 50,000 wrong operands
// gets the first ones and a count of the others, not 50,000 messages each quoting its line.
constexpr size_t kMaxProblems = 100;

// Keeps the first kMaxProblems diagnostics and replaces the others by one error at the first of them that says how
// many were left out (a warning when all of those were warnings).
void limit_problems(Diagnostics& diagnostics);

Diagnostics check_query(const ast::Query& query, const CheckLimits& limits = {});

}  // namespace eqlc::semantics
