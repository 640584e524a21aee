/* SPDX-License-Identifier: GPL-2.0 */
/*
 * datapath.h - the real XDP program, loaded from the skeleton (not
 * attached), configured through the same user/ code as the CLI, and run on
 * crafted frames with BPF_PROG_TEST_RUN. Shared by unit tests and bench.
 */
#ifndef CAS_TEST_DATAPATH_H
#define CAS_TEST_DATAPATH_H

#include <stdbool.h>
#include "maps.h"
#include "rules.h"
#include "shield.skel.h"

#define DP_TRACKED_RULES 64

struct dp_fixture {
	struct shield_bpf *skel;
	struct cas_maps maps;
	int prog_fd;
};

struct dp_snapshot {
	struct cas_counter stats[CAS_STATS_SLOTS];
	struct cas_counter rules[DP_TRACKED_RULES];
};

/* Load the program and protect ports ("443,80/tcp,53/udp"). Aborts on error. */
void dp_open(struct dp_fixture *fx, const char *ports);
/* The same with rule maps sized for max_rules (0: the default). */
void dp_open_sized(struct dp_fixture *fx, const char *ports, __u32 max_rules);
void dp_close(struct dp_fixture *fx);
/* Add an allow rule; ports NULL = all. Returns its id; aborts on error. */
__u32 dp_allow(struct dp_fixture *fx, const char *cidr, const char *ports,
	       const char *name);
/* Add a rule with the limits and binding already set in *rule. */
__u32 dp_add(struct dp_fixture *fx, const char *cidr, const char *ports,
	     struct cas_rule *rule);
/* Global limits and TLS floor from the matching fields of *limits. */
void dp_set_limits(struct dp_fixture *fx, const struct cas_policy *limits);
void dp_set_monitor(struct dp_fixture *fx, bool monitor);
/* One run of the program on a frame; returns the XDP action. */
__u32 dp_run(struct dp_fixture *fx, const void *frame, size_t len);
/*
 * The action a verdict is counted under: a dropping reason the program
 * passed is would_drop (monitor mode).
 */
__u32 dp_counted_action(__u32 xdp, enum cas_reason reason);
void dp_snapshot(struct dp_fixture *fx, struct dp_snapshot *snap);

#endif /* CAS_TEST_DATAPATH_H */
