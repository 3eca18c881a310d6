// Files as event sources: read once to the end, or followed as they grow (like `tail -F`).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "service/event_source.hpp"

namespace eqlc::service {

struct FileSourceOptions {
    // Keep reading as the file grows, until the worker stops: a file replaced by another at its path (rotated) is
    // read to its end, then the new one from its start; a file that shrinks (truncated) is read again from its
    // start. Without it, next() says `ended` at the end of the file.
    bool follow = false;
    std::chrono::milliseconds poll{100};  // how often a followed file is looked at when it has no new data
    // A line longer than this is reported and skipped rather than held in memory whole (tests set it lower).
    size_t max_line = size_t{64} << 20;
};

// PATH ("-" is standard input; gzip files are read decompressed, not followed). Batch lines are line numbers.
// The position is the file's identity (device, inode), the byte offset of the next unread line and its line number:
// restored on the same file (same identity, at least that long) reading goes on from there; on another file (a
// new day's file at the same path, or a file given in another run) it starts at the beginning.
std::unique_ptr<EventSource> make_file_source(const std::string& path, const FileSourceOptions& options,
                                              const Reporter& report, std::string& error);

}  // namespace eqlc::service
