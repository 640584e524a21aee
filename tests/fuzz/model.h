/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - a reference model of the shield's policy, written from the
 * documents (docs/design.md "What is judged" and "Fragments",
 * docs/ratelimit.md, docs/config.md, include/casshield.h), not from bpf/.
 * It reads a frame's bytes and a ruleset and says what the program must
 * do with it: the XDP action, the reason, and the rule whose hit counter
 * counts the packet. The differential fuzzer (diff.c) holds the program to
 * it.
 *
 * Handshake buckets are modelled as three states, which the driver makes
 * true in the maps: off (rate 0), open (a burst no run can spend) and
 * empty (a theoretical arrival time so far ahead that every handshake is
 * refused). Time then never changes a verdict.
 */
#ifndef CAS_FUZZ_MODEL_H
#define CAS_FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "casshield.h"

#define MODEL_MAX_RULES 256

enum model_bucket { MODEL_OFF, MODEL_OPEN, MODEL_EMPTY };

struct model_port {
	__u16 port;
	__u8 proto; /* enum cas_proto */
};

/* A bucket as the maps hold it: the state, and the numbers that make it. */
struct model_limit {
	enum model_bucket state;
	__u32 rate, burst;
};

struct model_rule {
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 prefixlen;
	__u8 addr[16];		 /* bits past prefixlen are zero */
	unsigned int port_count; /* 0: every protected port */
	struct model_port ports[CAS_MAX_PROTECTED_PORTS];
	bool match_mac, match_ttl;
	__u8 mac[6];
	__u8 ttl_min, ttl_max;
	struct model_limit syn, hello;
	/* Per source: off, or limited by the ruleset's sketch state. */
	struct model_limit source_syn;
	__u32 id; /* the program's rule id, set by the driver */
};

struct model_ruleset {
	unsigned int port_count; /* the interface's protected ports */
	struct model_port ports[CAS_MAX_PROTECTED_PORTS];
	unsigned int rule_count;
	struct model_rule rules[MODEL_MAX_RULES];
	bool monitor;
	__u16 min_tls; /* CAS_TLS_*, 0: no floor */
	struct model_limit global_syn, global_hello;
	/* Every cell of the per-source sketch: open or empty. */
	enum model_bucket sketch;
};

struct model_verdict {
	__u32 xdp;		/* XDP_PASS or XDP_DROP */
	enum cas_reason reason; /* why */
	int rule;		/* index of the rule counting a hit, or -1 */
};

/*
 * Judge one frame as the documents say. why (may be NULL) receives a line
 * that says which documented step decided, for reports.
 */
void model_judge(const struct model_ruleset *set, const __u8 *frame, size_t len,
		 struct model_verdict *verdict, char *why, size_t why_len);

/* The counter action of a verdict: pass, drop or would_drop. */
__u32 model_action(const struct model_ruleset *set, enum cas_reason reason);

#endif /* CAS_FUZZ_MODEL_H */
