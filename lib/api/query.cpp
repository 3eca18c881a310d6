#include "eqlc/query.hpp"

#include "semantics/checker.hpp"
#include "syntax/parser.hpp"
#include "syntax/printer.hpp"

namespace eqlc {

Diagnostics check_query(std::string_view text, const QueryOptions& options) {
    auto parsed = syntax::parse_query(text, {.max_depth = options.max_depth});
    if (!parsed.ok()) return std::move(parsed.diagnostics);
    return semantics::check_query(*parsed.query);
}

Explanation explain_query(std::string_view text, const QueryOptions& options) {
    Explanation out;
    auto parsed = syntax::parse_query(text, {.max_depth = options.max_depth});
    if (!parsed.ok()) {
        out.diagnostics = std::move(parsed.diagnostics);
        return out;
    }
    out.diagnostics = semantics::check_query(*parsed.query);
    if (out.diagnostics.empty()) {
        out.text = syntax::dump_tree(*parsed.query);
        out.canonical = syntax::print_query(*parsed.query);
    }
    return out;
}

}  // namespace eqlc
