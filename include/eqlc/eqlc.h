/* eqlc's C API: detection rules in Elastic's Event Query Language over streams of events, for any language that
 * can call C (Go, Rust, Python, ...). A stable ABI over the C++ library: opaque handles, plain types, no exception
 * or C++ type crosses it.
 *
 *   char *error = NULL;
 *   eqlc_engine *e = eqlc_engine_from_path("rules/", NULL, &error);   // a rule file or a folder of them
 *   if (!e) { fprintf(stderr, "%s", error); eqlc_free(error); return 2; }
 *   eqlc_engine_on_alert(e, print_alert, stdout);                       // alert_json: one NDJSON alert line
 *   while (read a line) if (eqlc_engine_push_json(e, line, len) != EQLC_OK) fprintf(stderr, "%s\n",
 *                                                                             eqlc_engine_last_error(e));
 *   eqlc_engine_finish(e);                                              // the end of input completes the rest
 *   eqlc_engine_free(e);
 *
 * Errors. Every function that can fail returns an eqlc_status (EQLC_OK is 0) or, for constructors, NULL with a
 * message in *error; the engine's eqlc_engine_last_error() says what the last failing call found. Messages about
 * rules and queries carry the place as file:line:column (or <query>:line:column), the way compilers print them;
 * eqlc_check() gives the same as structured JSON. A bad event never breaks the engine: it is reported, counted, and
 * the next event is run as usual.
 *
 * Memory. Strings and buffers the library returns through a `char **` / `void **` or as a `char *` result are the
 * caller's and are released with eqlc_free(). `const char *` results belong to the handle they came from and stay
 * valid until the handle is freed (eqlc_engine_field) or until the next call on it (eqlc_engine_last_error,
 * eqlc_event_error). Pointers handed to callbacks are valid only during the call. Handles are freed with their own
 * _free function (NULL is accepted). The library keeps no pointer to the caller's memory after a call returns,
 * except the `user` pointers given with callbacks.
 *
 * Threads. The library has no global state: functions without a handle (eqlc_check, eqlc_version, the
 * constructors) may be called from any thread at any time. One engine, and one event builder, is used by one thread
 * at a time (the caller locks if several share it); different engines run on different threads in parallel.
 * Callbacks are called on the thread that pushes events or calls finish, during that call; a callback must not
 * call the engine that calls it, except eqlc_engine_last_error and eqlc_engine_get_stats, and must return normally
 * (no longjmp, no C++ exception out of it).
 *
 * Versions. EQLC_VERSION_* is the version of this header; eqlc_version() that of the library loaded at run time.
 * Within one major version the ABI only grows: structs that may gain fields start with `struct_size`, which the
 * caller sets (eqlc_options_init does it), so an older program keeps working with a newer library.
 */
#ifndef EQLC_EQLC_H
#define EQLC_EQLC_H

#include <stddef.h>
#include <stdint.h>

#define EQLC_VERSION_MAJOR 0
#define EQLC_VERSION_MINOR 1
#define EQLC_VERSION_PATCH 0

/* The symbols of this API are the only ones libeqlc.so exports. */
#if defined(_WIN32)
#define EQLC_API
#elif defined(__GNUC__) || defined(__clang__)
#define EQLC_API __attribute__((visibility("default")))
#else
#define EQLC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Results ---- */

typedef enum eqlc_status {
    EQLC_OK = 0,
    EQLC_ERROR_ARGUMENT = 1, /* a NULL handle or pointer where one is needed, an option out of range */
    EQLC_ERROR_QUERY = 2,    /* a query is not valid EQL, or Elasticsearch would refuse it (line:column) */
    EQLC_ERROR_RULE = 3,     /* a rule file could not be loaded (file:line:column) */
    EQLC_ERROR_IO = 4,       /* a file or folder could not be read */
    EQLC_ERROR_INPUT = 5,    /* an event could not be used: not a JSON object, no usable timestamp, a bad field */
    EQLC_ERROR_STATE = 6,    /* a snapshot could not be taken or restored */
    EQLC_ERROR_MAPPING = 7,  /* the index mapping could not be used */
    EQLC_ERROR_MEMORY = 8,   /* out of memory */
    EQLC_ERROR_INTERNAL = 9  /* an unexpected failure inside eqlc (a bug: please report it) */
} eqlc_status;

/* The status's name ("EQLC_ERROR_INPUT"); "EQLC_UNKNOWN" for any other number. Static storage. */
EQLC_API const char* eqlc_status_name(int status);

/* Releases what the library returned to the caller (messages, JSON texts, snapshot bytes). NULL is accepted. */
EQLC_API void eqlc_free(void* p);

/* The library's version at run time ("0.1.0"), and as MAJOR * 10000 + MINOR * 100 + PATCH. Static storage. */
EQLC_API const char* eqlc_version(void);
EQLC_API int eqlc_version_number(void);

/* ---- Options ---- */

typedef struct eqlc_options {
    size_t struct_size;               /* sizeof(eqlc_options); set by eqlc_options_init */
    const char* timestamp_field;      /* the event time and order; NULL: "@timestamp" */
    const char* event_category_field; /* what `process where` tests; NULL: "event.category" */
    const char* tiebreaker_field;     /* orders events with the same time; NULL: none */
    const char* mapping_json;         /* an Elasticsearch index mapping (field types, aliases) as JSON; NULL: none */
    uint64_t max_keys;                /* sequences: join keys with pending state, per rule; 0: the default 1000000 */
    uint64_t max_state_bytes;         /* bytes of pending sequence state, whole engine; 0: the default 1 GiB */
    int rule_index;                   /* nonzero (default): run only the rules an event may match */
    int line_prefilter;               /* nonzero (default): skip unparsed the JSON lines no rule can match */
    /* Nonzero: a rule or query that cannot be loaded or compiled is left out and the others run; the constructor
     * then returns an engine and puts what it left out in *error. Zero (default): no engine. */
    int skip_invalid;
} eqlc_options;

/* Fills `options` with the defaults (and struct_size). Functions taking options accept NULL for the defaults. */
EQLC_API void eqlc_options_init(eqlc_options* options);

/* ---- Checking queries ---- */

/* Parses and checks `query` (NUL-terminated) against Elasticsearch's rules with the field settings and mapping of
 * `options` (NULL: defaults). Returns a JSON array of diagnostics; the query is valid when none has severity "error"
 * (a "warning" names a field that a dynamic mapping does not list but accepts):
 *   [{"severity":"error","phase":"syntax","line":1,"column":20,"end_line":1,"end_column":21,
 *     "message":"...","expected":"...","hint":"..."}]
 * (line and column 1-based, columns in bytes; "expected" and "hint" only when known). The caller frees it with
 * eqlc_free. NULL only when `query` is NULL or memory ran out. */
EQLC_API char* eqlc_check(const char* query, const eqlc_options* options);

/* ---- Rule tests ---- */

/* Runs the test cases of a rule file (`tests`: its test file; NULL: X.test.toml beside X.toml / X.eql), as `eqlc test`
 * does, with the field settings and mapping of `options` (NULL: defaults). On EQLC_OK, *results (free with
 * eqlc_free) is a JSON object:
 *   {"passed":75,"failed":1,"cases":[{"name":"...","line":4,"passed":false,"error":"",
 *     "expected":[["ev-1","ev-2"]],"actual":[{"ids":["ev-1"],"severity":"high"}],
 *     "missing":[{"alert":0,"summary":"...","details":["..."]}],"unexpected":[0],"reports":["file:2: ..."]}]}
 * ("expected_severity" when the case gives it). EQLC_ERROR_IO when a file cannot be read, EQLC_ERROR_RULE when the
 * rule or the test file cannot be used or the rule does not compile, with *error (if not NULL) saying why. */
EQLC_API int eqlc_test_rule(const char* rule_file, const char* tests, const eqlc_options* options, char** results,
                            char** error);

/* ---- Engines ---- */

typedef struct eqlc_engine eqlc_engine;

/* An engine running every rule of a rule file (detection-rules TOML, or .eql) or of a folder of them (recursively),
 * as the eqlc tool runs them: each rule's timestamp_override, event_category_override and tiebreaker_field apply,
 * and its alerts carry its id, name and severity after its severity_mapping / risk_score_mapping. NULL when a file
 * cannot be loaded or a rule does not compile (unless options->skip_invalid), with *error (if `error` is not NULL)
 * set to every problem, each as file:line:column: error: message; free it with eqlc_free. On success *error is
 * NULL, or holds the warnings and (with skip_invalid) what was left out. */
EQLC_API eqlc_engine* eqlc_engine_from_path(const char* rule_file_or_folder, const eqlc_options* options, char** error);

/* An engine running one EQL query (NUL-terminated); its alerts name it "<query>" and carry no rule. As
 * eqlc_engine_from_path for errors (<query>:line:column). */
EQLC_API eqlc_engine* eqlc_engine_from_query(const char* query, const eqlc_options* options, char** error);

EQLC_API void eqlc_engine_free(eqlc_engine* engine);

/* Where alerts go: one call per alert, as soon as it is final, with the alert's NDJSON line (no newline; also
 * NUL-terminated) exactly as the eqlc tool prints it:
 *   {"kind":"sequence","rule":{"id":..,"name":..,"severity":..,"risk_score":..},"query":..,"@timestamp":..,
 *    "join_keys":[..],"events":[{"_source":{..}},..]}
 * NULL `fn` drops alerts (they are still counted). */
typedef void (*eqlc_alert_fn)(void* user, const char* alert_json, size_t len);
EQLC_API void eqlc_engine_on_alert(eqlc_engine* engine, eqlc_alert_fn fn, void* user);

/* Where unusable input is reported: `origin` ("<event>" for pushed events, or the origin given to push_ndjson),
 * the 1-based line (0 for a single pushed event), what is wrong, and the start of the text. It is also counted
 * (stats) and, for the call that met it, in eqlc_engine_last_error. */
typedef void (*eqlc_bad_input_fn)(void* user, const char* origin, uint64_t line, const char* message,
                                  const char* excerpt);
EQLC_API void eqlc_engine_on_bad_input(eqlc_engine* engine, eqlc_bad_input_fn fn, void* user);

/* One event as JSON text (`len` bytes, not necessarily NUL-terminated; line breaks in it are whitespace). Returns
 * EQLC_OK, or EQLC_ERROR_INPUT when the event cannot be used (not a JSON object, no usable timestamp): it is
 * reported and skipped, and the engine goes on. Events are expected in time order (see the tiebreaker). */
EQLC_API int eqlc_engine_push_json(eqlc_engine* engine, const char* json, size_t len);

/* A buffer of NDJSON lines ('\n' ends a line; a last line without it counts). `origin` (NULL: "<event>") names the
 * input in reports, whose lines are counted from 1 in this buffer. Sets *events_used (if not NULL) to the lines that
 * were usable events. EQLC_ERROR_INPUT when some line was not (each reported; eqlc_engine_last_error has the first),
 * else EQLC_OK. */
EQLC_API int eqlc_engine_push_ndjson(eqlc_engine* engine, const char* text, size_t len, const char* origin,
                                     size_t* events_used);

/* The end of input: delivers every alert still pending (sequences waiting on their maxspan, tails). The engine
 * takes more events afterwards. */
EQLC_API int eqlc_engine_finish(eqlc_engine* engine);

/* The message of the last call on `engine` that did not return EQLC_OK ("" when it did). Owned by the engine. */
EQLC_API const char* eqlc_engine_last_error(const eqlc_engine* engine);

/* The rules (or the query) the engine runs, in load order, and the field paths they read, sorted: an event needs
 * no other field to match (those are what an event builder should set). Owned by the engine. */
EQLC_API size_t eqlc_engine_rule_count(const eqlc_engine* engine);
EQLC_API const char* eqlc_engine_rule_name(const eqlc_engine* engine, size_t rule);
EQLC_API size_t eqlc_engine_field_count(const eqlc_engine* engine);
EQLC_API const char* eqlc_engine_field(const eqlc_engine* engine, size_t field);

/* ---- Statistics ---- */

typedef struct eqlc_stats {
    size_t struct_size;                /* the caller sets sizeof(eqlc_stats) */
    uint64_t events;                   /* events run through the rules */
    uint64_t skipped_events;           /* good lines no rule could match (line prefilter): not run */
    uint64_t bad_lines;                /* events or lines that could not be used */
    uint64_t events_without_timestamp; /* skipped: no usable timestamp */
    uint64_t out_of_order;             /* events earlier than the one before them */
    uint64_t bytes;                    /* JSON bytes pushed */
    uint64_t evaluation_errors;        /* expressions that failed at run time (gave null) */
    uint64_t alerts;                   /* alerts delivered, all rules */
    uint64_t evicted_keys;             /* join keys dropped by max_keys / max_state_bytes: alerts may be lost */
    uint64_t pending_partials;         /* partial sequences waiting for their next event (now) */
    uint64_t state_bytes;              /* bytes of pending sequence and sample state (now) */
} eqlc_stats;

/* Fills the fields of `stats` that its struct_size covers. */
EQLC_API int eqlc_engine_get_stats(const eqlc_engine* engine, eqlc_stats* stats);

/* The same, and per rule, as a JSON object:
 *   {"events":..,...,"rules":[{"name":..,"alerts":..,"evicted_keys":..},..]}
 * A sequence or sample rule also has "stages": [{"passed":..,"started":..,"advanced":..,"replaced":..,
 * "expired":..,"until":..,"evicted":..,"dropped_at_finish":..,"kept":..},..] and "completed", "until_events",
 * "rejected_missing" (the per-stage counters of EngineStats::stages_by_query, eqlc/engine.hpp). Free it with eqlc_free; NULL when `engine` is NULL or memory ran out. */
EQLC_API char* eqlc_engine_stats_json(const eqlc_engine* engine);

/* ---- Snapshots: stop a stream and resume it later, in this process or another ---- */

/* The engine's whole state (pending sequences with the events they keep, counters) as bytes in *bytes (free them
 * with eqlc_free), *len long. */
EQLC_API int eqlc_engine_snapshot(eqlc_engine* engine, void** bytes, size_t* len);

/* Replaces the engine's state by a snapshot taken from an engine with the same rules and options.
 * EQLC_ERROR_STATE (state unchanged) when the bytes are not such a snapshot. */
EQLC_API int eqlc_engine_restore(eqlc_engine* engine, const void* bytes, size_t len);

/* ---- Events that are not JSON ---- */

/* An event built field by field, for an embedder holding events in its own structs. Fields are dotted paths
 * ("process.parent.name"); setting one again replaces it; arrays are built by one append per element. A bad field
 * name (empty, an empty segment as in "a..b") or value (a string that is not UTF-8, a number that is not finite)
 * makes the setter return EQLC_ERROR_INPUT and the event unusable: eqlc_engine_push_event refuses it, reported
 * as bad input with the first such message. Clear the builder to reuse it for the next event. */
typedef struct eqlc_event eqlc_event;

/* A builder whose eqlc_event_set_time writes `engine`'s timestamp field. NULL when `engine` is NULL. */
EQLC_API eqlc_event* eqlc_event_new(const eqlc_engine* engine);
EQLC_API void eqlc_event_free(eqlc_event* event);
EQLC_API void eqlc_event_clear(eqlc_event* event);

/* String values are `len` bytes of UTF-8, or NUL-terminated when `len` is EQLC_NUL_TERMINATED. */
#define EQLC_NUL_TERMINATED ((size_t)-1)
EQLC_API int eqlc_event_set_string(eqlc_event* event, const char* field, const char* value, size_t len);
EQLC_API int eqlc_event_set_int(eqlc_event* event, const char* field, int64_t value);
EQLC_API int eqlc_event_set_uint(eqlc_event* event, const char* field, uint64_t value);
EQLC_API int eqlc_event_set_double(eqlc_event* event, const char* field, double value);
EQLC_API int eqlc_event_set_bool(eqlc_event* event, const char* field, int value);
EQLC_API int eqlc_event_set_null(eqlc_event* event, const char* field);
EQLC_API int eqlc_event_append_string(eqlc_event* event, const char* field, const char* value, size_t len);
EQLC_API int eqlc_event_append_int(eqlc_event* event, const char* field, int64_t value);
EQLC_API int eqlc_event_append_uint(eqlc_event* event, const char* field, uint64_t value);
EQLC_API int eqlc_event_append_double(eqlc_event* event, const char* field, double value);
EQLC_API int eqlc_event_append_bool(eqlc_event* event, const char* field, int value);
EQLC_API int eqlc_event_append_null(eqlc_event* event, const char* field);
/* The field present with no values (not the same as absent). */
EQLC_API int eqlc_event_set_empty_array(eqlc_event* event, const char* field);
/* The event time in nanoseconds since 1970-01-01T00:00:00Z, written to the timestamp field (as ISO-8601 UTC). */
EQLC_API int eqlc_event_set_time(eqlc_event* event, int64_t nanos);

/* A field named once, for an embedder that maps the members of its own event struct to fields when it starts:
 * the _at setters take the number this returns (0 or more) instead of the name, and compare no name. Each call
 * gives a new number, so call it once per name. The number belongs to this builder and stays valid until it is
 * freed. EQLC_ERROR_INPUT when the name is unusable (the event
 * then has the error, as a setter would give it); EQLC_ERROR_ARGUMENT for a NULL builder or name. An _at setter
 * given a number this builder did not return gives EQLC_ERROR_ARGUMENT. */
EQLC_API int eqlc_event_field(eqlc_event* event, const char* field);
EQLC_API int eqlc_event_set_string_at(eqlc_event* event, int field, const char* value, size_t len);
EQLC_API int eqlc_event_set_int_at(eqlc_event* event, int field, int64_t value);
EQLC_API int eqlc_event_set_uint_at(eqlc_event* event, int field, uint64_t value);
EQLC_API int eqlc_event_set_double_at(eqlc_event* event, int field, double value);
EQLC_API int eqlc_event_set_bool_at(eqlc_event* event, int field, int value);
EQLC_API int eqlc_event_set_null_at(eqlc_event* event, int field);
EQLC_API int eqlc_event_append_string_at(eqlc_event* event, int field, const char* value, size_t len);
EQLC_API int eqlc_event_append_int_at(eqlc_event* event, int field, int64_t value);
EQLC_API int eqlc_event_append_uint_at(eqlc_event* event, int field, uint64_t value);
EQLC_API int eqlc_event_append_double_at(eqlc_event* event, int field, double value);
EQLC_API int eqlc_event_append_bool_at(eqlc_event* event, int field, int value);
EQLC_API int eqlc_event_append_null_at(eqlc_event* event, int field);
EQLC_API int eqlc_event_set_empty_array_at(eqlc_event* event, int field);

/* The first problem met since the last clear, or NULL when there is none. Owned by the builder. */
EQLC_API const char* eqlc_event_error(const eqlc_event* event);
/* The event as one line of JSON (what alerts show as its _source); free it with eqlc_free. */
EQLC_API char* eqlc_event_json(const eqlc_event* event);

/* Runs a built event: the same alerts as eqlc_engine_push_json of its JSON (eqlc_event_json), faster (the values go
 * to the rules as set, without reading JSON back; the line prefilter searches the JSON text of the values of the
 * fields the rules test with strings, so it skips what it would skip of that JSON, and also an event whose only
 * needle is in a key or in another field's value). EQLC_ERROR_INPUT when it cannot be used (a bad field, no usable
 * timestamp). */
EQLC_API int eqlc_engine_push_event(eqlc_engine* engine, const eqlc_event* event);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EQLC_EQLC_H */
