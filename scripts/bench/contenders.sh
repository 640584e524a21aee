# SPDX-License-Identifier: GPL-2.0
# contenders.sh - what receives the flood on $BENCH_RX, each with the same
# policy: 443/tcp protected, open only to the allowlist below. For each
# contender NAME: contender_up NAME, contender_counts NAME ("seen dropped":
# frames its own counters saw, and dropped), contender_down NAME.
# Sourced by run.sh after lab.sh.
#
#   shield      casshield, native XDP
#   xdp_drop    a counting XDP_DROP program: the ceiling
#   xdp_filter  xdp-filter (Debian xdp-tools), deny by default, source rules
#   nft_netdev  nftables, netdev ingress chain, interval-set allowlist
#   nft_inet    nftables, inet prerouting (raw priority), interval sets and a
#               per-source SYN limit meter for the allowed
#   iptables    iptables and ip6tables (nf_tables backend on Debian 12),
#               raw PREROUTING, one RETURN per allowed prefix, then DROP
#
# The netfilter contenders also get a counting XDP_PASS program on the
# receiver: it counts the frames that reached the interface, and it makes
# veth run the NAPI receive path that XDP_TX'd frames need (without XDP or
# GRO on the peer, veth drops them before any hook sees them).

BENCH_CONTENDERS=(shield xdp_drop xdp_filter nft_netdev nft_inet iptables)
BENCH_ALLOW4=(198.51.100.10 198.51.100.20 192.0.2.128/25)
BENCH_ALLOW6=(2001:db8:10::/48)
# xdp-filter matches exact addresses only: the hosts of the list above.
BENCH_ALLOW_HOSTS=(198.51.100.10 198.51.100.20 2001:db8:10::10)
BENCH_SYN_LIMIT=100 # per second and burst, the nft meter's limit
BENCH_RAW4_EXISTED=
BENCH_RAW6_EXISTED=

declare -A BENCH_LABEL=(
	[shield]="casshield"
	[xdp_drop]="XDP_DROP + count (ceiling)"
	[xdp_filter]="xdp-filter"
	[nft_netdev]="nftables netdev ingress"
	[nft_inet]="nftables inet + SYN meter"
	[iptables]="iptables raw PREROUTING"
)

bench_join() { local IFS=,; echo "$*"; }

# --- casshield ---
# BENCH_SHIELD_RULES: a rule file to load as well (allow add --file);
# BENCH_SHIELD_SYN_PROXY=1: with the SYN proxy (scripts/bench/synproxy.sh).
contender_up_shield() {
	local cidr max_rules=() syn_proxy=()
	[ -n "${BENCH_SHIELD_MAX_RULES:-}" ] && max_rules=(--max-rules "$BENCH_SHIELD_MAX_RULES")
	[ -n "${BENCH_SHIELD_SYN_PROXY:-}" ] && syn_proxy=(--syn-proxy)
	"$CASSHIELD" load "$BENCH_RX" --ports 443 "${max_rules[@]}" "${syn_proxy[@]}" >/dev/null
	for cidr in "${BENCH_ALLOW4[@]}" "${BENCH_ALLOW6[@]}"; do
		"$CASSHIELD" allow add "$cidr" -i "$BENCH_RX" >/dev/null
	done
	if [ -n "${BENCH_SHIELD_RULES:-}" ]; then
		"$CASSHIELD" allow add -i "$BENCH_RX" --file "$BENCH_SHIELD_RULES" >/dev/null
	fi
}
contender_counts_shield() {
	"$CASSHIELD" stats -i "$BENCH_RX" --json |
		jq -r '[([.counters[].packets] | add), ([.counters[] | select(.action == "drop") | .packets] | add)] | "\(.[0]) \(.[1])"'
}
contender_down_shield() { "$CASSHIELD" unload "$BENCH_RX" >/dev/null 2>&1 || true; }

# --- the ceiling and the XDP_PASS counter ---
bench_attach_counter() { # OBJ PROGRAM
	mkdir -p "$BENCH_PIN/progs" "$BENCH_PIN/maps"
	bpftool prog loadall "$1" "$BENCH_PIN/progs" type xdp pinmaps "$BENCH_PIN/maps"
	bpftool net attach xdpdrv pinned "$BENCH_PIN/progs/$2" dev "$BENCH_RX"
}
bench_detach_counter() {
	bpftool net detach xdpdrv dev "$BENCH_RX" 2>/dev/null || true
	rm -rf "$BENCH_PIN/progs" "$BENCH_PIN/maps"
}
bench_counter_seen() { bench_pinned_counter "$BENCH_PIN/maps/bench_seen"; }

contender_up_xdp_drop() { bench_attach_counter "$BENCH_BIN/drop_count.bpf.o" bench_drop_count; }
contender_counts_xdp_drop() { local n; n=$(bench_counter_seen); echo "$n $n"; }
contender_down_xdp_drop() { bench_detach_counter; }

# --- xdp-filter ---
contender_up_xdp_filter() {
	local addr
	xdp-filter load --policy deny --features ipv4,ipv6 --mode native "$BENCH_RX"
	for addr in "${BENCH_ALLOW_HOSTS[@]}"; do
		xdp-filter ip "$addr" --mode src
	done
}
contender_counts_xdp_filter() {
	xdp-filter status | awk '
		/^ *XDP_(ABORTED|DROP|PASS) / { seen += $2 }
		/^ *XDP_DROP / { dropped = $2 }
		END { print seen + 0, dropped + 0 }'
}
contender_down_xdp_filter() { xdp-filter unload "$BENCH_RX" >/dev/null 2>&1 || xdp-filter unload --all >/dev/null 2>&1 || true; }

# --- nftables ---
bench_nft_counters() { # FAMILY: packets of the ruleset's drop counters
	nft -j list table "$1" csbench |
		jq '[.nftables[] | select(.rule) | .rule.expr as $e | select($e | any(has("drop"))) | $e[] | select(.counter) | .counter.packets] | add // 0'
}

contender_up_nft_netdev() {
	bench_attach_counter "$BENCH_BIN/pass.bpf.o" bench_pass_count
	nft -f - <<-EOF
	table netdev csbench {
		set allow4 { type ipv4_addr; flags interval; elements = { $(bench_join "${BENCH_ALLOW4[@]}") } }
		set allow6 { type ipv6_addr; flags interval; elements = { $(bench_join "${BENCH_ALLOW6[@]}") } }
		chain ingress {
			type filter hook ingress device "$BENCH_RX" priority -500; policy accept;
			tcp dport 443 ip saddr != @allow4 counter drop
			tcp dport 443 ip6 saddr != @allow6 counter drop
		}
	}
	EOF
}
contender_counts_nft_netdev() { echo "$(bench_counter_seen) $(bench_nft_counters netdev)"; }
contender_down_nft_netdev() { nft delete table netdev csbench 2>/dev/null || true; bench_detach_counter; }

contender_up_nft_inet() {
	bench_attach_counter "$BENCH_BIN/pass.bpf.o" bench_pass_count
	nft -f - <<-EOF
	table inet csbench {
		set allow4 { type ipv4_addr; flags interval; elements = { $(bench_join "${BENCH_ALLOW4[@]}") } }
		set allow6 { type ipv6_addr; flags interval; elements = { $(bench_join "${BENCH_ALLOW6[@]}") } }
		chain prerouting {
			type filter hook prerouting priority raw; policy accept;
			iifname "$BENCH_RX" tcp dport 443 ip saddr != @allow4 counter drop
			iifname "$BENCH_RX" tcp dport 443 ip6 saddr != @allow6 counter drop
			iifname "$BENCH_RX" tcp dport 443 tcp flags & (syn | ack) == syn meter synlimit4 { ip saddr limit rate over $BENCH_SYN_LIMIT/second burst $BENCH_SYN_LIMIT packets } counter drop
			iifname "$BENCH_RX" tcp dport 443 tcp flags & (syn | ack) == syn meter synlimit6 { ip6 saddr limit rate over $BENCH_SYN_LIMIT/second burst $BENCH_SYN_LIMIT packets } counter drop
		}
	}
	EOF
}
contender_counts_nft_inet() { echo "$(bench_counter_seen) $(bench_nft_counters inet)"; }
contender_down_nft_inet() { nft delete table inet csbench 2>/dev/null || true; bench_detach_counter; }

# --- iptables ---
bench_iptables_for() { # CMD PREFIX...: the allowlist chain of one family
	local cmd=$1 prefix
	shift
	"$cmd" -t raw -N CSBENCH
	for prefix in "$@"; do
		"$cmd" -t raw -A CSBENCH -s "$prefix" -j RETURN
	done
	"$cmd" -t raw -A CSBENCH -j DROP
	"$cmd" -t raw -A PREROUTING -i "$BENCH_RX" -p tcp --dport 443 -j CSBENCH
}
bench_iptables_drops() { # CMD
	"$1" -t raw -L CSBENCH -v -x -n 2>/dev/null | awk '$3 == "DROP" { n += $1 } END { print n + 0 }'
}
bench_iptables_clear() { # CMD TABLE-FAMILY EXISTED-BEFORE
	"$1" -t raw -D PREROUTING -i "$BENCH_RX" -p tcp --dport 443 -j CSBENCH 2>/dev/null || true
	"$1" -t raw -F CSBENCH 2>/dev/null || true
	"$1" -t raw -X CSBENCH 2>/dev/null || true
	# iptables-nft leaves its raw table (an empty base chain, still a
	# hook every later packet crosses) behind: remove it if we made it.
	if [ -z "$3" ]; then nft delete table "$2" raw 2>/dev/null || true; fi
}
contender_up_iptables() {
	bench_attach_counter "$BENCH_BIN/pass.bpf.o" bench_pass_count
	nft list table ip raw >/dev/null 2>&1 && BENCH_RAW4_EXISTED=1
	nft list table ip6 raw >/dev/null 2>&1 && BENCH_RAW6_EXISTED=1
	bench_iptables_for iptables "${BENCH_ALLOW4[@]}"
	bench_iptables_for ip6tables "${BENCH_ALLOW6[@]}"
}
contender_counts_iptables() {
	echo "$(bench_counter_seen) $(($(bench_iptables_drops iptables) + $(bench_iptables_drops ip6tables)))"
}
contender_down_iptables() {
	bench_iptables_clear iptables ip "$BENCH_RAW4_EXISTED"
	bench_iptables_clear ip6tables ip6 "$BENCH_RAW6_EXISTED"
	bench_detach_counter
}

# contender_describe NAME: the contender's configuration as the kernel
# holds it, for the report.
contender_describe() {
	case $1 in
	shield)
		echo "casshield load $BENCH_RX --ports 443"
		"$CASSHIELD" allow list -i "$BENCH_RX" | sed 's/^/  /'
		;;
	xdp_drop)
		echo "bpftool prog loadall drop_count.bpf.o DIR type xdp; bpftool net attach xdpdrv pinned DIR/bench_drop_count dev $BENCH_RX"
		;;
	xdp_filter)
		echo "xdp-filter load --policy deny --features ipv4,ipv6 --mode native $BENCH_RX"
		printf 'xdp-filter ip %s --mode src\n' "${BENCH_ALLOW_HOSTS[@]}"
		;;
	nft_netdev) nft list table netdev csbench ;;
	nft_inet) nft list table inet csbench ;;
	iptables)
		iptables -t raw -S | grep CSBENCH | sed 's/^/iptables -t raw /'
		ip6tables -t raw -S | grep CSBENCH | sed 's/^/ip6tables -t raw /'
		;;
	esac
}

contender_up() { "contender_up_$1"; }
contender_counts() { "contender_counts_$1"; }
contender_down() { "contender_down_$1" >/dev/null 2>&1 || true; }
contender_down_all() {
	local c
	for c in "${BENCH_CONTENDERS[@]}"; do contender_down "$c"; done
}
