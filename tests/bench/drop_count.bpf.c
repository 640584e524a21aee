// SPDX-License-Identifier: GPL-2.0
/*
 * drop_count.bpf.c - the ceiling of the drop-rate benchmark: the least an
 * XDP program that drops and still counts what it saw can do. Counting is
 * kept (one per-CPU increment) because every contender must prove that it
 * saw every frame offered; a bare XDP_DROP would be a ceiling no counting
 * shield could ever reach.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bench_seen SEC(".maps");

SEC("xdp")
int bench_drop_count(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *seen = bpf_map_lookup_elem(&bench_seen, &zero);

	if (seen)
		(*seen)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
