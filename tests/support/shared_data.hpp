// Access to ../shared (the conformance specs and the rule corpus). On a user's clone it is absent, and
// the tests that need it skip with a clear message instead of failing.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/files.hpp"  // read_text

namespace eqlc::test {

// The shared folder: the EQLC_SHARED_DIR environment variable when set (tests/run points it at a path that does
// not exist to check that every test skips cleanly without it), else the folder the build was configured with.
inline std::filesystem::path shared_root() {
    if (const char* env = std::getenv("EQLC_SHARED_DIR"); env && *env) return env;
    return EQLC_SHARED_DIR;
}

inline std::optional<std::filesystem::path> shared_path(const std::string& relative) {
    std::filesystem::path path = shared_root() / relative;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::nullopt;
    return path;
}

// Files in a directory with the given extension, sorted by name.
inline std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir, const std::string& extension) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.is_regular_file() && entry.path().extension() == extension) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace eqlc::test

// Skips the rest of a test case when ../shared is absent (as on a user's clone), saying so. The "SKIPPED:"
// warning is what ctest looks for (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt) to count the test as skipped.
#define EQLC_REQUIRE_SHARED(var, relative)                                                          \
    const auto var = ::eqlc::test::shared_path(relative);                                           \
    if (!var) {                                                                                     \
        WARN("SKIPPED: " << ::eqlc::test::shared_root().string() << "/" << relative                 \
                         << " is absent (../shared is only present in the development workspace)"); \
        return;                                                                                     \
    }
