// SPDX-License-Identifier: GPL-2.0
/* verdicts.c - names and counters of (action, reason) pairs. */
#include "verdicts.h"

const char *const cas_action_names[CAS_ACTION_COUNT] = {
#define CAS_ACTION_NAME(id, name) [CAS_ACTION_##id] = name,
	CAS_ACTIONS(CAS_ACTION_NAME)
#undef CAS_ACTION_NAME
};

const char *const cas_reason_names[CAS_REASON_COUNT] = {
#define CAS_REASON_NAME(id, name, kind) [CAS_REASON_##id] = name,
	CAS_REASONS(CAS_REASON_NAME)
#undef CAS_REASON_NAME
};

const enum cas_verdict_kind cas_reason_kinds[CAS_REASON_COUNT] = {
#define CAS_REASON_KIND(id, name, kind) [CAS_REASON_##id] = kind,
	CAS_REASONS(CAS_REASON_KIND)
#undef CAS_REASON_KIND
};

size_t cas_reason_actions(__u32 reason, __u32 actions[2])
{
	switch (cas_reason_kinds[reason]) {
	case CAS_VERDICT_DROP:
		actions[0] = CAS_ACTION_DROP;
		actions[1] = CAS_ACTION_WOULD_DROP;
		return 2;
	case CAS_VERDICT_TX:
		actions[0] = CAS_ACTION_TX;
		return 1;
	default:
		actions[0] = CAS_ACTION_PASS;
		return 1;
	}
}

int cas_verdicts_read(const struct cas_maps *maps,
		      struct cas_verdict_count *counts, size_t *count)
{
	__u32 reason, actions[2];
	size_t used = 0, i, n;
	int err;

	for (reason = 0; reason < CAS_REASON_COUNT; reason++) {
		n = cas_reason_actions(reason, actions);
		for (i = 0; i < n; i++) {
			struct cas_verdict_count *c = &counts[used++];

			c->action = cas_action_names[actions[i]];
			c->reason = cas_reason_names[reason];
			err = cas_counter_sum(
				maps->stats,
				CAS_STATS_INDEX(reason, actions[i]),
				&c->counter);
			if (err)
				return err;
		}
	}
	*count = used;
	return 0;
}
