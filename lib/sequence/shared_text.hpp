// The source text of kept events, stored once however many matchers keep the event.
//
// Every matcher has its own EventStore (handles, timestamps, reference counts), but the JSON text of an event,
// by far the largest part of a kept event, is a SharedText: one allocation with an atomic count of its owners
// (store entries, plus the event's TextSlot while the event is being run). The engine gives every query's
// matcher the same TextPool and, for each event, one TextSlot: the first matcher that keeps the event makes
// its text, the others take a reference to it. With rule shards (engine/rule_shards.hpp) matchers of
// different threads keep the same event at the same time: the slot is published with a compare-and-swap and
// the counts are atomic. Which matcher makes the text never matters, only which texts are alive, and that
// (like every matcher's state) does not depend on the threads.
//
// The pool counts the bytes of live texts, and of texts that pending (evictable) state holds, i.e. that some
// store entry retains (EventStore::retain), for the engine-wide budget. Its counters are exact whenever no
// matcher is running (the engine reads them only then).
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace eqlc::sequence {

class TextPool;

struct SharedText {
    std::atomic<uint32_t> owners{1};
    std::atomic<uint32_t> holders{0};  // store entries that retain it for pending state
    uint32_t size = 0;
    TextPool* pool = nullptr;

    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
    std::string_view view() const { return {data(), size}; }
    static constexpr uint64_t kHeaderBytes = 24;  // what a text costs besides its bytes (accounting)
};

class TextPool {
public:
    TextPool() = default;
    TextPool(const TextPool&) = delete;
    TextPool& operator=(const TextPool&) = delete;

    // A new text with one owner (the caller).
    SharedText* make(std::string_view s) {
        void* memory = ::operator new(sizeof(SharedText) + s.size());
        auto* t = new (memory) SharedText;
        t->size = static_cast<uint32_t>(s.size());
        t->pool = this;
        if (!s.empty()) std::memcpy(static_cast<void*>(t + 1), s.data(), s.size());
        bytes_.fetch_add(cost(*t), std::memory_order_relaxed);
        live_.fetch_add(1, std::memory_order_relaxed);
        return t;
    }
    static void acquire(SharedText* t) { t->owners.fetch_add(1, std::memory_order_relaxed); }
    static void release(SharedText* t) {
        if (t->owners.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
        TextPool& pool = *t->pool;
        pool.bytes_.fetch_sub(cost(*t), std::memory_order_relaxed);
        pool.live_.fetch_sub(1, std::memory_order_relaxed);
        t->~SharedText();
        ::operator delete(static_cast<void*>(t));
    }
    // A store entry starts / stops retaining the text for pending state.
    static void hold(SharedText* t) {
        if (t->holders.fetch_add(1, std::memory_order_relaxed) == 0)
            t->pool->held_bytes_.fetch_add(cost(*t), std::memory_order_relaxed);
    }
    static void unhold(SharedText* t) {
        if (t->holders.fetch_sub(1, std::memory_order_relaxed) == 1)
            t->pool->held_bytes_.fetch_sub(cost(*t), std::memory_order_relaxed);
    }

    static uint64_t cost(const SharedText& t) { return SharedText::kHeaderBytes + t.size; }
    uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }  // live texts
    uint64_t held_bytes() const { return held_bytes_.load(std::memory_order_relaxed); }
    uint64_t live() const { return live_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> bytes_{0};
    std::atomic<uint64_t> held_bytes_{0};
    std::atomic<uint64_t> live_{0};
};

// One event's text while the event is run: made by the first matcher that keeps the event, shared by the
// others. The slot owns a reference until reset(), which the engine calls once every matcher is done with
// the event.
class TextSlot {
public:
    TextSlot() = default;
    TextSlot(const TextSlot&) = delete;
    TextSlot& operator=(const TextSlot&) = delete;
    ~TextSlot() { reset(); }

    // The event's text, with a reference for the caller.
    SharedText* get(TextPool& pool, std::string_view source) {
        SharedText* t = text_.load(std::memory_order_acquire);
        if (t == nullptr) {
            SharedText* made = pool.make(source);
            if (text_.compare_exchange_strong(t, made, std::memory_order_acq_rel, std::memory_order_acquire))
                t = made;
            else
                TextPool::release(made);  // another thread made it first
        }
        assert(t->pool == &pool);
        TextPool::acquire(t);
        return t;
    }
    void reset() {
        if (SharedText* t = text_.exchange(nullptr, std::memory_order_acq_rel)) TextPool::release(t);
    }

private:
    std::atomic<SharedText*> text_{nullptr};
};

}  // namespace eqlc::sequence

namespace eqlc::sequence {

// Snapshots of an engine's matchers write each shared text once: the matchers' stores write ids into this
// table, and the engine writes the table's texts next to the matchers' bytes.
class SnapshotTextWriter {
public:
    uint64_t id(const SharedText* t) {
        const auto [it, added] = ids_.emplace(t, texts_.size());
        if (added) texts_.push_back(t);
        return it->second;
    }
    const std::vector<const SharedText*>& texts() const { return texts_; }

private:
    std::unordered_map<const SharedText*, uint64_t> ids_;
    std::vector<const SharedText*> texts_;
};

// The texts of a snapshot, made in the pool that the restored matchers use; they keep references of their own.
class SnapshotTextReader {
public:
    explicit SnapshotTextReader(TextPool& pool) : pool_(pool) {}
    ~SnapshotTextReader() {
        for (SharedText* t : texts_) TextPool::release(t);
    }
    SnapshotTextReader(const SnapshotTextReader&) = delete;
    SnapshotTextReader& operator=(const SnapshotTextReader&) = delete;

    void add(std::string_view s) { texts_.push_back(pool_.make(s)); }
    // Text `id` with a reference for the caller, or null when there is no such text.
    SharedText* take(uint64_t id) const {
        if (id >= texts_.size()) return nullptr;
        TextPool::acquire(texts_[id]);
        return texts_[id];
    }
    TextPool& pool() const { return pool_; }

private:
    TextPool& pool_;
    std::vector<SharedText*> texts_;
};

}  // namespace eqlc::sequence
