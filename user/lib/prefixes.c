// SPDX-License-Identifier: GPL-2.0
/*
 * prefixes.c - the prefix maps of a generation: where a prefix lives,
 * walking and emptying a map, and the rules a generation publishes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "common.h"
#include "prefixes.h"

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

struct cas_refs {
	struct cas_rule_ref *refs;
	size_t count, capacity;
};

/* A walk's visitor: keep every (id, prefix) a prefix map publishes. */
static int cas_refs_push(const struct cas_prefix *prefix, __u32 id, void *ctx)
{
	struct cas_refs *refs = ctx;
	int err;

	err = cas_array_reserve(&refs->refs, &refs->capacity, refs->count + 1,
				sizeof(*refs->refs));
	if (err)
		return err;
	refs->refs[refs->count].id = id;
	refs->refs[refs->count++].prefix = *prefix;
	return 0;
}

static int cas_ref_cmp(const void *a, const void *b)
{
	const struct cas_rule_ref *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int cas_gen_refs(const struct cas_gen_maps *gen, struct cas_rule_ref **out,
		 size_t *count)
{
	int fds[CAS_PREFIX_MAPS], families[CAS_PREFIX_MAPS], m, err = 0;
	struct cas_refs refs = {};
	size_t i, used = 0;

	cas_gen_prefix_maps(gen, fds, families);
	for (m = 0; m < CAS_PREFIX_MAPS && !err; m++)
		err = cas_prefix_map_walk(fds[m], families[m], cas_refs_push,
					  &refs);
	if (err) {
		free(refs.refs);
		return err;
	}
	/* A walk that restarted repeats entries: keep one per id. */
	if (refs.count)
		qsort(refs.refs, refs.count, sizeof(*refs.refs), cas_ref_cmp);
	for (i = 0; i < refs.count; i++)
		if (!used || refs.refs[used - 1].id != refs.refs[i].id)
			refs.refs[used++] = refs.refs[i];
	*out = refs.refs;
	*count = used;
	return 0;
}

bool cas_ref_matches(const struct cas_rule_ref *ref,
		     const struct cas_rule *body)
{
	return (body->flags & CAS_RULE_IN_USE) &&
	       body->family == ref->prefix.family &&
	       body->prefixlen == ref->prefix.prefixlen &&
	       !memcmp(body->addr, ref->prefix.addr, sizeof(body->addr));
}

int cas_gen_rules(const struct cas_maps *maps, const struct cas_gen_maps *gen,
		  struct cas_plan_live **out, size_t *count)
{
	struct cas_rule_ref *refs = NULL;
	struct cas_plan_live *rules = NULL;
	struct cas_rule *bodies = NULL;
	__u32 *ids = NULL;
	size_t n = 0, i, kept = 0;
	int err;

	*out = NULL;
	*count = 0;
	err = cas_gen_refs(gen, &refs, &n);
	if (err)
		return err;
	ids = malloc((n + 1) * sizeof(*ids));
	bodies = malloc((n + 1) * sizeof(*bodies));
	rules = malloc((n + 1) * sizeof(*rules));
	if (!ids || !bodies || !rules) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		ids[i] = refs[i].id;
	err = cas_read_ids(maps->rules, ids, n, bodies, sizeof(*bodies));
	for (i = 0; i < n && !err; i++) {
		if (!cas_ref_matches(&refs[i], &bodies[i]))
			continue;
		rules[kept].id = ids[i];
		rules[kept++].body = bodies[i];
	}
out:
	free(refs);
	free(ids);
	free(bodies);
	if (err) {
		free(rules);
		return err;
	}
	*out = rules;
	*count = kept;
	return 0;
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

/*
 * Empty a map a chunk of entries per syscall, where its type has
 * lookup-and-delete batches (the hashes: a million entries in a fraction
 * of a second); -EOPNOTSUPP where it has not (the trie).
 */
static int cas_prefix_map_drain(int map_fd)
{
	union cas_lpm_key *keys = malloc(CAS_SCAN_CHUNK * sizeof(*keys));
	__u32 *ids = malloc(CAS_SCAN_CHUNK * sizeof(*ids));
	union cas_lpm_key in_batch, out_batch;
	bool first = true;
	int err = 0;

	while (keys && ids) {
		__u32 n = CAS_SCAN_CHUNK;

		if (!bpf_map_lookup_and_delete_batch(
			    map_fd, first ? NULL : &in_batch, &out_batch, keys,
			    ids, &n, NULL)) {
			in_batch = out_batch;
			first = false;
			continue;
		}
		if (errno != ENOENT)
			err = errno == EINVAL || errno == EOPNOTSUPP ||
					      errno == ENOTSUPP ?
				      -EOPNOTSUPP :
				      -errno;
		break; /* ENOENT: the last chunk is gone, the map is empty */
	}
	if (!keys || !ids)
		err = -ENOMEM;
	free(keys);
	free(ids);
	return err;
}

int cas_prefix_map_clear(int prefix_map_fd)
{
	union cas_lpm_key key, next;
	bool more;
	int err;

	err = cas_prefix_map_drain(prefix_map_fd);
	if (err && err != -EOPNOTSUPP)
		return err;

	/*
	 * One pass with a cursor, the next key taken before the current one
	 * goes: asking a hash for its first key scans its buckets from the
	 * start, so deleting "the first key" each time is quadratic (a million
	 * IPv4 prefixes would take minutes). Then first keys until none is
	 * left, for whatever the pass skipped (normally nothing). After a
	 * drain, both find the map empty at once.
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
