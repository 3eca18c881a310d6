#include "values/timestamp.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace eqlc::input {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kNanosPerMilli = 1'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;

constexpr TimestampResult fail(TimestampError e) noexcept { return {0, e}; }
constexpr TimestampResult success(std::int64_t nanos) noexcept { return {nanos, TimestampError::None}; }

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Reads exactly n digits at s[pos...]; false if any is not a digit or the text is too short.
constexpr bool read_digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& value) noexcept {
    if (pos + n > s.size()) return false;
    unsigned v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (!is_digit(c)) return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    value = v;
    return true;
}

constexpr unsigned days_in_month(std::int64_t year, unsigned month) noexcept {
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

// seconds * 1e9 + nanos (0 <= nanos < 1e9) with overflow detection.
TimestampResult combine(std::int64_t seconds, std::int64_t nanos) noexcept {
    if (seconds < 0 && nanos > 0) {
        // The earliest instants (1677-09-21T00:12:43.145224192Z) only fit when built from the second after.
        ++seconds;
        nanos -= kNanosPerSecond;
    }
    std::int64_t r;
    if (__builtin_mul_overflow(seconds, kNanosPerSecond, &r) || __builtin_add_overflow(r, nanos, &r)) {
        return fail(TimestampError::OutOfRange);
    }
    return success(r);
}

// Parses the offset at s[pos...] up to the end of the text; returns the offset in seconds through `seconds`.
TimestampError parse_offset(std::string_view s, std::size_t pos, std::int64_t& seconds) noexcept {
    const char c = s[pos];
    if (c == 'Z' || c == 'z') {
        seconds = 0;
        return pos + 1 == s.size() ? TimestampError::None : TimestampError::Syntax;
    }
    if (c != '+' && c != '-') return TimestampError::Syntax;
    const std::size_t rest = s.size() - pos - 1;
    unsigned hours = 0;
    unsigned minutes = 0;
    if (!read_digits(s, pos + 1, 2, hours)) return TimestampError::Syntax;
    if (rest == 2) {
        // ±HH
    } else if (rest == 4) {
        if (!read_digits(s, pos + 3, 2, minutes)) return TimestampError::Syntax;
    } else if (rest == 5) {
        if (s[pos + 3] != ':' || !read_digits(s, pos + 4, 2, minutes)) return TimestampError::Syntax;
    } else {
        return TimestampError::Syntax;
    }
    if (minutes > 59 || hours > 18 || (hours == 18 && minutes != 0)) return TimestampError::InvalidOffset;
    const std::int64_t total = static_cast<std::int64_t>(hours) * 3600 + minutes * 60;
    seconds = c == '-' ? -total : total;
    return TimestampError::None;
}

// "[+-]digits[.digits]" -> true with the pieces, false if the text has another shape.
struct EpochText {
    bool negative = false;
    std::string_view integer;
    std::string_view fraction;
};

constexpr bool split_epoch_text(std::string_view s, EpochText& out) noexcept {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        out.negative = s[i] == '-';
        ++i;
    }
    const std::size_t int_start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    out.integer = s.substr(int_start, i - int_start);
    if (out.integer.empty()) return false;
    if (i == s.size()) return true;
    if (s[i] != '.') return false;
    const std::size_t frac_start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    out.fraction = s.substr(frac_start, i - frac_start);
    return i == s.size() && !out.fraction.empty();
}

char* put2(char* p, unsigned v) noexcept {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
    return p + 2;
}

// The common shape, "YYYY-MM-DDTHH:MM:SS" then "Z" or "." 1-9 fraction digits "Z", for the years whose instants
// all fit in int64 nanoseconds (1678-2261). Returns false for anything else, including an invalid date or time:
// the general parser then decides (and says what is wrong). The digits and separators are checked eight bytes
// at a time.
bool parse_common_iso8601(std::string_view s, std::int64_t& nanos) noexcept {
    const std::size_t n = s.size();
    if (n < 20 || n > 30 || s[n - 1] != 'Z' || s[16] != ':') return false;
    // Bytes 0-15 against "dddd-dd-ddTdd:dd" (d a digit): the separators must be equal; a digit byte XOR '0' must
    // be 0-9, i.e. its high nibble is 0 and adding 6 does not reach 16.
    static constexpr char kTemplate[16] = {'0', '0', '0', '0', '-', '0', '0', '-',
                                           '0', '0', 'T', '0', '0', ':', '0', '0'};
    static constexpr unsigned char kDigits[16] = {0xFF, 0xFF, 0xFF, 0xFF, 0,    0xFF, 0xFF, 0,
                                                  0xFF, 0xFF, 0,    0xFF, 0xFF, 0,    0xFF, 0xFF};
    std::uint64_t bad = 0;
    for (std::size_t half = 0; half < 16; half += 8) {
        std::uint64_t word;
        std::uint64_t pattern;
        std::uint64_t digits;
        std::memcpy(&word, s.data() + half, 8);
        std::memcpy(&pattern, kTemplate + half, 8);
        std::memcpy(&digits, kDigits + half, 8);
        const std::uint64_t x = word ^ pattern;  // separators: 0; digits: the digit's value if it is one
        bad |= x & ~digits;
        bad |= x & digits & 0xF0F0F0F0F0F0F0F0ull;
        bad |= ((x & digits) + 0x0606060606060606ull) & 0x1010101010101010ull;
    }
    if (bad != 0 || !is_digit(s[17]) || !is_digit(s[18])) return false;
    const auto digit = [&s](std::size_t i) { return static_cast<unsigned>(s[i] - '0'); };
    const unsigned year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
    const unsigned month = digit(5) * 10 + digit(6);
    const unsigned day = digit(8) * 10 + digit(9);
    const unsigned hour = digit(11) * 10 + digit(12);
    const unsigned minute = digit(14) * 10 + digit(15);
    const unsigned second = digit(17) * 10 + digit(18);
    static constexpr unsigned kDaysBefore[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    static constexpr unsigned kDaysIn[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1678 || year > 2261 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
    const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (day < 1 || day > kDaysIn[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
    // Days since 1970-01-01: whole years, the leap days of the years before this one (477 before 1970), the
    // months before this one.
    const unsigned before = year - 1;
    const auto leap_days = static_cast<std::int64_t>(before / 4 - before / 100 + before / 400) - 477;
    const std::int64_t days = std::int64_t{365} * (static_cast<std::int64_t>(year) - 1970) + leap_days +
                              kDaysBefore[month - 1] + (month > 2 && leap ? 1 : 0) + day - 1;
    std::int64_t fraction = 0;
    if (n > 20) {
        if (s[19] != '.' || n == 21) return false;
        for (std::size_t i = 20; i + 1 < n; ++i) {
            if (!is_digit(s[i])) return false;
            fraction = fraction * 10 + (s[i] - '0');
        }
        // n - 21 digits (1-9) -> nanoseconds
        static constexpr std::int64_t kScale[10] = {0,      100'000'000, 10'000'000, 1'000'000, 100'000,
                                                    10'000, 1'000,       100,        10,        1};
        fraction *= kScale[n - 21];
    }
    const std::int64_t seconds = days * kSecondsPerDay + hour * 3600 + minute * 60 + second;
    nanos = seconds * kNanosPerSecond + fraction;
    return true;
}

}  // namespace

const char* describe(TimestampError e) noexcept {
    switch (e) {
        case TimestampError::None: return "no error";
        case TimestampError::Empty: return "the timestamp is empty";
        case TimestampError::Syntax:
            return "not an ISO-8601 date-time (YYYY-MM-DD[THH:MM[:SS[.fraction]]][Z|+HH:MM]) nor epoch milliseconds";
        case TimestampError::InvalidDate: return "the month or day is out of range";
        case TimestampError::InvalidTime: return "the hour, minute or second is out of range";
        case TimestampError::InvalidOffset: return "the UTC offset is out of range (at most +/-18:00)";
        case TimestampError::OutOfRange:
            return "outside the range eqlc can represent, 1677-09-21T00:12:43.145224192Z to "
                   "2262-04-11T23:47:16.854775807Z (event times are nanoseconds since 1970 in a signed 64-bit "
                   "integer, as Elasticsearch's date_nanos)";
        case TimestampError::NotFinite: return "epoch milliseconds are NaN or infinite";
    }
    return "invalid timestamp";
}

TimestampResult parse_iso8601(std::string_view s) noexcept {
    if (std::int64_t nanos; parse_common_iso8601(s, nanos)) return success(nanos);
    if (s.empty()) return fail(TimestampError::Empty);
    unsigned year = 0;
    unsigned month = 0;
    unsigned day = 0;
    if (s.size() < 10 || !read_digits(s, 0, 4, year) || s[4] != '-' || !read_digits(s, 5, 2, month) || s[7] != '-' ||
        !read_digits(s, 8, 2, day)) {
        return fail(TimestampError::Syntax);
    }
    unsigned hour = 0;
    unsigned minute = 0;
    unsigned second = 0;
    std::int64_t fraction_nanos = 0;
    std::int64_t offset_seconds = 0;

    if (s.size() > 10) {
        const char sep = s[10];
        if (sep != 'T' && sep != 't' && sep != ' ') return fail(TimestampError::Syntax);
        if (!read_digits(s, 11, 2, hour)) return fail(TimestampError::Syntax);
        std::size_t pos = 13;
        if (pos < s.size() && s[pos] == ':') {
            if (!read_digits(s, pos + 1, 2, minute)) return fail(TimestampError::Syntax);
            pos += 3;
            if (pos < s.size() && s[pos] == ':') {
                if (!read_digits(s, pos + 1, 2, second)) return fail(TimestampError::Syntax);
                pos += 3;
                if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
                    ++pos;
                    const std::size_t start = pos;
                    std::int64_t scale = kNanosPerSecond;
                    while (pos < s.size() && is_digit(s[pos])) {
                        if (scale > 1) {
                            scale /= 10;
                            fraction_nanos += (s[pos] - '0') * scale;
                        }
                        ++pos;
                    }
                    if (pos == start) return fail(TimestampError::Syntax);
                }
            }
        }
        if (pos < s.size()) {
            const TimestampError e = parse_offset(s, pos, offset_seconds);
            if (e != TimestampError::None) return fail(e);
        }
    }

    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
        return fail(TimestampError::InvalidDate);
    }
    if (hour > 23 || minute > 59 || second > 59) return fail(TimestampError::InvalidTime);
    const std::int64_t seconds =
        days_from_civil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset_seconds;
    return combine(seconds, fraction_nanos);
}

TimestampResult parse_epoch_millis_text(std::string_view s) noexcept {
    if (s.empty()) return fail(TimestampError::Empty);
    EpochText parts;
    if (!split_epoch_text(s, parts)) return fail(TimestampError::Syntax);
    std::int64_t magnitude = 0;
    for (const char c : parts.integer) {
        if (__builtin_mul_overflow(magnitude, 10, &magnitude) ||
            __builtin_add_overflow(magnitude, c - '0', &magnitude)) {
            return fail(TimestampError::OutOfRange);
        }
    }
    std::int64_t sub_milli = 0;  // nanoseconds
    std::int64_t scale = kNanosPerMilli;
    for (const char c : parts.fraction) {
        if (scale == 1) break;
        scale /= 10;
        sub_milli += (c - '0') * scale;
    }
    std::int64_t nanos;
    if (__builtin_mul_overflow(magnitude, kNanosPerMilli, &nanos) || __builtin_add_overflow(nanos, sub_milli, &nanos)) {
        // -9223372036854.775808 ms is exactly INT64_MIN ns: build negative values negatively.
        if (!parts.negative) return fail(TimestampError::OutOfRange);
        std::int64_t neg;
        if (__builtin_mul_overflow(-magnitude, kNanosPerMilli, &neg) || __builtin_sub_overflow(neg, sub_milli, &neg)) {
            return fail(TimestampError::OutOfRange);
        }
        return success(neg);
    }
    return success(parts.negative ? -nanos : nanos);
}

TimestampResult parse_timestamp(std::string_view s) noexcept {
    if (s.empty()) return fail(TimestampError::Empty);
    // ISO dates have a '-' right after the 4-digit year; epoch-millis text never has a '-' there.
    if (s.size() >= 10 && s[4] == '-' && is_digit(s[0])) return parse_iso8601(s);
    const TimestampResult r = parse_epoch_millis_text(s);
    return r.error == TimestampError::Syntax ? parse_iso8601(s) : r;
}

TimestampResult from_epoch_millis(std::int64_t millis) noexcept {
    std::int64_t nanos;
    if (__builtin_mul_overflow(millis, kNanosPerMilli, &nanos)) return fail(TimestampError::OutOfRange);
    return success(nanos);
}

TimestampResult from_epoch_millis_double(double millis) noexcept {
    if (!std::isfinite(millis)) return fail(TimestampError::NotFinite);
    const double whole = std::floor(millis);
    // |whole| <= 2^53 here is not guaranteed, but anything beyond 9.3e12 ms is out of range anyway.
    if (whole < -9223372036855.0 || whole > 9223372036855.0) return fail(TimestampError::OutOfRange);
    const auto ms = static_cast<std::int64_t>(whole);
    const auto sub = static_cast<std::int64_t>(std::llround((millis - whole) * 1e6));  // 0..1e6
    std::int64_t nanos;
    if (__builtin_mul_overflow(ms, kNanosPerMilli, &nanos) || __builtin_add_overflow(nanos, sub, &nanos)) {
        return fail(TimestampError::OutOfRange);
    }
    return success(nanos);
}

std::size_t format_iso8601(std::int64_t nanos, char* out) noexcept {
    std::int64_t seconds = nanos / kNanosPerSecond;
    std::int64_t frac = nanos % kNanosPerSecond;
    if (frac < 0) {
        frac += kNanosPerSecond;
        --seconds;
    }
    std::int64_t days = seconds / kSecondsPerDay;
    std::int64_t sod = seconds % kSecondsPerDay;
    if (sod < 0) {
        sod += kSecondsPerDay;
        --days;
    }
    const CivilDate date = civil_from_days(days);
    char* p = out;
    const auto year = static_cast<unsigned>(date.year);  // 1677..2262 for int64 nanoseconds
    p = put2(p, year / 100);
    p = put2(p, year % 100);
    *p++ = '-';
    p = put2(p, date.month);
    *p++ = '-';
    p = put2(p, date.day);
    *p++ = 'T';
    p = put2(p, static_cast<unsigned>(sod / 3600));
    *p++ = ':';
    p = put2(p, static_cast<unsigned>(sod / 60 % 60));
    *p++ = ':';
    p = put2(p, static_cast<unsigned>(sod % 60));
    *p++ = '.';
    char digits[9];
    auto f = static_cast<std::uint32_t>(frac);
    for (int i = 8; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + f % 10);
        f /= 10;
    }
    int count = 9;
    while (count > 3 && digits[count - 1] == '0') --count;
    for (int i = 0; i < count; ++i) *p++ = digits[i];
    *p++ = 'Z';
    return static_cast<std::size_t>(p - out);
}

std::string format_iso8601(std::int64_t nanos) {
    char buf[kMaxIso8601Length];
    return std::string(buf, format_iso8601(nanos, buf));
}

}  // namespace eqlc::input
