// SPDX-License-Identifier: GPL-2.0
/* plan.c - the plan of an apply: pure, no map is read or written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "plan.h"
#include "rules.h"

/* A rule's prefix and its index on its side, sorted by both. */
struct cas_plan_key {
	struct cas_prefix prefix;
	size_t index;
};

static int cas_plan_key_cmp(const void *a, const void *b)
{
	const struct cas_plan_key *x = a, *y = b;
	int by_prefix = cas_prefix_order(&x->prefix, &y->prefix);

	if (by_prefix)
		return by_prefix;
	return (x->index > y->index) - (x->index < y->index);
}

/* The keys of count rules, rule i at base + i * stride, sorted. */
static struct cas_plan_key *cas_plan_keys(const void *base, size_t count,
					  size_t stride)
{
	struct cas_plan_key *keys = calloc(count + 1, sizeof(*keys));
	size_t i;

	if (!keys)
		return NULL;
	for (i = 0; i < count; i++) {
		cas_rule_prefix((const void *)((const char *)base + i * stride),
				&keys[i].prefix);
		keys[i].index = i;
	}
	qsort(keys, count, sizeof(*keys), cas_plan_key_cmp);
	return keys;
}

/*
 * The first rule, in its side's order, whose prefix an earlier one has:
 * of each run of equal prefixes the second key, the lowest such index.
 * -EEXIST and plan->dup, plan->first; 0 if every prefix is unique.
 */
static int cas_plan_repeats(const struct cas_plan_key *keys, size_t count,
			    const char *side, struct cas_plan *plan, char *err)
{
	size_t i, run = 0;
	char cidr[64];
	bool found = false;

	for (i = 1; i < count; i++) {
		if (cas_prefix_order(&keys[i].prefix, &keys[run].prefix)) {
			run = i;
			continue;
		}
		if (i == run + 1 && (!found || keys[i].index < plan->dup)) {
			plan->dup = keys[i].index;
			plan->first = keys[run].index;
			found = true;
		}
	}
	if (!found)
		return 0;
	for (i = 0; keys[i].index != plan->dup; i++)
		;
	cas_format_prefix(&keys[i].prefix, cidr, sizeof(cidr));
	snprintf(err, CAS_ERRBUF,
		 "%s rule %zu has the prefix %s of %s rule %zu", side,
		 plan->dup, cidr, side, plan->first);
	return -EEXIST;
}

static bool cas_plan_same_body(const struct cas_rule *a,
			       const struct cas_rule *b)
{
	struct cas_rule x = *a, y = *b;

	x.flags |= CAS_RULE_IN_USE;
	y.flags |= CAS_RULE_IN_USE;
	return !memcmp(&x, &y, sizeof(x));
}

/* Wanted rule w pairs with live rule l (same prefix). */
static void cas_plan_pair(const struct cas_plan_live *live, size_t l,
			  const struct cas_rule *want, size_t w,
			  struct cas_plan *plan)
{
	struct cas_plan_step *step = &plan->steps[w];

	step->live = l;
	if (cas_plan_same_body(&live[l].body, &want[w])) {
		step->kind = CAS_PLAN_KEEP;
		step->id = live[l].id;
		plan->fates[l] = CAS_PLAN_KEPT;
		plan->unchanged++;
	} else {
		step->kind = CAS_PLAN_CHANGE;
		plan->fates[l] = CAS_PLAN_REPLACED;
		plan->changed++;
	}
}

/* Walk both sorted sides at once: each wanted rule meets its live one. */
static void cas_plan_match(const struct cas_plan_live *live,
			   const struct cas_plan_key *live_keys,
			   size_t live_count, const struct cas_rule *want,
			   const struct cas_plan_key *want_keys,
			   size_t want_count, struct cas_plan *plan)
{
	size_t w, l = 0;

	for (w = 0; w < live_count; w++)
		plan->fates[w] = CAS_PLAN_REMOVED;
	for (w = 0; w < want_count; w++) {
		size_t index = want_keys[w].index;
		int order = 1;

		while (l < live_count &&
		       (order = cas_prefix_order(&live_keys[l].prefix,
						 &want_keys[w].prefix)) < 0)
			l++;
		plan->steps[index].id = CAS_NO_RULE;
		if (l < live_count && !order) {
			cas_plan_pair(live, live_keys[l].index, want, index,
				      plan);
			continue;
		}
		plan->steps[index].kind = CAS_PLAN_ADD;
		plan->steps[index].live = CAS_PLAN_NONE;
		plan->added++;
	}
	plan->fresh = plan->added + plan->changed;
	plan->removed = live_count - plan->unchanged - plan->changed;
}

int cas_plan_ruleset(const struct cas_plan_live *live, size_t live_count,
		     const struct cas_rule *want, size_t want_count,
		     __u32 max_rules, struct cas_plan *plan, char *err)
{
	struct cas_plan_key *live_keys, *want_keys;
	int ret = 0;

	memset(plan, 0, sizeof(*plan));
	want_keys = cas_plan_keys(want, want_count, sizeof(*want));
	live_keys = cas_plan_keys(live_count ? &live[0].body : NULL, live_count,
				  sizeof(*live));
	plan->steps = calloc(want_count + 1, sizeof(*plan->steps));
	plan->fates = calloc(live_count + 1, sizeof(*plan->fates));
	if (!want_keys || !live_keys || !plan->steps || !plan->fates) {
		snprintf(err, CAS_ERRBUF, "cannot plan the rules: %s",
			 strerror(ENOMEM));
		ret = -ENOMEM;
		goto out;
	}
	ret = cas_plan_repeats(want_keys, want_count, "wanted", plan, err);
	if (!ret)
		ret = cas_plan_repeats(live_keys, live_count, "live", plan,
				       err);
	if (ret)
		goto out;
	cas_plan_match(live, live_keys, live_count, want, want_keys, want_count,
		       plan);
	plan->free = max_rules > live_count ? max_rules - live_count : 0;
	if (plan->fresh > plan->free) {
		snprintf(err, CAS_ERRBUF,
			 "the rules need %zu new slots and %zu are free",
			 plan->fresh, plan->free);
		ret = -ENOSPC;
	}
out:
	free(want_keys);
	free(live_keys);
	if (ret)
		cas_plan_free(plan);
	return ret;
}

void cas_plan_free(struct cas_plan *plan)
{
	free(plan->steps);
	free(plan->fates);
	plan->steps = NULL;
	plan->fates = NULL;
}

int cas_plan_free_ids(const __u32 *used, size_t used_count, __u32 max_rules,
		      __u32 *ids, size_t want)
{
	size_t found = 0, next = 0;
	__u32 id;

	for (id = 0; id < max_rules && found < want; id++) {
		while (next < used_count && used[next] < id)
			next++;
		if (next < used_count && used[next] == id)
			continue;
		ids[found++] = id;
	}
	return found == want ? 0 : -ENOSPC;
}
