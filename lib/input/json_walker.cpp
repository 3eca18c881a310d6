// The walk of one line's JSON object along the projection plan's paths (json_walker.hpp): keys looked up in the
// plan's trie in place, strings viewed in place when they have no escapes, numbers read as Java would.
#include "input/json_walker.hpp"

#include <cstdint>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "values/number_format.hpp"

namespace eqlc::input {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using NodeId = ProjectionPlan::NodeId;

// ---- JSON helpers --------------------------------------------------------------------------------------------

// JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s, bool& integral) {
    size_t i = 0;
    integral = true;
    if (i < s.size() && s[i] == '-') ++i;
    if (i == s.size()) return false;
    if (s[i] == '0') {
        ++i;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    } else {
        return false;
    }
    if (i < s.size() && s[i] == '.') {
        integral = false;
        const size_t start = ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == start) return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        integral = false;
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        const size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == start) return false;
    }
    return i == s.size();
}

std::string_view trim_right(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// The scans below read the text of a line in place, 16 bytes at a time where SSE2 is there. They stop at a byte
// that stage 1 has already found in the line (a string's closing quote), so they read at most 15 bytes past
// it: within the line or the SIMDJSON_PADDING bytes that follow every line in the reader's buffer.

// Where a string's text ends: at its closing quote, or at its first backslash (`escaped`).
struct StringEnd {
    const char* end;
    bool escaped;
};

// Scans from `p`, inside a JSON string (after the opening quote), for the first '"' or '\\'.
inline StringEnd find_string_end(const char* p) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (true) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const auto quotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, quote)));
        const auto backslashes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, backslash)));
        if ((quotes | backslashes) != 0) {
            const auto at = static_cast<unsigned>(__builtin_ctz(quotes | backslashes));
            return {p + at, ((backslashes >> at) & 1) != 0};
        }
        p += 16;
    }
#else
    while (*p != '"' && *p != '\\') ++p;
    return {p, *p == '\\'};
#endif
}

// A key's raw text: where it ends (its closing quote or first backslash, `escaped`) and whether a '.' comes
// before that.
struct KeyScan {
    const char* end;
    bool escaped;
    bool dotted;
};

inline KeyScan scan_key(const char* p) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i dot = _mm_set1_epi8('.');
    bool dotted = false;
    while (true) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const auto quotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, quote)));
        const auto backslashes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, backslash)));
        const auto dots = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, dot)));
        if ((quotes | backslashes) != 0) {
            const auto at = static_cast<unsigned>(__builtin_ctz(quotes | backslashes));
            dotted |= (dots & ((1u << at) - 1)) != 0;
            return {p + at, ((backslashes >> at) & 1) != 0, dotted};
        }
        dotted |= dots != 0;
        p += 16;
    }
#else
    bool dotted = false;
    while (*p != '"' && *p != '\\') {
        dotted |= *p == '.';
        ++p;
    }
    return {p, *p == '\\', dotted};
#endif
}

#if defined(__SSE2__) && defined(__x86_64__)
// 16 bytes of 0xFF then 16 zero bytes: the 16 bytes from kWindow + 16 - n keep the first n bytes of a block.
alignas(16) constexpr unsigned char kWindow[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                   0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

// The first min(size, 16) bytes at `p` as the two words ProjectionPlan::child_words takes (little-endian, as
// memcpy would load them), the rest zero. 16 bytes from `p` must be readable.
inline void first_words(const char* p, size_t size, uint64_t& head, uint64_t& tail) {
    const __m128i keep = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kWindow + 16 - (size < 16 ? size : 16)));
    const __m128i bytes = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), keep);
    head = static_cast<uint64_t>(_mm_cvtsi128_si64(bytes));
    tail = static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(bytes, bytes)));
}
#endif

// Walks one document with the plan, feeding a RecordBuilder.
//
// simdjson hands out fields, values, objects and arrays as small iterator structs. They are used in place
// (value_unsafe() on a result already checked) rather than moved into locals with get(): GCC copies such a move
// through the stack with stores and loads of different widths, which stalled store forwarding once per key.
class Walker {
public:
    Walker(const ProjectionPlan& plan, RecordBuilder& builder, bool validate)
        : plan_(plan), builder_(builder), validate_(validate) {}

    // The walk descends into objects and arrays only along referenced paths, recursively: `depth_` counts the
    // levels (the root object is 1) and a level past kMaxJsonDepth fails the line with DEPTH_ERROR, so that a
    // hostile event ({"a":[[[[...]]]]} 40,000 deep) cannot exhaust the stack. Members nobody reads are skipped
    // by simdjson without recursion, whatever their depth. Each Walker walks one line, so an error path needs
    // not restore the count.
    error_code object(od::object& obj, NodeId node) {
        if (++depth_ > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
        if (auto e = members(obj, node)) return e;
        --depth_;
        return simdjson::SUCCESS;
    }

    // A full check of a value nobody reads (the `validate` option).
    error_code check(od::value& v) {
        od::json_type type;
        if (auto e = v.type().get(type)) return e;
        if (type != od::json_type::object && type != od::json_type::array) {
            JsonScalar ignored;
            return scalar(v, *v.raw_json_token().data(), ignored);
        }
        if (++depth_ > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
        if (auto e = check_container(v, type)) return e;
        --depth_;
        return simdjson::SUCCESS;
    }

private:
    error_code members(od::object& obj, NodeId node) {
        for (auto member : obj) {
            if (member.error()) return member.error();
            od::field& field = member.value_unsafe();
            NodeId target;
            if (auto e = lookup(field, node, target)) return e;
            if (target != ProjectionPlan::kNoNode) {
                if (auto e = value(field.value(), target)) return e;
            } else if (validate_) {
                if (auto e = check(field.value())) return e;
            }
        }
        return simdjson::SUCCESS;
    }

    error_code check_container(od::value& v, od::json_type type) {
        switch (type) {
            case od::json_type::object: {
                auto obj = v.get_object();
                if (obj.error()) return obj.error();
                for (auto member : obj.value_unsafe()) {
                    if (member.error()) return member.error();
                    od::field& field = member.value_unsafe();
                    std::string_view key;
                    if (auto e = field.unescaped_key().get(key)) return e;
                    if (auto e = check(field.value())) return e;
                }
                return simdjson::SUCCESS;
            }
            case od::json_type::array: {
                auto arr = v.get_array();
                if (arr.error()) return arr.error();
                for (auto element : arr.value_unsafe()) {
                    if (element.error()) return element.error();
                    if (auto e = check(element.value_unsafe())) return e;
                }
                return simdjson::SUCCESS;
            }
            default: return simdjson::SUCCESS;
        }
    }

    // Where `field`'s key leads from `node`. A key without escapes is matched in place, and one without dots
    // (nearly all of them) in a single trie step; the scan that finds the key's end finds both.
    error_code lookup(od::field& field, NodeId node, NodeId& target) const {
        const char* raw = field.key().raw();
#if defined(__SSE2__) && defined(__x86_64__)
        // Keys are nearly always written "key": with the value right after the colon, so the key's size is where its
        // value starts, less 2. That size is known before the key's bytes are, so the lookup with it does not wait
        // for the scan below; the scan then confirms it (and that there is no dot or escape), or the lookup is done
        // again with the size the scan found. The key and its value are inside the line, followed by the padding:
        // 16 bytes from the key are readable.
        const auto guess = static_cast<size_t>(field.value().raw_json_token().data() - raw - 2);
        uint64_t head;
        uint64_t tail;
        first_words(raw, guess, head, tail);
        const NodeId guessed = plan_.child_words(node, raw, guess, head, tail);
        const KeyScan scan = scan_key(raw);
        if (scan.end == raw + guess && !scan.escaped && !scan.dotted) {
            target = guessed;
            return simdjson::SUCCESS;
        }
#else
        // The key was validated by simdjson's first stage, so its closing quote is there.
        const KeyScan scan = scan_key(raw);
#endif
        std::string_view key;
        if (!scan.escaped) {
            key = std::string_view(raw, static_cast<size_t>(scan.end - raw));
            // The key is inside the line, so the padding after the line makes 16 bytes from it readable.
            target = scan.dotted ? plan_.descend(node, key) : plan_.child_padded(node, raw, key.size());
            return simdjson::SUCCESS;
        }
        if (auto e = field.unescaped_key().get(key)) return e;
        target = plan_.descend(node, key);
        return simdjson::SUCCESS;
    }

    // Whether `c` can start a scalar (what simdjson's type() accepts besides '{', '[' and '"').
    static bool starts_atom_or_number(char c) {
        return c == 'n' || c == 't' || c == 'f' || c == '-' || (c >= '0' && c <= '9');
    }

    error_code value(od::value& v, NodeId node) {
        // The first byte says the type (simdjson's type() looks at nothing else).
        const char* start = v.raw_json_token().data();
        const vm::SlotId slot = plan_.slot(node);
        switch (*start) {
            case '"': {
                if (slot == ProjectionPlan::kNoSlot) return validate_ ? check(v) : simdjson::SUCCESS;
                std::string_view text;
                if (auto e = string(v, start, text)) return e;
                builder_.add_string(slot, text, false);
                return simdjson::SUCCESS;
            }
            case '{': {
                if (!plan_.has_children(node)) return validate_ ? check(v) : simdjson::SUCCESS;
                auto obj = v.get_object();
                if (obj.error()) return obj.error();
                return object(obj.value_unsafe(), node);
            }
            case '[': {
                auto arr = v.get_array();
                if (arr.error()) return arr.error();
                bool saw_object = false;
                if (auto e = array(arr.value_unsafe(), node, saw_object)) return e;
                if (slot != ProjectionPlan::kNoSlot && !saw_object) builder_.mark_present(slot);
                return simdjson::SUCCESS;
            }
            default: {
                if (!starts_atom_or_number(*start)) return simdjson::TAPE_ERROR;
                if (slot == ProjectionPlan::kNoSlot) return validate_ ? check(v) : simdjson::SUCCESS;
                JsonScalar s;
                if (auto e = scalar(v, *start, s)) return e;
                builder_.add(slot, s, false);
                return simdjson::SUCCESS;
            }
        }
    }

    error_code array(od::array& arr, NodeId node, bool& saw_object) {
        if (++depth_ > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
        if (auto e = elements(arr, node, saw_object)) return e;
        --depth_;
        return simdjson::SUCCESS;
    }

    error_code elements(od::array& arr, NodeId node, bool& saw_object) {
        const vm::SlotId slot = plan_.slot(node);
        for (auto element : arr) {
            if (element.error()) return element.error();
            od::value& item = element.value_unsafe();
            const char* start = item.raw_json_token().data();
            switch (*start) {
                case '{': {
                    saw_object = true;
                    if (!plan_.has_children(node)) {
                        if (validate_) {
                            if (auto e = check(item)) return e;
                        }
                        continue;
                    }
                    auto obj = item.get_object();
                    if (obj.error()) return obj.error();
                    if (auto e = object(obj.value_unsafe(), node)) return e;
                    continue;
                }
                case '[': {
                    auto inner = item.get_array();
                    if (inner.error()) return inner.error();
                    if (auto e = array(inner.value_unsafe(), node, saw_object)) return e;
                    continue;
                }
                case '"': {
                    if (slot != ProjectionPlan::kNoSlot) {
                        std::string_view text;
                        if (auto e = string(item, start, text)) return e;
                        builder_.add_string(slot, text, true);
                    } else if (validate_) {
                        if (auto e = check(item)) return e;
                    }
                    continue;
                }
                default: {
                    if (!starts_atom_or_number(*start)) return simdjson::TAPE_ERROR;
                    if (slot != ProjectionPlan::kNoSlot) {
                        JsonScalar s;
                        if (auto e = scalar(item, *start, s)) return e;
                        builder_.add(slot, s, true);
                    } else if (validate_) {
                        if (auto e = check(item)) return e;
                    }
                    continue;
                }
            }
        }
        return simdjson::SUCCESS;
    }

    // A string value's text; `start` is its opening quote. Without a backslash, the text is the bytes up to the
    // next quote (stage 1 checked their UTF-8): view it in place rather than having simdjson copy it. With one,
    // simdjson unescapes it.
    static error_code string(od::value& v, const char* start, std::string_view& out) {
        const StringEnd end = find_string_end(start + 1);
        if (!end.escaped) {
            out = std::string_view(start + 1, static_cast<size_t>(end.end - start - 1));
            return simdjson::SUCCESS;
        }
        return v.get_string().get(out);
    }

    // A scalar whose first byte is `first`.
    static error_code scalar(od::value& v, char first, JsonScalar& out) {
        switch (first) {
            case '"': {
                std::string_view text;
                if (auto e = string(v, v.raw_json_token().data(), text)) return e;
                out = JsonScalar::of_string(text);
                return simdjson::SUCCESS;
            }
            case 't':
            case 'f': {
                bool b = false;
                if (auto e = v.get_bool().get(b)) return e;
                out = JsonScalar::of_bool(b);
                return simdjson::SUCCESS;
            }
            case 'n': {
                bool is_null = false;
                if (auto e = v.is_null().get(is_null)) return e;
                if (!is_null) return simdjson::N_ATOM_ERROR;
                out = JsonScalar::null();
                return simdjson::SUCCESS;
            }
            case '-':
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
            case '8':
            case '9': return number(v, out);
            case '{':
            case '[': return simdjson::INCORRECT_TYPE;
            default: return simdjson::TAPE_ERROR;
        }
    }

    static error_code number(od::value& v, JsonScalar& out) {
        const std::string_view token = trim_right(v.raw_json_token());
        if (token.find_first_of(".eE") != std::string_view::npos) {
            // A fraction or an exponent: parsed here, to the nearest double (Java's Double.parseDouble, which is
            // what Jackson gives Elasticsearch), rather than by simdjson: its get_number() (3.0.1, Debian 12's)
            // reads a number with 19 or more significant digits and a fraction or exponent as 0
            // (3.141592653589793238 -> 0). Beyond the double range it is +/-Infinity, as in Java.
            bool integral = false;
            if (!is_json_number(token, integral)) return simdjson::NUMBER_ERROR;
            const auto d = vm::java_parse_double(token);
            if (!d) return simdjson::NUMBER_ERROR;
            out = JsonScalar::of_double(*d, token);
            return simdjson::SUCCESS;
        }
        od::number n;
        if (v.get_number().get(n) == simdjson::SUCCESS) {
            switch (n.get_number_type()) {
                case od::number_type::signed_integer: out = JsonScalar::of_int(n.get_int64(), token); break;
                case od::number_type::unsigned_integer: out = JsonScalar::of_uint(n.get_uint64(), token); break;
                case od::number_type::floating_point_number: out = JsonScalar::of_double(n.get_double(), token); break;
            }
            return simdjson::SUCCESS;
        }
        // simdjson refuses integers beyond 64 bits and doubles beyond the double range; JSON allows both, and
        // Jackson reads them as BigInteger / Infinity. Coercion decides what becomes of them.
        bool integral = false;
        if (!is_json_number(token, integral)) return simdjson::NUMBER_ERROR;
        const auto d = vm::java_parse_double(token);
        if (!d) return simdjson::NUMBER_ERROR;
        out = integral ? JsonScalar::of_big_integer(*d, token) : JsonScalar::of_double(*d, token);
        return simdjson::SUCCESS;
    }

    const ProjectionPlan& plan_;
    RecordBuilder& builder_;
    bool validate_;
    uint32_t depth_ = 0;  // objects and arrays entered and not left
};

}  // namespace

error_code walk_object(const ProjectionPlan& plan, RecordBuilder& builder, bool validate, od::object& root) {
    return Walker(plan, builder, validate).object(root, ProjectionPlan::kRoot);
}

}  // namespace eqlc::input
