// A hash of short text read a word (eight bytes) at a time: field names and a few field values, where std::hash's
// loop over bytes costs as much as the rest of the lookup it serves. Not for hash tables an attacker can fill on
// purpose (no seed); the tables that use it are small and bounded.
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

}  // namespace eqlc::text
