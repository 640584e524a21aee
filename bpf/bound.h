/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bound.h - bounds the oldest verifier we support (6.1) can follow. It
 * learns a bound only on the register a test or a mask was applied to,
 * does not track a byte swap's result, nor an OR of two unknown scalars;
 * clang, meanwhile, drops a mask it can prove redundant and may test one
 * copy of a value and add another. cas_bound() masks the very value that
 * is used next, behind a barrier clang cannot see through, so the AND
 * survives into the program. The rules are in docs/design.md.
 */
#ifndef CAS_BOUND_H
#define CAS_BOUND_H

#include <linux/types.h>

/* value & mask, computed in the program whatever clang knows of value. */
static __always_inline __u32 cas_bound(__u32 value, __u32 mask)
{
	asm volatile("" : "+r"(value));
	return value & mask;
}

#endif /* CAS_BOUND_H */
