#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_exporter.sh - the exporter's HTTP server under hostile clients on
# loopback (issue 12, item 3): while 1,000 idle or trickling connections
# are held from the scraper's own address, every scrape still answers 200
# within 1 s; a request head trickled a byte at a time is cut off at its
# deadline; past the cap, the connections held stay bounded.
# Needs no shield: the exporter serves build_info with nothing loaded.
set -u
source tests/lib/tap.sh
B=$CASSHIELD
PY=/usr/bin/python3
HOST=127.0.0.1
PORT=19479
SLOW=tests/lib/slowloris.py
WORK=$(mktemp -d /tmp/casshield-exporter.XXXXXX)
EXPORTER_PID=

cleanup() {
	[ -n "$EXPORTER_PID" ] && kill "$EXPORTER_PID" 2>/dev/null && wait "$EXPORTER_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# wait_http URL: until the server answers (at most 10 s).
wait_http() {
	local i
	for i in $(seq 100); do
		curl -s -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.1
	done
	return 1
}

# comment TEXT: the client's report, kept in the TAP log.
comment() { sed 's/^/# /' <<<"$1"; }

"$B" metrics --listen "$HOST:$PORT" 2>"$WORK/exporter.log" &
EXPORTER_PID=$!
if wait_http "http://$HOST:$PORT/metrics"; then
	tap_ok "the exporter answers"
else
	tap_fail "the exporter answers" "$(cat "$WORK/exporter.log")"
fi

sockets_of() { ls -l "/proc/$EXPORTER_PID/fd" 2>/dev/null | grep -c 'socket:'; }
idle_sockets=$(sockets_of)

# --- slowloris: 1,000 connections held from the scraper's address ------------
out=$(timeout 40 "$PY" "$SLOW" hold "$HOST" "$PORT" --conns 1000 --scrapes 6 2>&1)
status=$?
comment "$out"
check_eq "1,000 held connections: every scrape answers 200 within 1 s" 0 "$status"
check_eq "the exporter survived the attack" 200 \
	"$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://$HOST:$PORT/metrics")"
# The server closes the attack's connections as the client does.
for i in $(seq 50); do
	sockets=$(sockets_of)
	[ "$sockets" -le "$idle_sockets" ] && break
	sleep 0.1
done
check_eq "no connection left open after the attack (sockets)" "$idle_sockets" "$sockets"

# --- past the cap: bounded, and still serving -----------------------------------
# 3,000 connections: a newcomer closes the oldest one waiting for its head.
# The cap is 2,048, less when the exporter's descriptor limit (raised to
# 2,560 if the hard limit allows) is lower: the limit less 512 (guard.c's
# slack and exporter.c's reserve). No timing is asserted past the cap (the
# contract is for 1,000); the client's report is kept.
nofile=$(awk '/^Max open files/ { print $4 }' "/proc/$EXPORTER_PID/limits")
cap=$((nofile - 512 < 2048 ? nofile - 512 : 2048))
timeout 40 "$PY" "$SLOW" hold "$HOST" "$PORT" --conns 3000 --scrapes 3 --limit 20 >"$WORK/over.out" 2>&1 &
over_pid=$!
most=0
for i in $(seq 200); do
	kill -0 "$over_pid" 2>/dev/null || break
	n=$(sockets_of)
	[ "$n" -gt "$most" ] && most=$n
	sleep 0.1
done
wait "$over_pid"
comment "$(cat "$WORK/over.out")"
comment "at most $most sockets open in the exporter"
comment "descriptor limit $nofile, connection cap $cap"
check_ge "3,000 connections reached the cap" "$cap" "$most"
bound=$((cap + 256 + idle_sockets)) # cap, slack, and the listener
if [ "$most" -le "$bound" ]; then
	tap_ok "the exporter held no more than the cap and its slack"
else
	tap_fail "the exporter held no more than the cap and its slack" "expected <= $bound" "actual:   $most"
fi
check_eq "it still answers after the attack" 200 \
	"$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://$HOST:$PORT/metrics")"

# --- a request head trickled a byte at a time is cut off ----------------------
out=$(timeout 20 "$PY" "$SLOW" trickle "$HOST" "$PORT" --every 0.5 --limit 15 2>&1)
status=$?
comment "$out"
check_eq "a head trickled a byte every 0.5 s is closed at its deadline" 0 "$status"

kill -TERM "$EXPORTER_PID"
wait "$EXPORTER_PID"
check_eq "SIGTERM stops the exporter with status 0" 0 "$?"
EXPORTER_PID=
tap_done
