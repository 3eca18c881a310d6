// State stores: a file written atomically, and the dispatch between a file path and a nats:// location.
#include "service/state_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "service/nats.hpp"

namespace eqlc::service {

namespace {

std::string os_error(const std::string& what, const std::string& path) {
    return "cannot " + what + " " + path + ": " + std::strerror(errno);
}

class FileStateStore final : public StateStore {
public:
    explicit FileStateStore(std::string path) : path_(std::move(path)) {}

    bool load(std::optional<std::string>& bytes, std::string& error) override {
        bytes.reset();
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) return true;  // no state yet: start fresh
            error = os_error("open state", path_);
            return false;
        }
        std::string data;
        char buffer[1 << 16];
        while (true) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n == 0) break;
            if (n < 0) {
                if (errno == EINTR) continue;
                error = os_error("read state", path_);
                ::close(fd);
                return false;
            }
            data.append(buffer, static_cast<size_t>(n));
        }
        ::close(fd);
        bytes = std::move(data);
        return true;
    }

    // Write a temporary file beside the target, sync it, rename it over the target, sync the folder: a crash
    // leaves the old state or the new one, never a mix.
    bool save(std::string_view bytes, std::string& error) override {
        const std::string temp = path_ + ".tmp";
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            error = os_error("create", temp);
            return false;
        }
        size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                error = os_error("write", temp);
                ::close(fd);
                ::unlink(temp.c_str());
                return false;
            }
            done += static_cast<size_t>(n);
        }
        if (::fsync(fd) != 0) {
            error = os_error("sync", temp);
            ::close(fd);
            ::unlink(temp.c_str());
            return false;
        }
        ::close(fd);
        if (::rename(temp.c_str(), path_.c_str()) != 0) {
            error = os_error("rename " + temp + " to", path_);
            ::unlink(temp.c_str());
            return false;
        }
        std::filesystem::path folder = std::filesystem::path(path_).parent_path();
        if (folder.empty()) folder = ".";
        const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
            ::fsync(dir);  // the rename itself durable; a folder that cannot be synced is not an error
            ::close(dir);
        }
        return true;
    }

    std::string name() const override { return path_; }

private:
    std::string path_;
};

}  // namespace

std::unique_ptr<StateStore> make_file_state_store(const std::string& path) {
    return std::make_unique<FileStateStore>(path);
}

std::unique_ptr<StateStore> open_state_store(const std::string& location, const Reporter& report, std::string& error) {
    if (!is_nats_location(location)) return make_file_state_store(location);
    NatsLocation parsed;
    if (!parse_nats_location(location, parsed, error)) return nullptr;
    return make_nats_state_store(parsed, report, error);
}

}  // namespace eqlc::service
