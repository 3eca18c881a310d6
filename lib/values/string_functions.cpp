#include "values/string_functions.hpp"

#include <algorithm>
#include <vector>

#include "text/casefold.hpp"
#include "text/utf16.hpp"
#include "values/arithmetic.hpp"

namespace eqlc::vm {

namespace {

constexpr char kReplacementUtf8[] = "\xEF\xBF\xBD";

enum class Round { Down, Up };

// A lowered copy of a string plus the map between positions in the copy and in the original. Lowering works
// per code point except for Greek final sigma (Σ -> ς or σ by context), and both forms have the same length,
// so per-code-point lowered lengths describe the whole-string lowering.
class Folded {
public:
    explicit Folded(std::string_view original) {
        if (text::is_ascii(original)) {
            lowered_ = text::to_lower_root(original);
            return;  // identity map
        }
        std::string per_code_point;
        per_code_point.reserve(original.size() + 8);
        orig_starts_.reserve(original.size() + 1);
        low_starts_.reserve(original.size() + 1);
        for (std::size_t i = 0; i < original.size();) {
            const text::DecodedCodePoint d = text::decode_utf8(original, i);
            orig_starts_.push_back(i);
            low_starts_.push_back(per_code_point.size());
            text::append_lower_root(original.substr(i, d.byte_length), per_code_point);
            i += d.byte_length;
        }
        orig_starts_.push_back(original.size());
        low_starts_.push_back(per_code_point.size());
        lowered_ = text::to_lower_root(original);
        // Should not happen; if it does, the per-code-point copy is the one the map describes.
        if (lowered_.size() != per_code_point.size()) lowered_ = std::move(per_code_point);
    }

    const std::string& lowered() const noexcept { return lowered_; }

    // Byte position in the lowered copy -> byte position in the original.
    std::size_t to_original(std::size_t p, Round round) const noexcept {
        if (orig_starts_.empty()) return p;
        const auto it = std::upper_bound(low_starts_.begin(), low_starts_.end(), p);
        const auto k = static_cast<std::size_t>(it - low_starts_.begin()) - 1;
        if (low_starts_[k] == p || round == Round::Down) return orig_starts_[k];
        return orig_starts_[k + 1];
    }

    // Byte position of a code point boundary in the original -> byte position in the lowered copy.
    std::size_t to_lowered(std::size_t b) const noexcept {
        if (orig_starts_.empty()) return b;
        const auto it = std::lower_bound(orig_starts_.begin(), orig_starts_.end(), b);
        return low_starts_[static_cast<std::size_t>(it - orig_starts_.begin())];
    }

private:
    std::string lowered_;
    std::vector<std::size_t> orig_starts_;  // empty for the identity map
    std::vector<std::size_t> low_starts_;
};

constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

// Byte offset where a search that starts at UTF-16 unit `units` may find a match: a unit between the two halves
// of a surrogate pair cannot start a match of well-formed text, so the search starts at the next code point.
std::size_t search_start(std::string_view s, std::size_t units) {
    const text::Utf8Position pos = text::byte_offset_of_utf16(s, units);
    if (!pos.splits_pair) return pos.byte_offset;
    return pos.byte_offset + text::decode_utf8(s, pos.byte_offset).byte_length;
}

}  // namespace

std::string between(std::string_view src, std::string_view left, std::string_view right, bool greedy,
                    bool case_insensitive) {
    if (src.empty() || left.empty() || right.empty()) return std::string(src);

    if (!case_insensitive) {
        const std::size_t idx = src.find(left);
        if (idx == std::string_view::npos) return {};
        const std::size_t start = idx + left.size();
        const std::size_t end = greedy ? src.rfind(right) : src.find(right, start);
        if (end == std::string_view::npos || end < start) return {};
        return std::string(src.substr(start, end - start));
    }

    const Folded folded(src);
    const std::string_view hay = folded.lowered();
    const std::string l = text::to_lower_root(left);
    const std::string r = text::to_lower_root(right);
    const std::size_t idx = hay.find(l);
    if (idx == std::string_view::npos) return {};
    const std::size_t start = idx + l.size();
    const std::size_t end = greedy ? hay.rfind(r) : hay.find(r, start);
    if (end == std::string_view::npos || end < start) return {};
    const std::size_t orig_start = folded.to_original(start, Round::Up);
    const std::size_t orig_end = folded.to_original(end, Round::Down);
    if (orig_end <= orig_start) return {};
    return std::string(src.substr(orig_start, orig_end - orig_start));
}

bool starts_with(std::string_view src, std::string_view prefix, bool case_insensitive) {
    if (!case_insensitive) return src.starts_with(prefix);
    if (text::is_ascii(src) && text::is_ascii(prefix)) {
        return prefix.size() <= src.size() && ascii_iequals(src.substr(0, prefix.size()), prefix);
    }
    return std::string_view(text::to_lower_root(src)).starts_with(text::to_lower_root(prefix));
}

bool ends_with(std::string_view src, std::string_view suffix, bool case_insensitive) {
    if (!case_insensitive) return src.ends_with(suffix);
    if (text::is_ascii(src) && text::is_ascii(suffix)) {
        return suffix.size() <= src.size() && ascii_iequals(src.substr(src.size() - suffix.size()), suffix);
    }
    return std::string_view(text::to_lower_root(src)).ends_with(text::to_lower_root(suffix));
}

std::optional<std::int64_t> index_of(std::string_view src, std::string_view sub, std::optional<std::int64_t> start,
                                     bool case_insensitive) {
    std::int64_t from = start ? java_long_to_int(*start) : 0;
    if (from < 0) from = 0;
    const auto length = static_cast<std::int64_t>(text::utf16_length(src));
    if (from >= length) {
        if (sub.empty()) return length;
        return std::nullopt;
    }
    if (sub.empty()) return from;

    const std::size_t begin = search_start(src, static_cast<std::size_t>(from));
    if (!case_insensitive) {
        const std::size_t found = src.find(sub, begin);
        if (found == std::string_view::npos) return std::nullopt;
        return static_cast<std::int64_t>(text::utf16_offset_of_byte(src, found));
    }
    const Folded folded(src);
    const std::string needle = text::to_lower_root(sub);
    const std::size_t found = std::string_view(folded.lowered()).find(needle, folded.to_lowered(begin));
    if (found == std::string_view::npos) return std::nullopt;
    return static_cast<std::int64_t>(text::utf16_offset_of_byte(src, folded.to_original(found, Round::Down)));
}

std::int64_t string_length(std::string_view s) { return static_cast<std::int64_t>(text::utf16_length(s)); }

std::string substring(std::string_view src, std::int64_t start, std::optional<std::int64_t> end) {
    if (src.empty()) return {};
    const auto length = static_cast<std::int64_t>(text::utf16_length(src));
    std::int64_t s = java_long_to_int(start);
    std::int64_t e = end ? java_long_to_int(*end) : length;
    if (s < 0) s += length;
    if (s < 0) s = 0;
    if (e < 0) e += length;
    e = std::clamp<std::int64_t>(e, 0, length);
    if (s >= e) return {};

    const text::Utf8Position first = text::byte_offset_of_utf16(src, static_cast<std::size_t>(s));
    const text::Utf8Position last = text::byte_offset_of_utf16(src, static_cast<std::size_t>(e));
    std::string out;
    std::size_t from = first.byte_offset;
    if (first.splits_pair) {
        out += kReplacementUtf8;  // the low surrogate
        from += text::decode_utf8(src, from).byte_length;
    }
    if (last.byte_offset > from) out.append(src.substr(from, last.byte_offset - from));
    if (last.splits_pair) out += kReplacementUtf8;  // the high surrogate
    return out;
}

bool string_contains(std::string_view src, std::string_view sub, bool case_insensitive) {
    if (src.empty() || sub.empty()) return false;
    if (!case_insensitive) return src.find(sub) != std::string_view::npos;
    return text::to_lower_root(src).find(text::to_lower_root(sub)) != std::string::npos;
}

void append_concat(std::span<const std::string_view> pieces, std::string& out) {
    for (const std::string_view piece : pieces) out.append(piece);
}

std::string concat(std::span<const std::string_view> pieces) {
    std::size_t total = 0;
    for (const std::string_view piece : pieces) total += piece.size();
    std::string out;
    out.reserve(total);
    append_concat(pieces, out);
    return out;
}

}  // namespace eqlc::vm
