// SPDX-License-Identifier: GPL-2.0
/*
 * pass.bpf.c - two XDP_PASS programs for the benchmarks:
 *   bench_pass        does nothing: the floor of BPF_PROG_TEST_RUN's own
 *                     cost per packet, against which a program's ns/packet
 *                     is read;
 *   bench_pass_count  counts and passes: attached to the receiving veth
 *                     when netfilter is the contender, so that the frames
 *                     that reached the interface are counted apart from
 *                     the ones the ruleset counted (and so that veth
 *                     runs its NAPI receive path, which XDP_TX'd frames
 *                     need; without XDP or GRO on the peer they are lost).
 */
#include "seen.h"

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int bench_pass_count(struct xdp_md *ctx)
{
	bench_count_seen();
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
