// Java numeric semantics of EQL arithmetic, numeric comparison, Java number formatting and number().
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>

#include "values/arithmetic.hpp"
#include "values/number_format.hpp"

using eqlc::vm::ArithmeticError;
using eqlc::vm::ArithmeticResult;
using eqlc::vm::Number;
using eqlc::vm::NumberKind;

namespace {

Number I(std::int32_t v) { return Number::of_int(v); }
Number L(std::int64_t v) { return Number::of_long(v); }
Number D(double v) { return Number::of_double(v); }

constexpr std::int32_t kIntMax = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kIntMin = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kLongMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kLongMin = std::numeric_limits<std::int64_t>::min();

bool is_int(const ArithmeticResult& r, std::int32_t v) {
    return r.ok() && r.value().kind == NumberKind::Int && r.value().i == v;
}
bool is_long(const ArithmeticResult& r, std::int64_t v) {
    return r.ok() && r.value().kind == NumberKind::Long && r.value().l == v;
}
bool is_double(const ArithmeticResult& r, double v) {
    if (!r.ok() || r.value().kind != NumberKind::Double) return false;
    const double d = r.value().d;
    if (std::isnan(v)) return std::isnan(d);
    return d == v && std::signbit(d) == std::signbit(v);
}
bool is_error(const ArithmeticResult& r, ArithmeticError e) { return !r.ok() && r.error() == e; }

std::string jd(double v) { return eqlc::vm::java_double_to_string(v); }

template <class T>
bool holds(const eqlc::vm::ToNumberResult& r, T v) {
    if (!std::holds_alternative<T>(r)) return false;
    if constexpr (std::is_same_v<T, double>) {
        if (std::isnan(v)) return std::isnan(std::get<double>(r));
    }
    return std::get<T>(r) == v;
}
std::string error_of(const eqlc::vm::ToNumberResult& r) {
    return std::holds_alternative<eqlc::vm::NumberConversionError>(r)
               ? std::get<eqlc::vm::NumberConversionError>(r).message
               : std::string("<no error>");
}

}  // namespace

TEST_CASE("add, subtract, multiply widen int -> long -> double", "[arithmetic]") {
    using namespace eqlc::vm;
    CHECK(is_int(add(I(1), I(0)), 1));
    CHECK(is_int(add(I(0), I(1)), 1));
    CHECK(is_long(add(L(1), I(2)), 3));
    CHECK(is_long(add(I(2), L(1)), 3));
    CHECK(is_double(add(I(1), D(0.5)), 1.5));
    CHECK(is_double(add(L(1), D(0.5)), 1.5));
    CHECK(is_int(subtract(I(1), I(-5)), 6));  // QA subtract: subtract(serial_event_id, -5) == 6
    CHECK(is_long(subtract(L(10), L(20)), -10));
    CHECK(is_double(subtract(D(0.5), I(1)), -0.5));
    CHECK(is_int(multiply(I(6), I(5)), 30));
    CHECK(is_long(multiply(L(6), I(5)), 30));
    CHECK(is_double(multiply(I(3), D(2.5)), 7.5));
    CHECK(is_double(add(D(0.1), D(0.2)), 0.1 + 0.2));
}

TEST_CASE("int and long overflow are errors (Math.*Exact)", "[arithmetic]") {
    using namespace eqlc::vm;
    CHECK(is_error(add(I(kIntMax), I(1)), ArithmeticError::IntegerOverflow));
    CHECK(is_error(subtract(I(kIntMin), I(1)), ArithmeticError::IntegerOverflow));
    CHECK(is_error(multiply(I(65536), I(65536)), ArithmeticError::IntegerOverflow));
    CHECK(is_long(add(L(kIntMax), I(1)), std::int64_t{kIntMax} + 1));  // a long operand: no int overflow
    CHECK(is_error(add(L(kLongMax), I(1)), ArithmeticError::LongOverflow));
    CHECK(is_error(subtract(L(kLongMin), I(1)), ArithmeticError::LongOverflow));
    CHECK(is_error(multiply(L(kLongMax / 2 + 1), I(2)), ArithmeticError::LongOverflow));
    CHECK(is_long(multiply(L(kLongMin / 2), I(2)), kLongMin));
    CHECK(is_double(add(D(1e308), D(1e308)), std::numeric_limits<double>::infinity()));  // doubles just overflow
    CHECK(is_error(negate(I(kIntMin)), ArithmeticError::IntegerOverflow));
    CHECK(is_error(negate(L(kLongMin)), ArithmeticError::LongOverflow));
    CHECK(is_int(negate(I(5)), -5));
    CHECK(is_long(negate(L(-5)), 5));
    CHECK(is_double(negate(D(0.0)), -0.0));
    CHECK(std::string(message(ArithmeticError::IntegerOverflow)) == "integer overflow");
    CHECK(std::string(message(ArithmeticError::LongOverflow)) == "long overflow");
    CHECK(std::string(message(ArithmeticError::DivisionByZero)) == "/ by zero");
}

TEST_CASE("divide truncates integers toward zero", "[arithmetic]") {
    using namespace eqlc::vm;
    CHECK(is_int(divide(I(4), I(3)), 1));  // documented divide(4, 3) = 1
    CHECK(is_int(divide(I(-4), I(3)), -1));
    CHECK(is_int(divide(I(4), I(-3)), -1));
    CHECK(is_int(divide(I(-4), I(-3)), 1));
    CHECK(is_long(divide(L(4), I(3)), 1));
    CHECK(is_double(divide(I(30), D(4.0)), 7.5));  // QA multiplyAndDivide
    CHECK(is_double(divide(D(4), I(3)), 4.0 / 3.0));
    // Java's '/' wraps MIN_VALUE / -1 (no divideExact).
    CHECK(is_int(divide(I(kIntMin), I(-1)), kIntMin));
    CHECK(is_long(divide(L(kLongMin), L(-1)), kLongMin));
    CHECK(is_int(divide(I(7), I(-1)), -7));
}

TEST_CASE("division by zero", "[arithmetic]") {
    using namespace eqlc::vm;
    CHECK(is_error(divide(I(1), I(0)), ArithmeticError::DivisionByZero));
    CHECK(is_error(divide(L(1), I(0)), ArithmeticError::DivisionByZero));
    CHECK(is_error(modulo(I(1), I(0)), ArithmeticError::DivisionByZero));
    CHECK(is_error(modulo(L(1), L(0)), ArithmeticError::DivisionByZero));
    // Doubles follow IEEE, as Java does: no error.
    CHECK(is_double(divide(I(1), D(0.0)), std::numeric_limits<double>::infinity()));
    CHECK(is_double(divide(D(-1), I(0)), -std::numeric_limits<double>::infinity()));
    CHECK(is_double(divide(D(0), D(0)), std::numeric_limits<double>::quiet_NaN()));
    CHECK(is_double(modulo(D(1), I(0)), std::numeric_limits<double>::quiet_NaN()));
}

TEST_CASE("modulo", "[arithmetic]") {
    using namespace eqlc::vm;
    SECTION("int % int takes the sign of the dividend (documented examples)") {
        CHECK(is_int(modulo(I(10), I(6)), 4));
        CHECK(is_int(modulo(I(10), I(-6)), 4));
        CHECK(is_int(modulo(I(-10), I(6)), -4));
        CHECK(is_int(modulo(I(-10), I(-6)), -4));
        CHECK(is_int(modulo(I(kIntMin), I(-1)), 0));
    }
    SECTION("double % is fmod") {
        CHECK(is_double(modulo(I(10), D(0.5)), 0.0));
        CHECK(is_double(modulo(D(10.5), I(3)), 1.5));
        CHECK(is_double(modulo(D(-10.5), I(3)), -1.5));
        CHECK(is_double(modulo(D(-4), I(2)), -0.0));
    }
    SECTION("a long operand uses Math.floorMod (sign of the divisor), as QL Arithmetics does") {
        CHECK(is_long(modulo(L(10), I(6)), 4));
        CHECK(is_long(modulo(L(-10), I(-6)), -4));
        CHECK(is_long(modulo(L(10), I(-6)), -2));
        CHECK(is_long(modulo(L(-10), I(6)), 2));
        CHECK(is_long(modulo(L(kLongMin), L(-1)), 0));
        CHECK(is_long(modulo(L(12), L(-6)), 0));
    }
}

TEST_CASE("numeric comparison is exact across kinds", "[arithmetic]") {
    using eqlc::vm::compare_long_double;
    using eqlc::vm::compare_numbers;
    using eqlc::vm::numbers_equal;
    CHECK(numbers_equal(I(1), D(1.0)));
    CHECK(numbers_equal(L(1), I(1)));
    CHECK(numbers_equal(D(0.0), D(-0.0)));
    CHECK_FALSE(numbers_equal(I(1), D(1.5)));
    CHECK_FALSE(numbers_equal(D(NAN), D(NAN)));
    CHECK(compare_numbers(I(1), D(1.5)) == -1);
    CHECK(compare_numbers(D(1.5), I(1)) == 1);
    CHECK(compare_numbers(D(-1.5), I(-1)) == -1);
    CHECK(compare_numbers(I(-1), D(-1.5)) == 1);
    CHECK(compare_numbers(I(2), L(1)) == 1);
    CHECK(compare_numbers(D(2.5), D(2.5)) == 0);
    // 2^53 + 1 is not a double: a lossy comparison would call it equal to 2^53.
    constexpr std::int64_t two53 = std::int64_t{1} << 53;
    CHECK(compare_numbers(L(two53 + 1), D(9007199254740992.0)) == 1);
    CHECK_FALSE(numbers_equal(L(two53 + 1), D(9007199254740992.0)));
    CHECK(numbers_equal(L(two53), D(9007199254740992.0)));
    CHECK(compare_long_double(kLongMax, 9223372036854775808.0) == -1);  // 2^63 > LONG_MAX
    CHECK(compare_long_double(kLongMin, -9223372036854775808.0) == 0);
    CHECK(compare_long_double(kLongMin, -1e300) == 1);
    CHECK(compare_long_double(0, std::numeric_limits<double>::infinity()) == -1);
    CHECK(compare_long_double(0, -std::numeric_limits<double>::infinity()) == 1);
    CHECK(compare_long_double(0, -0.0) == 0);
    CHECK(compare_long_double(-1, -0.5) == -1);
    // NaN sorts above everything and equals itself in the total order.
    CHECK(compare_numbers(D(NAN), L(kLongMax)) == 1);
    CHECK(compare_numbers(I(0), D(NAN)) == -1);
    CHECK(compare_numbers(D(NAN), D(std::numeric_limits<double>::infinity())) == 1);
    CHECK(compare_numbers(D(NAN), D(NAN)) == 0);
}

TEST_CASE("Java value conversions", "[arithmetic]") {
    using eqlc::vm::java_double_to_long;
    using eqlc::vm::java_long_to_int;
    CHECK(java_double_to_long(1.9) == 1);
    CHECK(java_double_to_long(-1.9) == -1);
    CHECK(java_double_to_long(NAN) == 0);
    CHECK(java_double_to_long(1e300) == kLongMax);
    CHECK(java_double_to_long(-1e300) == kLongMin);
    CHECK(java_long_to_int((std::int64_t{1} << 32) + 5) == 5);
    CHECK(java_long_to_int(std::int64_t{kIntMax} + 1) == kIntMin);
    CHECK(Number::of_integer(5).kind == NumberKind::Int);
    CHECK(Number::of_integer(std::int64_t{kIntMax} + 1).kind == NumberKind::Long);
}

TEST_CASE("Java toString of numbers and booleans", "[arithmetic]") {
    using namespace eqlc::vm;
    CHECK(java_long_to_string(42) == "42");
    CHECK(java_long_to_string(-7) == "-7");
    CHECK(java_long_to_string(kLongMin) == "-9223372036854775808");
    CHECK(java_boolean_to_string(true) == "true");
    CHECK(java_boolean_to_string(false) == "false");
    CHECK(java_number_to_string(I(5)) == "5");
    CHECK(java_number_to_string(L(5)) == "5");
    CHECK(java_number_to_string(D(5)) == "5.0");

    SECTION("plain decimal between 1e-3 and 1e7") {
        CHECK(jd(42.5) == "42.5");
        CHECK(jd(42.0) == "42.0");
        CHECK(jd(1.0) == "1.0");
        CHECK(jd(-1.0) == "-1.0");
        CHECK(jd(0.5) == "0.5");
        CHECK(jd(100.0) == "100.0");
        CHECK(jd(0.001) == "0.001");
        CHECK(jd(0.00123) == "0.00123");
        CHECK(jd(1234567.0) == "1234567.0");
        CHECK(jd(9999999.0) == "9999999.0");
        CHECK(jd(0.1 + 0.2) == "0.30000000000000004");
        CHECK(jd(3.141592653589793) == "3.141592653589793");
        CHECK(jd(123456.789) == "123456.789");
    }
    SECTION("computerized scientific notation outside it") {
        CHECK(jd(1e7) == "1.0E7");
        CHECK(jd(1e10) == "1.0E10");
        CHECK(jd(12345678.0) == "1.2345678E7");
        CHECK(jd(1e-5) == "1.0E-5");
        CHECK(jd(0.0001) == "1.0E-4");
        CHECK(jd(-1.5e-7) == "-1.5E-7");
        CHECK(jd(1e21) == "1.0E21");
        CHECK(jd(1e23) == "1.0E23");
        CHECK(jd(9.223372036854776E18) == "9.223372036854776E18");
        CHECK(jd(std::numeric_limits<double>::max()) == "1.7976931348623157E308");
        CHECK(jd(std::numeric_limits<double>::min()) == "2.2250738585072014E-308");
        // Java picks the closest of the 2-digit decimals when the shortest has one digit.
        CHECK(jd(std::numeric_limits<double>::denorm_min()) == "4.9E-324");
        CHECK(jd(2 * std::numeric_limits<double>::denorm_min()) == "9.9E-324");  // JDK 19+; older JDKs: 1.0E-323
    }
    SECTION("special values") {
        CHECK(jd(0.0) == "0.0");
        CHECK(jd(-0.0) == "-0.0");
        CHECK(jd(std::numeric_limits<double>::infinity()) == "Infinity");
        CHECK(jd(-std::numeric_limits<double>::infinity()) == "-Infinity");
        CHECK(jd(std::numeric_limits<double>::quiet_NaN()) == "NaN");
    }
    SECTION("Float.toString") {
        CHECK(java_float_to_string(3.14f) == "3.14");
        CHECK(java_float_to_string(1.0e10f) == "1.0E10");
        CHECK(java_float_to_string(0.1f) == "0.1");
        CHECK(java_float_to_string(std::numeric_limits<float>::denorm_min()) == "1.4E-45");
    }
}

TEST_CASE("number(s[, base])", "[arithmetic]") {
    using eqlc::vm::to_number;
    using std::nullopt;
    SECTION("base 10: long when it fits, else double") {
        CHECK(holds<std::int64_t>(to_number("5", nullopt), 5));  // QA stringNumberConversion1
        CHECK(holds<std::int64_t>(to_number("1337", nullopt), 1337));
        CHECK(holds<std::int64_t>(to_number("+1337", nullopt), 1337));
        CHECK(holds<std::int64_t>(to_number("-1337", nullopt), -1337));
        CHECK(holds<std::int64_t>(to_number("  1337  ", nullopt), 1337));
        CHECK(holds<std::int64_t>(to_number("\t1337\n", 10), 1337));
        CHECK(holds<std::int64_t>(to_number("1337", 10), 1337));
        CHECK(holds<double>(to_number("42.5", nullopt), 42.5));
        CHECK(holds<double>(to_number("-42.5", nullopt), -42.5));
        CHECK(holds<double>(to_number("1e3", nullopt), 1000.0));
        CHECK(holds<double>(to_number(".5", nullopt), 0.5));
        CHECK(holds<double>(to_number("5.", nullopt), 5.0));
        CHECK(holds<double>(to_number("1.5f", nullopt), 1.5));
        CHECK(holds<double>(to_number("2d", nullopt), 2.0));
        CHECK(holds<double>(to_number("NaN", nullopt), std::numeric_limits<double>::quiet_NaN()));
        CHECK(holds<double>(to_number("-Infinity", nullopt), -std::numeric_limits<double>::infinity()));
        CHECK(holds<double>(to_number("1e400", nullopt), std::numeric_limits<double>::infinity()));
        CHECK(holds<double>(to_number("1e-400", nullopt), 0.0));
        CHECK(holds<double>(to_number("0X1.8p1", nullopt), 3.0));  // Java hex float (uppercase X: no base-16 path)
        CHECK(holds<std::int64_t>(to_number("9223372036854775807", nullopt), kLongMax));
        CHECK(holds<std::int64_t>(to_number("-9223372036854775808", nullopt), kLongMin));
        CHECK(holds<double>(to_number("9223372036854775808", nullopt), 9223372036854775808.0));
        CHECK(holds<std::int64_t>(to_number("007", nullopt), 7));
    }
    SECTION("hexadecimal") {
        CHECK(holds<std::int64_t>(to_number("0x32", 16), 50));  // QA stringNumberConversion2
        CHECK(holds<std::int64_t>(to_number("32", 16), 50));    // QA stringNumberConversion3
        CHECK(holds<std::int64_t>(to_number("0x10", nullopt), 16));
        CHECK(holds<std::int64_t>(to_number("0xdeadbeef", nullopt), 3735928559));
        CHECK(holds<std::int64_t>(to_number("deadbeef", 16), 3735928559));
        CHECK(holds<std::int64_t>(to_number("DEADBEEF", 16), 3735928559));
        CHECK(holds<std::int64_t>(to_number(" 0x10 ", nullopt), 16));
        CHECK(holds<std::int64_t>(to_number("-ff", 16), -255));
        CHECK(holds<std::int64_t>(to_number("7fffffffffffffff", 16), kLongMax));
        CHECK(error_of(to_number("8000000000000000", 16)) ==
              "Unable to convert [8000000000000000] to number of base [16]");
        CHECK(error_of(to_number("0x", nullopt)) == "Unable to convert [] to number of base [16]");
        CHECK(error_of(to_number("0x10", 10)) == "Unable to convert [0x10] to number of base [10]");
        CHECK(error_of(to_number("-0x10", nullopt)) == "Unable to convert [-0x10] to number of base [10]");
    }
    SECTION("other bases") {
        CHECK(holds<std::int64_t>(to_number("101", 2), 5));
        CHECK(holds<std::int64_t>(to_number("777", 8), 511));
        CHECK(holds<std::int64_t>(to_number("zz", 36), 1295));
        CHECK(holds<std::int64_t>(to_number("Zz", 36), 1295));
        CHECK(error_of(to_number("102", 2)) == "Unable to convert [102] to number of base [2]");
        CHECK(error_of(to_number("1.5", 8)) == "Unable to convert [1.5] to number of base [8]");
        CHECK(error_of(to_number("1", 37)) == "Unable to convert [1] to number of base [37]");
        CHECK(error_of(to_number("1", 1)) == "Unable to convert [1] to number of base [1]");
        CHECK(error_of(to_number("1", std::int64_t{1} << 40)) ==
              "An integer base is required; received [1099511627776]");
    }
    SECTION("empty and garbage are errors, not null") {
        CHECK(error_of(to_number("", nullopt)) == "Unable to convert [] to number of base [10]");
        CHECK(error_of(to_number("   ", nullopt)) == "Unable to convert [] to number of base [10]");
        CHECK(error_of(to_number("abc", nullopt)) == "Unable to convert [abc] to number of base [10]");
        CHECK(error_of(to_number("1,000", nullopt)) == "Unable to convert [1,000] to number of base [10]");
        CHECK(error_of(to_number("1e", nullopt)) == "Unable to convert [1e] to number of base [10]");
        CHECK(error_of(to_number(".", nullopt)) == "Unable to convert [.] to number of base [10]");
        CHECK(error_of(to_number("+", nullopt)) == "Unable to convert [+] to number of base [10]");
        CHECK(error_of(to_number("inf", nullopt)) == "Unable to convert [inf] to number of base [10]");
        CHECK(error_of(to_number("0x1.8", nullopt)) == "Unable to convert [1.8] to number of base [16]");
        CHECK(error_of(to_number("1 2", nullopt)) == "Unable to convert [1 2] to number of base [10]");
    }
}
