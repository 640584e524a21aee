// SPDX-License-Identifier: GPL-2.0
/*
 * bench_paths.c - ns/packet of the shield's program for each path it can
 * take, through BPF_PROG_TEST_RUN, beside a program that only returns
 * XDP_PASS (the cost of the test run itself), the counting XDP_DROP program
 * that is the drop-rate benchmark's ceiling, and xdp-filter's allowlist
 * program, on the same frames. Programs alternate inside each round (A B C
 * A B C ...) so that drift spreads over all of them; the figure is the
 * median of the rounds.
 *
 * Before its timed runs, every program's verdict on every frame is shown,
 * and the shield's counters must have counted each timed run in full under
 * the expected (action, reason): a benchmark of the wrong path is caught
 * rather than reported.
 *
 *   bench_paths [--repeat N] [--rounds N] [--cpu N] [--xdp-filter OBJ]
 *
 * Output, one tab-separated line per (path, program):
 *   path  frame  program  verdict  median_ns  min_ns  max_ns
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "drop_count.skel.h"
#include "frame.h"
#include "pass.skel.h"
#include "testrun.h"
#include "verdicts.h"

#define PROXY4	   "198.51.100.10"
#define LIMITED4   "198.51.100.20"
#define STRANGER4  "203.0.113.7"
#define PROXY6	   "2001:db8:10::10"
#define STRANGER6  "2001:db8:bad::7"
#define MAX_ROUNDS 64

struct bench_path {
	const char *name;
	const char *frame_text;
	struct frame_spec spec;
	__u32 action;
	enum cas_reason reason;
	/* frames another verdict may take (a rate limit's admissions) */
	__u32 slack;
};

static const struct bench_path paths[] = {
	{ "dropped",
	  "IPv4 SYN, source not allowed, to 443",
	  { .kind = FRAME_IPV4, .src = STRANGER4, .dport = 443 },
	  XDP_DROP,
	  CAS_REASON_NOT_ALLOWED },
	{ "passed",
	  "IPv4 ACK, allowed source, to 443",
	  { .kind = FRAME_IPV4,
	    .src = PROXY4,
	    .dport = 443,
	    .tcp_flags = 0x10 },
	  XDP_PASS,
	  CAS_REASON_ALLOWED },
	{ "syn_limited",
	  "IPv4 SYN, allowed source over its rule's SYN rate",
	  { .kind = FRAME_IPV4, .src = LIMITED4, .dport = 443 },
	  XDP_DROP,
	  CAS_REASON_SYN_RATE_RULE,
	  16 }, /* 1 SYN/s admitted */
	{ "unprotected",
	  "IPv4 SYN, source not allowed, to 22 (not protected)",
	  { .kind = FRAME_IPV4, .src = STRANGER4, .dport = 22 },
	  XDP_PASS,
	  CAS_REASON_UNPROTECTED },
	{ "ipv6",
	  "IPv6 SYN, source not allowed, to 443",
	  { .kind = FRAME_IPV6, .src = STRANGER6, .dport = 443 },
	  XDP_DROP,
	  CAS_REASON_NOT_ALLOWED },
	{ "vlan",
	  "802.1Q-tagged IPv4 SYN, source not allowed, to 443",
	  { .kind = FRAME_IPV4,
	    .src = STRANGER4,
	    .dport = 443,
	    .vlan_tags = 1 },
	  XDP_DROP,
	  CAS_REASON_NOT_ALLOWED },
};
#define PATH_COUNT (sizeof(paths) / sizeof(paths[0]))

enum bench_program {
	PROG_SHIELD,
	PROG_PASS,
	PROG_DROP_COUNT,
	PROG_XDP_FILTER,
	PROG_COUNT
};
static const char *const program_names[PROG_COUNT] = { "casshield", "xdp_pass",
						       "xdp_drop_count",
						       "xdp-filter" };

struct bench_options {
	__u32 repeat;
	unsigned int rounds;
	int cpu;
	const char *xdp_filter_obj;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_paths: %s: %s\n", what, strerror(-err));
	exit(1);
}

static void parse_options(int argc, char **argv, struct bench_options *o)
{
	static const struct option longopts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "xdp-filter", required_argument, NULL, 'x' },
		{}
	};
	int opt;

	*o = (struct bench_options){ .repeat = 1000000, .rounds = 5, .cpu = 1 };
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			o->repeat = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o->rounds = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			o->cpu = strtol(optarg, NULL, 0);
			break;
		case 'x':
			o->xdp_filter_obj = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: bench_paths [--repeat N] [--rounds N] [--cpu N] [--xdp-filter OBJ]\n");
			exit(2);
		}
	}
	if (!o->repeat || !o->rounds || o->rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_paths: --repeat > 0, --rounds 1..%d\n",
			MAX_ROUNDS);
		exit(2);
	}
}

/* The shield protects 443/tcp; one allowed proxy, one rate-limited host. */
static void shield_setup(struct dp_fixture *fx)
{
	struct cas_rule limited = { .syn_rate = 1, .syn_burst = 1 };

	dp_open(fx, "443");
	dp_allow(fx, PROXY4, NULL, "proxy");
	dp_allow(fx, PROXY6, NULL, "proxy6");
	dp_add(fx, LIMITED4, NULL, &limited);
}

/* Packets the shield counted: under the path's verdict, and in all. */
static void shield_count(struct dp_fixture *fx, const struct bench_path *p,
			 __u64 *expected, __u64 *total)
{
	__u32 action =
		p->action == XDP_DROP ? CAS_ACTION_DROP : CAS_ACTION_PASS;
	__u32 want = CAS_STATS_INDEX(p->reason, action), slot;
	struct cas_counter sum;
	int err;

	*expected = *total = 0;
	for (slot = 0; slot < CAS_STATS_SLOTS; slot++) {
		err = cas_counter_sum(fx->maps.stats, slot, &sum);
		if (err)
			die("cannot read the shield's counters", err);
		*total += sum.packets;
		if (slot == want)
			*expected = sum.packets;
	}
}

/* libbpf's notes about xdp-filter's own ELF sections are noise here. */
static int quiet_libbpf(enum libbpf_print_level level, const char *format,
			va_list args)
{
	if (level == LIBBPF_DEBUG ||
	    strstr(format, "unrecognized data section"))
		return 0;
	return vfprintf(stderr, format, args);
}

int main(int argc, char **argv)
{
	static double samples[PATH_COUNT][PROG_COUNT][MAX_ROUNDS];
	__u8 frames[PATH_COUNT][FRAME_MAX] __attribute__((aligned(8)));
	size_t lens[PATH_COUNT];
	__u32 verdicts[PATH_COUNT][PROG_COUNT];
	int prog_fds[PROG_COUNT] = { -1, -1, -1, -1 };
	struct bpf_object *filter_obj = NULL;
	struct bench_options o;
	struct dp_fixture fx;
	struct drop_count_bpf *drop_count;
	struct pass_bpf *pass;
	unsigned int round, i, p;
	int err;

	parse_options(argc, argv, &o);
	libbpf_set_print(quiet_libbpf);
	err = bench_pin_cpu(o.cpu);
	if (err)
		die("cannot pin to the CPU", err);

	shield_setup(&fx);
	prog_fds[PROG_SHIELD] = fx.prog_fd;
	pass = pass_bpf__open_and_load();
	if (!pass)
		die("cannot load the XDP_PASS program", -errno);
	prog_fds[PROG_PASS] = bpf_program__fd(pass->progs.bench_pass);
	drop_count = drop_count_bpf__open_and_load();
	if (!drop_count)
		die("cannot load the counting XDP_DROP program", -errno);
	prog_fds[PROG_DROP_COUNT] =
		bpf_program__fd(drop_count->progs.bench_drop_count);
	if (o.xdp_filter_obj) {
		err = bench_xdp_filter_open(o.xdp_filter_obj, &filter_obj,
					    &prog_fds[PROG_XDP_FILTER]);
		if (err)
			die(o.xdp_filter_obj, err);
		err = bench_xdp_filter_allow(filter_obj, PROXY4);
		if (!err)
			err = bench_xdp_filter_allow(filter_obj, LIMITED4);
		if (!err)
			err = bench_xdp_filter_allow(filter_obj, PROXY6);
		if (err)
			die("cannot add xdp-filter's rules", err);
	}

	for (i = 0; i < PATH_COUNT; i++)
		lens[i] = frame_build(&paths[i].spec, frames[i]);

	/* Verdicts, once; the first SYN of the limited host spends its burst. */
	for (i = 0; i < PATH_COUNT; i++) {
		for (p = 0; p < PROG_COUNT; p++) {
			__u32 ns;

			if (prog_fds[p] < 0)
				continue;
			err = bench_test_run(prog_fds[p], frames[i], lens[i], 2,
					     &verdicts[i][p], &ns);
			if (err)
				die("BPF_PROG_TEST_RUN", err);
		}
		if (verdicts[i][PROG_SHIELD] != paths[i].action) {
			fprintf(stderr,
				"bench_paths: %s: the shield returned %s, expected %s\n",
				paths[i].name,
				bench_xdp_action_name(verdicts[i][PROG_SHIELD]),
				bench_xdp_action_name(paths[i].action));
			return 1;
		}
	}

	for (round = 0; round < o.rounds; round++) {
		for (i = 0; i < PATH_COUNT; i++) {
			for (p = 0; p < PROG_COUNT; p++) {
				__u64 seen0 = 0, all0 = 0, seen, all;
				__u32 action, ns;

				if (prog_fds[p] < 0)
					continue;
				if (p == PROG_SHIELD)
					shield_count(&fx, &paths[i], &seen0,
						     &all0);
				err = bench_test_run(prog_fds[p], frames[i],
						     lens[i], o.repeat, &action,
						     &ns);
				if (err)
					die("BPF_PROG_TEST_RUN", err);
				samples[i][p][round] = ns;
				if (p != PROG_SHIELD)
					continue;
				shield_count(&fx, &paths[i], &seen, &all);
				if (all - all0 != o.repeat ||
				    seen - seen0 + paths[i].slack < o.repeat) {
					fprintf(stderr,
						"bench_paths: %s: of %u runs the shield counted %llu, %llu of them as %s/%s\n",
						paths[i].name, o.repeat,
						(unsigned long long)(all -
								     all0),
						(unsigned long long)(seen -
								     seen0),
						bench_xdp_action_name(
							paths[i].action),
						cas_reason_names
							[paths[i].reason]);
					return 1;
				}
			}
		}
	}

	for (i = 0; i < PATH_COUNT; i++) {
		for (p = 0; p < PROG_COUNT; p++) {
			double *s = samples[i][p], min, max;

			if (prog_fds[p] < 0)
				continue;
			min = max = s[0];
			for (round = 1; round < o.rounds; round++) {
				min = s[round] < min ? s[round] : min;
				max = s[round] > max ? s[round] : max;
			}
			printf("%s\t%s\t%s\t%s\t%.1f\t%.0f\t%.0f\n",
			       paths[i].name, paths[i].frame_text,
			       program_names[p],
			       bench_xdp_action_name(verdicts[i][p]),
			       bench_median(s, o.rounds), min, max);
		}
	}
	bpf_object__close(filter_obj);
	drop_count_bpf__destroy(drop_count);
	pass_bpf__destroy(pass);
	dp_close(&fx);
	return 0;
}
