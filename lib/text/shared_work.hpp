// Work shared among threads: jobs 0..n-1, each independent of the others, run on the calling thread and up to three
// more when there are enough jobs to share (a rules folder's files, a thousand queries' parsing, the rule index's
// literal scans). Each job writes only its own result, so results keep the jobs' order whatever thread ran them.
// Not a text helper as such; it lives in the phase every other one depends on.
#pragma once

#include <cstddef>
#include <functional>

namespace eqlc::text {

// Runs job(i) for every i in [0, jobs), on min(hardware threads, 4, jobs / jobs_per_thread) threads (at least the
// caller's), and returns when all are done. `job` must not throw; when no more threads can be started, those
// started share the rest.
void share_work(size_t jobs, size_t jobs_per_thread, const std::function<void(size_t)>& job);

}  // namespace eqlc::text
