/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - the single exit of the program: every verdict is counted here
 * (action, reason, packets, bytes, and the allowing rule), then turned into
 * an XDP action. Monitor mode is applied here and only here.
 */
#ifndef CAS_STATS_H
#define CAS_STATS_H

#include "maps.h"
#include "policy.h"

static __always_inline int cas_reason_drops(__u32 reason)
{
	/* Folded to a constant per call site after inlining. */
	switch (reason) {
#define CAS_DROP_CASE(id, name, kind) \
	case CAS_REASON_##id:         \
		return kind == CAS_VERDICT_DROP;
		CAS_REASONS(CAS_DROP_CASE)
#undef CAS_DROP_CASE
	}
	return 1; /* an unknown reason fails closed */
}

static __always_inline void cas_count(void *map, __u32 index, __u64 bytes)
{
	struct cas_counter *counter = bpf_map_lookup_elem(map, &index);

	if (counter) {
		counter->packets++;
		counter->bytes += bytes;
	}
}

static __always_inline int cas_record(struct xdp_md *ctx,
				      const struct cas_policy *policy,
				      const struct cas_verdict *verdict)
{
	__u64 bytes = ctx->data_end - ctx->data;
	__u32 action = CAS_ACTION_PASS;

	if (cas_reason_drops(verdict->reason))
		action = policy->monitor ? CAS_ACTION_WOULD_DROP :
					   CAS_ACTION_DROP;
	cas_count(&cas_stats, CAS_STATS_INDEX(verdict->reason, action), bytes);
	if (verdict->rule_id != CAS_NO_RULE)
		cas_count(&cas_rule_stats, verdict->rule_id, bytes);
	return action == CAS_ACTION_DROP ? XDP_DROP : XDP_PASS;
}

#endif /* CAS_STATS_H */
