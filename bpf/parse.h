/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - header walking. Every access is bounds-checked right before it
 * happens; every loop has a constant bound. Anything the walk cannot prove
 * well-formed is MALFORMED: a header trick must fail closed, never skip the
 * allowlist.
 */
#ifndef CAS_PARSE_H
#define CAS_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "bound.h"
#include "casshield.h"

#define CAS_AF_INET		  2
#define CAS_AF_INET6		  10
#define CAS_IP_OFFSET_MASK	  0x1fff
#define CAS_IP_MORE_FRAGMENTS	  0x2000
#define CAS_IPV6_FRAG_OFFSET_MASK 0xfff8
#define CAS_TCP_FIN		  0x01
#define CAS_TCP_SYN		  0x02
#define CAS_TCP_RST		  0x04
#define CAS_TCP_ACK		  0x10
#define CAS_TCP_ECE		  0x40
#define CAS_TCP_CWR		  0x80

/* What the policy needs to know about a TCP or UDP packet. */
struct cas_packet {
	__u8 family;
	__u8 proto; /* enum cas_proto */
	__u8 ttl;   /* TTL or hop limit */
	__u8 tcp_flags;
	__u16 dport; /* host order */
	__u8 src_mac[6];
	__u8 src[16]; /* IPv4 uses the first four bytes */
	__u8 dst[16];
	__be16 sport; /* network order: the SYN proxy hands it on as is */
	__u16 l3_off; /* the IP header, from the frame's start */
	__u16 l4_off; /* the TCP or UDP header */
	__u8 tcp_hdr_len;
	__u8 pad;
	/*
	 * The L4 payload (TLS records) as an offset into the frame and a
	 * length to the end of the IP datagram: scalars, not packet pointers,
	 * so that the policy can be verified once for every way the parser
	 * got there (docs/design.md, verifier cost).
	 */
	__u32 payload_off;
	__u32 payload_len;
	/* Set by the screen (policy.h). */
	__u32 port_slot; /* the protected destination port's slot */
	__u32 lengths;	 /* the prefix lengths to try: the source's mask */
	__u64 v6_long;	 /* IPv6: the generation's lengths 65..127 */
};

/* The walk either ends in a final reason or hands a packet to the policy. */
#define CAS_PARSE_TO_POLICY (-1)

/*
 * True when [start, end) runs past the logical end of a header's container
 * (limit) or past the frame. The frame check is the one the verifier needs
 * before an access; the limit check is the one the protocol needs.
 */
#define CAS_PAST(end, limit, data_end) \
	((void *)(end) > (data_end) || (void *)(end) > (void *)(limit))

struct cas_vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

struct cas_ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct cas_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

static __always_inline int cas_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) ||
	       proto == bpf_htons(ETH_P_8021AD);
}

/* ICMP the host needs to stay reachable: echo, unreachable/frag-needed, ... */
static __always_inline int cas_icmp4_essential(__u8 type)
{
	return type == 0 || type == 3 || type == 8 || type == 11 || type == 12;
}

/* ... and ICMPv6: errors (PTB), echo, MLD and neighbour discovery. */
static __always_inline int cas_icmp6_essential(__u8 type)
{
	return (type >= 1 && type <= 4) || type == 128 || type == 129 ||
	       (type >= 130 && type <= 137) || type == 143;
}

/*
 * TCP and UDP headers, from the start of L4 to l4_end (the end of the IP
 * payload, never beyond the frame). A first fragment must carry the whole
 * TCP header, flags included (RFC 1858): otherwise a SYN could hide its
 * flags in the second fragment.
 */
static __always_inline int cas_parse_l4(void *data, void *l4, void *l4_end,
					void *data_end, __u8 ipproto,
					struct cas_packet *pkt)
{
	if (ipproto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		__u32 hdr_len;

		if (CAS_PAST(tcp + 1, l4_end, data_end))
			return CAS_REASON_MALFORMED;
		hdr_len = tcp->doff * 4;
		if (hdr_len < sizeof(*tcp) ||
		    CAS_PAST(l4 + hdr_len, l4_end, data_end))
			return CAS_REASON_MALFORMED;
		pkt->proto = CAS_PROTO_TCP;
		pkt->dport = bpf_ntohs(tcp->dest);
		pkt->sport = tcp->source;
		pkt->tcp_flags = ((__u8 *)tcp)[13];
		pkt->tcp_hdr_len = hdr_len;
		pkt->l4_off = l4 - data;
		pkt->payload_off = l4 + hdr_len - data;
		pkt->payload_len = l4_end - (l4 + hdr_len);
		return CAS_PARSE_TO_POLICY;
	}
	if (ipproto == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if (CAS_PAST(udp + 1, l4_end, data_end))
			return CAS_REASON_MALFORMED;
		pkt->proto = CAS_PROTO_UDP;
		pkt->dport = bpf_ntohs(udp->dest);
		pkt->payload_off = (void *)(udp + 1) - data;
		pkt->payload_len = l4_end - (void *)(udp + 1);
		return CAS_PARSE_TO_POLICY;
	}
	return CAS_REASON_UNPROTECTED;
}

static __always_inline int cas_parse_ipv4(void *data, void *l3, void *data_end,
					  struct cas_packet *pkt)
{
	struct iphdr *ip = l3;
	__u32 hdr_len, total_len;
	__u16 frag;
	void *l4;

	if ((void *)(ip + 1) > data_end)
		return CAS_REASON_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return CAS_REASON_MALFORMED;
	hdr_len = ip->ihl * 4;
	total_len = cas_bound(bpf_ntohs(ip->tot_len), 0xffff); /* bound.h */
	/* Options are skipped, not trusted: their length must fit. */
	if (total_len < hdr_len || l3 + total_len > data_end)
		return CAS_REASON_MALFORMED;

	pkt->family = CAS_AF_INET;
	pkt->ttl = ip->ttl;
	pkt->l3_off = l3 - data;
	__builtin_memcpy(pkt->src, &ip->saddr, 4);
	__builtin_memcpy(pkt->dst, &ip->daddr, 4);

	frag = bpf_ntohs(ip->frag_off);
	/*
	 * A later fragment carries no ports. It passes: the first fragment
	 * (which does) was judged, and the host cannot reassemble a datagram
	 * whose first fragment was dropped; Linux discards overlapping
	 * fragments, so a later one cannot rewrite the judged ports.
	 */
	if (frag & CAS_IP_OFFSET_MASK)
		return CAS_REASON_FRAGMENT;

	if (ip->protocol == IPPROTO_ICMP) {
		__u8 *type = l3 + hdr_len;

		if (CAS_PAST(type + 1, l3 + total_len, data_end))
			return CAS_REASON_MALFORMED;
		return cas_icmp4_essential(*type) ? CAS_REASON_CONTROL :
						    CAS_REASON_UNPROTECTED;
	}
	l4 = l3 + hdr_len;
	return cas_parse_l4(data, l4, l3 + total_len, data_end, ip->protocol,
			    pkt);
}

/*
 * IPv6: walk up to CAS_MAX_IPV6_EXT_HDRS extension headers (hop-by-hop,
 * routing, destination options, fragment, AH). A longer chain is malformed.
 */
static __always_inline int cas_parse_ipv6(void *data, void *l3, void *data_end,
					  struct cas_packet *pkt)
{
	struct ipv6hdr *ip6 = l3;
	void *cursor, *payload_end;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return CAS_REASON_MALFORMED;
	if (ip6->version != 6)
		return CAS_REASON_MALFORMED;
	/* A byte swap's result is unknown to 6.1: bound it (bound.h). */
	payload_end = (void *)(ip6 + 1) +
		      cas_bound(bpf_ntohs(ip6->payload_len), 0xffff);
	/* payload_len 0 would be a jumbogram: not on Ethernet. */
	if (payload_end == (void *)(ip6 + 1) || payload_end > data_end)
		return CAS_REASON_MALFORMED;

	pkt->family = CAS_AF_INET6;
	pkt->ttl = ip6->hop_limit;
	pkt->l3_off = l3 - data;
	__builtin_memcpy(pkt->src, &ip6->saddr, 16);
	__builtin_memcpy(pkt->dst, &ip6->daddr, 16);

	nexthdr = ip6->nexthdr;
	cursor = ip6 + 1;
	/* One more round than the bound: the last one may only be L4. */
#pragma unroll
	for (i = 0; i <= CAS_MAX_IPV6_EXT_HDRS; i++) {
		struct cas_ipv6_opt_hdr *opt = cursor;
		struct cas_ipv6_frag_hdr *frag = cursor;
		__u32 len;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (CAS_PAST(opt + 1, payload_end, data_end))
				return CAS_REASON_MALFORMED;
			len = (opt->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			if (CAS_PAST(opt + 1, payload_end, data_end))
				return CAS_REASON_MALFORMED;
			len = (opt->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			/*
			 * A ninth header is one too many, whatever it says
			 * (i is a constant in each unrolled round).
			 */
			if (i == CAS_MAX_IPV6_EXT_HDRS ||
			    CAS_PAST(frag + 1, payload_end, data_end))
				return CAS_REASON_MALFORMED;
			/* Later fragments: see the IPv4 comment. */
			if (bpf_ntohs(frag->frag_off) &
			    CAS_IPV6_FRAG_OFFSET_MASK)
				return CAS_REASON_FRAGMENT;
			len = sizeof(*frag);
			break;
		case IPPROTO_ICMPV6: {
			__u8 *type = cursor;

			if (CAS_PAST(type + 1, payload_end, data_end))
				return CAS_REASON_MALFORMED;
			return cas_icmp6_essential(*type) ?
				       CAS_REASON_CONTROL :
				       CAS_REASON_UNPROTECTED;
		}
		default:
			return cas_parse_l4(data, cursor, payload_end, data_end,
					    nexthdr, pkt);
		}
		/*
		 * RFC 7112: the first fragment holds the whole chain, so a
		 * header running past the payload is malformed, not pending.
		 */
		if (i == CAS_MAX_IPV6_EXT_HDRS ||
		    CAS_PAST(cursor + len, payload_end, data_end))
			return CAS_REASON_MALFORMED;
		nexthdr = opt->nexthdr;
		cursor += len;
	}
	return CAS_REASON_MALFORMED;
}

/*
 * Ethernet with up to CAS_MAX_VLAN_TAGS tags. A deeper stack is malformed:
 * the host could still deliver it through nested VLAN devices.
 */
static __always_inline int cas_parse_frame(struct xdp_md *ctx,
					   struct cas_packet *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *cursor;
	__be16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return CAS_REASON_MALFORMED;
	__builtin_memcpy(pkt->src_mac, eth->h_source, 6);
	proto = eth->h_proto;
	cursor = eth + 1;

#pragma unroll
	for (i = 0; i < CAS_MAX_VLAN_TAGS; i++) {
		struct cas_vlan_hdr *vlan = cursor;

		if (!cas_is_vlan(proto))
			break;
		if ((void *)(vlan + 1) > data_end)
			return CAS_REASON_MALFORMED;
		proto = vlan->encapsulated_proto;
		cursor = vlan + 1;
	}
	if (cas_is_vlan(proto))
		return CAS_REASON_MALFORMED;

	if (proto == bpf_htons(ETH_P_IP))
		return cas_parse_ipv4(data, cursor, data_end, pkt);
	if (proto == bpf_htons(ETH_P_IPV6))
		return cas_parse_ipv6(data, cursor, data_end, pkt);
	if (proto == bpf_htons(ETH_P_ARP))
		return CAS_REASON_CONTROL;
	return CAS_REASON_UNPROTECTED;
}

#endif /* CAS_PARSE_H */
