#include "eqlc/query.hpp"

#include "api/options.hpp"
#include "compiler/compiled_query.hpp"
#include "syntax/parser.hpp"
#include "syntax/printer.hpp"

namespace eqlc {

Diagnostics check_query(std::string_view text, const QueryOptions& options) {
    vm::FieldCatalog catalog;
    return compiler::compile_query(text, api::compile_options(options), catalog).diagnostics;
}

Explanation explain_query(std::string_view text, const QueryOptions& options) {
    Explanation out;
    vm::FieldCatalog catalog;
    auto compiled = compiler::compile_query(text, api::compile_options(options), catalog);
    if (!compiled.ok()) {
        out.diagnostics = std::move(compiled.diagnostics);
        return out;
    }
    auto parsed = syntax::parse_query(text, {.max_depth = options.max_depth});
    if (parsed.ok()) {
        out.text = syntax::dump_tree(*parsed.query);
        out.canonical = syntax::print_query(*parsed.query);
    }
    out.program = compiler::explain(*compiled.query);
    return out;
}

}  // namespace eqlc
