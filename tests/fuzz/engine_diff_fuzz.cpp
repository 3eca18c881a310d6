// libFuzzer target: the engine gives the same matches and stats every way it can be run (push, read_ndjson on
// one or several threads, snapshot and restore, the line prefilter, sort_input over shuffled input); see
// engine_diff.hpp for the ways and the generator that turns the input into queries and events.
//
// EQLC_ENGINE_DIFF_DUMP=FILE: also write each input's generated case to FILE as JSON (run the target on one
// input to get a case for tests/fuzz/regressions/engine/).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "fuzz/engine_diff.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string scratch = "/dev/shm/eqlc-engine-fuzz-" + std::to_string(getpid()) + ".ndjson";
    const eqlc::fuzz::DiffCase diff_case = eqlc::fuzz::generate_case(data, size);
    if (const char* dump = std::getenv("EQLC_ENGINE_DIFF_DUMP")) {
        std::ofstream out(dump, std::ios::trunc);
        out << eqlc::fuzz::case_to_json(diff_case).dump(1) << '\n';
    }
    eqlc::fuzz::DiffRunner runner(diff_case, scratch);
    if (!runner.valid()) return -1;  // an invalid query set: not added to the corpus
    const std::string difference = runner.run();
    std::remove(scratch.c_str());
    if (!difference.empty()) {
        std::fprintf(stderr, "engine ways differ\n%s\ncase: %s\n", difference.c_str(),
                     eqlc::fuzz::case_to_json(diff_case).dump().c_str());
        std::abort();
    }
    return 0;
}
