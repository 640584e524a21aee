#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_bench_smoke.sh - the benchmark harness in its seconds-long --smoke
# mode: it builds, every section runs, every contender is measured, every
# receiver counted exactly the frames offered (the SYN proxy's: every SYN
# answered, every SYN-ACK back), the report and its plot are written, and
# the run leaves nothing behind (veth pair, rulesets, pins, bpf_stats,
# nf_conntrack_tcp_loose). No figure is judged: timing is never pass/fail.
set -u
source tests/lib/tap.sh
WORK=$(mktemp -d /tmp/casshield-bench-smoke.XXXXXX)
RESULTS=build/bench/smoke/results
trap 'rm -rf "$WORK"' EXIT

stats_before=$(sysctl -n kernel.bpf_stats_enabled)
loose_before=$(sysctl -n net.netfilter.nf_conntrack_tcp_loose 2>/dev/null)

make -s bench-bins >"$WORK/make.log" 2>&1
check_eq "make bench-bins builds the generator and the bench programs" 0 $?

scripts/bench/run.sh --smoke --out-dir "$WORK" >"$WORK/run.log" 2>&1
status=$?
check_eq "run.sh --smoke exits 0" 0 "$status"
[ "$status" -eq 0 ] || sed 's/^/#   /' "$WORK/run.log" | tail -n 20

# column VALUE-OF-KEY FILE KEY-COLUMN KEY VALUE-COLUMN: the rows' values.
rows() { awk -F'\t' -v k="$2" -v v="$3" -v c="$4" '$k == v { print $c }' "$1"; }

# 1. every path, every program, and the shield's verdicts
paths=$RESULTS/paths.tsv
check_eq "paths: 6 paths x 4 programs measured" 24 "$(wc -l <"$paths" 2>/dev/null || echo 0)"
for expect in dropped:drop passed:pass syn_limited:drop unprotected:pass ipv6:drop vlan:drop; do
	path=${expect%%:*}
	check_eq "paths: the shield's verdict on $path" "${expect#*:}" \
		"$(awk -F'\t' -v p="$path" '$1 == p && $3 == "casshield" { print $4 }' "$paths" 2>/dev/null)"
done
check_eq "paths: every median is a positive number" 0 \
	"$(awk -F'\t' '!($5 > 0) { n++ } END { print n + 0 }' "$paths" 2>/dev/null || echo missing)"

# 2. every contender measured, every frame offered seen and dropped
drops=$RESULTS/droprate.tsv
for contender in shield xdp_drop xdp_filter nft_netdev nft_inet iptables; do
	row=$(awk -F'\t' -v c="$contender" '$3 == c' "$drops" 2>/dev/null | head -n1)
	check_match "droprate: $contender measured" '^v4_syn_1' "$row"
	IFS=$'\t' read -r _ _ _ frames _ mpps seen dropped check _ <<<"$row"
	check_eq "droprate: $contender saw every frame offered" "${frames:-x}" "${seen:-y}"
	check_eq "droprate: $contender dropped every frame offered" "${frames:-x}" "${dropped:-y}"
	check_eq "droprate: $contender receiver check" ok "${check:-}"
	check_match "droprate: $contender has a rate" '^[0-9]+\.[0-9]+$' "${mpps:-}"
done

# 3. scaling: every rule count probed; every source count measured, checked
rules=$RESULTS/rules.tsv
for count in 1 1000; do
	check_match "rules: $count rules probed" 'ipv4_not_allowed' "$(rows "$rules" 2 "$count" 3 2>/dev/null)"
done
check_match "rules: the XDP_PASS floor measured" '^floor' "$(grep '^floor' "$rules" 2>/dev/null)"
sources=$RESULTS/sources.tsv
for contender in shield xdp_drop xdp_filter; do
	for count in 1 1024; do
		row=$(awk -F'\t' -v c="$contender" -v n="$count" '$1 == n && $3 == c' "$sources" 2>/dev/null | head -n1)
		IFS=$'\t' read -r _ _ _ frames _ _ seen _ check prog_ns <<<"$row"
		check_eq "sources: $contender, $count sources: receiver check" ok "${check:-missing}"
		check_eq "sources: $contender, $count sources: every frame seen" "${frames:-x}" "${seen:-y}"
		check_match "sources: $contender, $count sources: program ns from bpf_stats" '^[0-9]+(\.[0-9]+)?$' "${prog_ns:-}"
	done
done

# 4. memory and 5. exporter
memory=$RESULTS/memory.tsv
check_match "memory: the bulk load was measured" '^load	ipv4	10000	' "$(grep '^load' "$memory" 2>/dev/null)"
check_match "memory: rule maps reported by bpftool" 'loaded' "$(grep '^map' "$memory" 2>/dev/null)"
check_match "metrics: scrape time measured" 'one scrape' "$(cat "$RESULTS/metrics.txt" 2>/dev/null)"

# 6. the SYN proxy: both contenders answered every SYN, every SYN-ACK
# came back; the switch's costs measured with the expected verdicts
synproxy=$RESULTS/synproxy.tsv
for contender in syn_xdp syn_nft; do
	row=$(awk -F'\t' -v c="$contender" '$2 == c' "$synproxy" 2>/dev/null | head -n1)
	IFS=$'\t' read -r _ _ frames _ offered seen answered synacks rate check <<<"$row"
	check_eq "synproxy: $contender check" ok "${check:-missing}"
	check_eq "synproxy: $contender saw every SYN" "${frames:-x}" "${seen:-y}"
	check_eq "synproxy: $contender answered every SYN" "${frames:-x}" "${answered:-y}"
	check_eq "synproxy: $contender: every SYN-ACK back" "${frames:-x}" "${synacks:-y}"
	check_match "synproxy: $contender has rates" '^[0-9]+\.[0-9]+ [0-9]+\.[0-9]+$' "${offered:-} ${rate:-}"
done
costs=$RESULTS/synproxy_paths.tsv
check_eq "synproxy: 4 paths x 3 programs timed" 12 "$(wc -l <"$costs" 2>/dev/null || echo 0)"
for expect in ack:off:pass ack:on:pass ack_single:on:pass syn:off:pass syn:on:tx forged_ack:off:pass forged_ack:on:drop; do
	IFS=: read -r path program verdict <<<"$expect"
	check_eq "synproxy: the shield's verdict on $path, switch $program" "$verdict" \
		"$(awk -F'\t' -v p="$path" -v g="$program" '$1 == p && $4 == g { print $5 }' "$costs" 2>/dev/null)"
done
check_eq "synproxy: every median is a positive number" 0 \
	"$(awk -F'\t' '!($6 > 0) { n++ } END { print n + 0 }' "$costs" 2>/dev/null || echo missing)"

# the report
check_match "report written with its targets" '## Targets' "$(cat "$WORK/benchmarks.md" 2>/dev/null)"
check_match "report names the kernel" "$(uname -r)" "$(cat "$WORK/benchmarks.md" 2>/dev/null)"
check_eq "plot written as a PNG" PNG "$(head -c4 "$WORK/benchmarks.png" 2>/dev/null | tail -c3)"
check_eq "report: no receiver lost a frame" "" "$(grep -i 'did not count every frame' "$WORK/benchmarks.md" 2>/dev/null)"

# nothing left behind
check_eq "veth pair removed" "" "$(ip -o link show csbgen0 2>/dev/null)"
check_eq "nftables tables removed" "" "$(nft list tables 2>/dev/null | grep -e csbench -e casshield_synproxy_csbrx0)"
check_eq "nf_conntrack_tcp_loose as it was" "$loose_before" "$(sysctl -n net.netfilter.nf_conntrack_tcp_loose 2>/dev/null)"
check_eq "no shield pinned on the bench interface" "" "$(ls -d /sys/fs/bpf/casshield/csbrx0 2>/dev/null)"
check_eq "bpf_stats setting restored" "$stats_before" "$(sysctl -n kernel.bpf_stats_enabled)"
check_eq "no xdp-filter map pinned by the bench" "" "$(ls /sys/fs/bpf/filter_ipv4 /sys/fs/bpf/xdp_stats_map 2>/dev/null)"

tap_done
