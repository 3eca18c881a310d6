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

    // An EventBuilder's fields (each with its typed values) and the text its values point into, for Engine::push.
    template <class Builder>
    static std::span<const typename Builder::Field> fields(const Builder& builder) {
        return {builder.fields_.data(), builder.used_};
    }
    template <class Builder>
    static std::string_view value_text(const Builder& builder, const typename Builder::Scalar& value) {
        return std::string_view(builder.text_).substr(value.text_begin, value.text_size);
    }
};

}  // namespace eqlc::detail
