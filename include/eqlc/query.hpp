// Front end of the library: check an EQL query against Elasticsearch's rules, or describe its syntax tree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "eqlc/diagnostics.hpp"

namespace eqlc {

struct QueryOptions {
    // Nesting depth of parentheses, `not`, unary minus and function calls; deeper queries are refused.
    uint32_t max_depth = 200;
};

// Parses and checks `text` as an Elastic EQL query (query plus pipes). Returns every problem found, each
// with its position; an empty result means the query is valid. Never throws on any input.
Diagnostics check_query(std::string_view text, const QueryOptions& options = {});

struct Explanation {
    std::string text;          // the indented syntax tree, when the query is valid
    std::string canonical;     // the query as eqlc prints it back (canonical EQL)
    Diagnostics diagnostics;   // why it is not valid, otherwise
};

Explanation explain_query(std::string_view text, const QueryOptions& options = {});

}  // namespace eqlc
