// SPDX-License-Identifier: GPL-2.0
/*
 * synack_count.bpf.c - the SYN proxy benchmark's counter on the
 * generator's end of the veth pair: it counts the TCP SYN-ACKs that come
 * back (XDP_TX'd by casshield, or sent by netfilter's SYNPROXY through
 * the stack), and every other frame apart, then drops them all: the
 * generator's end has no stack that wants them. Being attached is also
 * what makes veth deliver the frames its peer XDP_TX'd at all (without
 * XDP or GRO on the receiving end, veth drops them).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

enum { SYNACK_SEEN, OTHER_SEEN, SEEN_SLOTS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEEN_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} bench_synacks SEC(".maps");

/* The TCP header of an IPv4 (any options) or IPv6 (no extension) frame. */
static __always_inline struct tcphdr *tcp_of(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct ipv6hdr *ip6 = (void *)(eth + 1);

	if ((void *)(eth + 1) > data_end)
		return NULL;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP)
			return NULL;
		return (void *)ip + ip->ihl * 4;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_TCP)
			return NULL;
		return (void *)(ip6 + 1);
	}
	return NULL;
}

SEC("xdp")
int bench_synack_count(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct tcphdr *tcp = tcp_of((void *)(long)ctx->data, data_end);
	__u32 slot = OTHER_SEEN;
	__u64 *seen;

	/* Only SYN and ACK of SYN, ACK, RST and FIN: a SYN-ACK, not an RST. */
	if (tcp && (void *)(tcp + 1) <= data_end && tcp->syn && tcp->ack &&
	    !tcp->rst && !tcp->fin)
		slot = SYNACK_SEEN;
	seen = bpf_map_lookup_elem(&bench_synacks, &slot);
	if (seen)
		(*seen)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
