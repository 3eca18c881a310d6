// A detection rule as the engine's query: its text and name with the rule's own field settings (Kibana's
// timestamp_override with its fallback, event_category_override, tiebreaker_field), as every way of running rules
// (the eqlc tool, the C API, the Python module, rule tests) sets them.
#pragma once

#include "eqlc/engine.hpp"
#include "eqlc/rule.hpp"

namespace eqlc::authoring {

QuerySource rule_query(const rules::Rule& rule);

}  // namespace eqlc::authoring
