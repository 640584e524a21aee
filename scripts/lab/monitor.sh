# SPDX-License-Identifier: GPL-2.0
# monitor.sh - a real Prometheus (the Debian server, on the CAS's
# loopback) scraping the exporter of `casshield run` every second, and
# the lab's reads of what it saw; the CAS's CPU and its interface's ring.
# Sourced by lab.sh.

CL_PROM_URL=http://127.0.0.1:$CL_PORT_PROM

cl_prom_up() {
	local dir=$CL_DIR/prom
	install -d -o prometheus -m 0755 "$dir" "$dir/tsdb"
	cat >"$dir/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		  evaluation_interval: 1s
		scrape_configs:
		  - job_name: casshield
		    static_configs:
		      - targets: ['127.0.0.1:$CL_PORT_EXPORTER']
	EOF
	cl_bg prometheus setpriv --reuid prometheus --regid prometheus --init-groups prometheus --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/tsdb" --web.listen-address="127.0.0.1:$CL_PORT_PROM" \
		--storage.tsdb.retention.time=1d >"$dir/prometheus.log" 2>&1
	cl_wait "Prometheus" 30 "$dir/prometheus.log" curl -sf -m 2 "$CL_PROM_URL/-/ready"
}

cl_prom_down() {
	cl_kill_pidfile "$CL_DIR/pids/prometheus"
}

# cl_prom_query EXPR: "labels value" lines of an instant query (labels as
# action/reason, or rule, or the empty string).
cl_prom_query() {
	curl -sf -m 5 --data-urlencode "query=$1" "$CL_PROM_URL/api/v1/query" |
		"$CL_PY" -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    m = r["metric"]
    key = "/".join(m[k] for k in ("action", "reason") if k in m) or m.get("rule", "")
    print(key, r["value"][1])'
}

# cl_prom_value EXPR: the single value of a query (empty if none).
cl_prom_value() {
	cl_prom_query "$1" | awk 'NR == 1 { print $NF }'
}

# cl_prom_scraped_after EPOCH: wait (10 s at most) until Prometheus holds
# a scrape of the exporter taken after EPOCH.
cl_prom_scraped_after() {
	cl_wait "a scrape of the exporter after $1 in Prometheus" 10 "$CL_DIR/prom/prometheus.log" \
		cl_prom_scrape_newer "$1"
}

# cl_prom_scrape_newer EPOCH: Prometheus's last scrape of the exporter is newer.
cl_prom_scrape_newer() {
	local t
	t=$(cl_prom_value "timestamp(up{job=\"casshield\"})")
	[ -n "$t" ] && awk -v t="$t" -v e="$1" 'BEGIN { exit !(t > e) }'
}

# cl_prom_counters: the shield's counters of the CAS interface as
# Prometheus holds them now: "action/reason packets" lines, then
# "rule:NAME packets".
cl_prom_counters() {
	cl_prom_query "casshield_packets_total{interface=\"$CL_IF\"}"
	cl_prom_query "casshield_rule_packets_total{interface=\"$CL_IF\"}" | sed 's/^/rule:/'
}

# cl_cpu_snapshot: "cpu-fields... napi-ticks" of the CAS's CPU, for
# cl_cpu_share. /proc/stat's cpuN line (user nice system idle iowait irq
# softirq steal ...) and the NAPI threads' utime + stime.
cl_cpu_snapshot() {
	local pid napi=0
	for pid in $(cl_napi_pids); do
		napi=$((napi + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
	done
	echo "$(awk -v c="cpu$CL_CAS_CPU" '$1 == c { print $2, $3, $4, $5, $6, $7, $8, $9 }' /proc/stat) $napi"
}

# cl_cpu_share BEFORE AFTER: JSON with the CAS CPU's shares between two
# snapshots: busy, packets (softirq + the interface's NAPI threads), user.
cl_cpu_share() {
	"$CL_PY" -c '
import json, sys
a = [int(x) for x in sys.argv[1].split()]
b = [int(x) for x in sys.argv[2].split()]
d = [y - x for x, y in zip(a, b)]
user, nice, system, idle, iowait, irq, softirq, steal, napi = d
total = sum(d[:8]) or 1
print(json.dumps({"busy": 1 - (idle + iowait) / total, "user": (user + nice) / total,
                  "softirq": softirq / total, "napi": napi / total,
                  "packets": (softirq + irq + napi) / total, "ticks": total}))' "$1" "$2"
}

# cl_ring_drops: "IN OUT": frames the CAS interface's rings had no room
# for (counted as transmit drops by its peer, the switch's port), and
# frames of the CAS's stack that the switch port's rings had no room for
# (the CAS interface's transmit drops, less what XDP_TX failed to send,
# which veth counts there too).
cl_ring_drops() {
	local in all xdp
	in=$(cl_ns "$CL_NS_SW" cat /sys/class/net/cas-sw/statistics/tx_dropped)
	all=$(cat "/sys/class/net/$CL_IF/statistics/tx_dropped")
	xdp=$(ethtool -S "$CL_IF" | awk '/xdp_tx_errors:/ { n += $2 } END { print n + 0 }')
	echo "$in $((all - xdp))"
}
