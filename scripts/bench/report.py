#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - turns the raw results of scripts/bench/run.sh into
docs/benchmarks.md and its plot (gnuplot, PNG).

    report.py RESULTS_DIR OUT_MD OUT_PNG

Every figure comes from the results directory of one run; ratios are taken
against baselines measured in that same run (per round where the run
alternated rounds, then the median). Targets are judged here, and a missed
one says by how much, with the measured figures that explain it.
"""
import csv
import os
import statistics
import subprocess
import sys
from collections import defaultdict

CONTENDER_LABELS = {
    "shield": "casshield",
    "xdp_drop": "XDP_DROP + counter (ceiling)",
    "xdp_filter": "xdp-filter",
    "nft_netdev": "nftables, netdev ingress",
    "nft_inet": "nftables, inet prerouting + SYN meter",
    "iptables": "iptables raw PREROUTING",
}
PLOT_LABELS = {
    "shield": "casshield",
    "xdp_drop": "ceiling",
    "xdp_filter": "xdp-filter",
    "nft_netdev": "nft netdev",
    "nft_inet": "nft inet",
    "iptables": "iptables",
}
VARIANT_LABELS = {
    "v4_syn_1": "IPv4 SYN to 443 from one source (203.0.113.7)",
    "v4_syn_256": "IPv4 SYN to 443 from 256 sources (203.0.113.0/24, random order)",
    "v6_syn_1": "IPv6 SYN to 443 from one source (2001:db8:bad::7)",
}
PROBE_LABELS = {
    "ipv4_not_allowed": "IPv4, not allowed",
    "ipv4_host_rule": "IPv4, allowed by a /32",
    "ipv4_prefix_rule": "IPv4, allowed by a /16../24",
    "ipv6_not_allowed": "IPv6, not allowed",
    "ipv6_host_rule": "IPv6, allowed by a /128",
    "ipv6_prefix_rule": "IPv6, allowed by a /48 or /64",
}
SYN_LABELS = {
    "syn_xdp": "casshield --syn-proxy (XDP)",
    "syn_nft": "nftables SYNPROXY alone",
}
SYN_PLOT_LABELS = {"syn_xdp": "casshield (XDP)", "syn_nft": "nft SYNPROXY"}
SYN_PATH_LABELS = {
    "ack": "allowed ACK, established connection",
    "ack_single": "the same ACK, single runs",
    "syn": "allowed SYN",
    "forged_ack": "allowed source's ACK of no connection, no cookie",
}
TARGET_DROP_CEILING = 0.8
TARGET_NFT_FACTOR = 3.0
TARGET_RULES_FACTOR = 1.5
TARGET_SOURCES_FACTOR = 0.95  # "no slower", within this VM's run-to-run noise
TARGET_BYTES_PER_RULE = 128


def read_tsv(path, header=True):
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    if not header:
        return rows
    if not rows:
        return []
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def median(values):
    return statistics.median(values) if values else float("nan")


def fmt(value, digits=1):
    if value is None or value != value:
        return "-"
    return f"{value:.{digits}f}"


def ratio_text(value):
    return "-" if value is None or value != value else f"{value:.2f}x"


def count_label(n):
    """1024 -> 1k, 65536 -> 64k, 1048576 -> 1M, 10000 -> 10k, 1000000 -> 1M."""
    for unit, suffix in ((1048576, "M"), (1000000, "M"), (1024, "k"), (1000, "k")):
        if n >= unit and n % unit == 0:
            return f"{n // unit}{suffix}"
    return str(n)


def log_xtics(counts):
    labels = ", ".join(f'"{count_label(n)}" {n}' for n in counts)
    return f"set xtics ({labels}); set xrange [{counts[0] / 2}:{counts[-1] * 2}]\n"


def verdict(met):
    return "**met**" if met else "**missed**"


class Report:
    def __init__(self, results):
        self.results = results
        self.env = dict(
            (r[0], r[1]) for r in read_tsv(os.path.join(results, "environment.tsv"), False) or [] if len(r) >= 2
        )
        self.commands = read_tsv(os.path.join(results, "commands.tsv"), False) or []
        self.paths = read_tsv(os.path.join(results, "paths.tsv"), False)
        self.drops = read_tsv(os.path.join(results, "droprate.tsv"))
        self.rules = read_tsv(os.path.join(results, "rules.tsv"), False)
        self.sources = read_tsv(os.path.join(results, "sources.tsv"))
        self.memory = read_tsv(os.path.join(results, "memory.tsv"), False)
        metrics = os.path.join(results, "metrics.txt")
        self.metrics = open(metrics).read().splitlines() if os.path.exists(metrics) else None
        self.synproxy = read_tsv(os.path.join(results, "synproxy.tsv"))
        self.synproxy_paths = read_tsv(os.path.join(results, "synproxy_paths.tsv"), False)
        self.failed = dict(
            (r[0], r[1]) for r in read_tsv(os.path.join(results, "failed.tsv"), False) or [] if len(r) >= 2
        )
        self.targets = []  # (target, measured, met, comment)
        self.untrusted = []  # receiver checks that failed
        self.out = []

    def w(self, line=""):
        self.out.append(line)

    def not_measured(self):
        self.w("Not measured in this run.")
        self.w()


    # ---- section 1 -------------------------------------------------------
    def section_paths(self):
        self.w("## 1. ns/packet per path (BPF_PROG_TEST_RUN)")
        self.w()
        if not self.paths:
            self.not_measured()
            return
        self.w(
            "The shield's program on one crafted frame per path, repeated "
            f"{self.env.get('path_repeat', 'many')} times per run "
            "(the kernel's mean per run), median of the rounds; the programs "
            "alternate inside each round. `XDP_PASS` is a program that only "
            "returns XDP_PASS: the cost of the test run itself, so "
            "*casshield - XDP_PASS* is the shield's own work. *ceiling* is the "
            "counting XDP_DROP program of section 2, on the same frames. xdp-filter is "
            "Debian's `xdpfilt_dny_ip.o` (what `xdp-filter load --policy deny "
            "--features ipv4,ipv6` attaches) with the same allowed hosts, "
            "loaded the same way. The shield's counters were checked to have "
            "counted every run under the expected verdict."
        )
        self.w()
        by = defaultdict(dict)
        order = []
        for path, frame, program, action, med, lo, hi in self.paths:
            if path not in by:
                order.append(path)
            by[path][program] = (float(med), float(lo), float(hi), action)
            by[path]["frame"] = frame
        self.w("| path | frame | casshield ns | xdp-filter ns | ceiling ns | XDP_PASS ns | casshield - XDP_PASS | casshield / xdp-filter |")
        self.w("|---|---|---:|---:|---:|---:|---:|---:|")
        for path in order:
            row = by[path]
            shield, passed = row.get("casshield"), row.get("xdp_pass")
            filt, ceiling = row.get("xdp-filter"), row.get("xdp_drop_count")
            cell = lambda v: f"{fmt(v[0])} ({v[3]}; {v[1]:.0f}-{v[2]:.0f})" if v else "-"
            self.w(
                f"| {path} | {row['frame']} | {cell(shield)} | {cell(filt)} "
                f"| {fmt(ceiling[0]) if ceiling else '-'} | {fmt(passed[0]) if passed else '-'} "
                f"| {fmt(shield[0] - passed[0]) if shield and passed else '-'} "
                f"| {ratio_text(shield[0] / filt[0]) if shield and filt else '-'} |"
            )
        self.w()
        self.w(
            "Verdicts in brackets, then the range over the rounds. xdp-filter does "
            "less: it has no notion of protected ports (it drops the unprotected "
            "path's frame, which the shield must pass), no SYN limits (it passes "
            "the limited host's SYNs) and no prefixes (exact addresses only)."
        )
        self.w()
        self.paths_by = by

    # ---- section 2 -------------------------------------------------------
    def drop_stats(self, variant):
        rows = [r for r in self.drops if r["variant"] == variant]
        mpps = defaultdict(list)
        per_round = defaultdict(dict)
        for r in rows:
            mpps[r["contender"]].append(float(r["mpps"]))
            per_round[r["round"]][r["contender"]] = float(r["mpps"])
            if r["check"] != "ok":
                self.untrusted.append(f"{variant} round {r['round']} {r['contender']}: {r['check']}")
        ratios = defaultdict(list)
        for values in per_round.values():
            ceiling = values.get("xdp_drop")
            if not ceiling:
                continue
            for c, v in values.items():
                ratios[c].append(v / ceiling)
        checks = defaultdict(lambda: [0, 0])
        for r in rows:
            checks[r["contender"]][0] += 1
            checks[r["contender"]][1] += r["check"] == "ok"
        return mpps, ratios, checks, len(per_round)

    def section_droprate(self):
        self.w("## 2. Drop rate on veth (Mpps)")
        self.w()
        if not self.drops:
            self.not_measured()
            return
        self.w(
            "A flood from sources no rule allows, offered by the live-frame "
            "generator (`build/bench/gen_live`: BPF_PROG_TEST_RUN with "
            "BPF_F_TEST_XDP_LIVE_FRAMES; its program returns XDP_TX on one end of "
            "a veth pair) to the other end, where the contender is. Both ends run "
            f"on CPU {self.env.get('bench_cpu', '?')}: the receiver's NAPI runs in the "
            "softirq at the end of each 64-frame batch, so a slower receiver slows "
            "the generator instead of losing frames, and Mpps is the rate of the "
            "whole path (generator + veth + contender). Every contender holds the "
            "same policy (443/tcp open to 198.51.100.10, 198.51.100.20, "
            "192.0.2.128/25, 2001:db8:10::/48; xdp-filter: the three hosts, it "
            "has no prefixes). The netfilter contenders have a counting XDP_PASS "
            "program on the receiver (it counts arrivals, and veth needs XDP or "
            "GRO on the peer to receive XDP_TX'd frames at all). Contenders are "
            "set up fresh and alternate within every round (A B C ... A B C ...); "
            "each run is preceded by an untimed warm-up. **Receiver check**: after "
            "every run the contender's own counters (casshield stats, the ceiling's "
            "counter map, xdp-filter status, nft counters, iptables counters, and "
            "the arrival counter) must show every frame offered seen and dropped."
        )
        self.w()
        self.setups("setup-", CONTENDER_LABELS)
        self.drop_summary = {}
        variants = []
        for r in self.drops:
            if r["variant"] not in variants:
                variants.append(r["variant"])
        for variant in variants:
            mpps, ratios, checks, rounds = self.drop_stats(variant)
            self.drop_summary[variant] = (mpps, ratios)
            frames = next(r["frames"] for r in self.drops if r["variant"] == variant)
            self.w(f"### {VARIANT_LABELS.get(variant, variant)}")
            self.w()
            self.w(f"{rounds} rounds of {int(frames):,} frames per contender.")
            self.w()
            self.w("| contender | Mpps (median) | min - max | x ceiling (median of per-round ratios) | receiver check |")
            self.w("|---|---:|---:|---:|---|")
            for c in CONTENDER_LABELS:
                if c not in mpps:
                    continue
                ok, total = checks[c][1], checks[c][0]
                check = f"{ok}/{total} runs: every frame seen and dropped" if ok == total else f"**{total - ok}/{total} runs failed**"
                self.w(
                    f"| {CONTENDER_LABELS[c]} | {fmt(median(mpps[c]), 3)} | {fmt(min(mpps[c]), 3)} - {fmt(max(mpps[c]), 3)} "
                    f"| {ratio_text(median(ratios[c]))} | {check} |"
                )
            self.w()

    # ---- section 3 -------------------------------------------------------
    def section_rules(self):
        self.w("## 3. Scaling")
        self.w()
        self.w("### 3a. With 1 to 1M allow rules (BPF_PROG_TEST_RUN)")
        self.w()
        if not self.rules:
            self.not_measured()
            return
        loads, probes, floor = {}, defaultdict(dict), None
        addrs = defaultdict(dict)
        for row in self.rules:
            if row[0] == "load":
                loads[int(row[1])] = float(row[2])
            elif row[0] == "floor":
                floor = float(row[1])
            elif row[0] == "probe":
                probes[row[2]][int(row[1])] = (float(row[5]), row[4])
                addrs[row[2]][int(row[1])] = row[3]
        counts = sorted(loads)
        self.w(
            "One program per rule count, loaded from the first N lines of one rule "
            "file (`build/bench/gen_rules`: 80% IPv4 - 90% /32, the rest /16../24 - "
            "and 20% IPv6 - /128, /64, /48 - drawn from 10.0.0.0/8 and fd00::/8, never "
            "covering 10.240.0.0/12 and fdff::/16), all loaded before timing so the "
            "rule counts alternate within each round. Probes: a source no rule covers "
            "(10.255.0.77, fdff::77), and sources the last /32, /16../24, /128 and /48 or /64 of "
            "the N rules allow (ACK segments: allowed without touching a SYN "
            "bucket). Tables past the default size (65,536) are sized to N "
            f"(`dp_open_sized`). XDP_PASS floor in this run: {fmt(floor)} ns. "
            "BPF_PROG_TEST_RUN repeats one frame, so these are warm-cache figures; "
            "3b below floods from up to 1M sources on the live path."
        )
        self.w()
        head = "| rules | bulk load (s) | " + " | ".join(PROBE_LABELS[p] for p in PROBE_LABELS if p in probes) + " |"
        self.w(head)
        self.w("|---:|---:|" + "---:|" * sum(1 for p in PROBE_LABELS if p in probes))
        for n in counts:
            cells = []
            for p in PROBE_LABELS:
                if p not in probes:
                    continue
                v = probes[p].get(n)
                cells.append(f"{fmt(v[0])} ({v[1]})" if v else "-")
            self.w(f"| {n:,} | {fmt(loads[n], 2)} | " + " | ".join(cells) + " |")
        self.w()
        self.w("Growth from the smallest rule count holding a rule of the probe's kind to the largest:")
        self.w()
        self.w("| probe | from | to | ns/packet ratio | the program's own ns (minus the XDP_PASS floor) ratio |")
        self.w("|---|---:|---:|---:|---:|")
        worst = None
        for p in PROBE_LABELS:
            if p not in probes:
                continue
            have = sorted(probes[p])
            lo, hi = have[0], have[-1]
            if lo == hi:
                continue
            gross = probes[p][hi][0] / probes[p][lo][0]
            net = (probes[p][hi][0] - floor) / (probes[p][lo][0] - floor) if floor is not None else float("nan")
            self.w(f"| {PROBE_LABELS[p]} | {lo:,} | {hi:,} | {ratio_text(gross)} | {ratio_text(net)} |")
            if worst is None or gross > worst[1]:
                worst = (p, gross, net, lo, hi)
        self.w()
        self.rules_worst = worst
        self.rules_counts = counts

    def section_sources(self):
        self.w("### 3b. Floods from 1 to 1M sources (live frames on veth)")
        self.w()
        if not self.sources:
            self.not_measured()
            return
        self.w(
            "The generator stamps each frame's IPv4 source with one of N addresses "
            "of 10.240.0.0/12 in a hashed (random) order, SYN to 443; the shield "
            f"holds the first {int(self.env.get('sources_rules', '0')):,} rules of section 3's rule file (none covers "
            "10.240.0.0/12) and section 2's list; the ceiling and xdp-filter "
            "are as in section 2. With `kernel.bpf_stats_enabled=1` for this "
            "section only, the kernel also times the attached program itself "
            "(*program ns*: run_time_ns / run_cnt of the XDP program on the "
            "receiver; for xdp-filter, libxdp's dispatcher with xdp-filter in it). "
            "bpf_stats costs two clock reads per run, so these Mpps are lower than "
            "section 2's. Receiver checks as in section 2."
        )
        self.w()
        data = defaultdict(lambda: defaultdict(list))
        prog = defaultdict(lambda: defaultdict(list))
        per_round = defaultdict(dict)
        for r in self.sources:
            n = int(r["sources"])
            data[r["contender"]][n].append(float(r["mpps"]))
            if r["prog_ns"] not in ("-", ""):
                prog[r["contender"]][n].append(float(r["prog_ns"]))
            per_round[(r["contender"], r["round"])][n] = float(r["mpps"])
            if r["check"] != "ok":
                self.untrusted.append(f"sources {n} round {r['round']} {r['contender']}: {r['check']}")
        counts = sorted({int(r["sources"]) for r in self.sources})
        contenders = [c for c in CONTENDER_LABELS if c in data]
        self.w("| sources | " + " | ".join(f"{CONTENDER_LABELS[c]} Mpps | program ns" for c in contenders) + " |")
        self.w("|---:|" + "---:|---:|" * len(contenders))
        for n in counts:
            cells = []
            for c in contenders:
                cells.append(fmt(median(data[c][n]), 3))
                cells.append(fmt(median(prog[c][n])))
            self.w(f"| {n:,} | " + " | ".join(cells) + " |")
        self.w()
        self.sources_ratio = {}
        lo, hi = counts[0], counts[-1]
        for c in contenders:
            ratios = [v[hi] / v[lo] for (cc, _), v in per_round.items() if cc == c and lo in v and hi in v]
            prog_ratio = median(prog[c][hi]) / median(prog[c][lo]) if prog[c][lo] and prog[c][hi] else float("nan")
            self.sources_ratio[c] = (median(ratios), min(ratios) if ratios else float("nan"),
                                     max(ratios) if ratios else float("nan"), prog_ratio)
        self.w(f"{hi:,} sources against {lo}: Mpps ratio (median of per-round ratios, range) and program-ns ratio:")
        self.w()
        for c in contenders:
            r = self.sources_ratio[c]
            self.w(f"- {CONTENDER_LABELS[c]}: {ratio_text(r[0])} ({fmt(r[1], 2)} - {fmt(r[2], 2)}), program ns {ratio_text(r[3])}")
        self.w()
        self.sources_counts = counts

    # ---- section 4 -------------------------------------------------------
    def section_memory(self):
        self.w("## 4. Memory at 1M rules")
        self.w()
        if not self.memory:
            self.not_measured()
            return
        maps = defaultdict(lambda: defaultdict(dict))
        loads, status = {}, {}
        for row in self.memory:
            if row[0] == "map":
                _, rset, phase, name, mtype, entries, memlock = row
                maps[rset][name][phase] = (mtype, int(entries), int(memlock))
            elif row[0] == "load":
                loads[row[1]] = (int(row[2]), float(row[3]), int(row[4]))
            elif row[0] == "status":
                status[row[1]] = row[2]
        self.w(
            "`casshield load IFACE --max-rules N` then `casshield allow add -i IFACE "
            "--file FILE` with N rules from `gen_rules` (*ipv4*: IPv4 only, 90% /32; "
            "*mixed*: the 80/20 IPv4/IPv6 mix of section 3). Memory is bpftool's "
            "`memlock` (the kernel's own accounting of each map) for every map sized "
            "by the rule count, empty after `load` and after the bulk load. The CLI's "
            "peak RSS is the `allow add` process's maximum resident set (getrusage "
            "of the child)."
        )
        self.w()
        self.memory_per_rule = {}
        for rset in maps:
            rules, seconds, peak = loads.get(rset, (0, float("nan"), 0))
            self.w(f"### {rset}: {rules:,} rules ({status.get(rset, '')})")
            self.w()
            self.w("| map | type | max entries | memlock empty | memlock loaded |")
            self.w("|---|---|---:|---:|---:|")
            total = 0
            for name, phases in sorted(maps[rset].items()):
                mtype, entries, loaded = phases.get("loaded", ("?", 0, 0))
                empty = phases.get("empty", (mtype, entries, 0))[2]
                total += loaded
                self.w(f"| {name} | {mtype} | {entries:,} | {empty:,} | {loaded:,} |")
            per_rule = total / rules if rules else float("nan")
            self.memory_per_rule[rset] = (per_rule, total, rules, seconds, peak)
            self.w(f"| **total** | | | | **{total:,}** ({total / 2**20:.1f} MiB) |")
            self.w()
            self.w(
                f"**{per_rule:.1f} bytes per rule**; bulk load of {rules:,} rules: "
                f"{seconds:.2f} s, CLI peak RSS {peak / 1024:.1f} MiB."
            )
            self.w()

    def section_metrics(self):
        self.w("## 5. Exporter scrape time")
        self.w()
        if self.metrics is None or "metrics" in self.failed:
            self.not_measured()
            if self.metrics:
                self.w("`scripts/bench/metrics.sh` failed:")
                self.w()
                self.w("```")
                self.out.extend(self.metrics[-5:])
                self.w("```")
                self.w()
            return
        self.w("`scripts/bench/metrics.sh` (one scrape of `casshield metrics`, timed by curl):")
        self.w()
        self.w("```")
        for line in self.metrics:
            if line.startswith("bench-metrics:"):
                self.w(line)
        self.w("```")
        self.w()

    # ---- section 6 -------------------------------------------------------
    def section_synproxy(self):
        self.w("## 6. SYN proxy")
        self.w()
        self.w("### 6a. SYN-ACKs per second on veth: XDP against netfilter's SYNPROXY alone")
        self.w()
        if not self.synproxy:
            self.not_measured()
        else:
            self.synproxy_rates()
        self.w("### 6b. What the switch costs the program (BPF_PROG_TEST_RUN)")
        self.w()
        if not self.synproxy_paths:
            self.not_measured()
        else:
            self.synproxy_costs()

    def synproxy_stats(self):
        """Per contender: offered and SYN-ACK rates, SYN-ACKs and SYNs in all, checks; per-round ratios."""
        offered, synacks = defaultdict(list), defaultdict(list)
        totals, checks = defaultdict(lambda: [0, 0]), defaultdict(list)
        per_round = defaultdict(dict)
        for r in self.synproxy:
            c = r["contender"]
            offered[c].append(float(r["offered_mpps"]))
            synacks[c].append(float(r["synack_mpps"]))
            per_round[r["round"]][c] = float(r["synack_mpps"])
            totals[c][0] += int(r["synacks"])
            totals[c][1] += int(r["frames"])
            checks[c].append(r["check"])
            # SYNs the receiver never saw, or SYN-ACKs lost on the way back: the bench's, not the contender's.
            if r["check"].startswith(("lost_", "synacks_lost_")):
                self.untrusted.append(f"synproxy round {r['round']} {c}: {r['check']}")
        ratios = [v["syn_xdp"] / v["syn_nft"] for v in per_round.values() if v.get("syn_nft") and "syn_xdp" in v]
        return offered, synacks, totals, checks, ratios

    def synproxy_rates(self):
        rounds = len({r["round"] for r in self.synproxy})
        frames = int(self.synproxy[0]["frames"])
        self.w(
            "A flood of SYNs to 443 from one allowed source (198.51.100.10, the proxy's /32 rule of section 2), "
            "each with a random source port (one of 32,768, hashed), a valid TCP checksum and a Linux client's "
            "options (MSS, SACK-permitted, timestamp, window scale). It is offered by the project's live-frame "
            "generator (`build/bench/gen_live`, not hping3: BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES, "
            "XDP_TX out of one end of a veth pair), on veth, not on a NIC. The generator rewrites each copy whole "
            "before sending it (`--restore`): casshield writes its SYN-ACK over the SYN, in the page the "
            "generator's pool recycles. The SYN-ACKs come back to the generator's end, where a counting XDP "
            "program (`scripts/bench/synack_count.bpf.c`) counts them and drops everything: veth delivers frames "
            "its peer XDP_TX'd only to an end with an XDP program. The contenders:"
        )
        self.w()
        self.w(
            "- **casshield --syn-proxy (XDP)**: `casshield load --syn-proxy`, native XDP, which answers every SYN "
            "with XDP_TX. The SYN-ACK cap is off (`limits set --synack-rate 0`): this measures generation, not "
            "the cap (1,000,000/s by default).\n"
            "- **nftables SYNPROXY alone**: no shield. The exact table casshield installs (below: copied from a "
            "`casshield load --syn-proxy`, installed with `nft -f`): SYNs are `notrack`ed at raw priority and "
            "`ct state untracked synproxy` answers them in input, through routing and the neighbour table. The "
            "receiver carries section 2's counting XDP_PASS program, which veth needs to receive XDP_TX'd "
            "frames at all; it passes every frame."
        )
        self.w()
        self.w(
            "For the stack to take the SYNs and answer them, the receiver holds 192.0.2.1/24, a route to the "
            "client and a permanent neighbour entry with the generator's MAC, in this section only. Generator, "
            "receiver and answer run on one CPU (the receiver's NAPI runs at the end of each 64-frame batch): a "
            "contender that answers slower slows the generator down, so *SYNs offered* is the rate that "
            "contender kept up with, and *SYN-ACKs* equals it when every SYN was answered. Contenders are set "
            f"up fresh and alternate within each round; {rounds} round{'s' if rounds != 1 else ''} of "
            f"{frames:,} SYNs each, after an "
            "untimed warm-up. **Check**: the receiver saw every SYN (casshield's counters; the XDP_PASS "
            "counter), the contender answered every one (casshield's `syn_cookie_sent`; SYNPROXY's "
            "`syn_received`, /proc/net/stat/synproxy), and every SYN-ACK came back."
        )
        self.w()
        self.setups("synproxy-setup-", SYN_LABELS)
        offered, synacks, totals, checks, ratios = self.synproxy_stats()
        self.w("| contender | SYNs offered (M/s, median) | SYN-ACKs back (M/s, median) | min - max | SYN-ACKs per SYN | ns per SYN-ACK, whole path | x nftables SYNPROXY (median of per-round ratios) | check |")
        self.w("|---|---:|---:|---:|---:|---:|---:|---|")
        for c in SYN_LABELS:
            if c not in synacks:
                continue
            rate = median(synacks[c])
            ratio = median(ratios) if c == "syn_xdp" else 1.0
            ok = sum(1 for k in checks[c] if k == "ok")
            check = (f"{ok}/{len(checks[c])} runs: every SYN seen and answered, every SYN-ACK back" if ok == len(checks[c])
                     else f"**{len(checks[c]) - ok}/{len(checks[c])} runs: {', '.join(k for k in checks[c] if k != 'ok')}**")
            self.w(
                f"| {SYN_LABELS[c]} | {fmt(median(offered[c]), 3)} | {fmt(rate, 3)} "
                f"| {fmt(min(synacks[c]), 3)} - {fmt(max(synacks[c]), 3)} | {totals[c][0] / totals[c][1]:.3f} "
                f"| {fmt(1e3 / rate, 0)} | {ratio_text(ratio)} | {check} |"
            )
        self.w()
        self.synproxy_summary = (median(ratios), synacks)
        if ratios and "syn_xdp" in synacks and "syn_nft" in synacks:
            x, n = median(synacks["syn_xdp"]), median(synacks["syn_nft"])
            self.w(
                f"casshield's SYN proxy sent **{median(ratios):.2f}x** the SYN-ACKs per second of netfilter's "
                f"SYNPROXY alone (per-round ratios {min(ratios):.2f} - {max(ratios):.2f}). Per SYN-ACK, "
                f"{1e3 / x:.0f} ns against {1e3 / n:.0f} ns for the whole path (generator, veth both ways, the "
                "answer, the counter). Why: XDP writes the answer over the SYN and sends it back from the "
                "receive path; netfilter's SYN first becomes an skb that crosses the IP layer and the "
                "prerouting and input hooks, and SYNPROXY then allocates a new packet and sends it through "
                "routing, the neighbour table, the output hooks and the qdisc layer."
            )
            self.w()

    def setups(self, prefix, labels):
        """Each contender's configuration as the run read it back (PREFIXNAME.txt), folded."""
        setups = [(c, os.path.join(self.results, f"{prefix}{c}.txt")) for c in labels]
        setups = [(c, path) for c, path in setups if os.path.exists(path)]
        if not setups:
            return
        self.w("<details><summary>Each contender's configuration, as read back from the kernel during the run</summary>")
        self.w()
        for c, path in setups:
            self.w(f"**{labels[c]}**")
            self.w()
            self.w("```")
            self.out.extend(open(path).read().rstrip("\n").splitlines())
            self.w("```")
            self.w()
        self.w("</details>")
        self.w()

    def synproxy_costs(self):
        by, order = defaultdict(dict), []
        for path, frame, method, program, verdict, med, lo, hi in self.synproxy_paths:
            if path not in by:
                order.append(path)
            by[path][program] = (float(med), float(lo), float(hi), verdict)
            by[path]["frame"], by[path]["method"] = frame, method
        self.w(
            "The shield's program loaded once (not attached), its live generation's policy written with "
            "`cas_policy_write` between runs: CAS_POLICY_SYN_PROXY off, then on, as `apply` switches it. "
            "*allowed ACK*: an ACK of a real TCP connection the benchmark opens on loopback (127.0.0.0/8 allowed "
            "on its port); with the switch on, the program looks the connection up (`bpf_skc_lookup_tcp`) and "
            "passes the segment. *allowed SYN*: a SYN from that source with a Linux client's options; off, it is "
            "charged in the SYN buckets (per source, per rule and global, all set to 10,000,000/s so that none "
            "refuses) and passed; on, it goes through the SYN-ACK cap (its default) and is answered with a "
            "SYN-ACK built over it (XDP_TX). *ACK of no connection*: a pure ACK from that source that returns no "
            "cookie, as a flood forging the proxy's ACKs sends; on, the lookup finds nothing and the cookie is "
            "checked twice (as it came, and one sequence number higher for a zero-window probe) before the drop. "
            "`XDP_PASS` is a program that only returns XDP_PASS, timed the same "
            "way: the cost of the test run itself. The program writes its answer over the SYN, and "
            "BPF_PROG_TEST_RUN does not restore the frame between repetitions, so the SYN is timed in *single "
            "runs* (repeat 1, the mean of many calls), and the ACK both ways: single runs are colder (each call "
            "is a syscall between runs), and the ACK's two figures show by how much. Median of the rounds; "
            "off, on and XDP_PASS alternate within each round. Every run was checked to be counted under the "
            "expected verdict."
        )
        self.w()
        self.w("| path | frame | timed as | switch off ns | switch on ns | on - off | XDP_PASS ns | off - XDP_PASS | on - XDP_PASS |")
        self.w("|---|---|---|---:|---:|---:|---:|---:|---:|")
        cell = lambda v: f"{fmt(v[0])} ({v[3]}; {v[1]:.0f}-{v[2]:.0f})" if v else "-"
        for path in order:
            row = by[path]
            off, on, floor = row.get("off"), row.get("on"), row.get("xdp_pass")
            diff = lambda a, b: fmt(a[0] - b[0]) if a and b else "-"
            self.w(
                f"| {SYN_PATH_LABELS.get(path, path)} | {row['frame']} | {row['method']} | {cell(off)} | {cell(on)} "
                f"| **{diff(on, off)}** | {fmt(floor[0]) if floor else '-'} | {diff(off, floor)} | {diff(on, floor)} |"
            )
        self.w()
        self.synproxy_by = by
        ack, syn = by.get("ack", {}), by.get("syn", {})
        if "on" in ack and "off" in ack:
            text = (f"The switch adds **{ack['on'][0] - ack['off'][0]:.0f} ns** to an allowed source's ACK of an "
                    "established connection (the socket lookup, warm cache)")
            single = by.get("ack_single", {})
            if "on" in single and "off" in single:
                text += f", {single['on'][0] - single['off'][0]:.0f} ns in single runs"
            if "on" in syn and "off" in syn:
                text += (f"; answering a SYN costs {syn['on'][0] - syn['off'][0]:.0f} ns more than passing it "
                         "through the SYN buckets (single runs), and spares the host the SYN")
            self.w(text + ".")
            self.w()

    # ---- targets -----------------------------------------------------------
    def judge(self):
        t = self.targets
        main = getattr(self, "drop_summary", {}).get("v4_syn_1")
        if main:
            mpps, ratios = main
            shield = median(ratios.get("shield", []))
            filt = median(ratios.get("xdp_filter", []))
            nft_best = max((median(mpps[c]), c) for c in ("nft_netdev", "nft_inet", "iptables") if c in mpps)
            shield_mpps = median(mpps["shield"])
            ceil_mpps = median(mpps["xdp_drop"])
            extra_ns = 1e3 / shield_mpps - 1e3 / ceil_mpps
            own = ""
            pb = getattr(self, "paths_by", {}).get("dropped")
            if pb and "casshield" in pb and "xdp_pass" in pb:
                own = (f" Section 1 puts the shield's own work on this path at "
                       f"{pb['casshield'][0] - pb['xdp_pass'][0]:.0f} ns (casshield - XDP_PASS)")
                if "xdp_drop_count" in pb:
                    own += f", the ceiling's at {pb['xdp_drop_count'][0] - pb['xdp_pass'][0]:.0f} ns"
                own += "."
            comment = (f"casshield {shield:.2f}x, xdp-filter {filt:.2f}x of the ceiling. On the wire the "
                       f"shield costs {extra_ns:.0f} ns per frame more than the ceiling's single counter "
                       f"increment ({1e3 / shield_mpps:.0f} vs {1e3 / ceil_mpps:.0f} ns per frame for "
                       f"generator + veth + receiver).{own}")
            if shield < TARGET_DROP_CEILING:
                comment += f" Short of the target by {(TARGET_DROP_CEILING - shield) / TARGET_DROP_CEILING * 100:.0f}%."
                comment += self.drop_why()
            t.append(("drop path >= 0.8x the XDP_DROP ceiling (IPv4 SYN flood, one source)",
                      f"{shield:.2f}x", shield >= TARGET_DROP_CEILING, comment))
            versus = shield_mpps / median(mpps["xdp_filter"]) if "xdp_filter" in mpps else float("nan")
            why = ""
            if pb and "xdp-filter" in pb and "xdp_pass" in pb:
                why = (f" Why, from section 1: on this frame xdp-filter's own work is "
                       f"{pb['xdp-filter'][0] - pb['xdp_pass'][0]:.0f} ns, the shield's "
                       f"{pb['casshield'][0] - pb['xdp_pass'][0]:.0f} ns; xdp-filter makes exact-match lookups of "
                       "the addresses and has no port table, prefixes or limits.")
            t.append(("beats xdp-filter clearly", f"{versus:.2f}x xdp-filter's Mpps", versus > 1.05,
                      "" if versus > 1.05 else
                      f"Not a clear win: a clear one needs more than 1.05x, short by "
                      f"{(1.05 - versus) / 1.05 * 100:.0f}%.{why}"))
            factor = shield_mpps / nft_best[0]
            t.append((f">= {TARGET_NFT_FACTOR:.0f}x the best nftables/iptables ruleset",
                      f"{factor:.2f}x ({CONTENDER_LABELS[nft_best[1]]}, {nft_best[0]:.3f} Mpps)",
                      factor >= TARGET_NFT_FACTOR,
                      "" if factor >= TARGET_NFT_FACTOR else
                      f"Short by {(TARGET_NFT_FACTOR - factor) / TARGET_NFT_FACTOR * 100:.0f}%. Why: per frame on the "
                      f"wire, casshield {1e3 / shield_mpps:.0f} ns, {CONTENDER_LABELS[nft_best[1]]} "
                      f"{1e3 / nft_best[0]:.0f} ns; {1e3 / ceil_mpps:.0f} ns of each are the generator, veth and a "
                      "minimal XDP program (the ceiling), the same for both. Of what is left, the shield spends "
                      f"{1e3 / shield_mpps - 1e3 / ceil_mpps:.0f} ns and netfilter "
                      f"{1e3 / nft_best[0] - 1e3 / ceil_mpps:.0f} ns "
                      f"({(1e3 / nft_best[0] - 1e3 / ceil_mpps) / (1e3 / shield_mpps - 1e3 / ceil_mpps):.1f}x): "
                      "the shared part dilutes the ratio, and the shield's drop path is the part to make cheaper "
                      "(see the first row)."))
        worst = getattr(self, "rules_worst", None)
        if worst:
            p, gross, net, lo, hi = worst
            comment = (f"Worst probe: {PROBE_LABELS[p]}, {lo:,} -> {hi:,} rules: {gross:.2f}x per packet, "
                       f"{net:.2f}x for the program's own work (BPF_PROG_TEST_RUN, warm cache).")
            if gross > TARGET_RULES_FACTOR:
                comment += (f" Over the target by {(gross - TARGET_RULES_FACTOR) / TARGET_RULES_FACTOR * 100:.0f}%. "
                            + self.rules_why(p, hi))
            t.append((f"{hi:,} rules cost <= {TARGET_RULES_FACTOR}x one rule", f"{gross:.2f}x",
                      gross <= TARGET_RULES_FACTOR, comment))
        sr = getattr(self, "sources_ratio", {}).get("shield")
        if sr:
            hi = self.sources_counts[-1]
            comment = (f"casshield's Mpps from {hi:,} random sources / from one source, per round: median "
                       f"{sr[0]:.2f}, range {sr[1]:.2f} - {sr[2]:.2f}; the program's own ns {sr[3]:.2f}x. "
                       f"Judged against {TARGET_SOURCES_FACTOR} because rounds of the same flood differ "
                       "by about that much on this machine.")
            ceiling = self.sources_ratio.get("xdp_drop")
            if ceiling:
                comment += (f" The ceiling, which never reads the source: {ceiling[0]:.2f}x "
                            f"(its program's own ns {ceiling[3]:.2f}x).")
            if sr[0] < TARGET_SOURCES_FACTOR:
                comment += (f" Short of the target by {(TARGET_SOURCES_FACTOR - sr[0]) / TARGET_SOURCES_FACTOR * 100:.0f}%. "
                            + self.sources_why())
            t.append((f"flood from {hi:,} random sources no slower than from one", f"{sr[0]:.2f}x",
                      sr[0] >= TARGET_SOURCES_FACTOR, comment))
        mem = getattr(self, "memory_per_rule", {}).get("ipv4")
        if mem:
            per_rule, total, rules, seconds, peak = mem
            comment = f"{total / 2**20:.1f} MiB for {rules:,} IPv4 rules; bulk load {seconds:.1f} s, CLI peak RSS {peak / 1024:.0f} MiB."
            if per_rule > TARGET_BYTES_PER_RULE:
                comment += (f" Over by {per_rule - TARGET_BYTES_PER_RULE:.0f} bytes "
                            f"({(per_rule - TARGET_BYTES_PER_RULE) / TARGET_BYTES_PER_RULE * 100:.0f}%). "
                            + self.memory_why())
            t.append((f"rule maps <= {TARGET_BYTES_PER_RULE} bytes per IPv4 rule at {rules:,} rules",
                      f"{per_rule:.1f} bytes", per_rule <= TARGET_BYTES_PER_RULE, comment))

    def rules_why(self, probe, count):
        hashes, tries = set(), set()
        for row in self.memory or []:
            if row[0] == "map" and row[3].startswith(("cas_hosts", "cas_rules_v")):
                family = "v6" if "_v6" in row[3] else "v4"
                (hashes if row[4] == "hash" else tries).add((family, row[3].rsplit("_g", 1)[0], row[4]))
        family = "v6" if probe.startswith("ipv6") else "v4"
        path = [f"{name} ({kind})" for fam, name, kind in sorted(hashes) + sorted(tries) if fam == family]
        short = self.short_prefixes(count)
        why = "Why: "
        if path:
            why += f"this source is looked up in {' then '.join(path)}"
            if probe.endswith(("not_allowed", "prefix_rule")) and len(path) > 1:
                why += ("; no host rule matches it, so the lookup goes on to the trie, which it walks down "
                        "node by node (one dependent memory load each) to the longest match; the trie gets "
                        "deeper as it holds more prefixes")
                if short:
                    why += f" ({short[family]:,} {family} prefixes among the {count:,} rules here)"
            why += ". "
        else:
            why += "the rule lookup costs more as the rule maps grow. "
        why += ("The growth shows with a warm cache (BPF_PROG_TEST_RUN repeats one frame); sources spread over "
                "the whole table (3b) add cache misses on top.")
        return why

    def short_prefixes(self, count):
        """Prefixes shorter than a host among the first count rules of the rule file."""
        path = os.path.join(self.results, "rules-mixed.txt")
        if not os.path.exists(path):
            return None
        short = {"v4": 0, "v6": 0}
        with open(path) as f:
            for n, line in enumerate(f):
                if n >= count:
                    break
                addr, _, length = line.strip().partition("/")
                if ":" in addr:
                    short["v6"] += int(length) < 128
                else:
                    short["v4"] += int(length) < 32
        return short

    def sources_why(self):
        data = defaultdict(lambda: defaultdict(list))
        for r in self.sources:
            if r["prog_ns"] not in ("-", ""):
                data[r["contender"]][int(r["sources"])].append(float(r["prog_ns"]))
        lo, hi = self.sources_counts[0], self.sources_counts[-1]
        shield = data.get("shield", {})
        if not shield.get(lo) or not shield.get(hi):
            return ""
        ceiling = data.get("xdp_drop", {})
        text = (f"Why: the shield's own program takes {median(shield[lo]):.0f} ns per packet from one source and "
                f"{median(shield[hi]):.0f} ns from {hi:,} (bpf_stats)")
        if ceiling.get(lo) and ceiling.get(hi):
            text += f", while the ceiling's takes {median(ceiling[lo]):.0f} and {median(ceiling[hi]):.0f} ns"
        return text + (". One repeated source keeps the few map entries its lookup reads in cache; a million "
                       "sources spread the lookups over the rule maps "
                       f"({int(self.env.get('sources_rules', '0')):,} rules here) and their hash buckets, "
                       "beyond what the caches hold: the most likely cause, since only the program that looks "
                       "the source up slows down.")

    def drop_why(self):
        pb = getattr(self, "paths_by", {})
        dropped, unprotected = pb.get("dropped"), pb.get("unprotected")
        if not dropped or not unprotected or "xdp_pass" not in dropped:
            return ""
        floor = dropped["xdp_pass"][0]
        parse = unprotected["casshield"][0] - floor
        lookup = dropped["casshield"][0] - unprotected["casshield"][0]
        return (f" Why, from section 1: of the shield's {dropped['casshield'][0] - floor:.0f} ns on this path, "
                f"{parse:.0f} ns are parsing, the port table and the counters (the unprotected path stops "
                f"there) and {lookup:.0f} ns the prefilter read that rules the source out (no hash or trie "
                f"lookup: no rule covers its /16); the ceiling reads no header at all.")

    def memory_why(self):
        rset = self.memory_per_rule.get("ipv4")
        parts, empty = [], 0
        for row in self.memory or []:
            if row[0] == "map" and row[1] == "ipv4" and rset[2]:
                if row[2] == "loaded":
                    parts.append((int(row[6]) / rset[2], row[3], row[4]))
                elif row[2] == "empty":
                    empty += int(row[6])
        parts.sort(reverse=True)
        return ("Why: per rule, " + ", ".join(f"{b:.0f} bytes in {n} ({t})" for b, n, t in parts if b >= 1)
                + f". {empty / rset[2]:.0f} of those bytes per rule are taken by `load --max-rules` before any "
                "rule is added (arrays and hash tables sized for the maximum). Reaching 128 bytes needs another "
                "layout, not tuning: a kernel hash element costs 64 bytes before its bucket, and every rule has "
                "its own 96-byte body, per-CPU hit counters and SYN/hello buckets. The layout that would fit: "
                "bodies shared by the rules that have the same ports, limits, binding and name (a bulk file has a "
                "handful), and IPv4 prefixes in an open-addressing table of 8-byte entries in an array map, each "
                "hit checked against a per-rule prefix record so that an entry read while it is rewritten is "
                "never misread. The per-CPU hit counters would stay: 8 + 16 bytes x CPUs per rule (40 here), and "
                "what keeps the proxy's rule, which counts every client packet, from bouncing one cache line "
                "between CPUs.")

    # ---- the document --------------------------------------------------------
    def render(self, png_name):
        body = self.out
        self.out = []
        e = self.env
        self.w("# casshield benchmarks")
        self.w()
        self.w(
            f"Written by `{self.first_command('run')}` on {e.get('date', '?')} "
            f"({e.get('mode', '?')} run, {e.get('duration_s', '?')} s). Do not edit: run it again. "
            "Figures are never pass/fail; `make check` runs a seconds-long smoke version "
            "(`scripts/bench/run.sh --smoke`) that checks only that every contender was measured "
            "and every receiver counted every frame."
        )
        self.w()
        reruns = sorted((k[len("rerun_"):], v) for k, v in e.items() if k.startswith("rerun_"))
        if reruns:
            self.w("Since then, a partial run re-measured "
                   + "; ".join(f"section **{name}** on {when}" for name, when in reruns)
                   + ". Every other figure is from the run above, whose machine and commit follow.")
            self.w()
        self.w("## Machine")
        self.w()
        self.w("| | |")
        self.w("|---|---|")
        for key in ("date", "kernel", "os", "cpu", "cpus", "memory", "virtualization", "clang", "casshield",
                    "commit", "xdp-tools", "nftables", "iptables", "xdp_filter_obj", "bench_cpu"):
            if key in e:
                self.w(f"| {key} | {e[key]} |")
        spent = [f"{k[len('seconds_'):]} {v} s" for k, v in e.items() if k.startswith("seconds_")]
        if spent:
            self.w(f"| time per section | {', '.join(spent)} |")
        self.w()
        self.w("## Targets")
        self.w()
        if self.failed:
            self.w("**Sections that failed in this run** (their figures are missing or partial): "
                   + ", ".join(f"{name} (status {status})" for name, status in self.failed.items()))
            self.w()
        if self.untrusted:
            self.w("**Some receivers did not count every frame offered; those figures measure nothing:** "
                   + "; ".join(self.untrusted))
            self.w()
        self.w("| target | measured | | how, and why |")
        self.w("|---|---|---|---|")
        for target, measured, met, comment in self.targets:
            self.w(f"| {target} | {measured} | {verdict(met)} | {comment} |")
        self.w()
        self.w(f"![benchmarks]({png_name})")
        self.w()
        self.out.extend(body)
        self.w("## Commands")
        self.w()
        self.w("Each section's commands as this run used them (RX-MAC: the receiving veth's address):")
        self.w()
        self.w("```")
        for section, command in self.commands:
            self.w(f"[{section}] {command}")
        self.w("```")
        self.w()
        self.w("## Reading these figures")
        self.w()
        self.w(
            "- The machine is a small virtualised one (2 CPUs): rounds of the same measurement differ by several "
            "percent, which is why contenders alternate within rounds and ratios are taken per round.\n"
            "- Section 2's Mpps include the generator and veth, the same for every contender: they bound "
            "what a contender can show, and compress ratios between contenders toward 1. Section 1 isolates "
            "the programs.\n"
            "- BPF_PROG_TEST_RUN repeats one frame: every lookup hits a warm cache. Section 3b floods from "
            "up to 1M sources on the live path to show the cold-cache side.\n"
            "- 10.0.0.0/8 and fd00::/8 appear only in crafted frames and rule files: no benchmark frame "
            "leaves the veth pair."
        )
        self.w()

    def first_command(self, section):
        for s, c in self.commands:
            if s == section:
                return c
        return "scripts/bench/run.sh"

    # ---- the plot ------------------------------------------------------------
    def plot(self, png):
        plot_dir = os.path.join(self.results, "plot")
        os.makedirs(plot_dir, exist_ok=True)
        panels = []
        if self.paths:
            titles = {"casshield": "casshield", "xdp-filter": "xdp-filter",
                      "xdp_drop_count": "ceiling (XDP_DROP + count)", "xdp_pass": "XDP_PASS"}
            programs = [p for p in titles if any(p in row for row in self.paths_by.values())]
            with open(os.path.join(plot_dir, "paths.dat"), "w") as f:
                for path, row in self.paths_by.items():
                    f.write(f"{path} " + " ".join(fmt(row[p][0]) if p in row else "NaN" for p in programs) + "\n")
            plots = ", ".join(
                f"'{plot_dir}/paths.dat' using {i + 2}{':xtic(1)' if i == 0 else ''} title '{titles[p]}'"
                for i, p in enumerate(programs))
            panels.append(
                "set title 'ns/packet per path (BPF_PROG_TEST_RUN)'\n"
                "set style data histogram; set style histogram clustered gap 1; set style fill solid 0.8 border -1\n"
                "set ylabel 'ns/packet'; set yrange [0:*]; set xtics rotate by -30; unset logscale x\n"
                "set key right top font ',8'\n"
                f"plot {plots}\n"
                "set xtics norotate; set key default\n")
        main = getattr(self, "drop_summary", {}).get("v4_syn_1")
        if main:
            mpps, _ = main
            with open(os.path.join(plot_dir, "droprate.dat"), "w") as f:
                for c in CONTENDER_LABELS:
                    if c in mpps:
                        f.write(f"\"{PLOT_LABELS[c]}\" {median(mpps[c]):.3f} {min(mpps[c]):.3f} {max(mpps[c]):.3f}\n")
            panels.append(
                "set title 'Drop rate on veth, IPv4 SYN flood (Mpps, median and range)'\n"
                "set style data histogram; set style histogram errorbars gap 1 lw 1; set style fill solid 0.8 border -1\n"
                "set ylabel 'Mpps'; set yrange [0:*]; set xtics font ',8'; unset logscale x\n"
                f"plot '{plot_dir}/droprate.dat' using 2:3:4:xtic(1) notitle lc rgb '#4472c4'\n"
                "set xtics font ',10'\n")
        if self.rules:
            probes = defaultdict(dict)
            for row in self.rules:
                if row[0] == "probe":
                    probes[row[2]][int(row[1])] = float(row[5])
            names = [p for p in PROBE_LABELS if p in probes]
            counts = sorted({n for p in probes.values() for n in p})
            with open(os.path.join(plot_dir, "rules.dat"), "w") as f:
                for n in counts:
                    f.write(f"{n} " + " ".join(fmt(probes[p].get(n, float('nan'))) if n in probes[p] else "NaN"
                                               for p in names) + "\n")
            plots = ", ".join(
                f"'{plot_dir}/rules.dat' using 1:{i + 2} with linespoints title '{PROBE_LABELS[p]}'"
                for i, p in enumerate(names))
            panels.append(
                "set title 'ns/packet against allow rules'\n"
                "set style data linespoints; set logscale x; set xlabel 'rules'; set ylabel 'ns/packet'; set yrange [0:*]\n"
                + log_xtics(counts) +
                "set key left top font ',8'\n"
                f"plot {plots}\n"
                "unset xlabel; set key default; set xtics autofreq; set xrange [*:*]\n")
        if self.sources:
            data = defaultdict(lambda: defaultdict(list))
            for r in self.sources:
                data[r["contender"]][int(r["sources"])].append(float(r["mpps"]))
            contenders = [c for c in CONTENDER_LABELS if c in data]
            counts = sorted({int(r["sources"]) for r in self.sources})
            with open(os.path.join(plot_dir, "sources.dat"), "w") as f:
                for n in counts:
                    f.write(f"{n} " + " ".join(f"{median(data[c][n]):.3f}" for c in contenders) + "\n")
            titles = [PLOT_LABELS[c] for c in contenders]
            plots = ", ".join(
                f"'{plot_dir}/sources.dat' using 1:{i + 2} with linespoints title '{title}'"
                for i, title in enumerate(titles))
            panels.append(
                "set title 'Drop rate against flooding sources (bpf_stats on)'\n"
                "set style data linespoints; set logscale x; set xlabel 'sources'; set ylabel 'Mpps'; set yrange [0:*]\n"
                + log_xtics(counts) +
                "set key left bottom font ',8'\n"
                f"plot {plots}\n"
                "unset xlabel; set key default; set xtics autofreq; set xrange [*:*]\n")
        summary = getattr(self, "synproxy_summary", None)
        if summary:
            _, synacks = summary
            with open(os.path.join(plot_dir, "synproxy.dat"), "w") as f:
                for c in SYN_LABELS:
                    if c in synacks:
                        f.write(f"\"{SYN_PLOT_LABELS[c]}\" {median(synacks[c]):.3f} {min(synacks[c]):.3f} {max(synacks[c]):.3f}\n")
            panels.append(
                "set title 'SYN-ACKs/s on veth, SYN flood from an allowed source (M/s, median and range)'\n"
                "set style data histogram; set style histogram errorbars gap 1 lw 1; set style fill solid 0.8 border -1\n"
                "set ylabel 'M SYN-ACKs/s'; set yrange [0:*]; unset logscale x\n"
                f"plot '{plot_dir}/synproxy.dat' using 2:3:4:xtic(1) notitle lc rgb '#ed7d31'\n")
        if not panels:
            return
        cols = 2 if len(panels) > 1 else 1
        rows = (len(panels) + cols - 1) // cols
        script = (f"set terminal pngcairo noenhanced size {600 * cols},{450 * rows} font 'sans,10'\n"
                  f"set output '{png}'\nset grid ytics\nset multiplot layout {rows},{cols}\n"
                  + "".join(panels) + "unset multiplot\n")
        with open(os.path.join(plot_dir, "benchmarks.gp"), "w") as f:
            f.write(script)
        subprocess.run(["gnuplot", os.path.join(plot_dir, "benchmarks.gp")], check=True)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: report.py RESULTS_DIR OUT_MD OUT_PNG")
    results, out_md, out_png = sys.argv[1:]
    r = Report(results)
    r.section_paths()
    r.section_droprate()
    r.section_rules()
    r.section_sources()
    r.section_memory()
    r.section_metrics()
    r.section_synproxy()
    r.judge()
    r.render(os.path.basename(out_png))
    r.plot(out_png)
    with open(out_md, "w") as f:
        f.write("\n".join(r.out).rstrip() + "\n")


if __name__ == "__main__":
    main()
