#!/usr/bin/env python3
"""Writes the WMI lateral-movement sample events and their ground truth.

    python3 rules/samples/make_samples.py      # from the repository root

Outputs (next to this script): wmi_defend.ndjson, wmi_sysmon.ndjson, expected_alerts.json, and the
scenario table of README.md (between the "scenario-table" markers). Edit the scenarios here, not the
generated files. The expected outcomes are written by hand below (`alerts=`), from reading the rule; the
script only checks they are consistent (events exist, alerts pair a network event with a later process
event of the same host within 20 s) and computes each alert's severity with the rule's severity_mapping.
"""

import json
import os
import re
import uuid
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
RULE_TOML = "rules/wmi_incoming_lateral_movement.toml"
RULE_ID = "fd7607f0-6c96-475a-9da6-d0f56b4e9ac5"
HIGH_NAMES = {"cmd.exe", "powershell.exe", "mimikatz.exe"}  # the rule's severity_mapping (exact, case-sensitive)
MAXSPAN = timedelta(seconds=20)

# ------------------------------------------------------------------------------------------------
# Accounts and machines

ALICE = {"id": "S-1-5-21-3623811015-3361044348-30300820-1104", "name": "alice.admin", "domain": "CORP"}
BOB = {"id": "S-1-5-21-3623811015-3361044348-30300820-1121", "name": "bob", "domain": "CORP"}
SYSTEM = {"id": "S-1-5-18", "name": "SYSTEM", "domain": "NT AUTHORITY"}
LOCAL_SERVICE = {"id": "S-1-5-19", "name": "LOCAL SERVICE", "domain": "NT AUTHORITY"}
NETWORK_SERVICE = {"id": "S-1-5-20", "name": "NETWORK SERVICE", "domain": "NT AUTHORITY"}

ATTACKER_IP = "10.10.5.23"          # the admin workstation the attacker took over
ATTACKER_IP6 = "fd00:10:10:5::23"

WIN_SERVER = {"name": "Windows Server 2019 Datacenter", "version": "1809", "kernel": "1809 (10.0.17763.5329)",
              "build": "17763.5329"}
WIN_10 = {"name": "Windows 10 Enterprise", "version": "22H2", "kernel": "22H2 (10.0.19045.3803)",
          "build": "19045.3803"}


class Host:
    counter = 0

    def __init__(self, name, os_info=WIN_SERVER):
        Host.counter += 1
        self.name = name
        self.id = str(uuid.uuid5(uuid.NAMESPACE_DNS, name + ".corp.example"))
        self.ip = "10.10.%d.%d" % (20 + Host.counter // 200, 10 + Host.counter % 200)
        self.os = os_info

    def ecs(self):
        return {
            "id": self.id,
            "name": self.name,
            "hostname": self.name,
            "architecture": "x86_64",
            "ip": [self.ip],
            "os": {"type": "windows", "family": "windows", "platform": "windows", "name": self.os["name"],
                   "version": self.os["version"], "kernel": self.os["kernel"]},
        }


# ------------------------------------------------------------------------------------------------
# Event shapes

def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


pid_counter = [4000]


def next_pid():
    pid_counter[0] += 36
    return pid_counter[0]


def entity_id(*parts):
    return uuid.uuid5(uuid.NAMESPACE_OID, "/".join(str(p) for p in parts)).hex


def split_args(command_line):
    """Windows-style argv split, good enough for the command lines below (double quotes group)."""
    return [a.replace('"', "") for a in re.findall(r'(?:[^\s"]+|"[^"]*")+', command_line)]


def local_address(host, source_ip):
    """The address the connection arrived on: loopback for a loopback source, else the host's own."""
    if source_ip in ("127.0.0.1", "::1"):
        return source_ip
    if ":" in source_ip:
        return "fd00:10:10:20::" + host.ip.rsplit(".", 1)[-1]
    return host.ip


def defend_network(host, t, source_ip, *, direction="incoming", process_name="svchost.exe", port=135,
                   source_port=None):
    ipv6 = ":" in source_ip
    pid = 1012
    return {
        "@timestamp": iso(t),
        "agent": {"type": "endpoint", "version": "8.15.3", "id": entity_id("agent", host.id)},
        "data_stream": {"dataset": "endpoint.events.network", "namespace": "default", "type": "logs"},
        "ecs": {"version": "8.11.0"},
        "event": {"action": "connection_accepted", "category": ["network"], "type": ["start"], "kind": "event",
                  "module": "endpoint", "dataset": "endpoint.events.network", "outcome": "unknown",
                  "created": iso(t), "id": entity_id("event", host.id, iso(t))[:24]},
        "host": host.ecs(),
        "network": {"direction": direction, "transport": "tcp", "type": "ipv6" if ipv6 else "ipv4"},
        "process": {"name": process_name, "pid": pid, "executable": "C:\\Windows\\System32\\" + process_name,
                    "entity_id": entity_id("proc", host.id, pid)},
        "source": {"ip": source_ip, "port": source_port or 49152 + (t.second * 137 + t.microsecond // 1000) % 16000},
        "destination": {"ip": local_address(host, source_ip), "port": port},
        "user": dict(NETWORK_SERVICE),
    }


def defend_process(host, t, executable, command_line, *, parent="WmiPrvSE.exe", user=ALICE, integrity="high",
                   event_type=("start",), args=None, name=None, parent_command_line=None):
    pid = next_pid()
    name = name or executable.rsplit("\\", 1)[-1]
    if parent.lower() == "wmiprvse.exe":
        parent_exe = "C:\\Windows\\System32\\wbem\\" + parent
        parent_command_line = parent_command_line or parent_exe + " -secured -Embedding"
    else:
        parent_exe = "C:\\Windows\\System32\\" + parent
        parent_command_line = parent_command_line or parent_exe
    process = {
        "name": name,
        "pid": pid,
        "executable": executable,
        "command_line": command_line,
        "args": list(args) if args is not None else split_args(command_line),
        "args_count": len(args) if args is not None else len(split_args(command_line)),
        "entity_id": entity_id("proc", host.id, pid),
        "working_directory": "C:\\Windows\\system32\\",
        "parent": {"name": parent, "pid": 3316, "executable": parent_exe,
                   "command_line": parent_command_line,
                   "args": split_args(parent_command_line),
                   "entity_id": entity_id("proc", host.id, 3316)},
    }
    if integrity is not None:
        process["Ext"] = {"token": {"integrity_level_name": integrity, "elevation": integrity in ("high", "system")}}
    return {
        "@timestamp": iso(t),
        "agent": {"type": "endpoint", "version": "8.15.3", "id": entity_id("agent", host.id)},
        "data_stream": {"dataset": "endpoint.events.process", "namespace": "default", "type": "logs"},
        "ecs": {"version": "8.11.0"},
        "event": {"action": "start" if "start" in event_type else "end", "category": ["process"],
                  "type": list(event_type), "kind": "event", "module": "endpoint",
                  "dataset": "endpoint.events.process", "created": iso(t),
                  "id": entity_id("event", host.id, iso(t))[:24]},
        "host": host.ecs(),
        "process": process,
        "user": dict(user),
    }


def sysmon_common(host, t, code, action):
    return {
        "@timestamp": iso(t),
        "agent": {"type": "filebeat", "version": "8.15.3", "id": entity_id("agent", host.id)},
        "data_stream": {"dataset": "windows.sysmon_operational", "namespace": "default", "type": "logs"},
        "ecs": {"version": "8.11.0"},
        "event": {"code": code, "action": action, "kind": "event", "module": "sysmon", "provider":
                  "Microsoft-Windows-Sysmon", "dataset": "windows.sysmon_operational", "created": iso(t)},
        "host": host.ecs(),
        "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "provider_name": "Microsoft-Windows-Sysmon",
                   "event_id": code, "computer_name": host.name + ".corp.example", "record_id": 0,
                   "user": {"identifier": "S-1-5-18", "name": "SYSTEM", "domain": "NT AUTHORITY", "type": "User"},
                   "event_data": {}},
    }


def sysmon_network(host, t, source_ip, *, direction="ingress", process_name="svchost.exe", port=135):
    e = sysmon_common(host, t, "3", "Network connection detected (rule: NetworkConnect)")
    e["event"].update({"category": ["network"], "type": ["connection", "start", "protocol"]})
    ipv6 = ":" in source_ip
    sport = 49152 + (t.second * 137 + t.microsecond // 1000) % 16000
    e["network"] = {"direction": direction, "transport": "tcp", "type": "ipv6" if ipv6 else "ipv4",
                    "protocol": "epmap"}
    e["process"] = {"name": process_name, "pid": 1012, "executable": "C:\\Windows\\System32\\" + process_name,
                    "entity_id": "{%s}" % uuid.uuid5(uuid.NAMESPACE_URL, host.id + "svchost")}
    e["source"] = {"ip": source_ip, "port": sport}
    e["destination"] = {"ip": local_address(host, source_ip), "port": port}
    # The Sysmon service writes every event as SYSTEM, which is where user.id comes from.
    e["user"] = {"id": "S-1-5-18", "name": "NETWORK SERVICE", "domain": "NT AUTHORITY"}
    e["winlog"]["event_data"] = {"Initiated": "false" if direction in ("ingress", "incoming") else "true",
                                 "SourceIsIpv6": "true" if ipv6 else "false", "DestinationPortName": "epmap",
                                 "RuleName": "-", "User": "NT AUTHORITY\\NETWORK SERVICE"}
    return e


def sysmon_process(host, t, executable, command_line, *, parent="WmiPrvSE.exe", account=ALICE, user_id="S-1-5-18",
                   integrity="High", dataset="windows.sysmon_operational"):
    e = sysmon_common(host, t, "1", "Process Create (rule: ProcessCreate)")
    e["event"].update({"category": ["process"], "type": ["start"], "dataset": dataset})
    e["data_stream"]["dataset"] = dataset
    pid = next_pid()
    parent_exe = "C:\\Windows\\System32\\wbem\\" + parent
    e["process"] = {
        "name": executable.rsplit("\\", 1)[-1],
        "pid": pid,
        "executable": executable,
        "command_line": command_line,
        "args": split_args(command_line),
        "args_count": len(split_args(command_line)),
        "entity_id": "{%s}" % uuid.uuid5(uuid.NAMESPACE_URL, "%s/%d" % (host.id, pid)),
        "working_directory": "C:\\Windows\\system32\\",
        "parent": {"name": parent, "pid": 3316, "executable": parent_exe,
                   "command_line": parent_exe + " -secured -Embedding",
                   "args": [parent_exe, "-secured", "-Embedding"]},
    }
    e["user"] = {"id": user_id, "name": account["name"], "domain": account["domain"]}
    e["winlog"]["event_data"] = {"IntegrityLevel": integrity, "LogonId": "0x3e7" if account is SYSTEM else "0x1f0a3c2",
                                 "TerminalSessionId": "0", "User": account["domain"] + "\\" + account["name"],
                                 "ParentUser": "NT AUTHORITY\\NETWORK SERVICE", "RuleName": "-"}
    return e


# ------------------------------------------------------------------------------------------------
# Scenarios

CMD = "C:\\Windows\\System32\\cmd.exe"
NOTEPAD = "C:\\Windows\\System32\\notepad.exe"
HOSTNAME = "C:\\Windows\\System32\\HOSTNAME.EXE"
POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"


class Scenario:
    def __init__(self, sid, title, alerts, why):
        self.twin = None      # for a scenario without alerts: the near-identical one that alerts
        self.sid = sid
        self.title = title
        self.events = []      # (event id, event)
        self.alerts = alerts  # list of (network event id, process event id)
        self.why = why
        self.hosts = []

    def add(self, eid, event):
        event["labels"] = {"scenario": self.sid, "event": eid}
        self.events.append((eid, event))
        if event["host"]["id"] not in self.hosts:
            self.hosts.append(event["host"]["id"])
        return self


def pair(sid, title, why, host, t, net, proc, alert=True, gap=1.25):
    """The common shape: one RPC connection, then one process `gap` seconds later."""
    s = Scenario(sid, title, [(sid + ":net", sid + ":proc")] if alert else [], why)
    s.add(sid + ":net", net(host, t))
    s.add(sid + ":proc", proc(host, t + timedelta(seconds=gap)))
    return s


def defend_scenarios(t0):
    out = []
    t = [t0]

    def slot():
        t[0] += timedelta(minutes=1)
        return t[0]

    def std_net(src=ATTACKER_IP, **kw):
        return lambda h, tt: defend_network(h, tt, src, **kw)

    def proc(exe, cmdline, **kw):
        return lambda h, tt: defend_process(h, tt, exe, cmdline, **kw)

    n = [0]

    def host(kind="srv"):
        n[0] += 1
        return Host("def-%s-%02d" % (kind, n[0]), WIN_SERVER if kind == "srv" else WIN_10)

    # The attack of the write-up: wmic /node:... process call create "cmd.exe /c whoami".
    h = host()
    s = pair("wmic-cmd", "wmic process call create \"cmd.exe /c whoami\": WmiPrvSE starts cmd.exe",
             "the attack; child cmd.exe -> high", h, slot(), std_net(), proc(CMD, "cmd.exe /c whoami"))
    # cmd.exe then runs whoami.exe; its parent is cmd.exe, so it is not a WMI child and changes nothing.
    s.add("wmic-cmd:whoami", defend_process(h, t[0] + timedelta(seconds=1.5), "C:\\Windows\\System32\\whoami.exe",
                                            "whoami", parent="cmd.exe",
                                            parent_command_line="cmd.exe /c whoami"))
    out.append(s)
    out.append(pair("invoke-wmimethod-notepad",
                    "Invoke-WmiMethod -Path Win32_Process -Name Create -ArgumentList \"notepad.exe\"",
                    "the attack; child notepad.exe -> medium", host(), slot(), std_net(),
                    proc(NOTEPAD, "notepad.exe")))
    out.append(pair("validation-calc", "the write-up's validation: wmic ... process call create \"calc.exe\"",
                    "medium", host(), slot(), std_net(), proc("C:\\Windows\\System32\\calc.exe", "calc.exe")))
    out.append(pair("powershell-child", "WmiPrvSE starts an encoded PowerShell command", "child powershell.exe -> high",
                    host(), slot(), std_net(),
                    proc(POWERSHELL, "powershell.exe -NoP -W Hidden -Enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=")))
    out.append(pair("mimikatz-child", "WmiPrvSE starts mimikatz.exe dropped in C:\\Users\\Public",
                    "child mimikatz.exe -> high", host(), slot(), std_net(),
                    proc("C:\\Users\\Public\\mimikatz.exe",
                         "C:\\Users\\Public\\mimikatz.exe privilege::debug sekurlsa::logonpasswords exit")))
    out.append(pair("severity-case-CMD.EXE", "child process.name is \"CMD.EXE\" (upper case)",
                    "the query matches; severity_mapping compares exactly (as Kibana), so CMD.EXE stays medium",
                    host(), slot(), std_net(), proc("C:\\Windows\\System32\\CMD.EXE", "CMD.EXE /c ver")))

    # maxspan = 20s: the gap is measured from the network event; exactly 20 s is inside, 20.001 s is not.
    out.append(pair("maxspan-exactly-20s", "child starts exactly 20.000 s after the connection",
                    "a gap equal to maxspan is accepted", host(), slot(), std_net(),
                    proc(HOSTNAME, "hostname"), gap=20.0))
    out.append(pair("maxspan-20.001s", "child starts 20.001 s after the connection",
                    "the gap exceeds maxspan", host(), slot(), std_net(), proc(HOSTNAME, "hostname"),
                    alert=False, gap=20.001))

    # Loopback sources are excluded; a real remote address (v4 or v6) is not.
    out.append(pair("loopback-127.0.0.1", "RPC connection from 127.0.0.1", "source.ip not in (127.0.0.1, ::1)",
                    host(), slot(), std_net("127.0.0.1"), proc(HOSTNAME, "hostname"), alert=False))
    out.append(pair("loopback-::1", "RPC connection from ::1", "source.ip not in (127.0.0.1, ::1)",
                    host(), slot(), std_net("::1"), proc(HOSTNAME, "hostname"), alert=False))
    out.append(pair("remote-ipv4", "twin of the loopback cases: source 10.10.5.23", "remote source",
                    host(), slot(), std_net(ATTACKER_IP), proc(HOSTNAME, "hostname")))
    out.append(pair("remote-ipv6", "twin of loopback-::1: source fd00:10:10:5::23", "remote source",
                    host(), slot(), std_net(ATTACKER_IP6), proc(HOSTNAME, "hostname")))

    # network.direction
    for direction, alert in (("incoming", True), ("ingress", True), ("outgoing", False), ("egress", False)):
        out.append(pair("direction-" + direction, "network.direction \"%s\"" % direction,
                        "network.direction : (\"incoming\", \"ingress\")" + ("" if alert else " is false"),
                        host(), slot(), std_net(direction=direction), proc(HOSTNAME, "hostname"), alert=alert))

    # `:` is case-insensitive.
    out.append(pair("case-SVCHOST.EXE", "process.name \"SVCHOST.EXE\" on the network event",
                    "`:` ignores case", host(), slot(), std_net(process_name="SVCHOST.EXE"),
                    proc(HOSTNAME, "hostname")))
    out.append(pair("case-wmiprvse.exe", "process.parent.name \"wmiprvse.exe\"", "`:` ignores case",
                    host(), slot(), std_net(), proc(HOSTNAME, "hostname", parent="wmiprvse.exe")))
    out.append(pair("port-445", "connection to port 445 instead of 135", "destination.port == 135 is false",
                    host(), slot(), std_net(port=445), proc(HOSTNAME, "hostname"), alert=False))
    out.append(pair("port-135", "twin of port-445", "RPC endpoint mapper port", host(), slot(), std_net(port=135),
                    proc(HOSTNAME, "hostname")))
    out.append(pair("parent-services.exe", "the child's parent is services.exe, not WmiPrvSE.exe",
                    "process.parent.name : \"WmiPrvSE.exe\" is false", host(), slot(), std_net(),
                    proc(HOSTNAME, "hostname", parent="services.exe"), alert=False))
    out.append(pair("process-end-event", "the process event is an end event (event.type [\"end\"])",
                    "event.type == \"start\" is false", host(), slot(), std_net(),
                    proc(HOSTNAME, "hostname", event_type=("end",)), alert=False))
    out.append(pair("process-start-event", "twin of process-end-event", "event.type [\"start\"]",
                    host(), slot(), std_net(), proc(HOSTNAME, "hostname", event_type=("start",))))

    # Integrity level (Elastic Defend writes it in lower case; `:` ignores case).
    for level, alert in (("system", False), ("System", False), ("high", True), ("medium", True)):
        out.append(pair("defend-integrity-" + level, "process.Ext.token.integrity_level_name \"%s\"" % level,
                        "integrity System is excluded" if not alert else "not System",
                        host(), slot(), std_net(), proc(HOSTNAME, "hostname", integrity=level), alert=alert))

    # Service-account SIDs are excluded on Defend data. The integrity field is left out of these events so
    # that only the user.id clause decides (a missing ?field passes the integrity clause).
    for who, alert in ((SYSTEM, False), (LOCAL_SERVICE, False), (NETWORK_SERVICE, False), (BOB, True)):
        sid = "defend-sid-" + (who["id"].rsplit("-", 1)[-1] if not alert else "domain-user")
        out.append(pair(sid,
                        "user.id %s (%s\\%s), Elastic Defend" % (who["id"], who["domain"], who["name"]),
                        "service SID on a non-Sysmon dataset" if not alert else "a domain user's SID",
                        host(), slot(), std_net(), proc(HOSTNAME, "hostname", user=who, integrity=None), alert=alert))

    # Excluded admin tools, each with a twin that differs only in its path.
    tools = [
        ("hpsum", "C:\\Program Files\\HPWBEM\\Tools\\hpsum_swdiscovery.exe",
         "C:\\Program Files (x86)\\HPWBEM\\Tools\\hpsum_swdiscovery.exe", "hpsum_swdiscovery.exe /discover"),
        ("ccm32bitlauncher", "C:\\Windows\\CCM\\Ccm32BitLauncher.exe", "C:\\Windows\\Temp\\CCM\\Ccm32BitLauncher.exe",
         "Ccm32BitLauncher.exe /run"),
        ("mofcomp", "C:\\Windows\\System32\\wbem\\mofcomp.exe", "C:\\Windows\\SysWOW64\\wbem\\mofcomp.exe",
         "mofcomp.exe C:\\Windows\\Temp\\inventory.mof"),
        ("powercfg", "C:\\Windows\\System32\\powercfg.exe", "C:\\Users\\Public\\powercfg.exe", "powercfg.exe /list"),
        ("csc-framework", "C:\\Windows\\Microsoft.NET\\Framework\\v4.0.30319\\csc.exe",
         "C:\\Users\\Public\\Downloads\\csc.exe", "csc.exe /noconfig /fullpaths @\"C:\\Windows\\Temp\\x1.cmdline\""),
        ("csc-framework64", "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe",
         "C:\\ProgramData\\csc.exe", "csc.exe /noconfig /fullpaths @\"C:\\Windows\\Temp\\x2.cmdline\""),
    ]
    for tag, excluded, elsewhere, cmdline in tools:
        out.append(pair("tool-" + tag, excluded, "excluded process.executable", host(), slot(), std_net(),
                        proc(excluded, cmdline), alert=False))
        out.append(pair("tool-" + tag + "-elsewhere", elsewhere, "same name outside the excluded path",
                        host(), slot(), std_net(), proc(elsewhere, cmdline)))
    out.append(pair("tool-powercfg-lowercase-path", "c:\\windows\\system32\\powercfg.exe", "`:` ignores case: excluded",
                    host(), slot(), std_net(), proc("c:\\windows\\system32\\powercfg.exe", "powercfg /list"),
                    alert=False))

    # msiexec.exe: excluded only with an argument that IS "REBOOT=ReallySuppress" (any case).
    msi = "C:\\Windows\\System32\\msiexec.exe"
    out.append(pair("msiexec-reboot-reallysuppress", "msiexec /i ... REBOOT=ReallySuppress",
                    "msiexec.exe with the REBOOT=ReallySuppress argument", host(), slot(), std_net(),
                    proc(msi, "msiexec.exe /i C:\\Windows\\Temp\\agent.msi /qn REBOOT=ReallySuppress"), alert=False))
    out.append(pair("msiexec-reboot-lowercase", "msiexec ... reboot=reallysuppress", "`:` ignores case: excluded",
                    host(), slot(), std_net(),
                    proc(msi, "msiexec.exe /i C:\\Windows\\Temp\\agent.msi /qn reboot=reallysuppress"), alert=False))
    out.append(pair("msiexec-no-reboot-arg", "msiexec /i ... /qn (no REBOOT argument)", "twin: not excluded",
                    host(), slot(), std_net(), proc(msi, "msiexec.exe /i C:\\Windows\\Temp\\agent.msi /qn")))
    out.append(pair("msiexec-reboot-inside-one-arg",
                    "process.args holds \"/qn REBOOT=ReallySuppress\" as ONE element",
                    "process.args : \"REBOOT=ReallySuppress\" compares whole elements: no element equals it",
                    host(), slot(), std_net(),
                    proc(msi, "msiexec.exe /i C:\\Windows\\Temp\\agent.msi \"/qn REBOOT=ReallySuppress\"",
                         args=["msiexec.exe", "/i", "C:\\Windows\\Temp\\agent.msi", "/qn REBOOT=ReallySuppress"])))
    out.append(pair("msiexec-syswow64-reboot", "C:\\Windows\\SysWOW64\\msiexec.exe ... REBOOT=ReallySuppress",
                    "the exclusion names System32 only", host(), slot(), std_net(),
                    proc("C:\\Windows\\SysWOW64\\msiexec.exe",
                         "msiexec.exe /i C:\\Windows\\Temp\\agent.msi /qn REBOOT=ReallySuppress")))

    appcmd = "C:\\Windows\\System32\\inetsrv\\appcmd.exe"
    out.append(pair("appcmd-uninstall", "appcmd.exe uninstall module ...", "appcmd.exe with the uninstall argument",
                    host(), slot(), std_net(), proc(appcmd, "appcmd.exe uninstall module DynamicCompressionModule"),
                    alert=False))
    out.append(pair("appcmd-list", "appcmd.exe list apppool", "twin: other verbs are not excluded",
                    host(), slot(), std_net(), proc(appcmd, "appcmd.exe list apppool")))

    # Correlation: by host.id, in order.
    ha, hb = host(), host()
    s = Scenario("other-host", "RPC connection on one host, WmiPrvSE child on another", [],
                 "sequence by host.id: the two events have different keys")
    t1 = slot()
    s.add("other-host:net", defend_network(ha, t1, ATTACKER_IP))
    s.add("other-host:proc", defend_process(hb, t1 + timedelta(seconds=1.25), NOTEPAD, "notepad.exe"))
    out.append(s)
    out.append(pair("same-host", "twin of other-host", "same host.id", host(), slot(), std_net(),
                    proc(NOTEPAD, "notepad.exe")))
    hw = host()
    s = Scenario("wrong-order", "the WmiPrvSE child starts 2 s BEFORE the RPC connection", [],
                 "the network term must come first")
    t1 = slot()
    s.add("wrong-order:proc", defend_process(hw, t1, NOTEPAD, "notepad.exe"))
    s.add("wrong-order:net", defend_network(hw, t1 + timedelta(seconds=2), ATTACKER_IP))
    out.append(s)
    out.append(pair("right-order", "twin of wrong-order", "network first, then the process", host(), slot(),
                    std_net(), proc(NOTEPAD, "notepad.exe")))

    # Sequence state: the newest pending connection pairs; a completed sequence is consumed.
    hn = host()
    s = Scenario("two-connections-one-child", "connections at +0 s and +15 s, child at +30 s",
                 [("two-connections-one-child:net2", "two-connections-one-child:proc")],
                 "the newer connection replaces the older pending one; 15 s <= 20 s")
    t1 = slot()
    s.add("two-connections-one-child:net1", defend_network(hn, t1, ATTACKER_IP))
    s.add("two-connections-one-child:net2", defend_network(hn, t1 + timedelta(seconds=15), ATTACKER_IP))
    s.add("two-connections-one-child:proc", defend_process(hn, t1 + timedelta(seconds=30), CMD, "cmd.exe /c ipconfig /all"))
    out.append(s)
    hc = host()
    s = Scenario("one-connection-two-children", "one connection, children at +1 s and +3 s",
                 [("one-connection-two-children:net", "one-connection-two-children:proc1")],
                 "the first child completes the sequence and consumes the connection; the second has none")
    t1 = slot()
    s.add("one-connection-two-children:net", defend_network(hc, t1, ATTACKER_IP))
    s.add("one-connection-two-children:proc1", defend_process(hc, t1 + timedelta(seconds=1), NOTEPAD, "notepad.exe"))
    s.add("one-connection-two-children:proc2", defend_process(hc, t1 + timedelta(seconds=3), HOSTNAME, "hostname"))
    out.append(s)
    return out


def sysmon_scenarios(t0):
    out = []
    t = [t0]

    def slot():
        t[0] += timedelta(minutes=1)
        return t[0]

    n = [0]

    def host():
        n[0] += 1
        return Host("sys-srv-%02d" % n[0])

    def net(src=ATTACKER_IP, **kw):
        return lambda h, tt: sysmon_network(h, tt, src, **kw)

    def proc(exe, cmdline, **kw):
        return lambda h, tt: sysmon_process(h, tt, exe, cmdline, **kw)

    out.append(pair("sysmon-wmic-cmd", "wmic process call create \"cmd.exe /c whoami\" (Sysmon 3 + 1)",
                    "the attack; child cmd.exe -> high", host(), slot(), net(), proc(CMD, "cmd.exe /c whoami")))
    out.append(pair("sysmon-invoke-wmimethod-notepad", "Invoke-WmiMethod ... -ArgumentList \"notepad.exe\"",
                    "the attack; child notepad.exe -> medium", host(), slot(), net(), proc(NOTEPAD, "notepad.exe")))
    out.append(pair("sysmon-powershell-child", "WmiPrvSE starts powershell.exe", "child powershell.exe -> high",
                    host(), slot(), net(), proc(POWERSHELL, "powershell.exe -NoProfile -Command Get-Process")))
    for level, alert in (("System", False), ("High", True), ("Medium", True)):
        out.append(pair("sysmon-integrity-" + level, "winlog.event_data.IntegrityLevel \"%s\"" % level,
                        "integrity System is excluded" if not alert else "not System",
                        host(), slot(), net(), proc(HOSTNAME, "hostname", integrity=level), alert=alert))
    # On Sysmon data the user.id clause does not apply (event.dataset is windows.sysmon_operational).
    # The integrity level is High in these three so that only the SID clause is in play.
    for who in (SYSTEM, LOCAL_SERVICE, NETWORK_SERVICE):
        sid = who["id"]
        out.append(pair("sysmon-sid-" + sid.rsplit("-", 1)[-1],
                        "user.id %s (%s) on a Sysmon event, IntegrityLevel High" % (sid, who["name"]),
                        "the SID exclusion is skipped for event.dataset windows.sysmon_operational",
                        host(), slot(), net(),
                        proc(HOSTNAME, "hostname", account=who, user_id=sid, integrity="High")))
    out.append(pair("sysmon-sid-18-dataset-windows.sysmon", "user.id S-1-5-18, event.dataset \"windows.sysmon\"",
                    "windows.sysmon is the other dataset the SID clause skips", host(), slot(), net(),
                    proc(HOSTNAME, "hostname", dataset="windows.sysmon")))
    out.append(pair("sysmon-sid-18-system-integrity", "user.id S-1-5-18 and IntegrityLevel System (SYSTEM child)",
                    "not excluded by the SID clause, but the integrity clause excludes it", host(), slot(), net(),
                    proc(HOSTNAME, "hostname", account=SYSTEM, integrity="System"), alert=False))
    out.append(pair("sysmon-direction-egress", "network.direction \"egress\" (Initiated true)",
                    "not an incoming connection", host(), slot(), net(direction="egress"),
                    proc(HOSTNAME, "hostname"), alert=False))
    out.append(pair("sysmon-loopback-::1", "RPC connection from ::1", "loopback source", host(), slot(),
                    net("::1"), proc(HOSTNAME, "hostname"), alert=False))
    out.append(pair("sysmon-csc-framework64", "csc.exe under Framework64\\v4.0.30319", "excluded path",
                    host(), slot(), net(), proc("C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe",
                                                "csc.exe /noconfig @\"C:\\Windows\\Temp\\y.cmdline\""), alert=False))
    out.append(pair("sysmon-csc-elsewhere", "csc.exe under C:\\Users\\Public", "twin: not excluded", host(), slot(),
                    net(), proc("C:\\Users\\Public\\csc.exe", "csc.exe /noconfig @\"C:\\Windows\\Temp\\y.cmdline\"")))
    out.append(pair("sysmon-maxspan-exactly-20s", "child 20.000 s after the connection", "gap equal to maxspan",
                    host(), slot(), net(), proc(HOSTNAME, "hostname"), gap=20.0))
    out.append(pair("sysmon-maxspan-20.001s", "child 20.001 s after the connection", "gap exceeds maxspan",
                    host(), slot(), net(), proc(HOSTNAME, "hostname"), gap=20.001, alert=False))
    return out


# ------------------------------------------------------------------------------------------------
# Output

TWINS = {
    "maxspan-20.001s": "maxspan-exactly-20s",
    "loopback-127.0.0.1": "remote-ipv4",
    "loopback-::1": "remote-ipv6",
    "direction-outgoing": "direction-incoming",
    "direction-egress": "direction-ingress",
    "port-445": "port-135",
    "parent-services.exe": "remote-ipv4",
    "process-end-event": "process-start-event",
    "defend-integrity-system": "defend-integrity-high",
    "defend-integrity-System": "defend-integrity-high",
    "defend-sid-18": "defend-sid-domain-user",
    "defend-sid-19": "defend-sid-domain-user",
    "defend-sid-20": "defend-sid-domain-user",
    "tool-hpsum": "tool-hpsum-elsewhere",
    "tool-ccm32bitlauncher": "tool-ccm32bitlauncher-elsewhere",
    "tool-mofcomp": "tool-mofcomp-elsewhere",
    "tool-powercfg": "tool-powercfg-elsewhere",
    "tool-powercfg-lowercase-path": "tool-powercfg-elsewhere",
    "tool-csc-framework": "tool-csc-framework-elsewhere",
    "tool-csc-framework64": "tool-csc-framework64-elsewhere",
    "msiexec-reboot-reallysuppress": "msiexec-no-reboot-arg",
    "msiexec-reboot-lowercase": "msiexec-no-reboot-arg",
    "appcmd-uninstall": "appcmd-list",
    "other-host": "same-host",
    "wrong-order": "right-order",
    "sysmon-integrity-System": "sysmon-integrity-High",
    "sysmon-sid-18-system-integrity": "sysmon-sid-18",
    "sysmon-direction-egress": "sysmon-integrity-High",
    "sysmon-loopback-::1": "sysmon-integrity-High",
    "sysmon-csc-framework64": "sysmon-csc-elsewhere",
    "sysmon-maxspan-20.001s": "sysmon-maxspan-exactly-20s",
}


def severity_of(event):
    return "high" if event["process"]["name"] in HIGH_NAMES else "medium"


def write(file_name, scenarios):
    lines = []
    index = {}
    for s in scenarios:
        for eid, event in s.events:
            assert eid not in index, eid
            lines.append(event)
            index[eid] = len(lines)  # 1-based line
    stamps = [e["@timestamp"] for e in lines]
    assert stamps == sorted(stamps), file_name + ": timestamps must increase"
    with open(os.path.join(HERE, file_name), "w", newline="\n") as f:
        for i, e in enumerate(lines):
            if "winlog" in e:
                e["winlog"]["record_id"] = 81000 + i
            f.write(json.dumps(e, separators=(",", ":")) + "\n")

    alerts = []
    table = []
    by_id = {eid: e for s in scenarios for eid, e in s.events}
    names = {s.sid: s for s in scenarios}
    for s in scenarios:
        if not s.alerts:
            s.twin = TWINS[s.sid]
            assert names[s.twin].alerts, s.twin + " must alert"
        for net_id, proc_id in s.alerts:
            net, proc = by_id[net_id], by_id[proc_id]
            assert net["host"]["id"] == proc["host"]["id"]
            t_net = datetime.fromisoformat(net["@timestamp"].replace("Z", "+00:00"))
            t_proc = datetime.fromisoformat(proc["@timestamp"].replace("Z", "+00:00"))
            assert timedelta(0) < t_proc - t_net <= MAXSPAN, s.sid
            alerts.append({
                "scenario": s.sid,
                "host.id": net["host"]["id"],
                "host.name": net["host"]["name"],
                "events": [net_id, proc_id],
                "lines": [index[net_id], index[proc_id]],
                "timestamps": [net["@timestamp"], proc["@timestamp"]],
                "process.name": proc["process"]["name"],
                "severity": severity_of(proc),
                "risk_score": 47,
            })
        sev = ", ".join(sorted({a["severity"] for a in alerts if a["scenario"] == s.sid})) or "-"
        table.append((s, [index[eid] for eid, _ in s.events], sev))
    alerts.sort(key=lambda a: a["lines"][1])  # Elasticsearch lists sequences by their last event
    return lines, alerts, table


def toml_string(text):
    """A TOML basic string (JSON's escapes are TOML's for the characters these scenarios use)."""
    return json.dumps(text, ensure_ascii=False)


def write_test_file(truth, tables):
    """The rule's test file for `eqlc test`: each file whole, then every scenario on its own (its events chosen
    with `select`), with the expected alerts as their labels.event ids and their severities."""
    out = ["# Test cases of the WMI rule for `eqlc test rules/`: written by rules/samples/make_samples.py from the",
           "# scenarios of rules/samples/ (edit them there). Each alert is named by its events' labels.event ids.", ""]

    def case(name, events, alerts, select=None):
        out.append("[[case]]")
        out.append("name = %s" % toml_string(name))
        out.append("events = %s" % toml_string(events))
        if select:
            out.append("select = %s" % toml_string(select))
        out.append('id_field = "labels.event"')
        named = ["[%s]" % ", ".join(toml_string(e) for e in a["events"]) for a in alerts]
        severities = [toml_string(a["severity"]) for a in alerts]
        if len(alerts) > 1:  # one alert per line
            out.append("alerts = [\n%s,\n]" % ",\n".join("  " + n for n in named))
            out.append("severity = [\n%s,\n]" % ",\n".join("  " + v for v in severities))
        else:
            out.append("alerts = [%s]" % ", ".join(named))
            if alerts:
                out.append("severity = [%s]" % ", ".join(severities))
        out.append("")

    for name, table in tables:
        path = "samples/" + name
        alerts = truth["files"][name]["alerts"]
        case("%s: every scenario together" % name, path, alerts)
        for s, _, _ in table:
            mine = [a for a in alerts if a["scenario"] == s.sid]
            case("%s: %s (%s)" % (name, s.sid, s.why), path, mine, 'labels.scenario == %s' % toml_string(s.sid))
    with open(os.path.join(HERE, "..", "wmi_incoming_lateral_movement.test.toml"), "w", newline="\n") as f:
        f.write("\n".join(out))


def main():
    base = datetime(2026, 11, 20, 9, 0, 0, tzinfo=timezone.utc)
    defend = defend_scenarios(base)
    sysmon = sysmon_scenarios(base + timedelta(hours=2))
    truth = {
        "rule": RULE_TOML,
        "rule_id": RULE_ID,
        "scenario_field": "labels.scenario",
        "event_id_field": "labels.event",
        "severity_from": "severity_mapping evaluated on the last event of the sequence (the process event)",
        "files": {},
    }
    tables = []
    for name, scenarios in (("wmi_defend.ndjson", defend), ("wmi_sysmon.ndjson", sysmon)):
        lines, alerts, table = write(name, scenarios)
        truth["files"][name] = {
            "events": len(lines),
            "alerts": alerts,
            "scenarios": [dict({"scenario": s.sid, "hosts": s.hosts, "lines": ln, "expected_alerts": len(s.alerts),
                                "why": s.why}, **({"positive_twin": s.twin} if s.twin else {}))
                          for s, ln, _ in table],
        }
        tables.append((name, table))
    with open(os.path.join(HERE, "expected_alerts.json"), "w", newline="\n") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")

    write_test_file(truth, tables)

    rows = []
    for name, table in tables:
        rows.append("\n### %s\n" % name)
        rows.append("| scenario | what | lines | alert | why | severity | positive twin |")
        rows.append("|---|---|---|---|---|---|---|")
        for s, ln, sev in table:
            alert = "yes" if s.alerts else "no"
            if len(s.alerts) == 1 and len(ln) > 2:
                alert = "yes (1)"
            rows.append("| `%s` | %s | %s | %s | %s | %s | %s |" % (
                s.sid, s.title.replace("|", "\\|"), ", ".join(map(str, ln)), alert, s.why.replace("|", "\\|"), sev,
                "`%s`" % s.twin if s.twin else ""))
    readme = os.path.join(HERE, "README.md")
    text = open(readme).read()
    start, end = "<!-- scenario-table:start -->", "<!-- scenario-table:end -->"
    a, b = text.index(start) + len(start), text.index(end)
    text = text[:a] + "\n" + "\n".join(rows) + "\n\n" + text[b:]
    with open(readme, "w", newline="\n") as f:
        f.write(text)


if __name__ == "__main__":
    main()
