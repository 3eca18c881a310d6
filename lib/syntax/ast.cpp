#include "syntax/ast.hpp"

#include <limits>

namespace eqlc::ast {

std::string FieldPath::dotted() const {
    std::string out;
    for (const auto& segment : segments) {
        if (!out.empty()) out += '.';
        out += segment;
    }
    return out;
}

ExprPtr Expr::clone() const {
    auto copy = std::make_unique<Expr>();
    copy->kind = kind;
    copy->span = span;
    copy->value = value;
    copy->field = field;
    copy->compare_op = compare_op;
    copy->match_op = match_op;
    copy->arith_op = arith_op;
    copy->negated = negated;
    copy->case_insensitive = case_insensitive;
    copy->function = function;
    copy->operands.reserve(operands.size());
    for (const auto& operand : operands) copy->operands.push_back(operand->clone());
    return copy;
}

namespace {

bool same_value(const LiteralValue& a, const LiteralValue& b) {
    if (a.index() != b.index()) return false;
    if (const auto* da = std::get_if<double>(&a)) {
        const double db = std::get<double>(b);
        return *da == db || (*da != *da && db != db);  // NaN equals NaN for tree comparison
    }
    return a == b;
}

bool same_list(const std::vector<ExprPtr>& a, const std::vector<ExprPtr>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i] || !b[i]) {
            if (a[i] != b[i]) return false;
            continue;
        }
        if (!same_tree(*a[i], *b[i])) return false;
    }
    return true;
}

bool same_filter(const EventFilter& a, const EventFilter& b) {
    if (a.any != b.any || a.category != b.category) return false;
    if (!a.condition || !b.condition) return a.condition == b.condition;
    return same_tree(*a.condition, *b.condition);
}

bool same_term(const Term& a, const Term& b) {
    return a.missing == b.missing && same_filter(a.filter, b.filter) && same_list(a.keys, b.keys) && a.runs == b.runs;
}

}  // namespace

bool same_tree(const Expr& a, const Expr& b) {
    if (a.kind != b.kind) return false;
    switch (a.kind) {
        case ExprKind::literal: return same_value(a.value, b.value);
        case ExprKind::field: return a.field == b.field;
        case ExprKind::compare:
            if (a.compare_op != b.compare_op) return false;
            break;
        case ExprKind::match:
            if (a.match_op != b.match_op) return false;
            break;
        case ExprKind::in:
            if (a.negated != b.negated || a.case_insensitive != b.case_insensitive) return false;
            break;
        case ExprKind::arith:
            if (a.arith_op != b.arith_op) return false;
            break;
        case ExprKind::call:
            if (a.function != b.function || a.case_insensitive != b.case_insensitive) return false;
            break;
        case ExprKind::not_:
        case ExprKind::and_:
        case ExprKind::or_:
        case ExprKind::negate: break;
    }
    return same_list(a.operands, b.operands);
}

bool same_query(const Query& a, const Query& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == QueryKind::event && !same_filter(a.event, b.event)) return false;
    if (!same_list(a.shared_keys, b.shared_keys)) return false;
    if (a.maxspan.has_value() != b.maxspan.has_value()) return false;
    if (a.maxspan && (a.maxspan->value != b.maxspan->value || a.maxspan->unit != b.maxspan->unit)) return false;
    if (a.terms.size() != b.terms.size()) return false;
    for (size_t i = 0; i < a.terms.size(); ++i)
        if (!same_term(a.terms[i], b.terms[i])) return false;
    if (a.until.has_value() != b.until.has_value()) return false;
    if (a.until && !same_term(*a.until, *b.until)) return false;
    if (a.pipes.size() != b.pipes.size()) return false;
    for (size_t i = 0; i < a.pipes.size(); ++i) {
        if (a.pipes[i].name != b.pipes[i].name || !same_list(a.pipes[i].args, b.pipes[i].args)) return false;
    }
    return true;
}

int64_t MaxSpan::nanoseconds() const {
    int64_t unit_ns = 1'000'000;
    switch (unit) {
        case TimeUnit::ms: unit_ns = 1'000'000; break;
        case TimeUnit::s: unit_ns = 1'000'000'000; break;
        case TimeUnit::m: unit_ns = 60LL * 1'000'000'000; break;
        case TimeUnit::h: unit_ns = 3600LL * 1'000'000'000; break;
        case TimeUnit::d: unit_ns = 86400LL * 1'000'000'000; break;
    }
    if (value <= 0) return 0;
    if (value > std::numeric_limits<int64_t>::max() / unit_ns) return std::numeric_limits<int64_t>::max();
    return value * unit_ns;
}

}  // namespace eqlc::ast
