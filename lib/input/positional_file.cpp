#include "input/positional_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "input/reader_errors.hpp"

namespace eqlc::input {

std::unique_ptr<PositionalFile> PositionalFile::open(const std::string& path, const std::string& name,
                                                     bool detect_gzip) {
    if (path == "-") return nullptr;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    std::unique_ptr<PositionalFile> file(new PositionalFile());
    file->fd_ = fd;  // closed by the destructor from here on
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return nullptr;
    file->size_ = static_cast<size_t>(st.st_size);
    file->name_ = name;
    file->buf_ = std::make_unique<char[]>(kCountBlock);
    unsigned char magic[2] = {0, 0};
    if (detect_gzip && ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) return nullptr;
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return file;
}

PositionalFile::~PositionalFile() {
    if (fd_ >= 0) ::close(fd_);
}

size_t PositionalFile::read(size_t capacity) {
    if (reads_.position >= size_) {
        // At the end as last seen: a file that grew since is read on, as a stream read would.
        struct stat st {};
        if (::fstat(fd_, &st) == 0 && static_cast<size_t>(st.st_size) > size_) size_ = static_cast<size_t>(st.st_size);
    }
    return reads_.read(capacity, size_);
}

bool PositionalFile::read_at(char* dst, size_t offset, size_t size, Diagnostic& error) const {
    while (size > 0) {
        const ssize_t got = ::pread(fd_, dst, size, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            error = read_error(name_, got < 0 ? std::strerror(errno) : "the file shrank while it was read");
            return false;
        }
        dst += got;
        offset += static_cast<size_t>(got);
        size -= static_cast<size_t>(got);
    }
    return true;
}

bool PositionalFile::probe(size_t from, size_t size) { return read_at(buf_.get(), from, size, failure_); }

size_t PositionalFile::find_first(size_t from, size_t to) {
    for (size_t at = from; at < to;) {
        const size_t n = std::min(kProbe, to - at);
        if (!probe(at, n)) return npos;
        if (const void* newline = std::memchr(buf_.get(), '\n', n))
            return at + static_cast<size_t>(static_cast<const char*>(newline) - buf_.get());
        at += n;
    }
    return npos;
}

size_t PositionalFile::find_last(size_t from, size_t to) {
    for (size_t end = to; end > from;) {
        const size_t n = std::min(kProbe, end - from);
        if (!probe(end - n, n)) return npos;
        if (const void* newline = memrchr(buf_.get(), '\n', n))
            return end - n + static_cast<size_t>(static_cast<const char*>(newline) - buf_.get());
        end -= n;
    }
    return npos;
}

size_t count_newlines(std::string_view text, size_t limit, size_t& after) {
    after = PositionalFile::npos;
    size_t count = 0;
    for (size_t at = 0; count < limit;) {
        const size_t newline = text.find('\n', at);
        if (newline == std::string_view::npos) break;
        at = newline + 1;
        if (++count == limit) after = at;
    }
    return count;
}

size_t PositionalFile::count_newlines(size_t from, size_t to, size_t limit, size_t& after) {
    after = npos;
    size_t count = 0;
    for (size_t at = from; at < to && count < limit;) {
        const size_t n = std::min(kCountBlock, to - at);
        if (!probe(at, n)) return npos;
        size_t in_block = 0;
        count += input::count_newlines(std::string_view(buf_.get(), n), limit - count, in_block);
        if (in_block != npos) after = at + in_block;
        at += n;
    }
    return count;
}

}  // namespace eqlc::input
