#include "input/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace eqlc::input {

namespace {

size_t page_size() {
    static const size_t size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

}  // namespace

std::unique_ptr<MappedFile> MappedFile::open(const std::string& path, bool detect_gzip) {
    if (path == "-") return nullptr;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        ::close(fd);
        return nullptr;
    }
    const auto size = static_cast<size_t>(st.st_size);
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);  // the mapping keeps the file
    if (data == MAP_FAILED) return nullptr;
    std::unique_ptr<MappedFile> file(new MappedFile());
    file->data_ = static_cast<char*>(data);
    file->size_ = file->mapped_ = size;
    if (detect_gzip && size >= 2 && static_cast<unsigned char>(file->data_[0]) == 0x1f &&
        static_cast<unsigned char>(file->data_[1]) == 0x8b)
        return nullptr;  // unmapped by the destructor
    (void)::madvise(data, size, MADV_SEQUENTIAL);
    return file;
}

MappedFile::~MappedFile() {
    if (data_ != nullptr) ::munmap(data_, mapped_);
}

size_t MappedFile::read(size_t capacity) { return reads_.read(capacity, size_); }

void MappedFile::release_before(size_t offset) {
    const size_t page = page_size();
    const size_t upto = std::min(offset, size_) / page * page;
    if (upto <= released_) return;
    (void)::madvise(data_ + released_, upto - released_, MADV_DONTNEED);
    released_ = upto;
}

}  // namespace eqlc::input
