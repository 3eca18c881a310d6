// Links against the installed eqlc and checks that two public functions of the front end give the documented
// results, and that an Engine built from a sequence query finds the one match of a few pushed events.
#include <eqlc/diagnostics.hpp>
#include <eqlc/engine.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "package consumer: FAILED: %s\n", what);
        ++failures;
    }
}

// A sequence over two events joined by host.id: of the four events, only h1's process then network match.
void run_engine() {
    auto created = eqlc::Engine::create({{"sequence by host.id [process where true] [network where true]", "seq"}});
    expect(created.engine != nullptr, "Engine::create: the query compiles");
    expect(created.problems.empty(), "Engine::create: no problems");
    if (!created.engine) return;
    eqlc::Engine& engine = *created.engine;
    std::vector<eqlc::Match> matches;
    engine.on_match([&](const eqlc::Match& m) { matches.push_back(m); });
    const char* events[] = {
        R"({"@timestamp":"2024-05-01T10:00:01Z","event":{"category":"process"},"host":{"id":"h1"}})",
        R"({"@timestamp":"2024-05-01T10:00:02Z","event":{"category":"network"},"host":{"id":"h2"}})",
        R"({"@timestamp":"2024-05-01T10:00:03Z","event":{"category":"network"},"host":{"id":"h1"}})",
        R"({"@timestamp":"2024-05-01T10:00:04Z","event":{"category":"file"},"host":{"id":"h1"}})",
    };
    for (const char* text : events) expect(engine.push(nlohmann::json::parse(text)), "Engine::push: a usable event");
    engine.finish();
    expect(matches.size() == 1, "Engine: one match");
    if (matches.size() != 1) return;
    const eqlc::Match& m = matches[0];
    expect(m.kind == eqlc::MatchKind::sequence, "Engine: a sequence match");
    expect(m.join_keys == nlohmann::json::array({"h1"}), "Engine: joined on h1");
    expect(m.events.size() == 2 && m.events[0].ordinal == 0 && m.events[1].ordinal == 2,
           "Engine: the first and third events");
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

    run_engine();

    if (failures != 0) {
        std::fprintf(stderr, "package consumer: got:\n%s", text.c_str());
        return 1;
    }
    std::printf("package consumer: ok (one sequence match)\n%s", text.c_str());
    return 0;
}
