// SPDX-License-Identifier: GPL-2.0
/* frame.c - crafted frames for tests and benchmarks. */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static __u16 ip_checksum(const void *data, size_t len)
{
	const __u8 *p = data;
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void parse_addr(int family, const char *text, void *out)
{
	if (inet_pton(family, text, out) != 1) {
		fprintf(stderr, "frame: bad address %s\n", text);
		abort();
	}
}

/* L4 header and payload at p; returns its length. */
static size_t build_l4(const struct frame_spec *spec, __u8 *p)
{
	__u8 proto = spec->l4 ? spec->l4 : IPPROTO_TCP;
	size_t hdr = 0;

	switch (proto) {
	case IPPROTO_TCP: {
		struct tcphdr *tcp = (struct tcphdr *)p;
		size_t opts = (spec->tcp_opts_len + 3) & ~3u; /* EOL padded */

		memset(tcp, 0, sizeof(*tcp) + opts);
		tcp->source = htons(spec->sport ? spec->sport : 40000);
		tcp->dest = htons(spec->dport);
		tcp->seq = htonl(spec->seq ? spec->seq : 1);
		tcp->ack_seq = htonl(spec->ack_seq);
		tcp->doff = 5 + opts / 4;
		if (spec->tcp_doff)
			tcp->doff = spec->tcp_doff;
		p[13] = spec->tcp_flags ? spec->tcp_flags : 0x02;
		tcp->window = htons(65535);
		if (spec->tcp_opts_len)
			memcpy(p + sizeof(*tcp), spec->tcp_opts,
			       spec->tcp_opts_len);
		hdr = sizeof(*tcp) + opts;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *udp = (struct udphdr *)p;

		udp->source = htons(spec->sport ? spec->sport : 40000);
		udp->dest = htons(spec->dport);
		udp->len = htons(sizeof(*udp) + spec->payload_len);
		udp->check = 0;
		hdr = sizeof(*udp);
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		p[0] = spec->icmp_type;
		p[1] = 0;
		p[2] = p[3] = 0;
		memset(p + 4, 0, 4);
		hdr = 8;
		break;
	default:
		hdr = 0;
	}
	if (spec->payload)
		memcpy(p + hdr, spec->payload, spec->payload_len);
	else
		memset(p + hdr, 0xab, spec->payload_len);
	return hdr + spec->payload_len;
}

static size_t build_ipv4(const struct frame_spec *spec, __u8 *p)
{
	struct iphdr *ip = (struct iphdr *)p;
	size_t hdr = sizeof(*ip) + spec->ip_options, l4_len;
	__u16 frag = spec->frag_offset & 0x1fff;

	memset(p, 0, hdr);
	ip->version = 4;
	ip->ihl = hdr / 4;
	ip->ttl = spec->ttl ? spec->ttl : 64;
	ip->protocol = spec->l4 ? spec->l4 : IPPROTO_TCP;
	ip->id = htons(0x1234);
	parse_addr(AF_INET, spec->src ? spec->src : "203.0.113.7", &ip->saddr);
	parse_addr(AF_INET, spec->dst ? spec->dst : "192.0.2.1", &ip->daddr);
	memset(p + sizeof(*ip), 1, spec->ip_options); /* NOP options */
	if (spec->more_fragments)
		frag |= 0x2000;
	ip->frag_off = htons(frag);
	l4_len = build_l4(spec, p + hdr);
	if (spec->cut_l4 && spec->cut_l4 < l4_len)
		l4_len = spec->cut_l4;
	ip->tot_len = htons(hdr + l4_len + spec->ip_len_delta);
	if (spec->ihl)
		ip->ihl = spec->ihl;
	if (spec->ip_version)
		ip->version = spec->ip_version;
	ip->check = 0;
	ip->check = htons(ip_checksum(ip, hdr));
	return hdr + l4_len;
}

static size_t build_ipv6(const struct frame_spec *spec, __u8 *p)
{
	struct ipv6hdr *ip6 = (struct ipv6hdr *)p;
	__u8 *nexthdr = &ip6->nexthdr, *cursor = p + sizeof(*ip6);
	size_t l4_len;
	unsigned int i;

	memset(ip6, 0, sizeof(*ip6));
	ip6->version = 6;
	ip6->hop_limit = spec->ttl ? spec->ttl : 64;
	parse_addr(AF_INET6, spec->src ? spec->src : "2001:db8:bad::7",
		   &ip6->saddr);
	parse_addr(AF_INET6, spec->dst ? spec->dst : "2001:db8::1",
		   &ip6->daddr);
	for (i = 0; i < spec->ext_count; i++) {
		*nexthdr = spec->ext[i];
		nexthdr = cursor;
		if (spec->ext[i] == IPPROTO_FRAGMENT) {
			__u16 off = spec->ext_frag_offset << 3;

			if (spec->ext_more_fragments)
				off |= 1;
			memset(cursor, 0, 8);
			put16(cursor + 2, off);
			cursor += 8;
		} else if (spec->ext[i] == IPPROTO_AH) {
			memset(cursor, 0, 12);
			cursor[1] = 1; /* (1 + 2) * 4 = 12 bytes */
			cursor += 12;
		} else {
			/* HOPOPTS, ROUTING, DSTOPTS: 8 bytes with PadN */
			memset(cursor, 0, 8);
			cursor[2] = 1;
			cursor[3] = 4;
			cursor += 8;
		}
	}
	*nexthdr = spec->l4 ? spec->l4 : IPPROTO_TCP;
	l4_len = build_l4(spec, cursor);
	if (spec->cut_l4 && spec->cut_l4 < l4_len)
		l4_len = spec->cut_l4;
	cursor += l4_len;
	ip6->payload_len =
		htons(cursor - p - sizeof(*ip6) + spec->ip_len_delta);
	if (spec->ip_version)
		ip6->version = spec->ip_version;
	return cursor - p;
}

static size_t frame_build_aligned(const struct frame_spec *spec, __u8 *buf);

/*
 * Headers are written through struct pointers, so the frame is built two
 * bytes into an aligned scratch buffer: the IP header (at 14 + 4n) then
 * sits on a 4-byte boundary, as it does in a NIC's receive buffer.
 */
size_t frame_build(const struct frame_spec *spec, __u8 *buf)
{
	__u8 scratch[FRAME_MAX + 2] __attribute__((aligned(8)));
	size_t len = frame_build_aligned(spec, scratch + 2);

	memcpy(buf, scratch + 2, FRAME_MAX);
	return len;
}

static size_t frame_build_aligned(const struct frame_spec *spec, __u8 *buf)
{
	static const __u8 default_mac[6] = { 2, 0, 0, 0, 0, 2 };
	static const __u8 zero_mac[6];
	__u8 *p = buf;
	__u16 ethertype;
	unsigned int i;
	size_t len;

	memset(buf, 0, FRAME_MAX);
	memset(p, 0xff, 6); /* destination: broadcast is fine for XDP */
	p[0] = 0x02;
	memcpy(p + 6, memcmp(spec->src_mac, zero_mac, 6) ? spec->src_mac :
							  default_mac,
	       6);
	p += 12;
	for (i = 0; i < spec->vlan_tags; i++) {
		put16(p, i == 0 && spec->qinq ? ETH_P_8021AD : ETH_P_8021Q);
		put16(p + 2, 100 + i);
		p += 4;
	}
	switch (spec->kind) {
	case FRAME_IPV4:
		ethertype = ETH_P_IP;
		break;
	case FRAME_IPV6:
		ethertype = ETH_P_IPV6;
		break;
	case FRAME_ARP:
		ethertype = ETH_P_ARP;
		break;
	default:
		ethertype = 0x88b5; /* local experimental */
	}
	put16(p, ethertype);
	p += 2;
	if (spec->kind == FRAME_IPV4)
		p += build_ipv4(spec, p);
	else if (spec->kind == FRAME_IPV6)
		p += build_ipv6(spec, p);
	else
		p += 28; /* ARP body / opaque payload: zeros */
	len = p - buf;
	if (len < 60)
		len = 60; /* Ethernet minimum, zero padded */
	if (spec->truncate > 0)
		len = spec->truncate;
	return len;
}
