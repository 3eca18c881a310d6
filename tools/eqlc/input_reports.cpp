#include "input_reports.hpp"

#include <iostream>

#include "eqlc/printable.hpp"

namespace eqlc::cli {

uint64_t input_problems(const EngineStats& stats) {
    return stats.bad_lines + stats.events_without_timestamp + stats.late_events;
}

void InputReports::start() {
    reported_ = 0;
    cut_ = false;
    origin_.clear();
}

void InputReports::report(const BadInput& bad) {
    ++reported_;
    if (origin_.empty()) origin_ = bad.origin;
    if (reported_ <= kLimit) {
        before_print_();
        std::cerr << printable(bad.origin) << ':' << bad.line << ": " << printable(bad.message) << '\n';
        return;
    }
    if (cut_) return;
    cut_ = true;
    before_print_();
    std::cerr << "eqlc: " << printable(bad.origin) << ": more bad lines are not reported (" << reported_
              << " so far); --stats gives the total\n";
}

void InputReports::end(const std::string& input, uint64_t problems) {
    if (!cut_ && problems <= reported_) return;
    const std::string name = printable(origin_.empty() ? (input == "-" ? "<stdin>" : input) : origin_);
    before_print_();
    if (!cut_)  // the engine's reports were cut before ours: the notice comes now
        std::cerr << "eqlc: " << name << ": more bad lines are not reported (" << problems
                  << " so far); --stats gives the total\n";
    const uint64_t shown = reported_ < kLimit ? reported_ : kLimit;
    std::cerr << "eqlc: " << name << ": " << problems << " bad lines in all, " << problems - shown
              << " of them not reported\n";
}

}  // namespace eqlc::cli
