// Semantic checks: a parsed query is refused here when Elasticsearch would refuse it — unknown functions,
// wrong arity or argument kinds, `~` on a function without a case-insensitive form, comparisons between
// two fields, unsupported pipes, `runs` out of range, missing events without maxspan, inconsistent join
// key counts, non-boolean conditions. Each problem is one Diagnostic (phase semantics) at the node that
// causes it; checking goes on after a problem so that one run reports them all.
#pragma once

#include <cstdint>

#include "eqlc/diagnostics.hpp"
#include "syntax/ast.hpp"

namespace eqlc::semantics {

struct CheckLimits {
    int64_t min_runs = 1;
    int64_t max_runs = 100;  // Elasticsearch's bound for `with runs=N`
};

Diagnostics check_query(const ast::Query& query, const CheckLimits& limits = {});

}  // namespace eqlc::semantics
