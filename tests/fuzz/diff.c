// SPDX-License-Identifier: GPL-2.0
/*
 * diff.c - the differential fuzzer: the real XDP program (through
 * BPF_PROG_TEST_RUN) against the reference model (model.c), on random and
 * mutated frames aimed at random rulesets.
 *
 *   diff [--seed N] [--frames N] [--batch N] [--chunk N] [--first-batch N]
 *        [--keep-going] [--name NAME] [--quiet]
 *
 * Each batch has its own ruleset (some batches then add or delete rules
 * live) and its own random stream, derived from (seed, batch number), so
 * `--first-batch B --frames F` replays batch B exactly. Every frame's XDP
 * action is compared at once; reasons and rule hits through the counters,
 * every --chunk frames (a mismatch there replays the chunk frame by frame
 * to find the one). A disagreement prints the frame, the ruleset, what
 * the model expected (and which documented step decided) and what the
 * program did, and the run exits 1: the program is held to the documents,
 * with no deviation accepted (--strict, which once turned that on, is
 * still taken and changes nothing). The last line is
 * "NAME: N passed, N failed", counting batches, for tests/run-all.sh.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frames.h"
#include "program.h"
#include "ruleset.h"
#include "verdicts.h"

#define CHUNK_MAX    4096
/* Batches that share the sketch's state (rewriting it costs 10 ms). */
#define SKETCH_EPOCH 16

struct options {
	__u64 seed, frames, batch, first_batch;
	unsigned int chunk;
	bool keep_going, quiet;
	const char *name;
};

struct run {
	struct options opt;
	struct fz_program prog;
	struct model_ruleset set;
	__u64 batch; /* number of the batch running */
	/* the current chunk: frames, lengths, verdicts */
	__u8 (*frames)[FZ_FRAME_MAX];
	size_t lengths[CHUNK_MAX];
	struct model_verdict verdicts[CHUNK_MAX];
	unsigned int in_chunk;
	__u64 frame_index; /* of the chunk's first frame, in the batch */
	/* counters: at the batch's start, and what the model adds since */
	struct fz_counters base, now, expected;
	__u32 rule_limit; /* rule ids to read: above every id in use */
	double program_time;
	__u64 reasons[CAS_REASON_COUNT]; /* verdicts, over the run */
};

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "fuzz diff: %s: %s\n", what, strerror(-err));
	exit(2);
}

static const char *xdp_name(__u32 xdp)
{
	return xdp == XDP_DROP ? "XDP_DROP" :
	       xdp == XDP_PASS ? "XDP_PASS" :
				 "XDP_?";
}

/* What the program did, when known from counters (reason < 0: unknown). */
struct observed {
	__u32 xdp;
	int reason, action, rule_id;
};

static void report(struct run *r, unsigned int at, const struct observed *got)
{
	const struct model_verdict *want = &r->verdicts[at];
	const __u8 *frame = r->frames[at];
	struct model_verdict doc;
	size_t len = r->lengths[at];
	char why[256];
	int i;

	/* the model again, for its reasons in words */
	model_judge(&r->set, frame, len, &doc, why, sizeof(why));
	fprintf(stderr,
		"\nDISAGREEMENT seed %llu, batch %llu, frame %llu\n"
		"  replay: build/fuzz/diff --seed %llu --batch %llu --first-batch %llu --frames %llu\n",
		(unsigned long long)r->opt.seed, (unsigned long long)r->batch,
		(unsigned long long)(r->frame_index + at),
		(unsigned long long)r->opt.seed,
		(unsigned long long)r->opt.batch, (unsigned long long)r->batch,
		(unsigned long long)r->opt.batch);
	fprintf(stderr, "  model:   %s, %s, rule %d (id %d): %s\n",
		xdp_name(want->xdp), cas_reason_names[want->reason], want->rule,
		want->rule >= 0 ? (int)r->set.rules[want->rule].id : -1, why);
	fprintf(stderr, "  program: %s", xdp_name(got->xdp));
	if (got->reason >= CAS_REASON_COUNT || got->action >= CAS_ACTION_COUNT)
		fprintf(stderr, ", counter slot (%d, %d)", got->reason,
			got->action);
	else if (got->reason >= 0)
		fprintf(stderr, ", %s (%s)", cas_reason_names[got->reason],
			cas_action_names[got->action]);
	if (got->rule_id >= 0) {
		for (i = 0; i < (int)r->set.rule_count; i++)
			if ((int)r->set.rules[i].id == got->rule_id)
				break;
		fprintf(stderr, ", rule %d (id %d)",
			i < (int)r->set.rule_count ? i : -1, got->rule_id);
	} else if (got->reason >= 0) {
		fprintf(stderr, ", no rule hit");
	}
	fprintf(stderr, "\n  frame, %zu bytes:\n", len);
	fz_hex(stderr, frame, len);
	fprintf(stderr, "  ruleset:\n");
	fz_ruleset_print(stderr, &r->set);
}

/* The (action, reason) slot and rule id that moved between two reads. */
static void moved(struct run *r, const struct fz_counters *before,
		  const struct fz_counters *after, struct observed *got)
{
	__u32 i;

	got->reason = got->action = got->rule_id = -1;
	for (i = 0; i < CAS_STATS_SLOTS; i++)
		if (after->stats[i].packets != before->stats[i].packets) {
			got->reason = i / CAS_STATS_ACTION_SLOTS;
			got->action = i % CAS_STATS_ACTION_SLOTS;
		}
	for (i = 0; i < r->rule_limit; i++)
		if (after->rules[i].packets != before->rules[i].packets)
			got->rule_id = i;
}

static int verdict_rule_id(const struct run *r, const struct model_verdict *v)
{
	return v->rule >= 0 ? (int)r->set.rules[v->rule].id : -1;
}

/* What the program did is what the model says. */
static int observed_is(const struct run *r, const struct observed *got,
		       const struct model_verdict *want)
{
	return got->xdp == want->xdp && got->reason == (int)want->reason &&
	       got->action == (int)model_action(&r->set, want->reason) &&
	       got->rule_id == verdict_rule_id(r, want);
}

/* The chunk's counters disagree: find the frame, one run at a time. */
static void replay_chunk(struct run *r)
{
	static struct fz_counters before, after;
	struct observed got;
	unsigned int i;
	int err;

	for (i = 0; i < r->in_chunk; i++) {
		const struct model_verdict *want = &r->verdicts[i];

		err = fz_program_counters(&r->prog, r->rule_limit, &before);
		if (err)
			die("counters", err);
		got.xdp = fz_program_run(&r->prog, r->frames[i], r->lengths[i]);
		err = fz_program_counters(&r->prog, r->rule_limit, &after);
		if (err)
			die("counters", err);
		moved(r, &before, &after, &got);
		if (!observed_is(r, &got, want)) {
			report(r, i, &got);
			return;
		}
	}
	fprintf(stderr,
		"\nDISAGREEMENT seed %llu, batch %llu: the counters of a chunk differ, but no frame did when run again\n",
		(unsigned long long)r->opt.seed, (unsigned long long)r->batch);
}

/* Counters now against the batch's start plus what the model expects. */
static int chunk_agrees(struct run *r)
{
	__u32 i;
	int err;

	err = fz_program_counters(&r->prog, r->rule_limit, &r->now);
	if (err)
		die("counters", err);
	for (i = 0; i < CAS_STATS_SLOTS; i++)
		if (r->now.stats[i].packets - r->base.stats[i].packets !=
			    r->expected.stats[i].packets ||
		    r->now.stats[i].bytes - r->base.stats[i].bytes !=
			    r->expected.stats[i].bytes)
			return 0;
	for (i = 0; i < r->rule_limit; i++)
		if (r->now.rules[i].packets - r->base.rules[i].packets !=
			    r->expected.rules[i].packets ||
		    r->now.rules[i].bytes - r->base.rules[i].bytes !=
			    r->expected.rules[i].bytes)
			return 0;
	return 1;
}

static void expect(struct run *r, const struct model_verdict *v, size_t len)
{
	__u32 slot =
		CAS_STATS_INDEX(v->reason, model_action(&r->set, v->reason));

	r->reasons[v->reason]++;
	r->expected.stats[slot].packets++;
	r->expected.stats[slot].bytes += len;
	if (v->rule >= 0) {
		r->expected.rules[r->set.rules[v->rule].id].packets++;
		r->expected.rules[r->set.rules[v->rule].id].bytes += len;
	}
}

/* Some batches change the live generation one rule at a time. */
static void live_changes(struct run *r, struct fz_rng *rng)
{
	unsigned int n;
	int err;

	if (!fz_chance(rng, 20))
		return;
	for (n = fz_range(rng, 0, 3); n && r->set.rule_count; n--) {
		err = fz_program_del(&r->prog, &r->set,
				     fz_below(rng, r->set.rule_count));
		if (err)
			die("delete a rule", err);
	}
	for (n = fz_range(rng, 0, 3); n; n--) {
		struct model_rule rule;

		if (fz_rule_random(rng, &r->set, &rule))
			continue;
		err = fz_program_add(&r->prog, &r->set, &rule);
		if (err == -ENOSPC)
			break;
		if (err)
			die("add a rule", err);
	}
}

/* One ruleset and its frames; 0 if the program agreed throughout. */
static int run_batch(struct run *r, __u64 frames)
{
	__u64 mix = r->opt.seed ^ (r->batch * 0xd1b54a32d192ed03ULL);
	__u64 epoch = r->opt.seed ^
		      ((r->batch / SKETCH_EPOCH + 1) * 0x8cb92ba72f3d8dd7ULL);
	struct fz_rng rng;
	enum model_bucket sketch;
	__u64 done;
	unsigned int i;
	double t0;
	int err;

	fz_seed(&rng, epoch);
	sketch = fz_chance(&rng, 50) ? MODEL_OPEN : MODEL_EMPTY;
	fz_seed(&rng, mix);
	fz_ruleset_random(&rng, sketch, &r->set);
	err = fz_program_apply(&r->prog, &r->set);
	if (err)
		die("apply the ruleset", err);
	live_changes(r, &rng);
	r->rule_limit = 0;
	for (i = 0; i < r->set.rule_count; i++)
		if (r->set.rules[i].id + 1 > r->rule_limit)
			r->rule_limit = r->set.rules[i].id + 1;
	err = fz_program_counters(&r->prog, r->rule_limit, &r->base);
	if (err)
		die("counters", err);
	memset(&r->expected, 0, sizeof(r->expected));
	r->in_chunk = 0;
	r->frame_index = 0;
	for (done = 0; done < frames; done++) {
		__u32 xdp;

		i = r->in_chunk++;
		r->lengths[i] = fz_frame(&rng, &r->set, r->frames[i]);
		model_judge(&r->set, r->frames[i], r->lengths[i],
			    &r->verdicts[i], NULL, 0);
		t0 = seconds();
		xdp = fz_program_run(&r->prog, r->frames[i], r->lengths[i]);
		r->program_time += seconds() - t0;
		if (xdp != r->verdicts[i].xdp) { /* its reason: run again */
			replay_chunk(r);
			return 1;
		}
		expect(r, &r->verdicts[i], r->lengths[i]);
		if (r->in_chunk < r->opt.chunk && done + 1 < frames)
			continue;
		if (!chunk_agrees(r)) {
			replay_chunk(r);
			return 1;
		}
		r->frame_index += r->in_chunk;
		r->in_chunk = 0;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: diff [--seed N] [--frames N] [--batch N] [--chunk N] [--first-batch N] [--keep-going] [--name NAME] [--quiet]\n");
	exit(2);
}

static __u64 number(const char *text)
{
	char *end;
	unsigned long long value;

	errno = 0;
	value = strtoull(text, &end, 0);
	if (errno || !*text || *end)
		usage();
	return value;
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longs[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'f' },
		{ "batch", required_argument, NULL, 'b' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "first-batch", required_argument, NULL, 'B' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "strict", no_argument, NULL, 'S' },
		{},
	};
	int c;

	*opt = (struct options){ .seed = 1,
				 .frames = 100000,
				 .batch = 2000,
				 .chunk = 1024,
				 .name = "fuzz_diff" };
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			opt->seed = number(optarg);
			break;
		case 'f':
			opt->frames = number(optarg);
			break;
		case 'b':
			opt->batch = number(optarg);
			break;
		case 'c':
			opt->chunk = number(optarg);
			break;
		case 'B':
			opt->first_batch = number(optarg);
			break;
		case 'k':
			opt->keep_going = true;
			break;
		case 'n':
			opt->name = optarg;
			break;
		case 'q':
			opt->quiet = true;
			break;
		case 'S': /* the only mode now: old replay lines still run */
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !opt->batch || !opt->chunk ||
	    opt->chunk > CHUNK_MAX)
		usage();
}

int main(int argc, char **argv)
{
	static struct run r;
	unsigned int passed = 0, failed = 0;
	__u64 total = 0, n;
	double start, elapsed;
	int err;

	parse_options(argc, argv, &r.opt);
	r.frames = calloc(CHUNK_MAX, sizeof(*r.frames));
	if (!r.frames)
		die("memory", -ENOMEM);
	err = fz_program_open(&r.prog);
	if (err)
		die("load", err);
	start = seconds();
	for (r.batch = r.opt.first_batch; total < r.opt.frames; r.batch++) {
		n = r.opt.frames - total < r.opt.batch ? r.opt.frames - total :
							 r.opt.batch;
		if (run_batch(&r, n)) {
			failed++;
			if (!r.opt.keep_going)
				break;
		} else {
			passed++;
		}
		total += n;
	}
	elapsed = seconds() - start;
	fz_program_close(&r.prog);
	if (!r.opt.quiet)
		printf("# seed %llu: %llu frames in %llu rulesets, %.2f s: %.0f frames/s (the program's runs alone: %.0f frames/s)\n",
		       (unsigned long long)r.opt.seed,
		       (unsigned long long)total,
		       (unsigned long long)(passed + failed), elapsed,
		       total / elapsed,
		       r.program_time > 0 ? total / r.program_time : 0);
	if (!r.opt.quiet) {
		printf("# verdicts:");
		for (n = 0; n < CAS_REASON_COUNT; n++)
			printf(" %s %llu", cas_reason_names[n],
			       (unsigned long long)r.reasons[n]);
		printf("\n");
	}
	printf("%s: %u passed, %u failed\n", r.opt.name, passed, failed);
	return failed ? 1 : 0;
}
