// The inside of eqlc::CompiledQueries (include/eqlc/engine.hpp): every query compiled against one field catalog,
// the projection plan that reads exactly the fields they reference, and the line prefilter over their terms.
// Immutable once built; engines on any number of threads read it.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "api/internals.hpp"
#include "compiler/compiled_query.hpp"
#include "engine/value_mask.hpp"
#include "eqlc/engine.hpp"
#include "input/line_filter.hpp"
#include "input/projection.hpp"
#include "values/field_catalog.hpp"

namespace eqlc {

namespace engine {

class RuleIndex;

// One query of the set.
struct QueryEntry {
    QuerySource source;
    std::optional<compiler::CompiledQuery> compiled;  // none: invalid, left out (skip_invalid_queries)
    // Set when the query reads its event times from another field than the order field.
    std::optional<vm::SlotId> own_timestamp;
    // Per term (and until): the bits of value_mask an event needs for it to hold (0: always run).
    std::vector<uint64_t> value_bits;
    uint64_t until_value_bit = 0;
};

}  // namespace engine

struct CompiledQueries::Impl {
    using Query = engine::QueryEntry;

    QueryOptions options;
    vm::FieldCatalog catalog;
    std::vector<Query> queries;
    vm::SlotId order_slot = 0;  // the order (timestamp) field of QueryOptions
    std::unique_ptr<input::ProjectionPlan> plan;
    std::unique_ptr<input::LineFilter> line_filter;  // null when some query term has no required text
    // Per slot: 1 for a field some needle of line_filter comes from (engine.cpp searches a built event's values of
    // these fields only).
    std::vector<uint8_t> needle_fields;
    engine::ValueMask value_mask;                    // the exact values terms require (engine/value_mask.hpp)
    std::unique_ptr<engine::RuleIndex> rule_index;   // null without EngineOptions::rule_index
    ~Impl();
};

}  // namespace eqlc
