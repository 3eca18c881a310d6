// Compiling a large Hyperscan literal database once per set of patterns: the compiled database is kept in a file
// of the user's cache folder and read back by later runs with exactly the same patterns (the line prefilter of a
// big rule folder takes tens of milliseconds to compile and a millisecond to read).
//
// The folder is $EQLC_CACHE_DIR, else $XDG_CACHE_HOME/eqlc, else $HOME/.cache/eqlc; EQLC_CACHE_DIR set to an
// empty value turns the cache off. A file is used only when it holds the very same patterns, flags, Hyperscan
// version and CPU features, and its checksum holds; anything else (no folder, a file that cannot be read or
// written) just compiles. Small databases are always compiled: that is as fast as reading a file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

struct hs_database;

namespace eqlc::input {

struct LiteralPatterns {
    std::vector<const char*> patterns;
    std::vector<size_t> lengths;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    unsigned mode = 0;  // HS_MODE_*
};

// hs_compile_lit_multi over `set`, through the cache. Null with `error` set when Hyperscan refuses the patterns.
hs_database* compile_literals_cached(const LiteralPatterns& set, std::string* error);

// The cache folder as the environment gives it; nothing when the cache is off or there is no home folder.
std::optional<std::filesystem::path> database_cache_dir();

// Databases with fewer patterns than this are not cached.
inline constexpr size_t kCachedPatternsMin = 256;
// At most this many cached databases are kept: the oldest are removed when a new one is written.
inline constexpr size_t kCachedDatabasesMax = 16;

}  // namespace eqlc::input
