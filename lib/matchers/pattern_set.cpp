#include "matchers/pattern_set.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "text/casefold.hpp"

namespace eqlc::matchers {
namespace detail {

void AhoCorasick::build(const std::vector<std::string>& keys) {
    // Trie first, with ordered children so the flattened edges come out sorted.
    std::vector<std::map<unsigned char, std::uint32_t>> children(1);
    std::vector<std::vector<std::uint32_t>> outs(1);
    for (std::uint32_t id = 0; id < keys.size(); ++id) {
        std::uint32_t s = 0;
        for (const char ch : keys[id]) {
            const auto c = static_cast<unsigned char>(ch);
            auto it = children[s].find(c);
            if (it == children[s].end()) {
                const auto next = static_cast<std::uint32_t>(children.size());
                children[s].emplace(c, next);
                children.emplace_back();
                outs.emplace_back();
                s = next;
            } else {
                s = it->second;
            }
        }
        outs[s].push_back(id);
    }
    const std::size_t n = children.size();
    nodes_.assign(n, Node{});
    edge_bytes_.clear();
    edge_targets_.clear();
    outputs_.clear();
    for (std::size_t s = 0; s < n; ++s) {
        Node& node = nodes_[s];
        node.edge_begin = static_cast<std::uint32_t>(edge_bytes_.size());
        node.edge_count = static_cast<std::uint32_t>(children[s].size());
        for (const auto& [c, t] : children[s]) {
            edge_bytes_.push_back(c);
            edge_targets_.push_back(t);
        }
        node.out_begin = static_cast<std::uint32_t>(outputs_.size());
        node.out_count = static_cast<std::uint32_t>(outs[s].size());
        outputs_.insert(outputs_.end(), outs[s].begin(), outs[s].end());
    }
    root_.fill(0);
    for (const auto& [c, t] : children[0]) root_[c] = t;

    // Failure and dictionary links, breadth first.
    std::deque<std::uint32_t> queue;
    for (const auto& [c, t] : children[0]) {
        nodes_[t].fail = 0;
        nodes_[t].dict = 0;
        queue.push_back(t);
    }
    while (!queue.empty()) {
        const std::uint32_t s = queue.front();
        queue.pop_front();
        for (const auto& [c, t] : children[s]) {
            std::uint32_t f = nodes_[s].fail;
            std::uint32_t target = 0;
            for (;;) {
                if (f == 0) {
                    target = root_[c];
                    break;
                }
                const std::uint32_t g = child(f, c);
                if (g != kNone) {
                    target = g;
                    break;
                }
                f = nodes_[f].fail;
            }
            nodes_[t].fail = target;
            nodes_[t].dict = nodes_[target].out_count != 0 ? target : nodes_[target].dict;
            queue.push_back(t);
        }
    }
}

std::uint32_t AhoCorasick::child(std::uint32_t node, unsigned char c) const {
    const Node& n = nodes_[node];
    const unsigned char* begin = edge_bytes_.data() + n.edge_begin;
    const unsigned char* end = begin + n.edge_count;
    if (n.edge_count <= 8) {
        for (const unsigned char* p = begin; p != end; ++p) {
            if (*p == c) return edge_targets_[n.edge_begin + static_cast<std::uint32_t>(p - begin)];
        }
        return kNone;
    }
    const unsigned char* p = std::lower_bound(begin, end, c);
    if (p == end || *p != c) return kNone;
    return edge_targets_[n.edge_begin + static_cast<std::uint32_t>(p - begin)];
}

}  // namespace detail

namespace {

bool reversed_less(std::string_view a, std::string_view b) {
    return std::lexicographical_compare(a.rbegin(), a.rend(), b.rbegin(), b.rend(), [](char x, char y) {
        return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
    });
}

// Per-thread "already verified" marks for automaton keys; cleared on scope exit (only the bits that
// were set, so the cost is proportional to the number of distinct hits, not to the set size).
class SeenKeys {
public:
    explicit SeenKeys(std::size_t keys) : state_(tls()) {
        const std::size_t words = (keys + 63) / 64;
        if (state_.bits.size() < words) state_.bits.resize(words, 0);
        mark_ = state_.touched.size();
    }
    ~SeenKeys() {
        for (std::size_t i = mark_; i < state_.touched.size(); ++i) state_.bits[state_.touched[i] / 64] = 0;
        state_.touched.resize(mark_);
    }
    SeenKeys(const SeenKeys&) = delete;
    SeenKeys& operator=(const SeenKeys&) = delete;
    // Returns true the first time `key` is seen during this scope.
    bool first_time(std::uint32_t key) {
        std::uint64_t& word = state_.bits[key / 64];
        const std::uint64_t bit = std::uint64_t{1} << (key % 64);
        if ((word & bit) != 0) return false;
        word |= bit;
        state_.touched.push_back(key);
        return true;
    }

private:
    struct State {
        std::vector<std::uint64_t> bits;
        std::vector<std::uint32_t> touched;
    };
    static State& tls() {
        thread_local State state;
        return state;
    }
    State& state_;
    std::size_t mark_;
};

}  // namespace

PatternSet PatternSet::compile(std::vector<std::string> patterns, bool case_insensitive) {
    PatternSet s;
    s.case_insensitive_ = case_insensitive;
    s.size_ = patterns.size();
    std::vector<std::string> exact;
    std::vector<std::string> prefixes;
    std::vector<std::string> suffixes;
    std::vector<std::string> keys;
    std::unordered_map<std::string, std::uint32_t> key_ids;
    auto key_for = [&](std::string_view key) -> std::vector<std::uint32_t>& {
        auto [it, inserted] = key_ids.emplace(std::string(key), static_cast<std::uint32_t>(keys.size()));
        if (inserted) {
            keys.emplace_back(key);
            s.key_globs_.emplace_back();
        }
        return s.key_globs_[it->second];
    };

    std::vector<Glob> compiled;
    compiled.reserve(patterns.size());
    // How many general patterns contain each literal run: the prefilter key of a pattern is its rarest run
    // (then the longest), so that a directory shared by hundreds of patterns does not make them all
    // candidates for every value under that directory.
    std::unordered_map<std::string_view, std::size_t> run_count;
    for (const std::string& p : patterns) {
        compiled.push_back(Glob::compile(p, case_insensitive));
        const Glob& g = compiled.back();
        if (g.shape() != GlobShape::general && g.shape() != GlobShape::prefix_suffix) continue;
        for (const std::string_view run : g.literal_runs()) ++run_count[run];
    }
    auto pick_key = [&](const Glob& g) {
        std::string_view best;
        std::size_t best_count = 0;
        for (const std::string_view run : g.literal_runs()) {
            const std::size_t c = run_count[run];
            if (best.empty() || c < best_count || (c == best_count && run.size() > best.size())) {
                best = run;
                best_count = c;
            }
        }
        return std::string(best);
    };

    for (Glob& g : compiled) {
        switch (g.shape()) {
            case GlobShape::exact: exact.push_back(g.pattern()); break;
            case GlobShape::any: s.match_all_ = true; break;
            case GlobShape::prefix: prefixes.push_back(g.parts()[0]); break;
            case GlobShape::suffix: suffixes.push_back(g.parts()[0]); break;
            case GlobShape::contains: {
                auto& list = key_for(g.parts()[0]);
                list.assign(1, kHitIsMatch);
                ++s.stats_.contains;
                break;
            }
            case GlobShape::prefix_suffix:
            case GlobShape::general: {
                const auto idx = static_cast<std::uint32_t>(s.globs_.size());
                const std::string key = pick_key(g);
                s.globs_.push_back(std::move(g));
                if (key.empty()) {
                    s.unanchored_.push_back(idx);
                    ++s.stats_.unanchored;
                } else {
                    auto& list = key_for(key);
                    if (list.empty() || list[0] != kHitIsMatch) list.push_back(idx);
                    ++s.stats_.general;
                }
                break;
            }
        }
    }

    s.stats_.exact = exact.size();
    s.exact_ = LiteralSet::compile(std::move(exact), false);

    std::sort(prefixes.begin(), prefixes.end());
    for (std::string& p : prefixes) {
        if (!s.prefixes_.empty() && std::string_view(p).starts_with(s.prefixes_.back())) continue;
        s.prefixes_.push_back(std::move(p));
    }
    std::sort(suffixes.begin(), suffixes.end(), reversed_less);
    for (std::string& p : suffixes) {
        if (!s.suffixes_.empty() && std::string_view(p).ends_with(s.suffixes_.back())) continue;
        s.suffixes_.push_back(std::move(p));
    }
    s.stats_.prefix = s.prefixes_.size();
    s.stats_.suffix = s.suffixes_.size();

    s.automaton_.build(keys);
    s.stats_.automaton_nodes = s.automaton_.node_count();
    s.stats_.match_all = s.match_all_;
    return s;
}

// In a sorted prefix-free table, the only entry that can be a prefix of v is the greatest one <= v:
// every string between a prefix p of v and v itself starts with p.
bool PatternSet::prefix_match(std::string_view v) const {
    auto it = std::upper_bound(prefixes_.begin(), prefixes_.end(), v,
                               [](std::string_view a, const std::string& b) { return a < b; });
    if (it == prefixes_.begin()) return false;
    return v.starts_with(*std::prev(it));
}

bool PatternSet::suffix_match(std::string_view v) const {
    auto it = std::upper_bound(suffixes_.begin(), suffixes_.end(), v,
                               [](std::string_view a, const std::string& b) { return reversed_less(a, b); });
    if (it == suffixes_.begin()) return false;
    return v.ends_with(*std::prev(it));
}

bool PatternSet::automaton_match(std::string_view v) const {
    if (automaton_.empty()) return false;
    SeenKeys seen(key_globs_.size());
    return automaton_.scan(v, [&](std::uint32_t key) {
        if (!seen.first_time(key)) return false;
        for (const std::uint32_t g : key_globs_[key]) {
            if (g == kHitIsMatch || globs_[g].matches_folded(v)) return true;
        }
        return false;
    });
}

bool PatternSet::matches_folded(std::string_view v) const {
    if (match_all_) return true;
    if (!exact_.empty() && exact_.contains_folded(v)) return true;
    if (!prefixes_.empty() && prefix_match(v)) return true;
    if (!suffixes_.empty() && suffix_match(v)) return true;
    if (automaton_match(v)) return true;
    for (const std::uint32_t g : unanchored_) {
        if (globs_[g].matches_folded(v)) return true;
    }
    return false;
}

bool PatternSet::matches(std::string_view value) const {
    if (!case_insensitive_ || text::is_lower_root(value)) return matches_folded(value);
    thread_local std::string scratch;
    scratch.clear();
    text::append_lower_root(value, scratch);
    return matches_folded(scratch);
}

}  // namespace eqlc::matchers
