// The detection-rules TOML reader behind load_rule_file / load_rule_text (the only file that sees toml++).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "eqlc/rule_loader.hpp"

namespace eqlc::rules::detail {

LoadResult load_toml_rule(std::shared_ptr<const std::string> text, const std::filesystem::path& path);

}  // namespace eqlc::rules::detail
