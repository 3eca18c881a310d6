// Number <-> text conversions with Java's rules, as Elasticsearch applies them:
//   * `string(v)` and `concat(...)` stringify with Java's toString: Long/Integer in decimal, Double.toString,
//     Boolean "true"/"false".
//   * `number(s[, base])` parses with Long.parseLong / Long.valueOf / Double.valueOf
//     (EQL's ToNumberFunctionProcessor).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "values/arithmetic.hpp"

namespace eqlc::vm {

// ---- Java toString -------------------------------------------------------------------------------------------

// Long.toString / Integer.toString.
void append_java_long(std::int64_t v, std::string& out);

// Double.toString (JDK 19+ algorithm, which Elasticsearch 8.x runs on): the shortest decimal that rounds back to
// the double (when that is a single digit, the closest 1- or 2-digit decimal: 4.9E-324, not 5.0E-324), laid
// out as plain decimal with at least one fraction digit when 1e-3 <= |v| < 1e7 ("42.0", "0.001", "1234567.0"),
// else as computerized scientific notation ("1.0E7", "1.0E-4", "-1.2345E-10"). "NaN", "Infinity",
// "-Infinity", "0.0", "-0.0".
void append_java_double(double v, std::string& out);

// Float.toString, same rules over float (for fields mapped as `float`, if the VM keeps them as floats).
void append_java_float(float v, std::string& out);

// Boolean.toString.
void append_java_boolean(bool v, std::string& out);

// The Number's own Java type decides: int/long -> decimal, double -> Double.toString.
void append_java_number(const Number& v, std::string& out);

std::string java_long_to_string(std::int64_t v);
std::string java_double_to_string(double v);
std::string java_float_to_string(float v);
std::string java_boolean_to_string(bool v);
std::string java_number_to_string(const Number& v);

// ---- number(s, base) -----------------------------------------------------------------------------------------

struct NumberConversionError {
    std::string message;  // e.g. "Unable to convert [abc] to number of base [10]"
};

// The result is a long or a double (Java Long / Double), or an error: number() of an empty or malformed string
// raises an error in Elasticsearch rather than returning null.
using ToNumberResult = std::variant<std::int64_t, double, NumberConversionError>;

// EQL's number(s, base). `s` is non-null (number(null, ...) is null: the VM handles that). `base` is the
// second argument, nullopt when it is absent or the null literal (both mean "default").
//   1. Surrounding characters <= U+0020 are trimmed (Java String.trim).
//   2. If the trimmed text starts with "0x" (lowercase x, no sign before it) and base is absent or 16, the
//      prefix is dropped and the base is 16.
//   3. Base 10 (the default): Long.valueOf (optional +/-, ASCII digits) if it fits in a long, otherwise
//      Double.valueOf ("42.5", "1e3", ".5", "5.", "1.5f", "1d", "NaN", "-Infinity", "0x1.8p1", and
//      "9223372036854775808" -> 9.223372036854776E18).
//   4. Other bases: Long.parseLong(s, base): optional +/-, digits 0-9 a-z A-Z below the base, must fit a long.
//      A base outside 2..36 is an error.
// Non-ASCII digits (which Java's Character.digit accepts) are rejected.
ToNumberResult to_number(std::string_view s, std::optional<std::int64_t> base);

// Java's Long.parseLong(s, radix) (radix 2..36); nullopt on NumberFormatException.
std::optional<std::int64_t> java_parse_long(std::string_view s, int radix = 10) noexcept;

// Java's Double.parseDouble(s) for already-trimmed text; nullopt on NumberFormatException.
std::optional<double> java_parse_double(std::string_view s) noexcept;

}  // namespace eqlc::vm
