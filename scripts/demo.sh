#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh - `sudo make demo`: a CAS lab in network namespaces. A reverse
# proxy and a rogue host share a switch with the CAS; the shield lets the
# proxy reach the HTTPS port and drops the rogue. Everything is torn down
# at the end, and on Ctrl-C.
set -u
cd "$(dirname "$0")/.."
export CASSHIELD=${CASSHIELD:-$PWD/build/casshield}
LAB=casdemo LAB_NET=9
source tests/lib/lab.sh
trap 'lab_down; exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
attempt() { # WHO NS ADDR PORT
	if lab_connect "$2" "$3" "$4" 1; then
		printf '  %-6s -> %s port %s: \033[32mconnected\033[0m\n' "$1" "$3" "$4"
	else
		printf '  %-6s -> %s port %s: \033[31mno answer (dropped)\033[0m\n' "$1" "$3" "$4"
	fi
}

say "Lab: CAS $LAB_CAS4 on $LAB_IF (root namespace), proxy $LAB_PROXY4, rogue $LAB_ROGUE4"
lab_up || exit 1
lab_serve 443
lab_serve 22
attempt proxy "$LAB_PROXY_NS" "$LAB_CAS4" 443
attempt rogue "$LAB_ROGUE_NS" "$LAB_CAS4" 443

say "casshield load $LAB_IF --ports 443  (only the proxy may reach 443)"
"$CASSHIELD" load "$LAB_IF" --ports 443 || exit 1
"$CASSHIELD" allow add -i "$LAB_IF" "$LAB_PROXY4" --name proxy --mac "$LAB_PROXY_MAC" --syn-rate 100 --syn-burst 200
"$CASSHIELD" allow add -i "$LAB_IF" "$LAB_PROXY6/128" --name proxy-v6
"$CASSHIELD" status -i "$LAB_IF"

say "Connections with the shield on"
attempt proxy "$LAB_PROXY_NS" "$LAB_CAS4" 443
attempt proxy "$LAB_PROXY_NS" "$LAB_CAS6" 443
attempt rogue "$LAB_ROGUE_NS" "$LAB_CAS4" 443
attempt rogue "$LAB_ROGUE_NS" "$LAB_CAS6" 443
attempt rogue "$LAB_ROGUE_NS" "$LAB_CAS4" 22
printf '  (port 22 is not protected, so the shield leaves it to the host firewall)\n'

say "A 2-second SYN flood from the rogue host, forging the proxy's address"
printf '  (the proxy rule is bound to the proxy'"'"'s MAC, so the forgeries are dropped as spoofed)\n'
lab_ns "$LAB_ROGUE_NS" timeout 2 hping3 -q -S -p 443 --flood -a "$LAB_PROXY4" "$LAB_CAS4" >/dev/null 2>&1
attempt proxy "$LAB_PROXY_NS" "$LAB_CAS4" 443

say "casshield allow list"
"$CASSHIELD" allow list -i "$LAB_IF"
say "casshield stats"
"$CASSHIELD" stats -i "$LAB_IF"

say "casshield unload $LAB_IF, and the lab is torn down"
lab_down
echo "done."
