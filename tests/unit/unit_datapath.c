// SPDX-License-Identifier: GPL-2.0
/*
 * unit_datapath.c - the XDP program through BPF_PROG_TEST_RUN, one table
 * row per case: crafted frame -> expected XDP action -> expected reason ->
 * counter deltas (the (action, reason) slot, nothing else, and the rule
 * that allowed it).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <bpf/bpf.h>

#include "check.h"
#include "common.h"
#include "datapath.h"
#include "frame.h"
#include "values.h"
#include "rules.h"
#include "tls_hello.h"
#include "verdicts.h"

#define PROXY4 "198.51.100.10"
#define DMZ4 "198.51.100.20"
#define STRANGER4 "203.0.113.7"
#define DNS4 "192.0.2.200"
#define NET6 "2001:db8:1::5"
#define PROXY6 "2001:db8:1:2::5"
#define STRANGER6 "2001:db8:bad::7"

struct rule_spec {
	const char *cidr, *ports, *name; /* ports NULL: all */
};

/* Add every rule of specs; ids[i] is the id of specs[i]. */
static void allow_all(struct dp_fixture *fx, const struct rule_spec *specs,
		      size_t count, __u32 *ids)
{
	size_t i;

	for (i = 0; i < count; i++)
		ids[i] = dp_allow(fx, specs[i].cidr, specs[i].ports,
				  specs[i].name);
}

/* The rule set every case runs against (port list: 443,80/tcp,53/udp). */
static const struct rule_spec rule_set[] = {
	{ "198.51.100.10/32", "443", "proxy" }, /* inside dmz, 443 only */
	{ "198.51.100.0/24", NULL, "dmz" },
	{ "192.0.2.128/25", "53/udp", "dns" },
	{ "2001:db8:1::/48", NULL, "net6" },
	{ "2001:db8:1:2::/64", "443", "proxy6" },
	{ "2001:db8:1:2::7/128", "80", "host6" }, /* a host: the exact hash */
	{ "198.16.0.0/14", "443", "wide" }, /* shorter than the prefilter's /16 */
	{ "2001:db8:40::/42", "443", "site6" }, /* spans 64 of the prefilter's /48s */
};
static __u32 rule_ids[CAS_ARRAY_SIZE(rule_set)];

struct dp_case {
	const char *name;
	struct frame_spec frame;
	__u32 xdp;
	enum cas_reason reason;
	const char *rule; /* name of the rule that counts a hit */
	bool monitor;
};

#define V4(...) { .kind = FRAME_IPV4, __VA_ARGS__ }
#define V6(...) { .kind = FRAME_IPV6, __VA_ARGS__ }
#define PASS(r) XDP_PASS, CAS_REASON_##r
#define DROP(r) XDP_DROP, CAS_REASON_##r
#define EXT(...) .ext = { __VA_ARGS__ }, .ext_count = sizeof((__u8[]){ __VA_ARGS__ })

static const struct dp_case cases[] = {
	/* allowlist, IPv4 */
	{ "v4 proxy syn to 443", V4(.src = PROXY4, .dport = 443), PASS(ALLOWED), "proxy" },
	{ "v4 proxy ack to 443", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x10, .payload_len = 100), PASS(ALLOWED), "proxy" },
	{ "v4 proxy to 80: its /32 allows 443 only, no fallback to /24", V4(.src = PROXY4, .dport = 80), DROP(NOT_ALLOWED) },
	{ "v4 dmz to 80", V4(.src = DMZ4, .dport = 80), PASS(ALLOWED), "dmz" },
	{ "v4 dmz to 443", V4(.src = DMZ4, .dport = 443), PASS(ALLOWED), "dmz" },
	{ "v4 prefix last address .255", V4(.src = "198.51.100.255", .dport = 443), PASS(ALLOWED), "dmz" },
	{ "v4 prefix first address .0", V4(.src = "198.51.100.0", .dport = 443), PASS(ALLOWED), "dmz" },
	{ "v4 just past the prefix", V4(.src = "198.51.101.0", .dport = 443), DROP(NOT_ALLOWED) },
	{ "v4 just before the prefix", V4(.src = "198.51.99.255", .dport = 443), DROP(NOT_ALLOWED) },
	{ "v4 stranger to 443", V4(.src = STRANGER4, .dport = 443), DROP(NOT_ALLOWED) },
	{ "v4 /14 rule, last /16 it covers", V4(.src = "198.19.255.1", .dport = 443), PASS(ALLOWED), "wide" },
	{ "v4 /14 rule, first /16 it covers", V4(.src = "198.16.0.1", .dport = 443), PASS(ALLOWED), "wide" },
	{ "v6 /42 rule, a middle /48 it covers", V6(.src = "2001:db8:5f::1", .dport = 443), PASS(ALLOWED), "site6" },
	{ "v6 /42 rule, last /48 it covers", V6(.src = "2001:db8:7f:ffff::1", .dport = 443), PASS(ALLOWED), "site6" },
	{ "v6 just past the /42", V6(.src = "2001:db8:80::1", .dport = 443), DROP(NOT_ALLOWED) },
	{ "v4 just past the /14", V4(.src = "198.20.0.1", .dport = 443), DROP(NOT_ALLOWED) },
	{ "v4 stranger to 80", V4(.src = STRANGER4, .dport = 80), DROP(NOT_ALLOWED) },
	{ "v4 stranger to 22 (unprotected)", V4(.src = STRANGER4, .dport = 22), PASS(UNPROTECTED) },
	{ "v4 stranger udp 443 (only tcp protected)", V4(.src = STRANGER4, .l4 = IPPROTO_UDP, .dport = 443), PASS(UNPROTECTED) },
	{ "v4 dns rule udp 53", V4(.src = DNS4, .l4 = IPPROTO_UDP, .dport = 53), PASS(ALLOWED), "dns" },
	{ "v4 dns rule tcp 443 not in its ports", V4(.src = DNS4, .dport = 443), DROP(NOT_ALLOWED) },
	{ "v4 stranger udp 53", V4(.src = STRANGER4, .l4 = IPPROTO_UDP, .dport = 53), DROP(NOT_ALLOWED) },
	{ "v4 tcp 53 unprotected", V4(.src = STRANGER4, .dport = 53), PASS(UNPROTECTED) },
	{ "v4 other protocol (GRE)", V4(.src = STRANGER4, .l4 = 47), PASS(UNPROTECTED) },

	/* control */
	{ "arp", { .kind = FRAME_ARP }, PASS(CONTROL) },
	{ "icmp echo request", V4(.src = STRANGER4, .l4 = IPPROTO_ICMP, .icmp_type = 8), PASS(CONTROL) },
	{ "icmp frag needed", V4(.src = STRANGER4, .l4 = IPPROTO_ICMP, .icmp_type = 3), PASS(CONTROL) },
	{ "icmp timestamp is not essential", V4(.src = STRANGER4, .l4 = IPPROTO_ICMP, .icmp_type = 13), PASS(UNPROTECTED) },
	{ "icmpv6 neighbour solicitation", V6(.l4 = IPPROTO_ICMPV6, .icmp_type = 135), PASS(CONTROL) },
	{ "icmpv6 packet too big", V6(.l4 = IPPROTO_ICMPV6, .icmp_type = 2), PASS(CONTROL) },
	{ "icmpv6 echo request", V6(.l4 = IPPROTO_ICMPV6, .icmp_type = 128), PASS(CONTROL) },
	{ "icmpv6 MLD report behind hop-by-hop", V6(.l4 = IPPROTO_ICMPV6, .icmp_type = 143, EXT(IPPROTO_HOPOPTS)), PASS(CONTROL) },
	{ "other ethertype", { .kind = FRAME_OTHER }, PASS(UNPROTECTED) },

	/* VLAN */
	{ "vlan stranger to 443", V4(.vlan_tags = 1, .src = STRANGER4, .dport = 443), DROP(NOT_ALLOWED) },
	{ "vlan proxy to 443", V4(.vlan_tags = 1, .src = PROXY4, .dport = 443), PASS(ALLOWED), "proxy" },
	{ "qinq stranger to 443", V4(.vlan_tags = 2, .qinq = true, .src = STRANGER4, .dport = 443), DROP(NOT_ALLOWED) },
	{ "qinq proxy to 443", V4(.vlan_tags = 2, .qinq = true, .src = PROXY4, .dport = 443), PASS(ALLOWED), "proxy" },
	{ "double 802.1Q stranger v6", V6(.vlan_tags = 2, .dport = 443), DROP(NOT_ALLOWED) },
	{ "three tags are malformed", V4(.vlan_tags = 3, .src = PROXY4, .dport = 443), DROP(MALFORMED) },
	{ "vlan tag cut short", V4(.vlan_tags = 1, .truncate = 16), DROP(MALFORMED) },

	/* IPv4 options and damage */
	{ "v4 options stranger", V4(.ip_options = 8, .src = STRANGER4, .dport = 443), DROP(NOT_ALLOWED) },
	{ "v4 40 bytes of options proxy", V4(.ip_options = 40, .src = PROXY4, .dport = 443), PASS(ALLOWED), "proxy" },
	{ "v4 options with vlan stranger", V4(.vlan_tags = 1, .ip_options = 12, .src = STRANGER4, .dport = 443), DROP(NOT_ALLOWED) },
	{ "v4 ihl 4", V4(.ihl = 4, .src = PROXY4, .dport = 443), DROP(MALFORMED) },
	{ "v4 ihl beyond frame", V4(.ihl = 15, .src = PROXY4, .dport = 443, .truncate = 60), DROP(MALFORMED) },
	{ "v4 version 5", V4(.ip_version = 5, .src = PROXY4, .dport = 443), DROP(MALFORMED) },
	{ "v4 total length beyond frame", V4(.ip_len_delta = 200, .src = PROXY4, .dport = 443), DROP(MALFORMED) },
	{ "v4 total length below header", V4(.ip_len_delta = -40, .src = PROXY4, .dport = 443), DROP(MALFORMED) },
	{ "v4 header cut short", V4(.src = PROXY4, .dport = 443, .truncate = 24), DROP(MALFORMED) },
	{ "v4 tcp header cut short", V4(.src = PROXY4, .dport = 443, .cut_l4 = 12), DROP(MALFORMED) },
	{ "v4 tcp data offset 4", V4(.src = PROXY4, .dport = 443, .tcp_doff = 4), DROP(MALFORMED) },
	{ "v4 tcp data offset past segment", V4(.src = PROXY4, .dport = 443, .tcp_doff = 15), DROP(MALFORMED) },
	{ "v4 udp header cut short", V4(.src = STRANGER4, .l4 = IPPROTO_UDP, .dport = 53, .cut_l4 = 6), DROP(MALFORMED) },

	/* IPv4 fragments */
	{ "v4 first fragment stranger to 443", V4(.src = STRANGER4, .dport = 443, .more_fragments = true, .payload_len = 64), DROP(NOT_ALLOWED) },
	{ "v4 first fragment proxy to 443", V4(.src = PROXY4, .dport = 443, .more_fragments = true, .payload_len = 64), PASS(ALLOWED), "proxy" },
	{ "v4 first fragment with ports but no tcp flags", V4(.src = PROXY4, .dport = 443, .more_fragments = true, .cut_l4 = 8), DROP(MALFORMED) },
	{ "v4 first fragment too short for ports", V4(.src = PROXY4, .dport = 443, .more_fragments = true, .cut_l4 = 2), DROP(MALFORMED) },
	{ "v4 later fragment passes", V4(.src = STRANGER4, .dport = 443, .frag_offset = 185, .payload_len = 64), PASS(FRAGMENT) },
	{ "v4 last fragment of a big dns answer", V4(.src = STRANGER4, .l4 = IPPROTO_UDP, .frag_offset = 185, .payload_len = 400), PASS(FRAGMENT) },
	{ "v4 first fragment of a big dns answer", V4(.src = STRANGER4, .l4 = IPPROTO_UDP, .sport = 53, .dport = 33000, .more_fragments = true, .payload_len = 1400), PASS(UNPROTECTED) },

	/* IPv6 */
	{ "v6 stranger to 443", V6(.dport = 443), DROP(NOT_ALLOWED) },
	{ "v6 net6 to 443", V6(.src = NET6, .dport = 443), PASS(ALLOWED), "net6" },
	{ "v6 net6 to 80", V6(.src = NET6, .dport = 80), PASS(ALLOWED), "net6" },
	{ "v6 proxy6 to 443", V6(.src = PROXY6, .dport = 443), PASS(ALLOWED), "proxy6" },
	{ "v6 proxy6 to 80: /64 allows 443 only", V6(.src = PROXY6, .dport = 80), DROP(NOT_ALLOWED) },
	{ "v6 host rule (exact hash) to 80", V6(.src = "2001:db8:1:2::7", .dport = 80), PASS(ALLOWED), "host6" },
	{ "v6 host rule to 443: the host decides, no fallback to its /64", V6(.src = "2001:db8:1:2::7", .dport = 443), DROP(NOT_ALLOWED) },
	{ "v6 neighbour of the host rule: the /64 decides", V6(.src = "2001:db8:1:2::8", .dport = 443), PASS(ALLOWED), "proxy6" },
	{ "v6 last address of /48", V6(.src = "2001:db8:1:ffff:ffff:ffff:ffff:ffff", .dport = 443), PASS(ALLOWED), "net6" },
	{ "v6 just past /48", V6(.src = "2001:db8:2::", .dport = 443), DROP(NOT_ALLOWED) },
	{ "v6 stranger to 22", V6(.dport = 22), PASS(UNPROTECTED) },
	{ "v6 vlan net6", V6(.vlan_tags = 1, .src = NET6, .dport = 443), PASS(ALLOWED), "net6" },
	{ "v6 payload length beyond frame", V6(.src = NET6, .dport = 443, .ip_len_delta = 100), DROP(MALFORMED) },
	{ "v6 payload length zero (jumbo)", V6(.src = NET6, .dport = 443, .ip_len_delta = -20), DROP(MALFORMED) },
	{ "v6 header cut short", V6(.src = NET6, .dport = 443, .truncate = 40), DROP(MALFORMED) },
	{ "v6 version 4 in header", V6(.src = NET6, .dport = 443, .ip_version = 4), DROP(MALFORMED) },

	/* IPv6 extension headers and fragments */
	{ "v6 hop-by-hop stranger", V6(.dport = 443, EXT(IPPROTO_HOPOPTS)), DROP(NOT_ALLOWED) },
	{ "v6 hop+routing+dstopts stranger", V6(.dport = 443, EXT(IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS)), DROP(NOT_ALLOWED) },
	{ "v6 hop+routing+dstopts net6", V6(.src = NET6, .dport = 443, EXT(IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS)), PASS(ALLOWED), "net6" },
	{ "v6 AH stranger", V6(.dport = 443, EXT(IPPROTO_AH)), DROP(NOT_ALLOWED) },
	{ "v6 eight headers (the bound) stranger", V6(.dport = 443, EXT(0, 60, 60, 60, 60, 60, 60, 60)), DROP(NOT_ALLOWED) },
	{ "v6 eight headers (the bound) net6", V6(.src = NET6, .dport = 443, EXT(0, 60, 60, 60, 60, 60, 60, 60)), PASS(ALLOWED), "net6" },
	{ "v6 nine headers are malformed", V6(.src = NET6, .dport = 443, EXT(0, 60, 60, 60, 60, 60, 60, 60, 60)), DROP(MALFORMED) },
	{ "v6 first fragment stranger", V6(.dport = 443, EXT(IPPROTO_FRAGMENT), .ext_more_fragments = true, .payload_len = 64), DROP(NOT_ALLOWED) },
	{ "v6 first fragment net6", V6(.src = NET6, .dport = 443, EXT(IPPROTO_FRAGMENT), .ext_more_fragments = true), PASS(ALLOWED), "net6" },
	{ "v6 atomic fragment stranger", V6(.dport = 443, EXT(IPPROTO_FRAGMENT)), DROP(NOT_ALLOWED) },
	{ "v6 fragment header then dstopts stranger", V6(.dport = 443, EXT(IPPROTO_FRAGMENT, IPPROTO_DSTOPTS), .ext_more_fragments = true), DROP(NOT_ALLOWED) },
	{ "v6 later fragment passes", V6(.dport = 443, EXT(IPPROTO_FRAGMENT), .ext_frag_offset = 100, .payload_len = 64), PASS(FRAGMENT) },
	{ "v6 first fragment without tcp flags", V6(.src = NET6, .dport = 443, EXT(IPPROTO_FRAGMENT), .ext_more_fragments = true, .cut_l4 = 8), DROP(MALFORMED) },
	{ "v6 extension header cut by payload length", V6(.src = NET6, .dport = 443, EXT(IPPROTO_HOPOPTS), .cut_l4 = 1, .ip_len_delta = -5), DROP(MALFORMED) },

	/* monitor mode: drops become would_drop, passes stay passes */
	{ "monitor: stranger to 443", V4(.src = STRANGER4, .dport = 443), XDP_PASS, CAS_REASON_NOT_ALLOWED, NULL, true },
	{ "monitor: malformed", V4(.ihl = 4, .dport = 443), XDP_PASS, CAS_REASON_MALFORMED, NULL, true },
	{ "monitor: proxy still allowed", V4(.src = PROXY4, .dport = 443), PASS(ALLOWED), "proxy", true },
	{ "monitor: unprotected", V4(.src = STRANGER4, .dport = 22), PASS(UNPROTECTED), NULL, true },
};

static int rule_index(const char *name)
{
	size_t i;

	for (i = 0; name && i < CAS_ARRAY_SIZE(rule_set); i++)
		if (!strcmp(rule_set[i].name, name))
			return i;
	return -1;
}

static int run_case(struct dp_fixture *fx, const struct dp_case *c)
{
	__u32 slot = CAS_STATS_INDEX(c->reason,
				     dp_counted_action(c->xdp, c->reason));
	static struct dp_snapshot before, after;
	int expected_rule = rule_index(c->rule);
	__u8 frame[FRAME_MAX];
	size_t len, i;
	int ok = 1;
	__u32 xdp;

	check_case = c->name;
	len = frame_build(&c->frame, frame);
	dp_set_monitor(fx, c->monitor);
	dp_snapshot(fx, &before);
	xdp = dp_run(fx, frame, len);
	dp_snapshot(fx, &after);

	ok &= CHECK_EQ(xdp, c->xdp, "XDP action");
	ok &= CHECK_EQ(after.stats[slot].packets - before.stats[slot].packets,
		       1, cas_reason_names[c->reason]);
	ok &= CHECK_EQ(after.stats[slot].bytes - before.stats[slot].bytes, len,
		       "bytes counted");
	for (i = 0; i < CAS_STATS_SLOTS; i++) {
		if (i != slot)
			ok &= CHECK_EQ(after.stats[i].packets,
				       before.stats[i].packets,
				       "no other (action, reason) counted");
	}
	for (i = 0; i < CAS_ARRAY_SIZE(rule_set); i++) {
		__u32 id = rule_ids[i];

		ok &= CHECK_EQ(after.rules[id].packets - before.rules[id].packets,
			       (int)i == expected_rule, rule_set[i].name);
	}
	return ok;
}

static struct cas_prefix parse_addr(const char *addr)
{
	struct cas_prefix prefix;
	char err[CAS_ERRBUF];

	if (cas_parse_prefix(addr, &prefix, err)) {
		fprintf(stderr, "unit_datapath: %s\n", err);
		abort();
	}
	return prefix;
}

/* The length mask of an address's /16 (IPv4) or /48 (IPv6). */
static __u32 prefilter_lengths(const struct cas_prefilter *filter,
			       const char *addr)
{
	struct cas_prefix prefix = parse_addr(addr);

	if (prefix.family == AF_INET)
		return filter->v4[cas_prefilter_v4_index(prefix.addr)];
	return filter->v6[cas_prefilter_v6_index(prefix.addr)];
}

/* Whether the prefilter lets an address on to the lookup. */
static int prefilter_has(const struct cas_prefilter *filter, const char *addr)
{
	return prefilter_lengths(filter, addr) != 0;
}

/* Independent oracles of the mask bits (casshield.h describes them). */
#define LENGTH_BIT(len) (1u << (32 - (len)))	/* IPv4: bit k is /32-k */
#define V6_BIT(len)	(1u << (64 - (len)))	/* IPv6 /48../64 */
#define V6_HOST		(1u << 17)		/* IPv6 /128 */
#define V6_SHORT	(1u << 19)		/* IPv6 shorter than /48 */

/* Sources the prefilter lets on to the lookup, or rules out. */
static const struct {
	const char *addr;
	int admitted;
	const char *why;
} prefilter_cases[] = {
	{ "198.51.7.1", 1, "198.51/16 (dmz, proxy)" },
	{ "192.0.200.1", 1, "192.0/16 (dns)" },
	{ "198.16.0.1", 1, "198.16/16 (wide /14)" },
	{ "198.19.255.1", 1, "198.19/16 (wide /14)" },
	{ "198.20.0.1", 0, "198.20/16: no rule" },
	{ "203.0.113.7", 0, "203.0/16: no rule" },
	{ "2001:db8:1:ffff::9", 1, "2001:db8:1::/48 (net6)" },
	{ "2001:db8:2::9", 0, "2001:db8:2::/48: no rule" },
	/* Same bits 32-47 as net6, another /32: a /48 is told apart whole. */
	{ "2001:db9:1::9", 0, "2001:db9:1::/48: no rule" },
	/* 2001:db8:40::/42 holds 64 /48s: each one's bit, whatever the hash. */
	{ "2001:db8:40::1", 1, "first /48 of the /42" },
	{ "2001:db8:5f::1", 1, "a middle /48 of the /42" },
	{ "2001:db8:7f:ffff::1", 1, "last /48 of the /42" },
};

/* The IPv4 lengths a /16's mask names: the lookups its sources cost. */
static const struct {
	const char *addr;
	__u32 lengths;
	const char *why;
} length_cases[] = {
	{ "198.51.0.1", LENGTH_BIT(32) | LENGTH_BIT(24), "198.51/16: /32 and /24" },
	{ "198.17.0.1", LENGTH_BIT(14), "198.17/16: /14" },
	{ "192.0.2.1", LENGTH_BIT(25), "192.0/16: /25" },
	{ "2001:db8:1:2::5", V6_BIT(48) | V6_BIT(64) | V6_HOST,
	  "2001:db8:1::/48: /48, /64 and /128" },
	{ "2001:db8:5f::1", V6_SHORT, "2001:db8:5f::/48: inside a /42" },
};

/* The prefilter holds the bits the rules need, and not the others. */
static void check_prefilter(struct dp_fixture *fx)
{
	static struct cas_prefilter filter; /* 1.25 MiB: not on the stack */
	__u32 gen = 0;
	size_t i;
	int ok = 1;

	check_case = "prefilter bits";
	if (bpf_map_lookup_elem(fx->maps.prefilter, &gen, &filter)) {
		check_record(CHECK_EQ(errno, 0, "read the prefilter"));
		return;
	}
	for (i = 0; i < CAS_ARRAY_SIZE(prefilter_cases); i++)
		ok &= CHECK_EQ(prefilter_has(&filter, prefilter_cases[i].addr),
			       prefilter_cases[i].admitted,
			       prefilter_cases[i].why);
	for (i = 0; i < CAS_ARRAY_SIZE(length_cases); i++)
		ok &= CHECK_EQ(prefilter_lengths(&filter, length_cases[i].addr),
			       length_cases[i].lengths, length_cases[i].why);
	check_record(ok);
}

/*
 * Prefix lengths, tried longest first from the mask of the source's /16 or
 * /48: IPv4 /0 and /1 share a bit; IPv6 lengths past /64 come from the
 * generation's list, /48../64 from the mask, shorter ones from the trie. A
 * longer rule never falls back to a shorter one, and a deleted rule's
 * length left in the mask only costs a miss (the mask is a superset).
 */
static const struct rule_spec short_rules[] = {
	{ "0.0.0.0/0", "80", "everyone80" },
	{ "128.0.0.0/1", "443", "upper443" },
	{ "198.51.100.0/24", "443", "dmz" },
	{ "198.51.100.128/25", "80", "dmz-hi" },
	{ "198.51.100.200/32", "443", "host" },
	{ "2001:db8::/32", "80", "doc32" }, /* shorter than /48: the trie */
	{ "2001:db8:aa::/48", "443", "site-a" },
	{ "2001:db8:aa:100::/56", "80", "lan-a" },
	{ "2001:db8:aa:1ff::/64", "443", "net-a" },
	{ "2001:db8:aa:1ff:8000::/65", "80", "half-a" }, /* 65..127: v6_long */
	{ "2001:db8:aa:1ff:8000::7/128", "443", "host-a" },
};

static const struct {
	const char *name, *src;
	__u16 dport;
	__u32 xdp;
	const char *rule; /* the rule that counts a hit, or NULL */
} short_cases[] = {
	{ "/0 allows a lower-half source on 80", "10.1.2.3", 80, XDP_PASS, "everyone80" },
	{ "/0 does not open 443", "10.1.2.3", 443, XDP_DROP, NULL },
	{ "/1 decides an upper-half source: 443", "203.0.113.7", 443, XDP_PASS, "upper443" },
	{ "/1 decides an upper-half source: no fallback to /0 on 80", "203.0.113.7", 80, XDP_DROP, NULL },
	{ "/24 inside the /1", "198.51.100.7", 443, XDP_PASS, "dmz" },
	{ "/24 allows 443 only", "198.51.100.7", 80, XDP_DROP, NULL },
	{ "/25 inside the /24", "198.51.100.130", 80, XDP_PASS, "dmz-hi" },
	{ "/25 decides: no fallback to the /24", "198.51.100.130", 443, XDP_DROP, NULL },
	{ "/32 inside the /25", "198.51.100.200", 443, XDP_PASS, "host" },
	{ "/32 decides: no fallback to the /25", "198.51.100.200", 80, XDP_DROP, NULL },
	{ "v6 /128", "2001:db8:aa:1ff:8000::7", 443, XDP_PASS, "host-a" },
	{ "v6 /128 decides: no fallback to the /65", "2001:db8:aa:1ff:8000::7", 80, XDP_DROP, NULL },
	{ "v6 /65 (a length past 64)", "2001:db8:aa:1ff:8000::8", 80, XDP_PASS, "half-a" },
	{ "v6 /65 decides: no fallback to the /64", "2001:db8:aa:1ff:8000::8", 443, XDP_DROP, NULL },
	{ "v6 /64, outside its /65", "2001:db8:aa:1ff::8", 443, XDP_PASS, "net-a" },
	{ "v6 /64 decides: no fallback to the /56", "2001:db8:aa:1ff::8", 80, XDP_DROP, NULL },
	{ "v6 /56", "2001:db8:aa:100::1", 80, XDP_PASS, "lan-a" },
	{ "v6 /56 decides: no fallback to the /48", "2001:db8:aa:100::1", 443, XDP_DROP, NULL },
	{ "v6 /48", "2001:db8:aa:200::1", 443, XDP_PASS, "site-a" },
	{ "v6 /48 decides: no fallback to the /32", "2001:db8:aa:200::1", 80, XDP_DROP, NULL },
	{ "v6 /32 (the trie)", "2001:db8:bb::1", 80, XDP_PASS, "doc32" },
	{ "v6 /32 allows 80 only", "2001:db8:bb::1", 443, XDP_DROP, NULL },
	{ "v6 outside every rule", "2001:db9::1", 80, XDP_DROP, NULL },
};

static int run_short_case(struct dp_fixture *fx, const __u32 *ids,
			  const char *src, __u16 dport, __u32 want,
			  const char *rule)
{
	struct frame_spec spec = { .kind = strchr(src, ':') ? FRAME_IPV6 :
							       FRAME_IPV4,
				   .src = src };
	static struct dp_snapshot before, after;
	__u8 frame[FRAME_MAX];
	size_t len, r;
	int ok;

	spec.dport = dport;
	len = frame_build(&spec, frame);
	dp_snapshot(fx, &before);
	ok = CHECK_EQ(dp_run(fx, frame, len), want, "verdict");
	dp_snapshot(fx, &after);
	for (r = 0; r < CAS_ARRAY_SIZE(short_rules); r++)
		ok &= CHECK_EQ(after.rules[ids[r]].packets -
				       before.rules[ids[r]].packets,
			       rule && !strcmp(rule, short_rules[r].name),
			       short_rules[r].name);
	return ok;
}

static void check_short_prefixes(void)
{
	__u32 ids[CAS_ARRAY_SIZE(short_rules)];
	struct cas_prefix dmz_hi;
	struct dp_fixture fx;
	size_t i;

	dp_open(&fx, "443,80");
	allow_all(&fx, short_rules, CAS_ARRAY_SIZE(short_rules), ids);
	for (i = 0; i < CAS_ARRAY_SIZE(short_cases); i++) {
		check_case = short_cases[i].name;
		check_record(run_short_case(&fx, ids, short_cases[i].src,
					    short_cases[i].dport,
					    short_cases[i].xdp,
					    short_cases[i].rule));
	}
	/* Delete the /25: its length stays in the mask, the /24 answers. */
	dmz_hi = parse_addr("198.51.100.128/25");
	check_case = "delete the /25";
	check_record(CHECK_EQ(cas_rule_del(&fx.maps, &dmz_hi), 0, "deleted"));
	check_case = "after deleting the /25: the /24 decides on 443";
	check_record(run_short_case(&fx, ids, "198.51.100.130", 443, XDP_PASS,
				    "dmz"));
	check_case = "after deleting the /25: 80 is closed";
	check_record(run_short_case(&fx, ids, "198.51.100.130", 80, XDP_DROP,
				    NULL));
	dp_close(&fx);
}

/*
 * What the differential fuzz found (tests/fuzz, docs/testing.md): frames on
 * which the program departed from the documents ("fuzz: ..."), each row
 * what the documents say, and rows beside them at the edges the fixes
 * drew. One rule, 198.51.100.0/24, every port of 443, a hello bucket of
 * one token.
 */
enum finding_payload {
	FIND_NONE,
	FIND_TLS12,	       /* legacy 1.2, no supported_versions */
	FIND_TLS12_EMPTY_LAST, /* the same, its last extension empty */
	FIND_13_NINTH,	       /* supported_versions: eight below 1.3, then 1.3 */
	FIND_NINE_BELOW,       /* supported_versions: nine, none 1.3 */
	FIND_13_EIGHTH,	       /* supported_versions: seven below 1.3, then 1.3 */
	FIND_EIGHT_BELOW,      /* supported_versions: eight, none 1.3 */
	FIND_32_EXTENSIONS,    /* legacy 1.2, 32 extensions, no versions listed */
	FIND_33_EXTENSIONS,    /* the same with 33 */
	FIND_SSLV2_CUT,	       /* SSLv2-compatible, cut after its message type */
	FIND_SSLV2_CUT4,       /* the same, cut in its version */
	FIND_SSLV2_CUT2,       /* the first two bytes of an SSLv2-compatible hello */
	FIND_SSLV2_CUT1,       /* its first byte */
	FIND_RECORD_CUT2,      /* the first two bytes of a handshake record */
	FIND_TLS13,	       /* legacy 1.2, supported_versions 1.3 and 1.2 */
	FIND_PAYLOADS,
};

static struct {
	__u8 bytes[1024];
	size_t len;
} finding_payloads[FIND_PAYLOADS];

static void build_finding_payloads(void)
{
	static const struct hello_spec specs[FIND_PAYLOADS] = {
		[FIND_TLS12] = { .legacy_version = 0x0303, .padding_ext = 16 },
		[FIND_TLS12_EMPTY_LAST] = { .legacy_version = 0x0303, .padding_ext = 16, .empty_last = 1 },
		[FIND_13_NINTH] = { .legacy_version = 0x0303, .listed = 9,
				    .versions = { 0x0300, 0x0301, 0x0302, 0x0303, 0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x0304 } },
		[FIND_NINE_BELOW] = { .legacy_version = 0x0303, .listed = 9,
				      .versions = { 0x0300, 0x0301, 0x0302, 0x0303, 0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x0303 } },
		[FIND_13_EIGHTH] = { .legacy_version = 0x0303, .listed = 8,
				     .versions = { 0x0300, 0x0301, 0x0302, 0x0303, 0x0a0a, 0x1a1a, 0x2a2a, 0x0304 } },
		[FIND_EIGHT_BELOW] = { .legacy_version = 0x0303, .listed = 8,
				       .versions = { 0x0300, 0x0301, 0x0302, 0x0303, 0x0a0a, 0x1a1a, 0x2a2a, 0x0303 } },
		[FIND_32_EXTENSIONS] = { .legacy_version = 0x0303, .small_exts = 32 },
		[FIND_33_EXTENSIONS] = { .legacy_version = 0x0303, .small_exts = 33 },
		[FIND_TLS13] = { .legacy_version = 0x0303, .listed = 2, .versions = { 0x0304, 0x0303 } },
	};
	int kind;

	for (kind = 0; kind < FIND_PAYLOADS; kind++)
		if (specs[kind].legacy_version)
			finding_payloads[kind].len = hello_build(&specs[kind], finding_payloads[kind].bytes);
	memcpy(finding_payloads[FIND_SSLV2_CUT].bytes, "\x80\x2e\x01", 3);
	finding_payloads[FIND_SSLV2_CUT].len = 3;
	memcpy(finding_payloads[FIND_SSLV2_CUT4].bytes, "\x80\x2e\x01\x03", 4);
	finding_payloads[FIND_SSLV2_CUT4].len = 4;
	memcpy(finding_payloads[FIND_SSLV2_CUT2].bytes, "\x80\x2e", 2);
	finding_payloads[FIND_SSLV2_CUT2].len = 2;
	memcpy(finding_payloads[FIND_SSLV2_CUT1].bytes, "\x80", 1);
	finding_payloads[FIND_SSLV2_CUT1].len = 1;
	memcpy(finding_payloads[FIND_RECORD_CUT2].bytes, "\x16\x03", 2);
	finding_payloads[FIND_RECORD_CUT2].len = 2;
}

static const struct finding {
	const char *name;
	struct frame_spec frame;
	enum finding_payload payload;
	__u16 min_tls;
	bool hello_empty; /* the rule's hello bucket refuses every hello */
	__u32 xdp;
	enum cas_reason reason;
} findings[] = {
	{ "fuzz: a SYN carrying a TLS 1.2 hello (TCP Fast Open) meets the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x02), FIND_TLS12, CAS_TLS_1_3, false, DROP(TLS_VERSION) },
	{ "a SYN carrying a TLS 1.3 hello passes the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x02), FIND_TLS13, CAS_TLS_1_3, false, PASS(ALLOWED) },
	{ "a SYN carrying a hello meets the hello bucket (empty)", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x02), FIND_TLS13, 0, true, DROP(HELLO_RATE) },
	{ "fuzz: a TLS 1.2 hello ending with an empty extension: all walked, its legacy 1.2 meets the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_TLS12_EMPTY_LAST, CAS_TLS_1_3, false, DROP(TLS_VERSION) },
	{ "fuzz: supported_versions of nine entries, 1.3 ninth: more than 8 cannot be judged, passes the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_13_NINTH, CAS_TLS_1_3, false, PASS(ALLOWED) },
	{ "supported_versions of nine entries, none 1.3: cannot be judged, passes the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_NINE_BELOW, CAS_TLS_1_3, false, PASS(ALLOWED) },
	{ "supported_versions of eight entries, 1.3 eighth: passes the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_13_EIGHTH, CAS_TLS_1_3, false, PASS(ALLOWED) },
	{ "supported_versions of eight entries, none 1.3: meets the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_EIGHT_BELOW, CAS_TLS_1_3, false, DROP(TLS_VERSION) },
	{ "fuzz: a TLS 1.2 hello of exactly 32 extensions: all walked, its legacy 1.2 meets the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_32_EXTENSIONS, CAS_TLS_1_3, false, DROP(TLS_VERSION) },
	{ "a TLS 1.2 hello of 33 extensions: the walk stops at 32, cannot be judged, passes the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_33_EXTENSIONS, CAS_TLS_1_3, false, PASS(ALLOWED) },
	{ "fuzz: an SSLv2-compatible hello cut after its message type is a hello (bucket empty)", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_SSLV2_CUT, 0, true, DROP(HELLO_RATE) },
	{ "an SSLv2-compatible hello cut in its version is a hello (bucket empty)", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_SSLV2_CUT4, 0, true, DROP(HELLO_RATE) },
	{ "a handshake record split after its first two bytes is a hello (bucket empty)", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_RECORD_CUT2, 0, true, DROP(HELLO_RATE) },
	{ "fuzz: an SSLv2-compatible hello split after its first two bytes is a hello, as a record is (bucket empty)", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_SSLV2_CUT2, 0, true, DROP(HELLO_RATE) },
	{ "fuzz: an SSLv2-compatible hello split after its first byte is a hello (bucket empty)", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_SSLV2_CUT1, 0, true, DROP(HELLO_RATE) },
	{ "an SSLv2-compatible hello split after its first two bytes cannot be judged: passes the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_SSLV2_CUT2, CAS_TLS_1_3, false, PASS(ALLOWED) },
	{ "an SSLv2-compatible hello cut in its version cannot be judged: passes the 1.3 floor", V4(.src = PROXY4, .dport = 443, .tcp_flags = 0x18), FIND_SSLV2_CUT4, CAS_TLS_1_3, false, PASS(ALLOWED) },
	{ "fuzz: eight extension headers, then a later-fragment header: a chain longer than eight", V6(.src = NET6, .dport = 443, EXT(0, 60, 60, 60, 60, 60, 60, 60, IPPROTO_FRAGMENT), .ext_frag_offset = 100, .payload_len = 64), FIND_NONE, 0, false, DROP(MALFORMED) },
};

static int run_finding(struct dp_fixture *fx, __u32 rule_id,
		       const struct finding *f)
{
	/* 2^62 ns ahead: every hello is refused, none is charged */
	struct cas_rule_buckets buckets = { .hello_tat = f->hello_empty ? 1ULL << 62 : 0 };
	__u32 slot = CAS_STATS_INDEX(f->reason, dp_counted_action(f->xdp, f->reason));
	struct cas_policy limits = { .min_tls = f->min_tls };
	static struct dp_snapshot before, after;
	struct frame_spec spec = f->frame;
	__u8 frame[FRAME_MAX];
	size_t len;
	int ok;

	if (f->payload != FIND_NONE) {
		spec.payload = finding_payloads[f->payload].bytes;
		spec.payload_len = finding_payloads[f->payload].len;
	}
	len = frame_build(&spec, frame);
	dp_set_limits(fx, &limits);
	if (bpf_map_update_elem(fx->maps.rule_buckets, &rule_id, &buckets, BPF_ANY))
		return CHECK_EQ(errno, 0, "set the hello bucket");
	dp_snapshot(fx, &before);
	ok = CHECK_EQ(dp_run(fx, frame, len), f->xdp, "XDP action");
	dp_snapshot(fx, &after);
	ok &= CHECK_EQ(after.stats[slot].packets - before.stats[slot].packets, 1, cas_reason_names[f->reason]);
	return ok;
}

static void check_fuzz_findings(void)
{
	/* A hello bucket of one: full (arrival time 0) or empty, per row. */
	struct cas_rule rule = { .hello_rate = 1, .hello_burst = 1 };
	struct dp_fixture fx;
	__u32 rule_id;
	size_t i;

	build_finding_payloads();
	dp_open(&fx, "443");
	rule_id = dp_add(&fx, "198.51.100.0/24", NULL, &rule);
	for (i = 0; i < CAS_ARRAY_SIZE(findings); i++) {
		check_case = findings[i].name;
		check_record(run_finding(&fx, rule_id, &findings[i]));
	}
	dp_close(&fx);
}

/*
 * The kernel keeps 15 characters of a map's name (BPF_OBJ_NAME_LEN): two
 * maps that differ only after that look the same to bpftool, to the
 * benchmark's memory report and to an admin, so every name must fit.
 */
static void check_map_names(struct dp_fixture *fx)
{
	const struct bpf_map *map, *other;

	check_case = "map names fit the kernel's 15 characters";
	bpf_object__for_each_map(map, fx->skel->obj) {
		const char *name = bpf_map__name(map);

		if (name[0] == '.')
			continue; /* .rodata and friends: libbpf's own */
		check_record(CHECK_EQ(strlen(name) <= BPF_OBJ_NAME_LEN - 1, 1,
				      name));
		bpf_object__for_each_map(other, fx->skel->obj) {
			if (other != map &&
			    !strncmp(name, bpf_map__name(other),
				     BPF_OBJ_NAME_LEN - 1))
				check_record(CHECK_EQ(0, 1, name));
		}
	}
}

int main(void)
{
	struct dp_fixture fx;
	size_t i;

	dp_open(&fx, "443,80/tcp,53/udp");
	allow_all(&fx, rule_set, CAS_ARRAY_SIZE(rule_set), rule_ids);
	check_prefilter(&fx);
	check_map_names(&fx);
	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++)
		check_record(run_case(&fx, &cases[i]));
	dp_close(&fx);
	check_short_prefixes();
	check_fuzz_findings();
	return check_summary("unit_datapath");
}
