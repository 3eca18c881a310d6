// Reading a rule's test file (X.test.toml) and the events files its cases name (see eqlc/rule_test.hpp).
// toml++ is used header-only, as in lib/rules.
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string_view>

#include "eqlc/rule_loader.hpp"
#include "eqlc/rule_test.hpp"

namespace eqlc::authoring {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTestSuffix = ".test.toml";

// Builds diagnostics at the places of toml++ nodes.
class FileReader {
public:
    explicit FileReader(TestFile& out) : out_(out) {}

    void error(const toml::source_region& where, std::string message, std::string hint = {}) {
        Diagnostic d;
        d.phase = Phase::rule;
        d.span.begin.line = where.begin ? where.begin.line : 1;
        d.span.begin.column = where.begin ? where.begin.column : 1;
        d.span.end = d.span.begin;
        d.message = std::move(message);
        d.hint = std::move(hint);
        out_.diagnostics.push_back(std::move(d));
    }

    void read(const toml::table& root) {
        for (const auto& [key, node] : root)
            if (key.str() != "case")
                error(node.source(), "unknown key \"" + std::string(key.str()) + "\"",
                      "a test file holds [[case]] tables only");
        const toml::node* cases = root.get("case");
        if (!cases) {
            error(root.source(), "no [[case]] in the test file", "add [[case]] tables (see eqlc test --help)");
            return;
        }
        const toml::array* list = cases->as_array();
        if (!list) {
            error(cases->source(), "\"case\" must be an array of tables, written [[case]]");
            return;
        }
        for (const toml::node& item : *list) {
            if (const toml::table* t = item.as_table())
                read_case(*t);
            else
                error(item.source(), "a case must be a table, written [[case]]");
        }
    }

private:
    std::optional<std::string> string_of(const toml::table& t, std::string_view key, bool required) {
        const toml::node* n = t.get(key);
        if (!n) {
            if (required) error(t.source(), "this case has no \"" + std::string(key) + "\"");
            return std::nullopt;
        }
        if (const auto* s = n->as_string()) return s->get();
        error(n->source(), "\"" + std::string(key) + "\" must be a string");
        return std::nullopt;
    }

    // A list of strings; nullopt (after a diagnostic) when it is not one.
    std::optional<std::vector<std::string>> strings_of(const toml::node& n, std::string_view what) {
        const toml::array* a = n.as_array();
        if (!a) {
            error(n.source(), std::string(what) + " must be an array of strings");
            return std::nullopt;
        }
        std::vector<std::string> out;
        for (const toml::node& item : *a) {
            const auto* s = item.as_string();
            if (!s) {
                error(item.source(), std::string(what) + " must be an array of strings");
                return std::nullopt;
            }
            out.push_back(s->get());
        }
        return out;
    }

    void read_case(const toml::table& t) {
        static const std::vector<std::string_view> kKeys = {"name",     "events", "select",
                                                            "id_field", "alerts", "severity"};
        for (const auto& [key, node] : t)
            if (std::find(kKeys.begin(), kKeys.end(), key.str()) == kKeys.end())
                error(node.source(), "unknown key \"" + std::string(key.str()) + "\" in a case",
                      "a case has name, events, select, id_field, alerts and severity");
        TestCase c;
        c.line = t.source().begin ? t.source().begin.line : 0;
        const size_t errors_before = out_.diagnostics.size();
        if (auto name = string_of(t, "name", true)) c.name = *name;
        if (auto id = string_of(t, "id_field", false)) c.id_field = *id;
        if (const toml::node* select = t.get("select")) {
            if (const auto* s = select->as_string()) {
                c.select = s->get();
                c.select_line = select->source().begin.line;
                c.select_column = select->source().begin.column;
            } else {
                error(select->source(), "\"select\" must be a string: an EQL condition");
            }
        }
        read_events(t, c);
        read_alerts(t, c);
        if (const toml::node* severity = t.get("severity")) {
            c.severity = strings_of(*severity, "\"severity\"");
            if (c.severity && c.severity->size() != c.alerts.size())
                error(severity->source(),
                      "\"severity\" has " + std::to_string(c.severity->size()) + " entries for " +
                          std::to_string(c.alerts.size()) + " alerts",
                      "give one severity per expected alert");
        }
        if (out_.diagnostics.size() == errors_before) out_.cases.push_back(std::move(c));
    }

    void read_events(const toml::table& t, TestCase& c) {
        const toml::node* events = t.get("events");
        if (!events) {
            error(t.source(), "this case has no \"events\"",
                  "events = \"file.ndjson\" (relative to the test file) or events = ['{...}', ...]");
            return;
        }
        if (const auto* file = events->as_string()) {
            read_events_file(*events, file->get(), c);
            return;
        }
        const toml::array* list = events->as_array();
        if (!list) {
            error(events->source(), "\"events\" must be a file name or an array of JSON strings");
            return;
        }
        for (const toml::node& item : *list) {
            const auto* s = item.as_string();
            if (!s) {
                error(item.source(), "an inline event must be a string holding one JSON object");
                return;
            }
            c.events.push_back({s->get(), out_.path.string(), item.source().begin.line});
        }
    }

    void read_events_file(const toml::node& at, const std::string& name, TestCase& c) {
        const fs::path path = fs::path(name).is_absolute() ? fs::path(name) : out_.path.parent_path() / name;
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            error(at.source(), "cannot read the events file " + path.string());
            return;
        }
        std::string line;
        uint64_t number = 0;
        while (std::getline(in, line)) {
            ++number;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") == std::string::npos) continue;
            c.events.push_back({std::move(line), path.string(), number});
        }
    }

    void read_alerts(const toml::table& t, TestCase& c) {
        const toml::node* alerts = t.get("alerts");
        if (!alerts) {
            error(t.source(), "this case has no \"alerts\"", "alerts = [] when the rule must stay quiet");
            return;
        }
        const toml::array* list = alerts->as_array();
        if (!list) {
            error(alerts->source(), "\"alerts\" must be an array of alerts, each an array of event ids");
            return;
        }
        for (const toml::node& item : *list) {
            auto ids = strings_of(item, "an alert");
            if (!ids) return;
            if (ids->empty()) {
                error(item.source(), "an alert names at least one event", "alerts = [] says there is no alert");
                return;
            }
            c.alerts.push_back(std::move(*ids));
        }
    }

    TestFile& out_;
};

}  // namespace

bool TestFile::ok() const {
    for (const auto& d : diagnostics)
        if (d.severity == Severity::error) return false;
    return true;
}

std::optional<fs::path> test_file_for(const fs::path& rule_file) {
    if (rules::is_rule_test_file(rule_file)) return std::nullopt;
    fs::path candidate = rule_file.parent_path() / (rule_file.stem().string() + std::string(kTestSuffix));
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
    return std::nullopt;
}

TestFile load_test_file(const fs::path& path) {
    TestFile out;
    out.path = path;
    FileReader reader(out);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        reader.error({}, "cannot read the test file " + path.string());
        return out;
    }
    std::ostringstream text;
    text << in.rdbuf();
    try {
        const toml::table root = toml::parse(text.str(), path.string());
        reader.read(root);
    } catch (const toml::parse_error& e) {
        reader.error(e.source(), "not valid TOML: " + std::string(e.description()));
    }
    return out;
}

}  // namespace eqlc::authoring
