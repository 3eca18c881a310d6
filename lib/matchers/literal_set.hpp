// Exact membership for `in` / `in~` (and `==` / `:` without wildcards): a hash set of strings looked up
// with a string_view (heterogeneous lookup, no allocation per lookup), plus numeric membership that
// compares by value as Elasticsearch does for numeric fields (1 == 1.0).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace eqlc::matchers {

struct StringViewHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// A set of strings that can be probed with std::string_view without building a std::string.
using StringHashSet = std::unordered_set<std::string, StringViewHash, std::equal_to<>>;

class LiteralSet {
public:
    // Case-insensitive sets fold every value with text::to_lower_root (Java toLowerCase(Locale.ROOT));
    // duplicates (after folding) are merged.
    static LiteralSet compile(std::vector<std::string> values, bool case_insensitive);

    // Folds `value` first when the set is case-insensitive (thread_local scratch buffer if the value is
    // not already lower case). Thread-safe.
    bool contains(std::string_view value) const;
    // `value` is already folded (or the set is case-sensitive). No allocation, no shared state.
    bool contains_folded(std::string_view value) const;

    std::size_t size() const { return set_.size(); }
    bool empty() const { return set_.empty(); }
    bool case_insensitive() const { return case_insensitive_; }

private:
    StringHashSet set_;
    std::size_t min_len_ = 0;
    std::size_t max_len_ = 0;
    bool case_insensitive_ = false;
};

// Numbers from an `in` list, compared by value: integers and doubles share one numeric space, so
// `pid in (1, 2.5)` contains the long 1, the double 1.0 and the double 2.5. NaN is never a member.
// Integers beyond 2^53 are compared exactly (they are not rounded through double).
class NumberSet {
public:
    static NumberSet compile(std::vector<std::int64_t> integers, std::vector<double> doubles);

    bool contains(std::int64_t value) const;
    bool contains(double value) const;

    std::size_t size() const { return integers_.size() + doubles_.size(); }
    bool empty() const { return integers_.empty() && doubles_.empty(); }

private:
    std::vector<std::int64_t> integers_;  // sorted, unique; includes the doubles that are whole numbers
    std::vector<double> doubles_;         // sorted, unique; only the non-integral ones (and huge values)
};

}  // namespace eqlc::matchers
