// The EQL function table: every function Elasticsearch's EqlFunctionRegistry knows, with its arity,
// whether it has a `~` (case-insensitive) form, the kinds of its arguments and of its result.
// Names are matched case-insensitively (`cidrmatch`, `startswith~` appear in real rules).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace eqlc::semantics {

// What an expression yields, as far as it is known before any event is seen.
enum class ValueKind : uint8_t {
    any,  // a field without a schema, or null: anything may come
    boolean,
    numeric,
    string,
};

std::string_view value_kind_name(ValueKind kind);

enum class FunctionId : uint8_t {
    add,
    between,
    cidr_match,
    concat,
    divide,
    ends_with,
    index_of,
    length,
    modulo,
    multiply,
    number,
    starts_with,
    string,
    string_contains,
    substring,
    subtract,
};

struct FunctionSpec {
    FunctionId id;
    std::string_view name;  // canonical spelling, as documented
    uint8_t min_args;
    uint8_t max_args;           // kVariadic for no upper bound
    bool has_insensitive_form;  // `name~(...)` allowed
    ValueKind result;
    // Kind of each argument position; the last entry repeats for variadic tails.
    std::span<const ValueKind> args;
    // Positions (bit i = argument i, bit 7 = every argument from 7 on) that must be constants.
    uint8_t constant_args;
};

inline constexpr uint8_t kVariadic = 255;

// Looks a function up by name, ignoring ASCII case. Returns nullptr when there is none.
const FunctionSpec* find_function(std::string_view name);

// The closest known name (by edit distance), for "did you mean" hints; empty when nothing is close.
std::string_view suggest_function(std::string_view name);

std::span<const FunctionSpec> all_functions();

}  // namespace eqlc::semantics
