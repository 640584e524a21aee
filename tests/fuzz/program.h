/* SPDX-License-Identifier: GPL-2.0 */
/*
 * program.h - the real XDP program for the differential fuzzer: loaded
 * through the unit tests' fixture (not attached), its maps made to say
 * what a model ruleset says with the library's own building blocks (the
 * spare generation written from scratch, then flipped, as `apply` does;
 * single rules added and deleted live, as `allow` does), its buckets put
 * in the states the model knows, its counters read in batches.
 */
#ifndef CAS_FUZZ_PROGRAM_H
#define CAS_FUZZ_PROGRAM_H

#include "datapath.h"
#include "model.h"

/* Rule slots: two generations of MODEL_MAX_RULES, and room to spare. */
#define FZ_MAX_RULES (4 * MODEL_MAX_RULES)

struct fz_program {
	struct dp_fixture fx;
	__u32 live_ids[FZ_MAX_RULES]; /* slots the live generation uses */
	unsigned int live_count;
	int cpus;
	void *scratch; /* per-CPU values of one batched read */
	__u32 *keys;
	/* what each generation's port table holds, once written here */
	bool ports_known[CAS_GENERATIONS];
	unsigned int port_count[CAS_GENERATIONS];
	struct model_port ports[CAS_GENERATIONS][CAS_MAX_PROTECTED_PORTS];
	/* the sketch's state as last written, and runs since */
	int sketch; /* enum model_bucket, -1 before the first write */
	__u64 runs_since_sketch;
};

/* The counters the fuzzer compares, summed over CPUs. */
struct fz_counters {
	struct cas_counter stats[CAS_STATS_SLOTS];
	struct cas_counter rules[FZ_MAX_RULES];
};

/* Load the program; 0 or -errno (the fixture exits on a load error). */
int fz_program_open(struct fz_program *prog);
void fz_program_close(struct fz_program *prog);

/*
 * The whole ruleset, into the spare generation, then the flip; the rule
 * ids the program uses are written into set->rules[i].id.
 */
int fz_program_apply(struct fz_program *prog, struct model_ruleset *set);
/* One rule added to the live generation (set->rules[set->rule_count]). */
int fz_program_add(struct fz_program *prog, struct model_ruleset *set,
		   const struct model_rule *rule);
/* Rule index deleted from the live generation (and from set). */
int fz_program_del(struct fz_program *prog, struct model_ruleset *set,
		   unsigned int index);

__u32 fz_program_run(struct fz_program *prog, const __u8 *frame, size_t len);
/* Counters of stats and of rule ids below rule_limit. */
int fz_program_counters(struct fz_program *prog, __u32 rule_limit,
			struct fz_counters *out);

#endif /* CAS_FUZZ_PROGRAM_H */
