/* SPDX-License-Identifier: GPL-2.0 */
/*
 * generation.h - a whole ruleset switched in at once: read the live
 * generation, plan (plan.h), build the spare generation, flip the
 * generation word, free what only the old generation used. `apply` and
 * `allow add --file` both change rules this way.
 *
 * Crash safety (docs/design.md, "Crash safety"): the rules in force are
 * those the live generation's prefix maps publish. Until the flip, a
 * switch writes only into the spare generation and into slots no live
 * rule holds, so a process killed before it leaves the live state as it
 * was; the flip is one map update, so one killed after it leaves the new
 * state whole. What it leaves behind (the spare generation's maps, bodies
 * nothing publishes) is garbage by definition: listings, metrics and the
 * free-slot count never read it, and the next switch clears the spare
 * generation before it builds. The caller holds the state lock
 * (cas_state_lock), as every writer does.
 */
#ifndef CAS_USER_GENERATION_H
#define CAS_USER_GENERATION_H

#include "maps.h"
#include "plan.h"

struct cas_gen_switch {
	const struct cas_maps *maps;
	struct cas_settings settings;
	__u32 table_size; /* slots of the rule table */
	struct cas_gen_maps live_gen, spare;
	struct cas_plan_live *live; /* the live rules, sorted by prefix */
	size_t live_count;
	struct cas_port_list live_ports;
	struct cas_policy live_policy;
	struct cas_plan plan;
	__u32 *fresh; /* plan.fresh free slots, for the steps that need one */
};

/* Read the live generation: its rules, ports and policy. 0 or -errno. */
int cas_gen_switch_read(const struct cas_maps *maps, struct cas_gen_switch *sw);
/* The live rule with rule's prefix, or NULL. */
const struct cas_plan_live *cas_gen_switch_find(const struct cas_gen_switch *sw,
						const struct cas_rule *rule);
/*
 * Plan the switch to want (the whole ruleset, as the maps will hold the
 * bodies) and pick the fresh slots: cas_plan_ruleset's result (-ENOSPC,
 * -EEXIST) with its message in err.
 */
int cas_gen_switch_plan(struct cas_gen_switch *sw, const struct cas_rule *want,
			size_t count, char *err);
/*
 * Build the spare generation (want as planned, ports, policy), flip to it,
 * wait for the packets that read the old word, free the old generation.
 * 0 or -errno; a failure before the flip leaves the live state as it was.
 */
int cas_gen_switch_commit(struct cas_gen_switch *sw,
			  const struct cas_rule *want, size_t count,
			  const struct cas_port_list *ports,
			  const struct cas_policy *policy);
void cas_gen_switch_release(struct cas_gen_switch *sw);

#endif /* CAS_USER_GENERATION_H */
