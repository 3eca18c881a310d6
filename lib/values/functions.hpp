// The value-level operations of the VM's general (stack) path: EQL functions, arithmetic, three-valued
// comparisons, and the value a script sees for a field. Used at run time by the interpreter and at compile
// time by constant folding, so a folded expression and an evaluated one always agree.
//
// Null propagation (SEMANTICS §5, §6): every function and operator returns null when a required argument is
// null. A comparison with a null side is null. Type errors that Elasticsearch would raise from a script (a
// string function on a number, arithmetic on a string, number("abc"), division by zero) make the result null
// and are counted in EvalErrors, so a caller can report them; they never abort the evaluation.
//
// Integer widths. Java distinguishes int (32-bit) from long, and the difference is visible in arithmetic
// (overflow errors, int/long remainder). An integer Value whose `boolean` member is set is a Java int
// (integer literals that fit in 32 bits, length(), indexOf()); any other integer Value is a long (event
// values, larger literals). make_java_int / is_java_int spell the convention out.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "values/arithmetic.hpp"
#include "values/field_catalog.hpp"
#include "values/function_table.hpp"
#include "values/value.hpp"

namespace eqlc::matchers {
class CidrSet;
}

namespace eqlc::vm {

inline Value make_java_int(int32_t v) {
    Value x = Value::of_int(v);
    x.boolean = true;
    return x;
}
inline bool is_java_int(const Value& v) { return v.type == ValueType::integer && v.boolean; }
// An integer literal: a Java int when it fits, else a long (how the EQL parser types literals).
inline Value make_integer_literal(int64_t v) {
    return (v >= INT32_MIN && v <= INT32_MAX) ? make_java_int(static_cast<int32_t>(v)) : Value::of_int(v);
}

Number to_number(const Value& v);  // v.is_number()
Value from_number(const Number& n);

enum class CmpOp : uint8_t { eq, ne, lt, le, gt, ge };
enum class ArithOp : uint8_t { add, sub, mul, div, mod };

// How two scalars are ordered: generic (numbers by value, strings by Java String.compareTo, booleans
// false < true), or as the field type that needs its own order.
enum class CompareKind : uint8_t { generic, ip, version };

const char* cmp_op_symbol(CmpOp op);
// The operator that gives the same answer with the operands swapped (`1 < x` is `x > 1`).
CmpOp swap_cmp(CmpOp op);
// The operator of the negated comparison (`not x < 1` is `x >= 1`).
CmpOp negate_cmp(CmpOp op);
// Applies an operator to a three-way comparison result.
inline bool cmp_holds(CmpOp op, int c) {
    switch (op) {
        case CmpOp::eq: return c == 0;
        case CmpOp::ne: return c != 0;
        case CmpOp::lt: return c < 0;
        case CmpOp::le: return c <= 0;
        case CmpOp::gt: return c > 0;
        case CmpOp::ge: return c >= 0;
    }
    return false;
}

struct EvalErrors {
    uint64_t count = 0;
    std::string first;  // the first message since the last clear
    void record(std::string_view message) {
        if (count++ == 0) first.assign(message);
    }
    void clear() {
        count = 0;
        first.clear();
    }
};

// Where functions put the strings they build, and where they report errors.
struct FunctionContext {
    TextArena& arena;
    EvalErrors& errors;
    std::string& scratch;  // reused buffer
};

// A function call on evaluated arguments. `cidr` is the precompiled block set of cidrMatch (its block
// arguments are constants; they are not read from `args` beyond args[0]).
Value call_function(semantics::FunctionId id, bool case_insensitive, std::span<const Value> args, FunctionContext& ctx,
                    const matchers::CidrSet* cidr = nullptr);

Value arithmetic(ArithOp op, const Value& a, const Value& b, FunctionContext& ctx);
Value negate_value(const Value& a, FunctionContext& ctx);

// Three-way comparison of two non-null scalars; nullopt when they cannot be compared (different types, or an
// ip/version that does not parse for `ip`).
std::optional<int> compare_scalars(const Value& a, const Value& b, CompareKind kind);
// `a op b` with three-valued logic: null when either side is null or the two cannot be compared.
Value compare_values(CmpOp op, const Value& a, const Value& b, CompareKind kind = CompareKind::generic);
// Equality for `in` lists and join keys: same type and value (numbers by value across int/double).
bool scalars_equal(const Value& a, const Value& b);

// Elasticsearch's version-field precedence: valid versions (numeric parts, optional -prerelease and
// +build) order by semver rules (numeric parts numerically, a prerelease before its release, prerelease
// identifiers numeric < alphanumeric); invalid versions order after every valid one, by bytes.
int compare_versions(std::string_view a, std::string_view b);

// The value a script reads for a field (Elasticsearch's docValue(doc, field): the FIRST doc value, and doc
// values are sorted: keyword by bytes, numbers numerically, ips by address, versions by precedence). Null
// elements are not indexed, so they are skipped; with a null_value they are replaced by it. Returns null
// when there is no value. For dynamic fields holding mixed types, the minimum among the elements of the
// first non-null element's type.
Value script_value(std::span<const Value> elements, FieldType type, const Value* null_value = nullptr);

// Java's toString of a scalar (numbers, booleans, strings as they are), appended to `out`. False for null.
bool append_java_string(const Value& v, std::string& out);

}  // namespace eqlc::vm
