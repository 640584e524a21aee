/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ruleset.h - random rulesets for the differential fuzzer: protected
 * ports, prefixes at the edges that matter (/0, /1, the prefilter's /16
 * and /48, /32, /64, /128, nested, adjacent and sibling prefixes), port
 * lists, identity bindings, bucket states, monitor mode and TLS floors.
 */
#ifndef CAS_FUZZ_RULESET_H
#define CAS_FUZZ_RULESET_H

#include <stdio.h>
#include "model.h"
#include "rng.h"

/*
 * A ruleset whose per-source sketch is in state sketch (open or empty):
 * the driver keeps it for several rulesets, since rewriting its 1 MiB
 * costs more than a ruleset's frames.
 */
void fz_ruleset_random(struct fz_rng *rng, enum model_bucket sketch,
		       struct model_ruleset *set);

/* A rule with a fresh prefix not already in set (live additions); 0 or -1. */
int fz_rule_random(struct fz_rng *rng, const struct model_ruleset *set,
		   struct model_rule *rule);

/* Remove rule index from set (live deletions). */
void fz_rule_remove(struct model_ruleset *set, unsigned int index);

/* Everything a report needs to rebuild the ruleset by hand. */
void fz_ruleset_print(FILE *out, const struct model_ruleset *set);

/* "198.51.100.0/24" of a rule (buf: at least 64 bytes). */
void fz_rule_cidr(const struct model_rule *rule, char *buf, size_t len);

#endif /* CAS_FUZZ_RULESET_H */
