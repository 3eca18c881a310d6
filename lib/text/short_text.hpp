// Short text hashed and compared a word (eight bytes) at a time: field names, a few field values, the VM's string
// equality, where std::hash's loop over bytes, or a call to memcmp, costs as much as the rest of the work it
// serves. The hash is not for hash tables an attacker can fill on purpose (no seed); the tables that use it are small
// and bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace eqlc::text {

inline uint64_t word_hash(std::string_view text) {
    const char* p = text.data();
    const size_t n = text.size();
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    const auto mix = [&h](uint64_t w) {
        h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    };
    uint64_t w = 0;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            std::memcpy(&w, p + i, 8);
            mix(w);
        }
        std::memcpy(&w, p + n - 8, 8);  // the last eight bytes, overlapping the loop's when n % 8
    } else if (n >= 4) {
        uint32_t a, b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + n - 4, 4);
        w = a | (uint64_t{b} << 32);
    } else if (n > 0) {
        w = static_cast<unsigned char>(p[0]) | static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
            static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
    }
    mix(w);
    return (h * 0x94D049BB133111EBULL) ^ (h >> 29);
}

// Whether the n bytes at `a` and at `b` are the same: short runs (categories, names, paths) in a few loads without a
// call, the last word overlapping the one before it; long ones with memcmp.
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b, size_t n) {
    if (n >= 8) {
        if (n > 32) return std::memcmp(a, b, n) == 0;
        uint64_t x, y;
        for (size_t i = 0; i + 8 < n; i += 8) {
            std::memcpy(&x, a + i, 8);
            std::memcpy(&y, b + i, 8);
            if (x != y) return false;
        }
        std::memcpy(&x, a + n - 8, 8);
        std::memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x, y, u, v;
        std::memcpy(&x, a, 4);
        std::memcpy(&y, b, 4);
        std::memcpy(&u, a + n - 4, 4);
        std::memcpy(&v, b + n - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    for (size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
    return true;
}

[[gnu::always_inline]] inline bool same_text(std::string_view a, std::string_view b) {
    return a.size() == b.size() && same_bytes(a.data(), b.data(), a.size());
}

}  // namespace eqlc::text
