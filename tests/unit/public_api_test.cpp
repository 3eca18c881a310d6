// The public API's conventions: every error is a Diagnostic that names its phase, and the implementation behind
// a public class is not reachable from outside the library.
#include <catch2/catch.hpp>

#include <string>

#include "eqlc/diagnostics.hpp"
#include "eqlc/engine.hpp"
#include "eqlc/mapping.hpp"
#include "eqlc/query.hpp"

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

// A user of the installed headers cannot reach the implementations (they are private, befriending only the
// library's own detail::Internals).
template <class T>
concept reaches_impl = requires(const T& object) {
    object.impl();
};
template <class T>
concept names_impl = requires {
    typename T::Impl;
};
static_assert(!reaches_impl<eqlc::Mapping> && !names_impl<eqlc::Mapping>);
static_assert(!reaches_impl<eqlc::CompiledQueries> && !names_impl<eqlc::CompiledQueries>);
static_assert(!names_impl<eqlc::Engine>);

TEST_CASE("public API: a formatted diagnostic names the phase that found it", "[api]") {
    const std::string bad_syntax = "process where process.name ==";
    const auto syntax = eqlc::check_query(bad_syntax);
    REQUIRE_FALSE(syntax.empty());
    CHECK(syntax[0].phase == eqlc::Phase::syntax);
    const std::string shown = eqlc::format_diagnostic(syntax[0], bad_syntax, "<query>");
    CHECK(first_line(shown).starts_with("<query>:1:"));
    CHECK(first_line(shown).ends_with(" (syntax)"));

    const std::string bad_function = "process where foo(process.name)";
    const auto semantic = eqlc::check_query(bad_function);
    REQUIRE_FALSE(semantic.empty());
    CHECK(first_line(eqlc::format_diagnostic(semantic[0], bad_function, "q.eql")) ==
          "q.eql:1:15: error: Unknown function [foo] (semantics)");
}

TEST_CASE("public API: a mapping that cannot be used is a Diagnostic of phase mapping", "[api]") {
    eqlc::Diagnostic error;
    CHECK_FALSE(eqlc::Mapping::parse("{not json", &error));
    CHECK(error.phase == eqlc::Phase::mapping);
    CHECK_FALSE(error.message.empty());
    CHECK(eqlc::phase_name(error.phase) == "mapping");

    eqlc::Diagnostic fine;
    const auto mapping =
        eqlc::Mapping::parse(R"({"properties":{"process":{"properties":{"name":{"type":"keyword"}}}}})", &fine);
    CHECK(mapping.has_value());
}
