#include "semantics/checker.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "syntax/printer.hpp"
#include "values/function_table.hpp"

namespace eqlc::semantics {
namespace {

using ast::Expr;
using ast::ExprKind;

std::string_view ordinal(size_t index) {
    static constexpr std::array<std::string_view, 10> words = {"first", "second",  "third",  "fourth", "fifth",
                                                               "sixth", "seventh", "eighth", "ninth",  "tenth"};
    return index < words.size() ? words[index] : "next";
}

// The Elasticsearch type name of a literal, as its messages print it.
std::string_view literal_type_name(const ast::LiteralValue& value) {
    switch (value.index()) {
        case 0: return "null";
        case 1: return "boolean";
        case 2: {
            const int64_t v = std::get<int64_t>(value);
            return (v >= INT32_MIN && v <= INT32_MAX) ? "integer" : "long";
        }
        case 3: return "double";
        default: return "keyword";
    }
}

bool is_field(const Expr& e) { return e.kind == ExprKind::field; }
bool is_constant(const Expr& e) {
    return e.kind == ExprKind::literal || (e.kind == ExprKind::negate && is_constant(*e.operands[0]));
}
bool is_null_literal(const Expr& e) {
    return e.kind == ExprKind::literal && std::holds_alternative<ast::Null>(e.value);
}

class Checker {
public:
    Checker(const CheckLimits& limits, Diagnostics& out) : limits_(limits), out_(out) {}

    void query(const ast::Query& q) {
        switch (q.kind) {
            case ast::QueryKind::event: filter(q.event); break;
            case ast::QueryKind::sequence: sequence(q); break;
            case ast::QueryKind::sample: sample(q); break;
        }
        for (const auto& p : q.pipes) pipe(p);
    }

private:
    void error(const SourceSpan& span, std::string message, std::string hint = {}) {
        if (out_.size() > kMaxProblems) {  // one past the limit is kept, for the span of the summary
            ++dropped_;
            return;
        }
        Diagnostic d;
        d.phase = Phase::semantics;
        d.span = span;
        d.message = std::move(message);
        d.hint = std::move(hint);
        out_.push_back(std::move(d));
    }

    void filter(const ast::EventFilter& f) {
        if (!f.condition) return;
        const ValueKind kind = expr(*f.condition);
        if (kind != ValueKind::boolean && kind != ValueKind::any)
            error(f.condition->span,
                  "Condition expression needs to be boolean, found [" + std::string(value_kind_name(kind)) + "]");
    }

    void keys(const std::vector<ast::ExprPtr>& list) {
        for (const auto& k : list) expr(*k);
    }

    void sequence(const ast::Query& q) {
        // `with runs=N` repeats a term N times, so `sequence [a] with runs=2` has two queries.
        int64_t expanded = 0;
        for (const auto& t : q.terms) expanded += (t.runs && *t.runs > 0) ? *t.runs : 1;
        if (expanded < 2)
            error(q.span, "A sequence requires a minimum of 2 queries, found [" + std::to_string(expanded) + "]");
        if (q.maxspan && q.maxspan->value <= 0)
            error(q.maxspan->span, "maxspan must be a positive integer with a time unit, found [" +
                                       std::to_string(q.maxspan->value) + "]");
        keys(q.shared_keys);
        size_t positive = 0;
        const size_t expected_keys = q.shared_keys.size() + (q.terms.empty() ? 0 : q.terms[0].keys.size());
        for (const auto& t : q.terms) {
            term(t, expected_keys, q.shared_keys.size(), true);
            if (!t.missing) ++positive;
            if (t.missing && !q.maxspan)
                error(t.span, "Missing events ![...] require a sequence with maxspan",
                      "add `with maxspan=<n><unit>` after the sequence keys");
        }
        if (!q.terms.empty() && positive == 0)
            error(q.span, "A sequence requires at least one positive event query; found only missing events");
        if (q.until) {
            term(*q.until, expected_keys, q.shared_keys.size(), true);
            if (q.until->missing) error(q.until->span, "Missing events ![...] are not allowed in until");
            if (q.until->runs) error(q.until->runs_span, "runs is not allowed in until");
        }
    }

    void sample(const ast::Query& q) {
        if (q.terms.size() < 2)
            error(q.span, "A sample requires a minimum of 2 queries, found [" + std::to_string(q.terms.size()) + "]");
        if (q.maxspan) error(q.maxspan->span, "maxspan is not allowed in a sample");
        if (q.until) error(q.until->span, "until is not allowed in a sample");
        keys(q.shared_keys);
        const size_t expected_keys = q.shared_keys.size() + (q.terms.empty() ? 0 : q.terms[0].keys.size());
        for (const auto& t : q.terms) {
            term(t, expected_keys, q.shared_keys.size(), false);
            if (t.missing) error(t.span, "Missing events ![...] are not allowed in a sample");
            if (t.runs) error(t.runs_span, "runs is not allowed in a sample");
        }
    }

    void term(const ast::Term& t, size_t expected_keys, size_t shared, bool check_runs) {
        filter(t.filter);
        keys(t.keys);
        const size_t found = shared + t.keys.size();
        if (found != expected_keys)
            error(t.keys.empty() ? t.span : t.keys_span, "Inconsistent number of join keys specified; expected [" +
                                                             std::to_string(expected_keys) + "] but found [" +
                                                             std::to_string(found) + "]");
        if (check_runs && t.runs && (*t.runs < limits_.min_runs || *t.runs > limits_.max_runs))
            error(t.runs_span, "A positive runs value between " + std::to_string(limits_.min_runs) + " and " +
                                   std::to_string(limits_.max_runs) + " is required; found [" +
                                   std::to_string(*t.runs) + "]");
    }

    void pipe(const ast::Pipe& p) {
        if (p.name == "head" || p.name == "tail") {
            bool valid = p.args.size() == 1 && p.args[0]->kind == ExprKind::literal &&
                         std::holds_alternative<int64_t>(p.args[0]->value) && std::get<int64_t>(p.args[0]->value) >= 0;
            if (!valid)
                error(p.span, "Pipe [" + p.name + "] requires exactly one non-negative integer argument",
                      "write `| " + p.name + " 10`");
            return;
        }
        static constexpr std::array<std::string_view, 5> known_unsupported = {"count", "filter", "sort", "unique",
                                                                              "unique_count"};
        for (auto name : known_unsupported) {
            if (p.name == name) {
                error(p.name_span, "Pipe [" + p.name + "] is not supported", "only `| head N` and `| tail N` are");
                return;
            }
        }
        error(p.name_span, "Unrecognized pipe [" + p.name + "]", "only `| head N` and `| tail N` are supported");
    }

    // Checks `e` and returns the kind of value it yields.
    ValueKind expr(const Expr& e) {
        switch (e.kind) {
            case ExprKind::literal:
                switch (e.value.index()) {
                    case 0: return ValueKind::any;
                    case 1: return ValueKind::boolean;
                    case 2:
                    case 3: return ValueKind::numeric;
                    default: return ValueKind::string;
                }
            case ExprKind::field: return ValueKind::any;
            case ExprKind::not_: boolean_operand(e, *e.operands[0]); return ValueKind::boolean;
            case ExprKind::and_:
            case ExprKind::or_:
                for (const auto& operand : e.operands) boolean_operand(e, *operand);
                return ValueKind::boolean;
            case ExprKind::compare: compare(e); return ValueKind::boolean;
            case ExprKind::match: match(e); return ValueKind::boolean;
            case ExprKind::in: in(e); return ValueKind::boolean;
            case ExprKind::arith:
                for (size_t i = 0; i < e.operands.size(); ++i) numeric_operand(e, *e.operands[i], i);
                return ValueKind::numeric;
            case ExprKind::negate: numeric_operand(e, *e.operands[0], 0); return ValueKind::numeric;
            case ExprKind::call: return call(e);
        }
        return ValueKind::any;
    }

    // The recursion (expr -> boolean_operand / numeric_operand / call -> expr) keeps its frames small: messages
    // are built in helpers that are not inlined into it. The nesting limit (syntax::kMaxDepthLimit) is sized with
    // it.
    void boolean_operand(const Expr& parent, const Expr& operand) {
        const ValueKind kind = expr(operand);
        if (kind != ValueKind::boolean && kind != ValueKind::any) boolean_error(parent, operand, kind);
    }

    [[gnu::noinline]] void boolean_error(const Expr& parent, const Expr& operand, ValueKind kind) {
        error(operand.span, std::string(parent.kind == ExprKind::not_ ? "argument of [" : "operand of [") +
                                syntax::print_expr_brief(parent) + "] must be [boolean], found value [" +
                                syntax::print_expr_brief(operand) + "] type [" + std::string(value_kind_name(kind)) +
                                "]");
    }

    void numeric_operand(const Expr& parent, const Expr& operand, size_t index) {
        const ValueKind kind = expr(operand);
        if (kind != ValueKind::numeric && kind != ValueKind::any) type_error(parent, operand, index, "numeric", kind);
    }

    [[gnu::noinline]] void type_error(const Expr& parent, const Expr& operand, size_t index, std::string_view wanted,
                                      ValueKind found) {
        std::string found_name = operand.kind == ExprKind::literal ? std::string(literal_type_name(operand.value))
                                                                   : std::string(value_kind_name(found));
        error(operand.span, std::string(ordinal(index)) + " argument of [" + syntax::print_expr_brief(parent) +
                                "] must be [" + std::string(wanted) + "], found value [" +
                                syntax::print_expr_brief(operand) + "] type [" + found_name + "]");
    }

    void compare(const Expr& e) {
        const Expr& left = *e.operands[0];
        const Expr& right = *e.operands[1];
        expr(left);
        expr(right);
        // Elasticsearch compares a field with a constant; two fields cannot be compared. An optional field may
        // turn out to be unmapped (a null constant), so only two plain fields are refused before a schema is known.
        if (is_field(left) && is_field(right) && !(left.field.optional || right.field.optional)) field_compare_error(e);
    }

    [[gnu::noinline]] void field_compare_error(const Expr& e) {
        error(
            e.span,
            "Comparisons against fields are not (currently) supported; offender [" + syntax::print_expr_brief(e) + "]",
            "compare a field with a constant, or use a function such as startsWith(a, b)");
    }

    void match(const Expr& e) {
        const Expr& subject = *e.operands[0];
        const ValueKind kind = expr(subject);
        const bool wildcard_or_regex = e.match_op != ast::MatchOp::seq;
        if (wildcard_or_regex && kind != ValueKind::string && kind != ValueKind::any)
            type_error(e, subject, 0, "string", kind);
        for (size_t i = 1; i < e.operands.size(); ++i) {
            const Expr& pattern = *e.operands[i];
            if (!is_constant(pattern)) {
                pattern_error(e, pattern);
                continue;
            }
            const bool is_string =
                pattern.kind == ExprKind::literal && std::holds_alternative<std::string>(pattern.value);
            if (wildcard_or_regex && !is_string) type_error(e, pattern, i, "string", expr(pattern));
        }
    }

    void in(const Expr& e) {
        expr(*e.operands[0]);
        for (size_t i = 1; i < e.operands.size(); ++i) {
            const Expr& item = *e.operands[i];
            const ValueKind kind = expr(item);
            if (!is_constant(item) && !is_null_literal(item)) {
                in_item_error(e, item);
                continue;
            }
            if (e.case_insensitive && kind != ValueKind::string && !is_null_literal(item))
                type_error(e, item, i, "string", kind);
        }
    }

    [[gnu::noinline]] void pattern_error(const Expr& e, const Expr& pattern) {
        error(pattern.span, "The right side of [" + syntax::print_expr_brief(e) + "] must be a constant");
    }

    [[gnu::noinline]] void in_item_error(const Expr& e, const Expr& item) {
        error(item.span,
              "Comparisons against fields are not (currently) supported; offender [" + syntax::print_expr_brief(item) +
                  "] in [" + syntax::print_expr_brief(e) + "]",
              "the values of an `in` list must be constants");
    }

    ValueKind call(const Expr& e) {
        const FunctionSpec* spec = check_call(e);
        if (!spec) {
            for (const auto& operand : e.operands) expr(*operand);
            return ValueKind::any;
        }
        const size_t n = e.operands.size();
        for (size_t i = 0; i < n; ++i) {
            const Expr& arg = *e.operands[i];
            const ValueKind kind = expr(arg);
            const ValueKind wanted = spec->args[std::min(i, spec->args.size() - 1)];
            if (wanted != ValueKind::any && kind != ValueKind::any && kind != wanted)
                type_error(e, arg, i, value_kind_name(wanted), kind);
            const bool must_be_constant = (spec->constant_args >> std::min<size_t>(i, 7)) & 1;
            if (must_be_constant && !is_constant(arg)) constant_arg_error(e, arg, i);
        }
        return spec->result;
    }

    // The function called by `e`, after checking its name, `~` and arity; null when it is unknown.
    [[gnu::noinline]] const FunctionSpec* check_call(const Expr& e) {
        const FunctionSpec* spec = find_function(e.function);
        if (!spec) {
            std::string hint;
            if (auto suggestion = suggest_function(e.function); !suggestion.empty())
                hint = "did you mean [" + std::string(suggestion) + "]?";
            error(e.span, "Unknown function [" + e.function + (e.case_insensitive ? "~" : "") + "]", hint);
            return nullptr;
        }
        if (e.case_insensitive && !spec->has_insensitive_form)
            error(e.span, "Function [" + std::string(spec->name) + "] does not support case-insensitive matching",
                  "remove the `~`; it is accepted only on between, endsWith, indexOf, startsWith and stringContains");
        const size_t n = e.operands.size();
        if (n < spec->min_args || (spec->max_args != kVariadic && n > spec->max_args)) {
            std::string wanted;
            if (spec->max_args == kVariadic)
                wanted = "at least " + std::to_string(spec->min_args);
            else if (spec->min_args == spec->max_args)
                wanted = "exactly " + std::to_string(spec->min_args);
            else
                wanted = std::to_string(spec->min_args) + " to " + std::to_string(spec->max_args);
            error(e.span, "Function [" + std::string(spec->name) + "] expects " + wanted + " argument" +
                              (spec->max_args == 1 ? "" : "s") + ", found [" + std::to_string(n) + "]");
        }
        return spec;
    }

    [[gnu::noinline]] void constant_arg_error(const Expr& e, const Expr& arg, size_t i) {
        error(arg.span, std::string(ordinal(i)) + " argument of [" + syntax::print_expr_brief(e) +
                            "] must be a constant, received [" + syntax::print_expr_brief(arg) + "]");
    }

public:
    size_t dropped() const { return dropped_; }

private:
    const CheckLimits& limits_;
    Diagnostics& out_;
    size_t dropped_ = 0;  // problems found after the limit, not recorded
};

}  // namespace

static void limit_problems(Diagnostics& diagnostics, size_t more) {
    if (diagnostics.size() <= kMaxProblems) return;
    more += diagnostics.size() - kMaxProblems;
    Diagnostic summary;
    summary.phase = diagnostics[kMaxProblems].phase;
    summary.span = diagnostics[kMaxProblems].span;
    summary.message = "too many problems: " + std::to_string(more) + " more not shown, the first of them here";
    // Only warnings past the limit (fields a dynamic mapping accepts): the summary must not refuse the query.
    if (more == diagnostics.size() - kMaxProblems &&
        std::all_of(diagnostics.begin() + kMaxProblems, diagnostics.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::warning; }))
        summary.severity = Severity::warning;
    diagnostics.resize(kMaxProblems);
    diagnostics.push_back(std::move(summary));
}

void limit_problems(Diagnostics& diagnostics) { limit_problems(diagnostics, 0); }

Diagnostics check_query(const ast::Query& query, const CheckLimits& limits) {
    Diagnostics out;
    Checker checker(limits, out);
    checker.query(query);
    limit_problems(out, checker.dropped());
    return out;
}

}  // namespace eqlc::semantics
