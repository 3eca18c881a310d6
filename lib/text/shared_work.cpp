#include "text/shared_work.hpp"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

namespace eqlc::text {

void share_work(size_t jobs, size_t jobs_per_thread, const std::function<void(size_t)>& job) {
    constexpr size_t kMaxThreads = 4;
    const size_t threads = std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()), kMaxThreads,
                                             jobs / std::max<size_t>(1, jobs_per_thread)});
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < jobs;) job(i);
    };
    std::vector<std::thread> helpers;
    for (size_t t = 1; t < threads; ++t) {
        try {
            helpers.emplace_back(work);
        } catch (const std::system_error&) {
            break;  // no more threads: this one and those started share the rest
        }
    }
    work();
    for (auto& helper : helpers) helper.join();
}

}  // namespace eqlc::text
