// Stopping a run before the end of its input: on SIGINT or SIGTERM, or when the alerts cannot be written.
//
// A stop request sets a flag that Engine::read_ndjson checks after every event (ReadOptions::stop). Standard input
// that can block (a pipe, a FIFO, a terminal, a socket) is read through a relay thread that ends the input when a
// stop is requested, so that a run waiting for events on a live stream stops at once. A second SIGINT/SIGTERM ends
// the process at once (for a blocking input given by name, which is not relayed). SIGPIPE is ignored: writing to
// a closed pipe is a write error (EPIPE) that eqlc reports.
#pragma once

#include <atomic>
#include <memory>
#include <string>

namespace eqlc::cli {

// Installs the signal handlers (SIGINT, SIGTERM: request a stop; SIGPIPE: ignored).
void install_stop_handlers();
// Asks the run to stop (async-signal-safe).
void request_stop();
// The flag that request_stop() sets.
const std::atomic<bool>& stop_flag();
// The signal that asked for the stop (SIGINT or SIGTERM), or 0.
int stop_signal();

// Relays standard input through a pipe when it is not a regular file, so that a stop ends it (see above).
class StdinRelay {
public:
    // Null when standard input is a regular file or closed (nothing to relay); `error` is set when it should be
    // relayed and cannot be.
    static std::unique_ptr<StdinRelay> start(std::string& error);
    ~StdinRelay();  // ends the relay (standard input then reads as ended)
    StdinRelay(const StdinRelay&) = delete;
    StdinRelay& operator=(const StdinRelay&) = delete;

    struct State;

private:
    explicit StdinRelay(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace eqlc::cli
