#include "input/json_check.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include <simdjson.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "input/projection.hpp"

namespace eqlc::input {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool ends_token(char c) { return is_space(c) || c == ',' || c == ']' || c == '}'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(uint32_t cp, std::string& out) {
    // Lone surrogates are encoded as their 3-byte form (WTF-8): keys are only compared with each other.
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// The exact check: one hand-written pass over the text that finds the first problem and says where. It decides
// every text the fast path below does not vouch for.
class ExactCheck {
public:
    std::optional<JsonProblem> run(std::string_view text) {
        s_ = text;
        i_ = 0;
        stack_.clear();
        keys_.clear();
        unescaped_.clear();
        opened_ = after_comma_ = false;
        problem_.reset();
        if (!simdjson::validate_utf8(s_.data(), s_.size())) return JsonProblem{"invalid JSON: invalid UTF-8", 0};
        skip_space();
        if (at_end() || s_[i_] != '{') return fail("invalid JSON: not a JSON object");
        if (!document()) return std::move(problem_);
        skip_space();
        if (!at_end()) return fail("unexpected content after the JSON object");
        return std::nullopt;
    }

private:
    // An open container: an object ('{') collects its keys from keys_[keys_begin] on.
    struct Open {
        char kind;
        size_t keys_begin;
    };
    struct Key {
        std::string_view text;  // unescaped
        size_t offset;
    };

    bool at_end() const { return i_ >= s_.size(); }
    void skip_space() {
        while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    }
    std::optional<JsonProblem> fail(std::string message) {
        return JsonProblem{std::move(message), std::min(i_, s_.size())};
    }
    bool error(std::string message) {
        problem_ = JsonProblem{std::move(message), std::min(i_, s_.size())};
        return false;
    }

    // The object at i_ and everything in it, without recursion: `stack_` holds the open containers. After a
    // value, the innermost container says what may follow.
    bool document() {
        if (!open('{')) return false;
        while (true) {
            // At the start of a member (object) or an element (array), or at the closing bracket of an empty one.
            skip_space();
            Open& top = stack_.back();
            if (top.kind == '{') {
                if (at_end()) return error("invalid JSON: the object is not closed (truncated line?)");
                if (s_[i_] == '}' && !after_comma_) {
                    if (!close()) return false;
                } else {
                    if (s_[i_] != '"') {
                        return error(after_comma_ && s_[i_] == '}' ? "invalid JSON: trailing comma"
                                                                   : "invalid JSON: expected a key");
                    }
                    const size_t key_at = i_;
                    std::string_view key;
                    if (!string(&key)) return false;
                    keys_.push_back(Key{key, key_at});
                    skip_space();
                    if (at_end() || s_[i_] != ':') return error("invalid JSON: expected ':' after a key");
                    ++i_;
                    skip_space();
                    after_comma_ = false;
                    if (!value()) return false;
                    if (opened_) {
                        opened_ = false;
                        continue;
                    }
                }
            } else {
                if (at_end()) return error("invalid JSON: the array is not closed (truncated line?)");
                if (s_[i_] == ']' && !after_comma_) {
                    if (!close()) return false;
                } else {
                    if (after_comma_ && s_[i_] == ']') return error("invalid JSON: trailing comma");
                    after_comma_ = false;
                    if (!value()) return false;
                    if (opened_) {
                        opened_ = false;
                        continue;
                    }
                }
            }
            // After a value or a closed container: a comma or the end of the container that holds it.
            while (true) {
                if (stack_.empty()) return true;
                skip_space();
                if (at_end()) return error("invalid JSON: the object is not closed (truncated line?)");
                const char end = stack_.back().kind == '{' ? '}' : ']';
                if (s_[i_] == ',') {
                    ++i_;
                    after_comma_ = true;
                    break;
                }
                if (s_[i_] != end) {
                    return error(end == '}' ? "invalid JSON: expected ',' or '}'"
                                            : "invalid JSON: expected ',' or ']'");
                }
                if (!close()) return false;
            }
        }
    }

    bool open(char kind) {
        if (stack_.size() == kMaxJsonDepth) {
            return error("objects and arrays nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        }
        stack_.push_back(Open{kind, keys_.size()});
        ++i_;
        opened_ = true;
        return true;
    }

    // Closes the innermost container at i_ (its closing bracket); an object's keys are checked for duplicates.
    bool close() {
        ++i_;
        const Open top = stack_.back();
        stack_.pop_back();
        after_comma_ = false;
        if (top.kind != '{') return true;
        const auto first = keys_.begin() + static_cast<std::ptrdiff_t>(top.keys_begin);
        const size_t count = static_cast<size_t>(keys_.end() - first);
        const Key* duplicate = nullptr;  // the later of two equal keys
        if (count <= 16) {
            // Objects are small, as a rule: compare every pair.
            for (size_t b = 1; b < count && duplicate == nullptr; ++b) {
                for (size_t a = 0; a < b; ++a) {
                    if (first[a].text == first[b].text) {
                        duplicate = &first[b];
                        break;
                    }
                }
            }
        } else {
            std::sort(first, keys_.end(), [](const Key& a, const Key& b) {
                return a.text != b.text ? a.text < b.text : a.offset < b.offset;
            });
            for (auto k = first + 1; k != keys_.end(); ++k) {
                if (k->text == (k - 1)->text && (duplicate == nullptr || k->offset < duplicate->offset)) {
                    duplicate = &*k;
                }
            }
        }
        if (duplicate != nullptr) {
            problem_ = JsonProblem{"duplicate key \"" + std::string(duplicate->text.substr(0, 100)) +
                                       "\" in an object (Elasticsearch refuses such a document: Duplicate field)",
                                   duplicate->offset};
            return false;
        }
        keys_.erase(first, keys_.end());
        return true;
    }

    // A value at i_: a scalar is read whole; an object or array is opened (opened_ set).
    bool value() {
        opened_ = false;
        if (at_end()) return error("invalid JSON: expected a value (truncated line?)");
        switch (s_[i_]) {
            case '{':
            case '[': return open(s_[i_]);
            case '"': return string(nullptr);
            case 't': return literal("true");
            case 'f': return literal("false");
            case 'n': return literal("null");
            default: return number();
        }
    }

    bool literal(std::string_view word) {
        if (s_.substr(i_, word.size()) != word || (i_ + word.size() < s_.size() && !ends_token(s_[i_ + word.size()])))
            return error("invalid JSON: not a JSON value");
        i_ += word.size();
        return true;
    }

    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, followed by the end of the token.
    bool number() {
        const size_t start = i_;
        size_t j = i_;
        if (j < s_.size() && s_[j] == '-') ++j;
        if (j < s_.size() && s_[j] == '0') {
            ++j;
        } else if (j < s_.size() && s_[j] >= '1' && s_[j] <= '9') {
            while (j < s_.size() && is_digit(s_[j])) ++j;
        } else {
            return error(j == start ? "invalid JSON: not a JSON value" : "invalid JSON: malformed number");
        }
        if (j < s_.size() && s_[j] == '.') {
            const size_t digits = ++j;
            while (j < s_.size() && is_digit(s_[j])) ++j;
            if (j == digits) return error("invalid JSON: malformed number");
        }
        if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
            ++j;
            if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
            const size_t digits = j;
            while (j < s_.size() && is_digit(s_[j])) ++j;
            if (j == digits) return error("invalid JSON: malformed number");
        }
        if (j < s_.size() && !ends_token(s_[j])) return error("invalid JSON: malformed number");
        i_ = j;
        return true;
    }

    // A string at i_ (its opening quote). With `key`, its unescaped text is kept (a view of the line when it has
    // no escape).
    bool string(std::string_view* key) {
        const size_t start = ++i_;
        bool escaped = false;
        while (true) {
#if defined(__SSE2__)
            // 16 bytes at a time up to the first quote, backslash or control character.
            while (i_ + 16 <= s_.size()) {
                const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_.data() + i_));
                const __m128i stop = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('"')), _mm_cmpeq_epi8(chunk, _mm_set1_epi8('\\'))),
                    _mm_cmpeq_epi8(_mm_min_epu8(chunk, _mm_set1_epi8(0x1F)), chunk));
                const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stop));
                if (mask != 0) {
                    i_ += static_cast<size_t>(__builtin_ctz(mask));
                    break;
                }
                i_ += 16;
            }
#endif
            if (at_end()) return error("invalid JSON: the string is not closed (truncated line?)");
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') break;
            if (c < 0x20) return error("invalid JSON: unescaped control character in a string");
            if (c != '\\') {
                ++i_;
                continue;
            }
            escaped = true;
            if (i_ + 1 >= s_.size()) return error("invalid JSON: the string is not closed (truncated line?)");
            const char e = s_[i_ + 1];
            if (e == 'u') {
                for (size_t k = 2; k < 6; ++k) {
                    if (i_ + k >= s_.size() || hex_value(s_[i_ + k]) < 0)
                        return error("invalid JSON: invalid \\u escape in a string");
                }
                i_ += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
                i_ += 2;
            } else {
                return error("invalid JSON: invalid escape in a string");
            }
        }
        const std::string_view raw = s_.substr(start, i_ - start);
        ++i_;
        if (key != nullptr) *key = escaped ? unescape(raw) : raw;
        return true;
    }

    // The text of an already checked string body with escapes, kept in unescaped_.
    std::string_view unescape(std::string_view raw) {
        std::string& out = unescaped_.emplace_back();
        for (size_t k = 0; k < raw.size(); ++k) {
            if (raw[k] != '\\') {
                out += raw[k];
                continue;
            }
            const char e = raw[++k];
            switch (e) {
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    uint32_t cp = 0;
                    for (size_t h = 1; h <= 4; ++h) cp = cp * 16 + static_cast<uint32_t>(hex_value(raw[k + h]));
                    k += 4;  // at the last hex digit
                    // A high surrogate followed by an escaped low one is one code point.
                    if (cp >= 0xD800 && cp < 0xDC00 && k + 6 < raw.size() && raw[k + 1] == '\\' && raw[k + 2] == 'u') {
                        uint32_t low = 0;
                        for (size_t h = 3; h <= 6; ++h) low = low * 16 + static_cast<uint32_t>(hex_value(raw[k + h]));
                        if (low >= 0xDC00 && low < 0xE000) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                            k += 6;
                        }
                    }
                    append_utf8(cp, out);
                    break;
                }
                default: out += e; break;  // " \ /
            }
        }
        return out;
    }

    std::string_view s_;
    size_t i_ = 0;
    std::vector<Open> stack_;
    std::vector<Key> keys_;               // the keys of the open objects, innermost last
    std::deque<std::string> unescaped_;   // stable storage for keys with escapes
    bool opened_ = false;                 // value() opened a container
    bool after_comma_ = false;            // a ',' was just read in the innermost container
    std::optional<JsonProblem> problem_;  // why document() returned false
};

// A key's signature: equal keys have equal signatures; different keys rarely do (all of a key up to 16 bytes is
// in it, and its length). Reads only the key's own bytes.
uint64_t key_signature(std::string_view key) {
    const auto* p = reinterpret_cast<const unsigned char*>(key.data());
    const size_t n = key.size();
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t lo = 0, hi = 0;
        std::memcpy(&lo, p, 4);
        std::memcpy(&hi, p + n - 4, 4);
        a = lo;
        b = hi;
    } else if (n > 0) {
        a = (uint64_t{p[0]} << 16) | (uint64_t{p[n / 2]} << 8) | p[n - 1];
    }
    const uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ ((b + n) * 0xC2B2AE3D27D4EB4FULL);
    return h ^ (h >> 29);
}

bool is_hex(char c) { return hex_value(c) >= 0; }

// After a backslash: 1 for " \ / b f n r t, 2 for u (four hex digits follow), 0 for anything else.
constexpr std::array<uint8_t, 256> kEscapeKinds = [] {
    std::array<uint8_t, 256> kinds{};
    for (const char c : {'"', '\\', '/', 'b', 'f', 'n', 'r', 't'}) kinds[static_cast<unsigned char>(c)] = 1;
    kinds['u'] = 2;
    return kinds;
}();

#if defined(__SSE2__)

// What one 64-byte block holds, one bit per byte.
struct Block {
    uint64_t quote = 0, backslash = 0, control = 0, space = 0, op = 0, high = 0;
};

// Whitespace and the structural characters (after OR 0x20, which makes '[' '{' and ']' '}') have distinct low
// nibbles: a byte is one of them when the table entry at its low nibble is the byte itself. (OR 0x20 also makes
// form feed ',' and 0x1A ':'; those then show up as tokens that the grammar refuses, as they should be.)
constexpr char kSpaceTable[16] = {' ', -1, -1, -1, -1, -1, -1, -1, -1, '\t', '\n', -1, -1, '\r', -1, -1};
constexpr char kOpTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, ':', '{', ',', '}', -1, -1};

uint64_t bits16(__m128i eq, int at) { return uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(eq))} << at; }

// Bit i of the result is the parity of bits 0..i of x.
uint64_t prefix_xor_shifts(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

// Writes base + the index of each bit of `bits`, eight at a time whatever their number (fewer branches to
// mispredict; the buffer has room for the excess).
[[gnu::always_inline]] inline uint32_t* flatten_scalar(uint32_t* out, size_t base, uint64_t bits) {
    const int count = __builtin_popcountll(bits);
    const auto at = static_cast<uint32_t>(base);
    for (int k = 0; k < 8; ++k) {
        out[k] = at + static_cast<uint32_t>(__builtin_ctzll(bits | (uint64_t{1} << 63)));
        bits &= bits - 1;
    }
    if (count > 8) {
        for (int k = 8; k < 16; ++k) {
            out[k] = at + static_cast<uint32_t>(__builtin_ctzll(bits | (uint64_t{1} << 63)));
            bits &= bits - 1;
        }
        for (int k = 16; k < count; ++k) {
            out[k] = at + static_cast<uint32_t>(__builtin_ctzll(bits));
            bits &= bits - 1;
        }
    }
    return out + count;
}

// The block at p with SSE2 (any x86-64).
struct Sse2 {
    static uint32_t* flatten(uint32_t* out, size_t base, uint64_t bits) { return flatten_scalar(out, base, bits); }
    static uint64_t prefix_xor(uint64_t x) { return prefix_xor_shifts(x); }
    static Block classify(const char* p) {
        Block b;
        for (int at = 0; at < 64; at += 16) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
            auto eq = [&](char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); };
            b.quote |= bits16(eq('"'), at);
            b.backslash |= bits16(eq('\\'), at);
            b.control |= bits16(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1F)), x), at);
            b.space |= bits16(_mm_or_si128(_mm_or_si128(eq(' '), eq('\t')), _mm_or_si128(eq('\n'), eq('\r'))), at);
            const __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
            b.op |= bits16(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(lower, _mm_set1_epi8('{')),
                                                     _mm_cmpeq_epi8(lower, _mm_set1_epi8('}'))),
                                        _mm_or_si128(eq(','), eq(':'))),
                           at);
            b.high |= bits16(x, at);
        }
        return b;
    }
};

#if defined(__GNUC__)
#define EQLC_JSON_CHECK_AVX2 1
uint64_t __attribute__((target("avx2"))) bits32(__m256i eq, int at) {
    return uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(eq))} << at;
}

// A carry-less multiplication by all ones is the prefix XOR, in one instruction.
__attribute__((target("pclmul"))) uint64_t prefix_xor_clmul(uint64_t x) {
    const __m128i product = _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<int64_t>(x)), _mm_set1_epi8(-1), 0);
    return static_cast<uint64_t>(_mm_cvtsi128_si64(product));
}

// The block at p with AVX2 (and PCLMUL), on the processors that have them (chosen at run time).
struct Avx2 {
    static uint32_t* flatten(uint32_t* out, size_t base, uint64_t bits) { return flatten_scalar(out, base, bits); }
    __attribute__((target("pclmul"))) static uint64_t prefix_xor(uint64_t x) { return prefix_xor_clmul(x); }
    __attribute__((target("avx2"))) static Block classify(const char* p) {
        const __m256i space_table =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kSpaceTable)));
        const __m256i op_table =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kOpTable)));
        Block b;
        for (int at = 0; at < 64; at += 32) {
            const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + at));
            b.quote |= bits32(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('"')), at);
            b.backslash |= bits32(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\')), at);
            b.control |= bits32(_mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(0x1F)), x), at);
            b.space |= bits32(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(space_table, x), x), at);
            const __m256i lower = _mm256_or_si256(x, _mm256_set1_epi8(0x20));
            b.op |= bits32(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(op_table, lower), lower), at);
            b.high |= bits32(x, at);
        }
        return b;
    }
};

// The tables once per 128-bit lane.
constexpr std::array<char, 64> four_times(const char (&table)[16]) {
    std::array<char, 64> out{};
    for (size_t i = 0; i < 64; ++i) out[i] = table[i % 16];
    return out;
}
constexpr std::array<char, 64> kSpaceTable4 = four_times(kSpaceTable);
constexpr std::array<char, 64> kOpTable4 = four_times(kOpTable);

// The block at p with AVX-512 (BW), compares straight into bit masks.
struct Avx512 {
    // 16 bits at a time: the offsets of the set bits, compressed to the front of a vector, stored whole.
    __attribute__((target("avx512f,popcnt"))) static uint32_t* flatten(uint32_t* out, size_t base, uint64_t bits) {
        __m512i at = _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                      _mm512_set1_epi32(static_cast<int>(base)));
        for (int chunk = 0; chunk < 4; ++chunk) {
            const auto mask = static_cast<__mmask16>(bits >> (16 * chunk));
            _mm512_storeu_si512(out, _mm512_maskz_compress_epi32(mask, at));
            out += __builtin_popcount(mask);
            at = _mm512_add_epi32(at, _mm512_set1_epi32(16));
        }
        return out;
    }
    __attribute__((target("pclmul"))) static uint64_t prefix_xor(uint64_t x) { return prefix_xor_clmul(x); }
    __attribute__((target("avx512f,avx512bw"))) static Block classify(const char* p) {
        const __m512i space_table = _mm512_loadu_si512(kSpaceTable4.data());
        const __m512i op_table = _mm512_loadu_si512(kOpTable4.data());
        const __m512i x = _mm512_loadu_si512(p);
        const __m512i lower = _mm512_or_si512(x, _mm512_set1_epi8(0x20));
        Block b;
        b.quote = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('"'));
        b.backslash = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\\'));
        b.control = _mm512_cmple_epu8_mask(x, _mm512_set1_epi8(0x1F));
        b.space = _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(space_table, x), x);
        b.op = _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(op_table, lower), lower);
        b.high = _mm512_movepi8_mask(x);
        return b;
    }
};
#endif

// The fast path: a check in two passes, after simdjson's design. The first pass classifies the text 64 bytes at a
// time (SIMD compares into bit masks: quotes, backslashes, control characters, brackets, whitespace), works out
// which bytes are inside strings, refuses control characters there, checks every escape and writes down where each
// token starts (brackets, commas, colons, quotes, scalars); the second walks those tokens with the grammar, checks
// numbers and literals, the depth and duplicate keys. It only ever vouches for a text: whatever it finds wrong or
// is unsure of (a key with an escape, two keys with the same signature, a long text) goes to the exact check, which
// decides and says what and where. tests/unit/json_check_test.cpp compares the two on many texts.
class FastCheck {
public:
    FastCheck() {
#if defined(EQLC_JSON_CHECK_AVX2)
        // What the processor has (cpu_init: safe even if this runs before libgcc's own initialisation).
        __builtin_cpu_init();
        avx2_ = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
        avx512_ = avx2_ && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#endif
        // For tests: EQLC_JSON_CHECK_SIMD=sse2 or avx2 caps the instruction set, so that every variant is tested on
        // a machine that has them all; =none turns the fast path off (the exact check decides every text).
        if (const char* cap = std::getenv("EQLC_JSON_CHECK_SIMD"); cap != nullptr) {
            const std::string_view level(cap);
            enabled_ = level != "none";
#if defined(EQLC_JSON_CHECK_AVX2)
            if (level == "sse2") avx2_ = false;
            if (level == "sse2" || level == "avx2") avx512_ = false;
#endif
        }
    }

    bool vouches_for(std::string_view text) {
        if (!enabled_) return false;
        // The buffers take up to 12 bytes per byte of text, kept for the next text: long texts (none in a normal
        // stream) go to the exact check.
        if (text.size() > kMaxText) return false;
        s_ = text;
        size_t first = 0;
        while (first < s_.size() && is_space(s_[first])) ++first;
        if (first == s_.size() || s_[first] != '{') return false;
        return index() && grammar();
    }

private:
    static constexpr size_t kMaxText = size_t{256} << 10;
    static constexpr size_t kPairwise = 32;

    // The first pass: fills tokens_ with the offset of every token, in order: brackets, commas and colons
    // outside strings, the opening quote of every string, the first byte of every scalar. Records every escape.
    bool index() {
#if defined(EQLC_JSON_CHECK_AVX2)
        if (avx512_) return index_avx512();
        if (avx2_) return index_avx2();
#endif
        return index_with<Sse2>();
    }

#if defined(EQLC_JSON_CHECK_AVX2)
    __attribute__((target("avx2,pclmul,bmi,popcnt"))) bool index_avx2() { return index_with<Avx2>(); }
    __attribute__((target("avx512f,avx512bw,avx2,pclmul,bmi,popcnt"))) bool index_avx512() {
        return index_with<Avx512>();
    }
#endif

    template <typename Simd>
    [[gnu::always_inline]] inline bool index_with() {
        if (capacity_ < s_.size() + 65) {  // flatten() writes up to 16 entries past the last token
            capacity_ = s_.size() + 65;
            if (!open_) open_ = std::make_unique<Open[]>(kMaxJsonDepth);
            tokens_ = std::make_unique<uint32_t[]>(capacity_);
            scalars_ = std::make_unique<uint32_t[]>(capacity_);
            sigs_ = std::make_unique<uint64_t[]>(capacity_ / 2);  // a key takes two tokens: its quote and colon
        }
        escapes_.clear();
        uint32_t* out = tokens_.get();
        uint64_t escaped_carry = 0;  // 1: the block's first byte is escaped
        uint64_t string_carry = 0;   // all ones: the block starts inside a string
        uint64_t scalar_carry = 0;   // 1: the previous block ends in a scalar
        uint64_t high = 0;
        char tail[64];
        for (size_t base = 0; base < s_.size(); base += 64) {
            const char* p = s_.data() + base;
            if (s_.size() - base < 64) {
                // The last partial block, padded with spaces (whitespace, neither scalar nor control).
                std::memset(tail, ' ', sizeof tail);
                std::memcpy(tail, p, s_.size() - base);
                p = tail;
            }
            const Block b = Simd::classify(p);
            high |= b.high;
            // Escapes, one at a time (paths have a few per string; most strings none): each backslash that is
            // not itself escaped escapes the next byte, which must make a valid escape.
            uint64_t escaped = escaped_carry;
            escaped_carry = 0;
            for (uint64_t starts = b.backslash & ~escaped; starts != 0;) {
                const int at = __builtin_ctzll(starts);
                const size_t pos = base + static_cast<size_t>(at);
                if (!valid_escape(pos)) return false;
                escapes_.push_back(static_cast<uint32_t>(pos));
                if (at == 63) {
                    escaped_carry = 1;
                    break;
                }
                const uint64_t next = uint64_t{1} << (at + 1);
                escaped |= next;
                starts &= ~(next | (next >> 1));
            }
            const uint64_t quotes = b.quote & ~escaped;
            const uint64_t in_string = Simd::prefix_xor(quotes) ^ string_carry;  // opening quotes in, closing ones out
            string_carry = static_cast<uint64_t>(static_cast<int64_t>(in_string) >> 63);
            if ((b.control & in_string) != 0) return false;
            const uint64_t scalar = ~(b.space | b.op | b.quote | in_string);
            const uint64_t scalar_start = scalar & ~((scalar << 1) | scalar_carry);
            scalar_carry = scalar >> 63;
            out = Simd::flatten(out, base, (b.op & ~in_string) | (quotes & in_string) | scalar_start);
        }
        if (string_carry != 0 || escaped_carry != 0) return false;
        if (high != 0 && !simdjson::validate_utf8(s_.data(), s_.size())) return false;
        count_ = static_cast<size_t>(out - tokens_.get());
        // A sentinel after the last token: the root's '{', which no state of grammar() takes where it reads it.
        tokens_[count_] = tokens_[0];
        escapes_.push_back(UINT32_MAX);  // a sentinel for grammar()
        return true;
    }

    // The backslash at pos starts \" \\ \/ \b \f \n \r \t or \uXXXX.
    bool valid_escape(size_t pos) const {
        if (pos + 1 >= s_.size()) return false;
        const uint8_t kind = kEscapeKinds[static_cast<unsigned char>(s_[pos + 1])];
        if (kind == 1) return true;
        return kind == 2 && pos + 5 < s_.size() && is_hex(s_[pos + 2]) && is_hex(s_[pos + 3]) && is_hex(s_[pos + 4]) &&
               is_hex(s_[pos + 5]);
    }

    // The second pass: the grammar over the tokens. Between two tokens there is only whitespace, the inside of a
    // string (between its quotes) or the rest of a scalar (checked with it). Works on locals: the compiler need
    // not reload members after each store.
    bool grammar() {
        const char* const text = s_.data();
        const uint32_t* const tokens = tokens_.get();
        const size_t count = count_;
        uint32_t* const scalars = scalars_.get();
        Open* const open = open_.get();
        uint64_t* const sigs = sigs_.get();
        const uint32_t* escape = escapes_.data();
        auto at = [&](size_t k) -> char { return text[tokens[k]]; };
        size_t k = 0;
        size_t depth = 0;  // open containers: open[0 .. depth)
        size_t key_count = 0;
        size_t scalar_count = 0;
        // Each label is where the token k stands.
    object_start:
        if (depth == kMaxJsonDepth) return false;
        open[depth++] = Open{'{', static_cast<uint32_t>(key_count), 0};
        ++k;
        if (at(k) == '}') goto close;
    key:
        if (at(k) != '"' || at(k + 1) != ':') return false;
        {
            const size_t begin = tokens[k] + 1;
            // Only whitespace between the closing quote and the colon (anything else would be a token).
            size_t end = tokens[k + 1] - 1;
            while (is_space(text[end])) --end;
            if (text[end] != '"') return false;
            // Keys are compared after unescaping: leave keys with escapes to the exact check.
            while (*escape < begin) ++escape;
            if (*escape < end) return false;
            const uint64_t sig = key_signature(std::string_view(text + begin, end - begin));
            // Objects are small, as a rule: compare with the earlier keys (equal signatures: maybe a duplicate, the
            // exact check says) when a 64-bit filter of their signatures says one of them may be equal; past
            // kPairwise keys, sort them all when the object closes instead.
            Open& object = open[depth - 1];
            const uint64_t bit = uint64_t{1} << (sig >> 58);
            if ((object.bloom & bit) != 0 && key_count - object.keys_begin < kPairwise) {
                for (size_t j = object.keys_begin; j < key_count; ++j) {
                    if (sigs[j] == sig) return false;
                }
            }
            object.bloom |= bit;
            sigs[key_count++] = sig;
        }
        k += 2;
    value:
        if (k == count) return false;
        if (at(k) == '{') goto object_start;
        if (at(k) == '[') {
            if (depth == kMaxJsonDepth) return false;
            open[depth++] = Open{'[', 0, 0};
            ++k;
            if (at(k) == ']') goto close;
            goto value;
        }
        // A string (already checked) or a scalar (checked at the end, out of this loop's way: fewer branches to
        // mispredict here). Anything else in a value's place is a "scalar" that is not one.
        scalars[scalar_count] = tokens[k];
        scalar_count += at(k) != '"' ? 1 : 0;
        ++k;
    after_value:
        if (at(k) == ',') {
            ++k;
            if (open[depth - 1].kind == '{') goto key;
            goto value;
        }
        if (at(k) != (open[depth - 1].kind == '{' ? '}' : ']')) return false;
    close:
        if (open[depth - 1].kind == '{') {
            const size_t first = open[depth - 1].keys_begin;
            if (key_count - first > kPairwise) {
                std::sort(sigs + first, sigs + key_count);
                if (std::adjacent_find(sigs + first, sigs + key_count) != sigs + key_count) return false;
            }
            key_count = first;
        }
        --depth;
        ++k;
        if (depth != 0) goto after_value;
        if (k != count) return false;
        for (size_t i = 0; i < scalar_count; ++i) {
            if (!scalar(scalars[i])) return false;
        }
        return true;
    }

    bool ends_at(size_t j) const { return j == s_.size() || ends_token(s_[j]); }

    // A number or literal at j, which must end where the exact check's tokens end.
    bool scalar(size_t j) const {
        const size_t n = s_.size();
        switch (s_[j]) {
            case 't': return s_.compare(j, 4, "true") == 0 && ends_at(std::min(j + 4, n));
            case 'f': return s_.compare(j, 5, "false") == 0 && ends_at(std::min(j + 5, n));
            case 'n': return s_.compare(j, 4, "null") == 0 && ends_at(std::min(j + 4, n));
            default: break;
        }
        if (s_[j] == '-') ++j;
        if (j < n && s_[j] == '0') {
            ++j;
        } else if (j < n && s_[j] >= '1' && s_[j] <= '9') {
            while (j < n && is_digit(s_[j])) ++j;
        } else {
            return false;
        }
        if (j < n && s_[j] == '.') {
            const size_t digits = ++j;
            while (j < n && is_digit(s_[j])) ++j;
            if (j == digits) return false;
        }
        if (j < n && (s_[j] == 'e' || s_[j] == 'E')) {
            ++j;
            if (j < n && (s_[j] == '+' || s_[j] == '-')) ++j;
            const size_t digits = j;
            while (j < n && is_digit(s_[j])) ++j;
            if (j == digits) return false;
        }
        return ends_at(j);
    }

    struct Open {
        char kind;
        uint32_t keys_begin;  // an object's first key in sigs_
        uint64_t bloom;       // an object's keys: bit (signature >> 58) of each
    };

    std::string_view s_;
    std::unique_ptr<uint32_t[]> tokens_;   // token offsets, then a sentinel at the text's end
    std::unique_ptr<uint32_t[]> scalars_;  // where the scalars start, for grammar()
    size_t capacity_ = 0;
    std::vector<uint32_t> escapes_;  // where each escape starts, then a sentinel
#if defined(EQLC_JSON_CHECK_AVX2)
    bool enabled_ = true;
    bool avx2_ = false;
    bool avx512_ = false;
#endif
    size_t count_ = 0;
    std::unique_ptr<Open[]> open_;      // the open containers (kMaxJsonDepth of them at most)
    std::unique_ptr<uint64_t[]> sigs_;  // the key signatures of the open objects, innermost last
};

#else

// Without SSE2 there is no fast path: the exact check decides every text.
class FastCheck {
public:
    bool vouches_for(std::string_view) { return false; }
};

#endif

}  // namespace

class JsonChecker::Impl {
public:
    ExactCheck exact;
    FastCheck fast;
};

JsonChecker::JsonChecker() : impl_(std::make_unique<Impl>()) {}
JsonChecker::~JsonChecker() = default;
JsonChecker::JsonChecker(JsonChecker&&) noexcept = default;
JsonChecker& JsonChecker::operator=(JsonChecker&&) noexcept = default;

std::optional<JsonProblem> JsonChecker::check(std::string_view text) {
    if (impl_->fast.vouches_for(text)) return std::nullopt;
    return impl_->exact.run(text);
}

std::optional<JsonProblem> JsonChecker::check_exact(std::string_view text) { return impl_->exact.run(text); }

bool JsonChecker::fast_path_vouches(std::string_view text) { return impl_->fast.vouches_for(text); }

std::optional<JsonProblem> check_json_object(std::string_view text) { return JsonChecker().check(text); }

}  // namespace eqlc::input
