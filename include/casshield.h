/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casshield.h - the one contract between the XDP program (bpf/) and
 * userspace (user/, tests/): limits, verdict reasons, map keys and values.
 *
 * Both sides include this file; nothing here may be copied elsewhere.
 * Every map key and value carries a _Static_assert on its size so that a
 * change of layout is a deliberate act (pinned maps outlive binaries: the
 * loader compares value sizes before it touches pinned state).
 */
#ifndef CASSHIELD_H
#define CASSHIELD_H

#include <linux/types.h>

#define CAS_VERSION		"0.1.0"

/* Limits. */
#define CAS_MAX_PROTECTED_PORTS 64    /* one bit each in cas_rule.port_mask */
#define CAS_MAX_RULES		65536 /* default size of the rule table */
#define CAS_MAX_VLAN_TAGS	2     /* 802.1Q inside 802.1ad (QinQ) */
#define CAS_MAX_IPV6_EXT_HDRS	8     /* longer chains are dropped: malformed */
#define CAS_RULE_NAME_LEN	32
#define CAS_NO_RULE		0xffffffffu
/*
 * Per-source handshake state: CAS_SOURCE_ROWS rows of CAS_SOURCE_CELLS
 * cells, a source hashed to one cell per row (see docs/ratelimit.md).
 */
#define CAS_SOURCE_ROWS		2
#define CAS_SOURCE_CELLS	65536 /* power of two */

/*
 * Actions: what happened to a packet. WOULD_DROP is a drop that monitor mode
 * turned into a pass; TX is a packet answered in place (the SYN proxy's
 * SYN-ACK). Append only; never renumber (metric labels).
 */
#define CAS_ACTIONS(X)              \
	X(PASS, "pass")             \
	X(DROP, "drop")             \
	X(WOULD_DROP, "would_drop") \
	X(TX, "tx")

/*
 * Reasons: why. The third column says whether the reason passes, drops or
 * answers a packet; a dropping reason is counted as would_drop in monitor
 * mode. Append only; never renumber: the numbers index pinned counters and
 * the names are Prometheus label values. The last four are the SYN proxy's
 * (docs/synproxy.md): a SYN answered with a cookie, a SYN refused by the
 * SYN-ACK cap, a segment of no connection whose cookie is wrong, and the
 * ACK of a completed handshake (valid cookie) handed to netfilter.
 */
#define CAS_REASONS(X)                                          \
	X(ALLOWED, "allowed", CAS_VERDICT_PASS)                 \
	X(UNPROTECTED, "unprotected", CAS_VERDICT_PASS)         \
	X(CONTROL, "control", CAS_VERDICT_PASS)                 \
	X(FRAGMENT, "fragment", CAS_VERDICT_PASS)               \
	X(NOT_ALLOWED, "not_allowed", CAS_VERDICT_DROP)         \
	X(MALFORMED, "malformed", CAS_VERDICT_DROP)             \
	X(SYN_RATE_RULE, "syn_rate_rule", CAS_VERDICT_DROP)     \
	X(SYN_RATE_SOURCE, "syn_rate_source", CAS_VERDICT_DROP) \
	X(SYN_RATE_GLOBAL, "syn_rate_global", CAS_VERDICT_DROP) \
	X(HELLO_RATE, "hello_rate", CAS_VERDICT_DROP)           \
	X(TLS_VERSION, "tls_version", CAS_VERDICT_DROP)         \
	X(SPOOFED, "spoofed", CAS_VERDICT_DROP)                 \
	X(SYN_COOKIE_SENT, "syn_cookie_sent", CAS_VERDICT_TX)   \
	X(SYN_COOKIE_RATE, "syn_cookie_rate", CAS_VERDICT_DROP) \
	X(COOKIE_INVALID, "cookie_invalid", CAS_VERDICT_DROP)   \
	X(COOKIE_VALID, "cookie_valid", CAS_VERDICT_PASS)

enum cas_verdict_kind { CAS_VERDICT_PASS, CAS_VERDICT_DROP, CAS_VERDICT_TX };

#define CAS_ENUM_ACTION(id, name) CAS_ACTION_##id,
enum cas_action { CAS_ACTIONS(CAS_ENUM_ACTION) CAS_ACTION_COUNT };
#undef CAS_ENUM_ACTION

#define CAS_ENUM_REASON(id, name, kind) CAS_REASON_##id,
enum cas_reason { CAS_REASONS(CAS_ENUM_REASON) CAS_REASON_COUNT };
#undef CAS_ENUM_REASON

/*
 * The counter table is sized with headroom so that appending reasons or
 * actions does not change the pinned map's size.
 */
#define CAS_STATS_ACTION_SLOTS 4
#define CAS_STATS_REASON_SLOTS 64
#define CAS_STATS_SLOTS	       (CAS_STATS_ACTION_SLOTS * CAS_STATS_REASON_SLOTS)
#define CAS_STATS_INDEX(reason, action) \
	((reason)*CAS_STATS_ACTION_SLOTS + (action))

/* Protocols a protected port can belong to (index into cas_port_slots). */
enum cas_proto { CAS_PROTO_TCP, CAS_PROTO_UDP, CAS_PROTO_COUNT };

/*
 * cas_ports: array indexed by destination port (host order). For each
 * protocol, 0 means unprotected, N means protected with slot N - 1: the bit
 * a rule sets in port_mask to allow that port.
 */
struct cas_port_slots {
	__u8 slot_plus_one[CAS_PROTO_COUNT];
};
_Static_assert(sizeof(struct cas_port_slots) == 2, "cas_port_slots layout");

/*
 * The keys of the prefix maps, LPM layout (length, then the address): the
 * exact hashes cas_prefix4_gN and cas_prefix6_gN (keyed by the masked
 * address) and the IPv6 trie cas_trie6_gN (prefixes shorter than /48) use
 * the same two. The value is a rule id.
 */
struct cas_lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};
_Static_assert(sizeof(struct cas_lpm_v4) == 8, "cas_lpm_v4 layout");

struct cas_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};
_Static_assert(sizeof(struct cas_lpm_v6) == 20, "cas_lpm_v6 layout");

#define CAS_RULE_IN_USE	   (1u << 0)
#define CAS_RULE_MATCH_MAC (1u << 1) /* source MAC must equal mac */
#define CAS_RULE_MATCH_TTL (1u << 2) /* TTL/hop limit within ttl_min..max */

#define CAS_ALL_PORTS	   (~0ULL)

/*
 * cas_rules: array indexed by rule id. The datapath reads port_mask, flags
 * and the binding and limit fields; family, prefix and name are there so
 * that any reader of the pinned maps (CLI, exporter) can list rules without
 * walking the prefix maps.
 */
struct cas_rule {
	__u64 port_mask; /* bit = protected port slot; CAS_ALL_PORTS = all */
	__u32 flags;
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 prefixlen;
	__u8 ttl_min;
	__u8 ttl_max;
	__u8 mac[6];
	__u8 pad[2];
	__u8 addr[16];
	/* handshake limits, per second; 0 = unlimited */
	__u32 syn_rate;
	__u32 syn_burst;
	__u32 source_syn_rate;
	__u32 source_syn_burst;
	__u32 hello_rate;
	__u32 hello_burst;
	char name[CAS_RULE_NAME_LEN];
};
_Static_assert(sizeof(struct cas_rule) == 96, "cas_rule layout");

/* cas_stats (per-CPU, CAS_STATS_SLOTS) and cas_rule_stats (per-CPU, per rule). */
struct cas_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct cas_counter) == 16, "cas_counter layout");

enum cas_attach_mode { CAS_MODE_NATIVE, CAS_MODE_SKB };

/* TLS versions as they appear on the wire; 0 = no floor. */
#define CAS_TLS_1_0		0x0301
#define CAS_TLS_1_1		0x0302
#define CAS_TLS_1_2		0x0303
#define CAS_TLS_1_3		0x0304

/*
 * The ruleset exists in two generations: ports, prefix maps, prefilter and
 * policy of each (cas_ports_gN, cas_prefix4_gN, cas_prefix6_gN,
 * cas_trie6_gN, cas_prefilter[N], cas_policy[N]). Packets
 * use the generation cas_settings.generation names, read once per packet;
 * `apply` fills the other one and flips the index in one word, so no
 * packet ever sees a half-applied ruleset (docs/config.md).
 */
#define CAS_GENERATIONS		2

#define CAS_POLICY_SYN_PROXY	(1u << 0) /* cas_policy.flags */

/*
 * The SYN proxy's defaults (docs/synproxy.md). The cap bounds the SYN-ACKs
 * the interface sends in all: it is there against reflection, and high
 * enough that a flood must outrun it before real SYNs go unanswered. The
 * MSS and window scale are what the SYN-ACKs advertise; the nftables
 * synproxy rule the shield installs says the same. The MSS follows the
 * interface's MTU at load (MTU - 40 for IPv4, MTU - 60 for IPv6).
 */
#define CAS_SYNACK_RATE_DEFAULT 1000000
#define CAS_SYNPROXY_WSCALE	7
#define CAS_SYNPROXY_TTL	64

/* cas_policy: array indexed by generation. */
struct cas_policy {
	__u32 monitor; /* 1: count drops as would_drop, pass them */
	/*
	 * global handshake limits, per second; 0 = unlimited. With the SYN
	 * proxy on, SYN limits count completed handshakes (valid cookies).
	 */
	__u32 syn_rate;
	__u32 syn_burst;
	__u32 hello_rate;
	__u32 hello_burst;
	__u16 min_tls; /* CAS_TLS_*, 0 = off */
	__u16 flags;   /* CAS_POLICY_* */
	/* the SYN proxy: the cap on SYN-ACKs sent, per second; 0 = none */
	__u32 synack_rate;
	__u32 synack_burst;
	__u16 mss4; /* the MSS the SYN-ACKs advertise, IPv4 and IPv6 */
	__u16 mss6;
	__u8 wscale; /* the window scale they advertise */
	__u8 pad[3];
};
_Static_assert(sizeof(struct cas_policy) == 40, "cas_policy layout");

/*
 * cas_prefilter: array indexed by generation, per family a map of the
 * sources some rule's prefix may cover and of the prefix lengths to try
 * for them. A source it rules out is dropped without any lookup, from
 * memory that stays in cache. Bits are only added between applies: the
 * filter is a superset, never a judge.
 *
 * IPv4: per /16, a mask of the prefix lengths that may cover sources in it
 * (bit k: length 32 - k; bit 31 stands for /1 and /0 both). 0 rules the
 * source out; otherwise the program tries exactly these lengths, longest
 * first, in the IPv4 prefix hash (256 KiB).
 *
 * IPv6: per /48, at a hash of its 48 bits in 2^18 slots (1 MiB), a mask of
 * what may cover it: lengths 48..64 one bit each (bit 64 - length), /128,
 * "some length in 65..127" (which ones: v6_long, bit length - 65, for the
 * whole generation: allowlists rarely have any) and "a prefix shorter than
 * /48" (those live in the trie). /48 is what sites get, so the rules of
 * one site share a slot however their other bits fall. A prefix between
 * /32 and /47 marks each /48 it holds; one shorter than /32 marks every
 * slot (the IPv6 filter then rules nothing out, but still names lengths).
 */
#define CAS_PREFILTER_V4_SLOTS 65536 /* one length mask per /16 */
#define CAS_PREFILTER_V4_LEN   16    /* the prefix each IPv4 mask stands for */
#define CAS_PREFILTER_V6_BITS  18    /* index width of the /48 hash */
#define CAS_PREFILTER_V6_SLOTS (1u << CAS_PREFILTER_V6_BITS)
#define CAS_PREFILTER_V6_LEN   48 /* the prefix each IPv6 slot stands for */
#define CAS_PREFILTER_V6_ENUM  32 /* shorter IPv6 prefixes mark every slot */
#define CAS_V6_HOST_BIT	       17 /* a /128 */
#define CAS_V6_LONG_BIT	       18 /* a length in 65..127: see v6_long */
#define CAS_V6_SHORT_BIT       19 /* a prefix shorter than /48: the trie */
struct cas_prefilter {
	__u32 v4[CAS_PREFILTER_V4_SLOTS];
	__u32 v6[CAS_PREFILTER_V6_SLOTS];
	__u64 v6_long; /* bit length - 65: the lengths 65..127 of any rule */
};
_Static_assert(sizeof(struct cas_prefilter) == 1310728, "cas_prefilter layout");

/* The IPv4 slot of a source: its /16. */
static inline __u32 cas_prefilter_v4_index(const __u8 *addr)
{
	return (__u32)addr[0] << 8 | addr[1];
}

/* The bit of an IPv4 prefix length in a /16's mask (/0 shares /1's). */
static inline __u32 cas_prefilter_v4_bit(__u32 prefixlen)
{
	return prefixlen ? 32 - prefixlen : 31;
}

/* The bit of an IPv6 prefix length in a /48's mask. */
static inline __u32 cas_prefilter_v6_bit(__u32 prefixlen)
{
	if (prefixlen == 128)
		return CAS_V6_HOST_BIT;
	if (prefixlen > 64)
		return CAS_V6_LONG_BIT;
	if (prefixlen >= CAS_PREFILTER_V6_LEN)
		return 64 - prefixlen;
	return CAS_V6_SHORT_BIT;
}

/*
 * The IPv6 slot of a source: a multiplicative hash of its /48, top bits
 * (the same function in the program and in the CLI that sets the masks).
 */
static inline __u32 cas_prefilter_v6_index(const __u8 *addr)
{
	__u64 site = (__u64)addr[0] << 40 | (__u64)addr[1] << 32 |
		     (__u64)addr[2] << 24 | (__u64)addr[3] << 16 |
		     (__u64)addr[4] << 8 | addr[5];

	return (__u32)((site * 0x9e3779b97f4a7c15ULL) >>
		       (64 - CAS_PREFILTER_V6_BITS));
}

/* cas_settings: one element: the live generation and the attachment. */
struct cas_settings {
	__u32 generation;  /* 0 or 1 */
	__u32 attach_mode; /* enum cas_attach_mode */
	__u32 ifindex;
	__u32 max_rules;
	__u64 loaded_at; /* CLOCK_REALTIME seconds */
};
_Static_assert(sizeof(struct cas_settings) == 24, "cas_settings layout");

/*
 * Token buckets as GCRA state: the theoretical arrival time (ns, the
 * bpf_ktime_get_ns clock) of the next conforming handshake. 0 is a full
 * bucket, so fresh state never limits.
 */
struct cas_rule_buckets { /* cas_rule_gcra: array indexed by rule id */
	__u64 syn_tat;
	__u64 hello_tat;
};
_Static_assert(sizeof(struct cas_rule_buckets) == 16,
	       "cas_rule_buckets layout");

struct cas_global_buckets { /* cas_global_gcra: one element */
	__u64 syn_tat;
	__u64 hello_tat;
	__u64 synack_tat; /* the SYN proxy's cap */
};
_Static_assert(sizeof(struct cas_global_buckets) == 24,
	       "cas_global_buckets layout");

#endif /* CASSHIELD_H */
