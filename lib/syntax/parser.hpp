// The EQL parser: text in, a typed syntax tree (ast.hpp) or syntax diagnostics out.
// The grammar itself lives in grammar.hpp (with its EBNF in the header comment).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "eqlc/diagnostics.hpp"
#include "eqlc/query.hpp"
#include "syntax/ast.hpp"

namespace eqlc::syntax {

// The largest ParseLimits::max_depth accepted (a larger one is refused with a diagnostic). Every pass over a query
// (parser, checker, normalizer, cost ordering, required text, code generation, printer, explain, the destructors
// of the trees) recurses once or a few times per level of nesting; at this depth they all need less than about
// 2 MiB of stack in a release build and 5 MiB with AddressSanitizer, so a compile is safe on the main thread (8 MiB)
// and on threads with 4 MiB stacks or more (release). Elasticsearch's own parser stops at 200 (the default).
inline constexpr uint32_t kMaxDepthLimit = kMaxQueryDepth;  // eqlc/query.hpp

struct ParseLimits {
    // Nesting depth of parentheses, `not`, unary minus and function calls (1 to kMaxDepthLimit). Deeper input is
    // refused with a diagnostic instead of exhausting the stack.
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
