#include "matchers/literal_set.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "text/casefold.hpp"

namespace eqlc::matchers {
namespace {

// The int64 equal to `d` when d is a whole number inside the int64 range.
std::optional<std::int64_t> as_exact_integer(double d) {
    // 2^63 is exactly representable; every double in [-2^63, 2^63) that is whole converts exactly.
    constexpr double kTwo63 = 9223372036854775808.0;
    if (!(d >= -kTwo63 && d < kTwo63)) return std::nullopt;  // also rejects NaN
    if (std::trunc(d) != d) return std::nullopt;
    return static_cast<std::int64_t>(d);
}

}  // namespace

LiteralSet LiteralSet::compile(std::vector<std::string> values, bool case_insensitive) {
    LiteralSet s;
    s.case_insensitive_ = case_insensitive;
    s.set_.reserve(values.size());
    bool first = true;
    for (std::string& v : values) {
        std::string key = case_insensitive ? text::to_lower_root(v) : std::move(v);
        if (first) {
            s.min_len_ = s.max_len_ = key.size();
            first = false;
        } else {
            s.min_len_ = std::min(s.min_len_, key.size());
            s.max_len_ = std::max(s.max_len_, key.size());
        }
        s.set_.insert(std::move(key));
    }
    return s;
}

bool LiteralSet::contains_folded(std::string_view value) const {
    if (value.size() < min_len_ || value.size() > max_len_) return false;
    return set_.find(value) != set_.end();
}

bool LiteralSet::contains(std::string_view value) const {
    if (!case_insensitive_ || text::is_lower_root(value)) return contains_folded(value);
    thread_local std::string scratch;
    scratch.clear();
    text::append_lower_root(value, scratch);
    return contains_folded(scratch);
}

NumberSet NumberSet::compile(std::vector<std::int64_t> integers, std::vector<double> doubles) {
    NumberSet s;
    s.integers_ = std::move(integers);
    for (const double d : doubles) {
        if (std::isnan(d)) continue;
        if (auto i = as_exact_integer(d)) {
            s.integers_.push_back(*i);
        } else {
            s.doubles_.push_back(d);
        }
    }
    std::sort(s.integers_.begin(), s.integers_.end());
    s.integers_.erase(std::unique(s.integers_.begin(), s.integers_.end()), s.integers_.end());
    std::sort(s.doubles_.begin(), s.doubles_.end());
    s.doubles_.erase(std::unique(s.doubles_.begin(), s.doubles_.end()), s.doubles_.end());
    return s;
}

bool NumberSet::contains(std::int64_t value) const {
    return std::binary_search(integers_.begin(), integers_.end(), value);
}

bool NumberSet::contains(double value) const {
    if (std::isnan(value)) return false;
    if (auto i = as_exact_integer(value)) return contains(*i);
    return std::binary_search(doubles_.begin(), doubles_.end(), value);
}

}  // namespace eqlc::matchers
