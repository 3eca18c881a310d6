// Opening a file or stdin as a byte source, and NdjsonText (ndjson_text.hpp), the decoded text of an input.
#include "input/byte_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "input/reader_errors.hpp"

namespace eqlc::input {

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

}  // namespace eqlc::input
