"""The Python module `eqlc` (tools/python): the shipped WMI rule over the sample events gives exactly the alerts of
rules/samples/expected_alerts.json through every way of feeding events; diagnostics; bad input; snapshots;
errors. Run by ctest (label python) with the module's build folder on PYTHONPATH."""

import json
import os
import pathlib
import subprocess
import threading

import pytest

import eqlc

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
RULE = RULES / "wmi_incoming_lateral_movement.toml"
SAMPLES = RULES / "samples"
TRUTH = json.loads((SAMPLES / "expected_alerts.json").read_text())
FILES = sorted(TRUTH["files"])
RULE_NAME = "WMI Incoming Lateral Movement"


def lines_of(name):
    return (SAMPLES / name).read_text().splitlines()


def summary(alert, line_of):
    """An alert in the shape of expected_alerts.json's entries."""
    sources = [e["_source"] for e in alert["events"]]
    last = sources[-1]
    return {
        "scenario": sources[0]["labels"]["scenario"],
        "host.id": last["host"]["id"],
        "host.name": last["host"]["name"],
        "events": [s["labels"]["event"] for s in sources],
        "lines": [line_of[s["labels"]["event"]] for s in sources],
        "timestamps": [s["@timestamp"] for s in sources],
        "process.name": last["process"]["name"],
        "severity": alert["rule"]["severity"],
        "risk_score": alert["rule"]["risk_score"],
    }


def check_alerts(name, alerts):
    line_of = {json.loads(l)["labels"]["event"]: i for i, l in enumerate(lines_of(name), 1)}
    for alert in alerts:
        assert alert["kind"] == "sequence"
        assert alert["query"] == RULE_NAME
        assert alert["rule"]["id"] == TRUTH["rule_id"]
        assert alert["rule"]["name"] == RULE_NAME
        assert len(alert["join_keys"]) == 1
    assert [summary(a, line_of) for a in alerts] == TRUTH["files"][name]["alerts"]


# Every way of giving the engine the events of a file; each returns the alerts, finish() included.
def one_by_one_str(engine, name):
    alerts = []
    for line in lines_of(name):
        alerts += engine.push(line)
    return alerts + engine.finish()


def one_by_one_bytes(engine, name):
    alerts = []
    for line in (SAMPLES / name).read_bytes().splitlines():
        alerts += engine.push(line)
    return alerts + engine.finish()


def one_by_one_dict(engine, name):
    alerts = []
    for line in lines_of(name):
        alerts += engine.push(json.loads(line))
    return alerts + engine.finish()


def many_list(engine, name):
    return engine.push_many(lines_of(name)) + engine.finish()


def many_file(engine, name):
    with open(SAMPLES / name, encoding="utf-8") as f:  # lines with their "\n"
        return engine.push_many(f) + engine.finish()


def many_dicts_generator(engine, name):
    return engine.push_many(json.loads(l) for l in lines_of(name)) + engine.finish()


def many_mixed_chunks(engine, name):
    lines = lines_of(name)
    alerts = []
    for start in range(0, len(lines), 7):
        chunk = lines[start:start + 7]
        alerts += engine.push_many([c.encode() if i % 2 else c for i, c in enumerate(chunk)])
    return alerts + engine.finish()


WAYS = [one_by_one_str, one_by_one_bytes, one_by_one_dict, many_list, many_file, many_dicts_generator,
        many_mixed_chunks]


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("feed", WAYS, ids=[w.__name__ for w in WAYS])
def test_wmi_rule_gives_the_expected_alerts(name, feed):
    engine = eqlc.Engine.from_path(str(RULE))
    alerts = feed(engine, name)
    check_alerts(name, alerts)
    stats = engine.stats
    assert stats["events"] + stats["skipped_events"] == TRUTH["files"][name]["events"]
    assert stats["bad_lines"] == 0
    assert stats["matches"] == {RULE_NAME: len(TRUTH["files"][name]["alerts"])}
    assert engine.bad_input == []


@pytest.mark.parametrize("name", FILES)
def test_the_rules_folder_and_pathlib_paths(name):
    engine = eqlc.Engine.from_path(RULES)  # the .eql next to the .toml is its query, not a second rule
    assert engine.rules == [RULE_NAME]
    check_alerts(name, many_list(engine, name))


@pytest.mark.parametrize("name", FILES)
def test_same_results_without_prefilter_and_rule_index(name):
    engine = eqlc.Engine.from_path(str(RULE), prefilter=False, rule_index=False)
    check_alerts(name, many_list(engine, name))
    assert engine.stats["skipped_events"] == 0


def test_a_query_without_rule_has_no_rule_member():
    engine = eqlc.Engine.from_query((RULES / "wmi_incoming_lateral_movement.eql").read_text(), name="wmi")
    alerts = many_list(engine, "wmi_defend.ndjson")
    assert len(alerts) == len(TRUTH["files"]["wmi_defend.ndjson"]["alerts"])
    assert all("rule" not in a and a["query"] == "wmi" for a in alerts)


def test_alerts_as_json_text():
    engine = eqlc.Engine.from_path(RULE, alert_format="json")
    texts = many_list(engine, "wmi_sysmon.ndjson")
    assert all(isinstance(t, str) and "\n" not in t for t in texts)
    check_alerts("wmi_sysmon.ndjson", [json.loads(t) for t in texts])
    with pytest.raises(ValueError):
        eqlc.Engine.from_path(RULE, alert_format="xml")


@pytest.mark.parametrize("line_end", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_alert_lines_are_the_eqlc_tools(tmp_path, line_end):
    cli = os.environ.get("EQLC_CLI")
    if not cli:
        pytest.skip("EQLC_CLI (the eqlc tool) is not set")
    events = tmp_path / "events.ndjson"
    with open(events, "w", newline="") as f:
        for name in FILES:
            f.writelines(line + line_end for line in lines_of(name))
    run = subprocess.run([cli, str(RULE), str(events)], capture_output=True, text=True)
    assert run.returncode == 1, run.stderr  # alerts found
    expected = run.stdout.splitlines()
    assert len(expected) == sum(len(TRUTH["files"][n]["alerts"]) for n in FILES)
    for mode in ["r", "rb"]:  # lines with their line breaks, as text and as bytes
        engine = eqlc.Engine.from_path(RULE, alert_format="json")
        with open(events, mode, **({"newline": ""} if mode == "r" else {})) as f:
            assert engine.push_many(f) + engine.finish() == expected
        engine = eqlc.Engine.from_path(RULE, alert_format="json")
        with open(events, mode, **({"newline": ""} if mode == "r" else {})) as f:
            assert [a for line in f for a in engine.push(line)] + engine.finish() == expected


def test_fields_are_what_the_rules_read():
    engine = eqlc.Engine.from_query('process where process.name : "cmd.exe" and user.id != "S-1-5-18"')
    assert engine.fields == sorted(engine.fields)
    assert {"process.name", "user.id", "@timestamp", "event.category"} <= set(engine.fields)
    wmi = eqlc.Engine.from_path(RULE).fields
    assert "process.parent.name" in wmi and "labels.scenario" not in wmi
    # The fields alone are enough to match: the events cut down to them give the same alerts.
    def keep(source, prefix=""):
        out = {}
        for key, value in source.items():
            path = prefix + key
            if isinstance(value, dict):
                inner = keep(value, path + ".")
                if inner:
                    out[key] = inner
            elif path in wmi:
                out[key] = value
        return out
    engine = eqlc.Engine.from_path(RULE)
    events = [json.loads(l) for l in lines_of("wmi_defend.ndjson")]
    cut = engine.push_many(keep(e) for e in events) + engine.finish()
    assert len(cut) == len(TRUTH["files"]["wmi_defend.ndjson"]["alerts"])


def test_check_gives_diagnostics_with_positions():
    assert eqlc.check('process where process.name : "cmd.exe"') == []
    [d] = eqlc.check("process where x ==")
    assert (d.line, d.column, d.phase, d.severity) == (1, 19, "syntax", "error")
    assert d.message and d.origin == "<query>"
    assert str(d).startswith("<query>:1:19: error: ")
    assert d.to_dict()["column"] == 19
    [d] = eqlc.check("process where\n  foo(process.name)", name="q.eql")
    assert (d.origin, d.line, d.column, d.phase) == ("q.eql", 2, 3, "semantics")
    assert "foo" in d.message


def test_check_with_a_mapping():
    mapping = {"dynamic": "strict",
               "properties": {"@timestamp": {"type": "date"}, "event": {"properties": {"category": {"type": "keyword"}}},
                              "process": {"properties": {"pid": {"type": "long"}}}}}
    assert eqlc.check('process where process.pid == 4', mapping=mapping) == []
    [d] = eqlc.check('process where process.nope == 4', mapping=json.dumps(mapping))
    assert d.severity == "error" and "nope" in d.message
    # A dynamic mapping (the default) accepts the field, with a warning.
    del mapping["dynamic"]
    [d] = eqlc.check('process where process.nope == 4', mapping=mapping)
    assert d.severity == "warning" and "not in the mapping" in d.message


def test_query_errors_carry_the_diagnostics():
    with pytest.raises(eqlc.QueryError) as caught:
        eqlc.Engine.from_query("process where foo(x) and y ==", name="bad")
    error = caught.value
    assert isinstance(error, eqlc.Error)
    assert error.diagnostics and error.diagnostics[0].origin == "bad"
    assert error.diagnostics[0].line == 1 and error.diagnostics[0].column > 1
    assert str(error).startswith("bad:1:")


def test_a_bad_rule_file_is_a_query_error_at_its_place_in_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[rule]\nname = \"x\"\nquery = '''\nprocess where a = 1\n'''\nlanguage = \"eql\"\n")
    with pytest.raises(eqlc.QueryError) as caught:
        eqlc.Engine.from_path(bad)
    d = caught.value.diagnostics[0]
    assert (d.origin, d.line, d.column) == (str(bad), 4, 17)
    broken = tmp_path / "broken.toml"
    broken.write_text("[rule\nname = 1\n")
    with pytest.raises(eqlc.QueryError) as caught:
        eqlc.Engine.from_path(broken)
    assert caught.value.diagnostics[0].line == 1


def test_skip_invalid_runs_the_valid_rules(tmp_path):
    (tmp_path / "bad.eql").write_text("process where a = 1")
    (tmp_path / "good.eql").write_text('process where process.name : "cmd.exe"')
    with pytest.raises(eqlc.QueryError):
        eqlc.Engine.from_path(tmp_path)
    engine = eqlc.Engine.from_path(tmp_path, skip_invalid=True)
    assert engine.rules == ["bad", "good"]
    assert any(p.origin.endswith("bad.eql") and p.severity == "error" for p in engine.problems)
    alerts = engine.push(event(0, "cmd.exe"))
    assert [a["query"] for a in alerts] == ["good"]


def test_a_duplicate_rule_id_is_refused(tmp_path):
    for folder, query in [("a", "process where true"), ("b", "network where true")]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.eql").write_text(query)
    with pytest.raises(eqlc.QueryError) as caught:
        eqlc.Engine.from_path(tmp_path)
    [d] = caught.value.diagnostics
    assert d.origin == str(tmp_path / "b" / "x.eql") and d.phase == "rule"
    assert eqlc.Engine.from_path(tmp_path, skip_invalid=True).rules == ["x"]


def test_unreadable_paths_and_wrong_options():
    with pytest.raises(eqlc.InputError):
        eqlc.Engine.from_path("/nonexistent/rules")
    with pytest.raises(eqlc.QueryError):
        eqlc.Engine.from_path(SAMPLES / "README.md")  # a file that is no EQL
    with pytest.raises(TypeError):
        eqlc.Engine.from_query("process where true", no_such_option=1)
    with pytest.raises(TypeError):
        eqlc.Engine.from_query("process where true", max_keys=-1)
    with pytest.raises(eqlc.QueryError) as caught:
        eqlc.Engine.from_query("process where true", mapping="{not json")
    assert caught.value.diagnostics[0].phase == "mapping"


def event(second, name, category="process", host="h1", **fields):
    e = {"@timestamp": f"2026-01-01T00:00:{second:02d}Z", "event": {"category": category},
         "host": {"id": host}, "process": {"name": name}}
    e.update(fields)
    return e


SEQUENCE = 'sequence by host.id [network where true] [process where process.name : "cmd.exe"]'


def test_a_bad_line_is_reported_and_the_engine_goes_on():
    engine = eqlc.Engine.from_query(SEQUENCE, name="seq")
    assert engine.push(event(0, "svchost.exe", "network")) == []
    assert engine.push('{"@timestamp": "2026-01-01T00:00:01Z", "event": ') == []
    assert engine.push(b"\xff\xfe not json") == []
    alerts = engine.push(json.dumps(event(2, "cmd.exe")))
    assert len(alerts) == 1 and alerts[0]["query"] == "seq"
    assert [(b.origin, b.line) for b in engine.bad_input] == [("<event>", 2), ("<event>", 3)]
    origin, line, message, excerpt = engine.bad_input[0]
    assert "JSON" in message and excerpt.startswith('{"@timestamp"')
    assert engine.stats["bad_lines"] == 2
    # In a batch, the lines are numbered on from the events given before.
    assert engine.push_many([json.dumps(event(3, "x")), "{oops", ""]) == []
    assert engine.bad_input[-1].line == 6
    assert engine.stats["bad_lines"] == 3


def test_on_bad_input_callback_and_its_exceptions():
    engine = eqlc.Engine.from_query(SEQUENCE)
    seen = []
    engine.on_bad_input = seen.append
    engine.push_many([json.dumps(event(0, "a", "network")), "nope", json.dumps(event(1, "cmd.exe"))])
    assert [b.line for b in seen] == [2] and engine.bad_input == []

    def refuse(report):
        raise ValueError(report.message)

    engine.on_bad_input = refuse
    with pytest.raises(ValueError):
        engine.push_many([json.dumps(event(2, "a", "network", host="h2")), "nope",
                          json.dumps(event(3, "cmd.exe", host="h2"))])
    # The alert the call completed before it raised comes with the next call.
    alerts = engine.finish()
    assert [a["join_keys"] for a in alerts] == [["h2"]]


def test_an_item_that_is_not_json_stops_push_many_after_the_items_before_it():
    engine = eqlc.Engine.from_query(SEQUENCE)
    with pytest.raises(TypeError):
        engine.push_many([event(0, "a", "network"), event(1, "cmd.exe"), {"bad": object()}, event(2, "x")])
    assert engine.stats["events"] == 2
    assert len(engine.finish()) == 1
    with pytest.raises(TypeError):
        engine.push(object())
    with pytest.raises(TypeError):
        engine.push_many(3)
    with pytest.raises(TypeError):  # one event where an iterable of them belongs
        engine.push_many(json.dumps(event(3, "cmd.exe")))
    with pytest.raises(TypeError):
        engine.push_many(event(3, "cmd.exe"))
    assert engine.stats["events"] == 2 and engine.bad_input == []


def test_snapshot_and_restore_continue_a_sequence():
    engine = eqlc.Engine.from_path(RULE)
    lines = lines_of("wmi_defend.ndjson")
    # The first scenario's network event, then a snapshot: its sequence is pending.
    assert engine.push(lines[0]) == []
    state = engine.snapshot()
    assert isinstance(state, bytes) and state
    assert engine.stats["pending_partials"] == 1

    resumed = eqlc.Engine.from_path(RULE)
    resumed.restore(state)
    alerts = resumed.push_many(lines[1:]) + resumed.finish()
    check_alerts("wmi_defend.ndjson", alerts)
    # bytearray and memoryview are taken as well.
    eqlc.Engine.from_path(RULE).restore(bytearray(state))
    eqlc.Engine.from_path(RULE).restore(memoryview(state))


def test_restore_refuses_what_does_not_fit():
    engine = eqlc.Engine.from_path(RULE)
    with pytest.raises(eqlc.StateError):
        engine.restore(b"not a snapshot")
    other = eqlc.Engine.from_query("process where true")
    with pytest.raises(eqlc.StateError):
        engine.restore(other.snapshot())
    with pytest.raises(eqlc.StateError):
        eqlc.Engine.from_query("process where true", sort_input=True).snapshot()
    # Still usable after the refusals.
    check_alerts("wmi_sysmon.ndjson", many_list(engine, "wmi_sysmon.ndjson"))


def test_options_reach_the_engine():
    engine = eqlc.Engine.from_query('process where process.name : "cmd.exe"', timestamp_field="ts",
                                    event_category_field="kind")
    e = {"ts": "2026-01-01T00:00:00Z", "kind": "process", "process": {"name": "cmd.exe"}}
    assert len(engine.push(e)) == 1
    head = eqlc.Engine.from_query("process where true", size=2, head=True)
    alerts = head.push_many([event(i, "p%d" % i) for i in range(5)]) + head.finish()
    assert [a["events"][0]["_source"]["process"]["name"] for a in alerts] == ["p0", "p1"]


def test_threads_feeding_engines():
    lines = lines_of("wmi_defend.ndjson")
    shared = eqlc.Engine.from_path(RULE, prefilter=False)
    results = {}

    def work(i):
        own = eqlc.Engine.from_path(RULE)
        results[i] = many_list(own, "wmi_defend.ndjson")
        for _ in range(20):
            shared.push_many(lines)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for alerts in results.values():
        check_alerts("wmi_defend.ndjson", alerts)
    assert shared.stats["events"] == 4 * 20 * len(lines)


def test_rule_tests_pass_on_the_shipped_rule():
    cases = eqlc.test_rule(RULE)
    assert len(cases) >= 70
    assert all(c["passed"] for c in cases), [c["name"] for c in cases if not c["passed"]]
    whole = cases[0]
    assert whole["actual"] and [a["ids"] for a in whole["actual"]] == whole["expected"]


def test_rule_tests_say_why_an_alert_is_missing(tmp_path):
    rule = tmp_path / "r.eql"
    rule.write_text('process where process.name : "cmd.exe"\n')
    event = '{"@timestamp":"2026-01-01T00:00:00Z","event":{"id":"a","category":"process"},"process":{"name":"x.exe"}}'
    (tmp_path / "r.test.toml").write_text("[[case]]\nname = 'miss'\nevents = ['%s']\nalerts = [['a']]\n" % event)
    (case,) = eqlc.test_rule(rule)
    assert not case["passed"]
    assert case["actual"] == []
    assert case["missing"][0]["alert"] == 0
    assert case["missing"][0]["summary"]


def test_rule_tests_refuse_a_broken_test_file(tmp_path):
    rule = tmp_path / "r.eql"
    rule.write_text('process where true\n')
    (tmp_path / "r.test.toml").write_text("[[case]]\nname = 'x'\nevents = []\n")
    with pytest.raises(eqlc.QueryError) as error:
        eqlc.test_rule(rule)
    assert "alerts" in str(error.value)
    with pytest.raises(eqlc.InputError):
        eqlc.test_rule(tmp_path / "nope.eql")


def test_stats_have_the_stage_counters():
    engine = eqlc.Engine.from_path(str(RULE))
    engine.push_many((SAMPLES / "wmi_defend.ndjson").read_text().splitlines())
    engine.finish()
    stages = engine.stats["stages"][RULE_NAME]
    assert len(stages["stages"]) == 2
    first, second = stages["stages"]
    assert stages["completed"] == len(TRUTH["files"]["wmi_defend.ndjson"]["alerts"])
    assert first["started"] >= stages["completed"] and second["advanced"] == stages["completed"]
    assert first["expired"] >= 1  # the maxspan-20.001s scenario's connection
