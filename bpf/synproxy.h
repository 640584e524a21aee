/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synproxy.h - the SYN proxy (docs/synproxy.md). For an allowed source on
 * a protected TCP port, while the generation's policy has
 * CAS_POLICY_SYN_PROXY:
 *  - a SYN is answered here, in place (XDP_TX), with a SYN-ACK whose
 *    sequence number is a SYN cookie; it never reaches the host;
 *  - a segment for which the host has no socket must be the ACK that
 *    returns a valid cookie; it goes on to netfilter's SYNPROXY (the
 *    nftables table the shield installs), which opens the connection to
 *    the listener. Anything else is dropped.
 * A forger off the path never sees a cookie, so a forged SYN costs the
 * host one SYN-ACK and nothing else.
 *
 * Established connections are recognised by a socket lookup
 * (bpf_skc_lookup_tcp), not a conntrack one: a CAS terminates its
 * connections locally, so its socket table knows every connection that
 * got past the handshake, and a helper keeps the program loadable with
 * nf_conntrack absent (the kfunc bpf_xdp_ct_lookup lives in that module).
 *
 * Headers are read into, and the answer built on, the stack with
 * bpf_xdp_load_bytes/bpf_xdp_store_bytes at scalar offsets: no packet
 * pointer outlives the resize, and each access has one constant size.
 */
#ifndef CAS_SYNPROXY_H
#define CAS_SYNPROXY_H

#include "bound.h"
#include "maps.h"
#include "parse.h"
#include "ratelimit.h"

#define CAS_TCPOPT_EOL	     0
#define CAS_TCPOPT_NOP	     1
#define CAS_TCPOPT_MSS	     2
#define CAS_TCPOPT_WSCALE    3
#define CAS_TCPOPT_SACK_PERM 4
#define CAS_TCPOPT_TIMESTAMP 8
#define CAS_TCP_MAX_OPTS     40 /* bytes of options a header can hold */

/*
 * netfilter's SYNPROXY learns what the client asked for from the low bits
 * of the timestamp the client echoes (nf_synproxy_core.c): its window
 * scale (0xf: none), SACK, ECN. The rest of our tsval is the clock in ms.
 */
#define CAS_TS_WSCALE_NONE   0x0f
#define CAS_TS_SACK	     0x10
#define CAS_TS_ECN	     0x20
#define CAS_TS_OPT_BITS	     0x3f
#define CAS_WSCALE_MAX	     14 /* RFC 7323 */

#define CAS_NSEC_PER_MSEC    1000000ULL

/* A TCP header with its options, as read from a SYN or built for a SYN-ACK. */
struct cas_tcp_seg {
	struct tcphdr th;
	/* 40 at most; 64 so that an index masked with 63 stays inside */
	__u8 opts[64];
};

/* A SYN-ACK's TCP header: the longest options we send are 20 bytes. */
struct cas_synack {
	struct tcphdr th;
	__u8 opts[20];
};

/* The IP header as the cookie helpers take it. */
union cas_ip_hdr {
	struct iphdr v4;
	struct ipv6hdr v6;
};

/* What the SYN asked for. */
struct cas_syn_opts {
	__u32 tsval; /* the client's timestamp, to echo */
	__u8 wscale; /* CAS_TS_WSCALE_NONE if absent */
	__u8 sack;
	__u8 ts;
};

static __always_inline __u32 cas_opt_be32(const __u8 *opts, __u32 off)
{
	return (__u32)opts[off & 63] << 24 | (__u32)opts[(off + 1) & 63] << 16 |
	       (__u32)opts[(off + 2) & 63] << 8 | opts[(off + 3) & 63];
}

/*
 * The SYN's window scale, SACK-permitted and timestamp options. The offset
 * is the loop's only variable and grows every round, within optlen (at
 * most 40): the verifier meets few distinct states (a second counter
 * multiplied them past its limit).
 */
static __always_inline void cas_syn_options(const struct cas_tcp_seg *syn,
					    __u32 optlen,
					    struct cas_syn_opts *o)
{
	__u32 off = 0;

	o->wscale = CAS_TS_WSCALE_NONE;
	o->sack = 0;
	o->ts = 0;
	o->tsval = 0;
	/*
	 * The constant bound is for 6.1, which may not carry optlen's bound
	 * through its spill and then cannot see the loop end ("the sequence
	 * of 8193 jumps is too complex").
	 */
	while (off < CAS_TCP_MAX_OPTS && off < optlen) {
		__u8 kind = syn->opts[off & 63], len;

		if (kind == CAS_TCPOPT_EOL)
			break;
		if (kind == CAS_TCPOPT_NOP) {
			off++;
			continue;
		}
		len = syn->opts[(off + 1) & 63];
		if (off + 2 > optlen || len < 2 || off + len > optlen)
			break; /* a broken list: what was read stands */
		if (kind == CAS_TCPOPT_WSCALE && len == 3) {
			o->wscale = syn->opts[(off + 2) & 63];
			if (o->wscale > CAS_WSCALE_MAX)
				o->wscale = CAS_WSCALE_MAX;
		} else if (kind == CAS_TCPOPT_SACK_PERM && len == 2) {
			o->sack = 1;
		} else if (kind == CAS_TCPOPT_TIMESTAMP && len == 10) {
			o->ts = 1;
			o->tsval = cas_opt_be32(syn->opts, off + 2);
		}
		off += len;
	}
}

/* The IP header and the whole TCP header of the segment, onto the stack. */
static __always_inline int
cas_load_headers(struct xdp_md *ctx, const struct cas_packet *pkt,
		 union cas_ip_hdr *ip, struct cas_tcp_seg *seg, __u32 *th_len)
{
	/* doff * 4: a multiple of 4 in 20..60, which the mask keeps. */
	__u32 len = cas_bound(pkt->tcp_hdr_len, 0x3c);

	if (len < sizeof(struct tcphdr))
		return -1;
	*th_len = len;
	if (bpf_xdp_load_bytes(ctx, pkt->l4_off, seg, len))
		return -1;
	if (pkt->family == CAS_AF_INET)
		return bpf_xdp_load_bytes(ctx, pkt->l3_off, &ip->v4,
					  sizeof(ip->v4));
	return bpf_xdp_load_bytes(ctx, pkt->l3_off, &ip->v6, sizeof(ip->v6));
}

/* A checksum's last step: fold the 32-bit sum of 16-bit words, invert. */
static __always_inline __u16 cas_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * The sum of a block's 16-bit words as they lie in memory (the one's
 * complement sum does not care for byte order, so neither do we).
 */
static __always_inline __u32 cas_csum_words(const void *block, __u32 words)
{
	const __u16 *w = block;
	__u32 sum = 0, i;

#pragma unroll
	for (i = 0; i < 20; i++)
		if (i < words)
			sum += w[i];
	return sum;
}

/*
 * The SYN-ACK's TCP header, netfilter SYNPROXY's way: window 0 (SYNPROXY
 * opens it once the listener has answered), our MSS, and, only if the
 * client sent a timestamp (the one place SYNPROXY can find them again),
 * SACK-permitted, the timestamp carrying the client's options, and our
 * window scale if the client offered one. Returns its length: 24, 36 or 40.
 */
static __always_inline __u32 cas_synack_tcp(const struct cas_tcp_seg *syn,
					    const struct cas_syn_opts *o,
					    __u32 cookie, __u16 mss,
					    const struct cas_policy *policy,
					    struct cas_synack *out)
{
	__u32 len = 4, tsval;

	out->th.source = syn->th.dest;
	out->th.dest = syn->th.source;
	out->th.seq = bpf_htonl(cookie);
	out->th.ack_seq = bpf_htonl(bpf_ntohl(syn->th.seq) + 1);
	out->th.syn = 1;
	out->th.ack = 1;
	out->opts[0] = CAS_TCPOPT_MSS;
	out->opts[1] = 4;
	out->opts[2] = mss >> 8;
	out->opts[3] = mss & 0xff;
	if (o->ts) {
		tsval = (__u32)(bpf_ktime_get_ns() / CAS_NSEC_PER_MSEC) &
			~CAS_TS_OPT_BITS;
		tsval |= o->wscale;
		if (o->sack)
			tsval |= CAS_TS_SACK;
		if (syn->th.ece && syn->th.cwr) {
			tsval |= CAS_TS_ECN;
			out->th.ece = 1;
		}
		out->opts[4] = o->sack ? CAS_TCPOPT_SACK_PERM : CAS_TCPOPT_NOP;
		out->opts[5] = o->sack ? 2 : CAS_TCPOPT_NOP;
		out->opts[6] = CAS_TCPOPT_TIMESTAMP;
		out->opts[7] = 10;
		tsval = bpf_htonl(tsval);
		__builtin_memcpy(&out->opts[8], &tsval, 4);
		tsval = bpf_htonl(o->tsval);
		__builtin_memcpy(&out->opts[12], &tsval, 4);
		len = 16;
		if (o->wscale != CAS_TS_WSCALE_NONE) {
			out->opts[16] = CAS_TCPOPT_NOP;
			out->opts[17] = CAS_TCPOPT_WSCALE;
			out->opts[18] = 3;
			out->opts[19] = policy->wscale;
			len = 20;
		}
	}
	len += sizeof(struct tcphdr);
	out->th.doff = len / 4;
	return len;
}

/*
 * Write the SYN-ACK over the SYN: MACs and addresses swapped, VLAN tags
 * kept, a fresh IP header made from the SYN's (IPv4 options and IPv6
 * extension headers go), checksums made, the frame cut or grown to the
 * new length. ip is rewritten in place: the stack is short (512 bytes for
 * the whole call chain).
 */
static __always_inline int
cas_synack_write(struct xdp_md *ctx, const struct cas_packet *pkt,
		 union cas_ip_hdr *ip, struct cas_synack *out, __u32 tcp_len)
{
	__u32 l3 = pkt->l3_off, ip_len, sum;
	struct in6_addr peer6;
	__u8 macs[12];
	__be32 peer;
	int delta;

	if (pkt->family == CAS_AF_INET) {
		ip_len = sizeof(ip->v4);
		peer = ip->v4.saddr;
		ip->v4.saddr = ip->v4.daddr;
		ip->v4.daddr = peer;
		ip->v4.version = 4;
		ip->v4.ihl = 5;
		ip->v4.tos = 0;
		ip->v4.tot_len = bpf_htons(ip_len + tcp_len);
		ip->v4.id = 0;
		ip->v4.frag_off = bpf_htons(0x4000); /* DF */
		ip->v4.ttl = CAS_SYNPROXY_TTL;
		ip->v4.protocol = IPPROTO_TCP;
		ip->v4.check = 0;
		ip->v4.check = cas_csum_fold(cas_csum_words(&ip->v4, 10));
		sum = cas_csum_words(&ip->v4.saddr, 4);
	} else {
		ip_len = sizeof(ip->v6);
		peer6 = ip->v6.saddr;
		ip->v6.saddr = ip->v6.daddr;
		ip->v6.daddr = peer6;
		*(__be32 *)&ip->v6 =
			bpf_htonl(0x60000000); /* no class, no flow */
		ip->v6.payload_len = bpf_htons(tcp_len);
		ip->v6.nexthdr = IPPROTO_TCP;
		ip->v6.hop_limit = CAS_SYNPROXY_TTL;
		sum = cas_csum_words(&ip->v6.saddr, 16);
	}
	/* The pseudo header's rest, then the segment (zero past tcp_len). */
	sum += bpf_htons(IPPROTO_TCP) + bpf_htons(tcp_len);
	out->th.check = cas_csum_fold(sum + cas_csum_words(out, 20));

	delta = (int)(l3 + ip_len + tcp_len) - (int)(ctx->data_end - ctx->data);
	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	/* The MACs change places: destination first on the wire. */
	if (bpf_xdp_load_bytes(ctx, 0, macs + 6, 6) ||
	    bpf_xdp_load_bytes(ctx, 6, macs, 6) ||
	    bpf_xdp_store_bytes(ctx, 0, macs, sizeof(macs)))
		return -1;
	if (pkt->family == CAS_AF_INET) {
		if (bpf_xdp_store_bytes(ctx, l3, &ip->v4, sizeof(ip->v4)))
			return -1;
	} else if (bpf_xdp_store_bytes(ctx, l3, &ip->v6, sizeof(ip->v6))) {
		return -1;
	}
	/* One constant size per store: the verifier checks each. */
	if (tcp_len == 40)
		return bpf_xdp_store_bytes(ctx, l3 + ip_len, out, 40);
	if (tcp_len == 36)
		return bpf_xdp_store_bytes(ctx, l3 + ip_len, out, 36);
	return bpf_xdp_store_bytes(ctx, l3 + ip_len, out, 24);
}

/*
 * A SYN: the SYN-ACK cap, then the answer. A frame that cannot take the
 * answer (no room to grow) goes on to netfilter's SYNPROXY, which answers
 * the same way, only later. A global function, like the ACK's below: the
 * verifier checks each once, not once per path through the decision.
 */
__attribute__((noinline)) int cas_synproxy_syn(struct xdp_md *ctx,
					       const struct cas_packet *pkt,
					       const struct cas_policy *policy)
{
	struct cas_global_buckets *global;
	struct cas_tcp_seg syn = {};
	struct cas_synack out = {};
	union cas_ip_hdr ip = {};
	struct cas_syn_opts o;
	__u32 th_len, zero = 0;
	__s64 value;
	__u16 mss;

	if (!pkt || !policy)
		return CAS_REASON_MALFORMED; /* the verifier's view only */
	global = bpf_map_lookup_elem(&cas_global_gcra, &zero);
	if (!global ||
	    !cas_bucket_admit(&global->synack_tat, bpf_ktime_get_ns(),
			      policy->synack_rate, policy->synack_burst))
		return CAS_REASON_SYN_COOKIE_RATE;
	if (cas_load_headers(ctx, pkt, &ip, &syn, &th_len))
		return CAS_REASON_MALFORMED;
	if (pkt->family == CAS_AF_INET) {
		value = bpf_tcp_raw_gen_syncookie_ipv4(&ip.v4, &syn.th, th_len);
		mss = policy->mss4;
	} else {
		value = bpf_tcp_raw_gen_syncookie_ipv6(&ip.v6, &syn.th, th_len);
		mss = policy->mss6;
	}
	if (value < 0)
		return CAS_REASON_MALFORMED;
	cas_syn_options(&syn, th_len - sizeof(struct tcphdr), &o);
	if (cas_synack_write(
		    ctx, pkt, &ip, &out,
		    cas_synack_tcp(&syn, &o, (__u32)value, mss, policy, &out)))
		return CAS_REASON_ALLOWED;
	return CAS_REASON_SYN_COOKIE_SENT;
}

/* Whether the host has a socket for the segment's connection. */
__attribute__((noinline)) int cas_has_connection(struct xdp_md *ctx,
						 const struct cas_packet *pkt)
{
	struct bpf_sock_tuple tuple = {};
	struct bpf_sock *sk;
	int found;

	if (!pkt)
		return 0;
	if (pkt->family == CAS_AF_INET) {
		__builtin_memcpy(&tuple.ipv4.saddr, pkt->src, 4);
		__builtin_memcpy(&tuple.ipv4.daddr, pkt->dst, 4);
		tuple.ipv4.sport = pkt->sport;
		tuple.ipv4.dport = bpf_htons(pkt->dport);
		sk = bpf_skc_lookup_tcp(ctx, &tuple, sizeof(tuple.ipv4),
					BPF_F_CURRENT_NETNS, 0);
	} else {
		__builtin_memcpy(tuple.ipv6.saddr, pkt->src, 16);
		__builtin_memcpy(tuple.ipv6.daddr, pkt->dst, 16);
		tuple.ipv6.sport = pkt->sport;
		tuple.ipv6.dport = bpf_htons(pkt->dport);
		sk = bpf_skc_lookup_tcp(ctx, &tuple, sizeof(tuple.ipv6),
					BPF_F_CURRENT_NETNS, 0);
	}
	if (!sk)
		return 0;
	/* A listener is no connection: the lookup falls back to one. */
	found = sk->state != BPF_TCP_LISTEN;
	bpf_sk_release(sk);
	return found;
}

static __always_inline int cas_cookie_check(const struct cas_packet *pkt,
					    union cas_ip_hdr *ip,
					    struct cas_tcp_seg *seg)
{
	if (pkt->family == CAS_AF_INET)
		return !bpf_tcp_raw_check_syncookie_ipv4(&ip->v4, &seg->th);
	return !bpf_tcp_raw_check_syncookie_ipv6(&ip->v6, &seg->th);
}

/*
 * Whether a segment of no connection is an ACK returning a valid cookie.
 *
 * Or a zero-window probe that returns one: when the client's handshake ACK
 * is lost, the client holds the connection open, but our SYN-ACK offered
 * a window of 0, so all it sends is a probe, an ACK whose sequence number
 * is one below its next (tcp_xmit_probe_skb), which fails the check, and
 * the connection would hang until the client gave up. Such an ACK (pure,
 * no data) is checked again one higher and, if that is valid, rewritten
 * to it: it is then the handshake ACK that was lost, and netfilter's
 * SYNPROXY, which checks the cookie itself, opens the connection
 * (docs/synproxy.md). The second check doubles a forger's odds per
 * segment, which stay those of guessing a 24-bit hash, and is paid by
 * every forged pure ACK: no cheaper test tells a probe from the lost ACK
 * on the wire (bench_synproxy times that path as forged_ack).
 */
__attribute__((noinline)) int cas_cookie_valid(struct xdp_md *ctx,
					       const struct cas_packet *pkt)
{
	struct cas_tcp_seg seg = {};
	union cas_ip_hdr ip = {};
	__u32 th_len, sum;
	__be32 seq;
	__u16 check;

	if (!pkt)
		return 0;
	if ((pkt->tcp_flags & (CAS_TCP_ACK | CAS_TCP_SYN | CAS_TCP_RST |
			       CAS_TCP_FIN)) != CAS_TCP_ACK)
		return 0;
	if (cas_load_headers(ctx, pkt, &ip, &seg, &th_len))
		return 0;
	if (cas_cookie_check(pkt, &ip, &seg))
		return 1;
	if (pkt->payload_len)
		return 0;
	seq = seg.th.seq;
	seg.th.seq = bpf_htonl(bpf_ntohl(seq) + 1);
	if (!cas_cookie_check(pkt, &ip, &seg))
		return 0;
	/* RFC 1624: HC' = ~(~HC + ~m + m'), m the old words, m' the new. */
	sum = (__u16)~seg.th.check + (~seq >> 16) + (~seq & 0xffff) +
	      (seg.th.seq >> 16) + (seg.th.seq & 0xffff);
	check = cas_csum_fold(sum);
	if (bpf_xdp_store_bytes(ctx, pkt->l4_off + offsetof(struct tcphdr, seq),
				&seg.th.seq, sizeof(seg.th.seq)) ||
	    bpf_xdp_store_bytes(ctx,
				pkt->l4_off + offsetof(struct tcphdr, check),
				&check, sizeof(check)))
		return 0;
	return 1;
}

#endif /* CAS_SYNPROXY_H */
