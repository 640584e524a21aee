// SPDX-License-Identifier: GPL-2.0
/*
 * bench_rules.c - ns/packet of the shield's program as its allowlist
 * grows: one program per rule count, each loaded with the first N rules of
 * a rule file (gen_rules), all loaded before any timing so that the counts
 * alternate within each round (A B C A B C ...). Each is timed through
 * BPF_PROG_TEST_RUN on the same probes: sources no rule allows (IPv4 and
 * IPv6, from the blocks gen_rules never covers), and sources the last /32,
 * shorter prefix and /128 among those N rules allow. For one rule, each
 * allowing probe gets a set holding one rule of its own kind. Every
 * probe's verdict is checked before it is timed. A program that only
 * returns XDP_PASS is timed in every round too: the floor of the test
 * run's own cost, so that the program's own cost can be read as the
 * difference.
 *
 *   bench_rules --file RULES [--counts 1,100,...] [--repeat N]
 *               [--rounds N] [--cpu N]
 *
 * Output, tab-separated:
 *   load   RULES  SECONDS                      (cas_rules_add_bulk)
 *   floor  MEDIAN_NS  MIN_NS  MAX_NS           (XDP_PASS, same frame)
 *   probe  RULES  PROBE  ADDRESS  VERDICT  MEDIAN_NS  MIN_NS  MAX_NS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "frame.h"
#include "pass.skel.h"
#include "testrun.h"

#define MAX_COUNTS   8
#define MAX_ROUNDS   64
#define LINE_MAX_LEN 256
#define NOT_ALLOWED4 "10.255.0.77" /* gen_rules never covers 10.240/12 */
#define NOT_ALLOWED6 "fdff::77"	   /* ... nor fdff::/16 */

enum probe_kind {
	PROBE_DENY4,
	PROBE_HOST4,
	PROBE_NET4,
	PROBE_DENY6,
	PROBE_HOST6,
	PROBE_NET6,
	PROBE_COUNT
};
static const char *const probe_names[PROBE_COUNT] = {
	"ipv4_not_allowed", "ipv4_host_rule", "ipv4_prefix_rule",
	"ipv6_not_allowed", "ipv6_host_rule", "ipv6_prefix_rule"
};

struct probe {
	bool present; /* an allowing probe needs a rule of its kind */
	char addr[INET6_ADDRSTRLEN];
	__u8 frame[FRAME_MAX] __attribute__((aligned(8)));
	size_t len;
	__u32 verdict;
};

struct rule_set {
	const struct cas_rule *rules; /* its first rule; count follow */
	unsigned long count;
	int only_probe; /* -1, or the one probe this set is for */
	struct dp_fixture fx;
	struct probe probes[PROBE_COUNT];
	double samples[PROBE_COUNT][MAX_ROUNDS];
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_rules: %s: %s\n", what, strerror(-err));
	exit(1);
}

/* The first max_count rules of the file, as rule bodies. */
static struct cas_rule *read_rules(const char *path, unsigned long max_count,
				   unsigned long *count)
{
	char line[LINE_MAX_LEN], err_text[CAS_ERRBUF];
	struct cas_rule *rules = calloc(max_count, sizeof(*rules));
	unsigned long lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f || !rules) {
		fprintf(stderr, "bench_rules: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	*count = 0;
	while (*count < max_count && fgets(line, sizeof(line), f)) {
		struct cas_prefix prefix;

		lineno++;
		line[strcspn(line, " \t\r\n")] = '\0';
		if (!line[0])
			continue;
		if (cas_parse_prefix(line, &prefix, err_text)) {
			fprintf(stderr, "bench_rules: %s:%lu: %s\n", path,
				lineno, err_text);
			exit(1);
		}
		cas_rule_set_prefix(&rules[*count], &prefix);
		rules[*count].port_mask = CAS_ALL_PORTS;
		(*count)++;
	}
	fclose(f);
	if (*count < max_count) {
		fprintf(stderr, "bench_rules: %s has %lu rules, %lu wanted\n",
			path, *count, max_count);
		exit(1);
	}
	return rules;
}

static void set_probe(struct probe *probe, const char *addr, bool allowed)
{
	bool v6 = strchr(addr, ':') != NULL;
	struct frame_spec spec = {
		.kind = v6 ? FRAME_IPV6 : FRAME_IPV4,
		.src = addr,
		.dport = 443,
		/* An allowed ACK passes without touching a SYN bucket. */
		.tcp_flags = allowed ? 0x10 : 0x02,
	};

	probe->present = true;
	snprintf(probe->addr, sizeof(probe->addr), "%s", addr);
	probe->len = frame_build(&spec, probe->frame);
}

/* An address inside the rule's prefix (its first host above the base). */
static void rule_address(const struct cas_rule *rule, char *buf, size_t len)
{
	__u8 addr[16];

	memcpy(addr, rule->addr, sizeof(addr));
	if (rule->family == AF_INET) {
		if (rule->prefixlen < 32)
			addr[3] |= 1;
		inet_ntop(AF_INET, addr, buf, len);
	} else {
		if (rule->prefixlen < 128)
			addr[15] |= 1;
		inet_ntop(AF_INET6, addr, buf, len);
	}
}

/* The probe a rule allows. */
static int rule_probe(const struct cas_rule *r)
{
	if (r->family == AF_INET)
		return r->prefixlen == 32 ? PROBE_HOST4 : PROBE_NET4;
	return r->prefixlen == 128 ? PROBE_HOST6 : PROBE_NET6;
}

/* Probes for the set's rules: the last rule of each kind allows. */
static void make_probes(struct rule_set *set)
{
	char addr[INET6_ADDRSTRLEN];
	long i;
	int p;

	set_probe(&set->probes[PROBE_DENY4], NOT_ALLOWED4, false);
	set_probe(&set->probes[PROBE_DENY6], NOT_ALLOWED6, false);
	for (i = (long)set->count - 1; i >= 0; i--) {
		const struct cas_rule *r = &set->rules[i];
		int kind = rule_probe(r);

		if (kind < 0 || set->probes[kind].present)
			continue;
		rule_address(r, addr, sizeof(addr));
		set_probe(&set->probes[kind], addr, true);
	}
	for (p = 0; p < PROBE_COUNT && set->only_probe >= 0; p++)
		set->probes[p].present &= p == set->only_probe;
}

/*
 * "One rule" for the probes of a kind the file's first rule is not: a set
 * holding only the first rule of that kind, so that every probe has a
 * one-rule baseline.
 */
static unsigned int add_single_kind_sets(struct rule_set *sets,
					 unsigned int nsets,
					 const struct cas_rule *rules,
					 unsigned long count)
{
	static const int kinds[] = { PROBE_NET4, PROBE_HOST6, PROBE_NET6 };
	unsigned int k;
	unsigned long i;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (rule_probe(&rules[0]) == kinds[k])
			continue;
		for (i = 1; i < count && rule_probe(&rules[i]) != kinds[k]; i++)
			;
		if (i == count)
			continue;
		sets[nsets].rules = &rules[i];
		sets[nsets].count = 1;
		sets[nsets].only_probe = kinds[k];
		nsets++;
	}
	return nsets;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec +
	       (now.tv_nsec - start->tv_nsec) / 1e9;
}

static unsigned int parse_counts(const char *text, unsigned long *counts)
{
	char *copy = strdup(text), *token, *save = NULL;
	unsigned int n = 0;

	for (token = strtok_r(copy, ",", &save); token && n < MAX_COUNTS;
	     token = strtok_r(NULL, ",", &save))
		counts[n++] = strtoul(token, NULL, 0);
	free(copy);
	return n;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "counts", required_argument, NULL, 'n' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "cpu", required_argument, NULL, 'c' },
		{}
	};
	static double floor_samples[MAX_ROUNDS];
	unsigned long counts[MAX_COUNTS], max_count = 0, loaded;
	unsigned int ncounts = 0, nsets, rounds = 5, round, s, p;
	const char *file = NULL;
	struct rule_set *sets;
	struct cas_rule *rules;
	struct pass_bpf *pass;
	__u32 repeat = 1000000;
	int cpu = 1, opt, err;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			file = optarg;
			break;
		case 'n':
			ncounts = parse_counts(optarg, counts);
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 0);
			break;
		case 'R':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			cpu = strtol(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (!ncounts)
		ncounts = parse_counts("1,100,10000,100000,1000000", counts);
	if (!file || !repeat || !rounds || rounds > MAX_ROUNDS)
		goto usage;
	for (s = 0; s < ncounts; s++) {
		if (!counts[s])
			goto usage;
		if (counts[s] > max_count)
			max_count = counts[s];
	}
	err = bench_pin_cpu(cpu);
	if (err)
		die("cannot pin to the CPU", err);
	rules = read_rules(file, max_count, &loaded);

	sets = calloc(
		ncounts + 3,
		sizeof(*sets)); /* + one-rule sets of add_single_kind_sets */
	if (!sets)
		die("memory", -ENOMEM);
	for (s = 0; s < ncounts; s++) {
		sets[s].rules = rules;
		sets[s].count = counts[s];
		sets[s].only_probe = -1;
	}
	nsets = ncounts;
	for (s = 0; s < ncounts; s++)
		if (counts[s] == 1)
			nsets = add_single_kind_sets(sets, nsets, rules,
						     loaded);
	for (s = 0; s < nsets; s++) {
		struct rule_set *set = &sets[s];
		char errbuf[CAS_ERRBUF];
		struct timespec start;
		size_t failed;

		/* An operator sizes the table only past the default. */
		dp_open_sized(&set->fx, "443",
			      set->count > CAS_MAX_RULES ? set->count : 0);
		clock_gettime(CLOCK_MONOTONIC, &start);
		err = cas_rules_add_bulk(&set->fx.maps, set->rules, set->count,
					 &failed, errbuf);
		if (err) {
			fprintf(stderr,
				"bench_rules: loading %lu rules failed at rule %zu: %s\n",
				set->count, failed, errbuf);
			return 1;
		}
		if (set->only_probe < 0)
			printf("load\t%lu\t%.3f\n", set->count,
			       seconds_since(&start));
		make_probes(set);
		for (p = 0; p < PROBE_COUNT; p++) {
			struct probe *probe = &set->probes[p];
			__u32 want = p == PROBE_DENY4 || p == PROBE_DENY6 ?
					     XDP_DROP :
					     XDP_PASS;
			__u32 ns;

			if (!probe->present)
				continue;
			err = bench_test_run(set->fx.prog_fd, probe->frame,
					     probe->len, 1, &probe->verdict,
					     &ns);
			if (err)
				die("BPF_PROG_TEST_RUN", err);
			if (probe->verdict != want) {
				fprintf(stderr,
					"bench_rules: %lu rules, %s (%s): the shield returned %s, expected %s\n",
					set->count, probe_names[p], probe->addr,
					bench_xdp_action_name(probe->verdict),
					bench_xdp_action_name(want));
				return 1;
			}
		}
	}
	free(rules);
	pass = pass_bpf__open_and_load();
	if (!pass)
		die("cannot load the XDP_PASS program", -errno);

	for (round = 0; round < rounds; round++) {
		struct probe *first = &sets[0].probes[PROBE_DENY4];
		__u32 action, ns;

		err = bench_test_run(bpf_program__fd(pass->progs.bench_pass),
				     first->frame, first->len, repeat, &action,
				     &ns);
		if (err)
			die("BPF_PROG_TEST_RUN", err);
		floor_samples[round] = ns;
		for (s = 0; s < nsets; s++) {
			for (p = 0; p < PROBE_COUNT; p++) {
				struct probe *probe = &sets[s].probes[p];
				__u32 action, ns;

				if (!probe->present)
					continue;
				err = bench_test_run(sets[s].fx.prog_fd,
						     probe->frame, probe->len,
						     repeat, &action, &ns);
				if (err)
					die("BPF_PROG_TEST_RUN", err);
				sets[s].samples[p][round] = ns;
			}
		}
	}

	{
		double *v = floor_samples, min = v[0], max = v[0];

		for (round = 1; round < rounds; round++) {
			min = v[round] < min ? v[round] : min;
			max = v[round] > max ? v[round] : max;
		}
		printf("floor\t%.1f\t%.0f\t%.0f\n", bench_median(v, rounds),
		       min, max);
	}
	for (s = 0; s < nsets; s++) {
		for (p = 0; p < PROBE_COUNT; p++) {
			struct probe *probe = &sets[s].probes[p];
			double *v = sets[s].samples[p], min = v[0], max = v[0];

			if (!probe->present)
				continue;
			for (round = 1; round < rounds; round++) {
				min = v[round] < min ? v[round] : min;
				max = v[round] > max ? v[round] : max;
			}
			printf("probe\t%lu\t%s\t%s\t%s\t%.1f\t%.0f\t%.0f\n",
			       sets[s].count, probe_names[p], probe->addr,
			       bench_xdp_action_name(probe->verdict),
			       bench_median(v, rounds), min, max);
		}
		dp_close(&sets[s].fx);
	}
	free(sets);
	pass_bpf__destroy(pass);
	return 0;
usage:
	fprintf(stderr,
		"usage: bench_rules --file RULES [--counts 1,100,...] [--repeat N] [--rounds N] [--cpu N]\n");
	return 2;
}
