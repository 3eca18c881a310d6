// The lowering: a checked syntax tree, its fields resolved, becomes Conds and ValueExprs (normalizer.hpp), `not`s
// pushed down to the leaves, field tests with constants typed to the field (constant_typing.cpp), value
// expressions folded where constant (constant_folding.cpp).
#include "semantics/normalizer.hpp"

#include <algorithm>

#include "matchers/cidr.hpp"
#include "matchers/lucene_regex.hpp"
#include "semantics/normalizer_internal.hpp"
#include "syntax/printer.hpp"

namespace eqlc::semantics {

using ast::ExprKind;
using vm::FieldType;

namespace {

bool has_wildcard(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

bool string_typed(FieldType t) {
    return t == FieldType::keyword || t == FieldType::version || t == FieldType::dynamic || t == FieldType::unsupported;
}

vm::CmpOp to_cmp(ast::CompareOp op) {
    switch (op) {
        case ast::CompareOp::eq: return vm::CmpOp::eq;
        case ast::CompareOp::ne: return vm::CmpOp::ne;
        case ast::CompareOp::lt: return vm::CmpOp::lt;
        case ast::CompareOp::le: return vm::CmpOp::le;
        case ast::CompareOp::gt: return vm::CmpOp::gt;
        case ast::CompareOp::ge: return vm::CmpOp::ge;
    }
    return vm::CmpOp::eq;
}

vm::ArithOp to_arith(ast::ArithOp op) {
    switch (op) {
        case ast::ArithOp::add: return vm::ArithOp::add;
        case ast::ArithOp::sub: return vm::ArithOp::sub;
        case ast::ArithOp::mul: return vm::ArithOp::mul;
        case ast::ArithOp::div: return vm::ArithOp::div;
        case ast::ArithOp::mod: return vm::ArithOp::mod;
    }
    return vm::ArithOp::add;
}

vm::CompareKind compare_kind_of(FieldType t) {
    if (t == FieldType::ip) return vm::CompareKind::ip;
    if (t == FieldType::version) return vm::CompareKind::version;
    return vm::CompareKind::generic;
}

void flatten_into(std::vector<Cond>& out, Cond&& c, CondKind kind) {
    if (c.kind == kind) {
        for (auto& child : c.children) flatten_into(out, std::move(child), kind);
    } else {
        out.push_back(std::move(c));
    }
}

// Builds and/or over children, simplifying constants (null already merged into false).
Cond junction(CondKind kind, std::vector<Cond> parts, const SourceSpan& span) {
    const bool is_and = kind == CondKind::and_;
    std::vector<Cond> kept;
    kept.reserve(parts.size());  // a Cond is large: growing the vector moves each one several times
    for (auto& p : parts) {
        if (p.kind == CondKind::constant) {
            if (p.truth != is_and) return Cond::constant_of(!is_and);  // false in and, true in or
            continue;                                                  // identity element
        }
        flatten_into(kept, std::move(p), kind);
    }
    if (kept.empty()) return Cond::constant_of(is_and);
    if (kept.size() == 1) return std::move(kept[0]);
    Cond c;
    c.kind = kind;
    c.children = std::move(kept);
    c.span = span;
    return c;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------

void Normalizer::error(const SourceSpan& span, std::string message, std::string hint) {
    Diagnostic d;
    d.phase = Phase::compile;
    d.span = span;
    d.message = std::move(message);
    d.hint = std::move(hint);
    out_.push_back(std::move(d));
}

Cond Normalizer::filter(const ast::EventFilter& f, const ResolvedField& category) {
    Cond body = f.condition ? cond(*f.condition, false) : Cond::constant_of(true);
    if (f.any) return body;
    if (category.kind != ResolvedField::Kind::slot) return Cond::constant_of(false);
    FieldRef ref;
    ref.slot = category.slot;
    ref.type = category.type;
    ref.path = category.path;
    ref.null_value = null_value_of(category);  // as for any other test of the field
    Predicate p;
    p.op = PredOp::cmp;
    p.cmp = vm::CmpOp::eq;
    p.constants.push_back(f.category);
    p.span = f.category_span;
    Cond cat = field_test(ref, std::move(p), false, f.category_span);
    std::vector<Cond> parts;
    parts.push_back(std::move(cat));
    parts.push_back(std::move(body));
    return junction(CondKind::and_, std::move(parts), f.span);
}

Cond Normalizer::value_test(ValueExpr v, bool expect, const SourceSpan& span) {
    if (v.is_constant()) {
        const Constant& c = v.constant;
        return Cond::constant_of(c.index() == 1 && std::get<bool>(c) == expect);
    }
    Cond c;
    c.kind = CondKind::value_test;
    c.truth = expect;
    c.value = std::move(v);
    c.span = span;
    return c;
}

Cond Normalizer::field_test(const FieldRef& field, Predicate p, bool negated, const SourceSpan& span) {
    const FieldType type = field.type;
    auto never = [&] { return Cond::constant_of(negated); };  // matches nothing: positive false, negated true
    auto make = [&](Predicate pred) {
        Cond c;
        c.kind = CondKind::field_test;
        c.negated = negated;
        c.field = field;
        c.predicate = std::move(pred);
        c.span = span;
        return c;
    };
    auto convert_all = [&](Predicate& pred, bool ordered) -> bool {
        std::vector<Constant> converted;
        for (const auto& c : pred.constants) {
            Converted r = convert_constant(c, type, ordered, field.path);
            if (!r.error.empty()) {
                error(pred.span, r.error);
                return false;
            }
            if (r.never || !r.value || is_null_const(*r.value)) continue;
            converted.push_back(std::move(*r.value));
        }
        pred.constants = std::move(converted);
        return true;
    };
    switch (p.op) {
        case PredOp::exists: return make(std::move(p));
        case PredOp::cmp: {
            const bool ordered = p.cmp != vm::CmpOp::eq && p.cmp != vm::CmpOp::ne;
            if (p.cmp == vm::CmpOp::ne) {
                p.cmp = vm::CmpOp::eq;
                negated = !negated;
            }
            if (!convert_all(p, ordered)) return Cond::constant_of(false);
            if (p.constants.empty()) return never();
            if (type == FieldType::ip && ordered && p.constants[0].index() == 4 &&
                !matchers::parse_ip(std::get<std::string>(p.constants[0]))) {
                error(p.span, "cannot compare ip field [" + field.path + "] with a CIDR block in a range");
                return Cond::constant_of(false);
            }
            return make(std::move(p));
        }
        case PredOp::in_ci:
            if (!string_typed(type) && type != FieldType::ip) p.op = PredOp::in;
            [[fallthrough]];
        case PredOp::in: {
            if (!convert_all(p, false)) return Cond::constant_of(false);
            if (p.constants.empty()) return never();
            if (type == FieldType::dynamic && p.op == PredOp::in) {
                // JSON types are kept: one test per kind of constant, ORed (negated: none of them).
                std::vector<Constant> by_kind[5];
                for (auto& c : p.constants) by_kind[c.index() == 3 ? 2 : c.index()].push_back(std::move(c));
                std::vector<Cond> parts;
                for (auto& group : by_kind) {
                    if (group.empty()) continue;
                    Predicate q;
                    q.op = PredOp::in;
                    q.constants = std::move(group);
                    q.span = p.span;
                    parts.push_back(make(std::move(q)));
                }
                if (parts.size() == 1) return std::move(parts[0]);
                return junction(negated ? CondKind::and_ : CondKind::or_, std::move(parts), span);
            }
            return make(std::move(p));
        }
        case PredOp::pattern:
        case PredOp::regex:
        case PredOp::prefix:
            if (!string_typed(type)) {
                // Elasticsearch refuses wildcard, regexp and prefix queries on non-text fields; equality-like
                // predicates were already turned into `in` by the caller.
                error(p.span,
                      std::string(
                          "Can only use wildcard, prefix and regexp queries on keyword and text fields - not on [") +
                          field.path + "] which is of type [" + type_name(type) + "]");
                return Cond::constant_of(false);
            }
            return make(std::move(p));
        case PredOp::cidr:
            if (type != FieldType::ip && type != FieldType::dynamic) {
                error(span, "first argument of [cidrMatch] must be [ip], found field [" + field.path + "] type [" +
                                type_name(type) + "]");
                return Cond::constant_of(false);
            }
            return make(std::move(p));
    }
    return make(std::move(p));
}

// Like val(), cond() only dispatches: `not` chains recurse through it alone.
Cond Normalizer::cond(const ast::Expr& e, bool neg) {
    switch (e.kind) {
        case ExprKind::literal:
            if (const bool* b = std::get_if<bool>(&e.value)) return Cond::constant_of(*b != neg);
            return Cond::constant_of(false);  // null (or a non-boolean) is never TRUE
        case ExprKind::field: return field_cond(e, neg);
        case ExprKind::not_: return cond(*e.operands[0], !neg);
        case ExprKind::and_:
        case ExprKind::or_: return junction_cond(e, neg);
        case ExprKind::compare: return compare_cond(e, neg);
        case ExprKind::match: return match_cond(e, neg);
        case ExprKind::in: return in_cond(e, neg);
        case ExprKind::call: return call_cond(e, neg);
        case ExprKind::arith:
        case ExprKind::negate: return value_cond(e, neg);
    }
    return Cond::constant_of(false);
}

Cond Normalizer::field_cond(const ast::Expr& e, bool neg) {
    ValueExpr v = field_value(e);
    if (v.op != ValueOp::field) return Cond::constant_of(false);
    if (v.field.type != FieldType::boolean && v.field.type != FieldType::dynamic) {
        error(e.span, "Condition expression needs to be boolean, found [" + std::string(type_name(v.field.type)) + "]");
        return Cond::constant_of(false);
    }
    Predicate p;
    p.op = PredOp::cmp;
    p.constants.push_back(true);
    p.span = e.span;
    return field_test(v.field, std::move(p), neg, e.span);
}

Cond Normalizer::junction_cond(const ast::Expr& e, bool neg) {
    const bool is_and = (e.kind == ExprKind::and_) != neg;
    std::vector<Cond> parts;
    parts.reserve(e.operands.size());
    for (const auto& operand : e.operands) parts.push_back(cond(*operand, neg));
    return junction(is_and ? CondKind::and_ : CondKind::or_, std::move(parts), e.span);
}

Cond Normalizer::value_cond(const ast::Expr& e, bool neg) { return value_test(val(e), !neg, e.span); }

Cond Normalizer::compare_cond(const ast::Expr& e, bool neg) {
    ValueExpr l = val(*e.operands[0]);
    ValueExpr r = val(*e.operands[1]);
    vm::CmpOp op = to_cmp(e.compare_op);
    if (l.op == ValueOp::field && r.op == ValueOp::field) {
        l = unlisted_as_null(*e.operands[0], std::move(l));
        r = unlisted_as_null(*e.operands[1], std::move(r));
    }
    if (l.op == ValueOp::field && r.op == ValueOp::field) {
        error(e.span, "Comparisons against fields are not (currently) supported; offender [" +
                          syntax::print_expr_brief(e) + "]");
        return Cond::constant_of(false);
    }
    // x == null -> IsNull(x); x != null -> IsNotNull(x)
    if ((op == vm::CmpOp::eq || op == vm::CmpOp::ne) && (l.is_null_constant() || r.is_null_constant())) {
        const bool want_null = (op == vm::CmpOp::eq) != neg;
        ValueExpr& other = l.is_null_constant() ? r : l;
        if (other.is_constant()) return Cond::constant_of(is_null_const(other.constant) == want_null);
        if (other.op == ValueOp::field) {
            Predicate p;
            p.op = PredOp::exists;
            p.span = e.span;
            return field_test(other.field, std::move(p), want_null, e.span);
        }
        ValueExpr isnull;
        isnull.op = ValueOp::is_null;
        isnull.span = e.span;
        isnull.children.push_back(std::move(other));
        return value_test(std::move(isnull), want_null, e.span);
    }
    if (l.is_null_constant() || r.is_null_constant()) return Cond::constant_of(false);
    if (neg) op = vm::negate_cmp(op);
    if (l.is_constant() && r.op == ValueOp::field) {
        std::swap(l, r);
        op = vm::swap_cmp(op);
    }
    if (l.op == ValueOp::field && r.is_constant()) {
        Predicate p;
        p.op = PredOp::cmp;
        p.cmp = op;
        p.constants.push_back(r.constant);
        p.span = e.operands[1]->span;
        return field_test(l.field, std::move(p), false, e.span);
    }
    ValueExpr c;
    c.op = ValueOp::compare;
    c.cmp = op;
    c.span = e.span;
    c.children.push_back(std::move(l));
    c.children.push_back(std::move(r));
    return value_test(fold(std::move(c)), true, e.span);
}

std::optional<Predicate> Normalizer::match_predicate(const ast::Expr& e) {
    std::vector<std::string> strings;
    std::vector<Constant> numbers;
    SourceSpan span = e.operands.size() > 1 ? e.operands[1]->span : e.span;
    if (e.operands.size() > 1) span.end = e.operands.back()->span.end;
    for (size_t i = 1; i < e.operands.size(); ++i) {
        const auto& operand = *e.operands[i];
        Constant c = operand.kind == ExprKind::literal ? operand.value : val(operand).constant;
        if (auto* s = std::get_if<std::string>(&c))
            strings.push_back(*s);
        else if (!is_null_const(c))
            numbers.push_back(c);
    }
    Predicate p;
    p.span = span;
    const bool wildcards = std::any_of(strings.begin(), strings.end(), [](const auto& s) { return has_wildcard(s); });
    switch (e.match_op) {
        case ast::MatchOp::seq:
        case ast::MatchOp::like_i:
        case ast::MatchOp::like: {
            const bool ci = e.match_op != ast::MatchOp::like;
            if (!numbers.empty() && strings.empty()) {
                p.op = PredOp::in;
                p.constants = std::move(numbers);
                return p;
            }
            if (!numbers.empty()) {  // `x : (5, "a*")`: numbers compare as their text
                for (auto& n : numbers) strings.push_back(describe(n));
            }
            p.case_insensitive = ci;
            p.op = wildcards ? PredOp::pattern : (ci ? PredOp::in_ci : PredOp::in);
            for (auto& s : strings) p.constants.push_back(std::move(s));
            if (strings.empty() && p.constants.empty()) return std::nullopt;
            return p;
        }
        case ast::MatchOp::regex:
        case ast::MatchOp::regex_i: {
            const bool ci = e.match_op == ast::MatchOp::regex_i;
            bool all_literal = !ci;
            std::vector<std::string> literals;
            for (size_t i = 0; i < strings.size(); ++i) {
                auto t = matchers::translate_lucene_regex(strings[i], ci);
                if (auto* err = std::get_if<matchers::RegexError>(&t)) {
                    SourceSpan at = e.operands.size() > i + 1 ? e.operands[i + 1]->span : span;
                    error(at, "invalid regular expression [" + strings[i] + "]: " + err->message,
                          "Elasticsearch's regex uses Lucene RegExp syntax; `~` and `&` are not supported");
                    return std::nullopt;
                }
                const auto& tr = std::get<matchers::LuceneRegexTranslation>(t);
                if (tr.literal)
                    literals.push_back(*tr.literal);
                else
                    all_literal = false;
            }
            if (strings.empty()) return std::nullopt;
            if (all_literal) {
                p.op = PredOp::in;
                for (auto& s : literals) p.constants.push_back(std::move(s));
                return p;
            }
            p.op = PredOp::regex;
            p.case_insensitive = ci;
            for (auto& s : strings) p.constants.push_back(std::move(s));
            return p;
        }
    }
    return std::nullopt;
}

Cond Normalizer::match_cond(const ast::Expr& e, bool neg) {
    ValueExpr subject = val(*e.operands[0]);
    auto p = match_predicate(e);
    if (!p) return Cond::constant_of(false);
    if (subject.is_null_constant()) return Cond::constant_of(false);
    if (subject.op == ValueOp::field) return field_test(subject.field, std::move(*p), neg, e.span);
    ValueExpr node;
    node.op = ValueOp::predicate;
    node.predicate = std::move(*p);
    node.span = e.span;
    node.children.push_back(std::move(subject));
    return value_test(fold(std::move(node)), !neg, e.span);
}

Cond Normalizer::in_cond(const ast::Expr& e, bool neg) {
    ValueExpr subject = val(*e.operands[0]);
    Predicate p;
    p.op = e.case_insensitive ? PredOp::in_ci : PredOp::in;
    p.span = e.operands[1]->span;
    p.span.end = e.operands.back()->span.end;
    for (size_t i = 1; i < e.operands.size(); ++i) {
        ValueExpr item = val(*e.operands[i]);
        if (!item.is_constant()) {
            error(e.operands[i]->span, "Comparisons against fields are not (currently) supported; offender [" +
                                           syntax::print_expr_brief(*e.operands[i]) + "]");
            return Cond::constant_of(false);
        }
        if (!is_null_const(item.constant)) p.constants.push_back(std::move(item.constant));
    }
    const bool negated = e.negated != neg;
    if (subject.is_null_constant()) return Cond::constant_of(false);
    if (subject.op == ValueOp::field) return field_test(subject.field, std::move(p), negated, e.span);
    ValueExpr node;
    node.op = ValueOp::predicate;
    node.predicate = std::move(p);
    node.span = e.span;
    node.children.push_back(std::move(subject));
    return value_test(fold(std::move(node)), !negated, e.span);
}

Cond Normalizer::call_cond(const ast::Expr& e, bool neg) {
    const FunctionSpec* spec = find_function(e.function);
    // A positive startsWith/cidrMatch on a field is a field test (any value matches; missing is false). Negated,
    // it stays a function: three-valued, so a missing field gives null and the event is excluded (SEMANTICS
    // "Decisions" 3 and §5.3: `not startsWith(x, "a")` with x missing is null).
    if (!neg && spec && (spec->id == FunctionId::starts_with || spec->id == FunctionId::cidr_match) &&
        e.operands.size() >= 2 && e.operands[0]->kind == ExprKind::field) {
        ValueExpr subject = field_value(*e.operands[0]);
        if (subject.op == ValueOp::field) {
            Predicate p;
            p.case_insensitive = e.case_insensitive;
            p.span = e.operands[1]->span;
            p.span.end = e.operands.back()->span.end;
            bool constant_args = true;
            bool null_arg = false;
            for (size_t i = 1; i < e.operands.size(); ++i) {
                ValueExpr a = val(*e.operands[i]);
                if (!a.is_constant())
                    constant_args = false;
                else if (is_null_const(a.constant))
                    null_arg = true;
                else
                    p.constants.push_back(std::move(a.constant));
            }
            if (constant_args && null_arg) return Cond::constant_of(false);  // null argument: null result
            if (constant_args && spec->id == FunctionId::starts_with && p.constants.size() == 1 &&
                p.constants[0].index() == 4) {
                p.op = PredOp::prefix;
                return field_test(subject.field, std::move(p), false, e.span);
            }
            if (constant_args && spec->id == FunctionId::cidr_match) {
                for (const auto& c : p.constants) {
                    if (c.index() != 4 ||
                        !std::holds_alternative<matchers::CidrBlock>(matchers::parse_cidr(std::get<std::string>(c)))) {
                        error(p.span, "invalid CIDR block [" + describe(c) + "] in cidrMatch");
                        return Cond::constant_of(false);
                    }
                }
                p.op = PredOp::cidr;
                return field_test(subject.field, std::move(p), false, e.span);
            }
        }
    }
    return value_test(val(e), !neg, e.span);
}

// ---------------------------------------------------------------------------------------------------------------

// `?x` of a field a dynamic mapping does not list reads x (events may carry it, see Resolver). Against another
// field, where Elasticsearch accepts only a constant, it can only be the null constant of an index where no
// document has x, so it is taken as that.
ValueExpr Normalizer::unlisted_as_null(const ast::Expr& e, ValueExpr v) const {
    if (v.op != ValueOp::field || e.kind != ExprKind::field || !e.field.optional || !resolver_.unlisted(e.field))
        return v;
    ValueExpr null;
    null.span = v.span;
    null.op = ValueOp::constant;
    null.constant = ast::Null{};
    return null;
}

ValueExpr Normalizer::field_value(const ast::Expr& e) {
    ValueExpr v;
    v.span = e.span;
    ResolvedField r = resolver_.field(e.field, e.span);
    if (r.kind != ResolvedField::Kind::slot) {
        v.op = ValueOp::constant;
        v.constant = ast::Null{};
        return v;
    }
    v.op = ValueOp::field;
    v.field.slot = r.slot;
    v.field.type = r.type;
    v.field.path = r.path;
    v.field.null_value = null_value_of(r);
    return v;
}

// val() recurses once per level of the tree: it only dispatches, so that its frame stays small (the ValueExprs and
// temporaries of each kind of node live in the frame of a helper, which is not on the stack while its operands
// are lowered unless it is their parent's). The nesting limit (syntax::kMaxDepthLimit) is sized with it.
ValueExpr Normalizer::val(const ast::Expr& e) {
    switch (e.kind) {
        case ExprKind::literal: return val_literal(e);
        case ExprKind::field: return field_value(e);
        case ExprKind::not_:
        case ExprKind::negate: return val_unary(e);
        case ExprKind::and_:
        case ExprKind::or_: return val_junction(e);
        case ExprKind::compare: return val_compare(e);
        case ExprKind::match: return val_match(e);
        case ExprKind::in: return val_in(e);
        case ExprKind::arith: return val_arith(e);
        case ExprKind::call: return val_call(e);
    }
    return ValueExpr{};
}

ValueExpr Normalizer::val_literal(const ast::Expr& e) {
    ValueExpr v;
    v.span = e.span;
    v.op = ValueOp::constant;
    v.constant = e.value;
    return v;
}

ValueExpr Normalizer::val_unary(const ast::Expr& e) {
    ValueExpr v;
    v.span = e.span;
    v.op = e.kind == ExprKind::not_ ? ValueOp::not_ : ValueOp::negate;
    v.children.push_back(val(*e.operands[0]));
    return fold(std::move(v));
}

ValueExpr Normalizer::val_junction(const ast::Expr& e) {
    ValueExpr v;
    v.span = e.span;
    v.op = e.kind == ExprKind::and_ ? ValueOp::and_ : ValueOp::or_;
    for (const auto& operand : e.operands) v.children.push_back(val(*operand));
    return fold(std::move(v));
}

ValueExpr Normalizer::val_arith(const ast::Expr& e) {
    ValueExpr v;
    v.span = e.span;
    v.op = ValueOp::arith;
    v.arith = to_arith(e.arith_op);
    v.children.push_back(val(*e.operands[0]));
    v.children.push_back(val(*e.operands[1]));
    return fold(std::move(v));
}

ValueExpr Normalizer::val_compare(const ast::Expr& e) {
    ValueExpr v;
    v.span = e.span;
    ValueExpr l = val(*e.operands[0]);
    ValueExpr r = val(*e.operands[1]);
    const vm::CmpOp op = to_cmp(e.compare_op);
    if (l.op == ValueOp::field && r.op == ValueOp::field) {
        l = unlisted_as_null(*e.operands[0], std::move(l));
        r = unlisted_as_null(*e.operands[1], std::move(r));
    }
    if (l.op == ValueOp::field && r.op == ValueOp::field) {
        error(e.span, "Comparisons against fields are not (currently) supported; offender [" +
                          syntax::print_expr_brief(e) + "]");
        return ValueExpr{};
    }
    if ((op == vm::CmpOp::eq || op == vm::CmpOp::ne) && (l.is_null_constant() || r.is_null_constant())) {
        ValueExpr isnull;
        isnull.op = ValueOp::is_null;
        isnull.span = e.span;
        isnull.children.push_back(l.is_null_constant() ? std::move(r) : std::move(l));
        isnull = fold(std::move(isnull));
        if (op == vm::CmpOp::eq) return isnull;
        v.op = ValueOp::not_;
        v.children.push_back(std::move(isnull));
        return fold(std::move(v));
    }
    // A constant compared with a typed field takes the field's type, as in a field test.
    for (int side = 0; side < 2; ++side) {
        ValueExpr& f = side == 0 ? l : r;
        ValueExpr& c = side == 0 ? r : l;
        if (f.op == ValueOp::field && c.is_constant()) {
            v.compare_kind = compare_kind_of(f.field.type);
            Converted conv =
                convert_constant(c.constant, f.field.type, op != vm::CmpOp::eq && op != vm::CmpOp::ne, f.field.path);
            if (!conv.error.empty())
                error(c.span, conv.error);
            else if (conv.value)
                c.constant = *conv.value;
        } else if (f.op == ValueOp::field) {
            v.compare_kind = compare_kind_of(f.field.type);
        }
    }
    v.op = ValueOp::compare;
    v.cmp = op;
    v.children.push_back(std::move(l));
    v.children.push_back(std::move(r));
    return fold(std::move(v));
}

ValueExpr Normalizer::val_match(const ast::Expr& e) {
    ValueExpr v;
    v.span = e.span;
    auto p = match_predicate(e);
    if (!p) return ValueExpr{};
    v.op = ValueOp::predicate;
    v.predicate = std::move(*p);
    v.children.push_back(val(*e.operands[0]));
    return fold(std::move(v));
}

ValueExpr Normalizer::val_in(const ast::Expr& e) {
    ValueExpr v;
    v.span = e.span;
    v.op = ValueOp::predicate;
    v.predicate.op = e.case_insensitive ? PredOp::in_ci : PredOp::in;
    v.predicate.span = e.operands[1]->span;
    v.children.push_back(val(*e.operands[0]));
    for (size_t i = 1; i < e.operands.size(); ++i) {
        ValueExpr item = val(*e.operands[i]);
        if (!item.is_constant()) {
            error(e.operands[i]->span, "Comparisons against fields are not (currently) supported; offender [" +
                                           syntax::print_expr_brief(*e.operands[i]) + "]");
            return ValueExpr{};
        }
        if (!is_null_const(item.constant)) v.predicate.constants.push_back(std::move(item.constant));
    }
    v = fold(std::move(v));
    if (!e.negated) return v;
    ValueExpr n;
    n.op = ValueOp::not_;
    n.span = e.span;
    n.children.push_back(std::move(v));
    return fold(std::move(n));
}

ValueExpr Normalizer::val_call(const ast::Expr& e) {
    ValueExpr v;
    v.span = e.span;
    const FunctionSpec* spec = find_function(e.function);
    if (!spec) return ValueExpr{};
    v.op = ValueOp::call;
    v.function = spec->id;
    v.case_insensitive = e.case_insensitive;
    if (spec->id == FunctionId::cidr_match) {
        if (e.operands.empty()) return ValueExpr{};
        v.children.push_back(val(*e.operands[0]));
        v.predicate.op = PredOp::cidr;
        for (size_t i = 1; i < e.operands.size(); ++i) {
            ValueExpr block = val(*e.operands[i]);
            if (!block.is_constant()) return ValueExpr{};           // the checker reports it
            if (is_null_const(block.constant)) return ValueExpr{};  // a null block: null
            if (block.constant.index() != 4 || !std::holds_alternative<matchers::CidrBlock>(
                                                   matchers::parse_cidr(std::get<std::string>(block.constant)))) {
                error(e.operands[i]->span, "invalid CIDR block [" + describe(block.constant) + "] in cidrMatch");
                return ValueExpr{};
            }
            v.predicate.constants.push_back(std::move(block.constant));
        }
        return fold(std::move(v));
    }
    for (const auto& operand : e.operands) v.children.push_back(val(*operand));
    return fold(std::move(v));
}

}  // namespace eqlc::semantics
