// SPDX-License-Identifier: GPL-2.0
/*
 * frames.c - frames aimed at a ruleset, built field by field (every length
 * and flag is chosen here, not derived), then damaged on purpose. The
 * model judges the bytes that come out, so nothing here needs to know
 * what the verdict should be.
 */
#include <string.h>
#include <sys/socket.h>

#include "frames.h"

struct out {
	__u8 *buf;
	size_t len;
};

static void put8(struct out *o, unsigned int v)
{
	if (o->len < FZ_FRAME_MAX)
		o->buf[o->len++] = v;
}

static void put16(struct out *o, unsigned int v)
{
	put8(o, v >> 8);
	put8(o, v);
}

static void put_random(struct out *o, struct fz_rng *rng, size_t n)
{
	if (n > FZ_FRAME_MAX - o->len)
		n = FZ_FRAME_MAX - o->len;
	fz_bytes(rng, o->buf + o->len, n);
	o->len += n;
}

static void put_fill(struct out *o, __u8 byte, size_t n)
{
	while (n-- && o->len < FZ_FRAME_MAX)
		put8(o, byte);
}

/* Rewrite a byte already written (nothing if it was not). */
static void poke(struct out *o, size_t at, unsigned int v)
{
	if (at < o->len)
		o->buf[at] = v;
}

static void set16(struct out *o, size_t at, unsigned int v)
{
	if (at + 2 <= o->len) {
		o->buf[at] = v >> 8;
		o->buf[at + 1] = v;
	}
}

/* Rules of one family, for aiming. */
static const struct model_rule *
pick_rule(struct fz_rng *rng, const struct model_ruleset *set, __u8 family)
{
	unsigned int i, seen = 0;
	const struct model_rule *chosen = NULL;

	for (i = 0; i < set->rule_count; i++) /* reservoir of one */
		if (set->rules[i].family == family &&
		    fz_below(rng, ++seen) == 0)
			chosen = &set->rules[i];
	return chosen;
}

static void addr_step(__u8 *addr, unsigned int bytes, int up)
{
	int i;

	for (i = bytes - 1; i >= 0; i--) {
		addr[i] += up ? 1 : -1;
		if (addr[i] != (up ? 0 : 0xff))
			break;
	}
}

/* Host bits of a prefix: random, all zero or all one. */
static void fill_host(struct fz_rng *rng, __u8 *addr, unsigned int from,
		      unsigned int bits, int how)
{
	unsigned int bit;

	for (bit = from; bit < bits; bit++) {
		int on = how == 0 ? fz_chance(rng, 50) : how == 1 ? 0 : 1;
		__u8 mask = 0x80 >> (bit % 8);

		addr[bit / 8] =
			on ? addr[bit / 8] | mask : addr[bit / 8] & ~mask;
	}
}

static void pick_source(struct fz_rng *rng, const struct model_ruleset *set,
			__u8 family, __u8 *addr)
{
	const struct model_rule *rule = pick_rule(rng, set, family);
	unsigned int bits = family == AF_INET ? 32 : 128, roll;

	memset(addr, 0, 16);
	fz_bytes(rng, addr, bits / 8);
	roll = fz_below(rng, 100);
	if (!rule || roll >= 85) {
		if (family == AF_INET6 && fz_chance(rng, 30)) {
			addr[0] = 0x20, addr[1] = 0x01, addr[2] = 0x0d;
			addr[3] = 0xb8;
		}
		return;
	}
	memcpy(addr, rule->addr, bits / 8);
	if (roll < 50) { /* inside, often at its first or last address */
		fill_host(rng, addr, rule->prefixlen, bits,
			  fz_chance(rng, 70) ? 0 : fz_range(rng, 1, 2));
	} else if (roll < 65) { /* just before or just after it */
		int after = fz_chance(rng, 50);

		fill_host(rng, addr, rule->prefixlen, bits, after ? 2 : 1);
		addr_step(addr, bits / 8, after);
	} else if (roll < 75) { /* its sibling */
		if (rule->prefixlen)
			addr[(rule->prefixlen - 1) / 8] ^=
				0x80 >> ((rule->prefixlen - 1) % 8);
		fill_host(rng, addr, rule->prefixlen, bits, 0);
	} else { /* its /16 or /48 (the prefilter's slot), elsewhere */
		fill_host(rng, addr, family == AF_INET ? 16 : 48, bits, 0);
	}
}

/* A destination port, often protected (for this protocol or the other). */
static __u16 pick_port(struct fz_rng *rng, const struct model_ruleset *set,
		       __u8 proto)
{
	unsigned int roll = fz_below(rng, 100), tries;
	const struct model_port *port;

	if (!set->port_count || roll >= 80)
		return fz_chance(rng, 80) ? fz_next(rng) :
		       fz_chance(rng, 50) ? 0 :
					    65535;
	for (tries = 0; tries < 8; tries++) {
		port = &set->ports[fz_below(rng, set->port_count)];
		if (port->proto == proto || roll >= 60)
			break;
	}
	if (roll >= 70)
		return port->port + (fz_chance(rng, 50) ? 1 : -1);
	return port->port;
}

static __u8 pick_ttl(struct fz_rng *rng, const struct model_ruleset *set,
		     __u8 family)
{
	const struct model_rule *rule = pick_rule(rng, set, family);

	if (rule && rule->match_ttl && fz_chance(rng, 60)) {
		switch (fz_below(rng, 4)) {
		case 0:
			return rule->ttl_min - 1;
		case 1:
			return rule->ttl_min;
		case 2:
			return rule->ttl_max;
		default:
			return rule->ttl_max + 1;
		}
	}
	if (fz_chance(rng, 10))
		return fz_chance(rng, 50) ? 0 : 255;
	return fz_chance(rng, 50) ? 64 : fz_next(rng);
}

static void put_mac(struct out *o, struct fz_rng *rng,
		    const struct model_ruleset *set)
{
	const struct model_rule *rule = NULL;
	__u8 mac[6] = { 2, 0, 0, 0, 0, 2 };
	unsigned int i;

	for (i = 0; i < set->rule_count && !rule; i++)
		if (set->rules[i].match_mac && fz_chance(rng, 40))
			rule = &set->rules[i];
	if (rule) {
		memcpy(mac, rule->mac, 6);
		if (fz_chance(rng, 20))
			mac[fz_below(rng, 6)] ^= 1 << fz_below(rng, 8);
	} else if (fz_chance(rng, 50)) {
		fz_bytes(rng, mac, 6);
	}
	for (i = 0; i < 6; i++)
		put8(o, mac[i]);
}

static unsigned int pick_version(struct fz_rng *rng)
{
	static const __u16 versions[] = { 0x0304, 0x0304, 0x0304, 0x0303,
					  0x0303, 0x0302, 0x0301, 0x0300 };
	unsigned int roll = fz_below(rng, 100), nibble;

	if (roll < 70)
		return versions[fz_below(rng, 8)];
	nibble = fz_below(rng, 16);
	if (roll < 85) /* GREASE, RFC 8701 */
		return (nibble << 12) | 0x0a00 | (nibble << 4) | 0x0a;
	if (roll < 90) /* GREASE-like, but its two bytes differ */
		return (nibble << 12) | 0x0a00 | (((nibble + 1) & 15) << 4) |
		       0x0a;
	return fz_next(rng) >> 48;
}

/* supported_versions: its length, the list's length and the entries. */
static void put_supported_versions(struct out *o, struct fz_rng *rng)
{
	unsigned int n = fz_chance(rng, 90) ? fz_range(rng, 0, 12) :
					      fz_range(rng, 13, 40),
		     i;

	put16(o, 0x002b);
	put16(o, fz_chance(rng, 90) ? 1 + 2 * n : fz_range(rng, 0, 90));
	put8(o, fz_chance(rng, 90) ? 2 * n : fz_range(rng, 0, 255));
	for (i = 0; i < n; i++)
		put16(o, pick_version(rng));
}

static void put_extension(struct out *o, struct fz_rng *rng)
{
	unsigned int type, len, roll = fz_below(rng, 100);

	do
		type = fz_chance(rng, 50) ? fz_range(rng, 0, 64) :
					    fz_next(rng) >> 48;
	while (type == 0x002b);
	len = roll < 30 ? 0 :
	      roll < 90 ? fz_range(rng, 1, 40) :
	      roll < 97 ? fz_range(rng, 41, 300) :
			  fz_range(rng, 500, 2000); /* padding */
	put16(o, type);
	put16(o, len);
	if (fz_chance(rng, 50))
		put_fill(o, 0, len);
	else
		put_random(o, rng, len);
}

/*
 * A padding extension that makes the next one start at offset target of
 * the hello (if there is room): where the walk meets its 2048-byte limit.
 */
static void put_padding_to(struct out *o, struct fz_rng *rng, size_t hello,
			   size_t target)
{
	size_t at = o->len - hello;

	if (at + 4 > target)
		return;
	put16(o, 0x0015);
	put16(o, target - at - 4);
	if (fz_chance(rng, 50))
		put_fill(o, 0, target - at - 4);
	else
		put_random(o, rng, target - at - 4);
}

/* A TLS record carrying a ClientHello, lengths mostly right. */
static void put_client_hello(struct out *o, struct fz_rng *rng)
{
	static const __u16 legacy[] = { 0x0303, 0x0303, 0x0303, 0x0303,
					0x0301, 0x0302, 0x0304, 0x0300 };
	size_t record = o->len, handshake, body, ext;
	unsigned int count, sv, i, n;

	put8(o, 22);
	put16(o, fz_chance(rng, 90) ? 0x0301 + fz_below(rng, 3) :
				      fz_next(rng) >> 48);
	put16(o, 0);
	put8(o, fz_chance(rng, 95) ? 1 : fz_next(rng));
	handshake = o->len;
	put8(o, 0);
	put16(o, 0);
	body = o->len;
	put16(o, fz_chance(rng, 90) ? legacy[fz_below(rng, 8)] :
				      fz_next(rng) >> 48);
	put_random(o, rng, 32);
	n = fz_chance(rng, 95) ? fz_range(rng, 0, 32) : fz_range(rng, 33, 255);
	put8(o, n);
	put_random(o, rng, n);
	n = fz_chance(rng, 95) ? 2 * fz_range(rng, 1, 20) :
				 fz_range(rng, 0, 300);
	put16(o, n);
	put_random(o, rng, n);
	put8(o, 1);
	put8(o, 0);
	ext = o->len;
	put16(o, 0);
	n = fz_below(rng, 100);
	count = n < 70 ? fz_range(rng, 0, 12) :
		n < 90 ? fz_range(rng, 13, 31) :
			 fz_range(rng, 32, 40);
	sv = fz_chance(rng, 75) ? fz_range(rng, 0, count) : count + 1;
	for (i = 0; i <= count; i++) {
		if (i == sv && fz_chance(rng, 10))
			put_padding_to(o, rng, record,
				       fz_range(rng, 2036, 2052));
		if (i == sv)
			put_supported_versions(o, rng);
		if (i < count)
			put_extension(o, rng);
	}
	set16(o, ext,
	      fz_chance(rng, 90) ? o->len - ext - 2 : fz_next(rng) >> 48);
	set16(o, handshake + 1, o->len - body);
	set16(o, record + 3, o->len - record - 5);
}

/* SSLv2-compatible: [len with the high bit][type][version][...]. */
static void put_sslv2_hello(struct out *o, struct fz_rng *rng)
{
	static const __u16 versions[] = { 0x0002, 0x0300, 0x0301, 0x0303 };
	unsigned int n = fz_range(rng, 9, 60);

	put16(o, 0x8000 | (n + 3));
	put8(o, fz_chance(rng, 90) ? 1 : fz_next(rng));
	put16(o, fz_chance(rng, 90) ? versions[fz_below(rng, 4)] :
				      fz_next(rng) >> 48);
	put_random(o, rng, n);
}

static void put_tcp_payload(struct out *o, struct fz_rng *rng)
{
	unsigned int roll = fz_below(rng, 100);
	size_t start = o->len;

	if (roll < 35)
		return;
	if (roll < 70) {
		put_client_hello(o, rng);
	} else if (roll < 77) {
		put_sslv2_hello(o, rng);
	} else if (roll < 85) { /* another record: application data, alert */
		put8(o, fz_chance(rng, 50) ? 23 : 21);
		put16(o, 0x0303);
		put_random(o, rng, fz_range(rng, 2, 40));
	} else {
		put_random(o, rng, fz_range(rng, 1, 100));
	}
	/* a hello cut short in its first bytes: the fail-closed rule */
	if (roll < 77 && fz_chance(rng, 25)) {
		size_t cut = start + fz_range(rng, 1, 12);

		if (cut < o->len)
			o->len = cut;
	}
}

static void put_tcp(struct out *o, struct fz_rng *rng,
		    const struct model_ruleset *set)
{
	static const __u8 flags[] = { 0x02, 0x02, 0x02, 0x10, 0x18,
				      0x18, 0x12, 0x04, 0x11, 0x00 };
	unsigned int doff = 5, roll = fz_below(rng, 100);

	if (roll < 20)
		doff = fz_range(rng, 6, 15);
	else if (roll < 24)
		doff = fz_range(rng, 0, 4);
	put16(o, fz_next(rng));
	put16(o, pick_port(rng, set, CAS_PROTO_TCP));
	put_random(o, rng, 8); /* seq, ack */
	put8(o, doff << 4);
	put8(o, fz_chance(rng, 85) ? flags[fz_below(rng, sizeof(flags))] :
				     fz_next(rng));
	put16(o, 65535);
	put_random(o, rng, 4); /* checksum, urgent */
	if (doff > 5)
		put_random(o, rng, (doff - 5) * 4);
	put_tcp_payload(o, rng);
}

static void put_udp(struct out *o, struct fz_rng *rng,
		    const struct model_ruleset *set)
{
	size_t start = o->len;

	put16(o, fz_next(rng));
	put16(o, pick_port(rng, set, CAS_PROTO_UDP));
	put16(o, 0);
	put16(o, 0);
	if (fz_chance(rng, 20))
		put_client_hello(o, rng);
	else
		put_random(o, rng, fz_range(rng, 0, 100));
	set16(o, start + 4, o->len - start);
}

static void put_icmp(struct out *o, struct fz_rng *rng, int v6)
{
	static const __u8 v4[] = { 0, 3, 8, 11, 12, 5, 13 };
	static const __u8 v6t[] = {
		1, 2, 3, 4, 128, 129, 130, 133, 135, 143, 5
	};

	if (fz_chance(rng, 70))
		put8(o, v6 ? v6t[fz_below(rng, sizeof(v6t))] :
			     v4[fz_below(rng, sizeof(v4))]);
	else
		put8(o, fz_next(rng));
	put_random(o, rng, 7 + fz_below(rng, 40));
}

/* The transport after an IP header; returns the IP protocol used. */
static __u8 pick_l4(struct fz_rng *rng, int v6)
{
	static const __u8 others[] = { 47, 50, 51, 132, 0, 255, 59, 41, 4 };
	unsigned int roll = fz_below(rng, 100);

	if (roll < 55)
		return 6;
	if (roll < 75)
		return 17;
	if (roll < 87)
		return v6 ? 58 : 1;
	return fz_chance(rng, 80) ? others[fz_below(rng, sizeof(others))] :
				    fz_next(rng);
}

static void put_l4(struct out *o, struct fz_rng *rng,
		   const struct model_ruleset *set, __u8 proto)
{
	if (proto == 6)
		put_tcp(o, rng, set);
	else if (proto == 17)
		put_udp(o, rng, set);
	else if (proto == 1 || proto == 58)
		put_icmp(o, rng, proto == 58);
	else
		put_random(o, rng, fz_range(rng, 0, 60));
}

static __u16 checksum(const __u8 *p, size_t len)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* An IP length field: mostly right, sometimes a little or a lot off. */
static unsigned int skew_length(struct fz_rng *rng, unsigned int right)
{
	unsigned int roll = fz_below(rng, 100);

	if (roll < 88)
		return right;
	if (roll < 96)
		return right + fz_range(rng, 0, 16) - 8;
	return fz_next(rng) >> 48;
}

static void put_ipv4(struct out *o, struct fz_rng *rng,
		     const struct model_ruleset *set)
{
	size_t ip = o->len;
	unsigned int ihl = fz_chance(rng, 75) ? 5 : fz_range(rng, 6, 15);
	unsigned int roll = fz_below(rng, 100), frag = 0, i;
	__u8 src[16], proto = pick_l4(rng, 0);

	if (fz_chance(rng, 2))
		ihl = fz_range(rng, 0, 4);
	put8(o, (fz_chance(rng, 98) ? 0x40 : fz_next(rng) & 0xf0) | ihl);
	put8(o, 0);
	put16(o, 0); /* total length, below */
	put16(o, fz_next(rng));
	if (roll < 10) /* first fragment */
		frag = 0x2000;
	else if (roll < 20) /* later fragment */
		frag = fz_range(rng, 1, 0x1fff) |
		       (fz_chance(rng, 50) ? 0x2000 : 0);
	else if (roll < 60)
		frag = 0x4000; /* DF */
	put16(o, frag);
	put8(o, pick_ttl(rng, set, AF_INET));
	put8(o, proto);
	put16(o, 0);
	pick_source(rng, set, AF_INET, src);
	for (i = 0; i < 4; i++)
		put8(o, src[i]);
	put_random(o, rng, 4);
	if (ihl > 5) { /* options: NOPs, or anything */
		if (fz_chance(rng, 50))
			put_fill(o, 1, (ihl - 5) * 4);
		else
			put_random(o, rng, (ihl - 5) * 4);
	}
	put_l4(o, rng, set, proto);
	set16(o, ip + 2, skew_length(rng, o->len - ip));
	if (ip + 20 <= o->len)
		set16(o, ip + 10, checksum(o->buf + ip, 20));
}

/* IPv6 extension headers, then the transport. */
static void put_ipv6_chain(struct out *o, struct fz_rng *rng,
			   const struct model_ruleset *set, size_t next_at)
{
	static const __u8 types[] = { 0, 43, 60, 44, 51 };
	unsigned int count = 0, i, len, roll = fz_below(rng, 100);
	__u8 proto = pick_l4(rng, 1);

	if (roll >= 55)
		count = roll < 80 ? fz_range(rng, 1, 3) :
			roll < 92 ? fz_range(rng, 4, 9) :
				    fz_range(rng, 8, 11);
	for (i = 0; i < count; i++) {
		__u8 type = types[fz_below(rng, sizeof(types))];

		poke(o, next_at, type);
		next_at = o->len;
		put8(o, 0);
		if (type == 44) {
			unsigned int off = fz_chance(rng, 70) ?
						   0 :
						   fz_range(rng, 1, 0x1fff);

			put8(o, 0);
			put16(o, off << 3 | fz_below(rng, 2));
			put_random(o, rng, 4);
			continue;
		}
		len = fz_chance(rng, 90) ? fz_range(rng, 0, 3) :
					   fz_below(rng, 256);
		if (type == 51 && len == 0 && fz_chance(rng, 80))
			len = 1;
		put8(o, len);
		len = type == 51 ? (len + 2) * 4 : (len + 1) * 8;
		if (len > 2)
			put_random(o, rng, len - 2);
	}
	poke(o, next_at, proto);
	put_l4(o, rng, set, proto);
}

static void put_ipv6(struct out *o, struct fz_rng *rng,
		     const struct model_ruleset *set)
{
	size_t ip = o->len;
	__u8 src[16];
	int i;

	put8(o, fz_chance(rng, 98) ? 0x60 : fz_next(rng) & 0xf0);
	put_random(o, rng, 3); /* traffic class, flow label */
	put16(o, 0);	       /* payload length, below */
	put8(o, 0);	       /* next header, by the chain */
	put8(o, pick_ttl(rng, set, AF_INET6));
	pick_source(rng, set, AF_INET6, src);
	for (i = 0; i < 16; i++)
		put8(o, src[i]);
	put_random(o, rng, 16);
	if (o->len < ip + 40)
		return;
	put_ipv6_chain(o, rng, set, ip + 6);
	set16(o, ip + 4, skew_length(rng, o->len - ip - 40));
}

static void put_vlans(struct out *o, struct fz_rng *rng)
{
	unsigned int roll = fz_below(rng, 100), tags, i;

	tags = roll < 65 ? 0 : roll < 85 ? 1 : roll < 97 ? 2 : 3;
	for (i = 0; i < tags; i++) {
		unsigned int tpid = fz_chance(rng, 50) ? 0x8100 : 0x88a8;

		if (fz_chance(rng, 3))
			tpid = 0x9100; /* old QinQ: not a tag to the shield */
		put16(o, tpid);
		put16(o, fz_range(rng, 0, 4095));
	}
}

/* Damage: cut, flip, overwrite, append. */
static void mutate(struct out *o, struct fz_rng *rng)
{
	unsigned int rounds = fz_range(rng, 1, 3), roll;

	while (rounds--) {
		roll = fz_below(rng, 100);
		if (roll < 40 && o->len > FZ_FRAME_MIN) {
			o->len = fz_range(rng, FZ_FRAME_MIN, o->len - 1);
		} else if (roll < 70 && o->len) {
			size_t span = o->len < 120 ? o->len : 120;

			o->buf[fz_below(rng, span)] ^= 1 << fz_below(rng, 8);
		} else if (roll < 85 && o->len) {
			o->buf[fz_below(rng, o->len)] =
				fz_chance(rng, 50) ? fz_next(rng) :
				fz_chance(rng, 50) ? 0 :
						     0xff;
		} else {
			put_random(o, rng, fz_range(rng, 1, 64));
		}
	}
}

size_t fz_frame(struct fz_rng *rng, const struct model_ruleset *set, __u8 *buf)
{
	struct out o = { .buf = buf };
	unsigned int roll = fz_below(rng, 100);

	if (roll < 2) { /* anything, often little more than Ethernet */
		put_random(&o, rng,
			   fz_range(rng, FZ_FRAME_MIN,
				    fz_chance(rng, 50) ? 24 : 200));
		return o.len;
	}
	put8(&o, 0x02);
	put_random(&o, rng, 5);
	put_mac(&o, rng, set);
	put_vlans(&o, rng);
	if (roll < 47) {
		put16(&o, 0x0800);
		put_ipv4(&o, rng, set);
	} else if (roll < 92) {
		put16(&o, 0x86dd);
		put_ipv6(&o, rng, set);
	} else if (roll < 96) {
		put16(&o, 0x0806);
		put_random(&o, rng, 28);
	} else {
		put16(&o, fz_chance(rng, 50) ? 0x88b5 : fz_next(rng) >> 48);
		put_random(&o, rng, fz_range(rng, 0, 60));
	}
	if (o.len < 60 && fz_chance(rng, 50)) /* Ethernet's minimum */
		put_fill(&o, 0, 60 - o.len);
	if (fz_chance(rng, 5))
		put_random(&o, rng, fz_range(rng, 1, 32));
	if (fz_chance(rng, 15))
		mutate(&o, rng);
	if (o.len < FZ_FRAME_MIN) /* cut by the end of the buffer: never */
		o.len = FZ_FRAME_MIN;
	return o.len;
}

void fz_hex(FILE *out, const __u8 *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(out, "%s%02x%s", i % 16 ? "" : "  ", buf[i],
			i % 16 == 15 || i + 1 == len ? "\n" : " ");
}
