// Projecting an event held as nlohmann::json, for library users who already have their events parsed.
//
// The same mapping as the NDJSON reader (see projection.hpp): only the referenced paths are visited, dotted keys
// and nested objects mix freely, arrays flatten, values are coerced by slot type. One difference: when a field is
// spelled several ways in one event, its values come in the json object's key order, which nlohmann::json keeps
// sorted (not the order of the text it was parsed from).
//
// Lifetime: string values in the record are views into `event`'s strings, so the json object must outlive the
// record and must not be modified while the record is in use. Text that has to be created (a number in a
// keyword field, formatted as Java's toString since the JSON source text is gone) lives in the record's arena.
#pragma once

#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "input/projection.hpp"
#include "values/value.hpp"

namespace eqlc::input {

// Whether `value` nests objects and arrays more than `limit` levels deep (a scalar is 0 levels, {} or [] 1).
// Iterative: safe on any depth. Engine::push refuses events deeper than kMaxJsonDepth with it, before projecting
// or serializing them (nlohmann's dump() recurses).
bool json_depth_exceeds(const nlohmann::json& value, uint32_t limit = kMaxJsonDepth);

// Fills `out` from `event` (out is cleared first; ordinal, origin and line are left for the caller to set).
// Returns false, leaving every field absent and no timestamp, when `event` is not a JSON object.
bool project(const nlohmann::json& event, const ProjectionPlan& plan, vm::EventRecord& out);

// The same, reusing `builder`'s buffers across events (no allocation once warmed up).
bool project(const nlohmann::json& event, const ProjectionPlan& plan, vm::EventRecord& out, RecordBuilder& builder);

}  // namespace eqlc::input
