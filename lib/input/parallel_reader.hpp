// Reads one NDJSON input on several threads and hands back exactly what an NdjsonReader would have produced,
// in input order.
//
//   one input thread   reads the decoded text (input::NdjsonText: file or stdin, plain or gzip) the way
//                      NdjsonReader refills its buffer: the same read sizes, the same buffer growth up to
//                      max_line_bytes. A plain regular file is not read by this thread but by position
//                      (input::PositionalFile), or mapped (input::MappedFile) when asked: the thread then only
//                      cuts it, at the same places, looking at the bytes around each cut alone. The complete lines
//                      that one read brings are cut into chunks of about kChunkTarget bytes of whole lines. A line
//                      that does not fit in max_line_bytes is a chunk of its own (its first max_line_bytes bytes;
//                      the rest is skipped), so that a reader sees it as the sequential reader does. With a line
//                      filter (the prefilter), it also counts the lines of the filter's trial, cuts a chunk where
//                      the decision (keep or drop the filter) applies, and takes the decision from the lines the
//                      workers' readers let through in the trial's chunks (nothing is scanned twice); the workers'
//                      readers only apply it.
//   N worker threads   read a chunk's text when its file is read by position (so that the text is copied once,
//                      by the core that parses it, into its cache), and project the lines of each chunk through
//                      the ProjectionPlan (shared, read-only) with an NdjsonReader over the chunk (from_view: no
//                      copy) into a batch: the records' slots and values laid end to end, bad lines, counts.
//                      String values point into the chunk's text, which the batch keeps, or into the batch's arena
//                      (strings with escapes). A chunk that cannot be read (the file shrank) ends the input with
//                      that failure, as a read that fails does.
//   the caller         takes the batches back strictly in chunk order with next(), line numbers made global
//                      (line in the chunk + lines of the chunks before it), and loads each event into its own
//                      record (load()).
//
// Since chunks follow the sequential reader's reads, the byte counts a batch carries are the ones
// NdjsonReader::stats() shows while it hands out the same events (progress displays, a stop in the middle).
//
// Bounded memory: at most 4 * threads chunks are in flight (read and not yet released by the caller); the input
// thread waits (for half of that room, to wake up less often). Read buffers and batches are recycled.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "input/ndjson_reader.hpp"
#include "input/projection.hpp"
#include "values/value.hpp"

namespace eqlc::input {

// Work a caller wants done on each event beside its projection, on the worker threads, once per event: an engine
// notes which rule terms the event may match and its value bits (engine/parallel_replay.cpp), which its rule
// shards would otherwise each work out again. note() is called from every worker at once, each with a scratch of
// its own.
class EventNotes {
public:
    class Scratch {
    public:
        virtual ~Scratch() = default;
    };
    virtual ~EventNotes() = default;
    virtual std::unique_ptr<Scratch> make_scratch() const = 0;
    // Appends the event's ids to `ids` and any other facts it keeps to `words`, and returns its bits. `ahead`: the
    // workers are ahead of the caller (it was busy when the worker handed it its last batch), so a worker may take
    // on work the caller would otherwise do; when the caller waits for the workers, they do only what they must.
    virtual uint64_t note(const vm::EventRecord& event, Scratch& scratch, std::vector<uint32_t>& ids,
                          std::vector<uint64_t>& words, bool ahead) const = 0;
};

// One chunk's results.
class ReadBatch {
public:
    ReadBatch();
    ~ReadBatch();
    ReadBatch(const ReadBatch&) = delete;
    ReadBatch& operator=(const ReadBatch&) = delete;

    size_t events() const { return events_.size(); }
    // Fills `out` with event `i`: slots, values, timestamp, source, origin and line (the input's). Its strings
    // stay valid until the batch is released (the next call to ParallelReader::next()). `loaded` goes with `out`,
    // which must get events from load() alone while it is used: it remembers which slots the last load set, so
    // that the next one clears only those (a catalog may have hundreds of slots, an event a few dozen).
    struct Loaded {
        std::vector<vm::SlotId> slots;
        bool valid = false;  // false: clear every slot first
    };
    void load(size_t i, vm::EventRecord& out, Loaded& loaded) const;
    // Asks the CPU to fetch event i's string values into its cache, a few events before it is loaded: they are in
    // the chunk's text, which another thread parsed (its cache, or memory by now), and the rules read them.
    void prefetch(size_t i) const;
    // What the reader's EventNotes said of event i (empty and 0 without notes).
    std::span<const uint32_t> note_ids(size_t i) const {
        return std::span<const uint32_t>(note_ids_).subspan(events_[i].notes_begin, events_[i].notes_count);
    }
    uint64_t note_bits(size_t i) const { return events_[i].note_bits; }
    std::span<const uint64_t> note_words(size_t i) const {
        return std::span<const uint64_t>(note_words_).subspan(events_[i].words_begin, events_[i].words_count);
    }
    uint64_t line(size_t i) const { return events_[i].line; }
    std::string_view source(size_t i) const { return events_[i].source; }
    bool has_timestamp(size_t i) const { return events_[i].has_timestamp; }
    // Why event i has no timestamp (NdjsonReader::timestamp_error() after reading it).
    input::TimestampError timestamp_error(size_t i) const { return events_[i].timestamp_error; }
    // Lines the line filter let pass unparsed (NdjsonReader::stats().skipped_events) in the chunk, before event i
    // and in all.
    uint64_t skipped_before(size_t i) const { return events_[i].skipped_before; }
    uint64_t skipped() const { return skipped_; }

    struct Bad {
        input::BadLine line;       // line numbers global, as for events
        size_t events_before = 0;  // how many of this batch's events come before it in the input
    };
    // The bad lines kept, in input order: as NdjsonReader::take_errors() called after every event, at most
    // max_kept_errors between two events of the chunk (the caller applies the limit across chunks).
    const std::vector<Bad>& bad() const { return bad_; }
    uint64_t bad_lines() const { return bad_lines_; }  // all of them, kept or not

    // NdjsonReader::stats().bytes and .input_bytes while it hands out this chunk's events.
    uint64_t bytes() const { return bytes_; }
    uint64_t input_bytes() const { return input_bytes_; }

    // Set when reading stops with this batch, after its events and bad lines: an I/O error or corrupt gzip data,
    // or the first bad line in strict mode. The message is NdjsonReader::failure()'s.
    const std::optional<Diagnostic>& failure() const { return failure_; }

private:
    friend class ParallelReader;
    struct Event {
        int64_t timestamp_ns = 0;
        bool has_timestamp = false;
        input::TimestampError timestamp_error = input::TimestampError::None;
        uint64_t line = 0;
        std::string_view source;
        size_t values_begin = 0;  // in values_
        size_t values_count = 0;
        uint64_t skipped_before = 0;
        size_t slots_begin = 0;  // in slots_
        size_t slots_count = 0;
        uint64_t note_bits = 0;
        uint32_t notes_begin = 0;  // in note_ids_
        uint32_t notes_count = 0;
        uint32_t words_begin = 0;  // in note_words_
        uint32_t words_count = 0;
    };
    struct PresentSlot {
        vm::SlotId id = 0;
        uint32_t begin = 0;
        uint32_t count = 0;
    };
    void clear();
    void add(const vm::EventRecord& record, std::span<const vm::SlotId> present, input::TimestampError timestamp_error,
             uint64_t skipped, const char* text_begin, const char* text_end);

    size_t slot_count_ = 0;
    std::vector<Event> events_;
    std::vector<PresentSlot> slots_;  // each event's present slots
    std::vector<vm::Value> values_;   // each event's run
    std::vector<uint32_t> note_ids_;  // each event's EventNotes ids
    std::vector<uint64_t> note_words_;  // each event's EventNotes words
    vm::TextArena text_;              // strings that are not in the chunk's text
    std::string_view origin_;
    std::vector<Bad> bad_;
    uint64_t bad_lines_ = 0;
    uint64_t skipped_ = 0;
    uint64_t bytes_ = 0;
    uint64_t input_bytes_ = 0;
    std::optional<Diagnostic> failure_;

    struct Internal;
    std::unique_ptr<Internal> internal_;
};

class ParallelReader {
public:
    // Chunks are cut at a line end after about this many bytes (or at the end of a read).
    static constexpr size_t kChunkTarget = size_t{1} << 20;

    struct OpenResult {
        std::unique_ptr<ParallelReader> reader;  // set on success
        Diagnostic error;                        // NdjsonReader::open's error otherwise
        explicit operator bool() const { return reader != nullptr; }
    };

    // Opens `path` ("-" is stdin) and starts reading it on `threads` worker threads (at least 1) plus the input
    // thread. `options` are the sequential reader's (chunk_size, max_line_bytes, strict, validate, ...); the
    // plan must outlive the reader. With `map`, a plain regular file is mapped (input/mapped_file.hpp) rather
    // than read: the chunks are views of it, the same as the reads would have given.
    // With `notes` (which must outlive the reader), each event is also noted by it.
    static OpenResult open(const std::string& path, const input::ProjectionPlan& plan, unsigned threads,
                           const input::ReaderOptions& options = {}, bool map = true,
                           const EventNotes* notes = nullptr);

    // Stops the threads (reading may stop early: later chunks are discarded).
    ~ParallelReader();
    ParallelReader(const ParallelReader&) = delete;
    ParallelReader& operator=(const ParallelReader&) = delete;

    // The next batch in input order; null at the end of the input or after a batch with a failure. The batch
    // (and the memory its events point into) stays valid until the next call.
    const ReadBatch* next();

    const std::string& name() const;
    // Totals over the batches handed out so far (the whole input once next() returned null).
    uint64_t bytes() const { return bytes_; }
    uint64_t input_bytes() const { return input_bytes_; }
    uint64_t bad_lines() const { return bad_lines_; }
    uint64_t events() const { return events_; }
    uint64_t skipped() const { return skipped_; }

    struct Shared;

private:
    ParallelReader() = default;
    void release_current();

    std::shared_ptr<Shared> shared_;  // co-owned by the input thread, which may outlive the reader (see ~)
    std::unique_ptr<ReadBatch> current_;
    uint64_t next_index_ = 0;
    uint64_t base_line_ = 0;
    bool finished_ = false;
    uint64_t bytes_ = 0;
    uint64_t input_bytes_ = 0;
    uint64_t bad_lines_ = 0;
    uint64_t events_ = 0;
    uint64_t skipped_ = 0;
    // A mapped input: the pages of the batches released so far are given back every kReleaseStep bytes.
    static constexpr size_t kReleaseStep = size_t{32} << 20;
    size_t released_ = 0;
};

}  // namespace eqlc::input
