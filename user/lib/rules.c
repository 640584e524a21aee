// SPDX-License-Identifier: GPL-2.0
/* rules.c - allow rules: add, delete, find, list. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "common.h"
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

void cas_prefix_key_in(const struct cas_gen_maps *gen,
		       const struct cas_prefix *prefix,
		       struct cas_prefix_key *key)
{
	memset(key, 0, sizeof(*key));
	if (prefix->family == AF_INET) {
		key->map_fd = gen->prefix4;
		key->key.v4.prefixlen = prefix->prefixlen;
		memcpy(key->key.v4.addr, prefix->addr, 4);
	} else {
		key->map_fd = prefix->prefixlen >= CAS_PREFILTER_V6_LEN ?
				      gen->prefix6 :
				      gen->trie6;
		key->key.v6.prefixlen = prefix->prefixlen;
		memcpy(key->key.v6.addr, prefix->addr, 16);
	}
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

static int cas_prefilter_add_live(const struct cas_maps *maps,
				  const struct cas_prefix *prefixes,
				  size_t count);

#define CAS_SCAN_CHUNK 4096
#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's "operation not supported" */
#endif

/*
 * Walk the rule table in batched lookups (one syscall per CAS_SCAN_CHUNK
 * ids instead of one per id: a 1M-rule table is read in a fraction of a
 * second). visit returns non-zero to stop the walk with that value.
 */
static int cas_rules_scan(const struct cas_maps *maps,
			  int (*visit)(__u32 id, const struct cas_rule *rule,
				       void *ctx),
			  void *ctx)
{
	struct cas_rule *values;
	__u32 *keys, batch = 0, count, i;
	bool first = true, done = false;
	int err = 0, stop;

	keys = calloc(CAS_SCAN_CHUNK, sizeof(*keys));
	values = calloc(CAS_SCAN_CHUNK, sizeof(*values));
	if (!keys || !values) {
		err = -ENOMEM;
		goto out;
	}
	while (!done) {
		count = CAS_SCAN_CHUNK;
		if (bpf_map_lookup_batch(maps->rules, first ? NULL : &batch,
					 &batch, keys, values, &count, NULL)) {
			if (errno != ENOENT) {
				err = -errno;
				goto out;
			}
			done = true; /* the last, possibly partial, chunk */
		}
		first = false;
		for (i = 0; i < count; i++) {
			stop = visit(keys[i], &values[i], ctx);
			if (stop) {
				err = stop;
				goto out;
			}
		}
	}
out:
	free(keys);
	free(values);
	return err;
}

/* Collects up to want free ids. */
struct cas_free_ids {
	__u32 *ids;
	size_t want, found;
};

static int cas_collect_free(__u32 id, const struct cas_rule *rule, void *ctx)
{
	struct cas_free_ids *free_ids = ctx;

	if (rule->flags & CAS_RULE_IN_USE)
		return 0;
	free_ids->ids[free_ids->found++] = id;
	return free_ids->found == free_ids->want ? 1 : 0;
}

int cas_rule_free_slots(const struct cas_maps *maps, __u32 *ids, size_t want)
{
	struct cas_free_ids free_ids = { ids, want, 0 };
	int err;

	if (!want)
		return 0;
	err = cas_rules_scan(maps, cas_collect_free, &free_ids);
	if (err < 0)
		return err;
	return free_ids.found == want ? 0 : -ENOSPC;
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
	if (err || bpf_map_update_elem(key.map_fd, &key.key, id, BPF_EXIST)) {
		err = -errno;
		cas_rule_free_slot(maps, *id);
		return err;
	}
	cas_rule_free_slot(maps, old_id);
	return 0;
}

int cas_rule_del(const struct cas_maps *maps, const struct cas_prefix *prefix)
{
	struct cas_prefix_key key;
	__u32 id;
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

struct cas_list_ctx {
	const struct cas_maps *maps;
	struct cas_rule_entry *list;
	size_t used, capacity;
};

static int cas_collect_used(__u32 id, const struct cas_rule *rule, void *ctx)
{
	struct cas_list_ctx *list = ctx;

	if (!(rule->flags & CAS_RULE_IN_USE))
		return 0;
	if (cas_array_reserve(&list->list, &list->capacity, list->used + 1,
			      sizeof(*list->list)))
		return -ENOMEM;
	list->list[list->used].id = id;
	list->list[list->used].rule = *rule;
	list->used++;
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
		for (i = 0; i < n; i++) /* the scan yields them in id order */
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
	struct cas_list_ctx list = { .maps = maps };
	int err;

	*entries = NULL;
	*count = 0;
	err = cas_rules_scan(maps, cas_collect_used, &list);
	if (!err)
		err = cas_list_hits(maps, list.list, list.used);
	if (err) {
		free(list.list);
		return err;
	}
	*entries = list.list;
	*count = list.used;
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

/* Per-element fallback where a map type has no batched update. */
static int cas_update_many(int map_fd, const void *keys, size_t key_size,
			   const void *values, size_t value_size, size_t count,
			   __u64 flags, size_t *done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = flags);
	size_t i;

	*done = 0;
	while (*done < count) {
		__u32 chunk = count - *done > CAS_SCAN_CHUNK ? CAS_SCAN_CHUNK :
							       count - *done;
		__u32 n = chunk;

		if (bpf_map_update_batch(
			    map_fd, (const char *)keys + *done * key_size,
			    (const char *)values + *done * value_size, &n,
			    &opts)) {
			if (errno != EINVAL && errno != EOPNOTSUPP &&
			    errno != ENOTSUPP)
				return -errno;
			break; /* no batch support: one by one below */
		}
		*done += chunk;
	}
	for (i = *done; i < count; i++) {
		if (bpf_map_update_elem(
			    map_fd, (const char *)keys + i * key_size,
			    (const char *)values + i * value_size, flags))
			return -errno;
		*done = i + 1;
	}
	return 0;
}

/* The bodies of rules[first, first + n) as the datapath sees them. */
static void cas_bulk_bodies(const struct cas_rule *rules, size_t first,
			    size_t n, struct cas_rule *bodies)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bodies[i] = rules[first + i];
		bodies[i].flags |= CAS_RULE_IN_USE;
	}
}

static void cas_bulk_key(const struct cas_gen_maps *active,
			 const struct cas_rule *rule,
			 struct cas_prefix_key *key)
{
	struct cas_prefix prefix;

	cas_rule_prefix(rule, &prefix);
	cas_prefix_key_in(active, &prefix, key);
}

/*
 * Counters, buckets and bodies of ids, a chunk at a time (the chunk
 * buffers bound the CLI's memory, not the rule count). *written counts
 * the bodies written, for the undo.
 */
static int cas_bulk_slots(const struct cas_maps *maps, const __u32 *ids,
			  const struct cas_rule *rules, size_t count,
			  size_t *written)
{
	int cpus = libbpf_num_possible_cpus();
	struct cas_rule_buckets *buckets = NULL;
	struct cas_counter *zeros = NULL;
	struct cas_rule *bodies = NULL;
	size_t i, n, done;
	int err = 0;

	*written = 0;
	if (cpus < 0)
		return cpus;
	zeros = calloc((size_t)cpus * CAS_SCAN_CHUNK, sizeof(*zeros));
	buckets = calloc(CAS_SCAN_CHUNK, sizeof(*buckets));
	bodies = calloc(CAS_SCAN_CHUNK, sizeof(*bodies));
	if (!zeros || !buckets || !bodies) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count && !err; i += n) {
		n = count - i > CAS_SCAN_CHUNK ? CAS_SCAN_CHUNK : count - i;
		err = cas_update_many(maps->rule_stats, ids + i, sizeof(*ids),
				      zeros, sizeof(*zeros) * cpus, n, BPF_ANY,
				      &done);
		if (!err)
			err = cas_update_many(
				maps->rule_buckets, ids + i, sizeof(*ids),
				buckets, sizeof(*buckets), n, BPF_ANY, &done);
		if (err)
			break;
		cas_bulk_bodies(rules, i, n, bodies);
		err = cas_update_many(maps->rules, ids + i, sizeof(*ids),
				      bodies, sizeof(*bodies), n, BPF_ANY,
				      &done);
		*written += done;
	}
out:
	free(zeros);
	free(buckets);
	free(bodies);
	return err;
}

/*
 * The checks before any write: no prefix twice in rules (the first repeat
 * in their order), none already with a rule. -EEXIST and *failed its
 * index, 0, or another -errno.
 */
static int cas_bulk_check(const struct cas_maps *maps,
			  const struct cas_rule *rules, size_t count,
			  size_t *failed)
{
	size_t i, first;
	int err;

	err = cas_rules_first_duplicate(rules, count, sizeof(*rules), failed,
					&first);
	if (!err)
		return -EEXIST;
	if (err != -ENOENT)
		return err;
	for (i = 0; i < count; i++) {
		struct cas_prefix prefix;
		__u32 existing;

		cas_rule_prefix(&rules[i], &prefix);
		err = cas_rule_find(maps, &prefix, &existing);
		if (!err) {
			*failed = i;
			return -EEXIST;
		}
		if (err != -ENOENT)
			return err;
	}
	return 0;
}

/* The prefilter of the generation admits every prefix of rules. */
static int cas_bulk_prefilter(const struct cas_maps *maps, __u32 gen,
			      const struct cas_rule *rules, size_t count)
{
	struct cas_prefix *prefixes;
	size_t i;
	int err;

	prefixes = calloc(count, sizeof(*prefixes));
	if (!prefixes)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		cas_rule_prefix(&rules[i], &prefixes[i]);
	err = cas_prefilter_update(maps, gen, false, prefixes, count);
	free(prefixes);
	return err;
}

/* Publish the prefixes, the last step; *inserted counts them for the undo. */
static int cas_bulk_publish(const struct cas_gen_maps *active,
			    const struct cas_rule *rules, const __u32 *ids,
			    size_t count, size_t *inserted, size_t *failed)
{
	size_t i;

	for (i = 0; i < count; i++) {
		struct cas_prefix_key key;

		cas_bulk_key(active, &rules[i], &key);
		if (bpf_map_update_elem(key.map_fd, &key.key, &ids[i],
					BPF_NOEXIST)) {
			*failed = i;
			return -errno;
		}
		*inserted = i + 1;
	}
	return 0;
}

/* Undo in reverse: withdraw the prefixes, then free the bodies. */
static void cas_bulk_undo(const struct cas_maps *maps,
			  const struct cas_gen_maps *active,
			  const struct cas_rule *rules, const __u32 *ids,
			  size_t inserted, size_t written)
{
	size_t i;

	for (i = 0; i < inserted; i++) {
		struct cas_prefix_key key;

		cas_bulk_key(active, &rules[i], &key);
		bpf_map_delete_elem(key.map_fd, &key.key);
	}
	for (i = 0; i < written; i++)
		cas_rule_free_slot(maps, ids[i]);
}

int cas_rules_add_bulk(const struct cas_maps *maps,
		       const struct cas_rule *rules, size_t count,
		       size_t *failed)
{
	size_t inserted = 0, written = 0;
	struct cas_gen_maps active;
	__u32 *ids = NULL;
	int err;

	*failed = count;
	if (!count)
		return 0;
	/* All checks before any write: the load is all or nothing. */
	err = cas_bulk_check(maps, rules, count, failed);
	if (err)
		return err;
	ids = calloc(count, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	err = cas_rule_free_slots(maps, ids, count);
	if (!err)
		err = cas_active_maps(maps, &active);
	if (!err)
		err = cas_bulk_prefilter(maps, active.gen, rules, count);
	if (err)
		goto out;
	/* Bodies, counters and buckets first; the prefixes last. */
	err = cas_bulk_slots(maps, ids, rules, count, &written);
	if (!err)
		err = cas_bulk_publish(&active, rules, ids, count, &inserted,
				       failed);
	if (err)
		cas_bulk_undo(maps, &active, rules, ids, inserted, written);
	else
		*failed = count;
out:
	free(ids);
	return err;
}

/* Both key layouts are the length, then the address. */
#define CAS_LPM_ADDR_OFFSET offsetof(struct cas_lpm_v6, addr)
_Static_assert(offsetof(struct cas_lpm_v4, addr) == CAS_LPM_ADDR_OFFSET &&
		       offsetof(struct cas_lpm_v4, prefixlen) == 0 &&
		       offsetof(struct cas_lpm_v6, prefixlen) == 0,
	       "prefix map key layouts");

/* Hand one batch of a walk to visit. */
static int
cas_walk_batch(const char *keys, const __u32 *ids, __u32 n, __u8 family,
	       int (*visit)(const struct cas_prefix *, __u32, void *),
	       void *ctx)
{
	size_t key_size = family == AF_INET ? sizeof(struct cas_lpm_v4) :
					      sizeof(struct cas_lpm_v6);
	size_t addr_len = family == AF_INET ? 4 : 16;
	__u32 i, prefixlen;
	int err;

	for (i = 0; i < n; i++) {
		const char *key = keys + i * key_size;
		struct cas_prefix prefix = { .family = family };

		memcpy(&prefixlen, key, sizeof(prefixlen));
		prefix.prefixlen = prefixlen;
		memcpy(prefix.addr, key + CAS_LPM_ADDR_OFFSET, addr_len);
		err = visit(&prefix, ids[i], ctx);
		if (err)
			return err;
	}
	return 0;
}

int cas_prefix_map_walk(int map_fd, __u8 family,
			int (*visit)(const struct cas_prefix *prefix, __u32 id,
				     void *ctx),
			void *ctx)
{
	union cas_lpm_key in_batch, out_batch;
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	union cas_lpm_key *keys = NULL;
	size_t visited = 0;
	__u32 *ids = NULL;
	bool first = true, done = false;
	int err = 0;

	/* The map's own size bounds a walk: see the churn check below. */
	if (bpf_obj_get_info_by_fd(map_fd, &info, &info_len))
		return -errno;
	keys = malloc(CAS_SCAN_CHUNK * sizeof(*keys));
	ids = malloc(CAS_SCAN_CHUNK * sizeof(*ids));
	if (!keys || !ids) {
		err = -ENOMEM;
		goto out;
	}
	while (!done && !err) {
		__u32 n = CAS_SCAN_CHUNK;

		/* keys is packed at the map's key size, not the union's. */
		if (bpf_map_lookup_batch(map_fd, first ? NULL : &in_batch,
					 &out_batch, keys, ids, &n, NULL)) {
			if (errno != ENOENT) {
				err = -errno;
				break;
			}
			done = true; /* the last, possibly empty, batch */
		}
		err = cas_walk_batch((const char *)keys, ids, n, family, visit,
				     ctx);
		visited += n;
		if (!err && visited > 2 * (size_t)info.max_entries)
			err = -EAGAIN; /* endless churn: give up, say so */
		if (!n)
			done = true;
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(ids);
	return err;
}

int cas_prefix_map_clear(int prefix_map_fd)
{
	union cas_lpm_key key, next;
	bool more;

	/*
	 * One pass with a cursor, the next key taken before the current one
	 * goes: asking a hash for its first key scans its buckets from the
	 * start, so deleting "the first key" each time is quadratic (a million
	 * IPv4 prefixes would take minutes). Then first keys until none is
	 * left, for whatever the pass skipped (normally nothing).
	 */
	more = !bpf_map_get_next_key(prefix_map_fd, NULL, &key);
	while (more) {
		more = !bpf_map_get_next_key(prefix_map_fd, &key, &next);
		if (bpf_map_delete_elem(prefix_map_fd, &key) && errno != ENOENT)
			return -errno;
		key = next;
	}
	while (!bpf_map_get_next_key(prefix_map_fd, NULL, &key))
		if (bpf_map_delete_elem(prefix_map_fd, &key))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

/* IPv4: the prefix's length, in the mask of every /16 it covers. */
static void cas_prefilter_mark_v4(struct cas_prefilter *filter,
				  const struct cas_prefix *prefix)
{
	unsigned int fixed = prefix->prefixlen < CAS_PREFILTER_V4_LEN ?
				     prefix->prefixlen :
				     CAS_PREFILTER_V4_LEN;
	__u32 count = 1u << (CAS_PREFILTER_V4_LEN - fixed);
	__u32 first = cas_prefilter_v4_index(prefix->addr) & ~(count - 1);
	__u32 bit = 1u << cas_prefilter_v4_bit(prefix->prefixlen), n;

	for (n = 0; n < count; n++)
		filter->v4[first + n] |= bit;
}

/*
 * IPv6: the prefix's length bit, in the mask of every /48 it covers (at
 * most 2^16 of them, a /32's; a shorter prefix covers too many to list and
 * marks every slot). Lengths 65..127 are named once for the generation.
 */
static void cas_prefilter_mark_v6(struct cas_prefilter *filter,
				  const struct cas_prefix *prefix)
{
	unsigned int len = prefix->prefixlen, free_bits;
	__u32 bit = 1u << cas_prefilter_v6_bit(len);
	__u8 site[16] = { 0 };
	__u32 first, count, n;

	if (len > 64 && len < 128)
		filter->v6_long |= 1ULL << (len - 65);
	if (len < CAS_PREFILTER_V6_ENUM) {
		for (n = 0; n < CAS_PREFILTER_V6_SLOTS; n++)
			filter->v6[n] |= bit;
		return;
	}
	memcpy(site, prefix->addr, 6);
	free_bits = len < CAS_PREFILTER_V6_LEN ? CAS_PREFILTER_V6_LEN - len : 0;
	count = 1u << free_bits;
	first = ((__u32)site[4] << 8 | site[5]) & ~(count - 1);
	for (n = 0; n < count; n++) {
		site[4] = (first + n) >> 8;
		site[5] = (first + n) & 0xff;
		filter->v6[cas_prefilter_v6_index(site)] |= bit;
	}
}

static void cas_prefilter_mark(struct cas_prefilter *filter,
			       const struct cas_prefix *prefix)
{
	if (prefix->family == AF_INET)
		cas_prefilter_mark_v4(filter, prefix);
	else
		cas_prefilter_mark_v6(filter, prefix);
}

int cas_prefilter_update(const struct cas_maps *maps, __u32 gen, bool rebuild,
			 const struct cas_prefix *prefixes, size_t count)
{
	struct cas_prefilter *filter = calloc(1, sizeof(*filter));
	size_t i;
	int err = 0;

	if (!filter)
		return -ENOMEM;
	gen &= 1;
	if (!rebuild && bpf_map_lookup_elem(maps->prefilter, &gen, filter))
		err = -errno;
	for (i = 0; i < count && !err; i++)
		cas_prefilter_mark(filter, &prefixes[i]);
	/* Rewritten whole: bits that stay set are rewritten as set, so no
	 * packet ever reads a bit a remaining rule needs as clear. */
	if (!err && bpf_map_update_elem(maps->prefilter, &gen, filter, BPF_ANY))
		err = -errno;
	free(filter);
	return err;
}

static int cas_prefilter_add_live(const struct cas_maps *maps,
				  const struct cas_prefix *prefixes,
				  size_t count)
{
	struct cas_gen_maps active;
	int err;

	err = cas_active_maps(maps, &active);
	return err ? err :
		     cas_prefilter_update(maps, active.gen, false, prefixes,
					  count);
}
