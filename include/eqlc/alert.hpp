// Alerts for a rule's matches: the rule's identity with its severity and risk score after the rule's
// severity_mapping / risk_score_mapping, evaluated on the match's last event (rule.hpp, effective_severity), then
// the match as the eqlc tool writes it. Every way of running eqlc (the tool, the C API, the Python module) writes
// its alerts with these, so an alert is the same text whichever way it came.
#pragma once

#include <string>
#include <string_view>

#include "eqlc/match.hpp"
#include "eqlc/rule.hpp"

namespace eqlc {

// The rule as an alert for `match` shows it: id and name, and the severity and risk score of its mappings applied to
// the last real event of the match (for the WMI rule: the process WmiPrvSE.exe started). Without mappings, or when
// no event can be read, the rule's own severity and risk score.
AlertRule alert_rule(const Match& match, const rules::Rule& rule);

// One NDJSON alert line (no newline) as match_to_ndjson writes it, with the "rule" object when `rule` is given.
std::string alert_to_ndjson(const Match& match, std::string_view query_name, const rules::Rule* rule);

// The pretty summary (match_to_pretty) with the rule's effective severity when `rule` is given.
std::string alert_to_pretty(const Match& match, std::string_view query_name, const rules::Rule* rule);

}  // namespace eqlc
