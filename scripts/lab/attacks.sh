# SPDX-License-Identifier: GPL-2.0
# attacks.sh - the attackers and the lab's clients. Floods on the CAS's
# link come from the live-frame generator (build/bench/gen_live:
# BPF_PROG_TEST_RUN with live frames, XDP_TX out of the attacker's veth,
# unpaced: the highest rate this machine offers), pinned to the
# generator's CPU; every SYN is a valid segment (TCP checksum kept valid,
# random source ports), so a CAS without a filter answers it. Sourced by
# lab.sh.
#
#   syn-random   SYNs to 443 from 4096 random spoofed sources, on the link
#   syn-forged   SYNs to 443 forging the proxy's address, on the link
#                (the attacker's MAC)
#   syn-routed   SYNs to 443 forging the proxy's far address from beyond the
#                router, addressed to the router: they reach the CAS with
#                the router's MAC and TTL 63, as the proxy's own packets do
#                in that scenario. The router rewrites each frame's
#                Ethernet header in the page it came in, and live-frame
#                mode hands the page back to the generator unrewritten:
#                --restore writes every copy whole from the template first
#                (without it the next frames left with the router's
#                rewritten header and the router dropped them).
#   conn-flood   full TCP and TLS handshakes to 443 from the rogue host, as
#                fast as 256 concurrent connections go (connflood.py)

# cl_flood_args KIND: the generator's netns and options for a SYN flood.
cl_flood_args() {
	local common=(--dst "$CL_CAS4" --dport 443 --sports 32768 --checksum --ttl 64 --frames 65536)
	case $1 in
	syn-random)
		CL_FLOOD=("$CL_NS_RG" -i eth0 --dst-mac "$CL_CAS_MAC" --src-mac "$CL_RG_MAC"
			--src "$CL_SPOOF4" --sources "$CL_SPOOF_COUNT" --random "${common[@]}") ;;
	syn-forged)
		CL_FLOOD=("$CL_NS_RG" -i eth0 --dst-mac "$CL_CAS_MAC" --src-mac "$CL_RG_MAC"
			--src "$CL_PX4" "${common[@]}") ;;
	syn-routed)
		CL_FLOOD=("$CL_NS_FAR" -i eth0 --dst-mac "$CL_RTFAR_MAC" --src-mac "$CL_FAR_MAC"
			--src "$CL_PXFAR4" "${common[@]}" --restore) ;;
	*) return 1 ;;
	esac
}

# cl_flood KIND SECONDS OUT: one flood, bounded in time; OUT gets the
# generator's "frames=N ns=T mpps=R" (or the connection flood's summary).
cl_flood() {
	local kind=$1 seconds=$2 out=$3
	if [ "$kind" = conn-flood ]; then
		cl_ns "$CL_NS_RG" timeout $((seconds + 15)) taskset -c "$CL_GEN_CPU" "$CL_PY" "$CL_LIB/connflood.py" \
			--addr "$CL_CAS4" --port 443 --seconds "$seconds" --concurrency 256 >"$out" 2>&1
		return
	fi
	cl_flood_args "$kind" || { cl_fail "no such flood: $kind"; return 1; }
	cl_ns "${CL_FLOOD[0]}" timeout $((seconds + 15)) "$CL_GEN" "${CL_FLOOD[@]:1}" \
		--cpu "$CL_GEN_CPU" --seconds "$seconds" >"$out" 2>&1
}

# cl_flood_command KIND SECONDS: the flood's command line, for the report.
cl_flood_command() {
	if [ "$1" = conn-flood ]; then
		echo "ip netns exec $CL_NS_RG taskset -c $CL_GEN_CPU python3 scripts/lab/connflood.py --addr $CL_CAS4 --port 443 --seconds $2 --concurrency 256"
		return
	fi
	cl_flood_args "$1"
	echo "ip netns exec ${CL_FLOOD[0]} build/bench/gen_live ${CL_FLOOD[*]:1} --cpu $CL_GEN_CPU --seconds $2"
}

# cl_devices_start OUT READY STOP: the devices' load, through the proxy.
cl_devices_start() {
	rm -f "$2" "$3"
	cl_bg devices ip netns exec "$CL_NS_DEV" "$CL_PY" "$CL_LIB/eas_client.py" load \
		--url "https://$CL_PXFRONT4/Microsoft-Server-ActiveSync" --sni "$CL_PX_NAME" \
		--ca "$CL_DIR/ca/ca.pem" --users "$CL_USERS" --password "$CL_PASSWORD" \
		--rate "$CL_RATE" --heartbeat "$CL_HEARTBEAT" --out "$1" --ready "$2" --stop "$3" \
		2>>"$CL_DIR/log/devices.log"
	local i
	for i in $(seq 300); do
		[ -e "$2" ] && return 0
		cl_alive "$(cat "$CL_DIR/pids/devices")" || break
		sleep 0.1
	done
	cl_fail "the devices could not set up their accounts through the proxy" "$CL_DIR/log/devices.log"
}

# cl_rogue_start OUT STOP: a device going to the CAS directly (with a
# user's real password), and plain HTTP to port 80, twice a second.
cl_rogue_start() {
	rm -f "$2"
	cl_bg rogue ip netns exec "$CL_NS_RG" "$CL_PY" "$CL_LIB/eas_client.py" rogue \
		--url "https://$CL_CAS4/Microsoft-Server-ActiveSync" --sni "$CL_CAS_NAME" \
		--ca "$CL_DIR/ca/ca.pem" --user "${CL_USERS%%,*}" --password "$CL_PASSWORD" \
		--http80 "$CL_CAS4" --rate 2 --timeout 2 --out "$1" --stop "$2" \
		2>>"$CL_DIR/log/rogue.log"
}

# cl_newconn_start OUT STOP: what the proxy does when it opens a
# connection to the CAS, twice a second from its upstream source address
# (near or far): a new TCP and TLS connection and an OPTIONS each time,
# given 10 s (the proxy's own connect timeout), each attempt on its own
# schedule (one waiting for its timeout delays no other). The devices'
# requests ride the proxy's kept-alive connections and never show whether
# a new one could be made during a flood; this does.
cl_newconn_start() {
	rm -f "$2"
	cl_bg newconn ip netns exec "$CL_NS_PX" "$CL_PY" "$CL_LIB/eas_client.py" rogue \
		--url "https://$CL_CAS4/Microsoft-Server-ActiveSync" --sni "$CL_CAS_NAME" \
		--ca "$CL_DIR/ca/ca.pem" --user "${CL_USERS##*,}" --password "$CL_PASSWORD" \
		--bind "$CL_PROXY_SRC" --options-only --parallel --rate 2 --timeout 10 --out "$1" --stop "$2" \
		2>>"$CL_DIR/log/newconn.log"
}

# cl_clients_stop STOPFILE...: ask the clients to stop; wait for their
# pending Pings (a heartbeat and 40 s at most).
cl_clients_stop() {
	local f name i
	for f in "$@"; do touch "$f"; done
	for name in devices rogue newconn; do
		[ -e "$CL_DIR/pids/$name" ] || continue
		for i in $(seq $((10 * (CL_HEARTBEAT + 40)))); do
			cl_alive "$(cat "$CL_DIR/pids/$name")" || break
			sleep 0.1
		done
		cl_kill_pidfile "$CL_DIR/pids/$name"
		rm -f "$CL_DIR/pids/$name"
	done
}
