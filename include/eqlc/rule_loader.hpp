// Loading rule files: detection-rules TOML files and bare .eql files, one at a time or a whole folder.
//
//   auto loaded = eqlc::rules::load_rule_folder("rules/");
//   for (const auto& file : loaded.files)
//       if (!file.ok())
//           for (const auto& d : file.diagnostics)
//               std::cerr << eqlc::format_diagnostic(d, file.text(), file.path.string());
//   for (const eqlc::rules::Rule* rule : loaded.rules()) ...
//
// A TOML file gives a Rule when it parses as TOML, has a [rule] table with a string `query`, and its
// language (and type) is EQL; otherwise it is refused with a diagnostic that has the file position and
// the reason. Loading never throws and never aborts on a bad file.
//
// A .eql file is a rule whose query is the whole file: rule_id and name are the file stem, severity
// "low" and risk score 21 (Kibana's defaults for a new rule), no index, no overrides.
//
// In a folder, an .eql file next to a .toml file of the same stem is that rule's query kept as a file of
// its own (as rules/wmi_incoming_lateral_movement.eql is): it is skipped so the rule does not run twice,
// with a warning if its text differs from the TOML query.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "eqlc/rule.hpp"

namespace eqlc::rules {

enum class LoadStatus : uint8_t {
    loaded,                // `rule` holds the rule (diagnostics may still hold warnings)
    unreadable,            // the file could not be read
    malformed,             // not valid TOML
    missing_query,         // no [rule] table or no [rule].query string
    unsupported_language,  // language or type other than EQL (kuery, lucene, esql, threshold, ...)
    invalid,               // a field has the wrong type or value (severity "severe", risk_score 200, ...)
    duplicate_rule_id,     // (folder loads) another file already gave a rule with this rule_id
    companion,             // (folder loads) an .eql file that is the query of the .toml of the same stem
};

std::string_view status_name(LoadStatus status);

struct LoadResult {
    std::filesystem::path path;
    LoadStatus status = LoadStatus::unreadable;
    std::optional<Rule> rule;  // set when status == loaded
    Diagnostics diagnostics;   // errors (why it was refused) and warnings; positions are in the file
    std::shared_ptr<const std::string> source_text;  // the file's text (null when unreadable)

    bool ok() const { return status == LoadStatus::loaded; }
    // Gave no rule for a reason to report: not loaded, and not a companion (whose rule its .toml gives).
    bool refused() const { return !ok() && status != LoadStatus::companion; }
    std::string_view text() const { return source_text ? std::string_view(*source_text) : std::string_view(); }
    // The first error's message ("" when loaded), for one-line reports.
    std::string reason() const;
};

struct FolderLoad {
    std::filesystem::path root;
    std::vector<LoadResult> files;  // every .toml and .eql file under root, sorted by path
    Diagnostics diagnostics;        // problems with the folder itself (absent, unreadable)

    std::vector<const Rule*> rules() const;  // the loaded rules, in file order
    size_t loaded_count() const;
    size_t refused_count() const;  // files that gave no rule (companions are not counted)
};

// Loads one file; the format follows the extension (.toml, or .eql and anything else as EQL).
LoadResult load_rule_file(const std::filesystem::path& path);

// Loads rule text already in memory; `path` names it in messages and gives .eql rules their name.
LoadResult load_rule_text(std::string text, const std::filesystem::path& path, RuleFormat format);

// True for a rule's test file, X.test.toml (eqlc/rule_test.hpp): folders do not load such files as rules.
bool is_rule_test_file(const std::filesystem::path& path);

// Every .toml and .eql file under `dir` (but not test files, X.test.toml), recursively, in sorted path order (hidden files and folders,
// whose name starts with '.', are skipped). A path that is a file is loaded as a one-file folder.
FolderLoad load_rule_folder(const std::filesystem::path& dir);

}  // namespace eqlc::rules
