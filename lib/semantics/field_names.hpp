// The nearest known field names to an unknown one, for "did you mean [process.name]?". Field names are dotted
// paths, and a typo sits in one segment (`proces.name`, `process.parnet.name`) or adds or drops one
// (`process.parent.pe.original_file_name` for `process.pe.original_file_name`), so names are compared segment
// by segment down a tree of the known paths: a branch is left as soon as its segments cost too much, which keeps a
// look-up to a few thousand small comparisons whatever the number of fields (2,725 in ECS).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eqlc::semantics {

class FieldNames {
public:
    // `paths`: every known path; `values`: those that can be suggested (fields with values, not objects).
    FieldNames(const std::vector<std::string>& paths, const std::vector<bool>& values);
    FieldNames() : FieldNames({}, {}) {}

    // Up to `max` known fields nearest to `path`, best first; empty when none is close enough to be a typo.
    std::vector<std::string> nearest(std::string_view path, size_t max = 3) const;

private:
    struct Node {
        std::string segment;
        std::string path;
        std::vector<uint32_t> children;
        bool value = false;
    };
    struct Search;

    std::vector<Node> nodes_;  // nodes_[0]: the root (no segment)
};

// Edit distance between two segments, doubled so that a change of letter case alone costs 1 and any other edit
// (insertion, deletion, substitution, swap of two neighbours) costs 2. Returns `limit` + 1 as soon as the result
// must exceed `limit`.
unsigned segment_distance(std::string_view a, std::string_view b, unsigned limit);

}  // namespace eqlc::semantics
