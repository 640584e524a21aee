#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_shield.sh (guest) - the shield on Debian 12's 6.1 kernel: native and
# generic XDP on a veth pair, a real TCP service, real connections from
# namespaces; unload restores everything.
set -u
source tests/lib/tap.sh
LAB=casv LAB_NET=8
source tests/lib/lab.sh
B=$CASSHIELD

lab_up
lab_serve 443
lab_serve 8080

reach() { # WHAT EXPECT(yes|no) NS ADDR PORT
	if lab_connect "$3" "$4" "$5" 1; then got=yes; else got=no; fi
	check_eq "$1" "$2" "$got"
}

check_match "the guest runs the 6.1 kernel" "^6\.1\." "$(uname -r)"
reach "before load: rogue reaches 443" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443
for mode in native skb; do
	check_cmd "$mode: load" 0 "" -- "$B" load "$LAB_IF" --mode "$mode" --ports 443
	check_cmd "$mode: allow the proxy" 0 "" -- "$B" allow add -i "$LAB_IF" "$LAB_PROXY4" --name proxy
	check_cmd "$mode: allow the proxy (IPv6)" 0 "" -- "$B" allow add -i "$LAB_IF" "$LAB_PROXY6/128" --name proxy6
	check_eq "$mode: status says attached in $mode mode" "true $mode" "$("$B" status -i "$LAB_IF" --json | jq -r '"\(.attached) \(.mode)"')"
	check_match "$mode: ip link shows the program" "prog/xdp" "$(ip -d link show "$LAB_IF")"
	reach "$mode: the proxy reaches 443" yes "$LAB_PROXY_NS" "$LAB_CAS4" 443
	reach "$mode: the proxy reaches 443 over IPv6" yes "$LAB_PROXY_NS" "$LAB_CAS6" 443
	reach "$mode: the rogue does not reach 443" no "$LAB_ROGUE_NS" "$LAB_CAS4" 443
	reach "$mode: the rogue does not reach 443 over IPv6" no "$LAB_ROGUE_NS" "$LAB_CAS6" 443
	reach "$mode: the rogue reaches the unprotected 8080" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 8080
	check_ge "$mode: the rogue's SYNs were counted as not_allowed" 1 "$(lab_counter "$LAB_IF" drop not_allowed)"
	check_ge "$mode: the proxy's packets were counted as allowed" 1 "$(lab_counter "$LAB_IF" pass allowed)"
	check_cmd "$mode: unload" 0 "" -- "$B" unload "$LAB_IF"
	check_eq "$mode: unload detaches" "" "$(ip -d link show "$LAB_IF" | grep -o 'prog/xdp')"
	check_eq "$mode: unload removes the pins" "no" "$([ -e "/sys/fs/bpf/casshield/$LAB_IF" ] && echo yes || echo no)"
	reach "$mode: after unload the rogue reaches 443 again" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443
done
tap_done
