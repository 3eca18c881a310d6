#include "eqlc/diagnostics.hpp"

#include <algorithm>

namespace eqlc {

std::string_view phase_name(Phase phase) {
    switch (phase) {
        case Phase::syntax: return "syntax";
        case Phase::semantics: return "semantics";
        case Phase::compile: return "compile";
        case Phase::rule: return "rule";
        case Phase::input: return "input";
        case Phase::mapping: return "mapping";
        case Phase::state: return "state";
    }
    return "unknown";
}

SourcePos position_at(std::string_view source, uint32_t offset) {
    SourcePos pos;
    const uint32_t end = std::min<uint32_t>(offset, static_cast<uint32_t>(source.size()));
    for (uint32_t i = 0; i < end; ++i) {
        if (source[i] == '\n') {
            ++pos.line;
            pos.column = 1;
        } else {
            ++pos.column;
        }
    }
    pos.offset = end;
    return pos;
}

std::string format_diagnostic(const Diagnostic& d, std::string_view source, std::string_view origin) {
    std::string out;
    out += origin;
    out += ':' + std::to_string(d.span.begin.line) + ':' + std::to_string(d.span.begin.column) + ": ";
    out += d.severity == Severity::error ? "error: " : "warning: ";
    out += d.message;
    if (!d.expected.empty()) out += " (expected " + d.expected + ")";
    out += " (";
    out += phase_name(d.phase);
    out += ")\n";

    // The offending line, with a caret under the span (clipped to the line).
    const size_t begin = std::min<size_t>(d.span.begin.offset, source.size());
    size_t line_start = source.rfind('\n', begin == 0 ? 0 : begin - 1);
    line_start = (line_start == std::string_view::npos || begin == 0) ? 0 : line_start + 1;
    if (begin > 0 && source[begin - 1] == '\n') line_start = begin;
    size_t line_end = source.find('\n', begin);
    if (line_end == std::string_view::npos) line_end = source.size();
    std::string_view line = source.substr(line_start, line_end - line_start);
    if (line.size() > 240) {
        // Keep very long lines (46 KB rules) readable: show a window around the caret.
        const size_t col = begin - line_start;
        const size_t from = col > 120 ? col - 120 : 0;
        line = line.substr(from, 240);
        line_start += from;
    }
    out += "  ";
    for (char c : line) out += (c == '\t' ? ' ' : c);
    out += "\n  ";
    out.append(begin - line_start, ' ');
    out += '^';
    const size_t end = std::min<size_t>(std::max<size_t>(d.span.end.offset, begin), line_start + line.size());
    if (end > begin + 1) out.append(end - begin - 1, '~');
    out += '\n';
    if (!d.hint.empty()) out += "  hint: " + d.hint + '\n';
    return out;
}

}  // namespace eqlc
