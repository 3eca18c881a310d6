// EventBuilder: fields set one by one, written as one JSON object with dotted keys, which the projection reader
// reads exactly as it reads nested objects (input/projection.hpp). Writing JSON text keeps one reading path for
// every way events arrive, so a built event matches as the same event given as JSON does.
#include "eqlc/event_builder.hpp"

#include <algorithm>
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

// The bytes of `text` OR-ed together a word at a time (`high`), and whether a word held a byte JSON escapes: the
// value read in whole words, the last one overlapping the one before it, and a short value in two overlapping
// halves, so that an ASCII value costs no loop over its bytes. The escape test is exact on ASCII words only; a
// word with a byte above 0x7F sends the value to the byte-by-byte check anyway.
[[gnu::always_inline]] inline void fold_words(const char* p, size_t n, uint64_t& high, bool& escape) {
    uint64_t w = 0;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            std::memcpy(&w, p + i, 8);
            high |= w;
            escape |= needs_escape8(w);
        }
        std::memcpy(&w, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + n - 4, 4);
        w = a | (uint64_t{b} << 32);
    } else {
        // One to three bytes (or none), repeated to fill a word: an empty value reads as spaces.
        const auto at = [&](size_t k) { return static_cast<uint64_t>(static_cast<unsigned char>(p[k])); };
        const uint64_t b = n == 0 ? 0x20202020 : at(0) | at(n / 2) << 8 | at(n - 1) << 16 | at(0) << 24;
        w = b | b << 32;
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
        fold_words(text.data(), text.size(), high, escape);
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
        std::memcpy(out, p + run, i - run);
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
    std::memcpy(out, p + run, n - run);
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

EventBuilder::EventBuilder(std::string timestamp_field) : timestamp_field_(std::move(timestamp_field)) {}

bool EventBuilder::fail(std::string_view field, std::string_view why) {
    if (error_.empty()) {
        error_ = "field \"" + shown(field) + "\": ";
        error_ += why;
    }
    return false;
}

// A name is found in three ways, cheapest first: the field set last (an array's elements come one after the
// other); the field that came next in the last event that set the previous one (events of one source mostly set
// the same fields in the same order, and a field missing from an event only costs a lookup at that place); else
// an open-addressing table of every remembered name (kept at most half full).
[[gnu::always_inline]] inline EventBuilder::Field* EventBuilder::find_or_add(std::string_view field) {
    uint32_t id = first_;
    if (!order_.empty()) {
        Field& last = fields_[order_.back()];
        if (text::same_text(last.name, field)) return &last;
        id = last.next;
    }
    if (id == kNoField || !text::same_text(fields_[id].name, field)) {
        id = lookup(field);
        if (id == kNoField) return nullptr;
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

[[gnu::always_inline]] inline EventBuilder::Field* EventBuilder::target(std::string_view field, bool element) {
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

[[gnu::always_inline]] inline void EventBuilder::push_value(Field& f, const Scalar& s) {
    const size_t bytes = s.text_size + (s.kind == Scalar::Kind::string ? 2 : 0) + (f.values.empty() ? 0 : 1);
    f.json_values += bytes;
    json_values_ += bytes;
    f.values.push_back(s);
}

[[gnu::always_inline]] inline bool EventBuilder::text_fits(std::string_view field, size_t more) {
    if (text_.size() + raw_.size() + more + 1 <= UINT32_MAX) return true;
    return fail(field, "the event's values take more than 4 GiB");
}

[[gnu::always_inline]] inline bool EventBuilder::add(Field* f, const Scalar& value, std::string_view text) {
    if (!f || !text_fits(f->name, text.size())) return false;
    Scalar s = value;
    s.text_begin = static_cast<uint32_t>(text_.size());
    s.text_size = static_cast<uint32_t>(text.size());
    text_ += text;
    text_ += '"';
    push_value(*f, s);
    return true;
}

bool EventBuilder::add_string(std::string_view field, std::string_view value, bool element) {
    const Text form = classify(value);
    if (form == Text::invalid) return fail(field, "the string value is not UTF-8");
    Field* f = target(field, element);
    if (!f) return false;
    Scalar s;
    s.kind = Scalar::Kind::string;
    if (form == Text::plain) return add(f, s, value);  // most values: the bytes are the JSON text
    // Its JSON form in text_ (for the JSON and the prefilter), its own bytes in raw_ (for the engine).
    const size_t text_begin = text_.size();
    append_escaped(text_, value);
    if (!text_fits(field, value.size())) {  // with the escaped form already in text_
        text_.resize(text_begin);
        return false;
    }
    s.escaped = true;
    s.raw_begin = static_cast<uint32_t>(raw_.size());
    s.raw_size = static_cast<uint32_t>(value.size());
    raw_ += value;
    s.text_begin = static_cast<uint32_t>(text_begin);
    s.text_size = static_cast<uint32_t>(text_.size() - text_begin);
    text_ += '"';
    push_value(*f, s);
    return true;
}

// Numbers: the JSON text is also the number's text for keyword fields, as a JSON reader would hand it over.
bool EventBuilder::add_number(std::string_view field, Scalar value, bool element) {
    char buf[40];
    char* end = buf;
    switch (value.kind) {
        case Scalar::Kind::integer: end = std::to_chars(buf, buf + sizeof buf, value.integer).ptr; break;
        case Scalar::Kind::unsigned_integer:
            end = std::to_chars(buf, buf + sizeof buf, value.unsigned_integer).ptr;
            break;
        default: {
            if (!std::isfinite(value.floating))
                return fail(field, "a number must be finite (JSON has no NaN or infinity)");
            end = std::to_chars(buf, buf + sizeof buf - 2, value.floating).ptr;
            // Kept a floating-point number in JSON (1.0 stays "1.0", not the integer "1"): a dynamic field keeps
            // the JSON type.
            if (std::string_view(buf, static_cast<size_t>(end - buf)).find_first_of(".e") == std::string_view::npos) {
                *end++ = '.';
                *end++ = '0';
            }
        }
    }
    const std::string_view text(buf, static_cast<size_t>(end - buf));
    return add(target(field, element), value, text);
}

bool EventBuilder::set(std::string_view field, std::string_view value) { return add_string(field, value, false); }
bool EventBuilder::append(std::string_view field, std::string_view value) { return add_string(field, value, true); }

namespace {

template <typename Scalar>
Scalar boolean(bool b) {
    Scalar s;
    s.kind = Scalar::Kind::boolean;
    s.boolean = b;
    return s;
}

}  // namespace

bool EventBuilder::set_bool(std::string_view field, bool value) {
    return add(target(field, false), boolean<Scalar>(value), value ? "true" : "false");
}
bool EventBuilder::append_bool(std::string_view field, bool value) {
    return add(target(field, true), boolean<Scalar>(value), value ? "true" : "false");
}
bool EventBuilder::set_null(std::string_view field) { return add(target(field, false), Scalar{}, "null"); }
bool EventBuilder::append_null(std::string_view field) { return add(target(field, true), Scalar{}, "null"); }

bool EventBuilder::set_int(std::string_view field, int64_t value) {
    Scalar s;
    s.kind = Scalar::Kind::integer;
    s.integer = value;
    return add_number(field, s, false);
}
bool EventBuilder::append_int(std::string_view field, int64_t value) {
    Scalar s;
    s.kind = Scalar::Kind::integer;
    s.integer = value;
    return add_number(field, s, true);
}
bool EventBuilder::set_uint(std::string_view field, uint64_t value) {
    if (value <= static_cast<uint64_t>(INT64_MAX)) return set_int(field, static_cast<int64_t>(value));
    Scalar s;
    s.kind = Scalar::Kind::unsigned_integer;
    s.unsigned_integer = value;
    return add_number(field, s, false);
}
bool EventBuilder::append_uint(std::string_view field, uint64_t value) {
    if (value <= static_cast<uint64_t>(INT64_MAX)) return append_int(field, static_cast<int64_t>(value));
    Scalar s;
    s.kind = Scalar::Kind::unsigned_integer;
    s.unsigned_integer = value;
    return add_number(field, s, true);
}
bool EventBuilder::set_double(std::string_view field, double value) {
    Scalar s;
    s.kind = Scalar::Kind::floating;
    s.floating = value;
    return add_number(field, s, false);
}
bool EventBuilder::append_double(std::string_view field, double value) {
    Scalar s;
    s.kind = Scalar::Kind::floating;
    s.floating = value;
    return add_number(field, s, true);
}

bool EventBuilder::set_empty_array(std::string_view field) {
    Field* f = find_or_add(field);
    if (!f) return false;
    reset_values(*f, true);
    return true;
}

bool EventBuilder::set_time(std::string_view field, int64_t nanos) {
    char buf[input::kMaxIso8601Length];
    const size_t n = input::format_iso8601(nanos, buf);
    return set(field, std::string_view(buf, n));
}

void EventBuilder::clear() {
    if (fields_.size() > kRememberedFields) {
        fields_.clear();
        index_.clear();
        first_ = kNoField;
    }
    order_.clear();
    ++stamp_;
    text_.clear();
    raw_.clear();
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
            const std::string_view text(text_.data() + v.text_begin, v.text_size);
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
