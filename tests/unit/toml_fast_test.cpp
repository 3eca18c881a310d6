// The fast TOML reader of rule files (lib/rules/toml_tree.hpp) against toml++: whenever it reads a text, toml++
// reads the same values at the same places; it reads every file of the detection-rules corpus; and it refuses
// what toml++ refuses, over hand-picked corner cases and random edits of real rule files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "rules/toml_rule.hpp"
#include "rules/toml_tree.hpp"
#include "support/files.hpp"
#include "support/shared_data.hpp"
#include "support/wmi_rule.hpp"

using namespace eqlc::rules::detail;

namespace {

// Whether the fast reader agrees with toml++ on `text`: when it reads it, toml++ gives the same tree.
bool agrees(const std::string& text) {
    const std::optional<TomlNode> fast = read_toml_fast(text);
    if (!fast) return true;
    const std::optional<TomlNode> slow = read_toml_slow(text, "test.toml");
    return slow && same_tree(*fast, *slow);
}

std::vector<std::string> corpus_texts(const std::filesystem::path& root) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
        if (entry.is_regular_file() && entry.path().extension() == ".toml")
            out.push_back(eqlc::test::read_text(entry.path()));
    return out;
}

}  // namespace

TEST_CASE("toml fast reader: reads a rule file as toml++ does", "[rules][toml]") {
    const std::string text = eqlc::test::read_text(eqlc::test::wmi_rule_toml());
    const auto fast = read_toml_fast(text);
    REQUIRE(fast);
    const auto slow = read_toml_slow(text, "wmi.toml");
    REQUIRE(slow);
    CHECK(same_tree(*fast, *slow));
    const TomlNode* rule = fast->get("rule");
    REQUIRE(rule);
    REQUIRE(rule->get("query"));
    CHECK(rule->get("query")->is(TomlNode::Type::string));
    CHECK(rule->get("query")->line > 1);

    // same_tree sees a moved position and a changed value.
    TomlNode moved = *fast;
    moved.members.front().value.column += 1;
    CHECK_FALSE(same_tree(moved, *slow));
}

TEST_CASE("toml fast reader: corner cases are read as toml++ reads them, or left to it", "[rules][toml]") {
    // Each with whether the fast reader must read it (true) or may leave it to toml++ (false).
    const std::pair<const char*, bool> cases[] = {
        {"x = 1\ny = -9\nz = 0\n", true},
        {"x = [1,2,]\n", true},
        {"x = [ ]\n", true},
        {"x = {}\n", true},
        {"x = [[1],[2,[3]]]\n", true},
        {"x = [\n# c\n1, # d\n2\n]\n", true},
        {"x = [{a=1},{a=2, b = 'c'}]\n", true},
        {"x = { a = { b = 1 } }\n", true},
        {"x = true\n[y]\nz = false # c\n", true},
        {"x = 1\r\ny = 2\r\n", true},
        {"x = \"\"\"\r\na\r\n\"\"\"\n", true},
        {"x = \"\"\"\\\n  abc\"\"\"\n", true},
        {"x = \"\"\"\\   \n\n  abc \\\n\n\"\"\"", true},
        {"x = \"\"\"a\\\n   \\tb\"\"\"\n", true},
        {"x = \"\"\"a\"\"\"\"\n", true},
        {"x = \"\"\"\"\"\"\"\n", true},
        {"x = '''a''''\n", true},
        {"x = '''a''b'''\n", true},
        {"x = '''a\\nb'''\n", true},
        {"x = \"\\U0001F600 \\u00e9 \\\" \\\\ \\b\\t\\n\\f\\r\"\n", true},
        {"x = \"\xC3\xA9\" # \xC3\xA9\n", true},
        {"1 = 2\n- = 3\n", true},
        {"[[a]]\n[a.b]\n[[a]]\n[a.b]\n", true},
        {"[a]\n[[a.b]]\n[a.b.c]\nd=1\n[[a.b]]\n[a.b.c]\nd=2\n", true},
        {"[a.b.c]\nd=1\n", true},
        // Not TOML: toml++ refuses them, so must the fast reader.
        {"a = 1\n[a]\n", false},
        {"x = 1\nx = 2\n", false},
        {"[a]\n[a]\n", false},
        {"a = [1]\n[[a]]\n", false},
        {"[[a]]\n[a]\n", false},
        {"[a]\nb = 1\n[a.b]\n", false},
        {"x = {a=1}\n[x]\n", false},
        {"x = { a = { b = 1 } }\n[x.a]\n", false},
        {"x = { a=1, a=2 }\n", false},
        {"x = {a=1,}\n", false},
        {"x = { a = [1,\n2] }\n", false},
        {"x = [1 2]\n", false},
        {"x = [1,,2]\n", false},
        {"x = [ ,]\n", false},
        {"a = true1\n", false},
        {"x = 00\n", false},
        {"x = 12345678901234567890\n", false},
        {"x = - 1\n", false},
        {"x = \"\\e\"\n", false},
        {"x = \"\\x41\"\n", false},
        {"x = \"\\uD800\"\n", false},
        {"x = \"a\\ b\"\n", false},
        {"x = \"\xED\xA0\x80\"\n", false},
        {"x = \"\xC0\x80\"\n", false},
        {"x = \"\x7F\"\n", false},
        {"x = 'a\x01'\n", false},
        {"# \x01\nx=1\n", false},
        {"x = 1\ry = 2\n", false},
        {"x = \"\"\"a\\ b\"\"\"\n", false},
        {"x = '''''''''\n", false},
        {"x = \"abc\n", false},
        {"x = \"\"\"abc\n", false},
        {"[a\n", false},
        {"x = 1 y = 2\n", false},
        // TOML, but left to toml++.
        {"x = 1.5\n", false},
        {"x = 1979-05-27\n", false},
        {"x = +1\n", false},
        {"x = 1_000\n", false},
        {"\"q\" = 1\n", false},
        {"[a]\nb.c = 1\n", false},
        {"[ a ]\n", false},
        {"[a.b]\n[a]\n", false},
        {"\xEF\xBB\xBFx = 1\n", false},
    };
    for (const auto& [text, fast] : cases) {
        INFO(text);
        CHECK(agrees(text));
        if (fast) CHECK(read_toml_fast(text));
        if (!read_toml_slow(text, "test.toml")) CHECK_FALSE(read_toml_fast(text));
    }
}

TEST_CASE("toml fast reader: random edits of rule files are read as toml++ reads them, or left to it",
          "[rules][toml]") {
    std::vector<std::string> texts = {eqlc::test::read_text(eqlc::test::wmi_rule_toml())};
    if (const auto root = eqlc::test::shared_path("corpus/detection-rules/toml/rules")) {
        std::vector<std::string> corpus = corpus_texts(*root);
        corpus.resize(std::min<size_t>(corpus.size(), 40));
        texts.insert(texts.end(), corpus.begin(), corpus.end());
    }
    // Characters that matter to TOML, and bytes that are not allowed in it.
    const std::string alphabet = std::string("[]{}=\"'\\,.#\n\r\t -_01aZ\xC3\xA9\x80\x7F") + '\0';
    std::mt19937 rng(13);
    size_t read_fast = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string t = texts[rng() % texts.size()];
        for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
            const size_t at = rng() % (t.size() + 1);
            const char c = alphabet[rng() % alphabet.size()];
            switch (rng() % 4) {
                case 0:
                    if (at < t.size()) t.erase(at, 1 + rng() % 3);
                    break;
                case 1: t.insert(at, 1, c); break;
                case 2:
                    if (at < t.size()) t[at] = c;
                    break;
                default: {  // a copy of the next line
                    const size_t from = t.find('\n', at);
                    const size_t to = from == std::string::npos ? from : t.find('\n', from + 1);
                    if (to != std::string::npos) t.insert(at, t.substr(from + 1, to - from));
                }
            }
        }
        INFO("edited text:\n" << t);
        if (read_toml_fast(t)) ++read_fast;
        REQUIRE(agrees(t));
    }
    CHECK(read_fast > 100);  // the edits left many texts valid, so the comparison was made
}

TEST_CASE("toml fast reader: every file of the detection-rules corpus is read fast, as toml++ reads it",
          "[rules][toml][corpus]") {
    EQLC_REQUIRE_SHARED(root, "corpus/detection-rules/toml/rules");
    const std::vector<std::string> texts = corpus_texts(*root);
    REQUIRE(texts.size() > 400);
    for (const std::string& text : texts) {
        const auto fast = read_toml_fast(text);
        REQUIRE(fast);
        const auto slow = read_toml_slow(text, "rule.toml");
        REQUIRE(slow);
        REQUIRE(same_tree(*fast, *slow));
    }
}
