// The values the VM computes with and the events it reads.
//
// A Value is a small tagged scalar (16 bytes). Strings are views: into the event's read buffer for field
// values, into the Program's constant pool for literals, and into the evaluation's scratch arena for
// strings that functions build (concat, substring, ...). Nothing here owns memory.
//
// An EventRecord is an event as the compiled programs see it: one Slot per field the loaded queries
// reference (resolved once at compile time by the FieldCatalog), each slot a run of scalar values
// (one for a scalar, n for an array, zero for an empty array) or absent.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace eqlc::vm {

enum class ValueType : uint8_t {
    null,
    boolean,
    integer,   // int64 (JSON integers; int32 literals are integers too, their width only matters to arithmetic)
    floating,  // double
    string,    // UTF-8 view
};

struct Value {
    ValueType type = ValueType::null;
    bool boolean = false;
    uint32_t length = 0;  // string length in bytes
    union {
        int64_t integer;
        double floating;
        const char* chars;
    };

    constexpr Value() : integer(0) {}

    static constexpr Value null() { return Value(); }
    static constexpr Value of_bool(bool b) {
        Value v;
        v.type = ValueType::boolean;
        v.boolean = b;
        return v;
    }
    static constexpr Value of_int(int64_t i) {
        Value v;
        v.type = ValueType::integer;
        v.integer = i;
        return v;
    }
    static constexpr Value of_double(double d) {
        Value v;
        v.type = ValueType::floating;
        v.floating = d;
        return v;
    }
    static constexpr Value of_string(std::string_view s) {
        Value v;
        v.type = ValueType::string;
        v.chars = s.data();
        v.length = static_cast<uint32_t>(s.size());
        return v;
    }

    constexpr bool is_null() const { return type == ValueType::null; }
    constexpr bool is_number() const { return type == ValueType::integer || type == ValueType::floating; }
    constexpr std::string_view str() const { return {chars, length}; }
};

static_assert(sizeof(Value) == 16, "Value must stay two words");

using SlotId = uint32_t;

// Where a slot's values are in EventRecord::values. `present == false` means the field is absent from the
// event (missing); a JSON null is present with one null value.
struct Slot {
    uint32_t begin = 0;
    uint32_t count = 0;
    bool present = false;
};

// Text an event needs that is in none of its buffers, e.g. a JSON number indexed into a keyword field when the
// number's source text is gone (events handed over as nlohmann::json). Blocks never move, so a view stays valid
// until clear(); clear() keeps the blocks for the next event, so refilling a record does not allocate.
// Copying an arena yields an empty one: the copied record's views still point into the original's text, as
// they do into the original's read buffer (a record is a view; whoever keeps an event copies its strings).
class TextArena {
public:
    TextArena() = default;
    TextArena(const TextArena&) {}
    TextArena& operator=(const TextArena&) { return *this; }
    TextArena(TextArena&&) noexcept = default;
    TextArena& operator=(TextArena&&) noexcept = default;

    std::string_view store(std::string_view text) {
        if (text.empty()) return {};
        while (block_ < blocks_.size() && blocks_[block_].size - used_ < text.size()) {
            ++block_;
            used_ = 0;
        }
        if (block_ == blocks_.size()) {
            const size_t size = text.size() > kBlockSize ? text.size() : kBlockSize;
            blocks_.push_back(Block{std::make_unique<char[]>(size), size});
            used_ = 0;
        }
        char* at = blocks_[block_].data.get() + used_;
        std::memcpy(at, text.data(), text.size());
        used_ += text.size();
        return {at, text.size()};
    }

    void clear() {
        block_ = 0;
        used_ = 0;
    }

private:
    static constexpr size_t kBlockSize = 4096;
    struct Block {
        std::unique_ptr<char[]> data;
        size_t size = 0;
    };
    std::vector<Block> blocks_;
    size_t block_ = 0;  // the block being filled
    size_t used_ = 0;   // bytes used in blocks_[block_]
};

// One event, projected onto the slots of a FieldCatalog.
struct EventRecord {
    std::vector<Slot> slots;    // indexed by SlotId; sized to the catalog
    std::vector<Value> values;  // the scalar values of all slots, in runs

    int64_t timestamp_ns = 0;  // event time, nanoseconds since the epoch (UTC)
    bool has_timestamp = false;
    uint64_t ordinal = 0;     // arrival order (0-based), the implicit tiebreaker
    std::string_view source;  // the event's original JSON text, when kept
    // The source is valid JSON by construction (written by eqlc itself, as Engine::push(EventBuilder) does): the
    // lazy JSON check of the events a query matches is skipped.
    bool source_valid = false;

    // Where the event came from, for error messages: the input's name (a path, "<stdin>") and its 1-based line.
    // The name is owned by the reader and valid as long as it lives; both are empty/0 when unknown.
    std::string_view origin;
    uint64_t line = 0;

    TextArena text;  // strings the reader had to create for this event (see TextArena)

    // Who set the slots last, when it clears only the slots it set (input::RecordBuilder): anything else that
    // writes slots sets this to null or to itself, so that such a writer sees that the record is no longer as it
    // left it.
    const void* slots_writer = nullptr;

    std::span<const Value> field(SlotId id) const {
        if (id >= slots.size() || !slots[id].present) return {};
        return {values.data() + slots[id].begin, slots[id].count};
    }
    bool has(SlotId id) const { return id < slots.size() && slots[id].present; }

    // Forgets the values but keeps the capacity, so a reader can refill the record without allocating.
    void clear(size_t slot_count) {
        slots.assign(slot_count, Slot{});
        slots_writer = nullptr;
        clear_all_but_slots();
    }
    // clear() for a caller that cleared the slots it set itself.
    void clear_all_but_slots() {
        values.clear();
        timestamp_ns = 0;
        has_timestamp = false;
        source = {};
        source_valid = false;
        origin = {};
        line = 0;
        text.clear();
    }
};

}  // namespace eqlc::vm
