/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frame.h - a builder for crafted Ethernet frames: VLAN stacks, IPv4 with
 * options and fragments, IPv6 with extension headers, TCP/UDP/ICMP, and
 * knobs that break them on purpose. Used by the unit tests and the bench.
 */
#ifndef CAS_TEST_FRAME_H
#define CAS_TEST_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define FRAME_MAX 2048
#define FRAME_MAX_EXT 12

enum frame_kind { FRAME_IPV4, FRAME_IPV6, FRAME_ARP, FRAME_OTHER };

struct frame_spec {
	enum frame_kind kind;
	const char *src; /* textual address; defaults per family */
	const char *dst;
	__u8 src_mac[6]; /* all zero: 02:00:00:00:00:02 */
	unsigned int vlan_tags;	 /* 0 .. 3 */
	bool qinq;		 /* outer tag is 802.1ad */
	__u8 ttl;		 /* 0: 64 */
	__u8 l4;		 /* IPPROTO_TCP (default when 0), UDP, ICMP, ... */
	__u16 sport, dport;	 /* sport 0: 40000 */
	__u8 tcp_flags;		 /* 0: SYN */
	__u32 seq;		 /* TCP sequence number; 0: 1 */
	__u32 ack_seq;		 /* TCP acknowledgment number */
	const __u8 *tcp_opts;	 /* TCP options, as on the wire */
	unsigned int tcp_opts_len; /* 0 .. 40; padded with EOL to 4 */
	__u8 icmp_type;
	unsigned int payload_len;
	const __u8 *payload; /* NULL: payload_len bytes of 0xab */

	/* IPv4 */
	unsigned int ip_options; /* bytes of NOP options, multiple of 4 */
	__u16 frag_offset;	 /* in 8-byte units */
	bool more_fragments;
	/* IPv6: extension headers in order (IPPROTO_HOPOPTS, ...). */
	unsigned int ext_count;
	__u8 ext[FRAME_MAX_EXT];
	__u16 ext_frag_offset; /* offset of a fragment header, 8-byte units */
	bool ext_more_fragments;

	/* Damage, applied after building. */
	int ihl;	     /* non-zero: IPv4 ihl field */
	int ip_version;	     /* non-zero: version field */
	int ip_len_delta;    /* added to IPv4 tot_len / IPv6 payload_len */
	int tcp_doff;	     /* non-zero: TCP data offset field */
	unsigned int cut_l4; /* keep only this many L4 bytes (0: all) */
	int truncate;	     /* > 0: final frame length */
};

/* Builds the frame into buf (FRAME_MAX bytes); returns its length. */
size_t frame_build(const struct frame_spec *spec, __u8 *buf);

#endif /* CAS_TEST_FRAME_H */
