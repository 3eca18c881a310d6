// EventBuilder: fields set one by one, written as one JSON object with dotted keys, which the projection reader
// reads exactly as it reads nested objects (input/projection.hpp). Writing JSON text keeps one reading path for
// every way events arrive, so a built event matches as the same event given as JSON does.
#include "eqlc/event_builder.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text/short_text.hpp"
#include "values/timestamp.hpp"

namespace eqlc {

namespace {

// The length of the well-formed UTF-8 sequence at text[i], or 0 when it is not one (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF).
size_t utf8_sequence(std::string_view text, size_t i) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) return 1;
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > text.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (size_t k = 2; k < n; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    return n;
}

// Copies the first and the last N of n bytes (N <= n <= 2N), both loaded before either is stored, so that they
// may overlap.
template <size_t N>
[[gnu::always_inline]] inline void copy_ends(char* to, const char* from, size_t n) {
    char head[N], tail[N];
    std::memcpy(head, from, N);
    std::memcpy(tail, from + n - N, N);
    std::memcpy(to, head, N);
    std::memcpy(to + n - N, tail, N);
}

// Copies n bytes in a few loads and stores, without a call: the first and last 16, 8 or 4 of them, overlapping.
[[gnu::always_inline]] inline void copy_bytes(char* to, const char* from, size_t n) {
    if (n > 32) {
        std::memcpy(to, from, n);
    } else if (n >= 16) {
        copy_ends<16>(to, from, n);
    } else if (n >= 8) {
        copy_ends<8>(to, from, n);
    } else if (n >= 4) {
        copy_ends<4>(to, from, n);
    } else if (n > 0) {
        const char a = from[0], b = from[n / 2], c = from[n - 1];
        to[0] = a;
        to[n / 2] = b;
        to[n - 1] = c;
    }
}

// A byte below 0x20, '"' or '\\' in the 8 ASCII bytes of `word`: one that JSON writes escaped.
bool needs_escape8(uint64_t word) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
    const uint64_t control = (word - kOnes * 0x20) & ~word & kHigh;
    const uint64_t quote = word ^ (kOnes * '"'), backslash = word ^ (kOnes * '\\');
    return (control | ((quote - kOnes) & ~quote & kHigh) | ((backslash - kOnes) & ~backslash & kHigh)) != 0;
}

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Whether `text` is UTF-8; clears `plain` when some byte of it needs an escape in JSON.
bool valid_utf8(std::string_view text, bool& plain) {
    size_t i = 0;
    // Most values are ASCII: eight bytes at a time until the first byte that is not.
    for (; i + 8 <= text.size(); i += 8) {
        uint64_t word;
        std::memcpy(&word, text.data() + i, sizeof word);
        if (word & 0x8080808080808080ULL) break;
        if (needs_escape8(word)) plain = false;
    }
    while (i < text.size()) {
        const size_t n = utf8_sequence(text, i);
        if (n == 0) return false;
        if (n == 1 && needs_escape(static_cast<unsigned char>(text[i]))) plain = false;
        i += n;
    }
    return true;
}

// How JSON takes a string value.
enum class Text : uint8_t { plain, escaped, invalid };

#if defined(__SSE2__)
// Of the 16 bytes at p: a bit per byte above 0x7F (`high`), and a bit per ASCII byte that JSON escapes (below 0x20,
// '"', '\\'): four compares for sixteen bytes, where the word test takes a dozen operations for eight.
[[gnu::always_inline]] inline void scan16(const char* p, unsigned& high, unsigned& escape) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    high = static_cast<unsigned>(_mm_movemask_epi8(v));
    // A signed compare: bytes above 0x7F are negative and compare below 0x20 too; `high` masks them out.
    const __m128i control = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    escape = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash)))) & ~high;
}
#endif

// The bytes of a value shorter than eight, as one word holding each of them at least once: four and four
// overlapping, or one to three repeated; an empty value reads as spaces.
[[gnu::always_inline]] inline uint64_t short_word(const char* p, size_t n) {
    if (n >= 4) {
        uint32_t a, b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + n - 4, 4);
        return a | (uint64_t{b} << 32);
    }
    const auto at = [&](size_t k) { return static_cast<uint64_t>(static_cast<unsigned char>(p[k])); };
    const uint64_t b = n == 0 ? 0x20202020 : at(0) | at(n / 2) << 8 | at(n - 1) << 16 | at(0) << 24;
    return b | b << 32;
}

// The bytes of `text` OR-ed together a word at a time (`high`), and whether a word held a byte JSON escapes: the
// value read in whole words, the last one overlapping the one before it, and a short value as short_word, so that
// an ASCII value costs no loop over its bytes. The escape test is exact on ASCII words only; a word with a byte
// above 0x7F sends the value to the byte-by-byte check anyway.
[[gnu::always_inline]] inline void fold_words(const char* p, size_t n, uint64_t& high, bool& escape) {
    uint64_t w = 0;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            std::memcpy(&w, p + i, 8);
            high |= w;
            escape |= needs_escape8(w);
        }
        std::memcpy(&w, p + n - 8, 8);
    } else {
        w = short_word(p, n);
    }
    high |= w;
    escape |= needs_escape8(w);
}

[[gnu::always_inline]] inline Text classify(std::string_view text) {
    uint64_t high = 0;
    bool escape = false;
#if defined(__SSE2__)
    if (text.size() >= 16) {
        const char* p = text.data();
        const size_t n = text.size();
        unsigned h = 0, e = 0, hi, es;
        for (size_t i = 0; i + 16 < n; i += 16) {
            scan16(p + i, hi, es);
            h |= hi;
            e |= es;
        }
        scan16(p + n - 16, hi, es);  // the last sixteen bytes, overlapping the loop's when n % 16
        if (!(h | hi)) return (e | es) ? Text::escaped : Text::plain;
        high = 0x80;
    } else {
        // Fewer than sixteen bytes: read as two words (each byte at least once, none past the end), the second
        // spaces when there is only one, and scanned together.
        const char* p = text.data();
        const size_t n = text.size();
        uint64_t lo = 0, hi = 0x2020202020202020ULL;
        if (n >= 8) {
            std::memcpy(&lo, p, 8);
            std::memcpy(&hi, p + n - 8, 8);
        } else {
            lo = short_word(p, n);
        }
        const __m128i v = _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
        const unsigned top = static_cast<unsigned>(_mm_movemask_epi8(v));
        const __m128i control = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
        const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
        const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
        const unsigned esc =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash)))) & ~top;
        if (!top) return esc ? Text::escaped : Text::plain;
        high = 0x80;
    }
#else
    fold_words(text.data(), text.size(), high, escape);
#endif
    if (!(high & 0x8080808080808080ULL)) return escape ? Text::escaped : Text::plain;
    bool plain = true;
    if (!valid_utf8(text, plain)) return Text::invalid;
    return plain ? Text::plain : Text::escaped;
}

bool valid_utf8(std::string_view text) {
    bool plain = true;
    return valid_utf8(text, plain);
}

// Writes `text` (valid UTF-8) from `out` on as the inside of a JSON string, without the quotes; returns the end.
// `out` has room for six bytes per byte of `text` (\u0001 is six).
char* write_escaped(char* out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    const char* p = text.data();
    const size_t n = text.size();
    size_t run = 0;  // start of the bytes not yet copied
    // Copies the bytes before i, then the escape of the byte at i.
    const auto escape_at = [&](size_t i) {
        copy_bytes(out, p + run, i - run);
        out += i - run;
        run = i + 1;
        const auto c = static_cast<unsigned char>(p[i]);
        char e = 0;
        switch (c) {
            case '"': e = '"'; break;
            case '\\': e = '\\'; break;
            case '\n': e = 'n'; break;
            case '\r': e = 'r'; break;
            case '\t': e = 't'; break;
            case '\b': e = 'b'; break;
            case '\f': e = 'f'; break;
            default: break;
        }
        *out++ = '\\';
        if (e) {
            *out++ = e;
        } else {
            std::memcpy(out, "u00", 3);
            out[3] = kHex[c >> 4];
            out[4] = kHex[c & 0xF];
            out += 5;
        }
    };
    size_t i = 0;
#if defined(__SSE2__)
    // Sixteen bytes at a time, jumping to each byte that needs an escape (a Windows path has one per directory).
    for (; i + 16 <= n; i += 16) {
        unsigned high, escape;
        scan16(p + i, high, escape);
        while (escape) {
            escape_at(i + static_cast<size_t>(__builtin_ctz(escape)));
            escape &= escape - 1;
        }
    }
    if (i < n && n >= 16) {  // the rest, as the last sixteen bytes without those already seen
        unsigned high, escape;
        const size_t last = n - 16;
        scan16(p + last, high, escape);
        escape &= ~0u << (i - last);
        while (escape) {
            escape_at(last + static_cast<size_t>(__builtin_ctz(escape)));
            escape &= escape - 1;
        }
        i = n;
    }
#else
    // Eight bytes at a time while none needs escaping; then byte by byte.
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        std::memcpy(&word, p + i, sizeof word);
        if (needs_escape8(word)) break;
    }
#endif
    for (; i < n; ++i)
        if (needs_escape(static_cast<unsigned char>(p[i]))) escape_at(i);
    copy_bytes(out, p + run, n - run);
    return out + (n - run);
}

// Appends `text` (valid UTF-8) to `out` as the inside of a JSON string, without the quotes: written in place,
// through room made for the longest escapes and then cut to what was written, a piece at a time so that the room
// stays small.
void append_escaped(std::string& out, std::string_view text) {
    constexpr size_t kPiece = 4096;
    for (size_t at = 0; at < text.size(); at += kPiece) {
        const std::string_view piece = text.substr(at, kPiece);
        const size_t before = out.size();
        out.resize(before + 6 * piece.size());
        char* end = write_escaped(out.data() + before, piece);
        out.resize(static_cast<size_t>(end - out.data()));
    }
}

std::string_view name_problem(std::string_view field) {
    if (field.empty()) return "a field name cannot be empty";
    if (field.front() == '.' || field.back() == '.' || field.find("..") != std::string_view::npos)
        return "a field name cannot have an empty segment (a leading, trailing or doubled '.')";
    if (!valid_utf8(field)) return "a field name must be UTF-8";
    return {};
}

// A field name as messages show it: printable, and short.
std::string shown(std::string_view field) {
    std::string out;
    for (const char c : field.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? '?' : c;
    if (field.size() > 80) out += "...";
    return out;
}

}  // namespace

uint64_t EventBuilder::Naming::fresh() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

void EventBuilder::Bytes::grow(size_t more) { bytes.resize(std::max({bytes.size() * 2, used + more, size_t{4096}})); }

[[gnu::always_inline]] inline void EventBuilder::Bytes::append(std::string_view text) {
    copy_bytes(room(text.size()), text.data(), text.size());
    used += text.size();
}

EventBuilder::EventBuilder(std::string timestamp_field) : timestamp_field_(std::move(timestamp_field)) {}

EventBuilder::EventBuilder(EventBuilder&& other)
    : timestamp_field_(other.timestamp_field_),
      fields_(std::move(other.fields_)),
      naming_(std::move(other.naming_)),
      index_(std::move(other.index_)),
      order_(std::move(other.order_)),
      first_(other.first_),
      stamp_(other.stamp_),
      text_(std::move(other.text_)),
      raw_(std::move(other.raw_)),
      error_(std::move(other.error_)),
      json_keys_(other.json_keys_),
      json_values_(other.json_values_) {
    other.forget_all();
}

EventBuilder& EventBuilder::operator=(EventBuilder&& other) {
    if (this != &other) {
        timestamp_field_ = other.timestamp_field_;
        fields_ = std::move(other.fields_);
        naming_ = std::move(other.naming_);
        index_ = std::move(other.index_);
        order_ = std::move(other.order_);
        first_ = other.first_;
        stamp_ = other.stamp_;
        text_ = std::move(other.text_);
        raw_ = std::move(other.raw_);
        error_ = std::move(other.error_);
        json_keys_ = other.json_keys_;
        json_values_ = other.json_values_;
        other.forget_all();
    }
    return *this;
}

// What the members a move took are left as is unspecified: each is made what a new builder's is. Its numbers are
// new (Naming's move gave it a new naming).
void EventBuilder::forget_all() {
    fields_ = {};
    index_ = {};
    order_ = {};
    first_ = kNoField;
    ++stamp_;
    text_ = {};
    raw_ = {};
    error_.clear();
    json_keys_ = json_values_ = 0;
}

bool EventBuilder::fail(std::string_view field, std::string_view why) {
    if (error_.empty()) {
        error_ = "field \"" + shown(field) + "\": ";
        error_ += why;
    }
    return false;
}

// A field given by an id of this builder's naming is its number. A name is found in three ways, cheapest first:
// the field set last (an array's elements come one after the other); the field that came next in the last event
// that set the previous one (events of one source mostly set the same fields in the same order, and a field missing
// from an event only costs a lookup at that place); else an open-addressing table of every remembered name (kept at
// most half full).
[[gnu::always_inline]] inline EventBuilder::Field* EventBuilder::find_or_add(FieldRef field) {
    uint32_t id;
    if (const FieldId* given = field.id(); given && given->naming_ == naming_.id) {
        id = given->number_;
    } else {
        const std::string_view name = field.name();
        id = first_;
        if (!order_.empty()) {
            Field& last = fields_[order_.back()];
            if (text::same_text(last.name, name)) return &last;
            id = last.next;
        }
        if (id == kNoField || !text::same_text(fields_[id].name, name)) {
            id = lookup(name);
            if (id == kNoField) return nullptr;
        }
    }
    Field& f = fields_[id];
    if (f.stamp != stamp_) {  // new to this event
        f.stamp = stamp_;
        f.values.clear();
        f.array = false;
        f.json_values = 0;
        json_keys_ += f.key.size() + 1;
        if (order_.empty())
            first_ = id;
        else
            fields_[order_.back()].next = id;
        order_.push_back(id);
    }
    return &f;
}

uint32_t EventBuilder::lookup(std::string_view field) {
    const size_t hash = text::word_hash(field);
    if (!index_.empty()) {
        const size_t mask = index_.size() - 1;
        for (size_t at = hash & mask; index_[at]; at = (at + 1) & mask) {
            const Field& f = fields_[index_[at] - 1];
            if (f.hash == hash && text::same_text(f.name, field)) return index_[at] - 1;
        }
    }
    if (const auto problem = name_problem(field); !problem.empty()) {
        fail(field, problem);
        return kNoField;
    }
    const auto id = static_cast<uint32_t>(fields_.size());
    Field& f = fields_.emplace_back();
    f.name.assign(field);
    f.hash = hash;
    f.key += '"';
    append_escaped(f.key, field);
    f.key += '"';
    if (index_.size() < 2 * fields_.size()) {
        grow_index();
    } else {
        const size_t mask = index_.size() - 1;
        size_t at = hash & mask;
        while (index_[at]) at = (at + 1) & mask;
        index_[at] = id + 1;
    }
    return id;
}

void EventBuilder::grow_index() {
    index_.assign(std::max<size_t>(64, std::bit_ceil(4 * fields_.size())), 0);
    const size_t mask = index_.size() - 1;
    for (size_t i = 0; i < fields_.size(); ++i) {
        size_t at = fields_[i].hash & mask;
        while (index_[at]) at = (at + 1) & mask;
        index_[at] = static_cast<uint32_t>(i + 1);
    }
}

[[gnu::always_inline]] inline EventBuilder::Field* EventBuilder::target(FieldRef field, bool element) {
    Field* f = find_or_add(field);
    if (!f) return nullptr;
    if (!element || !f->array) reset_values(*f, element);
    return f;
}

void EventBuilder::reset_values(Field& f, bool array) {
    f.values.clear();
    f.array = array;
    json_values_ -= f.json_values;
    f.json_values = array ? 2 : 0;  // the brackets
    json_values_ += f.json_values;
}

[[gnu::always_inline]] inline EventBuilder::Scalar& EventBuilder::push_value(Field& f, Scalar::Kind kind,
                                                                             uint32_t text_begin, uint32_t text_size) {
    const size_t bytes = text_size + (kind == Scalar::Kind::string ? 2 : 0) + (f.values.empty() ? 0 : 1);
    f.json_values += bytes;
    json_values_ += bytes;
    Scalar& s = f.values.emplace_back();
    s.kind = kind;
    s.text_begin = text_begin;
    s.text_size = text_size;
    return s;
}

[[gnu::always_inline]] inline bool EventBuilder::text_fits(std::string_view field, size_t more) {
    if (text_.used + raw_.used + more + 1 <= UINT32_MAX) return true;
    return fail(field, "the event's values take more than 4 GiB");
}

[[gnu::always_inline]] inline bool EventBuilder::add(Field* f, Scalar::Kind kind, uint64_t bits,
                                                     std::string_view text) {
    if (!f || !text_fits(f->name, text.size())) return false;
    const auto begin = static_cast<uint32_t>(text_.used);
    char* to = text_.room(text.size() + 1);
    copy_bytes(to, text.data(), text.size());
    to[text.size()] = '"';
    text_.used += text.size() + 1;
    Scalar& s = push_value(*f, kind, begin, static_cast<uint32_t>(text.size()));
    if (kind == Scalar::Kind::boolean)
        s.boolean = bits != 0;
    else
        std::memcpy(&s.integer, &bits, sizeof bits);  // the union's bytes, whichever member they are
    return true;
}

bool EventBuilder::add_string(FieldRef field, std::string_view value, bool element) {
    const Text form = classify(value);
    if (form == Text::invalid) return fail(field.name(), "the string value is not UTF-8");
    Field* f = target(field, element);
    if (!f) return false;
    if (form == Text::plain) return add(f, Scalar::Kind::string, 0, value);  // most values: the bytes are the JSON text
    // Its JSON form in text_ (for the JSON and the prefilter), its own bytes in raw_ (for the engine).
    const size_t text_begin = text_.used;
    {
        char* to = text_.room(6 * value.size());  // the longest escapes
        text_.used = static_cast<size_t>(write_escaped(to, value) - text_.bytes.data());
    }
    if (!text_fits(field.name(), value.size())) {  // with the escaped form already in text_
        text_.used = text_begin;
        return false;
    }
    const auto text_size = static_cast<uint32_t>(text_.used - text_begin);
    text_.append_quote();
    Scalar& s = push_value(*f, Scalar::Kind::string, static_cast<uint32_t>(text_begin), text_size);
    s.escaped = true;
    s.raw_begin = static_cast<uint32_t>(raw_.used);
    s.raw_size = static_cast<uint32_t>(value.size());
    raw_.append(value);
    return true;
}

// Numbers: the JSON text is also the number's text for keyword fields, as a JSON reader would hand it over.
bool EventBuilder::add_number(FieldRef field, Scalar::Kind kind, uint64_t bits, bool element) {
    char buf[40];
    char* end = buf;
    switch (kind) {
        case Scalar::Kind::integer: end = std::to_chars(buf, buf + sizeof buf, std::bit_cast<int64_t>(bits)).ptr; break;
        case Scalar::Kind::unsigned_integer: end = std::to_chars(buf, buf + sizeof buf, bits).ptr; break;
        default: {
            const auto value = std::bit_cast<double>(bits);
            if (!std::isfinite(value))
                return fail(field.name(), "a number must be finite (JSON has no NaN or infinity)");
            end = std::to_chars(buf, buf + sizeof buf - 2, value).ptr;
            // Kept a floating-point number in JSON (1.0 stays "1.0", not the integer "1"): a dynamic field keeps
            // the JSON type.
            if (std::string_view(buf, static_cast<size_t>(end - buf)).find_first_of(".e") == std::string_view::npos) {
                *end++ = '.';
                *end++ = '0';
            }
        }
    }
    const std::string_view text(buf, static_cast<size_t>(end - buf));
    return add(target(field, element), kind, bits, text);
}

EventBuilder::FieldId EventBuilder::field(std::string_view name) {
    FieldId id;
    id.name_.assign(name);
    id.number_ = lookup(name);
    if (id.number_ != kNoField) id.naming_ = naming_.id;
    return id;
}

bool EventBuilder::set(FieldRef field, std::string_view value) { return add_string(field, value, false); }
bool EventBuilder::append(FieldRef field, std::string_view value) { return add_string(field, value, true); }

bool EventBuilder::set_bool(FieldRef field, bool value) {
    return add(target(field, false), Scalar::Kind::boolean, value, value ? "true" : "false");
}
bool EventBuilder::append_bool(FieldRef field, bool value) {
    return add(target(field, true), Scalar::Kind::boolean, value, value ? "true" : "false");
}
bool EventBuilder::set_null(FieldRef field) { return add(target(field, false), Scalar::Kind::null, 0, "null"); }
bool EventBuilder::append_null(FieldRef field) { return add(target(field, true), Scalar::Kind::null, 0, "null"); }

bool EventBuilder::set_int(FieldRef field, int64_t value) {
    return add_number(field, Scalar::Kind::integer, std::bit_cast<uint64_t>(value), false);
}
bool EventBuilder::append_int(FieldRef field, int64_t value) {
    return add_number(field, Scalar::Kind::integer, std::bit_cast<uint64_t>(value), true);
}
bool EventBuilder::set_uint(FieldRef field, uint64_t value) {
    if (value <= static_cast<uint64_t>(INT64_MAX)) return set_int(field, static_cast<int64_t>(value));
    return add_number(field, Scalar::Kind::unsigned_integer, value, false);
}
bool EventBuilder::append_uint(FieldRef field, uint64_t value) {
    if (value <= static_cast<uint64_t>(INT64_MAX)) return append_int(field, static_cast<int64_t>(value));
    return add_number(field, Scalar::Kind::unsigned_integer, value, true);
}
bool EventBuilder::set_double(FieldRef field, double value) {
    return add_number(field, Scalar::Kind::floating, std::bit_cast<uint64_t>(value), false);
}
bool EventBuilder::append_double(FieldRef field, double value) {
    return add_number(field, Scalar::Kind::floating, std::bit_cast<uint64_t>(value), true);
}

bool EventBuilder::set_empty_array(FieldRef field) {
    Field* f = find_or_add(field);
    if (!f) return false;
    reset_values(*f, true);
    return true;
}

bool EventBuilder::set_time(FieldRef field, int64_t nanos) {
    char buf[input::kMaxIso8601Length];
    const size_t n = input::format_iso8601(nanos, buf);
    return set(field, std::string_view(buf, n));
}

void EventBuilder::clear() {
    if (fields_.size() > kRememberedFields) {
        fields_.clear();
        index_.clear();
        first_ = kNoField;
        naming_.id = Naming::fresh();  // numbers are given anew
    }
    order_.clear();
    ++stamp_;
    text_.used = 0;
    raw_.used = 0;
    error_.clear();
    json_keys_ = json_values_ = 0;
}

void EventBuilder::write_json(std::string& out) const {
    out += '{';
    for (size_t i = 0; i < order_.size(); ++i) {
        const Field& f = fields_[order_[i]];
        if (i) out += ',';
        out += f.key;
        out += ':';
        if (f.array) out += '[';
        for (size_t k = 0; k < f.values.size(); ++k) {
            const Scalar& v = f.values[k];
            if (k) out += ',';
            const std::string_view text(text_.bytes.data() + v.text_begin, v.text_size);
            if (v.kind == Scalar::Kind::string) {
                out += '"';
                out += text;
                out += '"';
            } else {
                out += text;
            }
        }
        if (f.array) out += ']';
    }
    out += '}';
}

std::string EventBuilder::json() const {
    std::string out;
    write_json(out);
    return out;
}

}  // namespace eqlc
