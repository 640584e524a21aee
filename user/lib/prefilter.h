/* SPDX-License-Identifier: GPL-2.0 */
/* prefilter.h - the prefilter of a generation (include/casshield.h). */
#ifndef CAS_USER_PREFILTER_H
#define CAS_USER_PREFILTER_H

#include <stdbool.h>
#include "maps.h"

/*
 * The prefilter of a generation: add the bits of these prefixes, or
 * (rebuild) make it exactly theirs. Deleting a rule leaves its bits set
 * (still a superset); `apply` rebuilds the spare generation's from scratch.
 */
int cas_prefilter_update(const struct cas_maps *maps, __u32 gen, bool rebuild,
			 const struct cas_prefix *prefixes, size_t count);

/* Add the bits of these prefixes to the live generation's prefilter. */
int cas_prefilter_add_live(const struct cas_maps *maps,
			   const struct cas_prefix *prefixes, size_t count);

#endif /* CAS_USER_PREFILTER_H */
