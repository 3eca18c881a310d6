// The reports of input problems on standard error (Engine::on_bad_input): `FILE:LINE: message`, with the file
// name escaped for the terminal, at most kLimit per input. Past the limit, one notice says that the reports are
// cut; at the end of an input whose reports were cut, one line gives the total (--stats gives it as well).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "eqlc/engine.hpp"

namespace eqlc::cli {

class InputReports {
public:
    static constexpr uint64_t kLimit = 1000;

    // `before_print` is called before each line (the progress line clears itself).
    explicit InputReports(std::function<void()> before_print) : before_print_(std::move(before_print)) {}

    // A new input begins.
    void start();
    void report(const BadInput& bad);
    // The input ended (or reading stopped), having given `problems` reports in all: those the engine could not
    // pass on (the reader keeps at most 1,000 bad lines between two events) count too.
    void end(const std::string& input, uint64_t problems);

private:
    std::function<void()> before_print_;
    uint64_t reported_ = 0;  // reports of this input, printed or not
    bool cut_ = false;
    std::string origin_;  // the input's name in the engine's reports (the file name, "<stdin>")
};

// Input problems an engine reported so far: bad lines, events without a usable timestamp, late events.
uint64_t input_problems(const EngineStats& stats);

}  // namespace eqlc::cli
