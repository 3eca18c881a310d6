#include "eqlc/rule_loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>

#include "rules/toml_rule.hpp"
#include "text/shared_work.hpp"

namespace eqlc::rules {

namespace {

// Loads every path into files[i], on up to 4 threads when there are enough files to share (reading and parsing
// TOML is most of a large folder's start-up). Each file is loaded exactly as load_rule_file does; the results
// keep the order of `paths`, whatever thread loaded them.
std::vector<LoadResult> load_files(const std::vector<std::filesystem::path>& paths) {
    std::vector<LoadResult> files(paths.size());
    constexpr size_t kFilesPerThread = 32;
    text::share_work(paths.size(), kFilesPerThread, [&](size_t i) { files[i] = load_rule_file(paths[i]); });
    return files;
}

}  // namespace

std::string_view status_name(LoadStatus status) {
    switch (status) {
        case LoadStatus::loaded: return "loaded";
        case LoadStatus::unreadable: return "unreadable";
        case LoadStatus::malformed: return "malformed";
        case LoadStatus::missing_query: return "missing query";
        case LoadStatus::unsupported_language: return "unsupported language";
        case LoadStatus::invalid: return "invalid";
        case LoadStatus::duplicate_rule_id: return "duplicate rule_id";
        case LoadStatus::companion: return "companion";
    }
    return "unknown";
}

std::string LoadResult::reason() const {
    for (const Diagnostic& d : diagnostics)
        if (d.severity == Severity::error) return d.message;
    return {};
}

std::vector<const Rule*> FolderLoad::rules() const {
    std::vector<const Rule*> out;
    for (const LoadResult& file : files)
        if (file.rule) out.push_back(&*file.rule);
    return out;
}

size_t FolderLoad::loaded_count() const {
    return static_cast<size_t>(std::count_if(files.begin(), files.end(), [](const auto& f) { return f.ok(); }));
}

size_t FolderLoad::refused_count() const {
    return static_cast<size_t>(std::count_if(
        files.begin(), files.end(), [](const auto& f) { return f.refused(); }));
}

namespace {

Diagnostic file_error(std::string message, std::string hint = {}) {
    Diagnostic d;
    d.phase = Phase::rule;
    d.message = std::move(message);
    d.hint = std::move(hint);
    return d;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool is_rule_file(const std::filesystem::path& path) {
    const std::string ext = lower(path.extension().string());
    return (ext == ".toml" || ext == ".eql") && !is_rule_test_file(path);
}

bool is_toml(const std::filesystem::path& path) { return lower(path.extension().string()) == ".toml"; }

std::string_view trimmed(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

// The whole file behind `fd`, read straight into one string (`size_hint`: its size when known): one read for a
// rule file. Stops at an error, keeping what was read (as a stream copy did).
std::string read_all(int fd, size_t size_hint) {
    std::string text(size_hint, '\0');
    size_t used = 0;
    for (;;) {
        if (used == text.size()) text.resize(std::max<size_t>(2 * text.size(), 1 << 14));  // the file grew
        const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        used += static_cast<size_t>(n);
    }
    text.resize(used);
    return text;
}

LoadResult load_eql(std::shared_ptr<const std::string> text, const std::filesystem::path& path) {
    LoadResult result;
    result.path = path;
    result.source_text = text;
    Rule rule;
    rule.path = path;
    rule.format = RuleFormat::eql;
    rule.rule_id = path.stem().string();
    rule.name = rule.rule_id;
    rule.severity = "low";  // Kibana's defaults for a rule created without a severity
    rule.risk_score = 21;
    rule.query = *text;
    rule.query_location = QueryLocation::whole_text(*text);
    rule.source_text = text;
    if (trimmed(rule.query).empty()) {
        Diagnostic d = file_error("the rule file is empty: an .eql file holds one EQL query");
        result.status = LoadStatus::missing_query;
        result.diagnostics.push_back(std::move(d));
        return result;
    }
    result.status = LoadStatus::loaded;
    result.rule = std::move(rule);
    return result;
}

}  // namespace

LoadResult load_rule_text(std::string text, const std::filesystem::path& path, RuleFormat format) {
    auto shared = std::make_shared<const std::string>(std::move(text));
    if (format == RuleFormat::toml) return detail::load_toml_rule(std::move(shared), path);
    return load_eql(std::move(shared), path);
}

bool is_rule_test_file(const std::filesystem::path& path) {
    constexpr std::string_view kSuffix = ".test.toml";
    const std::string name = lower(path.filename().string());
    return name.size() > kSuffix.size() && name.ends_with(kSuffix);
}

LoadResult load_rule_file(const std::filesystem::path& path) {
    // open, fstat, read, close: system calls are most of the cost of reading a small file.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        if (fd >= 0) ::close(fd);
        LoadResult result;
        result.path = path;
        result.status = LoadStatus::unreadable;
        result.diagnostics.push_back(file_error("cannot read the rule file " + path.string()));
        return result;
    }
    const bool sized = S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size < (off_t{1} << 30);
    std::string text = read_all(fd, sized ? static_cast<size_t>(st.st_size) + 1 : 0);  // +1: sees the end at once
    ::close(fd);
    return load_rule_text(std::move(text), path, is_toml(path) ? RuleFormat::toml : RuleFormat::eql);
}

FolderLoad load_rule_folder(const std::filesystem::path& dir) {
    FolderLoad out;
    out.root = dir;
    std::error_code ec;
    std::vector<std::filesystem::path> paths;
    if (std::filesystem::is_regular_file(dir, ec)) {
        paths.push_back(dir);
    } else if (!std::filesystem::is_directory(dir, ec)) {
        out.diagnostics.push_back(file_error("no such rule folder: " + dir.string()));
        return out;
    } else {
        std::filesystem::recursive_directory_iterator it(
            dir, std::filesystem::directory_options::skip_permission_denied, ec);
        for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
            const std::filesystem::path& p = it->path();
            if (p.filename().string().starts_with(".")) {
                if (it->is_directory(ec)) it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file(ec) && is_rule_file(p)) paths.push_back(p);
        }
        if (ec)
            out.diagnostics.push_back(file_error("cannot list the rule folder " + dir.string() + ": " + ec.message()));
        std::sort(paths.begin(), paths.end());
    }

    // An .eql file that shares its folder and stem with a .toml file is that rule's query.
    std::map<std::filesystem::path, size_t> toml_by_stem;  // parent/stem -> index in out.files
    out.files = load_files(paths);
    for (size_t i = 0; i < paths.size(); ++i)
        if (is_toml(paths[i])) toml_by_stem[paths[i].parent_path() / paths[i].stem()] = i;
    for (LoadResult& file : out.files) {
        if (is_toml(file.path)) continue;
        auto it = toml_by_stem.find(file.path.parent_path() / file.path.stem());
        if (it == toml_by_stem.end()) continue;
        const LoadResult& toml = out.files[it->second];
        file.status = LoadStatus::companion;
        file.rule.reset();
        file.diagnostics.clear();
        if (toml.rule && trimmed(toml.rule->query) != trimmed(file.text())) {
            Diagnostic d = file_error("this query differs from the query in " + toml.path.filename().string() +
                                          ", which is the rule that runs",
                                      "keep the two in step, or rename one of them");
            d.severity = Severity::warning;
            file.diagnostics.push_back(std::move(d));
        }
    }

    // Alerts are told apart by rule_id, so two files may not share one.
    std::map<std::string, const LoadResult*> by_id;
    for (LoadResult& file : out.files) {
        if (!file.rule) continue;
        auto [it, inserted] = by_id.emplace(file.rule->rule_id, &file);
        if (inserted) continue;
        Diagnostic d = file_error("rule_id \"" + file.rule->rule_id + "\" is also the rule_id of " +
                                  it->second->path.string() + "; this file is not loaded");
        file.status = LoadStatus::duplicate_rule_id;
        file.rule.reset();
        file.diagnostics.push_back(std::move(d));
    }
    return out;
}

}  // namespace eqlc::rules
