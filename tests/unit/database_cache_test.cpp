// The file cache of compiled Hyperscan databases behind the line prefilter (input/database_cache.hpp): a filter
// read from the cache lets through exactly the lines a compiled one does; a damaged or foreign file is not used
// (and is replaced); the cache can be turned off; small databases and old files are left out.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "input/database_cache.hpp"
#include "input/line_filter.hpp"
#include "support/files.hpp"

namespace fs = std::filesystem;
using eqlc::input::LineFilter;
using eqlc::input::LineScanner;
using eqlc::input::RequiredText;

namespace {

// Sets an environment variable for the scope (unset when `value` is null), then puts back what was there.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

// `count` terms, term i needing "anc<i>z" and then "oth<i>q" (every third one ignoring case): both of the filter's
// databases are large enough to be cached.
std::vector<RequiredText> terms(int count) {
    std::vector<RequiredText> out;
    for (int i = 0; i < count; ++i) {
        RequiredText r;
        const bool ci = i % 3 == 0;
        r.clauses.push_back({{"anc" + std::to_string(i) + "z", ci}});
        r.clauses.push_back({{"oth" + std::to_string(i) + "q", false}});
        out.push_back(std::move(r));
    }
    return out;
}

// Lines that must pass and lines that must not, for terms(count); the verdicts the filter gives.
std::vector<bool> verdicts(const LineFilter& filter, int count) {
    std::string text;
    for (int i = 0; i < count; i += 7) {
        const std::string n = std::to_string(i);
        text += R"({"a":"anc)" + n + R"(z","b":"oth)" + n + "q\"}\n";  // both: passes
        text += R"({"a":"ANC)" + n + R"(Z","b":"oth)" + n + "q\"}\n";  // passes when the anchor ignores case
        text += R"({"a":"anc)" + n + R"(z","b":"oth)" + n + "x\"}\n";  // second clause missing
        text += R"({"a":"anc)" + n + R"(y","b":"oth)" + n + "q\"}\n";  // anchor missing
    }
    LineScanner scanner(filter);
    scanner.scan(text.data(), text.size());
    std::vector<bool> out;
    for (size_t begin = 0; begin < text.size();) {
        const size_t end = text.find('\n', begin);
        out.push_back(scanner.may_match(text.data() + begin, end - begin));
        begin = end + 1;
    }
    return out;
}

std::vector<bool> expected(int count) {
    std::vector<bool> out;
    for (int i = 0; i < count; i += 7) {
        out.push_back(true);
        out.push_back(i % 3 == 0);
        out.push_back(false);
        out.push_back(false);
    }
    return out;
}

std::vector<fs::path> cached_files(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".hsdb") out.push_back(it->path());
    std::sort(out.begin(), out.end());
    return out;
}

ino_t inode(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
}

std::unique_ptr<LineFilter> make(const std::vector<RequiredText>& t) {
    std::string error;
    auto filter = LineFilter::create(t, &error);
    INFO(error);
    REQUIRE(filter);
    return filter;
}

}  // namespace

TEST_CASE("database cache: a cached filter passes the same lines as a compiled one", "[prefilter][cache]") {
    const int count = 300;
    const auto t = terms(count);
    std::vector<bool> compiled;
    {
        eqlc::test::TempDir home;
        ScopedEnv off("EQLC_CACHE_DIR", "");
        ScopedEnv xdg("XDG_CACHE_HOME", home.path().c_str());
        compiled = verdicts(*make(t), count);
        CHECK(cached_files(home.path() / "eqlc").empty());  // off: nothing written
    }
    CHECK(compiled == expected(count));

    eqlc::test::TempDir dir;
    ScopedEnv on("EQLC_CACHE_DIR", dir.path().c_str());
    CHECK(verdicts(*make(t), count) == compiled);
    const auto files = cached_files(dir.path());
    REQUIRE(files.size() == 2);  // the anchors' and the other needles'
    const ino_t first = inode(files[0]), second = inode(files[1]);

    // Read back, not rewritten: the same files.
    CHECK(verdicts(*make(t), count) == compiled);
    REQUIRE(cached_files(dir.path()) == files);
    CHECK(inode(files[0]) == first);
    CHECK(inode(files[1]) == second);

    SECTION("a damaged file is not used, and is written again") {
        for (const auto& file : files) {
            std::string bytes = eqlc::test::read_text(file);
            bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5A);
            dir.write(file.filename(), bytes);
        }
        CHECK(verdicts(*make(t), count) == compiled);
        CHECK(inode(files[0]) != first);
        // The new files are whole: read back as they are.
        const ino_t rewritten = inode(files[0]);
        CHECK(verdicts(*make(t), count) == compiled);
        CHECK(inode(files[0]) == rewritten);
    }
    SECTION("a file of other patterns under the name is not used") {
        const std::string a = eqlc::test::read_text(files[0]), b = eqlc::test::read_text(files[1]);
        dir.write(files[0].filename(), b);
        dir.write(files[1].filename(), a);
        CHECK(verdicts(*make(t), count) == compiled);
    }
    SECTION("a truncated file is not used") {
        for (const auto& file : files) {
            const std::string bytes = eqlc::test::read_text(file);
            dir.write(file.filename(), bytes.substr(0, bytes.size() - 9));
        }
        CHECK(verdicts(*make(t), count) == compiled);
    }
}

TEST_CASE("database cache: small databases are compiled, old files removed", "[prefilter][cache]") {
    eqlc::test::TempDir dir;
    ScopedEnv on("EQLC_CACHE_DIR", dir.path().c_str());
    const int few = 20;
    CHECK(verdicts(*make(terms(few)), few) == expected(few));
    CHECK(cached_files(dir.path()).empty());

    // Old files beyond the limit go when a new database is written.
    for (int i = 0; i < 20; ++i) {
        const fs::path old = dir.write("old" + std::to_string(i) + ".hsdb", "stale");
        fs::last_write_time(old, fs::file_time_type::clock::now() - std::chrono::hours(24 + i));
    }
    const int count = 300;
    CHECK(verdicts(*make(terms(count)), count) == expected(count));
    const auto files = cached_files(dir.path());
    CHECK(files.size() == eqlc::input::kCachedDatabasesMax);
    size_t old_left = 0;
    for (const auto& f : files) old_left += f.filename().string().starts_with("old") ? 1 : 0;
    CHECK(old_left == eqlc::input::kCachedDatabasesMax - 2);  // the two new files are kept
}

TEST_CASE("database cache: the folder comes from the environment", "[prefilter][cache]") {
    {
        ScopedEnv dir("EQLC_CACHE_DIR", "/some/where");
        CHECK(eqlc::input::database_cache_dir() == fs::path("/some/where"));
    }
    {
        ScopedEnv dir("EQLC_CACHE_DIR", "");
        CHECK_FALSE(eqlc::input::database_cache_dir());
    }
    {
        ScopedEnv dir("EQLC_CACHE_DIR", nullptr);
        ScopedEnv xdg("XDG_CACHE_HOME", "/x/cache");
        CHECK(eqlc::input::database_cache_dir() == fs::path("/x/cache/eqlc"));
        ScopedEnv no_xdg("XDG_CACHE_HOME", nullptr);
        ScopedEnv home("HOME", "/home/u");
        CHECK(eqlc::input::database_cache_dir() == fs::path("/home/u/.cache/eqlc"));
        ScopedEnv no_home("HOME", nullptr);
        CHECK_FALSE(eqlc::input::database_cache_dir());
    }
}
