// How the library's phases reach the implementation behind a public class (Mapping, CompiledQueries, Engine):
// each keeps its Impl private and befriends detail::Internals, so users of the installed headers cannot reach in,
// while lib/ can.
#pragma once

namespace eqlc::detail {

struct Internals {
    // The Impl of `object` (const when `object` is).
    template <class T>
    static auto& impl(T& object) {
        return *object.impl_;
    }
};

}  // namespace eqlc::detail
