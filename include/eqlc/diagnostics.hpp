// Diagnostics are values: every error a user can cause (a bad query, a bad rule file, a bad event) is
// reported as a Diagnostic with a position and a message, never as a crash or an exception that escapes
// the library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eqlc {

// A position in a source text. `line` and `column` are 1-based; `column` counts bytes, as compilers do.
struct SourcePos {
    uint32_t offset = 0;
    uint32_t line = 1;
    uint32_t column = 1;

    friend bool operator==(const SourcePos&, const SourcePos&) = default;
};

// A half-open byte range [begin, end) in a source text.
struct SourceSpan {
    SourcePos begin;
    SourcePos end;

    friend bool operator==(const SourceSpan&, const SourceSpan&) = default;
};

// The phase that found the problem, so a message can say where it came from (as DuckDB's error types do).
enum class Phase : uint8_t {
    syntax,     // the text is not EQL (grammar)
    semantics,  // EQL, but refused by Elasticsearch's rules (unknown function, arity, unsupported feature)
    compile,    // the query is valid but cannot be compiled (e.g. an unsupported regex construct)
    rule,       // a rule file (TOML) is malformed
    input,      // an event could not be read
    mapping,    // an index mapping could not be used
    state,      // engine state could not be saved or restored (a snapshot)
};

enum class Severity : uint8_t { error, warning };

struct Diagnostic {
    Phase phase = Phase::syntax;
    Severity severity = Severity::error;
    SourceSpan span;
    std::string message;   // what is wrong, e.g. "unknown function [foo]"
    std::string expected;  // what was expected at that position, e.g. "'==' or ':'"; may be empty
    std::string hint;      // how to fix it, e.g. "use == or : for equality"; may be empty
};

using Diagnostics = std::vector<Diagnostic>;

std::string_view phase_name(Phase phase);

// Formats a diagnostic the way compilers do, with the phase that found it at the end of the first line:
//
//   rule.eql:3:17: error: unknown function [foo] (semantics)
//     process where foo(x)
//                   ^~~
//   hint: ...
//
// `source` is the text the span points into; `origin` names it (a file name, or "<query>").
std::string format_diagnostic(const Diagnostic& diagnostic, std::string_view source, std::string_view origin);

// Computes the SourcePos of a byte offset in `source` (line and column counted from the start).
SourcePos position_at(std::string_view source, uint32_t offset);

}  // namespace eqlc
