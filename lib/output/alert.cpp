// Alerts for a rule's matches: the rule's severity overrides applied to the last event, then the match's text.
#include "eqlc/alert.hpp"

#include <optional>

#include <nlohmann/json.hpp>

namespace eqlc {

AlertRule alert_rule(const Match& match, const rules::Rule& rule) {
    AlertRule out{rule.rule_id, rule.name, rule.severity, rule.risk_score};
    if (rule.severity_mapping.empty() && rule.risk_score_mapping.empty()) return out;  // no event to parse
    for (auto it = match.events.rbegin(); it != match.events.rend(); ++it) {
        if (it->missing) continue;
        // The event's text was accepted by the reader, so it parses; a discarded value maps nothing and leaves
        // the rule's own values.
        const auto last = nlohmann::json::parse(it->source, nullptr, false);
        auto [severity, risk] = rules::effective_severity(rule, last);
        out.severity = std::move(severity);
        out.risk_score = risk;
        break;
    }
    return out;
}

namespace {

std::optional<AlertRule> alert_rule_of(const Match& match, const rules::Rule* rule) {
    if (!rule) return std::nullopt;
    return alert_rule(match, *rule);
}

}  // namespace

std::string alert_to_ndjson(const Match& match, std::string_view query_name, const rules::Rule* rule) {
    const auto shown = alert_rule_of(match, rule);
    return match_to_ndjson(match, query_name, shown ? &*shown : nullptr);
}

std::string alert_to_pretty(const Match& match, std::string_view query_name, const rules::Rule* rule) {
    const auto shown = alert_rule_of(match, rule);
    return match_to_pretty(match, query_name, shown ? &*shown : nullptr);
}

}  // namespace eqlc
