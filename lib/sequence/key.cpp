#include "sequence/key.hpp"

#include <bit>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace eqlc::sequence {

namespace {

enum Tag : uint8_t { kNull = 0, kFalse = 1, kTrue = 2, kInt = 3, kDouble = 4, kString = 5 };

void put_u64(uint64_t v, std::string& out) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out.append(b, 8);
}

uint64_t get_u64(const char* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

void put_varint(uint64_t v, std::string& out) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

bool get_varint(KeyView key, size_t& at, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (at >= key.size()) return false;
        const auto byte = static_cast<unsigned char>(key[at++]);
        v |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return true;
    }
    return false;
}

// Reads the component at `at`, advancing it. False on malformed bytes.
bool next_component(KeyView key, size_t& at, vm::Value& out) {
    if (at >= key.size()) return false;
    const auto tag = static_cast<uint8_t>(key[at++]);
    switch (tag) {
        case kNull: out = vm::Value::null(); return true;
        case kFalse: out = vm::Value::of_bool(false); return true;
        case kTrue: out = vm::Value::of_bool(true); return true;
        case kInt:
            if (key.size() - at < 8) return false;
            out = vm::Value::of_int(static_cast<int64_t>(get_u64(key.data() + at)));
            at += 8;
            return true;
        case kDouble:
            if (key.size() - at < 8) return false;
            out = vm::Value::of_double(std::bit_cast<double>(get_u64(key.data() + at)));
            at += 8;
            return true;
        case kString: {
            uint64_t n = 0;
            if (!get_varint(key, at, n) || n > key.size() - at) return false;
            out = vm::Value::of_string(key.substr(at, n));
            at += n;
            return true;
        }
        default: return false;
    }
}

int rank(const vm::Value& v) {
    switch (v.type) {
        case vm::ValueType::null: return 0;
        case vm::ValueType::boolean: return 1;
        case vm::ValueType::integer:
        case vm::ValueType::floating: return 2;
        case vm::ValueType::string: return 3;
    }
    return 4;
}

// int64 vs double, exactly (no rounding of large integers).
int compare_int_double(int64_t i, double d) {
    if (std::isnan(d)) return -1;  // NaN sorts after every number (Java Double.compare)
    constexpr double kTwo63 = 9223372036854775808.0;
    if (d >= kTwo63) return -1;
    if (d < -kTwo63) return 1;
    const double t = std::trunc(d);
    const auto ti = static_cast<int64_t>(t);
    if (i != ti) return i < ti ? -1 : 1;
    if (d == t) return 0;
    return d > t ? -1 : 1;  // same integer part: the fraction decides
}

int compare_doubles(double a, double b) {
    // Java Double.compare: NaN is greatest; -0.0 cannot occur (it is encoded as integer 0).
    const bool an = std::isnan(a), bn = std::isnan(b);
    if (an || bn) return an == bn ? 0 : (an ? 1 : -1);
    return a < b ? -1 : (a > b ? 1 : 0);
}

int compare_values(const vm::Value& a, const vm::Value& b) {
    const int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb ? -1 : 1;
    switch (a.type) {
        case vm::ValueType::null: return 0;
        case vm::ValueType::boolean: return a.boolean == b.boolean ? 0 : (a.boolean ? 1 : -1);
        case vm::ValueType::integer:
            if (b.type == vm::ValueType::integer) return a.integer < b.integer ? -1 : (a.integer > b.integer ? 1 : 0);
            return compare_int_double(a.integer, b.floating);
        case vm::ValueType::floating:
            if (b.type == vm::ValueType::integer) return -compare_int_double(b.integer, a.floating);
            return compare_doubles(a.floating, b.floating);
        case vm::ValueType::string: {
            const auto sa = a.str(), sb = b.str();
            const size_t n = sa.size() < sb.size() ? sa.size() : sb.size();
            const int c = n == 0 ? 0 : std::memcmp(sa.data(), sb.data(), n);  // memcmp compares unsigned bytes
            if (c != 0) return c < 0 ? -1 : 1;
            return sa.size() == sb.size() ? 0 : (sa.size() < sb.size() ? -1 : 1);
        }
    }
    return 0;
}

}  // namespace

void append_key_component(const vm::Value& value, std::string& out) {
    switch (value.type) {
        case vm::ValueType::null: out.push_back(static_cast<char>(kNull)); return;
        case vm::ValueType::boolean: out.push_back(static_cast<char>(value.boolean ? kTrue : kFalse)); return;
        case vm::ValueType::integer:
            out.push_back(static_cast<char>(kInt));
            put_u64(static_cast<uint64_t>(value.integer), out);
            return;
        case vm::ValueType::floating: {
            const double d = value.floating;
            // Integral doubles in int64 range become integers (see the header: 1 == 1.0, -0.0 == 0).
            if (std::isfinite(d) && d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
                out.push_back(static_cast<char>(kInt));
                put_u64(static_cast<uint64_t>(static_cast<int64_t>(d)), out);
                return;
            }
            out.push_back(static_cast<char>(kDouble));
            const double canonical = std::isnan(d) ? std::numeric_limits<double>::quiet_NaN() : d;
            put_u64(std::bit_cast<uint64_t>(canonical), out);
            return;
        }
        case vm::ValueType::string: {
            out.push_back(static_cast<char>(kString));
            put_varint(value.length, out);
            out.append(value.chars, value.length);
            return;
        }
    }
}

void encode_key(std::span<const vm::Value> values, std::string& out) {
    out.clear();
    for (const auto& v : values) append_key_component(v, out);
}

bool decode_key(KeyView key, std::vector<vm::Value>& out) {
    out.clear();
    size_t at = 0;
    while (at < key.size()) {
        vm::Value v;
        if (!next_component(key, at, v)) return false;
        out.push_back(v);
    }
    return true;
}

std::vector<vm::Value> decode_key(KeyView key) {
    std::vector<vm::Value> out;
    [[maybe_unused]] const bool ok = decode_key(key, out);
    assert(ok);
    return out;
}

bool valid_key(KeyView key) {
    size_t at = 0;
    vm::Value v;
    while (at < key.size())
        if (!next_component(key, at, v)) return false;
    return true;
}

int compare_keys(KeyView a, KeyView b) {
    if (a == b) return 0;
    size_t ia = 0, ib = 0;
    for (;;) {
        const bool ea = ia >= a.size(), eb = ib >= b.size();
        if (ea || eb) return ea == eb ? 0 : (ea ? -1 : 1);  // shorter first (Elasticsearch: length difference)
        vm::Value va, vb;
        if (!next_component(a, ia, va) || !next_component(b, ib, vb)) return a < b ? -1 : 1;  // malformed: bytes
        if (const int c = compare_values(va, vb); c != 0) return c;
    }
}

uint64_t hash_key(KeyView key) {
    // 8 bytes at a time, each word mixed (splitmix64 style) into the state; stable across runs and platforms
    // of the same endianness (hashes are never stored in snapshots).
    constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
    auto mix = [](uint64_t w) {
        w ^= w >> 30;
        w *= 0xBF58476D1CE4E5B9ull;
        w ^= w >> 27;
        return w;
    };
    uint64_t h = 0x243F6A8885A308D3ull ^ (key.size() * kMul);
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) {
        uint64_t w;
        std::memcpy(&w, key.data() + i, 8);
        h = (h ^ mix(w)) * kMul;
        h ^= h >> 29;
    }
    if (i < key.size()) {
        uint64_t w = 0;
        std::memcpy(&w, key.data() + i, key.size() - i);
        h = (h ^ mix(w ^ 0xFF)) * kMul;
    }
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h;
}

std::string key_to_string(KeyView key) {
    std::vector<vm::Value> values;
    if (!decode_key(key, values)) return "<malformed key>";
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ", ";
        const auto& v = values[i];
        switch (v.type) {
            case vm::ValueType::null: out += "null"; break;
            case vm::ValueType::boolean: out += v.boolean ? "true" : "false"; break;
            case vm::ValueType::integer: out += std::to_string(v.integer); break;
            case vm::ValueType::floating: {
                char buf[40];
                std::snprintf(buf, sizeof buf, "%.17g", v.floating);
                out += buf;
                break;
            }
            case vm::ValueType::string:
                out += '"';
                out.append(v.str());
                out += '"';
                break;
        }
    }
    out += "]";
    return out;
}

}  // namespace eqlc::sequence
