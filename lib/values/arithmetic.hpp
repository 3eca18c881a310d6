// Numeric values and the arithmetic of EQL's `+ - * / %` and add/subtract/multiply/divide/modulo, with the
// semantics of Elasticsearch QL's `Arithmetics` (Java):
//
//   * Operand types are int (32-bit: integer literals that fit), long (64-bit: long fields and larger
//     literals) and double. The result type is the widest operand type: int < long < double.
//   * int and long +, -, * and unary minus use Math.addExact & co.: an overflow is an error
//     ("integer overflow" / "long overflow", Java's ArithmeticException messages), never a wrap-around.
//   * int/long division truncates toward zero (`divide(4,3) = 1`). MIN_VALUE / -1 wraps to MIN_VALUE, as in
//     Java (Java's `/` does not use divideExact). Division or remainder by integer zero is an error
//     ("/ by zero").
//   * Remainder: int % int is Java `%` (sign of the dividend: `modulo(-10,-6) = -4`, `modulo(10,-6) = 4`).
//     When either operand is a long, QL uses Math.floorMod (sign of the divisor: floorMod(10L,-6L) = -2);
//     eqlc follows it. [from memory of QL Arithmetics.mod; unverified against a live cluster]
//   * double arithmetic is IEEE as in Java: x / 0.0 is ±Infinity, 0.0 / 0.0 and x % 0.0 are NaN (no error);
//     double % is C fmod (`modulo(10, 0.5) = 0.0`, sign of the dividend).
//
// Nulls are not represented here: the VM returns null before calling any of these when an operand is null.
#pragma once

#include <cstdint>

namespace eqlc::vm {

enum class NumberKind : std::uint8_t { Int, Long, Double };

struct Number {
    NumberKind kind;
    union {
        std::int32_t i;
        std::int64_t l;
        double d;
    };

    constexpr Number() noexcept : kind(NumberKind::Int), l(0) {}  // int 0

    static constexpr Number of_int(std::int32_t v) noexcept {
        Number n;
        n.kind = NumberKind::Int;
        n.i = v;
        return n;
    }
    static constexpr Number of_long(std::int64_t v) noexcept {
        Number n;
        n.kind = NumberKind::Long;
        n.l = v;
        return n;
    }
    static constexpr Number of_double(double v) noexcept {
        Number n;
        n.kind = NumberKind::Double;
        n.d = v;
        return n;
    }
    // The narrowest integer type that holds v: int if it fits, else long (how the EQL parser types literals).
    static constexpr Number of_integer(std::int64_t v) noexcept {
        return (v >= INT32_MIN && v <= INT32_MAX) ? of_int(static_cast<std::int32_t>(v)) : of_long(v);
    }

    // Java's longValue() for the integral kinds (meaningless for doubles: use as_double or java_long_value).
    constexpr std::int64_t as_long() const noexcept { return kind == NumberKind::Int ? i : l; }
    constexpr double as_double() const noexcept {
        switch (kind) {
            case NumberKind::Int: return static_cast<double>(i);
            case NumberKind::Long: return static_cast<double>(l);
            case NumberKind::Double: return d;
        }
        return d;
    }
};

// Java's (long) cast / Number.longValue() of a double: truncation toward zero, NaN -> 0, saturating.
std::int64_t java_double_to_long(double d) noexcept;
// Java's Number.intValue() of a long: keeps the low 32 bits.
constexpr std::int32_t java_long_to_int(std::int64_t v) noexcept {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
}

enum class ArithmeticError : std::uint8_t {
    IntegerOverflow,  // int result out of 32-bit range
    LongOverflow,     // long result out of 64-bit range
    DivisionByZero,   // int/long `/` or `%` by zero
};

// Java's ArithmeticException message for the error ("integer overflow", "long overflow", "/ by zero").
const char* message(ArithmeticError e) noexcept;

class ArithmeticResult {
public:
    constexpr ArithmeticResult(Number v) noexcept : value_(v), error_(), ok_(true) {}  // NOLINT: implicit
    constexpr ArithmeticResult(ArithmeticError e) noexcept                             // NOLINT: implicit
        : value_(Number::of_int(0)), error_(e), ok_(false) {}

    constexpr bool ok() const noexcept { return ok_; }
    constexpr explicit operator bool() const noexcept { return ok_; }
    constexpr const Number& value() const noexcept { return value_; }
    constexpr ArithmeticError error() const noexcept { return error_; }

private:
    Number value_;
    ArithmeticError error_;
    bool ok_;
};

ArithmeticResult add(Number a, Number b) noexcept;
ArithmeticResult subtract(Number a, Number b) noexcept;
ArithmeticResult multiply(Number a, Number b) noexcept;
ArithmeticResult divide(Number a, Number b) noexcept;
ArithmeticResult modulo(Number a, Number b) noexcept;
ArithmeticResult negate(Number a) noexcept;

// Exact numeric order across kinds: a long and a double compare by mathematical value (no rounding of the
// long, so 2^53+1 > 2^53 as a double). -0.0 equals 0.0. NaN sorts above every other value and equals NaN (a
// total order for sorting; use numbers_equal for `==`). Returns -1, 0 or 1.
int compare_numbers(Number a, Number b) noexcept;
int compare_long_double(std::int64_t a, double b) noexcept;

// `==` on numbers: exact value equality across kinds (1 == 1.0, -0.0 == 0.0); NaN equals nothing.
bool numbers_equal(Number a, Number b) noexcept;

}  // namespace eqlc::vm
