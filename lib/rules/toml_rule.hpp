// The detection-rules TOML reader behind load_rule_file / load_rule_text (the only file that sees toml++).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "eqlc/rule_loader.hpp"
#include "rules/toml_tree.hpp"

namespace eqlc::rules::detail {

LoadResult load_toml_rule(std::shared_ptr<const std::string> text, const std::filesystem::path& path);

// The text as toml++ reads it (nothing when toml++ refuses it): what read_toml_fast must agree with.
std::optional<TomlNode> read_toml_slow(std::string_view text, const std::string& path);

}  // namespace eqlc::rules::detail
