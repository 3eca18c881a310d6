#include "eqlc/rule_query.hpp"

namespace eqlc::authoring {

QuerySource rule_query(const rules::Rule& rule) {
    QuerySource q(rule.query, rule.name);
    q.timestamp_field = rule.timestamp_override;
    q.event_category_field = rule.event_category_override;
    q.tiebreaker_field = rule.tiebreaker_field;
    q.timestamp_fallback = !rule.timestamp_override_fallback_disabled;
    return q;
}

}  // namespace eqlc::authoring
