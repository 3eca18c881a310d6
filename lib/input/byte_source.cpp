// Byte sources at work: TextSource's gzip detection and decompression, opening a file or stdin, and NdjsonText
// (ndjson_text.hpp), the decoded text of an input.
#include "input/byte_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "input/reader_errors.hpp"

namespace eqlc::input {

TextSource::~TextSource() {
    if (gzip_) inflateEnd(&zs_);
}

bool TextSource::read(char* dst, size_t capacity, size_t& got, std::string& error) {
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

bool TextSource::fill(std::string& error) {
    size_t got = 0;
    if (!raw_->read(in_.data(), in_.size(), got, error)) return false;
    raw_bytes_ += got;
    in_pos_ = 0;
    in_end_ = got;
    raw_eof_ = got == 0;
    return true;
}

bool TextSource::start(std::string& error) {
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

bool TextSource::inflate_into(char* dst, size_t capacity, size_t& got, std::string& error) {
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

std::unique_ptr<ByteSource> open_source(const std::string& path, std::string& name, Diagnostic& error) {
    if (path == "-") {
        name = "<stdin>";
        return std::make_unique<FdSource>(STDIN_FILENO, false);
    }
    name = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = input_error("cannot open '" + path + "': " + std::strerror(errno));
        return nullptr;
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        ::close(fd);
        error = read_error(path, std::strerror(EISDIR));
        return nullptr;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    return std::make_unique<FdSource>(fd, true);
}

// ---- NdjsonText ----------------------------------------------------------------------------------------------

struct NdjsonText::Impl {
    Impl(std::unique_ptr<ByteSource> raw, std::string name_) : source(std::move(raw)), name(std::move(name_)) {}
    TextSource source;
    std::string name;
};

NdjsonText::NdjsonText(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NdjsonText::~NdjsonText() = default;

NdjsonText::OpenResult NdjsonText::open(const std::string& path) {
    OpenResult result;
    std::string name;
    auto source = open_source(path, name, result.error);
    if (source) result.text.reset(new NdjsonText(std::make_unique<Impl>(std::move(source), name)));
    return result;
}

bool NdjsonText::read(char* dst, size_t capacity, size_t& got, Diagnostic& error) {
    std::string why;
    if (impl_->source.read(dst, capacity, got, why)) return true;
    error = read_error(impl_->name, why);
    return false;
}

uint64_t NdjsonText::raw_bytes() const { return impl_->source.raw_bytes(); }
const std::string& NdjsonText::name() const { return impl_->name; }

size_t EmulatedReads::read(size_t capacity, size_t size) {
    if (!started_) {
        // NdjsonText reads up to kDetectBytes first (a regular file gives them all) and hands them out first.
        started_ = true;
        prefix_end_ = std::min(NdjsonText::kDetectBytes, size);
        raw_bytes = prefix_end_;
    }
    size_t got = 0;
    if (position < prefix_end_) {
        got = std::min(capacity, prefix_end_ - position);
    } else {
        got = std::min(capacity, size - std::min(size, position));
        raw_bytes += got;
    }
    position += got;
    return got;
}

}  // namespace eqlc::input
