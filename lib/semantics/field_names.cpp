#include "semantics/field_names.hpp"

#include <algorithm>
#include <unordered_map>

namespace eqlc::semantics {
namespace {

constexpr unsigned kEdit = 2;      // one edit of a segment (doubled, see segment_distance)
constexpr unsigned kSegment = 4;   // a segment added or dropped
constexpr unsigned kMaxTotal = 6;  // the most a suggestion may differ: three edits, or a segment and an edit

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// The edits a segment of this length may take and still be a typo of another: one for short segments
// (`pid`, `name`), up to three for long ones (`original_file_name`).
unsigned segment_budget(size_t length) {
    const size_t edits = std::clamp<size_t>(length / 4, 1, 3);
    return static_cast<unsigned>(edits) * kEdit;
}

std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
        const size_t dot = path.find('.', start);
        out.push_back(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return out;
}

}  // namespace

unsigned segment_distance(std::string_view a, std::string_view b, unsigned limit) {
    const size_t n = a.size(), m = b.size();
    const size_t length_gap = n > m ? n - m : m - n;
    if (length_gap * kEdit > limit) return limit + 1;
    // Optimal string alignment over three rows: the previous two are needed for swaps of neighbours.
    std::vector<unsigned> before(m + 1), previous(m + 1), current(m + 1);
    for (size_t j = 0; j <= m; ++j) previous[j] = static_cast<unsigned>(j) * kEdit;
    for (size_t i = 1; i <= n; ++i) {
        current[0] = static_cast<unsigned>(i) * kEdit;
        unsigned row_min = current[0];
        for (size_t j = 1; j <= m; ++j) {
            unsigned substitute = 0;
            if (a[i - 1] != b[j - 1]) substitute = lower(a[i - 1]) == lower(b[j - 1]) ? 1 : kEdit;
            unsigned best = std::min({previous[j] + kEdit, current[j - 1] + kEdit, previous[j - 1] + substitute});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && a[i - 1] != a[i - 2])
                best = std::min(best, before[j - 2] + kEdit);
            current[j] = best;
            row_min = std::min(row_min, best);
        }
        if (row_min > limit) return limit + 1;
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return std::min(previous[m], limit + 1);
}

FieldNames::FieldNames(const std::vector<std::string>& paths, const std::vector<bool>& values) {
    nodes_.emplace_back();
    std::unordered_map<std::string, uint32_t> index;  // path -> node
    for (size_t p = 0; p < paths.size(); ++p) {
        uint32_t at = 0;
        std::string prefix;
        for (std::string_view segment : split(paths[p])) {
            if (!prefix.empty()) prefix += '.';
            prefix += segment;
            auto [it, added] = index.try_emplace(prefix, static_cast<uint32_t>(nodes_.size()));
            if (added) {
                Node node;
                node.segment = std::string(segment);
                node.path = prefix;
                nodes_.push_back(std::move(node));
                nodes_[at].children.push_back(it->second);
            }
            at = it->second;
        }
        if (p < values.size() && values[p]) nodes_[at].value = true;
    }
}

// One look-up: the query's segments against the tree, keeping the cheapest cost found per field.
struct FieldNames::Search {
    const std::vector<Node>& nodes;
    const std::vector<std::string_view>& segments;
    std::unordered_map<uint32_t, unsigned> found;  // node -> cost

    void walk(uint32_t at, size_t next, unsigned cost, bool reshaped) {
        if (next == segments.size()) {
            if (at != 0 && nodes[at].value) {
                auto [it, added] = found.try_emplace(at, cost);
                if (!added) it->second = std::min(it->second, cost);
            }
        } else {
            const std::string_view segment = segments[next];
            const unsigned budget = std::min(segment_budget(segment.size()), kMaxTotal - cost);
            for (uint32_t child : nodes[at].children) {
                const unsigned d = segment_distance(segment, nodes[child].segment, budget);
                if (d <= budget) walk(child, next + 1, cost + d, reshaped);
            }
        }
        // One segment more or less than a known field (only once per look-up, and only where it still fits).
        if (reshaped || cost + kSegment > kMaxTotal) return;
        if (next < segments.size()) walk(at, next + 1, cost + kSegment, true);
        for (uint32_t child : nodes[at].children) walk(child, next, cost + kSegment, true);
    }
};

std::vector<std::string> FieldNames::nearest(std::string_view path, size_t max) const {
    const std::vector<std::string_view> segments = split(path);
    Search search{nodes_, segments, {}};
    search.walk(0, 0, 0, false);
    std::vector<std::pair<unsigned, uint32_t>> ranked;
    for (const auto& [node, cost] : search.found)
        if (nodes_[node].path != path) ranked.emplace_back(cost, node);
    std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first < b.first;
        return nodes_[a.second].path < nodes_[b.second].path;
    });
    std::vector<std::string> out;
    for (const auto& [cost, node] : ranked) {
        // Only the names about as close as the best: a clear best is given alone.
        if (out.size() >= max || cost > ranked.front().first + 1) break;
        out.push_back(nodes_[node].path);
    }
    return out;
}

}  // namespace eqlc::semantics
