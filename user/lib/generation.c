// SPDX-License-Identifier: GPL-2.0
/*
 * generation.c - a whole ruleset switched in at once (generation.h):
 * the spare generation built from scratch, the generation word flipped,
 * the old generation freed after a grace period.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "generation.h"
#include "rules.h"

/* Longer than any XDP run, shorter than anyone notices. */
#define CAS_GRACE_US 20000

/* By prefix: the order lookups and reports use. */
static int cas_live_cmp(const void *a, const void *b)
{
	return cas_rule_prefix_order(&((const struct cas_plan_live *)a)->body,
				     &((const struct cas_plan_live *)b)->body);
}

int cas_gen_switch_read(const struct cas_maps *maps, struct cas_gen_switch *sw)
{
	int err;

	memset(sw, 0, sizeof(*sw));
	sw->maps = maps;
	err = cas_settings_read(maps, &sw->settings);
	if (!err)
		err = cas_rule_table_size(maps, &sw->table_size);
	if (err)
		return err;
	cas_gen_maps(maps, sw->settings.generation, &sw->live_gen);
	cas_gen_maps(maps, sw->settings.generation ^ 1, &sw->spare);
	err = cas_gen_rules(maps, &sw->live_gen, &sw->live, &sw->live_count);
	if (!err)
		err = cas_policy_read(maps, sw->live_gen.gen, &sw->live_policy);
	if (!err)
		err = cas_ports_get(sw->live_gen.ports, &sw->live_ports);
	if (!err && sw->live_count)
		qsort(sw->live, sw->live_count, sizeof(*sw->live),
		      cas_live_cmp);
	return err;
}

const struct cas_plan_live *cas_gen_switch_find(const struct cas_gen_switch *sw,
						const struct cas_rule *rule)
{
	struct cas_plan_live needle = { .body = *rule };

	if (!sw->live_count)
		return NULL;
	return bsearch(&needle, sw->live, sw->live_count, sizeof(*sw->live),
		       cas_live_cmp);
}

static int cas_id_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

int cas_gen_switch_plan(struct cas_gen_switch *sw, const struct cas_rule *want,
			size_t count, char *err)
{
	__u32 *used;
	size_t i;
	int ret;

	ret = cas_plan_ruleset(sw->live, sw->live_count, want, count,
			       sw->table_size, &sw->plan, err);
	if (ret)
		return ret;
	sw->fresh = calloc(sw->plan.fresh + 1, sizeof(*sw->fresh));
	used = calloc(sw->live_count + 1, sizeof(*used));
	if (!sw->fresh || !used) {
		free(used);
		snprintf(err, CAS_ERRBUF, "cannot plan the rules: %s",
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	for (i = 0; i < sw->live_count; i++)
		used[i] = sw->live[i].id;
	qsort(used, sw->live_count, sizeof(*used), cas_id_cmp);
	/* The plan counted the free slots: they are there. */
	ret = cas_plan_free_ids(used, sw->live_count, sw->table_size, sw->fresh,
				sw->plan.fresh);
	free(used);
	if (ret)
		snprintf(err, CAS_ERRBUF,
			 "the rule table has no %zu free slots",
			 sw->plan.fresh);
	return ret;
}

/* Empty every prefix map of a generation that packets do not use. */
static int cas_prefixes_clear(const struct cas_gen_maps *gen)
{
	int fds[CAS_PREFIX_MAPS], families[CAS_PREFIX_MAPS], i, err = 0;

	cas_gen_prefix_maps(gen, fds, families);
	for (i = 0; i < CAS_PREFIX_MAPS && !err; i++)
		err = cas_prefix_map_clear(fds[i]);
	return err;
}

/*
 * The fresh slots, before anything publishes them: zeroed counters, the
 * bodies, and buckets (full, but a changed rule keeps its old state).
 */
static int cas_spare_slots(const struct cas_gen_switch *sw,
			   const struct cas_rule *want, size_t count)
{
	struct cas_rule_buckets *buckets;
	struct cas_rule *bodies;
	size_t i, k = 0;
	int err;

	buckets = calloc(sw->plan.fresh + 1, sizeof(*buckets));
	bodies = calloc(sw->plan.fresh + 1, sizeof(*bodies));
	if (!buckets || !bodies) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		const struct cas_plan_step *step = &sw->plan.steps[i];

		if (step->kind == CAS_PLAN_KEEP)
			continue;
		if (step->kind == CAS_PLAN_CHANGE)
			bpf_map_lookup_elem(sw->maps->rule_buckets,
					    &sw->live[step->live].id,
					    &buckets[k]);
		bodies[k++] = want[i];
	}
	err = cas_rules_prepare_many(sw->maps, sw->fresh, bodies, buckets, k);
out:
	free(buckets);
	free(bodies);
	return err;
}

/* The slot each wanted rule has in the new generation. */
static __u32 *cas_spare_ids(const struct cas_gen_switch *sw, size_t count)
{
	__u32 *ids = calloc(count + 1, sizeof(*ids));
	size_t i, k = 0;

	for (i = 0; ids && i < count; i++)
		ids[i] = sw->plan.steps[i].kind == CAS_PLAN_KEEP ?
				 sw->plan.steps[i].id :
				 sw->fresh[k++];
	return ids;
}

/* Publish in one prefix map of the spare generation the rules it holds. */
static int cas_spare_publish(const struct cas_gen_switch *sw, int map_fd,
			     const struct cas_rule *want, const __u32 *ids,
			     size_t count)
{
	size_t key_size = map_fd == sw->spare.prefix4 ?
				  sizeof(struct cas_lpm_v4) :
				  sizeof(struct cas_lpm_v6);
	char *keys = malloc((count + 1) * key_size);
	__u32 *values = malloc((count + 1) * sizeof(*values));
	size_t i, n = 0;
	int err = -ENOMEM;

	for (i = 0; keys && values && i < count; i++) {
		struct cas_prefix_key key;
		struct cas_prefix prefix;

		cas_rule_prefix(&want[i], &prefix);
		cas_prefix_key_in(&sw->spare, &prefix, &key);
		if (key.map_fd != map_fd)
			continue;
		memcpy(keys + n * key_size, &key.key, key_size);
		values[n++] = ids[i];
	}
	/* The spare maps were emptied and the plan found no prefix twice. */
	if (keys && values)
		err = cas_map_update_many(map_fd, keys, key_size, values,
					  sizeof(*values), n, BPF_ANY);
	free(keys);
	free(values);
	return err;
}

/* The spare generation's prefilter: exactly the prefixes of want. */
static int cas_spare_prefilter(const struct cas_gen_switch *sw,
			       const struct cas_rule *want, size_t count)
{
	struct cas_prefix *prefixes = calloc(count + 1, sizeof(*prefixes));
	size_t i;
	int err;

	if (!prefixes)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		cas_rule_prefix(&want[i], &prefixes[i]);
	err = cas_prefilter_update(sw->maps, sw->spare.gen, true, prefixes,
				   count);
	free(prefixes);
	return err;
}

/* The spare generation from scratch; packets do not look at it. */
static int cas_spare_build(const struct cas_gen_switch *sw,
			   const struct cas_rule *want, size_t count,
			   const struct cas_port_list *ports,
			   const struct cas_policy *policy)
{
	int fds[CAS_PREFIX_MAPS], families[CAS_PREFIX_MAPS], m, err;
	__u32 *ids;

	/* Whatever a killed change left there goes first. */
	err = cas_prefixes_clear(&sw->spare);
	if (!err)
		err = cas_ports_set(sw->spare.ports, ports);
	if (!err)
		err = cas_spare_slots(sw, want, count);
	if (err)
		return err;
	ids = cas_spare_ids(sw, count);
	if (!ids)
		return -ENOMEM;
	cas_gen_prefix_maps(&sw->spare, fds, families);
	for (m = 0; m < CAS_PREFIX_MAPS && !err; m++)
		err = cas_spare_publish(sw, fds[m], want, ids, count);
	free(ids);
	if (!err)
		err = cas_policy_write(sw->maps, sw->spare.gen, policy);
	if (!err)
		err = cas_spare_prefilter(sw, want, count);
	return err;
}

/* After the flip and the grace period: what only the old one used. */
static void cas_old_free(const struct cas_gen_switch *sw)
{
	__u32 *ids = calloc(sw->live_count + 1, sizeof(*ids));
	size_t i, n = 0;

	for (i = 0; ids && i < sw->live_count; i++)
		if (sw->plan.fates[i] != CAS_PLAN_KEPT)
			ids[n++] = sw->live[i].id;
	if (ids)
		cas_rules_free_many(sw->maps, ids, n);
	free(ids);
	cas_prefixes_clear(&sw->live_gen);
}

int cas_gen_switch_commit(struct cas_gen_switch *sw,
			  const struct cas_rule *want, size_t count,
			  const struct cas_port_list *ports,
			  const struct cas_policy *policy)
{
	struct cas_settings flipped = sw->settings;
	int err;

	err = cas_spare_build(sw, want, count, ports, policy);
	/* The flip: one word, and every packet after it sees the new set. */
	flipped.generation = sw->spare.gen;
	if (!err)
		err = cas_settings_write(sw->maps, &flipped);
	if (err) {
		/* Not flipped: the fresh slots go back (nothing publishes them). */
		cas_rules_free_many(sw->maps, sw->fresh, sw->plan.fresh);
		return err;
	}
	sw->settings = flipped;
	usleep(CAS_GRACE_US);
	cas_old_free(sw);
	return 0;
}

void cas_gen_switch_release(struct cas_gen_switch *sw)
{
	free(sw->live);
	free(sw->fresh);
	cas_plan_free(&sw->plan);
	sw->live = NULL;
	sw->fresh = NULL;
}
