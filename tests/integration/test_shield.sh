#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_shield.sh - the shield on a real veth, real traffic from namespaces:
# the proxy reaches the protected service, the rogue host does not (IPv4,
# IPv6, through a VLAN), unprotected ports, ping and fragmented UDP still
# work, rule changes under traffic drop nothing, monitor mode drops nothing,
# and unload restores everything.
set -u
source tests/lib/tap.sh
LAB=casi LAB_NET=1
source tests/lib/lab.sh
B=$CASSHIELD

lab_up
lab_serve 443
lab_serve 8080
lab_serve 5353 udp
lab_serve 8053 udp

# VLAN: this kernel may lack 802.1Q devices (CONFIG_VLAN_8021Q), so tagged
# frames are crafted with scapy and judged by the counters; where VLAN
# devices exist, a real connection through VLAN 100 is tried as well.
VLAN4_CAS=198.19.$LAB_NET.1
VLAN4_ROGUE=198.19.$LAB_NET.66
HAVE_VLAN=no
if ip link add link "$LAB_IF" name "$LAB_IF.100" type vlan id 100 2>/dev/null; then
	HAVE_VLAN=yes
	ip addr add "$VLAN4_CAS/24" dev "$LAB_IF.100"
	ip link set "$LAB_IF.100" up
	lab_ns "$LAB_ROGUE_NS" ip link add link eth0 name eth0.100 type vlan id 100
	lab_ns "$LAB_ROGUE_NS" ip addr add "$VLAN4_ROGUE/24" dev eth0.100
	lab_ns "$LAB_ROGUE_NS" ip link set eth0.100 up
	"$LAB_PY" - "$VLAN4_CAS" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 443)); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"casshield-lab\n"); c.close()
PY
	LAB_PIDS+=($!)
	sleep 0.3
fi

reach() { # WHAT EXPECT(yes|no) NS ADDR PORT
	if lab_connect "$3" "$4" "$5" 1; then got=yes; else got=no; fi
	check_eq "$1" "$2" "$got"
}

reach "before load: rogue reaches 443" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443

check_cmd "load" 0 "" -- "$B" load "$LAB_IF" --ports 443,5353/udp
check_cmd "allow the proxy (IPv4)" 0 "" -- "$B" allow add -i "$LAB_IF" "$LAB_PROXY4" --name proxy
check_cmd "allow the proxy (IPv6)" 0 "" -- "$B" allow add -i "$LAB_IF" "$LAB_PROXY6/128" --name proxy6
check_match "ip link shows the program" "prog/xdp" "$(ip -d link show "$LAB_IF")"

# Every map lookup of the attached program is inlined by the verifier or a
# direct call into the map's code: a lookup left to the generic helper
# (clang merged two lookups into one call on a map chosen at run time) is
# an indirect call per packet and cost the drop path half its speed.
prog_id=$(bpftool -j link show pinned "/sys/fs/bpf/casshield/$LAB_IF/link" | jq '.prog_id')
xlated=$(bpftool prog dump xlated id "$prog_id")
check_match "the program's map lookups were translated" "trie_lookup_elem" "$xlated"
check_eq "no map lookup goes through the generic helper" 0 \
	"$(grep -c 'call bpf_map_lookup_elem' <<<"$xlated")"

reach "proxy reaches 443 over IPv4" yes "$LAB_PROXY_NS" "$LAB_CAS4" 443
reach "proxy reaches 443 over IPv6" yes "$LAB_PROXY_NS" "$LAB_CAS6" 443
reach "rogue is dropped on 443 over IPv4" no "$LAB_ROGUE_NS" "$LAB_CAS4" 443
reach "rogue is dropped on 443 over IPv6" no "$LAB_ROGUE_NS" "$LAB_CAS6" 443
if [ "$HAVE_VLAN" = yes ]; then
	reach "rogue is dropped on 443 through VLAN 100" no "$LAB_ROGUE_NS" "$VLAN4_CAS" 443
fi
# Tagged (802.1Q, and QinQ) SYNs from the rogue: dropped; to 8080: passed.
drops=$(lab_counter "$LAB_IF" drop not_allowed)
passes=$(lab_counter "$LAB_IF" pass unprotected)
lab_scapy "$LAB_ROGUE_NS" "Dot1Q(vlan=100)/IP(src='$LAB_ROGUE4', dst='$LAB_CAS4')/TCP(dport=443, flags='S')" 5
lab_scapy "$LAB_ROGUE_NS" "Dot1AD(vlan=200)/Dot1Q(vlan=100)/IPv6(src='$LAB_ROGUE6', dst='$LAB_CAS6')/TCP(dport=443, flags='S')" 5
lab_scapy "$LAB_ROGUE_NS" "Dot1Q(vlan=100)/IP(src='$LAB_ROGUE4', dst='$LAB_CAS4', options=[IPOption(b'\\x01'*8)])/TCP(dport=8080, flags='S')" 5
check_eq "tagged SYNs to 443 are dropped (802.1Q and QinQ)" $((drops + 10)) "$(lab_counter "$LAB_IF" drop not_allowed)"
check_eq "tagged SYNs to 8080 pass as unprotected" $((passes + 5)) "$(lab_counter "$LAB_IF" pass unprotected)"
reach "rogue reaches unprotected 8080" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 8080
reach "rogue reaches unprotected 8080 over IPv6" yes "$LAB_ROGUE_NS" "$LAB_CAS6" 8080
if lab_ns "$LAB_ROGUE_NS" ping -c1 -W1 -q "$LAB_CAS4" >/dev/null; then got=yes; else got=no; fi
check_eq "rogue can still ping the CAS" yes "$got"
if lab_ns "$LAB_ROGUE_NS" ping -6 -c1 -W1 -q "$LAB_CAS6" >/dev/null; then got=yes; else got=no; fi
check_eq "rogue can still ping6 the CAS (neighbour discovery)" yes "$got"
if lab_udp "$LAB_PROXY_NS" "$LAB_CAS4" 5353; then got=yes; else got=no; fi
check_eq "proxy reaches protected 5353/udp" yes "$got"
if lab_udp "$LAB_ROGUE_NS" "$LAB_CAS4" 5353; then got=yes; else got=no; fi
check_eq "rogue is dropped on protected 5353/udp" no "$got"
if lab_udp "$LAB_ROGUE_NS" "$LAB_CAS4" 8053 4000; then got=yes; else got=no; fi
check_eq "fragmented 4000-byte UDP to an unprotected port arrives (IPv4)" yes "$got"
if lab_udp "$LAB_ROGUE_NS" "$LAB_CAS6" 8053 4000; then got=yes; else got=no; fi
check_eq "fragmented 4000-byte UDP to an unprotected port arrives (IPv6)" yes "$got"
if lab_udp "$LAB_PROXY_NS" "$LAB_CAS4" 5353 4000; then got=yes; else got=no; fi
check_eq "fragmented UDP from the proxy to a protected port arrives" yes "$got"
if lab_udp "$LAB_ROGUE_NS" "$LAB_CAS4" 5353 4000; then got=yes; else got=no; fi
check_eq "fragmented UDP from the rogue to a protected port does not" no "$got"

check_ge "drop/not_allowed counted" 3 "$(lab_counter "$LAB_IF" drop not_allowed)"
check_ge "pass/allowed counted" 3 "$(lab_counter "$LAB_IF" pass allowed)"
check_ge "pass/control counted" 2 "$(lab_counter "$LAB_IF" pass control)"
check_ge "pass/fragment counted" 2 "$(lab_counter "$LAB_IF" pass fragment)"
check_ge "pass/unprotected counted" 2 "$(lab_counter "$LAB_IF" pass unprotected)"
check_ge "the proxy rule counts hits" 3 "$("$B" allow list -i "$LAB_IF" --json | jq '.rules[] | select(.name == "proxy") | .hits')"

# Rule changes under traffic: the proxy connects continuously while other
# rules come and go; none of its connections may fail.
drops_before=$(lab_counter "$LAB_IF" drop not_allowed)
lab_connect_loop "$LAB_PROXY_NS" "$LAB_CAS4" 443 300 2 0 > "$LAB_IF.churn" &
client=$!
for i in $(seq 50); do
	"$B" allow add -i "$LAB_IF" "203.0.113.$i" >/dev/null
	"$B" allow add -i "$LAB_IF" "198.18.$LAB_NET.0/24" --name churn >/dev/null # covers the proxy too
	"$B" allow del -i "$LAB_IF" "198.18.$LAB_NET.0/24" >/dev/null
	"$B" allow del -i "$LAB_IF" "203.0.113.$i" >/dev/null
done
wait "$client"
check_eq "300 proxy connections during 200 rule changes all succeed" "300 0" "$(cat "$LAB_IF.churn")"
check_eq "no packet dropped as not_allowed during the changes" "$drops_before" "$(lab_counter "$LAB_IF" drop not_allowed)"
rm -f "$LAB_IF.churn"

check_cmd "allow del proxy" 0 "" -- "$B" allow del -i "$LAB_IF" "$LAB_PROXY4/32"
reach "proxy is dropped once its rule is gone" no "$LAB_PROXY_NS" "$LAB_CAS4" 443

# Monitor mode: nothing dropped, would_drop counted.
check_cmd "unload" 0 "" -- "$B" unload "$LAB_IF"
check_cmd "load --monitor (skb mode)" 0 "" -- "$B" load "$LAB_IF" --monitor --mode skb
check_eq "status says monitor" "true skb" "$("$B" status -i "$LAB_IF" --json | jq -r '"\(.monitor) \(.mode)"')"
reach "monitor: rogue reaches 443" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443
check_ge "monitor: would_drop/not_allowed counted" 1 "$(lab_counter "$LAB_IF" would_drop not_allowed)"
check_eq "monitor: nothing dropped" 0 "$(lab_counter "$LAB_IF" drop not_allowed)"

# The shield outlives the CLI: a fresh process sees the live maps.
check_cmd "unload" 0 "" -- "$B" unload "$LAB_IF"
check_eq "no XDP program left" "" "$(ip -d link show "$LAB_IF" | grep -o 'prog/xdp')"
check_eq "no pins left" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null | grep -x "$LAB_IF")"
reach "after unload: rogue reaches 443 again" yes "$LAB_ROGUE_NS" "$LAB_CAS4" 443
if [ "$HAVE_VLAN" = yes ]; then
	reach "after unload: rogue reaches 443 through VLAN again" yes "$LAB_ROGUE_NS" "$VLAN4_CAS" 443
fi
tap_done
