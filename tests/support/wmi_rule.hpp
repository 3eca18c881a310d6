// Where the shipped WMI Incoming Lateral Movement rule and its sample events are in the source tree (rules/),
// for the tests that run them.
#pragma once

#include <filesystem>
#include <string>

#include "support/files.hpp"

namespace eqlc::test {

inline std::filesystem::path source_dir() { return EQLC_SOURCE_DIR; }

inline std::filesystem::path rules_dir() { return source_dir() / "rules"; }
inline std::filesystem::path wmi_rule_toml() { return rules_dir() / "wmi_incoming_lateral_movement.toml"; }
inline std::filesystem::path wmi_rule_eql() { return rules_dir() / "wmi_incoming_lateral_movement.eql"; }
// The rule's query (the .eql file's text).
inline std::string wmi_rule_query() { return read_text(wmi_rule_eql()); }

// rules/samples: wmi_defend.ndjson, wmi_sysmon.ndjson and expected_alerts.json.
inline std::filesystem::path wmi_samples_dir() { return rules_dir() / "samples"; }
inline std::filesystem::path wmi_defend_samples() { return wmi_samples_dir() / "wmi_defend.ndjson"; }
inline std::filesystem::path wmi_sysmon_samples() { return wmi_samples_dir() / "wmi_sysmon.ndjson"; }

}  // namespace eqlc::test
