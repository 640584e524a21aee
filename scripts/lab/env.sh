# SPDX-License-Identifier: GPL-2.0
# env.sh - names, addresses, ports and paths of one CAS lab. Sourced by
# lab.sh. CASLAB (the prefix of every namespace and link) and CASLAB_I
# (1..9, which picks subnets and ports) let `make lab`, the test suite
# and the demo each have their own lab, side by side:
#
#   make lab                       CASLAB=caslab  CASLAB_I=1
#   tests/integration/test_lab.sh  CASLAB=caslabt CASLAB_I=2
#   scripts/demo.sh                CASLAB=casdemo CASLAB_I=3
#
#  [dev] --front-- [px: reverse proxy] --near--+ br0 +-- caslab0 [root ns: CAS, casshield]
#   devices           |                         |     +-- [rg: rogue host, floods on the link]
#                     +--far-- br1 --[rt: router]+
#                              +-- [far: floods from beyond the router]
#
# br0 and br1 live in the switch namespace [sw]. Lab hosts are in
# 198.18.0.0/15 and 2001:2::/48 only (RFC 2544 and RFC 5180 benchmarking
# ranges); nothing is routed out of the lab.

CASLAB=${CASLAB:-caslab}
CASLAB_I=${CASLAB_I:-1}
CL_NET=$((100 + 10 * CASLAB_I))           # third octet of the CAS segment
CL_IF=${CASLAB}0                          # the CAS's shielded interface (root ns)
CL_NS_SW=$CASLAB-sw CL_NS_DEV=$CASLAB-dev CL_NS_PX=$CASLAB-px
CL_NS_RT=$CASLAB-rt CL_NS_RG=$CASLAB-rg CL_NS_FAR=$CASLAB-far
CL_NAMESPACES=("$CL_NS_DEV" "$CL_NS_PX" "$CL_NS_RT" "$CL_NS_RG" "$CL_NS_FAR" "$CL_NS_SW")

# The CAS segment (br0): the CAS, the proxy's near leg, the rogue host, the router.
CL_CAS4=198.18.$CL_NET.1
CL_PX4=198.18.$CL_NET.10
CL_RG4=198.18.$CL_NET.66
CL_RT4=198.18.$CL_NET.254
CL_CAS6=2001:2:0:$CL_NET::1
CL_PX6=2001:2:0:$CL_NET::10
CL_RG6=2001:2:0:$CL_NET::66
# Beyond the router (br1): the proxy's far leg, the far attacker.
CL_FARNET=198.18.$((CL_NET + 1))
CL_PXFAR4=$CL_FARNET.10
CL_FAR4=$CL_FARNET.99
CL_RTFAR4=$CL_FARNET.254
# The devices' side of the proxy (one link).
CL_FRONT=198.18.$((CL_NET + 2))
CL_PXFRONT4=$CL_FRONT.1
CL_DEV4=$CL_FRONT.2
# Spoofed sources of the random-source floods: routed to the router,
# which blackholes them, so the CAS's answers stay in the lab.
CL_SPOOF4=198.19.$((16 * CASLAB_I)).0
CL_SPOOF_LEN=20
CL_SPOOF_COUNT=4096

# Fixed MACs, so that rules can bind them.
cl_mac() { printf '02:ca:%02x:00:00:%s' "$CASLAB_I" "$1"; }
CL_PX_MAC=$(cl_mac 10)
CL_RG_MAC=$(cl_mac 66)
CL_RT_MAC=$(cl_mac fe)
CL_PXFAR_MAC=$(cl_mac 1a)
CL_FAR_MAC=$(cl_mac 99)
CL_RTFAR_MAC=$(cl_mac fd)

# Names the certificates are for.
CL_CAS_NAME=cas.lab
CL_PX_NAME=mail.lab
CL_MAIL_DOMAIN=cas.lab

# Ports on the CAS's loopback (and Prometheus's), offset per lab. All
# below 32768, outside Linux's default ephemeral range (32768-60999):
# there the kernel hands a port to any outgoing connection, and CI once
# saw PostgreSQL fail to bind 55420 because a client socket held it.
CL_PORTS_EPHEMERAL_FROM=32768
CL_PORT_SOGO=$((20100 + 10 * CASLAB_I))
CL_PORT_PG=$((15400 + 10 * CASLAB_I))
CL_PORT_IMAP=$((11100 + 10 * CASLAB_I))
CL_PORT_MEMCACHED=$((11300 + 10 * CASLAB_I))
CL_PORT_EXPORTER=$((19500 + 10 * CASLAB_I))
CL_PORT_PROM=$((19600 + 10 * CASLAB_I))
CL_PORTS=("$CL_PORT_SOGO" "$CL_PORT_PG" "$CL_PORT_IMAP" "$CL_PORT_MEMCACHED" "$CL_PORT_EXPORTER" "$CL_PORT_PROM")

# The devices: one user each; Ping heartbeat (s); requests per second
# per device besides its Ping.
CL_USERS=${CL_USERS:-dev1,dev2,dev3,dev4}
CL_PASSWORD=caslab-device-pw
CL_HEARTBEAT=${CL_HEARTBEAT:-5}
CL_RATE=${CL_RATE:-2}
# sogod workers: each device holds one with its Ping and at most one
# with its other request; the rogue and the probes need a few more.
CL_SOGO_WORKERS=$((2 * $(tr , '\n' <<<"$CL_USERS" | wc -l) + 4))

# Everything the lab writes lives here and goes with it.
CL_DIR=${CL_DIR:-/run/casshield-lab/$CASLAB}
CL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CL_LIB=$CL_ROOT/scripts/lab
CASSHIELD=${CASSHIELD:-$CL_ROOT/build/casshield}
CL_GEN=${CL_GEN:-$CL_ROOT/build/bench/gen_live}
# The passing XDP program for the switch's port in front of the CAS
# (tests/bpf/xdp_pass.bpf.c; net.sh says why).
CL_XDP_PASS=${CL_XDP_PASS:-$CL_ROOT/build/tests/xdp_pass.bpf.o}
CL_PY=/usr/bin/python3
CL_PG_BIN=/usr/lib/postgresql/15/bin
# The CPU the CAS's packet processing and daemons run on, and the one the
# attackers' generator floods from (the last CPU, as in the benchmarks).
CL_CAS_CPU=0
# The CAS link's queues each way. veth's ring holds 256 frames a queue,
# fixed, a NIC's 512 to 4096 (ethtool -g); four queues, flows spread
# over them by hash as by a NIC's RSS, all received on the CAS's CPU,
# give the CAS 1024 frames of buffer against a stall of its CPU (with one
# queue, a routed flood lost 300 to 3000 frames at once, in stalls of 5 to
# 15 ms, some of them time the host took from the vCPU), and let the stack
# transmit on queues XDP_TX does not use (net.sh, cl_stack_queues).
CL_CAS_QUEUES=4
CL_GEN_CPU=$(($(nproc) - 1))
