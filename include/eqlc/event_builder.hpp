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
    // An event whose set_time() writes `timestamp_field` (Engine::event() gives the engine's).
    explicit EventBuilder(std::string timestamp_field = "@timestamp");

    // Scalars. The overloads take what the C++ types say: strings, integers (signed or unsigned, up to 64 bits),
    // floating-point numbers and bool; a `const char*` is a string, never a bool.
    bool set(std::string_view field, std::string_view value);
    bool set(std::string_view field, const char* value) { return set(field, std::string_view(value)); }
    bool set(std::string_view field, const std::string& value) { return set(field, std::string_view(value)); }
    template <std::same_as<bool> Bool>
    bool set(std::string_view field, Bool value) {
        return set_bool(field, value);
    }
    template <std::integral Int>
    requires(!std::same_as<Int, bool>) bool set(std::string_view field, Int value) {
        if constexpr (std::signed_integral<Int>)
            return set_int(field, static_cast<int64_t>(value));
        else
            return set_uint(field, static_cast<uint64_t>(value));
    }
    template <std::floating_point Float>
    bool set(std::string_view field, Float value) {
        return set_double(field, static_cast<double>(value));
    }
    bool set_null(std::string_view field);

    // Arrays: each append adds one element to the field's array (a field set as a scalar before becomes an array
    // holding only the new element). set_empty_array makes the field present with no values, which is not the same
    // as absent (an empty array of scalars is a field with zero values).
    bool append(std::string_view field, std::string_view value);
    bool append(std::string_view field, const char* value) { return append(field, std::string_view(value)); }
    bool append(std::string_view field, const std::string& value) { return append(field, std::string_view(value)); }
    template <std::same_as<bool> Bool>
    bool append(std::string_view field, Bool value) {
        return append_bool(field, value);
    }
    template <std::integral Int>
    requires(!std::same_as<Int, bool>) bool append(std::string_view field, Int value) {
        if constexpr (std::signed_integral<Int>)
            return append_int(field, static_cast<int64_t>(value));
        else
            return append_uint(field, static_cast<uint64_t>(value));
    }
    template <std::floating_point Float>
    bool append(std::string_view field, Float value) {
        return append_double(field, static_cast<double>(value));
    }
    bool append_null(std::string_view field);
    bool set_empty_array(std::string_view field);

    // The event time, nanoseconds since 1970-01-01T00:00:00Z (any int64), written to the timestamp field as
    // ISO-8601 UTC text down to the nanosecond ("2026-11-20T09:01:00.000000001Z"), which the reader turns back into
    // exactly `nanos`; the second form writes another date field (a rule's timestamp_override).
    bool set_time(int64_t nanos) { return set_time(timestamp_field_, nanos); }
    bool set_time(std::string_view field, int64_t nanos);

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
        std::string key;     // name as a JSON string (quoted, escaped)
        size_t hash = 0;     // of name, for index_
        uint64_t stamp = 0;  // the event (stamp_) that set it last: the other fields are names remembered
        uint32_t next = UINT32_MAX;  // the field set after it in the last event that set it (a guess at the next)
        bool array = false;
        std::vector<Scalar> values;
        size_t json_values = 0;  // bytes of its values in the JSON: texts, quotes, commas, brackets
    };

    bool set_bool(std::string_view field, bool value);
    bool set_int(std::string_view field, int64_t value);
    bool set_uint(std::string_view field, uint64_t value);
    bool set_double(std::string_view field, double value);
    bool append_bool(std::string_view field, bool value);
    bool append_int(std::string_view field, int64_t value);
    bool append_uint(std::string_view field, uint64_t value);
    bool append_double(std::string_view field, double value);

    // The field to add one value to: emptied for a scalar, kept for an array element. Null (after recording the
    // error) when the name is unusable.
    Field* target(std::string_view field, bool element);
    Field* find_or_add(std::string_view field);
    // The remembered field of this name, added when new; kNoField (after recording the error) when unusable.
    uint32_t lookup(std::string_view field);
    void grow_index();
    // Adds a value to `f`, its text kept in text_.
    bool add(Field* f, const Scalar& value, std::string_view text);
    // `f` emptied, as an array or not; `s` (its text already in text_) added to it. Both keep the JSON's size.
    void reset_values(Field& f, bool array);
    void push_value(Field& f, const Scalar& s);
    bool text_fits(std::string_view field, size_t more);  // text_ and raw_ stay within 4 GiB
    bool add_string(std::string_view field, std::string_view value, bool element);
    bool add_number(std::string_view field, Scalar value, bool element);
    bool fail(std::string_view field, std::string_view why);
    size_t json_size() const {  // of write_json's text: braces, commas, keys with colons, values
        return 2 + (order_.empty() ? 0 : order_.size() - 1) + json_keys_ + json_values_;
    }

    static constexpr uint32_t kNoField = UINT32_MAX;
    // Names beyond this many are forgotten at the next clear(), so a builder given ever new names stays bounded.
    static constexpr size_t kRememberedFields = 4096;

    std::string timestamp_field_;
    // Every field named since the builder was made (or last forgot them), each with its name already checked and
    // written as a JSON key; the values are those of the event that set it last.
    std::vector<Field> fields_;
    std::vector<uint32_t> index_;  // open addressing over fields_' names: 1 + an index in fields_, 0 for none
    std::vector<uint32_t> order_;  // this event's fields, in the order first set
    uint32_t first_ = kNoField;    // the last event's first field (a guess at this event's)
    uint64_t stamp_ = 1;  // this event's number
    // Every value as JSON writes it, each followed by '"', in the order set (a replaced value's text stays): what
    // the JSON is written from, and where the line prefilter reads the values of the fields its needles come from
    // (needles are in a value's JSON form).
    std::string text_;
    std::string raw_;  // the bytes of the strings that JSON escapes
    std::string error_;
    size_t json_keys_ = 0;    // this event's keys in the JSON, each with its colon
    size_t json_values_ = 0;  // and its fields' json_values
};

}  // namespace eqlc
