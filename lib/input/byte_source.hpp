// Byte sources: a file descriptor (a file, stdin, a pipe) or memory, and the NDJSON text over them, plain or
// gzip-decompressed. Internal to lib/input (the reader, and NdjsonText in ndjson_text.hpp).
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eqlc/diagnostics.hpp"
#include "input/ndjson_text.hpp"

namespace eqlc::input {

// Raw bytes. read() returns the number of bytes read, 0 at the end; false on error (with `error` set).
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual bool read(char* dst, size_t capacity, size_t& got, std::string& error) = 0;
};

class FdSource final : public ByteSource {
public:
    FdSource(int fd, bool owned) : fd_(fd), owned_(owned) {}
    ~FdSource() override {
        if (owned_) ::close(fd_);
    }
    bool read(char* dst, size_t capacity, size_t& got, std::string& error) override {
        while (true) {
            const ssize_t n = ::read(fd_, dst, capacity);
            if (n >= 0) {
                got = static_cast<size_t>(n);
                return true;
            }
            if (errno == EINTR) continue;
            error = std::strerror(errno);
            return false;
        }
    }

private:
    int fd_;
    bool owned_;
};

class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::string data) : data_(std::move(data)) {}
    bool read(char* dst, size_t capacity, size_t& got, std::string&) override {
        got = std::min(capacity, data_.size() - pos_);
        std::memcpy(dst, data_.data() + pos_, got);
        pos_ += got;
        return true;
    }

private:
    std::string data_;
    size_t pos_ = 0;
};

// The NDJSON text: the raw bytes, or their gzip decompression. Decided by the first two bytes (1f 8b).
class TextSource {
public:
    explicit TextSource(std::unique_ptr<ByteSource> raw) : raw_(std::move(raw)) {}
    ~TextSource() {
        if (gzip_) inflateEnd(&zs_);
    }
    TextSource(const TextSource&) = delete;
    TextSource& operator=(const TextSource&) = delete;

    bool is_gzip() const { return gzip_; }
    uint64_t raw_bytes() const { return raw_bytes_; }
    void never_gzip() { detect_gzip_ = false; }

    // Reads decoded text; got == 0 at the end. False on error.
    bool read(char* dst, size_t capacity, size_t& got, std::string& error) {
        got = 0;
        if (!started_ && !start(error)) return false;
        if (!gzip_) {
            if (in_pos_ < in_end_) {  // the bytes read to detect the format
                got = std::min(capacity, in_end_ - in_pos_);
                std::memcpy(dst, in_.data() + in_pos_, got);
                in_pos_ += got;
                return true;
            }
            if (!raw_->read(dst, capacity, got, error)) return false;
            raw_bytes_ += got;
            return true;
        }
        return inflate_into(dst, capacity, got, error);
    }

private:
    static constexpr size_t kInputBufferSize = NdjsonText::kDetectBytes;

    bool fill(std::string& error) {
        size_t got = 0;
        if (!raw_->read(in_.data(), in_.size(), got, error)) return false;
        raw_bytes_ += got;
        in_pos_ = 0;
        in_end_ = got;
        raw_eof_ = got == 0;
        return true;
    }

    bool start(std::string& error) {
        started_ = true;
        in_.resize(kInputBufferSize);
        // Read until two bytes are there (a pipe may deliver one at a time) or the input ends.
        while (in_end_ < 2) {
            size_t got = 0;
            if (!raw_->read(in_.data() + in_end_, in_.size() - in_end_, got, error)) return false;
            if (got == 0) break;
            raw_bytes_ += got;
            in_end_ += got;
        }
        gzip_ = detect_gzip_ && in_end_ >= 2 && static_cast<unsigned char>(in_[0]) == 0x1f &&
                static_cast<unsigned char>(in_[1]) == 0x8b;
        if (gzip_) {
            std::memset(&zs_, 0, sizeof zs_);
            if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
                gzip_ = false;
                error = "cannot initialise zlib";
                return false;
            }
        }
        return true;
    }

    bool inflate_into(char* dst, size_t capacity, size_t& got, std::string& error) {
        zs_.next_out = reinterpret_cast<Bytef*>(dst);
        zs_.avail_out = static_cast<uInt>(std::min<size_t>(capacity, std::numeric_limits<uInt>::max()));
        const uInt wanted = zs_.avail_out;
        while (zs_.avail_out == wanted) {
            if (in_pos_ == in_end_) {
                if (!raw_eof_ && !fill(error)) return false;
                if (in_pos_ == in_end_) {
                    if (member_ended_) break;  // a clean end after a complete gzip member
                    error = "unexpected end of gzip data (truncated file?)";
                    return false;
                }
            }
            if (member_ended_) {
                // Another member follows (concatenated .gz files): start over.
                inflateReset(&zs_);
                member_ended_ = false;
            }
            zs_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
            zs_.avail_in = static_cast<uInt>(in_end_ - in_pos_);
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            in_pos_ = in_end_ - zs_.avail_in;
            if (rc == Z_STREAM_END) {
                member_ended_ = true;
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                error = std::string("corrupt gzip data: ") + (zs_.msg != nullptr ? zs_.msg : zError(rc));
                return false;
            }
        }
        got = wanted - zs_.avail_out;
        return true;
    }

    std::unique_ptr<ByteSource> raw_;
    std::vector<char> in_;  // raw bytes: the detection prefix, then compressed input
    size_t in_pos_ = 0;
    size_t in_end_ = 0;
    bool started_ = false;
    bool gzip_ = false;
    bool raw_eof_ = false;
    bool member_ended_ = false;
    bool detect_gzip_ = true;
    uint64_t raw_bytes_ = 0;
    z_stream zs_{};
};

// Opens `path` ("-" is stdin) as NdjsonReader::open does: null with `error` set when it cannot.
std::unique_ptr<ByteSource> open_source(const std::string& path, std::string& name, Diagnostic& error);

}  // namespace eqlc::input
