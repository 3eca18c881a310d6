// compile_query in two steps: parsing and checking a query needs no field catalog, so a list of queries can be
// parsed and checked on other threads while one thread compiles them in order against the shared catalog (slot
// numbers then stay those of compiling the list one query after the other).
//
//   CheckedQuery checked = parse_and_check(text, options);              // any thread
//   CompileResult r = compile_checked(std::move(checked), text, options, catalog);  // in order, one thread
#pragma once

#include <optional>
#include <string_view>

#include "compiler/compiled_query.hpp"

namespace eqlc::compiler {

struct CheckedQuery {
    std::optional<ast::Query> query;  // the syntax tree, when the text parsed
    Diagnostics diagnostics;          // the parser's, then the checker's
};

CheckedQuery parse_and_check(std::string_view text, const CompileOptions& options);

// The rest of compile_query for `checked` (made from the same text and options): the same result.
CompileResult compile_checked(CheckedQuery checked, std::string_view text, const CompileOptions& options,
                              vm::FieldCatalog& catalog);

}  // namespace eqlc::compiler
