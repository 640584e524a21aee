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

static __always_inline int cas_reason_kind(__u32 reason)
{
	/* Folded to a constant per call site after inlining. */
	switch (reason) {
#define CAS_KIND_CASE(id, name, kind) \
	case CAS_REASON_##id:         \
		return kind;
		CAS_REASONS(CAS_KIND_CASE)
#undef CAS_KIND_CASE
	}
	return CAS_VERDICT_DROP; /* an unknown reason fails closed */
}

static __always_inline void cas_count(void *map, __u32 index, __u64 bytes)
{
	struct cas_counter *counter = bpf_map_lookup_elem(map, &index);

	if (counter) {
		counter->packets++;
		counter->bytes += bytes;
	}
}

/*
 * bytes is the frame's length as it arrived, read before the decision: an
 * answered SYN leaves as a SYN-ACK of another length, and the counters
 * count what the shield received.
 */
static __always_inline int cas_record(const struct cas_policy *policy,
				      const struct cas_verdict *verdict,
				      __u64 bytes)
{
	int kind = cas_reason_kind(verdict->reason);
	__u32 action = CAS_ACTION_PASS;

	if (kind == CAS_VERDICT_DROP)
		action = policy->monitor ? CAS_ACTION_WOULD_DROP :
					   CAS_ACTION_DROP;
	else if (kind == CAS_VERDICT_TX)
		action = CAS_ACTION_TX;
	cas_count(&cas_stats, CAS_STATS_INDEX(verdict->reason, action), bytes);
	if (verdict->rule_id != CAS_NO_RULE)
		cas_count(&cas_rule_stats, verdict->rule_id, bytes);
	if (action == CAS_ACTION_DROP)
		return XDP_DROP;
	return action == CAS_ACTION_TX ? XDP_TX : XDP_PASS;
}

#endif /* CAS_STATS_H */
