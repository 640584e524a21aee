# SPDX-License-Identifier: GPL-2.0
# synproxy.sh - section synproxy of run.sh (docs/synproxy.md): how many
# SYN-ACKs per second casshield's SYN proxy sends from XDP, against
# netfilter's SYNPROXY alone, and what the switch costs the shield's
# program (bench_synproxy). Sourced by run.sh after lab.sh and
# contenders.sh.
#
#   [gen_live: SYNs, one allowed source, random ports] -> $BENCH_GEN ==veth== $BENCH_RX [contender]
#   [synack_count: counts SYN-ACKs, drops all]         <- $BENCH_GEN ==veth== $BENCH_RX (SYN-ACKs)
#
#   syn_xdp  casshield load --syn-proxy (native XDP), SYN-ACK cap off: the
#            program answers with XDP_TX
#   syn_nft  no shield: the nftables table casshield installs, copied from
#            a load, and the counting XDP_PASS program that veth needs on
#            the receiver; netfilter's SYNPROXY answers through the stack
#
# The stack answers only SYNs to a local address, and sends the SYN-ACK
# only where it has a route and a neighbour: for this section the
# receiver holds $BENCH_DST4/24, a route to the client and a permanent
# neighbour entry with the generator's MAC.

SYN_CLIENT=${BENCH_ALLOW4[0]} # the proxy's /32 rule
SYN_SPORTS=32768              # source ports, one per frame, hashed
SYN_PIN=$BENCH_PIN/synack

syn_table() { echo "casshield_synproxy_$BENCH_RX"; }

# syn_send FRAMES: SYNs as a client's, each copy rewritten whole first
# (the XDP contender answers in the page the SYN came in).
syn_send() {
	bench_send "$1" --family 4 --kind syn --src "$SYN_CLIENT" --src-mac "$SYN_GEN_MAC" \
		--sports "$SYN_SPORTS" --checksum --tcp-options linux --restore
}

syn_lab_up() {
	SYN_GEN_MAC=$(cat "/sys/class/net/$BENCH_GEN/address")
	ip addr add "$BENCH_DST4/24" dev "$BENCH_RX"
	ip route add "$SYN_CLIENT/32" dev "$BENCH_RX"
	ip neigh replace "$SYN_CLIENT" lladdr "$SYN_GEN_MAC" dev "$BENCH_RX" nud permanent
	mkdir -p "$SYN_PIN/progs" "$SYN_PIN/maps"
	bpftool prog loadall "$BENCH_BIN/synack_count.bpf.o" "$SYN_PIN/progs" type xdp pinmaps "$SYN_PIN/maps"
	bpftool net attach xdpdrv pinned "$SYN_PIN/progs/bench_synack_count" dev "$BENCH_GEN"
}

# synproxy_cleanup: whatever the section set up, gone (safe to repeat).
synproxy_cleanup() {
	contender_down syn_xdp
	contender_down syn_nft
	bpftool net detach xdpdrv dev "$BENCH_GEN" 2>/dev/null || true
	rm -rf "$SYN_PIN"
	ip neigh del "$SYN_CLIENT" dev "$BENCH_RX" 2>/dev/null || true
	ip route del "$SYN_CLIENT/32" dev "$BENCH_RX" 2>/dev/null || true
	ip addr del "$BENCH_DST4/24" dev "$BENCH_RX" 2>/dev/null || true
}

# syn_synacks: "synacks other", the frames back at the generator's end.
syn_synacks() {
	bpftool -j map dump pinned "$SYN_PIN/maps/bench_synacks" |
		jq -r '[.[] | [.formatted.values[].value] | add] | "\(.[0]) \(.[1])"'
}

# syn_synproxy_received: SYNs netfilter's SYNPROXY answered, all CPUs
# (per-CPU rows of hex counters; 0 before nf_synproxy is loaded).
syn_synproxy_received() {
	local total=0 received
	if [ -r /proc/net/stat/synproxy ]; then
		while read -r _ received _; do
			total=$((total + 16#$received))
		done < <(tail -n +2 /proc/net/stat/synproxy)
	fi
	echo "$total"
}

# --- the contenders: up, counts ("seen answered"), down ---
contender_up_syn_xdp() {
	BENCH_SHIELD_SYN_PROXY=1 contender_up_shield
	"$CASSHIELD" limits set -i "$BENCH_RX" --synack-rate 0 >/dev/null
}
contender_counts_syn_xdp() {
	"$CASSHIELD" stats -i "$BENCH_RX" --json |
		jq -r '[([.counters[].packets] | add), ([.counters[] | select(.reason == "syn_cookie_sent" and .action == "tx") | .packets] | add)] | "\(.[0]) \(.[1])"'
}
contender_down_syn_xdp() { contender_down_shield; }

contender_up_syn_nft() {
	bench_attach_counter "$BENCH_BIN/pass.bpf.o" bench_pass_count
	nft -f "$RESULTS/synproxy-table.nft"
}
contender_counts_syn_nft() { echo "$(bench_counter_seen) $(syn_synproxy_received)"; }
contender_down_syn_nft() {
	nft delete table inet "$(syn_table)" 2>/dev/null || true
	bench_detach_counter
}

# syn_capture_table: the table as casshield installs it, for syn_nft.
syn_capture_table() {
	"$CASSHIELD" load "$BENCH_RX" --ports 443 --syn-proxy >/dev/null
	nft list table inet "$(syn_table)" >"$RESULTS/synproxy-table.nft"
	"$CASSHIELD" unload "$BENCH_RX" >/dev/null
}

syn_describe() {
	case $1 in
	syn_xdp)
		echo "casshield load $BENCH_RX --ports 443 --syn-proxy; casshield limits set -i $BENCH_RX --synack-rate 0"
		"$CASSHIELD" status -i "$BENCH_RX" | sed -n 's/^ *SYN proxy:/  SYN proxy:/p'
		"$CASSHIELD" allow list -i "$BENCH_RX" | sed 's/^/  /'
		;;
	syn_nft)
		echo "bpftool net attach xdpdrv pinned DIR/bench_pass_count dev $BENCH_RX; nft -f synproxy-table.nft:"
		nft list table inet "$(syn_table)"
		;;
	esac
}

# syn_check SENT SEEN ANSWERED BACK: "ok", or where SYNs or SYN-ACKs went
# missing. Unanswered SYNs are the contender's; the others the bench's.
syn_check() {
	if [ "$2" -ne "$1" ]; then
		echo "lost_$(($1 - $2))"
	elif [ "$3" -ne "$1" ]; then
		echo "unanswered_$(($1 - $3))"
	elif [ "$4" -ne "$3" ]; then
		echo "synacks_lost_$(($3 - $4))"
	else
		echo ok
	fi
}

# measure_synacks TSV ROUND CONTENDER: warm up, then $SYN_FRAMES SYNs;
# appends round, contender, SYNs offered, ns, SYNs offered per second
# (M), SYNs the contender saw and answered (its own counters), SYN-ACKs
# back at the generator's end, SYN-ACKs per second (M), the check.
measure_synacks() {
	local tsv=$1 round=$2 contender=$3 out sent ns check
	local seen0 answered0 back0 seen1 answered1 back1 seen answered back
	syn_send "$SYN_WARMUP" >/dev/null
	read -r seen0 answered0 < <(contender_counts "$contender")
	read -r back0 _ < <(syn_synacks)
	out=$(syn_send "$SYN_FRAMES")
	read -r seen1 answered1 < <(contender_counts "$contender")
	read -r back1 _ < <(syn_synacks)
	sent=$(sed -nE 's/.*frames=([0-9]+).*/\1/p' <<<"$out")
	ns=$(sed -nE 's/.*ns=([0-9]+).*/\1/p' <<<"$out")
	seen=$((seen1 - seen0)) answered=$((answered1 - answered0)) back=$((back1 - back0))
	check=$(syn_check "$sent" "$seen" "$answered" "$back")
	[ "$check" = ok ] || log "  $contender: offered $sent SYNs; seen $seen, answered $answered, SYN-ACKs back $back"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$contender" "$sent" "$ns" \
		"$(syn_mpps "$sent" "$ns")" "$seen" "$answered" "$back" "$(syn_mpps "$back" "$ns")" "$check" >>"$tsv"
}

syn_mpps() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.3f", n * 1e3 / t }'; }

synproxy_rates() {
	local tsv=$RESULTS/synproxy.tsv round contender
	printf 'round\tcontender\tframes\tns\toffered_mpps\tseen\tanswered\tsynacks\tsynack_mpps\tcheck\n' >"$tsv"
	note_cmd synproxy "casshield load $BENCH_RX --ports 443 --syn-proxy; nft list table inet $(syn_table) > synproxy-table.nft; casshield unload $BENCH_RX"
	note_cmd synproxy "build/bench/gen_live -i $BENCH_GEN --dst-mac RX-MAC --src-mac GEN-MAC --cpu $BENCH_CPU --frames $SYN_FRAMES --family 4 --kind syn --src $SYN_CLIENT --sports $SYN_SPORTS --checksum --tcp-options linux --restore"
	for round in $(seq "$SYN_ROUNDS"); do
		for contender in syn_xdp syn_nft; do
			contender_up "$contender" >/dev/null
			if [ ! -e "$RESULTS/synproxy-setup-$contender.txt" ]; then
				syn_describe "$contender" >"$RESULTS/synproxy-setup-$contender.txt"
			fi
			measure_synacks "$tsv" "$round" "$contender"
			contender_down "$contender"
		done
	done
}

section_synproxy() {
	log "7/7 SYN proxy: SYN-ACKs/s, XDP vs nftables SYNPROXY, $SYN_ROUNDS rounds of $SYN_FRAMES SYNs; the switch's ns (BPF_PROG_TEST_RUN)"
	trap synproxy_cleanup EXIT
	syn_capture_table
	syn_lab_up
	synproxy_rates
	synproxy_cleanup
	local cmd=("$BENCH_BIN/bench_synproxy" --repeat "$PATH_REPEAT" --singles "$SYN_SINGLES" --rounds "$PATH_ROUNDS" --cpu "$BENCH_CPU")
	note_cmd synproxy "${cmd[*]#"$ROOT/"}"
	"${cmd[@]}" >"$RESULTS/synproxy_paths.tsv"
}
