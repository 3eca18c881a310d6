#include "matchers/lucene_regex.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <utility>

namespace eqlc::matchers {
namespace {

constexpr char32_t kMaxCp = 0x10FFFF;
constexpr int kMaxRepeat = 1000;  // RE2's limit on {n,m}
constexpr const char* kNothing = "[^\\x00-\\x{10FFFF}]";

struct Failure {
    std::string message;
    std::size_t offset;
};

using Intervals = std::vector<std::pair<char32_t, char32_t>>;

void normalize(Intervals& iv) {
    std::sort(iv.begin(), iv.end());
    Intervals out;
    for (const auto& r : iv) {
        if (!out.empty() && r.first <= out.back().second + 1) {
            out.back().second = std::max(out.back().second, r.second);
        } else {
            out.push_back(r);
        }
    }
    iv.swap(out);
}

Intervals complement(Intervals iv) {
    normalize(iv);
    Intervals out;
    char32_t next = 0;
    for (const auto& r : iv) {
        if (r.first > next) out.emplace_back(next, r.first - 1);
        next = r.second + 1;
    }
    if (next <= kMaxCp) out.emplace_back(next, kMaxCp);
    return out;
}

// Adds the other ASCII case of every letter in the intervals.
void add_ascii_case(Intervals& iv) {
    const std::size_t n = iv.size();
    for (std::size_t i = 0; i < n; ++i) {
        const auto [lo, hi] = iv[i];
        const char32_t a = std::max<char32_t>(lo, 'a');
        const char32_t b = std::min<char32_t>(hi, 'z');
        if (a <= b) iv.emplace_back(a - 32, b - 32);
        const char32_t c = std::max<char32_t>(lo, 'A');
        const char32_t d = std::min<char32_t>(hi, 'Z');
        if (c <= d) iv.emplace_back(c + 32, d + 32);
    }
}

void append_hex_cp(char32_t c, std::string& out) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "\\x{";
    bool started = false;
    for (int shift = 20; shift >= 0; shift -= 4) {
        const unsigned digit = (c >> shift) & 15U;
        if (digit != 0 || started || shift == 0) {
            out.push_back(kHex[digit]);
            started = true;
        }
    }
    out.push_back('}');
}

void append_utf8(char32_t cp, std::string& out) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string class_re2(Intervals iv) {
    normalize(iv);
    if (iv.empty()) return kNothing;
    std::string out = "[";
    for (const auto& [lo, hi] : iv) {
        append_hex_cp(lo, out);
        if (hi != lo) {
            out.push_back('-');
            append_hex_cp(hi, out);
        }
    }
    out.push_back(']');
    return out;
}

bool is_ascii_alnum(char32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A regex fragment and whether it can take a quantifier without parentheses.
struct Frag {
    std::string re;
    bool atom = true;
};

std::string as_atom(const Frag& f) { return f.atom ? f.re : "(?:" + f.re + ")"; }

// ---- numeric intervals <n-m> ------------------------------------------------------------------

bool all_of(std::string_view s, char c) { return s.find_first_not_of(c) == std::string_view::npos; }

// Regex for the decimal strings of length |lo| (== |hi|) between lo and hi inclusive.
std::string fixed_range(std::string_view lo, std::string_view hi) {
    const std::size_t k = lo.size();
    if (k == 0) return "";
    if (lo == hi) return std::string(lo);
    const std::string rest_any = k > 1 ? "[0-9]{" + std::to_string(k - 1) + "}" : "";
    if (lo[0] == hi[0]) return std::string(1, lo[0]) + "(?:" + fixed_range(lo.substr(1), hi.substr(1)) + ")";
    std::vector<std::string> alts;
    char full_from = lo[0];
    char full_to = hi[0];
    if (!all_of(lo.substr(1), '0')) {
        alts.push_back(std::string(1, lo[0]) + "(?:" + fixed_range(lo.substr(1), std::string(k - 1, '9')) + ")");
        ++full_from;
    }
    const bool hi_full = all_of(hi.substr(1), '9');
    if (!hi_full) --full_to;
    if (full_from <= full_to) {
        alts.push_back("[" + std::string(1, full_from) + "-" + std::string(1, full_to) + "]" + rest_any);
    }
    if (!hi_full) {
        alts.push_back(std::string(1, hi[0]) + "(?:" + fixed_range(std::string(k - 1, '0'), hi.substr(1)) + ")");
    }
    std::string out;
    for (std::size_t i = 0; i < alts.size(); ++i) {
        if (i) out.push_back('|');
        out += alts[i];
    }
    return out;
}

std::string interval_re2(std::uint64_t min, std::uint64_t max, std::size_t digits) {
    if (min > max) std::swap(min, max);
    const std::string smin = std::to_string(min);
    const std::string smax = std::to_string(max);
    if (digits > 0) {
        auto pad = [&](const std::string& s) {
            return std::string(digits > s.size() ? digits - s.size() : 0, '0') + s;
        };
        return "(?:" + fixed_range(pad(smin), pad(smax)) + ")";
    }
    std::string out = "0*(?:";
    for (std::size_t len = smin.size(); len <= smax.size(); ++len) {
        std::string lo = smin;
        if (len != smin.size()) {
            lo.assign(len, '0');  // 10...0 (written this way: GCC 12 warns falsely on "1" + std::string)
            lo[0] = '1';
        }
        const std::string hi = len == smax.size() ? smax : std::string(len, '9');
        if (len != smin.size()) out.push_back('|');
        out += "(?:" + fixed_range(lo, hi) + ")";
    }
    out.push_back(')');
    return out;
}

// ---- the parser, one function per rule of Lucene's RegExp grammar ---------------------------------

class Parser {
public:
    Parser(std::string_view pattern, bool ci, LuceneRegexOptions options) : ci_(ci), options_(options) {
        // Decode to code points, remembering each one's byte offset for error messages.
        std::size_t i = 0;
        while (i < pattern.size()) {
            const auto b0 = static_cast<unsigned char>(pattern[i]);
            std::size_t len = 1;
            char32_t cp = b0;
            if (b0 >= 0x80) {
                len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
                bool ok = len != 0 && i + len <= pattern.size();
                cp = len == 4 ? (b0 & 7U) : len == 3 ? (b0 & 15U) : (b0 & 31U);
                for (std::size_t k = 1; ok && k < len; ++k) {
                    const auto b = static_cast<unsigned char>(pattern[i + k]);
                    ok = (b & 0xC0U) == 0x80U;
                    cp = (cp << 6) | (b & 0x3FU);
                }
                if (!ok || cp > kMaxCp || (cp >= 0xD800 && cp <= 0xDFFF)) throw Failure{"invalid UTF-8 in pattern", i};
            }
            cps_.push_back(cp);
            offsets_.push_back(i);
            i += len;
        }
        offsets_.push_back(pattern.size());
    }

    LuceneRegexTranslation run() {
        // Lucene special-cases the empty pattern as the empty string (the grammar would need a character).
        Frag f = cps_.empty() ? Frag{"", true} : parse_union();
        if (more()) throw Failure{"unexpected ')'; end of pattern expected", offset()};
        LuceneRegexTranslation t;
        t.body = f.re;
        t.re2_pattern = "(?s)^(?:" + f.re + ")$";
        if (literal_only_ && !ci_) t.literal = literal_;
        return t;
    }

private:
    bool more() const { return pos_ < cps_.size(); }
    std::size_t offset() const { return offsets_[pos_]; }
    bool peek(std::u32string_view set) const { return more() && set.find(cps_[pos_]) != std::u32string_view::npos; }
    bool match(char32_t c) {
        if (more() && cps_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    char32_t next() {
        if (!more()) throw Failure{"unexpected end of pattern", offset()};
        return cps_[pos_++];
    }
    void not_literal() { literal_only_ = false; }

    Frag parse_union() {
        Frag e = parse_inter();
        if (match('|')) {
            not_literal();
            Frag rest = parse_union();
            return Frag{e.re + "|" + rest.re, false};
        }
        return e;
    }

    Frag parse_inter() {
        Frag e = parse_concat();
        if (more() && cps_[pos_] == '&') {
            throw Failure{"intersection operator '&' is not supported (RE2 cannot express it)", offset()};
        }
        return e;
    }

    Frag parse_concat() {
        Frag e = parse_repeat();
        if (more() && !peek(U")|&")) {
            Frag rest = parse_concat();
            // Alternations only come back parenthesized, so plain juxtaposition is safe.
            return Frag{e.re + rest.re, false};
        }
        return e;
    }

    Frag parse_repeat() {
        Frag e = parse_compl();
        while (peek(U"?*+{")) {
            not_literal();
            const std::size_t at = offset();
            const std::string base = as_atom(e);
            if (match('?')) {
                e = Frag{base + "?", false};
            } else if (match('*')) {
                e = Frag{base + "*", false};
            } else if (match('+')) {
                e = Frag{base + "+", false};
            } else {
                match('{');
                const long n = parse_int("integer expected after '{'");
                long m = n;
                bool unbounded = false;
                if (match(',')) {
                    if (peek(U"0123456789")) {
                        m = parse_int("integer expected");
                    } else {
                        unbounded = true;
                    }
                }
                if (!match('}')) throw Failure{"expected '}'", offset()};
                if (n > kMaxRepeat || (!unbounded && m > kMaxRepeat)) {
                    throw Failure{"repetition count above " + std::to_string(kMaxRepeat) + " is not supported", at};
                }
                if (unbounded) {
                    e = Frag{base + "{" + std::to_string(n) + ",}", false};
                } else if (n > m) {
                    e = Frag{kNothing, true};  // Lucene: an empty repeat range matches nothing
                } else if (n == m) {
                    e = Frag{base + "{" + std::to_string(n) + "}", false};
                } else {
                    e = Frag{base + "{" + std::to_string(n) + "," + std::to_string(m) + "}", false};
                }
            }
        }
        return e;
    }

    long parse_int(const char* what) {
        const std::size_t start = pos_;
        long v = 0;
        while (peek(U"0123456789")) {
            v = v * 10 + static_cast<long>(cps_[pos_] - '0');
            if (v > 1000000) v = 1000000;  // saturate; reported as too large by the caller
            ++pos_;
        }
        if (pos_ == start) throw Failure{what, offset()};
        return v;
    }

    Frag parse_compl() {
        if (more() && cps_[pos_] == '~') {
            throw Failure{"complement operator '~' is not supported (RE2 cannot express it)", offset()};
        }
        return parse_char_class_exp();
    }

    Frag parse_char_class_exp() {
        if (match('[')) {
            not_literal();
            const bool negate = match('^');
            Intervals iv = parse_char_classes();
            if (!match(']')) throw Failure{"expected ']'", offset()};
            if (ci_) add_ascii_case(iv);
            return Frag{class_re2(negate ? complement(std::move(iv)) : std::move(iv)), true};
        }
        return parse_simple();
    }

    Intervals parse_char_classes() {
        Intervals iv;
        do {
            parse_char_class(iv);
        } while (more() && !peek(U"]"));
        return iv;
    }

    void parse_char_class(Intervals& iv) {
        if (auto predefined = match_shorthand()) {
            iv.insert(iv.end(), predefined->begin(), predefined->end());
            return;
        }
        const std::size_t at = offset();
        const char32_t from = parse_char();
        if (match('-')) {
            const char32_t to = parse_char();
            if (from > to) throw Failure{"invalid class range: start is after end", at};
            iv.emplace_back(from, to);
        } else {
            iv.emplace_back(from, from);
        }
    }

    // \d \D \s \S \w \W, when enabled.
    std::optional<Intervals> match_shorthand() {
        if (!options_.shorthand_classes || pos_ + 1 >= cps_.size() || cps_[pos_] != '\\') return std::nullopt;
        const char32_t c = cps_[pos_ + 1];
        Intervals iv;
        switch (c) {
            case 'd':
            case 'D': iv = {{'0', '9'}}; break;
            case 's':
            case 'S': iv = {{'\t', '\r'}, {' ', ' '}}; break;  // \t \n \x0B \f \r and space
            case 'w':
            case 'W': iv = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}; break;
            default: return std::nullopt;
        }
        pos_ += 2;
        return (c == 'D' || c == 'S' || c == 'W') ? complement(std::move(iv)) : iv;
    }

    char32_t parse_char() {
        if (match('\\')) {
            if (!more()) throw Failure{"expected a character after '\\'", offset()};
        }
        return next();
    }

    Frag literal_char(char32_t c) {
        std::string re;
        if (ci_ && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            re = "[";
            re.push_back(static_cast<char>(c | 0x20));
            re.push_back(static_cast<char>(c & ~0x20U));
            re.push_back(']');
        } else if (is_ascii_alnum(c) || c == ' ' || c >= 0x80) {
            if (c >= 0x80 && (c < 0xA0 || c == 0x2028 || c == 0x2029)) {
                append_hex_cp(c, re);
            } else {
                append_utf8(c, re);
            }
        } else if (c < 0x20 || c == 0x7F) {
            append_hex_cp(c, re);
        } else {
            re.push_back('\\');
            re.push_back(static_cast<char>(c));
        }
        return Frag{re, true};
    }

    Frag parse_simple() {
        const std::size_t at = offset();
        if (match('.')) {
            not_literal();
            return Frag{".", true};
        }
        if (match('#')) {
            not_literal();
            return Frag{kNothing, true};
        }
        if (match('@')) {
            not_literal();
            return Frag{".*", false};
        }
        if (match('"')) {
            std::string re;
            std::string lit;
            while (more() && cps_[pos_] != '"') {
                const char32_t c = next();
                re += literal_char(c).re;
                append_utf8(c, lit);
            }
            if (!match('"')) throw Failure{"expected '\"' to close the string started", at};
            literal_ += lit;
            return Frag{"(?:" + re + ")", true};
        }
        if (match('(')) {
            if (match(')')) return Frag{"(?:)", true};
            Frag inner = parse_union();
            if (!match(')')) throw Failure{"expected ')' to close the group opened", at};
            return Frag{"(?:" + inner.re + ")", true};
        }
        if (match('<')) {
            not_literal();
            const std::size_t start = pos_;
            while (more() && cps_[pos_] != '>') ++pos_;
            if (!match('>')) throw Failure{"expected '>' to close the interval", at};
            std::string body;
            for (std::size_t i = start; i + 1 < pos_; ++i) append_utf8(cps_[i], body);
            const std::size_t dash = body.find('-');
            if (dash == std::string::npos) {
                throw Failure{"named automaton <" + body + "> is not supported", at};
            }
            const std::string smin = body.substr(0, dash);
            const std::string smax = body.substr(dash + 1);
            auto digits_only = [](const std::string& s) {
                return !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos;
            };
            if (!digits_only(smin) || !digits_only(smax)) {
                throw Failure{"numeric interval <" + body + "> is malformed (expected <n-m> with n, m >= 0)", at};
            }
            const std::uint64_t min = std::stoull(smin);
            const std::uint64_t max = std::stoull(smax);
            if (min > 2147483647ULL || max > 2147483647ULL) {
                throw Failure{"numeric interval <" + body + "> exceeds Lucene's integer range", at};
            }
            return Frag{interval_re2(min, max, smin.size() == smax.size() ? smin.size() : 0), true};
        }
        if (auto predefined = match_shorthand()) {
            not_literal();
            if (ci_) add_ascii_case(*predefined);
            return Frag{class_re2(std::move(*predefined)), true};
        }
        const char32_t c = parse_char();
        std::string lit;
        append_utf8(c, lit);
        Frag f = literal_char(c);
        literal_ += lit;
        return f;
    }

    std::vector<char32_t> cps_;
    std::vector<std::size_t> offsets_;
    std::size_t pos_ = 0;
    bool ci_;
    LuceneRegexOptions options_;
    bool literal_only_ = true;
    std::string literal_;
};

RE2::Options re2_options() {
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingUTF8);
    o.set_log_errors(false);
    o.set_never_capture(true);
    o.set_max_mem(64 << 20);
    return o;
}

}  // namespace

std::variant<LuceneRegexTranslation, RegexError> translate_lucene_regex(std::string_view pattern, bool case_insensitive,
                                                                        LuceneRegexOptions options) {
    try {
        Parser parser(pattern, case_insensitive, options);
        return parser.run();
    } catch (const Failure& f) {
        return RegexError{f.message, f.offset, 0};
    }
}

std::variant<RegexMatcher, RegexError> RegexMatcher::compile(std::string_view pattern, bool case_insensitive,
                                                             LuceneRegexOptions options) {
    return compile(std::vector<std::string>{std::string(pattern)}, case_insensitive, options);
}

std::variant<RegexMatcher, RegexError> RegexMatcher::compile(const std::vector<std::string>& patterns,
                                                             bool case_insensitive, LuceneRegexOptions options) {
    std::string body;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        auto t = translate_lucene_regex(patterns[i], case_insensitive, options);
        if (auto* err = std::get_if<RegexError>(&t)) {
            err->index = i;
            return *err;
        }
        if (i) body.push_back('|');
        body += "(?:" + std::get<LuceneRegexTranslation>(t).body + ")";
    }
    RegexMatcher m;
    m.pattern_ = patterns.empty() ? std::string("(?s)") + kNothing : "(?s)^(?:" + body + ")$";
    auto re = std::make_shared<const RE2>(m.pattern_, re2_options());
    if (!re->ok()) {
        return RegexError{"RE2 rejected the translated pattern: " + re->error(), 0, 0};
    }
    m.re_ = std::move(re);
    return m;
}

bool RegexMatcher::matches(std::string_view value) const {
    return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *re_);
}

}  // namespace eqlc::matchers
