// Writes a syntax tree back as canonical EQL text. Property (tested over the rule corpus):
// parse_query(print_query(q)) gives a tree that ast::same_query finds equal to q.
#pragma once

#include <cstddef>
#include <string>

#include "syntax/ast.hpp"

namespace eqlc::syntax {

std::string print_query(const ast::Query& query);
std::string print_expr(const ast::Expr& expr);
// print_expr cut after about `max_bytes` bytes, with "..." when cut: for messages, whose cost must not grow with
// the size of the expression they quote (a long `or` chain, a 100,000-item list).
std::string print_expr_brief(const ast::Expr& expr, size_t max_bytes = 1024);
// A string literal in EQL syntax: quotes added, escapes written where needed.
std::string quote_string(std::string_view value);

// An indented tree of the query, for `eqlc --explain`.
std::string dump_tree(const ast::Query& query);

}  // namespace eqlc::syntax
