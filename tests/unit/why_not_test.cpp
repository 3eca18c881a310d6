// Why a rule did not fire (eqlc/why_not.hpp): each kind of miss on small hand-written cases, and the shipped WMI
// rule on the negative scenarios of rules/samples (the explanation names the stage and the condition that the
// samples' README gives as the reason).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eqlc/why_not.hpp"
#include "support/wmi_rule.hpp"

namespace {

using Strings = std::vector<std::string>;

std::string ev(const std::string& time, const std::string& rest) {
    return R"({"@timestamp":")" + time + R"(",)" + rest + "}";
}

// "2026-01-01T00:00:SS.mmmZ"
std::string at(const std::string& seconds) { return "2026-01-01T00:00:" + seconds + "Z"; }

eqlc::MissExplanation why(const std::string& query, const Strings& events, const std::vector<size_t>& expected) {
    return eqlc::explain_missing_alert(query, {}, events, expected);
}

std::string all(const eqlc::MissExplanation& m) {
    std::string out = m.summary;
    for (const auto& d : m.details) out += "\n" + d;
    return out;
}

const std::string kSeq = R"(sequence by host.id with maxspan=5s
  [process where process.name : "a.exe" and process.parent.name : "WmiPrvSE.exe"]
  [network where destination.port == 135])";

}  // namespace

TEST_CASE("why-not: an event query names the first false condition and the values it saw", "[why-not]") {
    const Strings events = {
        ev(at("01.000"),
           R"("event":{"category":"process"},"process":{"name":"cmd.exe","parent":{"name":"wmiprvse.exe.bak"}})"),
    };
    const auto m =
        why(R"(process where process.name : "cmd.exe" and process.parent.name : "WmiPrvSE.exe")", events, {0});
    INFO(all(m));
    CHECK(m.summary.find("`process.parent.name : \"WmiPrvSE.exe\"` was false") != std::string::npos);
    CHECK(m.summary.find("process.parent.name = \"wmiprvse.exe.bak\"") != std::string::npos);
    CHECK(m.summary.find("event #1") != std::string::npos);
}

TEST_CASE("why-not: the event category, missing fields, and the engine's own semantics", "[why-not]") {
    const Strings events = {
        ev(at("01.000"), R"("event":{"category":["network"]},"process":{"name":"CMD.EXE"})"),
        ev(at("02.000"), R"("event":{"category":["process"]},"process":{"name":"CMD.EXE"})"),
    };
    SECTION("category") {
        const auto m = why(R"(process where process.name : "cmd.exe")", events, {0});
        INFO(all(m));
        CHECK(m.summary.find("not a \"process\" event") != std::string::npos);
        CHECK(m.summary.find("event.category = [\"network\"]") != std::string::npos);
    }
    SECTION("a missing field is reported as missing") {
        const auto m = why(R"(process where process.name : "cmd.exe" and user.name == "bob")", events, {1});
        INFO(all(m));
        CHECK(m.summary.find("`user.name == \"bob\"` was false: user.name = missing") != std::string::npos);
    }
    SECTION("`:` ignores case, == does not: the right conjunct is named") {
        const auto m = why(R"(process where process.name : "cmd.exe" and process.name == "cmd.exe")", events, {1});
        INFO(all(m));
        CHECK(m.summary.find("`process.name == \"cmd.exe\"` was false") != std::string::npos);
    }
    SECTION("a condition that holds, and the alert that fired") {
        const auto m = why(R"(process where process.name : "cmd.exe")", events, {1});
        INFO(all(m));
        CHECK(all(m).find("the query gave an alert with event #2") != std::string::npos);
        CHECK(m.summary.find("the alert fired") != std::string::npos);
    }
}

TEST_CASE("why-not: sequences", "[why-not]") {
    const std::string proc =
        R"("event":{"category":"process"},"process":{"name":"a.exe","parent":{"name":"WmiPrvSE.exe"}})";
    const std::string net = R"("event":{"category":"network"},"destination":{"port":135})";
    auto host = [](const std::string& id) { return R"("host":{"id":")" + id + R"("},)"; };

    SECTION("a stage's filter, with the stage named") {
        const Strings events = {
            ev(at("01.000"), host("h1") + proc),
            ev(at("02.000"), host("h1") + R"("event":{"category":"network"},"destination":{"port":445})")};
        const auto m = why(kSeq, events, {0, 1});
        INFO(all(m));
        CHECK(m.summary.find("stage 2 [network]") != std::string::npos);
        CHECK(m.summary.find("`destination.port == 135` was false: destination.port = 445") != std::string::npos);
    }
    SECTION("maxspan exceeded, by how much") {
        const Strings events = {ev(at("01.000"), host("h1") + proc), ev(at("09.200"), host("h1") + net)};
        const auto m = why(kSeq, events, {0, 1});
        INFO(all(m));
        CHECK(m.summary.find("maxspan exceeded by 3.2 s") != std::string::npos);
        CHECK(all(m).find("stage 1  passed 1  started 1  expired 1") != std::string::npos);
    }
    SECTION("a different join key value") {
        const Strings events = {ev(at("01.000"), host("h1") + proc), ev(at("02.000"), host("h2") + net)};
        const auto m = why(kSeq, events, {0, 1});
        INFO(all(m));
        CHECK(m.summary.find("a different join key value: host.id = \"h1\" in event #1") != std::string::npos);
        CHECK(m.summary.find("host.id = \"h2\" in event #2") != std::string::npos);
    }
    SECTION("a join key the event lacks") {
        const Strings events = {ev(at("01.000"), host("h1") + proc), ev(at("02.000"), net)};
        const auto m = why(kSeq, events, {0, 1});
        INFO(all(m));
        CHECK(m.summary.find("stage 2 [network]: event #2 has no value for the join key host.id") != std::string::npos);
    }
    SECTION("events out of stage order, and equal timestamps") {
        const Strings events = {ev(at("01.000"), host("h1") + net), ev(at("03.000"), host("h1") + proc)};
        auto m = why(kSeq, events, {1, 0});
        INFO(all(m));
        CHECK(m.summary.find("not in stage order: event #1 (stage 2 [network]) is 2 s before event #2") !=
              std::string::npos);
        const Strings same = {ev(at("01.000"), host("h1") + net), ev(at("01.000"), host("h1") + proc)};
        m = why(kSeq, same, {1, 0});
        CHECK(m.summary.find("same timestamp") != std::string::npos);
        CHECK(m.summary.find("event #1 comes first") != std::string::npos);
        // In time order, not in input order.
        const Strings unsorted = {ev(at("03.000"), host("h1") + net), ev(at("01.000"), host("h1") + proc)};
        m = why(kSeq, unsorted, {1, 0});
        CHECK(m.summary.find("event #1 (stage 2 [network]) comes before event #2 (stage 1 [process]) in the input, "
                             "though it is 2 s later") != std::string::npos);
    }
    SECTION("until") {
        const std::string q = R"(sequence by host.id [process where process.name : "a.exe"] [network where true]
                                 until [process where process.name == "stop.exe"])";
        const Strings events = {
            ev(at("01.000"), host("h1") + proc),
            ev(at("02.000"), host("h1") + R"("event":{"category":"process"},"process":{"name":"stop.exe"})"),
            ev(at("03.000"), host("h1") + net)};
        const auto m = why(q, events, {0, 2});
        INFO(all(m));
        CHECK(m.summary.find("until matched by event #2") != std::string::npos);
        CHECK(all(m).find("stage 1  passed 1  started 1  until 1") != std::string::npos);
    }
    SECTION("a missing-event term that occurred") {
        const std::string q = R"(sequence by host.id with maxspan=10s [process where process.name : "a.exe"]
                                 ![process where process.name == "b.exe"] [network where true])";
        const Strings events = {
            ev(at("01.000"), host("h1") + proc),
            ev(at("02.000"), host("h1") + R"("event":{"category":"process"},"process":{"name":"b.exe"})"),
            ev(at("03.000"), host("h1") + net)};
        const auto m = why(q, events, {0, SIZE_MAX, 2});
        INFO(all(m));
        CHECK(m.summary.find("the missing-event stage 2 ![process] occurred: event #2") != std::string::npos);
        // One per positive stage works as well.
        CHECK(why(q, events, {0, 2}).summary == m.summary);
        // Trailing: an event within maxspan after the last one refuses it; one later does not.
        const std::string trailing = R"(sequence by host.id with maxspan=10s [process where process.name : "a.exe"]
                                        [network where true] ![process where process.name == "b.exe"])";
        const std::string b_exe = R"("event":{"category":"process"},"process":{"name":"b.exe"})";
        Strings late = {ev(at("01.000"), host("h1") + proc), ev(at("02.000"), host("h1") + net),
                        ev(at("05.000"), host("h1") + b_exe)};
        auto t = why(trailing, late, {0, 1});
        INFO(all(t));
        CHECK(t.summary.find("the missing-event stage 3 ![process] occurred: event #3 matches it with the same join "
                             "key, 3 s after event #2, within maxspan of event #1") != std::string::npos);
        late[2] = ev(at("12.000"), host("h1") + b_exe);
        CHECK(why(trailing, late, {0, 1}).summary.find("the alert fired") != std::string::npos);
        // Leading: one within maxspan before.
        const std::string leading = R"(sequence by host.id with maxspan=10s ![process where process.name == "b.exe"]
                                       [process where process.name : "a.exe"] [network where true])";
        const Strings early = {ev(at("01.000"), host("h1") + b_exe), ev(at("02.000"), host("h1") + proc),
                               ev(at("03.000"), host("h1") + net)};
        t = why(leading, early, {1, 2});
        CHECK(t.summary.find("the missing-event stage 1 ![process] occurred: event #1") != std::string::npos);
    }
    SECTION("another event took the partial, or replaced it") {
        const Strings took = {ev(at("01.000"), host("h1") + proc), ev(at("02.000"), host("h1") + net),
                              ev(at("03.000"), host("h1") + net)};
        auto m = why(kSeq, took, {0, 2});
        INFO(all(m));
        CHECK(m.summary.find("event #2 passed stage 2 [network] with the same join key before event #3") !=
              std::string::npos);
        CHECK(all(m).find("the query gave an alert with event #1, event #2") != std::string::npos);
        const Strings replaced = {ev(at("01.000"), host("h1") + proc), ev(at("02.000"), host("h1") + proc),
                                  ev(at("03.000"), host("h1") + net)};
        m = why(kSeq, replaced, {0, 2});
        CHECK(m.summary.find("event #2 passed stage 1 [process] with the same join key after event #1") !=
              std::string::npos);
    }
    SECTION("everything matchable: said honestly (here a pipe keeps only the last alert)") {
        const Strings events = {ev(at("01.000"), host("h1") + proc), ev(at("02.000"), host("h1") + net),
                                ev(at("03.000"), host("h2") + proc), ev(at("04.000"), host("h2") + net)};
        auto m = why(kSeq + " | tail 1", events, {0, 1});
        INFO(all(m));
        CHECK(m.summary.find("every stage passed and the join keys agree: the alert should have fired") !=
              std::string::npos);
        CHECK(m.summary.find("pipes") != std::string::npos);
        CHECK(all(m).find("the query gave 1 alert on the case's events, none with the expected events") !=
              std::string::npos);
        m = why(kSeq, events, {0, 1});
        CHECK(m.summary.find("the alert fired") != std::string::npos);
        // A gap equal to maxspan is accepted.
        const Strings exact = {ev(at("01.000"), host("h1") + proc), ev(at("06.000"), host("h1") + net),
                               ev(at("07.000"), host("h2") + proc), ev(at("08.000"), host("h2") + net)};
        m = why(kSeq + " | tail 1", exact, {0, 1});
        CHECK(m.summary.find("every stage passed") != std::string::npos);
    }
    SECTION("no usable timestamp, bad indices, an invalid query") {
        const Strings events = {R"({"event":{"category":"process"}})", ev(at("02.000"), host("h1") + net)};
        CHECK(why(kSeq, events, {0, 1}).summary.find("no usable timestamp (@timestamp)") != std::string::npos);
        const Strings broken = {ev(at("01.000"), host("h1") + proc) + "x", ev(at("02.000"), host("h1") + net)};
        CHECK(why(kSeq, broken, {0, 1}).summary.find("event #1 is not a valid JSON object") != std::string::npos);
        CHECK(why(kSeq, events, {0, 7}).summary.find("out of range") != std::string::npos);
        CHECK(why(kSeq, events, {0}).summary.find("2 stages that take an event; 1 events were expected") !=
              std::string::npos);
        CHECK(why("process where foo(", events, {0}).summary.find("not valid") != std::string::npos);
    }
}

TEST_CASE("why-not: a rule's own time field decides maxspan", "[why-not]") {
    // @timestamp 1 s apart, event.ingested 9 s apart.
    const Strings events = {
        ev(at("01.000"), R"("host":{"id":"h1"},"event":{"category":"process","ingested":"2026-01-01T00:00:01.000Z"},)"
                         R"("process":{"name":"a.exe","parent":{"name":"WmiPrvSE.exe"}})"),
        ev(at("02.000"), R"("host":{"id":"h1"},"event":{"category":"network","ingested":"2026-01-01T00:00:10.000Z"},)"
                         R"("destination":{"port":135})")};
    CHECK(why(kSeq, events, {0, 1}).summary.find("the alert fired") != std::string::npos);
    eqlc::WhyNotOptions rule;
    rule.timestamp_field = "event.ingested";
    const auto m = eqlc::explain_missing_alert(kSeq, {}, events, {0, 1}, rule);
    INFO(all(m));
    CHECK(m.summary.find("maxspan exceeded by 4 s") != std::string::npos);
}

TEST_CASE("why-not: samples", "[why-not]") {
    const std::string q = R"(sample by host.id [process where process.name == "a"] [network where true])";
    const Strings events = {
        ev(at("01.000"), R"("host":{"id":"h1"},"event":{"category":"process"},"process":{"name":"b"})"),
        ev(at("02.000"), R"("host":{"id":"h2"},"event":{"category":"network"})")};
    auto m = why(q, events, {0, 1});
    INFO(all(m));
    CHECK(m.summary.find("filter 1 [process]: event #1: `process.name == \"a\"` was false: process.name = \"b\"") !=
          std::string::npos);
}

TEST_CASE("why-not: the shipped WMI rule on its negative scenarios", "[why-not]") {
    const std::string query = eqlc::test::wmi_rule_query();
    Strings events;
    std::vector<nlohmann::json> docs;
    {
        std::ifstream in(eqlc::test::wmi_defend_samples());
        std::string line;
        while (std::getline(in, line)) {
            events.push_back(line);
            docs.push_back(nlohmann::json::parse(line));
        }
    }
    REQUIRE(events.size() > 100);
    // The scenario's network and process events, in stage order.
    auto scenario = [&](const std::string& name) {
        size_t net = SIZE_MAX, proc = SIZE_MAX;
        for (size_t i = 0; i < docs.size(); ++i) {
            if (docs[i]["labels"]["scenario"] != name) continue;
            if (docs[i]["event"]["category"][0] == "network" && net == SIZE_MAX) net = i;
            if (docs[i]["event"]["category"][0] == "process" && proc == SIZE_MAX) proc = i;
        }
        REQUIRE(net != SIZE_MAX);
        REQUIRE(proc != SIZE_MAX);
        return std::vector<size_t>{net, proc};
    };
    auto explain = [&](const std::string& name) {
        return eqlc::explain_missing_alert(query, {}, events, scenario(name));
    };

    SECTION("rejected by the parent name") {
        const auto m = explain("parent-services.exe");
        INFO(all(m));
        CHECK(m.summary.find("stage 2 [process]") != std::string::npos);
        CHECK(m.summary.find("`process.parent.name : \"WmiPrvSE.exe\"` was false: process.parent.name = "
                             "\"services.exe\"") != std::string::npos);
    }
    SECTION("rejected by maxspan") {
        const auto m = explain("maxspan-20.001s");
        INFO(all(m));
        CHECK(m.summary.find("maxspan exceeded by 0.001 s") != std::string::npos);
        CHECK(explain("maxspan-exactly-20s").summary.find("the alert fired") != std::string::npos);
    }
    SECTION("rejected by the port, the direction, the loopback source") {
        auto m = explain("port-445");
        CHECK(m.summary.find("stage 1 [network]") != std::string::npos);
        CHECK(m.summary.find("`destination.port == 135` was false: destination.port = 445") != std::string::npos);
        m = explain("direction-outgoing");
        CHECK(m.summary.find("network.direction = \"outgoing\"") != std::string::npos);
        m = explain("loopback-::1");
        CHECK(m.summary.find("source.ip = \"::1\"") != std::string::npos);
    }
    SECTION("rejected by an exclusion, by the end event, by the integrity level") {
        auto m = explain("tool-mofcomp");
        INFO(all(m));
        CHECK(m.summary.find("stage 2 [process]") != std::string::npos);
        CHECK(m.summary.find("`not process.executable : (") != std::string::npos);
        m = explain("process-end-event");
        CHECK(m.summary.find("`event.type == \"start\"` was false: event.type = [\"end\"]") != std::string::npos);
        m = explain("defend-integrity-System");
        CHECK(m.summary.find("(`?process.Ext.token.integrity_level_name : \"System\"` held)") != std::string::npos);
        CHECK(m.summary.find("process.Ext.token.integrity_level_name = \"System\"") != std::string::npos);
    }
    SECTION("another host, the wrong order, the second child") {
        auto m = explain("other-host");
        INFO(all(m));
        CHECK(m.summary.find("a different join key value: host.id") != std::string::npos);
        m = explain("wrong-order");
        CHECK(m.summary.find("not in stage order") != std::string::npos);
        // one-connection-two-children: the second child has no connection left.
        size_t net = SIZE_MAX, second = SIZE_MAX;
        for (size_t i = 0; i < docs.size(); ++i) {
            if (docs[i]["labels"]["scenario"] != "one-connection-two-children") continue;
            if (docs[i]["event"]["category"][0] == "network") net = i;
            if (docs[i]["event"]["category"][0] == "process") second = i;  // the last one
        }
        m = eqlc::explain_missing_alert(query, {}, events, {net, second});
        CHECK(m.summary.find("passed stage 2 [process] with the same join key before") != std::string::npos);
    }
    SECTION("a scenario that alerts") {
        const auto m = explain("remote-ipv4");
        CHECK(m.summary.find("the alert fired") != std::string::npos);
    }
}

TEST_CASE("why-not: the shipped WMI rule on Sysmon events", "[why-not]") {
    const std::string query = eqlc::test::wmi_rule_query();
    Strings events;
    std::vector<nlohmann::json> docs;
    std::ifstream in(eqlc::test::wmi_sysmon_samples());
    for (std::string line; std::getline(in, line);) {
        events.push_back(line);
        docs.push_back(nlohmann::json::parse(line));
    }
    auto explain = [&](const std::string& name) {
        std::vector<size_t> pair;
        for (size_t i = 0; i < docs.size(); ++i)
            if (docs[i]["labels"]["scenario"] == name) pair.push_back(i);
        REQUIRE(pair.size() == 2);  // the network event, then the process event
        return eqlc::explain_missing_alert(query, {}, events, pair);
    };
    auto m = explain("sysmon-sid-18-system-integrity");
    INFO(all(m));
    CHECK(m.summary.find("stage 2 [process]") != std::string::npos);
    CHECK(m.summary.find("(`?winlog.event_data.IntegrityLevel : \"System\"` held)") != std::string::npos);
    CHECK(m.summary.find("winlog.event_data.IntegrityLevel = \"System\"") != std::string::npos);
    m = explain("sysmon-direction-egress");
    CHECK(m.summary.find("stage 1 [network]") != std::string::npos);
    CHECK(m.summary.find("network.direction = \"egress\"") != std::string::npos);
    m = explain("sysmon-maxspan-20.001s");
    CHECK(m.summary.find("maxspan exceeded by 0.001 s") != std::string::npos);
    m = explain("sysmon-sid-18");
    CHECK(m.summary.find("the alert fired") != std::string::npos);
}

// Not run by default: prints the explanation of every scenario of the Defend samples that expects no alert, for
// reading (eqlc_tests "[.why-not-samples]" -s).
TEST_CASE("why-not: the explanations of the WMI samples, printed", "[.why-not-samples]") {
    const std::string query = eqlc::test::wmi_rule_query();
    Strings events;
    std::vector<nlohmann::json> docs;
    std::ifstream in(eqlc::test::wmi_defend_samples());
    for (std::string line; std::getline(in, line);) {
        events.push_back(line);
        docs.push_back(nlohmann::json::parse(line));
    }
    Strings names;
    for (const auto& d : docs) names.push_back(d["labels"]["event"].get<std::string>());
    std::vector<std::string> seen;
    for (size_t i = 0; i < docs.size(); ++i) {
        const std::string scenario = docs[i]["labels"]["scenario"].get<std::string>();
        if (std::find(seen.begin(), seen.end(), scenario) != seen.end()) continue;
        seen.push_back(scenario);
        size_t net = SIZE_MAX, proc = SIZE_MAX;
        for (size_t j = 0; j < docs.size(); ++j) {
            if (docs[j]["labels"]["scenario"] != scenario) continue;
            if (docs[j]["event"]["category"][0] == "network" && net == SIZE_MAX) net = j;
            if (docs[j]["event"]["category"][0] == "process" && proc == SIZE_MAX) proc = j;
        }
        eqlc::WhyNotOptions named;
        named.event_names = names;
        const auto m = eqlc::explain_missing_alert(query, {}, events, {net, proc}, named);
        std::printf("%s:\n  %s\n", scenario.c_str(), all(m).c_str());
    }
}
