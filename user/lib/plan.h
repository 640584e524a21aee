/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan.h - what an apply will change, decided without touching a map: a
 * pure function over the live rules (slot and body) and the wanted rules
 * (bodies as they will be written), so that it is tested without root or
 * a kernel (tests/unit/unit_plan.c).
 *
 * A wanted rule whose prefix has a live rule with the same body keeps that
 * slot (its counters and buckets go on); one whose body differs is a
 * change and takes a fresh slot (the caller carries the bucket state
 * over); one without a live rule is an addition. Live rules no wanted rule
 * names are removed. The table must hold the live rules and the fresh
 * slots at once, since the live rules keep theirs until the switch.
 */
#ifndef CAS_USER_PLAN_H
#define CAS_USER_PLAN_H

#include <stddef.h>
#include <linux/types.h>
#include "casshield.h"

/* A rule of the live generation: its slot and its body. */
struct cas_plan_live {
	__u32 id;
	struct cas_rule body;
};

enum cas_plan_kind {
	CAS_PLAN_KEEP,	 /* the same body is live: keep its slot */
	CAS_PLAN_CHANGE, /* its prefix is live with another body: fresh slot */
	CAS_PLAN_ADD,	 /* its prefix is not live: fresh slot */
};

/* What happens to a live rule. */
enum cas_plan_fate {
	CAS_PLAN_KEPT,	   /* a wanted rule keeps its slot */
	CAS_PLAN_REPLACED, /* a wanted rule has its prefix, in a fresh slot */
	CAS_PLAN_REMOVED,  /* no wanted rule has its prefix */
};

#define CAS_PLAN_NONE ((size_t)-1)

struct cas_plan_step {
	enum cas_plan_kind kind;
	size_t live; /* index of the live rule of its prefix, or CAS_PLAN_NONE */
	__u32 id;    /* KEEP: that rule's slot; else CAS_NO_RULE */
};

struct cas_plan {
	struct cas_plan_step *steps; /* one per wanted rule, in its order */
	enum cas_plan_fate *fates;   /* one per live rule, in its order */
	size_t added, changed, unchanged, removed;
	size_t fresh; /* slots to take: added + changed */
	size_t free;  /* slots the table has free: max_rules - live rules */
	/* -EEXIST: want[dup] (or live[dup]) repeats the prefix of [first] */
	size_t dup, first;
};

/*
 * Plan the switch from live to want in a table of max_rules slots. Bodies
 * are compared whole, with CAS_RULE_IN_USE taken as set on both sides.
 * 0; -EEXIST if two wanted rules (or two live rules) share a prefix
 * (plan->dup, plan->first); -ENOSPC if the fresh slots do not fit beside
 * the live rules (plan->fresh, plan->free); -ENOMEM. err (CAS_ERRBUF)
 * says why. On success the caller frees the plan with cas_plan_free; on
 * failure nothing is left allocated.
 */
int cas_plan_ruleset(const struct cas_plan_live *live, size_t live_count,
		     const struct cas_rule *want, size_t want_count,
		     __u32 max_rules, struct cas_plan *plan, char *err);
void cas_plan_free(struct cas_plan *plan);

/*
 * The fresh slots: the lowest want ids of a table of max_rules slots that
 * used (the live rules' ids, ascending, unique) does not hold, into ids.
 * A slot no live rule holds is free whatever its body says: a change that
 * died before its flip leaves bodies nothing publishes (docs/design.md,
 * "Crash safety"). 0, or -ENOSPC if fewer than want are free.
 */
int cas_plan_free_ids(const __u32 *used, size_t used_count, __u32 max_rules,
		      __u32 *ids, size_t want);

#endif /* CAS_USER_PLAN_H */
