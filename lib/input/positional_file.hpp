// A plain (not gzip) regular file read by position, for the parallel reader: its input thread cuts the file into
// chunks of whole lines by looking only at the bytes around each cut, and each worker reads its own chunk (pread)
// just before it parses it. The text is then copied once, by the thread that parses it, and is still in that
// core's cache when it does; a thread that read everything for the others would copy each byte into memory the
// worker later fetches again.
//
// Byte counts follow NdjsonText's reads (see read()), as MappedFile's do. Unlike a mapping, the file is not fixed
// at its size when opened: at its apparent end, read() looks again, so a file that grows while it is read is read
// on, as NdjsonText reads it. A file that shrinks makes a later read_at() fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "eqlc/diagnostics.hpp"
#include "input/ndjson_text.hpp"

namespace eqlc::input {

// Counts the '\n' in `text`, stopping at the `limit`-th one; `after` is then the offset just after it in `text`
// (npos when there were fewer). The parallel reader counts a trial's lines with it, in memory or in a file's blocks.
size_t count_newlines(std::string_view text, size_t limit, size_t& after);

class PositionalFile {
public:
    static constexpr size_t npos = static_cast<size_t>(-1);

    // The file at `path`, or null when it is not a regular file with at least one byte or starts like gzip data
    // (when `detect_gzip`): the caller reads it as a stream instead. `name` is the input's name in messages.
    static std::unique_ptr<PositionalFile> open(const std::string& path, const std::string& name,
                                                bool detect_gzip = true);
    ~PositionalFile();
    PositionalFile(const PositionalFile&) = delete;
    PositionalFile& operator=(const PositionalFile&) = delete;

    // As MappedFile::read: the size of the next NdjsonText read of at most `capacity` bytes (0 at the end).
    size_t read(size_t capacity);
    uint64_t raw_bytes() const { return reads_.raw_bytes; }

    // The offset of the first (last) '\n' in the file's bytes [from, to), or npos when there is none or the bytes
    // cannot be read (failed() then tells why). One thread: they share a buffer.
    size_t find_first(size_t from, size_t to);
    size_t find_last(size_t from, size_t to);
    // Counts the '\n' in [from, to), stopping at the `limit`-th one; `after` is then the offset just after it
    // (npos when there were fewer). The count, or npos when the bytes cannot be read.
    size_t count_newlines(size_t from, size_t to, size_t limit, size_t& after);
    // The failure of the last search that could not read its bytes.
    const Diagnostic* failed() const { return failure_.message.empty() ? nullptr : &failure_; }

    // Reads the bytes [offset, offset + size) into `dst`; any thread at once. False, with `error`, when they cannot
    // all be read (an I/O error, or the file shrank).
    bool read_at(char* dst, size_t offset, size_t size, Diagnostic& error) const;

private:
    PositionalFile() = default;
    // The bytes [from, from + size) in buf_ (size at most kProbe), or false with failure_ set.
    bool probe(size_t from, size_t size);

    static constexpr size_t kProbe = 16 * 1024;  // a search reads this much at a time: a few lines of events
    static constexpr size_t kCountBlock = 256 * 1024;  // a count reads this much at a time
    int fd_ = -1;
    std::string name_;
    size_t size_ = 0;  // as last seen
    EmulatedReads reads_;
    std::unique_ptr<char[]> buf_;  // kCountBlock bytes
    Diagnostic failure_;
};

}  // namespace eqlc::input
