// Events that are not JSON: an embedder holding its own event structs (an EDR agent, a Zeek or Falco plugin) sets
// the fields one by one and pushes the event, without writing JSON itself.
//
//   eqlc::EventBuilder b = engine.event();    // knows the engine's timestamp field
//   for (const auto& path : engine.fields()) ...  // the fields the rules read: the others cost nothing
//   b.set("process.name", "cmd.exe");
//   b.set("process.pid", 4);
//   b.append("process.args", "/c");           // arrays: one append per element
//   b.set_time(ns);                           // nanoseconds since the epoch, UTC
//   engine.push(b);                           // the same matches as the event's JSON through push_json
//   b.clear();                                // and reuse it for the next event
//
//   const auto pid = b.field("process.pid");  // or name a field once, when the embedder starts,
//   b.set(pid, 4);                            // and set it through the id: no name compared per event
//
// Fields are dotted paths ("process.parent.name"), as the rules name them; the event is a JSON object with those
// paths as keys, which is what alerts show as the event's _source. Setting a field again replaces its value (the
// field keeps its first place). A field name that no event could hold (empty, an empty segment as in "a..b" or
// ".a", not UTF-8), a string that is not UTF-8 and a number that is not finite make the event unusable: the
// setter returns false and the builder keeps the first such error (error()); Engine::push refuses the event
// (reported to on_bad_input with that message, and counted as a bad line), as it refuses JSON that cannot be read.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eqlc {

namespace detail {
struct Internals;  // the library's own access to implementations (lib/api/internals.hpp)
}

class EventBuilder {
public:
    class FieldId;
    // Where a setter takes a field: a dotted name (std::string_view, const char*, std::string) or a FieldId. Two
    // words, passed in registers: a name's bytes, or the id (a size no name has).
    class FieldRef {
    public:
        FieldRef(std::string_view name) : data_(name.data()), size_(name.size()) {}
        FieldRef(const char* name) : FieldRef(std::string_view(name)) {}
        FieldRef(const std::string& name) : FieldRef(std::string_view(name)) {}
        FieldRef(const FieldId& id) : data_(&id), size_(kId) {}
        std::string_view name() const {
            return size_ == kId ? std::string_view(static_cast<const FieldId*>(data_)->name_)
                                : std::string_view(static_cast<const char*>(data_), size_);
        }
        const FieldId* id() const { return size_ == kId ? static_cast<const FieldId*>(data_) : nullptr; }

    private:
        static constexpr size_t kId = SIZE_MAX;
        const void* data_;
        size_t size_;
    };
    // A field named once and set through afterwards: an embedder that maps the members of its own event struct
    // to fields does it once (`auto name = b.field("process.name");` then `b.set(name, value)` per event), and a
    // set through an id neither compares nor looks up the name. An id is the builder's that gave it; it also works
    // (as its name does) with another builder, or after this one forgot its names (kRememberedFields).
    class FieldId {
    public:
        FieldId() = default;
        const std::string& name() const { return name_; }
        bool usable() const { return naming_ != 0; }  // false: the name cannot be a field's

    private:
        friend class EventBuilder;
        friend class FieldRef;
        std::string name_;
        uint32_t number_ = UINT32_MAX;
        uint64_t naming_ = 0;  // the builder's Naming when given (0: unusable name, checked again at each set)
    };
    // The id of `name`. An unusable name gives an id whose sets fail as the name's do, and records the error now.
    FieldId field(std::string_view name);

    // An event whose set_time() writes `timestamp_field` (Engine::event() gives the engine's).
    explicit EventBuilder(std::string timestamp_field = "@timestamp");
    // A copy has the same event and names. A move leaves the builder moved from empty and usable, as a new one
    // with the same timestamp field.
    EventBuilder(const EventBuilder&) = default;
    EventBuilder& operator=(const EventBuilder&) = default;
    EventBuilder(EventBuilder&& other);
    EventBuilder& operator=(EventBuilder&& other);

    // Scalars. The overloads take what the C++ types say: strings, integers (signed or unsigned, up to 64 bits),
    // floating-point numbers and bool; a `const char*` is a string, never a bool.
    bool set(FieldRef field, std::string_view value);
    bool set(FieldRef field, const char* value) { return set(field, std::string_view(value)); }
    bool set(FieldRef field, const std::string& value) { return set(field, std::string_view(value)); }
    template <std::same_as<bool> Bool>
    bool set(FieldRef field, Bool value) {
        return set_bool(field, value);
    }
    template <std::integral Int>
    requires(!std::same_as<Int, bool>) bool set(FieldRef field, Int value) {
        if constexpr (std::signed_integral<Int>)
            return set_int(field, static_cast<int64_t>(value));
        else
            return set_uint(field, static_cast<uint64_t>(value));
    }
    template <std::floating_point Float>
    bool set(FieldRef field, Float value) {
        return set_double(field, static_cast<double>(value));
    }
    bool set_null(FieldRef field);

    // Arrays: each append adds one element to the field's array (a field set as a scalar before becomes an array
    // holding only the new element). set_empty_array makes the field present with no values, which is not the same
    // as absent (an empty array of scalars is a field with zero values).
    bool append(FieldRef field, std::string_view value);
    bool append(FieldRef field, const char* value) { return append(field, std::string_view(value)); }
    bool append(FieldRef field, const std::string& value) { return append(field, std::string_view(value)); }
    template <std::same_as<bool> Bool>
    bool append(FieldRef field, Bool value) {
        return append_bool(field, value);
    }
    template <std::integral Int>
    requires(!std::same_as<Int, bool>) bool append(FieldRef field, Int value) {
        if constexpr (std::signed_integral<Int>)
            return append_int(field, static_cast<int64_t>(value));
        else
            return append_uint(field, static_cast<uint64_t>(value));
    }
    template <std::floating_point Float>
    bool append(FieldRef field, Float value) {
        return append_double(field, static_cast<double>(value));
    }
    bool append_null(FieldRef field);
    bool set_empty_array(FieldRef field);

    // The event time, nanoseconds since 1970-01-01T00:00:00Z (any int64), written to the timestamp field as
    // ISO-8601 UTC text down to the nanosecond ("2026-11-20T09:01:00.000000001Z"), which the reader turns back into
    // exactly `nanos`; the second form writes another date field (a rule's timestamp_override).
    bool set_time(int64_t nanos) { return set_time(timestamp_field_, nanos); }
    bool set_time(FieldRef field, int64_t nanos);

    // Forgets the fields and the error, keeping the timestamp field and the memory, for the next event.
    void clear();

    // The event as one line of JSON (no newline).
    std::string json() const;
    void write_json(std::string& out) const;  // the same, appended to `out`

    bool ok() const { return error_.empty(); }
    // The first problem ("field \"a..b\": a field name cannot have an empty segment"); empty when ok().
    const std::string& error() const { return error_; }
    const std::string& timestamp_field() const { return timestamp_field_; }
    size_t size() const { return order_.size(); }  // fields set

private:
    friend struct detail::Internals;  // Engine::push reads the typed values

    // One value as set, for the engine to project without reading the JSON back.
    struct Scalar {
        enum class Kind : uint8_t { null, boolean, integer, unsigned_integer, floating, string };
        Kind kind = Kind::null;
        bool boolean = false;
        bool escaped = false;  // a string whose JSON form differs from its bytes, which are in raw_
        // In text_: the value as JSON writes it (a string without its quotes), which is also a number's text for a
        // keyword field.
        uint32_t text_begin = 0;
        uint32_t text_size = 0;
        uint32_t raw_begin = 0;  // an escaped string's bytes in raw_
        uint32_t raw_size = 0;
        union {
            int64_t integer = 0;
            uint64_t unsigned_integer;
            double floating;
        };
    };
    struct Field {
        std::string name;
        std::string key;             // name as a JSON string (quoted, escaped)
        size_t hash = 0;             // of name, for index_
        uint64_t stamp = 0;          // the event (stamp_) that set it last: the other fields are names remembered
        uint32_t next = UINT32_MAX;  // the field set after it in the last event that set it (a guess at the next)
        bool array = false;
        std::vector<Scalar> values;
        size_t json_values = 0;  // bytes of its values in the JSON: texts, quotes, commas, brackets
    };

    bool set_bool(FieldRef field, bool value);
    bool set_int(FieldRef field, int64_t value);
    bool set_uint(FieldRef field, uint64_t value);
    bool set_double(FieldRef field, double value);
    bool append_bool(FieldRef field, bool value);
    bool append_int(FieldRef field, int64_t value);
    bool append_uint(FieldRef field, uint64_t value);
    bool append_double(FieldRef field, double value);

    // The field to add one value to: emptied for a scalar, kept for an array element. Null (after recording the
    // error) when the name is unusable.
    Field* target(FieldRef field, bool element);
    Field* find_or_add(FieldRef field);
    // The remembered field of this name, added when new; kNoField (after recording the error) when unusable.
    uint32_t lookup(std::string_view field);
    void grow_index();
    // Adds a value of `kind` to `f` (a number or bool as `bits`, the union's or the bool's bytes), its text kept in
    // text_. The value is written where it is kept, field by field: a Scalar built aside and copied in was read
    // back whole right after its narrow stores, which stalls the copy (store forwarding) and was a third of a set.
    bool add(Field* f, Scalar::Kind kind, uint64_t bits, std::string_view text);
    // `f` emptied, as an array or not; a new last value of `f` of that kind and text (already in text_), the rest
    // of it zero, for the caller to fill. Both keep the JSON's size.
    void reset_values(Field& f, bool array);
    Scalar& push_value(Field& f, Scalar::Kind kind, uint32_t text_begin, uint32_t text_size);
    bool text_fits(std::string_view field, size_t more);  // text_ and raw_ stay within 4 GiB
    bool add_string(FieldRef field, std::string_view value, bool element);
    bool add_number(FieldRef field, Scalar::Kind kind, uint64_t bits, bool element);
    bool fail(std::string_view field, std::string_view why);
    void forget_all();          // as new: no names, no event, no memory
    size_t json_size() const {  // of write_json's text: braces, commas, keys with colons, values
        return 2 + (order_.empty() ? 0 : order_.size() - 1) + json_keys_ + json_values_;
    }

    // Which names the field numbers stand for: a number given to one builder (and between two forgettings, see
    // kRememberedFields) always stands for the same name, so an engine that remembers where a number's field goes
    // checks this number instead of comparing the name. A copy, and the builder a move leaves behind, may number
    // differently from then on and take a new one; 0 is never given.
    struct Naming {
        uint64_t id = fresh();
        Naming() = default;
        Naming(const Naming&) : id(fresh()) {}
        Naming(Naming&& other) noexcept : id(other.id) { other.id = fresh(); }
        Naming& operator=(const Naming& other) {
            if (this != &other) id = fresh();
            return *this;
        }
        Naming& operator=(Naming&& other) noexcept {
            if (this != &other) {
                id = other.id;
                other.id = fresh();
            }
            return *this;
        }
        static uint64_t fresh();
    };

    static constexpr uint32_t kNoField = UINT32_MAX;
    // Names beyond this many are forgotten at the next clear(), so a builder given ever new names stays bounded.
    static constexpr size_t kRememberedFields = 4096;

    std::string timestamp_field_;
    // Every field named since the builder was made (or last forgot them), each with its name already checked and
    // written as a JSON key; the values are those of the event that set it last.
    std::vector<Field> fields_;
    Naming naming_;
    std::vector<uint32_t> index_;  // open addressing over fields_' names: 1 + an index in fields_, 0 for none
    std::vector<uint32_t> order_;  // this event's fields, in the order first set
    uint32_t first_ = kNoField;    // the last event's first field (a guess at this event's)
    uint64_t stamp_ = 1;           // this event's number
    // Every value as JSON writes it, each followed by '"', in the order set (a replaced value's text stays): what
    // the JSON is written from, and where the line prefilter reads the values of the fields its needles come from
    // (needles are in a value's JSON form).
    // Bytes appended at the end, the string kept at its largest size and `used` counting what holds text: an
    // append is a capacity test and a copy in a few loads and stores, where std::string's append calls, checks and
    // terminates for each short value (it was a tenth of a built event).
    struct Bytes {
        std::string bytes;
        size_t used = 0;
        std::string_view view() const { return {bytes.data(), used}; }
        char* room(size_t more) {  // where `more` bytes go at the end (they are not counted as used)
            if (bytes.size() - used < more) [[unlikely]]
                grow(more);
            return bytes.data() + used;
        }
        void grow(size_t more);
        void append(std::string_view text);
        void append_quote() { *room(1) = '"', ++used; }
    };
    Bytes text_;
    Bytes raw_;  // the bytes of the strings that JSON escapes
    std::string error_;
    size_t json_keys_ = 0;    // this event's keys in the JSON, each with its colon
    size_t json_values_ = 0;  // and its fields' json_values
};

}  // namespace eqlc
