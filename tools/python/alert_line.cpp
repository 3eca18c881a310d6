#include "alert_line.hpp"

#include <optional>

#include <nlohmann/json.hpp>

namespace eqlc::python {

std::string alert_line(const Match& match, std::string_view query_name, const rules::Rule* rule) {
    if (!rule) return match_to_ndjson(match, query_name);
    AlertRule shown{rule->rule_id, rule->name, rule->severity, rule->risk_score};
    if (!rule->severity_mapping.empty() || !rule->risk_score_mapping.empty()) {
        // Kibana evaluates the overrides against the newest event of the alert; a missing-event placeholder
        // has no fields, so it is passed over.
        for (auto event = match.events.rbegin(); event != match.events.rend(); ++event) {
            if (event->missing) continue;
            const auto source = nlohmann::json::parse(event->source, nullptr, false);
            std::tie(shown.severity, shown.risk_score) = rules::effective_severity(*rule, source);
            break;
        }
    }
    return match_to_ndjson(match, query_name, &shown);
}

}  // namespace eqlc::python
