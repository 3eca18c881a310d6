// Join keys of sequences and samples: an owned, hashable, type-sensitive list of scalar values.
//
// A key is encoded once into a compact byte string, and every later operation (hashing, equality, storage,
// snapshots) works on those bytes. The engine encodes the values it computed for one hit into a reusable
// buffer (encode_key) and hands the matcher a KeyView; the matcher copies the bytes only when it keeps state.
//
// Encoding, per component, in order:
//   0x00                  null (missing or null value of an optional `?key`)
//   0x01 / 0x02           false / true
//   0x03 + 8 bytes        integer (int64, little endian)
//   0x04 + 8 bytes        floating (IEEE-754 bits, little endian)
//   0x05 + varint n + n   string (UTF-8 bytes)
//
// Equality is byte equality, so it is exact, case-sensitive and type-sensitive: keyword "1" != long 1,
// true != "true", null != "" (Elasticsearch compares keys with Java equals on the fetched values).
//
// Numbers: a floating value that is integral and fits int64 is stored as an integer, so 1 == 1.0 and -0.0 == 0.
// In Elasticsearch one field has one mapped type and the fetched values of a field are all Longs or all
// Doubles (1.0 indexed in a long field comes back as 1), so equal numbers of one field are equal keys. The
// only Elasticsearch case this differs from is a term key on a long field compared positionally with a key
// on a double field (Java: Long(1) != Double(1.0)); eqlc joins them. NaNs are all one value.
//
// Order (compare_keys): the order Elasticsearch sorts join keys in, used for ties between sequences that end
// on the same event and for the order of samples (composite aggregation order): component by component,
// null first, then booleans (false < true), then numbers (numerically, integers and doubles mixed), then
// strings (byte order, i.e. UTF-8 code point order: "GTA" < "doom"). Mixed types cannot happen within one
// Elasticsearch field; the type ranks only make the order total.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "values/value.hpp"

namespace eqlc::sequence {

// The encoded bytes of a key (see the header comment). Borrowed; owners hold a std::string.
using KeyView = std::string_view;

// Appends the encoding of one component to `out`.
void append_key_component(const vm::Value& value, std::string& out);

// Replaces `out` with the encoding of `values` (the shared keys, then the term's own keys).
void encode_key(std::span<const vm::Value> values, std::string& out);
inline std::string encode_key(std::span<const vm::Value> values) {
    std::string out;
    encode_key(values, out);
    return out;
}

// Decodes a key. String values view into `key`, which must outlive them. Returns false (and leaves `out`
// partially filled) if the bytes are not a valid encoding.
bool decode_key(KeyView key, std::vector<vm::Value>& out);
std::vector<vm::Value> decode_key(KeyView key);  // asserts the encoding is valid

// True when `key` is a well-formed encoding (used when restoring snapshots).
bool valid_key(KeyView key);

// <0, 0, >0 in the order described above.
int compare_keys(KeyView a, KeyView b);

struct KeyLess {
    using is_transparent = void;
    bool operator()(KeyView a, KeyView b) const { return compare_keys(a, b) < 0; }
};

// 64-bit hash of the bytes (word-at-a-time multiply-xorshift; stable across runs).
uint64_t hash_key(KeyView key);

// A human-readable rendering for tests and logs: [null, 1234, "tag1", true, 1.5].
std::string key_to_string(KeyView key);

// Owned key bytes in 16 bytes: up to 12 bytes inline (a short string, a number, a boolean), longer ones on
// the heap. Pending state keeps one per key, so its size is part of every partial sequence's cost.
class CompactKey {
public:
    static constexpr size_t kInline = 12;

    CompactKey() = default;
    CompactKey(const CompactKey&) = delete;
    CompactKey& operator=(const CompactKey&) = delete;
    CompactKey(CompactKey&& o) noexcept {
        std::memcpy(raw_, o.raw_, sizeof raw_);
        std::memset(o.raw_, 0, sizeof o.raw_);
    }
    CompactKey& operator=(CompactKey&& o) noexcept {
        if (this != &o) {
            reset();
            std::memcpy(raw_, o.raw_, sizeof raw_);
            std::memset(o.raw_, 0, sizeof o.raw_);
        }
        return *this;
    }
    ~CompactKey() { reset(); }

    void assign(KeyView key) {
        reset();
        const auto n = static_cast<uint32_t>(key.size());
        std::memcpy(raw_, &n, 4);
        if (n <= kInline) {
            if (n > 0) std::memcpy(raw_ + 4, key.data(), n);
        } else {
            char* p = new char[n];
            std::memcpy(p, key.data(), n);
            std::memcpy(raw_ + 8, &p, sizeof p);
        }
    }
    void reset() {
        if (size() > kInline) delete[] heap();
        std::memset(raw_, 0, sizeof raw_);
    }
    uint32_t size() const {
        uint32_t n;
        std::memcpy(&n, raw_, 4);
        return n;
    }
    KeyView view() const { return size() <= kInline ? KeyView(raw_ + 4, size()) : KeyView(heap(), size()); }
    operator KeyView() const { return view(); }
    size_t heap_bytes() const { return size() > kInline ? size() : 0; }

private:
    char* heap() const {
        char* p;
        std::memcpy(&p, raw_ + 8, sizeof p);
        return p;
    }
    alignas(8) char raw_[16] = {};
};
static_assert(sizeof(CompactKey) == 16);

}  // namespace eqlc::sequence
