// A streaming NDJSON reader: one JSON object per line, from a file, stdin, a file descriptor or memory, plain or
// gzip-compressed (detected by its magic bytes, whatever the file name), projected line by line into
// EventRecords through a ProjectionPlan (see projection.hpp for how values map to slots).
//
//   auto opened = NdjsonReader::open("events.ndjson.gz", plan);
//   if (!opened) { report(opened.error); return; }
//   vm::EventRecord record;
//   while (opened.reader->next(record)) { ... }
//   if (auto failure = opened.reader->failure()) report(*failure);   // I/O error, corrupt gzip, strict stop
//   for (auto& bad : opened.reader->take_errors()) report(bad);      // malformed lines, the run went on
//
// Streaming: the input is read in chunks into one buffer that only grows to hold the longest line, so memory
// does not depend on the input size. Each line is parsed with simdjson's on-demand API, which walks only the
// members that lead to a referenced field and skips the rest; nothing is allocated per event once the buffers
// have grown (the record's vectors are reused as well).
//
// Lifetimes: a record's string values and `source` point into the reader's buffers (the line, or simdjson's
// string buffer for strings with escapes): they are valid until the next call to next(). `origin` (the input
// name) is valid as long as the reader lives. The ProjectionPlan must outlive the reader.
//
// Lines: '\n' ends a line, a '\r' before it is dropped, and a last line without '\n' counts. Empty or blank
// lines are skipped silently. A UTF-8 byte order mark at the start of the input is skipped. A bad line (not
// JSON, not an object, content after the object, invalid UTF-8, longer than max_line_bytes) is reported as a
// BadLine and skipped; with `strict`, reading stops there instead (failure() says why).
//
// One simdjson iterate() per line rather than iterate_many() over a chunk: a bad line must be reported with its
// number and skipped without losing its neighbours, and iterate_many gives up on the rest of a batch after an
// error (and would accept two objects on one line). Stage 1 still runs the CPU's best SIMD kernel.
//
// Validation: simdjson checks every line's UTF-8, strings and bracket nesting, and the values the projection
// reads. Values the projection skips are not parsed, so a malformed scalar in an unreferenced member
// ({"unused": tru}) goes unnoticed unless `validate` is set, which parses every value (slower; see
// bench/reader_bench.cpp). The engine does not set it: it checks in full only the events that reach a result
// (input/json_check.hpp, engine/query_runner.cpp). Objects and arrays nested deeper than kMaxJsonDepth (1000) along
// a path the projection reads (or anywhere, with `validate`) make the line bad; a number with a fraction or an
// exponent is read as the nearest double whatever its digit count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "input/line_filter.hpp"
#include "input/projection.hpp"
#include "values/value.hpp"

namespace eqlc::input {

struct ReaderOptions {
    size_t chunk_size = size_t{1} << 20;       // bytes read from the source at a time (the initial buffer size)
    size_t max_line_bytes = size_t{64} << 20;  // longer lines are reported as bad and skipped
    bool strict = false;                       // stop at the first bad line
    bool validate = false;                     // also parse the values the projection skips (full JSON check)
    bool keep_source = true;                   // point EventRecord::source at the line's text
    size_t max_kept_errors = 1000;             // bad lines kept for take_errors(); the others are only counted
    // Lines the filter says no query could match are not parsed: they are counted in skipped_events when they are
    // valid UTF-8 between '{' and '}', and parsed (and reported if bad) otherwise. Ignored with `validate`.
    const LineFilter* line_filter = nullptr;
    // False: keep the line filter whatever share of lines it lets through (a reader over a piece of an input whose
    // trial was decided elsewhere). True: drop it after its trial (see ReaderStats::line_filter_dropped).
    bool line_filter_trial = true;
    // The number of the input's first line: a reader over a later piece of an input numbers its lines from there.
    // A byte order mark is only skipped on line 1.
    uint64_t first_line = 1;
    // False: the input is plain text even when it starts with gzip's magic bytes (text already decompressed).
    bool detect_gzip = true;
};

struct ReaderStats {
    uint64_t lines = 0;                // lines seen, including blank and bad ones
    uint64_t events = 0;               // records produced by next()
    uint64_t skipped_events = 0;       // good lines the line filter let pass unprojected (not in `events`)
    uint64_t filter_candidates = 0;    // lines the line filter let through to be parsed, while it applied
    bool line_filter_dropped = false;  // the filter let more than 80% of the first 50,000 lines through and
                                       // was dropped (it would cost more than it saves)
    uint64_t blank_lines = 0;
    uint64_t bad_lines = 0;
    uint64_t errors_not_kept = 0;           // bad lines counted but not kept (beyond max_kept_errors)
    uint64_t events_without_timestamp = 0;  // only counted when the plan has a timestamp slot
    uint64_t bytes = 0;                     // NDJSON text read (after decompression)
    uint64_t input_bytes = 0;               // bytes read from the source (the compressed size for gzip)
};

// A line that could not be read as an event.
struct BadLine {
    std::string origin;     // the input's name
    uint64_t line = 0;      // 1-based
    Diagnostic diagnostic;  // phase input; span.begin.line is the line (saturated at 2^32-1), column best effort
    std::string excerpt;    // the start of the line (at most 200 bytes), to show with the message
};

class NdjsonReader {
public:
    struct OpenResult {
        std::unique_ptr<NdjsonReader> reader;  // set on success
        Diagnostic error;                      // on failure: phase input, e.g. "cannot open 'x': No such file ..."
        explicit operator bool() const { return reader != nullptr; }
    };

    // `path` "-" reads stdin (named "<stdin>"). Failing to open is an error value with the OS reason.
    static OpenResult open(const std::string& path, const ProjectionPlan& plan, const ReaderOptions& options = {});
    // Reads an already open descriptor (a pipe, a socket...); the reader does not close it.
    static std::unique_ptr<NdjsonReader> from_fd(int fd, std::string name, const ProjectionPlan& plan,
                                                 const ReaderOptions& options = {});
    // Reads text held in memory (plain or gzip bytes).
    static std::unique_ptr<NdjsonReader> from_string(std::string data, std::string name, const ProjectionPlan& plan,
                                                     const ReaderOptions& options = {});

    // Bytes that must be readable after the text given to from_view() (simdjson reads past a document's end).
    static const size_t kViewPadding;
    // Reads plain NDJSON text that the caller holds, without copying it: records' strings point into `text`
    // (or, for strings with escapes, into the reader as usual). `text` must stay valid while the records are
    // used and be followed by kViewPadding readable bytes. All of it is there at once, so `chunk_size` and
    // `max_line_bytes` do not apply (whoever cut the text is responsible for line lengths); `text` may end
    // without '\n'.
    // Lines of the line filter's trial: a filter that lets more than 80% of them through is dropped from the next
    // line on (the first kFilterTrialLines - 1 lines count; blank and bad lines too, lines too long not).
    static constexpr uint64_t kFilterTrialLines = 50'000;
    static bool filter_is_useless(uint64_t lines, uint64_t candidates) { return candidates * 10 > lines * 8; }

    // The text buffer's first capacity (chunk_size, at most max_line_bytes, at least 1 byte) and its growth when a
    // line does not fit (doubling, up to max_line_bytes, which must be at least 1). A caller that cuts the text into
    // lines itself (the parallel reader) reads with the same sizes, so that it reads as the reader does.
    static size_t first_buffer_size(const ReaderOptions& options) {
        return std::min(std::max<size_t>(options.chunk_size, 1), std::max<size_t>(options.max_line_bytes, 1));
    }
    static size_t grown_buffer_size(size_t capacity, size_t max_line_bytes) {
        return std::min(std::max(capacity * 2, capacity + 1), max_line_bytes);
    }

    static std::unique_ptr<NdjsonReader> from_view(std::string_view text, std::string name, const ProjectionPlan& plan,
                                                   const ReaderOptions& options = {});

    // A reader made by from_view() goes on with other text (the same rules as from_view; the previous text may be
    // gone): its parser, buffers and line filter (with its trial) are kept, so a caller that hands over events in
    // small pieces does not build a reader for each. Lines are numbered from `first_line`; stats() keep counting.
    void reset_view(std::string_view text, uint64_t first_line);

    // The message of the failure that a bad line on `line` gives in strict mode.
    static std::string strict_stop_message(const std::string& name, uint64_t line, const std::string& message);

    ~NdjsonReader();
    NdjsonReader(const NdjsonReader&) = delete;
    NdjsonReader& operator=(const NdjsonReader&) = delete;

    // Reads the next event into `out` (cleared first): its slots, timestamp, ordinal (0-based count of events
    // this reader produced), source, origin and line. False at the end of the input, or when reading stopped
    // (failure()).
    bool next(vm::EventRecord& out);

    const ReaderStats& stats() const;
    // The bad lines seen since the last call (at most max_kept_errors of them; stats() counts all).
    std::vector<BadLine> take_errors();
    // Why reading stopped before the end of the input: an I/O error, corrupt or truncated gzip data, or the
    // first bad line in strict mode (which take_errors() also returns).
    const std::optional<Diagnostic>& failure() const;
    // Why the last event read has no timestamp (None when it has one; Empty when the field is missing/null).
    TimestampError timestamp_error() const;
    // The slots present in the last event read, each once (in no particular order): with many rules the record has
    // hundreds of slots and an event a few dozen of them.
    std::span<const vm::SlotId> present_slots() const;

    const std::string& name() const;
    bool is_gzip() const;  // known once the first bytes are read

private:
    struct Impl;
    explicit NdjsonReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace eqlc::input
