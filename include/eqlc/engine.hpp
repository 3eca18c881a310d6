// The engine: compile queries once, feed events, receive matches.
//
//   eqlc::EngineOptions options;                        // field names, mapping, limits
//   auto created = eqlc::Engine::create({{"process where process.name : \"cmd.exe\"", "q1"}}, options);
//   if (!created.engine) { for (auto& p : created.problems) ...; }  // QueryProblem: query index + Diagnostics
//   created.engine->on_match([](const eqlc::Match& m) { ... });
//   created.engine->push(event);                        // an nlohmann::json object, or:
//   eqlc::Diagnostic error;
//   created.engine->read_ndjson("events.ndjson.gz", {}, &error);
//   created.engine->finish();                           // end of input: pending results are delivered
//
// Errors: a query or rule problem, an input that cannot be read and a snapshot that cannot be taken or restored are
// each a Diagnostic (eqlc/diagnostics.hpp) whose phase says which; an unusable event is a BadInput report.
//
// Events are expected in time order (timestamp, tiebreaker, arrival). `EngineOptions::sort_input` buffers the
// whole input and sorts it that way first, for files that are not in order. An Engine is single-threaded;
// the compiled programs inside it are immutable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "eqlc/diagnostics.hpp"
#include "eqlc/event_builder.hpp"
#include "eqlc/match.hpp"
#include "eqlc/query.hpp"

namespace eqlc {

struct QuerySource {
    QuerySource() = default;
    QuerySource(std::string query_text, std::string query_name)
        : text(std::move(query_text)), name(std::move(query_name)) {}

    std::string text;  // the EQL query
    std::string name;  // how messages and alerts name it (a file name, a rule name)
    // Field settings of this query when they differ from EngineOptions::query (a rule's timestamp_override,
    // event_category_override, tiebreaker_field). The event order is always that of EngineOptions::query; a
    // query with its own timestamp field reads its event times from that field.
    std::optional<std::string> timestamp_field;
    std::optional<std::string> event_category_field;
    std::optional<std::string> tiebreaker_field;
    // A query with its own timestamp_field, for an event that does not have that field (absent or null): true
    // runs the event with its time in EngineOptions::query's timestamp field, as Kibana does for a rule's
    // timestamp_override; false skips the event for this query (counted in
    // EngineStats::query_events_without_timestamp), as a rule with timestamp_override_fallback_disabled. An
    // event whose field holds a value that is not a time is skipped and counted either way.
    bool timestamp_fallback = true;
};

enum class ResultPosition : uint8_t { head, tail };

struct EngineOptions {
    QueryOptions query;  // field names, mapping, nesting limit
    // The request size: at most this many results per query, taken from the end (Elasticsearch's default
    // result_position is tail) or the start. None: unlimited.
    std::optional<uint64_t> size;
    ResultPosition result_position = ResultPosition::tail;
    bool sort_input = false;  // buffer all events; run them sorted by (timestamp, tiebreaker, arrival) at finish
    // Streams that are nearly in order: hold events back for this much event time and run them sorted. An event
    // that arrives after a later one was already run is late: it is run at once, counted and reported.
    std::optional<int64_t> reorder_window_ns;
    uint32_t max_samples_per_key = 1;  // samples: how many samples one key may give (Elasticsearch's default 1)
    // read_ndjson skips, before parsing them, lines that lack the text every query needs (a string constant the
    // query compares a field with; see explain()). Results are the same either way; skipped lines are checked
    // as JSON and counted (EngineStats::skipped_events) but not otherwise looked at, so the timestamp and order
    // counters only cover the events that were run. Not for sets of more than 64 terms (sequence stages count
    // one each): a whole library's texts are in nearly every line, and the rule index does that work instead.
    bool line_prefilter = true;
    // Run only the rules an event may match: a rule index over the string tests every term requires (field ==
    // value, in, :, like, wildcard lists; see explain()) finds an event's candidate terms with one lookup per
    // field value, and idle sequences are woken by their deadlines. Same results either way; false runs every
    // query on every event (for comparison).
    bool rule_index = true;
    // Invalid queries: by default create() makes no engine. With this set, it makes one when at least one query
    // is valid; the invalid ones are reported in Created::problems and never run, and keep their index (query
    // numbers in matches and stats are those of the list given to create()).
    bool skip_invalid_queries = false;

    // Sequence and sample state limits. When one is hit, least recently used join keys are evicted with their
    // pending state (counted in EngineStats, reported once per query through Engine::on_state_limit); completed
    // matches are never lost. max_state_bytes is one budget for the whole engine: the pending state of every
    // query (keys, partials, the kept events, whose text is stored once however many queries keep the event). It
    // is enforced every `state_check_events` events of the input (before the event that completes the count), by
    // evicting the engine's least recently used keys whatever their query, so the state may exceed it by what that
    // many events add in between. Where the checks fall and what they evict depends only on the events, not on
    // push / read_ndjson or its threads. The other two limits are per query and act at once.
    uint64_t max_state_bytes = uint64_t{1} << 30;  // bytes of pending state, whole engine
    uint64_t max_keys = 1'000'000;                 // join keys with pending state, per query
    uint64_t max_query_state_bytes = UINT64_MAX;   // bytes of pending state, per query (event text counted in full)
    uint32_t state_check_events = 1024;            // events between two checks of max_state_bytes (at least 1)
};

// Which state limit made a query evict keys (Engine::on_state_limit).
enum class StateLimit : uint8_t {
    max_keys,               // EngineOptions::max_keys
    max_query_state_bytes,  // EngineOptions::max_query_state_bytes
    max_state_bytes,        // EngineOptions::max_state_bytes (the engine-wide budget)
};

struct StateLimitReached {
    size_t query = 0;
    StateLimit limit = StateLimit::max_state_bytes;
};

// A problem with one query: which one, and the diagnostics (positions point into its text).
struct QueryProblem {
    size_t query = 0;
    Diagnostics diagnostics;
};

// An input line or event that was not used, with where it came from.
struct BadInput {
    std::string origin;   // file name, "<stdin>", or "<event>" for pushed events
    uint64_t line = 0;    // 1-based line in the file (0 for pushed events)
    std::string message;  // what is wrong
    std::string excerpt;  // the start of the line
};

// Where the events of a sequence or sample went, stage by stage (why a rule did not fire). A stage is a term of a
// sequence after `runs` expansion, missing-event terms `![...]` included, or a filter of a sample. A partial
// sequence "waits at" the last stage it matched. The counts are exact whatever the rule index, threads or
// snapshots did (they are saved in the engine's snapshot).
struct StageStats {
    uint64_t passed = 0;             // events whose condition held with a usable join key (counted once per event)
    uint64_t started = 0;            // sequences: partials started at this stage (the first positive one)
    uint64_t advanced = 0;           // sequences: partials that reached this stage from the previous positive one
    uint64_t replaced = 0;           // sequences: partials waiting here replaced by a newer one of the same key
    uint64_t expired = 0;            // sequences: partials waiting here dropped because maxspan passed
    uint64_t until = 0;              // sequences: partials waiting here ended by an event that matched `until`
    uint64_t evicted = 0;            // partials waiting here (samples: documents kept here) lost with an evicted key
    uint64_t dropped_at_finish = 0;  // sequences: partials still waiting here at the end of input
    uint64_t kept = 0;               // samples: documents kept for this filter
};

struct QueryStageStats {
    std::vector<StageStats> stages;  // empty for an event query (and an invalid one)
    uint64_t until_events = 0;       // sequences: events that matched `until`
    // Sequences whose positive stages all matched (samples: samples delivered), before missing-event checks and
    // head/tail/size (EngineStats::matches counts what was delivered).
    uint64_t completed = 0;
    uint64_t rejected_missing = 0;  // sequences: of those, refused because a missing-event term `![...]` occurred
};

struct EngineStats {
    uint64_t events = 0;                          // events run through the queries
    uint64_t skipped_events = 0;                  // good lines no query could match (line prefilter): not run
    uint64_t bad_lines = 0;                       // lines that were not JSON objects
    uint64_t events_without_timestamp = 0;        // skipped: no usable timestamp
    uint64_t query_events_without_timestamp = 0;  // events a query with its own timestamp field skipped
    uint64_t out_of_order = 0;                    // events earlier than the one before them (see sort_input)
    uint64_t late_events = 0;                     // with a reorder window: events that came too late to be put in order
    uint64_t bytes = 0;                           // NDJSON bytes read
    uint64_t evaluation_errors = 0;       // expressions that failed at run time (division by zero, ...); gave null
    uint64_t truncated_key_products = 0;  // events whose multi-valued join keys had too many combinations
    std::vector<uint64_t> matches;        // per query: results delivered
    uint32_t query_threads = 1;           // threads that ran the queries in the last read_ndjson (see threads)
    // The rule index (EngineOptions::rule_index): terms found through it, terms without any indexable test that
    // run on every event, and the fields it reads. All 0 without the index.
    uint64_t indexed_terms = 0;
    uint64_t always_run_terms = 0;
    uint64_t index_fields = 0;
    // Sequence and sample state, summed over queries.
    uint64_t evicted_keys = 0;                    // keys dropped by max_keys / max_state_bytes: alerts may be lost
    std::vector<uint64_t> evicted_keys_by_query;  // the same, per query
    uint64_t pending_partials = 0;  // partial sequences waiting for their next stage (now; 0 after finish())
    // Partial sequences still waiting for their next stage at the end of input, which finish() discarded (they
    // could no longer complete): what pending_partials was just before finish().
    uint64_t partials_at_finish = 0;
    uint64_t state_bytes = 0;  // bytes of sequence/sample state, whole engine, event text once (now)
    std::vector<QueryStageStats> stages_by_query;  // per query: its stages (see StageStats)
};

// Queries compiled once, for any number of engines: immutable, so one set can be shared by engines on several
// threads (each Engine itself is single-threaded). Engine::create(queries, options) compiles a set of its own;
// create it from a shared set to compile once:
//
//   auto compiled = eqlc::CompiledQueries::compile(sources, options);     // options.query: fields, mapping
//   for (each thread) auto engine = eqlc::Engine::create(compiled.queries, options);
class CompiledQueries {
public:
    struct Result {
        std::shared_ptr<const CompiledQueries> queries;  // null when a query is invalid (see skip_invalid_queries)
        std::vector<QueryProblem> problems;              // every problem of every query
    };
    // Uses the compile-time parts of `options`: query, skip_invalid_queries, line_prefilter, rule_index.
    static Result compile(std::vector<QuerySource> queries, const EngineOptions& options = {});

    size_t size() const;
    const QuerySource& source(size_t query) const;
    bool valid(size_t query) const;  // false for an invalid query left out by skip_invalid_queries
    bool prefiltered() const;        // the line prefilter applies (every query term requires some text; <= 64 terms)
    // The join keys every event of a sequence or sample must share (`by` keys common to all its terms, as written),
    // empty for an event query, an invalid one, or one without keys. Events of one match all have the same value
    // in each: input split by one of them (partitions keyed by host.id) keeps every match in one part.
    std::vector<std::string> join_keys(size_t query) const;
    bool joins(size_t query) const;  // a sequence or sample (whose events are joined), with or without keys
    // The field paths the queries read, sorted and without repeats: every field a query references (after schema
    // aliases), and the timestamp, event category and tiebreaker fields of the options and of each query. An event
    // needs no other field to match (EventBuilder: the others cost nothing), though alerts show whatever it has.
    std::vector<std::string> fields() const;
    // The compiled programs of every query, one line per instruction.
    std::string explain() const;
    // The rule index (EngineOptions::rule_index), for --explain: a summary line ("# rule index: 5 of 6 terms
    // indexed on 4 fields; 1 run on every event"), and per query one line per term with the test it is found by
    // ("  term 0: process.name in~ 2 values", "  until: none: always run"). Empty without the index.
    std::string explain_index() const;
    std::string explain_index(size_t query) const;

    ~CompiledQueries();
    CompiledQueries(const CompiledQueries&) = delete;
    CompiledQueries& operator=(const CompiledQueries&) = delete;

private:
    friend struct detail::Internals;
    struct Impl;
    explicit CompiledQueries(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// How Engine::push_json / push_ndjson name and number the events they are given.
struct PushOptions {
    std::string_view origin = "<event>";  // how reports name the input
    // Each line's position, which reports name it by (a stream's message sequence numbers, say); empty: the
    // lines are numbered from 1. When given, it holds one number per line of the text, blank lines included.
    std::span<const uint64_t> lines;
    // The positions in `lines` are also the events' ordinals (MatchedEvent::ordinal, the last tiebreaker of the
    // event order): a caller whose positions identify events across runs (stream sequences) finds them in its
    // matches. They should increase; an ordinal below one already run is taken as given.
    bool lines_are_ordinals = false;
};

class Engine {
public:
    struct Created {
        std::unique_ptr<Engine> engine;      // null when a query is invalid (see skip_invalid_queries)
        std::vector<QueryProblem> problems;  // every problem of every query
    };

    // Compiles every query (sharing one field catalog, so each event is read once for all of them).
    static Created create(std::vector<QuerySource> queries, EngineOptions options = {});
    // An engine running queries compiled before (null `queries` gives null). The compile-time parts of
    // `options` (query, skip_invalid_queries, line_prefilter, rule_index) are those the set was compiled with.
    static std::unique_ptr<Engine> create(std::shared_ptr<const CompiledQueries> queries, EngineOptions options = {});

    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    using MatchHandler = std::function<void(const Match&)>;
    using BadInputHandler = std::function<void(const BadInput&)>;

    // Where results go (delivered as soon as they are final, in result order per query).
    void on_match(MatchHandler handler);
    // Where unusable input is reported (it is always counted in stats()).
    void on_bad_input(BadInputHandler handler);
    // Called the first time a query evicts keys because of a state limit (alerts may be lost from then on), on
    // the thread that feeds the engine. Limits are checked at the points where max_state_bytes is (see
    // EngineOptions::state_check_events) and at finish(), so the call comes at most that many events late.
    using StateLimitHandler = std::function<void(const StateLimitReached&)>;
    void on_state_limit(StateLimitHandler handler);

    // Feeds one event. False when it is unusable input, reported to on_bad_input and counted (not a JSON object,
    // or no usable timestamp: such an event is run only through sample queries): a caller that wants to stop at
    // bad input, as ReadOptions::strict does, stops there.
    bool push(const nlohmann::json& event);

    // Feeds events held as JSON text, without building a DOM: they are read as read_ndjson reads a file's lines
    // (the projection reader, and the line prefilter), so the results are those of read_ndjson on the same lines.
    // One event (line breaks in it are read as the whitespace they are). False when it is unusable (reported to
    // on_bad_input and counted), as push().
    bool push_json(std::string_view json, const PushOptions& options = {});
    // A buffer of NDJSON lines (plain text; '\n' ends a line, a last line without it counts). Returns the number of
    // events that were usable (bad lines are reported and counted, as read_ndjson does).
    size_t push_ndjson(std::string_view text, const PushOptions& options = {});

    // Events that are not JSON (eqlc/event_builder.hpp): a builder whose set_time() writes this engine's timestamp
    // field, and the fields it needs (CompiledQueries::fields()).
    EventBuilder event() const;
    std::vector<std::string> fields() const;
    // Feeds a built event: the same matches as push_json of its JSON, without reading that JSON back (the values go
    // to the rules as they were set; the JSON is the event's source in matches). The line prefilter applies as
    // push_json applies it, but to the JSON text of the values of the fields its needles come from (the fields the
    // rules test with string constants), not to the whole line: an event whose line push_json would take only for
    // a key, or for another field's value, is skipped here. An event no query term could match is counted in
    // EngineStats::skipped_events and not run (true is returned), and its JSON is never written. False when it is
    // unusable: a builder with an error (EventBuilder::error(), reported to on_bad_input with that message and
    // counted as a bad line) or an event without a usable timestamp. Where each field goes is remembered per field
    // of the builder last pushed, so pushing the same builder event after event costs no lookups.
    bool push(const EventBuilder& event, const PushOptions& options = {});

    // Streams an NDJSON file (plain or gzip; "-" is stdin) through the engine, in chunks. Returns false with
    // `error` set when the file cannot be opened or reading stops early (I/O error, corrupt gzip, or `strict`
    // and a bad line).
    struct ReadOptions {
        // Stop at the first bad line or event without a usable timestamp (reported as usual) instead of skipping
        // it; read_ndjson returns false with `error` saying where it stopped.
        bool strict = false;
        // When set, checked after every event: once it is true, reading stops there and read_ndjson returns true
        // (the events read so far have been run; nothing is finished). For stopping a run from a signal handler or
        // another thread; an input that blocks (a pipe with no data) is only left when it delivers an event or ends.
        const std::atomic<bool>* stop = nullptr;
        // Called now and then (every 64 Ki events and at the end) with the bytes consumed from the file (the
        // compressed size for gzip) and the events read so far from it; for progress displays. Always called
        // on the thread that called read_ndjson, as are the match and bad-input handlers.
        std::function<void(uint64_t input_bytes, uint64_t events)> progress;
        // Threads that parse the input and run the queries. With more than 1, one more thread reads the input
        // and cuts it into chunks of whole lines, `threads` threads parse and project the chunks, and the events
        // are run strictly in input order. With several queries (and no reorder window), the queries are also
        // split among threads (this one and others; EngineStats::query_threads), each running its share over
        // every event: with the rule index (the default), threads / 2 of them (at least 1), the other threads
        // parsing and looking the events up in the index; without it, `threads` of them. Matches, bad-input reports (with their lines), stats and progress
        // are exactly those of threads = 1, and the handlers are called on this thread, in the same order. At
        // most 4 * threads chunks are held at once.
        unsigned threads = 1;
        // Bytes read from the input at a time (the reader's buffer, grown for longer lines); with threads > 1
        // also the unit of work of a thread.
        size_t chunk_bytes = size_t{1} << 20;
        // A longer line is reported as bad and skipped.
        size_t max_line_bytes = size_t{64} << 20;
        // With threads > 1, map a plain (not gzip) regular file into memory rather than read it. Mapping saves
        // copying the file (the pages already run are given back as reading goes on, so memory stays bounded),
        // but where page faults are dear (virtual machines) reading is faster: -j 2 with the 562 detection rules
        // over 200,000 ECS events took 1.52 s mapped and 1.37 s read, the WMI rule over 1 M prefiltered events
        // 0.26 s and 0.20 s. When another process truncates a mapped file, the lost part reads as zero bytes (a
        // line too long, reported) or, where the system raises SIGBUS for it, the process gets that signal (the
        // eqlc tool handles it). Off by default.
        bool map_files = false;
    };
    bool read_ndjson(const std::string& path, const ReadOptions& options, Diagnostic* error);

    // End of input: delivers everything still pending (tails, sorted input, sequences waiting on time).
    void finish();

    // The engine's whole state as bytes: pending partial sequences and samples with the events they keep,
    // results held back by tail/size, the reorder window, counters. An engine created with the same queries
    // and options continues from it with restore(), so a process can stop and resume a stream without losing
    // anything. Not available with sort_input (nothing has run before finish()); returns false then, with `error`
    // (phase state) saying why.
    bool snapshot(std::string& bytes, Diagnostic* error = nullptr) const;
    // Replaces this engine's state by a snapshot's. False (state unchanged), with `error` (phase state) saying why,
    // when the bytes are not a snapshot of an engine with the same queries. The restored engine takes more input
    // even when the snapshot was taken after finish().
    bool restore(std::string_view bytes, Diagnostic* error = nullptr);

    size_t query_count() const;
    const std::string& query_name(size_t query) const;
    const EngineStats& stats() const;
    // The compiled programs of every query, one line per instruction.
    std::string explain() const;

private:
    friend struct detail::Internals;
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace eqlc
