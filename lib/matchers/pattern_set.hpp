// Many wildcard patterns on one field, compiled into one structure (`x : ("a*", "*b", ...)`, `like`,
// `like~`). Real detection rules carry lists of thousands of patterns; they are never tried one by one:
//
//   exact literals          -> one hash set                         (one probe)
//   "lit*"                  -> sorted, prefix-free table            (one binary search)
//   "*lit"                  -> same over reversed order             (one binary search)
//   "*lit*" and general ones -> one Aho-Corasick automaton over a required literal of each pattern
//                              ("*lit*": the literal itself, a hit is a match; general: the longest
//                              literal run, a hit makes it a candidate that is then verified with its
//                              own linear-time Glob). General patterns without any literal ("?", "*?*")
//                              are verified directly; a pure "*" makes the set match everything.
//
// Matching is linear in the value (one pass of the automaton, plus verification of candidates whose
// required literal occurs). Thread-safe: the structure is immutable after compile(); the per-call scratch
// is thread_local (a bitset of the candidate literals already verified, and the fold buffer).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "matchers/glob.hpp"
#include "matchers/literal_set.hpp"

namespace eqlc::matchers {

namespace detail {

// Byte-level Aho-Corasick automaton: dense transitions at the root, sorted sparse edges elsewhere,
// dictionary-suffix links to report every key that ends at a position.
class AhoCorasick {
public:
    // Keys must be non-empty; key i is reported as id i.
    void build(const std::vector<std::string>& keys);
    bool empty() const { return nodes_.size() <= 1; }
    std::size_t node_count() const { return nodes_.size(); }

    // Calls on_hit(key_id) for every occurrence of every key, left to right; stops and returns true as
    // soon as on_hit returns true.
    template <class OnHit>
    bool scan(std::string_view text, OnHit&& on_hit) const;

private:
    static constexpr std::uint32_t kNone = 0xFFFFFFFFU;
    struct Node {
        std::uint32_t fail = 0;
        std::uint32_t dict = 0;  // nearest proper suffix node that ends a key (0 = none)
        std::uint32_t edge_begin = 0;
        std::uint32_t edge_count = 0;
        std::uint32_t out_begin = 0;
        std::uint32_t out_count = 0;
    };
    std::uint32_t child(std::uint32_t node, unsigned char c) const;

    std::vector<Node> nodes_;
    std::vector<unsigned char> edge_bytes_;
    std::vector<std::uint32_t> edge_targets_;
    std::vector<std::uint32_t> outputs_;
    std::array<std::uint32_t, 256> root_{};  // 0 = stay at the root
};

template <class OnHit>
bool AhoCorasick::scan(std::string_view text, OnHit&& on_hit) const {
    if (empty()) return false;
    std::uint32_t s = 0;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        for (;;) {
            if (s == 0) {
                s = root_[c];
                break;
            }
            const std::uint32_t t = child(s, c);
            if (t != kNone) {
                s = t;
                break;
            }
            s = nodes_[s].fail;
        }
        for (std::uint32_t o = nodes_[s].out_count != 0 ? s : nodes_[s].dict; o != 0; o = nodes_[o].dict) {
            const Node& n = nodes_[o];
            for (std::uint32_t k = 0; k < n.out_count; ++k) {
                if (on_hit(outputs_[n.out_begin + k])) return true;
            }
        }
    }
    return false;
}

}  // namespace detail

class PatternSet {
public:
    struct Stats {
        std::size_t exact = 0;
        std::size_t prefix = 0;  // after dropping prefixes made redundant by shorter ones
        std::size_t suffix = 0;  // likewise
        std::size_t contains = 0;
        std::size_t general = 0;     // verified after a prefilter hit
        std::size_t unanchored = 0;  // general patterns without a literal, verified on every value
        std::size_t automaton_nodes = 0;
        bool match_all = false;
    };

    // Never fails (every string is a valid wildcard pattern). Patterns are folded with
    // text::to_lower_root when case_insensitive.
    static PatternSet compile(std::vector<std::string> patterns, bool case_insensitive);

    // True when any pattern matches the whole value. Folds the value first when case-insensitive.
    bool matches(std::string_view value) const;
    // The value is already folded with text::to_lower_root (or the set is case-sensitive).
    bool matches_folded(std::string_view value) const;

    bool case_insensitive() const { return case_insensitive_; }
    std::size_t size() const { return size_; }
    const Stats& stats() const { return stats_; }

private:
    bool prefix_match(std::string_view v) const;
    bool suffix_match(std::string_view v) const;
    bool automaton_match(std::string_view v) const;

    static constexpr std::uint32_t kHitIsMatch = 0xFFFFFFFFU;

    bool case_insensitive_ = false;
    bool match_all_ = false;
    std::size_t size_ = 0;
    LiteralSet exact_;
    std::vector<std::string> prefixes_;  // sorted, prefix-free
    std::vector<std::string> suffixes_;  // sorted by reversed bytes, suffix-free
    detail::AhoCorasick automaton_;
    // Per automaton key: the general globs to verify when it occurs, or {kHitIsMatch} for "*key*".
    std::vector<std::vector<std::uint32_t>> key_globs_;
    std::vector<Glob> globs_;                // general patterns
    std::vector<std::uint32_t> unanchored_;  // indices into globs_
    Stats stats_;
};

}  // namespace eqlc::matchers
