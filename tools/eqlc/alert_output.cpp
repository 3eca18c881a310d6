#include "alert_output.hpp"

#include <unistd.h>

#include <cerrno>

#include "run_control.hpp"

namespace eqlc::cli {

AlertOutput::AlertOutput(int fd) : fd_(fd) {
    buffer_.reserve(kBufferBytes * 2);
    thread_ = std::thread([this] { flusher(); });
}

AlertOutput::~AlertOutput() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    wake_.notify_one();
    thread_.join();
    flush();
}

void AlertOutput::write(std::string_view alert) {
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (error_) return;
        buffer_ += alert;
        if (buffer_.size() >= kBufferBytes) {
            write_buffer();
        } else if (!pending_) {
            pending_ = wake = true;
        }
    }
    if (wake) wake_.notify_one();
}

bool AlertOutput::flush() {
    std::lock_guard lock(mutex_);
    write_buffer();
    return error_ == 0;
}

bool AlertOutput::failed() const {
    std::lock_guard lock(mutex_);
    return error_ != 0;
}

int AlertOutput::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

void AlertOutput::write_buffer() {
    size_t done = 0;
    while (error_ == 0 && done < buffer_.size()) {
        const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = n < 0 ? errno : EIO;
            request_stop();
            break;
        }
        done += static_cast<size_t>(n);
    }
    buffer_.clear();
    pending_ = false;
}

// Waits for a first alert in an empty buffer, gives the engine kFlushDelay to add the ones that follow it (the
// other results of the same event or batch), and writes them.
void AlertOutput::flusher() {
    std::unique_lock lock(mutex_);
    while (!closing_) {
        wake_.wait(lock, [&] { return pending_ || closing_; });
        if (closing_) break;
        wake_.wait_for(lock, kFlushDelay, [&] { return closing_; });
        if (pending_) write_buffer();
    }
}

}  // namespace eqlc::cli
