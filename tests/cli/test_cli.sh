#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_cli.sh - the CLI contract: every bad input gets a one-line error,
# the documented exit status (2 unparsable, 1 cannot be done), and changes
# nothing; the read verbs print the documented JSON.
set -u
# The suite runs in a mount namespace of its own with a bpffs of its own:
# its checks of "the only shielded interface" and "no interface is
# shielded" must not see a shield that lives on the host (a lab left up, a
# production shield), and must never touch one. XDP attach is per device
# and unaffected.
if [ -z "${CAS_CLI_OWN_BPFFS:-}" ]; then
	CAS_CLI_OWN_BPFFS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
mount -t bpf bpf /sys/fs/bpf || { echo "test_cli: cannot mount a bpffs of its own" >&2; exit 1; }
source tests/lib/tap.sh
B=$CASSHIELD
IF=cascli0
PEER=cascli1
QIF='cascli"q\0' # a name JSON must escape
NOBODY_DIR=

cleanup() {
	"$B" unload "$IF" >/dev/null 2>&1
	"$B" unload "$QIF" >/dev/null 2>&1
	ip link del "$IF" 2>/dev/null
	ip link del "$QIF" 2>/dev/null
	[ -n "$NOBODY_DIR" ] && rm -rf "$NOBODY_DIR"
}
trap cleanup EXIT
cleanup
ip link add "$IF" type veth peer name "$PEER"
ip link set "$IF" up
ip link set "$PEER" up
ip link add "$QIF" type veth peer name cascli3
ip link set "$QIF" up

snapshot() { # what must not change after a refused command
	{ "$B" allow list -i "$IF" --json; "$B" status -i "$IF" --json | jq -c 'del(.loaded_at)'; } 2>&1
}

check_cmd "--help exits 0" 0 "" -- "$B" --help
check_match "--help lists every verb" "load.*unload.*status.*allow.*limits.*stats" "$("$B" --help | tr '\n' ' ')"
check_cmd "allow --help exits 0" 0 "" -- "$B" allow --help
check_eq "--version" "casshield 0.1.0" "$("$B" --version)"
check_cmd "no verb is a usage error" 2 "usage" -- "$B"
check_cmd "unknown verb" 2 "unknown verb 'frobnicate'" -- "$B" frobnicate
check_cmd "unknown global option" 2 "unknown option" -- "$B" --frob status
check_cmd "-v alone is a usage error" 2 "usage" -- "$B" -v

# The option parser: one table per verb, every usage error worded once.
VERBS="load unload status allow limits check apply confirm run stats metrics"
for verb in $VERBS; do
	check_cmd "$verb --help exits 0" 0 "" -- "$B" "$verb" --help
	check_match "$verb --help has a usage line" "^usage: casshield $verb" "$("$B" "$verb" --help)"
done
check_cmd "-h after a sub-verb is help" 0 "" -- "$B" allow add -h
check_match "the help explains each option" "--ttl MIN\[-MAX\] +require a TTL" "$("$B" allow --help)"
# The options each verb's usage lines name, from --help, README and man page.
help_opts() { # VERB
	"$B" "$1" --help | awk '/^usage:/ { u = 1 } u && !/^(usage:| )/ { exit } u' |
		grep -oE '(^|[][ ])--?[a-z][a-z-]*' | tr -d '[ ' | sort -u | tr '\n' ' '
}
readme_opts() { # VERB
	sed -n '/^## Commands/,/^- /p' README.md |
		awk -v v="$1" '/^casshield / { u = ($2 == v) } /^casshield |^ / { if (u) print }' |
		grep -oE '(^|[][ ])--?[a-z][a-z-]*' | tr -d '[ ' | sort -u | tr '\n' ' '
}
man_opts() { # VERB
	sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' docs/casshield.8 | sed 's/\\-/-/g' |
		awk -v v="$1" '/^\.B casshield / { u = ($3 == v) } /^\.br/ { u = 0 } u' |
		grep -oE '(^|[][ ])--?[a-z][a-z-]*' | tr -d '[ ' | sort -u | tr '\n' ' '
}
for verb in $VERBS; do
	check_eq "README names the options of $verb --help" "$(help_opts "$verb")" "$(readme_opts "$verb")"
	check_eq "the man page names the options of $verb --help" "$(help_opts "$verb")" "$(man_opts "$verb")"
done
for cmd in "status" "stats" "limits show" "allow list" "check" "apply" "run" "confirm" "metrics" "unload x" "load x"; do
	words=${cmd% x} # load and unload take an IFACE
	check_cmd "$cmd: unknown option" 2 "^casshield: $words: unknown option '--frob' \(see 'casshield ${cmd%% *} --help'\)$" -- "$B" $cmd --frob
	check_cmd "$cmd: unknown short option" 2 "^casshield: $words: unknown option '-q'" -- "$B" $cmd -q
done
for cmd in "status" "stats" "limits show" "allow list" "check" "apply" "run" "confirm" "metrics"; do
	check_cmd "$cmd: unexpected argument" 2 "^casshield: $cmd: unexpected argument 'extra' \(see 'casshield ${cmd%% *} --help'\)$" -- "$B" $cmd extra
done
check_cmd "unload: unexpected argument" 2 "^casshield: unload: unexpected argument 'b'" -- "$B" unload a b
check_cmd "load: unexpected argument" 2 "^casshield: load: unexpected argument 'b'" -- "$B" load a b --mode skb
check_cmd "allow del: unexpected argument" 2 "^casshield: allow del: unexpected argument '192.0.2.2'" -- "$B" allow del 192.0.2.1 192.0.2.2
check_cmd "allow add: unexpected argument" 2 "^casshield: allow add: unexpected argument '192.0.2.2'" -- "$B" allow add 192.0.2.1 192.0.2.2
check_cmd "unload without IFACE" 2 "^casshield: unload: missing IFACE \(see 'casshield unload --help'\)$" -- "$B" unload
check_cmd "allow del without CIDR" 2 "^casshield: allow del: missing CIDR" -- "$B" allow del -i "$IF"
check_cmd "short option without its value" 2 "^casshield: status: option -i needs a value$" -- "$B" status -i
check_cmd "long option without its value" 2 "^casshield: stats: option --watch needs a value$" -- "$B" stats --watch
check_cmd "long option without its value (load)" 2 "^casshield: load: option --ports needs a value$" -- "$B" load "$IF" --ports
check_cmd "number option without its value" 2 "^casshield: apply: option --confirm needs a value$" -- "$B" apply --confirm
check_cmd "a flag given a value" 2 "^casshield: status: option --json takes no value$" -- "$B" status --json=yes
check_cmd "an option of another sub-verb" 2 "^casshield: allow list: option '--name' does not apply \(see 'casshield allow --help'\)$" -- "$B" allow list --name a
check_cmd "an option of another sub-verb (add)" 2 "option '--json' does not apply" -- "$B" allow add 192.0.2.1 --json
check_cmd "apply's options are not run's" 2 "^casshield: run: unknown option '--prune'" -- "$B" run --prune
check_cmd "a bad number names its option" 2 "^casshield: load: --max-rules: invalid number '0x10'" -- "$B" load "$IF" --max-rules 0x10
check_cmd "a bad rate names its option" 2 "^casshield: limits set: --hello-burst: " -- "$B" limits set --hello-burst lots

# load: input errors first, then requests that cannot be carried out
check_cmd "load without IFACE" 2 "missing IFACE" -- "$B" load
check_cmd "load with bad mode" 2 "invalid mode 'turbo'" -- "$B" load "$IF" --mode turbo
check_cmd "load with port 0" 2 "invalid port '0'" -- "$B" load "$IF" --ports 0
check_cmd "load with port 70000" 2 "invalid port '70000'" -- "$B" load "$IF" --ports 70000
check_cmd "load with unknown protocol" 2 "invalid port '443/sctp'" -- "$B" load "$IF" --ports 443/sctp
check_cmd "load with empty port item" 2 "empty item" -- "$B" load "$IF" --ports 443,,80
check_cmd "load with duplicate port" 2 "listed twice" -- "$B" load "$IF" --ports 443,443/tcp
check_cmd "load with unknown option" 2 "unknown option" -- "$B" load "$IF" --turbo
check_cmd "load a missing interface" 1 "no such interface: nosuch0" -- "$B" load nosuch0
check_eq "a refused load leaves no pins" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null | grep -x "$IF")"

# another XDP program already on the interface
bpftool prog load build/shield.bpf.o /sys/fs/bpf/cascli_other type xdp 2>/dev/null
bpftool net attach xdpgeneric pinned /sys/fs/bpf/cascli_other dev "$IF" 2>/dev/null
check_cmd "load over another XDP program" 1 "already has an XDP program" -- "$B" load "$IF" --mode skb
check_eq "the refused load left no pins" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null | grep -x "$IF")"
bpftool net detach xdpgeneric dev "$IF" 2>/dev/null
rm -f /sys/fs/bpf/cascli_other
check_cmd "load with --max-rules 0" 2 "--max-rules" -- "$B" load "$IF" --max-rules 0

check_cmd "load" 0 "" -- "$B" load "$IF" --ports 443,80/tcp,53/udp --mode skb
check_cmd "load twice" 1 "already shielded" -- "$B" load "$IF"
check_cmd "-v before the verb" 0 "" -- "$B" -v status -i "$IF"
check_cmd "allow add proxy" 0 "" -- "$B" allow add 198.51.100.10 -i "$IF" --name proxy-a --ports 443
check_cmd "allow add v6 net" 0 "" -- "$B" allow add 2001:db8:10::/48 -i "$IF" --ports 80,53/udp
before=$(snapshot)

check_cmd "bad CIDR: octet" 2 "invalid CIDR '300.1.1.1/24'" -- "$B" allow add 300.1.1.1/24 -i "$IF"
check_cmd "bad CIDR: length" 2 "invalid CIDR '198.51.100.0/33'" -- "$B" allow add 198.51.100.0/33 -i "$IF"
check_cmd "bad CIDR: v6 length" 2 "invalid CIDR" -- "$B" allow add 2001:db8::/129 -i "$IF"
check_cmd "bad CIDR: host bits" 2 "bits set beyond /24" -- "$B" allow add 198.51.100.1/24 -i "$IF"
check_cmd "bad CIDR: text" 2 "invalid CIDR 'proxy'" -- "$B" allow add proxy -i "$IF"
check_cmd "bad CIDR: trailing junk" 2 "invalid CIDR" -- "$B" allow add 198.51.100.0/24x -i "$IF"
check_cmd "bad rule ports" 2 "invalid port" -- "$B" allow add 198.51.100.0/24 -i "$IF" --ports https
check_cmd "bad rule name" 2 "invalid name" -- "$B" allow add 198.51.100.0/24 -i "$IF" --name 'a b'
check_cmd "allow without sub-verb" 2 "missing sub-verb" -- "$B" allow
check_cmd "allow unknown sub-verb" 2 "unknown sub-verb" -- "$B" allow frob
check_cmd "allow add without CIDR" 2 "missing CIDR" -- "$B" allow add -i "$IF"
check_cmd "allow del with --ports" 2 "does not apply" -- "$B" allow del 198.51.100.10 -i "$IF" --ports 443
check_cmd "rule on an unprotected port" 1 "port 22/tcp is not protected" -- "$B" allow add 198.51.100.0/24 -i "$IF" --ports 22
check_cmd "duplicate rule" 1 "198.51.100.10/32 already has a rule" -- "$B" allow add 198.51.100.10/32 -i "$IF"
check_cmd "delete a missing rule" 1 "no rule for 198.51.100.11/32" -- "$B" allow del 198.51.100.11 -i "$IF"
check_cmd "delete a covering prefix that has no rule" 1 "no rule for 198.51.100.0/24" -- "$B" allow del 198.51.100.0/24 -i "$IF"
check_cmd "verb on an interface that is not shielded" 1 "lo is not shielded" -- "$B" allow add 192.0.2.1 -i lo
check_cmd "stats on an interface that is not shielded" 1 "not shielded" -- "$B" stats -i lo
check_cmd "unload an interface that is not shielded" 1 "lo is not shielded" -- "$B" unload lo

# handshake limits and binding: input errors
check_cmd "rate with an unknown unit" 2 "unknown unit 'x'" -- "$B" allow add 198.51.100.0/24 -i "$IF" --syn-rate 10x
check_cmd "rate per minute is not a unit" 2 "unknown unit '/min'" -- "$B" allow add 198.51.100.0/24 -i "$IF" --hello-rate 10/min
check_cmd "zero burst with a rate" 2 "burst must be at least 1" -- "$B" allow add 198.51.100.0/24 -i "$IF" --syn-rate 100 --syn-burst 0
check_cmd "burst without a rate" 2 "burst given without a rate" -- "$B" allow add 198.51.100.0/24 -i "$IF" --source-syn-burst 5
check_cmd "bad MAC" 2 "invalid MAC '02:00:00:00:01'" -- "$B" allow add 198.51.100.0/24 -i "$IF" --mac 02:00:00:00:01
check_cmd "TTL 0" 2 "invalid TTL window '0'" -- "$B" allow add 198.51.100.0/24 -i "$IF" --ttl 0
check_cmd "TTL 256" 2 "invalid TTL window" -- "$B" allow add 198.51.100.0/24 -i "$IF" --ttl 60-256
check_cmd "TTL window reversed" 2 "invalid TTL window '70-60'" -- "$B" allow add 198.51.100.0/24 -i "$IF" --ttl 70-60
check_cmd "limits: unknown TLS version" 2 "unknown TLS version '1.4'" -- "$B" limits set -i "$IF" --min-tls 1.4
check_cmd "limits: nothing to set" 2 "nothing to set" -- "$B" limits set -i "$IF"
check_cmd "limits: burst without a rate" 2 "burst given without a rate" -- "$B" limits set -i "$IF" --syn-burst 10
check_cmd "limits: zero burst" 2 "burst must be at least 1" -- "$B" limits set -i "$IF" --hello-rate 5 --hello-burst 0
check_cmd "limits: unknown unit" 2 "unknown unit" -- "$B" limits set -i "$IF" --syn-rate 5/h
check_cmd "limits: rule options do not apply" 2 "unknown option" -- "$B" limits set -i "$IF" --source-syn-rate 5
check_cmd "limits: missing sub-verb" 2 "missing sub-verb" -- "$B" limits
check_cmd "limits on an interface that is not shielded" 1 "lo is not shielded" -- "$B" limits set -i lo --syn-rate 5
check_cmd "--replace of a missing rule" 1 "no rule for 198.51.100.99/32" -- "$B" allow add 198.51.100.99 -i "$IF" --replace
check_eq "refused commands changed nothing" "$before" "$(snapshot)"
check_eq "refused limits changed nothing" '{"interface":"'"$IF"'","syn_rate":0,"syn_burst":0,"hello_rate":0,"hello_burst":0,"min_tls":"off","syn_proxy":false,"synack_rate":1000000,"synack_burst":1000000}' "$("$B" limits show -i "$IF" --json | jq -c .)"

# handshake limits and binding: accepted
check_cmd "allow add with limits and binding" 0 "" -- "$B" allow add 198.51.100.64/26 -i "$IF" --name limited --syn-rate 2k --syn-burst 4000 --source-syn-rate 10/s --hello-rate 500 --mac 02:00:00:00:00:01 --ttl 60-64
check_eq "allow list shows limits and binding" '{"syn_rate":2000,"syn_burst":4000,"source_syn_rate":10,"source_syn_burst":10,"hello_rate":500,"hello_burst":500,"mac":"02:00:00:00:00:01","ttl":"60-64"}' \
	"$("$B" allow list -i "$IF" --json | jq -c '.rules[] | select(.name == "limited") | {syn_rate, syn_burst, source_syn_rate, source_syn_burst, hello_rate, hello_burst, mac, ttl}')"
check_match "allow list (text) shows limits and binding" "syn 2000/s burst 4000, source-syn 10/s burst 10, hello 500/s burst 500, mac 02:00:00:00:00:01, ttl 60-64" "$("$B" allow list -i "$IF")"
check_cmd "allow add --replace changes a rule in place" 0 "" -- "$B" allow add 198.51.100.64/26 -i "$IF" --name limited --syn-rate 300 --ttl 64 --replace
check_eq "replaced rule" '[300,300,0,null,"64"]' "$("$B" allow list -i "$IF" --json | jq -c '.rules[] | select(.name == "limited") | [.syn_rate, .syn_burst, .hello_rate, .mac, .ttl]')"
check_cmd "limits set" 0 "" -- "$B" limits set -i "$IF" --syn-rate 20000 --syn-burst 40000 --hello-rate 5000 --min-tls 1.2
check_cmd "limits set one value" 0 "" -- "$B" limits set -i "$IF" --hello-burst 10000
check_eq "limits show --json" '{"interface":"'"$IF"'","syn_rate":20000,"syn_burst":40000,"hello_rate":5000,"hello_burst":10000,"min_tls":"1.2","syn_proxy":false,"synack_rate":1000000,"synack_burst":1000000}' "$("$B" limits show -i "$IF" --json | jq -c .)"
check_match "limits show (text)" "min TLS: 1.2" "$("$B" limits show -i "$IF")"
check_eq "limits set left the rules alone" '[300,300]' "$("$B" allow list -i "$IF" --json | jq -c '.rules[] | select(.name == "limited") | [.syn_rate, .syn_burst]')"
check_cmd "limits set --min-tls off" 0 "" -- "$B" limits set -i "$IF" --min-tls off --syn-rate 0
check_eq "limits off" '[0,0,"off"]' "$("$B" limits show -i "$IF" --json | jq -c '[.syn_rate, .syn_burst, .min_tls]')"
check_cmd "allow del limited" 0 "" -- "$B" allow del 198.51.100.64/26 -i "$IF"

# no root: the binary run as nobody
NOBODY_DIR=$(mktemp -d)
chmod 755 "$NOBODY_DIR"
install -m 0755 "$B" "$NOBODY_DIR/casshield"
check_cmd "status without privileges" 1 "permission denied" -- setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$NOBODY_DIR/casshield" status
check_cmd "load without privileges" 1 "permission denied" -- setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$NOBODY_DIR/casshield" load "$PEER"
check_eq "unprivileged commands changed nothing" "$before" "$(snapshot)"

# read verbs
status=$("$B" status -i "$IF" --json)
check_eq "status --json interface" "$IF" "$(jq -r .interface <<<"$status")"
check_eq "status --json attached" "true" "$(jq -r .attached <<<"$status")"
check_eq "status --json mode" "skb" "$(jq -r .mode <<<"$status")"
check_eq "status --json ports" '["443/tcp","80/tcp","53/udp"]' "$(jq -c .ports <<<"$status")"
check_eq "status --json rules" '{"ipv4":1,"ipv6":1}' "$(jq -c .rules <<<"$status")"
check_eq "status without -i on the only shielded interface" "$IF" "$("$B" status --json | jq -r .interface)"
list=$("$B" allow list --json)
check_eq "allow list without -i" "$IF" "$(jq -r .interface <<<"$list")"
check_eq "allow list rules" '[["198.51.100.10/32","proxy-a",["443/tcp"],0],["2001:db8:10::/48","",["80/tcp","53/udp"],0]]' \
	"$(jq -c '[.rules[] | [.cidr, .name, .ports, .hits]]' <<<"$list")"
stats=$("$B" stats -i "$IF" --json)
check_eq "stats --json interface" "$IF" "$(jq -r .interface <<<"$stats")"
check_eq "stats --json lists every pair" \
	"pass/allowed pass/unprotected pass/control pass/fragment drop/not_allowed would_drop/not_allowed drop/malformed would_drop/malformed drop/syn_rate_rule would_drop/syn_rate_rule drop/syn_rate_source would_drop/syn_rate_source drop/syn_rate_global would_drop/syn_rate_global drop/hello_rate would_drop/hello_rate drop/tls_version would_drop/tls_version drop/spoofed would_drop/spoofed tx/syn_cookie_sent drop/syn_cookie_rate would_drop/syn_cookie_rate drop/cookie_invalid would_drop/cookie_invalid pass/cookie_valid" \
	"$(jq -r '[.counters[] | "\(.action)/\(.reason)"] | join(" ")' <<<"$stats")"
check_eq "stats --json fields" '["action","bytes","packets","reason"]' "$(jq -c '.counters[0] | keys' <<<"$stats")"

# bulk rules from a file: all or nothing, the failing line named
printf '# proxies\n203.0.113.1 --name bulk-a --ports 443\n\n203.0.113.2 --syn-rate 5\n2001:db8:77::/48\n' > "$NOBODY_DIR/rules.txt"
check_cmd "allow add --file" 0 "" -- "$B" allow add -i "$IF" --file "$NOBODY_DIR/rules.txt"
check_eq "the file's rules are in" '["2001:db8:77::/48","203.0.113.1/32","203.0.113.2/32"]' "$("$B" allow list -i "$IF" --json | jq -c '[.rules[].cidr | select(startswith("203.0.113") or startswith("2001:db8:77"))] | sort')"
before_bulk=$(snapshot)
printf '203.0.113.50\n203.0.113.51 --ports 22\n' > "$NOBODY_DIR/bad-port.txt"
check_cmd "--file: an unprotected port names its line" 1 "bad-port.txt:2: port 22/tcp is not protected" -- "$B" allow add -i "$IF" --file "$NOBODY_DIR/bad-port.txt"
printf '203.0.113.60\n203.0.113.61/33\n' > "$NOBODY_DIR/bad-cidr.txt"
check_cmd "--file: a bad CIDR names its line" 2 "bad-cidr.txt:2: invalid CIDR '203.0.113.61/33'" -- "$B" allow add -i "$IF" --file "$NOBODY_DIR/bad-cidr.txt"
printf '203.0.113.70\n203.0.113.1\n' > "$NOBODY_DIR/dup.txt"
check_cmd "--file: an existing rule names its line" 1 "dup.txt:2: 203.0.113.1/32 already has a rule" -- "$B" allow add -i "$IF" --file "$NOBODY_DIR/dup.txt"
printf '203.0.113.71\n203.0.113.72\n203.0.113.72\n203.0.113.71\n' > "$NOBODY_DIR/repeat.txt"
check_cmd "--file: the first repeat in file order names its line" 1 "repeat.txt:3: 203.0.113.72/32 already has a rule" -- "$B" allow add -i "$IF" --file "$NOBODY_DIR/repeat.txt"
check_eq "--file: a repeat adds nothing" "$before_bulk" "$(snapshot)"
check_cmd "--file with a CIDR too" 2 "unexpected argument '203.0.113.9'" -- "$B" allow add -i "$IF" 203.0.113.9 --file "$NOBODY_DIR/dup.txt"
check_eq "refused files added nothing" "$before_bulk" "$(snapshot)"
check_cmd "allow add --file - (stdin)" 0 "" -- sh -c "printf '203.0.113.80\n' | '$B' allow add -i '$IF' --file -"
before_opts=$(snapshot)
printf '203.0.113.90 -i %s\n' "$IF" > "$NOBODY_DIR/iface.txt"
check_cmd "--file: an option that does not apply names its line" 2 "iface.txt:1: option '--interface' does not apply" -- "$B" allow add -i "$IF" --file "$NOBODY_DIR/iface.txt"
printf '203.0.113.91 --frob\n' > "$NOBODY_DIR/frob.txt"
check_cmd "--file: an unknown option names its line" 2 "frob.txt:1: unknown option '--frob' \(see 'casshield allow --help'\)" -- "$B" allow add -i "$IF" --file "$NOBODY_DIR/frob.txt"
printf '203.0.113.92 --name\n' > "$NOBODY_DIR/novalue.txt"
check_cmd "--file: a missing value names its line" 2 "novalue.txt:1: option --name needs a value" -- "$B" allow add -i "$IF" --file "$NOBODY_DIR/novalue.txt"
check_cmd "--file with rule options" 2 "give only -i with it" -- "$B" allow add -i "$IF" --file "$NOBODY_DIR/dup.txt" --syn-rate 5
check_eq "refused option lines added nothing" "$before_opts" "$(snapshot)"
for c in 203.0.113.1 203.0.113.2 2001:db8:77::/48 203.0.113.80; do "$B" allow del "$c" -i "$IF"; done

# getopt's forms: options after operands, --opt=value, -iIFACE, "--" ends the options.
check_cmd "options after the operand, --opt=value" 0 "" -- "$B" allow add 203.0.113.93 --name=eq-form -i"$IF" --ports=443
check_eq "the rule has them" '["203.0.113.93/32","eq-form",["443/tcp"]]' "$("$B" allow list -i "$IF" --json | jq -c '.rules[] | select(.name == "eq-form") | [.cidr, .name, .ports]')"
check_cmd "-- ends the options" 0 "" -- "$B" allow del -i "$IF" -- 203.0.113.93
check_cmd "a rule on every protected port" 0 "" -- "$B" allow add 203.0.113.94 -i "$IF"
check_eq "allow list --json: every port is \"all\"" '"all"' "$("$B" allow list -i "$IF" --json | jq -c '.rules[] | select(.cidr == "203.0.113.94/32") | .ports')"
check_match "allow list: every port is all" "203.0.113.94/32 +- +all " "$("$B" allow list -i "$IF")"
check_cmd "allow del that rule" 0 "" -- "$B" allow del 203.0.113.94 -i "$IF"

check_cmd "allow del" 0 "" -- "$B" allow del 198.51.100.10/32 -i "$IF"
check_eq "rule gone" '["2001:db8:10::/48"]' "$("$B" allow list -i "$IF" --json | jq -c '[.rules[].cidr]')"
check_cmd "unload" 0 "" -- "$B" unload "$IF"
check_eq "unload removes the pins" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null | grep -x "$IF")"
check_eq "unload detaches" "" "$(ip -d link show "$IF" | grep -o 'prog/xdp')"
check_cmd "unload twice" 1 "not shielded" -- "$B" unload "$IF"
check_cmd "no interface shielded: allow list without -i" 1 "no interface is shielded" -- "$B" allow list

# State left by another version: a pin under a name this build does not
# know (maps renamed since), and a map this build expects that is missing.
# The verbs say so, and unload still removes everything.
DIR=/sys/fs/bpf/casshield/$IF
check_cmd "load again" 0 "" -- "$B" load "$IF" --mode skb
bpftool map pin pinned "$DIR/cas_prefix4_g1" "$DIR/cas_rules_v4_g1"
rm "$DIR/cas_prefix4_g1"
check_cmd "a missing pinned map is named, with what to do" 1 \
	"pinned map $DIR/cas_prefix4_g1 is missing: the state was left by another casshield version; unload and load again" \
	-- "$B" status -i "$IF"
check_cmd "unload removes pins it does not know" 0 "" -- "$B" unload "$IF"
check_eq "no pin directory left" "" "$(ls /sys/fs/bpf/casshield 2>/dev/null | grep -x "$IF")"
check_cmd "load after that" 0 "" -- "$B" load "$IF" --mode skb
check_cmd "and unload" 0 "" -- "$B" unload "$IF"

# A load under way (or one that failed or was killed before it pinned
# anything) holds only the directory: status says so, never "another version".
mkdir -p "$DIR"
out=$("$B" status -i "$IF" 2>&1)
check_match "status during a load says no shield is there yet" "holds no shield yet: a load is under way, or one failed or was interrupted" "$out"
check_eq "status during a load does not blame another version" "" "$(grep -o 'another casshield version' <<<"$out")"
check_cmd "unload clears an interrupted load" 0 "" -- "$B" unload "$IF"

# --config: the long form, its letter and --config=FILE read the same file.
printf 'interfaces:\n  - name: %s\n    ports: [443/tcp]\n' "$IF" > "$NOBODY_DIR/c.yaml"
chmod 600 "$NOBODY_DIR/c.yaml"
want=$("$B" check --config "$NOBODY_DIR/c.yaml")
check_match "check --config" "$IF" "$want"
check_eq "check -c" "$want" "$("$B" check -c "$NOBODY_DIR/c.yaml")"
check_eq "check --config=FILE" "$want" "$("$B" check --config="$NOBODY_DIR/c.yaml")"

# JSON strings are escaped by the library: an interface name with a quote
# and a backslash (the kernel allows both) round-trips through jq.
check_cmd "load an interface whose name needs escaping" 0 "" -- "$B" load "$QIF" --mode skb
check_cmd "a rule on it" 0 "" -- "$B" allow add 192.0.2.1 -i "$QIF"
check_cmd "load a second interface" 0 "" -- "$B" load "$IF" --mode skb
check_eq "status --json: interface" "$QIF" "$("$B" status -i "$QIF" --json | jq -r .interface)"
check_eq "status --json: pin_dir" "/sys/fs/bpf/casshield/$QIF" "$("$B" status -i "$QIF" --json | jq -r .pin_dir)"
check_eq "status --json, two interfaces: both listed" "true" \
	"$("$B" status --json | jq --arg a "$IF" --arg b "$QIF" '[.interfaces[].interface] | (index([$a]) != null) and (index([$b]) != null)')"
check_eq "allow list --json: interface" "$QIF" "$("$B" allow list -i "$QIF" --json | jq -r .interface)"
check_eq "allow list --json: rule" '[["192.0.2.1/32","ipv4","","all",0,null,null]]' \
	"$("$B" allow list -i "$QIF" --json | jq -c '[.rules[] | [.cidr, .family, .name, .ports, .hits, .mac, .ttl]]')"
check_eq "stats --json: interface" "$QIF" "$("$B" stats -i "$QIF" --json | jq -r .interface)"
check_eq "limits show --json: interface" "$QIF" "$("$B" limits show -i "$QIF" --json | jq -r .interface)"
check_cmd "unload it" 0 "" -- "$B" unload "$QIF"
check_cmd "unload the second" 0 "" -- "$B" unload "$IF"
tap_done
