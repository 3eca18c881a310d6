// Field projection: which parts of an event the loaded queries need, and how a JSON value becomes slot values.
//
// A ProjectionPlan is built once from the FieldCatalog (after every query is compiled). It holds a trie over the
// path segments of the referenced fields, so that a JSON walk descends only into objects that lead to one of
// them. The JSON front-ends (ndjson_reader.hpp with simdjson, json_projection.hpp with nlohmann) walk an event
// with the plan and hand every scalar they find under a referenced path to a RecordBuilder, which coerces it to
// the slot's type and lays the values out in the EventRecord.
//
// How an event maps to slots, following Elasticsearch's document parsing (SEMANTICS "Decisions" 4 and 5):
//   * Paths. Nested objects and dotted keys are the same thing, in any mix: {"process":{"parent":{"name":..}}},
//     {"process.parent.name":..}, {"process.parent":{"name":..}} and {"process":{"parent.name":..}} all fill
//     "process.parent.name". A dotted key is matched segment by segment. A field spelled several ways in one
//     event gets the values of every spelling, in document order.
//   * Arrays. An array of scalars gives all its elements (a run of values); nested arrays are flattened; arrays
//     of objects are flattened the way Elasticsearch indexes them ({"a":[{"b":1},{"b":2}]} gives a.b = [1, 2]).
//     An array of scalars makes the field present even when it is empty (zero values).
//   * null. A null inside an array is dropped (Elasticsearch indexes no value for it). A scalar null is kept
//     as one null value, the field present, so `x == null` holds; when the field also has non-null values
//     (another spelling), its nulls are dropped. A field that is only nulls keeps a single null.
//   * Objects used as values. A referenced path whose value is an object (the query names `process` and the
//     event has {"process":{...}}) gets nothing from it: Elasticsearch cannot query an object as a value.
//     The slot stays absent unless another spelling gives it values.
//   * Unreferenced fields are never looked at beyond their keys (the front-end skips them).
//
// Index-time coercion, by the slot's FieldType (what Elasticsearch stores for a value of that mapping):
//   dynamic, unsupported  JSON types as they are: string, integer (int64; a larger unsigned integer or one
//                         beyond 64 bits becomes floating), floating, boolean, null.
//   keyword, version      strings as they are; a number becomes its text, a boolean "true"/"false". The number's
//                         text is the JSON source text when the front-end has it (what Jackson hands
//                         Elasticsearch: 1.50 stays "1.50"), else Java's toString (values/number_format.hpp).
//   long_                 integers; a floating number is truncated toward zero (5.7 -> 5); a numeric string
//                         is parsed ("5" -> 5, "5.7" -> 5); "" is null; out of the int64 range is dropped.
//   double_               numbers as floating; a numeric string is parsed; "" is null; NaN/Infinity dropped.
//   boolean               true/false and the strings "true"/"false"; "" is null.
//   date                  ISO-8601 strings, epoch-millis numbers and numeric strings (values/timestamp.hpp),
//                         stored as integer nanoseconds since the epoch.
//   ip                    strings as they are (the VM compares them as addresses).
// A value that cannot be coerced (a boolean in a long field, "abc" in a date field, an object in a keyword
// field) is dropped: Elasticsearch would reject the whole document unless the field sets ignore_malformed, and
// dropping the value is what ignore_malformed does. Dropping keeps the event usable for the other rules; the
// field reads as missing.
//
// The timestamp. When the plan names a timestamp slot, the record's timestamp_ns comes from the first non-null
// value found for it, whatever the slot's type: an ISO-8601 string, epoch milliseconds as a number or as a
// numeric string. A missing, null or unparsable timestamp leaves has_timestamp false (the caller reports the
// event and keeps it out of sequences); RecordBuilder::timestamp_error() says why.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "values/timestamp.hpp"
#include "values/field_catalog.hpp"
#include "values/value.hpp"

namespace eqlc::input {

// The deepest nesting of objects and arrays an event may have (the root object is level 1): Jackson's default
// StreamReadConstraints nesting limit, which Elasticsearch 8.x's JSON parser applies to every document. The JSON
// walkers count levels as they descend and give up on a deeper event (the NDJSON reader reports the line as bad;
// Engine::push refuses the event) rather than recurse without bound. simdjson's own default (1024) is above it.
inline constexpr uint32_t kMaxJsonDepth = 1000;

struct ProjectionOptions {
    std::optional<vm::SlotId> timestamp_slot;   // the slot the event time is read from (e.g. "@timestamp")
    std::optional<vm::SlotId> tiebreaker_slot;  // the configured tiebreaker field, if any (read by the engine)
};

class ProjectionPlan {
public:
    using NodeId = uint32_t;
    static constexpr NodeId kRoot = 0;
    static constexpr NodeId kNoNode = UINT32_MAX;
    static constexpr vm::SlotId kNoSlot = UINT32_MAX;

    // Snapshots the catalog's paths and types: build the plan after every query has interned its fields.
    // Paths are split on '.'; an empty segment ("a..b", a trailing dot) can never match a JSON key.
    explicit ProjectionPlan(const vm::FieldCatalog& catalog, ProjectionOptions options = {});

    size_t slot_count() const { return types_.size(); }
    vm::FieldType slot_type(vm::SlotId slot) const { return types_[slot]; }
    // Whether a JSON string goes into `slot` as it is (keyword-like and dynamic types), without coercion.
    bool keeps_strings(vm::SlotId slot) const { return keeps_strings_[slot] != 0; }
    const std::optional<vm::SlotId>& timestamp_slot() const { return options_.timestamp_slot; }
    const std::optional<vm::SlotId>& tiebreaker_slot() const { return options_.tiebreaker_slot; }

    // ---- The trie, for the JSON walkers ----

    // The child of `node` for one path segment (no dots), or kNoNode.
    NodeId child(NodeId node, std::string_view segment) const {
        const size_t size = segment.size();
        return find(node, segment.data(), size, copy_word(segment.data(), size),
                    size > 8 ? copy_word(segment.data() + 8, size - 8) : 0);
    }

    // child() for a segment followed by readable memory: the 16 bytes from `segment` may be read whatever its
    // size (as in a JSON text with simdjson's padding after it). Saves copying the segment's bytes into words.
    NodeId child_padded(NodeId node, const char* segment, size_t size) const {
        if constexpr (std::endian::native == std::endian::little) {
            return find(node, segment, size, low_bytes(load_word(segment), size),
                        low_bytes(load_word(segment + 8), size > 8 ? size - 8 : 0));
        } else {
            return child(node, std::string_view(segment, size));
        }
    }

    // child() for a caller that already has the segment's first 16 bytes as two words, as memcpy would make them
    // from the bytes zero-padded to 16: `head` from bytes 0-7, `tail` from bytes 8-15. Only a segment longer than
    // 16 bytes is read, past its 16th byte.
    NodeId child_words(NodeId node, const char* segment, size_t size, uint64_t head, uint64_t tail) const {
        return find(node, segment, size, head, tail);
    }

    // The node a JSON key leads to from `node`, the key's dots separating segments ("parent.name"), or kNoNode.
    NodeId descend(NodeId node, std::string_view key) const;

    // The slot whose path ends at `node`, or kNoSlot (an intermediate object only).
    vm::SlotId slot(NodeId node) const { return nodes_[node].slot; }
    // Whether any referenced path continues below `node` (so an object value there is worth entering).
    bool has_children(NodeId node) const { return nodes_[node].child_count != 0; }

    size_t node_count() const { return nodes_.size(); }

private:
    // Each node's children are found through a small hash table keyed by the segment's size and first 16 bytes,
    // with a multiplier chosen when the plan is built so that no two children share a slot: a lookup reads one
    // slot and compares once, whether the segment is there or not. A slot keeps the segment's first 16 bytes as
    // two words, so that a segment of up to 16 bytes is compared without a call to memcmp; an empty slot has
    // size 0 and leads nowhere (no segment is empty). Should two children have the same key (the same size and
    // first 16 bytes hashed alike), no multiplier separates them: that node's lookups that miss their slot
    // scan its children instead.
    struct Node {
        vm::SlotId slot = kNoSlot;
        uint32_t child_count = 0;
        uint64_t multiplier = 0;
        uint32_t table = 0;      // the node's first slot in table_
        uint16_t shift = 0;      // 64 - log2(table size): a hash's top bits index the node's table
        bool scan = false;       // some children share a key (see above)
        NodeId first_child = 0;  // children are numbered consecutively (breadth-first order)
    };
    struct Slot {
        uint64_t head = 0;  // bytes 0-7 of the segment, zero-padded
        uint64_t tail = 0;  // bytes 8-15, zero-padded
        uint32_t size = 0;
        NodeId target = kNoNode;
    };

    static uint64_t load_word(const char* p) {
        uint64_t w;
        std::memcpy(&w, p, sizeof w);
        return w;
    }
    // The first n bytes of a word loaded from memory (little-endian: the low ones). A table rather than a shift
    // by 8n: no branch on n >= 8, which key sizes around 8 would mispredict.
    static uint64_t low_bytes(uint64_t w, size_t n) {
        static constexpr uint64_t kMasks[9] = {0,
                                               0xFF,
                                               0xFFFF,
                                               0xFF'FFFF,
                                               0xFFFF'FFFF,
                                               0xFF'FFFF'FFFF,
                                               0xFFFF'FFFF'FFFF,
                                               0xFF'FFFF'FFFF'FFFF,
                                               0xFFFF'FFFF'FFFF'FFFF};
        return w & kMasks[n < 8 ? n : 8];
    }
    // Up to 8 bytes copied into a zeroed word: the same word as low_bytes(load_word(p), n) on little-endian.
    static uint64_t copy_word(const char* p, size_t n) {
        uint64_t w = 0;
        std::memcpy(&w, p, n < 8 ? n : 8);
        return w;
    }

    static uint64_t key(uint64_t head, uint64_t tail, size_t size) { return (head ^ tail) + size; }

    NodeId find(NodeId node, const char* segment, size_t size, uint64_t head, uint64_t tail) const {
        const Node& n = nodes_[node];
        const Slot& s = table_[n.table + static_cast<uint32_t>((key(head, tail, size) * n.multiplier) >> n.shift)];
        if (((s.head ^ head) | (s.tail ^ tail) | (s.size ^ size)) == 0 &&
            (size <= 16 || std::memcmp(segments_[s.target].data() + 16, segment + 16, size - 16) == 0)) {
            return s.target;
        }
        return n.scan ? scan(n, std::string_view(segment, size)) : kNoNode;
    }
    NodeId scan(const Node& n, std::string_view segment) const;

    std::vector<Node> nodes_;
    std::vector<Slot> table_;
    std::vector<std::string> segments_;  // per node, the segment of the edge that leads to it
    std::vector<vm::FieldType> types_;
    std::vector<uint8_t> keeps_strings_;  // per slot, see keeps_strings()
    ProjectionOptions options_;
};

// A JSON scalar as a front-end found it, before coercion.
struct JsonScalar {
    enum class Kind : uint8_t { null, boolean, integer, unsigned_integer, big_integer, floating, string };

    Kind kind = Kind::null;
    bool boolean = false;
    int64_t integer = 0;
    uint64_t unsigned_integer = 0;  // kind unsigned_integer: a value above INT64_MAX
    double floating = 0;            // kind floating; kind big_integer: the closest double
    // kind string: the decoded text (must stay valid as long as the record).
    // Numbers: the JSON source text when the front-end has it (empty otherwise), for keyword fields.
    std::string_view text;

    static JsonScalar null() { return {}; }
    static JsonScalar of_bool(bool b) {
        JsonScalar s;
        s.kind = Kind::boolean;
        s.boolean = b;
        return s;
    }
    static JsonScalar of_int(int64_t i, std::string_view source = {}) {
        JsonScalar s;
        s.kind = Kind::integer;
        s.integer = i;
        s.text = source;
        return s;
    }
    static JsonScalar of_uint(uint64_t u, std::string_view source = {}) {
        if (u <= static_cast<uint64_t>(INT64_MAX)) return of_int(static_cast<int64_t>(u), source);
        JsonScalar s;
        s.kind = Kind::unsigned_integer;
        s.unsigned_integer = u;
        s.text = source;
        return s;
    }
    static JsonScalar of_double(double d, std::string_view source = {}) {
        JsonScalar s;
        s.kind = Kind::floating;
        s.floating = d;
        s.text = source;
        return s;
    }
    static JsonScalar of_big_integer(double approx, std::string_view source) {
        JsonScalar s;
        s.kind = Kind::big_integer;
        s.floating = approx;
        s.text = source;
        return s;
    }
    static JsonScalar of_string(std::string_view text) {
        JsonScalar s;
        s.kind = Kind::string;
        s.text = text;
        return s;
    }
};

// Collects the values a front-end finds for one event and lays them out in the record. One builder serves
// any number of events in turn; its buffers are reused, so a steady stream of events does not allocate.
class RecordBuilder {
public:
    // Clears `record` (keeping its capacity) and starts collecting into it. When `record` is the one the last
    // begin() got, and nothing else wrote its slots since (EventRecord::slots_writer), only the slots this
    // builder set then are cleared: a library's plan has hundreds of slots, an event a few dozen of them.
    void begin(const ProjectionPlan& plan, vm::EventRecord& record);

    // A scalar found at the path of `slot`, from an object member (`in_array` false) or inside an array.
    // Coerced to the slot's type; may be dropped (see the header comment).
    void add(vm::SlotId slot, const JsonScalar& value, bool in_array);

    // add() for a string, with the common case (a keyword-like slot that is not the timestamp) inline.
    void add_string(vm::SlotId slot, std::string_view text, bool in_array) {
        if (slot != timestamp_slot_ && plan_->keeps_strings(slot)) {
            push(slot, vm::Value::of_string(text));
        } else {
            add(slot, JsonScalar::of_string(text), in_array);
        }
    }

    // The path of `slot` holds an array: the field is present even if no value comes out of it.
    void mark_present(vm::SlotId slot) {
        vm::Slot& s = record_->slots[slot];
        if (!s.present) present_.push_back(slot);
        s.present = true;
    }

    // Lays the collected values out slot by slot (in document order within a slot) and settles the timestamp.
    void finish();

    // Why the last event has no timestamp: None when it has one, Empty when the field is missing or null.
    TimestampError timestamp_error() const { return timestamp_error_; }

    // The slots present in the record being (or last) filled, each once, in the order they were first set.
    std::span<const vm::SlotId> present_slots() const { return present_; }

private:
    void push(vm::SlotId slot, vm::Value value) {
        vm::Slot& s = record_->slots[slot];
        std::vector<vm::Value>& values = record_->values;
        const auto at = static_cast<uint32_t>(values.size());
        if (s.count == 0) {
            s.begin = at;
        } else if (s.begin + s.count != at) {
            scattered_ = true;
        }
        if (!s.present) present_.push_back(slot);
        s.present = true;
        ++s.count;
        values.push_back(value);
        owner_.push_back(slot);
    }
    void take_timestamp(const JsonScalar& value);
    void lay_out();

    // Values go straight to record_->values in document order, with their slot in owner_. When every slot's
    // values arrive as one run (the usual case: one spelling per field) and no scalar null is among them, that
    // order is already the layout; otherwise finish() regroups them by slot (lay_out).
    const ProjectionPlan* plan_ = nullptr;
    vm::EventRecord* record_ = nullptr;
    vm::SlotId timestamp_slot_ = ProjectionPlan::kNoSlot;
    std::vector<vm::SlotId> owner_;     // per value in record_->values
    std::vector<vm::SlotId> present_;   // the slots made present since begin(), each once
    const vm::Slot* filled_ = nullptr;  // record_->slots.data() after the last begin(), for the next one's check
    std::vector<vm::Value> scratch_;    // lay_out's copy of the values
    std::vector<uint32_t> cursor_;      // per slot, while laying out
    std::vector<uint32_t> null_count_;  // per slot, only when some slot got a scalar null
    static constexpr uint32_t kKeepFirstNull = UINT32_MAX;
    static constexpr uint32_t kDropNulls = UINT32_MAX - 1;
    bool scattered_ = false;  // some slot's values are not one contiguous run
    bool saw_null_ = false;
    bool timestamp_seen_ = false;
    TimestampError timestamp_error_ = TimestampError::Empty;
    std::string number_text_;  // scratch for Java number formatting
};

// The coercion alone, for tests and for front-ends that project one value: the values `value` gives a field
// of type `type` (0 or 1 value; text that must be created goes to `arena`). Returns false when dropped.
bool coerce(vm::FieldType type, const JsonScalar& value, vm::TextArena& arena, vm::Value& out);

}  // namespace eqlc::input
