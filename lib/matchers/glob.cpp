#include "matchers/glob.hpp"

#include <cstring>
#include <optional>

#include "text/casefold.hpp"

namespace eqlc::matchers {
namespace {

bool is_cont(char c) { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

// Finds `needle` in hay[lo, hi); memmem is linear (two-way) for long needles in glibc.
std::optional<std::size_t> find_literal(std::string_view hay, std::string_view needle, std::size_t lo, std::size_t hi) {
    if (needle.size() > hi - lo) return std::nullopt;
    if (needle.empty()) return lo;
    const void* hit = ::memmem(hay.data() + lo, hi - lo, needle.data(), needle.size());
    if (hit == nullptr) return std::nullopt;
    return static_cast<std::size_t>(static_cast<const char*>(hit) - hay.data());
}

// Matches `part` (literal bytes and `?`) at v[p...], not extending past `limit`. Returns the end.
std::optional<std::size_t> match_forward(std::string_view part, std::string_view v, std::size_t p, std::size_t limit) {
    for (const char b : part) {
        if (p >= limit) return std::nullopt;
        if (b == '?') {
            if (is_cont(v[p])) return std::nullopt;
            ++p;
            while (p < v.size() && is_cont(v[p])) ++p;
            if (p > limit) return std::nullopt;
        } else {
            if (v[p] != b) return std::nullopt;
            ++p;
        }
    }
    return p;
}

// Matches `part` so that it ends exactly at `e`, not starting before `lo`. Returns the start.
std::optional<std::size_t> match_backward(std::string_view part, std::string_view v, std::size_t lo, std::size_t e) {
    for (std::size_t k = part.size(); k-- > 0;) {
        const char b = part[k];
        if (e <= lo) return std::nullopt;
        if (b == '?') {
            // The character ending at e must be whole: nothing attached after it...
            if (e < v.size() && is_cont(v[e])) return std::nullopt;
            std::size_t s = e - 1;
            while (s > lo && is_cont(v[s])) --s;
            // ...and it must start at a non-continuation byte inside [lo, e).
            if (is_cont(v[s])) return std::nullopt;
            e = s;
        } else {
            if (v[e - 1] != b) return std::nullopt;
            --e;
        }
    }
    return e;
}

// Leftmost occurrence of `part` inside v[lo, hi); returns its end. Leftmost is optimal for a part that
// sits between two stars: a later start can only leave less room for what follows.
std::optional<std::size_t> find_part(std::string_view part, std::string_view v, std::size_t lo, std::size_t hi) {
    const std::size_t q = part.find('?');
    if (q == std::string_view::npos) {
        auto at = find_literal(v, part, lo, hi);
        if (!at) return std::nullopt;
        return *at + part.size();
    }
    const std::string_view head = part.substr(0, q);
    std::size_t from = lo;
    while (from < hi) {
        std::size_t start;
        if (!head.empty()) {
            auto at = find_literal(v, head, from, hi);
            if (!at) return std::nullopt;
            start = *at;
        } else {
            start = from;
        }
        if (auto end = match_forward(part, v, start, hi)) return end;
        from = start + 1;
    }
    return std::nullopt;
}

}  // namespace

const char* to_string(GlobShape shape) {
    switch (shape) {
        case GlobShape::exact: return "exact";
        case GlobShape::any: return "any";
        case GlobShape::prefix: return "prefix";
        case GlobShape::suffix: return "suffix";
        case GlobShape::contains: return "contains";
        case GlobShape::prefix_suffix: return "prefix_suffix";
        case GlobShape::general: return "general";
    }
    return "?";
}

Glob Glob::compile(std::string_view pattern, bool case_insensitive) {
    Glob g;
    g.case_insensitive_ = case_insensitive;
    g.pattern_ = case_insensitive ? text::to_lower_root(pattern) : std::string(pattern);
    const std::string_view p = g.pattern_;
    g.has_question_ = p.find('?') != std::string_view::npos;
    const bool has_star = p.find('*') != std::string_view::npos;
    if (!has_star) {
        g.parts_.emplace_back(p);
        g.shape_ = g.has_question_ ? GlobShape::general : GlobShape::exact;
        return g;
    }
    g.leading_star_ = p.front() == '*';
    g.trailing_star_ = p.back() == '*';
    std::size_t i = 0;
    while (i < p.size()) {
        const std::size_t star = p.find('*', i);
        const std::size_t end = star == std::string_view::npos ? p.size() : star;
        if (end > i) g.parts_.emplace_back(p.substr(i, end - i));
        if (star == std::string_view::npos) break;
        i = star + 1;
    }
    const std::size_t n = g.parts_.size();
    if (g.has_question_) {
        g.shape_ = n == 0 ? GlobShape::any : GlobShape::general;
    } else if (n == 0) {
        g.shape_ = GlobShape::any;
    } else if (n == 1) {
        g.shape_ = g.leading_star_ && g.trailing_star_ ? GlobShape::contains
                   : g.leading_star_                   ? GlobShape::suffix
                                                       : GlobShape::prefix;
    } else if (n == 2 && !g.leading_star_ && !g.trailing_star_) {
        g.shape_ = GlobShape::prefix_suffix;
    } else {
        g.shape_ = GlobShape::general;
    }
    return g;
}

std::vector<std::string_view> Glob::literal_runs() const {
    std::vector<std::string_view> runs;
    for (const std::string& part : parts_) {
        std::string_view rest = part;
        while (!rest.empty()) {
            const std::size_t q = rest.find('?');
            const std::string_view run = rest.substr(0, q);
            if (!run.empty()) runs.push_back(run);
            if (q == std::string_view::npos) break;
            rest.remove_prefix(q + 1);
        }
    }
    return runs;
}

std::string_view Glob::longest_literal() const {
    std::string_view best;
    for (const std::string_view run : literal_runs()) {
        if (run.size() > best.size()) best = run;
    }
    return best;
}

bool Glob::matches(std::string_view value) const {
    if (!case_insensitive_ || text::is_lower_root(value)) return matches_folded(value);
    thread_local std::string scratch;
    scratch.clear();
    text::append_lower_root(value, scratch);
    return matches_folded(scratch);
}

bool Glob::matches_folded(std::string_view v) const {
    switch (shape_) {
        case GlobShape::exact: return v == parts_[0];
        case GlobShape::any: return true;
        case GlobShape::prefix: return v.starts_with(parts_[0]);
        case GlobShape::suffix: return v.ends_with(parts_[0]);
        case GlobShape::contains: return find_literal(v, parts_[0], 0, v.size()).has_value();
        case GlobShape::prefix_suffix:
            return v.size() >= parts_[0].size() + parts_[1].size() && v.starts_with(parts_[0]) &&
                   v.ends_with(parts_[1]);
        case GlobShape::general: break;
    }
    const std::size_t n = v.size();
    std::size_t lo = 0;
    std::size_t hi = n;
    std::size_t first = 0;
    std::size_t last = parts_.size();
    const bool has_star = leading_star_ || trailing_star_ || parts_.size() != 1;
    if (!has_star) {
        auto end = match_forward(parts_[0], v, 0, n);
        return end && *end == n;
    }
    if (!leading_star_) {
        auto end = match_forward(parts_[0], v, 0, n);
        if (!end) return false;
        lo = *end;
        first = 1;
    }
    if (!trailing_star_ && last > first) {
        auto start = match_backward(parts_[last - 1], v, lo, n);
        if (!start) return false;
        hi = *start;
        --last;
    }
    for (std::size_t i = first; i < last; ++i) {
        auto end = find_part(parts_[i], v, lo, hi);
        if (!end) return false;
        lo = *end;
    }
    return true;
}

bool glob_match(std::string_view pattern, std::string_view value, bool case_insensitive) {
    return Glob::compile(pattern, case_insensitive).matches(value);
}

std::string glob_to_re2_latin1(std::string_view pattern) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(pattern.size() * 2 + 8);
    for (const char c : pattern) {
        const auto b = static_cast<unsigned char>(c);
        if (c == '*') {
            out += "(?s:.*)";
        } else if (c == '?') {
            out += "[^\\x80-\\xbf][\\x80-\\xbf]*";
        } else if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) {
            out.push_back(c);
        } else {
            out += "\\x";
            out.push_back(kHex[b >> 4]);
            out.push_back(kHex[b & 15U]);
        }
    }
    return out;
}

std::string_view longest_literal(std::string_view pattern) {
    std::string_view best;
    size_t start = 0;
    for (size_t i = 0; i <= pattern.size(); ++i) {
        if (i == pattern.size() || pattern[i] == '*' || pattern[i] == '?') {
            if (i - start > best.size()) best = pattern.substr(start, i - start);
            start = i + 1;
        }
    }
    return best;
}

}  // namespace eqlc::matchers
