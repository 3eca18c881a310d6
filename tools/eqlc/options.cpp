#include "options.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <thread>

#include "eqlc/query.hpp"

namespace eqlc::cli {

const std::string_view kUsage = R"(usage: eqlc [OPTIONS] RULE [EVENTS...]            run rules over NDJSON events
       eqlc [OPTIONS] -e QUERY [EVENTS...]          run a query given on the command line
       eqlc --check [OPTIONS] RULE... | -e QUERY    check rules and queries without running them
       eqlc --explain [OPTIONS] RULE | -e QUERY     print the syntax tree and the compiled programs
       eqlc test [--junit FILE] [OPTIONS] RULE...   run the rules' test cases (X.test.toml beside X.toml)
       eqlc --help | --version

RULE is an EQL query file (.eql), a detection-rules TOML file (.toml), or a folder: every .toml and .eql
file under it is loaded and all of them run in one pass over the events. EVENTS are NDJSON files (one JSON
object per line), plain or gzip-compressed; "-" or no file reads standard input. Each alert is one JSON
line on standard output:
  {"kind":"sequence","rule":{"id":..,"name":..,"severity":..,"risk_score":..},"query":NAME,
   "@timestamp":ISO,"join_keys":[...],"events":[{"_source":{...}} | {"missing":true}, ...]}
The severity and risk score are the rule's after its severity_mapping / risk_score_mapping, evaluated on
the last event of the alert. With -e there is no rule: alerts have no "rule" member.

Options:
  -e, --query QUERY          the query text (instead of RULE)
  --check                    parse, check and compile rules and queries; prints "NAME: valid" or one
                             diagnostic per problem on stderr (FILE:LINE:COLUMN)
  --explain                  print the syntax tree, the canonical query and the bytecode
  --schema ecs|FILE          with --check: check every field the rules read against ECS 9.4.0 (shipped
                             with eqlc) or an Elasticsearch mapping or index template (JSON; ./ecs for a file
                             named ecs); may be given more than once, e.g. ECS and a mapping of the namespaces
                             an integration adds (process.Ext.*: an object without sub-fields declares every
                             field under it). A field no schema has is a warning, with the nearest known names
                             ("did you mean [process.name]?"); ?field is not reported. A comparison that cannot
                             hold for the field's type is an error where Elasticsearch refuses it (a long
                             compared with "abc", cidrMatch on a keyword, : wildcards on a number) and a warning
                             where it matches nothing (a long == 4.5; a * in ==, != or in, which compare
                             exactly). Warnings alone: status 0
  --format ndjson|pretty     alerts as NDJSON (default) or as a short human summary per alert (control
                             characters and invalid UTF-8 from the events written as \x1b, \u009b, \n)
  --stats                    print counts and throughput on stderr at the end: events read, bad lines,
                             alerts per rule, evicted sequence state, late events (run out of time order;
                             with --reorder-window, those it could not put back, and the events that
                             arrived out of order), events/s; per sequence or sample with any activity,
                             one line per stage (events that passed it, partials started, advanced,
                             replaced, expired by maxspan, ended by until, evicted, left at the end)
  --progress, --no-progress  a progress line on stderr (default: when stderr is a terminal and the input
                             is a file)
  --timestamp-field FIELD    event time field (default @timestamp): ISO-8601 or epoch milliseconds; a
                             rule's timestamp_override takes precedence for that rule, and an event without
                             that field uses this one (as in Kibana; not when the rule sets
                             timestamp_override_fallback_disabled = true: the event is skipped for it)
  --event-category-field F   field that `<category> where` tests (default event.category)
  --tiebreaker-field FIELD   orders events with equal timestamps (then input order)
  --mapping FILE             an Elasticsearch mapping, GET _mapping output or index/component template
                             (JSON): field types, aliases, null_value. A field that is not in it is
                             refused where its `dynamic` is strict or false; otherwise (the default, as
                             in Elasticsearch) it is read as without a mapping, and --check warns
  --sort                     read all input, sort it by (timestamp, tiebreaker, input order), then run;
                             use it when the input is not in time order
  --reorder-window DURATION  for a stream that is nearly in time order: hold events back for DURATION of
                             event time (e.g. 500ms, 5s, 2m) and run them in order; an event later than
                             that is run at once, counted and reported as late
  --size N                   at most N results per rule: the last N (as Elasticsearch's default)
  --head                     with --size: the first N results instead of the last N
  --max-samples-per-key N    sample queries: samples per join key (default 1)
  --max-keys N               sequence/sample state: join keys kept per rule (default 1000000)
  --max-state-bytes N        sequence/sample state: bytes kept by all rules together, an event kept by
                             several rules counted once (default 1073741824; checked every 1024 events)
  --strict                   stop (status 2) at the first malformed input line or event without a usable
                             timestamp instead of reporting and skipping it
  --no-prefilter             parse every line; by default a line without the text every rule needs (a string
                             a rule compares a field with, see --explain) is only checked as JSON and skipped
                             (same alerts; --stats counts such lines as "skipped by prefilter"); not with
                             more than 64 rule terms, where nearly every line holds some rule's text
  --no-rule-index            run every rule on every event; by default an index over the values rules test
                             (field == value, in, :, like; see --explain) runs only the rules an event may
                             match (same alerts; --stats shows how many rule terms it covers)
  -j, --threads N            use N threads (default 1; 0 or auto: one per CPU), plus one that reads the
                             input (a plain file it only cuts: each parsing thread reads its own part);
                             with several rules (and not --reorder-window), N/2 of them (at least 1)
                             run the rules and the others parse the input, look events up in the rule
                             index and evaluate the event queries among their candidates (with
                             --no-rule-index: N parse and N run rules); with one rule, N parse;
                             the results (alerts, messages, stats) are those of -j 1
  --mmap                     with -j: map plain event files into memory instead of reading them (saves a
                             copy, but page faults cost more than the copy on many virtual machines; a file
                             that another process truncates while it is mapped, e.g. by copytruncate log
                             rotation, reads as zero bytes from there, or stops eqlc with status 2 where the
                             system raises SIGBUS; read, a part not read yet when it shrank stops the run
                             with "the file shrank while it was read")
  --no-mmap                  with -j: read plain event files (the default)
  --max-depth N              nesting limit for parentheses, not, unary minus and calls (default 200, at most 1000)
  -h, --help                 show this help
  --version                  show the version

Running continuously (EVENTS may also be nats://HOST:PORT/STREAM?consumer=NAME&subjects=S1,S2: a JetStream
stream read through durable pull consumers NAME, created if absent, each message one JSON event):
  --state LOCATION           continue from the state saved at LOCATION (a file, or nats://HOST:PORT/BUCKET/KEY
                             in a JetStream key-value bucket) and save it there at every checkpoint, at the
                             end of input and on SIGINT/SIGTERM (atomically); pending sequences are kept
                             for the next run instead of ended. A state saved for other rules or options is
                             refused (status 2) with what differs. Files already read to a position are
                             continued from there. Not with --sort or --size
  --finish                   with --state: the end of input ends pending sequences, as without --state
  --follow                   keep reading the event files as they grow, like tail -F (a file replaced at its
                             path is read to its end, then the new one; a truncated one from its start),
                             until SIGINT/SIGTERM
  --checkpoint-interval D    save the state (and acknowledge the stream's messages) every D while events
                             come (default 5s); messages are acknowledged only after a checkpoint covers them
  --alerts DEST              write alerts to DEST instead of standard output: a FILE (appended; after a
                             restart it is cut back to the last checkpoint, so no alert is written twice),
                             or nats://HOST:PORT/SUBJECT (published through JetStream with a Nats-Msg-Id that
                             identifies the alert, so that a stream with a duplicate window keeps it once)
  --idle-exit DURATION       save a checkpoint and exit (0, or 1 if this run gave alerts) after DURATION
                             without events
  --partition-key FIELD      the field a NATS stream is partitioned by among workers (default host.id):
                             eqlc warns about rules that do not join by it
  Not with -j. Exit status 2 also when the state cannot be read or saved, or alerts cannot be stored.

Rule tests (eqlc test): a rule X.toml or X.eql is tested by X.test.toml beside it, a list of cases:
  [[case]]
  name = "remote wmic starts cmd.exe"
  events = "samples/wmi_defend.ndjson"   # NDJSON relative to the test file, or inline: ['{...}', '{...}']
  select = 'labels.scenario == "x"'      # optional: only the events for which this EQL condition holds
  id_field = "event.id"                  # what names an event in alerts (the default)
  alerts = [["ev-1", "ev-2"]]            # the expected alerts in order, as their events' ids; [] = none
  severity = ["high"]                    # optional: each alert's severity after severity_mapping
Events run in the order given. Each case prints PASS or FAIL; a failure shows the expected and the actual
alerts side by side and, for each missing alert, why it did not fire (the stage, the condition that was
false and the values it saw, or what stopped the sequence). A last line counts passed and failed cases.
  --junit FILE               also write the results as JUnit XML (for CI systems)
Field options (--mapping, --timestamp-field, ...) apply. Exit status: 0 all passed, 1 a case failed,
2 a usage error, a rule or test file that cannot be used, or no test file found.

Input problems: a line that is not a JSON object, or an event without a usable timestamp, is reported on
stderr as FILE:LINE: message, counted and skipped; the run goes on (unless --strict). At most 1000 reports
per input: then one line says that the rest are not reported, and at the end of the input one line gives
the total. File names and event data in messages have their control characters escaped. A rule that cannot
be loaded or compiled is reported with FILE:LINE:COLUMN and the reason; the other rules still run.

Output and signals: each alert is written as soon as it is final (within 50 ms; alerts close together are
written together). SIGINT or SIGTERM stops the run: reading stops, the alerts already final are written,
--stats is printed, and eqlc exits with 130 (SIGINT) or 143 (SIGTERM); pending sequences, results held back
by --size and events held by --sort or --reorder-window are dropped. A second signal ends eqlc at once.
Standard output that cannot be written (a full disk, a closed pipe: SIGPIPE is ignored) stops the run with
"eqlc: cannot write alerts: REASON" and status 2.

Exit status: 0 no alert, 1 at least one alert, 2 a usage error, a rule or query that could not be used,
an input that could not be read, --strict stopping at bad input, or output that could not be written;
130 or 143 when stopped by SIGINT or SIGTERM.
)";

namespace {

constexpr uint64_t kMaxThreads = 256;

bool parse_number(std::string_view text, uint64_t& out) {
    if (text.empty()) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

// "<n><unit>" with unit ms, s, m or h, as nanoseconds; nullopt when malformed or not positive.
std::optional<int64_t> parse_duration(std::string_view text) {
    uint64_t n = 0;
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || !parse_number(text.substr(0, digits), n) || n == 0) return std::nullopt;
    const std::string_view unit = text.substr(digits);
    uint64_t scale = 0;
    if (unit == "ms")
        scale = 1'000'000;
    else if (unit == "s")
        scale = 1'000'000'000;
    else if (unit == "m")
        scale = 60'000'000'000;
    else if (unit == "h")
        scale = 3'600'000'000'000;
    else
        return std::nullopt;
    if (n > static_cast<uint64_t>(INT64_MAX) / scale) return std::nullopt;
    return static_cast<int64_t>(n * scale);
}

}  // namespace

bool Options::service() const {
    return state || follow || alerts || idle_exit_ns ||
           std::any_of(events.begin(), events.end(), [](const std::string& e) { return e.rfind("nats://", 0) == 0; });
}

ParseOutcome parse_arguments(const std::vector<std::string_view>& args) {
    ParseOutcome outcome;
    Options& o = outcome.options;
    std::vector<std::string> positional;

    auto fail = [&](std::string message) {
        outcome.error = std::move(message);
        return outcome;
    };

    size_t first = 0;
    if (!args.empty() && args[0] == "test") {  // a subcommand only in first place: ./test is a file named test
        o.mode = Mode::test;
        first = 1;
    }
    for (size_t i = first; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        auto value = [&](std::string& out) -> bool {
            if (i + 1 >= args.size()) return false;
            out = std::string(args[++i]);
            return true;
        };
        std::string v;
        if (arg == "-h" || arg == "--help") {
            o.mode = Mode::help;
            return outcome;
        } else if (arg == "--version") {
            o.mode = Mode::version;
            return outcome;
        } else if (arg == "--check") {
            o.mode = Mode::check;
        } else if (arg == "--explain") {
            o.mode = Mode::explain;
        } else if (arg == "--junit") {
            if (o.mode != Mode::test) return fail("--junit goes with eqlc test");
            if (!value(v) || v.empty()) return fail("--junit needs a file");
            o.junit = v;
        } else if (arg == "-e" || arg == "--query") {
            if (!value(v)) return fail(std::string(arg) + " needs a query");
            o.queries.push_back(v);
        } else if (arg == "--timestamp-field") {
            if (!value(v) || v.empty()) return fail("--timestamp-field needs a field name");
            o.timestamp_field = v;
        } else if (arg == "--event-category-field") {
            if (!value(v) || v.empty()) return fail("--event-category-field needs a field name");
            o.event_category_field = v;
        } else if (arg == "--tiebreaker-field") {
            if (!value(v) || v.empty()) return fail("--tiebreaker-field needs a field name");
            o.tiebreaker_field = v;
        } else if (arg == "--mapping") {
            if (!value(v)) return fail("--mapping needs a file");
            o.mapping_file = v;
        } else if (arg == "--schema") {
            if (!value(v) || v.empty()) return fail("--schema needs ecs or a FILE");
            o.schemas.push_back(v);
        } else if (arg == "--sort") {
            o.sort = true;
        } else if (arg == "--reorder-window") {
            if (!value(v)) return fail("--reorder-window needs a duration such as 5s");
            const auto ns = parse_duration(v);
            if (!ns) return fail("--reorder-window needs a duration such as 500ms, 5s or 2m, got '" + v + "'");
            o.reorder_window_ns = *ns;
        } else if (arg == "--head") {
            o.head = true;
        } else if (arg == "--strict") {
            o.strict = true;
        } else if (arg == "--no-prefilter") {
            o.prefilter = false;
        } else if (arg == "--no-rule-index") {
            o.rule_index = false;
        } else if (arg == "--no-mmap") {
            o.map_files = false;
        } else if (arg == "--mmap") {
            o.map_files = true;
        } else if (arg == "--size") {
            uint64_t n = 0;
            if (!value(v) || !parse_number(v, n)) return fail("--size needs a non-negative number, got '" + v + "'");
            o.size = n;
        } else if (arg == "-j" || arg == "--threads" || (arg.size() > 2 && arg.substr(0, 2) == "-j")) {
            if (arg.size() > 2 && arg[1] == 'j')
                v = std::string(arg.substr(2));
            else if (!value(v))
                return fail(std::string(arg) + " needs a number of threads (or auto)");
            uint64_t n = 0;
            if (v == "auto" || v == "0") {
                n = std::max(1u, std::thread::hardware_concurrency());
            } else if (!parse_number(v, n) || n == 0 || n > kMaxThreads) {
                return fail("-j/--threads needs a number from 1 to " + std::to_string(kMaxThreads) + " or auto, got '" +
                            v + "'");
            }
            o.threads = static_cast<unsigned>(std::min<uint64_t>(n, kMaxThreads));
        } else if (arg == "--max-depth") {
            uint64_t n = 0;
            if (!value(v) || !parse_number(v, n) || n == 0 || n > kMaxQueryDepth)
                return fail("--max-depth needs a number from 1 to " + std::to_string(kMaxQueryDepth) +
                            " (deeper nesting could exhaust the stack), got '" + v + "'");
            o.max_depth = static_cast<uint32_t>(n);
        } else if (arg == "--format") {
            if (!value(v)) return fail("--format needs a name");
            if (v != "ndjson" && v != "pretty") return fail("unknown format '" + v + "' (known: ndjson, pretty)");
            o.format = v;
        } else if (arg == "--stats") {
            o.stats = true;
        } else if (arg == "--progress") {
            o.progress = Options::Progress::on;
        } else if (arg == "--no-progress") {
            o.progress = Options::Progress::off;
        } else if (arg == "--max-samples-per-key") {
            uint64_t n = 0;
            if (!value(v) || !parse_number(v, n) || n == 0 || n > 1'000'000)
                return fail("--max-samples-per-key needs a number from 1 to 1000000, got '" + v + "'");
            o.max_samples_per_key = static_cast<uint32_t>(n);
        } else if (arg == "--max-keys") {
            uint64_t n = 0;
            if (!value(v) || !parse_number(v, n) || n == 0)
                return fail("--max-keys needs a positive number, got '" + v + "'");
            o.max_keys = n;
        } else if (arg == "--max-state-bytes") {
            uint64_t n = 0;
            if (!value(v) || !parse_number(v, n) || n == 0)
                return fail("--max-state-bytes needs a positive number, got '" + v + "'");
            o.max_state_bytes = n;
        } else if (arg == "--state") {
            if (!value(v) || v.empty()) return fail("--state needs a LOCATION: a file, or nats://HOST:PORT/BUCKET/KEY");
            o.state = v;
        } else if (arg == "--follow") {
            o.follow = true;
        } else if (arg == "--finish") {
            o.finish = true;
        } else if (arg == "--checkpoint-interval" || arg == "--idle-exit") {
            if (!value(v)) return fail(std::string(arg) + " needs a duration such as 5s");
            const auto ns = parse_duration(v);
            if (!ns) return fail(std::string(arg) + " needs a duration such as 500ms, 5s or 2m, got '" + v + "'");
            if (arg == "--idle-exit")
                o.idle_exit_ns = *ns;
            else
                o.checkpoint_interval_ns = *ns;
        } else if (arg == "--alerts") {
            if (!value(v) || v.empty()) return fail("--alerts needs a FILE or nats://HOST:PORT/SUBJECT");
            o.alerts = v;
        } else if (arg == "--partition-key") {
            if (!value(v) || v.empty()) return fail("--partition-key needs a field name");
            o.partition_key = v;
        } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
            return fail("unknown option '" + std::string(arg) + "'");
        } else {
            positional.emplace_back(arg);
        }
    }

    if (o.head && !o.size) return fail("--head goes with --size N");
    if (!o.schemas.empty() && o.mode != Mode::check) return fail("--schema goes with --check");
    switch (o.mode) {
        case Mode::check:
        case Mode::explain:
            o.files = positional;
            if (o.files.empty() && o.queries.empty())
                return fail(std::string(o.mode == Mode::check ? "--check" : "--explain") + " needs a FILE or -e QUERY");
            break;
        case Mode::test:
            o.files = positional;
            if (o.files.empty()) return fail("eqlc test needs a RULE file or folder");
            if (!o.queries.empty()) return fail("eqlc test runs rule files: -e has no test file");
            break;
        case Mode::run:
            if (o.queries.size() > 1) return fail("give one query (-e) per run");
            if (o.queries.empty()) {
                if (positional.empty()) return fail("no rule: give RULE (a file or folder) or -e QUERY");
                o.rule_path = positional.front();
                positional.erase(positional.begin());
            }
            o.events = positional;
            if (o.state && o.sort)
                return fail("--state cannot be used with --sort (it runs nothing before the end of all input)");
            if (o.state && o.size)
                return fail("--state cannot be used with --size (a count of results within one run)");
            if (o.finish && !o.state)
                return fail("--finish goes with --state (without it the end of input always finishes)");
            if (o.follow && (o.events.empty() || std::find(o.events.begin(), o.events.end(), "-") != o.events.end()))
                return fail("--follow needs event FILES (standard input is read until it ends anyway)");
            if (o.service() && o.sort)
                return fail(
                    "--sort reads all input before running: not with --follow, --idle-exit, --alerts or nats:// input");
            if (o.service() && o.threads != 1)
                return fail(
                    "-j applies to reading files in one pass: not with --state, --follow, --idle-exit, --alerts or "
                    "nats:// input");
            break;
        default: break;
    }
    return outcome;
}

}  // namespace eqlc::cli
