#include "input/json_check.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
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

}  // namespace

// The check's state; its buffers are kept from one text to the next.
class JsonChecker::Impl {
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

JsonChecker::JsonChecker() : impl_(std::make_unique<Impl>()) {}
JsonChecker::~JsonChecker() = default;
JsonChecker::JsonChecker(JsonChecker&&) noexcept = default;
JsonChecker& JsonChecker::operator=(JsonChecker&&) noexcept = default;

std::optional<JsonProblem> JsonChecker::check(std::string_view text) { return impl_->run(text); }

std::optional<JsonProblem> check_json_object(std::string_view text) { return JsonChecker().check(text); }

}  // namespace eqlc::input
