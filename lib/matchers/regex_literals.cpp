#include "matchers/regex_literals.hpp"

#include <cstddef>
#include <optional>

namespace eqlc::matchers {

namespace {

// The byte length of the UTF-8 sequence that starts with `lead` (1 for a stray continuation byte).
size_t sequence_length(unsigned char lead) {
    if (lead >= 0xF0) return 4;
    if (lead >= 0xE0) return 3;
    if (lead >= 0xC0) return 2;
    return 1;
}

bool is_ascii(std::string_view s) {
    for (const char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

// The analysis of one pattern: a cursor over its text, failing (nullopt) on anything it does not follow.
class Reader {
public:
    Reader(std::string_view p, bool ascii_only) : p_(p), ascii_only_(ascii_only) {}

    std::optional<std::vector<std::string>> branches() {
        std::vector<std::string> out;
        while (true) {
            auto literal = branch();
            if (!literal) return std::nullopt;
            out.push_back(std::move(*literal));
            if (i_ == p_.size()) return out;
            ++i_;  // the '|'
        }
    }

private:
    // A top-level branch, up to '|' or the end: its longest required run.
    std::optional<std::string> branch() {
        std::string run, best;
        auto end_run = [&] {
            if (run.size() > best.size()) best = run;
            run.clear();
        };
        while (i_ < p_.size() && p_[i_] != '|') {
            std::optional<std::string> literal;  // the atom's text, when it is literal
            const char c = p_[i_];
            switch (c) {
                case '\\': {
                    if (i_ + 1 >= p_.size()) return std::nullopt;
                    const char d = p_[i_ + 1];
                    const size_t len = sequence_length(static_cast<unsigned char>(d));
                    if (d == 'd' || d == 'D' || d == 's' || d == 'S' || d == 'w' || d == 'W') {
                        // a shorthand class (the translator's default)
                    } else {
                        literal = std::string(p_.substr(i_ + 1, len));
                    }
                    i_ += 1 + len;
                    break;
                }
                case '"': {
                    const size_t close = p_.find('"', i_ + 1);
                    if (close == std::string_view::npos) return std::nullopt;
                    literal = std::string(p_.substr(i_ + 1, close - i_ - 1));
                    i_ = close + 1;
                    break;
                }
                case '.':
                case '@':
                case '#': ++i_; break;
                case '[':
                    if (!skip_class()) return std::nullopt;
                    break;
                case '(':
                    if (!skip_group()) return std::nullopt;
                    break;
                case '<': {
                    const size_t close = p_.find('>', i_ + 1);
                    if (close == std::string_view::npos) return std::nullopt;
                    i_ = close + 1;
                    break;
                }
                case '~':
                case '&':
                case ')': return std::nullopt;
                default: {
                    // Any other character, '?', '*', '+' and '{' included: a quantifier with nothing before it is a
                    // literal character.
                    const size_t len = sequence_length(static_cast<unsigned char>(c));
                    literal = std::string(p_.substr(i_, len));
                    i_ += len;
                    break;
                }
            }
            bool optional = false, repeats = false;
            if (!quantifiers(optional, repeats)) return std::nullopt;
            if (!literal || optional || (ascii_only_ && !is_ascii(*literal))) {
                end_run();
                continue;
            }
            run += *literal;
            if (repeats) end_run();
        }
        end_run();
        if (best.empty()) return std::nullopt;
        return best;
    }

    // The quantifiers after an atom: whether it may be absent, or occur more than once.
    bool quantifiers(bool& optional, bool& repeats) {
        while (i_ < p_.size()) {
            const char c = p_[i_];
            if (c == '?') {
                optional = true;
            } else if (c == '*') {
                optional = repeats = true;
            } else if (c == '+') {
                repeats = true;
            } else if (c == '{') {
                size_t j = i_ + 1, low = 0, high = 0;
                if (!count(j, low)) return false;
                high = low;
                bool open = false;
                if (j < p_.size() && p_[j] == ',') open = !count(++j, high);
                if (j >= p_.size() || p_[j] != '}') return false;
                if (low == 0 || (!open && high < low)) optional = true;  // may be absent, or matches nothing
                if (open || high > 1) repeats = true;
                i_ = j;
            } else {
                return true;
            }
            ++i_;
        }
        return true;
    }

    // The decimal count at `j` (at most nine digits; a longer one is refused), `j` moved past it; false when there
    // is no digit.
    bool count(size_t& j, size_t& out) const {
        const size_t start = j;
        out = 0;
        while (j < p_.size() && p_[j] >= '0' && p_[j] <= '9' && j - start < 9) out = out * 10 + (p_[j++] - '0');
        return j > start;
    }

    // From '[' to past its ']' ("[]...]" and "[^]...]" have ']' as their first member; escapes allowed).
    bool skip_class() {
        size_t j = i_ + 1;
        if (j < p_.size() && p_[j] == '^') ++j;
        if (j < p_.size() && p_[j] == ']') ++j;
        while (j < p_.size() && p_[j] != ']') j += p_[j] == '\\' ? 2 : 1;
        if (j >= p_.size()) return false;
        i_ = j + 1;
        return true;
    }

    // From '(' to past its matching ')', over nested groups, classes, quoted strings and escapes.
    bool skip_group() {
        size_t depth = 0;
        while (i_ < p_.size()) {
            const char c = p_[i_];
            if (c == '\\') {
                i_ += 2;
                continue;
            }
            if (c == '"') {
                const size_t close = p_.find('"', i_ + 1);
                if (close == std::string_view::npos) return false;
                i_ = close + 1;
                continue;
            }
            if (c == '[') {
                if (!skip_class()) return false;
                continue;
            }
            ++i_;
            if (c == '(') ++depth;
            if (c == ')' && --depth == 0) return true;
        }
        return false;
    }

    std::string_view p_;
    bool ascii_only_;
    size_t i_ = 0;
};

}  // namespace

std::vector<std::string> regex_required_literals(std::string_view pattern, bool ascii_only) {
    auto out = Reader(pattern, ascii_only).branches();
    return out ? std::move(*out) : std::vector<std::string>{};
}

}  // namespace eqlc::matchers
