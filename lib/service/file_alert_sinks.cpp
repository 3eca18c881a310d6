// Alert sinks over file descriptors: standard output (or any descriptor) and an alerts file that is appended to,
// synced at each checkpoint and cut back to the checkpoint's length after a restart.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "service/alert_sink.hpp"

namespace eqlc::service {

namespace {

// Alerts are gathered and written in large pieces; this much is held before a write.
constexpr size_t kWriteBuffer = size_t{64} << 10;

class FdAlertSink : public AlertSink {
public:
    FdAlertSink(int fd, bool owned, std::string name) : fd_(fd), owned_(owned), name_(std::move(name)) {
        struct stat st {};
        regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
    }
    ~FdAlertSink() override {
        std::string ignored;
        write_out(ignored);
        if (owned_) ::close(fd_);
    }
    FdAlertSink(const FdAlertSink&) = delete;
    FdAlertSink& operator=(const FdAlertSink&) = delete;

    bool write(const Alert& alert, std::string& error) override {
        if (!failed_.empty()) {
            error = failed_;
            return false;
        }
        buffer_.append(alert.line);
        buffer_.push_back('\n');
        return buffer_.size() < kWriteBuffer || write_out(error);
    }

    bool flush(std::string& error) override {
        if (!write_out(error)) return false;
        // Only a file keeps what it was given; a pipe or a terminal has nothing to sync.
        if (regular_ && ::fdatasync(fd_) != 0) {
            failed_ = "cannot sync alerts to " + name_ + ": " + std::strerror(errno);
            error = failed_;
            return false;
        }
        return true;
    }

    std::string name() const override { return name_; }

protected:
    int fd() const { return fd_; }
    bool has_pending() const { return !buffer_.empty(); }

private:
    // Writes the buffer out. A failure (a reader gone: EPIPE with SIGPIPE ignored; a full disk) stays: the worker
    // stops on it, and nothing later is written after a gap.
    bool write_out(std::string& error) {
        if (!failed_.empty()) {
            error = failed_;
            return false;
        }
        size_t done = 0;
        while (done < buffer_.size()) {
            const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
            if (n >= 0) {
                done += static_cast<size_t>(n);
                continue;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {  // a non-blocking descriptor: wait until it takes more
                pollfd p{fd_, POLLOUT, 0};
                ::poll(&p, 1, -1);
                continue;
            }
            const int code = errno;
            failed_ = "cannot write alerts to " + name_ + ": " + std::strerror(code);
            if (code == EPIPE) failed_ += " (its reader went away)";
            buffer_.erase(0, done);
            error = failed_;
            return false;
        }
        buffer_.clear();
        return true;
    }

    int fd_;
    bool owned_;
    std::string name_;
    bool regular_ = false;
    std::string buffer_;
    std::string failed_;  // the first write error, given again for every later call
};

// An alerts file: appended to; its length after a flush is its position.
class FileAlertSink final : public FdAlertSink {
public:
    FileAlertSink(int fd, std::string path, Reporter report)
        : FdAlertSink(fd, true, path), path_(std::move(path)), report_(std::move(report)) {
        length_ = current_length();
    }

    bool flush(std::string& error) override {
        if (!FdAlertSink::flush(error)) return false;
        const int64_t length = current_length();
        if (length < 0) {
            error = "cannot stat " + path_ + ": " + std::strerror(errno);
            return false;
        }
        length_ = static_cast<uint64_t>(length);
        return true;
    }

    nlohmann::json position() const override { return {{"length", length_}}; }

    // Alerts written after the checkpoint came from events that are run again now: they are cut off, and the run
    // writes them again.
    bool restore(const nlohmann::json& position, std::string& error) override {
        if (position.is_null()) return true;
        if (!position.is_object() || !position.contains("length") || !position["length"].is_number_integer() ||
            position["length"].get<int64_t>() < 0) {
            error = "alerts file " + path_ + ": the checkpoint's position is not a file length: " + position.dump();
            return false;
        }
        if (has_pending()) {
            error = "alerts file " + path_ + ": restored after alerts were written";
            return false;
        }
        const auto wanted = position["length"].get<uint64_t>();
        const int64_t length = current_length();
        if (length < 0) {
            error = "cannot stat " + path_ + ": " + std::strerror(errno);
            return false;
        }
        const auto have = static_cast<uint64_t>(length);
        if (have < wanted) {
            error = "alerts file " + path_ + " is shorter than the checkpoint says (" + std::to_string(have) + " < " +
                    std::to_string(wanted) + "): it was changed by something else";
            return false;
        }
        if (have > wanted) {
            if (::ftruncate(fd(), static_cast<off_t>(wanted)) != 0 || ::fdatasync(fd()) != 0) {
                error = "cannot cut alerts file " + path_ + " back to " + std::to_string(wanted) +
                        " bytes: " + std::strerror(errno);
                return false;
            }
            if (report_)
                report_("alerts file " + path_ + ": cut back from " + std::to_string(have) + " to " +
                        std::to_string(wanted) + " bytes (the alerts after the checkpoint come again)");
        }
        length_ = wanted;
        return true;
    }

private:
    int64_t current_length() const {
        struct stat st {};
        if (::fstat(fd(), &st) != 0) return -1;
        return static_cast<int64_t>(st.st_size);
    }

    std::string path_;
    Reporter report_;
    uint64_t length_ = 0;
};

}  // namespace

std::unique_ptr<AlertSink> make_fd_alert_sink(int fd, std::string name) {
    return std::make_unique<FdAlertSink>(fd, false, std::move(name));
}

std::unique_ptr<AlertSink> make_file_alert_sink(const std::string& path, std::string& error, Reporter report) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = "cannot open alerts file " + path + ": " + std::strerror(errno);
        return nullptr;
    }
    return std::make_unique<FileAlertSink>(fd, path, std::move(report));
}

}  // namespace eqlc::service
