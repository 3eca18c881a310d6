// Cost ordering: estimates what a condition costs to evaluate and reorders and/or operands so that cheap tests
// run first (never changes results: and/or of conditions are commutative in two-valued filters).
#include <algorithm>
#include <utility>
#include <vector>

#include "semantics/normalizer.hpp"

namespace eqlc::semantics {

unsigned estimated_cost(const Cond& c) {
    switch (c.kind) {
        case CondKind::constant: return 0;
        case CondKind::and_:
        case CondKind::or_: {
            unsigned sum = 0;
            for (const auto& child : c.children) sum += estimated_cost(child);
            return sum;
        }
        case CondKind::field_test:
            switch (c.predicate.op) {
                case PredOp::exists: return 1;
                case PredOp::cmp: return 2;
                case PredOp::in: return 3;
                case PredOp::in_ci: return 4;
                case PredOp::prefix: return 4;
                case PredOp::cidr: return 6;
                case PredOp::pattern: return 8;
                case PredOp::regex: return 16;
            }
            return 8;
        case CondKind::value_test: return 32;
    }
    return 8;
}

namespace {

// Orders the children of every and/or by cost and returns the node's estimated_cost; each node's cost is
// computed once (sorting by estimated_cost directly would walk a subtree at every comparison).
unsigned order_and_cost(Cond& c) {
    if (c.kind != CondKind::and_ && c.kind != CondKind::or_) return estimated_cost(c);
    std::vector<std::pair<unsigned, size_t>> costs;  // (cost, position)
    costs.reserve(c.children.size());
    unsigned sum = 0;
    for (size_t i = 0; i < c.children.size(); ++i) {
        const unsigned cost = order_and_cost(c.children[i]);
        sum += cost;
        costs.emplace_back(cost, i);
    }
    std::stable_sort(costs.begin(), costs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Cond> sorted;
    sorted.reserve(c.children.size());
    for (const auto& [cost, i] : costs) sorted.push_back(std::move(c.children[i]));
    c.children = std::move(sorted);
    return sum;
}

}  // namespace

void order_by_cost(Cond& c) { order_and_cost(c); }

}  // namespace eqlc::semantics
