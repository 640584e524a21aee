# SPDX-License-Identifier: GPL-2.0
# lab.sh - a CAS lab in network namespaces, for tests and the demo.
#
#   [root ns: CAS, shield on ${LAB}0] --veth-- [${LAB}-sw: bridge] --+-- [${LAB}-proxy]
#                                                                   +-- [${LAB}-rogue]
#
# The shielded interface stays in the root namespace (bpffs is visible
# there); peers live in namespaces. LAB (default "cas") prefixes every name
# and LAB_NET (default 0) picks the subnets, so labs can run side by side:
#   IPv4 198.18.LAB_NET.0/24: CAS .1, proxy .10, rogue .66
#   IPv6 2001:2:0:LAB_NET::/64: CAS ::1, proxy ::10, rogue ::66
# Source it, call lab_up, and lab_down (also set as an EXIT trap by lab_up).

LAB=${LAB:-cas}
LAB_NET=${LAB_NET:-0}
LAB_IF=${LAB}0
LAB_SW=${LAB}-sw
LAB_PROXY_NS=${LAB}-proxy
LAB_ROGUE_NS=${LAB}-rogue
LAB_CAS4=198.18.$LAB_NET.1
LAB_PROXY4=198.18.$LAB_NET.10
LAB_ROGUE4=198.18.$LAB_NET.66
LAB_CAS6=2001:2:0:$LAB_NET::1
LAB_PROXY6=2001:2:0:$LAB_NET::10
LAB_ROGUE6=2001:2:0:$LAB_NET::66
LAB_PROXY_MAC=02:18:$(printf %02x "$LAB_NET"):00:00:10
LAB_ROGUE_MAC=02:18:$(printf %02x "$LAB_NET"):00:00:66
LAB_PY=/usr/bin/python3
LAB_PIDS=()

lab_ns() { ip netns exec "$@"; }

# lab_peer NS IFNAME-ON-SWITCH ADDR4 ADDR6 MAC
lab_peer() {
	ip netns add "$1"
	ip link add "$2" type veth peer name eth0 netns "$1"
	ip link set "$2" netns "$LAB_SW"
	lab_ns "$LAB_SW" ip link set "$2" master br0 up
	lab_ns "$1" ip link set lo up
	lab_ns "$1" ip link set eth0 address "$5" up
	lab_ns "$1" ip addr add "$3/24" dev eth0
	lab_ns "$1" ip addr add "$4/64" dev eth0 nodad
}

lab_up() {
	lab_down 2>/dev/null
	trap lab_down EXIT
	ip netns add "$LAB_SW"
	lab_ns "$LAB_SW" ip link add br0 type bridge
	lab_ns "$LAB_SW" ip link set br0 up
	ip link add "$LAB_IF" type veth peer name "${LAB}0-sw" netns "$LAB_SW"
	lab_ns "$LAB_SW" ip link set "${LAB}0-sw" master br0 up
	ip link set "$LAB_IF" up
	ip addr add "$LAB_CAS4/24" dev "$LAB_IF"
	ip addr add "$LAB_CAS6/64" dev "$LAB_IF" nodad
	lab_peer "$LAB_PROXY_NS" "${LAB}-px" "$LAB_PROXY4" "$LAB_PROXY6" "$LAB_PROXY_MAC"
	lab_peer "$LAB_ROGUE_NS" "${LAB}-rg" "$LAB_ROGUE4" "$LAB_ROGUE6" "$LAB_ROGUE_MAC"
	lab_wait_reachable "$LAB_PROXY_NS" "$LAB_CAS4"
}

lab_down() {
	local pid
	for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	LAB_PIDS=()
	[ -n "${CASSHIELD:-}" ] && "$CASSHIELD" unload "$LAB_IF" >/dev/null 2>&1
	ip link del "$LAB_IF" 2>/dev/null
	ip netns del "$LAB_PROXY_NS" 2>/dev/null
	ip netns del "$LAB_ROGUE_NS" 2>/dev/null
	ip netns del "$LAB_SW" 2>/dev/null
	return 0
}

# lab_peer_xdp: a passing XDP program on the switch side of the CAS's veth,
# so that frames the shield sends back with XDP_TX (the SYN proxy's
# SYN-ACKs) are received there (tests/bpf/xdp_pass.bpf.c says why).
lab_peer_xdp() {
	lab_ns "$LAB_SW" ip link set dev "${LAB}0-sw" xdpdrv \
		obj "${LAB_ROOT:-.}/build/tests/xdp_pass.bpf.o" sec xdp
}

# lab_wait_reachable NS ADDR: ping until it answers (at most 5 s; an
# unanswered ping takes 1 s, so the bound is time, not tries).
lab_wait_reachable() {
	# EPOCHREALTIME in microseconds: its point is the locale's, dropped.
	local deadline=$((${EPOCHREALTIME//[!0-9]/} + 5000000))
	while [ "${EPOCHREALTIME//[!0-9]/}" -lt "$deadline" ]; do
		lab_ns "$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "lab: $2 unreachable from $1" >&2
	return 1
}

# lab_serve PORT [udp]: a service on the CAS (root namespace) on both lab
# addresses: TCP accepts and answers "casshield-lab"; UDP echoes.
lab_serve() {
	"$LAB_PY" - "$1" "${2:-tcp}" "$LAB_CAS4" "$LAB_CAS6" <<'PY' &
import socket, sys, threading
port, proto, addrs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def serve(addr):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if proto == "udp":
        while True:
            data, peer = s.recvfrom(65535)
            s.sendto(data, peer)
    s.listen(128)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(b"casshield-lab\n")
        finally:
            c.close()
threads = [threading.Thread(target=serve, args=(a,), daemon=True) for a in addrs]
for t in threads: t.start()
for t in threads: t.join()
PY
	LAB_PIDS+=($!)
	sleep 0.3
}

# lab_connect NS ADDR PORT [TIMEOUT]: 0 if a TCP connection to ADDR:PORT
# from NS gets the service's greeting.
lab_connect() {
	lab_ns "$1" "$LAB_PY" - "$2" "$3" "${4:-2}" <<'PY'
import socket, sys
addr, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
try:
    with socket.create_connection((addr, port), timeout=timeout) as s:
        s.settimeout(timeout)
        sys.exit(0 if s.recv(64).startswith(b"casshield-lab") else 1)
except OSError:
    sys.exit(1)
PY
}

# lab_connect_loop NS ADDR PORT COUNT TIMEOUT PAUSE [STOPFILE]: COUNT
# connections one after the other (0: until STOPFILE exists, 600 s at
# most), each given TIMEOUT seconds, PAUSE seconds apart; prints
# "OK FAILED", the connections that got the greeting and those that did not.
lab_connect_loop() {
	lab_ns "$1" "$LAB_PY" - "$2" "$3" "$4" "$5" "$6" "${7:-}" <<'PY'
import os, socket, sys, time
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
timeout, pause, stop = float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
ok = failed = 0
end = time.time() + 600
while (ok + failed < count) if count else time.time() < end:
    try:
        with socket.create_connection((addr, port), timeout=timeout) as s:
            s.settimeout(timeout)
            ok += s.recv(64).startswith(b"casshield-lab")
    except OSError:
        failed += 1
    if stop and os.path.exists(stop):
        break
    time.sleep(pause)
print(ok, failed)
PY
}

# lab_udp NS ADDR PORT [SIZE]: 0 if a UDP datagram of SIZE bytes is echoed.
lab_udp() {
	lab_ns "$1" "$LAB_PY" - "$2" "$3" "${4:-64}" <<'PY'
import socket, sys
addr, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2)
payload = bytes(i % 251 for i in range(size))
s.sendto(payload, (addr, port))
try:
    data, _ = s.recvfrom(65535)
    sys.exit(0 if data == payload else 1)
except OSError:
    sys.exit(1)
PY
}

# lab_scapy NS LAYERS COUNT: send COUNT frames "Ether(to the CAS)/LAYERS"
# from NS's eth0 with scapy (LAYERS is a scapy expression).
lab_scapy() {
	lab_ns "$1" "$LAB_PY" - "$(cat /sys/class/net/"$LAB_IF"/address)" "$2" "$3" <<'PY'
import sys
from scapy.all import Ether, sendp, conf
from scapy.layers.l2 import Dot1Q, Dot1AD
from scapy.layers.inet import IP, TCP, UDP, ICMP, IPOption
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrFragment
conf.verb = 0
mac, layers, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sendp(Ether(dst=mac) / eval(layers), iface="eth0", count=count)
PY
}

# lab_counter IFACE ACTION REASON: packets of one (action, reason) pair.
lab_counter() {
	"$CASSHIELD" stats -i "$1" --json |
		"$LAB_PY" -c 'import json,sys; a,r=sys.argv[1:]; print(next(c["packets"] for c in json.load(sys.stdin)["counters"] if c["action"]==a and c["reason"]==r))' "$2" "$3"
}
