// How the library's phases reach the implementation behind a public class (Mapping, CompiledQueries, Engine):
// each keeps its Impl private and befriends detail::Internals, so users of the installed headers cannot reach in,
// while lib/ can.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace eqlc::detail {

struct Internals {
    // The Impl of `object` (const when `object` is).
    template <class T>
    static auto& impl(T& object) {
        return *object.impl_;
    }

    // An EventBuilder's fields in order, for Engine::push: each with its number in the builder (stable while the
    // builder remembers its names, which EventBuilder::clear() forgets, renumbering, only past kRememberedFields)
    // and its typed values, whose text is in the builder.
    template <class Builder, class Fn>
    static void for_each_field(const Builder& builder, Fn&& fn) {
        for (const uint32_t id : builder.order_) fn(id, builder.fields_[id]);
    }
    // How many field numbers the builder has given (0 .. count-1), the field of a number (name and values), and
    // whether the event being built has it.
    template <class Builder>
    static size_t field_count(const Builder& builder) {
        return builder.fields_.size();
    }
    template <class Builder>
    static const auto& field_at(const Builder& builder, uint32_t number) {
        return builder.fields_[number];
    }
    template <class Builder>
    static bool has_field(const Builder& builder, uint32_t number) {
        return builder.fields_[number].stamp == builder.stamp_;
    }
    // What the builder's field numbers stand for (EventBuilder::Naming): while it is the same, a number names the
    // same field.
    template <class Builder>
    static uint64_t naming(const Builder& builder) {
        return builder.naming_.id;
    }
    // A value as JSON writes it followed by '"' (a string without its opening quote), as the builder keeps it.
    template <class Builder>
    static std::string_view json_text_and_quote(const Builder& builder, const typename Builder::Scalar& value) {
        return builder.text_.view().substr(value.text_begin, value.text_size + 1);
    }
    // A value as JSON writes it (a string without its quotes).
    template <class Builder>
    static std::string_view json_text(const Builder& builder, const typename Builder::Scalar& value) {
        return builder.text_.view().substr(value.text_begin, value.text_size);
    }
    template <class Builder>
    static std::string_view value_text(const Builder& builder, const typename Builder::Scalar& value) {
        return value.escaped ? builder.raw_.view().substr(value.raw_begin, value.raw_size)
                             : builder.text_.view().substr(value.text_begin, value.text_size);
    }
    template <class Builder>
    static size_t json_size(const Builder& builder) {
        return builder.json_size();
    }
};

}  // namespace eqlc::detail
