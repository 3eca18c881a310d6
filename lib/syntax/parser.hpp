// The EQL parser: text in, a typed syntax tree (ast.hpp) or syntax diagnostics out.
// The grammar itself lives in grammar.hpp (with its EBNF in the header comment).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "eqlc/diagnostics.hpp"
#include "syntax/ast.hpp"

namespace eqlc::syntax {

struct ParseLimits {
    // Nesting depth of parentheses, `not`, unary minus and function calls. Deeper input is refused
    // with a diagnostic instead of exhausting the stack.
    uint32_t max_depth = 200;
};

struct ParseResult {
    std::optional<ast::Query> query;  // set when the text parsed
    Diagnostics diagnostics;          // syntax errors (at most one from the grammar, plus any from actions)

    bool ok() const { return query.has_value() && diagnostics.empty(); }
};

// Parses a whole statement: query followed by pipes. Never throws.
ParseResult parse_query(std::string_view text, const ParseLimits& limits = {});

}  // namespace eqlc::syntax
