#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_metrics.sh - the exporter against a real shield and a real Prometheus:
# it starts before the shield and sees it once loaded, its scrape passes
# `promtool check metrics`, Prometheus (the Debian server, on loopback)
# scrapes it and reads back exactly the packets the crafted traffic
# produced, /healthz flips to 503 when the program is detached behind its
# back, it holds no map between scrapes (unload works under it), and bad
# input gets the documented errors. Also the alert rules (promtool) and
# `stats --watch`.
set -u
source tests/lib/tap.sh
LAB=casm LAB_NET=4
source tests/lib/lab.sh
B=$CASSHIELD
EXPORTER=127.0.0.1:19477
EXPORTER_ALL=127.0.0.1:19478 # no -i: every shielded interface
PROM=127.0.0.1:19090
MONITORING=scripts/monitoring
WORK=$(mktemp -d /tmp/casshield-metrics.XXXXXX)
EXPORTER_PID=
EXPORTER_ALL_PID=
PROM_PID=

cleanup() {
	local pid
	for pid in $PROM_PID $EXPORTER_PID $EXPORTER_ALL_PID; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	lab_down
	rm -rf "$WORK"
}

# wait_http URL: until the server answers (at most 10 s).
wait_http() {
	local i
	for i in $(seq 100); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}

status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# series NAME{LABELS} from a scrape: its value, or "absent".
series() { grep -F "$1 " <<<"$2" | awk '{print $2}' | grep . || echo absent; }

# udp_burst NS ADDR PORT COUNT: exactly COUNT datagrams, one packet each.
udp_burst() {
	lab_ns "$1" "$LAB_PY" - "$2" "$3" "$4" <<'PY'
import socket, sys, time
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(count):
    s.sendto(b"casshield-metrics", (addr, port))
    time.sleep(0.01)
PY
}

# prom_value PROMQL: the value of a one-sample instant query, or "none".
prom_value() {
	curl -s --get "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'if .status == "success" and (.data.result | length) == 1 then .data.result[0].value[1] else "none" end'
}

# prom_wait PROMQL EXPECTED: poll until Prometheus returns it (at most 30 s).
prom_wait() {
	local i got
	for i in $(seq 60); do
		got=$(prom_value "$1")
		[ "$got" = "$2" ] && break
		sleep 0.5
	done
	echo "$got"
}

lab_up
trap cleanup EXIT
lab_serve 443
lab_serve 5353 udp
IF=$LAB_IF
SEL="interface=\"$IF\""

# --- bad input -------------------------------------------------------------
check_cmd "--listen without a port: usage error" 2 "--listen: invalid address" -- "$B" metrics --listen 127.0.0.1
check_cmd "--listen with a host name: usage error" 2 "--listen: invalid address" -- "$B" metrics --listen localhost:19477
check_cmd "--listen with port 0: usage error" 2 "--listen: invalid port" -- "$B" metrics --listen 127.0.0.1:0
check_cmd "--listen with port 70000: usage error" 2 "--listen: invalid port" -- "$B" metrics --listen 127.0.0.1:70000
check_cmd "--listen [::1 without bracket: usage error" 2 "--listen: invalid address" -- "$B" metrics --listen '[::1:19477'
check_cmd "-i with a slash: usage error" 2 "invalid interface" -- "$B" metrics -i a/b
check_cmd "stray argument: usage error" 2 "unexpected argument" -- "$B" metrics extra
check_cmd "an address of no local interface cannot be bound" 1 "cannot listen on 192.0.2.1:19477" -- \
	"$B" metrics --listen 192.0.2.1:19477

# --- the exporter starts before the shield ----------------------------------
"$B" metrics -i "$IF" --listen "$EXPORTER" 2>"$WORK/exporter.log" &
EXPORTER_PID=$!
"$B" metrics --listen "$EXPORTER_ALL" 2>"$WORK/exporter-all.log" &
EXPORTER_ALL_PID=$!
if wait_http "http://$EXPORTER/" && wait_http "http://$EXPORTER_ALL/"; then
	tap_ok "exporters answer on loopback"
else
	tap_fail "exporters answer on loopback" "$(cat "$WORK"/exporter*.log)"
fi
check_cmd "a port in use is refused" 1 "cannot listen on $EXPORTER: Address already in use" -- \
	"$B" metrics --listen "$EXPORTER"
check_eq "/healthz before the shield: 503" 503 "$(status_of "http://$EXPORTER/healthz")"
check_match "/healthz names the interface" "$IF: not shielded" "$(curl -s "http://$EXPORTER/healthz")"
scrape=$(curl -s "http://$EXPORTER/metrics")
check_eq "no series of an unshielded interface" absent "$(series "casshield_attached{$SEL,mode=\"native\"}" "$scrape")"
check_eq "build_info" 1 "$(series "casshield_build_info{version=\"$("$B" --version | awk '{print $2}')\"}" "$scrape")"

# --- load, allow the proxy, then read it through the exporter ---------------
check_cmd "load" 0 "" -- "$B" load "$IF" --mode native --ports 443,5353/udp
check_cmd "allow the proxy" 0 "" -- "$B" allow add "$LAB_PROXY4" -i "$IF" --name proxy
check_cmd "allow an unnamed prefix" 0 "" -- "$B" allow add 2001:db8:ffff::/48 -i "$IF"
check_eq "/healthz once attached: 200" 200 "$(status_of "http://$EXPORTER/healthz")"
scrape=$(curl -s "http://$EXPORTER/metrics")
check_eq "attached, native" 1 "$(series "casshield_attached{$SEL,mode=\"native\"}" "$scrape")"
check_eq "ipv4 rules" 1 "$(series "casshield_rules{$SEL,family=\"ipv4\"}" "$scrape")"
check_eq "ipv6 rules" 1 "$(series "casshield_rules{$SEL,family=\"ipv6\"}" "$scrape")"
check_eq "a named rule is labelled by name" 0 "$(series "casshield_rule_packets_total{$SEL,rule=\"proxy\"}" "$scrape")"
check_eq "an unnamed rule by its CIDR" 0 "$(series "casshield_rule_packets_total{$SEL,rule=\"2001:db8:ffff::/48\"}" "$scrape")"
check_match "the exporter without -i sees an interface shielded after it started" \
	"casshield_attached\\{$SEL,mode=\"native\"\\} 1" "$(curl -s "http://$EXPORTER_ALL/metrics")"
# Every (action, reason) pair the CLI knows is exported, none other.
want=$("$B" stats -i "$IF" --json | jq -r '.counters[] | "\(.action) \(.reason)"' | sort)
got=$(grep "^casshield_packets_total{$SEL" <<<"$scrape" | sed -E 's/.*action="([^"]*)",reason="([^"]*)".*/\1 \2/' | sort)
check_eq "packets_total has every verdict of stats --json" "$want" "$got"
check_eq "no source address in any label" "" "$(grep -v '^#' <<<"$scrape" | grep -F -e "$LAB_PROXY4" -e "$LAB_ROGUE4")"

# --- a real Prometheus server scrapes it ------------------------------------
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/$MONITORING/casshield-alerts.yml
scrape_configs:
  - job_name: casshield
    static_configs:
      - targets: ['$EXPORTER']
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address="$PROM" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!

# Crafted traffic with an exact packet count: one datagram, one packet.
lab_ns "$LAB_ROGUE_NS" ping -c1 -W1 -q "$LAB_CAS4" >/dev/null # ARP first
lab_ns "$LAB_PROXY_NS" ping -c1 -W1 -q "$LAB_CAS4" >/dev/null
udp_burst "$LAB_ROGUE_NS" "$LAB_CAS4" 5353 7
udp_burst "$LAB_PROXY_NS" "$LAB_CAS4" 5353 5
scrape=$(curl -s "http://$EXPORTER/metrics")
check_eq "scrape: 7 rogue datagrams dropped" 7 "$(series "casshield_packets_total{$SEL,action=\"drop\",reason=\"not_allowed\"}" "$scrape")"
check_eq "scrape: 5 proxy datagrams allowed" 5 "$(series "casshield_packets_total{$SEL,action=\"pass\",reason=\"allowed\"}" "$scrape")"
check_eq "scrape: the proxy rule counted them" 5 "$(series "casshield_rule_packets_total{$SEL,rule=\"proxy\"}" "$scrape")"
check_eq "scrape: bytes of the dropped datagrams (7 x 59)" 413 "$(series "casshield_bytes_total{$SEL,action=\"drop\",reason=\"not_allowed\"}" "$scrape")"
promtool_out=$(promtool check metrics <<<"$scrape" 2>&1)
promtool_status=$?
check_eq "promtool check metrics accepts a real scrape" "0 " "$promtool_status $promtool_out"

if wait_http "http://$PROM/-/ready"; then tap_ok "prometheus is ready"; else tap_fail "prometheus is ready" "$(tail -5 "$WORK/prometheus.log")"; fi
check_eq "prometheus scrapes the exporter (up)" 1 "$(prom_wait "up{job=\"casshield\"}" 1)"
check_eq "prometheus reads drop/not_allowed = the 7 crafted datagrams" 7 \
	"$(prom_wait "casshield_packets_total{$SEL,action=\"drop\",reason=\"not_allowed\"}" 7)"
check_eq "prometheus reads pass/allowed = the 5 crafted datagrams" 5 \
	"$(prom_wait "casshield_packets_total{$SEL,action=\"pass\",reason=\"allowed\"}" 5)"
check_eq "prometheus reads the proxy rule" 5 "$(prom_wait "casshield_rule_packets_total{$SEL,rule=\"proxy\"}" 5)"

# TCP through the shield: Prometheus agrees with the shield's own counters.
for i in 1 2 3; do lab_connect "$LAB_PROXY_NS" "$LAB_CAS4" 443 >/dev/null; done
lab_connect "$LAB_ROGUE_NS" "$LAB_CAS4" 443 1 >/dev/null
lab_connect "$LAB_ROGUE_NS" "$LAB_CAS4" 443 1 >/dev/null
sleep 1 # let retransmissions die down
for pair in "drop not_allowed" "pass allowed"; do
	set -- $pair
	want=$(lab_counter "$IF" "$1" "$2")
	check_eq "prometheus $1/$2 after TCP = stats --json ($want)" "$want" \
		"$(prom_wait "casshield_packets_total{$SEL,action=\"$1\",reason=\"$2\"}" "$want")"
done
check_ge "TCP from the rogue was dropped" 9 "$(lab_counter "$IF" drop not_allowed)"
check_ge "TCP from the proxy passed" 11 "$(lab_counter "$IF" pass allowed)"

rules_state=$(curl -s "http://$PROM/api/v1/rules" | jq -r '[.data.groups[].rules[] | select(.type == "alerting") | "\(.name)=\(.health)"] | sort | join(" ")')
check_eq "prometheus loads every alert rule" \
	"CasshieldAllowedTrafficDropped=ok CasshieldAttackInProgress=ok CasshieldExporterAbsent=ok CasshieldExporterDown=ok CasshieldProgramDetached=ok" \
	"$rules_state"
bad_queries=
while IFS= read -r expr; do
	q=${expr//\$__rate_interval/1m}
	q=${q//\$instance/.*}
	q=${q//\$interface/.*}
	ok=$(curl -s --get "http://$PROM/api/v1/query" --data-urlencode "query=$q" | jq -r .status)
	[ "$ok" = success ] || bad_queries+="$q; "
done < <(jq -r '.panels[].targets[].expr' "$MONITORING/casshield-dashboard.json")
check_eq "every dashboard query is valid PromQL" "" "$bad_queries"

# --- concurrency and counters that never go down ------------------------------
before=$(curl -s "http://$EXPORTER/metrics")
pids=()
for i in $(seq 16); do
	curl -s -o "$WORK/concurrent.$i" -w '%{http_code}' "http://$EXPORTER/metrics" >"$WORK/code.$i" &
	pids+=($!)
done
wait "${pids[@]}"
check_eq "16 concurrent scrapes all succeed" "16" "$(cat "$WORK"/code.* | grep -o 200 | wc -l)"
check_eq "concurrent scrapes are complete" "16" \
	"$(grep -l '^casshield_rule_bytes_total{' "$WORK"/concurrent.* | wc -l)"
udp_burst "$LAB_ROGUE_NS" "$LAB_CAS4" 5353 3
after=$(curl -s "http://$EXPORTER/metrics")
joined=$(join <(grep '_total{' <<<"$before" | sort -k1,1) <(grep '_total{' <<<"$after" | sort -k1,1))
check_ge "counters compared across scrapes" 40 "$(wc -l <<<"$joined")"
check_eq "no counter went down between scrapes" "" "$(awk '$3 < $2' <<<"$joined")"
check_eq "the 3 new drops are counted" 3 "$(awk -v k="casshield_packets_total{$SEL,action=\"drop\",reason=\"not_allowed\"}" '$1 == k { print $3 - $2 }' <<<"$joined")"

# --- HTTP contract -----------------------------------------------------------
check_eq "unknown path: 404" 404 "$(status_of "http://$EXPORTER/nope")"
check_eq "POST: 405" 405 "$(status_of -X POST -d x=1 "http://$EXPORTER/metrics")"
check_eq "DELETE: 405" 405 "$(status_of -X DELETE "http://$EXPORTER/metrics")"
check_match "405 says which methods are allowed" "Allow: GET, HEAD" "$(curl -s -i -X PUT "http://$EXPORTER/metrics" | tr -d '\r')"
check_eq "HEAD /metrics: 200" 200 "$(status_of -I "http://$EXPORTER/metrics")"
check_match "content type of the exposition format" "Content-Type: text/plain; version=0.0.4" \
	"$(curl -s -I "http://$EXPORTER/metrics" | tr -d '\r')"
check_eq "the exporter holds no map between scrapes" 0 \
	"$(ls -l "/proc/$EXPORTER_PID/fd" | grep -c 'bpf-map')"

# --- stats --watch -------------------------------------------------------------
check_cmd "--watch with a bad number: usage error" 2 "invalid --watch" -- "$B" stats -i "$IF" --watch abc
check_cmd "--watch 0: usage error" 2 "invalid --watch" -- "$B" stats -i "$IF" --watch 0
check_cmd "--watch with --json: usage error" 2 "--watch is for the console" -- "$B" stats -i "$IF" --watch 1 --json
(sleep 0.6; udp_burst "$LAB_ROGUE_NS" "$LAB_CAS4" 5353 20) &
burst_pid=$!
watch_out=$(timeout --preserve-status -s INT 2.5 "$B" stats -i "$IF" --watch 0.5)
check_eq "--watch exits 0 on Ctrl-C" 0 "$?"
wait "$burst_pid"
check_ge "--watch redraws every interval" 4 "$(grep -c '^ACTION ' <<<"$watch_out")"
check_match "--watch shows a drop rate from the deltas" "drop +not_allowed +[1-9][0-9]*\\.[0-9]" "$watch_out"

# --- detached behind the exporter's back --------------------------------------
check_cmd "bpftool detaches the link" 0 "" -- bpftool link detach pinned "/sys/fs/bpf/casshield/$IF/link"
check_eq "/healthz after detach: 503" 503 "$(status_of "http://$EXPORTER/healthz")"
check_match "/healthz says which interface and why" "$IF: program detached" "$(curl -s "http://$EXPORTER/healthz")"
check_eq "casshield_attached drops to 0" 0 \
	"$(series "casshield_attached{$SEL,mode=\"native\"}" "$(curl -s "http://$EXPORTER/metrics")")"
check_eq "prometheus sees the detachment" 0 "$(prom_wait "casshield_attached{$SEL}" 0)"

# --- unload under the running exporter ---------------------------------------
check_cmd "unload while the exporter runs" 0 "" -- "$B" unload "$IF"
check_eq "/healthz after unload: 503" 503 "$(status_of "http://$EXPORTER/healthz")"
check_eq "the exporter keeps serving /metrics" 200 "$(status_of "http://$EXPORTER/metrics")"
kill -TERM "$EXPORTER_PID"
wait "$EXPORTER_PID"
check_eq "SIGTERM stops the exporter with status 0" 0 "$?"
EXPORTER_PID=

# --- a table past the default size ---------------------------------------------
# The scrape's bound on a churning walk once came from the default table
# size (65,536): an interface holding more than twice that failed every
# rule scrape. 140,000 rules, one name, so one series.
check_cmd "load with room for 140,000 rules" 0 "" -- "$B" load "$IF" --max-rules 140000
awk 'BEGIN { for (i = 0; i < 140000; i++) printf "10.%d.%d.%d --name bulk\n", i / 65536, i / 256 % 256, i % 256 }' \
	> "$WORK/bulk.txt"
check_cmd "add them in bulk" 0 "" -- "$B" allow add -i "$IF" --file "$WORK/bulk.txt"
"$B" metrics -i "$IF" --listen "$EXPORTER" 2>"$WORK/exporter-big.log" &
EXPORTER_PID=$!
wait_http "http://$EXPORTER/metrics"
scrape=$(curl -s "http://$EXPORTER/metrics")
check_match "the scrape counts every rule" "casshield_rules\{$SEL,family=\"ipv4\"\} 140000" "$scrape"
check_match "and reports the bulk rule's hits" "casshield_rule_packets_total\{$SEL,rule=\"bulk\"\} 0" "$scrape"
kill -TERM "$EXPORTER_PID"
wait "$EXPORTER_PID"
EXPORTER_PID=
check_cmd "unload" 0 "" -- "$B" unload "$IF"

# --- alert rules ---------------------------------------------------------------
check_cmd "promtool check rules" 0 "" -- promtool check rules "$MONITORING/casshield-alerts.yml"
check_cmd "promtool test rules" 0 "" -- bash -c "cd $MONITORING && promtool test rules casshield-alerts.test.yml"
check_cmd "the dashboard is valid JSON" 0 "" -- jq -e '.panels | length > 0' "$MONITORING/casshield-dashboard.json"

tap_done
