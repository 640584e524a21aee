/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prefixes.h - the prefix maps of a generation: where a prefix lives (the
 * IPv4 hash, the IPv6 hash from /48, the IPv6 trie below), walking and
 * emptying one map, and the rules a generation publishes. The rules in
 * force are exactly those the live generation publishes (docs/design.md,
 * "Crash safety").
 */
#ifndef CAS_USER_PREFIXES_H
#define CAS_USER_PREFIXES_H

#include "maps.h"
#include "plan.h"

/* Either key of the prefix maps (include/casshield.h): length, address. */
union cas_lpm_key {
	struct cas_lpm_v4 v4;
	struct cas_lpm_v6 v6;
};

/* Where a prefix lives in one generation: its prefix map and its key. */
struct cas_prefix_key {
	int map_fd; /* prefix4, prefix6 (/48 and longer) or trie6 */
	union cas_lpm_key key;
};

void cas_prefix_key_in(const struct cas_gen_maps *gen,
		       const struct cas_prefix *prefix,
		       struct cas_prefix_key *key);

/* A rule as a generation's prefix map publishes it. */
struct cas_rule_ref {
	__u32 id;
	struct cas_prefix prefix;
};

/*
 * Every rule a generation publishes, one per id (a walk under churn may
 * see an entry twice), in id order; the caller frees *refs.
 */
int cas_gen_refs(const struct cas_gen_maps *gen, struct cas_rule_ref **refs,
		 size_t *count);
/*
 * ... with their bodies, in id order: a published id whose body is not in
 * use or has another prefix (reused meanwhile) is left out.
 */
int cas_gen_rules(const struct cas_maps *maps, const struct cas_gen_maps *gen,
		  struct cas_plan_live **rules, size_t *count);
/* Does body hold ref's rule (in use, the same prefix)? */
bool cas_ref_matches(const struct cas_rule_ref *ref,
		     const struct cas_rule *body);
/*
 * Every (prefix, rule id) of one prefix map, read in batches; visit
 * returns non-zero to stop. Under churn (another writer deleting), a
 * batch resuming after a deleted key starts again from the first key:
 * visit may see an entry twice (callers keep one per id), and a walk that
 * has visited twice the map's size gives up with -EAGAIN instead of
 * running forever.
 */
int cas_prefix_map_walk(int map_fd, __u8 family,
			int (*visit)(const struct cas_prefix *prefix, __u32 id,
				     void *ctx),
			void *ctx);
/* Empty a prefix map (of an inactive generation). */
int cas_prefix_map_clear(int map_fd);

#endif /* CAS_USER_PREFIXES_H */
