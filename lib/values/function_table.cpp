#include "values/function_table.hpp"

#include "text/edit_distance.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace eqlc::semantics {
namespace {

using K = ValueKind;

constexpr std::array<K, 2> kNumNum = {K::numeric, K::numeric};
constexpr std::array<K, 4> kBetween = {K::string, K::string, K::string, K::boolean};
constexpr std::array<K, 2> kCidr = {K::any, K::string};
constexpr std::array<K, 1> kAnyOne = {K::any};
constexpr std::array<K, 2> kStrStr = {K::string, K::string};
constexpr std::array<K, 3> kIndexOf = {K::string, K::string, K::numeric};
constexpr std::array<K, 1> kStr = {K::string};
constexpr std::array<K, 2> kNumber = {K::string, K::numeric};
constexpr std::array<K, 3> kSubstring = {K::string, K::numeric, K::numeric};

// Sorted by name; find_function compares case-insensitively.
constexpr std::array<FunctionSpec, 16> kFunctions = {{
    {FunctionId::add, "add", 2, 2, false, K::numeric, kNumNum, 0},
    {FunctionId::between, "between", 3, 4, true, K::string, kBetween, 0b1000},
    {FunctionId::cidr_match, "cidrMatch", 2, kVariadic, false, K::boolean, kCidr, 0b1111'1110},
    {FunctionId::concat, "concat", 1, kVariadic, false, K::string, kAnyOne, 0},
    {FunctionId::divide, "divide", 2, 2, false, K::numeric, kNumNum, 0},
    {FunctionId::ends_with, "endsWith", 2, 2, true, K::boolean, kStrStr, 0},
    {FunctionId::index_of, "indexOf", 2, 3, true, K::numeric, kIndexOf, 0},
    {FunctionId::length, "length", 1, 1, false, K::numeric, kStr, 0},
    {FunctionId::modulo, "modulo", 2, 2, false, K::numeric, kNumNum, 0},
    {FunctionId::multiply, "multiply", 2, 2, false, K::numeric, kNumNum, 0},
    {FunctionId::number, "number", 1, 2, false, K::numeric, kNumber, 0b10},
    {FunctionId::starts_with, "startsWith", 2, 2, true, K::boolean, kStrStr, 0},
    {FunctionId::string, "string", 1, 1, false, K::string, kAnyOne, 0},
    {FunctionId::string_contains, "stringContains", 2, 2, true, K::boolean, kStrStr, 0},
    {FunctionId::substring, "substring", 2, 3, false, K::string, kSubstring, 0},
    {FunctionId::subtract, "subtract", 2, 2, false, K::numeric, kNumNum, 0},
}};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

}  // namespace

std::string_view value_kind_name(ValueKind kind) {
    switch (kind) {
        case ValueKind::any: return "any";
        case ValueKind::boolean: return "boolean";
        case ValueKind::numeric: return "numeric";
        case ValueKind::string: return "string";
    }
    return "any";
}

const FunctionSpec* find_function(std::string_view name) {
    for (const auto& spec : kFunctions)
        if (iequals(spec.name, name)) return &spec;
    return nullptr;
}

std::string_view suggest_function(std::string_view name) {
    std::string_view best;
    size_t best_distance = 3;  // only suggest names within two edits
    for (const auto& spec : kFunctions) {
        const size_t d = text::edit_distance(name, spec.name, /*ignore_ascii_case=*/true);
        if (d < best_distance) {
            best_distance = d;
            best = spec.name;
        }
    }
    return best;
}

std::span<const FunctionSpec> all_functions() { return kFunctions; }

}  // namespace eqlc::semantics
