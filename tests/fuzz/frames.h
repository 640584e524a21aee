/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frames.h - random and mutated frames for the differential fuzzer, aimed
 * at a ruleset: sources inside, at the edges of and next to its prefixes,
 * its protected ports and their neighbours, its MACs and TTL windows;
 * VLAN and QinQ stacks, IPv4 options and fragments, IPv6 extension
 * chains, TCP options and flags, ClientHellos (TLS and SSLv2, whole, cut
 * and damaged), then truncation, bit flips and trailing bytes.
 */
#ifndef CAS_FUZZ_FRAMES_H
#define CAS_FUZZ_FRAMES_H

#include <stdio.h>
#include "model.h"
#include "rng.h"

/*
 * The largest frame BPF_PROG_TEST_RUN hands an XDP program whole (a page
 * less the headroom and the shared info): larger ones arrive in fragments.
 */
#define FZ_FRAME_MAX 3520
/* The smallest it accepts: an Ethernet header. */
#define FZ_FRAME_MIN 14

/* A frame for set into buf (FZ_FRAME_MAX bytes); returns its length. */
size_t fz_frame(struct fz_rng *rng, const struct model_ruleset *set, __u8 *buf);

/* Hex dump, 16 bytes a line, with offsets. */
void fz_hex(FILE *out, const __u8 *buf, size_t len);

#endif /* CAS_FUZZ_FRAMES_H */
