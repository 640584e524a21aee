# SPDX-License-Identifier: GPL-2.0
# lab.sh - the benchmark's wire: one veth pair in the root namespace (bpffs
# and the pinned shield are visible there), the generator on one end, the
# contender on the other, and the generator's wrapper. Sourced by run.sh.
#
#   [gen_live: BPF_PROG_TEST_RUN, live frames, XDP_TX] -> $BENCH_GEN ==veth== $BENCH_RX [contender]
#
# Nothing leaves the pair: the frames are crafted, injected into
# $BENCH_GEN, and end at $BENCH_RX, dropped there or by its stack (they are
# addressed to 192.0.2.1, which this host does not route anywhere).

BENCH_GEN=${BENCH_GEN:-csbgen0}
BENCH_RX=${BENCH_RX:-csbrx0}
BENCH_DST4=192.0.2.1
BENCH_PIN=/sys/fs/bpf/casshield-bench
BENCH_CPU=${BENCH_CPU:-$(($(nproc) - 1))}

bench_lab_up() {
	bench_lab_down
	ip link add "$BENCH_GEN" type veth peer name "$BENCH_RX"
	# No IPv6 on the generator's end: its router and multicast listener
	# solicitations would add frames it did not generate to the receiver's
	# counts. The receiver keeps IPv6, or its stack would drop the IPv6
	# floods before netfilter's prerouting hook could count them.
	sysctl -qw "net.ipv6.conf.$BENCH_GEN.disable_ipv6=1"
	ip link set "$BENCH_GEN" up
	ip link set "$BENCH_RX" up
	mkdir -p "$BENCH_PIN"
	BENCH_RX_MAC=$(cat "/sys/class/net/$BENCH_RX/address")
}

bench_lab_down() {
	ip link del "$BENCH_GEN" 2>/dev/null || true
	rm -rf "$BENCH_PIN"
}

# bench_send FRAMES [gen_live options...]: offer FRAMES frames to the
# receiver; prints "frames=N ns=T mpps=R".
bench_send() {
	local frames=$1
	shift
	"$BENCH_BIN/gen_live" -i "$BENCH_GEN" --dst-mac "$BENCH_RX_MAC" --cpu "$BENCH_CPU" \
		--frames "$frames" "$@"
}

# bench_xdp_prog_id: id of the XDP program attached to the receiver (for
# xdp-filter, libxdp's dispatcher in front of it), or nothing.
bench_xdp_prog_id() {
	ip -j link show dev "$BENCH_RX" | jq -r '.[0].xdp.prog.id // empty'
}

# bench_prog_runtime ID: "run_cnt run_time_ns" of a program (bpf_stats).
bench_prog_runtime() {
	bpftool -j prog show id "$1" | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"'
}

# bench_pinned_counter FILE: a one-slot per-CPU counter, summed.
bench_pinned_counter() {
	bpftool -j map dump pinned "$1" | jq '[.[0].formatted.values[].value] | add'
}
