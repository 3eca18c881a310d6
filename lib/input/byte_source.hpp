// Byte sources: a file descriptor (a file, stdin, a pipe) or memory, and the NDJSON text over them, plain or
// gzip-decompressed. Internal to lib/input (the reader, and NdjsonText in ndjson_text.hpp).
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
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
    ~TextSource();
    TextSource(const TextSource&) = delete;
    TextSource& operator=(const TextSource&) = delete;

    bool is_gzip() const { return gzip_; }
    uint64_t raw_bytes() const { return raw_bytes_; }
    void never_gzip() { detect_gzip_ = false; }

    // Reads decoded text; got == 0 at the end. False on error.
    bool read(char* dst, size_t capacity, size_t& got, std::string& error);

private:
    static constexpr size_t kInputBufferSize = NdjsonText::kDetectBytes;

    bool fill(std::string& error);
    // Reads the first bytes and decides between plain text and gzip.
    bool start(std::string& error);
    bool inflate_into(char* dst, size_t capacity, size_t& got, std::string& error);

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
