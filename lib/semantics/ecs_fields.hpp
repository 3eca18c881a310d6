// The Elastic Common Schema field list shipped with eqlc (ecs_fields.txt, ECS 9.4.0, Apache-2.0; compiled into the
// library by lib/CMakeLists.txt), for `--check --schema ecs`: the mapping an index made with ECS's own template
// has, so that it is read by the same parser as any mapping file.
#pragma once

#include <span>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace eqlc::semantics {

// The lines of ecs_fields.txt without its comments: "ecs-version V", then "NAME TYPE [array]" per field.
// Defined in the source file the build generates from ecs_fields.txt.
std::span<const char* const> ecs_field_lines();

// The ECS release of the list ("9.4.0").
std::string_view ecs_version();

// The list as an Elasticsearch mapping: every field with its type (dotted names; a multi-field such as
// process.name.text under its parent's `fields`), and ECS's template settings beside them: date_detection false,
// strings mapped as keyword.
nlohmann::json ecs_mapping_json();

// True when ECS normalizes the field to an array (event.category, event.type, related.ip, ...).
bool ecs_array_field(std::string_view path);

}  // namespace eqlc::semantics
