// eqlc_gen_ecs: a deterministic stream of ECS events shaped like what endpoints send to Elasticsearch, for measuring a
// whole rule library (bench/run-throughput) on realistic input rather than on a stream built around one rule.
//
//   eqlc_gen_ecs --events 200000 --hosts 300 --seed 7 --out events.ndjson [--rules DIR] [--hot-percent 2]
//
// What it writes:
//   * Sources in the proportions of a mixed Windows/Linux/macOS fleet: Elastic Defend (endpoint.events.*) on every
//     OS, Sysmon through the Windows integration (windows.sysmon_operational, with winlog.*), Windows security log
//     authentication (system.security), Linux auditd (auditd.log) and sshd/sudo (system.auth).
//   * Categories about process 35%, network 25%, file 20%, registry 10% (Windows), dns, library, authentication,
//     iam for the rest; ECS arrays where ECS has them (event.category, event.type, process.args, host.ip, ...).
//   * Sizes of 1-3 KB per event (Defend's real events carry agent, data_stream, ecs, elastic, host.os.*,
//     process.Ext.*, hashes and code signatures), @timestamp in millisecond steps with ties, event.ingested a
//     few seconds later (what detection-rules' timestamp_override reads), event.dataset, host.os.type.
//   * With --rules DIR (a folder of .toml/.eql rules, e.g. the detection-rules corpus), --hot-percent of the
//     events carry the string values one stage of some rule tests with ==, :, in, like (wildcards filled in),
//     so that rules evaluate deep and some of them fire. Without it, every value comes from the built-in
//     vocabulary below.
// The same arguments always give the same bytes (own PRNG, no std distributions, no clock).
// Shapes follow the Elastic Defend sample events of the endpoint package and the ECS field reference.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Json = nlohmann::ordered_json;

class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x1234567ull) {}
    uint64_t next() {  // splitmix64
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
    bool chance(double percent) { return static_cast<double>(below(1'000'000)) < percent * 10'000.0; }
    template <class C>
    const auto& pick(const C& c) {
        return c[below(c.size())];
    }
    std::string hex(size_t n) {
        static constexpr char kDigits[] = "0123456789abcdef";
        std::string out(n, '0');
        for (auto& c : out) c = kDigits[below(16)];
        return out;
    }

private:
    uint64_t state_;
};

// ---- Vocabulary ---------------------------------------------------------------------------------------------------

struct Program {
    const char* name;
    const char* executable;
    const char* args;  // after argv[0]
};

const std::vector<Program> kWindowsPrograms = {
    {"svchost.exe", "C:\\Windows\\System32\\svchost.exe", "-k netsvcs -p -s Schedule"},
    {"svchost.exe", "C:\\Windows\\System32\\svchost.exe", "-k LocalServiceNetworkRestricted -p"},
    {"cmd.exe", "C:\\Windows\\System32\\cmd.exe", "/c ipconfig /all"},
    {"powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "-NoProfile -ExecutionPolicy Bypass -File C:\\ops\\inventory.ps1"},
    {"explorer.exe", "C:\\Windows\\explorer.exe", ""},
    {"chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "--type=renderer --lang=en-US"},
    {"msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", "--single-argument"},
    {"conhost.exe", "C:\\Windows\\System32\\conhost.exe", "0xffffffff -ForceV1"},
    {"taskhostw.exe", "C:\\Windows\\System32\\taskhostw.exe", ""},
    {"rundll32.exe", "C:\\Windows\\System32\\rundll32.exe", "shell32.dll,Control_RunDLL"},
    {"OneDrive.exe", "C:\\Users\\alice\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe", "/background"},
    {"msiexec.exe", "C:\\Windows\\System32\\msiexec.exe", "/V"},
    {"git.exe", "C:\\Program Files\\Git\\cmd\\git.exe", "fetch --all"},
    {"Teams.exe", "C:\\Users\\bob\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe", "--system-initiated"},
    {"SearchIndexer.exe", "C:\\Windows\\System32\\SearchIndexer.exe", "/Embedding"},
    {"WmiPrvSE.exe", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe", "-secured -Embedding"},
    {"MsMpEng.exe", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2205.7-0\\MsMpEng.exe", ""},
    {"outlook.exe", "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", "/recycle"},
    {"winword.exe", "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", "/n"},
    {"lsass.exe", "C:\\Windows\\System32\\lsass.exe", ""},
    {"services.exe", "C:\\Windows\\System32\\services.exe", ""},
    {"wuauclt.exe", "C:\\Windows\\System32\\wuauclt.exe", "/RunHandlerComServer"},
};

const std::vector<Program> kLinuxPrograms = {
    {"bash", "/usr/bin/bash", "-c uptime"},
    {"sshd", "/usr/sbin/sshd", "-D -R"},
    {"python3", "/usr/bin/python3", "/opt/app/worker.py --queue default"},
    {"curl", "/usr/bin/curl", "-s https://repo.example.com/health"},
    {"systemd", "/usr/lib/systemd/systemd", "--user"},
    {"cron", "/usr/sbin/cron", "-f"},
    {"java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "-Xmx2g -jar /opt/app/service.jar"},
    {"node", "/usr/bin/node", "/srv/web/server.js"},
    {"sudo", "/usr/bin/sudo", "systemctl restart nginx"},
    {"dockerd", "/usr/bin/dockerd", "-H fd:// --containerd=/run/containerd/containerd.sock"},
    {"apt-get", "/usr/bin/apt-get", "-qq update"},
    {"ls", "/usr/bin/ls", "-la /var/log"},
    {"grep", "/usr/bin/grep", "-r error /var/log/syslog"},
    {"sh", "/usr/bin/sh", "-c /usr/lib/update-notifier/package-data-downloader"},
};

const std::vector<Program> kMacPrograms = {
    {"zsh", "/bin/zsh", "-l"},
    {"launchd", "/sbin/launchd", ""},
    {"mdworker_shared", "/System/Library/Frameworks/CoreServices.framework/mdworker_shared", "-s mdworker"},
    {"Google Chrome Helper", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome Helper", "--type=gpu"},
    {"softwareupdated", "/System/Library/PrivateFrameworks/SoftwareUpdate.framework/softwareupdated", ""},
    {"curl", "/usr/bin/curl", "-fsSL https://updates.example.com/feed"},
};

const std::vector<const char*> kUsers = {"alice", "bob", "carol", "dave", "erin", "svc_backup", "SYSTEM", "root"};
const std::vector<const char*> kDomains = {"CORP", "NT AUTHORITY", "CORP", "WORKGROUP"};
const std::vector<int> kPorts = {443, 443, 443, 80, 53, 445, 3389, 5985, 88, 389, 135, 8080, 22, 49667, 8443};
const std::vector<const char*> kDnsNames = {
    "login.microsoftonline.com", "www.google.com",  "repo.example.com",           "github.com",
    "update.googleapis.com",     "api.slack.com",   "corp-dc01.corp.example.com", "ocsp.digicert.com",
    "s3.amazonaws.com",          "time.windows.com"};
const std::vector<const char*> kRegistryKeys = {
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\W32Time\\Parameters",
    "HKU\\S-1-5-21-1004336348-1177238915-682003330-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer",
    "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender",
    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa",
    "HKU\\S-1-5-21-1004336348-1177238915-682003330-1001\\Software\\Microsoft\\Office\\16.0\\Common"};
const std::vector<const char*> kWindowsDirs = {
    "C:\\Users\\alice\\Documents", "C:\\Users\\bob\\AppData\\Local\\Temp",
    "C:\\Windows\\Temp",           "C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs",
    "C:\\Windows\\Prefetch",       "C:\\Users\\carol\\Downloads"};
const std::vector<const char*> kLinuxDirs = {"/var/log",   "/tmp",          "/home/alice",
                                             "/etc/nginx", "/opt/app/data", "/var/lib/docker/overlay2"};
const std::vector<const char*> kExtensions = {"txt", "docx", "tmp", "log", "dll", "pf", "json", "conf", "xlsx"};
const std::vector<const char*> kDlls = {"C:\\Windows\\System32\\ntdll.dll",    "C:\\Windows\\System32\\kernel32.dll",
                                        "C:\\Windows\\System32\\advapi32.dll", "C:\\Windows\\System32\\wininet.dll",
                                        "C:\\Windows\\System32\\amsi.dll",     "C:\\Windows\\System32\\crypt32.dll"};
const std::vector<const char*> kLinuxLibs = {"/usr/lib/x86_64-linux-gnu/libc.so.6",
                                             "/usr/lib/x86_64-linux-gnu/libssl.so.3",
                                             "/usr/lib/x86_64-linux-gnu/libpam.so.0"};

// ---- Hosts --------------------------------------------------------------------------------------------------------

enum class Os : uint8_t { windows, linux, macos };

struct Host {
    Os os;
    std::string id, name, ip, mac, agent_id;
};

std::vector<Host> make_hosts(size_t n, Rng& rng) {
    std::vector<Host> hosts;
    for (size_t i = 0; i < n; ++i) {
        Host h;
        const uint64_t r = rng.below(100);
        h.os = r < 60 ? Os::windows : r < 90 ? Os::linux : Os::macos;
        h.id = rng.hex(32);
        h.agent_id = rng.hex(8) + "-" + rng.hex(4) + "-" + rng.hex(4) + "-" + rng.hex(4) + "-" + rng.hex(12);
        const char* prefix = h.os == Os::windows ? "WIN-" : h.os == Os::linux ? "lnx-" : "mac-";
        h.name = prefix + rng.hex(6);
        h.ip = "10." + std::to_string(rng.below(8)) + "." + std::to_string(rng.below(256)) + "." +
               std::to_string(1 + rng.below(254));
        h.mac =
            rng.hex(2) + "-" + rng.hex(2) + "-" + rng.hex(2) + "-" + rng.hex(2) + "-" + rng.hex(2) + "-" + rng.hex(2);
        hosts.push_back(std::move(h));
    }
    return hosts;
}

Json os_json(Os os) {
    Json j;
    switch (os) {
        case Os::windows:
            j["Ext"] = {{"variant", "Windows 10 Enterprise"}};
            j["kernel"] = "22H2 (10.0.19045.3693)";
            j["name"] = "Windows";
            j["family"] = "windows";
            j["type"] = "windows";
            j["version"] = "22H2 (10.0.19045.3693)";
            j["platform"] = "windows";
            j["full"] = "Windows 10 Enterprise 22H2 (10.0.19045.3693)";
            break;
        case Os::linux:
            j["Ext"] = {{"variant", "Ubuntu"}};
            j["kernel"] = "5.15.0-91-generic #101-Ubuntu SMP";
            j["name"] = "Linux";
            j["family"] = "ubuntu";
            j["type"] = "linux";
            j["version"] = "22.04.3";
            j["platform"] = "ubuntu";
            j["full"] = "Ubuntu 22.04.3";
            break;
        case Os::macos:
            j["Ext"] = {{"variant", "macOS"}};
            j["kernel"] = "23.1.0";
            j["name"] = "macOS";
            j["family"] = "darwin";
            j["type"] = "macos";
            j["version"] = "14.1.1";
            j["platform"] = "macos";
            j["full"] = "macOS 14.1.1";
            break;
    }
    return j;
}

// ---- Rule values (--rules) ------------------------------------------------------------------------------------------

// One stage of one rule: its category and the string values it compares fields with.
struct Stage {
    std::string category;                                                  // "" for `any`
    std::vector<std::pair<std::string, std::vector<std::string>>> values;  // field -> candidate values
};

// Fills a wildcard pattern with plausible text so that the value matches it.
std::string fill_wildcards(const std::string& pattern, Rng& rng) {
    std::string out;
    for (char c : pattern) {
        if (c == '*')
            out += rng.chance(50) ? "" : "x" + std::to_string(rng.below(100));
        else if (c == '?')
            out += 'C';
        else
            out += c;
    }
    return out;
}

std::string rule_query(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    if (path.extension() == ".eql") return text;
    // TOML: the query = '''...''' or query = """...""" or query = "..." string of the [rule] table.
    const size_t at = text.find("\nquery = ");
    if (at == std::string::npos) return "";
    size_t from = at + 9;
    for (const char* quote : {"'''", "\"\"\""}) {
        if (text.compare(from, 3, quote) == 0) {
            const size_t end = text.find(quote, from + 3);
            return end == std::string::npos ? "" : text.substr(from + 3, end - from - 3);
        }
    }
    if (text[from] == '"' || text[from] == '\'') {
        const size_t end = text.find(text[from], from + 1);
        return end == std::string::npos ? "" : text.substr(from + 1, end - from - 1);
    }
    return "";
}

// The stages of one query: `category where ...` pieces, each with the `field OP "string"` / `field OP (list)`
// comparisons in it (OP one of ==, :, like, like~, in, in~). A rough scan, not the parser: a generator needs
// plausible values, not exact semantics; conditions under `not` are read too, which only makes those events
// evaluate deeper.
class QueryScanner {
public:
    explicit QueryScanner(const std::string& q) : q_(q) {}

    std::vector<Stage> stages() {
        std::vector<Stage> out;
        Stage current;
        bool in_stage = false;
        std::string previous_word, field;
        while (i_ < q_.size()) {
            const char c = q_[i_];
            if (c == '"') {
                read_string();  // a string outside a comparison
                continue;
            }
            if (is_word(c)) {
                const std::string word = read_word();
                if (word == "where") {
                    if (in_stage && !current.values.empty()) out.push_back(std::move(current));
                    current = Stage{};
                    current.category = previous_word == "any" ? "" : previous_word;
                    in_stage = true;
                } else if (in_stage && (word == "like" || word == "in") && !field.empty()) {
                    if (i_ < q_.size() && q_[i_] == '~') ++i_;
                    read_values(current, field);
                    field.clear();
                } else {
                    field = word;
                }
                previous_word = word;
                continue;
            }
            if (in_stage && !field.empty() && (c == ':' || (c == '=' && i_ + 1 < q_.size() && q_[i_ + 1] == '='))) {
                i_ += c == ':' ? 1 : 2;
                read_values(current, field);
                field.clear();
                continue;
            }
            if (c != ' ' && c != '\n' && c != '\t' && c != '\r') field.clear();
            ++i_;
        }
        if (in_stage && !current.values.empty()) out.push_back(std::move(current));
        return out;
    }

private:
    static bool is_word(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '@' || c == '?';
    }
    void skip_space() {
        while (i_ < q_.size() && (q_[i_] == ' ' || q_[i_] == '\n' || q_[i_] == '\t' || q_[i_] == '\r')) ++i_;
    }
    std::string read_word() {
        const size_t from = i_;
        while (i_ < q_.size() && is_word(q_[i_])) ++i_;
        return q_.substr(from, i_ - from);
    }
    // At the opening quote: the string's contents, unescaped (the escapes rules use).
    std::string read_string() {
        std::string out;
        ++i_;
        while (i_ < q_.size() && q_[i_] != '"') {
            if (q_[i_] == '\\' && i_ + 1 < q_.size()) {
                const char n = q_[++i_];
                out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
            } else {
                out += q_[i_];
            }
            ++i_;
        }
        ++i_;
        return out;
    }
    void read_values(Stage& stage, const std::string& field) {
        skip_space();
        std::vector<std::string> values;
        if (i_ < q_.size() && q_[i_] == '"') {
            values.push_back(read_string());
        } else if (i_ < q_.size() && q_[i_] == '(') {
            ++i_;
            while (i_ < q_.size() && q_[i_] != ')') {
                if (q_[i_] == '"')
                    values.push_back(read_string());
                else
                    ++i_;
            }
        }
        if (!values.empty() && field.find('?') == std::string::npos)
            stage.values.emplace_back(field, std::move(values));
    }

    const std::string& q_;
    size_t i_ = 0;
};

std::vector<Stage> load_rule_stages(const std::string& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file() && (e.path().extension() == ".toml" || e.path().extension() == ".eql"))
            files.push_back(e.path());
    std::sort(files.begin(), files.end());  // the same order on every file system
    std::vector<Stage> out;
    for (const auto& f : files) {
        const std::string query = rule_query(f);
        for (auto& s : QueryScanner(query).stages()) out.push_back(std::move(s));
    }
    return out;
}

// Sets a dotted field in an event (creating objects on the way; an array or a value on the way is replaced).
void set_path(Json& event, const std::string& field, Json value) {
    Json* node = &event;
    size_t from = 0;
    while (true) {
        const size_t dot = field.find('.', from);
        const std::string key = field.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
        if (!node->is_object()) *node = Json::object();
        if (dot == std::string::npos) {
            (*node)[key] = std::move(value);
            return;
        }
        node = &(*node)[key];
        from = dot + 1;
    }
}

// ---- Events -------------------------------------------------------------------------------------------------------

struct Clock {
    int64_t ms = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
};

std::string iso(int64_t ms) {
    const int64_t days = ms / 86'400'000;
    const int64_t rest = ms % 86'400'000;
    // civil_from_days (proleptic Gregorian)
    int64_t z = days + 719468;
    const int64_t era = z / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y),
                  static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rest / 3'600'000),
                  static_cast<long long>(rest / 60'000 % 60), static_cast<long long>(rest / 1000 % 60),
                  static_cast<long long>(rest % 1000));
    return buf;
}

std::vector<std::string> split_args(const Program& p) {
    std::vector<std::string> args{p.executable};
    std::string_view rest = p.args;
    while (!rest.empty()) {
        const size_t space = rest.find(' ');
        args.emplace_back(rest.substr(0, space));
        if (space == std::string_view::npos) break;
        rest.remove_prefix(space + 1);
    }
    return args;
}

class Generator {
public:
    Generator(uint64_t seed, size_t hosts, std::vector<Stage> stages, double hot_percent)
        : rng_(seed), hosts_(make_hosts(hosts, rng_)), stages_(std::move(stages)), hot_percent_(hot_percent) {}

    Json next() {
        clock_.ms += static_cast<int64_t>(rng_.below(4));  // 0-3 ms apart: ties happen
        const Host& host = rng_.pick(hosts_);
        Json e;
        const bool hot = !stages_.empty() && rng_.chance(hot_percent_);
        const Stage* stage = hot ? &rng_.pick(stages_) : nullptr;
        std::string category = stage && !stage->category.empty() ? stage->category : pick_category(host.os);
        if (category == "registry" && host.os != Os::windows) category = "file";
        const Source source = pick_source(host.os, category);
        build(e, host, category, source);
        if (stage)
            for (const auto& [field, values] : stage->values)
                set_path(e, field, fill_wildcards(rng_.pick(values), rng_));
        return e;
    }

private:
    enum class Source : uint8_t { defend, sysmon, win_security, auditd, linux_auth };

    std::string pick_category(Os os) {
        const uint64_t r = rng_.below(100);
        if (r < 35) return "process";
        if (r < 60) return "network";
        if (r < 80) return "file";
        if (r < 90) return os == Os::windows ? "registry" : "file";
        if (r < 94) return "dns";
        if (r < 97) return "library";
        if (r < 99) return "authentication";
        return "iam";
    }

    Source pick_source(Os os, const std::string& category) {
        const uint64_t r = rng_.below(100);
        if (category == "authentication" || category == "iam") {
            if (os == Os::windows) return Source::win_security;
            if (os == Os::linux) return r < 50 ? Source::linux_auth : Source::auditd;
            return Source::defend;
        }
        if (os == Os::windows && r < 25 && category != "library") return Source::sysmon;
        if (os == Os::linux && r < 20 && (category == "process" || category == "file")) return Source::auditd;
        return Source::defend;
    }

    const Program& program(Os os) {
        switch (os) {
            case Os::windows: return rng_.pick(kWindowsPrograms);
            case Os::linux: return rng_.pick(kLinuxPrograms);
            default: return rng_.pick(kMacPrograms);
        }
    }

    Json process_json(Os os, bool full) {
        const Program& p = program(os);
        const Program& parent = program(os);
        const auto args = split_args(p);
        Json j;
        j["pid"] = 1000 + rng_.below(60000);
        j["entity_id"] = rng_.hex(40);
        j["name"] = p.name;
        j["executable"] = p.executable;
        if (full) {
            std::string command_line = p.executable;
            if (*p.args) command_line += std::string(" ") + p.args;
            j["command_line"] = command_line;
            j["args"] = args;
            j["args_count"] = args.size();
            j["working_directory"] = os == Os::windows ? "C:\\Windows\\system32\\" : "/";
            Json parent_json;
            parent_json["pid"] = 500 + rng_.below(5000);
            parent_json["entity_id"] = rng_.hex(40);
            parent_json["name"] = parent.name;
            parent_json["executable"] = parent.executable;
            parent_json["args"] = split_args(parent);
            parent_json["args_count"] = parent_json["args"].size();
            parent_json["command_line"] = parent.executable;
            j["parent"] = std::move(parent_json);
            j["hash"] = {{"md5", rng_.hex(32)}, {"sha1", rng_.hex(40)}, {"sha256", rng_.hex(64)}};
            if (os == Os::windows) {
                j["pe"] = {{"original_file_name", p.name}, {"company", "Microsoft Corporation"}};
                j["code_signature"] = {
                    {"trusted", true}, {"subject_name", "Microsoft Windows"}, {"exists", true}, {"status", "trusted"}};
                j["Ext"] = {{"ancestry", {rng_.hex(40), rng_.hex(40), rng_.hex(40)}},
                            {"token", {{"integrity_level_name", rng_.chance(70) ? "medium" : "system"}}},
                            {"authentication_id", "0x" + rng_.hex(5)}};
            }
        }
        return j;
    }

    Json user_json(Os os) {
        Json j;
        j["name"] = os == Os::windows ? rng_.pick(kUsers) : rng_.chance(50) ? "root" : rng_.pick(kUsers);
        if (os == Os::windows) {
            j["domain"] = rng_.pick(kDomains);
            j["id"] = "S-1-5-21-1004336348-1177238915-682003330-" + std::to_string(1000 + rng_.below(50));
        } else {
            j["id"] = std::to_string(rng_.below(2) ? 0 : 1000 + rng_.below(10));
        }
        return j;
    }

    void build(Json& e, const Host& host, const std::string& category, Source source) {
        const Os os = host.os;
        const int64_t ingested = clock_.ms + 500 + static_cast<int64_t>(rng_.below(4000));
        e["@timestamp"] = iso(clock_.ms);
        e["agent"] = {
            {"id", host.agent_id}, {"type", source == Source::defend ? "endpoint" : "filebeat"}, {"version", "8.11.1"}};
        std::string dataset;
        std::string module;
        switch (source) {
            case Source::defend:
                dataset = "endpoint.events." + (category == "dns"              ? std::string("network")
                                                : category == "iam"            ? "security"
                                                : category == "authentication" ? "security"
                                                                               : category);
                module = "endpoint";
                break;
            case Source::sysmon:
                dataset = "windows.sysmon_operational";
                module = "sysmon";
                break;
            case Source::win_security:
                dataset = "system.security";
                module = "security";
                break;
            case Source::auditd:
                dataset = "auditd.log";
                module = "auditd";
                break;
            case Source::linux_auth:
                dataset = "system.auth";
                module = "system";
                break;
        }
        e["data_stream"] = {{"namespace", "default"}, {"type", "logs"}, {"dataset", dataset}};
        e["ecs"] = {{"version", "8.11.0"}};
        e["elastic"] = {{"agent", {{"id", host.agent_id}}}};
        e["host"] = {{"id", host.id},
                     {"name", host.name},
                     {"hostname", host.name},
                     {"architecture", "x86_64"},
                     {"ip", {host.ip, "fe80::" + rng_.hex(4) + ":" + rng_.hex(4)}},
                     {"mac", {host.mac}},
                     {"os", os_json(os)}};
        Json event;
        event["agent_id_status"] = "verified";
        event["ingested"] = iso(ingested);
        event["created"] = iso(clock_.ms);
        event["kind"] = "event";
        event["module"] = module;
        event["dataset"] = dataset;
        event["id"] = rng_.hex(24);
        event["sequence"] = ++sequence_;
        if (category == "process") {
            const bool start = rng_.chance(60);
            event["action"] = source == Source::sysmon   ? "Process Create (rule: ProcessCreate)"
                              : source == Source::auditd ? "executed"
                              : start                    ? "start"
                                                         : "end";
            event["category"] = {"process"};
            event["type"] = {start || source != Source::defend ? "start" : "end"};
            e["process"] = process_json(os, true);
            e["user"] = user_json(os);
            e["message"] = "Endpoint process event";
        } else if (category == "network" || category == "dns") {
            const bool dns = category == "dns";
            const bool inbound = !dns && rng_.chance(25);
            const int port = dns ? 53 : rng_.pick(kPorts);
            event["action"] = dns ? "lookup_requested" : inbound ? "connection_accepted" : "connection_attempted";
            event["category"] = {"network"};
            event["type"] = dns ? Json{"protocol", "info"} : Json{"start", "connection"};
            const std::string remote =
                rng_.chance(60) ? "10." + std::to_string(rng_.below(8)) + "." + std::to_string(rng_.below(256)) + "." +
                                      std::to_string(1 + rng_.below(254))
                                : std::to_string(20 + rng_.below(180)) + "." + std::to_string(rng_.below(256)) +
                                      ".17." + std::to_string(1 + rng_.below(254));
            const int ephemeral = 49152 + static_cast<int>(rng_.below(16000));
            e["source"] = {{"ip", inbound ? remote : host.ip}, {"port", inbound ? ephemeral : ephemeral}};
            e["destination"] = {{"ip", inbound ? host.ip : remote}, {"port", port}};
            e["network"] = {
                {"direction", inbound ? "ingress" : "egress"}, {"transport", dns ? "udp" : "tcp"}, {"type", "ipv4"}};
            if (dns) {
                e["dns"] = {{"question", {{"name", rng_.pick(kDnsNames)}, {"type", "A"}}}, {"resolved_ip", {remote}}};
            }
            e["process"] = process_json(os, false);
            e["user"] = user_json(os);
            e["message"] = dns ? "DNS event" : "Endpoint network event";
        } else if (category == "file") {
            const char* ext = rng_.pick(kExtensions);
            const std::string dir = os == Os::windows ? rng_.pick(kWindowsDirs) : rng_.pick(kLinuxDirs);
            const std::string name = "report_" + rng_.hex(6) + "." + ext;
            const char sep = os == Os::windows ? '\\' : '/';
            const uint64_t r = rng_.below(100);
            event["action"] = r < 50 ? "creation" : r < 80 ? "modification" : r < 95 ? "deletion" : "rename";
            event["category"] = {"file"};
            event["type"] = {r < 50 ? "creation" : r < 80 ? "change" : "deletion"};
            e["file"] = {{"path", dir + sep + name},
                         {"name", name},
                         {"extension", ext},
                         {"directory", dir},
                         {"size", rng_.below(5'000'000)},
                         {"Ext", {{"header_bytes", rng_.hex(16)}, {"entropy", 3.5 + rng_.below(400) / 100.0}}}};
            e["process"] = process_json(os, false);
            e["user"] = user_json(os);
            e["message"] = "Endpoint file event";
        } else if (category == "registry") {
            const std::string key = rng_.pick(kRegistryKeys);
            const std::string value = "Value" + std::to_string(rng_.below(20));
            event["action"] = rng_.chance(70) ? "modification" : "creation";
            event["category"] = {"registry"};
            event["type"] = {"change"};
            e["registry"] = {
                {"hive", key.substr(0, key.find('\\'))},
                {"key", key.substr(key.find('\\') + 1)},
                {"path", key + "\\" + value},
                {"value", value},
                {"data", {{"strings", {"C:\\Program Files\\Vendor\\agent.exe /autostart"}}, {"type", "REG_SZ"}}}};
            e["process"] = process_json(os, false);
            e["message"] = "Endpoint registry event";
        } else if (category == "library") {
            const std::string path = os == Os::windows ? rng_.pick(kDlls) : rng_.pick(kLinuxLibs);
            event["action"] = "load";
            event["category"] = {"library"};
            event["type"] = {"start"};
            e["dll"] = {{"path", path},
                        {"name", path.substr(path.find_last_of("\\/") + 1)},
                        {"hash", {{"sha256", rng_.hex(64)}}},
                        {"code_signature", {{"trusted", true}, {"subject_name", "Microsoft Windows"}}}};
            e["process"] = process_json(os, false);
            e["message"] = "Endpoint DLL load event";
        } else if (category == "authentication") {
            const bool success = rng_.chance(85);
            event["action"] = os == Os::windows ? "logged-in" : "ssh_login";
            event["category"] = {"authentication"};
            event["type"] = {"start"};
            event["outcome"] = success ? "success" : "failure";
            e["source"] = {{"ip", "10.2." + std::to_string(rng_.below(256)) + "." + std::to_string(rng_.below(254))}};
            e["user"] = user_json(os);
            if (os == Os::windows)
                e["winlog"] = {{"channel", "Security"},
                               {"event_id", success ? "4624" : "4625"},
                               {"logon", {{"type", rng_.chance(70) ? "Network" : "Interactive"}}},
                               {"provider_name", "Microsoft-Windows-Security-Auditing"},
                               {"computer_name", host.name}};
            e["message"] = success ? "An account was successfully logged on." : "An account failed to log on.";
        } else {  // iam and anything else a rule names
            event["action"] = os == Os::windows ? "added-member-to-group" : "useradd";
            event["category"] = {category};
            event["type"] = {"change"};
            e["user"] = user_json(os);
            e["group"] = {{"name", os == Os::windows ? "Administrators" : "sudo"}};
            e["message"] = "A member was added to a security-enabled local group.";
        }
        if (source == Source::sysmon) {
            e["winlog"] = {{"channel", "Microsoft-Windows-Sysmon/Operational"},
                           {"event_id", category == "process"   ? "1"
                                        : category == "network" ? "3"
                                                                : "11"},
                           {"provider_name", "Microsoft-Windows-Sysmon"},
                           {"computer_name", host.name},
                           {"record_id", std::to_string(sequence_)},
                           {"process", {{"pid", 3000 + rng_.below(100)}, {"thread", {{"id", rng_.below(9000)}}}}}};
        }
        if (source == Source::auditd)
            e["auditd"] = {{"sequence", sequence_}, {"result", "success"}, {"session", std::to_string(rng_.below(9))}};
        e["event"] = std::move(event);
    }

    Rng rng_;
    std::vector<Host> hosts_;
    std::vector<Stage> stages_;
    double hot_percent_;
    Clock clock_;
    uint64_t sequence_ = 0;
};

int usage(const char* message) {
    std::fprintf(stderr,
                 "eqlc_gen_ecs: %s\nusage: eqlc_gen_ecs --events N --out FILE [--hosts N] [--seed N] [--rules DIR] "
                 "[--hot-percent P]\n",
                 message);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t events = 0, seed = 7;
    size_t hosts = 300;
    double hot = 2.0;
    std::string out_path, rules_dir;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) return usage("missing value");
        const char* v = argv[++i];
        if (a == "--events")
            events = std::strtoull(v, nullptr, 10);
        else if (a == "--hosts")
            hosts = std::strtoull(v, nullptr, 10);
        else if (a == "--seed")
            seed = std::strtoull(v, nullptr, 10);
        else if (a == "--out")
            out_path = v;
        else if (a == "--rules")
            rules_dir = v;
        else if (a == "--hot-percent")
            hot = std::strtod(v, nullptr);
        else
            return usage("unknown option");
    }
    if (events == 0 || out_path.empty() || hosts == 0) return usage("--events and --out are required");
    std::vector<Stage> stages;
    if (!rules_dir.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_directory(rules_dir, ec)) return usage("--rules: not a folder");
        stages = load_rule_stages(rules_dir);
        std::fprintf(stderr, "eqlc_gen_ecs: %zu rule stages with string values from %s\n", stages.size(),
                     rules_dir.c_str());
    }
    FILE* out = std::fopen(out_path.c_str(), "wb");
    if (!out) return usage("cannot open --out");
    Generator gen(seed, hosts, std::move(stages), hot);
    std::map<std::string, uint64_t> per_category;
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < events; ++i) {
        Json e = gen.next();
        const Json& category = e["event"]["category"];
        const Json& first = category.is_array() && !category.empty() ? category[0] : category;
        ++per_category[first.is_string() ? first.get<std::string>() : "other"];
        std::string line = e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        line += '\n';
        bytes += line.size();
        std::fwrite(line.data(), 1, line.size(), out);
    }
    if (std::fclose(out) != 0) return usage("write failed");
    std::fprintf(stderr, "eqlc_gen_ecs: %llu events, %.1f MB, %.0f bytes per event;",
                 static_cast<unsigned long long>(events), static_cast<double>(bytes) / 1e6,
                 static_cast<double>(bytes) / static_cast<double>(events));
    for (const auto& [c, n] : per_category)
        std::fprintf(stderr, " %s %.1f%%", c.c_str(), 100.0 * static_cast<double>(n) / static_cast<double>(events));
    std::fprintf(stderr, "\n");
    return 0;
}
