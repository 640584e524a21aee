// SPDX-License-Identifier: GPL-2.0
/* ruleset.c - random rulesets that visit the edges of the policy. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "ruleset.h"

static const __u16 common_ports[] = { 443, 80, 53, 22, 8443, 1, 65535, 1024 };
static const __u8 v4_edges[] = {
	0, 1, 2, 8, 15, 16, 17, 23, 24, 25, 30, 31, 32
};
static const __u8 v6_edges[] = { 0,  1,	 31, 32, 33, 47,  48, 49,
				 56, 63, 64, 65, 96, 127, 128 };

static unsigned int family_bits(__u8 family)
{
	return family == AF_INET ? 32 : 128;
}

static void bit_set(__u8 *addr, unsigned int bit, int on)
{
	if (on)
		addr[bit / 8] |= 0x80 >> (bit % 8);
	else
		addr[bit / 8] &= ~(0x80 >> (bit % 8));
}

static int bit_get(const __u8 *addr, unsigned int bit)
{
	return !!(addr[bit / 8] & (0x80 >> (bit % 8)));
}

/* Clear every bit from len on (of the family's width and beyond). */
static void mask_from(__u8 *addr, unsigned int len)
{
	unsigned int bit;

	for (bit = len; bit < 128; bit++)
		bit_set(addr, bit, 0);
}

static unsigned int random_length(struct fz_rng *rng, __u8 family)
{
	if (family == AF_INET)
		return fz_chance(rng, 60) ?
			       v4_edges[fz_below(rng, sizeof(v4_edges))] :
			       fz_range(rng, 0, 32);
	return fz_chance(rng, 60) ? v6_edges[fz_below(rng, sizeof(v6_edges))] :
				    fz_range(rng, 0, 128);
}

/* Anchors: the addresses of one ruleset cluster around a few of them. */
struct anchors {
	__u8 v4[4][16], v6[4][16];
};

static void anchors_random(struct fz_rng *rng, struct anchors *a)
{
	static const __u8 v6_doc[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < 4; i++) {
		fz_bytes(rng, a->v4[i], 4);
		fz_bytes(rng, a->v6[i], 16);
	}
	/* the ends of the address space, and the documentation prefix */
	if (fz_chance(rng, 20))
		memset(a->v4[0], fz_chance(rng, 50) ? 0 : 0xff, 4);
	if (fz_chance(rng, 20))
		memset(a->v6[0], fz_chance(rng, 50) ? 0 : 0xff, 16);
	if (fz_chance(rng, 50))
		memcpy(a->v6[1], v6_doc, 4);
}

static int same_prefix(const struct model_rule *a, const struct model_rule *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, 16);
}

static int prefix_taken(const struct model_ruleset *set,
			const struct model_rule *rule)
{
	unsigned int i;

	for (i = 0; i < set->rule_count; i++)
		if (same_prefix(&set->rules[i], rule))
			return 1;
	return 0;
}

/* A prefix next to, inside or around one the set already has. */
static int derived_prefix(struct fz_rng *rng, const struct model_ruleset *set,
			  struct model_rule *rule)
{
	const struct model_rule *base;
	unsigned int bits, len, bit;

	if (!set->rule_count)
		return -1;
	base = &set->rules[fz_below(rng, set->rule_count)];
	bits = family_bits(base->family);
	rule->family = base->family;
	memcpy(rule->addr, base->addr, 16);
	len = base->prefixlen;
	switch (fz_below(rng, 4)) {
	case 0: /* nested: longer, inside */
		if (len == bits)
			return -1;
		len = fz_range(rng, len + 1, bits);
		for (bit = base->prefixlen; bit < len; bit++)
			bit_set(rule->addr, bit, fz_chance(rng, 50));
		break;
	case 1: /* covering: shorter */
		if (!len)
			return -1;
		len = fz_range(rng, 0, len - 1);
		break;
	case 2: /* sibling: the other half of the parent */
		if (!len)
			return -1;
		bit_set(rule->addr, len - 1, !bit_get(rule->addr, len - 1));
		break;
	default: /* adjacent: the next block of the same length */
		if (!len)
			return -1;
		for (bit = len; bit-- > 0;) {
			int was = bit_get(rule->addr, bit);

			bit_set(rule->addr, bit, !was);
			if (!was)
				break;
		}
	}
	rule->prefixlen = len;
	mask_from(rule->addr, len);
	return 0;
}

static void fresh_prefix(struct fz_rng *rng, const struct anchors *a,
			 struct model_rule *rule)
{
	rule->family = fz_chance(rng, 55) ? AF_INET : AF_INET6;
	memcpy(rule->addr,
	       rule->family == AF_INET ? a->v4[fz_below(rng, 4)] :
					 a->v6[fz_below(rng, 4)],
	       16);
	rule->prefixlen = random_length(rng, rule->family);
	if (rule->family == AF_INET)
		memset(rule->addr + 4, 0, 12);
	mask_from(rule->addr, rule->prefixlen);
}

/*
 * Buckets in the three states the model knows. Open: rate <= 1000/s and a
 * burst of at least 2^31, a tolerance of weeks no run can spend. Empty:
 * any rate, a burst of at most 1000 (0 means the rate), and the driver
 * sets its arrival time far ahead. Off: rate 0, whatever the burst says.
 */
static void random_limit(struct fz_rng *rng, struct model_limit *limit,
			 enum model_bucket state)
{
	limit->state = state;
	switch (state) {
	case MODEL_OFF:
		limit->rate = 0;
		limit->burst = fz_chance(rng, 90) ? 0 : fz_next(rng);
		break;
	case MODEL_OPEN:
		limit->rate = fz_range(rng, 1, 1000);
		limit->burst = fz_range(rng, 1u << 31, 0xffffffffu);
		break;
	case MODEL_EMPTY:
		limit->rate = fz_chance(rng, 50) ? fz_range(rng, 1, 1000) :
						   fz_range(rng, 1, 1000000000);
		limit->burst = fz_chance(rng, 20) ? 0 : fz_range(rng, 1, 1000);
		break;
	}
}

static enum model_bucket random_state(struct fz_rng *rng)
{
	unsigned int roll = fz_below(rng, 100);

	return roll < 70 ? MODEL_OFF : roll < 85 ? MODEL_OPEN : MODEL_EMPTY;
}

static void random_binding(struct fz_rng *rng, struct model_rule *rule)
{
	static const __u8 windows[][2] = { { 64, 64 },	 { 60, 64 },
					   { 1, 255 },	 { 128, 128 },
					   { 255, 255 }, { 1, 1 } };

	if (fz_chance(rng, 15)) {
		rule->match_mac = true;
		fz_bytes(rng, rule->mac, 6);
		rule->mac[0] = (rule->mac[0] & 0xfe) | 0x02;
	}
	if (fz_chance(rng, 15)) {
		rule->match_ttl = true;
		if (fz_chance(rng, 50)) {
			unsigned int w = fz_below(rng, sizeof(windows) / 2);

			rule->ttl_min = windows[w][0];
			rule->ttl_max = windows[w][1];
		} else {
			/* the CLI refuses min > max and 0; the program may see them */
			rule->ttl_min = fz_next(rng);
			rule->ttl_max =
				fz_chance(rng, 90) ?
					fz_range(rng, rule->ttl_min, 255) :
					(__u8)fz_next(rng);
		}
	}
}

static void random_rule_ports(struct fz_rng *rng,
			      const struct model_ruleset *set,
			      struct model_rule *rule)
{
	unsigned int want, i;

	rule->port_count = 0;
	if (!set->port_count || fz_chance(rng, 50))
		return; /* every protected port */
	want = fz_chance(rng, 5) ?
		       set->port_count :
		       fz_range(rng, 1,
				set->port_count < 4 ? set->port_count : 4);
	while (rule->port_count < want) {
		const struct model_port *port =
			&set->ports[fz_below(rng, set->port_count)];

		for (i = 0; i < rule->port_count; i++)
			if (rule->ports[i].port == port->port &&
			    rule->ports[i].proto == port->proto)
				break;
		if (i == rule->port_count)
			rule->ports[rule->port_count++] = *port;
	}
}

static int random_rule(struct fz_rng *rng, const struct anchors *a,
		       const struct model_ruleset *set, struct model_rule *rule)
{
	int tries;

	for (tries = 0; tries < 16; tries++) {
		memset(rule, 0, sizeof(*rule));
		if (!fz_chance(rng, 35) || derived_prefix(rng, set, rule))
			fresh_prefix(rng, a, rule);
		if (!prefix_taken(set, rule))
			break;
	}
	if (tries == 16)
		return -1;
	random_rule_ports(rng, set, rule);
	random_binding(rng, rule);
	random_limit(rng, &rule->syn, random_state(rng));
	random_limit(rng, &rule->hello, random_state(rng));
	random_limit(rng, &rule->source_syn,
		     fz_chance(rng, 75) ? MODEL_OFF : set->sketch);
	return 0;
}

int fz_rule_random(struct fz_rng *rng, const struct model_ruleset *set,
		   struct model_rule *rule)
{
	struct anchors a;

	anchors_random(rng, &a);
	return random_rule(rng, &a, set, rule);
}

void fz_rule_remove(struct model_ruleset *set, unsigned int index)
{
	set->rules[index] = set->rules[--set->rule_count];
}

static void random_ports(struct fz_rng *rng, struct model_ruleset *set)
{
	unsigned int roll = fz_below(rng, 100), want, i;

	want = roll < 50 ? fz_range(rng, 1, 4) :
	       roll < 80 ? fz_range(rng, 5, 16) :
	       roll < 95 ? fz_range(rng, 17, 63) :
			   CAS_MAX_PROTECTED_PORTS;
	set->port_count = 0;
	while (set->port_count < want) {
		struct model_port port = {
			.port = fz_chance(rng, 50) ?
					common_ports[fz_below(
						rng,
						sizeof(common_ports) / 2)] :
					fz_range(rng, 1, 65535),
			.proto = fz_chance(rng, 75) ? CAS_PROTO_TCP :
						      CAS_PROTO_UDP,
		};

		for (i = 0; i < set->port_count; i++)
			if (set->ports[i].port == port.port &&
			    set->ports[i].proto == port.proto)
				break;
		if (i == set->port_count)
			set->ports[set->port_count++] = port;
	}
}

void fz_ruleset_random(struct fz_rng *rng, enum model_bucket sketch,
		       struct model_ruleset *set)
{
	static const __u16 floors[] = { CAS_TLS_1_0, CAS_TLS_1_1, CAS_TLS_1_2,
					CAS_TLS_1_3, CAS_TLS_1_3, CAS_TLS_1_3 };
	unsigned int roll = fz_below(rng, 100), want;
	struct anchors a;

	memset(set, 0, sizeof(*set));
	anchors_random(rng, &a);
	random_ports(rng, set);
	set->monitor = fz_chance(rng, 15);
	set->min_tls = fz_chance(rng, 40) ? 0 : floors[fz_below(rng, 6)];
	set->sketch = sketch;
	random_limit(rng, &set->global_syn, random_state(rng));
	random_limit(rng, &set->global_hello, random_state(rng));
	want = roll < 8	 ? 0 :
	       roll < 50 ? fz_range(rng, 1, 8) :
	       roll < 90 ? fz_range(rng, 9, 48) :
			   fz_range(rng, 49, MODEL_MAX_RULES / 2);
	while (set->rule_count < want &&
	       !random_rule(rng, &a, set, &set->rules[set->rule_count]))
		set->rule_count++;
}

void fz_rule_cidr(const struct model_rule *rule, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(rule->family, rule->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, rule->prefixlen);
}

static const char *state_name(enum model_bucket state)
{
	return state == MODEL_OFF  ? "off" :
	       state == MODEL_OPEN ? "open" :
				     "empty";
}

static void print_limit(FILE *out, const char *name,
			const struct model_limit *limit)
{
	if (limit->state != MODEL_OFF || limit->burst)
		fprintf(out, " %s=%s(%u/%u)", name, state_name(limit->state),
			limit->rate, limit->burst);
}

static void print_ports(FILE *out, const struct model_port *ports,
			unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		fprintf(out, "%s%u/%s", i ? "," : "", ports[i].port,
			ports[i].proto == CAS_PROTO_TCP ? "tcp" : "udp");
}

void fz_ruleset_print(FILE *out, const struct model_ruleset *set)
{
	unsigned int i;

	fprintf(out, "ports ");
	print_ports(out, set->ports, set->port_count);
	fprintf(out, "\npolicy monitor=%d min_tls=0x%04x sketch=%s",
		set->monitor, set->min_tls, state_name(set->sketch));
	print_limit(out, "global_syn", &set->global_syn);
	print_limit(out, "global_hello", &set->global_hello);
	fputc('\n', out);
	for (i = 0; i < set->rule_count; i++) {
		const struct model_rule *r = &set->rules[i];
		char cidr[64];

		fz_rule_cidr(r, cidr, sizeof(cidr));
		fprintf(out, "rule %u id=%u %s ports=", i, r->id, cidr);
		if (r->port_count)
			print_ports(out, r->ports, r->port_count);
		else
			fputs("all", out);
		if (r->match_mac)
			fprintf(out, " mac=%02x:%02x:%02x:%02x:%02x:%02x",
				r->mac[0], r->mac[1], r->mac[2], r->mac[3],
				r->mac[4], r->mac[5]);
		if (r->match_ttl)
			fprintf(out, " ttl=%u-%u", r->ttl_min, r->ttl_max);
		print_limit(out, "syn", &r->syn);
		print_limit(out, "source_syn", &r->source_syn);
		print_limit(out, "hello", &r->hello);
		fputc('\n', out);
	}
}
