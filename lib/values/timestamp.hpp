// Event timestamps: parsing to nanoseconds since the Unix epoch (UTC) and formatting back to ISO-8601.
//
// What is accepted (SEMANTICS "Decisions" 2; Elasticsearch's default date format
// `strict_date_optional_time||epoch_millis`, with UTC as the default zone):
//   * ISO-8601 / RFC 3339 text:
//       YYYY-MM-DD
//       YYYY-MM-DD(T|t|' ')HH[:MM[:SS[(.|,)fraction]]][offset]
//     - exactly 4 year digits (0000-9999) and 2 digits for every other field;
//     - fraction: 1 or more digits; digits past the 9th (nanoseconds) are truncated, not rounded;
//     - offset: Z | z | ±HH:MM | ±HHMM | ±HH (at most ±18:00, as Java's ZoneOffset); none means UTC;
//     - the date and time are validated (month 1-12, day within the month incl. Feb 29 in leap years,
//       hour 0-23, minute 0-59, second 0-59: no leap second, no 24:00);
//     - not accepted: surrounding whitespace, week or ordinal dates, signed or 5+ digit years, zone names
//       such as "UTC" or "Europe/Paris", an offset on a date-only value.
//   * epoch milliseconds: an integer, a double (1.5 -> 1,500,000 ns; sub-nanosecond digits are rounded), or a
//     numeric string "[+-]digits[.digits]" (fraction digits past the 6th are truncated). A string made only of
//     digits is always epoch milliseconds ("2024" is 2024 ms after the epoch, not the year 2024).
// The representable range is that of int64 nanoseconds: 1677-09-21T00:12:43.145224192Z to
// 2262-04-11T23:47:16.854775807Z; anything outside is OutOfRange.
//
// Parsing never allocates and never throws; it runs once per event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eqlc::input {

enum class TimestampError : std::uint8_t {
    None,
    Empty,          // empty text
    Syntax,         // not an ISO-8601 date/time nor an epoch-millis number
    InvalidDate,    // month or day out of range (e.g. 2023-02-29)
    InvalidTime,    // hour, minute or second out of range
    InvalidOffset,  // offset hours > 18 or minutes > 59
    OutOfRange,     // outside the int64-nanosecond range
    NotFinite,      // NaN or infinite epoch millis
};

// A short English reason, e.g. "day is out of range for the month".
const char* describe(TimestampError e) noexcept;

struct TimestampResult {
    std::int64_t nanos = 0;  // nanoseconds since 1970-01-01T00:00:00Z (valid when ok())
    TimestampError error = TimestampError::None;

    constexpr bool ok() const noexcept { return error == TimestampError::None; }
    constexpr explicit operator bool() const noexcept { return ok(); }
};

// A string timestamp: a numeric string is epoch milliseconds, anything else must be ISO-8601.
TimestampResult parse_timestamp(std::string_view text) noexcept;

// Only the ISO-8601 forms.
TimestampResult parse_iso8601(std::string_view text) noexcept;

// Only the numeric-string form of epoch milliseconds.
TimestampResult parse_epoch_millis_text(std::string_view text) noexcept;

// JSON numbers, as epoch milliseconds.
TimestampResult from_epoch_millis(std::int64_t millis) noexcept;
TimestampResult from_epoch_millis_double(double millis) noexcept;

// Proleptic Gregorian calendar <-> days since 1970-01-01 (H. Hinnant's algorithms), valid for any int32 year.
constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto yoe = static_cast<unsigned>(year - era * 400);
    const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
    std::int64_t year;
    unsigned month;  // 1-12
    unsigned day;    // 1-31
};

constexpr CivilDate civil_from_days(std::int64_t days) noexcept {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned day = doy - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

constexpr bool is_leap_year(std::int64_t y) noexcept { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

// ISO-8601 UTC text of a timestamp, the way Elasticsearch prints date_nanos values: "YYYY-MM-DDTHH:MM:SS.fffZ"
// with at least 3 fraction digits and up to 9, trailing zeros beyond the third dropped
// ("2024-05-01T10:00:00.000Z", "...:00.123Z", "...:00.1234Z", "...:00.123456789Z").
inline constexpr std::size_t kMaxIso8601Length = 30;
// Writes at most kMaxIso8601Length chars (no terminator) to `out`; returns the number written.
std::size_t format_iso8601(std::int64_t nanos, char* out) noexcept;
std::string format_iso8601(std::int64_t nanos);

}  // namespace eqlc::input
