// A nats-server with JetStream for tests: a free loopback port, a temporary store, started and stopped by the
// test (and again on the same port and store, for failure tests), killed at the latest by the destructor.
//
//     EQLC_REQUIRE_NATS_SERVER();       // skips the test when nats-server is not installed
//     eqlc::test::NatsServer server;
//     REQUIRE(server.start());
//     server.url();                      // "nats://127.0.0.1:PORT"
//     server.stop(); server.start();     // same port, same store
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace eqlc::test {

inline const char* nats_server_path() {
    if (const char* env = std::getenv("EQLC_NATS_SERVER"); env && *env) return env;
    return "/usr/sbin/nats-server";
}

inline bool nats_server_available() { return ::access(nats_server_path(), X_OK) == 0; }

class NatsServer {
public:
    NatsServer() {
        std::random_device random;
        dir_ = std::filesystem::temp_directory_path() /
               ("eqlc-nats-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
        std::filesystem::create_directories(dir_);
    }
    ~NatsServer() {
        stop(true);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    NatsServer(const NatsServer&) = delete;
    NatsServer& operator=(const NatsServer&) = delete;

    // Starts the server (on the port of the previous start, if any) and waits until it accepts connections.
    bool start(std::chrono::seconds limit = std::chrono::seconds(10)) {
        if (pid_ > 0) return true;
        if (port_ == 0) port_ = free_port();
        if (port_ == 0) return false;
        const std::string port = std::to_string(port_);
        const std::string store = (dir_ / "store").string();
        const std::string log = (dir_ / "server.log").string();
        std::vector<std::string> args = {
            nats_server_path(), "-js", "-a", "127.0.0.1", "-p", port, "-sd", store, "-l", log};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid = 0;
        const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) return false;
        pid_ = pid;
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited (port taken?)
                pid_ = -1;
                return false;
            }
            if (accepts()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        stop(true);
        return false;
    }

    // Stops the server: SIGTERM (or SIGKILL with `kill`), then SIGKILL when it has not gone within 5 s.
    void stop(bool kill = false) {
        if (pid_ <= 0) return;
        ::kill(pid_, kill ? SIGKILL : SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() >= deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = -1;
    }

    bool running() const { return pid_ > 0; }
    uint16_t port() const { return port_; }
    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
    const std::filesystem::path& dir() const { return dir_; }  // the store and server.log are in it

private:
    // A port the kernel just gave out, so no other server is likely to hold it.
    static uint16_t free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return 0;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        socklen_t length = sizeof address;
        uint16_t port = 0;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
            port = ntohs(address.sin_port);
        ::close(fd);
        return port;
    }

    bool accepts() const {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return false;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port_);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(fd);
        return ok;
    }

    std::filesystem::path dir_;
    uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace eqlc::test

// Skips the rest of a test case when nats-server is absent; "SKIPPED:" is what ctest counts as a skip.
#define EQLC_REQUIRE_NATS_SERVER()                                                                         \
    if (!::eqlc::test::nats_server_available()) {                                                          \
        WARN("SKIPPED: nats-server not installed (" << ::eqlc::test::nats_server_path() << " is absent)"); \
        return;                                                                                            \
    }
