#include "input/parallel_reader.hpp"

#include "input/mapped_file.hpp"
#include "input/ndjson_text.hpp"
#include "input/positional_file.hpp"
#include "input/reader_errors.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace eqlc::input {

namespace {

// One read's text: `capacity` bytes followed by the padding a reader over it needs. Shared by the chunks cut
// from it; its memory goes back to a pool when the last one is done (fresh pages would cost a page fault each).
struct Window {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
    // Or a view of the whole input, mapped (chunks' offsets are then file offsets).
    std::shared_ptr<input::MappedFile> file;
    // Or the whole input, read by position: the bytes are not in memory (bytes() is null) until a worker reads
    // its chunk's (chunks' offsets are file offsets).
    std::shared_ptr<input::PositionalFile> positional;
    const char* bytes() const { return file ? file->data() : data.get(); }
};

constexpr size_t kNone = input::PositionalFile::npos;

// The offset of the first (last) '\n' in the window's bytes [from, to), or kNone: none, or (read by position)
// the bytes could not be read, which positional->failed() then tells.
size_t first_newline(const Window& w, size_t from, size_t to) {
    if (w.positional) return w.positional->find_first(from, to);
    const char* d = w.bytes();
    const void* p = std::memchr(d + from, '\n', to - from);
    return p ? static_cast<size_t>(static_cast<const char*>(p) - d) : kNone;
}
size_t last_newline(const Window& w, size_t from, size_t to) {
    if (w.positional) return w.positional->find_last(from, to);
    const char* d = w.bytes();
    const void* p = memrchr(d + from, '\n', to - from);
    return p ? static_cast<size_t>(static_cast<const char*>(p) - d) : kNone;
}
// The '\n' in [from, to), counting up to `limit`; `after` is the offset just after the limit-th (kNone when
// fewer). kNone when the bytes could not be read.
size_t count_newlines(const Window& w, size_t from, size_t to, size_t limit, size_t& after) {
    if (w.positional) return w.positional->count_newlines(from, to, limit, after);
    const size_t count = input::count_newlines(std::string_view(w.bytes() + from, to - from), limit, after);
    if (after != kNone) after += from;
    return count;
}

// Makes the pages of fresh memory present in one call rather than one fault each (a fault costs microseconds on
// a virtual machine, and a window has hundreds of pages). Nothing happens where the call is not known.
void prefault(char* data, size_t size) {
#ifdef MADV_POPULATE_WRITE
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t from = (reinterpret_cast<uintptr_t>(data) + page - 1) & ~(page - 1);
    const uintptr_t to = (reinterpret_cast<uintptr_t>(data) + size) & ~(page - 1);
    if (to > from) (void)::madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE);
#else
    (void)data;
    (void)size;
#endif
}

struct WindowPool {
    static constexpr size_t kKept = 16;
    std::mutex mutex;
    size_t capacity = 0;  // of the buffers kept
    std::vector<std::unique_ptr<char[]>> free;

    static std::shared_ptr<Window> make(const std::shared_ptr<WindowPool>& pool, size_t capacity) {
        std::unique_ptr<char[]> data;
        {
            std::lock_guard lock(pool->mutex);
            if (pool->capacity != capacity) {
                pool->capacity = capacity;
                pool->free.clear();
            } else if (!pool->free.empty()) {
                data = std::move(pool->free.back());
                pool->free.pop_back();
            }
        }
        if (!data) {
            data.reset(new char[capacity + input::NdjsonReader::kViewPadding]);
            prefault(data.get(), capacity + input::NdjsonReader::kViewPadding);
        }
        std::memset(data.get() + capacity, 0, input::NdjsonReader::kViewPadding);
        return std::shared_ptr<Window>(new Window{std::move(data), capacity, nullptr, nullptr}, [pool](Window* w) {
            {
                std::lock_guard lock(pool->mutex);
                if (w->capacity == pool->capacity && pool->free.size() < kKept)
                    pool->free.push_back(std::move(w->data));
            }
            delete w;
        });
    }
};

enum class ChunkKind : uint8_t {
    lines,      // whole lines (the last one may lack its '\n' at the end of the input)
    long_line,  // the first max_line_bytes bytes of a line that is longer than that
    failure,    // reading failed here
    end,        // the end of the input
};

struct Chunk {
    uint64_t index = 0;
    ChunkKind kind = ChunkKind::end;
    std::shared_ptr<Window> window;
    size_t begin = 0;  // the chunk's text is window->data[begin, end)
    size_t end = 0;
    uint64_t bytes = 0;        // decoded bytes read from the input so far
    uint64_t input_bytes = 0;  // raw bytes read from the input so far
    bool filtered = true;      // the line filter applies (without its own trial: see Shared::trial)
    bool trial = false;        // its lines are lines of the filter's trial: the worker counts its candidates
    Diagnostic error;          // kind failure
};

// After a read brought the window's bytes [from, end): where its lines to hand out begin (after the rest of a
// line that was too long, when `skipping`, which is cleared once that line's end is found) and end (just after
// its last '\n'; 0 when it holds no complete line yet). With `skipping` still set, the whole window is dropped.
struct LineSpan {
    size_t begin = 0;
    size_t cut = 0;
};
// Offsets are relative to `base` in the window.
LineSpan whole_lines(const Window& w, size_t base, size_t from, size_t end, bool& skipping) {
    LineSpan span;
    if (skipping) {  // from == 0: nothing of the long line was kept
        const size_t newline = first_newline(w, base, base + end);
        if (newline == kNone) return span;
        skipping = false;
        span.begin = newline - base + 1;
    }
    const size_t search = std::max(from, span.begin);
    if (const size_t last = last_newline(w, base + search, base + end); last != kNone) span.cut = last - base + 1;
    return span;
}

bool inside(const char* p, const char* lo, const char* hi) {
    const auto x = reinterpret_cast<uintptr_t>(p);
    return x >= reinterpret_cast<uintptr_t>(lo) && x < reinterpret_cast<uintptr_t>(hi);
}

}  // namespace

struct ReadBatch::Internal {
    uint64_t index = 0;
    ChunkKind kind = ChunkKind::end;
    uint64_t lines = 0;              // lines of the chunk (the next chunk's first line follows them)
    bool strict_stop = false;        // the last bad line stopped reading
    std::shared_ptr<Window> window;  // the chunk's text, which the events point into
    size_t end = 0;                  // where the chunk's text ends in the window
};

ReadBatch::ReadBatch() : internal_(std::make_unique<Internal>()) {}
ReadBatch::~ReadBatch() = default;

void ReadBatch::clear() {
    events_.clear();
    slots_.clear();
    values_.clear();
    note_ids_.clear();
    note_words_.clear();
    text_.clear();
    bad_.clear();
    bad_lines_ = skipped_ = bytes_ = input_bytes_ = 0;
    failure_.reset();
    internal_->window.reset();
}

void ReadBatch::add(const vm::EventRecord& record, std::span<const vm::SlotId> present,
                    input::TimestampError timestamp_error, uint64_t skipped, const char* text_begin,
                    const char* text_end) {
    // Only the slots the event has (`present`, from the reader): with many rules most of the catalog's slots are
    // absent from any one event, and a dense copy (or a scan of them all) per event would cost in proportion to
    // the library.
    const size_t slots_begin = slots_.size();
    for (const vm::SlotId id : present)
        slots_.push_back(PresentSlot{id, record.slots[id].begin, record.slots[id].count});
    const size_t first = values_.size();
    // Strings with escapes are in the reader's parser (reused for the next line), strings the projection made
    // in the record's arena (reused for the next event): copied to the batch. The values are looked at where they
    // are, not read back from the batch after a bulk copy (loads that straddle fresh stores wait for them).
    for (const vm::Value& v : record.values) {
        if (v.type == vm::ValueType::string && v.length != 0 && !inside(v.chars, text_begin, text_end)) {
            values_.push_back(vm::Value::of_string(text_.store(v.str())));
        } else {
            values_.push_back(v);
        }
    }
    events_.push_back(Event{record.timestamp_ns, record.has_timestamp, timestamp_error, record.line, record.source,
                            first, record.values.size(), skipped, slots_begin, slots_.size() - slots_begin});
}

void ReadBatch::load(size_t i, vm::EventRecord& out, Loaded& loaded) const {
    const Event& e = events_[i];
    if (!loaded.valid || out.slots.size() != slot_count_ || out.slots_writer != &loaded) {
        out.slots.assign(slot_count_, vm::Slot{});
        out.slots_writer = &loaded;
        loaded.valid = true;
    } else {
        for (const vm::SlotId id : loaded.slots) out.slots[id] = vm::Slot{};
    }
    loaded.slots.clear();
    for (size_t k = e.slots_begin; k < e.slots_begin + e.slots_count; ++k) {
        out.slots[slots_[k].id] = vm::Slot{slots_[k].begin, slots_[k].count, true};
        loaded.slots.push_back(slots_[k].id);
    }
    out.values.assign(values_.begin() + static_cast<ptrdiff_t>(e.values_begin),
                      values_.begin() + static_cast<ptrdiff_t>(e.values_begin + e.values_count));
    out.timestamp_ns = e.timestamp_ns;
    out.has_timestamp = e.has_timestamp;
    out.ordinal = i;
    out.source = e.source;
    out.source_valid = false;
    out.origin = origin_;
    out.line = e.line;
    out.text.clear();
}

void ReadBatch::prefetch(size_t i) const {
    if (i >= events_.size()) return;
    const Event& e = events_[i];
    for (size_t k = e.values_begin; k < e.values_begin + e.values_count; ++k)
        if (values_[k].type == vm::ValueType::string && values_[k].length != 0) __builtin_prefetch(values_[k].chars);
}

struct ParallelReader::Shared {
    Shared(std::unique_ptr<input::NdjsonText> text_, const input::ProjectionPlan& plan_,
           const input::ReaderOptions& options_, size_t limit_)
        : text(std::move(text_)), name(text->name()), plan(plan_), options(options_), limit(limit_) {}

    std::unique_ptr<input::NdjsonText> text;  // the input thread's
    // A plain regular file, when asked, is mapped: the input thread then only cuts it (no copy), and the caller
    // gives back the pages of the batches it is done with.
    std::shared_ptr<Window> mapped;
    // Otherwise it is read by position: the input thread only cuts it, reading around the cuts, and each worker
    // reads its own chunk's text.
    std::shared_ptr<Window> positional;
    const std::string name;
    const input::ProjectionPlan& plan;  // only the workers use it (they are joined before the reader goes)
    const input::ReaderOptions options;
    const size_t limit;  // chunks in flight at most
    const EventNotes* notes = nullptr;

    std::mutex mutex;
    std::condition_variable space;  // the input thread waits for in_flight < limit
    std::condition_variable work;   // workers wait for chunks
    std::condition_variable ready;  // the caller waits for its batch
    std::deque<Chunk> todo;
    std::map<uint64_t, std::unique_ptr<ReadBatch>> done;
    std::vector<std::unique_ptr<ReadBatch>> free_batches;
    size_t in_flight = 0;  // chunks emitted and not yet released by the caller
    uint64_t emitted = 0;
    bool stop = false;
    bool reading = false;        // the input thread is in a read of the input (which may block: a pipe)
    bool input_waiting = false;  // the input thread waits for room
    static constexpr uint64_t kNobody = UINT64_MAX;
    uint64_t caller_waits_for = kNobody;  // the batch the caller waits for

    std::thread input_thread;
    std::vector<std::thread> workers;

    // The line filter's trial, which a sequential reader runs over the input's first lines before it decides
    // whether to keep the filter. The input thread counts the trial's lines (`trial` is false once decided, or
    // without a filter) and cuts a chunk where the decision applies; the workers, which apply the filter to the
    // trial's lines anyway, count the lines it lets through (ReaderStats::filter_candidates), so that no line is
    // scanned twice. The input thread waits for those counts before it hands out the lines after the decision.
    bool trial = false;
    std::shared_ptr<WindowPool> pool = std::make_shared<WindowPool>();  // co-owned by the windows
    uint64_t trial_lines = 0;
    uint64_t trial_chunks = 0;             // chunks of the trial's lines not yet parsed (under the mutex)
    uint64_t trial_candidates = 0;         // the lines of the trial's parsed chunks the filter let through (idem)
    std::condition_variable trial_parsed;  // the input thread waits for trial_chunks == 0
    bool filter_kept = true;

    // ---- The input thread ----

    // Hands a chunk to the workers once there is room; false when the reader is stopping.
    bool emit(Chunk&& chunk) {
        {
            std::unique_lock lock(mutex);
            if (in_flight >= limit) {
                // Wait until half the room is free, not for every chunk released: fewer wake-ups.
                input_waiting = true;
                space.wait(lock, [&] { return stop || in_flight <= limit / 2; });
                input_waiting = false;
            }
            if (stop) return false;
            chunk.index = emitted++;
            ++in_flight;
            trial_chunks += chunk.trial;
            todo.push_back(std::move(chunk));
        }
        work.notify_one();
        return true;
    }

    // One more line of the filter's trial; true when it is the line from which the decision applies (the
    // caller then cuts a chunk there and calls decide()).
    bool trial_line() {
        if (++trial_lines < input::NdjsonReader::kFilterTrialLines) return false;
        trial = false;
        return true;
    }

    // After the trial's last line: waits until the workers have counted the trial's candidates and decides
    // whether the filter stays; false when the reader is stopping.
    bool decide() {
        std::unique_lock lock(mutex);
        trial_parsed.wait(lock, [&] { return stop || trial_chunks == 0; });
        filter_kept = !input::NdjsonReader::filter_is_useless(trial_lines, trial_candidates);
        return !stop;
    }

    // Emits the whole lines window->data[begin, cut) (cut follows a '\n'): during the filter's trial, cut where
    // it is decided.
    bool emit_lines(const std::shared_ptr<Window>& window, size_t begin, size_t cut, uint64_t bytes) {
        if (trial) {
            // Most windows lie wholly before the decision: count their lines at once.
            size_t decision = kNone;  // where the line from which the decision applies begins
            const uint64_t left = input::NdjsonReader::kFilterTrialLines - trial_lines;  // lines, this one included
            const size_t lines = left == 1 ? 0 : count_newlines(*window, begin, cut, left - 1, decision);
            if (lines == kNone) return read_failed(*window, bytes);
            if (left == 1) decision = begin;
            if (decision == kNone || decision >= cut) {  // the decision comes after these lines
                trial_lines += lines;
                return emit_chunks(window, begin, cut, bytes, true, true);
            }
            trial_lines = input::NdjsonReader::kFilterTrialLines;
            trial = false;
            return emit_chunks(window, begin, decision, bytes, true, true) && decide() &&
                   emit_chunks(window, decision, cut, bytes, filter_kept, false);
        }
        return emit_chunks(window, begin, cut, bytes, filter_kept, false);
    }

    // Emits the whole lines window->data[begin, cut) as chunks of about kChunkTarget bytes (`trial`: lines of the
    // filter's trial).
    bool emit_chunks(const std::shared_ptr<Window>& window, size_t begin, size_t cut, uint64_t bytes, bool filtered,
                     bool in_trial) {
        while (begin < cut) {
            size_t end = cut;
            if (cut - begin > kChunkTarget) {
                size_t newline = last_newline(*window, begin, begin + kChunkTarget);
                if (newline == kNone) newline = first_newline(*window, begin + kChunkTarget, cut);
                if (newline == kNone) return read_failed(*window, bytes);  // cut follows a '\n': the bytes went away
                end = newline + 1;
            }
            Chunk c;
            c.kind = ChunkKind::lines;
            c.window = window;
            c.begin = begin;
            c.end = end;
            c.bytes = bytes;
            c.input_bytes = raw_bytes();
            c.filtered = filtered;
            c.trial = in_trial;
            if (window->file && end + input::NdjsonReader::kViewPadding > window->file->size()) owned_copy(c);
            if (!emit(std::move(c))) return false;
            begin = end;
        }
        return true;
    }

    uint64_t raw_bytes() const {
        if (mapped) return mapped->file->raw_bytes();
        return positional ? positional->positional->raw_bytes() : text->raw_bytes();
    }

    // A search of a window read by position could not read its bytes: the input fails there, as a read that
    // fails does. Returns false (the input thread stops).
    bool read_failed(const Window& window, uint64_t bytes) {
        Chunk c;
        c.kind = ChunkKind::failure;
        c.bytes = bytes;
        c.input_bytes = raw_bytes();
        const Diagnostic* failure = window.positional ? window.positional->failed() : nullptr;
        c.error = failure ? *failure : input::read_error(name, "the file changed while it was read");
        emit(std::move(c));
        return false;
    }

    // A chunk of the mapped file too close to its end for a reader's padding: its own copy, padded.
    void owned_copy(Chunk& c) {
        const size_t size = c.end - c.begin;
        auto own = WindowPool::make(pool, std::max(size, options.chunk_size));
        std::memcpy(own->data.get(), c.window->bytes() + c.begin, size);
        std::memset(own->data.get() + size, 0, std::min(own->capacity - size, input::NdjsonReader::kViewPadding));
        c.window = std::move(own);
        c.begin = 0;
        c.end = size;
    }

    // read_input over a file mapped or read by position: the same reads (MappedFile::read and PositionalFile::read
    // count them as NdjsonText::read would), windows and chunks, but a window is a range [base, base + end) of the
    // file, so nothing is copied here: only the bytes around each cut are looked at.
    void read_by_position(const std::shared_ptr<Window>& file) {
        const size_t max_line = std::max<size_t>(options.max_line_bytes, 1);
        size_t capacity = input::NdjsonReader::first_buffer_size(options);
        size_t base = 0;        // the window's start in the file
        size_t end = 0;         // file[base, base + end) holds the start of a line (no '\n')
        bool skipping = false;  // dropping the rest of a line that was too long
        uint64_t bytes = 0;
        auto chunk = [&](ChunkKind kind, size_t from_offset, size_t to_offset) {
            Chunk c;
            c.kind = kind;
            c.window = file;
            c.begin = from_offset;
            c.end = to_offset;
            c.bytes = bytes;
            c.input_bytes = raw_bytes();
            return c;
        };
        while (true) {
            {
                std::lock_guard lock(mutex);
                if (stop) return;
            }
            if (end == capacity) {
                if (capacity >= max_line) {
                    if (!emit(chunk(ChunkKind::long_line, base, base + end))) return;
                    base += end;
                    end = 0;
                    skipping = true;
                } else {
                    capacity = input::NdjsonReader::grown_buffer_size(capacity, max_line);
                }
            }
            const size_t got = file->file ? file->file->read(capacity - end) : file->positional->read(capacity - end);
            bytes += got;
            if (got == 0) {  // the end: a last line without '\n'
                if (end > 0 && !skipping) {
                    Chunk c = chunk(ChunkKind::lines, base, base + end);
                    c.filtered = filter_kept;
                    if (trial) {
                        c.trial = !trial_line();
                        if (!c.trial && !decide()) return;
                        c.filtered = filter_kept;
                    }
                    if (file->file) owned_copy(c);
                    if (!emit(std::move(c))) return;
                }
                emit(chunk(ChunkKind::end, 0, 0));
                return;
            }
            const size_t from = end;
            end += got;
            const LineSpan span = whole_lines(*file, base, from, end, skipping);
            if (file->positional && file->positional->failed()) {
                read_failed(*file, bytes);
                return;
            }
            if (skipping) {
                base += end;
                end = 0;
                continue;
            }
            if (span.cut == 0) {
                base += span.begin;
                end -= span.begin;
                continue;
            }
            if (!emit_lines(file, base + span.begin, base + span.cut, bytes)) return;
            base += span.cut;
            end -= span.cut;
        }
    }

    // Reads as an NdjsonReader refills its buffer: the same buffer capacity and growth (first_buffer_size,
    // grown_buffer_size), one source read per refill, the same handling of a line longer than max_line_bytes.
    void read_input() {
        if (mapped) return read_by_position(mapped);
        if (positional) return read_by_position(positional);
        const size_t max_line = std::max<size_t>(options.max_line_bytes, 1);
        size_t capacity = input::NdjsonReader::first_buffer_size(options);
        std::shared_ptr<Window> window = WindowPool::make(pool, capacity);
        size_t end = 0;         // window->data[0, end) holds the start of a line (no '\n')
        bool skipping = false;  // dropping the rest of a line that was too long
        uint64_t bytes = 0;
        auto chunk = [&](ChunkKind kind) {
            Chunk c;
            c.kind = kind;
            c.bytes = bytes;
            c.input_bytes = text->raw_bytes();
            return c;
        };
        while (true) {
            if (end == capacity) {
                if (capacity >= max_line) {
                    Chunk c = chunk(ChunkKind::long_line);
                    c.window = std::exchange(window, WindowPool::make(pool, capacity));
                    c.end = end;
                    if (!emit(std::move(c))) return;
                    end = 0;
                    skipping = true;
                } else {
                    const size_t grown = input::NdjsonReader::grown_buffer_size(capacity, max_line);
                    auto bigger = WindowPool::make(pool, grown);
                    std::memcpy(bigger->data.get(), window->data.get(), end);
                    window = std::move(bigger);
                    capacity = grown;
                }
            }
            size_t got = 0;
            Diagnostic error;
            {
                std::lock_guard lock(mutex);
                if (stop) return;
                reading = true;
            }
            const bool read = text->read(window->data.get() + end, capacity - end, got, error);
            {
                // A reader that went away while this thread was reading has let it go (see ~ParallelReader): it
                // must not touch anything but this shared state any more.
                std::lock_guard lock(mutex);
                reading = false;
                if (stop) return;
            }
            if (!read) {
                Chunk c = chunk(ChunkKind::failure);
                c.error = std::move(error);
                emit(std::move(c));
                return;
            }
            bytes += got;
            if (got == 0) {  // the end: a last line without '\n'
                if (end > 0 && !skipping) {
                    Chunk c = chunk(ChunkKind::lines);
                    c.filtered = filter_kept;
                    if (trial) {
                        c.trial = !trial_line();
                        if (!c.trial && !decide()) return;
                        c.filtered = filter_kept;
                    }
                    c.window = std::move(window);
                    c.end = end;
                    if (!emit(std::move(c))) return;
                }
                emit(chunk(ChunkKind::end));
                return;
            }
            const size_t from = end;
            end += got;
            char* data = window->data.get();
            // What a reader over a chunk may read past its end (simdjson's padding) must be initialised.
            std::memset(data + end, 0, std::min(capacity - end, input::NdjsonReader::kViewPadding));
            const LineSpan span = whole_lines(*window, 0, from, end, skipping);
            if (skipping) {
                end = 0;
                continue;
            }
            if (span.cut == 0) {
                if (span.begin > 0) {
                    std::memmove(data, data + span.begin, end - span.begin);
                    end -= span.begin;
                }
                continue;
            }
            auto next = WindowPool::make(pool, capacity);
            std::memcpy(next->data.get(), data + span.cut, end - span.cut);
            if (!emit_lines(window, span.begin, span.cut, bytes)) return;
            window = std::move(next);
            end -= span.cut;
        }
    }

    // ---- Workers ----

    void work_loop() {
        vm::EventRecord record;  // the worker's, reused: what it parses stays in its cache
        std::unique_ptr<EventNotes::Scratch> scratch = notes ? notes->make_scratch() : nullptr;
        bool ahead = true;  // the caller was not waiting for this worker's last batch
        while (true) {
            Chunk chunk;
            std::unique_ptr<ReadBatch> batch;
            {
                std::unique_lock lock(mutex);
                work.wait(lock, [&] { return stop || !todo.empty(); });
                if (stop) return;
                chunk = std::move(todo.front());
                todo.pop_front();
                if (!free_batches.empty()) {
                    batch = std::move(free_batches.back());
                    free_batches.pop_back();
                }
            }
            if (!batch) batch = std::make_unique<ReadBatch>();
            const uint64_t candidates = parse(chunk, *batch, record, scratch.get(), ahead);
            bool wanted = false;
            bool trial_done = false;
            {
                std::lock_guard lock(mutex);
                done.emplace(chunk.index, std::move(batch));
                wanted = caller_waits_for == chunk.index;
                ahead = !wanted;
                if (chunk.trial) {
                    trial_candidates += candidates;
                    trial_done = --trial_chunks == 0;
                }
            }
            if (wanted) ready.notify_one();
            if (trial_done) trial_parsed.notify_one();
        }
    }

    // Replaces `window` (a file read by position) with the chunk's text, read into a window of its own, padded for
    // the reader; the chunk's offsets become the window's.
    bool read_chunk(Chunk& chunk, std::shared_ptr<Window>& window, Diagnostic& error) {
        const size_t size = chunk.end - chunk.begin;
        auto own = WindowPool::make(pool, std::max(size, options.chunk_size));
        if (!window->positional->read_at(own->data.get(), chunk.begin, size, error)) return false;
        std::memset(own->data.get() + size, 0, std::min(own->capacity - size, input::NdjsonReader::kViewPadding));
        window = std::move(own);
        chunk.begin = 0;
        chunk.end = size;
        return true;
    }

    // Returns the lines the line filter let through (ReaderStats::filter_candidates).
    uint64_t parse(Chunk& chunk, ReadBatch& batch, vm::EventRecord& record, EventNotes::Scratch* scratch, bool ahead) {
        batch.clear();
        batch.slot_count_ = plan.slot_count();
        batch.origin_ = name;
        batch.bytes_ = chunk.bytes;
        batch.input_bytes_ = chunk.input_bytes;
        ReadBatch::Internal& in = *batch.internal_;
        in.index = chunk.index;
        in.kind = chunk.kind;
        in.lines = 0;
        in.strict_stop = false;
        in.window = std::move(chunk.window);

        if (chunk.kind == ChunkKind::failure) {
            batch.failure_ = std::move(chunk.error);
            return 0;
        }
        if (chunk.kind == ChunkKind::end) return 0;
        if (in.window->positional) {
            // The chunk's text, read here: it is in this core's cache when it is parsed.
            Diagnostic error;
            if (!read_chunk(chunk, in.window, error)) {
                in.kind = ChunkKind::failure;
                batch.failure_ = std::move(error);
                return 0;
            }
        }

        // Lines are numbered within the chunk. Only the input's first chunk starts at line 1, where a byte order
        // mark is skipped: the others are numbered from 2, and renumbered from 1 below.
        input::ReaderOptions chunk_options = options;
        chunk_options.first_line = chunk.index == 0 ? 1 : 2;
        if (!chunk.filtered) chunk_options.line_filter = nullptr;
        chunk_options.line_filter_trial = false;
        const uint64_t shift = chunk_options.first_line - 1;
        in.end = chunk.end;
        const char* lines = in.window->bytes() + chunk.begin;
        const size_t size = chunk.end - chunk.begin;
        std::unique_ptr<input::NdjsonReader> reader;
        if (chunk.kind == ChunkKind::lines) {
            reader = input::NdjsonReader::from_view(std::string_view(lines, size), name, plan, chunk_options);
        } else {
            // A reader with the same limits finds the line too long and reports it as the sequential one does.
            chunk_options.detect_gzip = false;
            reader = input::NdjsonReader::from_string(std::string(lines, size), name, plan, chunk_options);
        }
        while (true) {
            const bool got = reader->next(record);
            for (auto& bad : reader->take_errors()) {
                bad.line -= shift;
                batch.bad_.push_back(ReadBatch::Bad{std::move(bad), batch.events_.size()});
            }
            if (!got) break;
            record.line -= shift;
            const size_t notes_begin = batch.note_ids_.size();
            const size_t words_begin = batch.note_words_.size();
            const uint64_t bits =
                notes ? notes->note(record, *scratch, batch.note_ids_, batch.note_words_, ahead) : 0;
            batch.add(record, reader->present_slots(), reader->timestamp_error(), reader->stats().skipped_events, lines,
                      lines + size);
            ReadBatch::Event& added = batch.events_.back();
            added.note_bits = bits;
            added.notes_begin = static_cast<uint32_t>(notes_begin);
            added.notes_count = static_cast<uint32_t>(batch.note_ids_.size() - notes_begin);
            added.words_begin = static_cast<uint32_t>(words_begin);
            added.words_count = static_cast<uint32_t>(batch.note_words_.size() - words_begin);
        }
        batch.bad_lines_ = reader->stats().bad_lines;
        batch.skipped_ = reader->stats().skipped_events;
        in.lines = chunk.kind == ChunkKind::lines ? reader->stats().lines : 1;
        in.strict_stop = reader->failure().has_value();
        return reader->stats().filter_candidates;
    }
};

ParallelReader::OpenResult ParallelReader::open(const std::string& path, const input::ProjectionPlan& plan,
                                                unsigned threads, const input::ReaderOptions& options, bool map,
                                                const EventNotes* notes) {
    OpenResult result;
    auto opened = input::NdjsonText::open(path);
    if (!opened) {
        result.error = std::move(opened.error);
        return result;
    }
    threads = std::max(threads, 1u);
    std::unique_ptr<ParallelReader> reader(new ParallelReader());
    auto shared = std::make_shared<Shared>(std::move(opened.text), plan, options, size_t{4} * threads);
    if (auto file = map ? input::MappedFile::open(path, options.detect_gzip) : nullptr) {
        shared->mapped = std::make_shared<Window>();
        shared->mapped->file = std::move(file);
    } else if (auto by_position = input::PositionalFile::open(path, shared->name, options.detect_gzip)) {
        shared->positional = std::make_shared<Window>();
        shared->positional->positional = std::move(by_position);
    }
    shared->trial = options.line_filter && !options.validate && options.line_filter_trial;
    shared->notes = notes;
    reader->shared_ = shared;
    for (unsigned i = 0; i < threads; ++i) shared->workers.emplace_back([s = shared.get()] { s->work_loop(); });
    // The input thread co-owns the shared state: it may be blocked reading a pipe when the reader goes (see ~).
    shared->input_thread = std::thread([shared] { shared->read_input(); });
    result.reader = std::move(reader);
    return result;
}

ParallelReader::~ParallelReader() {
    Shared& s = *shared_;
    bool reading = false;
    {
        std::lock_guard lock(s.mutex);
        s.stop = true;
        reading = s.reading;
    }
    s.space.notify_all();
    s.work.notify_all();
    s.trial_parsed.notify_all();
    for (auto& w : s.workers) w.join();
    // A reader that stops early (strict mode) must not wait for input that may never come (a pipe whose writer
    // goes on): an input thread in a read is let go, and returns when the read does, touching nothing but the
    // shared state it co-owns. Otherwise it sees `stop` at once (the line filter it may use is still there).
    if (reading)
        s.input_thread.detach();
    else
        s.input_thread.join();
}

const std::string& ParallelReader::name() const { return shared_->name; }

void ParallelReader::release_current() {
    if (!current_) return;
    Shared& s = *shared_;
    // The text goes back to the allocator (or, mapped, its pages to the system), outside the lock.
    if (s.mapped && current_->internal_->window == s.mapped) {
        const size_t end = current_->internal_->end;
        if (end >= released_ + kReleaseStep) {
            s.mapped->file->release_before(end);
            released_ = end;
        }
    }
    current_->internal_->window.reset();
    bool wake = false;
    {
        std::lock_guard lock(s.mutex);
        s.free_batches.push_back(std::move(current_));
        --s.in_flight;
        wake = s.input_waiting && s.in_flight <= s.limit / 2;
    }
    if (wake) s.space.notify_one();
}

const ReadBatch* ParallelReader::next() {
    release_current();
    if (finished_) return nullptr;
    Shared& s = *shared_;
    {
        std::unique_lock lock(s.mutex);
        s.caller_waits_for = next_index_;
        s.ready.wait(lock, [&] { return s.done.count(next_index_) != 0; });
        s.caller_waits_for = Shared::kNobody;
        auto node = s.done.extract(next_index_);
        current_ = std::move(node.mapped());
    }
    ++next_index_;
    ReadBatch& batch = *current_;
    const ReadBatch::Internal& in = *batch.internal_;
    bytes_ = batch.bytes_;
    input_bytes_ = batch.input_bytes_;
    bad_lines_ += batch.bad_lines_;
    skipped_ += batch.skipped_;
    events_ += batch.events_.size();
    if (in.kind == ChunkKind::end) {
        finished_ = true;
        release_current();
        return nullptr;
    }
    for (auto& e : batch.events_) e.line += base_line_;
    for (auto& bad : batch.bad_) {
        input::BadLine& line = bad.line;
        line.line += base_line_;
        const auto line32 = static_cast<uint32_t>(std::min<uint64_t>(line.line, std::numeric_limits<uint32_t>::max()));
        line.diagnostic.span.begin.line = line32;
        line.diagnostic.span.end.line = line32;
    }
    base_line_ += in.lines;
    if (in.strict_stop && !batch.bad_.empty()) {
        const input::BadLine& last = batch.bad_.back().line;
        batch.failure_ = last.diagnostic;
        batch.failure_->message = input::NdjsonReader::strict_stop_message(s.name, last.line, last.diagnostic.message);
    }
    if (batch.failure_) finished_ = true;
    return current_.get();
}

}  // namespace eqlc::input
