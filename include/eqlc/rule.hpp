// A detection rule as eqlc runs it: the EQL query plus the metadata an alert carries (name, severity,
// risk score, MITRE ATT&CK mapping, ...). Rules come from detection-rules TOML files or from bare .eql
// files (see rule_loader.hpp); this header only describes the result and the severity override.
//
// Severity and risk score overrides (severity_mapping, risk_score_mapping) follow what Kibana's rule
// executor does with the same fields; effective_severity() documents the exact semantics.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "eqlc/diagnostics.hpp"

namespace eqlc::rules {

enum class RuleFormat : uint8_t {
    toml,  // a detection-rules TOML file ([metadata] + [rule])
    eql,   // a bare query file: the whole file is the query
};

// [[rule.severity_mapping]]: when the event's `field` equals `value`, the alert gets `severity`.
struct SeverityMappingEntry {
    std::string field;
    std::string op = "equals";  // the only operator Kibana defines
    std::string value;
    std::string severity;  // low | medium | high | critical
    SourcePos position;    // where the entry's table starts in the rule file
};

// [[rule.risk_score_mapping]]: the alert's risk score is read from the event's `field` (a number from 0 to
// 100). `op`, `value` and `risk_score` are kept as written; Kibana does not use them (see
// effective_severity).
struct RiskScoreMappingEntry {
    std::string field;
    std::string op = "equals";
    std::string value;
    std::optional<int64_t> risk_score;
    SourcePos position;
};

// One MITRE ATT&CK reference: a tactic, technique or sub-technique.
struct AttackRef {
    std::string id;         // TA0008, T1021, T1021.003
    std::string name;       // "Lateral Movement"
    std::string reference;  // https://attack.mitre.org/...
};

struct ThreatTechnique {
    AttackRef technique;
    std::vector<AttackRef> subtechniques;
};

// One [[rule.threat]] entry: a framework (normally "MITRE ATT&CK"), one tactic and its techniques.
struct Threat {
    std::string framework;
    AttackRef tactic;
    std::vector<ThreatTechnique> techniques;
};

// Where the query text sits inside the rule file, so that a position in the query (what the EQL parser
// reports) can be shown at its place in the TOML file. For a literal string ('...' or '''...''') the
// mapping is exact; for a basic string ("..." or """...""") escapes are accounted for too.
class QueryLocation {
public:
    QueryLocation() = default;

    // A query that is the file's whole text (.eql files): positions are unchanged.
    static QueryLocation whole_text(std::string_view text);

    // One contiguous run: query bytes [query_offset, next run) are file bytes starting at `file`.
    struct Run {
        uint32_t query_offset = 0;
        SourcePos file;
    };
    explicit QueryLocation(std::vector<Run> runs) : runs_(std::move(runs)) {}

    // The position in the rule file of the query byte at `query_offset`.
    SourcePos file_position(uint32_t query_offset) const;
    // The file position of the query's first character.
    SourcePos start() const { return file_position(0); }
    bool empty() const { return runs_.empty(); }

private:
    std::vector<Run> runs_;  // sorted by query_offset; each run lies on one line of the file
};

struct Rule {
    std::filesystem::path path;  // the file it came from
    RuleFormat format = RuleFormat::toml;

    // [rule]
    std::string rule_id;
    std::string name;
    std::string description;
    std::string severity = "low";  // low | medium | high | critical
    int64_t risk_score = 21;       // 0..100
    std::string language = "eql";
    std::string type = "eql";
    std::string query;             // the EQL text, exactly as the file holds it
    QueryLocation query_location;  // query offsets -> rule file positions
    std::vector<std::string> index;
    std::vector<SeverityMappingEntry> severity_mapping;
    std::vector<RiskScoreMappingEntry> risk_score_mapping;
    std::optional<std::string> timestamp_override;  // read this field instead of @timestamp
    // Kibana: an event without the timestamp_override field is run with its @timestamp, unless this is set.
    bool timestamp_override_fallback_disabled = false;
    std::optional<std::string> event_category_override;  // read this field instead of event.category
    std::optional<std::string> tiebreaker_field;
    std::optional<std::string> from;      // look-back, e.g. "now-9m" (Kibana scheduling; informative here)
    std::optional<std::string> interval;  // e.g. "5m"
    std::vector<Threat> threat;
    std::vector<std::string> tags;
    std::vector<std::string> author;
    std::vector<std::string> references;
    std::vector<std::string> false_positives;
    std::string license;
    std::string note;   // investigation guide (markdown)
    std::string setup;  // data source setup (markdown)

    // [metadata]
    std::string maturity;  // production | development | deprecated | ...
    std::vector<std::string> integration;

    // The file's text, shared with the LoadResult, so a diagnostic can be printed at its place.
    std::shared_ptr<const std::string> source_text;

    // Tactic and technique (and sub-technique) ids of every threat entry, in file order, without repeats.
    std::vector<std::string> tactic_ids() const;
    std::vector<std::string> technique_ids() const;

    // A diagnostic about the query (positions in the query text) moved to the rule file's coordinates,
    // so that format_diagnostic(d, *source_text, path) shows it at its line and column in the file.
    Diagnostic to_file_diagnostic(Diagnostic query_diagnostic) const;
};

// The severities Kibana accepts, lowest first.
bool is_valid_severity(std::string_view severity);
int severity_rank(std::string_view severity);  // low 0, medium 1, high 2, critical 3, anything else -1

// The severity and risk score of an alert, given the source of the event the overrides are evaluated
// against (for a sequence alert the engine passes the LAST event of the sequence, which for the WMI rule
// is the process that WmiPrvSE.exe started).
//
// severity_mapping, as Kibana's executor does it: entries are considered from the lowest severity to the
// highest (a stable order, so file order breaks ties) and the last one that matches wins; in effect the
// highest severity among the matching entries. An entry matches when the event's field value equals the
// entry's value: exact and case-sensitive for strings; numbers and booleans compare by their JSON text
// ("135" matches 135); for an array, any element. A missing or null field matches nothing. When no entry
// matches, the rule's own severity applies.
//
// risk_score_mapping, as Kibana's executor does it: only the first entry's field is read; if it holds a
// number, or a string that is a number, from 0 to 100, that number is the risk score (for an array, the
// largest such element); otherwise the rule's own risk_score applies. The entry's operator, value and
// risk_score are not used. A fractional number is truncated towards zero.
std::pair<std::string, int64_t> effective_severity(const Rule& rule, const nlohmann::json& event_source);

// The value at a field path in an event's source: nested objects, dotted keys, or a mix of both (as
// Elasticsearch's _source is addressed). nullptr when absent.
const nlohmann::json* find_field(const nlohmann::json& source, std::string_view path);

}  // namespace eqlc::rules
