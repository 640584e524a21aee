/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verdicts.h - the (action, reason) pairs the program can produce, with
 * their names, generated from the X-macro lists of casshield.h so that
 * the CLI, the exporter and the tests can never drift from the datapath.
 */
#ifndef CAS_USER_VERDICTS_H
#define CAS_USER_VERDICTS_H

#include <stddef.h>
#include "maps.h"

/*
 * Passing reasons produce pass; dropping ones drop or would_drop; the
 * answering one (the SYN proxy's SYN-ACK) tx.
 */
#define CAS_VERDICT_PAIRS (CAS_REASON_COUNT * 2)

struct cas_verdict_count {
	const char *action;
	const char *reason;
	struct cas_counter counter;
};

extern const char *const cas_action_names[CAS_ACTION_COUNT];
extern const char *const cas_reason_names[CAS_REASON_COUNT];
extern const enum cas_verdict_kind cas_reason_kinds[CAS_REASON_COUNT];

/* The actions a reason can come with (at most 2); their number. */
size_t cas_reason_actions(__u32 reason, __u32 actions[2]);

/* Every producible pair, zeros included, summed over CPUs. */
int cas_verdicts_read(const struct cas_maps *maps,
		      struct cas_verdict_count *counts, size_t *count);

#endif /* CAS_USER_VERDICTS_H */
