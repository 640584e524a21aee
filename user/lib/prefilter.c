// SPDX-License-Identifier: GPL-2.0
/*
 * prefilter.c - the prefilter of a generation: the prefix lengths that may
 * cover each IPv4 /16 and IPv6 /48 (include/casshield.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "prefilter.h"

/* IPv4: the prefix's length, in the mask of every /16 it covers. */
static void cas_prefilter_mark_v4(struct cas_prefilter *filter,
				  const struct cas_prefix *prefix)
{
	unsigned int fixed = prefix->prefixlen < CAS_PREFILTER_V4_LEN ?
				     prefix->prefixlen :
				     CAS_PREFILTER_V4_LEN;
	__u32 count = 1u << (CAS_PREFILTER_V4_LEN - fixed);
	__u32 first = cas_prefilter_v4_index(prefix->addr) & ~(count - 1);
	__u32 bit = 1u << cas_prefilter_v4_bit(prefix->prefixlen), n;

	for (n = 0; n < count; n++)
		filter->v4[first + n] |= bit;
}

/*
 * IPv6: the prefix's length bit, in the mask of every /48 it covers (at
 * most 2^16 of them, a /32's; a shorter prefix covers too many to list and
 * marks every slot). Lengths 65..127 are named once for the generation.
 */
static void cas_prefilter_mark_v6(struct cas_prefilter *filter,
				  const struct cas_prefix *prefix)
{
	unsigned int len = prefix->prefixlen, free_bits;
	__u32 bit = 1u << cas_prefilter_v6_bit(len);
	__u8 site[16] = { 0 };
	__u32 first, count, n;

	if (len > 64 && len < 128)
		filter->v6_long |= 1ULL << (len - 65);
	if (len < CAS_PREFILTER_V6_ENUM) {
		for (n = 0; n < CAS_PREFILTER_V6_SLOTS; n++)
			filter->v6[n] |= bit;
		return;
	}
	memcpy(site, prefix->addr, 6);
	free_bits = len < CAS_PREFILTER_V6_LEN ? CAS_PREFILTER_V6_LEN - len : 0;
	count = 1u << free_bits;
	first = ((__u32)site[4] << 8 | site[5]) & ~(count - 1);
	for (n = 0; n < count; n++) {
		site[4] = (first + n) >> 8;
		site[5] = (first + n) & 0xff;
		filter->v6[cas_prefilter_v6_index(site)] |= bit;
	}
}

static void cas_prefilter_mark(struct cas_prefilter *filter,
			       const struct cas_prefix *prefix)
{
	if (prefix->family == AF_INET)
		cas_prefilter_mark_v4(filter, prefix);
	else
		cas_prefilter_mark_v6(filter, prefix);
}

int cas_prefilter_update(const struct cas_maps *maps, __u32 gen, bool rebuild,
			 const struct cas_prefix *prefixes, size_t count)
{
	struct cas_prefilter *filter = calloc(1, sizeof(*filter));
	size_t i;
	int err = 0;

	if (!filter)
		return -ENOMEM;
	gen &= 1;
	if (!rebuild && bpf_map_lookup_elem(maps->prefilter, &gen, filter))
		err = -errno;
	for (i = 0; i < count && !err; i++)
		cas_prefilter_mark(filter, &prefixes[i]);
	/* Rewritten whole: bits that stay set are rewritten as set, so no
	 * packet ever reads a bit a remaining rule needs as clear. */
	if (!err && bpf_map_update_elem(maps->prefilter, &gen, filter, BPF_ANY))
		err = -errno;
	free(filter);
	return err;
}

int cas_prefilter_add_live(const struct cas_maps *maps,
			   const struct cas_prefix *prefixes, size_t count)
{
	struct cas_gen_maps active;
	int err;

	err = cas_active_maps(maps, &active);
	return err ? err :
		     cas_prefilter_update(maps, active.gen, false, prefixes,
					  count);
}
