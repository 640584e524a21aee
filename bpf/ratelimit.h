/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ratelimit.h - handshake token buckets, as GCRA (the generic cell rate
 * algorithm): a bucket is one u64, the theoretical arrival time (TAT) of
 * the next conforming handshake, advanced with compare-and-swap so every
 * CPU shares one exact bucket without a lock. A bucket of rate r and burst
 * b admits a handshake at time t when TAT - t <= (b - 1) / r, then sets
 * TAT = max(TAT, t) + 1 / r. See docs/ratelimit.md.
 */
#ifndef CAS_RATELIMIT_H
#define CAS_RATELIMIT_H

#include "maps.h"
#include "parse.h"

#define CAS_NSEC_PER_SEC 1000000000ULL
#define CAS_GCRA_TRIES	 4 /* CAS retries under contention, then fail closed */

/* Random per load (set by the loader before load): cells cannot be aimed at. */
const volatile __u64 cas_hash_seed = 0;

/* 1 if a handshake conforms to (rate, burst) and was charged, else 0. */
static __always_inline int cas_bucket_admit(__u64 *tat, __u64 now, __u32 rate,
					    __u32 burst)
{
	__u64 interval, tolerance, old, base;
	int i;

	if (!rate)
		return 1;
	interval = CAS_NSEC_PER_SEC / rate;
	tolerance = interval * ((burst ? burst : rate) - 1);
	for (i = 0; i < CAS_GCRA_TRIES; i++) {
		old = *(volatile __u64 *)tat;
		base = old > now ? old : now;
		if (base - now > tolerance)
			return 0;
		if (__sync_val_compare_and_swap(tat, old, base + interval) ==
		    old)
			return 1;
	}
	return 0;
}

static __always_inline __u64 cas_mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * Per-source buckets of a rule: the source (IPv6 by its /64) and the rule
 * id are hashed to one cell in each of CAS_SOURCE_ROWS rows, and the SYN
 * must conform in every row. Sources that share a cell share its budget,
 * so a collision can only make the limit stricter, never looser; the
 * sketch has no entries to evict, so a flood of fresh sources cannot reset
 * anyone's state. A row that refuses leaves earlier rows charged: again
 * stricter, never looser.
 */
static __always_inline int cas_source_admit(const struct cas_packet *pkt,
					    __u32 rule_id,
					    const struct cas_rule *rule,
					    __u64 now)
{
	__u64 source = 0, key;
	__u32 row;

	if (!rule->source_syn_rate)
		return 1;
	if (pkt->family == CAS_AF_INET)
		__builtin_memcpy(&source, pkt->src, 4);
	else
		__builtin_memcpy(&source, pkt->src, 8); /* the /64 */
	key = cas_mix64(source ^ cas_hash_seed) ^
	      cas_mix64(((__u64)rule_id << 8 | pkt->family) + cas_hash_seed);
#pragma unroll
	for (row = 0; row < CAS_SOURCE_ROWS; row++) {
		__u32 cell = row * CAS_SOURCE_CELLS +
			     (cas_mix64(key + row) & (CAS_SOURCE_CELLS - 1));
		__u64 *tat = bpf_map_lookup_elem(&cas_source_gcra, &cell);

		if (!tat || !cas_bucket_admit(tat, now, rule->source_syn_rate,
					      rule->source_syn_burst))
			return 0;
	}
	return 1;
}

enum cas_bucket_refusal { CAS_ADMITTED, CAS_REFUSED_RULE, CAS_REFUSED_GLOBAL };

/*
 * The rule's bucket, then the interface's global one, for SYNs or for
 * ClientHellos (hello picks which TAT of each).
 */
static __always_inline int cas_rule_then_global(__u32 rule_id, int hello,
						__u32 rule_rate,
						__u32 rule_burst,
						__u32 global_rate,
						__u32 global_burst, __u64 now)
{
	struct cas_global_buckets *global;
	struct cas_rule_buckets *buckets;
	__u32 zero = 0;

	buckets = bpf_map_lookup_elem(&cas_rule_gcra, &rule_id);
	if (!buckets ||
	    !cas_bucket_admit(hello ? &buckets->hello_tat : &buckets->syn_tat,
			      now, rule_rate, rule_burst))
		return CAS_REFUSED_RULE;
	global = bpf_map_lookup_elem(&cas_global_gcra, &zero);
	if (!global ||
	    !cas_bucket_admit(hello ? &global->hello_tat : &global->syn_tat,
			      now, global_rate, global_burst))
		return CAS_REFUSED_GLOBAL;
	return CAS_ADMITTED;
}

/*
 * A SYN of an allowed source: per source, then per rule, then global. The
 * narrowest bucket goes first so that a flood it stops never drains the
 * buckets that other sources and rules share.
 */
static __always_inline __u32 cas_limit_syn(const struct cas_packet *pkt,
					   __u32 rule_id,
					   const struct cas_rule *rule,
					   const struct cas_policy *policy)
{
	__u64 now = bpf_ktime_get_ns();

	if (!cas_source_admit(pkt, rule_id, rule, now))
		return CAS_REASON_SYN_RATE_SOURCE;
	switch (cas_rule_then_global(rule_id, 0, rule->syn_rate,
				     rule->syn_burst, policy->syn_rate,
				     policy->syn_burst, now)) {
	case CAS_REFUSED_RULE:
		return CAS_REASON_SYN_RATE_RULE;
	case CAS_REFUSED_GLOBAL:
		return CAS_REASON_SYN_RATE_GLOBAL;
	}
	return CAS_REASON_ALLOWED;
}

/* A TLS ClientHello of an allowed source: per rule, then global. */
static __always_inline __u32 cas_limit_hello(__u32 rule_id,
					     const struct cas_rule *rule,
					     const struct cas_policy *policy)
{
	if (cas_rule_then_global(rule_id, 1, rule->hello_rate,
				 rule->hello_burst, policy->hello_rate,
				 policy->hello_burst, bpf_ktime_get_ns()))
		return CAS_REASON_HELLO_RATE;
	return CAS_REASON_ALLOWED;
}

#endif /* CAS_RATELIMIT_H */
