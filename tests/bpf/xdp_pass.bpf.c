// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_pass.bpf.c - an XDP program that passes everything, for the peer of
 * a shielded veth in the suites. A veth hands the frames the shield sends
 * back with XDP_TX (the SYN proxy's SYN-ACKs) to its peer's XDP receive
 * path; with no program there, those built from frames the stack sent
 * are lost (seen on 6.18, GRO on the peer notwithstanding). A physical
 * NIC needs nothing of the kind.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
