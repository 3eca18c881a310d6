// The line prefilter's answers for the needle-field text of recent built events (Engine::push(EventBuilder)).
//
// A built event is prefiltered on the values of the fields the needles come from, a short text; its answer depends
// on that text alone. Streams repeat those values in the same combinations (the category, type and OS of an event,
// its process and parent names), and one Hyperscan call costs as much as the rest of a skipped built event, so
// the answer is remembered: a direct-mapped table of recent texts, each with its answer, found by a hash and then
// compared in full. A stream whose texts do not repeat (a rule tests a command line) gains nothing from it: after a
// window of lookups with few hits, the memo rests for a while, then tries again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text/short_text.hpp"

namespace eqlc::engine {

class PrefilterMemo {
public:
    static constexpr size_t kEntries = 2048;           // a power of two
    static constexpr size_t kMaxText = 256;            // longer texts are not remembered
    static constexpr uint32_t kWindow = 4096;          // lookups per window
    static constexpr uint32_t kMinHits = kWindow / 4;  // fewer hits in a window: rest
    static constexpr uint32_t kRest = 65536;           // events to rest for

    // Whether to use the memo for this event (counts the events it rests for).
    bool active() {
        if (resting_ == 0) return true;
        --resting_;
        return false;
    }
    // The hash of a text given in pieces (the same text cut otherwise hashes otherwise: a caller cuts alike).
    static uint64_t hash(std::span<const std::string_view> pieces) {
        uint64_t h = pieces.size();
        for (const auto piece : pieces) h = (h ^ text::word_hash(piece)) * 0x9E3779B97F4A7C15ULL;
        return h ^ (h >> 32);
    }
    // The answer remembered for `text` (of hash `hash`), or null.
    const bool* find(std::string_view text, uint64_t hash) { return find({&text, 1}, text.size(), hash); }
    // The same for the text that `pieces` (of `total` bytes) make one after the other.
    const bool* find(std::span<const std::string_view> pieces, size_t total, uint64_t hash) {
        if (entries_.empty()) entries_.resize(kEntries);
        const Entry& e = entries_[hash & (kEntries - 1)];
        bool hit = e.used && e.hash == hash && e.text.size() == total;
        for (size_t i = 0, at = 0; hit && i < pieces.size(); at += pieces[i].size(), ++i)
            hit = text::same_bytes(e.text.data() + at, pieces[i].data(), pieces[i].size());
        hits_ += hit;
        if (++lookups_ == kWindow) {
            if (hits_ < kMinHits) resting_ = kRest;
            lookups_ = hits_ = 0;
        }
        return hit ? &e.may_match : nullptr;
    }
    void remember(std::string_view text, uint64_t hash, bool may_match) {
        if (text.size() > kMaxText || entries_.empty()) return;
        Entry& e = entries_[hash & (kEntries - 1)];
        e.used = true;
        e.hash = hash;
        e.text.assign(text);
        e.may_match = may_match;
    }

private:
    struct Entry {
        uint64_t hash = 0;
        std::string text;
        bool used = false;
        bool may_match = false;
    };
    std::vector<Entry> entries_;
    uint32_t lookups_ = 0, hits_ = 0, resting_ = 0;
};

}  // namespace eqlc::engine
