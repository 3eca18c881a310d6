// The join-key table both matchers keep their per-key state in (lib/sequence/key_table.hpp): interning, the
// least-recently-used order, eviction of the oldest keys, and the fixed bytes counted per key.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sequence/key.hpp"
#include "sequence/key_table.hpp"

using eqlc::sequence::CompactKey;
using eqlc::sequence::KeyTable;

namespace {

struct StringEntry {
    std::string key;
    uint32_t lru_prev = UINT32_MAX;
    uint32_t lru_next = UINT32_MAX;
    int payload = 0;
};

struct CompactEntry {
    CompactKey key;
    uint32_t lru_prev = UINT32_MAX;
    uint32_t lru_next = UINT32_MAX;
};

constexpr uint32_t kNone = KeyTable<StringEntry>::kNone;

// The keys from the least to the most recently used, walked both ways (the two must agree).
template <class Entry>
std::vector<std::string> order(const KeyTable<Entry>& t) {
    std::vector<std::string> forward, backward;
    for (uint32_t id = t.oldest(); id != kNone; id = t.newer(id)) forward.emplace_back(std::string_view(t[id].key));
    for (uint32_t id = t.newest(); id != kNone; id = t.older(id))
        backward.insert(backward.begin(), std::string(std::string_view(t[id].key)));
    CHECK(forward == backward);
    return forward;
}

using Keys = std::vector<std::string>;

}  // namespace

TEST_CASE("key table: a key is interned once and found by its bytes", "[sequence][key_table]") {
    KeyTable<StringEntry> t;
    CHECK(t.find("a") == kNone);
    CHECK(t.oldest() == kNone);
    CHECK(t.newest() == kNone);
    const uint32_t a = t.insert("a");
    const uint32_t b = t.insert("b");
    CHECK(a != b);
    CHECK(t.find("a") == a);
    CHECK(t.find("b") == b);
    CHECK(t.find("c") == kNone);
    CHECK(t.find(std::string("a\0", 2)) == kNone);  // byte equality: no prefix match
    CHECK(t.size() == 2);
    t[a].payload = 7;
    CHECK(t[t.find("a")].payload == 7);

    t.erase(a);
    CHECK(t.find("a") == kNone);
    CHECK(t.find("b") == b);
    CHECK(t.size() == 1);
    CHECK(t[a].key.empty());  // the key's bytes are released
    // The freed slot is reused, its other fields as the owner left them.
    CHECK(t.insert("c") == a);
    CHECK(t[a].payload == 7);
    CHECK(t.find("c") == a);
}

TEST_CASE("key table: many keys, erased and added again", "[sequence][key_table]") {
    KeyTable<CompactEntry> t;
    std::vector<uint32_t> ids;
    for (int i = 0; i < 1000; ++i) ids.push_back(t.insert("key-" + std::to_string(i)));
    for (int i = 0; i < 1000; i += 2) t.erase(ids[i]);
    CHECK(t.size() == 500);
    for (int i = 0; i < 1000; ++i) CHECK((t.find("key-" + std::to_string(i)) == kNone) == (i % 2 == 0));
    for (int i = 0; i < 1000; i += 2) t.insert("key-" + std::to_string(i));
    CHECK(t.size() == 1000);
    for (int i = 0; i < 1000; ++i) {
        const uint32_t id = t.find("key-" + std::to_string(i));
        REQUIRE(id != kNone);
        CHECK(std::string_view(t[id].key) == "key-" + std::to_string(i));
    }
}

TEST_CASE("key table: touching a key makes it the most recently used", "[sequence][key_table]") {
    KeyTable<StringEntry> t;
    const uint32_t a = t.insert("a");
    const uint32_t b = t.insert("b");
    const uint32_t c = t.insert("c");
    CHECK(order(t) == Keys{"a", "b", "c"});
    t.touch(a);  // the oldest
    CHECK(order(t) == Keys{"b", "c", "a"});
    t.touch(c);  // one in the middle
    CHECK(order(t) == Keys{"b", "a", "c"});
    t.touch(c);  // the newest: no change
    CHECK(order(t) == Keys{"b", "a", "c"});
    t.erase(a);
    CHECK(order(t) == Keys{"b", "c"});
    t.erase(c);
    CHECK(order(t) == Keys{"b"});
    CHECK(t.oldest() == b);
    CHECK(t.newest() == b);
    t.touch(b);
    CHECK(order(t) == Keys{"b"});
    t.insert("d");
    CHECK(order(t) == Keys{"b", "d"});
    t.erase(b);
    t.erase(t.find("d"));
    CHECK(order(t).empty());
    CHECK(t.oldest() == kNone);
    CHECK(t.newest() == kNone);
}

TEST_CASE("key table: make_room evicts the least recently used keys", "[sequence][key_table]") {
    KeyTable<StringEntry> t;
    for (const char* k : {"a", "b", "c", "d"}) t.insert(k);
    t.touch(t.find("a"));
    std::vector<std::string> evicted;
    auto evict = [&](uint32_t id) {
        evicted.push_back(t[id].key);
        t.erase(id);
    };
    CHECK(t.make_room(10, evict));  // not full: nothing goes
    CHECK(evicted.empty());
    CHECK(t.make_room(3, evict));  // room for one more under 3: two go, oldest first
    CHECK(evicted == Keys{"b", "c"});
    CHECK(order(t) == Keys{"d", "a"});
    evicted.clear();
    CHECK_FALSE(t.make_room(0, evict));  // no key can be admitted: all go, and still no room
    CHECK(evicted == Keys{"d", "a"});
    CHECK(t.size() == 0);
}

TEST_CASE("key table: bytes count the entry, an index slot and the key's heap bytes", "[sequence][key_table]") {
    const uint64_t string_entry = sizeof(StringEntry) + 8;
    KeyTable<StringEntry> s;
    CHECK(s.bytes() == 0);
    const uint32_t short_key = s.insert(std::string(15, 'x'));  // inline in std::string
    CHECK(s.bytes() == string_entry);
    const uint32_t long_key = s.insert(std::string(16, 'y'));  // on the heap, with its terminator
    CHECK(s.bytes() == 2 * string_entry + 17);
    s.erase(short_key);
    CHECK(s.bytes() == string_entry + 17);
    s.erase(long_key);
    CHECK(s.bytes() == 0);

    const uint64_t compact_entry = sizeof(CompactEntry) + 8;
    KeyTable<CompactEntry> c;
    c.insert(std::string(CompactKey::kInline, 'x'));  // inline
    CHECK(c.bytes() == compact_entry);
    const uint32_t heap = c.insert(std::string(CompactKey::kInline + 1, 'y'));
    CHECK(c.bytes() == 2 * compact_entry + CompactKey::kInline + 1);
    c.touch(c.oldest());  // the order does not change the bytes
    CHECK(c.bytes() == 2 * compact_entry + CompactKey::kInline + 1);
    c.erase(heap);
    CHECK(c.bytes() == compact_entry);
    CHECK(c.heap_bytes_estimate() >= c.bytes());
}
