// A parsed TOML document as the rule reader walks it: tables, arrays and scalars with the place each starts,
// built either by the fast reader declared below (toml_fast.cpp) or from toml++'s tree (toml_rule.cpp), so that
// both give the reader the same thing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eqlc::rules::detail {

struct TomlMember;

struct TomlNode {
    // toml++'s node types, so that messages name a value's type as before.
    enum class Type : uint8_t { table, array, string, integer, floating_point, boolean, date, time, date_time };

    Type type = Type::table;
    // Where the node starts, as toml++ counts: lines from 1, columns in code points from 1; 0 when unknown.
    uint32_t line = 0;
    uint32_t column = 0;
    std::string string;   // a string's value
    int64_t integer = 0;  // an integer's value
    bool boolean = false;
    std::vector<TomlNode> items;      // an array's elements
    std::vector<TomlMember> members;  // a table's keys, in the order they were written

    // What the fast reader needs to follow TOML's rules on defining tables (not part of the value).
    bool inline_table = false;     // { ... }: closed once written
    bool array_of_tables = false;  // made by [[header]]

    const TomlNode* get(std::string_view key) const;
    TomlNode* find(std::string_view key);
    bool is(Type t) const { return type == t; }
    const TomlNode* as_table() const { return type == Type::table ? this : nullptr; }
    const TomlNode* as_array() const { return type == Type::array ? this : nullptr; }
    const std::string* as_string() const { return type == Type::string ? &string : nullptr; }
};

struct TomlMember {
    std::string key;
    TomlNode value;
};

// Whether two trees hold the same values at the same places (tables compared as sets of keys).
bool same_tree(const TomlNode& a, const TomlNode& b);

// Reads `text` when it is written with the TOML that detection-rules files use: [tables], [[arrays of tables]],
// bare keys, the four kinds of strings, decimal integers, booleans, arrays and inline tables, comments. Gives
// nothing for anything else (and for anything that is not valid TOML): the caller then reads the text with
// toml++, which also says what is wrong. What it gives is exactly what toml++ gives for the same text.
std::optional<TomlNode> read_toml_fast(std::string_view text);

}  // namespace eqlc::rules::detail
