# SPDX-License-Identifier: GPL-2.0
# lab.sh - the CAS lab: a real ActiveSync server (SOGo) behind a real
# reverse proxy (nginx), devices, attackers, Prometheus, and the shield or
# another contender in front of the CAS. Source it (after setting CASLAB
# and CASLAB_I, see env.sh), then:
#
#   caslab_up             the network, the CA, the CAS's daemons, the proxy,
#                         Prometheus; returns non-zero (having printed the
#                         failing daemon's log tail) if any part fails
#   caslab_down           everything the lab started or created goes away;
#                         safe to call at any point, and more than once
#   caslab_traps          caslab_down on exit, and on Ctrl-C or SIGTERM
#                         (then exit 130)
#
# The pieces: env.sh (names), net.sh (wire), certs.sh (CA), cas.sh (CAS
# daemons), proxy.sh, monitor.sh (Prometheus), contenders.sh (no filter,
# nftables, casshield, casshield with its SYN proxy), attacks.sh (floods,
# clients), scenario.sh (one run), eas_client.py, connflood.py.

CL_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$CL_HERE/env.sh"
source "$CL_HERE/net.sh"
source "$CL_HERE/certs.sh"
source "$CL_HERE/cas.sh"
source "$CL_HERE/proxy.sh"
source "$CL_HERE/monitor.sh"
source "$CL_HERE/contenders.sh"
source "$CL_HERE/attacks.sh"
source "$CL_HERE/scenario.sh"

# cl_fail MESSAGE [LOG]: say what failed, with the last lines of its log.
cl_fail() {
	echo "caslab: $1" >&2
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		echo "caslab: last lines of $2:" >&2
		tail -n 15 "$2" | sed 's/^/    /' >&2
	fi
	return 1
}

cl_log() { echo "caslab: $*" >&2; }

# cl_alive PID: the process runs (a zombie waiting for init to reap it
# does not).
cl_alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}

# cl_kill_pidfile FILE: TERM the process, KILL it after 5 s.
cl_kill_pidfile() {
	local pid i
	pid=$(head -n1 "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		cl_alive "$pid" || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# cl_bg NAME CMD...: a process of the lab's, in the background; its pid
# in $CL_DIR/pids/NAME.
cl_bg() {
	local name=$1
	shift
	"$@" &
	echo $! >"$CL_DIR/pids/$name"
}

cl_preflight() {
	local tool
	[ "$(id -u)" -eq 0 ] || { cl_fail "run as root: the lab makes namespaces and loads XDP programs"; return 1; }
	for tool in sogod nginx memcached dovecot psql prometheus nft ethtool openssl curl xml2wbxml; do
		command -v "$tool" >/dev/null ||
			{ cl_fail "$tool is missing: sudo scripts/install-deps.sh"; return 1; }
	done
	[ -x "$CL_PG_BIN/initdb" ] || { cl_fail "PostgreSQL 15 is missing: sudo scripts/install-deps.sh"; return 1; }
	[ -x "$CASSHIELD" ] || { cl_fail "$CASSHIELD is missing: make"; return 1; }
	[ -x "$CL_GEN" ] || { cl_fail "$CL_GEN is missing: make lab-bins"; return 1; }
	[ -r "$CL_XDP_PASS" ] || { cl_fail "$CL_XDP_PASS is missing: make lab-bins"; return 1; }
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

# cl_ports_free: no socket holds one of the lab's loopback ports (checked
# after caslab_down, so only someone else's can): a clear refusal beats a
# daemon that fails to bind deep inside the set-up. TIME-WAIT is left
# out: every daemon of the lab binds with SO_REUSEADDR, and the last
# lab's connections linger in it for a minute.
cl_ports_free() {
	local port held
	for port in "${CL_PORTS[@]}"; do
		held=$(ss -Htan exclude time-wait "( sport = :$port )" 2>/dev/null | head -n 3)
		[ -z "$held" ] || { cl_fail "port $port, which lab $CASLAB uses, is taken: $held"; return 1; }
	done
}

caslab_up() {
	local began=$SECONDS
	cl_preflight || return 1
	caslab_down
	cl_ports_free || return 1
	install -d -m 0755 "$CL_DIR" "$CL_DIR/log" "$CL_DIR/pids" "$CL_DIR/run"
	cl_net_up && cl_certs && cl_cas_up && cl_proxy_up near && cl_prom_up || return 1
	cl_log "lab $CASLAB up in $((SECONDS - began)) s"
}

# Processes in the lab's namespaces, and any process whose command line
# names the lab's directory (every daemon the lab starts does), are the
# lab's: nothing else is touched.
cl_kill_leftovers() {
	local ns pid pids=() alive=()
	for ns in "${CL_NAMESPACES[@]}"; do
		pids+=($(ip netns pids "$ns" 2>/dev/null))
	done
	for pid in $(grep -slF -- "$CL_DIR/" /proc/[0-9]*/cmdline); do
		pid=${pid#/proc/}
		pids+=("${pid%/cmdline}")
	done
	for pid in "${pids[@]}"; do
		cl_alive "$pid" && alive+=("$pid")
	done
	[ ${#alive[@]} -gt 0 ] || return 0
	kill -TERM "${alive[@]}" 2>/dev/null
	sleep 0.3
	kill -KILL "${alive[@]}" 2>/dev/null
	return 0
}

caslab_down() {
	local name
	for name in "$CL_DIR"/pids/*; do
		[ -e "$name" ] && cl_kill_pidfile "$name"
	done
	cl_contender_down_all
	cl_proxy_down
	cl_prom_down
	cl_cas_down
	cl_kill_leftovers
	cl_net_down
	rm -rf "$CL_DIR"
	rmdir /run/casshield-lab 2>/dev/null
	return 0
}

caslab_traps() {
	trap caslab_down EXIT
	trap 'trap "" INT TERM; echo; cl_log "interrupted: tearing the lab down"; caslab_down; trap - EXIT; exit 130' INT TERM
}
