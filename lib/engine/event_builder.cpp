// EventBuilder: fields set one by one, written as one JSON object with dotted keys, which the projection reader
// reads exactly as it reads nested objects (input/projection.hpp). Writing JSON text keeps one reading path for
// every way events arrive, so a built event matches as the same event given as JSON does.
#include "eqlc/event_builder.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>

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

// True when the 8 bytes at p are all ASCII.
bool ascii8(const char* p) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    return (word & 0x8080808080808080ULL) == 0;
}

bool valid_utf8(std::string_view text) {
    size_t i = 0;
    // Most values are ASCII: eight bytes at a time until the first byte that is not.
    while (i + 8 <= text.size() && ascii8(text.data() + i)) i += 8;
    while (i < text.size()) {
        const size_t n = utf8_sequence(text, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// Appends `text` (valid UTF-8) as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    size_t run = 0;  // start of the bytes not yet copied
    // Eight bytes at a time while none needs escaping (no control character, quote or backslash), which is most of
    // most values; then byte by byte.
    size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        uint64_t word;
        std::memcpy(&word, text.data() + i, sizeof word);
        constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
        const uint64_t control = (word - kOnes * 0x20) & ~word & kHigh;  // a byte below 0x20 (ASCII bytes only)
        const uint64_t quote = word ^ (kOnes * '"'), backslash = word ^ (kOnes * '\\');
        const uint64_t special = ((quote - kOnes) & ~quote & kHigh) | ((backslash - kOnes) & ~backslash & kHigh);
        if (control | special) break;
    }
    for (; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text.data() + run, i - run);
        run = i + 1;
        out += '\\';
        switch (c) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '\n': out += 'n'; break;
            case '\r': out += 'r'; break;
            case '\t': out += 't'; break;
            case '\b': out += 'b'; break;
            case '\f': out += 'f'; break;
            default:
                out += "u00";
                out += kHex[c >> 4];
                out += kHex[c & 0xF];
        }
    }
    out.append(text.data() + run, text.size() - run);
    out += '"';
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

// Fields are found through an open-addressing table of their indexes (kept at most half full), so that an event of
// many fields is built in linear time; clear() empties it without giving back its memory.
EventBuilder::Field* EventBuilder::find_or_add(std::string_view field) {
    const size_t hash = std::hash<std::string_view>{}(field);
    if (index_.size() < 2 * (used_ + 1)) {
        index_.assign(std::max<size_t>(64, 2 * index_.size()), 0);
        for (size_t i = 0; i < used_; ++i) {
            size_t at = fields_[i].hash & (index_.size() - 1);
            while (index_[at]) at = (at + 1) & (index_.size() - 1);
            index_[at] = static_cast<uint32_t>(i + 1);
        }
    }
    const size_t mask = index_.size() - 1;
    size_t at = hash & mask;
    for (; index_[at]; at = (at + 1) & mask) {
        Field& f = fields_[index_[at] - 1];
        if (f.hash == hash && f.name == field) return &f;
    }
    // Events of one source mostly have the same fields in the same order: a slot that held this name in an earlier
    // event keeps it, already checked and written as a JSON key.
    if (used_ == fields_.size()) fields_.emplace_back();
    Field& f = fields_[used_];
    if (f.hash != hash || f.name != field) {
        if (const auto problem = name_problem(field); !problem.empty()) {
            fail(field, problem);
            return nullptr;
        }
        f.name.assign(field);
        f.hash = hash;
        f.key.clear();
        append_json_string(f.key, field);
    }
    ++used_;
    index_[at] = static_cast<uint32_t>(used_);
    f.value.clear();
    f.values.clear();
    f.array = false;
    return &f;
}

EventBuilder::Field* EventBuilder::target(std::string_view field, bool element) {
    Field* f = find_or_add(field);
    if (!f) return nullptr;
    if (!element || !f->array) {
        f->value.clear();
        f->values.clear();
        f->array = element;
    } else if (!f->values.empty()) {
        f->value += ',';
    }
    return f;
}

bool EventBuilder::add(Field* f, Scalar value, std::string_view json, std::string_view text) {
    if (!f) return false;
    f->value += json;
    value.text_begin = text_.size();
    value.text_size = text.size();
    text_ += text;
    f->values.push_back(value);
    return true;
}

bool EventBuilder::add_string(std::string_view field, std::string_view value, bool element) {
    if (!valid_utf8(value)) return fail(field, "the string value is not UTF-8");
    Field* f = target(field, element);
    if (!f) return false;
    append_json_string(f->value, value);
    Scalar s;
    s.kind = Scalar::Kind::string;
    return add(f, s, {}, value);
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
    return add(target(field, element), value, text, text);
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
    return add(target(field, false), boolean<Scalar>(value), value ? "true" : "false", {});
}
bool EventBuilder::append_bool(std::string_view field, bool value) {
    return add(target(field, true), boolean<Scalar>(value), value ? "true" : "false", {});
}
bool EventBuilder::set_null(std::string_view field) { return add(target(field, false), Scalar{}, "null", {}); }
bool EventBuilder::append_null(std::string_view field) { return add(target(field, true), Scalar{}, "null", {}); }

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
    f->value.clear();
    f->values.clear();
    f->array = true;
    return true;
}

bool EventBuilder::set_time(std::string_view field, int64_t nanos) {
    char buf[input::kMaxIso8601Length];
    const size_t n = input::format_iso8601(nanos, buf);
    return set(field, std::string_view(buf, n));
}

void EventBuilder::clear() {
    used_ = 0;
    std::fill(index_.begin(), index_.end(), 0);
    text_.clear();
    error_.clear();
}

void EventBuilder::write_json(std::string& out) const {
    out += '{';
    for (size_t i = 0; i < used_; ++i) {
        const Field& f = fields_[i];
        if (i) out += ',';
        out += f.key;
        out += ':';
        if (f.array) out += '[';
        out += f.value;
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
