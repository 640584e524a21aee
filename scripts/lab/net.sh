# SPDX-License-Identifier: GPL-2.0
# net.sh - the lab's wire (see env.sh for the picture): namespaces, the
# two bridges, the router, addresses and routes. Sourced by lab.sh.
#
# The CAS's interface receives in a NAPI thread pinned to the CAS's CPU
# at real-time priority, like a NIC queue whose interrupts go to that CPU
# and whose softirq processing comes before any process: whatever the CAS
# does with a frame (the shield's XDP program, netfilter, the TCP stack)
# runs there, first, and a flood that outruns it overflows the
# interface's ring, as it would a NIC's. The generator and the switch run
# on another CPU (the wire and the attackers are other machines).

cl_ns() { ip netns exec "$@"; }

# cl_link NS-A NAME-A NS-B NAME-B: a veth pair between two namespaces.
cl_link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
}

# cl_port NS IFNAME BRIDGE MAC: NS's eth-like end IFNAME, its other end
cl_bridge_port() {
	ip -n "$CL_NS_SW" link set "$1" master "$2" up
}

cl_net_up() {
	local ns
	for ns in "${CL_NAMESPACES[@]}"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$CL_NS_SW" link add br0 type bridge
	ip -n "$CL_NS_SW" link add br1 type bridge
	ip -n "$CL_NS_SW" link set br0 up
	ip -n "$CL_NS_SW" link set br1 up
	# No IPv6 router or listener chatter from the switch's own ports.
	cl_ns "$CL_NS_SW" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

	# The CAS (root namespace), with CL_CAS_QUEUES queues each way (see
	# env.sh), every one received in a NAPI thread on the CAS's CPU.
	ip link add "$CL_IF" numtxqueues "$CL_CAS_QUEUES" numrxqueues "$CL_CAS_QUEUES" type veth \
		peer name cas-sw netns "$CL_NS_SW" numtxqueues "$CL_CAS_QUEUES" numrxqueues "$CL_CAS_QUEUES"
	cl_bridge_port cas-sw br0
	ip link set "$CL_IF" up
	ip addr add "$CL_CAS4/24" dev "$CL_IF"
	ip addr add "$CL_CAS6/64" dev "$CL_IF" nodad
	ip route add "$CL_FARNET.0/24" via "$CL_RT4" dev "$CL_IF"
	ip route add "$CL_SPOOF4/$CL_SPOOF_LEN" via "$CL_RT4" dev "$CL_IF"

	# The reverse proxy: near leg on br0, far leg on br1 (used when the
	# proxy's upstream source is its far address, through the router),
	# front leg to the devices.
	cl_link "$CL_NS_PX" near "$CL_NS_SW" px-near
	cl_link "$CL_NS_PX" far "$CL_NS_SW" px-far
	cl_link "$CL_NS_PX" front "$CL_NS_DEV" eth0
	cl_bridge_port px-near br0
	cl_bridge_port px-far br1
	ip -n "$CL_NS_PX" link set near address "$CL_PX_MAC" up
	ip -n "$CL_NS_PX" link set far address "$CL_PXFAR_MAC" up
	ip -n "$CL_NS_PX" link set front up
	ip -n "$CL_NS_PX" addr add "$CL_PX4/24" dev near
	ip -n "$CL_NS_PX" addr add "$CL_PX6/64" dev near nodad
	ip -n "$CL_NS_PX" addr add "$CL_PXFAR4/24" dev far
	ip -n "$CL_NS_PX" addr add "$CL_PXFRONT4/24" dev front
	# Packets from the far address go through the router.
	ip -n "$CL_NS_PX" rule add from "$CL_PXFAR4" table 20
	ip -n "$CL_NS_PX" route add default via "$CL_RTFAR4" dev far table 20

	# The devices.
	ip -n "$CL_NS_DEV" link set eth0 up
	ip -n "$CL_NS_DEV" addr add "$CL_DEV4/24" dev eth0

	# The router between br1 and br0; the spoofed sources end here.
	cl_link "$CL_NS_RT" near "$CL_NS_SW" rt-near
	cl_link "$CL_NS_RT" far "$CL_NS_SW" rt-far
	cl_bridge_port rt-near br0
	cl_bridge_port rt-far br1
	ip -n "$CL_NS_RT" link set near address "$CL_RT_MAC" up
	ip -n "$CL_NS_RT" link set far address "$CL_RTFAR_MAC" up
	ip -n "$CL_NS_RT" addr add "$CL_RT4/24" dev near
	ip -n "$CL_NS_RT" addr add "$CL_RTFAR4/24" dev far
	ip -n "$CL_NS_RT" route add blackhole "$CL_SPOOF4/$CL_SPOOF_LEN"
	cl_ns "$CL_NS_RT" sysctl -qw net.ipv4.ip_forward=1

	# The rogue host on the CAS's link, and the far attacker beyond the router.
	cl_link "$CL_NS_RG" eth0 "$CL_NS_SW" rg-sw
	cl_bridge_port rg-sw br0
	ip -n "$CL_NS_RG" link set eth0 address "$CL_RG_MAC" up
	ip -n "$CL_NS_RG" addr add "$CL_RG4/24" dev eth0
	ip -n "$CL_NS_RG" addr add "$CL_RG6/64" dev eth0 nodad
	cl_link "$CL_NS_FAR" eth0 "$CL_NS_SW" far-sw
	cl_bridge_port far-sw br1
	ip -n "$CL_NS_FAR" link set eth0 address "$CL_FAR_MAC" up
	ip -n "$CL_NS_FAR" addr add "$CL_FAR4/24" dev eth0
	ip -n "$CL_NS_FAR" route add default via "$CL_RTFAR4"

	cl_wire_for_floods || { cl_fail "the wire for the floods could not be set up"; return 1; }
	cl_wait_reachable "$CL_NS_PX" "$CL_CAS4" && cl_wait_reachable "$CL_NS_RT" "$CL_CAS4" &&
		cl_ns "$CL_NS_PX" ping -c1 -W2 -q -I "$CL_PXFAR4" "$CL_CAS4" >/dev/null ||
		{ cl_fail "the lab's network does not carry packets"; return 1; }
	# The forgers send to these MACs: learn them now.
	CL_CAS_MAC=$(cat "/sys/class/net/$CL_IF/address")
}

# The generator's frames leave by XDP_TX, which a veth delivers only to
# a peer running NAPI (GRO on, or XDP). The CAS's interface gets NAPI too
# (GRO on), in a thread pinned to the CAS's CPU; the switch's port in
# front of it stops segmentation offload, or veth would bypass that NAPI
# for the switch's frames and hand them to the backlog of the sending CPU.
# The frames reach the CAS through the bridge, as socket buffers: veth
# copies each into an XDP buffer before an XDP program sees it, a cost a
# NIC driver does not have (docs/lab.md says what that means for the
# figures).
cl_wire_for_floods() {
	cl_ns "$CL_NS_SW" ethtool -K rg-sw gro on >/dev/null
	cl_ns "$CL_NS_SW" ethtool -K far-sw gro on >/dev/null
	cl_ns "$CL_NS_SW" ethtool -K cas-sw tso off gso off >/dev/null
	ethtool -K "$CL_IF" gro on >/dev/null
	echo 1 >"/sys/class/net/$CL_IF/threaded"
	cl_pin_napi
	cl_stack_queues
	cl_switch_xdp || return 1
}

# cl_switch_xdp: a passing XDP program on the switch's port in front of
# the CAS, for every contender. The SYN proxy's SYN-ACKs leave the CAS by
# XDP_TX, and veth hands those only to a peer running XDP (with none
# there they are lost: tests/bpf/xdp_pass.bpf.c); a NIC needs nothing of
# the kind. The program changes the path of everything the CAS sends
# (veth then receives it at the switch in NAPI, copied into an XDP
# buffer, and the CAS's link loses segmentation offload), so every
# contender runs with it, not the SYN proxy alone. That NAPI runs in a
# thread on the generator's CPU: what the switch, the router and the
# proxy do with the CAS's frames is other machines' work, not the CAS's
# (without it veth would do it all on the sending CPU, the CAS's).
cl_switch_xdp() {
	local before after pid
	# The port's name is every lab's: its thread is the one that appears now.
	before=$(cl_napi_pids_named cas-sw)
	ip -n "$CL_NS_SW" link set dev cas-sw xdpdrv obj "$CL_XDP_PASS" sec xdp ||
		{ cl_fail "cannot attach $CL_XDP_PASS to the switch's port in front of the CAS"; return 1; }
	cl_ns "$CL_NS_SW" sh -c 'echo 1 >/sys/class/net/cas-sw/threaded'
	after=$(cl_napi_pids_named cas-sw)
	for pid in $after; do
		grep -qxF "$pid" <<<"$before" || taskset -pc "$CL_GEN_CPU" "$pid" >/dev/null
	done
}

# cl_stack_queues: the CAS's stack transmits on its queues 1 and up only
# (XPS), leaving queue 0 to XDP_TX. veth puts what XDP_TX sends from CPU N
# on the peer's queue N (CPU 0, the CAS's: queue 0), and a queue the
# stack shares with it drops the stack's segments whenever a SYN-ACK
# flood fills that queue's ring (76 of the devices' segments in one
# routed flood, each a retransmission). NIC drivers give XDP_TX transmit
# queues of its own for the same reason (mlx5, i40e, ice, ixgbe).
cl_stack_queues() {
	local q all
	all=$(cl_cpumask_all)
	echo 0 >"/sys/class/net/$CL_IF/queues/tx-0/xps_cpus"
	for q in $(seq 1 $((CL_CAS_QUEUES - 1))); do
		echo "$all" >"/sys/class/net/$CL_IF/queues/tx-$q/xps_cpus"
	done
}

# cl_cpumask_all: every CPU as a kernel cpumask, in 32-bit hex groups
# with commas (the form it parses past 32 CPUs).
cl_cpumask_all() {
	local n groups="" bits
	n=$(nproc)
	while [ "$n" -gt 0 ]; do
		bits=$((n >= 32 ? 32 : n))
		groups=$(printf '%x' $(((1 << bits) - 1)))${groups:+,$groups}
		n=$((n - bits))
	done
	echo "$groups"
}

# cl_pin_napi: the CAS interface's NAPI threads onto the CAS's CPU, at
# SCHED_FIFO 1 (the kernel's real-time throttling keeps 5% of the CPU for
# the rest, as softirq processing deferred to ksoftirqd would).
cl_pin_napi() {
	local pid
	for pid in $(cl_napi_pids); do
		taskset -pc "$CL_CAS_CPU" "$pid" >/dev/null && chrt -f -p 1 "$pid"
	done
}

# cl_napi_pids: the NAPI threads of the CAS's interface ("napi/IF-N").
cl_napi_pids() { cl_napi_pids_named "$CL_IF"; }

# cl_napi_pids_named IFNAME: the NAPI threads of interfaces of that name.
cl_napi_pids_named() {
	local comm
	for comm in /proc/[0-9]*/comm; do
		case $(cat "$comm" 2>/dev/null) in
		"napi/$1-"*) comm=${comm#/proc/}; echo "${comm%/comm}" ;;
		esac
	done
}

# cl_wait_reachable NS ADDR: ping until it answers (at most 5 s: a ping
# unanswered takes 1 s, so the bound is time, not tries).
cl_wait_reachable() {
	cl_wait "$2 from $1" 5 /dev/null cl_ns "$1" ping -c1 -W1 -q "$2"
}

cl_net_down() {
	local ns
	ip -n "$CL_NS_SW" link set dev cas-sw xdp off 2>/dev/null
	ip link del "$CL_IF" 2>/dev/null
	for ns in "${CL_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}
