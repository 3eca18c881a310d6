// Event timestamp parsing (ISO-8601 and epoch milliseconds) and ISO-8601 output.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "values/timestamp.hpp"

using eqlc::input::TimestampError;
using eqlc::input::TimestampResult;

namespace {

constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::int64_t kMs = 1'000'000;
// 2024-05-01T10:00:00Z
constexpr std::int64_t k20240501T10 = std::int64_t{1714557600} * kSec;

bool is(const TimestampResult& r, std::int64_t nanos) { return r.ok() && r.nanos == nanos; }
bool fails(const TimestampResult& r, TimestampError e) { return !r.ok() && r.error == e; }

TimestampResult iso(std::string_view s) { return eqlc::input::parse_timestamp(s); }

}  // namespace

static_assert(eqlc::input::days_from_civil(1970, 1, 1) == 0);
static_assert(eqlc::input::days_from_civil(2000, 3, 1) == 11017);
static_assert(eqlc::input::days_from_civil(1969, 12, 31) == -1);
static_assert(eqlc::input::civil_from_days(-1).year == 1969 && eqlc::input::civil_from_days(-1).day == 31);
static_assert(eqlc::input::civil_from_days(11016).month == 2 && eqlc::input::civil_from_days(11016).day == 29);

TEST_CASE("ISO-8601 date-times", "[timestamp]") {
    CHECK(is(iso("1970-01-01T00:00:00Z"), 0));
    CHECK(is(iso("2024-05-01T10:00:00Z"), k20240501T10));
    CHECK(is(iso("2024-05-01T10:00:00"), k20240501T10));  // no offset = UTC
    CHECK(is(iso("2024-05-01 10:00:00"), k20240501T10));  // space separator
    CHECK(is(iso("2024-05-01t10:00:00z"), k20240501T10));
    CHECK(is(iso("2024-05-01T10:00Z"), k20240501T10));              // no seconds
    CHECK(is(iso("2024-05-01T10"), k20240501T10));                  // hour only
    CHECK(is(iso("2024-05-01"), k20240501T10 - 10 * 3600 * kSec));  // midnight UTC
    CHECK(is(iso("2009-02-13T23:31:30Z"), std::int64_t{1234567890} * kSec));
}

TEST_CASE("ISO-8601 fractions", "[timestamp]") {
    CHECK(is(iso("2024-05-01T10:00:00.123Z"), k20240501T10 + 123 * kMs));
    CHECK(is(iso("2024-05-01T10:00:00.1Z"), k20240501T10 + 100 * kMs));
    CHECK(is(iso("2024-05-01T10:00:00.000001Z"), k20240501T10 + 1000));
    CHECK(is(iso("2024-05-01T10:00:00.123456789Z"), k20240501T10 + 123456789));
    CHECK(is(iso("2024-05-01T10:00:00.1234567899Z"), k20240501T10 + 123456789));  // 10th digit truncated
    CHECK(is(iso("2024-05-01T10:00:00.999999999999"), k20240501T10 + 999999999));
    CHECK(is(iso("2024-05-01T10:00:00,5Z"), k20240501T10 + 500 * kMs));
    CHECK(is(iso("2024-05-01T10:00:00.5+01:00"), k20240501T10 - 3600 * kSec + 500 * kMs));
}

TEST_CASE("ISO-8601 offsets", "[timestamp]") {
    CHECK(is(iso("2024-05-01T12:00:00+02:00"), k20240501T10));
    CHECK(is(iso("2024-05-01T12:00:00+0200"), k20240501T10));
    CHECK(is(iso("2024-05-01T12:00:00+02"), k20240501T10));
    CHECK(is(iso("2024-05-01T04:30:00-05:30"), k20240501T10));
    CHECK(is(iso("2024-05-01T10:00:00-00:00"), k20240501T10));
    CHECK(is(iso("2024-05-01T10:00:00+00:00"), k20240501T10));
    CHECK(is(iso("2024-05-02T04:00:00+18:00"), k20240501T10));
    // An offset can move the instant across a day and a year boundary.
    CHECK(is(iso("1970-01-01T00:30:00+01:00"), -1800 * kSec));
    CHECK(is(iso("1969-12-31T23:00:00-01:00"), 0));
    CHECK(fails(iso("2024-05-01T10:00:00+19:00"), TimestampError::InvalidOffset));
    CHECK(fails(iso("2024-05-01T10:00:00+18:30"), TimestampError::InvalidOffset));
    CHECK(fails(iso("2024-05-01T10:00:00+01:60"), TimestampError::InvalidOffset));
    CHECK(fails(iso("2024-05-01T10:00:00+1"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:00:00+01:0"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:00:00+01:00:00"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:00:00ZZ"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:00:00 Z"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:00:00UTC"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01Z"), TimestampError::Syntax));
}

TEST_CASE("calendar validation and leap years", "[timestamp]") {
    CHECK(is(iso("2024-02-29T12:00:00Z"), std::int64_t{1709208000} * kSec));
    CHECK(is(iso("2000-02-29"), std::int64_t{951782400} * kSec));  // divisible by 400: leap
    CHECK(fails(iso("1900-02-29"), TimestampError::InvalidDate));  // divisible by 100: not leap
    CHECK(fails(iso("2023-02-29"), TimestampError::InvalidDate));
    CHECK(is(iso("2023-02-28"), std::int64_t{1677542400} * kSec));
    CHECK(is(iso("2023-03-01"), std::int64_t{1677628800} * kSec));
    CHECK(fails(iso("2024-04-31"), TimestampError::InvalidDate));
    CHECK(is(iso("2024-12-31T23:59:59Z"), std::int64_t{1735689599} * kSec));
    CHECK(fails(iso("2024-13-01"), TimestampError::InvalidDate));
    CHECK(fails(iso("2024-00-10"), TimestampError::InvalidDate));
    CHECK(fails(iso("2024-01-00"), TimestampError::InvalidDate));
    CHECK(fails(iso("2024-05-01T24:00:00Z"), TimestampError::InvalidTime));
    CHECK(fails(iso("2024-05-01T10:60:00Z"), TimestampError::InvalidTime));
    CHECK(fails(iso("2024-05-01T23:59:60Z"), TimestampError::InvalidTime));  // no leap seconds
}

TEST_CASE("dates before 1970", "[timestamp]") {
    CHECK(is(iso("1969-12-31T23:59:59Z"), -kSec));
    CHECK(is(iso("1969-12-31T23:59:59.999999999Z"), -1));
    CHECK(is(iso("1969-12-31T23:59:59.5Z"), -500 * kMs));
    CHECK(is(iso("1900-01-01T00:00:00Z"), std::int64_t{-2208988800} * kSec));
    CHECK(is(iso("1904-02-29"), std::int64_t{-2077747200} * kSec));
}

TEST_CASE("range limits of int64 nanoseconds", "[timestamp]") {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    CHECK(is(iso("2262-04-11T23:47:16.854775807Z"), kMax));
    CHECK(fails(iso("2262-04-11T23:47:16.854775808Z"), TimestampError::OutOfRange));
    CHECK(fails(iso("2262-04-12"), TimestampError::OutOfRange));
    CHECK(fails(iso("9999-12-31T23:59:59Z"), TimestampError::OutOfRange));
    CHECK(is(iso("1677-09-21T00:12:43.145224192Z"), kMin));
    CHECK(fails(iso("1677-09-21T00:12:43.145224191Z"), TimestampError::OutOfRange));
    CHECK(fails(iso("0000-01-01"), TimestampError::OutOfRange));
    CHECK(fails(eqlc::input::from_epoch_millis(kMax), TimestampError::OutOfRange));
    CHECK(is(eqlc::input::from_epoch_millis(9223372036854), 9223372036854 * kMs));
    CHECK(is(eqlc::input::parse_epoch_millis_text("-9223372036854.775808"), kMin));
    CHECK(fails(eqlc::input::parse_epoch_millis_text("-9223372036854.775809"), TimestampError::OutOfRange));
    CHECK(fails(eqlc::input::parse_epoch_millis_text("99999999999999999999999"), TimestampError::OutOfRange));
}

TEST_CASE("malformed text", "[timestamp]") {
    CHECK(fails(iso(""), TimestampError::Empty));
    CHECK(fails(iso("not a date"), TimestampError::Syntax));
    CHECK(fails(iso("2024-5-1"), TimestampError::Syntax));
    CHECK(fails(iso("24-05-01"), TimestampError::Syntax));
    CHECK(fails(iso("2024/05/01"), TimestampError::Syntax));
    CHECK(fails(iso(" 2024-05-01"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01 "), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T1"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:0"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:00:00."), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:00:00.Z"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01X10:00:00"), TimestampError::Syntax));
    CHECK(fails(iso("+2024-05-01"), TimestampError::Syntax));
    CHECK(fails(iso("12abc"), TimestampError::Syntax));
    CHECK(fails(iso("1."), TimestampError::Syntax));
    CHECK(fails(iso("-"), TimestampError::Syntax));
    CHECK(fails(iso("1e3"), TimestampError::Syntax));
    CHECK(std::string(eqlc::input::describe(TimestampError::InvalidDate)).find("day") != std::string::npos);
}

TEST_CASE("epoch milliseconds", "[timestamp]") {
    using eqlc::input::from_epoch_millis;
    using eqlc::input::from_epoch_millis_double;
    CHECK(is(from_epoch_millis(0), 0));
    CHECK(is(from_epoch_millis(1714557600123), k20240501T10 + 123 * kMs));
    CHECK(is(from_epoch_millis(-1), -kMs));
    CHECK(is(from_epoch_millis_double(1.5), 1'500'000));
    CHECK(is(from_epoch_millis_double(-1.5), -1'500'000));
    CHECK(is(from_epoch_millis_double(0.000001), 1));
    CHECK(is(from_epoch_millis_double(1714557600123.0), k20240501T10 + 123 * kMs));
    CHECK(fails(from_epoch_millis_double(std::numeric_limits<double>::quiet_NaN()), TimestampError::NotFinite));
    CHECK(fails(from_epoch_millis_double(std::numeric_limits<double>::infinity()), TimestampError::NotFinite));
    CHECK(fails(from_epoch_millis_double(1e300), TimestampError::OutOfRange));
    CHECK(fails(from_epoch_millis_double(-1e13), TimestampError::OutOfRange));

    // Numeric strings are epoch milliseconds.
    CHECK(is(iso("1714557600123"), k20240501T10 + 123 * kMs));
    CHECK(is(iso("0"), 0));
    CHECK(is(iso("2024"), 2024 * kMs));
    CHECK(is(iso("-1"), -kMs));
    CHECK(is(iso("+5"), 5 * kMs));
    CHECK(is(iso("1.5"), 1'500'000));
    CHECK(is(iso("-1.5"), -1'500'000));
    CHECK(is(iso("1.0000015"), 1'000'001));  // digits below a nanosecond are truncated
    CHECK(is(iso("1714557600123.456789"), k20240501T10 + 123 * kMs + 456789));
}

TEST_CASE("ISO-8601 output", "[timestamp]") {
    using eqlc::input::format_iso8601;
    CHECK(format_iso8601(0) == "1970-01-01T00:00:00.000Z");
    CHECK(format_iso8601(k20240501T10 + 123 * kMs) == "2024-05-01T10:00:00.123Z");
    CHECK(format_iso8601(k20240501T10 + 100 * kMs) == "2024-05-01T10:00:00.100Z");
    CHECK(format_iso8601(k20240501T10 + 123400000) == "2024-05-01T10:00:00.1234Z");
    CHECK(format_iso8601(k20240501T10 + 123456789) == "2024-05-01T10:00:00.123456789Z");
    CHECK(format_iso8601(k20240501T10 + 1) == "2024-05-01T10:00:00.000000001Z");
    CHECK(format_iso8601(-1) == "1969-12-31T23:59:59.999999999Z");
    CHECK(format_iso8601(std::int64_t{-2208988800} * kSec) == "1900-01-01T00:00:00.000Z");
    CHECK(format_iso8601(std::int64_t{1709208000} * kSec) == "2024-02-29T12:00:00.000Z");
    CHECK(format_iso8601(std::numeric_limits<std::int64_t>::max()) == "2262-04-11T23:47:16.854775807Z");
    CHECK(format_iso8601(std::numeric_limits<std::int64_t>::min()) == "1677-09-21T00:12:43.145224192Z");
    CHECK(format_iso8601(std::numeric_limits<std::int64_t>::min()).size() <= eqlc::input::kMaxIso8601Length);

    char buf[eqlc::input::kMaxIso8601Length];
    CHECK(format_iso8601(0, buf) == 24);

    // Output parses back to the same instant.
    for (const std::int64_t t :
         {std::int64_t{0}, std::int64_t{-1}, k20240501T10 + 123456789, std::int64_t{-123456789012345678},
          std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
        CAPTURE(t);
        CHECK(is(iso(format_iso8601(t)), t));
    }
}

TEST_CASE("the common shape YYYY-MM-DDTHH:MM:SS[.fraction]Z and its near misses", "[timestamp]") {
    // This shape has a fast path; whatever it does not take goes to the general parser, with the same results.
    CHECK(is(iso("2024-05-01T10:00:00Z"), k20240501T10));
    const char* fractions[] = {"1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789"};
    const std::int64_t nanos[] = {100000000, 120000000, 123000000, 123400000, 123450000,
                                  123456000, 123456700, 123456780, 123456789};
    for (size_t i = 0; i < std::size(fractions); ++i) {
        CAPTURE(fractions[i]);
        CHECK(is(iso(std::string("2024-05-01T10:00:00.") + fractions[i] + "Z"), k20240501T10 + nanos[i]));
        CHECK(is(iso(std::string("2024-05-01T10:00:00.") + fractions[i] + "z"), k20240501T10 + nanos[i]));
        CHECK(is(iso(std::string("2024-05-01T12:00:00.") + fractions[i] + "+02:00"), k20240501T10 + nanos[i]));
    }
    CHECK(is(iso("2024-05-01T10:00:00.0000000001Z"), k20240501T10));  // a 10th digit: truncated
    CHECK(is(iso("1969-12-31T23:59:59.999Z"), -kMs));

    // Each character replaced by one just below '0', just above '9', a digit with the high bit set, or a letter:
    // never a valid timestamp in this shape.
    const std::string good = "2024-05-01T10:00:00.123Z";
    for (size_t at = 0; at < good.size(); ++at) {
        for (const char c : {'/', ':', static_cast<char>('0' | 0x80), 'x'}) {
            std::string bad = good;
            if (bad[at] == c) continue;
            bad[at] = c;
            CAPTURE(bad);
            CHECK_FALSE(iso(bad).ok());
            CHECK_FALSE(eqlc::input::parse_iso8601(bad).ok());
        }
    }
    // Out-of-range fields are reported as such, not as syntax errors.
    CHECK(fails(iso("2023-02-29T10:00:00.000Z"), TimestampError::InvalidDate));
    CHECK(is(iso("2024-02-29T00:00:00.000Z"), std::int64_t{1709164800} * kSec));
    CHECK(fails(iso("2024-00-01T10:00:00.000Z"), TimestampError::InvalidDate));
    CHECK(fails(iso("2024-13-01T10:00:00.000Z"), TimestampError::InvalidDate));
    CHECK(fails(iso("2024-05-00T10:00:00.000Z"), TimestampError::InvalidDate));
    CHECK(fails(iso("2024-05-32T10:00:00.000Z"), TimestampError::InvalidDate));
    CHECK(fails(iso("2024-05-01T24:00:00.000Z"), TimestampError::InvalidTime));
    CHECK(fails(iso("2024-05-01T10:60:00.000Z"), TimestampError::InvalidTime));
    CHECK(fails(iso("2024-05-01T10:00:60.000Z"), TimestampError::InvalidTime));
    CHECK(fails(iso("2024-05-01T10:00:00.Z"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:00:00.000ZZ"), TimestampError::Syntax));
    CHECK(fails(iso("2024-05-01T10:00:00.000 Z"), TimestampError::Syntax));
    // Every day of the fast path's years, at a time that varies with the day, read back from format_iso8601.
    const std::int64_t first_day = eqlc::input::days_from_civil(1678, 1, 1);
    const std::int64_t last_day = eqlc::input::days_from_civil(2261, 12, 31);
    std::int64_t wrong = 0;
    for (std::int64_t day = first_day; day <= last_day; ++day) {
        const std::int64_t t = day * 86400 * kSec + (day * 7919 % 86400) * kSec + (day % 1000) * kMs;
        if (!is(iso(eqlc::input::format_iso8601(t)), t)) ++wrong;
    }
    CHECK(wrong == 0);
    // The years at the edges of the int64 range, inside and outside the fast path's 1678-2261.
    CHECK(is(iso("1678-01-01T00:00:00.000Z"), std::int64_t{-9214560000} * kSec));
    CHECK(is(iso("2261-12-31T23:59:59.999Z"), std::int64_t{9214646399} * kSec + 999 * kMs));
    CHECK(is(iso("2262-01-01T00:00:00.000Z"), std::int64_t{9214646400} * kSec));
    CHECK(is(iso("1677-12-31T23:59:59.999Z"), std::int64_t{-9214560001} * kSec + 999 * kMs));
    CHECK(fails(iso("2262-04-11T23:47:17.000Z"), TimestampError::OutOfRange));
    CHECK(fails(iso("1677-09-21T00:12:43.000Z"), TimestampError::OutOfRange));
    CHECK(fails(iso("0000-01-01T00:00:00.000Z"), TimestampError::OutOfRange));
    CHECK(fails(iso("9999-12-31T23:59:59.999Z"), TimestampError::OutOfRange));
}

TEST_CASE("the out-of-range reason gives the range and why", "[timestamp]") {
    const std::string why = eqlc::input::describe(TimestampError::OutOfRange);
    CHECK(why.find("1677-09-21T00:12:43.145224192Z") != std::string::npos);
    CHECK(why.find("2262-04-11T23:47:16.854775807Z") != std::string::npos);
    CHECK(why.find("nanoseconds since 1970 in a signed 64-bit integer") != std::string::npos);
    CHECK(eqlc::input::parse_timestamp("2300-01-01T00:00:00Z").error == TimestampError::OutOfRange);
    CHECK(eqlc::input::parse_timestamp("1600-01-01").error == TimestampError::OutOfRange);
}
