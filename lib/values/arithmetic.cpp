#include "values/arithmetic.hpp"

#include <cmath>
#include <limits>

namespace eqlc::vm {

namespace {

constexpr double kTwoPow63 = 9223372036854775808.0;

NumberKind widest(Number a, Number b) noexcept {
    if (a.kind == NumberKind::Double || b.kind == NumberKind::Double) return NumberKind::Double;
    if (a.kind == NumberKind::Long || b.kind == NumberKind::Long) return NumberKind::Long;
    return NumberKind::Int;
}

// The int-typed operations run in 64 bits and check the range afterwards: exact for +, - and *.
ArithmeticResult int_result(std::int64_t v) noexcept {
    if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max()) {
        return ArithmeticError::IntegerOverflow;
    }
    return Number::of_int(static_cast<std::int32_t>(v));
}

}  // namespace

std::int64_t java_double_to_long(double d) noexcept {
    if (std::isnan(d)) return 0;
    if (d >= kTwoPow63) return std::numeric_limits<std::int64_t>::max();
    if (d <= -kTwoPow63) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(d);
}

const char* message(ArithmeticError e) noexcept {
    switch (e) {
        case ArithmeticError::IntegerOverflow: return "integer overflow";
        case ArithmeticError::LongOverflow: return "long overflow";
        case ArithmeticError::DivisionByZero: return "/ by zero";
    }
    return "arithmetic error";
}

ArithmeticResult add(Number a, Number b) noexcept {
    switch (widest(a, b)) {
        case NumberKind::Double: return Number::of_double(a.as_double() + b.as_double());
        case NumberKind::Long: {
            std::int64_t r;
            if (__builtin_add_overflow(a.as_long(), b.as_long(), &r)) return ArithmeticError::LongOverflow;
            return Number::of_long(r);
        }
        case NumberKind::Int: return int_result(std::int64_t{a.i} + b.i);
    }
    return ArithmeticError::LongOverflow;  // unreachable
}

ArithmeticResult subtract(Number a, Number b) noexcept {
    switch (widest(a, b)) {
        case NumberKind::Double: return Number::of_double(a.as_double() - b.as_double());
        case NumberKind::Long: {
            std::int64_t r;
            if (__builtin_sub_overflow(a.as_long(), b.as_long(), &r)) return ArithmeticError::LongOverflow;
            return Number::of_long(r);
        }
        case NumberKind::Int: return int_result(std::int64_t{a.i} - b.i);
    }
    return ArithmeticError::LongOverflow;
}

ArithmeticResult multiply(Number a, Number b) noexcept {
    switch (widest(a, b)) {
        case NumberKind::Double: return Number::of_double(a.as_double() * b.as_double());
        case NumberKind::Long: {
            std::int64_t r;
            if (__builtin_mul_overflow(a.as_long(), b.as_long(), &r)) return ArithmeticError::LongOverflow;
            return Number::of_long(r);
        }
        case NumberKind::Int: return int_result(std::int64_t{a.i} * b.i);
    }
    return ArithmeticError::LongOverflow;
}

ArithmeticResult divide(Number a, Number b) noexcept {
    switch (widest(a, b)) {
        case NumberKind::Double: return Number::of_double(a.as_double() / b.as_double());
        case NumberKind::Long: {
            const std::int64_t x = a.as_long();
            const std::int64_t y = b.as_long();
            if (y == 0) return ArithmeticError::DivisionByZero;
            if (y == -1) return Number::of_long(static_cast<std::int64_t>(0ULL - static_cast<std::uint64_t>(x)));
            return Number::of_long(x / y);
        }
        case NumberKind::Int: {
            if (b.i == 0) return ArithmeticError::DivisionByZero;
            if (b.i == -1) return Number::of_int(static_cast<std::int32_t>(0U - static_cast<std::uint32_t>(a.i)));
            return Number::of_int(a.i / b.i);
        }
    }
    return ArithmeticError::DivisionByZero;
}

ArithmeticResult modulo(Number a, Number b) noexcept {
    switch (widest(a, b)) {
        case NumberKind::Double: return Number::of_double(std::fmod(a.as_double(), b.as_double()));
        case NumberKind::Long: {
            // Math.floorMod(long, long).
            const std::int64_t x = a.as_long();
            const std::int64_t y = b.as_long();
            if (y == 0) return ArithmeticError::DivisionByZero;
            if (y == -1) return Number::of_long(0);
            std::int64_t r = x % y;
            if (r != 0 && ((r < 0) != (y < 0))) r += y;
            return Number::of_long(r);
        }
        case NumberKind::Int: {
            if (b.i == 0) return ArithmeticError::DivisionByZero;
            if (b.i == -1) return Number::of_int(0);
            return Number::of_int(a.i % b.i);
        }
    }
    return ArithmeticError::DivisionByZero;
}

ArithmeticResult negate(Number a) noexcept {
    switch (a.kind) {
        case NumberKind::Double: return Number::of_double(-a.d);
        case NumberKind::Long:
            if (a.l == std::numeric_limits<std::int64_t>::min()) return ArithmeticError::LongOverflow;
            return Number::of_long(-a.l);
        case NumberKind::Int:
            if (a.i == std::numeric_limits<std::int32_t>::min()) return ArithmeticError::IntegerOverflow;
            return Number::of_int(-a.i);
    }
    return ArithmeticError::LongOverflow;
}

int compare_long_double(std::int64_t a, double b) noexcept {
    if (std::isnan(b)) return -1;  // NaN sorts last
    if (b >= kTwoPow63) return -1;
    if (b < -kTwoPow63) return 1;
    // |b| <= 2^63 here and b = -2^63 is representable, so the truncation is exact.
    const double t = std::trunc(b);
    const std::int64_t bt = static_cast<std::int64_t>(t);
    if (a != bt) return a < bt ? -1 : 1;
    const double frac = b - t;  // exact
    if (frac > 0) return -1;
    if (frac < 0) return 1;
    return 0;
}

int compare_numbers(Number a, Number b) noexcept {
    const bool ad = a.kind == NumberKind::Double;
    const bool bd = b.kind == NumberKind::Double;
    if (!ad && !bd) {
        const std::int64_t x = a.as_long();
        const std::int64_t y = b.as_long();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (ad && bd) {
        const bool an = std::isnan(a.d);
        const bool bn = std::isnan(b.d);
        if (an || bn) return an == bn ? 0 : (an ? 1 : -1);
        return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
    }
    if (bd) return compare_long_double(a.as_long(), b.d);
    return -compare_long_double(b.as_long(), a.d);
}

bool numbers_equal(Number a, Number b) noexcept {
    if ((a.kind == NumberKind::Double && std::isnan(a.d)) || (b.kind == NumberKind::Double && std::isnan(b.d))) {
        return false;
    }
    return compare_numbers(a, b) == 0;
}

}  // namespace eqlc::vm
