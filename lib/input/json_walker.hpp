// The walk of one line's JSON object (simdjson on-demand) along the projection plan's paths, feeding a
// RecordBuilder: only the members that lead to a referenced field are parsed. Internal to lib/input.
#pragma once

#include <simdjson.h>

#include "input/projection.hpp"

namespace eqlc::input {

// Walks the root object of a line (`validate`: also check the values nobody reads). An error fails the line.
simdjson::error_code walk_object(const ProjectionPlan& plan, RecordBuilder& builder, bool validate,
                                 simdjson::ondemand::object& root);

}  // namespace eqlc::input
