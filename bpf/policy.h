/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy.h - the allowlist decision for a parsed TCP/UDP packet: is its
 * destination port protected, and if so, does the most specific allow rule
 * covering its source include that port?
 */
#ifndef CAS_POLICY_H
#define CAS_POLICY_H

#include "bound.h"
#include "maps.h"
#include "parse.h"
#include "ratelimit.h"
#include "synproxy.h"
#include "tls.h"

struct cas_verdict {
	__u32 reason;  /* enum cas_reason */
	__u32 rule_id; /* CAS_NO_RULE unless a rule allowed the packet */
};

/* Protected slot of the destination port, or -1 if the port is open. */
static __always_inline int cas_port_slot(__u32 gen,
					 const struct cas_packet *pkt)
{
	__u32 port = pkt->dport;
	struct cas_port_slots *slots = CAS_GEN_LOOKUP(gen, cas_ports, &port);

	if (!slots || pkt->proto >= CAS_PROTO_COUNT)
		return -1;
	return (int)slots->slot_plus_one[pkt->proto] - 1;
}

/*
 * False when no rule's prefix can cover the source. Otherwise the screen
 * keeps the length mask of the source's /16 or /48 in the packet (and, for
 * IPv6, the generation's lengths 65..127): the lengths the lookup tries.
 */
static __always_inline int cas_prefilter_admits(__u32 gen,
						struct cas_packet *pkt)
{
	struct cas_prefilter *filter;
	__u32 index;

	filter = bpf_map_lookup_elem(&cas_prefilter, &gen);
	if (!filter) { /* no filter: try every length */
		pkt->lengths = ~0u;
		pkt->v6_long = ~0ULL;
		return 1;
	}
	/* The index is an OR of shifted bytes: bound it for 6.1 (bound.h). */
	if (pkt->family == CAS_AF_INET) {
		index = cas_prefilter_v4_index(pkt->src);
		pkt->lengths = filter->v4[cas_bound(
			index, CAS_PREFILTER_V4_SLOTS - 1)];
	} else {
		index = cas_prefilter_v6_index(pkt->src);
		pkt->lengths = filter->v6[cas_bound(
			index, CAS_PREFILTER_V6_SLOTS - 1)];
		pkt->v6_long = filter->v6_long;
	}
	return pkt->lengths != 0;
}

/*
 * IPv4: the lengths of the source's /16 mask, longest first, each one
 * exact lookup of (length, masked source); the first hit is the longest
 * match. A length whose rule was deleted costs a miss, never a wrong
 * answer (the mask is a superset).
 */
static __always_inline __u32 *cas_match_v4(__u32 gen,
					   const struct cas_packet *pkt)
{
	__u32 lengths = pkt->lengths, source, *rule_id;
	struct cas_lpm_v4 key;
	int k;

	__builtin_memcpy(&source, pkt->src, 4);
	source = bpf_ntohl(source);
	for (k = 0; k < 32 && lengths; k++, lengths >>= 1) {
		__u32 net;

		if (!(lengths & 1))
			continue;
		net = bpf_htonl(source & (0xffffffffu << k));
		key.prefixlen = 32 - k;
		__builtin_memcpy(key.addr, &net, 4);
		rule_id = CAS_GEN_LOOKUP(gen, cas_prefix4, &key);
		if (rule_id)
			return rule_id;
		if (k == 31) { /* bit 31 stands for /0 too */
			key.prefixlen = 0;
			__builtin_memset(key.addr, 0, 4);
			return CAS_GEN_LOOKUP(gen, cas_prefix4, &key);
		}
	}
	return NULL;
}

/*
 * One exact IPv6 lookup of the source's first len bits, 65 <= len <= 128:
 * high is the first half as stored (network order), low the second in
 * host order.
 */
static __always_inline __u32 *cas_lookup_v6_long(__u32 gen, __u64 high,
						 __u64 low, __u32 len)
{
	struct cas_lpm_v6 key = { .prefixlen = len };
	__u64 net = bpf_cpu_to_be64(len >= 128 ? low :
						 low & ~(~0ULL >> (len - 64)));

	__builtin_memcpy(key.addr, &high, 8);
	__builtin_memcpy(key.addr + 8, &net, 8);
	return CAS_GEN_LOOKUP(gen, cas_prefix6, &key);
}

/*
 * IPv6, longest first: the /128, the generation's lengths 65..127 if the
 * /48 may hold one, the /48's lengths 64..48, then the trie for prefixes
 * shorter than /48. Addresses are handled as two 64-bit halves.
 */
static __always_inline __u32 *cas_match_v6(__u32 gen,
					   const struct cas_packet *pkt)
{
	__u32 lengths = pkt->lengths, *rule_id;
	__u64 high, low, more = pkt->v6_long;
	struct cas_lpm_v6 key;
	int k;

	__builtin_memcpy(&high, pkt->src, 8); /* network order, as stored */
	__builtin_memcpy(&low, pkt->src + 8, 8);
	low = bpf_be64_to_cpu(low);
	if (lengths & (1u << CAS_V6_HOST_BIT)) {
		rule_id = cas_lookup_v6_long(gen, high, low, 128);
		if (rule_id)
			return rule_id;
	}
	if (lengths & (1u << CAS_V6_LONG_BIT)) {
		/* bit 62 of v6_long is /127, bit 0 is /65 */
		for (k = 62; k >= 0; k--) {
			if (!((more >> k) & 1))
				continue;
			rule_id = cas_lookup_v6_long(gen, high, low, 65 + k);
			if (rule_id)
				return rule_id;
		}
	}
	high = bpf_be64_to_cpu(high);
	for (k = 0; k <= 64 - CAS_PREFILTER_V6_LEN; k++) {
		__u64 net;

		if (!((lengths >> k) & 1))
			continue;
		net = bpf_cpu_to_be64(high & (~0ULL << k));
		key.prefixlen = 64 - k;
		__builtin_memcpy(key.addr, &net, 8);
		__builtin_memset(key.addr + 8, 0, 8);
		rule_id = CAS_GEN_LOOKUP(gen, cas_prefix6, &key);
		if (rule_id)
			return rule_id;
	}
	if (!(lengths & (1u << CAS_V6_SHORT_BIT)))
		return NULL;
	key.prefixlen = 128;
	__builtin_memcpy(key.addr, pkt->src, 16);
	return CAS_GEN_LOOKUP(gen, cas_trie6, &key);
}

/* Id of the most specific rule whose prefix covers the source. */
static __always_inline __u32 cas_match_rule(__u32 gen,
					    const struct cas_packet *pkt)
{
	__u32 *rule_id = pkt->family == CAS_AF_INET ? cas_match_v4(gen, pkt) :
						      cas_match_v6(gen, pkt);

	return rule_id ? *rule_id : CAS_NO_RULE;
}

static __always_inline int cas_mac_equal(const __u8 *a, const __u8 *b)
{
	return !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		 (a[4] ^ b[4]) | (a[5] ^ b[5]));
}

/* Proxy identity: the rule may also bind the source MAC and TTL window. */
static __always_inline int cas_identity_ok(const struct cas_rule *rule,
					   const struct cas_packet *pkt)
{
	if ((rule->flags & CAS_RULE_MATCH_MAC) &&
	    !cas_mac_equal(rule->mac, pkt->src_mac))
		return 0;
	if ((rule->flags & CAS_RULE_MATCH_TTL) &&
	    (pkt->ttl < rule->ttl_min || pkt->ttl > rule->ttl_max))
		return 0;
	return 1;
}

/* The TLS floor, then the hello buckets, for a segment that begins a hello. */
static __always_inline __u32 cas_hello(void *data, void *data_end,
				       const struct cas_packet *pkt,
				       __u32 rule_id,
				       const struct cas_rule *rule,
				       const struct cas_policy *policy)
{
	__u16 version;

	if (!cas_tls_client_hello(pkt, data, data_end, policy->min_tls,
				  &version))
		return CAS_REASON_ALLOWED;
	/* The floor is checked first: a refused hello spends no token. */
	if (policy->min_tls && version < policy->min_tls)
		return CAS_REASON_TLS_VERSION;
	return cas_limit_hello(rule_id, rule, policy);
}

/*
 * The SYN proxy's part (synproxy.h): a SYN is answered and goes no
 * further; a segment of a connection the host has goes on to the hello
 * checks; any other segment must return a valid cookie, and is then a
 * completed handshake, which the SYN buckets count (a forger cannot make
 * one). Both sentinels say "go on to the hello checks".
 */
#define CAS_SYNPROXY_KNOWN     (-1) /* a connection the host has */
#define CAS_SYNPROXY_COMPLETED (-2) /* a valid cookie, within the limits */

static __always_inline int
cas_synproxy(struct xdp_md *ctx, const struct cas_packet *pkt, __u32 rule_id,
	     const struct cas_rule *rule, const struct cas_policy *policy)
{
	__u32 reason;

	/* Only a pure SYN is answered: Linux drops SYN+FIN and SYN+RST. */
	if ((pkt->tcp_flags & (CAS_TCP_SYN | CAS_TCP_ACK | CAS_TCP_RST |
			       CAS_TCP_FIN)) == CAS_TCP_SYN)
		return cas_synproxy_syn(ctx, pkt, policy);
	if (cas_has_connection(ctx, pkt))
		return CAS_SYNPROXY_KNOWN;
	if (!cas_cookie_valid(ctx, pkt))
		return CAS_REASON_COOKIE_INVALID;
	reason = cas_limit_syn(pkt, rule_id, rule, policy);
	return reason == CAS_REASON_ALLOWED ? CAS_SYNPROXY_COMPLETED : reason;
}

/*
 * Handshake limits and the TLS floor, for an allowed TCP segment: a SYN
 * goes through the SYN buckets (with the SYN proxy on: is answered), a
 * segment that begins a ClientHello through the floor and the hello
 * buckets, a SYN carrying a hello through all of them, in that order.
 */
static __always_inline __u32 cas_handshake(struct xdp_md *ctx,
					   const struct cas_packet *pkt,
					   __u32 rule_id,
					   const struct cas_rule *rule,
					   const struct cas_policy *policy)
{
	int completed = 0;
	__u32 reason;

	if (pkt->proto != CAS_PROTO_TCP)
		return CAS_REASON_ALLOWED;
	if (policy->flags & CAS_POLICY_SYN_PROXY) {
		int step = cas_synproxy(ctx, pkt, rule_id, rule, policy);

		if (step >= 0)
			return step;
		completed = step == CAS_SYNPROXY_COMPLETED;
	} else if ((pkt->tcp_flags & (CAS_TCP_SYN | CAS_TCP_ACK)) ==
		   CAS_TCP_SYN) {
		reason = cas_limit_syn(pkt, rule_id, rule, policy);
		/* A SYN may carry a hello too (TCP Fast Open): judge both. */
		if (reason != CAS_REASON_ALLOWED)
			return reason;
	}
	reason = cas_hello((void *)(long)ctx->data, (void *)(long)ctx->data_end,
			   pkt, rule_id, rule, policy);
	if (reason == CAS_REASON_ALLOWED && completed)
		return CAS_REASON_COOKIE_VALID;
	return reason;
}

/*
 * The screen, inline on every path: a packet to an open port, or from a
 * source no rule can cover, is decided here from two array reads (the
 * port table, the prefilter) without a call, so a flood of strangers costs
 * the least. CAS_SCREEN_LOOKUP hands the packet on to cas_decide.
 */
#define CAS_SCREEN_LOOKUP (-2) /* not CAS_PARSE_TO_POLICY: a distinct state */

static __always_inline int cas_screen(__u32 gen, struct cas_packet *pkt)
{
	int slot = cas_port_slot(gen, pkt);

	if (slot < 0)
		return CAS_REASON_UNPROTECTED;
	pkt->port_slot = slot;
	if (!cas_prefilter_admits(gen, pkt))
		return CAS_REASON_NOT_ALLOWED;
	return CAS_SCREEN_LOOKUP;
}

/*
 * The decision, a global function: the verifier checks it once, on its own,
 * instead of once for every way the parser reached it (each VLAN depth and
 * each IPv6 extension-header count). Its arguments are the context, plain
 * memory and scalars; the payload is found again from its offset. policy
 * is the one the program read for this packet's generation (cas_record
 * uses it too), never read twice.
 */
__attribute__((noinline)) int cas_decide(struct xdp_md *ctx, __u32 gen,
					 const struct cas_policy *policy,
					 const struct cas_packet *pkt,
					 struct cas_verdict *verdict)
{
	struct cas_rule *rule;
	__u32 rule_id;

	if (!pkt || !verdict)
		return 0;
	verdict->rule_id = CAS_NO_RULE;
	if (!policy) { /* the verifier's view: the caller never passes NULL */
		verdict->reason = CAS_REASON_NOT_ALLOWED;
		return 0;
	}
	rule_id = cas_match_rule(gen & 1, pkt);
	rule = bpf_map_lookup_elem(&cas_rules, &rule_id);
	/* The longest match decides; a narrower rule never falls back. */
	if (!rule || !(rule->flags & CAS_RULE_IN_USE) ||
	    !(rule->port_mask & (1ULL << (pkt->port_slot & 63)))) {
		verdict->reason = CAS_REASON_NOT_ALLOWED;
		return 0;
	}
	if (!cas_identity_ok(rule, pkt)) {
		verdict->reason = CAS_REASON_SPOOFED;
		return 0;
	}
	verdict->reason = cas_handshake(ctx, pkt, rule_id, rule, policy);
	/* The rule's counters: what it let through to the host. */
	if (verdict->reason == CAS_REASON_ALLOWED ||
	    verdict->reason == CAS_REASON_COOKIE_VALID)
		verdict->rule_id = rule_id;
	return 0;
}

#endif /* CAS_POLICY_H */
