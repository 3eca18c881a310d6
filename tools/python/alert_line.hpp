// The alert of a match as the eqlc tool writes it: one NDJSON line, with the rule's severity and risk score after
// its severity_mapping / risk_score_mapping. The one place the module builds alert text, so that it can call the
// library's own function for it once the library has one.
#pragma once

#include <string>
#include <string_view>

#include "eqlc/match.hpp"
#include "eqlc/rule.hpp"

namespace eqlc::python {

// `rule` is null for a query that does not come from a rule file (the alert then has no "rule" member).
std::string alert_line(const Match& match, std::string_view query_name, const rules::Rule* rule);

}  // namespace eqlc::python
