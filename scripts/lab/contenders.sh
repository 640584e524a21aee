# SPDX-License-Identifier: GPL-2.0
# contenders.sh - what stands in front of the CAS, each holding the same
# policy: 443/tcp and 80/tcp protected; 443 open to the proxy alone, at
# its near address from its own MAC with TTL 64, at its far address from
# the router's MAC with TTL 63 (it is one hop away), and at its IPv6
# address from its MAC; at most 200 SYNs a second (burst 400) from each
# of these; nobody on 80 (the CAS serves ActiveSync over TLS only).
#
#   none       no filter: what the CAS's own stack does
#   nft        the best nftables ruleset an admin would write for this:
#              netdev ingress on the CAS interface (the earliest hook
#              netfilter has), an allowlist bound to MAC and TTL, and a
#              per-source SYN meter for what it allows
#   casshield  casshield, driven by a YAML file through `casshield run`
#              (its exporter is what Prometheus scrapes)
#   casshield-synproxy
#              the same file with `synproxy: true` on the CAS interface
#              (docs/synproxy.md): casshield answers the allowed SYNs with
#              cookies from XDP (XDP_TX) and hands the ACKs that return a
#              valid cookie to netfilter's SYNPROXY, in the nftables table
#              it installs itself; the rules' SYN limits then count
#              completed handshakes; the SYN-ACK cap keeps its default
#              (1,000,000/s). Its SYN-ACKs leave by XDP_TX, which veth
#              delivers only to a peer running XDP: net.sh gives the
#              switch's port a passing program, for every contender.
#
# cl_contender_up NAME, cl_contender_down NAME, cl_contender_describe NAME.
# Sourced by lab.sh.

CL_CONTENDERS=(none nft casshield casshield-synproxy)
CL_SYN_RATE=200
CL_SYN_BURST=400
declare -A CL_CONTENDER_LABEL=(
	[none]="no filter"
	[nft]="nftables (netdev ingress, allowlist + SYN meter)"
	[casshield]="casshield run (YAML)"
	[casshield-synproxy]="casshield run (YAML, synproxy: true)"
)

# A contender's functions: its name with - as _.
cl_contender_up() { "cl_contender_up_${1//-/_}"; }
cl_contender_down() { "cl_contender_down_${1//-/_}"; }

# cl_contender_is_shield NAME: casshield runs (its exporter, its counters).
cl_contender_is_shield() { [[ $1 == casshield* ]]; }

cl_contender_down_all() {
	local c
	for c in "${CL_CONTENDERS[@]}"; do
		cl_contender_down "$c"
	done
}

cl_contender_up_none() { :; }
cl_contender_down_none() { :; }

cl_nft_ruleset() {
	cat <<-EOF
		table netdev $CASLAB {
		    set syn4 {
		        type ipv4_addr
		        size 65535
		        flags dynamic,timeout
		        timeout 60s
		    }
		    set syn6 {
		        type ipv6_addr
		        size 65535
		        flags dynamic,timeout
		        timeout 60s
		    }
		    chain ingress {
		        type filter hook ingress device "$CL_IF" priority -500; policy accept;
		        ip protocol tcp tcp dport { 80, 443 } jump protected4
		        ip6 nexthdr tcp tcp dport { 80, 443 } jump protected6
		    }
		    chain protected4 {
		        tcp dport 443 ip saddr $CL_PX4 ether saddr $CL_PX_MAC ip ttl 64 jump proxy4
		        tcp dport 443 ip saddr $CL_PXFAR4 ether saddr $CL_RT_MAC ip ttl 63 jump proxy4
		        counter drop
		    }
		    chain protected6 {
		        tcp dport 443 ip6 saddr $CL_PX6 ether saddr $CL_PX_MAC ip6 hoplimit 64 jump proxy6
		        counter drop
		    }
		    chain proxy4 {
		        tcp flags & (syn | ack) == syn update @syn4 { ip saddr limit rate over $CL_SYN_RATE/second burst $CL_SYN_BURST packets } counter drop
		        accept
		    }
		    chain proxy6 {
		        tcp flags & (syn | ack) == syn update @syn6 { ip6 saddr limit rate over $CL_SYN_RATE/second burst $CL_SYN_BURST packets } counter drop
		        accept
		    }
		}
	EOF
}

cl_contender_up_nft() {
	cl_nft_ruleset >"$CL_DIR/nft.rules"
	nft -f "$CL_DIR/nft.rules" 2>"$CL_DIR/log/nft.err" ||
		{ cl_fail "nft refused the ruleset" "$CL_DIR/log/nft.err"; return 1; }
}

cl_contender_down_nft() {
	nft delete table netdev "$CASLAB" 2>/dev/null
	return 0
}

# cl_casshield_yaml [synproxy]: the lab's policy as casshield's file.
cl_casshield_yaml() {
	local synproxy=
	[ "${1:-}" = synproxy ] && synproxy=$'\n    synproxy: true'
	cat <<-EOF
		# casshield.yaml of the CAS lab: the policy of scripts/lab/contenders.sh.
		interfaces:
		  - name: $CL_IF
		    ports: [443/tcp, 80/tcp]$synproxy
		    allow:
		      - {name: proxy, cidr: $CL_PX4/32, ports: [443], mac: "$CL_PX_MAC", ttl: "64", syn_rate: $CL_SYN_RATE, syn_burst: $CL_SYN_BURST}
		      - {name: proxy-routed, cidr: $CL_PXFAR4/32, ports: [443], mac: "$CL_RT_MAC", ttl: "63", syn_rate: $CL_SYN_RATE, syn_burst: $CL_SYN_BURST}
		      - {name: proxy-v6, cidr: "$CL_PX6/128", ports: [443], mac: "$CL_PX_MAC", ttl: "64", syn_rate: $CL_SYN_RATE, syn_burst: $CL_SYN_BURST}
		metrics:
		  listen: 127.0.0.1:$CL_PORT_EXPORTER
	EOF
}

cl_contender_up_casshield() {
	local conf=$CL_DIR/casshield.yaml log=$CL_DIR/log/casshield-run.log
	cl_casshield_yaml "$@" >"$conf"
	"$CASSHIELD" check --config "$conf" >"$CL_DIR/log/casshield-check.log" 2>&1 ||
		{ cl_fail "casshield check refuses the lab's file" "$CL_DIR/log/casshield-check.log"; return 1; }
	cl_bg casshield-run taskset -c "$CL_CAS_CPU" "$CASSHIELD" run --config "$conf" --detach-on-exit >>"$log" 2>&1
	cl_wait "casshield run (its exporter's /healthz)" 15 "$log" \
		curl -sf -m 2 "http://127.0.0.1:$CL_PORT_EXPORTER/healthz"
}

cl_contender_down_casshield() {
	cl_kill_pidfile "$CL_DIR/pids/casshield-run"
	rm -f "$CL_DIR/pids/casshield-run"
	# --detach-on-exit unloads; make sure, also after a crash.
	if [ -e "/sys/fs/bpf/casshield/$CL_IF" ]; then
		"$CASSHIELD" unload "$CL_IF" >/dev/null 2>&1 || rm -rf "/sys/fs/bpf/casshield/$CL_IF"
	fi
	return 0
}

# The same, with the SYN proxy. Unloading removes its nftables table and
# gives nf_conntrack_tcp_loose back its value (docs/synproxy.md).
cl_contender_up_casshield_synproxy() { cl_contender_up_casshield synproxy; }

cl_contender_down_casshield_synproxy() {
	cl_contender_down_casshield
	if nft list table inet "$CL_SYNPROXY_TABLE" >/dev/null 2>&1; then
		cl_log "the SYN proxy's table outlived casshield: removed"
		nft delete table inet "$CL_SYNPROXY_TABLE"
	fi
	return 0
}
CL_SYNPROXY_TABLE=casshield_synproxy_$CL_IF

# cl_contender_describe NAME: the configuration as the kernel holds it.
cl_contender_describe() {
	case $1 in
	none) echo "(nothing in front of the CAS's stack)" ;;
	nft) nft list table netdev "$CASLAB" ;;
	casshield | casshield-synproxy)
		cat "$CL_DIR/casshield.yaml"
		echo
		echo "\$ casshield allow list -i $CL_IF"
		"$CASSHIELD" allow list -i "$CL_IF"
		[ "$1" = casshield ] && return 0
		echo
		echo "\$ casshield limits show -i $CL_IF"
		"$CASSHIELD" limits show -i "$CL_IF"
		echo
		echo "\$ nft list table inet $CL_SYNPROXY_TABLE"
		nft list table inet "$CL_SYNPROXY_TABLE"
		echo
		echo "net.netfilter.nf_conntrack_tcp_loose = $(cat /proc/sys/net/netfilter/nf_conntrack_tcp_loose)"
		;;
	esac
}
