// Reads a detection-rules TOML file into a Rule. toml++ is used header-only (Debian's libtomlplusplus-dev
// also ships a shared library, which we do not need), with its serializers left out.
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include "rules/toml_rule.hpp"
#include "rules/toml_string.hpp"
#include "rules/toml_tree.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

namespace eqlc::rules::detail {

namespace {

using Type = TomlNode::Type;

std::string_view type_name(const TomlNode& node) {
    switch (node.type) {
        case Type::table: return "a table";
        case Type::array: return "an array";
        case Type::string: return "a string";
        case Type::integer: return "an integer";
        case Type::floating_point: return "a float";
        case Type::boolean: return "a boolean";
        case Type::date: return "a date";
        case Type::time: return "a time";
        case Type::date_time: return "a date-time";
    }
    return "nothing";
}

// toml++'s tree as the reader walks it.
TomlNode tree_of(const toml::node& node) {
    TomlNode out;
    if (const auto& begin = node.source().begin) {
        out.line = begin.line;
        out.column = begin.column;
    }
    switch (node.type()) {
        case toml::node_type::table:
            out.type = Type::table;
            for (auto&& [key, value] : *node.as_table())
                out.members.push_back({std::string(key.str()), tree_of(value)});
            break;
        case toml::node_type::array:
            out.type = Type::array;
            for (const toml::node& element : *node.as_array()) out.items.push_back(tree_of(element));
            break;
        case toml::node_type::string:
            out.type = Type::string;
            out.string = node.as_string()->get();
            break;
        case toml::node_type::integer:
            out.type = Type::integer;
            out.integer = node.as_integer()->get();
            break;
        case toml::node_type::boolean:
            out.type = Type::boolean;
            out.boolean = node.as_boolean()->get();
            break;
        case toml::node_type::floating_point: out.type = Type::floating_point; break;
        case toml::node_type::date: out.type = Type::date; break;
        case toml::node_type::time: out.type = Type::time; break;
        default: out.type = Type::date_time; break;
    }
    return out;
}

}  // namespace

std::optional<TomlNode> read_toml_slow(std::string_view text, const std::string& path) {
    try {
        return tree_of(toml::parse(text, path));
    } catch (const toml::parse_error&) {
        return std::nullopt;
    }
}

namespace {

// Reads the fields of one file, collecting diagnostics; the first error decides the load status.
class Reader {
public:
    Reader(std::shared_ptr<const std::string> text, const std::filesystem::path& path) : text_(std::move(text)) {
        result_.path = path;
        result_.source_text = text_;
    }

    LoadResult run() {
        std::optional<Rule> rule = read();
        result_.status = failure_.value_or(LoadStatus::loaded);
        if (!failure_) result_.rule = std::move(rule);
        return std::move(result_);
    }

private:
    std::optional<Rule> read() {
        // Most rule files take the fast reader; the others (and every malformed file) go through toml++.
        std::optional<TomlNode> fast = read_toml_fast(*text_);
        TomlNode doc;
        if (fast) {
            doc = std::move(*fast);
        } else {
            try {
                doc = tree_of(toml::parse(std::string_view(*text_), result_.path.string()));
            } catch (const toml::parse_error& e) {
                malformed(e);
                return std::nullopt;
            }
        }

        Rule rule;
        rule.path = result_.path;
        rule.format = RuleFormat::toml;
        rule.source_text = text_;
        const std::string stem = result_.path.stem().string();

        if (const TomlNode* metadata = doc.get("metadata")) {
            if (const TomlNode* t = expect_table(*metadata, "[metadata]")) {
                read_string(*t, "maturity", "[metadata].maturity", rule.maturity);
                read_strings(*t, "integration", "[metadata].integration", rule.integration);
            }
        }

        const TomlNode* rule_node = doc.get("rule");
        if (!rule_node) {
            fail(LoadStatus::missing_query, SourcePos{},
                 "no [rule] table: a detection rule file needs [rule] with a query", "a [rule] table");
            return std::nullopt;
        }
        const TomlNode* r = expect_table(*rule_node, "[rule]");
        if (!r) return std::nullopt;
        rule_pos_ = pos(*r);

        // The language decides whether the rule is runnable at all, so it is checked before the query.
        std::optional<std::string> language = opt_string(*r, "language", "[rule].language");
        std::optional<std::string> type = opt_string(*r, "type", "[rule].type");
        if (language && *language != "eql") {
            fail(LoadStatus::unsupported_language, pos(*r->get("language")),
                 "rule language is \"" + *language + "\": eqlc runs only EQL rules", "language = \"eql\"");
            return std::nullopt;
        }
        if (type && *type != "eql") {
            fail(LoadStatus::unsupported_language, pos(*r->get("type")),
                 "rule type is \"" + *type + "\": eqlc runs only EQL rules (type = \"eql\")", "type = \"eql\"");
            return std::nullopt;
        }
        if (!language && !type) warn(rule_pos_, "[rule] has neither language nor type; read as EQL");
        rule.language = language.value_or("eql");
        rule.type = type.value_or("eql");

        const TomlNode* query = r->get("query");
        if (!query) {
            fail(LoadStatus::missing_query, rule_pos_, "[rule] has no query", "query = '''...'''");
            return std::nullopt;
        }
        if (!query->is(Type::string)) {
            fail(LoadStatus::missing_query, pos(*query),
                 "[rule].query is " + std::string(type_name(*query)) + ", not a string", "a string");
            return std::nullopt;
        }
        rule.query = query->string;
        rule.query_location = locate(*query, rule.query);

        rule.rule_id = opt_string(*r, "rule_id", "[rule].rule_id").value_or("");
        if (rule.rule_id.empty()) {
            warn(rule_pos_, "[rule] has no rule_id; the file stem \"" + stem + "\" is used");
            rule.rule_id = stem;
        }
        rule.name = opt_string(*r, "name", "[rule].name").value_or("");
        if (rule.name.empty()) {
            warn(rule_pos_, "[rule] has no name; the file stem \"" + stem + "\" is used");
            rule.name = stem;
        }
        read_string(*r, "description", "[rule].description", rule.description);

        if (const TomlNode* s = r->get("severity")) {
            if (auto v = string_of(*s, "[rule].severity")) {
                if (is_valid_severity(*v))
                    rule.severity = *v;
                else
                    fail(LoadStatus::invalid, pos(*s), "unknown severity \"" + *v + "\"",
                         "\"low\", \"medium\", \"high\" or \"critical\"");
            }
        } else {
            warn(rule_pos_, "[rule] has no severity; \"low\" is used");
        }
        if (const TomlNode* s = r->get("risk_score")) {
            if (!s->is(Type::integer)) {
                fail(LoadStatus::invalid, pos(*s), "[rule].risk_score is " + std::string(type_name(*s)),
                     "an integer from 0 to 100");
            } else {
                const int64_t v = s->integer;
                if (v < 0 || v > 100)
                    fail(LoadStatus::invalid, pos(*s), "risk_score " + std::to_string(v) + " is out of range",
                         "an integer from 0 to 100");
                rule.risk_score = v;
            }
        } else {
            // The detection-rules convention pairs each severity with a score.
            static constexpr int64_t kDefault[] = {21, 47, 73, 99};
            rule.risk_score = kDefault[std::max(0, severity_rank(rule.severity))];
            warn(rule_pos_, "[rule] has no risk_score; " + std::to_string(rule.risk_score) + " is used");
        }

        read_strings(*r, "index", "[rule].index", rule.index);
        read_optional(*r, "timestamp_override", rule.timestamp_override);
        read_bool(*r, "timestamp_override_fallback_disabled", rule.timestamp_override_fallback_disabled);
        read_optional(*r, "event_category_override", rule.event_category_override);
        read_optional(*r, "tiebreaker_field", rule.tiebreaker_field);
        read_optional(*r, "from", rule.from);
        read_optional(*r, "interval", rule.interval);
        read_strings(*r, "tags", "[rule].tags", rule.tags);
        read_strings(*r, "author", "[rule].author", rule.author);
        read_strings(*r, "references", "[rule].references", rule.references);
        read_strings(*r, "false_positives", "[rule].false_positives", rule.false_positives);
        read_string(*r, "license", "[rule].license", rule.license);
        read_string(*r, "note", "[rule].note", rule.note);
        read_string(*r, "setup", "[rule].setup", rule.setup);
        read_severity_mapping(*r, rule);
        read_risk_score_mapping(*r, rule);
        read_threat(*r, rule);

        return rule;
    }

    SourcePos pos(const TomlNode& node) const {
        if (node.line == 0) return SourcePos{};
        return position(node.line, node.column);
    }
    SourcePos position(uint32_t line, uint32_t column) const {
        SourcePos p;
        p.offset = byte_offset_of(*text_, line, column);
        p.line = line;
        // Columns are bytes in eqlc's diagnostics; toml++ counts code points.
        const size_t line_start = text_->rfind('\n', p.offset == 0 ? 0 : p.offset - 1);
        p.column = static_cast<uint32_t>(p.offset -
                                         (line_start == std::string::npos || p.offset == 0 ? 0 : line_start + 1) + 1);
        if (p.offset > 0 && (*text_)[p.offset - 1] == '\n') p.column = 1;
        return p;
    }

    void add(Severity severity, SourcePos at, std::string message, std::string expected = {}) {
        Diagnostic d;
        d.phase = Phase::rule;
        d.severity = severity;
        d.span.begin = at;
        d.span.end = at;
        d.span.end.offset = std::min<uint32_t>(at.offset + 1, static_cast<uint32_t>(text_->size()));
        d.span.end.column = at.column + (d.span.end.offset > at.offset ? 1 : 0);
        d.message = std::move(message);
        d.expected = std::move(expected);
        result_.diagnostics.push_back(std::move(d));
    }
    void warn(SourcePos at, std::string message) { add(Severity::warning, at, std::move(message)); }
    void fail(LoadStatus status, SourcePos at, std::string message, std::string expected = {}) {
        if (!failure_) failure_ = status;  // the first error decides
        add(Severity::error, at, std::move(message), std::move(expected));
    }

    void malformed(const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        const SourcePos at = begin ? position(begin.line, begin.column) : SourcePos{};
        // toml++ says e.g. "Error while parsing key-value pair: expected '=', saw 'x'"; the part after
        // "expected" goes to Diagnostic::expected so a report can show it on its own.
        std::string description(e.description());
        std::string expected;
        if (const size_t at_expected = description.find("expected "); at_expected != std::string::npos) {
            const size_t from = at_expected + 9;
            const size_t saw = description.find(", saw ", from);
            expected = description.substr(from, saw == std::string::npos ? std::string::npos : saw - from);
            // "...: expected X, saw Y" reads "...: saw Y (expected X)" once formatted.
            description = description.substr(0, at_expected) +
                          (saw == std::string::npos ? std::string("unexpected input") : description.substr(saw + 2));
        }
        if (!description.empty()) description[0] = static_cast<char>(std::tolower(description[0]));
        fail(LoadStatus::malformed, at, "invalid TOML: " + description, expected);
    }

    const TomlNode* expect_table(const TomlNode& node, std::string_view what) {
        if (const TomlNode* t = node.as_table()) return t;
        fail(LoadStatus::invalid, pos(node), std::string(what) + " is " + std::string(type_name(node)), "a table");
        return nullptr;
    }

    // The string's value, moved out of the tree: the tree is the reader's own (read() made it) and each string is
    // taken once.
    std::optional<std::string> string_of(const TomlNode& node, std::string_view what) {
        if (node.is(Type::string)) return std::move(const_cast<TomlNode&>(node).string);
        fail(LoadStatus::invalid, pos(node), std::string(what) + " is " + std::string(type_name(node)), "a string");
        return std::nullopt;
    }

    std::optional<std::string> opt_string(const TomlNode& t, std::string_view key, std::string_view what) {
        const TomlNode* node = t.get(key);
        return node ? string_of(*node, what) : std::nullopt;
    }

    void read_string(const TomlNode& t, std::string_view key, std::string_view what, std::string& out) {
        if (auto v = opt_string(t, key, what)) out = std::move(*v);
    }

    void read_optional(const TomlNode& t, std::string_view key, std::optional<std::string>& out) {
        if (auto v = opt_string(t, key, "[rule]." + std::string(key))) out = std::move(*v);
    }

    void read_bool(const TomlNode& t, std::string_view key, bool& out) {
        const TomlNode* node = t.get(key);
        if (!node) return;
        if (node->is(Type::boolean))
            out = node->boolean;
        else
            fail(LoadStatus::invalid, pos(*node), "[rule]." + std::string(key) + " is " + std::string(type_name(*node)),
                 "true or false");
    }

    // A string array; a single string is accepted as a one-element list.
    void read_strings(const TomlNode& t, std::string_view key, std::string_view what, std::vector<std::string>& out) {
        const TomlNode* node = t.get(key);
        if (!node) return;
        if (const std::string* s = node->as_string()) {
            out.push_back(*s);
            return;
        }
        const TomlNode* a = node->as_array();
        if (!a) {
            fail(LoadStatus::invalid, pos(*node), std::string(what) + " is " + std::string(type_name(*node)),
                 "an array of strings");
            return;
        }
        for (const TomlNode& element : a->items)
            if (auto v = string_of(element, std::string(what) + " element")) out.push_back(std::move(*v));
    }

    // The value of a mapping entry: detection-rules writes strings; numbers and booleans are read as their
    // text, which is how Kibana compares them with event values.
    std::optional<std::string> mapping_value(const TomlNode& node, std::string_view what) {
        if (const std::string* s = node.as_string()) return *s;
        if (node.is(Type::integer)) return std::to_string(node.integer);
        if (node.is(Type::boolean)) return std::string(node.boolean ? "true" : "false");
        fail(LoadStatus::invalid, pos(node), std::string(what) + " is " + std::string(type_name(node)), "a string");
        return std::nullopt;
    }

    // Array-of-tables entries of a [[rule.KEY]] list.
    std::vector<const TomlNode*> entries(const TomlNode& r, std::string_view key) {
        std::vector<const TomlNode*> out;
        const TomlNode* node = r.get(key);
        if (!node) return out;
        const TomlNode* a = node->as_array();
        if (!a) {
            fail(LoadStatus::invalid, pos(*node), "[rule]." + std::string(key) + " is " + std::string(type_name(*node)),
                 "[[rule." + std::string(key) + "]] tables");
            return out;
        }
        for (const TomlNode& element : a->items)
            if (const TomlNode* t = expect_table(element, "[[rule." + std::string(key) + "]] entry")) out.push_back(t);
        return out;
    }

    bool check_operator(const TomlNode& t, std::string_view list, std::string& op) {
        const TomlNode* node = t.get("operator");
        if (!node) return true;
        auto v = string_of(*node, std::string(list) + ".operator");
        if (!v) return false;
        if (*v != "equals") {
            fail(LoadStatus::invalid, pos(*node), "unsupported " + std::string(list) + " operator \"" + *v + "\"",
                 "\"equals\"");
            return false;
        }
        op = *v;
        return true;
    }

    void read_severity_mapping(const TomlNode& r, Rule& rule) {
        for (const TomlNode* t : entries(r, "severity_mapping")) {
            SeverityMappingEntry entry;
            entry.position = pos(*t);
            bool ok = check_operator(*t, "severity_mapping", entry.op);
            const TomlNode* field = t->get("field");
            const TomlNode* value = t->get("value");
            const TomlNode* severity = t->get("severity");
            if (!field || !value || !severity) {
                fail(LoadStatus::invalid, entry.position, "a severity_mapping entry needs field, value and severity",
                     "field = \"...\", operator = \"equals\", value = \"...\", severity = \"...\"");
                continue;
            }
            if (auto v = string_of(*field, "severity_mapping.field"))
                entry.field = *v;
            else
                ok = false;
            if (auto v = mapping_value(*value, "severity_mapping.value"))
                entry.value = *v;
            else
                ok = false;
            if (auto v = string_of(*severity, "severity_mapping.severity")) {
                if (!is_valid_severity(*v)) {
                    fail(LoadStatus::invalid, pos(*severity), "unknown severity \"" + *v + "\"",
                         "\"low\", \"medium\", \"high\" or \"critical\"");
                    ok = false;
                }
                entry.severity = *v;
            } else {
                ok = false;
            }
            if (ok) rule.severity_mapping.push_back(std::move(entry));
        }
    }

    void read_risk_score_mapping(const TomlNode& r, Rule& rule) {
        for (const TomlNode* t : entries(r, "risk_score_mapping")) {
            RiskScoreMappingEntry entry;
            entry.position = pos(*t);
            bool ok = check_operator(*t, "risk_score_mapping", entry.op);
            const TomlNode* field = t->get("field");
            if (!field) {
                fail(LoadStatus::invalid, entry.position, "a risk_score_mapping entry needs a field",
                     "field = \"...\"");
                continue;
            }
            if (auto v = string_of(*field, "risk_score_mapping.field"))
                entry.field = *v;
            else
                ok = false;
            if (const TomlNode* value = t->get("value")) {
                if (auto v = mapping_value(*value, "risk_score_mapping.value"))
                    entry.value = *v;
                else
                    ok = false;
            }
            if (const TomlNode* score = t->get("risk_score")) {
                if (!score->is(Type::integer) || score->integer < 0 || score->integer > 100) {
                    fail(LoadStatus::invalid, pos(*score), "risk_score_mapping.risk_score is not a valid score",
                         "an integer from 0 to 100");
                    ok = false;
                } else {
                    entry.risk_score = score->integer;
                }
            }
            if (ok) rule.risk_score_mapping.push_back(std::move(entry));
        }
    }

    AttackRef attack_ref(const TomlNode& t, std::string_view what) {
        AttackRef ref;
        read_string(t, "id", std::string(what) + ".id", ref.id);
        read_string(t, "name", std::string(what) + ".name", ref.name);
        read_string(t, "reference", std::string(what) + ".reference", ref.reference);
        return ref;
    }

    std::vector<const TomlNode*> table_list(const TomlNode& t, std::string_view key, std::string_view what) {
        std::vector<const TomlNode*> out;
        const TomlNode* node = t.get(key);
        if (!node) return out;
        if (const TomlNode* single = node->as_table()) {
            out.push_back(single);
            return out;
        }
        const TomlNode* a = node->as_array();
        if (!a) {
            fail(LoadStatus::invalid, pos(*node), std::string(what) + " is " + std::string(type_name(*node)),
                 "a table or an array of tables");
            return out;
        }
        for (const TomlNode& element : a->items)
            if (const TomlNode* e = expect_table(element, what)) out.push_back(e);
        return out;
    }

    void read_threat(const TomlNode& r, Rule& rule) {
        for (const TomlNode* t : table_list(r, "threat", "[[rule.threat]]")) {
            Threat threat;
            read_string(*t, "framework", "[[rule.threat]].framework", threat.framework);
            if (const TomlNode* tactic = t->get("tactic"))
                if (const TomlNode* tt = expect_table(*tactic, "[rule.threat.tactic]"))
                    threat.tactic = attack_ref(*tt, "[rule.threat.tactic]");
            for (const TomlNode* tech : table_list(*t, "technique", "[[rule.threat.technique]]")) {
                ThreatTechnique technique;
                technique.technique = attack_ref(*tech, "[[rule.threat.technique]]");
                for (const TomlNode* sub : table_list(*tech, "subtechnique", "[[rule.threat.technique.subtechnique]]"))
                    technique.subtechniques.push_back(attack_ref(*sub, "[[rule.threat.technique.subtechnique]]"));
                threat.techniques.push_back(std::move(technique));
            }
            rule.threat.push_back(std::move(threat));
        }
    }

    // Where each byte of the query comes from in the file; only the start when the string cannot be
    // re-read exactly (then positions after the first line are approximate).
    QueryLocation locate(const TomlNode& node, const std::string& value) {
        const SourcePos start = pos(node);
        if (auto scanned = scan_toml_string(*text_, start.offset); scanned && scanned->value == value)
            return QueryLocation(std::move(scanned->runs));
        return QueryLocation({QueryLocation::Run{0, start}});
    }

    std::shared_ptr<const std::string> text_;
    LoadResult result_;
    std::optional<LoadStatus> failure_;
    SourcePos rule_pos_;
};

}  // namespace

LoadResult load_toml_rule(std::shared_ptr<const std::string> text, const std::filesystem::path& path) {
    return Reader(std::move(text), path).run();
}

}  // namespace eqlc::rules::detail
