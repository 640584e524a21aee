/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rng.h - the fuzzers' random numbers: xoshiro256** seeded by splitmix64,
 * so a run is reproduced by its seed alone, on any machine.
 */
#ifndef CAS_FUZZ_RNG_H
#define CAS_FUZZ_RNG_H

#include <stddef.h>
#include <linux/types.h>

struct fz_rng {
	__u64 s[4];
};

static inline __u64 fz_splitmix(__u64 *x)
{
	__u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void fz_seed(struct fz_rng *rng, __u64 seed)
{
	int i;

	for (i = 0; i < 4; i++)
		rng->s[i] = fz_splitmix(&seed);
}

static inline __u64 fz_rotl(__u64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline __u64 fz_next(struct fz_rng *rng)
{
	__u64 *s = rng->s, result = fz_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = fz_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n), 0 for n == 0. */
static inline __u32 fz_below(struct fz_rng *rng, __u32 n)
{
	return (__u32)(((fz_next(rng) >> 32) * n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline __u32 fz_range(struct fz_rng *rng, __u32 lo, __u32 hi)
{
	return lo +
	       (__u32)(((fz_next(rng) >> 32) * ((__u64)hi - lo + 1)) >> 32);
}

/* True with probability percent / 100. */
static inline int fz_chance(struct fz_rng *rng, unsigned int percent)
{
	return fz_below(rng, 100) < percent;
}

static inline void fz_bytes(struct fz_rng *rng, __u8 *buf, size_t len)
{
	__u64 word = 0;
	size_t i;

	for (i = 0; i < len; i++, word >>= 8) {
		if (!(i & 7))
			word = fz_next(rng);
		buf[i] = word;
	}
}

#endif /* CAS_FUZZ_RNG_H */
