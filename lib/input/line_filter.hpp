// The line prefilter: decides from an event's raw text, before any JSON parsing, whether any loaded query could
// match it (input/needles.hpp; compiler/required_text.hpp derives what each query term needs). Lines that no term could match are
// only checked as JSON and counted; they are never projected or evaluated.
//
// Each term's first (most selective) clause is its anchor. The anchors of every term are searched together with
// Hyperscan (Debian's libvectorscan), one scan per block of whole lines, so the text is read once whatever the
// number of rules. A line where some term's anchor is found is then searched for the needles of the other clauses
// (each directly when there are few, else with a second Hyperscan database over that line). A line is a candidate
// when
//   * some term has each of its clauses satisfied by a needle in the line, or
//   * the line has a \u or \/ escape (a needle's character could be spelled that way), or
//   * the line holds KELVIN SIGN or LATIN CAPITAL LETTER I WITH DOT ABOVE, which Java lowers to ASCII letters
//     (case-insensitive needles are matched ignoring ASCII case only).
//
//   auto filter = LineFilter::create(terms, &error);   // once; immutable, shared by threads
//   LineScanner scanner(*filter);                      // one per thread
//   scanner.scan(block, size);                         // whole lines, '\n'-separated
//   for each line in the block, in order: scanner.may_match(line, length)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "input/needles.hpp"

struct hs_database;
struct hs_scratch;

namespace eqlc::input {

class LineFilter {
public:
    // One RequiredText per query term that may match (the caller leaves out terms that can never hold; none may
    // be unconditional, or there is nothing to filter). Null with `error` set if Hyperscan refuses the needles
    // (not expected for literals).
    static std::unique_ptr<LineFilter> create(const std::vector<RequiredText>& terms, std::string* error);
    ~LineFilter();
    LineFilter(const LineFilter&) = delete;
    LineFilter& operator=(const LineFilter&) = delete;

    size_t anchor_count() const { return anchors_.size(); }
    size_t term_count() const { return terms_.size(); }

private:
    friend class LineScanner;
    LineFilter() = default;

    struct Term {
        std::vector<uint32_t> anchor;             // anchor ids (the first clause)
        std::vector<std::vector<uint32_t>> rest;  // the other clauses, as ids of other_ needles
    };
    std::vector<Needle> anchors_;  // distinct anchor needles; their id is their index
    std::vector<Needle> others_;   // distinct needles of the other clauses
    std::vector<Term> terms_;
    std::vector<std::vector<uint32_t>> terms_of_anchor_;  // anchor id -> the terms it anchors
    uint32_t forcing_id_ = 0;           // ids from here on: patterns that make a line a candidate (escapes, K, I)
    hs_database* db_ = nullptr;         // anchors and forcing patterns, scanned over blocks
    hs_database* others_db_ = nullptr;  // the other needles, scanned over a line whose anchor was found
    // With few other needles, each is looked for in the line directly (cheaper than a Hyperscan call per line).
    static constexpr size_t kDirectSearchMax = 16;
    bool others_direct_ = false;
    hs_scratch* prototype_ = nullptr;  // scratch (for both databases) to clone for each scanner
};

class LineScanner {
public:
    explicit LineScanner(const LineFilter& filter);
    ~LineScanner();
    LineScanner(const LineScanner&) = delete;
    LineScanner& operator=(const LineScanner&) = delete;

    // Finds every anchor in [block, block + size), which must hold whole lines. The block must stay in place
    // while its lines are asked about.
    void scan(const char* block, size_t size);
    // Whether some term could match the line [line, line + size) of the scanned block. Lines must be asked
    // about in increasing order.
    bool may_match(const char* line, size_t size);

private:
    struct Hit {
        uint64_t end;  // offset just after the match in the block
        uint32_t id;
    };
    static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void* self);
    static int on_other(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void* self);
    bool rest_holds(const LineFilter::Term& term, const char* line, size_t size);

    const LineFilter& filter_;
    hs_scratch* scratch_ = nullptr;
    const char* block_ = nullptr;
    std::vector<Hit> hits_;
    size_t next_hit_ = 0;
    std::vector<uint32_t> found_;  // anchors found in the current line
    bool other_present(uint32_t id, const char* line, size_t size);

    std::vector<uint64_t> other_seen_;     // per other needle: the line stamp it was last found in
    std::vector<uint64_t> other_checked_;  // direct search: the line stamp it was last looked for in
    std::string lowered_;                  // direct search: the line in ASCII lower case (for ~ needles)
    uint64_t lowered_stamp_ = 0;
    uint64_t stamp_ = 0;           // the current line's
    bool others_scanned_ = false;  // the current line was scanned for the other needles
};

}  // namespace eqlc::input
