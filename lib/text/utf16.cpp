#include "text/utf16.hpp"

#include <algorithm>
#include <cstring>

namespace eqlc::text {

namespace {

constexpr bool is_continuation(unsigned char b) noexcept { return (b & 0xC0) == 0x80; }

// UTF-16 sort key of a code point: the first code unit, with surrogates placed where UTF-16 puts them.
// Only needed to order a BMP code point against an astral one.
constexpr std::uint32_t first_unit(char32_t cp) noexcept {
    return cp > 0xFFFF ? 0xD800 + ((cp - 0x10000) >> 10) : static_cast<std::uint32_t>(cp);
}

}  // namespace

DecodedCodePoint decode_utf8(std::string_view s, std::size_t pos) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
    const std::size_t avail = s.size() - pos;
    const unsigned char b0 = p[0];
    constexpr DecodedCodePoint invalid{kReplacementCharacter, 1, false};
    if (b0 < 0x80) return {b0, 1, true};
    if (b0 < 0xC2) return invalid;  // stray continuation byte or overlong 2-byte lead
    if (b0 < 0xE0) {
        if (avail < 2 || !is_continuation(p[1])) return invalid;
        return {static_cast<char32_t>(((b0 & 0x1F) << 6) | (p[1] & 0x3F)), 2, true};
    }
    if (b0 < 0xF0) {
        if (avail < 3 || !is_continuation(p[1]) || !is_continuation(p[2])) return invalid;
        const char32_t cp = ((b0 & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return invalid;
        return {cp, 3, true};
    }
    if (b0 < 0xF5) {
        if (avail < 4 || !is_continuation(p[1]) || !is_continuation(p[2]) || !is_continuation(p[3])) return invalid;
        const char32_t cp = ((b0 & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        if (cp < 0x10000 || cp > 0x10FFFF) return invalid;
        return {cp, 4, true};
    }
    return invalid;
}

bool is_ascii(std::string_view s) noexcept {
    std::size_t i = 0;
    // Eight bytes at a time; the compiler turns the memcpy into a plain load.
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, s.data() + i, 8);
        if (word & 0x8080808080808080ULL) return false;
    }
    for (; i < s.size(); ++i) {
        if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
    }
    return true;
}

std::size_t utf16_length(std::string_view s) noexcept {
    if (is_ascii(s)) return s.size();
    std::size_t units = 0;
    for (std::size_t i = 0; i < s.size();) {
        const DecodedCodePoint d = decode_utf8(s, i);
        units += utf16_units(d.code_point);
        i += d.byte_length;
    }
    return units;
}

std::size_t utf16_offset_of_byte(std::string_view s, std::size_t byte_offset) noexcept {
    byte_offset = std::min(byte_offset, s.size());
    std::size_t units = 0;
    for (std::size_t i = 0; i < byte_offset;) {
        const unsigned char b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++units;
            ++i;
            continue;
        }
        const DecodedCodePoint d = decode_utf8(s, i);
        units += utf16_units(d.code_point);
        i += d.byte_length;
    }
    return units;
}

Utf8Position byte_offset_of_utf16(std::string_view s, std::size_t units) noexcept {
    std::size_t seen = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        if (seen == units) return {i, false};
        const unsigned char b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++seen;
            ++i;
            continue;
        }
        const DecodedCodePoint d = decode_utf8(s, i);
        const std::size_t n = utf16_units(d.code_point);
        if (n == 2 && seen + 1 == units) return {i, true};
        seen += n;
        i += d.byte_length;
    }
    return {s.size(), false};
}

void append_utf8(char32_t cp, std::string& out) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacementCharacter;
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

int compare_utf16(std::string_view a, std::string_view b) noexcept {
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        const unsigned char x = static_cast<unsigned char>(a[i]);
        const unsigned char y = static_cast<unsigned char>(b[j]);
        if (x < 0x80 && y < 0x80) {
            if (x != y) return x < y ? -1 : 1;
            ++i;
            ++j;
            continue;
        }
        const DecodedCodePoint da = decode_utf8(a, i);
        const DecodedCodePoint db = decode_utf8(b, j);
        if (da.code_point != db.code_point) {
            const std::uint32_t ua = first_unit(da.code_point);
            const std::uint32_t ub = first_unit(db.code_point);
            if (ua != ub) return ua < ub ? -1 : 1;
            // Same high surrogate: the low surrogates order like the code points.
            return da.code_point < db.code_point ? -1 : 1;
        }
        i += da.byte_length;
        j += db.byte_length;
    }
    if (i < a.size()) return 1;
    if (j < b.size()) return -1;
    return 0;
}

}  // namespace eqlc::text
