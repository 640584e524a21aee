/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules.h - allow rules on the live maps. A rule lives in two places: its
 * body in cas_rules[id] and its prefix in the prefix map of its family
 * (IPv4: the exact hash; IPv6: the exact hash from /48, the trie below),
 * pointing at id. Adding writes the body first and publishes the prefix
 * last; deleting withdraws the prefix first: a packet never sees a prefix
 * without its body, and other rules are never touched.
 */
#ifndef CAS_USER_RULES_H
#define CAS_USER_RULES_H

#include "maps.h"

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

struct cas_rule_entry {
	__u32 id;
	struct cas_rule rule;
	struct cas_counter hits;
};

void cas_rule_prefix(const struct cas_rule *rule, struct cas_prefix *prefix);
void cas_rule_set_prefix(struct cas_rule *rule,
			 const struct cas_prefix *prefix);
/* "name" or, for an unnamed rule, its CIDR. */
void cas_rule_label(const struct cas_rule *rule, char *buf, size_t len);

/* -EEXIST if the exact prefix has a rule, -ENOSPC if the table is full. */
int cas_rule_add(const struct cas_maps *maps, const struct cas_rule *rule,
		 __u32 *id);
/*
 * Swap the rule with the same prefix for this one, atomically for packets,
 * keeping its bucket state (hit counters restart). -ENOENT if none.
 */
int cas_rule_replace(const struct cas_maps *maps, const struct cas_rule *rule,
		     __u32 *id);
/* -ENOENT if no rule has exactly this prefix. */
int cas_rule_del(const struct cas_maps *maps, const struct cas_prefix *prefix);
/* An order of rules by prefix (family, length, address): 0 if the same. */
int cas_rule_prefix_order(const struct cas_rule *a, const struct cas_rule *b);
/*
 * The first rule, in array order, whose prefix an earlier rule already has
 * (*dup), and that earlier rule (*first); -ENOENT if every prefix is
 * unique. Rule i is at base + i * stride: a rule array, or the rules at
 * the start of larger records. Sorted, not compared pairwise.
 */
int cas_rules_first_duplicate(const void *base, size_t count, size_t stride,
			      size_t *dup, size_t *first);
/* Id of the rule with exactly this prefix, or -ENOENT. */
int cas_rule_find(const struct cas_maps *maps, const struct cas_prefix *prefix,
		  __u32 *id);

/*
 * Add count rules at once, all or nothing: a duplicate (within rules or of
 * a rule already there) fails with -EEXIST and *failed its index; a full
 * table -ENOSPC. Bodies go in with batched updates, prefixes last.
 */
int cas_rules_add_bulk(const struct cas_maps *maps,
		       const struct cas_rule *rules, size_t count,
		       size_t *failed);

/* Every rule in use, in id order; the caller frees *entries. */
int cas_rules_list(const struct cas_maps *maps, struct cas_rule_entry **entries,
		   size_t *count);

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

/* Building blocks of `apply`: free slots, a slot's body, freeing one. */
int cas_rule_free_slots(const struct cas_maps *maps, __u32 *ids, size_t count);
int cas_rule_prepare_id(const struct cas_maps *maps, __u32 id,
			const struct cas_rule *rule,
			const struct cas_rule_buckets *buckets);
void cas_rule_free_slot(const struct cas_maps *maps, __u32 id);

/*
 * The prefilter of a generation: add the bits of these prefixes, or
 * (rebuild) make it exactly theirs. Deleting a rule leaves its bits set
 * (still a superset); `apply` rebuilds the spare generation's from scratch.
 */
int cas_prefilter_update(const struct cas_maps *maps, __u32 gen, bool rebuild,
			 const struct cas_prefix *prefixes, size_t count);

#endif /* CAS_USER_RULES_H */
