// SPDX-License-Identifier: GPL-2.0
/*
 * bench_synproxy.c - what the SYN proxy switch costs the shield's program,
 * through BPF_PROG_TEST_RUN: one loaded program whose live generation's
 * policy has CAS_POLICY_SYN_PROXY off, then on (cas_policy_write between
 * runs, as `apply` sets it), beside a program that only returns XDP_PASS
 * (the cost of the test run itself), on two frames:
 *
 *   ack  the ACK of an established connection from an allowed source.
 *        With the switch on, the program looks the connection up
 *        (bpf_skc_lookup_tcp) before it passes the segment; so that the
 *        lookup finds one, this process opens a real TCP connection on
 *        loopback, and the frame is that connection's (127.0.0.0/8 is
 *        allowed on its port).
 *   syn  a SYN from that source with a Linux client's options. Off, it is
 *        charged in the SYN buckets (per source, rule and global, all set
 *        high enough never to refuse) and passed; on, it is answered with
 *        a SYN-ACK built over it (XDP_TX), after the SYN-ACK cap.
 *   forged_ack  a pure ACK from that source of no connection, returning
 *        no cookie (what a flood forging the proxy's ACKs sends). Off, it
 *        passes; on, the lookup finds nothing, the cookie is checked as
 *        the ACK came and once more one sequence number higher (the
 *        zero-window probe's case, synproxy.h), and it is dropped.
 *
 * An answered SYN is rewritten in place, and BPF_PROG_TEST_RUN does not
 * restore the frame between repetitions: the SYN is timed in single runs
 * (repeat 1, the mean of --singles calls), and so is its XDP_PASS floor.
 * The ACK is timed with --repeat, as bench_paths does. Programs alternate
 * within each round; the figure is the median of the rounds. Every run of
 * the shield must be counted under the expected verdict, or the benchmark
 * fails rather than report the wrong path.
 *
 *   bench_synproxy [--repeat N] [--singles N] [--rounds N] [--cpu N]
 *
 * Output, one tab-separated line per (path, program):
 *   path  frame  method  program  verdict  median_ns  min_ns  max_ns
 * program: off or on (the shield, the switch off or on), xdp_pass.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "frame.h"
#include "pass.skel.h"
#include "testrun.h"
#include "verdicts.h"

#define MAX_ROUNDS  64
#define SYN_SPORT   40000
/* SYN limits that charge every bucket and never refuse in this run. */
#define SYN_LIMIT   10000000
#define SYN_OPT_MSS 2, 4, 0x05, 0xb4		  /* MSS 1460 */
#define SYN_OPT_TS  8, 10, 0, 0, 0, 1, 0, 0, 0, 0 /* tsval 1 */

/* A Linux client's SYN options: MSS, SACK-permitted, TS, NOP, WS 7. */
static const __u8 linux_opts[] = { SYN_OPT_MSS, 4, 2, SYN_OPT_TS, 1, 3, 3, 7 };

enum program { PROG_OFF, PROG_ON, PROG_PASS, PROG_COUNT };
static const char *const program_names[PROG_COUNT] = { "off", "on",
						       "xdp_pass" };

enum frame_id { FRAME_ACK, FRAME_SYN, FRAME_FORGED_ACK, FRAME_COUNT };
static const char *const frame_texts[FRAME_COUNT] = {
	"IPv4 ACK of an established loopback connection, allowed source",
	"IPv4 SYN with a Linux client's options, allowed source",
	"IPv4 ACK of no connection, no cookie, allowed source",
};

struct path {
	const char *name;
	enum frame_id frame;
	bool single; /* timed in single runs */
	__u32 action[PROG_COUNT];
	enum cas_reason reason[PROG_PASS]; /* the shield's, off and on */
};

/*
 * The ACK in single runs too: beside the repeated figure, it shows what
 * single runs add (colder caches after each syscall), to read the SYN by.
 */
static const struct path paths[] = {
	{ "ack",
	  FRAME_ACK,
	  false,
	  { XDP_PASS, XDP_PASS, XDP_PASS },
	  { CAS_REASON_ALLOWED, CAS_REASON_ALLOWED } },
	{ "ack_single",
	  FRAME_ACK,
	  true,
	  { XDP_PASS, XDP_PASS, XDP_PASS },
	  { CAS_REASON_ALLOWED, CAS_REASON_ALLOWED } },
	{ "syn",
	  FRAME_SYN,
	  true,
	  { XDP_PASS, XDP_TX, XDP_PASS },
	  { CAS_REASON_ALLOWED, CAS_REASON_SYN_COOKIE_SENT } },
	{ "forged_ack",
	  FRAME_FORGED_ACK,
	  false,
	  { XDP_PASS, XDP_DROP, XDP_PASS },
	  { CAS_REASON_ALLOWED, CAS_REASON_COOKIE_INVALID } },
};
#define PATH_COUNT (sizeof(paths) / sizeof(paths[0]))

struct options {
	__u32 repeat, singles;
	unsigned int rounds;
	int cpu;
};

/* A connection on loopback: the listener's port, the client's. */
struct loopback {
	int listener, client, server;
	__u16 port, cport; /* host order */
};

struct bench {
	struct options o;
	struct dp_fixture fx;
	struct pass_bpf *pass;
	struct loopback lb;
	__u8 frames[FRAME_COUNT][FRAME_MAX] __attribute__((aligned(8)));
	size_t lens[FRAME_COUNT];
	double samples[PATH_COUNT][PROG_COUNT][MAX_ROUNDS];
	__u32 verdicts[PATH_COUNT][PROG_COUNT];
};

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_synproxy: %s: %s\n", what, strerror(-err));
	exit(1);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "singles", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{}
	};
	int opt;

	*o = (struct options){
		.repeat = 1000000, .singles = 100000, .rounds = 5, .cpu = 1
	};
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'r')
			o->repeat = strtoul(optarg, NULL, 0);
		else if (opt == 's')
			o->singles = strtoul(optarg, NULL, 0);
		else if (opt == 'n')
			o->rounds = strtoul(optarg, NULL, 0);
		else if (opt == 'c')
			o->cpu = strtol(optarg, NULL, 0);
		else
			goto usage;
	}
	if (o->repeat && o->singles && o->rounds && o->rounds <= MAX_ROUNDS)
		return;
usage:
	fprintf(stderr,
		"usage: bench_synproxy [--repeat N>0] [--singles N>0] [--rounds 1..%d] [--cpu N]\n",
		MAX_ROUNDS);
	exit(2);
}

static __u16 local_port(int fd)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);

	if (getsockname(fd, (struct sockaddr *)&addr, &len))
		return 0;
	return ntohs(addr.sin_port);
}

/* A connection the socket lookup finds: 127.0.0.1 to 127.0.0.1. */
static void loopback_open(struct loopback *lb)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);

	lb->listener = socket(AF_INET, SOCK_STREAM, 0);
	lb->client = socket(AF_INET, SOCK_STREAM, 0);
	if (lb->listener < 0 || lb->client < 0 ||
	    bind(lb->listener, (struct sockaddr *)&addr, len) ||
	    listen(lb->listener, 1))
		die("a loopback listener", -errno);
	lb->port = local_port(lb->listener);
	addr.sin_port = htons(lb->port);
	if (connect(lb->client, (struct sockaddr *)&addr, len) ||
	    (lb->server = accept(lb->listener, NULL, NULL)) < 0)
		die("a loopback connection", -errno);
	lb->cport = local_port(lb->client);
}

static void loopback_close(struct loopback *lb)
{
	close(lb->server);
	close(lb->client);
	close(lb->listener);
}

/* The switch, on the live generation (what `apply` writes). */
static void set_proxy(struct dp_fixture *fx, bool on)
{
	struct cas_gen_maps active;
	struct cas_policy policy;
	int err;

	err = cas_active_maps(&fx->maps, &active);
	if (!err)
		err = cas_policy_read(&fx->maps, active.gen, &policy);
	if (err)
		die("cannot read the policy", err);
	policy.flags = on ? CAS_POLICY_SYN_PROXY : 0;
	policy.mss4 = 1460;
	policy.mss6 = 1440;
	policy.wscale = CAS_SYNPROXY_WSCALE;
	policy.synack_rate = CAS_SYNACK_RATE_DEFAULT;
	policy.synack_burst = CAS_SYNACK_RATE_DEFAULT;
	err = cas_policy_write(&fx->maps, active.gen, &policy);
	if (err)
		die("cannot write the policy", err);
}

/* 127.0.0.0/8 allowed on the listener's port, every SYN bucket set. */
static void shield_setup(struct bench *b)
{
	struct cas_rule rule = { .syn_rate = SYN_LIMIT,
				 .syn_burst = SYN_LIMIT,
				 .source_syn_rate = SYN_LIMIT,
				 .source_syn_burst = SYN_LIMIT };
	struct cas_policy limits = { .syn_rate = SYN_LIMIT,
				     .syn_burst = SYN_LIMIT };
	char port[8];

	snprintf(port, sizeof(port), "%u", b->lb.port);
	dp_open(&b->fx, port);
	snprintf(rule.name, sizeof(rule.name), "loopback");
	dp_add(&b->fx, "127.0.0.0/8", NULL, &rule);
	dp_set_limits(&b->fx, &limits);
	b->pass = pass_bpf__open_and_load();
	if (!b->pass)
		die("cannot load the XDP_PASS program", -errno);
}

static void build_frames(struct bench *b)
{
	struct frame_spec ack = { .kind = FRAME_IPV4,
				  .src = "127.0.0.1",
				  .dst = "127.0.0.1",
				  .sport = b->lb.cport,
				  .dport = b->lb.port,
				  .tcp_flags = 0x10,
				  .ack_seq = 1 };
	struct frame_spec syn = { .kind = FRAME_IPV4,
				  .src = "127.0.0.1",
				  .dst = "127.0.0.1",
				  .sport = SYN_SPORT,
				  .dport = b->lb.port,
				  .tcp_opts = linux_opts,
				  .tcp_opts_len = sizeof(linux_opts) };
	struct frame_spec forged = ack;

	/* A port nothing listens on or connects from: no socket to find. */
	forged.sport = SYN_SPORT;
	forged.ack_seq = 0x12345678;
	b->lens[FRAME_ACK] = frame_build(&ack, b->frames[FRAME_ACK]);
	b->lens[FRAME_SYN] = frame_build(&syn, b->frames[FRAME_SYN]);
	b->lens[FRAME_FORGED_ACK] =
		frame_build(&forged, b->frames[FRAME_FORGED_ACK]);
}

/* Every packet the shield counted, and those under (reason, action). */
static void shield_count(struct bench *b, enum cas_reason reason, __u32 action,
			 __u64 *expected, __u64 *total)
{
	__u32 want = CAS_STATS_INDEX(reason, action), slot;
	struct cas_counter sum;
	int err;

	*expected = *total = 0;
	for (slot = 0; slot < CAS_STATS_SLOTS; slot++) {
		err = cas_counter_sum(b->fx.maps.stats, slot, &sum);
		if (err)
			die("cannot read the shield's counters", err);
		*total += sum.packets;
		if (slot == want)
			*expected = sum.packets;
	}
}

/* ns per run: one run of --repeat, or the mean of --singles single runs. */
static double time_runs(struct bench *b, int fd, const struct path *p,
			__u32 *xdp, __u32 *runs)
{
	const __u8 *frame = b->frames[p->frame];
	size_t len = b->lens[p->frame];
	__u64 sum = 0;
	__u32 i, ns;
	int err;

	*runs = p->single ? b->o.singles : b->o.repeat;
	if (!p->single) {
		err = bench_test_run(fd, frame, len, *runs, xdp, &ns);
		if (err)
			die("BPF_PROG_TEST_RUN", err);
		return ns;
	}
	for (i = 0; i < *runs; i++) {
		err = bench_test_run(fd, frame, len, 1, xdp, &ns);
		if (err)
			die("BPF_PROG_TEST_RUN", err);
		sum += ns;
	}
	return (double)sum / *runs;
}

static int program_fd(struct bench *b, enum program prog)
{
	if (prog == PROG_PASS)
		return bpf_program__fd(b->pass->progs.bench_pass);
	set_proxy(&b->fx, prog == PROG_ON);
	return b->fx.prog_fd;
}

/* One timed measurement; the shield's must be counted as expected. */
static void measure(struct bench *b, unsigned int p, enum program prog,
		    unsigned int round)
{
	const struct path *path = &paths[p];
	int fd = program_fd(b, prog);
	__u32 action = path->action[prog], counted, runs, xdp;
	__u64 seen0, all0, seen, all;

	counted = action == XDP_TX   ? CAS_ACTION_TX :
		  action == XDP_DROP ? CAS_ACTION_DROP :
				       CAS_ACTION_PASS;
	if (prog != PROG_PASS)
		shield_count(b, path->reason[prog], counted, &seen0, &all0);
	b->samples[p][prog][round] = time_runs(b, fd, path, &xdp, &runs);
	b->verdicts[p][prog] = xdp;
	if (xdp != action) {
		fprintf(stderr, "bench_synproxy: %s, %s: returned %s, not %s\n",
			path->name, program_names[prog],
			bench_xdp_action_name(xdp),
			bench_xdp_action_name(action));
		exit(1);
	}
	if (prog == PROG_PASS)
		return;
	shield_count(b, path->reason[prog], counted, &seen, &all);
	if (all - all0 == runs && seen - seen0 == runs)
		return;
	fprintf(stderr,
		"bench_synproxy: %s, %s: of %u runs the shield counted %llu, %llu of them as %s/%s\n",
		path->name, program_names[prog], runs,
		(unsigned long long)(all - all0),
		(unsigned long long)(seen - seen0),
		cas_reason_names[path->reason[prog]],
		cas_action_names[counted]);
	exit(1);
}

static void print_results(struct bench *b)
{
	char method[32];
	unsigned int p, prog, r;

	for (p = 0; p < PATH_COUNT; p++) {
		if (paths[p].single)
			snprintf(method, sizeof(method), "%u single runs",
				 b->o.singles);
		else
			snprintf(method, sizeof(method), "repeat %u",
				 b->o.repeat);
		for (prog = 0; prog < PROG_COUNT; prog++) {
			double *s = b->samples[p][prog], lo = s[0], hi = s[0];

			for (r = 1; r < b->o.rounds; r++) {
				lo = s[r] < lo ? s[r] : lo;
				hi = s[r] > hi ? s[r] : hi;
			}
			printf("%s\t%s\t%s\t%s\t%s\t%.1f\t%.1f\t%.1f\n",
			       paths[p].name, frame_texts[paths[p].frame],
			       method, program_names[prog],
			       bench_xdp_action_name(b->verdicts[p][prog]),
			       bench_median(s, b->o.rounds), lo, hi);
		}
	}
}

int main(int argc, char **argv)
{
	static struct bench b;
	unsigned int round, p, prog;
	int err;

	parse_options(argc, argv, &b.o);
	err = bench_pin_cpu(b.o.cpu);
	if (err)
		die("cannot pin to the CPU", err);
	loopback_open(&b.lb);
	shield_setup(&b);
	build_frames(&b);
	/* An untimed round first (its samples are overwritten): warm caches. */
	for (p = 0; p < PATH_COUNT; p++)
		for (prog = 0; prog < PROG_COUNT; prog++)
			measure(&b, p, prog, 0);
	for (round = 0; round < b.o.rounds; round++)
		for (p = 0; p < PATH_COUNT; p++)
			for (prog = 0; prog < PROG_COUNT; prog++)
				measure(&b, p, prog, round);
	print_results(&b);
	pass_bpf__destroy(b.pass);
	dp_close(&b.fx);
	loopback_close(&b.lb);
	return 0;
}
