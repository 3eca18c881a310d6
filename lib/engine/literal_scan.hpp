// Many literals searched in one pass over a string (Hyperscan in literal mode): which of them occur in it. The rule
// index (engine/rule_index.hpp) uses one per field for the literals of wildcard patterns, a pattern matching a
// value only when its longest literal occurs in it.
//
//   LiteralScan scan = LiteralScan::compile({"\\startup\\", ".lnk"});   // ids 0, 1
//   LiteralScan::Scratch scratch;                                        // one per thread
//   scan.prepare(scratch);
//   scan.find(value, scratch, [](uint32_t id) { ... });                 // each id found, once
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct hs_database;
struct hs_scratch;

namespace eqlc::engine {

class LiteralScan {
public:
    // Scratch space for scans on one thread, sized for every LiteralScan it was used with.
    class Scratch {
    public:
        Scratch() = default;
        ~Scratch();
        Scratch(const Scratch&) = delete;
        Scratch& operator=(const Scratch&) = delete;

    private:
        friend class LiteralScan;
        hs_scratch* space_ = nullptr;
        std::vector<uint32_t> found_;
    };

    LiteralScan() = default;
    // Literal i has id i; literals must not be empty. Throws std::runtime_error when Hyperscan refuses them.
    static LiteralScan compile(const std::vector<std::string>& literals);

    bool empty() const { return !db_; }
    // Sizes `scratch` for this scan: before the first find() with it.
    void prepare(Scratch& scratch) const;
    size_t shortest() const { return shortest_; }

    // Calls f(id) once for each literal that occurs in `text`.
    template <class F>
    void find(std::string_view text, Scratch& scratch, F&& f) const {
        if (!db_ || text.size() < shortest_) return;
        scan(text, scratch);
        for (const uint32_t id : scratch.found_) f(id);
    }

private:
    void scan(std::string_view text, Scratch& scratch) const;

    std::shared_ptr<hs_database> db_;
    size_t shortest_ = SIZE_MAX;
    uint32_t count_ = 0;
};

}  // namespace eqlc::engine
