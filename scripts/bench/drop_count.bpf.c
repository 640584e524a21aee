// SPDX-License-Identifier: GPL-2.0
/*
 * drop_count.bpf.c - the ceiling of the drop-rate benchmark: the least an
 * XDP program that drops and still counts what it saw can do. Counting is
 * kept (one per-CPU increment) because every contender must prove that it
 * saw every frame offered; a bare XDP_DROP would be a ceiling no counting
 * shield could ever reach.
 */
#include "seen.h"

SEC("xdp")
int bench_drop_count(struct xdp_md *ctx)
{
	bench_count_seen();
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
