// SPDX-License-Identifier: GPL-2.0
/*
 * unit_synproxy.c - the SYN proxy through BPF_PROG_TEST_RUN: frame -> XDP
 * action -> reason -> counters, and for an answered SYN the SYN-ACK the
 * program wrote over it, checked field by field against what the SYN
 * asked for (addresses, lengths, checksums computed here, options). Then
 * the client's ACK built from that SYN-ACK must return a valid cookie,
 * and its near misses must not. Scenarios play the SYN-ACK cap and the
 * SYN limits (which count completed handshakes with the proxy on), and a
 * real loopback connection shows that established traffic is recognised
 * by the socket lookup (the test run uses the caller's network namespace).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "check.h"
#include "common.h"
#include "datapath.h"
#include "frame.h"
#include "verdicts.h"

#define CLIENT	   "198.51.100.7" /* allowed (198.51.100.0/24) */
#define CLIENT_B   "198.51.100.8"
#define STRANGER   "203.0.113.9"   /* no rule */
#define CLIENT6	   "2001:db8:1::7" /* allowed (2001:db8:1::/48) */
#define SYN_SEQ	   0x11223344u
#define OUT_MAX	   4096
#define TCP_SYN	   0x02
#define TCP_ACK	   0x10
#define TCP_SYNACK 0x12

/* The SYN's options, as Linux sends them; its tsval is 0xdeadbeef. */
#define TS_IN	   8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0
static const __u8 linux_opts[] = { 2, 4, 0x05, 0xb4, 4, 2, TS_IN, 1, 3, 3, 7 };
static const __u8 ts_only[] = { 1, 1, TS_IN };
static const __u8 ws9_no_sack[] = { 2, 4, 0x05, 0xb4, 1, 1, TS_IN, 1, 3, 3, 9 };
static const __u8 ws_no_ts[] = { 2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7 };
static const __u8 broken_opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 0 };
static const __u8 ws15[] = { 2, 4, 0x05, 0xb4, 4, 2, TS_IN, 1, 3, 3, 15 };

/* The SYN-ACK's options; the tsval bytes (8..11) are compared apart. */
#define TS_OUT 8, 10, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef
static const __u8 mss4_only[] = { 2, 4, 0x05, 0xb4 };
static const __u8 mss6_only[] = { 2, 4, 0x05, 0xa0 };
static const __u8 full4[] = { 2, 4, 0x05, 0xb4, 4, 2, TS_OUT, 1, 3, 3, 7 };
static const __u8 full6[] = { 2, 4, 0x05, 0xa0, 4, 2, TS_OUT, 1, 3, 3, 7 };
static const __u8 ts_no_ws4[] = { 2, 4, 0x05, 0xb4, 1, 1, TS_OUT };
static const __u8 no_sack4[] = { 2, 4, 0x05, 0xb4, 1, 1, TS_OUT, 1, 3, 3, 7 };

static const __u8 payload[100] = { 0x16, 0x03, 0x01 }; /* TFO data */

/* The live policy: the proxy on, the usual MSS and scale, a wide cap. */
static const struct cas_policy proxy_on = {
	.flags = CAS_POLICY_SYN_PROXY,
	.mss4 = 1460,
	.mss6 = 1440,
	.wscale = 7,
	.synack_rate = 1000000,
	.synack_burst = 1000000,
};

/* ---- running the program ---- */

static void hexdump(const char *what, const __u8 *p, size_t len)
{
	size_t i;

	fprintf(stderr, "  %s (%zu bytes):", what, len);
	for (i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", p[i]);
	fprintf(stderr, "\n");
}

/* dp_run, keeping the frame as the program left it. */
static __u32 run_out(struct dp_fixture *fx, const __u8 *in, size_t len,
		     __u8 *out, __u32 *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = OUT_MAX, .repeat = 1);

	if (bpf_prog_test_run_opts(fx->prog_fd, &opts)) {
		fprintf(stderr, "BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		exit(2);
	}
	*out_len = opts.data_size_out;
	return opts.retval;
}

/* The packets (or bytes) of every verdict, or of every tracked rule. */
static __u64 total(const struct dp_snapshot *s, int rules, int bytes)
{
	const struct cas_counter *c = rules ? s->rules : s->stats;
	size_t i, n = rules ? DP_TRACKED_RULES : CAS_STATS_SLOTS;
	__u64 sum = 0;

	for (i = 0; i < n; i++)
		sum += bytes ? c[i].bytes : c[i].packets;
	return sum;
}

/*
 * One frame: the XDP action, the one counter it moved (reason, action),
 * no other, the rule counter only for what a rule let through, and a
 * frame the program did not answer passed on as want (of the same
 * length; NULL: left as it came).
 */
static int run_check_to(struct dp_fixture *fx, const __u8 *in, size_t len,
			const __u8 *want, __u32 xdp, enum cas_reason reason,
			__u8 *out, __u32 *out_len)
{
	static struct dp_snapshot before, after;
	__u32 action = dp_counted_action(xdp, reason);
	__u32 slot = CAS_STATS_INDEX(reason, action);
	int to_rule = xdp == XDP_PASS && (reason == CAS_REASON_ALLOWED ||
					  reason == CAS_REASON_COOKIE_VALID);
	char what[96];
	int ok;

	dp_snapshot(fx, &before);
	ok = CHECK_EQ(run_out(fx, in, len, out, out_len), xdp, "XDP action");
	dp_snapshot(fx, &after);
	snprintf(what, sizeof(what), "%s/%s packets", cas_reason_names[reason],
		 cas_action_names[action]);
	ok &= CHECK_EQ(after.stats[slot].packets - before.stats[slot].packets,
		       1, what);
	ok &= CHECK_EQ(total(&after, 0, 0) - total(&before, 0, 0), 1,
		       "packets counted in all");
	ok &= CHECK_EQ(total(&after, 1, 0) - total(&before, 1, 0), to_rule,
		       "packets counted for a rule");
	if (xdp != XDP_TX) {
		const __u8 *expected = want ? want : in;

		ok &= CHECK_EQ(*out_len == len && !memcmp(expected, out, len), 1,
			       want ? "frame as rewritten" : "frame untouched");
		ok &= CHECK_EQ(total(&after, 0, 1) - total(&before, 0, 1), len,
			       "bytes counted");
	}
	if (!ok) {
		hexdump("frame in", in, len);
		hexdump("frame out", out, *out_len);
	}
	return ok;
}

static int run_check(struct dp_fixture *fx, const __u8 *in, size_t len,
		     __u32 xdp, enum cas_reason reason, __u8 *out,
		     __u32 *out_len)
{
	return run_check_to(fx, in, len, NULL, xdp, reason, out, out_len);
}

/* The policy of the live generation: limits, monitor, the proxy's part. */
static void set_policy(struct dp_fixture *fx, const struct cas_policy *want)
{
	struct cas_gen_maps active;
	struct cas_policy policy;
	int err;

	dp_set_limits(fx, want);
	dp_set_monitor(fx, want->monitor);
	err = cas_active_maps(&fx->maps, &active);
	if (!err)
		err = cas_policy_read(&fx->maps, active.gen, &policy);
	policy.flags = want->flags;
	policy.synack_rate = want->synack_rate;
	policy.synack_burst = want->synack_burst;
	policy.mss4 = want->mss4;
	policy.mss6 = want->mss6;
	policy.wscale = want->wscale;
	if (!err)
		err = cas_policy_write(&fx->maps, active.gen, &policy);
	if (err) {
		fprintf(stderr, "policy: %s\n", strerror(-err));
		exit(2);
	}
}

/* ---- reading frames, independently of the program ---- */

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* The one's complement sum of big-endian words, added to sum. */
static __u32 sum16(const __u8 *p, size_t len, __u32 sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* 0 when a block that holds its own checksum sums right. */
static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

struct layout {
	size_t l3, l4; /* offsets of the IP and TCP headers */
	int v6;
};

static int parse_frame(const __u8 *f, size_t len, struct layout *l)
{
	size_t off = 12;
	__u8 next;

	while (off + 2 <= len &&
	       (get16(f + off) == 0x8100 || get16(f + off) == 0x88a8))
		off += 4;
	l->l3 = off + 2;
	if (off + 2 > len)
		return -1;
	if (get16(f + off) == 0x0800) {
		l->v6 = 0;
		l->l4 = l->l3 + (f[l->l3] & 0xf) * 4;
		return l->l4 + 20 <= len ? 0 : -1;
	}
	if (get16(f + off) != 0x86dd)
		return -1;
	l->v6 = 1;
	next = f[l->l3 + 6];
	off = l->l3 + 40;
	/* hop-by-hop, routing, fragment, destination options: 8-byte units */
	while ((next == 0 || next == 43 || next == 44 || next == 60) &&
	       off + 8 <= len) {
		next = f[off];
		off += (f[off + 1] + 1) * 8;
	}
	l->l4 = off;
	return next == IPPROTO_TCP && off + 20 <= len ? 0 : -1;
}

/*
 * The one's complement sum of a TCP segment of tcp_len bytes at l->l4 and
 * its pseudo header: fold() of it is 0 when the checksum is right.
 */
static __u32 tcp_sum(const __u8 *f, const struct layout *l, size_t tcp_len)
{
	size_t addr = l->v6 ? 16 : 4;

	return sum16(f + l->l4, tcp_len,
		     sum16(f + l->l3 + (l->v6 ? 8 : 12), 2 * addr,
			   IPPROTO_TCP + tcp_len));
}

/*
 * Give a built frame its TCP checksum (the builder leaves it 0), so that a
 * rewrite can be checked against a frame built the rewritten way.
 */
static void tcp_checksum_set(__u8 *f, size_t len)
{
	struct layout l;
	size_t tcp_len;
	__u16 check;

	if (parse_frame(f, len, &l))
		return;
	tcp_len = l.v6 ? get16(f + l.l3 + 4) - (l.l4 - l.l3 - 40) :
			 get16(f + l.l3 + 2) - (l.l4 - l.l3);
	f[l.l4 + 16] = f[l.l4 + 17] = 0;
	check = fold(tcp_sum(f, &l, tcp_len));
	f[l.l4 + 16] = check >> 8;
	f[l.l4 + 17] = check & 0xff;
}

/* ---- the SYN-ACK ---- */

struct synack_row {
	const char *name;
	struct frame_spec syn;
	const __u8 *opts; /* the SYN-ACK's options, tsval zeroed */
	size_t opts_len;
	int ts_low; /* the low 6 bits of our tsval; -1: no timestamp */
	__u8 flags; /* the SYN-ACK's flags */
};

static int check_ipv4(const __u8 *in, const __u8 *ip, const struct layout *l,
		      size_t tcp_len)
{
	const __u8 *syn_ip = in + l->l3;
	int ok;

	ok = CHECK_EQ(ip[0], 0x45, "IPv4 version and ihl 5");
	ok &= CHECK_EQ(ip[1], 0, "IPv4 tos");
	ok &= CHECK_EQ(get16(ip + 2), 20 + tcp_len, "IPv4 total length");
	ok &= CHECK_EQ(get16(ip + 4), 0, "IPv4 id");
	ok &= CHECK_EQ(get16(ip + 6), 0x4000, "IPv4 DF, no offset");
	ok &= CHECK_EQ(ip[8], 64, "IPv4 TTL");
	ok &= CHECK_EQ(ip[9], IPPROTO_TCP, "IPv4 protocol");
	ok &= CHECK_EQ(fold(sum16(ip, 20, 0)), 0, "IPv4 header checksum");
	ok &= CHECK_EQ(get32(ip + 12), get32(syn_ip + 16), "IPv4 source");
	ok &= CHECK_EQ(get32(ip + 16), get32(syn_ip + 12), "IPv4 destination");
	return ok;
}

static int check_ipv6(const __u8 *in, const __u8 *ip, const struct layout *l,
		      size_t tcp_len)
{
	const __u8 *syn_ip = in + l->l3;
	int ok;

	ok = CHECK_EQ(get32(ip), 0x60000000, "IPv6 version, class, flow");
	ok &= CHECK_EQ(get16(ip + 4), tcp_len, "IPv6 payload length");
	ok &= CHECK_EQ(ip[6], IPPROTO_TCP, "IPv6 next header");
	ok &= CHECK_EQ(ip[7], 64, "IPv6 hop limit");
	ok &= CHECK_EQ(!memcmp(ip + 8, syn_ip + 24, 16), 1, "IPv6 source");
	ok &= CHECK_EQ(!memcmp(ip + 24, syn_ip + 8, 16), 1, "IPv6 destination");
	return ok;
}

static int check_options(const struct synack_row *row, const __u8 *opts)
{
	__u8 seen[40];
	int ok = 1;

	memcpy(seen, opts, row->opts_len);
	if (row->ts_low >= 0) {
		ok &= CHECK_EQ(seen[11] & 0x3f, row->ts_low, "tsval low bits");
		memset(seen + 8, 0, 4);
	}
	ok &= CHECK_EQ(!memcmp(seen, row->opts, row->opts_len), 1,
		       "SYN-ACK options");
	return ok;
}

/* The TCP header, its checksum over the pseudo header and its options. */
static int check_tcp(const struct synack_row *row, const __u8 *in,
		     const __u8 *out, const struct layout *l, size_t ip_len)
{
	const __u8 *syn = in + l->l4, *tcp = out + l->l3 + ip_len;
	struct layout synack = { l->l3, l->l3 + ip_len, l->v6 };
	size_t tcp_len = 20 + row->opts_len;
	int ok;

	ok = CHECK_EQ(get16(tcp), get16(syn + 2), "TCP source port");
	ok &= CHECK_EQ(get16(tcp + 2), get16(syn), "TCP destination port");
	ok &= CHECK_EQ(get32(tcp + 8), get32(syn + 4) + 1, "ack = seq + 1");
	ok &= CHECK_EQ(tcp[12], tcp_len / 4 << 4, "TCP data offset");
	ok &= CHECK_EQ(tcp[13], row->flags, "TCP flags");
	ok &= CHECK_EQ(get16(tcp + 14), 0, "TCP window");
	ok &= CHECK_EQ(get16(tcp + 18), 0, "TCP urgent pointer");
	ok &= CHECK_EQ(fold(tcp_sum(out, &synack, tcp_len)), 0, "TCP checksum");
	return ok & check_options(row, tcp + 20);
}

/* The SYN-ACK written over the SYN; its sequence number, the cookie. */
static int check_synack(const struct synack_row *row, const __u8 *in,
			size_t in_len, const __u8 *out, __u32 out_len,
			__u32 *cookie)
{
	size_t ip_len, tcp_len = 20 + row->opts_len;
	struct layout l;
	int ok;

	if (!CHECK_EQ(parse_frame(in, in_len, &l), 0, "the SYN parses"))
		return 0;
	ip_len = l.v6 ? 40 : 20;
	if (!CHECK_EQ(out_len, l.l3 + ip_len + tcp_len, "SYN-ACK length")) {
		hexdump("SYN-ACK", out, out_len);
		return 0;
	}
	ok = CHECK_EQ(!memcmp(out, in + 6, 6), 1, "destination MAC");
	ok &= CHECK_EQ(!memcmp(out + 6, in, 6), 1, "source MAC");
	ok &= CHECK_EQ(!memcmp(out + 12, in + 12, l.l3 - 12), 1,
		       "VLAN tags and EtherType kept");
	if (l.v6)
		ok &= check_ipv6(in, out + l.l3, &l, tcp_len);
	else
		ok &= check_ipv4(in, out + l.l3, &l, tcp_len);
	ok &= check_tcp(row, in, out, &l, ip_len);
	*cookie = get32(out + l.l3 + ip_len + 4);
	if (!ok)
		hexdump("SYN-ACK", out, out_len);
	return ok;
}

#define V4(...)                                                  \
	{                                                        \
		.kind = FRAME_IPV4, .src = CLIENT, .dport = 443, \
		.seq = SYN_SEQ, __VA_ARGS__                      \
	}
#define V6(...)                                                   \
	{                                                         \
		.kind = FRAME_IPV6, .src = CLIENT6, .dport = 443, \
		.seq = SYN_SEQ, __VA_ARGS__                       \
	}
#define OPTS(a)	  .tcp_opts = a, .tcp_opts_len = sizeof(a)
#define EXPECT(a) a, sizeof(a)

// clang-format off
static const struct synack_row synack_rows[] = {
	{ "IPv4, Linux's options", V4(OPTS(linux_opts)), EXPECT(full4), 0x17, TCP_SYNACK },
	{ "IPv4, no options: MSS only", V4(), EXPECT(mss4_only), -1, TCP_SYNACK },
	{ "IPv4, TS without WS: no WS, scale 0xf", V4(OPTS(ts_only)), EXPECT(ts_no_ws4), 0x0f, TCP_SYNACK },
	{ "IPv4, WS 9 and TS, no SACK: ours is 7", V4(OPTS(ws9_no_sack)), EXPECT(no_sack4), 0x09, TCP_SYNACK },
	{ "IPv4, WS and SACK without TS: MSS only", V4(OPTS(ws_no_ts)), EXPECT(mss4_only), -1, TCP_SYNACK },
	{ "IPv4, WS 15 kept to 14", V4(OPTS(ws15)), EXPECT(full4), 0x1e, TCP_SYNACK },
	{ "IPv4, ECN setup with TS", V4(OPTS(linux_opts), .tcp_flags = 0xc2), EXPECT(full4), 0x37, 0x52 },
	{ "IPv4, ECN setup without TS", V4(.tcp_flags = 0xc2), EXPECT(mss4_only), -1, TCP_SYNACK },
	{ "IPv6, Linux's options", V6(OPTS(linux_opts)), EXPECT(full6), 0x17, TCP_SYNACK },
	{ "IPv6, no options", V6(), EXPECT(mss6_only), -1, TCP_SYNACK },
	{ "IPv4 in 802.1Q", V4(OPTS(linux_opts), .vlan_tags = 1), EXPECT(full4), 0x17, TCP_SYNACK },
	{ "IPv4 in QinQ", V4(OPTS(linux_opts), .vlan_tags = 2, .qinq = true), EXPECT(full4), 0x17, TCP_SYNACK },
	{ "IPv6 in 802.1Q", V6(OPTS(linux_opts), .vlan_tags = 1), EXPECT(full6), 0x17, TCP_SYNACK },
	{ "IPv4, 8 bytes of IP options", V4(OPTS(linux_opts), .ip_options = 8), EXPECT(full4), 0x17, TCP_SYNACK },
	{ "IPv4, 40 bytes of IP options, QinQ", V4(.ip_options = 40, .vlan_tags = 2, .qinq = true), EXPECT(mss4_only), -1, TCP_SYNACK },
	{ "IPv6, hop-by-hop and destination options", V6(OPTS(linux_opts), .ext_count = 2, .ext = { 0, 60 }), EXPECT(full6), 0x17, TCP_SYNACK },
	{ "IPv4, a broken option list: what was read stands", V4(OPTS(broken_opts)), EXPECT(mss4_only), -1, TCP_SYNACK },
	{ "IPv6, atomic fragment header", V6(OPTS(linux_opts), .ext_count = 1, .ext = { 44 }), EXPECT(full6), 0x17, TCP_SYNACK },
	{ "IPv4, TFO data cut", V4(OPTS(linux_opts), .payload = payload, .payload_len = sizeof(payload)), EXPECT(full4), 0x17, TCP_SYNACK },
	{ "IPv6, data and ext header cut", V6(.ext_count = 1, .ext = { 60 }, .payload_len = 300), EXPECT(mss6_only), -1, TCP_SYNACK },
};
// clang-format on

/* The client's answer to a SYN-ACK, altered by the caller. */
static struct frame_spec ack_of(const struct frame_spec *syn, __u32 cookie)
{
	struct frame_spec ack = *syn;

	ack.tcp_flags = TCP_ACK;
	ack.seq = syn->seq + 1;
	ack.ack_seq = cookie + 1;
	ack.tcp_opts = NULL;
	ack.tcp_opts_len = 0;
	ack.payload = NULL;
	ack.payload_len = 0;
	return ack;
}

/*
 * The low bits of a cookie are the index of the SYN's MSS in a table of
 * four (msstab in net/ipv4/syncookies.c and net/ipv6/syncookies.c); the
 * check decodes it back, so an ack (or a seq) off by a little decodes a
 * neighbouring MSS and is still a valid cookie unless the index leaves the
 * table. That is the kernel's design, not a leak: a forger still has to
 * know the hash. The expected verdict of a near miss follows from it.
 */
static int syn_mss_index(const struct frame_spec *syn)
{
	static const __u16 table4[] = { 536, 1300, 1440, 1460 };
	static const __u16 table6[] = { 1220, 1420, 1440, 8940 };
	const __u16 *table = syn->kind == FRAME_IPV6 ? table6 : table4;
	__u16 mss = 536; /* TCP_MSS_DEFAULT, with no MSS option */
	int i;

	if (syn->tcp_opts_len >= 4 && syn->tcp_opts[0] == 2)
		mss = get16(syn->tcp_opts + 2);
	for (i = 3; i > 0; i--)
		if (mss >= table[i])
			break;
	return i;
}

struct ack_variant {
	const char *name;
	__u8 flags;
	__s32 seq_delta, ack_delta;
};

/* Near misses (valid or not, by the index), then the ACK itself. */
static const struct ack_variant ack_variants[] = {
	{ "ACK, ack + 1", TCP_ACK, 0, 1 },
	{ "ACK, ack - 1", TCP_ACK, 0, -1 },
	{ "ACK, seq + 1", TCP_ACK, 1, 0 },
	{ "ACK, seq - 1 (a zero-window probe)", TCP_ACK, -1, 0 },
	{ "ACK, ack + 4", TCP_ACK, 0, 4 },
	{ "ACK, ack - 4", TCP_ACK, 0, -4 },
	{ "ACK, seq + 4", TCP_ACK, 4, 0 },
	{ "ACK, ack's top bit flipped", TCP_ACK, 0, INT32_MIN },
	{ "RST+ACK", 0x14, 0, 0 },
	{ "RST", 0x04, 0, 0 },
	{ "FIN+ACK", 0x11, 0, 0 },
	{ "SYN+ACK", TCP_SYNACK, 0, 0 },
	{ "ACK", TCP_ACK, 0, 0 },
	{ "PSH+ACK with data", 0x18, 0, 0 },
};

/* Valid: the ACK flag without SYN, RST, FIN, and an index in the table. */
static int variant_valid(const struct ack_variant *v, int mss_index,
			 int seq_fix)
{
	__s64 index = mss_index + (__s64)v->ack_delta - v->seq_delta - seq_fix;

	return (v->flags & 0x17) == TCP_ACK && index >= 0 && index <= 3;
}

/*
 * How the program must treat a variant: passed as it came, passed with its
 * sequence number one higher (a pure ACK invalid as it came but valid so:
 * what a client sends as a zero-window probe when its handshake ACK was
 * lost), or dropped.
 */
enum ack_fate { ACK_DROPPED, ACK_PASSED, ACK_REWRITTEN };

static enum ack_fate variant_fate(const struct ack_variant *v, int mss_index)
{
	if (variant_valid(v, mss_index, 0))
		return ACK_PASSED;
	if (!(v->flags & 0x08) && variant_valid(v, mss_index, 1))
		return ACK_REWRITTEN;
	return ACK_DROPPED;
}

static void play_acks(struct dp_fixture *fx, const struct synack_row *row,
		      __u32 cookie)
{
	static __u8 frame[FRAME_MAX], want[FRAME_MAX], out[OUT_MAX];
	int mss_index = syn_mss_index(&row->syn);
	size_t i, len;
	__u32 out_len;

	for (i = 0; i < CAS_ARRAY_SIZE(ack_variants); i++) {
		const struct ack_variant *v = &ack_variants[i];
		struct frame_spec ack = ack_of(&row->syn, cookie);
		enum ack_fate fate = variant_fate(v, mss_index);
		char name[160];

		snprintf(name, sizeof(name), "%s: %s (MSS index %d)", row->name,
			 v->name, mss_index);
		check_case = name;
		ack.tcp_flags = v->flags;
		ack.seq += (__u32)v->seq_delta;
		ack.ack_seq += (__u32)v->ack_delta;
		if (v->flags & 0x08)
			ack.payload_len = 40;
		len = frame_build(&ack, frame);
		tcp_checksum_set(frame, len);
		ack.seq++;
		frame_build(&ack, want);
		tcp_checksum_set(want, len);
		check_record(run_check_to(
			fx, frame, len, fate == ACK_REWRITTEN ? want : NULL,
			fate == ACK_DROPPED ? XDP_DROP : XDP_PASS,
			fate == ACK_DROPPED ? CAS_REASON_COOKIE_INVALID :
					      CAS_REASON_COOKIE_VALID,
			out, &out_len));
	}
}

static void play_synack_rows(void)
{
	static __u8 frame[FRAME_MAX], out[OUT_MAX];
	struct dp_fixture fx;
	__u32 out_len, cookie = 0;
	size_t i, len;
	int ok;

	dp_open(&fx, "443");
	dp_allow(&fx, "198.51.100.0/24", NULL, "clients");
	dp_allow(&fx, "2001:db8:1::/48", NULL, "clients6");
	set_policy(&fx, &proxy_on);
	for (i = 0; i < CAS_ARRAY_SIZE(synack_rows); i++) {
		const struct synack_row *row = &synack_rows[i];

		check_case = row->name;
		len = frame_build(&row->syn, frame);
		ok = run_check(&fx, frame, len, XDP_TX,
			       CAS_REASON_SYN_COOKIE_SENT, out, &out_len);
		ok = ok && check_synack(row, frame, len, out, out_len, &cookie);
		if (!ok)
			hexdump("SYN", frame, len);
		check_record(ok);
		if (ok)
			play_acks(&fx, row, cookie);
	}
	dp_close(&fx);
}

/* ---- scenarios: the cap, the limits, who is answered ---- */

enum step_kind {
	SYN,   /* a SYN with Linux's options; its cookie is kept */
	ACK,   /* the ACK of the kept cookie of (src, sport) */
	BOGUS, /* flags with an ack no SYN-ACK sent */
};

struct step {
	const char *name;
	enum step_kind kind;
	const char *src;
	__u16 sport, dport; /* dport 0: 443 */
	unsigned int times; /* 0: once */
	__u32 xdp;
	enum cas_reason reason;
	__u8 flags; /* BOGUS */
};

struct rule_spec {
	const char *cidr;
	struct cas_rule rule;
};

struct scenario {
	const char *name;
	struct rule_spec rules[2];
	struct cas_policy policy;
	struct step steps[10];
};

struct kept {
	const char *src;
	__u16 sport;
	__u32 cookie;
};

static struct kept kept[16];
static size_t kept_count;

static __u32 *kept_cookie(const char *src, __u16 sport)
{
	size_t i;

	for (i = 0; i < kept_count; i++)
		if (!strcmp(kept[i].src, src) && kept[i].sport == sport)
			return &kept[i].cookie;
	if (kept_count == CAS_ARRAY_SIZE(kept))
		abort();
	kept[kept_count] = (struct kept){ src, sport, 0 };
	return &kept[kept_count++].cookie;
}

static struct frame_spec step_frame(const struct step *step)
{
	struct frame_spec spec = { .kind = FRAME_IPV4,
				   .src = step->src,
				   .sport = step->sport,
				   .dport = step->dport ? step->dport : 443,
				   .seq = SYN_SEQ + step->sport,
				   .tcp_opts = linux_opts,
				   .tcp_opts_len = sizeof(linux_opts) };

	if (step->kind == ACK)
		return ack_of(&spec, *kept_cookie(step->src, step->sport));
	if (step->kind == BOGUS) {
		spec = ack_of(&spec, 0x5eed5eed);
		spec.tcp_flags = step->flags;
	}
	return spec;
}

static int play_step(struct dp_fixture *fx, const struct step *step)
{
	static __u8 frame[FRAME_MAX], out[OUT_MAX];
	unsigned int times = step->times ? step->times : 1, i;
	struct frame_spec spec = step_frame(step);
	size_t len = frame_build(&spec, frame);
	__u32 out_len;
	int ok = 1;

	for (i = 0; i < times && ok; i++)
		ok = run_check(fx, frame, len, step->xdp, step->reason, out,
			       &out_len);
	if (ok && step->kind == SYN && step->xdp == XDP_TX)
		*kept_cookie(step->src, step->sport) = get32(out + 38);
	return ok;
}

/* The proxy on, with a SYN-ACK cap of rate/s, burst burst. */
#define PROXY(rate, burst, ...)                                            \
	{                                                                  \
		.flags = CAS_POLICY_SYN_PROXY, .mss4 = 1460, .mss6 = 1440, \
		.wscale = 7, .synack_rate = rate, .synack_burst = burst,   \
		__VA_ARGS__                                                \
	}
#define WIDE	1000000
#define TX	XDP_TX, CAS_REASON_SYN_COOKIE_SENT
#define VALID	XDP_PASS, CAS_REASON_COOKIE_VALID
#define INVALID XDP_DROP, CAS_REASON_COOKIE_INVALID
#define DROP(r) XDP_DROP, CAS_REASON_##r
#define PASS(r) XDP_PASS, CAS_REASON_##r
// clang-format off
#define CLIENTS(...) { "198.51.100.0/24", { .name = "", __VA_ARGS__ } }

static const struct scenario scenarios[] = {
	{ "SYN-ACK cap, burst 2", { CLIENTS() }, PROXY(1, 2),
	  { { "1st SYN", SYN, CLIENT, 1001, 0, 1, TX },
	    { "2nd SYN", SYN, CLIENT, 1002, 0, 1, TX },
	    { "3rd SYN", SYN, CLIENT, 1003, 0, 2, DROP(SYN_COOKIE_RATE) },
	    { "another source", SYN, CLIENT_B, 1004, 0, 1, DROP(SYN_COOKIE_RATE) },
	    { "ACKs are not capped", ACK, CLIENT, 1001, 0, 1, VALID },
	    { "nor is the other", ACK, CLIENT, 1002, 0, 1, VALID } } },
	{ "SYN-ACK cap, monitor mode", { CLIENTS() }, PROXY(1, 2, .monitor = 1),
	  { { "2 SYNs", SYN, CLIENT, 1001, 0, 2, TX },
	    { "3rd SYN passes", SYN, CLIENT, 1003, 0, 1, PASS(SYN_COOKIE_RATE) },
	    { "a bad cookie passes", BOGUS, CLIENT, 1005, 0, 1, PASS(COOKIE_INVALID), TCP_ACK },
	    { "a stranger passes", SYN, STRANGER, 1006, 0, 1, PASS(NOT_ALLOWED) },
	    { "a good cookie", ACK, CLIENT, 1001, 0, 1, VALID } } },
	{ "rule syn_rate 1/1 counts handshakes, not SYNs", { CLIENTS(.syn_rate = 1, .syn_burst = 1) }, PROXY(WIDE, WIDE),
	  { { "SYN 1", SYN, CLIENT, 1001, 0, 1, TX },
	    { "SYN 2", SYN, CLIENT, 1002, 0, 1, TX },
	    { "SYN 3", SYN, CLIENT, 1003, 0, 1, TX },
	    { "bad cookies spend no token", BOGUS, CLIENT, 1009, 0, 3, INVALID, TCP_ACK },
	    { "ACK 1", ACK, CLIENT, 1001, 0, 1, VALID },
	    { "ACK 2", ACK, CLIENT, 1002, 0, 1, DROP(SYN_RATE_RULE) },
	    { "ACK 3", ACK, CLIENT, 1003, 0, 1, DROP(SYN_RATE_RULE) } } },
	{ "source syn_rate 1/1 counts handshakes per source", { CLIENTS(.source_syn_rate = 1, .source_syn_burst = 1) }, PROXY(WIDE, WIDE),
	  { { "A: SYN 1", SYN, CLIENT, 1001, 0, 1, TX },
	    { "A: SYN 2", SYN, CLIENT, 1002, 0, 1, TX },
	    { "B: SYN 1", SYN, CLIENT_B, 1001, 0, 1, TX },
	    { "A: ACK 1", ACK, CLIENT, 1001, 0, 1, VALID },
	    { "A: ACK 2", ACK, CLIENT, 1002, 0, 1, DROP(SYN_RATE_SOURCE) },
	    { "B: ACK 1", ACK, CLIENT_B, 1001, 0, 1, VALID } } },
	{ "global syn_rate 1/1 counts handshakes", { CLIENTS() }, PROXY(WIDE, WIDE, .syn_rate = 1, .syn_burst = 1),
	  { { "A: SYN", SYN, CLIENT, 1001, 0, 1, TX },
	    { "B: SYN", SYN, CLIENT_B, 1001, 0, 1, TX },
	    { "A: ACK", ACK, CLIENT, 1001, 0, 1, VALID },
	    { "B: ACK", ACK, CLIENT_B, 1001, 0, 1, DROP(SYN_RATE_GLOBAL) } } },
	{ "who is answered", { CLIENTS() }, PROXY(WIDE, WIDE),
	  { { "SYN+FIN is no pure SYN: not answered", BOGUS, CLIENT, 1001, 0, 1, INVALID, 0x03 },
	    { "SYN+RST is no pure SYN: not answered", BOGUS, CLIENT, 1001, 0, 1, INVALID, 0x06 },
	    { "a stranger's SYN", SYN, STRANGER, 1001, 0, 2, DROP(NOT_ALLOWED) },
	    { "a stranger's ACK", BOGUS, STRANGER, 1001, 0, 1, DROP(NOT_ALLOWED), TCP_ACK },
	    { "SYN to an open port", SYN, CLIENT, 1001, 8080, 1, PASS(UNPROTECTED) },
	    { "a stranger to an open port", SYN, STRANGER, 1001, 8080, 1, PASS(UNPROTECTED) },
	    { "a SYN-ACK of no connection", BOGUS, CLIENT, 1001, 0, 1, INVALID, TCP_SYNACK },
	    { "a client's SYN", SYN, CLIENT, 1001, 0, 1, TX } } },
	{ "the proxy off: nothing changes", { CLIENTS(.syn_rate = 1, .syn_burst = 2) }, { .synack_rate = 1, .synack_burst = 1, .mss4 = 1460 },
	  { { "2 SYNs pass: no SYN-ACK cap", SYN, CLIENT, 1001, 0, 2, PASS(ALLOWED) },
	    { "the rule's limit counts SYNs", SYN, CLIENT, 1002, 0, 1, DROP(SYN_RATE_RULE) },
	    { "an ACK of no connection", BOGUS, CLIENT, 1003, 0, 2, PASS(ALLOWED), TCP_ACK },
	    { "a RST", BOGUS, CLIENT, 1003, 0, 1, PASS(ALLOWED), 0x04 },
	    { "a stranger", SYN, STRANGER, 1001, 0, 1, DROP(NOT_ALLOWED) } } },
};
// clang-format on

static void play(const struct scenario *sc)
{
	struct dp_fixture fx;
	char name[256];
	size_t i;

	dp_open(&fx, "443");
	for (i = 0; i < CAS_ARRAY_SIZE(sc->rules) && sc->rules[i].cidr; i++) {
		struct cas_rule rule = sc->rules[i].rule;

		dp_add(&fx, sc->rules[i].cidr, NULL, &rule);
	}
	set_policy(&fx, &sc->policy);
	kept_count = 0;
	for (i = 0; i < CAS_ARRAY_SIZE(sc->steps) && sc->steps[i].name; i++) {
		snprintf(name, sizeof(name), "%s: %s", sc->name,
			 sc->steps[i].name);
		check_case = name;
		check_record(play_step(&fx, &sc->steps[i]));
	}
	dp_close(&fx);
}

/* ---- established connections: the socket lookup ---- */

/* A real connection on loopback, and a port that nothing listens on. */
struct loopback {
	int listener, client, server;
	__u16 port, cport, closed; /* host order */
};

static __u16 local_port(int fd)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);

	if (getsockname(fd, (struct sockaddr *)&addr, &len))
		return 0;
	if (addr.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&addr)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
}

/* A TCP socket bound to the loopback address of family, port 0. */
static int bound_socket(int family, struct sockaddr_storage *addr,
			socklen_t *len)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
	struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
	int fd = socket(family, SOCK_STREAM, 0);

	memset(addr, 0, sizeof(*addr));
	if (family == AF_INET) {
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a4);
	} else {
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		*len = sizeof(*a6);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, *len)) {
		perror("loopback socket");
		exit(2);
	}
	return fd;
}

static void loopback_open(int family, struct loopback *lb)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;

	fd = bound_socket(family, &addr, &len); /* its port, then closed */
	lb->closed = local_port(fd);
	close(fd);
	lb->listener = bound_socket(family, &addr, &len);
	lb->port = local_port(lb->listener);
	/* sin_port and sin6_port lie at the same offset */
	((struct sockaddr_in *)&addr)->sin_port = htons(lb->port);
	lb->client = socket(family, SOCK_STREAM, 0);
	if (listen(lb->listener, 4) ||
	    connect(lb->client, (struct sockaddr *)&addr, len) ||
	    (lb->server = accept(lb->listener, NULL, NULL)) < 0) {
		perror("loopback connection");
		exit(2);
	}
	lb->cport = local_port(lb->client);
}

static void loopback_close(struct loopback *lb)
{
	close(lb->server);
	close(lb->client);
	close(lb->listener);
}

enum port_pick { CONN_SPORT, OTHER_SPORT, CONN_DPORT, CLOSED_DPORT };

struct established_row {
	const char *name;
	const char *src; /* NULL: the loopback address */
	enum port_pick sport, dport;
	__u8 flags;
	__u32 xdp;
	enum cas_reason reason;
};

// clang-format off
static const struct established_row established_rows[] = {
	{ "the connection's ACK, bogus ack", NULL, CONN_SPORT, CONN_DPORT, TCP_ACK, PASS(ALLOWED) },
	{ "the connection's data", NULL, CONN_SPORT, CONN_DPORT, 0x18, PASS(ALLOWED) },
	{ "the connection's FIN", NULL, CONN_SPORT, CONN_DPORT, 0x11, PASS(ALLOWED) },
	{ "the connection's RST", NULL, CONN_SPORT, CONN_DPORT, 0x04, PASS(ALLOWED) },
	{ "another source port: the listener is no connection", NULL, OTHER_SPORT, CONN_DPORT, TCP_ACK, INVALID },
	{ "another source port, RST", NULL, OTHER_SPORT, CONN_DPORT, 0x04, INVALID },
	{ "another source address", "127.0.0.2", CONN_SPORT, CONN_DPORT, TCP_ACK, INVALID },
	{ "a port nothing listens on", NULL, CONN_SPORT, CLOSED_DPORT, TCP_ACK, INVALID },
	{ "a SYN on the connection's 4-tuple is answered", NULL, CONN_SPORT, CONN_DPORT, TCP_SYN, TX },
};
// clang-format on

static __u16 pick(const struct loopback *lb, enum port_pick p)
{
	switch (p) {
	case CONN_SPORT:
		return lb->cport;
	case OTHER_SPORT: /* the closed port: no connection from it */
		return lb->closed;
	case CONN_DPORT:
		return lb->port;
	default:
		return lb->closed;
	}
}

static void play_established(int family)
{
	static __u8 frame[FRAME_MAX], out[OUT_MAX];
	const char *host = family == AF_INET ? "127.0.0.1" : "::1";
	struct loopback lb;
	struct dp_fixture fx;
	char ports[32], name[160];
	__u32 out_len;
	size_t i, len;

	loopback_open(family, &lb);
	snprintf(ports, sizeof(ports), "%u,%u", lb.port, lb.closed);
	dp_open(&fx, ports);
	dp_allow(&fx, family == AF_INET ? "127.0.0.0/8" : "::1/128", NULL,
		 "loopback");
	set_policy(&fx, &proxy_on);
	for (i = 0; i < CAS_ARRAY_SIZE(established_rows); i++) {
		const struct established_row *row = &established_rows[i];
		struct frame_spec spec = { .kind = family == AF_INET ?
							   FRAME_IPV4 :
							   FRAME_IPV6,
					   .src = row->src ? row->src : host,
					   .dst = host,
					   .sport = pick(&lb, row->sport),
					   .dport = pick(&lb, row->dport),
					   .tcp_flags = row->flags,
					   .seq = SYN_SEQ,
					   .ack_seq = 0x12345678 };

		if (family == AF_INET6 && row->src)
			continue; /* ::1 is the only loopback address */
		snprintf(name, sizeof(name), "established, %s: %s",
			 family == AF_INET ? "IPv4" : "IPv6", row->name);
		check_case = name;
		len = frame_build(&spec, frame);
		check_record(run_check(&fx, frame, len, row->xdp, row->reason,
				       out, &out_len));
	}
	dp_close(&fx);
	loopback_close(&lb);
}

int main(void)
{
	size_t i;

	play_synack_rows();
	for (i = 0; i < CAS_ARRAY_SIZE(scenarios); i++)
		play(&scenarios[i]);
	play_established(AF_INET);
	play_established(AF_INET6);
	return check_summary("unit_synproxy");
}
