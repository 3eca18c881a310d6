// A field's values in an event's JSON, as a dotted name reads them: nested objects, flat dotted keys
// ("event.id" as one key) or anything in between, and arrays of objects along the way (each element's values).
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace eqlc::authoring {

std::vector<nlohmann::json> field_values(const nlohmann::json& event, std::string_view dotted);

}  // namespace eqlc::authoring
