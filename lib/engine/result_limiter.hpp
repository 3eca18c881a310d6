// Applies `| head N`, `| tail N` and the request size to a stream of results in result order, holding back
// only what the limits need: nothing when they are all heads (results stream out and the query can stop once
// the cap is reached), at most N results after the first `tail N` (the rest is decided at the end).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "compiler/compiled_query.hpp"

namespace eqlc::engine {

template <typename Result>
class ResultLimiter {
public:
    using Emit = std::function<void(Result&&)>;

    ResultLimiter(std::span<const compiler::PipeLimit> pipes, std::optional<compiler::PipeLimit> request) {
        limits_.assign(pipes.begin(), pipes.end());
        if (request) limits_.push_back(*request);
        size_t i = 0;
        for (; i < limits_.size() && limits_[i].kind == compiler::PipeLimit::Kind::head; ++i)
            head_cap_ = std::min(head_cap_, limits_[i].count);
        if (i < limits_.size()) {
            tail_keep_ = limits_[i].count;
            rest_.assign(limits_.begin() + static_cast<std::ptrdiff_t>(i) + 1, limits_.end());
        }
    }

    // True once no further result can be delivered (a head cap reached with no tail after it).
    bool saturated() const { return seen_ >= head_cap_ && !tail_keep_; }

    void add(Result&& result, const Emit& emit) {
        if (seen_ >= head_cap_) return;
        ++seen_;
        if (!tail_keep_) {
            emit(std::move(result));
            return;
        }
        if (*tail_keep_ == 0) return;
        held_.push_back(std::move(result));
        if (held_.size() > *tail_keep_) held_.pop_front();
    }

    void finish(const Emit& emit) {
        if (!tail_keep_) return;
        const auto window = compiler::apply_limits(held_.size(), rest_);
        for (size_t i = window.begin; i < window.end; ++i) emit(std::move(held_[i]));
        held_.clear();
    }

    // State for snapshots: how many results were seen, and those held back.
    uint64_t seen() const { return seen_; }
    const std::deque<Result>& held() const { return held_; }
    void restore(uint64_t seen, std::deque<Result> held) {
        seen_ = seen;
        held_ = std::move(held);
    }

private:
    std::vector<compiler::PipeLimit> limits_;
    std::vector<compiler::PipeLimit> rest_;  // the limits after the first tail
    uint64_t head_cap_ = UINT64_MAX;
    std::optional<uint64_t> tail_keep_;
    uint64_t seen_ = 0;
    std::deque<Result> held_;
};

}  // namespace eqlc::engine
