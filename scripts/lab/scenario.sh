# SPDX-License-Identifier: GPL-2.0
# scenario.sh - one run of the lab: a scenario against a contender, in
# three phases (before, during and after the attack), with the devices
# syncing through the proxy and the rogue trying the CAS directly the
# whole time. Sourced by lab.sh.
#
#   cl_run SCENARIO CONTENDER OUTDIR BEFORE DURING AFTER
#
# Scenarios: baseline (no flood: the rogue and port 80 only), syn-random,
# syn-forged, syn-routed (the proxy goes through the router for this
# one), conn-flood; see attacks.sh. OUTDIR receives:
#   meta.json        the run: scenario, contender, phases' times, commands
#   eas.jsonl        every device request (eas_client.py)
#   rogue.jsonl      every rogue attempt, and port 80
#   newconn.jsonl    every new connection the proxy's address opened to the
#                    CAS (cl_newconn_start), and its requests
#   flood.txt        the generator's or the connection flood's own count
#   cpu-PHASE.json   the CAS CPU's shares in each phase (monitor.sh)
#   ring-PHASE.json  frames the rings of the CAS's link dropped in each
#                    phase: "in" to the CAS, "out" from its stack
#                    (monitor.sh, cl_ring_drops)
#   prom-start.txt, prom-end.txt
#                    the shield's counters as Prometheus held them just
#                    before and just after the attack (casshield only)
#   stats-end.json   `casshield stats --json` at the same moment
#   nstat.txt        the CAS's TCP counters over the run (SYN cookies...)
#   nft.txt          the nftables counters after the run (nft only)
#   contender.txt    the contender's configuration as the kernel holds it
#   proxy-PHASE.json the proxy's own TCP counters in each phase: the RSTs
#                    it sent (its answer to a SYN-ACK of no connection of
#                    its: those the CAS sends to the address a flood forges)

CL_SCENARIOS=(baseline syn-random syn-forged syn-routed conn-flood)
declare -A CL_SCENARIO_LABEL=(
	[baseline]="no attack (the rogue device and port 80 only)"
	[syn-random]="SYN flood, random spoofed sources, on the link"
	[syn-forged]="SYN flood forging the proxy's address, on the link"
	[syn-routed]="SYN flood forging the proxy's address, beyond the router"
	[conn-flood]="full-handshake TLS connection flood from a rogue host"
)

# cl_phase_mark OUT PHASE: the CPU, ring and proxy counters at a phase
# boundary.
cl_phase_mark() {
	echo "$(date +%s.%N) $(cl_cpu_snapshot) $(cl_ring_drops) $(cl_proxy_tcp_counters)" >"$1/mark-$2"
}

# cl_proxy_tcp_counters: "OutRsts InSegs" of the proxy's stack.
cl_proxy_tcp_counters() {
	cl_ns "$CL_NS_PX" nstat -asz TcpOutRsts TcpInSegs 2>/dev/null |
		awk '$1 == "TcpOutRsts" { r = $2 } $1 == "TcpInSegs" { i = $2 } END { print r + 0, i + 0 }'
}

# cl_phase_close OUT PHASE FROM TO: the phase's CPU shares, ring drops and
# the proxy's counters.
cl_phase_close() {
	local a b
	read -r -a a <"$1/mark-$3"
	read -r -a b <"$1/mark-$4"
	cl_cpu_share "${a[*]:1:9}" "${b[*]:1:9}" >"$1/cpu-$2.json"
	printf '{"in": %d, "out": %d}\n' $((b[10] - a[10])) $((b[11] - a[11])) >"$1/ring-$2.json"
	printf '{"out_rsts": %d, "in_segs": %d}\n' $((b[12] - a[12])) $((b[13] - a[13])) >"$1/proxy-$2.json"
	printf '"%s": [%s, %s]' "$2" "${a[0]}" "${b[0]}" >"$1/phase-$2"
}

# cl_prom_snapshot OUT NAME: the shield's counters from Prometheus, once it
# has scraped after this moment (casshield, with or without its SYN proxy;
# nothing otherwise).
cl_prom_snapshot() {
	cl_contender_is_shield "$CL_CONTENDER" || return 0
	local now
	now=$(date +%s.%N)
	# If none came, cl_wait said so; the snapshot records what there is.
	cl_prom_scraped_after "$now" || :
	{
		echo "up $(cl_prom_value 'up{job="casshield"}')"
		cl_prom_counters
	} >"$1/prom-$2.txt"
	[ "$2" = end ] && "$CASSHIELD" stats -i "$CL_IF" --json >"$1/stats-end.json"
	return 0
}

cl_run() {
	local scenario=$1 contender=$2 out=$3 before=$4 during=$5 after=$6 mode=near status=0
	CL_CONTENDER=$contender
	[ "$scenario" = syn-routed ] && mode=far
	mkdir -p "$out"
	# The proxy starts anew behind each contender: every run begins with
	# no connection to the CAS, all made through the contender. (Connections
	# from before the SYN proxy's table came up are unknown to conntrack,
	# and SYNPROXY drops their segments as invalid.)
	cl_contender_up "$contender" || { cl_contender_down "$contender"; return 1; }
	cl_proxy_up "$mode" fresh || { cl_contender_down "$contender"; return 1; }
	cl_contender_describe "$contender" >"$out/contender.txt" 2>&1
	NSTAT_HISTORY=$CL_DIR/nstat.history nstat -n
	local stop=$CL_DIR/run/stop
	cl_devices_start "$out/eas.jsonl" "$CL_DIR/run/ready" "$stop" &&
		cl_rogue_start "$out/rogue.jsonl" "$stop" &&
		cl_newconn_start "$out/newconn.jsonl" "$stop" || status=1
	if [ "$status" -eq 0 ]; then
		cl_phase_mark "$out" 0
		sleep "$before"
		cl_prom_snapshot "$out" start
		cl_phase_mark "$out" 1
		if [ "$scenario" = baseline ]; then
			sleep "$during"
			echo "no flood" >"$out/flood.txt"
		else
			cl_flood "$scenario" "$during" "$out/flood.txt" ||
				{ cl_fail "the $scenario flood failed" "$out/flood.txt"; status=1; }
		fi
		cl_phase_mark "$out" 2
		cl_prom_snapshot "$out" end
		sleep "$after"
		cl_phase_mark "$out" 3
	fi
	cl_clients_stop "$stop"
	NSTAT_HISTORY=$CL_DIR/nstat.history nstat >"$out/nstat.txt"
	[ "$contender" = nft ] && nft list table netdev "$CASLAB" >"$out/nft.txt"
	cl_contender_down "$contender"
	[ "$status" -eq 0 ] || return 1
	cl_phase_close "$out" before 0 1
	cl_phase_close "$out" during 1 2
	cl_phase_close "$out" after 2 3
	cl_run_meta "$scenario" "$contender" "$out" "$mode" "$during" >"$out/meta.json"
	rm -f "$out"/mark-* "$out"/phase-*
}

cl_run_meta() {
	local flood_cmd="(none)"
	[ "$1" = baseline ] || flood_cmd=$(cl_flood_command "$1" "$5")
	"$CL_PY" - "$1" "$2" "$4" "$flood_cmd" "$CL_USERS" "$CL_RATE" "$CL_HEARTBEAT" \
		"{$(cat "$3/phase-before"), $(cat "$3/phase-during"), $(cat "$3/phase-after")}" <<-'PY'
		import json, sys
		scenario, contender, mode, flood, users, rate, heartbeat, phases = sys.argv[1:]
		print(json.dumps({"scenario": scenario, "contender": contender, "proxy_path": mode,
		                  "flood_command": flood, "devices": len(users.split(",")),
		                  "rate_per_device": float(rate), "heartbeat": int(heartbeat),
		                  "phases": json.loads(phases)}, indent=1))
	PY
}
