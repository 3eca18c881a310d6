// Links against the installed eqlc and checks two public functions give the documented results.
#include <eqlc/diagnostics.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "package consumer: FAILED: %s\n", what);
        ++failures;
    }
}

}  // namespace

int main() {
    const std::string_view source = "process where true\n| head 5x\n";

    const eqlc::SourcePos pos = eqlc::position_at(source, 27);  // the 'x' on line 2
    expect(pos.line == 2, "position_at: line");
    expect(pos.column == 9, "position_at: column");
    expect(pos.offset == 27, "position_at: offset");

    eqlc::Diagnostic diagnostic;
    diagnostic.span = {pos, eqlc::position_at(source, 28)};
    diagnostic.message = "unexpected character";
    const std::string text = eqlc::format_diagnostic(diagnostic, source, "q.eql");
    const std::string_view first_line = "q.eql:2:9: error: unexpected character (syntax)\n";
    expect(text.starts_with(first_line), "format_diagnostic: location line");
    expect(text.find("| head 5x") != std::string::npos, "format_diagnostic: source line");

    if (failures != 0) {
        std::fprintf(stderr, "package consumer: got:\n%s", text.c_str());
        return 1;
    }
    std::printf("package consumer: ok\n%s", text.c_str());
    return 0;
}
