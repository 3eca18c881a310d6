// A file as an event source: its lines cut from raw reads, with the byte offset and number of the next line kept
// for checkpoints; followed like `tail -F` (a rotated file read to its end and then the new one, a truncated file
// read again from its start), a gzip file decompressed, standard input or a pipe read as a stream.
#include "service/file_source.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "input/byte_source.hpp"

namespace eqlc::service {

namespace {

using Clock = std::chrono::steady_clock;

// Larger than the prefix TextSource reads to detect gzip, so that a read which does not fill the chunk leaves
// nothing buffered inside it (the poll on a stream would not see such bytes).
constexpr size_t kReadChunk = size_t{512} << 10;
constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

class FileSource final : public EventSource {
public:
    FileSource(std::string path, const FileSourceOptions& options, Reporter report)
        : path_(std::move(path)),
          name_(path_ == "-" ? "<stdin>" : path_),
          options_(options),
          report_(std::move(report)) {
        options_.max_line = std::max<size_t>(options_.max_line, 1);
        options_.poll = std::max(options_.poll, std::chrono::milliseconds(1));  // never a busy loop
    }
    ~FileSource() override { close_file(); }
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    // Opens the file for the first time. A followed path that does not exist yet is waited for.
    bool start(std::string& error) {
        if (path_ == "-") {
            adopt(STDIN_FILENO, false);
            return true;
        }
        if (!open_path()) {
            error = error_;
            return false;
        }
        return true;
    }

    Status next(EventBatch& batch, size_t max_events, std::chrono::milliseconds wait) override {
        if (!error_.empty()) return Status::failed;
        batch.origin = name_;
        const size_t limit = std::max<size_t>(max_events, 1);
        const Clock::time_point deadline = Clock::now() + wait;
        while (true) {
            cut_lines(batch, limit);
            if (batch.size() >= limit) return Status::events;
            if (at_end_) return batch.empty() ? Status::ended : Status::events;
            if (fd_ < 0) {  // followed, and the path is not there (yet, or again)
                if (!open_path()) return failed(batch);
                if (fd_ < 0) {
                    if (!pause(deadline)) return batch.empty() ? Status::idle : Status::events;
                    continue;
                }
            }
            const Read got = read_some(deadline);
            if (got == Read::failed) return failed(batch);
            if (got == Read::data) continue;
            if (got == Read::nothing) return batch.empty() ? Status::idle : Status::events;
            // The end of what the file holds now.
            if (!following()) {
                hand_out_rest(batch);
                at_end_ = true;
                continue;
            }
            if (!batch.empty()) return Status::events;
            const Change change = look_at_path();
            if (change == Change::failed) return failed(batch);
            if (change == Change::none) {
                if (!pause(deadline)) return Status::idle;
                continue;
            }
            if (change == Change::rotated) {
                // What was written to the old file between our last read and the rename is read before leaving it.
                const Read last = read_some(deadline);
                if (last == Read::failed) return failed(batch);
                if (last == Read::data) continue;
                hand_out_rest(batch);
                say(path_ + ": rotated, reading the new file");
                close_file();
                if (!open_path()) return failed(batch);
                continue;
            }
            hand_out_rest(batch);  // truncated
            say(path_ + ": truncated, reading from the start");
            if (::lseek(fd_, 0, SEEK_SET) < 0) {
                error_ = "cannot seek in " + path_ + ": " + std::strerror(errno);
                return failed(batch);
            }
            reset_to(0, 0);
        }
    }

    std::string error() const override { return error_; }

    nlohmann::json position() const override {
        return {{"path", path_}, {"dev", dev_}, {"ino", ino_}, {"offset", offset_}, {"line", line_}};
    }

    bool restore(const nlohmann::json& position, std::string& error) override {
        if (position.is_null()) return true;
        const auto number = [&](const char* key) {
            // Parsed JSON has unsigned numbers, a position built in memory may hold signed ones.
            return position.is_object() && position.contains(key) && position[key].is_number_integer() &&
                   position[key].get<int64_t>() >= 0;
        };
        if (!number("dev") || !number("ino") || !number("offset") || !number("line")) {
            error = name_ + ": the checkpoint's position is not a file position: " + position.dump();
            return false;
        }
        const auto dev = position["dev"].get<uint64_t>();
        const auto ino = position["ino"].get<uint64_t>();
        const auto offset = position["offset"].get<uint64_t>();
        const auto line = position["line"].get<uint64_t>();
        const std::string at = "line " + std::to_string(line + 1) + " (byte " + std::to_string(offset) + ")";
        if (kind_ == Kind::stream) {
            say(name_ + ": a stream cannot be positioned; the checkpoint was at " + at + ", reading from the start");
            return true;
        }
        if (fd_ < 0) {
            say(path_ + ": the checkpoint's file is gone; reading the file that comes at the path from its start");
            return true;
        }
        if (dev != dev_ || ino != ino_) {
            say(path_ + ": another file than the checkpoint's, reading it from the start");
            return true;
        }
        if (kind_ == Kind::gzip) {
            // The offset counts decompressed bytes: they are read again and dropped.
            reset_to(offset, line);
            skip_ = offset;
            say(path_ + ": continuing at " + at);
            return true;
        }
        struct stat st {};
        if (::fstat(fd_, &st) != 0) {
            error = "cannot stat " + path_ + ": " + std::strerror(errno);
            return false;
        }
        if (static_cast<uint64_t>(st.st_size) < offset) {
            say(path_ + ": shorter than at the checkpoint (" + std::to_string(st.st_size) + " < " +
                std::to_string(offset) + " bytes), reading it from the start");
            return true;
        }
        if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
            error = "cannot seek in " + path_ + ": " + std::strerror(errno);
            return false;
        }
        reset_to(offset, line);
        say(path_ + ": continuing at " + at);
        return true;
    }

    bool acknowledge(std::string&) override { return true; }
    std::string name() const override { return name_; }

private:
    enum class Kind { file, gzip, stream };
    enum class Read { data, end, nothing, failed };
    enum class Change { none, rotated, truncated, failed };

    // A fault after some lines were cut: they are handed out (the position covers them), the fault comes next.
    static Status failed(const EventBatch& batch) { return batch.empty() ? Status::failed : Status::events; }

    bool following() const { return options_.follow && kind_ == Kind::file; }

    void say(const std::string& message) const {
        if (report_) report_(message);
    }

    // Opens path_; in follow mode an absent path leaves fd_ at -1 (reported once) and is not an error.
    bool open_path() {
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT && options_.follow) {
                if (!waiting_reported_) say(path_ + ": does not exist yet, waiting for it");
                waiting_reported_ = true;
                return true;
            }
            error_ = "cannot open " + path_ + ": " + std::strerror(errno);
            return false;
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
            error_ = "cannot read " + path_ + ": " + std::strerror(S_ISDIR(st.st_mode) ? EISDIR : errno);
            ::close(fd);
            return false;
        }
        waiting_reported_ = false;
        adopt(fd, true);
        return true;
    }

    // Takes an open descriptor: a regular file read directly (gzip through zlib), anything else as a stream.
    void adopt(int fd, bool owned) {
        fd_ = fd;
        owns_fd_ = owned;
        struct stat st {};
        if (::fstat(fd, &st) == 0) {
            dev_ = static_cast<uint64_t>(st.st_dev);
            ino_ = static_cast<uint64_t>(st.st_ino);
        }
        kind_ = Kind::stream;
        if (fd != STDIN_FILENO && S_ISREG(st.st_mode)) {
            unsigned char magic[2] = {0, 0};
            const bool gzip = ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            kind_ = gzip ? Kind::gzip : Kind::file;
            if (gzip && options_.follow) say(path_ + ": a gzip file cannot be followed, reading it once");
        }
        text_.reset();
        if (kind_ != Kind::file)
            text_ = std::make_unique<input::TextSource>(std::make_unique<input::FdSource>(fd, false));
        reset_to(0, 0);
    }

    void close_file() {
        text_.reset();
        if (fd_ >= 0 && owns_fd_) ::close(fd_);
        fd_ = -1;
    }

    // The next line to cut starts at `offset` and is line `line` + 1; nothing is buffered.
    void reset_to(uint64_t offset, uint64_t line) {
        buffer_.clear();
        buffer_pos_ = 0;
        buffer_offset_ = offset;
        offset_ = offset;
        read_offset_ = offset;
        line_ = line;
        discarding_ = false;
        skip_ = 0;
    }

    // Appends the next bytes to the buffer. A stream waits for them until `deadline` (Read::nothing after it).
    Read read_some(Clock::time_point deadline) {
        if (kind_ == Kind::stream && !last_read_full_) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            pollfd p{fd_, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
            if (ready == 0) return Read::nothing;
            if (ready < 0 && errno != EINTR) {
                error_ = "cannot wait for " + name_ + ": " + std::strerror(errno);
                return Read::failed;
            }
            if (ready < 0) return Read::nothing;
        }
        if (buffer_pos_ > 0 && buffer_pos_ >= buffer_.size() / 2) {
            buffer_.erase(0, buffer_pos_);
            buffer_pos_ = 0;
        }
        const size_t old = buffer_.size();
        buffer_.resize(old + kReadChunk);
        size_t got = 0;
        if (text_) {
            std::string message;
            if (!text_->read(buffer_.data() + old, kReadChunk, got, message)) {
                buffer_.resize(old);
                error_ = "cannot read " + name_ + ": " + message;
                return Read::failed;
            }
        } else {
            while (true) {
                const ssize_t n = ::read(fd_, buffer_.data() + old, kReadChunk);
                if (n >= 0) {
                    got = static_cast<size_t>(n);
                    break;
                }
                if (errno == EINTR) continue;
                buffer_.resize(old);
                error_ = "cannot read " + name_ + ": " + std::strerror(errno);
                return Read::failed;
            }
        }
        buffer_.resize(old + got);
        last_read_full_ = got == kReadChunk;
        read_offset_ += got;
        if (skip_ > 0) {  // restoring a gzip file: drop what the checkpoint covers
            const size_t drop = static_cast<size_t>(std::min<uint64_t>(skip_, got));
            buffer_.erase(old, drop);
            skip_ -= drop;
            if (got > 0) return Read::data;
        }
        return got > 0 ? Read::data : Read::end;
    }

    // Cuts complete lines out of the buffer into `batch`, up to `limit` events.
    void cut_lines(EventBatch& batch, size_t limit) {
        while (batch.size() < limit && buffer_pos_ < buffer_.size()) {
            const char* begin = buffer_.data() + buffer_pos_;
            const size_t available = buffer_.size() - buffer_pos_;
            const auto* newline = static_cast<const char*>(std::memchr(begin, '\n', available));
            if (discarding_) {
                const size_t dropped = newline != nullptr ? static_cast<size_t>(newline - begin) + 1 : available;
                buffer_pos_ += dropped;
                buffer_offset_ += dropped;
                if (newline != nullptr) {
                    discarding_ = false;
                    ++line_;
                    offset_ = buffer_offset_;
                }
                continue;
            }
            if (newline == nullptr) {
                if (available > options_.max_line) start_discarding();
                return;
            }
            const auto length = static_cast<size_t>(newline - begin);
            take_line(batch, std::string_view(begin, length), length + 1);
        }
    }

    // The current line is too long to hold: it is reported and its bytes dropped up to its newline. The position
    // stays at its start, so a restart reads it again and skips it again rather than starting inside it.
    void start_discarding() {
        say(name_ + ":" + std::to_string(line_ + 1) + ": a line longer than " + std::to_string(options_.max_line) +
            " bytes, skipped");
        buffer_offset_ += buffer_.size() - buffer_pos_;
        buffer_.clear();
        buffer_pos_ = 0;
        discarding_ = true;
    }

    // One line out of the buffer (`consumed` bytes with its newline, if any): an event unless blank or too long.
    void take_line(EventBatch& batch, std::string_view text, size_t consumed) {
        const bool first = offset_ == 0;
        const uint64_t number = ++line_;
        buffer_pos_ += consumed;
        buffer_offset_ += consumed;
        offset_ = buffer_offset_;
        if (text.size() > options_.max_line) {
            say(name_ + ":" + std::to_string(number) + ": a line longer than " + std::to_string(options_.max_line) +
                " bytes, skipped");
            return;
        }
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (first && text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
        if (is_blank(text)) return;
        batch.add(text, number);
    }

    // The file ends (or is left) with a line that has no newline: it counts as a line.
    void hand_out_rest(EventBatch& batch) {
        if (discarding_) {
            discarding_ = false;
            buffer_offset_ += buffer_.size() - buffer_pos_;
            buffer_.clear();
            buffer_pos_ = 0;
            ++line_;
            offset_ = buffer_offset_;
            return;
        }
        const size_t available = buffer_.size() - buffer_pos_;
        if (available == 0) return;
        take_line(batch, std::string_view(buffer_.data() + buffer_pos_, available), available);
    }

    // At the end of a followed file: was it truncated (shorter than what we read) or replaced at its path?
    Change look_at_path() {
        struct stat open_file {};
        if (::fstat(fd_, &open_file) != 0) {
            error_ = "cannot stat " + path_ + ": " + std::strerror(errno);
            return Change::failed;
        }
        if (static_cast<uint64_t>(open_file.st_size) < read_offset_) return Change::truncated;
        struct stat at_path {};
        if (::stat(path_.c_str(), &at_path) != 0) return Change::none;  // moved away, the new one not there yet
        if (static_cast<uint64_t>(at_path.st_dev) != dev_ || static_cast<uint64_t>(at_path.st_ino) != ino_)
            return Change::rotated;
        return Change::none;
    }

    // Sleeps one poll interval (less when the deadline is nearer); false when the deadline has passed.
    bool pause(Clock::time_point deadline) const {
        const auto now = Clock::now();
        if (now >= deadline) return false;
        std::this_thread::sleep_for(std::min<Clock::duration>(options_.poll, deadline - now));
        return true;
    }

    std::string path_;
    std::string name_;
    FileSourceOptions options_;
    Reporter report_;
    std::string error_;

    int fd_ = -1;
    bool owns_fd_ = false;
    Kind kind_ = Kind::file;
    std::unique_ptr<input::TextSource> text_;  // gzip files and streams: the (decompressed) text
    uint64_t dev_ = 0;
    uint64_t ino_ = 0;
    bool waiting_reported_ = false;
    bool last_read_full_ = false;  // a stream may have more at once: read without polling
    bool at_end_ = false;          // not followed and read to the end: only the buffer is left

    std::string buffer_;          // bytes read and not cut yet, from buffer_pos_
    size_t buffer_pos_ = 0;       //
    uint64_t buffer_offset_ = 0;  // the file offset of buffer_[buffer_pos_]
    uint64_t read_offset_ = 0;    // bytes read from the file (decompressed for gzip)
    uint64_t offset_ = 0;         // the offset of the next line to hand out
    uint64_t line_ = 0;           // lines handed out or skipped before it
    bool discarding_ = false;     // inside a line too long to hold
    uint64_t skip_ = 0;           // decompressed bytes still to drop (a restored gzip file)
};

}  // namespace

std::unique_ptr<EventSource> make_file_source(const std::string& path, const FileSourceOptions& options,
                                              const Reporter& report, std::string& error) {
    auto source = std::make_unique<FileSource>(path, options, report);
    if (!source->start(error)) return nullptr;
    return source;
}

}  // namespace eqlc::service
