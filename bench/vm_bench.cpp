// VM evaluation of one projected event (projection is done once, outside the timed loop):
//   * the WMI lateral-movement rule's second stage on an Elastic Defend event that matches (every test runs),
//     and on a Sysmon event;
//   * reject-early: the same program on a network event (the category test fails first);
//   * match-heavy: a filter with large wildcard / literal lists and a regex, on an event that matches late.
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "compiler/compiled_query.hpp"
#include "input/json_projection.hpp"
#include "vm/interpreter.hpp"

namespace {

using namespace eqlc;

struct Fixture {
    vm::FieldCatalog catalog;
    std::optional<compiler::CompiledQuery> query;
    std::optional<input::ProjectionPlan> plan;
    nlohmann::json event;
    vm::EventRecord record;
    vm::VmContext ctx;

    Fixture(const std::string& text, const std::string& event_json) {
        auto r = compiler::compile_query(text, {}, catalog);
        if (!r.ok()) throw std::runtime_error("query does not compile: " + r.diagnostics.at(0).message);
        query = std::move(r.query);
        plan.emplace(catalog);
        event = nlohmann::json::parse(event_json);
        input::project(event, *plan, record);
    }
};

std::string wmi_rule() {
    std::ifstream in(std::string(EQLC_SOURCE_DIR) + "/rules/wmi_incoming_lateral_movement.eql");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

const char* kDefend = R"({"@timestamp":"2024-05-01T10:00:01Z",
  "event":{"category":["process"],"type":["start"],"dataset":"endpoint.events.process","kind":"event"},
  "host":{"id":"h1","name":"ws-01","os":{"type":"windows","name":"Windows 10"}},
  "user":{"id":"S-1-5-21-1111","name":"alice"},
  "process":{"name":"cmd.exe","pid":4242,"executable":"C:\\Windows\\System32\\cmd.exe",
             "args":["cmd.exe","/c","whoami"],"command_line":"cmd.exe /c whoami",
             "parent":{"name":"WmiPrvSE.exe","pid":1200,"executable":"C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"}}})";

const char* kSysmon = R"({"@timestamp":"2024-05-01T10:00:01Z",
  "event":{"category":["process"],"type":["start"],"dataset":"windows.sysmon_operational"},
  "host":{"id":"h1","os":{"type":"windows"}},
  "user":{"id":"S-1-5-18"},
  "winlog":{"event_data":{"IntegrityLevel":"High"}},
  "process":{"name":"powershell.exe","executable":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
             "args":["powershell.exe","-enc","AAAA"],"parent":{"name":"WmiPrvSE.exe"}}})";

const char* kNetwork = R"({"@timestamp":"2024-05-01T10:00:00Z","event":{"category":["network"]},
  "host":{"id":"h1","os":{"type":"windows"}},"process":{"name":"svchost.exe"},
  "network":{"direction":"ingress"},"destination":{"port":135},"source":{"ip":"10.0.0.5"}})";

void run_stage(benchmark::State& state, const char* event_json, bool expected) {
    Fixture f(wmi_rule(), event_json);
    const vm::Program& stage2 = *f.query->terms.at(1).filter;
    if (vm::matches(stage2, f.record, f.ctx) != expected) {
        state.SkipWithError("unexpected result");
        return;
    }
    for (auto _ : state) {
        bool r = vm::matches(stage2, f.record, f.ctx);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_WmiStage2_DefendMatch(benchmark::State& state) { run_stage(state, kDefend, true); }
void BM_WmiStage2_SysmonMatch(benchmark::State& state) { run_stage(state, kSysmon, true); }
void BM_WmiStage2_RejectEarly(benchmark::State& state) { run_stage(state, kNetwork, false); }

void BM_WmiStage1_Match(benchmark::State& state) {
    Fixture f(wmi_rule(), kNetwork);
    const vm::Program& stage1 = *f.query->terms.at(0).filter;
    if (!vm::matches(stage1, f.record, f.ctx)) {
        state.SkipWithError("unexpected result");
        return;
    }
    for (auto _ : state) {
        bool r = vm::matches(stage1, f.record, f.ctx);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_MatchHeavy(benchmark::State& state) {
    std::string globs, names;
    for (int i = 0; i < 200; ++i) {
        globs += (i ? ", " : "") + std::string("\"*\\\\tool") + std::to_string(i) + "\\\\*.exe\"";
        names += (i ? ", " : "") + std::string("\"name") + std::to_string(i) + ".exe\"";
    }
    const std::string query = "process where process.executable : (" + globs + ") and process.name in~ (" + names +
                              ") and process.command_line regex \".*-(enc|e|encodedcommand) [A-Za-z0-9+/=]{8,}.*\"" +
                              " and not user.name : (\"svc_*\", \"system\")";
    const char* ev = R"({"event":{"category":"process"},"user":{"name":"alice"},
      "process":{"executable":"C:\\Users\\alice\\tool199\\x64\\run.exe","name":"NAME199.exe",
                 "command_line":"powershell.exe -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA"}})";
    Fixture f(query, ev);
    const vm::Program& p = *f.query->terms.at(0).filter;
    if (!vm::matches(p, f.record, f.ctx)) {
        state.SkipWithError("unexpected result");
        return;
    }
    for (auto _ : state) {
        bool r = vm::matches(p, f.record, f.ctx);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_FunctionPath(benchmark::State& state) {
    Fixture f(
        "process where length(process.name) > 3 and endsWith~(process.name, \".EXE\") and "
        "concat(process.parent.name, \":\", process.pid) : \"wmiprvse.exe:*\"",
        kDefend);
    const vm::Program& p = *f.query->terms.at(0).filter;
    if (!vm::matches(p, f.record, f.ctx)) {
        state.SkipWithError("unexpected result");
        return;
    }
    for (auto _ : state) {
        bool r = vm::matches(p, f.record, f.ctx);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_WmiStage2_DefendMatch);
BENCHMARK(BM_WmiStage2_SysmonMatch);
BENCHMARK(BM_WmiStage2_RejectEarly);
BENCHMARK(BM_WmiStage1_Match);
BENCHMARK(BM_MatchHeavy);
BENCHMARK(BM_FunctionPath);
