#include "values/number_format.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace eqlc::vm {

namespace {

// Splits the output of to_chars(..., chars_format::scientific[, precision]) ("d[.ddd]e±XX") into its
// significant digits and decimal exponent (value = d.ddd x 10^exponent).
struct Scientific {
    char digits[32];
    int count = 0;
    int exponent = 0;
};

Scientific split_scientific(const char* first, const char* last) {
    Scientific s;
    const char* p = first;
    for (; p != last && *p != 'e'; ++p) {
        if (*p != '.' && s.count < static_cast<int>(sizeof s.digits)) s.digits[s.count++] = *p;
    }
    if (p != last) {
        ++p;  // 'e'
        const bool negative = *p == '-';
        if (*p == '-' || *p == '+') ++p;
        int e = 0;
        std::from_chars(p, last, e);
        s.exponent = negative ? -e : e;
    }
    while (s.count > 1 && s.digits[s.count - 1] == '0') --s.count;
    return s;
}

template <class Float>
void append_java_floating(Float v, std::string& out) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::signbit(v)) out.push_back('-');
    v = std::fabs(v);
    if (std::isinf(v)) {
        out += "Infinity";
        return;
    }
    if (v == 0) {
        out += "0.0";
        return;
    }
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    Scientific s = split_scientific(buf, r.ptr);
    if (s.count == 1) {
        // Java picks, among the shortest decimals, the closest one, counting 2-digit decimals as shortest too.
        r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific, 1);
        s = split_scientific(buf, r.ptr);
    }
    const int e = s.exponent;
    if (e >= -3 && e < 7) {
        if (e >= 0) {
            for (int k = 0; k <= e; ++k) out.push_back(k < s.count ? s.digits[k] : '0');
            out.push_back('.');
            if (s.count > e + 1) {
                out.append(s.digits + e + 1, static_cast<std::size_t>(s.count - e - 1));
            } else {
                out.push_back('0');
            }
        } else {
            out += "0.";
            out.append(static_cast<std::size_t>(-e - 1), '0');
            out.append(s.digits, static_cast<std::size_t>(s.count));
        }
        return;
    }
    out.push_back(s.digits[0]);
    out.push_back('.');
    if (s.count > 1) {
        out.append(s.digits + 1, static_cast<std::size_t>(s.count - 1));
    } else {
        out.push_back('0');
    }
    out.push_back('E');
    char ebuf[8];
    const auto er = std::to_chars(ebuf, ebuf + sizeof ebuf, e);
    out.append(ebuf, er.ptr);
}

constexpr bool is_java_space(char c) noexcept { return static_cast<unsigned char>(c) <= 0x20; }

std::string_view java_trim(std::string_view s) noexcept {
    while (!s.empty() && is_java_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_java_space(s.back())) s.remove_suffix(1);
    return s;
}

constexpr int digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_hex_digit(char c) noexcept { return digit_value(c) < 16; }

// Scans digits of the given kind starting at i; returns the index after them.
template <class Pred>
std::size_t scan(std::string_view s, std::size_t i, Pred pred) noexcept {
    while (i < s.size() && pred(s[i])) ++i;
    return i;
}

// Decimal magnitude (roughly log10) of a decimal literal body "ddd.ddd" with exponent `exp`, used only to decide
// between Infinity and 0 when from_chars reports out of range.
int decimal_magnitude(std::string_view mantissa, long long exp) noexcept {
    const std::size_t dot = mantissa.find('.');
    const std::string_view int_part = mantissa.substr(0, dot);
    std::size_t lead = 0;
    while (lead < int_part.size() && int_part[lead] == '0') ++lead;
    long long mag;
    if (lead < int_part.size()) {
        mag = static_cast<long long>(int_part.size() - lead);
    } else {
        const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : mantissa.substr(dot + 1);
        std::size_t z = 0;
        while (z < frac.size() && frac[z] == '0') ++z;
        mag = -static_cast<long long>(z);
    }
    mag += exp;
    return mag > 0 ? 1 : -1;
}

}  // namespace

void append_java_long(std::int64_t v, std::string& out) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_java_double(double v, std::string& out) { append_java_floating(v, out); }
void append_java_float(float v, std::string& out) { append_java_floating(v, out); }
void append_java_boolean(bool v, std::string& out) { out += v ? "true" : "false"; }

void append_java_number(const Number& v, std::string& out) {
    switch (v.kind) {
        case NumberKind::Int: append_java_long(v.i, out); return;
        case NumberKind::Long: append_java_long(v.l, out); return;
        case NumberKind::Double: append_java_double(v.d, out); return;
    }
}

std::string java_long_to_string(std::int64_t v) {
    std::string s;
    append_java_long(v, s);
    return s;
}
std::string java_double_to_string(double v) {
    std::string s;
    append_java_double(v, s);
    return s;
}
std::string java_float_to_string(float v) {
    std::string s;
    append_java_float(v, s);
    return s;
}
std::string java_boolean_to_string(bool v) { return v ? "true" : "false"; }
std::string java_number_to_string(const Number& v) {
    std::string s;
    append_java_number(v, s);
    return s;
}

std::optional<std::int64_t> java_parse_long(std::string_view s, int radix) noexcept {
    if (radix < 2 || radix > 36 || s.empty()) return std::nullopt;
    bool negative = false;
    std::size_t i = 0;
    if (s[0] == '-' || s[0] == '+') {
        negative = s[0] == '-';
        i = 1;
        if (s.size() == 1) return std::nullopt;
    }
    // Accumulate negatively so that Long.MIN_VALUE parses.
    std::int64_t acc = 0;
    for (; i < s.size(); ++i) {
        const int d = digit_value(s[i]);
        if (d >= radix) return std::nullopt;
        if (__builtin_mul_overflow(acc, static_cast<std::int64_t>(radix), &acc)) return std::nullopt;
        if (__builtin_sub_overflow(acc, static_cast<std::int64_t>(d), &acc)) return std::nullopt;
    }
    if (negative) return acc;
    if (acc == std::numeric_limits<std::int64_t>::min()) return std::nullopt;
    return -acc;
}

std::optional<double> java_parse_double(std::string_view s) noexcept {
    std::size_t i = 0;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        ++i;
    }
    const std::string_view body = s.substr(i);
    const double sign = negative ? -1.0 : 1.0;
    if (body == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (body == "Infinity") return sign * std::numeric_limits<double>::infinity();

    std::string_view number = body;
    if (!number.empty()) {
        const char last = number.back();
        if (last == 'f' || last == 'F' || last == 'd' || last == 'D') number.remove_suffix(1);
    }
    if (number.size() >= 2 && number[0] == '0' && (number[1] == 'x' || number[1] == 'X')) {
        // HexSignificand BinaryExponent: 0x h+ [.] | 0x h* . h+, then p [+-] d+ (required).
        const std::string_view hex = number.substr(2);
        std::size_t j = scan(hex, 0, is_hex_digit);
        std::size_t mantissa_digits = j;
        if (j < hex.size() && hex[j] == '.') {
            const std::size_t k = scan(hex, j + 1, is_hex_digit);
            mantissa_digits += k - j - 1;
            j = k;
        }
        if (mantissa_digits == 0 || j >= hex.size() || (hex[j] != 'p' && hex[j] != 'P')) return std::nullopt;
        std::size_t k = j + 1;
        if (k < hex.size() && (hex[k] == '+' || hex[k] == '-')) ++k;
        const std::size_t e = scan(hex, k, is_digit);
        if (e == k || e != hex.size()) return std::nullopt;
        double v = 0;
        const auto r = std::from_chars(hex.data(), hex.data() + hex.size(), v, std::chars_format::hex);
        if (r.ptr != hex.data() + hex.size()) {
            if (r.ec != std::errc::result_out_of_range) return std::nullopt;
            // Exponent too large or too small for a double.
            const bool big = hex.find('-', j) == std::string_view::npos;
            return sign * (big ? std::numeric_limits<double>::infinity() : 0.0);
        }
        return sign * v;
    }

    // Digits+ [.] Digits* [exp] | . Digits+ [exp]
    std::size_t j = scan(number, 0, is_digit);
    std::size_t mantissa_digits = j;
    if (j < number.size() && number[j] == '.') {
        const std::size_t k = scan(number, j + 1, is_digit);
        mantissa_digits += k - j - 1;
        j = k;
    }
    if (mantissa_digits == 0) return std::nullopt;
    const std::string_view mantissa = number.substr(0, j);
    long long exp = 0;
    if (j < number.size()) {
        if (number[j] != 'e' && number[j] != 'E') return std::nullopt;
        std::size_t k = j + 1;
        bool exp_negative = false;
        if (k < number.size() && (number[k] == '+' || number[k] == '-')) {
            exp_negative = number[k] == '-';
            ++k;
        }
        const std::size_t e = scan(number, k, is_digit);
        if (e == k || e != number.size()) return std::nullopt;
        for (std::size_t q = k; q < e && exp < 100000000; ++q) exp = exp * 10 + (number[q] - '0');
        if (exp_negative) exp = -exp;
    }
    double v = 0;
    const auto r = std::from_chars(number.data(), number.data() + number.size(), v, std::chars_format::general);
    if (r.ec == std::errc::result_out_of_range) {
        return sign * (decimal_magnitude(mantissa, exp) > 0 ? std::numeric_limits<double>::infinity() : 0.0);
    }
    if (r.ec != std::errc{} || r.ptr != number.data() + number.size()) return std::nullopt;
    return sign * v;
}

ToNumberResult to_number(std::string_view s, std::optional<std::int64_t> base) {
    std::string_view value = java_trim(s);
    const bool hex_prefix = value.starts_with("0x");
    std::int64_t radix = base ? *base : (hex_prefix ? 16 : 10);
    if (hex_prefix && radix == 16) value.remove_prefix(2);

    auto error = [&] {
        std::string m = "Unable to convert [";
        m.append(value);
        m += "] to number of base [";
        append_java_long(radix, m);
        m += "]";
        return NumberConversionError{std::move(m)};
    };
    if (base &&
        (*base < std::numeric_limits<std::int32_t>::min() || *base > std::numeric_limits<std::int32_t>::max())) {
        std::string m = "An integer base is required; received [";
        append_java_long(*base, m);
        m += "]";
        return NumberConversionError{std::move(m)};
    }
    if (radix == 10) {
        if (const auto l = java_parse_long(value, 10)) return *l;
        if (const auto d = java_parse_double(value)) return *d;
        return error();
    }
    if (const auto l = java_parse_long(value, static_cast<int>(radix))) return *l;
    return error();
}

}  // namespace eqlc::vm
