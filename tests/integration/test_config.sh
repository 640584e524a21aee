#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_config.sh - the configuration file and the service: config errors
# named by line and changing nothing, atomic applies under traffic,
# commit-confirm, the lockout guard, `run` with SIGHUP, SIGKILL and a
# restart that adopts the pinned shield, monitor mode from the file, and
# run's /healthz requiring the interfaces of the file.
set -u
source tests/lib/tap.sh
LAB=casc LAB_NET=3
source tests/lib/lab.sh
B=$CASSHIELD
WORK=$(mktemp -d)
RUN_PID=
cleanup_config() {
	[ -n "$RUN_PID" ] && kill -9 "$RUN_PID" 2>/dev/null
	"$B" confirm >/dev/null 2>&1
	rm -rf "$WORK"
	lab_down
}
trap cleanup_config EXIT

lab_up
lab_serve 443

# config IF_MONITOR EXTRA_RULES...: a file for the lab interface.
config() {
	local monitor=$1
	shift
	cat <<YAML
interfaces:
  - name: $LAB_IF
    mode: native
    monitor: $monitor
    ports: [443/tcp, 8443/tcp]
    limits: {syn_rate: 20000, syn_burst: 40000, min_tls: "1.2"}
    allow:
      - {name: proxy, cidr: "$LAB_PROXY4/32", ports: [443], mac: "$LAB_PROXY_MAC", ttl: "64"}
      - {name: proxy6, cidr: "$LAB_PROXY6/128"}
YAML
	for rule in "$@"; do echo "      - $rule"; done
	echo "metrics:"
	echo "  listen: 127.0.0.1:19481"
}

# check_bad WHAT LINE KEY_REGEX YAML: refused with status 2, naming line and key.
check_bad() {
	printf '%s\n' "$4" > "$WORK/bad.yaml"
	check_cmd "check refuses $1" 2 "bad.yaml:$2: (interfaces\[0\]\.)?$3" -- "$B" check --config "$WORK/bad.yaml"
	check_cmd "apply refuses $1" 2 "bad.yaml:$2: (interfaces\[0\]\.)?$3" -- "$B" apply --config "$WORK/bad.yaml"
}

check_bad "an unknown key" 3 "interfaces\[0\]: unknown key 'frob'" \
	"interfaces:
  - name: $LAB_IF
    frob: 1"
check_bad "a bad CIDR" 5 "interfaces\[0\].allow\[0\].cidr: invalid CIDR '198.51.100.1/24'" \
	"interfaces:
  - name: $LAB_IF
    ports: [443]
    allow:
      - {cidr: 198.51.100.1/24}"
check_bad "a bad port" 3 "interfaces\[0\].ports: invalid port '99999'" \
	"interfaces:
  - name: $LAB_IF
    ports: [443, 99999]"
check_bad "a rule port the interface does not protect" 5 "allow\[0\].ports: port 22/tcp is not in the interface's ports" \
	"interfaces:
  - name: $LAB_IF
    ports: [443]
    allow:
      - {cidr: 198.51.100.0/24, ports: [22]}"
check_bad "a rate with an unknown unit" 3 "limits.syn_rate: unknown unit 'x'" \
	"interfaces:
  - name: $LAB_IF
    limits: {syn_rate: 10x}"
check_bad "a zero burst" 3 "limits.syn_burst: syn_rate burst must be at least 1" \
	"interfaces:
  - name: $LAB_IF
    limits: {syn_rate: 10, syn_burst: 0}"
check_bad "a bad TLS version" 3 "limits.min_tls: unknown TLS version '1.4'" \
	"interfaces:
  - name: $LAB_IF
    limits: {min_tls: \"1.4\"}"
check_bad "a bad MAC" 4 "allow\[0\].mac: invalid MAC" \
	"interfaces:
  - name: $LAB_IF
    allow:
      - {cidr: 198.51.100.0/24, mac: \"02:00\"}"
check_bad "a bad TTL" 4 "allow\[0\].ttl: invalid TTL window '0'" \
	"interfaces:
  - name: $LAB_IF
    allow:
      - {cidr: 198.51.100.0/24, ttl: 0}"
check_bad "a bad mode" 3 "interfaces\[0\].mode: invalid mode 'turbo'" \
	"interfaces:
  - name: $LAB_IF
    mode: turbo"
check_bad "a bad boolean" 3 "interfaces\[0\].monitor: invalid value 'maybe'" \
	"interfaces:
  - name: $LAB_IF
    monitor: maybe"
check_bad "a duplicate prefix" 5 "allow\[1\].cidr: the same prefix as the rule on line 4" \
	"interfaces:
  - name: $LAB_IF
    allow:
      - {cidr: 198.51.100.0/24}
      - {cidr: 198.51.100.0/24, name: again}"
check_bad "the first of several duplicates, in file order" 7 "allow\[3\].cidr: the same prefix as the rule on line 5" \
	"interfaces:
  - name: $LAB_IF
    allow:
      - {cidr: 198.51.100.1}
      - {cidr: 198.51.100.2}
      - {cidr: 198.51.100.0/24}
      - {cidr: 198.51.100.2/32}
      - {cidr: 198.51.100.1/32}"
check_bad "a missing name" 2 "interfaces\[0\].name: missing" \
	"interfaces:
  - mode: skb"
# The CLI's own interface-name check: "." and ".." would be pin paths.
for name in . ..; do
	check_bad "an interface named '$name'" 2 "name: invalid interface name '\\.+'" \
		"interfaces:
  - name: \"$name\""
done
check_bad "a bad listen address" 2 "metrics.listen" \
	"metrics:
  listen: localhost
interfaces: []"
check_bad "a YAML syntax error" 2 "YAML syntax" \
	"interfaces: [
  - name"
check_eq "refused files attached nothing" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null | grep -x "$LAB_IF")"
printf 'interfaces:\n  - name: nosuch0\n' > "$WORK/missing.yaml"
check_cmd "apply with a missing interface" 1 "no such interface: nosuch0" -- "$B" apply --config "$WORK/missing.yaml"

# apply: attach with the ruleset in place
config false > "$WORK/a.yaml"
check_cmd "check a good file" 0 "" -- "$B" check --config "$WORK/a.yaml"
out=$("$B" apply --config "$WORK/a.yaml" 2>&1)
check_match "apply attaches and reports" "$LAB_IF: attached" "$out"
check_match "apply prints what changed" "\+ allow $LAB_PROXY4/32 \(proxy\)" "$out"
check_eq "the pin directory is root's alone" "700 root" "$(stat -c '%a %U' "/sys/fs/bpf/casshield/$LAB_IF")"
check_eq "rules applied" '["proxy","proxy6"]' "$("$B" allow list -i "$LAB_IF" --json | jq -c '[.rules[].name] | sort')"
check_eq "limits applied" '[20000,40000,"1.2"]' "$("$B" limits show -i "$LAB_IF" --json | jq -c '[.syn_rate,.syn_burst,.min_tls]')"
if lab_connect "$LAB_PROXY_NS" "$LAB_CAS4" 443; then got=yes; else got=no; fi
check_eq "the proxy connects" yes "$got"
if lab_connect "$LAB_ROGUE_NS" "$LAB_CAS4" 443 1; then got=yes; else got=no; fi
check_eq "the rogue does not" no "$got"
check_match "applying the same file changes nothing" "0 added, 0 removed, 0 changed, 2 unchanged" "$("$B" apply --config "$WORK/a.yaml")"

# 50 applies that add and remove other rules while the proxy connects
drops=$(lab_counter "$LAB_IF" drop not_allowed)
spoofed=$(lab_counter "$LAB_IF" drop spoofed)
rm -f /tmp/casc-stop # before the client starts: a stale one would stop it
lab_connect_loop "$LAB_PROXY_NS" "$LAB_CAS4" 443 0 0.9 0 /tmp/casc-stop > "$WORK/client" &
client=$!
applied=0
for i in $(seq 50); do
	if [ $((i % 2)) -eq 1 ]; then
		config false "{name: churn$i, cidr: \"203.0.113.$i/32\"}" "{cidr: \"198.51.100.0/24\", ports: [8443]}" > "$WORK/churn.yaml"
	else
		config false "{name: other$i, cidr: \"2001:db8:$i::/48\", ports: [443]}" > "$WORK/churn.yaml"
	fi
	"$B" apply --config "$WORK/churn.yaml" >/dev/null && applied=$((applied + 1))
done
touch /tmp/casc-stop
wait "$client"
rm -f /tmp/casc-stop
read -r ok failed < "$WORK/client"
check_eq "50 applies succeeded" 50 "$applied"
check_eq "the proxy's connections never failed during them" 0 "$failed"
check_ge "the proxy kept connecting" 50 "$ok"
check_eq "no packet dropped as not_allowed during them" "$drops" "$(lab_counter "$LAB_IF" drop not_allowed)"
check_eq "no packet dropped as spoofed during them" "$spoofed" "$(lab_counter "$LAB_IF" drop spoofed)"

# the lockout guard
check_cmd "lockout: refused" 1 "would lock you out" -- env SSH_CONNECTION="$LAB_ROGUE4 50000 $LAB_CAS4 443" "$B" apply --config "$WORK/a.yaml"
check_cmd "lockout: an allowed session passes" 0 "" -- env SSH_CONNECTION="$LAB_PROXY4 50000 $LAB_CAS4 443" "$B" apply --config "$WORK/a.yaml"
check_cmd "lockout: an unprotected port passes" 0 "" -- env SSH_CONNECTION="$LAB_ROGUE4 50000 $LAB_CAS4 22" "$B" apply --config "$WORK/a.yaml"
check_cmd "lockout: --force" 0 "" -- env SSH_CONNECTION="$LAB_ROGUE4 50000 $LAB_CAS4 443" "$B" apply --config "$WORK/a.yaml" --force

# commit-confirm: rollback, then confirm
config false "{name: trial, cidr: \"203.0.113.0/24\"}" > "$WORK/trial.yaml"
check_cmd "apply --confirm 2" 0 "" -- "$B" apply --config "$WORK/trial.yaml" --confirm 2
check_eq "the rollback snapshot is root's alone" "600" "$(stat -c '%a' /run/casshield/rollback.yaml)"
check_eq "the trial rule is live" 1 "$("$B" allow list -i "$LAB_IF" --json | jq '[.rules[] | select(.name == "trial")] | length')"
check_cmd "a second --confirm while one waits" 1 "waiting for 'casshield confirm'" -- "$B" apply --config "$WORK/trial.yaml" --confirm 2
sleep 3.5
check_eq "not confirmed: rolled back" 0 "$("$B" allow list -i "$LAB_IF" --json | jq '[.rules[] | select(.name == "trial")] | length')"
check_cmd "confirm with nothing waiting" 1 "no apply is waiting" -- "$B" confirm
check_cmd "apply --confirm 3" 0 "" -- "$B" apply --config "$WORK/trial.yaml" --confirm 3
check_cmd "confirm" 0 "" -- "$B" confirm
sleep 4
check_eq "confirmed: kept" 1 "$("$B" allow list -i "$LAB_IF" --json | jq '[.rules[] | select(.name == "trial")] | length')"

# --prune unloads what the file does not name
ip link add "${LAB}x0" type veth peer name "${LAB}x1"
"$B" load "${LAB}x0" --mode skb >/dev/null
check_cmd "apply without --prune leaves other interfaces" 0 "" -- "$B" apply --config "$WORK/a.yaml"
check_eq "still shielded" "${LAB}x0" "$(ls /sys/fs/bpf/casshield | grep -x "${LAB}x0")"
check_match "apply --prune unloads them" "${LAB}x0: unloaded" "$("$B" apply --config "$WORK/a.yaml" --prune)"
ip link del "${LAB}x0"

# the service
config false > "$WORK/run.yaml"
"$B" run --config "$WORK/run.yaml" 2>"$WORK/run.log" &
RUN_PID=$!
sleep 1.5
prog=$("$B" status -i "$LAB_IF" --json | jq .prog_id)
check_match "run adopts the shielded interface" "0 attached" "$(cat "$WORK/run.log")"
check_match "run serves metrics" "casshield_packets_total" "$(curl -s 127.0.0.1:19481/metrics)"
config false "{name: hup, cidr: \"203.0.113.77/32\"}" > "$WORK/run.yaml"
kill -HUP "$RUN_PID"
sleep 1
check_eq "SIGHUP applies the new file" 1 "$("$B" allow list -i "$LAB_IF" --json | jq '[.rules[] | select(.name == "hup")] | length')"
echo "interfaces: [" > "$WORK/run.yaml"
kill -HUP "$RUN_PID"
sleep 1
check_match "SIGHUP with a bad file is refused with a log line" "reload refused" "$(cat "$WORK/run.log")"
check_eq "and the running ruleset stays" 1 "$("$B" allow list -i "$LAB_IF" --json | jq '[.rules[] | select(.name == "hup")] | length')"
# An exporter that cannot start at a reload (its new port is taken) is
# retried at the next reload, also when the file did not change again.
"$LAB_PY" -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 19482)); s.listen(1); time.sleep(60)' &
blocker=$!
sleep 0.5
config false "{name: hup, cidr: \"203.0.113.77/32\"}" | sed 's/19481/19482/' > "$WORK/run.yaml"
kill -HUP "$RUN_PID"
sleep 1
check_match "a reload whose exporter cannot listen says so" "metrics are off until the next reload" "$(cat "$WORK/run.log")"
kill "$blocker"
wait "$blocker" 2>/dev/null
kill -HUP "$RUN_PID"
sleep 1
check_match "the next reload, same file, starts the exporter" "casshield_packets_total" "$(curl -s --max-time 5 127.0.0.1:19482/metrics)"
kill -9 "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
RUN_PID=
if lab_connect "$LAB_ROGUE_NS" "$LAB_CAS4" 443 1; then got=yes; else got=no; fi
check_eq "after SIGKILL the shield still enforces" no "$got"
check_eq "after SIGKILL the same program is attached" "true $prog" "$("$B" status -i "$LAB_IF" --json | jq -r '"\(.attached) \(.prog_id)"')"
config false "{name: hup, cidr: \"203.0.113.77/32\"}" > "$WORK/run.yaml"
"$B" run --config "$WORK/run.yaml" 2>"$WORK/run2.log" &
RUN_PID=$!
sleep 1.5
# Other programs named cas_shield may exist (unit tests elsewhere): count
# only those the restarted service holds besides the adopted one.
check_eq "a restart adopts it: same program, no second one" "true $prog 0" \
	"$("$B" status -i "$LAB_IF" --json | jq -r '"\(.attached) \(.prog_id)"') $(bpftool prog show --json |
		jq --argjson pid "$RUN_PID" --argjson prog "$prog" \
			'[.[] | select(.name == "cas_shield" and .id != $prog and any(.pids[]?; .pid == $pid))] | length')"
check_match "the restart changed nothing" "0 added, 0 removed, 0 changed" "$(cat "$WORK/run2.log")"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
check_eq "SIGTERM: clean exit" 0 "$?"
RUN_PID=
check_eq "SIGTERM: the shield stays attached" true "$("$B" status -i "$LAB_IF" --json | jq .attached)"
"$B" run --config "$WORK/run.yaml" --detach-on-exit 2>"$WORK/run3.log" &
RUN_PID=$!
sleep 1.5
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=
check_eq "--detach-on-exit: unloaded on SIGTERM" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null | grep -x "$LAB_IF")"

# monitor mode through the file
config true > "$WORK/monitor.yaml"
check_cmd "apply a monitor-mode file" 0 "" -- "$B" apply --config "$WORK/monitor.yaml"
check_eq "status says monitor" true "$("$B" status -i "$LAB_IF" --json | jq .monitor)"
if lab_connect "$LAB_ROGUE_NS" "$LAB_CAS4" 443; then got=yes; else got=no; fi
check_eq "monitor: the rogue gets through" yes "$got"
check_ge "monitor: counted as would_drop" 1 "$(lab_counter "$LAB_IF" would_drop not_allowed)"
config false > "$WORK/a.yaml"
check_cmd "back to enforcing" 0 "" -- "$B" apply --config "$WORK/a.yaml"
if lab_connect "$LAB_ROGUE_NS" "$LAB_CAS4" 443 1; then got=yes; else got=no; fi
check_eq "enforcing again: the rogue is dropped" no "$got"

# A table too small for the switch: the new rules need free slots while the
# live ones keep theirs, so the apply is refused whole, with the reason.
check_cmd "unload for a small table" 0 "" -- "$B" unload "$LAB_IF"
check_cmd "load with room for 4 rules" 0 "" -- "$B" load "$LAB_IF" --mode skb --max-rules 4
for c in 203.0.113.1 203.0.113.2 203.0.113.3; do "$B" allow add -i "$LAB_IF" "$c" >/dev/null; done
printf 'interfaces:\n  - name: %s\n    mode: skb\n    allow:\n%s' "$LAB_IF" \
	"$(printf '      - {cidr: 203.0.113.%s}\n' 11 12 13)" > "$WORK/small.yaml"
chmod 600 "$WORK/small.yaml"
before=$("$B" allow list -i "$LAB_IF" --json)
check_cmd "apply needing more slots than free is refused" 1 \
	"holds at most 4 rules \\(load --max-rules\\): the file needs 3 new slots while the 3 live rules keep theirs until the switch; nothing was changed" \
	-- "$B" apply --config "$WORK/small.yaml"
check_eq "and changed nothing" "$before" "$("$B" allow list -i "$LAB_IF" --json)"
check_cmd "unload" 0 "" -- "$B" unload "$LAB_IF"

# /healthz of run requires the interfaces of its file (issue 12, item 8):
# an interface it names that is unloaded or detached behind its back fails
# the check, naming it; a reload that drops the interface drops the need.
# health_wait CODE: poll run's /healthz until it answers CODE (at most 10 s).
health_wait() {
	local i got
	for i in $(seq 50); do
		got=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' 127.0.0.1:19481/healthz)
		[ "$got" = "$1" ] && break
		sleep 0.2
	done
	echo "$got"
}
config false > "$WORK/health.yaml"
chmod 600 "$WORK/health.yaml"
"$B" run --config "$WORK/health.yaml" 2>"$WORK/run4.log" &
RUN_PID=$!
check_eq "run: /healthz 200 once the file is applied" 200 "$(health_wait 200)"
check_cmd "unload the file's interface behind run's back" 0 "" -- "$B" unload "$LAB_IF"
check_eq "run: /healthz 503 after that unload" 503 "$(health_wait 503)"
check_match "run: /healthz names the interface" "$LAB_IF: not shielded" "$(curl -s --max-time 2 127.0.0.1:19481/healthz)"
kill -HUP "$RUN_PID"
check_eq "run: a reload shields it again: 200" 200 "$(health_wait 200)"
check_cmd "bpftool detaches its link" 0 "" -- bpftool link detach pinned "/sys/fs/bpf/casshield/$LAB_IF/link"
check_eq "run: /healthz 503 when detached, pins in place" 503 "$(health_wait 503)"
check_match "run: /healthz says it is detached" "$LAB_IF: program detached" "$(curl -s --max-time 2 127.0.0.1:19481/healthz)"
printf 'interfaces: []\nmetrics:\n  listen: 127.0.0.1:19481\n' > "$WORK/health.yaml"
kill -HUP "$RUN_PID"
check_eq "run: a file without it no longer requires it: 200" 200 "$(health_wait 200)"
check_match "run: and reports nothing shielded" "no interface is shielded" "$(curl -s --max-time 2 127.0.0.1:19481/healthz)"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
RUN_PID=
"$B" unload "$LAB_IF" >/dev/null 2>&1
tap_done
