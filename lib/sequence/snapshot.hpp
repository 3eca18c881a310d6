// Byte encoding of matcher state for snapshot/restore (SequenceMatcher::snapshot, SampleMatcher::snapshot).
//
// Format: a 4-byte magic naming the matcher kind, a format version (varint), then the matcher's fields in a
// fixed order: unsigned integers as LEB128 varints, signed ones zig-zag encoded, byte strings length-prefixed.
// A snapshot holds everything a matcher needs to continue exactly where it stopped, including the kept
// events' source text: restoring it into a fresh process and feeding the rest of the stream gives the
// matches one uninterrupted run gives. Restoring never trusts the bytes: every length, count and index is
// checked, and a bad snapshot is an error value, not a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace eqlc::sequence {

// 2: the engine's clock (EventInfo::tick) per key, the evicted_keys_budget counter, and kept events' texts
// inline or as ids into the engine's table of shared texts.
// 3: the per-stage counters (sequence/stage_stats.hpp) after the matcher's stats. Version 2 is still read, its
// per-stage counters as zero (an engine snapshot taken before them restores; only the new counters start over).
inline constexpr uint32_t kSnapshotVersion = 3;
inline constexpr uint32_t kOldestSnapshotVersion = 2;

class ByteWriter {
public:
    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u64(uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<char>(v));
    }
    void i64(int64_t v) { u64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
    void bytes(std::string_view s) {
        u64(s.size());
        out_.append(s);
    }
    void raw(std::string_view s) { out_.append(s); }

    std::string& buffer() { return out_; }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class ByteReader {
public:
    explicit ByteReader(std::string_view in) : in_(in) {}

    bool ok() const { return ok_; }
    bool at_end() const { return at_ == in_.size(); }
    // Marks the input bad (a semantic check failed); every later read returns zero.
    void fail() { ok_ = false; }

    uint8_t u8() {
        if (!ok_ || at_ >= in_.size()) return fail(), 0;
        return static_cast<uint8_t>(in_[at_++]);
    }
    uint64_t u64() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            const uint8_t b = u8();
            if (!ok_) return 0;
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        fail();
        return 0;
    }
    // A count of items that each take at least `min_item_bytes` in the input: rejects counts that cannot fit,
    // so a corrupt count never makes a restore allocate gigabytes.
    uint64_t count(uint64_t min_item_bytes = 1) {
        const uint64_t n = u64();
        if (ok_ && min_item_bytes > 0 && n > (in_.size() - at_) / min_item_bytes) fail();
        return ok_ ? n : 0;
    }
    uint32_t u32() {
        const uint64_t v = u64();
        if (v > UINT32_MAX) return fail(), 0;
        return static_cast<uint32_t>(v);
    }
    int64_t i64() {
        const uint64_t v = u64();
        return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
    }
    bool boolean() {
        const uint8_t v = u8();
        if (v > 1) fail();
        return v == 1;
    }
    std::string_view bytes() {
        const uint64_t n = u64();
        if (!ok_ || n > in_.size() - at_) return fail(), std::string_view{};
        const auto s = in_.substr(at_, n);
        at_ += n;
        return s;
    }
    bool expect(std::string_view magic) {
        if (!ok_ || in_.substr(at_, magic.size()) != magic) return fail(), false;
        at_ += magic.size();
        return true;
    }

private:
    std::string_view in_;
    size_t at_ = 0;
    bool ok_ = true;
};

}  // namespace eqlc::sequence
