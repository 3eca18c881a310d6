#include "input/line_filter.hpp"

#include <hs.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <unordered_map>

namespace eqlc::input {

namespace {

// Patterns that make a line a candidate whatever it holds: escapes that could spell a needle's character
// differently, and the two non-ASCII characters Java lowers to ASCII letters (U+212A -> k, U+0130 -> i).
constexpr std::string_view kForcing[] = {"\\u", "\\/", "\xE2\x84\xAA", "\xC4\xB0"};
constexpr uint32_t kEscapes = 2;  // the first two of kForcing are escapes (their backslash may be escaped)

// ASCII lower case, written so that the compiler vectorizes it.
void lower_ascii(const char* __restrict in, size_t size, char* __restrict out) {
    for (size_t i = 0; i < size; ++i) {
        const auto c = static_cast<unsigned char>(in[i]);
        out[i] = static_cast<char>(c | (static_cast<unsigned char>(c - 'A') < 26 ? 0x20 : 0));
    }
}

}  // namespace

namespace {

// A literal database for `needles` (ids are their indexes) followed by `extra` case-sensitive patterns.
hs_database* compile(const std::vector<Needle>& needles, std::span<const std::string_view> extra, unsigned flags,
                     std::string* error) {
    std::vector<const char*> patterns;
    std::vector<size_t> lengths;
    std::vector<unsigned> pattern_flags;
    std::vector<unsigned> ids;
    for (const auto& needle : needles) {
        patterns.push_back(needle.text.data());
        lengths.push_back(needle.text.size());
        pattern_flags.push_back(flags | (needle.case_insensitive ? HS_FLAG_CASELESS : 0));
        ids.push_back(static_cast<unsigned>(ids.size()));
    }
    for (const std::string_view pattern : extra) {
        patterns.push_back(pattern.data());
        lengths.push_back(pattern.size());
        pattern_flags.push_back(flags);
        ids.push_back(static_cast<unsigned>(ids.size()));
    }
    hs_database* db = nullptr;
    hs_compile_error_t* compile_error = nullptr;
    if (hs_compile_lit_multi(patterns.data(), pattern_flags.data(), ids.data(), lengths.data(),
                             static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, nullptr, &db,
                             &compile_error) != HS_SUCCESS) {
        if (error) *error = compile_error && compile_error->message ? compile_error->message : "hyperscan failed";
        hs_free_compile_error(compile_error);
        return nullptr;
    }
    return db;
}

// Distinct needles, each with its id (its index): a hash map, so that 100,000 needles take linear time.
class NeedleTable {
public:
    explicit NeedleTable(std::vector<Needle>& needles) : needles_(needles) {}
    uint32_t intern(const Needle& needle) {
        std::string key;
        key.reserve(needle.text.size() + 1);
        key += needle.case_insensitive ? '~' : '=';
        key += needle.text;
        const auto [it, added] = ids_.emplace(std::move(key), static_cast<uint32_t>(needles_.size()));
        if (added) needles_.push_back(needle);
        return it->second;
    }

private:
    std::vector<Needle>& needles_;
    std::unordered_map<std::string, uint32_t> ids_;
};

}  // namespace

std::unique_ptr<LineFilter> LineFilter::create(const std::vector<RequiredText>& terms, std::string* error) {
    std::unique_ptr<LineFilter> filter(new LineFilter());
    NeedleTable anchors(filter->anchors_), others(filter->others_);
    for (const auto& required : terms) {
        if (required.clauses.empty()) {
            if (error) *error = "a term without required text";
            return nullptr;
        }
        Term term;
        for (const auto& needle : required.clauses.front()) term.anchor.push_back(anchors.intern(needle));
        for (size_t c = 1; c < required.clauses.size(); ++c) {
            std::vector<uint32_t> clause;
            for (const auto& needle : required.clauses[c]) clause.push_back(others.intern(needle));
            term.rest.push_back(std::move(clause));
        }
        filter->terms_.push_back(std::move(term));
    }
    filter->terms_of_anchor_.resize(filter->anchors_.size());
    for (uint32_t t = 0; t < filter->terms_.size(); ++t)
        for (const uint32_t a : filter->terms_[t].anchor) {
            auto& list = filter->terms_of_anchor_[a];
            if (list.empty() || list.back() != t) list.push_back(t);  // terms come in order: no search needed
        }

    filter->forcing_id_ = static_cast<uint32_t>(filter->anchors_.size());
    filter->db_ = compile(filter->anchors_, kForcing, 0, error);
    if (!filter->db_) return nullptr;
    filter->others_direct_ = filter->others_.size() <= kDirectSearchMax;
    if (!filter->others_.empty() && !filter->others_direct_) {
        // One report per needle and line is enough.
        filter->others_db_ = compile(filter->others_, {}, HS_FLAG_SINGLEMATCH, error);
        if (!filter->others_db_) return nullptr;
    }
    if (hs_alloc_scratch(filter->db_, &filter->prototype_) != HS_SUCCESS ||
        (filter->others_db_ && hs_alloc_scratch(filter->others_db_, &filter->prototype_) != HS_SUCCESS)) {
        if (error) *error = "cannot allocate hyperscan scratch space";
        return nullptr;
    }
    return filter;
}

LineFilter::~LineFilter() {
    if (prototype_) hs_free_scratch(prototype_);
    if (db_) hs_free_database(db_);
    if (others_db_) hs_free_database(others_db_);
}

LineScanner::LineScanner(const LineFilter& filter)
    : filter_(filter), other_seen_(filter.others_.size(), 0), other_checked_(filter.others_.size(), 0) {
    if (hs_clone_scratch(filter.prototype_, &scratch_) != HS_SUCCESS) throw std::bad_alloc();
}

LineScanner::~LineScanner() {
    if (scratch_) hs_free_scratch(scratch_);
}

int LineScanner::on_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void* self) {
    auto& scanner = *static_cast<LineScanner*>(self);
    if (id >= scanner.filter_.forcing_id_ && id < scanner.filter_.forcing_id_ + kEscapes) {
        // "\u" or "\/" is an escape only when its backslash is not itself escaped: an odd run of backslashes.
        size_t backslashes = 0;
        for (uint64_t at = to - 2;; --at) {
            if (scanner.block_[at] != '\\') break;
            ++backslashes;
            if (at == 0) break;
        }
        if (backslashes % 2 == 0) return 0;
    }
    scanner.hits_.push_back(Hit{to, id});
    return 0;
}

void LineScanner::scan(const char* block, size_t size) {
    block_ = block;
    hits_.clear();
    next_hit_ = 0;
    if (size == 0) return;
    if (hs_scan(filter_.db_, block, static_cast<unsigned>(size), 0, scratch_, &LineScanner::on_match, this) !=
        HS_SUCCESS) {
        // Cannot happen with a database and scratch that were built; to be safe, every line becomes a candidate.
        block_ = nullptr;
        return;
    }
    // Hyperscan reports matches by increasing end offset; this only guards that assumption.
    auto by_end = [](const Hit& a, const Hit& b) { return a.end < b.end; };
    if (!std::is_sorted(hits_.begin(), hits_.end(), by_end)) std::stable_sort(hits_.begin(), hits_.end(), by_end);
}

bool LineScanner::may_match(const char* line, size_t size) {
    if (block_ == nullptr) return true;
    const uint64_t begin = static_cast<uint64_t>(line - block_);
    const uint64_t end = begin + size;
    found_.clear();
    bool forced = false;
    for (; next_hit_ < hits_.size() && hits_[next_hit_].end <= end; ++next_hit_) {
        const Hit& hit = hits_[next_hit_];
        if (hit.end <= begin) continue;  // in an earlier line that was not asked about
        if (hit.id >= filter_.forcing_id_)
            forced = true;
        else if (std::find(found_.begin(), found_.end(), hit.id) == found_.end())
            found_.push_back(hit.id);
    }
    if (forced) return true;
    ++stamp_;
    others_scanned_ = false;
    for (const uint32_t anchor : found_)
        for (const uint32_t t : filter_.terms_of_anchor_[anchor])
            if (rest_holds(filter_.terms_[t], line, size)) return true;
    return false;
}

int LineScanner::on_other(unsigned id, unsigned long long, unsigned long long, unsigned, void* self) {
    auto& scanner = *static_cast<LineScanner*>(self);
    scanner.other_seen_[id] = scanner.stamp_;
    return 0;
}

// The term's clauses after its anchor.
bool LineScanner::rest_holds(const LineFilter::Term& term, const char* line, size_t size) {
    for (const auto& clause : term.rest) {
        bool any = false;
        for (const uint32_t id : clause)
            if (other_present(id, line, size)) {
                any = true;
                break;
            }
        if (!any) return false;
    }
    return true;
}

// Whether the other needle `id` is in the current line. Each needle is looked for at most once per line; with
// the Hyperscan database, the line is scanned once for all of them.
bool LineScanner::other_present(uint32_t id, const char* line, size_t size) {
    if (!filter_.others_direct_) {
        if (!others_scanned_) {
            others_scanned_ = true;
            if (hs_scan(filter_.others_db_, line, static_cast<unsigned>(size), 0, scratch_, &LineScanner::on_other,
                        this) != HS_SUCCESS)
                std::fill(other_seen_.begin(), other_seen_.end(), stamp_);  // cannot happen; keep the line
        }
        return other_seen_[id] == stamp_;
    }
    if (other_checked_[id] != stamp_) {
        other_checked_[id] = stamp_;
        const Needle& needle = filter_.others_[id];
        std::string_view text(line, size);
        if (needle.case_insensitive) {
            if (lowered_stamp_ != stamp_) {
                lowered_stamp_ = stamp_;
                lowered_.resize(size);
                lower_ascii(line, size, lowered_.data());
            }
            text = lowered_;
        }
        if (text.find(needle.text) != std::string_view::npos) other_seen_[id] = stamp_;
    }
    return other_seen_[id] == stamp_;
}

}  // namespace eqlc::input
