// A plain (not gzip) regular file mapped into memory, for readers that cut it into lines without copying it
// (the engine's parallel reader). The pages already read can be handed back (release_before), so that the
// resident memory stays bounded however large the file is.
//
// It also counts bytes as NdjsonText::read would have read them, so that a caller that follows those reads sees
// the same byte counts (progress displays) as a reader that copies: see read().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "input/ndjson_text.hpp"

namespace eqlc::input {

class MappedFile {
public:
    // The file at `path` mapped, or null when it is not a regular file with at least one byte, starts like gzip
    // data (when `detect_gzip`), or cannot be mapped: the caller reads it instead.
    static std::unique_ptr<MappedFile> open(const std::string& path, bool detect_gzip = true);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    // The file as it was when it was opened.
    const char* data() const { return data_; }
    size_t size() const { return size_; }

    // The next `got` bytes (at most `capacity`), as one NdjsonText::read(dst, capacity) of this file would
    // give them: the first reads come from the 256 KiB it reads to detect gzip, the others from the file. 0 at
    // the end. raw_bytes() is then NdjsonText::raw_bytes().
    size_t read(size_t capacity);
    size_t position() const { return reads_.position; }
    uint64_t raw_bytes() const { return reads_.raw_bytes; }

    // The pages wholly before `offset` are no longer needed: the memory they take is given back (reading them
    // again would read the file again).
    void release_before(size_t offset);

private:
    MappedFile() = default;
    char* data_ = nullptr;
    size_t size_ = 0;
    size_t mapped_ = 0;  // the length given to mmap
    EmulatedReads reads_;
    size_t released_ = 0;  // page-aligned: [0, released_) given back
};

}  // namespace eqlc::input
