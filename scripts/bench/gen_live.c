// SPDX-License-Identifier: GPL-2.0
/*
 * gen_live.c - a traffic generator that needs no NIC and no pktgen: it
 * crafts one frame (tests/lib/frame.h), and has the kernel transmit
 * copies of it out of one end of a veth pair with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES (kernel 5.18+). gen_live.bpf.c stamps each
 * copy with one of 2^k sources and returns XDP_TX; the peer receives them,
 * on the CPU the generator is pinned to, in batches (softirqs run when
 * each batch ends), so a slow receiver slows the generator down instead
 * of losing frames in the veth ring. Whether it lost any is for the caller
 * to check against the receiver's own counters: this program only says
 * how many frames it offered, and in how long.
 *
 *   gen_live -i IFACE --dst-mac MAC [--family 4|6] [--kind syn|ack|udp]
 *            [--vlan] [--src ADDR] [--sources N] [--random] [--dport PORT]
 *            [--frames N] [--cpu N] [--batch N]
 *
 * Prints one line: "frames=N ns=T mpps=R".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frame.h"
#include "gen_live.skel.h"

#define GEN_ETH_HLEN  14
#define GEN_VLAN_HLEN 4
#define GEN_IPV4_SRC  12 /* offset of the source in an IPv4 header */
#define GEN_IPV6_SRC  8	 /* ... and in an IPv6 header */

struct gen_options {
	const char *ifname;
	__u8 dst_mac[6];
	bool have_mac;
	int family;
	const char *kind;
	bool vlan;
	const char *src;
	unsigned long sources;
	bool random;
	unsigned int dport;
	unsigned long long frames;
	int cpu;
	unsigned int batch;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: gen_live -i IFACE --dst-mac MAC [--family 4|6] [--kind syn|ack|udp]\n"
		"                [--vlan] [--src ADDR] [--sources N] [--random] [--dport PORT]\n"
		"                [--frames N] [--cpu N] [--batch N]\n");
	exit(2);
}

static unsigned long long parse_number(const char *what, const char *text)
{
	char *end;
	unsigned long long value;

	errno = 0;
	value = strtoull(text, &end, 0);
	if (errno || end == text || *end) {
		fprintf(stderr, "gen_live: %s: not a number: %s\n", what, text);
		exit(2);
	}
	return value;
}

static void parse_options(int argc, char **argv, struct gen_options *o)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "family", required_argument, NULL, 'f' },
		{ "kind", required_argument, NULL, 'k' },
		{ "vlan", no_argument, NULL, 'v' },
		{ "src", required_argument, NULL, 's' },
		{ "sources", required_argument, NULL, 'n' },
		{ "random", no_argument, NULL, 'r' },
		{ "dport", required_argument, NULL, 'p' },
		{ "frames", required_argument, NULL, 'c' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "batch", required_argument, NULL, 'b' },
		{}
	};
	int opt;

	*o = (struct gen_options){ .family = 4,
				   .kind = "syn",
				   .sources = 1,
				   .dport = 443,
				   .frames = 1000000,
				   .cpu = -1,
				   .batch = 64 };
	while ((opt = getopt_long(argc, argv, "i:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'm':
			if (sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
				   &o->dst_mac[0], &o->dst_mac[1],
				   &o->dst_mac[2], &o->dst_mac[3],
				   &o->dst_mac[4], &o->dst_mac[5]) != 6) {
				fprintf(stderr, "gen_live: bad MAC: %s\n",
					optarg);
				exit(2);
			}
			o->have_mac = true;
			break;
		case 'f':
			o->family = parse_number("--family", optarg);
			break;
		case 'k':
			o->kind = optarg;
			break;
		case 'v':
			o->vlan = true;
			break;
		case 's':
			o->src = optarg;
			break;
		case 'n':
			o->sources = parse_number("--sources", optarg);
			break;
		case 'r':
			o->random = true;
			break;
		case 'p':
			o->dport = parse_number("--dport", optarg);
			break;
		case 'c':
			o->frames = parse_number("--frames", optarg);
			break;
		case 'C':
			o->cpu = parse_number("--cpu", optarg);
			break;
		case 'b':
			o->batch = parse_number("--batch", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !o->ifname || !o->have_mac)
		usage();
	if (o->family != 4 && o->family != 6) {
		fprintf(stderr, "gen_live: --family is 4 or 6\n");
		exit(2);
	}
	/* The sources are the low bits of the address: a power of two. */
	if (!o->sources || (o->sources & (o->sources - 1)) ||
	    o->sources > (1UL << 30)) {
		fprintf(stderr,
			"gen_live: --sources must be a power of two up to 2^30\n");
		exit(2);
	}
	if (!o->frames || o->frames > 0xffffffffULL || o->dport > 65535 ||
	    !o->batch || o->batch > 256) {
		fprintf(stderr,
			"gen_live: --frames 1..2^32-1, --dport 0..65535, --batch 1..256\n");
		exit(2);
	}
}

/* The frame every copy starts from; *l3 is where its IP header begins. */
static size_t build_frame(const struct gen_options *o, __u8 *frame, size_t *l3)
{
	struct frame_spec spec = {
		.kind = o->family == 4 ? FRAME_IPV4 : FRAME_IPV6,
		.src = o->src,
		.dport = o->dport,
		.vlan_tags = o->vlan ? 1 : 0,
	};
	size_t len;

	if (!strcmp(o->kind, "syn")) {
		spec.tcp_flags = 0x02;
	} else if (!strcmp(o->kind, "ack")) {
		spec.tcp_flags = 0x10;
	} else if (!strcmp(o->kind, "udp")) {
		spec.l4 = IPPROTO_UDP;
	} else {
		fprintf(stderr, "gen_live: --kind is syn, ack or udp\n");
		exit(2);
	}
	len = frame_build(&spec, frame);
	/* Addressed to the receiver, or its stack would drop it as OTHERHOST. */
	memcpy(frame, o->dst_mac, 6);
	*l3 = GEN_ETH_HLEN + (o->vlan ? GEN_VLAN_HLEN : 0);
	return len;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static int sum_sent(struct gen_live_bpf *skel, __u64 *total)
{
	int ncpus = libbpf_num_possible_cpus(), i, err;
	__u64 *values;
	__u32 zero = 0;

	if (ncpus < 0)
		return ncpus;
	values = calloc(ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.gen_sent), &zero,
				  values);
	err = err ? -errno : 0;
	*total = 0;
	for (i = 0; !err && i < ncpus; i++)
		*total += values[i];
	free(values);
	return err;
}

int main(int argc, char **argv)
{
	__u8 frame[FRAME_MAX] __attribute__((aligned(8)));
	struct xdp_md ctx_in = {};
	struct gen_live_bpf *skel = NULL;
	struct gen_options o;
	struct timespec start, end;
	__u8 src_tail[16];
	size_t len, l3;
	__u64 sent = 0, ns;
	int ifindex, err;

	parse_options(argc, argv, &o);
	ifindex = if_nametoindex(o.ifname);
	if (!ifindex) {
		fprintf(stderr, "gen_live: no interface %s: %s\n", o.ifname,
			strerror(errno));
		return 1;
	}
	if (o.cpu >= 0) {
		err = pin_to_cpu(o.cpu);
		if (err) {
			fprintf(stderr, "gen_live: cannot pin to CPU %d: %s\n",
				o.cpu, strerror(-err));
			return 1;
		}
	}
	len = build_frame(&o, frame, &l3);

	skel = gen_live_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr,
			"gen_live: cannot open the generator program: %s\n",
			strerror(-err));
		return 1;
	}
	if (o.family == 4) {
		skel->rodata->gen_src_offset = l3 + GEN_IPV4_SRC;
		skel->rodata->gen_ipv4_offset = l3;
	} else {
		skel->rodata->gen_src_offset = l3 + GEN_IPV6_SRC + 12;
		skel->rodata->gen_ipv4_offset = 0;
	}
	memcpy(src_tail, frame + skel->rodata->gen_src_offset, 4);
	skel->rodata->gen_source_base = ntohl(*(__be32 *)src_tail);
	skel->rodata->gen_source_mask = o.sources - 1;
	skel->rodata->gen_random = o.random;
	err = gen_live_bpf__load(skel);
	if (err) {
		fprintf(stderr,
			"gen_live: cannot load the generator program: %s\n",
			strerror(-err));
		goto cleanup;
	}

	ctx_in.ingress_ifindex = ifindex;
	ctx_in.data_end = len;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .repeat = o.frames,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = o.batch);
	clock_gettime(CLOCK_MONOTONIC, &start);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.gen_tx),
				     &opts);
	clock_gettime(CLOCK_MONOTONIC, &end);
	if (err) {
		err = -errno;
		fprintf(stderr,
			"gen_live: live-frame run on %s failed: %s (kernel 5.18+ and a veth peer with XDP or GRO needed)\n",
			o.ifname, strerror(-err));
		goto cleanup;
	}
	err = sum_sent(skel, &sent);
	if (err) {
		fprintf(stderr, "gen_live: cannot read the sent counter: %s\n",
			strerror(-err));
		goto cleanup;
	}
	ns = (end.tv_sec - start.tv_sec) * 1000000000ULL + end.tv_nsec -
	     start.tv_nsec;
	printf("frames=%llu ns=%llu mpps=%.3f\n", (unsigned long long)sent,
	       (unsigned long long)ns, ns ? sent * 1e3 / ns : 0.0);
	if (sent != o.frames) {
		fprintf(stderr,
			"gen_live: offered %llu frames, the program ran on %llu\n",
			o.frames, (unsigned long long)sent);
		err = -EIO;
	}
cleanup:
	gen_live_bpf__destroy(skel);
	return err ? 1 : 0;
}
