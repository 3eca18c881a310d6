// The file cache of compiled Hyperscan literal databases (database_cache.hpp).
#include "input/database_cache.hpp"

#include <hs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>
#include <system_error>

namespace eqlc::input {

namespace {

constexpr std::string_view kMagic = "eqlc-hs1";  // file format version
constexpr size_t kFileMax = size_t{1} << 28;     // larger files are not read

uint64_t fnv1a(std::string_view bytes) {
    uint64_t h = 14695981039346656037ull;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h;
}

void put_u64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

bool get_u64(std::string_view& in, uint64_t& v) {
    if (in.size() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
    in.remove_prefix(8);
    return true;
}

// Everything the compiled database depends on: the patterns with their flags and ids, the mode, the Hyperscan
// version and the CPU it compiles for.
std::string key_of(const LiteralPatterns& set) {
    std::string key = "eqlc literal database\n";
    key += hs_version();
    key += '\n';
    hs_platform_info_t platform{};
    if (hs_populate_platform(&platform) != HS_SUCCESS) return {};
    put_u64(key, platform.tune);
    put_u64(key, platform.cpu_features);
    put_u64(key, set.mode);
    put_u64(key, set.patterns.size());
    for (size_t i = 0; i < set.patterns.size(); ++i) {
        put_u64(key, set.flags[i]);
        put_u64(key, set.ids[i]);
        put_u64(key, set.lengths[i]);
        key.append(set.patterns[i], set.lengths[i]);
    }
    return key;
}

std::string hex(uint64_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 0xF];
    return out;
}

hs_database* compile(const LiteralPatterns& set, std::string* error) {
    hs_database* db = nullptr;
    hs_compile_error_t* compile_error = nullptr;
    if (hs_compile_lit_multi(set.patterns.data(), set.flags.data(), set.ids.data(), set.lengths.data(),
                             static_cast<unsigned>(set.patterns.size()), set.mode, nullptr, &db,
                             &compile_error) != HS_SUCCESS) {
        if (error) *error = compile_error && compile_error->message ? compile_error->message : "hyperscan failed";
        hs_free_compile_error(compile_error);
        return nullptr;
    }
    return db;
}

// The database in `path` when the file holds `key`, is whole, and Hyperscan reads it.
hs_database* read_cached(const std::filesystem::path& path, const std::string& key) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return nullptr;
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size > kFileMax || size < kMagic.size() + 3 * 8) return nullptr;
    std::string file(static_cast<size_t>(size), '\0');
    if (!in.read(file.data(), static_cast<std::streamsize>(file.size()))) return nullptr;

    std::string_view rest(file);
    std::string_view sum_part(file.data(), file.size() - 8);
    if (!rest.starts_with(kMagic)) return nullptr;
    rest.remove_prefix(kMagic.size());
    uint64_t key_size = 0, db_size = 0, sum = 0;
    if (!get_u64(rest, key_size) || key_size > rest.size() || rest.substr(0, key_size) != key) return nullptr;
    rest.remove_prefix(key_size);
    if (!get_u64(rest, db_size) || db_size + 8 != rest.size()) return nullptr;
    const std::string_view db_bytes = rest.substr(0, db_size);
    rest.remove_prefix(db_size);
    if (!get_u64(rest, sum) || sum != fnv1a(sum_part)) return nullptr;

    hs_database* db = nullptr;
    if (hs_deserialize_database(db_bytes.data(), db_bytes.size(), &db) != HS_SUCCESS) return nullptr;
    return db;
}

// Keeps the newest kCachedDatabasesMax files of the folder.
void prune(const std::filesystem::path& dir) {
    std::error_code ec;
    std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> files;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".hsdb") files.emplace_back(it->last_write_time(ec), it->path());
    if (files.size() <= kCachedDatabasesMax) return;
    std::sort(files.begin(), files.end());
    for (size_t i = 0; i + kCachedDatabasesMax < files.size(); ++i) std::filesystem::remove(files[i].second, ec);
}

// Writes the database next to its final name and renames it there, so that a reader sees a whole file or none.
void write_cached(const std::filesystem::path& path, const std::string& key, const hs_database* db) {
    char* bytes = nullptr;
    size_t length = 0;
    if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) return;
    std::string file(kMagic);
    put_u64(file, key.size());
    file += key;
    put_u64(file, length);
    file.append(bytes, length);
    std::free(bytes);
    put_u64(file, fnv1a(file));

    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::filesystem::path temp = path;
    static std::atomic<unsigned> written{0};  // two threads of one process never share a temporary file
    temp += ".tmp" + std::to_string(::getpid()) + "." + std::to_string(written++);
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) return;
        out.write(file.data(), static_cast<std::streamsize>(file.size()));
        if (!out.flush()) {
            out.close();
            std::filesystem::remove(temp, ec);
            return;
        }
    }
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        return;
    }
    prune(path.parent_path());
}

}  // namespace

std::optional<std::filesystem::path> database_cache_dir() {
    if (const char* dir = std::getenv("EQLC_CACHE_DIR")) {
        if (*dir == '\0') return std::nullopt;
        return std::filesystem::path(dir);
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') return std::filesystem::path(xdg) / "eqlc";
    if (const char* home = std::getenv("HOME"); home && *home == '/')
        return std::filesystem::path(home) / ".cache" / "eqlc";
    return std::nullopt;
}

hs_database* compile_literals_cached(const LiteralPatterns& set, std::string* error) {
    if (set.patterns.size() < kCachedPatternsMin) return compile(set, error);
    const std::optional<std::filesystem::path> dir = database_cache_dir();
    const std::string key = dir ? key_of(set) : std::string();
    if (key.empty()) return compile(set, error);
    const std::filesystem::path path = *dir / (hex(fnv1a(key)) + ".hsdb");
    if (hs_database* db = read_cached(path, key)) {
        std::error_code ec;
        std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now(), ec);  // recently used
        return db;
    }
    hs_database* db = compile(set, error);
    if (db) write_cached(path, key, db);
    return db;
}

}  // namespace eqlc::input
