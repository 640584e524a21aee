#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh - `sudo make demo`: casshield in front of a real ActiveSync
# server, in about a minute. A phone syncs through the reverse proxy, a
# rogue device going straight to the CAS is dropped, a SYN flood forging
# the proxy's address hits the CAS and the phone keeps syncing, and
# Prometheus shows what the shield counted. Everything the demo starts
# or creates (namespaces, links, XDP, daemons, pins, files) is gone at
# the end, and on Ctrl-C at any point. The lab itself: scripts/lab/.
set -u
cd "$(dirname "$0")/.."
export CASLAB=casdemo CASLAB_I=3
source scripts/lab/lab.sh
caslab_traps

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
phone() { # a phone: the account set up, then FolderSync, Sync and a Ping
	ip netns exec "$CL_NS_DEV" "$CL_PY" scripts/lab/eas_client.py probe \
		--url "https://$CL_PXFRONT4/Microsoft-Server-ActiveSync" --sni "$CL_PX_NAME" \
		--ca "$CL_DIR/ca/ca.pem" --user "${CL_USERS%%,*}" --password "$CL_PASSWORD" \
		--heartbeat "${1:-0}" --out "$CL_DIR/run/phone.jsonl" 2>&1 | "$CL_PY" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if "cmd" in r:
        print("   %-10s %s  HTTP %s, status %s, %.0f ms" % (r["cmd"], "ok  " if r["ok"] else "FAIL",
              r["http"], r["status"], r["ms"]))
    else:
        print("   => %s, %d folders" % ("in sync" if r["ok"] else "FAILED", r["folders"]))'
}
rogue() { # one attempt straight at the CAS, with a real user's password
	if ip netns exec "$CL_NS_RG" curl -s -o /dev/null -m 2 -X OPTIONS -u "${CL_USERS%%,*}:$CL_PASSWORD" \
		--cacert "$CL_DIR/ca/ca.pem" --resolve "$CL_CAS_NAME:443:$CL_CAS4" \
		"https://$CL_CAS_NAME/Microsoft-Server-ActiveSync"; then
		note "rogue -> CAS:443  answered: it bypassed the proxy"
	else
		note "rogue -> CAS:443  no answer (dropped)"
	fi
}

say "Setting up: SOGo + ActiveSync, PostgreSQL, dovecot, memcached, nginx on the CAS; a reverse proxy; Prometheus"
caslab_up || exit 1
note "CAS $CL_CAS4 ($CL_IF, root namespace); proxy $CL_PX4; phone $CL_DEV4 (behind the proxy); rogue $CL_RG4"

say "No shield: the phone syncs through the proxy, and so does a rogue device going straight to the CAS"
phone
rogue

say "casshield run, from a YAML file: 443 only for the proxy (its address, MAC and TTL), nobody on 80"
cl_contender_up casshield || exit 1
sed -n '/^interfaces:/,/^metrics:/p' "$CL_DIR/casshield.yaml" | sed 's/^/   /'
phone
rogue

say "A 25-second SYN flood from the rogue host, forging the proxy's address (live-frame generator)"
note "(the proxy's rule binds its MAC and TTL: the forgeries are dropped as spoofed)"
flood_out=$CL_DIR/run/flood.txt
cl_flood syn-forged 25 "$flood_out" &
flood=$!
sleep 1
note "the phone, during the flood (each time a new device: set-up, sync, and a 5-second Ping):"
phone 5
phone 5
note "the rogue, during the flood:"
rogue
wait "$flood"
note "generator: $(cat "$flood_out")"
note "port 80 from the rogue: HTTP $(ip netns exec "$CL_NS_RG" curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$CL_CAS4/" 2>/dev/null) (000: no answer)"

say "What Prometheus saw (it scrapes casshield's exporter every second)"
cl_prom_scraped_after "$(date +%s.%N)"
cl_prom_counters | awk '$2 > 0 { printf "   %-28s %s\n", $1, $2 }'

say "Tearing everything down"
caslab_down
trap - EXIT
echo "done."
