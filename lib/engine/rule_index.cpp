#include "engine/rule_index.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <unordered_set>

#include "matchers/glob.hpp"
#include "text/casefold.hpp"
#include "text/shared_work.hpp"

namespace eqlc::engine {

namespace {

using Kind = compiler::IndexAlternative::Kind;

bool is_pattern(Kind k) { return k == Kind::pattern || k == Kind::folded_pattern; }
bool is_folded(Kind k) { return k == Kind::folded || k == Kind::folded_pattern; }

// What an alternative's value is filed under, and so how common it is across the library: the value itself,
// or a pattern's literal.
std::string popularity_key(const compiler::IndexAlternative& alt, const std::string& value) {
    std::string k = std::to_string(alt.slot);
    k += static_cast<char>('a' + static_cast<int>(alt.kind));
    k += is_pattern(alt.kind) ? matchers::longest_literal(value) : std::string_view(value);
    return k;
}

// The folded form of `value` (Java's toLowerCase(Locale.ROOT)): itself when folding changes nothing, else built in
// `buffer`.
std::string_view fold(std::string_view value, std::string& buffer) {
    if (text::is_lower_root(value)) return value;
    buffer.clear();
    text::append_lower_root(value, buffer);
    return buffer;
}

}  // namespace

RuleIndex::RuleIndex(const std::vector<QueryEntry>& queries, const std::vector<size_t>* only) : queries_(&queries) {
    std::vector<uint8_t> included(queries.size(), only ? 0 : 1);
    if (only)
        for (const size_t q : *only) included.at(q) = 1;
    // Number the terms.
    first_.resize(queries.size());
    until_.assign(queries.size(), kNone);
    std::vector<const compiler::CompiledTerm*> terms;
    for (size_t q = 0; q < queries.size(); ++q) {
        first_[q] = static_cast<uint32_t>(terms.size());
        if (!queries[q].compiled) continue;
        for (const auto& t : queries[q].compiled->terms) {
            terms.push_back(&t);
            term_query_.push_back(static_cast<uint32_t>(q));
        }
        if (queries[q].compiled->until) {
            until_[q] = static_cast<uint32_t>(terms.size());
            terms.push_back(&*queries[q].compiled->until);
            term_query_.push_back(static_cast<uint32_t>(q));
        }
    }
    always_.assign(terms.size(), 0);
    descriptions_.resize(terms.size());

    // How many terms require each value (an estimate of how common it is in events), the values an `or` could be
    // keyed on included; the copies of a `runs=N` term, which share its filter, count once.
    std::unordered_map<std::string, uint32_t> popularity;
    std::unordered_set<std::string> seen;  // one term's values
    // And how many different values the library tests each field for: a field tested for few values across a
    // large library (event.type, network.transport, host.os.type) is an enumeration, each of whose values a good
    // part of the stream has, however few rules name it.
    std::unordered_map<vm::SlotId, std::unordered_set<std::string>> field_values;
    auto count_key = [&](const compiler::IndexKey& key, auto&& self) -> void {
        for (const auto& alt : key.alternatives)
            for (const auto& v : alt.values) {
                std::string k = popularity_key(alt, v);
                seen.insert(k);
                field_values[alt.slot].insert(std::move(k));
            }
        for (const auto& branch : key.branches)
            for (const auto& option : branch) self(option, self);
    };
    for (size_t id = 0; id < terms.size(); ++id) {
        const auto* t = terms[id];
        if (id > 0 && term_query_[id] == term_query_[id - 1] && t->filter == terms[id - 1]->filter) continue;
        seen.clear();
        for (const auto& key : t->index_keys) count_key(key, count_key);
        for (const auto& k : seen) ++popularity[k];
    }
    // An enumeration: a field the library tests for at most kEnumeration values, each named by several terms on
    // average (a field few rules test, for a few values, is not one).
    constexpr size_t kEnumeration = 16;
    std::unordered_map<vm::SlotId, size_t> field_tests;  // per field: how many terms name each value, summed
    for (const auto& [slot, values] : field_values)
        for (const auto& v : values) field_tests[slot] += popularity[v];
    // The estimated cost of a key, roughly in events per thousand that hold one of its values: how many terms
    // require each value (a value that many rules name is a common one), plus what is common in events whatever
    // the library. A key of many rare values (128 domain patterns) is still far better than one common value.
    auto cost = [&](const compiler::IndexKey& key, std::optional<vm::SlotId> category) {
        uint64_t c = 0;
        for (const auto& alt : key.alternatives) {
            size_t distinct = field_values[alt.slot].size();
            if (field_tests[alt.slot] < 4 * distinct) distinct = SIZE_MAX;  // not an enumeration
            for (const auto& v : alt.values) {
                c += alt.slot == category ? 200 : 0;  // a category is shared by a large part of any stream
                c += distinct <= kEnumeration ? 1000 / std::max<size_t>(1, distinct) : 0;
                c += v.size() < 8 ? 1 : 0;  // short values are more often enumerations ("start", "linux")
                c += popularity[popularity_key(alt, v)];
                if (is_pattern(alt.kind)) {
                    const size_t literal = matchers::longest_literal(v).size();
                    // Short literals occur in many values ("/", ".", "\\").
                    c += literal == 0 ? 200000 : literal == 1 ? 1000 : literal == 2 ? 300 : literal < 5 ? 20 : 0;
                }
            }
        }
        return c;
    };

    // Hyperscan takes about 0.1 ms per literal to build a scan: a pattern list too long for a key, or a field whose
    // scans would grow too large, leaves the term to another key or to the always-run list.
    std::unordered_map<vm::SlotId, size_t> patterns_filed;  // per field
    auto usable = [&](const compiler::IndexKey& key) {
        for (const auto& alt : key.alternatives)
            if (is_pattern(alt.kind) && (alt.values.size() > kMaxKeyPatterns ||
                                         patterns_filed[alt.slot] + alt.values.size() > kMaxFieldPatterns))
                return false;
        return true;
    };

    std::vector<Literals> raw_keys, folded_keys;  // per field: the scans' literals
    for (uint32_t id = 0; id < terms.size(); ++id) {
        if (!included[term_query_[id]]) {
            descriptions_[id] = "not in this index";
            continue;
        }
        const auto category = queries[term_query_[id]].compiled->category_slot;
        // An `or`'s key: per branch, its cheapest key by the library's figures (see IndexKey::branches).
        auto resolve = [&](const compiler::IndexKey& key, auto&& self) -> compiler::IndexKey {
            if (key.branches.empty()) return compiler::IndexKey{key.alternatives, {}};
            compiler::IndexKey out;
            for (const auto& branch : key.branches) {
                std::optional<compiler::IndexKey> best;
                uint64_t best_cost = 0;
                for (const auto& option : branch) {
                    compiler::IndexKey flat = self(option, self);
                    const uint64_t c = cost(flat, category);
                    if (!best || c < best_cost) {
                        best = std::move(flat);
                        best_cost = c;
                    }
                }
                if (!best) return compiler::IndexKey{key.alternatives, {}};  // not from index_keys()
                out.alternatives.insert(out.alternatives.end(), best->alternatives.begin(), best->alternatives.end());
            }
            if (out.alternatives.size() > compiler::kMaxIndexAlternatives || !usable(out))
                return compiler::IndexKey{key.alternatives, {}};
            return out;
        };
        std::vector<compiler::IndexKey> keys;
        for (const auto& key : terms[id]->index_keys) {
            compiler::IndexKey flat = resolve(key, resolve);
            if (usable(flat)) keys.push_back(std::move(flat));
        }
        if (keys.empty()) {
            always_[id] = 1;
            ++always_count_;
            descriptions_[id] = "none: always run";
            if (always_queries_.empty() || always_queries_.back() != term_query_[id])
                always_queries_.push_back(term_query_[id]);
            continue;
        }
        const compiler::IndexKey& best = *std::min_element(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
            return cost(a, category) < cost(b, category);
        });
        ++indexed_;
        descriptions_[id] = compiler::to_string(best);
        for (const auto& alt : best.alternatives)
            if (is_pattern(alt.kind)) patterns_filed[alt.slot] += alt.values.size();
        file(id, best, raw_keys, folded_keys);
    }
    compile_literals(raw_keys, folded_keys);
    for (const Field& f : fields_) field_slots_.push_back(f.slot);
    // Terms filed twice under one value (an `or` of two alternatives of the same value) are listed once.
    list_starts_.push_back(0);
    for (auto& l : lists_) {
        std::sort(l.begin(), l.end());
        l.erase(std::unique(l.begin(), l.end()), l.end());
        list_terms_.insert(list_terms_.end(), l.begin(), l.end());
        list_starts_.push_back(static_cast<uint32_t>(list_terms_.size()));
    }
    lists_.clear();
    lists_.shrink_to_fit();
}

// Each field's two literal scans are Hyperscan databases compiled independently (Hyperscan's compiler is
// reentrant): with many rules they are a good part of building the index, so they are shared among up to four
// threads. A refusal is thrown again here, whichever thread met it.
void RuleIndex::compile_literals(const std::vector<Literals>& raw_keys, const std::vector<Literals>& folded_keys) {
    constexpr size_t kJobsPerThread = 16;
    std::mutex failed_mutex;
    std::exception_ptr failed;
    text::share_work(2 * fields_.size(), kJobsPerThread, [&](size_t j) {
        const size_t f = j / 2;
        try {
            if (j % 2 == 0)
                fields_[f].raw_literals = LiteralScan::compile(raw_keys[f].texts);
            else
                fields_[f].folded_literals = LiteralScan::compile(folded_keys[f].texts);
        } catch (...) {
            std::lock_guard lock(failed_mutex);
            if (!failed) failed = std::current_exception();
        }
    });
    if (failed) std::rethrow_exception(failed);
}

std::shared_ptr<const RuleIndex> RuleIndex::restricted(const std::vector<size_t>& only) const {
    std::lock_guard lock(restricted_mutex_);
    for (const auto& [list, index] : restricted_)
        if (list == only) return index;
    auto index = std::make_shared<const RuleIndex>(*queries_, &only);
    restricted_.emplace_back(only, index);
    return index;
}

RuleIndex::Field& RuleIndex::field(vm::SlotId slot) {
    for (auto& f : fields_)
        if (f.slot == slot) return f;
    fields_.emplace_back();
    fields_.back().slot = slot;
    return fields_.back();
}

uint32_t RuleIndex::list_for(Postings& table, const std::string& value) {
    auto [it, added] = table.lists.try_emplace(value, static_cast<uint32_t>(lists_.size()));
    if (added) lists_.emplace_back();
    table.note(value);
    return it->second;
}

void RuleIndex::file(uint32_t term, const compiler::IndexKey& key, std::vector<Literals>& raw_keys,
                     std::vector<Literals>& folded_keys) {
    for (const auto& alt : key.alternatives) {
        Field& f = field(alt.slot);
        const size_t fi = static_cast<size_t>(&f - fields_.data());
        raw_keys.resize(fields_.size());
        folded_keys.resize(fields_.size());
        for (const auto& v : alt.values) {
            if (alt.kind == Kind::number) {
                const int64_t n = std::stoll(v);
                const auto [at, added] = f.numbers.try_emplace(n, static_cast<uint32_t>(lists_.size()));
                if (added) lists_.emplace_back();
                lists_[at->second].push_back(term);
                continue;
            }
            if (!is_pattern(alt.kind)) {
                lists_[list_for(is_folded(alt.kind) ? f.folded : f.exact, v)].push_back(term);
                continue;
            }
            const std::string literal(matchers::longest_literal(v));
            if (literal.empty()) {
                if (f.any_string == kNone) {
                    f.any_string = static_cast<uint32_t>(lists_.size());
                    lists_.emplace_back();
                }
                lists_[f.any_string].push_back(term);
                continue;
            }
            auto& literals = is_folded(alt.kind) ? folded_keys[fi] : raw_keys[fi];
            auto& key_lists = is_folded(alt.kind) ? f.folded_lists : f.raw_lists;
            const auto [at, added] = literals.ids.try_emplace(literal, static_cast<uint32_t>(literals.texts.size()));
            if (added) {
                literals.texts.push_back(literal);
                key_lists.push_back(static_cast<uint32_t>(lists_.size()));
                lists_.emplace_back();
            }
            lists_[key_lists[at->second]].push_back(term);
        }
    }
}

namespace {

// A value's tag among a field's remembered values: its length and its first and last eight bytes, mixed (values
// that share all three share a tag; they are told apart by comparing them whole). Bits 32 and up choose the set;
// bit 0 is always set, so that no tag is 0 (an unused place).
uint64_t remembered_tag(std::string_view value) {
    uint64_t head = 0, tail = 0;
    std::memcpy(&head, value.data(), std::min<size_t>(8, value.size()));
    if (value.size() > 8) std::memcpy(&tail, value.data() + value.size() - 8, 8);
    const uint64_t mixed = (head * 0x9E3779B97F4A7C15ULL) ^ (tail * 0xC2B2AE3D27D4EB4FULL) ^ value.size();
    return ((mixed ^ (mixed >> 29)) * 0xBF58476D1CE4E5B9ULL) | 1;
}
static_assert((RuleIndex::kRememberedSets & (RuleIndex::kRememberedSets - 1)) == 0);

}  // namespace

void RuleIndex::lists_of(const Field& f, std::string_view value, Scratch& scratch, std::vector<uint32_t>& lists) const {
    if (const uint32_t* list = f.exact.find(value)) lists.push_back(*list);
    f.raw_literals.find(value, scratch.literals, [&](uint32_t k) { lists.push_back(f.raw_lists[k]); });
    if (!f.needs_fold()) return;
    const std::string_view folded = fold(value, scratch.folded);
    if (const uint32_t* list = f.folded.find(folded)) lists.push_back(*list);
    f.folded_literals.find(folded, scratch.literals, [&](uint32_t k) { lists.push_back(f.folded_lists[k]); });
}

void RuleIndex::candidate_lists(const vm::EventRecord& event, Scratch& scratch, std::vector<uint32_t>& out) const {
    if (scratch.prepared != this) {
        scratch.remembered.assign(fields_.size(), {});
        for (size_t i = 0; i < fields_.size(); ++i) {
            const Field& f = fields_[i];
            f.raw_literals.prepare(scratch.literals);
            f.folded_literals.prepare(scratch.literals);
            if (f.costly()) scratch.remembered[i].resize(kRememberedPerField);
        }
        scratch.victims.assign(fields_.size(), {});
        for (size_t i = 0; i < fields_.size(); ++i)
            if (fields_[i].costly()) scratch.victims[i].assign(kRememberedSets, 0);
        scratch.prepared = this;
    }
    const size_t field_count = field_slots_.size();
    for (size_t i = 0; i < field_count; ++i) {
        if (!event.has(field_slots_[i])) continue;
        const Field& f = fields_[i];
        bool any_string = false;
        for (const vm::Value& v : event.field(f.slot)) {
            if (v.type != vm::ValueType::string) {
                if (!f.numbers.empty())
                    if (const uint32_t list = number_list(f, v); list != kNone) out.push_back(list);
                continue;
            }
            any_string = true;
            const std::string_view value = v.str();
            if (!f.costly()) {
                if (const uint32_t* list = f.exact.find(value)) out.push_back(*list);
                continue;
            }
            const std::vector<uint32_t>* lists = &scratch.lists;
            if (value.size() > kRememberedLength) {
                scratch.lists.clear();
                lists_of(f, value, scratch, scratch.lists);
            } else {
                const uint64_t tag = remembered_tag(value);
                const size_t set = (tag >> 32) & (kRememberedSets - 1);
                Remembered* ways = &scratch.remembered[i][set * kRememberedWays];
                Remembered* r = nullptr;
                for (size_t w = 0; w < kRememberedWays; ++w)
                    if (ways[w].tag == tag && text::same_text(ways[w].value, value)) {
                        r = &ways[w];
                        break;
                    }
                if (!r) {
                    uint8_t& victim = scratch.victims[i][set];
                    r = &ways[victim];
                    victim = static_cast<uint8_t>((victim + 1) % kRememberedWays);
                    r->tag = tag;
                    r->value.assign(value);
                    r->lists.clear();
                    lists_of(f, value, scratch, r->lists);
                }
                lists = &r->lists;
            }
            out.insert(out.end(), lists->begin(), lists->end());
        }
        if (any_string && f.any_string != kNone) out.push_back(f.any_string);
    }
}

uint32_t RuleIndex::number_list(const Field& f, const vm::Value& v) const {
    int64_t n = 0;
    if (v.type == vm::ValueType::integer) {
        n = v.integer;
    } else if (v.type == vm::ValueType::floating) {
        // Equal to an integer only when it is one (vm::numbers_equal is exact); NaN and infinities never are.
        const double d = v.floating;
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || std::trunc(d) != d) return kNone;
        n = static_cast<int64_t>(d);
    } else {
        return kNone;
    }
    const auto it = f.numbers.find(n);
    return it == f.numbers.end() ? kNone : it->second;
}

void RuleIndex::candidates(const vm::EventRecord& event, Scratch& scratch, std::vector<uint32_t>& out) const {
    scratch.found.clear();
    candidate_lists(event, scratch, scratch.found);
    for (const uint32_t list : scratch.found) {
        const auto terms = terms_of(list);
        out.insert(out.end(), terms.begin(), terms.end());
    }
}

std::string RuleIndex::describe(uint32_t term) const { return descriptions_.at(term); }

}  // namespace eqlc::engine
