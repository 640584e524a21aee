/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules.h - allow rules on the live maps. A rule lives in two places: its
 * body in cas_rules[id] and its prefix in the prefix map of its family
 * (IPv4: the exact hash; IPv6: the exact hash from /48, the trie below),
 * pointing at id. Adding writes the body first and publishes the prefix
 * last; deleting withdraws the prefix first: a packet never sees a prefix
 * without its body, and other rules are never touched.
 *
 * The rules in force are exactly those the live generation's prefix maps
 * publish: listings, counts and free slots are read from there, never from
 * the bodies alone. A body nothing publishes (left by a change that was
 * killed before it published or flipped) is garbage and its slot is free
 * (docs/design.md, "Crash safety").
 */
#ifndef CAS_USER_RULES_H
#define CAS_USER_RULES_H

#include "maps.h"
#include "plan.h"
#include "prefilter.h"
#include "prefixes.h"

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
 * Add count rules at once, all or nothing, also across a crash: the whole
 * new ruleset (the live rules and these) is built in the spare generation
 * and flipped in with one word (generation.h). A duplicate (within rules,
 * the first repeat in their order, or of a rule already there) fails with
 * -EEXIST and *failed its index; a table without room -ENOSPC. err
 * (CAS_ERRBUF) says why.
 */
int cas_rules_add_bulk(const struct cas_maps *maps,
		       const struct cas_rule *rules, size_t count,
		       size_t *failed, char *err);

/* Every rule in force (published by the live generation), in id order. */
int cas_rules_list(const struct cas_maps *maps, struct cas_rule_entry **entries,
		   size_t *count);

/* The number of slots of the rule table. */
int cas_rule_table_size(const struct cas_maps *maps, __u32 *size);

/*
 * Building blocks of a switch (generation.c): the lowest free slots (no
 * live rule holds them); slots made ready (counters zeroed, buckets: full
 * when NULL, bodies marked in use) before anything publishes them, in
 * batches; slots freed (their bodies cleared).
 */
int cas_rule_free_slots(const struct cas_maps *maps, __u32 *ids, size_t count);
int cas_rule_prepare_id(const struct cas_maps *maps, __u32 id,
			const struct cas_rule *rule,
			const struct cas_rule_buckets *buckets);
int cas_rules_prepare_many(const struct cas_maps *maps, const __u32 *ids,
			   const struct cas_rule *rules,
			   const struct cas_rule_buckets *buckets,
			   size_t count);
void cas_rule_free_slot(const struct cas_maps *maps, __u32 id);
void cas_rules_free_many(const struct cas_maps *maps, const __u32 *ids,
			 size_t count);
#endif /* CAS_USER_RULES_H */
