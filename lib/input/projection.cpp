#include "input/projection.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <memory>

#include "values/number_format.hpp"

namespace eqlc::input {

using vm::FieldType;
using vm::SlotId;
using vm::Value;

// ---- ProjectionPlan ------------------------------------------------------------------------------------------

namespace {

struct BuildNode {
    SlotId slot = ProjectionPlan::kNoSlot;
    std::map<std::string, std::unique_ptr<BuildNode>, std::less<>> children;
};

bool has_empty_segment(std::string_view path) {
    return path.empty() || path.front() == '.' || path.back() == '.' || path.find("..") != std::string_view::npos;
}

}  // namespace

ProjectionPlan::ProjectionPlan(const vm::FieldCatalog& catalog, ProjectionOptions options) : options_(options) {
    BuildNode root;
    types_.reserve(catalog.size());
    keeps_strings_.reserve(catalog.size());
    for (SlotId id = 0; id < catalog.size(); ++id) {
        const FieldType type = catalog.type(id);
        types_.push_back(type);
        keeps_strings_.push_back(type == FieldType::keyword || type == FieldType::dynamic || type == FieldType::ip ||
                                 type == FieldType::version || type == FieldType::unsupported);
        const std::string& path = catalog.path(id);
        if (has_empty_segment(path)) continue;
        BuildNode* node = &root;
        size_t pos = 0;
        while (true) {
            const size_t dot = path.find('.', pos);
            const std::string segment = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
            auto& next = node->children[segment];
            if (!next) next = std::make_unique<BuildNode>();
            node = next.get();
            if (dot == std::string::npos) break;
            pos = dot + 1;
        }
        node->slot = id;
    }

    // Flatten breadth-first, so that node ids follow that order.
    std::vector<const BuildNode*> queue{&root};
    std::vector<std::vector<NodeId>> children{{}};
    nodes_.push_back(Node{root.slot});
    segments_.emplace_back();
    for (size_t i = 0; i < queue.size(); ++i) {
        for (const auto& [segment, child] : queue[i]->children) {
            children[i].push_back(static_cast<NodeId>(nodes_.size()));
            nodes_.push_back(Node{child->slot});
            segments_.push_back(segment);
            children.emplace_back();
            queue.push_back(child.get());
        }
    }

    // Each node's table: the smallest power of two at least twice the number of children for which some
    // multiplier puts every child in a slot of its own (a node without children gets two empty slots). Children
    // with equal keys cannot be separated: after a few table sizes, the node falls back to scanning.
    std::vector<Slot> slots;
    std::vector<uint64_t> keys;
    std::vector<uint8_t> used;
    for (size_t i = 0; i < nodes_.size(); ++i) {
        const auto count = static_cast<uint32_t>(children[i].size());
        slots.clear();
        keys.clear();
        for (const NodeId c : children[i]) {
            const std::string& segment = segments_[c];
            const size_t size = segment.size();
            slots.push_back(Slot{copy_word(segment.data(), size),
                                 size > 8 ? copy_word(segment.data() + 8, size - 8) : 0, static_cast<uint32_t>(size),
                                 c});
            keys.push_back(key(slots.back().head, slots.back().tail, size));
        }
        uint32_t bits = 1;
        while ((uint32_t{1} << bits) < 2 * count) ++bits;
        uint64_t multiplier = 0x9E3779B97F4A7C15ull;
        bool distinct = false;
        for (uint32_t attempt = 1; !distinct; ++attempt) {
            used.assign(size_t{1} << bits, 0);
            distinct = true;
            for (const uint64_t k : keys) {
                uint8_t& u = used[(k * multiplier) >> (64 - bits)];
                distinct = distinct && u == 0;
                u = 1;
            }
            if (distinct) break;
            if (attempt == 256) break;                              // equal keys, most likely: scan
            if (attempt % 64 == 0) ++bits;                          // a bigger table when many multipliers collide
            multiplier = (multiplier + 0x632BE59BD9B4E019ull) | 1;  // the next odd candidate
        }
        Node& n = nodes_[i];
        n.child_count = count;
        n.multiplier = multiplier;
        n.table = static_cast<uint32_t>(table_.size());
        n.shift = static_cast<uint16_t>(64 - bits);
        n.scan = !distinct;
        n.first_child = count != 0 ? children[i].front() : 0;
        table_.resize(table_.size() + (size_t{1} << bits));
        for (size_t k = 0; k < slots.size(); ++k) {
            Slot& slot = table_[n.table + ((keys[k] * multiplier) >> n.shift)];
            if (slot.size == 0) slot = slots[k];  // with `scan`, a child that lost its slot is found by scanning
        }
    }
}

ProjectionPlan::NodeId ProjectionPlan::scan(const Node& n, std::string_view segment) const {
    for (NodeId c = n.first_child; c < n.first_child + n.child_count; ++c) {
        if (segments_[c] == segment) return c;
    }
    return kNoNode;
}

ProjectionPlan::NodeId ProjectionPlan::descend(NodeId node, std::string_view key) const {
    while (true) {
        const void* dot = key.empty() ? nullptr : std::memchr(key.data(), '.', key.size());
        if (dot == nullptr) return key.empty() ? kNoNode : child(node, key);
        const size_t length = static_cast<size_t>(static_cast<const char*>(dot) - key.data());
        if (length == 0) return kNoNode;
        node = child(node, key.substr(0, length));
        if (node == kNoNode) return kNoNode;
        key.remove_prefix(length + 1);
        if (key.empty()) return kNoNode;  // "a." names no field
    }
}

// ---- Coercion ------------------------------------------------------------------------------------------------

namespace {

using Kind = JsonScalar::Kind;

enum class Outcome : uint8_t { value, null, dropped };

// Strings Elasticsearch's BigDecimal accepts: [+-] digits [. digits] [(e|E) [+-] digits], with at least one digit
// in the mantissa (".5" and "5." included).
bool is_decimal_text(std::string_view s) {
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        size_t exponent_digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exponent_digits;
        if (exponent_digits == 0) return false;
    }
    return i == s.size();
}

// Java's String.trim: drops characters <= U+0020 at both ends.
std::string_view java_trim(std::string_view s) {
    while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
    while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
    return s;
}

bool truncate_to_long(double d, int64_t& out) {
    // [-2^63, 2^63): the doubles whose truncation fits an int64.
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
    out = static_cast<int64_t>(d);
    return true;
}

Outcome to_long(const JsonScalar& v, Value& out) {
    int64_t i = 0;
    switch (v.kind) {
        case Kind::integer: out = Value::of_int(v.integer); return Outcome::value;
        case Kind::floating:
            if (!truncate_to_long(v.floating, i)) return Outcome::dropped;
            out = Value::of_int(i);
            return Outcome::value;
        case Kind::string: {
            if (v.text.empty()) return Outcome::null;
            if (auto parsed = vm::java_parse_long(v.text)) {
                out = Value::of_int(*parsed);
                return Outcome::value;
            }
            if (!is_decimal_text(v.text)) return Outcome::dropped;
            const auto d = vm::java_parse_double(v.text);
            if (!d || !truncate_to_long(*d, i)) return Outcome::dropped;
            out = Value::of_int(i);
            return Outcome::value;
        }
        default:  // booleans; integers beyond int64
            return Outcome::dropped;
    }
}

Outcome to_double(const JsonScalar& v, Value& out) {
    switch (v.kind) {
        case Kind::integer: out = Value::of_double(static_cast<double>(v.integer)); return Outcome::value;
        case Kind::unsigned_integer:
            out = Value::of_double(static_cast<double>(v.unsigned_integer));
            return Outcome::value;
        case Kind::big_integer:
        case Kind::floating:
            if (!std::isfinite(v.floating)) return Outcome::dropped;
            out = Value::of_double(v.floating);
            return Outcome::value;
        case Kind::string: {
            if (v.text.empty()) return Outcome::null;
            const auto d = vm::java_parse_double(java_trim(v.text));
            if (!d || !std::isfinite(*d)) return Outcome::dropped;
            out = Value::of_double(*d);
            return Outcome::value;
        }
        default: return Outcome::dropped;
    }
}

Outcome to_boolean(const JsonScalar& v, Value& out) {
    if (v.kind == Kind::boolean) {
        out = Value::of_bool(v.boolean);
        return Outcome::value;
    }
    if (v.kind != Kind::string) return Outcome::dropped;
    if (v.text.empty()) return Outcome::null;
    if (v.text == "true" || v.text == "false") {
        out = Value::of_bool(v.text == "true");
        return Outcome::value;
    }
    return Outcome::dropped;
}

TimestampResult timestamp_of(const JsonScalar& v) {
    switch (v.kind) {
        case Kind::string: return parse_timestamp(v.text);
        case Kind::integer: return from_epoch_millis(v.integer);
        case Kind::floating: return from_epoch_millis_double(v.floating);
        case Kind::unsigned_integer:
        case Kind::big_integer: return {0, TimestampError::OutOfRange};
        default: return {0, TimestampError::Syntax};
    }
}

Outcome to_date(const JsonScalar& v, Value& out) {
    const TimestampResult t = timestamp_of(v);
    if (!t.ok()) return Outcome::dropped;
    out = Value::of_int(t.nanos);
    return Outcome::value;
}

Outcome to_keyword(const JsonScalar& v, vm::TextArena& arena, std::string& scratch, Value& out) {
    switch (v.kind) {
        case Kind::string: out = Value::of_string(v.text); return Outcome::value;
        case Kind::boolean:
            out = Value::of_string(v.boolean ? std::string_view("true") : std::string_view("false"));
            return Outcome::value;
        case Kind::integer:
        case Kind::unsigned_integer:
        case Kind::big_integer:
        case Kind::floating:
            if (!v.text.empty()) {
                out = Value::of_string(v.text);
                return Outcome::value;
            }
            scratch.clear();
            if (v.kind == Kind::integer) {
                vm::append_java_long(v.integer, scratch);
            } else if (v.kind == Kind::unsigned_integer) {
                scratch = std::to_string(v.unsigned_integer);
            } else {
                vm::append_java_double(v.floating, scratch);
            }
            out = Value::of_string(arena.store(scratch));
            return Outcome::value;
        default: return Outcome::null;
    }
}

Outcome to_dynamic(const JsonScalar& v, Value& out) {
    switch (v.kind) {
        case Kind::null: return Outcome::null;
        case Kind::boolean: out = Value::of_bool(v.boolean); return Outcome::value;
        case Kind::integer: out = Value::of_int(v.integer); return Outcome::value;
        case Kind::unsigned_integer:
            out = Value::of_double(static_cast<double>(v.unsigned_integer));
            return Outcome::value;
        case Kind::big_integer:
        case Kind::floating:
            if (!std::isfinite(v.floating)) return Outcome::dropped;
            out = Value::of_double(v.floating);
            return Outcome::value;
        case Kind::string: out = Value::of_string(v.text); return Outcome::value;
    }
    return Outcome::dropped;
}

Outcome coerce_value(FieldType type, const JsonScalar& v, vm::TextArena& arena, std::string& scratch, Value& out) {
    if (v.kind == Kind::null) return Outcome::null;
    switch (type) {
        case FieldType::dynamic:
        case FieldType::unsupported: return to_dynamic(v, out);
        case FieldType::keyword:
        case FieldType::version: return to_keyword(v, arena, scratch, out);
        case FieldType::long_: return to_long(v, out);
        case FieldType::double_: return to_double(v, out);
        case FieldType::boolean: return to_boolean(v, out);
        case FieldType::date: return to_date(v, out);
        case FieldType::ip:
            if (v.kind != Kind::string) return Outcome::dropped;
            out = Value::of_string(v.text);
            return Outcome::value;
    }
    return Outcome::dropped;
}

}  // namespace

bool coerce(FieldType type, const JsonScalar& value, vm::TextArena& arena, Value& out) {
    std::string scratch;
    switch (coerce_value(type, value, arena, scratch, out)) {
        case Outcome::value: return true;
        case Outcome::null: out = Value::null(); return true;
        case Outcome::dropped: return false;
    }
    return false;
}

// ---- RecordBuilder -------------------------------------------------------------------------------------------

void RecordBuilder::begin(const ProjectionPlan& plan, vm::EventRecord& record) {
    if (record.slots_writer == this && record_ == &record && record.slots.data() == filled_ &&
        record.slots.size() == plan.slot_count()) {
        // The slots the last event set are the only ones not clear.
        for (const SlotId slot : present_) record.slots[slot] = vm::Slot{};
        record.clear_all_but_slots();
    } else {
        record.clear(plan.slot_count());
    }
    plan_ = &plan;
    record_ = &record;
    filled_ = record.slots.data();
    record.slots_writer = this;
    timestamp_slot_ = plan.timestamp_slot().value_or(ProjectionPlan::kNoSlot);
    owner_.clear();
    present_.clear();
    scattered_ = false;
    saw_null_ = false;
    timestamp_seen_ = false;
    timestamp_error_ = TimestampError::Empty;
}

void RecordBuilder::take_timestamp(const JsonScalar& value) {
    if (timestamp_seen_ || value.kind == Kind::null) return;
    timestamp_seen_ = true;
    const TimestampResult t = timestamp_of(value);
    timestamp_error_ = t.error;
    record_->has_timestamp = t.ok();
    record_->timestamp_ns = t.ok() ? t.nanos : 0;
}

void RecordBuilder::add(SlotId slot, const JsonScalar& value, bool in_array) {
    if (slot == timestamp_slot_) take_timestamp(value);
    if (value.kind == Kind::string && plan_->keeps_strings(slot)) {
        push(slot, Value::of_string(value.text));  // the common case, without the coercion switch
        return;
    }
    const FieldType type = plan_->slot_type(slot);
    Value out;
    switch (coerce_value(type, value, record_->text, number_text_, out)) {
        case Outcome::value: push(slot, out); break;
        case Outcome::null:
            if (in_array) {
                mark_present(slot);  // [null] is an array with no values, still a present field
            } else {
                saw_null_ = true;
                push(slot, Value::null());
            }
            break;
        case Outcome::dropped: break;
    }
}

void RecordBuilder::finish() {
    if (scattered_ || saw_null_) lay_out();
}

void RecordBuilder::lay_out() {
    vm::EventRecord& r = *record_;
    const size_t slot_count = r.slots.size();
    scratch_.assign(r.values.begin(), r.values.end());

    if (saw_null_) {
        // A field with both nulls and values keeps the values; one made only of nulls keeps a single null.
        // null_count_ becomes, per slot: 0 when it holds no null, kKeepFirstNull or kDropNulls otherwise.
        null_count_.assign(slot_count, 0);
        for (size_t i = 0; i < scratch_.size(); ++i) {
            if (scratch_[i].is_null()) ++null_count_[owner_[i]];
        }
        for (size_t s = 0; s < slot_count; ++s) {
            const uint32_t nulls = null_count_[s];
            if (nulls == 0) continue;
            if (nulls == r.slots[s].count) {
                r.slots[s].count = 1;
                null_count_[s] = kKeepFirstNull;
            } else {
                r.slots[s].count -= nulls;
                null_count_[s] = kDropNulls;
            }
        }
    }

    cursor_.resize(slot_count);
    uint32_t total = 0;
    for (size_t s = 0; s < slot_count; ++s) {
        r.slots[s].begin = total;
        cursor_[s] = total;
        total += r.slots[s].count;
    }
    r.values.resize(total);
    for (size_t i = 0; i < scratch_.size(); ++i) {
        const SlotId slot = owner_[i];
        const Value& v = scratch_[i];
        uint32_t& at = cursor_[slot];
        if (saw_null_ && v.is_null()) {
            if (null_count_[slot] == kDropNulls) continue;
            if (at != r.slots[slot].begin) continue;  // kKeepFirstNull: the first one is there already
        }
        r.values[at++] = v;
    }
}

}  // namespace eqlc::input
