// How the library's phases reach the implementation behind a public class (Mapping, CompiledQueries, Engine):
// each keeps its Impl private and befriends detail::Internals, so users of the installed headers cannot reach in,
// while lib/ can.
#pragma once

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
    // A value as JSON writes it (a string without its quotes).
    template <class Builder>
    static std::string_view json_text(const Builder& builder, const typename Builder::Scalar& value) {
        return std::string_view(builder.text_).substr(value.text_begin, value.text_size);
    }
    template <class Builder>
    static std::string_view value_text(const Builder& builder, const typename Builder::Scalar& value) {
        return value.escaped ? std::string_view(builder.raw_).substr(value.raw_begin, value.raw_size)
                             : std::string_view(builder.text_).substr(value.text_begin, value.text_size);
    }
    template <class Builder>
    static size_t json_size(const Builder& builder) {
        return builder.json_size();
    }
};

}  // namespace eqlc::detail
