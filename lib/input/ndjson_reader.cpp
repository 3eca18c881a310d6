#include "input/ndjson_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "values/number_format.hpp"

namespace eqlc::input {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using NodeId = ProjectionPlan::NodeId;

Diagnostic input_error(std::string message) {
    Diagnostic d;
    d.phase = Phase::input;
    d.severity = Severity::error;
    d.message = std::move(message);
    return d;
}

// ---- Byte sources --------------------------------------------------------------------------------------------

// Raw bytes. read() returns the number of bytes read, 0 at the end; false on error (with `error` set).
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual bool read(char* dst, size_t capacity, size_t& got, std::string& error) = 0;
};

class FdSource final : public ByteSource {
public:
    FdSource(int fd, bool owned) : fd_(fd), owned_(owned) {}
    ~FdSource() override {
        if (owned_) ::close(fd_);
    }
    bool read(char* dst, size_t capacity, size_t& got, std::string& error) override {
        while (true) {
            const ssize_t n = ::read(fd_, dst, capacity);
            if (n >= 0) {
                got = static_cast<size_t>(n);
                return true;
            }
            if (errno == EINTR) continue;
            error = std::strerror(errno);
            return false;
        }
    }

private:
    int fd_;
    bool owned_;
};

class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::string data) : data_(std::move(data)) {}
    bool read(char* dst, size_t capacity, size_t& got, std::string&) override {
        got = std::min(capacity, data_.size() - pos_);
        std::memcpy(dst, data_.data() + pos_, got);
        pos_ += got;
        return true;
    }

private:
    std::string data_;
    size_t pos_ = 0;
};

// The NDJSON text: the raw bytes, or their gzip decompression. Decided by the first two bytes (1f 8b).
class TextSource {
public:
    explicit TextSource(std::unique_ptr<ByteSource> raw) : raw_(std::move(raw)) {}
    ~TextSource() {
        if (gzip_) inflateEnd(&zs_);
    }
    TextSource(const TextSource&) = delete;
    TextSource& operator=(const TextSource&) = delete;

    bool is_gzip() const { return gzip_; }
    uint64_t raw_bytes() const { return raw_bytes_; }
    void never_gzip() { detect_gzip_ = false; }

    // Reads decoded text; got == 0 at the end. False on error.
    bool read(char* dst, size_t capacity, size_t& got, std::string& error) {
        got = 0;
        if (!started_ && !start(error)) return false;
        if (!gzip_) {
            if (in_pos_ < in_end_) {  // the bytes read to detect the format
                got = std::min(capacity, in_end_ - in_pos_);
                std::memcpy(dst, in_.data() + in_pos_, got);
                in_pos_ += got;
                return true;
            }
            if (!raw_->read(dst, capacity, got, error)) return false;
            raw_bytes_ += got;
            return true;
        }
        return inflate_into(dst, capacity, got, error);
    }

private:
    static constexpr size_t kInputBufferSize = NdjsonText::kDetectBytes;

    bool fill(std::string& error) {
        size_t got = 0;
        if (!raw_->read(in_.data(), in_.size(), got, error)) return false;
        raw_bytes_ += got;
        in_pos_ = 0;
        in_end_ = got;
        raw_eof_ = got == 0;
        return true;
    }

    bool start(std::string& error) {
        started_ = true;
        in_.resize(kInputBufferSize);
        // Read until two bytes are there (a pipe may deliver one at a time) or the input ends.
        while (in_end_ < 2) {
            size_t got = 0;
            if (!raw_->read(in_.data() + in_end_, in_.size() - in_end_, got, error)) return false;
            if (got == 0) break;
            raw_bytes_ += got;
            in_end_ += got;
        }
        gzip_ = detect_gzip_ && in_end_ >= 2 && static_cast<unsigned char>(in_[0]) == 0x1f &&
                static_cast<unsigned char>(in_[1]) == 0x8b;
        if (gzip_) {
            std::memset(&zs_, 0, sizeof zs_);
            if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
                gzip_ = false;
                error = "cannot initialise zlib";
                return false;
            }
        }
        return true;
    }

    bool inflate_into(char* dst, size_t capacity, size_t& got, std::string& error) {
        zs_.next_out = reinterpret_cast<Bytef*>(dst);
        zs_.avail_out = static_cast<uInt>(std::min<size_t>(capacity, std::numeric_limits<uInt>::max()));
        const uInt wanted = zs_.avail_out;
        while (zs_.avail_out == wanted) {
            if (in_pos_ == in_end_) {
                if (!raw_eof_ && !fill(error)) return false;
                if (in_pos_ == in_end_) {
                    if (member_ended_) break;  // a clean end after a complete gzip member
                    error = "unexpected end of gzip data (truncated file?)";
                    return false;
                }
            }
            if (member_ended_) {
                // Another member follows (concatenated .gz files): start over.
                inflateReset(&zs_);
                member_ended_ = false;
            }
            zs_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
            zs_.avail_in = static_cast<uInt>(in_end_ - in_pos_);
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            in_pos_ = in_end_ - zs_.avail_in;
            if (rc == Z_STREAM_END) {
                member_ended_ = true;
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                error = std::string("corrupt gzip data: ") + (zs_.msg != nullptr ? zs_.msg : zError(rc));
                return false;
            }
        }
        got = wanted - zs_.avail_out;
        return true;
    }

    std::unique_ptr<ByteSource> raw_;
    std::vector<char> in_;  // raw bytes: the detection prefix, then compressed input
    size_t in_pos_ = 0;
    size_t in_end_ = 0;
    bool started_ = false;
    bool gzip_ = false;
    bool raw_eof_ = false;
    bool member_ended_ = false;
    bool detect_gzip_ = true;
    uint64_t raw_bytes_ = 0;
    z_stream zs_{};
};

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

const char* json_type_name(od::json_type type) {
    switch (type) {
        case od::json_type::array: return "an array";
        case od::json_type::object: return "an object";
        case od::json_type::number: return "a number";
        case od::json_type::string: return "a string";
        case od::json_type::boolean: return "a boolean";
        case od::json_type::null: return "null";
    }
    return "a value";
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

constexpr size_t kExcerptBytes = 200;

std::string describe(error_code e) {
    switch (e) {
        case simdjson::INCORRECT_TYPE:  // a value that starts like an atom but is not one
        case simdjson::T_ATOM_ERROR:
        case simdjson::F_ATOM_ERROR:
        case simdjson::N_ATOM_ERROR: return "invalid JSON: not a JSON value";
        case simdjson::NUMBER_ERROR: return "invalid JSON: malformed number";
        case simdjson::DEPTH_ERROR:
            return "objects and arrays nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
        default: {
            std::string message = std::string("invalid JSON: ") + simdjson::error_message(e);
            if (!message.empty() && message.back() == '.') message.pop_back();
            return message;
        }
    }
}

// The check of a line the line filter skips: valid UTF-8, and '{' ... '}' around it. Cheap (the UTF-8 check runs
// at several GB/s), and it catches what damages NDJSON files in practice: truncated lines and binary garbage.
bool looks_like_object(std::string_view line) {
    const size_t first = line.find_first_not_of(" \t");
    const size_t last = line.find_last_not_of(" \t\r");
    return first != std::string_view::npos && line[first] == '{' && line[last] == '}' &&
           simdjson::validate_utf8(line.data(), line.size());
}

// simdjson refuses a root object whose brackets do not balance by the end of the line with one message for two
// different mistakes. On that (rare) path, scan the line to say which: where the object closes early (content
// follows it), or that it never closes (a truncated line). Returns the 1-based column of the trailing content,
// or 0 when the object is not closed.
size_t trailing_content_column(std::string_view line, bool* closed = nullptr) {
    if (closed) *closed = false;
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) {
                if (closed) *closed = true;
                const size_t rest = line.find_first_not_of(" \t\r", i + 1);
                return rest == std::string_view::npos ? 0 : rest + 1;
            }
        }
    }
    return 0;
}

// The failure of a source that cannot be read further.
Diagnostic read_error(const std::string& name, const std::string& error) {
    return input_error("cannot read '" + name + "': " + error);
}

// Opens `path` ("-" is stdin) as NdjsonReader::open does: null with `error` set when it cannot.
std::unique_ptr<ByteSource> open_source(const std::string& path, std::string& name, Diagnostic& error) {
    if (path == "-") {
        name = "<stdin>";
        return std::make_unique<FdSource>(STDIN_FILENO, false);
    }
    name = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = input_error("cannot open '" + path + "': " + std::strerror(errno));
        return nullptr;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        error = read_error(path, std::strerror(EISDIR));
        return nullptr;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    return std::make_unique<FdSource>(fd, true);
}

// The reader's text buffer: owned, or the caller's memory (from_view).
struct BufferDelete {
    bool owned = true;
    BufferDelete() = default;
    explicit BufferDelete(bool owns) : owned(owns) {}
    BufferDelete(std::default_delete<char[]>) {}  // NOLINT: lets make_unique<char[]> results convert
    void operator()(char* p) const {
        if (owned) delete[] p;
    }
};

}  // namespace

// ---- NdjsonReader --------------------------------------------------------------------------------------------

struct NdjsonReader::Impl {
    Impl(std::unique_ptr<ByteSource> raw, std::string name_, const ProjectionPlan& plan_, const ReaderOptions& opts)
        : source(std::move(raw)), name(std::move(name_)), plan(plan_), options(opts) {
        options.chunk_size = std::max<size_t>(options.chunk_size, 1);
        options.max_line_bytes = std::max<size_t>(options.max_line_bytes, 1);
        capacity = std::min(options.chunk_size, std::max<size_t>(options.max_line_bytes, 1));
        buffer = std::make_unique<char[]>(capacity + simdjson::SIMDJSON_PADDING);  // zeroed
        if (options.line_filter && !options.validate) scanner = std::make_unique<LineScanner>(*options.line_filter);
        line_number = options.first_line - 1;
        if (!options.detect_gzip) source.never_gzip();
    }

    // A reader over the caller's text: the whole input is in the buffer, nothing is left to read.
    struct View {};
    Impl(View, std::string_view text, std::string name_, const ProjectionPlan& plan_, const ReaderOptions& opts)
        : source(std::make_unique<MemorySource>(std::string())), name(std::move(name_)), plan(plan_), options(opts) {
        // Never written: refill() is not called once `eof` is set.
        buffer = std::unique_ptr<char[], BufferDelete>(const_cast<char*>(text.data()), BufferDelete(false));
        capacity = end = text.size();
        eof = true;
        stats.bytes = stats.input_bytes = text.size();
        line_number = options.first_line - 1;
        if (options.line_filter && !options.validate) scanner = std::make_unique<LineScanner>(*options.line_filter);
    }

    TextSource source;
    std::string name;
    const ProjectionPlan& plan;
    ReaderOptions options;

    // The text buffer: [begin, end) holds unread text; `scanned` is where the search for '\n' resumes.
    // SIMDJSON_PADDING readable bytes follow `capacity`, as simdjson requires after a document.
    std::unique_ptr<char[], BufferDelete> buffer;
    size_t capacity = 0;
    size_t begin = 0;
    size_t end = 0;
    size_t scanned = 0;
    bool eof = false;
    bool skipping = false;  // discarding the rest of a line that was too long

    od::parser parser;
    RecordBuilder builder;
    std::unique_ptr<LineScanner> scanner;  // with a line filter
    size_t scan_end = 0;                   // the scanned block of whole lines ends here (its last '\n' + 1)
    static constexpr uint64_t kFilterTrialLines = NdjsonReader::kFilterTrialLines;  // then a useless filter is dropped
    uint64_t filtered_lines = 0;
    uint64_t filter_candidates = 0;
    uint64_t line_number = 0;
    ReaderStats stats;
    std::vector<BadLine> errors;
    std::optional<Diagnostic> failure;

    bool next(vm::EventRecord& out);
    bool refill();
    bool candidate(size_t line_begin, size_t line_end, size_t block_end);
    bool process(std::string_view line, vm::EventRecord& out, bool wanted);
    void bad_line(uint64_t line, std::string_view text, std::string message, size_t column);
};

bool NdjsonReader::Impl::refill() {
    scan_end = 0;  // the text moves: scan again
    if (begin > 0) {
        std::memmove(buffer.get(), buffer.get() + begin, end - begin);
        end -= begin;
        scanned -= begin;
        begin = 0;
    }
    if (end == capacity) {
        if (capacity >= options.max_line_bytes) {
            // The line does not fit: report it, then drop bytes until its end.
            bad_line(line_number + 1, std::string_view(buffer.get(), end),
                     "line longer than " + std::to_string(options.max_line_bytes) + " bytes", 0);
            if (failure) return false;
            skipping = true;
            end = scanned = 0;
        } else {
            const size_t grown = std::min(std::max(capacity * 2, capacity + 1), options.max_line_bytes);
            auto bigger = std::make_unique<char[]>(grown + simdjson::SIMDJSON_PADDING);
            std::memcpy(bigger.get(), buffer.get(), end);
            buffer = std::move(bigger);
            capacity = grown;
        }
    }
    size_t got = 0;
    std::string error;
    if (!source.read(buffer.get() + end, capacity - end, got, error)) {
        failure = read_error(name, error);
        stats.input_bytes = source.raw_bytes();
        return false;
    }
    stats.input_bytes = source.raw_bytes();
    stats.bytes += got;
    if (got == 0) eof = true;
    end += got;
    return true;
}

bool NdjsonReader::Impl::next(vm::EventRecord& out) {
    while (!failure) {
        char* data = buffer.get();
        const void* newline = scanned < end ? std::memchr(data + scanned, '\n', end - scanned) : nullptr;
        if (newline != nullptr) {
            const size_t at = static_cast<size_t>(static_cast<const char*>(newline) - data);
            const std::string_view line(data + begin, at - begin);
            begin = scanned = at + 1;
            if (skipping) {
                skipping = false;
                ++line_number;
                ++stats.lines;
                continue;
            }
            if (process(line, out, candidate(at - line.size(), at, end))) return true;
            continue;
        }
        scanned = end;
        if (eof) {
            if (begin == end) return false;
            const std::string_view line(data + begin, end - begin);
            begin = scanned = end;
            if (skipping) {
                skipping = false;
                ++line_number;
                ++stats.lines;
                continue;
            }
            if (process(line, out, candidate(end - line.size(), end, end))) return true;
            continue;
        }
        if (skipping) begin = scanned = end;  // drop what has been read of the long line
        if (!refill()) return false;
    }
    return false;
}

// Whether the line [line_begin, line_end) of the buffer may match a query (always, without a line filter). The
// filter scans whole blocks: when the line is past the scanned one, every whole line from it to the last '\n'
// before `block_end` (or to block_end at the end of the input) is scanned at once.
bool NdjsonReader::Impl::candidate(size_t line_begin, size_t line_end, size_t block_end) {
    if (!scanner) return true;
    if (options.line_filter_trial && ++filtered_lines == kFilterTrialLines) {
        // When the rules' needles are in nearly every line, the filter only costs: stop using it.
        if (NdjsonReader::filter_is_useless(filtered_lines, filter_candidates)) {
            scanner.reset();
            stats.line_filter_dropped = true;
            return true;
        }
    }
    char* data = buffer.get();
    if (line_end >= scan_end) {
        size_t stop = block_end;
        if (line_end < block_end) {
            const void* last = memrchr(data + line_end, '\n', block_end - line_end);
            stop = static_cast<size_t>(static_cast<const char*>(last) - data) + 1;
        }
        scanner->scan(data + line_begin, stop - line_begin);
        scan_end = stop;
    }
    const bool wanted = scanner->may_match(data + line_begin, line_end - line_begin);
    filter_candidates += wanted;
    return wanted;
}

bool NdjsonReader::Impl::process(std::string_view line, vm::EventRecord& out, bool wanted) {
    ++line_number;
    ++stats.lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line.size() >= 3 && std::memcmp(line.data(), "\xEF\xBB\xBF", 3) == 0) {
        line.remove_prefix(3);
    }
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
        ++stats.blank_lines;
        return false;
    }
    if (!wanted && looks_like_object(line)) {
        // No query can match the line: it is not parsed. A line that fails this light check is parsed below, so
        // that it is reported exactly as it would be without the filter.
        ++stats.skipped_events;
        return false;
    }

    const char* limit = buffer.get() + capacity + simdjson::SIMDJSON_PADDING;
    const size_t padded = static_cast<size_t>(limit - line.data());
    od::document doc;
    error_code e = parser.iterate(line.data(), line.size(), padded).get(doc);
    const bool iterated = !e;  // the document may be inspected (it is not when stage 1 failed)
    od::object root;
    if (!e) e = doc.get_object().get(root);
    if (e == simdjson::INCORRECT_TYPE) {
        // type() only looks at the first character: believe it for strings, arrays and numbers, and for atoms only
        // when the whole line is the atom ("not json" starts like null).
        od::json_type type;
        if (doc.type().get(type) == simdjson::SUCCESS) {
            const size_t first = line.find_first_not_of(" \t");
            const std::string_view value = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
            const bool atom = type == od::json_type::null || type == od::json_type::boolean;
            const bool believable = !atom || value == "null" || value == "true" || value == "false";
            bad_line(line_number, line,
                     believable ? std::string("expected a JSON object, found ") + json_type_name(type)
                                : std::string("invalid JSON: not a JSON value"),
                     0);
            return false;
        }
    }
    if ((e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || e == simdjson::TAPE_ERROR) && iterated) {
        const size_t column = trailing_content_column(line);
        if (column != 0) {
            bad_line(line_number, line, "unexpected content after the JSON object", column);
        } else {
            bad_line(line_number, line, "invalid JSON: the object is not closed (truncated line?)", 0);
        }
        return false;
    }
    if (!e && wanted) {
        builder.begin(plan, out);
        e = Walker(plan, builder, options.validate).object(root, ProjectionPlan::kRoot);
    } else if (!e) {
        // No query can match the line: only check that the object closes (skipping over its members).
        std::string_view ignored;
        e = root.raw_json().get(ignored);
    }
    if (!e) {
        // After the object: nothing but whitespace may follow.
        const char* rest = nullptr;
        if (doc.current_location().get(rest) == simdjson::SUCCESS && rest != nullptr) {
            bad_line(line_number, line, "unexpected content after the JSON object",
                     static_cast<size_t>(rest - line.data()) + 1);
            return false;
        }
    }
    if (e) {
        size_t column = 0;
        const char* at = nullptr;
        if (iterated && doc.current_location().get(at) == simdjson::SUCCESS && at >= line.data() &&
            at <= line.data() + line.size()) {
            column = static_cast<size_t>(at - line.data()) + 1;
        }
        bool closed = true;
        if (e == simdjson::TAPE_ERROR || e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT)
            trailing_content_column(line, &closed);
        bad_line(line_number, line, closed ? describe(e) : "invalid JSON: the object is not closed (truncated line?)",
                 column);
        return false;
    }

    if (!wanted) {
        ++stats.skipped_events;
        return false;
    }
    builder.finish();
    out.ordinal = stats.events++;
    out.origin = name;
    out.line = line_number;
    if (options.keep_source) out.source = line;
    if (plan.timestamp_slot() && !out.has_timestamp) ++stats.events_without_timestamp;
    return true;
}

void NdjsonReader::Impl::bad_line(uint64_t line, std::string_view text, std::string message, size_t column) {
    ++stats.bad_lines;
    BadLine bad;
    bad.origin = name;
    bad.line = line;
    bad.diagnostic = input_error(std::move(message));
    const auto line32 = static_cast<uint32_t>(std::min<uint64_t>(line, std::numeric_limits<uint32_t>::max()));
    const auto column32 = static_cast<uint32_t>(std::min<size_t>(std::max<size_t>(column, 1), UINT32_MAX));
    bad.diagnostic.span.begin = SourcePos{column32 - 1, line32, column32};
    bad.diagnostic.span.end = bad.diagnostic.span.begin;
    bad.excerpt = std::string(text.substr(0, kExcerptBytes));
    if (options.strict) {
        failure = bad.diagnostic;
        failure->message = NdjsonReader::strict_stop_message(name, line, failure->message);
    }
    if (errors.size() < options.max_kept_errors) {
        errors.push_back(std::move(bad));
    } else {
        ++stats.errors_not_kept;
    }
}

NdjsonReader::NdjsonReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NdjsonReader::~NdjsonReader() = default;

NdjsonReader::OpenResult NdjsonReader::open(const std::string& path, const ProjectionPlan& plan,
                                            const ReaderOptions& options) {
    OpenResult result;
    std::string name;
    auto source = open_source(path, name, result.error);
    if (source) result.reader.reset(new NdjsonReader(std::make_unique<Impl>(std::move(source), name, plan, options)));
    return result;
}

std::unique_ptr<NdjsonReader> NdjsonReader::from_fd(int fd, std::string name, const ProjectionPlan& plan,
                                                    const ReaderOptions& options) {
    return std::unique_ptr<NdjsonReader>(new NdjsonReader(
        std::make_unique<Impl>(std::make_unique<FdSource>(fd, false), std::move(name), plan, options)));
}

std::unique_ptr<NdjsonReader> NdjsonReader::from_string(std::string data, std::string name, const ProjectionPlan& plan,
                                                        const ReaderOptions& options) {
    return std::unique_ptr<NdjsonReader>(new NdjsonReader(
        std::make_unique<Impl>(std::make_unique<MemorySource>(std::move(data)), std::move(name), plan, options)));
}

const size_t NdjsonReader::kViewPadding = simdjson::SIMDJSON_PADDING;

std::unique_ptr<NdjsonReader> NdjsonReader::from_view(std::string_view text, std::string name,
                                                      const ProjectionPlan& plan, const ReaderOptions& options) {
    return std::unique_ptr<NdjsonReader>(
        new NdjsonReader(std::make_unique<Impl>(Impl::View{}, text, std::move(name), plan, options)));
}

std::string NdjsonReader::strict_stop_message(const std::string& name, uint64_t line, const std::string& message) {
    return name + ":" + std::to_string(line) + ": " + message + " (strict mode stops here)";
}

bool NdjsonReader::next(vm::EventRecord& out) { return impl_->next(out); }
const ReaderStats& NdjsonReader::stats() const { return impl_->stats; }
std::vector<BadLine> NdjsonReader::take_errors() { return std::exchange(impl_->errors, {}); }
const std::optional<Diagnostic>& NdjsonReader::failure() const { return impl_->failure; }
TimestampError NdjsonReader::timestamp_error() const { return impl_->builder.timestamp_error(); }
const std::string& NdjsonReader::name() const { return impl_->name; }
bool NdjsonReader::is_gzip() const { return impl_->source.is_gzip(); }

}  // namespace eqlc::input

namespace eqlc::input {

// ---- NdjsonText ----------------------------------------------------------------------------------------------

struct NdjsonText::Impl {
    Impl(std::unique_ptr<ByteSource> raw, std::string name_) : source(std::move(raw)), name(std::move(name_)) {}
    TextSource source;
    std::string name;
};

NdjsonText::NdjsonText(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NdjsonText::~NdjsonText() = default;

NdjsonText::OpenResult NdjsonText::open(const std::string& path) {
    OpenResult result;
    std::string name;
    auto source = open_source(path, name, result.error);
    if (source) result.text.reset(new NdjsonText(std::make_unique<Impl>(std::move(source), name)));
    return result;
}

bool NdjsonText::read(char* dst, size_t capacity, size_t& got, Diagnostic& error) {
    std::string why;
    if (impl_->source.read(dst, capacity, got, why)) return true;
    error = read_error(impl_->name, why);
    return false;
}

uint64_t NdjsonText::raw_bytes() const { return impl_->source.raw_bytes(); }
const std::string& NdjsonText::name() const { return impl_->name; }

}  // namespace eqlc::input
