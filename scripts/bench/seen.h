/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seen.h - the arrival counter the benchmark's own XDP programs share: one
 * per-CPU count of the frames a program saw, read by the receiver check.
 */
#ifndef CAS_BENCH_SEEN_H
#define CAS_BENCH_SEEN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bench_seen SEC(".maps");

static __always_inline void bench_count_seen(void)
{
	__u32 zero = 0;
	__u64 *seen = bpf_map_lookup_elem(&bench_seen, &zero);

	if (seen)
		(*seen)++;
}

#endif /* CAS_BENCH_SEEN_H */
