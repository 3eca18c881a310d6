// An open-addressing hash index from key bytes to the id of the record that owns them. The index stores no
// key bytes (8 bytes per slot: id and the low 32 bits of the hash, which also give the home slot, so growing
// and erasing never rehash keys); the owner supplies a function id -> KeyView for lookups. Linear probing with
// backward-shift deletion, so erasing leaves no tombstones; grows at 3/4 load.
#pragma once

#include <cstdint>
#include <vector>

#include "sequence/key.hpp"

namespace eqlc::sequence {

class KeyIndex {
public:
    static constexpr uint32_t kNone = UINT32_MAX;

    size_t size() const { return size_; }
    size_t slot_bytes() const { return slots_.size() * sizeof(Slot); }
    void clear() {
        slots_.clear();
        size_ = 0;
    }

    template <class KeyOf>
    uint32_t find(KeyView key, uint64_t hash, const KeyOf& key_of) const {
        if (slots_.empty()) return kNone;
        const auto h32 = static_cast<uint32_t>(hash);
        for (size_t i = home(h32);; i = next(i)) {
            const Slot& s = slots_[i];
            if (s.id == kNone) return kNone;
            if (s.hash == h32 && key_of(s.id) == key) return s.id;
        }
    }

    // `id`'s key must not be in the index yet.
    void insert(uint32_t id, uint64_t hash) {
        if ((size_ + 1) * 4 > slots_.size() * 3) grow();
        place(Slot{id, static_cast<uint32_t>(hash)});
        ++size_;
    }

    void erase(uint32_t id, uint64_t hash) {
        if (slots_.empty()) return;
        size_t i = home(static_cast<uint32_t>(hash));
        while (slots_[i].id != id) {
            if (slots_[i].id == kNone) return;
            i = next(i);
        }
        // Backward shift: move later members of the probe run into the hole when their home allows it.
        size_t hole = i;
        for (size_t j = next(i);; j = next(j)) {
            const Slot s = slots_[j];
            if (s.id == kNone) break;
            const size_t h = home(s.hash);
            // s may fill the hole if its home is not in the cyclic range (hole, j].
            const bool in_range = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
            if (!in_range) {
                slots_[hole] = s;
                hole = j;
            }
        }
        slots_[hole] = Slot{};
        --size_;
    }

private:
    struct Slot {
        uint32_t id = kNone;
        uint32_t hash = 0;
    };

    size_t home(uint32_t hash) const { return static_cast<size_t>(hash) & (slots_.size() - 1); }
    size_t next(size_t i) const { return (i + 1) & (slots_.size() - 1); }

    void place(Slot s) {
        size_t i = home(s.hash);
        while (slots_[i].id != kNone) i = next(i);
        slots_[i] = s;
    }

    void grow() {
        if (slots_.size() >= (size_t{1} << 32)) return;  // the home slot comes from 32 bits of hash
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
        for (const Slot& s : old)
            if (s.id != kNone) place(s);
    }

    std::vector<Slot> slots_;
    size_t size_ = 0;
};

}  // namespace eqlc::sequence
