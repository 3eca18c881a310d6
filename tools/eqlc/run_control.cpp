#include "run_control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>
#include <vector>

namespace eqlc::cli {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
int g_wake[2] = {-1, -1};  // a pipe that becomes readable when a stop is requested (for the relay's poll)

static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) {
    int expected = 0;
    if (!g_signal.compare_exchange_strong(expected, sig)) ::_exit(128 + sig);  // the second one: at once
    request_stop();
}

}  // namespace

void request_stop() {
    if (g_stop.exchange(true)) return;
    if (g_wake[1] >= 0) {
        const char c = 1;
        (void)!::write(g_wake[1], &c, 1);
    }
}

const std::atomic<bool>& stop_flag() { return g_stop; }
int stop_signal() { return g_signal.load(); }

void install_stop_handlers() {
    if (g_wake[0] < 0 && ::pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) g_wake[0] = g_wake[1] = -1;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

// The relay: reads the original standard input (moved to another descriptor) and writes what it reads into a pipe
// that is now standard input, until the original ends or a stop is requested; then it closes the pipe.
struct StdinRelay::State {
    int source = -1;         // the original standard input
    int sink = -1;           // the write end of the pipe that is standard input now
    int quit[2] = {-1, -1};  // written by the destructor: the relay ends
    std::thread thread;

    void run() {
        std::vector<char> buffer(size_t{1} << 16);
        size_t have = 0, sent = 0;
        bool ended = false;
        while (!ended || sent < have) {
            const bool writing = sent < have;
            pollfd fds[3] = {{writing ? sink : source, static_cast<short>(writing ? POLLOUT : POLLIN), 0},
                             {quit[0], POLLIN, 0},
                             {g_wake[0], POLLIN, 0}};
            if (::poll(fds, g_wake[0] >= 0 ? 3 : 2, -1) < 0) {
                if (errno == EINTR) continue;
                break;
            }
            if (fds[1].revents != 0 || fds[2].revents != 0 || g_stop.load()) break;
            if (writing) {
                const ssize_t n = ::write(sink, buffer.data() + sent, have - sent);
                if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
                if (n < 0) break;  // nobody reads standard input any more
                sent += static_cast<size_t>(n);
                if (sent == have) sent = have = 0;
            } else {
                const ssize_t n = ::read(source, buffer.data(), buffer.size());
                if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
                if (n <= 0) {
                    // The end (or a read error, which reads as the end here as it would for the reader). An error
                    // is rare enough on a pipe that it is not worth a channel of its own.
                    ended = true;
                    continue;
                }
                have = static_cast<size_t>(n);
            }
        }
        ::close(sink);
        ::close(source);
        ::close(quit[0]);
    }
};

std::unique_ptr<StdinRelay> StdinRelay::start(std::string& error) {
    struct stat st {};
    if (::fstat(STDIN_FILENO, &st) != 0 || S_ISREG(st.st_mode)) return nullptr;
    auto state = std::make_unique<State>();
    int p[2];
    if (::pipe2(state->quit, O_CLOEXEC) != 0) {
        error = std::string("cannot relay standard input: ") + std::strerror(errno);
        return nullptr;
    }
    if (::pipe2(p, O_CLOEXEC) != 0) {
        error = std::string("cannot relay standard input: ") + std::strerror(errno);
        ::close(state->quit[0]);
        ::close(state->quit[1]);
        return nullptr;
    }
    (void)::fcntl(p[0], F_SETPIPE_SZ, 1 << 20);  // as large as the reader's chunks, when the system allows it
    state->source = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    if (state->source < 0 || ::dup2(p[0], STDIN_FILENO) < 0) {
        error = std::string("cannot relay standard input: ") + std::strerror(errno);
        if (state->source >= 0) ::close(state->source);
        for (int fd : {p[0], p[1], state->quit[0], state->quit[1]}) ::close(fd);
        return nullptr;
    }
    ::close(p[0]);
    state->sink = p[1];
    (void)::fcntl(state->sink, F_SETFL, ::fcntl(state->sink, F_GETFL) | O_NONBLOCK);
    state->thread = std::thread([s = state.get()] { s->run(); });
    return std::unique_ptr<StdinRelay>(new StdinRelay(std::move(state)));
}

StdinRelay::StdinRelay(std::unique_ptr<State> state) : state_(std::move(state)) {}

StdinRelay::~StdinRelay() {
    // The relay may still wait for input that nobody will read (reading stopped early): let it go.
    const char c = 1;
    (void)!::write(state_->quit[1], &c, 1);
    state_->thread.join();
    ::close(state_->quit[1]);
}

}  // namespace eqlc::cli
