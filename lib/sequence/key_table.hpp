// The join keys a matcher keeps state for: each key interned once (its bytes map to one id, a slot reused after
// the key is erased), the keys in least-recently-used order, eviction of the least recently used ones when the
// table is full, and the fixed bytes each key costs. The matcher's per-key record is `Entry`, stored in the
// table so that a key's state is one record; it must have
//   `key`       the owned key bytes: a std::string or a CompactKey;
//   `lru_prev`, `lru_next`  uint32_t links of the LRU list, managed here (KeyTable::kNone at the ends).
// Everything else in the entry is the matcher's: the table neither sets nor clears it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sequence/key.hpp"
#include "sequence/key_index.hpp"

namespace eqlc::sequence {

template <class Entry>
class KeyTable {
public:
    static constexpr uint32_t kNone = UINT32_MAX;
    static constexpr uint64_t kIndexBytesPerKey = 8;  // a KeyIndex slot

    uint32_t find(KeyView key) const {
        return index_.find(key, hash_key(key), [this](uint32_t id) -> KeyView { return KeyView(entries_[id].key); });
    }

    // Adds `key`, which must not be in the table, as the most recently used; returns its id. The entry is a
    // new one or the slot of an erased key, with its other fields as the matcher left them.
    uint32_t insert(KeyView key) {
        uint32_t id;
        if (!free_.empty()) {
            id = free_.back();
            free_.pop_back();
        } else {
            id = static_cast<uint32_t>(entries_.size());
            entries_.emplace_back();
        }
        Entry& e = entries_[id];
        e.key.assign(key);
        e.lru_prev = newest_;
        e.lru_next = kNone;
        if (newest_ != kNone)
            entries_[newest_].lru_next = id;
        else
            oldest_ = id;
        newest_ = id;
        index_.insert(id, hash_key(key));
        bytes_ += fixed_bytes(e);
        ++size_;
        return id;
    }

    // Makes `id` the most recently used.
    void touch(uint32_t id) {
        Entry& e = entries_[id];
        if (newest_ == id) return;
        // unlink
        if (e.lru_prev != kNone)
            entries_[e.lru_prev].lru_next = e.lru_next;
        else
            oldest_ = e.lru_next;
        entries_[e.lru_next].lru_prev = e.lru_prev;  // id is not the newest, so it has a next
        // append
        e.lru_prev = newest_;
        e.lru_next = kNone;
        entries_[newest_].lru_next = id;
        newest_ = id;
    }

    // Removes `id`: the key's bytes are freed and the slot is kept for a later insert.
    void erase(uint32_t id) {
        Entry& e = entries_[id];
        if (e.lru_prev != kNone)
            entries_[e.lru_prev].lru_next = e.lru_next;
        else
            oldest_ = e.lru_next;
        if (e.lru_next != kNone)
            entries_[e.lru_next].lru_prev = e.lru_prev;
        else
            newest_ = e.lru_prev;
        index_.erase(id, hash_key(KeyView(e.key)));
        bytes_ -= fixed_bytes(e);
        release(e.key);
        free_.push_back(id);
        --size_;
    }

    // Room for one more key under `max_keys`: while the table is full, `evict(oldest())` is called, and must
    // erase that key. False when there is still no room (max_keys == 0: the key is refused).
    template <class Evict>
    bool make_room(uint64_t max_keys, Evict&& evict) {
        while (size_ >= max_keys && oldest_ != kNone) evict(oldest_);
        return size_ < max_keys;
    }

    Entry& operator[](uint32_t id) { return entries_[id]; }
    const Entry& operator[](uint32_t id) const { return entries_[id]; }

    // LRU order: oldest() is the least recently used key, newer() walks towards the most recently used.
    uint32_t oldest() const { return oldest_; }
    uint32_t newest() const { return newest_; }
    uint32_t newer(uint32_t id) const { return entries_[id].lru_next; }
    uint32_t older(uint32_t id) const { return entries_[id].lru_prev; }

    uint64_t size() const { return size_; }
    // The fixed cost of the keys: per key the entry, its index slot and the key bytes on the heap.
    uint64_t bytes() const { return bytes_; }
    // Real heap use, for benchmarks (capacity, freed slots and index slack included).
    uint64_t heap_bytes_estimate() const {
        uint64_t b = entries_.capacity() * sizeof(Entry) + index_.slot_bytes() + free_.capacity() * 4;
        for (const Entry& e : entries_) b += heap_bytes(e.key);
        return b;
    }

private:
    // Heap bytes of a std::string holding `n` bytes (libstdc++ keeps up to 15 inline).
    static uint64_t heap_bytes(const std::string& key) { return key.size() > 15 ? key.size() + 1 : 0; }
    static uint64_t heap_bytes(const CompactKey& key) { return key.heap_bytes(); }
    static void release(std::string& key) { std::string().swap(key); }
    static void release(CompactKey& key) { key.reset(); }
    static uint64_t fixed_bytes(const Entry& e) { return sizeof(Entry) + kIndexBytesPerKey + heap_bytes(e.key); }

    std::vector<Entry> entries_;
    std::vector<uint32_t> free_;
    KeyIndex index_;
    uint32_t oldest_ = kNone;
    uint32_t newest_ = kNone;
    uint64_t size_ = 0;
    uint64_t bytes_ = 0;
};

}  // namespace eqlc::sequence
