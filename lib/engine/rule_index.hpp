// The rule index: which terms of a whole rule library an event may match, found with one lookup per field value
// instead of one program per term.
//
// Every term (a filter of an event query, a sequence stage, a sample filter, an `until`) has a few index keys
// (compiler/index_keys.hpp): string and integer tests it cannot hold without. The index picks one key per term,
// the most selective by a library-wide estimate (a value that many terms require, such as event.category "process"
// or host.os.type "windows", is likely common in the data too, and so is any value of a field the library tests
// for a few values only; short pattern literals occur in many values), and files the term under each of the key's
// values. Per field read by some chosen key there is
//
//   * a hash table of exact values and one of folded values (text::to_lower_root, as the VM folds);
//   * a multi-literal scan (engine/literal_scan.hpp) over the longest literal of each wildcard pattern (one over
//     the raw value, one over the folded value): a pattern can only match a value that contains its literal;
//   * the terms whose pattern has no literal ("*", "?*"): any string value;
//   * a hash table of integers, for the number values equal to them.
//
// Per event, each such field's values are looked up once (the VM's string tests hold on string values only, its
// number tests on numbers; a thread remembers the lists of the values of each field whose lookup scans or folds,
// since streams repeat them), and every term filed under a value found is a candidate. Only candidates, and the
// terms without any key (the always-run list), run their programs: a term the index rules out cannot hold, since
// its key is necessary for its filter. Term ids number the terms of every query in order: query q's terms are
// first(q) .. first(q) + terms - 1, and its `until` comes after them.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "compiler/compiled_query.hpp"
#include "engine/compiled_queries.hpp"
#include "engine/literal_scan.hpp"
#include "text/short_text.hpp"
#include "values/value.hpp"

namespace eqlc::engine {

class RuleIndex {
public:
    static constexpr uint32_t kNone = UINT32_MAX;
    // At most this many wildcard patterns in one key, and filed under one field.
    static constexpr size_t kMaxKeyPatterns = 1024;
    static constexpr size_t kMaxFieldPatterns = 4096;

    RuleIndex() = default;
    // Over every valid query of `queries`, or only those listed in `only` (ascending; the other queries' terms keep
    // their ids but are never candidates). `queries` must outlive the index.
    explicit RuleIndex(const std::vector<QueryEntry>& queries, const std::vector<size_t>* only = nullptr);
    RuleIndex(const RuleIndex&) = delete;
    RuleIndex& operator=(const RuleIndex&) = delete;
    // An index over some of this one's queries, with the same ids and keys (for a rule shard's thread). Built once
    // per list and kept: read_ndjson splits the rules the same way for every file it reads. Thread-safe.
    std::shared_ptr<const RuleIndex> restricted(const std::vector<size_t>& only) const;

    uint32_t term_id(size_t query, size_t term) const { return first_[query] + static_cast<uint32_t>(term); }
    uint32_t until_id(size_t query) const { return until_[query]; }  // kNone without until
    uint32_t query_of(uint32_t term) const { return term_query_[term]; }
    size_t term_count() const { return term_query_.size(); }
    bool always(uint32_t term) const { return always_[term] != 0; }
    // The queries with an always-run term, ascending.
    const std::vector<uint32_t>& always_queries() const { return always_queries_; }

    // A value of a field whose lookup costs scans or folding, and the lists it gave: events of a stream repeat most
    // such values (process names, paths, command lines of the same programs), so its next lookup replays them.
    // Per field and thread, kRememberedSets sets of kRememberedWays values, a value's set chosen by a hash of it
    // (`tag`): a field with a few hundred values in use keeps them all, even where their hashes collide.
    struct Remembered {
        uint64_t tag = 0;  // 0: unused (a value's tag never is)
        std::string value;
        std::vector<uint32_t> lists;
    };
    static constexpr size_t kRememberedSets = 128, kRememberedWays = 4;
    static constexpr size_t kRememberedPerField = kRememberedSets * kRememberedWays;
    static constexpr size_t kRememberedLength = 2048;  // longer values are looked up each time (memory stays small)

    // Per-event scratch (one per thread).
    struct Scratch {
        std::string folded;
        LiteralScan::Scratch literals;
        const RuleIndex* prepared = nullptr;              // the index `literals` and `remembered` were made for
        std::vector<std::vector<Remembered>> remembered;  // per field (empty for a field looked up cheaply)
        std::vector<std::vector<uint8_t>> victims;        // per field and set: the way its next new value takes
        std::vector<uint32_t> lists;                      // a value's lists, not remembered
        std::vector<uint32_t> found;                      // candidates(): the event's lists
    };
    // Appends the candidate terms of the event to `out` (a term may appear several times; always-run terms are
    // not included).
    void candidates(const vm::EventRecord& event, Scratch& scratch, std::vector<uint32_t>& out) const;
    // The same as lists of terms, unexpanded: appends the ids of the lists whose terms are the event's candidates
    // (a list may appear several times); terms_of() gives a list's terms.
    void candidate_lists(const vm::EventRecord& event, Scratch& scratch, std::vector<uint32_t>& out) const;
    std::span<const uint32_t> terms_of(uint32_t list) const {
        return {list_terms_.data() + list_starts_[list], list_terms_.data() + list_starts_[list + 1]};
    }

    // For --explain and --stats.
    size_t indexed_terms() const { return indexed_; }
    size_t always_run_terms() const { return always_count_; }
    size_t fields() const { return fields_.size(); }
    // "process.name in 3 values", or "none: always run".
    std::string describe(uint32_t term) const;

private:
    // Deliberately not noexcept: libstdc++ then keeps each key's hash in its node, and a lookup walks a bucket
    // comparing hashes, not rehashing every key it passes. The keys are the rules' values (an event's values are
    // only looked up), hashed and compared a word at a time.
    struct CachedHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return text::word_hash(s); }
    };
    struct SameText {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const { return text::same_text(a, b); }
    };
    // A table of values, with the range of their lengths and a bit per hash value modulo 4096: most event values
    // are ruled out by their length or that bit, without a walk in the table's memory.
    struct Postings {
        std::unordered_map<std::string, uint32_t, CachedHash, SameText> lists;  // -> list
        size_t min_length = SIZE_MAX, max_length = 0;
        std::array<uint64_t, 64> hash_bits{};
        bool empty() const { return lists.empty(); }
        void note(std::string_view value) {
            min_length = std::min(min_length, value.size());
            max_length = std::max(max_length, value.size());
            const size_t h = CachedHash{}(value)&4095;
            hash_bits[h >> 6] |= uint64_t{1} << (h & 63);
        }
        const uint32_t* find(std::string_view value) const {
            if (value.size() < min_length || value.size() > max_length) return nullptr;
            const size_t h = CachedHash{}(value)&4095;
            if (!(hash_bits[h >> 6] & (uint64_t{1} << (h & 63)))) return nullptr;
            auto it = lists.find(value);
            return it == lists.end() ? nullptr : &it->second;
        }
    };
    struct Field {
        vm::SlotId slot = 0;
        Postings exact;                                 // value -> list
        Postings folded;                                // folded value -> list
        LiteralScan raw_literals, folded_literals;      // the patterns' literals
        std::vector<uint32_t> raw_lists, folded_lists;  // literal -> list
        uint32_t any_string = kNone;                    // list of the terms any string value satisfies
        std::unordered_map<int64_t, uint32_t> numbers;  // integer -> list (number values equal to it)
        bool needs_fold() const { return !folded.empty() || !folded_lists.empty(); }
        // A lookup that scans or folds: worth remembering (an exact lookup alone costs less than the remembering).
        bool costly() const { return needs_fold() || !raw_literals.empty(); }
    };

    // While building: a field's pattern literals for its scan, each once (literal i has id i).
    struct Literals {
        std::vector<std::string> texts;
        std::unordered_map<std::string, uint32_t> ids;
    };
    void file(uint32_t term, const compiler::IndexKey& key, std::vector<Literals>& raw, std::vector<Literals>& folded);
    void compile_literals(const std::vector<Literals>& raw, const std::vector<Literals>& folded);
    uint32_t list_for(Postings& table, const std::string& value);
    Field& field(vm::SlotId slot);
    // The lists of `value` of field `f`: exact, then literal matches, then the same for the folded value.
    void lists_of(const Field& f, std::string_view value, Scratch& scratch, std::vector<uint32_t>& lists) const;
    // The list of the terms a number value of field `f` satisfies, or kNone.
    uint32_t number_list(const Field& f, const vm::Value& v) const;

    const std::vector<QueryEntry>* queries_ = nullptr;
    mutable std::mutex restricted_mutex_;
    mutable std::vector<std::pair<std::vector<size_t>, std::shared_ptr<const RuleIndex>>> restricted_;
    std::vector<uint32_t> first_, until_, term_query_;
    std::vector<uint8_t> always_;
    std::vector<uint32_t> always_queries_;
    std::vector<std::string> descriptions_;  // per term
    size_t indexed_ = 0, always_count_ = 0;
    std::vector<Field> fields_;
    std::vector<vm::SlotId> field_slots_;       // fields_[i].slot, packed: most events lack most fields
    std::vector<std::vector<uint32_t>> lists_;  // terms, ascending (while building)
    // The lists once built, one after another: list l's terms are list_terms_[list_starts_[l] .. list_starts_[l + 1]).
    std::vector<uint32_t> list_terms_, list_starts_;
};

}  // namespace eqlc::engine
