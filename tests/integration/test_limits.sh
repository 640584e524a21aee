#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_limits.sh - SYN floods with hping3 from the rogue namespace, one of
# them forging the proxy's address, while the proxy keeps connecting: its
# connections all succeed (each within 0.9 s, so no SYN of it was dropped
# and retransmitted), and the counters say what was dropped and why.
set -u
source tests/lib/tap.sh
LAB=casl LAB_NET=2
source tests/lib/lab.sh
B=$CASSHIELD

lab_up
lab_serve 443

# proxy_connects N: N connections, one every 0.1 s, each given 0.9 s.
proxy_connects() { lab_connect_loop "$LAB_PROXY_NS" "$LAB_CAS4" 443 "$1" 0.9 0.1; }

# flood SECONDS HPING_ARGS...: a SYN flood from the rogue namespace.
flood() {
	local seconds=$1
	shift
	lab_ns "$LAB_ROGUE_NS" timeout "$seconds" hping3 -q -S -p 443 --flood "$@" "$LAB_CAS4" >/dev/null 2>&1
	return 0
}

check_cmd "load" 0 "" -- "$B" load "$LAB_IF"
check_cmd "proxy bound to its MAC and TTL, SYN limit 50/s burst 100" 0 "" -- \
	"$B" allow add -i "$LAB_IF" "$LAB_PROXY4" --name proxy --mac "$LAB_PROXY_MAC" --ttl 64 --syn-rate 50 --syn-burst 100
check_cmd "rogue allowed with SYN limit 100/s" 0 "" -- \
	"$B" allow add -i "$LAB_IF" "$LAB_ROGUE4" --name rogue --syn-rate 100 --syn-burst 100
check_cmd "global SYN limit 5000/s" 0 "" -- "$B" limits set -i "$LAB_IF" --syn-rate 5000 --syn-burst 5000

# 1. A flood forging the proxy's address: dropped as spoofed (wrong MAC),
#    and it never touches the proxy's SYN bucket.
proxy_connects 25 >"$LAB_IF.proxy" &
client=$!
flood 3 -a "$LAB_PROXY4"
wait "$client"
check_eq "proxy: 25 connections during a flood forging its address" "25 0" "$(cat "$LAB_IF.proxy")"
check_ge "the forged SYNs were dropped as spoofed" 1000 "$(lab_counter "$LAB_IF" drop spoofed)"
check_eq "none of them reached a SYN bucket" 0 "$(lab_counter "$LAB_IF" drop syn_rate_rule)"

# 2. A flood from an allowed source: its own rule's bucket stops it.
proxy_connects 25 >"$LAB_IF.proxy" &
client=$!
start=$(date +%s.%N)
flood 3
end=$(date +%s.%N)
wait "$client"
check_eq "proxy: 25 connections during the rogue's own flood" "25 0" "$(cat "$LAB_IF.proxy")"
limited=$(lab_counter "$LAB_IF" drop syn_rate_rule)
check_ge "the rogue's flood was dropped as syn_rate_rule" 1000 "$limited"
admitted=$("$B" allow list -i "$LAB_IF" --json | jq '.rules[] | select(.name == "rogue") | .hits')
# Burst 100 + 100/s over the flood (plus the RSTs its kernel answers with,
# which are not handshakes): at least the bucket's share, bounded above.
expected=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%d", 100 + 100 * (e - s) }')
check_ge "the rogue's bucket admitted at least burst + rate x T x 0.9" "$((expected * 9 / 10))" "$admitted"
check_eq "the global bucket was not drained by it" 0 "$(lab_counter "$LAB_IF" drop syn_rate_global)"

# 3. A flood from random sources: none is allowed.
proxy_connects 25 >"$LAB_IF.proxy" &
client=$!
flood 3 --rand-source
wait "$client"
check_eq "proxy: 25 connections during a random-source flood" "25 0" "$(cat "$LAB_IF.proxy")"
check_ge "random sources dropped as not_allowed" 1000 "$(lab_counter "$LAB_IF" drop not_allowed)"

check_ge "the proxy's connections were allowed" 75 "$(lab_counter "$LAB_IF" pass allowed)"
"$B" stats -i "$LAB_IF" | sed 's/^/# /'
rm -f "$LAB_IF.proxy"
tap_done
