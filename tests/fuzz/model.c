// SPDX-License-Identifier: GPL-2.0
/*
 * model.c - the shield's policy as the documents state it, step by step,
 * in plain C over the frame's bytes. Each step quotes or names the
 * sentence it implements; where the documents leave a point open the
 * reading chosen is said next to it (and in docs/testing.md).
 *
 * Written without bpf/: no header of the program is included, only the
 * contract (include/casshield.h: reasons, limits, TLS versions).
 */
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "model.h"

#define ETH_HLEN	    14
#define TPID_8021Q	    0x8100
#define TPID_8021AD	    0x88a8
#define ETHERTYPE_IPV4	    0x0800
#define ETHERTYPE_IPV6	    0x86dd
#define ETHERTYPE_ARP	    0x0806
#define PROTO_ICMP	    1
#define PROTO_TCP	    6
#define PROTO_UDP	    17
#define PROTO_ICMPV6	    58
#define TLS_SCAN_LIMIT	    2048 /* ratelimit.md: "the first 2048 bytes" */
#define TLS_MAX_EXTENSIONS  32	 /* ratelimit.md: "up to 32 extensions" */
#define TLS_SUPPORTED_VERS  0x002b
#define TLS_VERSION_UNKNOWN (-1)

/* What the policy needs of a TCP or UDP packet. */
struct packet {
	const __u8 *src_mac;
	__u8 family;
	const __u8 *src;
	__u8 ttl;
	__u8 proto; /* enum cas_proto */
	__u16 dport;
	__u8 tcp_flags;
	const __u8 *payload;
	size_t payload_len; /* to the end of the IP datagram */
};

struct judge {
	const struct model_ruleset *set;
	char *why;
	size_t why_len;
};

/* The reason, and the step that gave it (for reports). */
static int decide(struct judge *j, int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int decide(struct judge *j, int reason, const char *fmt, ...)
{
	va_list ap;

	if (j->why && j->why_len) {
		va_start(ap, fmt);
		vsnprintf(j->why, j->why_len, fmt, ap);
		va_end(ap);
	}
	return reason;
}

#define TO_POLICY (-1)

static unsigned int be16(const __u8 *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/*
 * design.md: "ICMP echo request and reply, destination unreachable (which
 * carries fragmentation-needed), time exceeded, parameter problem".
 */
static int icmp4_needed(__u8 type)
{
	return type == 0 || type == 8 || type == 3 || type == 11 || type == 12;
}

/*
 * "ICMPv6 errors 1-4 (packet too big), echo, MLD (130-132, 143) and
 * neighbour discovery (133-137)".
 */
static int icmp6_needed(__u8 type)
{
	return (type >= 1 && type <= 4) || type == 128 || type == 129 ||
	       (type >= 130 && type <= 132) || type == 143 ||
	       (type >= 133 && type <= 137);
}

/*
 * TCP or UDP from the start of the transport header to the end of the IP
 * datagram. "a TCP data offset below 5 or past the segment" is malformed;
 * "a first fragment must hold the whole transport header (20 bytes of TCP
 * with its flags, 8 of UDP)", which holds for any packet.
 */
static int transport(struct judge *j, __u8 ipproto, const __u8 *l4,
		     size_t l4_len, struct packet *pkt)
{
	size_t hdr;

	if (ipproto == PROTO_TCP) {
		if (l4_len < 20)
			return decide(j, CAS_REASON_MALFORMED,
				      "TCP header cut short (%zu bytes)",
				      l4_len);
		hdr = (l4[12] >> 4) * 4;
		if (hdr < 20)
			return decide(j, CAS_REASON_MALFORMED,
				      "TCP data offset below 5");
		if (hdr > l4_len)
			return decide(
				j, CAS_REASON_MALFORMED,
				"TCP data offset %zu past the segment (%zu)",
				hdr, l4_len);
		pkt->proto = CAS_PROTO_TCP;
		pkt->dport = be16(l4 + 2);
		pkt->tcp_flags = l4[13];
		pkt->payload = l4 + hdr;
		pkt->payload_len = l4_len - hdr;
		return TO_POLICY;
	}
	if (ipproto == PROTO_UDP) {
		if (l4_len < 8)
			return decide(j, CAS_REASON_MALFORMED,
				      "UDP header cut short (%zu bytes)",
				      l4_len);
		pkt->proto = CAS_PROTO_UDP;
		pkt->dport = be16(l4 + 2);
		pkt->payload = l4 + 8;
		pkt->payload_len = l4_len - 8;
		return TO_POLICY;
	}
	/* "Other ICMP, other IP protocols ... pass as unprotected" */
	return decide(j, CAS_REASON_UNPROTECTED, "IP protocol %u", ipproto);
}

/*
 * IPv4: "IPv4 ihl < 5, an IPv4 total length ... past the frame" are
 * malformed, as is a frame shorter than the header; "A later fragment
 * (non-zero offset) ... pass, counted as fragment". Fragments are told
 * only once the header is proven whole (a later fragment is still an IP
 * packet that must parse). Options are not judged.
 */
static int ipv4(struct judge *j, const __u8 *ip, size_t avail,
		struct packet *pkt)
{
	size_t hdr, total;

	if (avail < 20)
		return decide(j, CAS_REASON_MALFORMED, "IPv4 header cut short");
	if (ip[0] >> 4 != 4)
		return decide(j, CAS_REASON_MALFORMED, "IPv4 version %u",
			      ip[0] >> 4);
	hdr = (ip[0] & 15) * 4;
	if (hdr < 20)
		return decide(j, CAS_REASON_MALFORMED, "IPv4 ihl below 5");
	total = be16(ip + 2);
	if (total > avail)
		return decide(j, CAS_REASON_MALFORMED,
			      "IPv4 total length %zu past the frame (%zu)",
			      total, avail);
	if (total < hdr)
		return decide(j, CAS_REASON_MALFORMED,
			      "IPv4 total length %zu below the header (%zu)",
			      total, hdr);
	pkt->family = AF_INET;
	pkt->src = ip + 12;
	pkt->ttl = ip[8];
	if (be16(ip + 6) & 0x1fff)
		return decide(j, CAS_REASON_FRAGMENT, "IPv4 later fragment");
	if (ip[9] == PROTO_ICMP) {
		/* The type is what is judged; it must be in the datagram. */
		if (total - hdr < 1)
			return decide(j, CAS_REASON_MALFORMED,
				      "ICMP without a type");
		return icmp4_needed(ip[hdr]) ? decide(j, CAS_REASON_CONTROL,
						      "ICMP type %u", ip[hdr]) :
					       decide(j, CAS_REASON_UNPROTECTED,
						      "ICMP type %u", ip[hdr]);
	}
	return transport(j, ip[9], ip + hdr, total - hdr, pkt);
}

/*
 * IPv6: "an IPv6 payload length past the frame (or an IPv6 payload length
 * of 0, a jumbogram)", "an IPv6 extension chain longer than 8 headers or
 * running past the payload" are malformed; the extension headers walked
 * are hop-by-hop, routing, fragment, destination options and AH (ESP is
 * "an unprotected protocol"); a fragment header with a non-zero offset
 * makes a later fragment.
 */
static int ipv6(struct judge *j, const __u8 *ip, size_t avail,
		struct packet *pkt)
{
	size_t end, cursor = 40, len;
	unsigned int count = 0;
	__u8 next;

	if (avail < 40)
		return decide(j, CAS_REASON_MALFORMED, "IPv6 header cut short");
	if (ip[0] >> 4 != 6)
		return decide(j, CAS_REASON_MALFORMED, "IPv6 version %u",
			      ip[0] >> 4);
	if (be16(ip + 4) == 0)
		return decide(j, CAS_REASON_MALFORMED,
			      "IPv6 payload length 0 (jumbogram)");
	end = 40 + be16(ip + 4);
	if (end > avail)
		return decide(j, CAS_REASON_MALFORMED,
			      "IPv6 payload length past the frame");
	pkt->family = AF_INET6;
	pkt->src = ip + 8;
	pkt->ttl = ip[7];
	next = ip[6];
	for (;;) {
		switch (next) {
		case 0:	 /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
		case 51: /* AH */
		case 44: /* fragment */
			if (++count > CAS_MAX_IPV6_EXT_HDRS)
				return decide(
					j, CAS_REASON_MALFORMED,
					"extension header %u: chain longer than %d",
					count, CAS_MAX_IPV6_EXT_HDRS);
			if (next == 44) {
				if (cursor + 8 > end)
					return decide(
						j, CAS_REASON_MALFORMED,
						"fragment header past the payload");
				if (be16(ip + cursor + 2) & 0xfff8)
					return decide(j, CAS_REASON_FRAGMENT,
						      "IPv6 later fragment");
				len = 8;
			} else {
				if (cursor + 2 > end)
					return decide(
						j, CAS_REASON_MALFORMED,
						"extension header %u cut short",
						count);
				len = next == 51 ? (ip[cursor + 1] + 2) * 4 :
						   (ip[cursor + 1] + 1) * 8;
				if (cursor + len > end)
					return decide(
						j, CAS_REASON_MALFORMED,
						"extension header %u runs past the payload",
						count);
			}
			next = ip[cursor];
			cursor += len;
			break;
		case PROTO_ICMPV6:
			if (cursor + 1 > end)
				return decide(j, CAS_REASON_MALFORMED,
					      "ICMPv6 without a type");
			return icmp6_needed(ip[cursor]) ?
				       decide(j, CAS_REASON_CONTROL,
					      "ICMPv6 type %u", ip[cursor]) :
				       decide(j, CAS_REASON_UNPROTECTED,
					      "ICMPv6 type %u", ip[cursor]);
		default:
			return transport(j, next, ip + cursor, end - cursor,
					 pkt);
		}
	}
}

/*
 * Ethernet and "up to two VLAN tags" (802.1Q or 802.1ad, in any order):
 * "more than two VLAN tags" is malformed, so is a frame shorter than its
 * headers. "ARP ... pass as control", other ethertypes "as unprotected".
 */
static int parse(struct judge *j, const __u8 *frame, size_t len,
		 struct packet *pkt)
{
	size_t cursor = ETH_HLEN;
	unsigned int type, tags = 0;

	if (len < ETH_HLEN)
		return decide(j, CAS_REASON_MALFORMED,
			      "frame shorter than Ethernet");
	pkt->src_mac = frame + 6;
	type = be16(frame + 12);
	while (type == TPID_8021Q || type == TPID_8021AD) {
		if (tags == CAS_MAX_VLAN_TAGS)
			return decide(j, CAS_REASON_MALFORMED,
				      "more than two VLAN tags");
		if (cursor + 4 > len)
			return decide(j, CAS_REASON_MALFORMED,
				      "VLAN tag cut short");
		type = be16(frame + cursor + 2);
		cursor += 4;
		tags++;
	}
	if (type == ETHERTYPE_IPV4)
		return ipv4(j, frame + cursor, len - cursor, pkt);
	if (type == ETHERTYPE_IPV6)
		return ipv6(j, frame + cursor, len - cursor, pkt);
	if (type == ETHERTYPE_ARP)
		return decide(j, CAS_REASON_CONTROL, "ARP");
	return decide(j, CAS_REASON_UNPROTECTED, "ethertype 0x%04x", type);
}

/*
 * GREASE (RFC 8701) versions are 0x0a0a, 0x1a1a, ... 0xfafa. The program
 * leaves out every 0x?a?a, the sixteen and 240 values no TLS version has
 * ever used: that only lowers the version of a hello that lists junk, so
 * the model reads "non-GREASE" the same way.
 */
static int tls_grease(unsigned int version)
{
	return (version & 0x0f0f) == 0x0a0a;
}

/*
 * n bytes at off of the hello: inside the segment, and starting within
 * the scan limit. "Within the first 2048 bytes" is read as the program
 * reads it, a read that starts there (it may end a few bytes past): the
 * cipher suites' length, an extension's header (with the version list's
 * length for supported_versions), a listed version.
 */
static int tls_has(size_t len, size_t off, size_t n)
{
	return off + n <= len && off < TLS_SCAN_LIMIT;
}

/*
 * ratelimit.md: with a floor of 1.3 and a legacy version of 1.2, "the
 * extensions are walked (up to 32 extensions, within the first 2048 bytes
 * of the segment) for supported_versions (type 0x002b), whose highest
 * non-GREASE entry is the offered version. If every extension was walked
 * and none lists the versions, the legacy version stands. A list of more
 * than 8 entries is not read, and the hello cannot be judged." What cannot
 * be read in the segment cannot be judged either: unknown.
 */
static int tls_offered(const __u8 *p, size_t len, int legacy)
{
	size_t off = 43, ext_end; /* 5 + 4 + 2 + 32: the session id */
	unsigned int i, k, count, best;

	if (!tls_has(len, off, 1))
		return TLS_VERSION_UNKNOWN;
	off += 1 + p[off];
	if (!tls_has(len, off, 2))
		return TLS_VERSION_UNKNOWN;
	off += 2 + be16(p + off); /* cipher suites */
	if (!tls_has(len, off, 1))
		return TLS_VERSION_UNKNOWN;
	off += 1 + p[off]; /* compression methods */
	if (!tls_has(len, off, 2))
		return TLS_VERSION_UNKNOWN;
	ext_end = off + 2 + be16(p + off);
	off += 2;
	for (i = 0;; i++) {
		if (off >= ext_end)
			return legacy; /* every extension walked */
		if (i == TLS_MAX_EXTENSIONS)
			return TLS_VERSION_UNKNOWN; /* the 33rd is not read */
		if (!tls_has(len, off, 4))	    /* type and length */
			return TLS_VERSION_UNKNOWN;
		if (be16(p + off) != TLS_SUPPORTED_VERS) {
			off += 4 + be16(p + off + 2);
			continue;
		}
		/* the list's length, read with the header that it ends */
		if (!tls_has(len, off, 5))
			return TLS_VERSION_UNKNOWN;
		count = p[off + 4] / 2;
		/* "A list of more than 8 entries is not read" */
		if (count > 8)
			return TLS_VERSION_UNKNOWN;
		best = 0;
		for (k = 0; k < count; k++) {
			unsigned int v;

			if (!tls_has(len, off + 5 + 2 * k, 2))
				return TLS_VERSION_UNKNOWN;
			v = be16(p + off + 5 + 2 * k);
			if (!tls_grease(v) && v > best)
				best = v;
		}
		return best ? (int)best : legacy;
	}
}

/*
 * ratelimit.md, "TLS ClientHello recognition": the payload begins with a
 * handshake record (22), major version 3, handshake type 1; or "the start
 * of a handshake record (16 03) too short to show the handshake type
 * (fewer than 6 bytes)"; or an SSLv2-compatible ClientHello ("2-byte
 * length with the high bit set, message type 1"), "even cut before its
 * version", or "the start of an SSLv2-compatible record ... too short to
 * show the message type (1 or 2 bytes)". The version offered:
 * "the legacy version (client_version, bytes 9-10)", "for an
 * SSLv2-compatible hello, its version field" (bytes 3-4); unknown when
 * the segment ends before it.
 */
static int tls_client_hello(const __u8 *p, size_t len, __u16 min_tls,
			    int *version)
{
	int legacy;

	*version = TLS_VERSION_UNKNOWN;
	if (!len)
		return 0;
	if (p[0] & 0x80) {
		/* "too short to show the message type (1 or 2 bytes)" */
		if (len < 3)
			return 1;
		if (p[2] != 1)
			return 0;
		if (len >= 5)
			*version = be16(p + 3);
		return 1;
	}
	if (p[0] != 22)
		return 0;
	/*
	 * Cut short before the handshake type: a hello. The documents say
	 * "(16 03)"; the program does not look at the 03 of a segment this
	 * short, and counting a junk 16 xx as a hello only limits what no
	 * client sends: read as "begins with 22".
	 */
	if (len < 6)
		return 1;
	if (p[1] != 3 || p[5] != 1)
		return 0;
	if (len < 11)
		return 1;
	legacy = be16(p + 9);
	*version = legacy;
	if (min_tls == CAS_TLS_1_3 && legacy == CAS_TLS_1_2)
		*version = tls_offered(p, len, legacy);
	return 1;
}

static int port_in(const struct model_port *ports, unsigned int count,
		   __u16 port, __u8 proto)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (ports[i].port == port && ports[i].proto == proto)
			return 1;
	return 0;
}

static int prefix_covers(const struct model_rule *rule, const __u8 *addr)
{
	unsigned int full = rule->prefixlen / 8, rest = rule->prefixlen % 8;

	if (memcmp(rule->addr, addr, full))
		return 0;
	return !rest || !((rule->addr[full] ^ addr[full]) & (0xff00 >> rest));
}

/* "The most specific matching rule decides": a scan of every rule. */
static int longest_match(const struct model_ruleset *set,
			 const struct packet *pkt)
{
	int best = -1;
	unsigned int i;

	for (i = 0; i < set->rule_count; i++) {
		const struct model_rule *rule = &set->rules[i];

		if (rule->family != pkt->family ||
		    !prefix_covers(rule, pkt->src))
			continue;
		if (best < 0 || rule->prefixlen > set->rules[best].prefixlen)
			best = i;
	}
	return best;
}

static const char *proto_name(__u8 proto)
{
	return proto == CAS_PROTO_TCP ? "tcp" : "udp";
}

/*
 * design.md steps 3-7 and ratelimit.md "Where the checks sit": protected
 * port, most specific rule and its ports, identity, SYN buckets (source,
 * rule, global), then for a segment carrying a ClientHello the TLS floor
 * and the hello buckets (rule, global).
 */
static int policy(struct judge *j, const struct packet *pkt, int *hit)
{
	const struct model_ruleset *set = j->set;
	const struct model_rule *rule;
	int index, version, syn;

	if (!port_in(set->ports, set->port_count, pkt->dport, pkt->proto))
		return decide(j, CAS_REASON_UNPROTECTED,
			      "port %u/%s not protected", pkt->dport,
			      proto_name(pkt->proto));
	index = longest_match(set, pkt);
	if (index < 0)
		return decide(j, CAS_REASON_NOT_ALLOWED,
			      "no rule covers the source");
	rule = &set->rules[index];
	if (rule->port_count &&
	    !port_in(rule->ports, rule->port_count, pkt->dport, pkt->proto))
		return decide(j, CAS_REASON_NOT_ALLOWED,
			      "rule %d does not list %u/%s", index, pkt->dport,
			      proto_name(pkt->proto));
	if (rule->match_mac && memcmp(rule->mac, pkt->src_mac, 6))
		return decide(j, CAS_REASON_SPOOFED, "rule %d: MAC differs",
			      index);
	if (rule->match_ttl &&
	    (pkt->ttl < rule->ttl_min || pkt->ttl > rule->ttl_max))
		return decide(j, CAS_REASON_SPOOFED,
			      "rule %d: TTL %u outside %u-%u", index, pkt->ttl,
			      rule->ttl_min, rule->ttl_max);
	if (pkt->proto != CAS_PROTO_TCP)
		return *hit = index, decide(j, CAS_REASON_ALLOWED,
					    "rule %d allows UDP", index);
	/* "a SYN (SYN set, ACK clear)" */
	syn = (pkt->tcp_flags & 0x12) == 0x02;
	if (syn) {
		if (rule->source_syn.state != MODEL_OFF &&
		    set->sketch == MODEL_EMPTY)
			return decide(j, CAS_REASON_SYN_RATE_SOURCE,
				      "rule %d: source bucket empty", index);
		if (rule->syn.state == MODEL_EMPTY)
			return decide(j, CAS_REASON_SYN_RATE_RULE,
				      "rule %d: SYN bucket empty", index);
		if (set->global_syn.state == MODEL_EMPTY)
			return decide(j, CAS_REASON_SYN_RATE_GLOBAL,
				      "global SYN bucket empty");
	}
	/* A SYN may carry a hello (TCP Fast Open): it is judged as one too. */
	if (tls_client_hello(pkt->payload, pkt->payload_len, set->min_tls,
			     &version)) {
		if (set->min_tls && version != TLS_VERSION_UNKNOWN &&
		    version < set->min_tls)
			return decide(j, CAS_REASON_TLS_VERSION,
				      "hello offers 0x%04x, floor 0x%04x",
				      version, set->min_tls);
		if (rule->hello.state == MODEL_EMPTY)
			return decide(j, CAS_REASON_HELLO_RATE,
				      "rule %d: hello bucket empty", index);
		if (set->global_hello.state == MODEL_EMPTY)
			return decide(j, CAS_REASON_HELLO_RATE,
				      "global hello bucket empty");
	}
	*hit = index;
	return decide(j, CAS_REASON_ALLOWED, "rule %d allows", index);
}

static const int reason_drops[] = {
#define MODEL_KIND(id, name, kind) [CAS_REASON_##id] = kind == CAS_VERDICT_DROP,
	CAS_REASONS(MODEL_KIND)
#undef MODEL_KIND
};

__u32 model_action(const struct model_ruleset *set, enum cas_reason reason)
{
	if (!reason_drops[reason])
		return CAS_ACTION_PASS;
	/* "monitor: count drops as would_drop, drop nothing" */
	return set->monitor ? CAS_ACTION_WOULD_DROP : CAS_ACTION_DROP;
}

void model_judge(const struct model_ruleset *set, const __u8 *frame, size_t len,
		 struct model_verdict *verdict, char *why, size_t why_len)
{
	struct judge j = { .set = set, .why = why, .why_len = why_len };
	struct packet pkt = { 0 };
	int reason, hit = -1;

	reason = parse(&j, frame, len, &pkt);
	if (reason == TO_POLICY)
		reason = policy(&j, &pkt, &hit);
	verdict->reason = reason;
	verdict->rule = hit;
	verdict->xdp = model_action(set, reason) == CAS_ACTION_DROP ? XDP_DROP :
								      XDP_PASS;
}
