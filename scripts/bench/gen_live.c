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
 *            [--dst ADDR] [--src-mac MAC] [--ttl N] [--sports N]
 *            [--checksum] [--seconds S] [--tcp-options linux] [--restore]
 *
 * The last line of options is for floods a real stack receives (the CAS
 * lab, scripts/lab/): --sports stamps one of N source ports (a power of
 * two) on each copy, --checksum gives the TCP segment a valid checksum
 * and the program keeps it valid as it stamps, --seconds repeats runs of
 * --frames frames until S seconds have passed, --tcp-options linux gives
 * the segment the options a Linux client's SYN carries (a SYN proxy
 * answers those: scripts/bench/synproxy.sh), --restore rewrites each copy
 * whole before stamping it: a receiver that answers with XDP_TX rewrites
 * the page its frame came in, and live-frame mode recycles pages without
 * rewriting them (up to 128-byte frames).
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
#define GEN_TCP_CSUM  16 /* offset of the checksum in a TCP header */
#define GEN_SPORT_MIN 32768

/* A Linux client's SYN options, in its order. */
#define GEN_OPT_MSS   2, 4, 0x05, 0xb4		    /* MSS 1460 */
#define GEN_OPT_SACK  4, 2			    /* SACK permitted */
#define GEN_OPT_TS    8, 10, 0, 0, 0, 1, 0, 0, 0, 0 /* tsval 1, tsecr 0 */
#define GEN_OPT_WS    1, 3, 3, 7		    /* NOP, window scale 7 */
static const __u8 gen_linux_opts[] = { GEN_OPT_MSS, GEN_OPT_SACK, GEN_OPT_TS,
				       GEN_OPT_WS };

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
	const char *dst;
	__u8 src_mac[6];
	unsigned int ttl;
	unsigned long sports;
	bool checksum;
	double seconds;
	bool linux_opts;
	bool restore;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: gen_live -i IFACE --dst-mac MAC [--family 4|6] [--kind syn|ack|udp]\n"
		"                [--vlan] [--src ADDR] [--sources N] [--random] [--dport PORT]\n"
		"                [--frames N] [--cpu N] [--batch N]\n"
		"                [--dst ADDR] [--src-mac MAC] [--ttl N] [--sports N]\n"
		"                [--checksum] [--seconds S] [--tcp-options linux] [--restore]\n");
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

static void parse_mac(const char *text, __u8 *mac)
{
	if (sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		   &mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
		fprintf(stderr, "gen_live: bad MAC: %s\n", text);
		exit(2);
	}
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
		{ "dst", required_argument, NULL, 'd' },
		{ "src-mac", required_argument, NULL, 'M' },
		{ "ttl", required_argument, NULL, 't' },
		{ "sports", required_argument, NULL, 'P' },
		{ "checksum", no_argument, NULL, 'x' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "tcp-options", required_argument, NULL, 'O' },
		{ "restore", no_argument, NULL, 'R' },
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
			parse_mac(optarg, o->dst_mac);
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
		case 'd':
			o->dst = optarg;
			break;
		case 'M':
			parse_mac(optarg, o->src_mac);
			break;
		case 't':
			o->ttl = parse_number("--ttl", optarg);
			break;
		case 'P':
			o->sports = parse_number("--sports", optarg);
			break;
		case 'x':
			o->checksum = true;
			break;
		case 'S':
			o->seconds = parse_number("--seconds", optarg);
			break;
		case 'O':
			if (strcmp(optarg, "linux")) {
				fprintf(stderr,
					"gen_live: --tcp-options is linux\n");
				exit(2);
			}
			o->linux_opts = true;
			break;
		case 'R':
			o->restore = true;
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
	if (o->ttl > 255 || o->seconds > 3600 ||
	    (o->sports & (o->sports - 1)) || o->sports > GEN_SPORT_MIN) {
		fprintf(stderr,
			"gen_live: --ttl 0..255, --seconds up to 3600, --sports a power of two up to %d\n",
			GEN_SPORT_MIN);
		exit(2);
	}
	if ((o->checksum || o->sports || o->linux_opts) &&
	    strcmp(o->kind, "syn") && strcmp(o->kind, "ack")) {
		fprintf(stderr,
			"gen_live: --checksum, --sports and --tcp-options are for TCP (--kind syn or ack)\n");
		exit(2);
	}
}

/* The frame every copy starts from; *l3 is where its IP header begins. */
static size_t build_frame(const struct gen_options *o, __u8 *frame, size_t *l3)
{
	struct frame_spec spec = {
		.kind = o->family == 4 ? FRAME_IPV4 : FRAME_IPV6,
		.src = o->src,
		.dst = o->dst,
		.ttl = o->ttl,
		.dport = o->dport,
		.vlan_tags = o->vlan ? 1 : 0,
	};
	size_t len;

	memcpy(spec.src_mac, o->src_mac, 6);
	if (o->linux_opts) {
		spec.tcp_opts = gen_linux_opts;
		spec.tcp_opts_len = sizeof(gen_linux_opts);
	}
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

/* One's complement sum of len bytes taken as big-endian 16-bit words. */
static __u32 sum_words(__u32 sum, const __u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/*
 * The TCP checksum of the crafted segment at l4 (the frame builder leaves
 * it zero): pseudo-header (addresses, protocol, length) and segment. The
 * segment's length comes from the IP header: the frame may be padded to
 * Ethernet's minimum.
 */
static void tcp_checksum(const struct gen_options *o, __u8 *frame, size_t l3,
			 size_t l4)
{
	__u8 *csum = frame + l4 + GEN_TCP_CSUM;
	size_t seg;
	__u32 sum;

	if (o->family == 4) {
		seg = ((frame[l3 + 2] << 8) | frame[l3 + 3]) - (l4 - l3);
		sum = sum_words(0, frame + l3 + 12, 8);
	} else {
		seg = (frame[l3 + 4] << 8) | frame[l3 + 5];
		sum = sum_words(0, frame + l3 + 8, 32);
	}
	sum += IPPROTO_TCP + seg;
	csum[0] = csum[1] = 0;
	sum = sum_words(sum, frame + l4, seg);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	csum[0] = sum >> 8;
	csum[1] = sum & 0xff;
}

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
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
	__u64 sent = 0, ns, runs = 0;
	size_t l4;
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
	l4 = l3 + (o.family == 4 ? 20 : 40);
	if (o.checksum)
		tcp_checksum(&o, frame, l3, l4);

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
	if (o.sports) {
		skel->rodata->gen_sport_offset = l4;
		skel->rodata->gen_sport_base = GEN_SPORT_MIN;
		skel->rodata->gen_sport_mask = o.sports - 1;
	}
	if (o.checksum)
		skel->rodata->gen_l4_csum_offset = l4 + GEN_TCP_CSUM;
	if (o.restore) {
		if (len > sizeof(skel->rodata->gen_template)) {
			fprintf(stderr,
				"gen_live: --restore takes frames up to %zu bytes, not %zu\n",
				sizeof(skel->rodata->gen_template), len);
			err = -EINVAL;
			goto cleanup;
		}
		memcpy((void *)skel->rodata->gen_template, frame, len);
		skel->rodata->gen_template_len = len;
	}
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
	do {
		err = bpf_prog_test_run_opts(
			bpf_program__fd(skel->progs.gen_tx), &opts);
		clock_gettime(CLOCK_MONOTONIC, &end);
		runs++;
	} while (!err && elapsed_s(&start, &end) < o.seconds);
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
	if (sent != o.frames * runs) {
		fprintf(stderr,
			"gen_live: offered %llu frames, the program ran on %llu\n",
			o.frames * runs, (unsigned long long)sent);
		err = -EIO;
	}
cleanup:
	gen_live_bpf__destroy(skel);
	return err ? 1 : 0;
}
