# SPDX-License-Identifier: GPL-2.0
"""report.py - docs/lab.md and docs/lab.png from one `make lab` run's
results (build/lab/results, written by run.sh and scenario.sh). Every
figure comes from the run; nothing here is typed in by hand.

  report.py RESULTS OUT.md OUT.png
"""
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results  # noqa: E402

SCENARIOS = ["baseline", "syn-random", "syn-forged", "syn-routed", "conn-flood"]
SCENARIO_LABEL = {
    "baseline": "no attack (the rogue device and port 80 only)",
    "syn-random": "SYN flood from random spoofed sources, on the CAS's link",
    "syn-forged": "SYN flood forging the proxy's address, on the CAS's link",
    "syn-routed": "SYN flood forging the proxy's address from beyond the router "
                  "(the proxy goes through the router too)",
    "conn-flood": "full-handshake TLS connection flood from a rogue host",
}
CONTENDERS = ["none", "nft", "casshield", "casshield-synproxy"]
CONTENDER_LABEL = {"none": "no filter", "nft": "nftables", "casshield": "casshield",
                   "casshield-synproxy": "casshield + SYN proxy"}
CMDS = ["OPTIONS", "FolderSync", "Sync"]
# The goal for the forged flood from beyond the router.
GOAL_SCENARIO = "syn-routed"
GOAL_SUCCESS = 0.99
GOAL_P99_FACTOR = 2.0
# The lab's own targets for casshield during each flood: every EAS request
# succeeds, p99 at most 1.5 times idle, the rogue gets nothing.
TARGET_SUCCESS = 1.0
TARGET_P99_FACTOR = 1.5
# The 1-minute load average below which the machine counts as quiet when a
# run begins: on 2 CPUs, under half of one busy.
QUIET_LOAD = 0.5
# A hand-written reading of one run, shown with the run it was written for.
FINDINGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "findings.md")


DECISIONS = """## Decisions taken where the issue was silent

- **Nothing under /etc is written.** PostgreSQL is a private cluster (initdb in the lab's
  directory, run as postgres, on its own port and socket); SOGo gets every setting as a
  command-line default (GNUstep ranks those above /etc/sogo/sogo.conf, which stays as the
  package left it); dovecot, nginx (`-c`, `-e`), memcached and Prometheus read files in the
  lab's directory (`/run/casshield-lab/NAME`), which goes with the lab. Certificates come
  from a CA made for each lab and are never added to the host's trust store.
- **Three labs side by side**: `make lab` (prefix `caslab`), `test_lab.sh` (`caslabt`) and the
  demo (`casdemo`) each have their own namespaces, subnets (198.18.110/120/130.0/24 and up,
  2001:2:0:110::/64...), ports and directory (scripts/lab/env.sh).
- **The CAS is one CPU**: its daemons and its interface's receive processing are pinned to
  CPU 0, the attackers to the last CPU, the proxy, devices and Prometheus float. Receive
  processing runs in the interface's NAPI thread at SCHED_FIFO 1 (softirq comes before
  processes on a host; the kernel's real-time throttling keeps 5% for the rest).
- **sogod** is started once with one worker (it creates SOGo's tables), then with
  2 x devices + 4 workers (Ping and another request hold one each). It is stopped parent
  first, then its workers (killed: idle workers ignore SIGTERM), so the parent exits.
- **Phases**: a request belongs to the phase it started in; Pings pending when a run ends are
  waited for, so every Ping logged has its answer.
- **The rogue device** has a real user's password: what stops it is where it connects from.
- **nftables** in netdev ingress on the CAS interface: the earliest hook netfilter offers,
  so the best place for an admin's allowlist against floods (docs/benchmarks.md measures the
  inet prerouting alternative too).
- **Ring drops** are read from the switch's port in front of the CAS (*in*: its transmit drops,
  the CAS's rings were full) and from the CAS's interface (*out*: its transmit drops less the
  frames XDP_TX could not send, the switch port's rings were full for the CAS's own segments).
- **Four queues on the CAS's link**, each way, all received on the CAS's CPU. veth's ring holds
  256 frames a queue, fixed, a NIC's 512 to 4096; with one queue a routed flood lost 300 to
  3000 frames at once, in stalls of the CAS's vCPU of 5 to 15 ms (some of them time the host
  took from it), legitimate frames among them. Flows spread over the queues by hash, as a NIC's
  RSS spreads them, so the CAS has 1024 frames of buffer. And the CAS's stack transmits on
  queues 1 to 3 only (XPS): veth puts what XDP_TX sends from CPU 0 on queue 0, and a queue
  shared with a SYN-ACK flood dropped 76 of the CAS's own segments in one routed flood, each
  a retransmission for a device; NIC drivers give XDP_TX transmit queues of its own for that
  reason. Every contender runs with this link.
- **A passing XDP program on the switch's port in front of the CAS, for every contender.**
  veth hands the frames the SYN proxy sends with XDP_TX only to a peer that runs XDP (with none
  there they are lost; a NIC needs nothing of the kind). The program changes the path of all
  the CAS sends (the switch's port then receives in NAPI, copying each frame into an XDP
  buffer, and the CAS's link loses segmentation offload), so every contender runs with it, and
  only the switch differs between *casshield* and *casshield + SYN proxy*. That NAPI runs in a
  thread on the generator's CPU: what the switch, the router and the proxy do with the CAS's
  frames (the SYN-ACKs the proxy never asked for, its RSTs) is other machines' work; veth would
  otherwise do all of it on the sending CPU, the CAS's.
- **The proxy starts anew behind each contender**, so that every run begins from the same
  state, with every connection to the CAS made through the contender. It has to for the SYN
  proxy: a connection from before its nftables table came up is unknown to conntrack, and
  SYNPROXY drops its segments as invalid (seen in the lab: a kept-alive TLS connection from
  the proxy stopped getting answers once the table was in place).
- **The SYN proxy's SYN-ACKs to a forged address** go to the real proxy, through the router:
  the flood forges the proxy's far address, so every forged SYN the shield answers sends the
  proxy a SYN-ACK, which its stack answers with an RST, which the shield drops as
  `cookie_invalid`. The lab keeps that reflection (it is what a real proxy would get and do)
  and reports it under the flood's table.
- **The SYN-ACK cap keeps its default** (1,000,000 per second): a lower cap would bound the
  reflection, but the forged SYNs would then spend it and the proxy's own SYNs go unanswered,
  the failure the SYN proxy is there to prevent.
- **Failures are reported**: a daemon that does not come up gets its log's tail printed and
  the lab stops with a non-zero status; a run that fails is named here and `make lab` exits
  non-zero.
"""


def read_tsv(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            key, _, value = line.rstrip("\n").partition("\t")
            out[key] = value
    return out


def pooled(summaries, phase, cmd):
    """Requests of one command in one phase, over every round."""
    recs = []
    for s in summaries:
        recs.extend(s["_records"][phase].get(cmd, []))
    return results.request_stats(recs)


def load(resdir):
    runs = {}
    for path in sorted(glob.glob(os.path.join(resdir, "r*-*"))):
        if not os.path.exists(os.path.join(path, "meta.json")):
            continue
        s = results.summary(path)
        eas = results.read_jsonl(os.path.join(path, "eas.jsonl"))
        conns = [r for r in results.read_jsonl(os.path.join(path, "newconn.jsonl")) if r["cmd"] == "OPTIONS"]
        s["_records"], s["_newconn"] = {}, {}
        for phase in results.PHASES:
            s["_newconn"][phase] = [r for r in conns if results.phase_of(r["t"], s["meta"]["phases"]) == phase]
            by_cmd = {}
            for r in eas:
                if results.phase_of(r["t"], s["meta"]["phases"]) == phase:
                    by_cmd.setdefault(r["cmd"], []).append(r)
                    if r["cmd"] != "Ping":
                        by_cmd.setdefault("all", []).append(r)
            s["_records"][phase] = by_cmd
        runs.setdefault((s["meta"]["scenario"], s["meta"]["contender"]), []).append(s)
    return runs


def pct(x):
    return "-" if x is None else "%.1f%%" % (100 * x) if x < 0.9995 else "100%"


def ms(x):
    return results.fmt_ms(x)


def lat(st):
    return "%s / %s" % (ms(st["p50_ms"]), ms(st["p99_ms"]))


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def flood_cell(group):
    f = [s["flood"] for s in group]
    if "mpps" in f[0]:
        mpps = sorted(x["mpps"] for x in f)
        frames = sum(x["frames"] for x in f)
        return "%.2f Mpps, %s (%.1fM frames)" % (mpps[len(mpps) // 2], f[0].get("tool", "?"), frames / 1e6)
    if "attempts" in f[0]:
        return "%d connections tried, %d TCP, %d TLS" % (
            sum(x["attempts"] for x in f), sum(x["tcp"] for x in f), sum(x["tls"] for x in f))
    return "-"


def scenario_section(scenario, runs, lines):
    lines.append("### %s\n" % SCENARIO_LABEL[scenario])
    present = [c for c in CONTENDERS if (scenario, c) in runs]
    if not present:
        lines.append("(not run)\n")
        return
    rounds = len(runs[(scenario, present[0])])
    lines.append("During the attack (%d round%s pooled): success and p50 / p99 latency "
                 "in ms of each request type the devices sent, through the proxy.\n"
                 % (rounds, "s" if rounds > 1 else ""))
    lines.append("| contender | flood offered | ring drops in / out | EAS success | OPTIONS | FolderSync | Sync "
                 "| Ping (long poll) | proxy's new connections: ok / tried, p99 ms "
                 "| rogue: answered / tried | CAS CPU busy | of which packets |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in present:
        group = runs[(scenario, c)]
        allr = pooled(group, "during", "all")
        cells = [lat(pooled(group, "during", cmd)) for cmd in CMDS]
        ping = pooled(group, "during", "Ping")
        ping_cell = "%d/%d ok, p50 %s s" % (ping["ok"], ping["requests"],
                                           "-" if ping["p50_ms"] is None else "%.1f" % (ping["p50_ms"] / 1000))
        rogue_eas, rogue_tries, rogue80, rogue80_tries = rogue_counts(group)
        cpu = [s["phases"]["during"]["cpu"] for s in group if s["phases"]["during"]["cpu"]]
        rings = [s["phases"]["during"]["ring_drops"] or {"in": 0, "out": 0} for s in group]
        drops = "{:,} / {:,}".format(sum(r["in"] for r in rings), sum(r["out"] for r in rings))
        lines.append("| %s | %s | %s | %s (%d/%d) | %s | %s | %s | %s | %s | %d/%d; port 80: %d/%d | %s | %s |" % (
            CONTENDER_LABEL[c], flood_cell(group), drops, pct(allr["success"]),
            allr["ok"], allr["requests"], cells[0], cells[1], cells[2], ping_cell,
            newconn_cell(group, "during"), rogue_eas, rogue_tries, rogue80, rogue80_tries,
            pct(mean([x["busy"] for x in cpu])), pct(mean([x["packets"] for x in cpu]))))
    lines.append("")
    # Before and after, compactly: success and p99 of all but Ping.
    lines.append("Before and after the attack (all requests but Ping): success, p99 ms; and the "
                 "proxy's new connections.\n")
    lines.append("| contender | before | after | new connections before | after | errors seen (any phase) |")
    lines.append("|---|---:|---:|---:|---:|---|")
    for c in present:
        group = runs[(scenario, c)]
        b, a = pooled(group, "before", "all"), pooled(group, "after", "all")
        errors = {}
        for s in group:
            for phase in results.PHASES:
                for recs in [s["_records"][phase].get(k, []) for k in ("all", "Ping")]:
                    for k, v in results.request_stats(recs)["errors"].items():
                        errors[k] = errors.get(k, 0) + v
        err = ", ".join("%s x%d" % (k, v) for k, v in sorted(errors.items())) or "none"
        lines.append("| %s | %s, %s | %s, %s | %s | %s | %s |" % (
            CONTENDER_LABEL[c], pct(b["success"]), ms(b["p99_ms"]), pct(a["success"]), ms(a["p99_ms"]),
            newconn_cell(group, "before"), newconn_cell(group, "after"), err))
    lines.append("")
    notes = []
    for c in present:
        group = runs[(scenario, c)]
        if c.startswith("casshield") and all("prometheus" in s for s in group):
            moved = {}
            for s in group:
                for k, v in s["prometheus"]["during"].items():
                    if v and not k.startswith("would_drop") and k != "up":
                        moved[k] = moved.get(k, 0) + v
            last = group[-1]
            counters = [k for k in last["prometheus"]["end"] if "/" in k]
            same = [k for k in counters if last.get("stats_end", {}).get(k) == int(last["prometheus"]["end"][k])]
            notes.append("%s: its counters during the attack, as Prometheus read them back "
                         "(summed over the rounds): %s. At the attack's end Prometheus (scraped at most "
                         "1 s before) and `casshield stats` agreed on %d of %d counters%s."
                         % (CONTENDER_LABEL[c],
                            ", ".join("%s +%s" % (k, "{:,}".format(int(v))) for k, v in sorted(moved.items())) or "none moved",
                            len(same), len(counters),
                            "" if len(same) == len(counters) else
                            " (the others moved with the devices' and the rogue's packets in between)"))
            if moved.get("tx/syn_cookie_sent"):
                notes.append("%s sent %s SYN-ACKs from XDP during the attack (tx/syn_cookie_sent) and "
                             "%s handshakes completed (pass/cookie_valid); the proxy's stack sent %s RSTs "
                             "in the same time (its answer to a SYN-ACK it never asked for), and %s "
                             "segments were dropped as cookie_invalid."
                             % (CONTENDER_LABEL[c], "{:,}".format(int(moved["tx/syn_cookie_sent"])),
                                "{:,}".format(int(moved.get("pass/cookie_valid", 0))),
                                "{:,}".format(proxy_rsts(group, "during")),
                                "{:,}".format(int(moved.get("drop/cookie_invalid", 0)))))
        elif proxy_rsts(group, "during") >= 1000:
            notes.append("%s: the proxy's stack sent %s RSTs during the attack (SYN-ACKs to its "
                         "forged address it never asked for)." % (CONTENDER_LABEL[c],
                                                                   "{:,}".format(proxy_rsts(group, "during"))))
        if c == "none":
            ns = {}
            for s in group:
                for k, v in s["nstat"].items():
                    ns[k] = ns.get(k, 0) + v
            if ns.get("TcpExtSyncookiesSent"):
                notes.append("Without a filter the CAS's stack sent %s SYN cookies over the run%s."
                             % ("{:,}".format(ns["TcpExtSyncookiesSent"]),
                                "s" if len(group) > 1 else ""))
        if c == "nft":
            pass
    for n in notes:
        lines.append("- " + n)
    if notes:
        lines.append("")


def newconn(group, phase):
    """The proxy's new connections in a phase, every round pooled."""
    recs = []
    for s in group:
        recs.extend(s["_newconn"][phase])
    return results.request_stats(recs)


def newconn_cell(group, phase):
    st = newconn(group, phase)
    return "%d/%d, %s" % (st["ok"], st["requests"], ms(st["p99_ms"])) if st["requests"] else "-"


def proxy_rsts(group, phase):
    return sum((s["phases"][phase].get("proxy") or {}).get("out_rsts", 0) for s in group)


def rogue_counts(group):
    """The rogue's answered / tried, ActiveSync then port 80, every round pooled."""
    return tuple(sum(s["rogue"][kind][field] for s in group)
                 for kind in ("OPTIONS", "http80") for field in ("ok", "tries"))


def against_idle(runs, scenario, c):
    """All but Ping during the attack, idle (the same contender with no
    attack; failing that, the phase before), and the p99 ratio of the two."""
    during = pooled(runs[(scenario, c)], "during", "all")
    if ("baseline", c) in runs:
        idle = pooled(runs[("baseline", c)], "during", "all")
    else:
        idle = pooled(runs[(scenario, c)], "before", "all")
    ratio = (during["p99_ms"] / idle["p99_ms"]
             if during["p99_ms"] is not None and idle["p99_ms"] else None)
    return during, idle, ratio


def targets_section(runs, lines):
    """The lab's targets for casshield, flood by flood, from the run's figures."""
    rows = [(sc, c) for sc in SCENARIOS[1:] for c in ("casshield", "casshield-synproxy")
            if (sc, c) in runs]
    if not rows:
        return
    lines.append("### The targets: casshield during each flood\n")
    lines.append("During every flood, with casshield: EAS success %d%% (all requests but Ping), "
                 "the devices' p99 at most %g times idle (idle as in the goal below), and nothing "
                 "for the rogue device (ActiveSync or port 80).\n"
                 % (round(100 * TARGET_SUCCESS), TARGET_P99_FACTOR))
    lines.append("| flood | contender | EAS success | p99 ms | idle p99 ms | p99 / idle "
                 "| rogue answered | success %d%% | p99 <= %gx idle | rogue gets nothing |"
                 % (round(100 * TARGET_SUCCESS), TARGET_P99_FACTOR))
    lines.append("|---|---|---:|---:|---:|---:|---:|---|---|---|")
    met = lambda ok: "met" if ok else "**missed**"
    for sc, c in rows:
        during, idle, ratio = against_idle(runs, sc, c)
        eas, eas_tries, http80, http80_tries = rogue_counts(runs[(sc, c)])
        rogue, tries = eas + http80, eas_tries + http80_tries
        lines.append("| %s | %s | %s (%d/%d) | %s | %s | %s | %d/%d | %s | %s | %s |" % (
            SCENARIO_LABEL[sc], CONTENDER_LABEL[c], pct(during["success"]), during["ok"],
            during["requests"], ms(during["p99_ms"]), ms(idle["p99_ms"]),
            "-" if ratio is None else "%.2f" % ratio, rogue, tries,
            met(during["success"] is not None and during["success"] >= TARGET_SUCCESS),
            met(ratio is not None and ratio <= TARGET_P99_FACTOR), met(rogue == 0)))
    lines.append("")


def goal_section(runs, lines):
    """The issue's goal, contender by contender, from the run's figures."""
    present = [c for c in CONTENDERS if (GOAL_SCENARIO, c) in runs]
    if not present:
        return
    lines.append("### The goal: the proxy during the forged flood from beyond the router\n")
    lines.append("The issue asks that, during the strongest SYN flood forging the proxy's address "
                 "from beyond a router that the lab offers, the proxy's EAS success be at least %d%% "
                 "and the devices' p99 at most %g times idle. The devices' requests ride the proxy's "
                 "kept-alive connections to the CAS; the proxy's *new* connections (a new TCP and TLS "
                 "connection from its address, then OPTIONS, twice a second, 10 s each) are what a "
                 "forged flood that empties the proxy's SYN bucket denies, so both count. *Idle* is "
                 "the same contender's p99 with no attack (the attack phase of the first scenario, "
                 "every round pooled; failing that, the phase before this flood). All requests but "
                 "Ping.\n" % (round(100 * GOAL_SUCCESS), GOAL_P99_FACTOR))
    lines.append("| contender | flood offered | EAS success | proxy's new connections | p99 ms | idle p99 ms "
                 "| p99 / idle | success >= %d%% | p99 <= %gx idle |" % (round(100 * GOAL_SUCCESS), GOAL_P99_FACTOR))
    lines.append("|---|---|---:|---:|---:|---:|---:|---|---|")
    for c in present:
        during, idle, ratio = against_idle(runs, GOAL_SCENARIO, c)
        conns = newconn(runs[(GOAL_SCENARIO, c)], "during")
        ok_success = all(x["success"] is not None and x["success"] >= GOAL_SUCCESS for x in (during, conns))
        ok_p99 = ratio is not None and ratio <= GOAL_P99_FACTOR
        lines.append("| %s | %s | %s (%d/%d) | %s (%d/%d) | %s | %s | %s | %s | %s |" % (
            CONTENDER_LABEL[c], flood_cell(runs[(GOAL_SCENARIO, c)]), pct(during["success"]), during["ok"],
            during["requests"], pct(conns["success"]), conns["ok"], conns["requests"],
            ms(during["p99_ms"]), ms(idle["p99_ms"]), "-" if ratio is None else "%.2f" % ratio,
            "met" if ok_success else "**missed**", "met" if ok_p99 else "**missed**"))
    lines.append("")


def findings_section(env, lines):
    """scripts/lab/findings.md: what a person read in one run's figures."""
    if not os.path.exists(FINDINGS):
        return
    text = open(FINDINGS).read()
    first, _, body = text.partition("\n")
    written_for = first.replace("run:", "", 1).strip() if first.startswith("run:") else None
    lines.append("#### What the figures say about the goal\n")
    if written_for != env.get("date"):
        lines.append("*Written for the run of %s, not this one (%s): the figures may say "
                     "otherwise.*\n" % (written_for or "an unnamed date", env.get("date")))
    else:
        lines.append("*Written by hand (scripts/lab/findings.md) after this run, from its figures.*\n")
    lines.append(body.strip() + "\n")


def plot(runs, png, workdir):
    data = os.path.join(workdir, "plot.dat")
    # The contenders that ran (gnuplot refuses a column of no value).
    contenders = [c for c in CONTENDERS if any(k[1] == c for k in runs)]
    with open(data, "w") as f:
        f.write("# scenario %s\n" % " ".join(contenders))
        for s in SCENARIOS:
            row = []
            for c in contenders:
                st = pooled(runs[(s, c)], "during", "all") if (s, c) in runs else None
                row.append("%.1f" % st["p99_ms"] if st and st["p99_ms"] is not None else "NaN")
            f.write("%s %s\n" % (s, " ".join(row)))
    columns = ", ".join("%s using %d%s title '%s'" % ("'%s'" % data if i == 0 else "''", i + 2,
                                                         ":xtic(1)" if i == 0 else "", CONTENDER_LABEL[c])
                        for i, c in enumerate(contenders))
    script = """
set terminal pngcairo size 1100,480 font ",10"
set output '%s'
set title "CAS lab: p99 latency of the devices' requests (all but Ping) during each attack"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "p99 latency, ms (log scale)"
set key top left
set grid ytics
plot %s
""" % (png, columns)
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def quiet_sentence(load):
    """What the run recorded of other work on the machine (run.sh: load_before)."""
    if load is None:
        return ("The machine's load when the run began was not recorded: "
                "re-run it before quoting a figure.")
    if float(load) < QUIET_LOAD:
        return "Load average when the run began: %s (a quiet machine: below %s)." % (load, QUIET_LOAD)
    return ("**Load average when the run began: %s: the machine was doing other work; re-run it "
            "on a quiet machine before quoting a figure.**" % load)


def main():
    resdir, out_md, out_png = sys.argv[1:4]
    env = read_tsv(os.path.join(resdir, "environment.tsv"))
    runs = load(resdir)
    commands = [l.rstrip("\n").split("\t") for l in open(os.path.join(resdir, "commands.tsv"))]
    failed = open(os.path.join(resdir, "failed.txt")).read().split() if os.path.exists(
        os.path.join(resdir, "failed.txt")) else []
    b, d, a = env.get("phases", "?,?,?").split(",")
    L = []
    L.append("# The CAS lab\n")
    L.append("<!-- Written by scripts/lab/report.py from a `make lab` run; do not edit by hand. -->\n")
    L.append("A real ActiveSync server behind a real reverse proxy, attacked, with no filter, "
             "with the best nftables ruleset an admin would write, and with casshield in front "
             "of it, without and with its SYN proxy. Run on %s, %s, %s CPUs, %s; kernel %s; commit %s; %s. "
             "Command: `%s` (%s s, the lab itself up from nothing in %s s). %s\n"
             % (env.get("date"), env.get("os"), env.get("cpus"), env.get("cpu"), env.get("kernel"),
                env.get("commit"), env.get("casshield"), env.get("command"), env.get("duration_s"),
                env.get("lab_up_s"), quiet_sentence(env.get("load_before"))))
    if failed:
        L.append("**Runs that failed** (no figures from them): %s.\n" % ", ".join(failed))
    L.append("![p99 latency during each attack](lab.png)\n")
    L.append("## The lab\n")
    L.append("""```
 [dev: %s devices] --TLS--> [px: nginx reverse proxy] --TLS, kept alive--> [CAS, root namespace]
                                  | near leg (the CAS's link)                 caslab0: the shielded interface
                                  | far leg --> [rt: router] --> the CAS's link   nginx -> sogod (SOGo + ActiveSync)
                                  (the switch's port in front of the CAS runs a passing XDP program)
 [rg: rogue host]     on the CAS's link: rogue device, port 80, floods       PostgreSQL, dovecot, memcached
 [far: attacker]      beyond the router: floods forging the proxy's far address
 Prometheus on the CAS's loopback scrapes `casshield run`'s exporter every second.
```
""" % env.get("devices", "?"))
    L.append("""- **CAS**: SOGo %s with its ActiveSync module, PostgreSQL (a private cluster: SOGo's profile,
  folder-info and session tables, and an SQL user table), dovecot (IMAP mail store), memcached,
  nginx with TLS in front of sogod, all from Debian packages (%s), all pinned to CPU %s, the
  CAS's CPU, with every file they use in a lab-owned directory under /run (nothing under /etc
  is written; SOGo takes its settings as command-line defaults). A lab CA made with openssl
  signs the CAS's and the proxy's certificates.
- **The CAS's interface** receives in a NAPI thread pinned to the CAS's CPU at real-time
  priority (SCHED_FIFO 1), as a NIC queue's softirq processing comes before any process;
  whatever the CAS does with a frame (XDP, netfilter, the TCP stack) is paid on its CPU. A
  flood that outruns it overflows the interface's rings (4 queues of 256 frames on veth) and
  the overflow is lost, legitimate packets included: *ring drops* below. The switch's port in
  front of it runs a passing XDP program and receives in a NAPI thread on CPU %s, the
  generator's (see the decisions below).
- **Reverse proxy**: nginx in its namespace ends the devices' TLS and opens new TLS to the CAS,
  verified against the lab CA, over kept-alive upstream connections; read timeout longer than
  any Ping. It is the only source the policy allows on 443.
- **Devices**: `scripts/lab/eas_client.py` speaks ActiveSync with WBXML bodies (its own encoder,
  `scripts/lab/wbxml.py`, checked against libwbxml's `xml2wbxml` by the test suite): basic auth,
  `MS-ASProtocolVersion: 14.1`, a fresh DeviceId per run, one user per device. Each device
  sets its account up (OPTIONS, Provision, FolderSync, first Sync of contacts and calendar),
  then sends OPTIONS, FolderSync, Sync (contacts), Sync (calendar) in turn at %s requests
  per second, and keeps one Ping (heartbeat %s s) pending at all times, on its own
  connection. What it exercises: the folder hierarchy, contacts and calendar Sync, Ping. It
  does not sync mail items (SOGo answered an INBOX Sync with nothing although IMAP held a
  message; the cause was not found).
- **Rogue device**: the same client, with a real user's password, going to the CAS directly,
  twice a second, each attempt a new connection; and plain HTTP to port 80 each time.
- **The proxy's new connections**: the same client in the proxy's namespace, from the proxy's
  upstream address (near or far, as the proxy's), twice a second: a new TCP and TLS
  connection to the CAS and an OPTIONS, given 10 s (the proxy's connect timeout), each
  attempt on its own schedule, so that one waiting for its timeout delays no other. It is what
  the proxy does when it needs another connection; the devices' requests ride its kept-alive
  ones and do not show whether one could be made during a flood.
- **Floods**: on the CAS's link, the project's live-frame generator (`build/bench/gen_live`:
  BPF_PROG_TEST_RUN with live frames, XDP_TX out of the attacker's veth), unpaced, pinned to
  CPU %s: the highest rate this machine offers through the lab's switch. Every SYN is a
  valid segment (TCP checksum kept valid, random source ports), so a CAS without a filter
  answers it. From beyond the router: the same generator in the far attacker's namespace,
  its frames addressed to the router, with `--restore`. The router rewrites each frame's
  Ethernet header in the page the frame came in, and live-frame mode hands pages back to the
  generator without rewriting them, so without `--restore` the next frames left with the
  router's rewritten header and the router dropped them as addressed to another host (of
  3.6 M frames sent in 3 s, 17,601 reached the CAS; with it, all that the path carried). The
  lab used hping3 there before, at about a fifth of this rate. The table says which tool each
  flood came from. The connection flood is `scripts/lab/connflood.py` (Python asyncio, 256 concurrent TCP + TLS handshakes,
  same CPU).
- **Contenders**, the same policy each (443 and 80 protected; 443 open to the proxy alone:
  its near address from its MAC with TTL 64, its far address from the router's MAC with
  TTL 63, its IPv6 address from its MAC; 200 SYN/s, burst 400, per proxy address; nobody on
  80): *no filter*; *nftables*, the best ruleset an admin would write (netdev ingress on the
  CAS interface, the earliest netfilter hook; allowlist bound to MAC and TTL; a per-source
  SYN meter); *casshield*, driven by a YAML file through `casshield run`; *casshield + SYN
  proxy*, the same file with `synproxy: true` on the CAS's interface: casshield answers the
  SYNs of the sources its rules allow with SYN cookies from XDP (XDP_TX) and passes the ACKs
  that return a valid cookie to netfilter's SYNPROXY, in the nftables table it installs; the
  rules' SYN limits then count completed handshakes, and the SYN-ACK cap keeps its default
  (1,000,000/s). Set up fresh for each run, alternating within each scenario, the order
  turning each round; the proxy starts anew behind each.
- **Phases**: %s s before the attack, %s s of attack, %s s after. A request belongs to the
  phase it started in. *EAS success* counts every request but Ping; a request succeeds on
  HTTP 200 with EAS status 1 (Ping: 1 or 2; OPTIONS: the protocol versions header).
""" % ((env.get("packages", "").split(",")[0].split()[-1:] or ["?"])[0], env.get("packages", "?"),
       env.get("cas_cpu"), env.get("gen_cpu"), env.get("rate"), env.get("heartbeat"), env.get("gen_cpu"),
       b, d, a))
    L.append("## Results\n")
    targets_section(runs, L)
    goal_section(runs, L)
    findings_section(env, L)
    for s in SCENARIOS:
        scenario_section(s, runs, L)
    L.append("""## Reading these figures

- *Flood offered* is what the generator sent (median rate over the rounds, total frames). It
  is paced by the path, which runs on the generator's CPU up to the CAS's ring: a contender
  that empties the ring faster lets more frames in before it is full again. What the CAS
  sends back (a stack's SYN cookies, the SYN proxy's SYN-ACKs, and the proxy's RSTs to them)
  is carried by the switch and the router on that CPU too, and slows the generator down.
- *Ring drops* are frames the CAS's interface had no room for (*in*), and frames of the CAS's
  own the switch's port had no room for (*out*); a legitimate packet lost either way costs the
  devices a TCP retransmission (200 ms or more), which is what moves p99.
- *CAS CPU* is CPU %s, the CAS's: busy, and the share spent on packets (softirq and the
  interface's NAPI thread). It also carries whatever else the machine ran on that CPU.
- On veth, frames reach an XDP program as socket buffers that veth first copies into an
  XDP buffer; a NIC driver runs XDP before any socket buffer exists. So casshield's per-frame
  cost here is far above its cost on a NIC (docs/benchmarks.md times its drop path alone,
  tens of nanoseconds, and against an XDP_DROP ceiling on the live path), and close to what
  a netfilter drop costs.
  What the lab shows is the service's behaviour, the policy's effect and the counters; for
  the filter's own cost, read docs/benchmarks.md.
- The rogue's *sessions* count its ActiveSync attempts that got an answer (OPTIONS, then
  FolderSync); port 80 counts HTTP answers on port 80 (nothing listens there).
- With the SYN proxy, the shield's counters add `tx/syn_cookie_sent` (SYN-ACKs sent from
  XDP), `pass/cookie_valid` (completed handshakes, which the SYN limits count) and
  `drop/cookie_invalid` (segments of no connection that return no valid cookie: here the
  proxy's RSTs to the SYN-ACKs it never asked for). *RSTs from the proxy* are read from its
  own stack (`TcpOutRsts`).
""" % env.get("cas_cpu"))
    L.append(DECISIONS)
    L.append("## Each contender's configuration, as the kernel held it\n")
    for c in CONTENDERS:
        path = os.path.join(resdir, "setup-%s.txt" % c)
        if os.path.exists(path):
            L.append("**%s**\n\n```\n%s\n```\n" % (CONTENDER_LABEL[c], open(path).read().rstrip()))
    L.append("## Commands\n")
    L.append("```")
    L.append(env.get("command", "sudo make lab"))
    for row in commands:
        L.append("[%s] %s" % (" ".join(row[:-1]), row[-1]))
    L.append("```\n")
    open(out_md, "w").write("\n".join(L))
    plot(runs, out_png, resdir)


if __name__ == "__main__":
    main()
