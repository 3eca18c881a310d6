// A list of strings refilled over and over (per event, per term) without giving their buffers back: clear()
// forgets the strings but keeps them, and the next ones are written into them, so that a steady stream of keys
// of similar sizes stops allocating after the first few events. What the longest list held stays allocated (for
// join keys at most JoinKeyBuilder::kMaxCombinations strings).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace eqlc::text {

class ReusedStrings {
public:
    void clear() { used_ = 0; }
    // A new empty string at the end of the list, to write into.
    std::string& add() {
        if (used_ == items_.size()) items_.emplace_back();
        std::string& s = items_[used_++];
        s.clear();
        return s;
    }
    void pop_back() { --used_; }
    size_t size() const { return used_; }
    bool empty() const { return used_ == 0; }
    const std::string& operator[](size_t i) const { return items_[i]; }
    auto begin() const { return items_.begin(); }
    auto end() const { return items_.begin() + static_cast<std::ptrdiff_t>(used_); }

private:
    std::vector<std::string> items_;
    size_t used_ = 0;
};

}  // namespace eqlc::text
