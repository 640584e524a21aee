#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_crash.sh - kill -9 in the middle of a change (issue 12, items 1 and
# 2): `apply` of a 100,000-rule file over an 11-rule one, and `allow add
# --file` of 60,000 rules, each killed at a random moment, CRASH_TRIALS
# times (20 by default). Afterwards the state must be exactly the one
# before or exactly the one after, in the listing, in status, in the limits
# and in the exporter's rule gauge; and every command must go on working:
# a listed rule can be deleted, the file applies again, and the rule table
# still holds what it was sized for (the table has room for the switch and
# 2 slots more, so a leak of 3 slots refuses the next apply).
set -u
source tests/lib/tap.sh
B=$CASSHIELD
IF=cascrash0
PEER=cascrash1
PORT=19495
TRIALS=${CRASH_TRIALS:-20}
ONLY=${CRASH_ONLY:-} # "apply" or "add": that part alone
BUDGET=${CRASH_BUDGET:-900} # seconds for everything, whatever happens
WORK=$(mktemp -d)
EXPORTER=
START=$SECONDS

cleanup_crash() {
	[ -n "$EXPORTER" ] && kill "$EXPORTER" 2>/dev/null
	"$B" unload "$IF" >/dev/null 2>&1
	ip link del "$IF" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup_crash EXIT

# out_of_time: the budget is spent (every loop below checks it).
out_of_time() { [ $((SECONDS - START)) -ge "$BUDGET" ]; }

# A: 11 rules. B: 100,000 rules, other ports and limits; it keeps 5 of A's
# rules as they are, changes 3 and drops 3. F: 60,000 rules none of A has.
yaml_head() {
	printf 'interfaces:\n  - name: %s\n    mode: skb\n    ports: [%s]\n    limits: {%s}\n    allow:\n' "$IF" "$1" "$2"
}
{
	yaml_head "443/tcp, 8443/tcp" "syn_rate: 1000"
	for i in 1 2 3 4 5; do echo "      - {name: keep$i, cidr: \"198.51.100.$i/32\"}"; done
	for i in 1 2 3; do echo "      - {name: change$i, cidr: \"198.51.101.$i/32\", ports: [443]}"; done
	for i in 1 2; do echo "      - {name: gone$i, cidr: \"2001:db8:$i::/48\"}"; done
	echo "      - {name: gone6, cidr: \"2001:db8:100::/40\"}"
} >"$WORK/A.yaml"
{
	yaml_head "443/tcp, 8443/tcp, 80/tcp" "syn_rate: 2000, hello_rate: 10"
	for i in 1 2 3 4 5; do echo "      - {name: keep$i, cidr: \"198.51.100.$i/32\"}"; done
	for i in 1 2 3; do echo "      - {name: change$i, cidr: \"198.51.101.$i/32\", ports: [8443]}"; done
	awk 'BEGIN {
		for (i = 0; i < 70000; i++) printf "      - {cidr: \"10.%d.%d.%d/32\"}\n", int(i / 65536) + 1, int(i / 256) % 256, i % 256
		for (i = 0; i < 2000; i++) printf "      - {cidr: \"10.%d.%d.0/24\"}\n", 100 + int(i / 256), i % 256
		for (i = 0; i < 20000; i++) printf "      - {cidr: \"fd00:%x:%x::1/128\"}\n", int(i / 65536) + 1, i % 65536
		for (i = 0; i < 5000; i++) printf "      - {cidr: \"fd01:%x::/48\"}\n", i
		for (i = 0; i < 2992; i++) printf "      - {cidr: \"fd02:%x::/40\"}\n", i
	}'
} >"$WORK/B.yaml"
awk 'BEGIN {
	for (i = 0; i < 50000; i++) printf "10.%d.%d.%d\n", 200 + int(i / 65536), int(i / 256) % 256, i % 256
	for (i = 0; i < 9000; i++) printf "fd03:%x::/64 --ports 443\n", i
	for (i = 0; i < 1000; i++) printf "fd04:%x::/36 --name trie\n", i * 16
}' >"$WORK/F.txt"
chmod 600 "$WORK"/*.yaml
# The switch from A to B takes a fresh slot for every rule of B but the 5
# it keeps, while A's 11 keep theirs: 11 + 99,995 slots, and 2 to spare.
MAX_RULES=100008

ip link del "$IF" 2>/dev/null
ip link add "$IF" type veth peer name "$PEER"
ip link set "$IF" up
ip link set "$PEER" up
check_cmd "load with room for the switch" 0 "" -- "$B" load "$IF" --mode skb --max-rules "$MAX_RULES"
"$B" metrics -i "$IF" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
EXPORTER=$!

# The rule gauge of the interface, "ipv4 ipv6", or "?" if none answered.
metric_rules() {
	local text i
	for i in $(seq 20); do
		text=$(curl -s --max-time 10 "127.0.0.1:$PORT/metrics") && [ -n "$text" ] && break
		sleep 0.2
	done
	awk -v want="casshield_rules{interface=\"$IF\"" '
		index($0, want) == 1 && /family="ipv4"/ { v4 = $2 }
		index($0, want) == 1 && /family="ipv6"/ { v6 = $2 }
		END { printf "%s %s", (v4 == "" ? "?" : v4), (v6 == "" ? "?" : v6) }' <<<"$text"
}

# state: one line that two states share only if they are the same: the
# rules as listed (all but ids and counters), their count, their ids
# unique and inside the table, status, the limits, the exporter's gauge.
# The listed CIDRs are kept in $WORK/rules.tsv for some_rule.
state() {
	local rules
	rules=$("$B" allow list -i "$IF" --json | python3 -c '
import hashlib, json, sys
rules = json.load(sys.stdin)["rules"]
max_rules, tsv = int(sys.argv[1]), sys.argv[2]
ids = [r.pop("id") for r in rules]
for r in rules:
    r.pop("hits"), r.pop("bytes")
body = "\n".join(sorted(json.dumps(r, sort_keys=True) for r in rules))
with open(tsv, "w") as out:
    out.writelines(r["cidr"] + "\n" for r in rules)
print("rules %s, %d rules, %d ids twice, %d outside the table" % (
    hashlib.md5(body.encode()).hexdigest()[:16], len(rules),
    len(ids) - len(set(ids)), sum(i >= max_rules for i in ids)))
' "$MAX_RULES" "$WORK/rules.tsv") || rules="allow list failed"
	echo "$rules;" \
		"status $("$B" status -i "$IF" --json | jq -c '{attached, monitor, ports, rules, max_rules}');" \
		"limits $("$B" limits show -i "$IF" --json | jq -c 'del(.interface)');" \
		"metrics $(metric_rules)"
}

# A rule of the last state's listing, chosen at random: its CIDR.
some_rule() {
	awk -v pick="$RANDOM" '{ cidr[NR] = $1 } END { if (NR) print cidr[pick % NR + 1] }' "$WORK/rules.tsv"
}

# del_works CIDR: the rule goes, and a second del finds no rule.
del_works() {
	"$B" allow del -i "$IF" "$1" >/dev/null 2>&1 &&
		"$B" allow del -i "$IF" "$1" 2>&1 | grep -q "no rule for $1"
}

# run_killed DELAY_MS CMD...: start CMD, kill -9 it after DELAY_MS; its
# exit status (137 when the kill landed while it ran).
run_killed() {
	local delay=$1 pid
	shift
	"$@" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v ms="$delay" 'BEGIN { printf "%.3f", ms / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# duration_ms CMD...: how long CMD takes, in milliseconds.
duration_ms() {
	local start=$EPOCHREALTIME
	"$@" >/dev/null 2>&1
	awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%d", (e - s) * 1000 }'
}

# The reference states, from changes that ran to the end.
check_cmd "apply A" 0 "" -- "$B" apply --config "$WORK/A.yaml"
STATE_A=$(state)
apply_ms=$(duration_ms "$B" apply --config "$WORK/B.yaml")
STATE_B=$(state)
check_match "B is applied: 100,000 rules" '"rules":\{"ipv4":[0-9]+,"ipv6":[0-9]+\}' "$STATE_B"
check_eq "B has 100,000 rules" 100000 "$(wc -l <"$WORK/rules.tsv")"
check_cmd "back to A" 0 "" -- "$B" apply --config "$WORK/A.yaml"
check_eq "A again is the same state" "$STATE_A" "$(state)"
bulk_ms=$(duration_ms "$B" allow add -i "$IF" --file "$WORK/F.txt")
STATE_AF=$(state)
check_eq "A + F has 60,011 rules" 60011 "$(wc -l <"$WORK/rules.tsv")"
check_cmd "back to A after F" 0 "" -- "$B" apply --config "$WORK/A.yaml"
check_eq "A after F is the same state" "$STATE_A" "$(state)"
echo "# apply A -> B: $apply_ms ms; allow add --file F: $bulk_ms ms"

# 1. apply B over A, killed at a random moment.
bad=0 killed=0 before=0 after=0 broken=0 done_trials=0
[ "$ONLY" = add ] || for trial in $(seq "$TRIALS"); do
	out_of_time && break
	"$B" apply --config "$WORK/A.yaml" >/dev/null 2>&1
	if [ "$(state)" != "$STATE_A" ]; then
		broken=$((broken + 1))
		continue
	fi
	delay=$((RANDOM % (apply_ms + apply_ms / 10 + 1)))
	run_killed "$delay" "$B" apply --config "$WORK/B.yaml"
	[ $? -eq 137 ] && killed=$((killed + 1))
	done_trials=$((done_trials + 1))
	now=$(state)
	if [ "$now" = "$STATE_A" ]; then
		before=$((before + 1))
	elif [ "$now" = "$STATE_B" ]; then
		after=$((after + 1))
	else
		bad=$((bad + 1))
		[ "$bad" -eq 1 ] && echo "# apply trial $trial, killed after $delay ms: $now"
	fi
	# Every command works: delete a listed rule, then apply B to the end
	# (the table must still have room for the whole switch).
	rule=$(some_rule)
	if ! del_works "$rule" ||
		! "$B" apply --config "$WORK/B.yaml" >/dev/null 2>&1 ||
		[ "$(state)" != "$STATE_B" ]; then
		broken=$((broken + 1))
		[ "$broken" -eq 1 ] && echo "# apply trial $trial: after the kill, del $rule and apply B left: $(state)"
	fi
done
if [ "$ONLY" != add ]; then
	echo "# apply: $done_trials trials, $killed killed while running, $before left A, $after left B, $bad neither"
	check_eq "apply: $TRIALS trials ran within the time budget" "$TRIALS" "$done_trials"
	check_ge "apply: most kills landed while it ran" "$((TRIALS / 2))" "$killed"
	check_eq "apply killed: the state was exactly A or exactly B every time" 0 "$bad"
	check_eq "apply killed: deleting a listed rule and applying again worked every time" 0 "$broken"
fi

# 2. allow add --file F over A, killed at a random moment.
bad=0 killed=0 before=0 after=0 broken=0 done_trials=0
[ "$ONLY" = apply ] || for trial in $(seq "$TRIALS"); do
	out_of_time && break
	"$B" apply --config "$WORK/A.yaml" >/dev/null 2>&1
	if [ "$(state)" != "$STATE_A" ]; then
		broken=$((broken + 1))
		[ "$broken" -eq 1 ] && echo "# bulk trial $trial: apply A left: $(state)"
		continue
	fi
	delay=$((RANDOM % (bulk_ms + bulk_ms / 10 + 1)))
	run_killed "$delay" "$B" allow add -i "$IF" --file "$WORK/F.txt"
	[ $? -eq 137 ] && killed=$((killed + 1))
	done_trials=$((done_trials + 1))
	now=$(state)
	if [ "$now" = "$STATE_A" ]; then
		before=$((before + 1))
		# Nothing of F is there: adding it again works, whole.
		"$B" allow add -i "$IF" --file "$WORK/F.txt" >/dev/null 2>&1 &&
			[ "$(state)" = "$STATE_AF" ] || broken=$((broken + 1))
	elif [ "$now" = "$STATE_AF" ]; then
		after=$((after + 1))
		# All of F is there: adding it again is refused, whole.
		if "$B" allow add -i "$IF" --file "$WORK/F.txt" >/dev/null 2>&1 ||
			[ "$(state)" != "$STATE_AF" ]; then
			broken=$((broken + 1))
		fi
	else
		bad=$((bad + 1))
		[ "$bad" -eq 1 ] && echo "# bulk trial $trial, killed after $delay ms: $now"
	fi
	rule=$(some_rule)
	del_works "$rule" || broken=$((broken + 1))
done
if [ "$ONLY" != apply ]; then
	echo "# allow add --file: $done_trials trials, $killed killed while running, $before left A, $after left A + F, $bad neither"
	check_eq "allow add --file: $TRIALS trials ran within the time budget" "$TRIALS" "$done_trials"
	check_ge "allow add --file: most kills landed while it ran" "$((TRIALS / 2))" "$killed"
	check_eq "allow add --file killed: exactly A or exactly A + F every time" 0 "$bad"
	check_eq "allow add --file killed: retrying and deleting worked every time" 0 "$broken"
fi

check_cmd "apply A at the end" 0 "" -- "$B" apply --config "$WORK/A.yaml"
check_eq "and the state is A's" "$STATE_A" "$(state)"
check_cmd "unload" 0 "" -- "$B" unload "$IF"
tap_done
