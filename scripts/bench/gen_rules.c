// SPDX-License-Identifier: GPL-2.0
/*
 * gen_rules.c - allow-rule files for the scaling and memory benchmarks:
 * COUNT distinct prefixes, one a line in the command line's syntax
 * ("CIDR"), a mix a real allowlist could have: mostly single hosts, some
 * networks, IPv4 and IPv6. Deterministic for a given seed.
 *
 * A million distinct addresses do not fit in the documentation ranges, so
 * the rules come from 10.0.0.0/8 and fd00::/8; the frames that carry these
 * addresses are crafted and only ever injected into the benchmark's own
 * veth pair or BPF_PROG_TEST_RUN. Two blocks are never covered by a rule,
 * so that floods and "not allowed" probes can come from them:
 * 10.240.0.0/12 and fdff::/16 (see RESERVED4 and RESERVED6).
 *
 *   gen_rules COUNT [--ipv4-only] [--seed N]
 *
 * Mix: 80% IPv4 (90% /32; the rest /24, /20../23, /16../19 in 60/25/15
 * proportions) and 20% IPv6 (60% /128, 30% /64, 10% /48). The first line
 * is an IPv4 /32, so that a one-rule set is the common case.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESERVED4_SECOND_OCTET_MIN 240	/* 10.240.0.0/12: floods, probes */
#define RESERVED6_SECOND_BYTE	   0xff /* fdff::/16: floods, probes */
#define MAX_COUNT		   (1u << 24)

struct prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;
	uint8_t addr[16];
};

static uint64_t rng_state;

static uint64_t rng_next(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rng_below(unsigned int n)
{
	return rng_next() % n;
}

static void mask_to_length(struct prefix *p)
{
	unsigned int bytes = p->family == 4 ? 4 : 16, i;

	for (i = 0; i < bytes; i++) {
		int keep = (int)p->len - (int)i * 8;

		if (keep <= 0)
			p->addr[i] = 0;
		else if (keep < 8)
			p->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

static void random_prefix(struct prefix *p, bool ipv4_only, bool first)
{
	unsigned int roll = rng_below(1000), i;

	memset(p, 0, sizeof(*p));
	if (first || ipv4_only || roll < 800) {
		unsigned int kind = first ? 0 : rng_below(1000);

		p->family = 4;
		if (kind < 900)
			p->len = 32;
		else if (kind < 960)
			p->len = 24;
		else if (kind < 985)
			p->len = 20 + rng_below(4);
		else
			p->len = 16 + rng_below(4);
		p->addr[0] = 10;
		p->addr[1] = rng_below(RESERVED4_SECOND_OCTET_MIN);
		p->addr[2] = rng_below(256);
		p->addr[3] = rng_below(256);
	} else {
		unsigned int kind = rng_below(100);

		p->family = 6;
		p->len = kind < 60 ? 128 : kind < 90 ? 64 : 48;
		p->addr[0] = 0xfd;
		p->addr[1] = rng_below(RESERVED6_SECOND_BYTE);
		for (i = 2; i < 16; i++)
			p->addr[i] = rng_below(256);
	}
	mask_to_length(p);
}

/* Open addressing over prefixes: duplicates are drawn again. */
struct prefix_set {
	struct prefix *slots;
	size_t mask;
};

static uint64_t prefix_hash(const struct prefix *p)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < sizeof(*p); i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211ULL;
	return h;
}

static bool prefix_set_add(struct prefix_set *set, const struct prefix *p)
{
	size_t i = prefix_hash(p) & set->mask;

	while (set->slots[i].family) {
		if (!memcmp(&set->slots[i], p, sizeof(*p)))
			return false;
		i = (i + 1) & set->mask;
	}
	set->slots[i] = *p;
	return true;
}

static void print_prefix(const struct prefix *p)
{
	unsigned int i;

	if (p->family == 4) {
		printf("%u.%u.%u.%u/%u\n", p->addr[0], p->addr[1], p->addr[2],
		       p->addr[3], p->len);
		return;
	}
	/* Full form, no "::" compression: every parser reads it. */
	for (i = 0; i < 16; i += 2)
		printf("%x%s", p->addr[i] << 8 | p->addr[i + 1],
		       i < 14 ? ":" : "");
	printf("/%u\n", p->len);
}

int main(int argc, char **argv)
{
	struct prefix_set set;
	unsigned long count = 0, written = 0;
	bool ipv4_only = false;
	uint64_t seed = 1;
	size_t slots = 1;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ipv4-only"))
			ipv4_only = true;
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!count)
			count = strtoul(argv[i], NULL, 0);
		else
			count = 0, i = argc;
	}
	if (!count || count > MAX_COUNT) {
		fprintf(stderr,
			"usage: gen_rules COUNT (1..%u) [--ipv4-only] [--seed N]\n",
			MAX_COUNT);
		return 2;
	}
	while (slots < count * 2)
		slots <<= 1;
	set.slots = calloc(slots, sizeof(*set.slots));
	set.mask = slots - 1;
	if (!set.slots) {
		perror("gen_rules");
		return 1;
	}
	rng_state = seed;
	while (written < count) {
		struct prefix p;

		random_prefix(&p, ipv4_only, written == 0);
		if (!prefix_set_add(&set, &p))
			continue;
		print_prefix(&p);
		written++;
	}
	free(set.slots);
	return fflush(stdout) ? 1 : 0;
}
