#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# synproxy-reuse.sh - connections through a SYN proxy from one source port,
# each meeting the last in TIME_WAIT (docs/synproxy.md, "A connection on a
# recent connection's ports"). Not a pass/fail test: it prints what each
# connection took, so that casshield's SYN proxy and netfilter's SYNPROXY
# alone can be compared in the same lab.
#
#   sudo CASSHIELD=build/casshield scripts/synproxy-reuse.sh xdp|nft [N]
#
# xdp: casshield load --syn-proxy (its nftables table comes with it);
# nft: the same nftables table by hand, no XDP program. N connections
# (default 200), one every 0.2 s, from port 40000 of the proxy's namespace
# to a server on the CAS that answers and closes first; each may take 5 s.
set -u
cd "$(dirname "$0")/.."
MODE=${1:-}
N=${2:-200}
case $MODE in xdp | nft) ;; *)
	echo "usage: $0 xdp|nft [N]" >&2
	exit 2
	;;
esac
: "${CASSHIELD:?set CASSHIELD to the casshield binary}"
LAB=casq LAB_NET=6
source tests/lib/lab.sh
lab_up
TABLE=casq_reuse
LOOSE=/proc/sys/net/netfilter/nf_conntrack_tcp_loose
cleanup() {
	nft delete table inet "$TABLE" 2>/dev/null
	[ -n "${loose_was:-}" ] && echo "$loose_was" >"$LOOSE"
	lab_down
}
trap cleanup EXIT
lab_peer_xdp || exit 1

"$LAB_PY" - "$LAB_CAS4" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 443))
s.listen(128)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        c.recv(100)
        c.sendall(b"hi\n")
    except OSError:
        pass
    c.close()  # first: this side's socket goes to TIME_WAIT
PY
LAB_PIDS+=($!)
sleep 0.3

if [ "$MODE" = xdp ]; then
	"$CASSHIELD" load "$LAB_IF" --ports 443 --syn-proxy || exit 1
	"$CASSHIELD" allow add -i "$LAB_IF" "$LAB_PROXY4" --name proxy || exit 1
else
	mss=$(($(cat /sys/class/net/"$LAB_IF"/mtu) - 40))
	nft -f - <<-NFT || exit 1
		table inet $TABLE {
			chain prerouting {
				type filter hook prerouting priority raw;
				iifname "$LAB_IF" tcp dport 443 tcp flags syn / fin,syn,rst,ack notrack
			}
			chain input {
				type filter hook input priority filter - 10;
				iifname "$LAB_IF" tcp dport 443 ct state invalid,untracked synproxy mss $mss wscale 7 timestamp sack-perm
				iifname "$LAB_IF" tcp dport 443 ct state invalid drop
			}
		}
	NFT
	loose_was=$(cat "$LOOSE")
	echo 0 >"$LOOSE"
fi

# Each run from a clean slate: conntrack's entries of an earlier run (of
# the same lab, so of the same ports) would be met by the first connection.
conntrack -D -s "$LAB_PROXY4" >/dev/null 2>&1
export NSTAT_HISTORY=$(mktemp /tmp/casq-nstat.XXXXXX)
nstat -n >/dev/null
lab_ns "$LAB_PROXY_NS" "$LAB_PY" - "$LAB_CAS4" "$N" <<'PY'
import socket, sys, time
addr, n = sys.argv[1], int(sys.argv[2])
took, failed = [], 0
for i in range(n):
    start = time.monotonic()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(5)
    try:
        s.bind(("", 40000))
        s.connect((addr, 443))
        s.sendall(b"x")
        ok = s.recv(10) == b"hi\n"
    except OSError:
        ok = False
    s.close()
    ms = 1000 * (time.monotonic() - start)
    if ok:
        took.append(ms)
    else:
        failed += 1
    if not ok or ms > 100:
        print(f"connection {i}: {'ok' if ok else 'failed'} after {ms:.0f} ms")
    time.sleep(0.2)
took.sort()
slow = sum(ms > 100 for ms in took)
print(f"{len(took)} of {n} connected ({slow} over 100 ms, the slowest "
      f"{took[-1] if took else 0:.0f} ms), {failed} failed")
PY
nstat 2>/dev/null | awk '$1 == "TcpExtTCPSynRetrans" { r = $2 } $1 == "TcpExtTSEcrRejected" { t = $2 }
	END { print "the CAS'"'"'s stack: " r + 0 " SYN-ACKs retransmitted (TcpExtTCPSynRetrans), " t + 0 " segments refused for their timestamp echo (TcpExtTSEcrRejected)" }'
