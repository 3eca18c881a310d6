// Where alerts go: standard output, written as soon as they are final, without a system call per alert.
//
// Alerts are gathered in a buffer that is written when it holds 64 KiB, and by a background thread at most
// kFlushDelay after an alert was added to it: on a live stream an alert shows up at once, on a file the writes
// stay large. A failed write (a full disk, a closed pipe) is kept: failed() says so, later alerts are dropped,
// and a stop is requested (run_control.hpp), so that eqlc does not read on for nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace eqlc::cli {

class AlertOutput {
public:
    static constexpr auto kFlushDelay = std::chrono::milliseconds(50);
    static constexpr size_t kBufferBytes = size_t{64} << 10;

    explicit AlertOutput(int fd);
    ~AlertOutput();  // flushes
    AlertOutput(const AlertOutput&) = delete;
    AlertOutput& operator=(const AlertOutput&) = delete;

    void write(std::string_view alert);
    // Writes what is buffered; false when some write failed (now or before).
    bool flush();
    bool failed() const;
    int error() const;  // errno of the failed write

private:
    void write_buffer();  // with mutex_ held
    void flusher();

    const int fd_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::string buffer_;
    bool pending_ = false;  // the buffer holds alerts that the flusher has not yet been asked to write
    bool closing_ = false;
    int error_ = 0;
    std::thread thread_;
};

}  // namespace eqlc::cli
