// SPDX-License-Identifier: GPL-2.0
/*
 * unit_limits.c - handshake limits, TLS floor and proxy identity through
 * BPF_PROG_TEST_RUN. Each scenario loads a fresh program, sets its rules
 * and global limits, then plays steps: a frame sent N times -> expected
 * XDP action and reason for every one (checked by counter deltas). Rates
 * are 1/s so that no token comes back while a scenario runs (it takes
 * milliseconds): bursts are exact. The accuracy test at the end runs
 * against the clock, on one CPU and on two.
 */
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <linux/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "common.h"
#include "datapath.h"
#include "frame.h"
#include "tls_hello.h"
#include "verdicts.h"

#define PROXY "198.51.100.10"
#define PEER "198.51.100.20"
#define PROXY_MAC { 2, 0, 0, 0, 0, 1 }
#define OTHER_MAC { 2, 0, 0, 0, 0, 9 }

enum hello_kind {
	NO_HELLO,
	HELLO_TLS10,	   /* legacy 1.0, nothing listed */
	HELLO_TLS12,	   /* legacy 1.2, no supported_versions */
	HELLO_TLS13,	   /* legacy 1.2, supported_versions 1.3, 1.2 */
	HELLO_TLS13_GREASE, /* GREASE first, then 1.3 */
	HELLO_ONLY12_LISTED, /* supported_versions lists 1.2 only */
	HELLO_CUT_LIST,	   /* 1.3 hello cut inside its supported_versions */
	HELLO_CUT_SUITES,  /* hello cut inside its cipher suites */
	HELLO_APPDATA,	   /* an application-data record: not a hello */
	HELLO_TINY,	   /* 16 03 01: a handshake record too short to judge */
	HELLO_SSLV2,	   /* SSLv2-compatible hello offering SSL 3.0 */
	HELLO_KINDS,
};

static __u8 hello_bytes[HELLO_KINDS][1024];
static size_t hello_len[HELLO_KINDS];

static void build_hellos(void)
{
	static const struct hello_spec specs[HELLO_KINDS] = {
		[HELLO_TLS10] = { .legacy_version = 0x0301 },
		[HELLO_TLS12] = { .legacy_version = 0x0303, .padding_ext = 16 },
		[HELLO_TLS13] = { .legacy_version = 0x0303, .padding_ext = 64,
				  .session_id = 32, .listed = 2,
				  .versions = { 0x0304, 0x0303 } },
		[HELLO_TLS13_GREASE] = { .legacy_version = 0x0303, .listed = 3,
					 .versions = { 0x3a3a, 0x0304, 0x0303 } },
		[HELLO_ONLY12_LISTED] = { .legacy_version = 0x0303, .listed = 1,
					  .versions = { 0x0303 } },
		[HELLO_CUT_LIST] = { .legacy_version = 0x0303, .listed = 2,
				     .versions = { 0x0303, 0x0304 } },
		[HELLO_CUT_SUITES] = { .legacy_version = 0x0303 },
	};
	int kind;

	for (kind = HELLO_TLS10; kind <= HELLO_CUT_SUITES; kind++)
		hello_len[kind] = hello_build(&specs[kind], hello_bytes[kind]);
	/* 54: extensions start; 59: the version list (1.2 at 59, 1.3 at 61) */
	hello_len[HELLO_CUT_LIST] = 62;
	hello_len[HELLO_CUT_SUITES] = 48;
	memcpy(hello_bytes[HELLO_APPDATA], "\x17\x03\x03\x00\x10", 5);
	hello_len[HELLO_APPDATA] = 21;
	memcpy(hello_bytes[HELLO_TINY], "\x16\x03\x01", 3);
	hello_len[HELLO_TINY] = 3;
	memcpy(hello_bytes[HELLO_SSLV2], "\x80\x2e\x01\x03\x00", 5);
	hello_len[HELLO_SSLV2] = 48;
}

struct rule_spec {
	const char *cidr;
	struct cas_rule rule; /* limits and binding */
};

struct step {
	const char *name;
	struct frame_spec frame;
	enum hello_kind hello;
	unsigned int times; /* 0: once */
	__u32 xdp;
	enum cas_reason reason;
};

struct scenario {
	const char *name;
	struct rule_spec rules[4];
	struct cas_policy limits;
	bool monitor;
	struct step steps[12];
};

#define SYN(addr, ...) { .kind = FRAME_IPV4, .src = addr, .dport = 443, __VA_ARGS__ }
#define SYN6(addr, ...) { .kind = FRAME_IPV6, .src = addr, .dport = 443, __VA_ARGS__ }
#define DATA(addr) { .kind = FRAME_IPV4, .src = addr, .dport = 443, .tcp_flags = 0x18 }
#define OK XDP_PASS, CAS_REASON_ALLOWED
#define DROP(r) XDP_DROP, CAS_REASON_##r
#define MONITORED(r) XDP_PASS, CAS_REASON_##r
#define RULE(...) { .name = "", __VA_ARGS__ }

static const struct scenario scenarios[] = {
	{ "rule burst, then syn_rate_rule; SYN-ACK and ACK never limited",
	  { { "198.51.100.0/24", RULE(.syn_rate = 1, .syn_burst = 5) } }, {},
	  false,
	  { { "5 SYNs within the burst", SYN(PROXY), NO_HELLO, 5, OK },
	    { "3 more SYNs", SYN(PEER), NO_HELLO, 3, DROP(SYN_RATE_RULE) },
	    { "SYN-ACK", SYN(PROXY, .tcp_flags = 0x12), NO_HELLO, 3, OK },
	    { "ACK", SYN(PROXY, .tcp_flags = 0x10), NO_HELLO, 3, OK },
	    { "RST", SYN(PROXY, .tcp_flags = 0x04), NO_HELLO, 1, OK } } },
	{ "per-source buckets: each source its own burst",
	  { { "198.51.100.0/24", RULE(.source_syn_rate = 1, .source_syn_burst = 3) } },
	  {}, false,
	  { { "source A: burst of 3", SYN(PROXY), NO_HELLO, 3, OK },
	    { "source A: 4th", SYN(PROXY), NO_HELLO, 2, DROP(SYN_RATE_SOURCE) },
	    { "source B: its own burst", SYN(PEER), NO_HELLO, 3, OK },
	    { "source B: 4th", SYN(PEER), NO_HELLO, 1, DROP(SYN_RATE_SOURCE) } } },
	{ "per-source buckets: IPv6 keyed by /64",
	  { { "2001:db8:1::/48", RULE(.source_syn_rate = 1, .source_syn_burst = 2) } },
	  {}, false,
	  { { "2001:db8:1:1::a", SYN6("2001:db8:1:1::a"), NO_HELLO, 2, OK },
	    { "same /64, other host", SYN6("2001:db8:1:1::b"), NO_HELLO, 1, DROP(SYN_RATE_SOURCE) },
	    { "other /64", SYN6("2001:db8:1:2::a"), NO_HELLO, 2, OK } } },
	{ "global bucket, and a rule's rejects never drain it",
	  { { "198.51.100.10/32", RULE(.syn_rate = 1, .syn_burst = 2) },
	    { "198.51.100.0/24", RULE() } },
	  { .syn_rate = 1, .syn_burst = 4 }, false,
	  { { "proxy: its rule's burst of 2", SYN(PROXY), NO_HELLO, 2, OK },
	    { "proxy flood: stopped by its rule", SYN(PROXY), NO_HELLO, 10, DROP(SYN_RATE_RULE) },
	    { "peer: the 2 global tokens left", SYN(PEER), NO_HELLO, 2, OK },
	    { "peer: global exhausted", SYN(PEER), NO_HELLO, 2, DROP(SYN_RATE_GLOBAL) } } },
	{ "rule SYN limit resets no other rule",
	  { { "198.51.100.10/32", RULE(.syn_rate = 1, .syn_burst = 1) },
	    { "198.51.100.0/24", RULE(.syn_rate = 1, .syn_burst = 3) } },
	  {}, false,
	  { { "proxy: 1", SYN(PROXY), NO_HELLO, 1, OK },
	    { "proxy: limited", SYN(PROXY), NO_HELLO, 5, DROP(SYN_RATE_RULE) },
	    { "peer: its own 3", SYN(PEER), NO_HELLO, 3, OK } } },
	{ "ClientHello: per-rule burst, then hello_rate",
	  { { "198.51.100.0/24", RULE(.hello_rate = 1, .hello_burst = 2) } }, {},
	  false,
	  { { "TLS 1.3 hellos within the burst", DATA(PROXY), HELLO_TLS13, 2, OK },
	    { "third hello", DATA(PROXY), HELLO_TLS12, 1, DROP(HELLO_RATE) },
	    { "application data is not a hello", DATA(PROXY), HELLO_APPDATA, 3, OK },
	    { "plain ACK", DATA(PROXY), NO_HELLO, 2, OK },
	    { "a tiny handshake fragment counts as a hello", DATA(PROXY), HELLO_TINY, 1, DROP(HELLO_RATE) },
	    { "SYN is not a hello", SYN(PROXY), NO_HELLO, 1, OK } } },
	{ "ClientHello: global bucket",
	  { { "198.51.100.0/24", RULE() } }, { .hello_rate = 1, .hello_burst = 3 },
	  false,
	  { { "3 hellos", DATA(PEER), HELLO_TLS12, 3, OK },
	    { "4th", DATA(PROXY), HELLO_TLS13, 1, DROP(HELLO_RATE) } } },
	{ "TLS floor 1.2",
	  { { "198.51.100.0/24", RULE() } }, { .min_tls = CAS_TLS_1_2 }, false,
	  { { "TLS 1.0 hello", DATA(PROXY), HELLO_TLS10, 1, DROP(TLS_VERSION) },
	    { "SSLv2-compatible hello", DATA(PROXY), HELLO_SSLV2, 1, DROP(TLS_VERSION) },
	    { "TLS 1.2 hello", DATA(PROXY), HELLO_TLS12, 1, OK },
	    { "TLS 1.3 hello", DATA(PROXY), HELLO_TLS13, 1, OK },
	    { "application data", DATA(PROXY), HELLO_APPDATA, 1, OK } } },
	{ "TLS floor 1.3",
	  { { "198.51.100.0/24", RULE() } }, { .min_tls = CAS_TLS_1_3 }, false,
	  { { "TLS 1.2 hello, extensions walked", DATA(PROXY), HELLO_TLS12, 1, DROP(TLS_VERSION) },
	    { "supported_versions lists 1.2 only", DATA(PROXY), HELLO_ONLY12_LISTED, 1, DROP(TLS_VERSION) },
	    { "TLS 1.3 hello", DATA(PROXY), HELLO_TLS13, 1, OK },
	    { "GREASE, then 1.3", DATA(PROXY), HELLO_TLS13_GREASE, 1, OK },
	    { "hello cut inside the version list: cannot judge, passes", DATA(PROXY), HELLO_CUT_LIST, 1, OK },
	    { "hello cut inside the cipher suites: cannot judge, passes", DATA(PROXY), HELLO_CUT_SUITES, 1, OK },
	    { "TLS 1.0 hello", DATA(PROXY), HELLO_TLS10, 1, DROP(TLS_VERSION) } } },
	{ "TLS floor refuses before spending a hello token",
	  { { "198.51.100.0/24", RULE(.hello_rate = 1, .hello_burst = 1) } },
	  { .min_tls = CAS_TLS_1_2 }, false,
	  { { "TLS 1.0 hellos", DATA(PROXY), HELLO_TLS10, 3, DROP(TLS_VERSION) },
	    { "the one token is still there", DATA(PROXY), HELLO_TLS12, 1, OK },
	    { "now spent", DATA(PROXY), HELLO_TLS12, 1, DROP(HELLO_RATE) } } },
	{ "MAC binding",
	  { { "198.51.100.10/32", RULE(.flags = CAS_RULE_MATCH_MAC, .mac = PROXY_MAC) },
	    { "2001:db8:1::10/128", RULE(.flags = CAS_RULE_MATCH_MAC, .mac = PROXY_MAC) } },
	  {}, false,
	  { { "v4 from the proxy's MAC", SYN(PROXY, .src_mac = PROXY_MAC), NO_HELLO, 1, OK },
	    { "v4 from another MAC", SYN(PROXY, .src_mac = OTHER_MAC), NO_HELLO, 2, DROP(SPOOFED) },
	    { "v4 ACK from another MAC", SYN(PROXY, .src_mac = OTHER_MAC, .tcp_flags = 0x10), NO_HELLO, 1, DROP(SPOOFED) },
	    { "v6 from the proxy's MAC", SYN6("2001:db8:1::10", .src_mac = PROXY_MAC), NO_HELLO, 1, OK },
	    { "v6 from another MAC", SYN6("2001:db8:1::10", .src_mac = OTHER_MAC), NO_HELLO, 1, DROP(SPOOFED) } } },
	{ "TTL binding",
	  { { "198.51.100.10/32", RULE(.flags = CAS_RULE_MATCH_TTL, .ttl_min = 64, .ttl_max = 64) },
	    { "198.51.100.20/32", RULE(.flags = CAS_RULE_MATCH_TTL, .ttl_min = 60, .ttl_max = 64) },
	    { "2001:db8:1::10/128", RULE(.flags = CAS_RULE_MATCH_TTL | CAS_RULE_MATCH_MAC, .ttl_min = 255, .ttl_max = 255, .mac = PROXY_MAC) } },
	  {}, false,
	  { { "v4 TTL 64", SYN(PROXY, .ttl = 64), NO_HELLO, 1, OK },
	    { "v4 TTL 63", SYN(PROXY, .ttl = 63), NO_HELLO, 1, DROP(SPOOFED) },
	    { "window 60-64: 60", SYN(PEER, .ttl = 60), NO_HELLO, 1, OK },
	    { "window 60-64: 59", SYN(PEER, .ttl = 59), NO_HELLO, 1, DROP(SPOOFED) },
	    { "window 60-64: 65", SYN(PEER, .ttl = 65), NO_HELLO, 1, DROP(SPOOFED) },
	    { "v6 hop limit 255 and MAC", SYN6("2001:db8:1::10", .ttl = 255, .src_mac = PROXY_MAC), NO_HELLO, 1, OK },
	    { "v6 hop limit 254", SYN6("2001:db8:1::10", .ttl = 254, .src_mac = PROXY_MAC), NO_HELLO, 1, DROP(SPOOFED) },
	    { "v6 right hop limit, wrong MAC", SYN6("2001:db8:1::10", .ttl = 255, .src_mac = OTHER_MAC), NO_HELLO, 1, DROP(SPOOFED) } } },
	{ "monitor mode counts every new reason as would_drop",
	  { { "198.51.100.10/32", RULE(.flags = CAS_RULE_MATCH_MAC, .mac = PROXY_MAC, .syn_rate = 1, .syn_burst = 1) } },
	  { .min_tls = CAS_TLS_1_2 }, true,
	  { { "spoofed", SYN(PROXY, .src_mac = OTHER_MAC), NO_HELLO, 1, MONITORED(SPOOFED) },
	    { "first SYN", SYN(PROXY, .src_mac = PROXY_MAC), NO_HELLO, 1, OK },
	    { "rate", SYN(PROXY, .src_mac = PROXY_MAC), NO_HELLO, 2, MONITORED(SYN_RATE_RULE) },
	    { "tls", { .kind = FRAME_IPV4, .src = PROXY, .dport = 443, .tcp_flags = 0x18, .src_mac = PROXY_MAC }, HELLO_TLS10, 1, MONITORED(TLS_VERSION) } } },
};

static int play_step(struct dp_fixture *fx, const struct step *step)
{
	__u32 slot = CAS_STATS_INDEX(step->reason,
				     dp_counted_action(step->xdp, step->reason));
	static struct dp_snapshot before, after;
	unsigned int times = step->times ? step->times : 1, i, same = 0;
	struct frame_spec spec = step->frame;
	__u8 frame[FRAME_MAX];
	size_t len;
	int ok;

	if (step->hello != NO_HELLO) {
		spec.payload = hello_bytes[step->hello];
		spec.payload_len = hello_len[step->hello];
	}
	len = frame_build(&spec, frame);
	dp_snapshot(fx, &before);
	for (i = 0; i < times; i++)
		same += dp_run(fx, frame, len) == step->xdp;
	dp_snapshot(fx, &after);
	ok = CHECK_EQ(same, times, "frames with the expected XDP action");
	ok &= CHECK_EQ(after.stats[slot].packets - before.stats[slot].packets,
		       times, cas_reason_names[step->reason]);
	return ok;
}

static void play(const struct scenario *sc)
{
	struct dp_fixture fx;
	size_t i;

	dp_open(&fx, "443");
	for (i = 0; i < CAS_ARRAY_SIZE(sc->rules) && sc->rules[i].cidr; i++) {
		struct cas_rule rule = sc->rules[i].rule;

		dp_add(&fx, sc->rules[i].cidr, NULL, &rule);
	}
	dp_set_limits(&fx, &sc->limits);
	dp_set_monitor(&fx, sc->monitor);
	for (i = 0; i < CAS_ARRAY_SIZE(sc->steps) && sc->steps[i].name; i++) {
		char name[256];

		snprintf(name, sizeof(name), "%s: %s", sc->name,
			 sc->steps[i].name);
		check_case = name;
		check_record(play_step(&fx, &sc->steps[i]));
	}
	dp_close(&fx);
}

/*
 * Accuracy: SYNs as fast as BPF_PROG_TEST_RUN goes, for a fixed time, from
 * one thread or one per CPU; the admitted count must be within 10% of
 * burst + rate * elapsed.
 */
struct flood {
	struct dp_fixture *fx;
	int cpu;
	double seconds;
	unsigned long sent, admitted;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *flood_run(void *arg)
{
	struct flood *flood = arg;
	struct frame_spec spec = SYN(PROXY);
	__u8 frame[FRAME_MAX];
	size_t len = frame_build(&spec, frame);
	double end = now_seconds() + flood->seconds;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(flood->cpu, &cpus);
	pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	while (now_seconds() < end) {
		flood->admitted += dp_run(flood->fx, frame, len) == XDP_PASS;
		flood->sent++;
	}
	return NULL;
}

static void accuracy(unsigned int threads)
{
	const __u32 rate = 5000, burst = 1250;
	struct cas_rule rule = { .syn_rate = rate, .syn_burst = burst };
	struct flood floods[2] = {};
	unsigned long admitted = 0, sent = 0;
	struct dp_fixture fx;
	double start, elapsed, expected;
	pthread_t tids[2];
	char name[128];
	unsigned int i;
	int ok;

	dp_open(&fx, "443");
	dp_add(&fx, "198.51.100.0/24", NULL, &rule);
	start = now_seconds();
	for (i = 0; i < threads; i++) {
		floods[i] = (struct flood){ &fx, (int)(i % 2), 1.0, 0, 0 };
		pthread_create(&tids[i], NULL, flood_run, &floods[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tids[i], NULL);
		admitted += floods[i].admitted;
		sent += floods[i].sent;
	}
	elapsed = now_seconds() - start;
	expected = burst + rate * elapsed;
	snprintf(name, sizeof(name),
		 "accuracy, %u thread(s): %lu sent, %lu admitted, %.0f expected",
		 threads, sent, admitted, expected);
	check_case = name;
	printf("# %s\n", name);
	ok = CHECK_EQ(sent > 2 * expected, 1, "the flood outpaces the rate");
	ok &= CHECK_EQ(admitted >= 0.9 * expected && admitted <= 1.1 * expected,
		       1, "admitted within 10% of burst + rate x T");
	check_record(ok);
	dp_close(&fx);
}

/*
 * Spoofed churn: 300k SYNs from random /64s inside one rule must not reset
 * a source's per-source state, must not get past the rule's bucket, and
 * must not touch another rule's bucket.
 */
static void churn(void)
{
	struct cas_rule wide = { .source_syn_rate = 1, .source_syn_burst = 2,
				 .syn_rate = 1, .syn_burst = 50000 };
	struct cas_rule proxy = { .syn_rate = 1, .syn_burst = 5 };
	struct frame_spec victim = SYN6("2001:db8:1:1::1");
	struct frame_spec proxy_syn = SYN6("2001:db8:ffff::10");
	unsigned long admitted = 0, i, proxy_ok = 0, refill;
	__u8 frame[FRAME_MAX], random_frame[FRAME_MAX];
	double start;
	size_t len, random_len;
	struct dp_fixture fx;
	int ok;

	check_case = "churn of 300k random sources";
	dp_open(&fx, "443");
	dp_add(&fx, "2001:db8::/32", NULL, &wide);
	dp_add(&fx, "2001:db8:ffff::10/128", NULL, &proxy);
	len = frame_build(&victim, frame);
	ok = CHECK_EQ(dp_run(&fx, frame, len), XDP_PASS, "victim 1st SYN");
	ok &= CHECK_EQ(dp_run(&fx, frame, len), XDP_PASS, "victim 2nd SYN");
	ok &= CHECK_EQ(dp_run(&fx, frame, len), XDP_DROP, "victim 3rd SYN");

	random_len = frame_build(&victim, random_frame);
	srandom(7);
	start = now_seconds();
	for (i = 0; i < 300000; i++) {
		__u32 r = random();

		/* source 2001:db8:XXXX:XXXX::1, bytes 22.. of the frame */
		memcpy(random_frame + 14 + 8 + 4, &r, 4);
		admitted += dp_run(&fx, random_frame, random_len) == XDP_PASS;
	}
	ok &= CHECK_EQ(dp_run(&fx, frame, len), XDP_DROP,
		       "victim still limited after the churn");
	/*
	 * The rule's bucket refills at 1/s while the churn runs: seconds
	 * under emulation (the VM stage), so the bound counts what the rate
	 * added, rounded up.
	 */
	refill = (unsigned long)(now_seconds() - start) + 1;
	ok &= CHECK_EQ(admitted <= 50000 + refill, 1,
		       "the churn never got past the rule's burst and refill");
	len = frame_build(&proxy_syn, frame);
	for (i = 0; i < 6; i++)
		proxy_ok += dp_run(&fx, frame, len) == XDP_PASS;
	ok &= CHECK_EQ(proxy_ok, 5, "another rule's burst is intact");
	printf("# churn: %lu of 300000 random sources admitted (rule burst 50000, refill %lu)\n",
	       admitted, refill);
	check_record(ok);
	dp_close(&fx);
}

int main(void)
{
	size_t i;

	build_hellos();
	for (i = 0; i < CAS_ARRAY_SIZE(scenarios); i++)
		play(&scenarios[i]);
	churn();
	accuracy(1);
	accuracy(2);
	return check_summary("unit_limits");
}
