#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_input.sh - stricter input (issue 12): values that used to be
# accepted wrongly are refused with exit 2, naming the value, by the CLI
# and by the configuration file alike, and change nothing; what users
# typed never reaches the terminal raw.
set -u
source tests/lib/tap.sh
B=$CASSHIELD
IF=casin0
PEER=casin1
WORK=$(mktemp -d)

cleanup() {
	"$B" unload "$IF" >/dev/null 2>&1
	ip link del "$IF" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
WORK=$(mktemp -d)
ip link add "$IF" type veth peer name "$PEER"
ip link set "$IF" up
ip link set "$PEER" up
"$B" load "$IF" --ports 443 >/dev/null

snapshot() { # what must not change after a refused command
	{ "$B" allow list -i "$IF" --json; "$B" limits show -i "$IF" --json; } 2>&1
}
before=$(snapshot)

# A rate whose value times its unit wraps 64 bits once stored 448384.
WRAP=18446744073710M
check_cmd "allow add refuses a rate that wraps" 2 "invalid rate '$WRAP'" -- \
	"$B" allow add 198.51.100.7 -i "$IF" --syn-rate "$WRAP"
check_cmd "limits set refuses a rate that wraps" 2 "invalid rate '$WRAP'" -- \
	"$B" limits set -i "$IF" --hello-rate "$WRAP"
check_cmd "allow add refuses a rate beyond 32 bits" 2 "invalid rate '4294967296'" -- \
	"$B" allow add 198.51.100.7 -i "$IF" --syn-rate 4294967296
printf 'interfaces:\n  - name: %s\n    ports: [443]\n    limits: {syn_rate: %s}\n' \
	"$IF" "$WRAP" > "$WORK/wrap.yaml"
check_cmd "check refuses a rate that wraps, naming its line" 2 "wrap.yaml:4: .*invalid rate '$WRAP'" -- \
	"$B" check --config "$WORK/wrap.yaml"

# IPv4 packets never carry ::ffff:a.b.c.d: such a rule would allow nobody.
check_cmd "allow add refuses an IPv4-mapped address, suggesting IPv4" 2 \
	"IPv4-mapped.*write 10\.251\.77\.3/32" -- "$B" allow add ::ffff:10.251.77.3 -i "$IF"
printf 'interfaces:\n  - name: %s\n    ports: [443]\n    allow:\n      - {cidr: "::ffff:198.51.100.0/120"}\n' \
	"$IF" > "$WORK/mapped.yaml"
check_cmd "check refuses an IPv4-mapped prefix" 2 "mapped.yaml:5: .*write 198\.51\.100\.0/24" -- \
	"$B" check --config "$WORK/mapped.yaml"

# Control bytes are escaped: no raw ESC, and a one-line error stays one.
out=$("$B" allow add $'198.51.100.7\e[31m' -i "$IF" 2>&1 >/dev/null)
check_eq "an argument's ESC is not echoed raw" "0" "$(printf '%s' "$out" | tr -cd '\033' | wc -c)"
check_match "an argument's ESC is shown escaped" '\\x1b\[31m' "$out"
out=$("$B" allow add $'198.51.100.7\nforged: line' -i "$IF" 2>&1 >/dev/null)
check_eq "an argument's newline keeps the error on one line" 1 "$(printf '%s\n' "$out" | wc -l)"
check_match "an argument's newline is shown as \\n" '198\.51\.100\.7\\nforged' "$out"
printf 'interfaces:\n  - name: %s\n    ports: [443]\n    allow:\n      - {cidr: "10.0.0.1\\e]0;pwned\\a\\nx"}\n' \
	"$IF" > "$WORK/ctl.yaml"
out=$("$B" check --config "$WORK/ctl.yaml" 2>&1 >/dev/null)
check_eq "a config value's control bytes are not echoed raw" "0" \
	"$(printf '%s' "$out" | tr -cd '\033\007' | wc -c)"
check_eq "a config value's newline keeps the error on one line" 1 "$(printf '%s\n' "$out" | wc -l)"
check_match "a config value's control bytes are shown escaped" '10\.0\.0\.1\\x1b\]0;pwned\\x07\\nx' "$out"

# Interface names the kernel refuses are refused by the CLI and the file.
for name in "a b" "a:b" 'a\eb'; do
	arg=$(printf '%b' "$name")
	check_cmd "load refuses the interface name '$name'" 2 "invalid interface name" -- \
		"$B" load "$arg" --ports 443
	# YAML writes the ESC itself as \e in a double-quoted string.
	printf 'interfaces:\n  - name: "%s"\n    ports: [443]\n' "$name" > "$WORK/name.yaml"
	check_cmd "check refuses the interface name '$name'" 2 "name.yaml:2: " -- \
		"$B" check --config "$WORK/name.yaml"
done

# A configuration is a regular file only root can change (sshd's
# StrictModes); anything else is refused at once with exit 1.
mkfifo "$WORK/fifo.yaml"
for verb in check apply; do
	check_cmd "$verb refuses a FIFO at once" 1 "fifo.yaml: not a regular file \(a FIFO\)" -- \
		timeout 10 "$B" $verb --config "$WORK/fifo.yaml"
	check_cmd "$verb refuses a directory" 1 "not a regular file \(a directory\)" -- \
		"$B" $verb --config "$WORK"
done
good=$WORK/good.yaml
printf 'interfaces:\n  - name: %s\n    ports: [443]\n' "$IF" > "$good"
chmod 600 "$good"
chmod g+w "$good"
check_cmd "a group-writable file is refused, with the fix" 1 "writable by group or others.*chmod go-w" -- \
	"$B" apply --config "$good"
chmod 602 "$good"
check_cmd "a world-writable file is refused" 1 "writable by group or others" -- "$B" check --config "$good"
chmod 600 "$good"
chown nobody "$good"
check_cmd "a file owned by another user is refused, with the fix" 1 "owned by uid [0-9]+, not root.*chown root" -- \
	"$B" apply --config "$good"
chown root "$good"
mkdir -m 0777 "$WORK/open"
cp -p "$good" "$WORK/open/good.yaml"
check_cmd "a file in a directory others can write is refused" 1 "open is writable by group or others" -- \
	"$B" check --config "$WORK/open/good.yaml"
check_cmd "the same file, mode 0600 in root's directory, is accepted" 0 "" -- "$B" check --config "$good"

# run: a reload that finds a FIFO refuses it at once and keeps running.
"$B" run --config "$good" 2>"$WORK/run.log" &
run_pid=$!
for _ in $(seq 50); do grep -q "serving" "$WORK/run.log" 2>/dev/null && break; sleep 0.1; done
mv "$good" "$good.saved"
mkfifo "$good"
kill -HUP "$run_pid"
for _ in $(seq 50); do grep -q "reload refused" "$WORK/run.log" && break; sleep 0.1; done
check_match "run: a reload from a FIFO is refused at once" "not a regular file \(a FIFO\)" "$(cat "$WORK/run.log")"
check_eq "run: still running after it" yes "$(kill -0 "$run_pid" 2>/dev/null && echo yes || echo no)"
kill -TERM "$run_pid"
wait "$run_pid" 2>/dev/null
rm -f "$good"
mv "$good.saved" "$good"

check_eq "the refused commands changed nothing" "$before" "$(snapshot)"
tap_done
