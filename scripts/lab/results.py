# SPDX-License-Identifier: GPL-2.0
"""results.py - what one lab run (scenario.sh's OUTDIR) measured, read
back: per phase (before, during, after the attack) and command, the
devices' requests, successes and latency percentiles; the rogue's
successes; the new connections the proxy's address opened, per phase
(their first request, OPTIONS, carries the TCP and TLS handshakes); the
CAS CPU's shares; the ring's drops; the RSTs the proxy's
stack sent; the flood's own count; the shield's counters as Prometheus
held them before and after the attack, and as `casshield stats` read
them.

  results.py summary OUTDIR      the summary as JSON (report.py, test_lab.sh)
  results.py table OUTDIR        the same for people (the demo)
"""
import json
import os
import sys

PHASES = ("before", "during", "after")
COMMANDS = ("OPTIONS", "FolderSync", "Sync", "Ping", "Provision")


def percentile(values, q):
    """The q-th percentile (0..100), nearest rank; None if no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))  # ceil(q/100 * n)
    return ordered[min(rank, len(ordered)) - 1]


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def phase_of(t, phases):
    for name in PHASES:
        start, end = phases[name]
        if start <= t < end:
            return name
    return None


def request_stats(records):
    ok = [r for r in records if r["ok"]]
    ms = [r["ms"] for r in ok]
    errors = {}
    for r in records:
        if not r["ok"]:
            key = r["err"].split(":")[0] if r["err"] else "HTTP %s status %s" % (r["http"], r["status"])
            errors[key] = errors.get(key, 0) + 1
    return {"requests": len(records), "ok": len(ok),
            "success": len(ok) / len(records) if records else None,
            "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99),
            "max_ms": max(ms) if ms else None, "errors": errors}


def read_counters(path):
    """prom-*.txt: "action/reason value" and "rule:NAME value" lines."""
    counters = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                key, value = line.split()
                counters[key] = float(value)
    return counters


def read_flood(path, seconds=None):
    """gen_live's "frames=N ns=T mpps=R", hping3's "N packets
    transmitted", or connflood's JSON."""
    if not os.path.exists(path):
        return {}
    text = open(path).read().strip()
    for line in text.splitlines():
        if "packets transmitted" in line and seconds:
            frames = int(line.split()[0])
            return {"frames": frames, "seconds": seconds, "mpps": frames / seconds / 1e6,
                    "tool": "hping3"}
    last = text.splitlines()[-1] if text else ""
    if last.startswith("{"):
        return json.loads(last)
    fields = dict(kv.split("=", 1) for kv in last.split() if "=" in kv)
    if "frames" in fields:
        return {"frames": int(fields["frames"]), "seconds": int(fields["ns"]) / 1e9,
                "mpps": float(fields["mpps"]), "tool": "gen_live"}
    return {"note": last}


def read_nstat(path):
    """The CAS's TCP counters over the run that tell a SYN flood's story."""
    wanted = ("TcpExtSyncookiesSent", "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed",
              "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDoCookies",
              "TcpOutRsts", "TcpRetransSegs", "TcpActiveOpens", "TcpPassiveOpens")
    out = {}
    if os.path.exists(path):
        for line in open(path):
            parts = line.split()
            if len(parts) >= 2 and parts[0] in wanted:
                out[parts[0]] = int(parts[1])
    return out


def summary(outdir):
    meta = json.load(open(os.path.join(outdir, "meta.json")))
    phases = meta["phases"]
    eas = read_jsonl(os.path.join(outdir, "eas.jsonl"))
    rogue = read_jsonl(os.path.join(outdir, "rogue.jsonl"))
    newconn = [r for r in read_jsonl(os.path.join(outdir, "newconn.jsonl")) if r["cmd"] == "OPTIONS"]
    during = phases["during"][1] - phases["during"][0]
    result = {"meta": meta, "phases": {}, "rogue": {},
              "flood": read_flood(os.path.join(outdir, "flood.txt"), during),
              "nstat": read_nstat(os.path.join(outdir, "nstat.txt"))}
    for name in PHASES:
        in_phase = [r for r in eas if phase_of(r["t"], phases) == name]
        per_cmd = {cmd: request_stats([r for r in in_phase if r["cmd"] == cmd])
                   for cmd in COMMANDS if any(r["cmd"] == cmd for r in in_phase)}
        not_ping = [r for r in in_phase if r["cmd"] != "Ping"]
        cpu_path = os.path.join(outdir, "cpu-%s.json" % name)
        ring_path = os.path.join(outdir, "ring-%s.json" % name)
        proxy_path = os.path.join(outdir, "proxy-%s.json" % name)
        result["phases"][name] = {
            "seconds": phases[name][1] - phases[name][0],
            "commands": per_cmd,
            "all_but_ping": request_stats(not_ping),
            "cpu": json.load(open(cpu_path)) if os.path.exists(cpu_path) else None,
            "ring_drops": json.load(open(ring_path)) if os.path.exists(ring_path) else None,
            "proxy": json.load(open(proxy_path)) if os.path.exists(proxy_path) else None,
            "newconn": request_stats([r for r in newconn if phase_of(r["t"], phases) == name]),
        }
    for cmd in ("OPTIONS", "FolderSync", "Provision", "http80"):
        tries = [r for r in rogue if r["cmd"] == cmd]
        result["rogue"][cmd] = {"tries": len(tries), "ok": sum(r["ok"] for r in tries)}
    start = read_counters(os.path.join(outdir, "prom-start.txt"))
    end = read_counters(os.path.join(outdir, "prom-end.txt"))
    if end:
        result["prometheus"] = {"start": start, "end": end,
                                "during": {k: end[k] - start.get(k, 0) for k in end}}
        stats_path = os.path.join(outdir, "stats-end.json")
        if os.path.exists(stats_path):
            stats = json.load(open(stats_path))
            result["stats_end"] = {"%s/%s" % (c["action"], c["reason"]): c["packets"]
                                   for c in stats["counters"]}
    return result


def fmt_ms(value):
    return "-" if value is None else ("%.0f" % value if value >= 100 else "%.1f" % value)


def table(outdir):
    s = summary(outdir)
    lines = ["%-8s %-11s %9s %9s %9s" % ("phase", "command", "ok/sent", "p50 ms", "p99 ms")]
    for name in PHASES:
        for cmd, st in s["phases"][name]["commands"].items():
            lines.append("%-8s %-11s %9s %9s %9s" % (name, cmd, "%d/%d" % (st["ok"], st["requests"]),
                                                     fmt_ms(st["p50_ms"]), fmt_ms(st["p99_ms"])))
    r = s["rogue"]
    lines.append("rogue (straight to the CAS): %d of %d ActiveSync attempts answered; port 80: %d of %d"
                 % (r["OPTIONS"]["ok"], r["OPTIONS"]["tries"], r["http80"]["ok"], r["http80"]["tries"]))
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "summary":
        print(json.dumps(summary(sys.argv[2]), indent=1, sort_keys=True))
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        print(table(sys.argv[2]))
    else:
        sys.exit("usage: results.py summary|table OUTDIR")
