// SPDX-License-Identifier: GPL-2.0
/* rules.c - allow rules: add, delete, find, list. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "common.h"
#include "generation.h"
#include "rules.h"

void cas_rule_prefix(const struct cas_rule *rule, struct cas_prefix *prefix)
{
	memset(prefix, 0, sizeof(*prefix));
	prefix->family = rule->family;
	prefix->prefixlen = rule->prefixlen;
	memcpy(prefix->addr, rule->addr, sizeof(prefix->addr));
}

void cas_rule_set_prefix(struct cas_rule *rule, const struct cas_prefix *prefix)
{
	rule->family = prefix->family;
	rule->prefixlen = prefix->prefixlen;
	memcpy(rule->addr, prefix->addr, sizeof(rule->addr));
}

void cas_rule_label(const struct cas_rule *rule, char *buf, size_t len)
{
	struct cas_prefix prefix;

	if (rule->name[0]) {
		snprintf(buf, len, "%.*s", CAS_RULE_NAME_LEN, rule->name);
		return;
	}
	cas_rule_prefix(rule, &prefix);
	cas_format_prefix(&prefix, buf, len);
}

/* Where a prefix lives in the live generation. */
static int cas_prefix_key_live(const struct cas_maps *maps,
			       const struct cas_prefix *prefix,
			       struct cas_prefix_key *key)
{
	struct cas_gen_maps active;
	int err;

	err = cas_active_maps(maps, &active);
	if (err)
		return err;
	cas_prefix_key_in(&active, prefix, key);
	return 0;
}

int cas_rule_find(const struct cas_maps *maps, const struct cas_prefix *prefix,
		  __u32 *id)
{
	struct cas_prefix_key key;
	struct cas_rule rule;
	__u32 found;

	/*
	 * The hashes are looked up exactly; the IPv6 trie (shorter than /48)
	 * returns the longest prefix covering the key, which is the exact entry
	 * when there is one: so compare the rule's prefix.
	 */
	if (cas_prefix_key_live(maps, prefix, &key))
		return -EIO;
	if (bpf_map_lookup_elem(key.map_fd, &key.key, &found))
		return errno == ENOENT ? -ENOENT : -errno;
	if (bpf_map_lookup_elem(maps->rules, &found, &rule))
		return -errno;
	if (!(rule.flags & CAS_RULE_IN_USE) || rule.family != prefix->family ||
	    rule.prefixlen != prefix->prefixlen ||
	    memcmp(rule.addr, prefix->addr, sizeof(rule.addr)))
		return -ENOENT;
	*id = found;
	return 0;
}

int cas_rule_table_size(const struct cas_maps *maps, __u32 *size)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);

	if (bpf_obj_get_info_by_fd(maps->rules, &info, &info_len))
		return -errno;
	*size = info.max_entries;
	return 0;
}

int cas_rule_free_slots(const struct cas_maps *maps, __u32 *ids, size_t want)
{
	struct cas_rule_ref *refs = NULL;
	struct cas_gen_maps active;
	__u32 size = 0, *used = NULL;
	size_t count = 0, i;
	int err;

	if (!want)
		return 0;
	err = cas_rule_table_size(maps, &size);
	if (!err)
		err = cas_active_maps(maps, &active);
	if (!err)
		err = cas_gen_refs(&active, &refs, &count);
	if (err)
		return err;
	used = malloc((count + 1) * sizeof(*used));
	if (!used) {
		free(refs);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++) /* in id order already */
		used[i] = refs[i].id;
	err = cas_plan_free_ids(used, count, size, ids, want);
	free(refs);
	free(used);
	return err;
}

static int cas_rule_free_id(const struct cas_maps *maps, __u32 *id)
{
	return cas_rule_free_slots(maps, id, 1);
}

static int cas_rule_stats_clear(const struct cas_maps *maps, __u32 id)
{
	int cpus = libbpf_num_possible_cpus();
	struct cas_counter *zeros;
	int err = 0;

	if (cpus < 0)
		return cpus;
	zeros = calloc(cpus, sizeof(*zeros));
	if (!zeros)
		return -ENOMEM;
	if (bpf_map_update_elem(maps->rule_stats, &id, zeros, BPF_ANY))
		err = -errno;
	free(zeros);
	return err;
}

int cas_rule_prepare_id(const struct cas_maps *maps, __u32 id,
			const struct cas_rule *rule,
			const struct cas_rule_buckets *buckets)
{
	struct cas_rule body = *rule;
	int err;

	err = cas_rule_stats_clear(maps, id);
	if (err)
		return err;
	if (bpf_map_update_elem(maps->rule_buckets, &id, buckets, BPF_ANY))
		return -errno;
	body.flags |= CAS_RULE_IN_USE;
	if (bpf_map_update_elem(maps->rules, &id, &body, BPF_ANY))
		return -errno;
	return 0;
}

/* A free slot with body, counters and buckets, before anything points at it. */
static int cas_rule_prepare(const struct cas_maps *maps,
			    const struct cas_rule *rule, __u32 *id,
			    const struct cas_rule_buckets *buckets)
{
	int err;

	err = cas_rule_free_id(maps, id);
	return err ? err : cas_rule_prepare_id(maps, *id, rule, buckets);
}

void cas_rule_free_slot(const struct cas_maps *maps, __u32 id)
{
	struct cas_rule unused = {};

	bpf_map_update_elem(maps->rules, &id, &unused, BPF_ANY);
}

int cas_rule_add(const struct cas_maps *maps, const struct cas_rule *rule,
		 __u32 *id)
{
	const struct cas_rule_buckets full = {};
	struct cas_prefix prefix;
	struct cas_prefix_key key;
	__u32 existing;
	int err;

	cas_rule_prefix(rule, &prefix);
	err = cas_rule_find(maps, &prefix, &existing);
	if (!err)
		return -EEXIST;
	if (err != -ENOENT)
		return err;
	/* Body, fresh counters and full buckets first; the prefix last. */
	err = cas_rule_prepare(maps, rule, id, &full);
	if (err)
		return err;
	/* The prefilter must admit the prefix before the prefix exists. */
	err = cas_prefilter_add_live(maps, &prefix, 1);
	if (err) {
		cas_rule_free_slot(maps, *id);
		return err;
	}
	err = cas_prefix_key_live(maps, &prefix, &key);
	if (err || bpf_map_update_elem(key.map_fd, &key.key, id, BPF_NOEXIST)) {
		err = -errno;
		cas_rule_free_slot(maps, *id);
		return err;
	}
	return 0;
}

/*
 * A rule's body cannot be rewritten in place (a packet could read half of
 * it), so the new body goes to a fresh slot, with the old slot's bucket
 * state, and the prefix entry is switched to it in one update: every packet
 * sees either the old rule or the new one.
 */
int cas_rule_replace(const struct cas_maps *maps, const struct cas_rule *rule,
		     __u32 *id)
{
	struct cas_rule_buckets buckets;
	struct cas_prefix prefix;
	struct cas_prefix_key key;
	__u32 old_id;
	int err;

	cas_rule_prefix(rule, &prefix);
	err = cas_rule_find(maps, &prefix, &old_id);
	if (err)
		return err;
	if (bpf_map_lookup_elem(maps->rule_buckets, &old_id, &buckets))
		return -errno;
	err = cas_rule_prepare(maps, rule, id, &buckets);
	if (err)
		return err;
	err = cas_prefix_key_live(maps, &prefix, &key);
	if (!err && bpf_map_update_elem(key.map_fd, &key.key, id, BPF_EXIST))
		err = -errno;
	if (err) {
		cas_rule_free_slot(maps, *id);
		return err;
	}
	cas_rule_free_slot(maps, old_id);
	return 0;
}

int cas_rule_del(const struct cas_maps *maps, const struct cas_prefix *prefix)
{
	struct cas_prefix_key key;
	__u32 id = 0;
	int err;

	err = cas_rule_find(maps, prefix, &id);
	if (err)
		return err;
	/* Withdraw the prefix first; then the body can no longer be reached. */
	err = cas_prefix_key_live(maps, prefix, &key);
	if (err)
		return err;
	if (bpf_map_delete_elem(key.map_fd, &key.key))
		return -errno;
	cas_rule_free_slot(maps, id);
	return 0;
}

/*
 * Every entry's hits, summed over CPUs: batched reads, not one per rule,
 * a chunk of entries at a time (per-CPU values times a million rules
 * would not fit a small host's memory).
 */
static int cas_list_hits(const struct cas_maps *maps,
			 struct cas_rule_entry *entries, size_t count)
{
	int cpus = libbpf_num_possible_cpus();
	struct cas_counter *per_cpu = NULL;
	__u32 ids[CAS_SCAN_CHUNK];
	size_t first, i, n;
	int err = 0;

	if (cpus < 0)
		return cpus;
	per_cpu = calloc((size_t)CAS_SCAN_CHUNK * cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	for (first = 0; first < count && !err; first += n) {
		n = count - first > CAS_SCAN_CHUNK ? CAS_SCAN_CHUNK :
						     count - first;
		for (i = 0; i < n; i++) /* listed in id order */
			ids[i] = entries[first + i].id;
		err = cas_read_ids(maps->rule_stats, ids, n, per_cpu,
				   cpus * sizeof(*per_cpu));
		for (i = 0; i < n && !err; i++) {
			memset(&entries[first + i].hits, 0,
			       sizeof(entries[first + i].hits));
			cas_counter_add_cpus(&per_cpu[i * cpus], cpus,
					     &entries[first + i].hits);
		}
	}
	free(per_cpu);
	return err;
}

int cas_rules_list(const struct cas_maps *maps, struct cas_rule_entry **entries,
		   size_t *count)
{
	struct cas_rule_entry *list = NULL;
	struct cas_plan_live *rules = NULL;
	struct cas_gen_maps active;
	size_t n = 0, i;
	int err;

	*entries = NULL;
	*count = 0;
	err = cas_active_maps(maps, &active);
	if (!err)
		err = cas_gen_rules(maps, &active, &rules, &n);
	if (err)
		return err;
	list = calloc(n + 1, sizeof(*list));
	if (!list) {
		free(rules);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		list[i].id = rules[i].id;
		list[i].rule = rules[i].body;
	}
	free(rules);
	err = cas_list_hits(maps, list, n);
	if (err) {
		free(list);
		return err;
	}
	*entries = list;
	*count = n;
	return 0;
}

/* cas_prefix_order on the rules themselves: sorts call it n log n times. */
int cas_rule_prefix_order(const struct cas_rule *a, const struct cas_rule *b)
{
	if (a->family != b->family)
		return a->family - b->family;
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen - b->prefixlen;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Pointers to rules: by prefix, then by place in their array. */
static int cas_rule_ptr_cmp(const void *a, const void *b)
{
	const struct cas_rule *x = *(const struct cas_rule *const *)a;
	const struct cas_rule *y = *(const struct cas_rule *const *)b;
	int by_prefix = cas_rule_prefix_order(x, y);

	return by_prefix ? by_prefix : (x > y) - (x < y);
}

int cas_rules_first_duplicate(const void *base, size_t count, size_t stride,
			      size_t *dup, size_t *first)
{
	const struct cas_rule **sorted;
	size_t i, group = 0;
	int err = -ENOENT;

	if (count < 2)
		return -ENOENT;
	sorted = calloc(count, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		sorted[i] = (const void *)((const char *)base + i * stride);
	qsort(sorted, count, sizeof(*sorted), cas_rule_ptr_cmp);
	for (i = 1; i < count; i++) {
		size_t later =
			((const char *)sorted[i] - (const char *)base) / stride;

		if (cas_rule_prefix_order(sorted[i], sorted[group])) {
			group = i;
			continue;
		}
		/* The second of a group is the first repeat of its prefix. */
		if (i == group + 1 && (err || later < *dup)) {
			*dup = later;
			*first = ((const char *)sorted[group] -
				  (const char *)base) /
				 stride;
			err = 0;
		}
	}
	free(sorted);
	return err;
}

/* What one chunk of cas_rules_prepare_many writes. */
struct cas_prepare_chunk {
	struct cas_counter *zeros; /* per CPU, per slot */
	struct cas_rule_buckets *buckets;
	struct cas_rule *bodies;
	int cpus;
};

static int cas_prepare_chunk(const struct cas_maps *maps,
			     struct cas_prepare_chunk *c, const __u32 *ids,
			     const struct cas_rule *rules,
			     const struct cas_rule_buckets *buckets, size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		c->bodies[i] = rules[i];
		c->bodies[i].flags |= CAS_RULE_IN_USE;
		if (buckets)
			c->buckets[i] = buckets[i];
	}
	err = cas_map_update_many(maps->rule_stats, ids, sizeof(*ids), c->zeros,
				  sizeof(*c->zeros) * c->cpus, n, BPF_ANY);
	if (!err)
		err = cas_map_update_many(maps->rule_buckets, ids, sizeof(*ids),
					  c->buckets, sizeof(*c->buckets), n,
					  BPF_ANY);
	if (!err)
		err = cas_map_update_many(maps->rules, ids, sizeof(*ids),
					  c->bodies, sizeof(*c->bodies), n,
					  BPF_ANY);
	return err;
}

/*
 * Counters, buckets and bodies of ids, a chunk at a time (the chunk
 * buffers bound the CLI's memory, not the rule count).
 */
int cas_rules_prepare_many(const struct cas_maps *maps, const __u32 *ids,
			   const struct cas_rule *rules,
			   const struct cas_rule_buckets *buckets, size_t count)
{
	struct cas_prepare_chunk c = { .cpus = libbpf_num_possible_cpus() };
	size_t i, n;
	int err = 0;

	if (c.cpus < 0)
		return c.cpus;
	c.zeros = calloc((size_t)c.cpus * CAS_SCAN_CHUNK, sizeof(*c.zeros));
	c.buckets = calloc(CAS_SCAN_CHUNK, sizeof(*c.buckets));
	c.bodies = calloc(CAS_SCAN_CHUNK, sizeof(*c.bodies));
	if (!c.zeros || !c.buckets || !c.bodies)
		err = -ENOMEM;
	for (i = 0; i < count && !err; i += n) {
		n = count - i > CAS_SCAN_CHUNK ? CAS_SCAN_CHUNK : count - i;
		err = cas_prepare_chunk(maps, &c, ids + i, rules + i,
					buckets ? buckets + i : NULL, n);
	}
	free(c.zeros);
	free(c.buckets);
	free(c.bodies);
	return err;
}

void cas_rules_free_many(const struct cas_maps *maps, const __u32 *ids,
			 size_t count)
{
	struct cas_rule *unused = calloc(CAS_SCAN_CHUNK, sizeof(*unused));
	size_t i, n;

	if (!unused) { /* one by one, then */
		for (i = 0; i < count; i++)
			cas_rule_free_slot(maps, ids[i]);
		return;
	}
	for (i = 0; i < count; i += n) {
		n = count - i > CAS_SCAN_CHUNK ? CAS_SCAN_CHUNK : count - i;
		cas_map_update_many(maps->rules, ids + i, sizeof(*ids), unused,
				    sizeof(*unused), n, BPF_ANY);
	}
	free(unused);
}

/* The first of rules whose prefix is live: -EEXIST and *failed, else 0. */
static int cas_bulk_existing(const struct cas_gen_switch *sw,
			     const struct cas_rule *rules, size_t count,
			     size_t *failed)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (!cas_gen_switch_find(sw, &rules[i]))
			continue;
		*failed = i;
		return -EEXIST;
	}
	return 0;
}

/* The live rules and then the new ones: the whole ruleset after the add. */
static struct cas_rule *cas_bulk_ruleset(const struct cas_gen_switch *sw,
					 const struct cas_rule *rules,
					 size_t count)
{
	struct cas_rule *all = calloc(sw->live_count + count + 1, sizeof(*all));
	size_t i;

	if (!all)
		return NULL;
	for (i = 0; i < sw->live_count; i++)
		all[i] = sw->live[i].body;
	for (i = 0; i < count; i++) {
		all[sw->live_count + i] = rules[i];
		all[sw->live_count + i].flags |= CAS_RULE_IN_USE;
	}
	return all;
}

/* The reason of a refused or failed add, for err. */
static void cas_bulk_error(const struct cas_gen_switch *sw,
			   const struct cas_rule *rules, size_t count,
			   size_t failed, int ret, char *err)
{
	struct cas_prefix prefix;
	char cidr[64];

	if (ret == -EEXIST) {
		cas_rule_prefix(&rules[failed], &prefix);
		cas_format_prefix(&prefix, cidr, sizeof(cidr));
		snprintf(err, CAS_ERRBUF, "%s already has a rule", cidr);
	} else if (ret == -ENOSPC) {
		snprintf(
			err, CAS_ERRBUF,
			"%zu rules do not fit beside the %zu live ones in a table of %u",
			count, sw->live_count, sw->table_size);
	} else {
		snprintf(err, CAS_ERRBUF, "cannot add the rules: %s",
			 strerror(-ret));
	}
}

int cas_rules_add_bulk(const struct cas_maps *maps,
		       const struct cas_rule *rules, size_t count,
		       size_t *failed, char *err)
{
	struct cas_gen_switch sw = {};
	struct cas_rule *all = NULL;
	size_t first;
	int ret;

	*failed = count;
	err[0] = '\0';
	if (!count)
		return 0;
	/* All checks before any write: the load is all or nothing. */
	ret = cas_rules_first_duplicate(rules, count, sizeof(*rules), failed,
					&first);
	if (!ret)
		ret = -EEXIST;
	else if (ret == -ENOENT)
		ret = cas_gen_switch_read(maps, &sw);
	if (!ret)
		ret = cas_bulk_existing(&sw, rules, count, failed);
	if (!ret && !(all = cas_bulk_ruleset(&sw, rules, count)))
		ret = -ENOMEM;
	/* Every live rule keeps its slot; the new ones take fresh slots. */
	if (!ret)
		ret = cas_gen_switch_plan(&sw, all, sw.live_count + count, err);
	if (!ret)
		ret = cas_gen_switch_commit(&sw, all, sw.live_count + count,
					    &sw.live_ports, &sw.live_policy);
	if (ret)
		cas_bulk_error(&sw, rules, count, *failed, ret, err);
	else
		*failed = count;
	free(all);
	cas_gen_switch_release(&sw);
	return ret;
}
