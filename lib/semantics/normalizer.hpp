// The normalizer lowers a checked syntax tree into the form the code generator compiles: conditions whose
// `not`s are pushed down to the leaves, whose leaves say exactly what they test, and whose constant parts are
// folded (SEMANTICS "Decisions" 3).
//
// A condition (Cond) is an and/or tree of
//   * field tests: a plain field against constants. These are what Elasticsearch answers with a Lucene
//     query, so they are TWO-valued: a positive test holds when ANY non-null value of the field satisfies the
//     predicate (false when the field is missing or null); a negated test (`!=`, `not :`, `not in`,
//     `not like`, `not regex`, `x != null`'s twin `x == null`) holds when NO value does (true when missing);
//   * value tests: a three-valued value expression (functions, arithmetic, comparisons of computed values)
//     that must be TRUE (or, under a pushed-down `not`, FALSE). Null never satisfies a value test, so
//     `not startsWith(x, "a")` is not satisfied when x is missing (`not null` is null);
//   * constants (true/false; a null condition is false, since a filter keeps only TRUE).
// After the push-down no `not` remains above an and/or, so the tree is monotone and "null" and "false" can be
// merged at every level: the code generator only needs two outcomes per node.
//
// Rewrites, as Elasticsearch's optimizer does them:
//   not (a and b) -> not a or not b; not (a or b) -> not a and not b; not not a -> a
//   not (x < 1) -> x >= 1 (ordered comparisons flip); not (x == v) -> x != v; not (x in L) <-> x not in L
//   x == null / null == x -> IsNull(x) (missing, null, or only nulls; a mapping's null_value is a value);
//   x != null -> IsNotNull(x); with a computed x: `f(x) == null` is true when f(x) is null
//   1 < x -> x > 1 (field on the left)
//   x : "abc" (no * or ?) -> case-insensitive equality; x : 5 -> equality; like without wildcards -> equality
//   x regex "abc" (no metacharacters, case-sensitive) -> equality
//   startsWith(x, "lit") and cidrMatch(x, blocks...) on a plain field -> field tests (prefix / terms queries)
//   constants: comparisons, arithmetic, functions and matches over literals are evaluated (errors such as
//   division by zero or number("abc") become compile diagnostics); ?unmapped becomes null, so
//   `?unmapped == null` is true and `?unmapped == "a"` is false; `null == null` is true.
// Constants compared with a typed field are converted to the field's type the way a term/range query does:
// keyword <- numbers and booleans as text ("4", "4.5", "true"); long/double <- numeric strings; a long field
// against a fractional number matches nothing for equality; date <- ISO-8601 text or epoch milliseconds (to
// nanoseconds); boolean <- "true"/"false"; ip <- address or CIDR text (checked); version <- text.
// Without a schema (dynamic fields) constants keep their type: a string never equals a number.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "values/function_table.hpp"
#include "semantics/resolver.hpp"
#include "syntax/ast.hpp"
#include "values/functions.hpp"

namespace eqlc::semantics {

using Constant = ast::LiteralValue;

enum class PredOp : uint8_t {
    exists,   // the field has a non-null value (field tests only; negated: IsNull)
    cmp,      // `cmp` constants[0]
    in,       // equals one of constants (exact; strings case-sensitive)
    in_ci,    // equals one of constants, case-insensitive (Java toLowerCase(Locale.ROOT)); strings only
    pattern,  // matches one of the wildcard patterns (constants), `case_insensitive`
    regex,    // full-matches one of the Lucene regexps (constants), `case_insensitive` (ASCII)
    prefix,   // starts with constants[0], `case_insensitive` (startsWith on a plain field)
    cidr,     // an ip inside one of the blocks (cidrMatch)
};

struct Predicate {
    PredOp op = PredOp::exists;
    vm::CmpOp cmp = vm::CmpOp::eq;
    bool case_insensitive = false;
    std::vector<Constant> constants;
    SourceSpan span;  // of the constants (for matcher compile errors)
};

struct FieldRef {
    vm::SlotId slot = 0;
    vm::FieldType type = vm::FieldType::dynamic;
    std::string path;
    std::optional<Constant> null_value;  // converted to the field's type
};

enum class ValueOp : uint8_t {
    constant,   // `constant`
    field,      // the field's script value (first doc value; null when missing)
    call,       // `function`(children...); cidrMatch keeps its blocks in predicate.constants
    arith,      // children[0] `arith` children[1]
    negate,     // -children[0]
    compare,    // children[0] `cmp` children[1], three-valued, ordered as `compare_kind`
    predicate,  // `predicate` applied to children[0] (match / in), three-valued
    is_null,    // children[0] is null (two-valued)
    not_,       // three-valued not
    and_,       // three-valued and
    or_,        // three-valued or
};

struct ValueExpr {
    ValueOp op = ValueOp::constant;
    Constant constant;
    FieldRef field;
    FunctionId function = FunctionId::add;
    bool case_insensitive = false;
    vm::ArithOp arith = vm::ArithOp::add;
    vm::CmpOp cmp = vm::CmpOp::eq;
    vm::CompareKind compare_kind = vm::CompareKind::generic;
    Predicate predicate;
    std::vector<ValueExpr> children;
    SourceSpan span;

    bool is_constant() const { return op == ValueOp::constant; }
    bool is_null_constant() const { return op == ValueOp::constant && std::holds_alternative<ast::Null>(constant); }
};

enum class CondKind : uint8_t { constant, and_, or_, field_test, value_test };

struct Cond {
    CondKind kind = CondKind::constant;
    bool truth = false;    // constant: its value; value_test: the boolean the value must be
    bool negated = false;  // field_test: true when no value satisfies the predicate
    FieldRef field;        // field_test
    Predicate predicate;   // field_test
    ValueExpr value;       // value_test
    std::vector<Cond> children;
    SourceSpan span;

    static Cond constant_of(bool b) {
        Cond c;
        c.kind = CondKind::constant;
        c.truth = b;
        return c;
    }
    bool is_true() const { return kind == CondKind::constant && truth; }
    bool is_false() const { return kind == CondKind::constant && !truth; }
};

class Normalizer {
public:
    Normalizer(Resolver& resolver, Diagnostics& out) : resolver_(resolver), out_(out) {}

    // The condition of `category where cond` (`any` adds no category test): event_category_field equals the
    // name exactly (case-sensitive; any value of an array).
    Cond filter(const ast::EventFilter& filter, const ResolvedField& category_field);
    // A boolean expression in condition position.
    Cond condition(const ast::Expr& e) { return cond(e, false); }
    // An expression in value position (join keys).
    ValueExpr value(const ast::Expr& e) { return val(e); }

private:
    // The recursive passes keep their frames small (helpers not inlined into the recursion): the stack a query
    // needs grows with its nesting, which syntax::kMaxDepthLimit bounds.
    Cond cond(const ast::Expr& e, bool neg);
    [[gnu::noinline]] Cond field_cond(const ast::Expr& e, bool neg);
    [[gnu::noinline]] Cond junction_cond(const ast::Expr& e, bool neg);
    [[gnu::noinline]] Cond value_cond(const ast::Expr& e, bool neg);
    [[gnu::noinline]] Cond compare_cond(const ast::Expr& e, bool neg);
    [[gnu::noinline]] Cond match_cond(const ast::Expr& e, bool neg);
    [[gnu::noinline]] Cond in_cond(const ast::Expr& e, bool neg);
    [[gnu::noinline]] Cond call_cond(const ast::Expr& e, bool neg);
    Cond field_test(const FieldRef& field, Predicate predicate, bool negated, const SourceSpan& span);
    Cond value_test(ValueExpr v, bool expect, const SourceSpan& span);

    ValueExpr val(const ast::Expr& e);
    ValueExpr val_literal(const ast::Expr& e);
    [[gnu::noinline]] ValueExpr val_unary(const ast::Expr& e);
    [[gnu::noinline]] ValueExpr val_junction(const ast::Expr& e);
    [[gnu::noinline]] ValueExpr val_arith(const ast::Expr& e);
    [[gnu::noinline]] ValueExpr val_compare(const ast::Expr& e);
    [[gnu::noinline]] ValueExpr val_match(const ast::Expr& e);
    [[gnu::noinline]] ValueExpr val_in(const ast::Expr& e);
    [[gnu::noinline]] ValueExpr val_call(const ast::Expr& e);
    ValueExpr field_value(const ast::Expr& e);
    ValueExpr unlisted_as_null(const ast::Expr& e, ValueExpr v) const;
    std::optional<Predicate> match_predicate(const ast::Expr& e);
    ValueExpr fold(ValueExpr v);

    void error(const SourceSpan& span, std::string message, std::string hint = {});

    Resolver& resolver_;
    Diagnostics& out_;
};

// A one-line rendering of a condition, for tests and --explain: and(...), or(...), `@path op constant`,
// `!@path ...` for negated tests, `value(...)` for value tests.
std::string describe(const Cond& c);
std::string describe(const ValueExpr& v);
// describe(v) cut after about `max_bytes` bytes ("..." when cut): the note of each node of a value program, whose
// cost must not grow with the depth of the tree times its size.
std::string describe_brief(const ValueExpr& v, size_t max_bytes = 1000);
std::string describe(const Constant& c);

// Orders and/or operands so that cheap, selective field tests run first (results do not depend on order).
void order_by_cost(Cond& c);
unsigned estimated_cost(const Cond& c);

}  // namespace eqlc::semantics
