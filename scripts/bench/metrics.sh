#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench-metrics.sh - how long one scrape of the exporter takes with many
# allow rules (the target: under 50 ms for 10,000). Prints figures; never
# passes or fails on them. Run as root from anywhere:
#
#   scripts/bench/metrics.sh [RULES] [SCRAPES]     (default 10000 50)
#
# A veth pair gets a fresh shield, RULES rules (every other one named, so
# every rule is its own series), and an exporter on 127.0.0.1:19487; each
# scrape is timed end to end by curl (read the pins, render, HTTP).
set -euo pipefail
cd "$(dirname "$0")/../.."
RULES=${1:-10000}
SCRAPES=${2:-50}
B=${CASSHIELD:-$PWD/build/casshield}
IF=cbench0
LISTEN=127.0.0.1:19487
FILL=build/bench/metrics_rules
EXPORTER_PID=

cleanup() {
	[ -n "$EXPORTER_PID" ] && kill "$EXPORTER_PID" 2>/dev/null && wait "$EXPORTER_PID" 2>/dev/null
	"$B" unload "$IF" >/dev/null 2>&1 || true
	ip link del "$IF" 2>/dev/null || true
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "bench-metrics: run as root" >&2; exit 1; }
# The filler uses the same headers and library as the CLI: no copy of the
# rule layout here (scripts/bench/bench.mk builds it).
make -s build/casshield "$FILL"

cleanup
ip link add "$IF" type veth peer name cbench1
ip link set "$IF" up
ip link set cbench1 up
"$B" load "$IF" --mode skb >/dev/null
"$FILL" "$IF" "$RULES"
"$B" metrics -i "$IF" --listen "$LISTEN" 2>/dev/null &
EXPORTER_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://$LISTEN/" && break; sleep 0.1; done

body=$(curl -s "http://$LISTEN/metrics")
series=$(grep -vc '^#' <<<"$body")
echo "bench-metrics: $RULES rules, $series series, ${#body} bytes per scrape, $(nproc) CPUs"
for _ in 1 2 3; do curl -s -o /dev/null "http://$LISTEN/metrics"; done # warm up
for _ in $(seq "$SCRAPES"); do
	curl -s -o /dev/null -w '%{time_total}\n' "http://$LISTEN/metrics"
done | sort -n | awk -v n="$SCRAPES" '
	{ t[NR] = $1 * 1000 }
	END {
		printf "bench-metrics: one scrape over %d scrapes: min %.1f ms, median %.1f ms, p95 %.1f ms, max %.1f ms (target: under 50 ms)\n",
			n, t[1], t[int((n + 1) / 2)], t[int(n * 0.95 + 0.5)], t[n]
	}'

# Four scrapers at once: the exporter serves them in parallel threads.
start=$(date +%s.%N)
scrapers=()
for _ in 1 2 3 4; do
	(for _ in $(seq 10); do curl -s -o /dev/null "http://$LISTEN/metrics"; done) &
	scrapers+=($!)
done
wait "${scrapers[@]}"
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "bench-metrics: 4 concurrent scrapers, 40 scrapes in %.0f ms (%.1f ms each on average)\n", (e - s) * 1000, (e - s) * 1000 / 40 }'
