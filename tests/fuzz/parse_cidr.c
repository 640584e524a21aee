// SPDX-License-Identifier: GPL-2.0
/*
 * parse_cidr.c - libFuzzer harness for cas_parse_prefix (allow CIDR,
 * YAML cidr). Properties: no memory error or undefined behaviour; an
 * accepted prefix has a family, a length within it and no host bit set,
 * is not IPv4-mapped, and its canonical form parses back to itself; a
 * refusal says why.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "harness.h"
#include "values.h"

static int host_bits_clear(const struct cas_prefix *p)
{
	unsigned int bit;

	for (bit = p->prefixlen; bit < 128; bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return 0;
	return 1;
}

static int ipv4_mapped(const struct cas_prefix *p)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };

	return p->family == AF_INET6 && p->prefixlen >= 96 &&
	       !memcmp(p->addr, mapped, sizeof(mapped));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_cstring(data, size), err[CAS_ERRBUF] = "";
	char canonical[64], again_err[CAS_ERRBUF];
	struct cas_prefix prefix, again;

	if (cas_parse_prefix(text, &prefix, err)) {
		FZ_REQUIRE(err[0] && memchr(err, 0, sizeof(err)), text,
			   "refused without a message");
		free(text);
		return 0;
	}
	FZ_REQUIRE(prefix.family == AF_INET || prefix.family == AF_INET6, text,
		   "family %u", prefix.family);
	FZ_REQUIRE(prefix.prefixlen <= (prefix.family == AF_INET ? 32 : 128),
		   text, "length %u", prefix.prefixlen);
	FZ_REQUIRE(host_bits_clear(&prefix), text, "host bits set");
	FZ_REQUIRE(!ipv4_mapped(&prefix), text, "IPv4-mapped accepted");
	cas_format_prefix(&prefix, canonical, sizeof(canonical));
	FZ_REQUIRE(!cas_parse_prefix(canonical, &again, again_err), text,
		   "its canonical form '%s' is refused: %s", canonical,
		   again_err);
	FZ_REQUIRE(!cas_prefix_order(&prefix, &again), text,
		   "'%s' parses to another prefix", canonical);
	free(text);
	return 0;
}
