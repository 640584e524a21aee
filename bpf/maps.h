/* SPDX-License-Identifier: GPL-2.0 */
/* maps.h - the shield's maps; layouts come from include/casshield.h. */
#ifndef CAS_MAPS_H
#define CAS_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "casshield.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cas_settings);
} cas_settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAS_GENERATIONS);
	__type(key, __u32);
	__type(value, struct cas_policy);
} cas_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAS_GENERATIONS);
	__type(key, __u32);
	__type(value, struct cas_prefilter);
} cas_prefilter SEC(".maps");

/*
 * Per generation: ports indexed by destination port (a direct array beats
 * a hash on the hot path) and the maps of allowed prefixes.
 */
#define CAS_PORTS_MAP(name)                           \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_ARRAY);     \
		__uint(max_entries, 65536);           \
		__type(key, __u32);                   \
		__type(value, struct cas_port_slots); \
	} name SEC(".maps")

#define CAS_TRIE_MAP(name, key_type)                  \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);  \
		__uint(max_entries, CAS_MAX_RULES);   \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__type(key, key_type);                \
		__type(value, __u32);                 \
	} name SEC(".maps")

/*
 * IPv4 prefixes of every length, and IPv6 prefixes of /48 and longer, live
 * in one exact hash per family and generation, keyed by (length, masked
 * address): the prefilter's length mask of the source's /16 or /48 says
 * which lengths to try, so a lookup costs the same with one rule or a
 * million (a trie's depth grows with its size). IPv6 prefixes shorter than
 * /48 (rare in an allowlist) live in the trie. The key is the LPM key
 * layout, so one key serves the hash and the trie.
 */
#define CAS_HASH_MAP(name, key_type)                  \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_HASH);      \
		__uint(max_entries, CAS_MAX_RULES);   \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__type(key, key_type);                \
		__type(value, __u32);                 \
	} name SEC(".maps")

CAS_PORTS_MAP(cas_ports_g0);
CAS_PORTS_MAP(cas_ports_g1);
CAS_HASH_MAP(cas_prefix4_g0, struct cas_lpm_v4);
CAS_HASH_MAP(cas_prefix4_g1, struct cas_lpm_v4);
CAS_TRIE_MAP(cas_trie6_g0, struct cas_lpm_v6);
CAS_TRIE_MAP(cas_trie6_g1, struct cas_lpm_v6);
CAS_HASH_MAP(cas_prefix6_g0, struct cas_lpm_v6);
CAS_HASH_MAP(cas_prefix6_g1, struct cas_lpm_v6);

/*
 * The map of a generation: both are verified, one is taken. Each branch
 * keeps its own call: left alone, clang merges the two lookups into one
 * call on a map chosen at run time, and the verifier, which can only
 * inline a lookup whose map is known, turns it into an indirect helper
 * call (20 ns a packet on the drop path; docs/design.md).
 */
#define CAS_GEN_LOOKUP(gen, map, key)                                     \
	({                                                                \
		void *cas_value_;                                         \
		if (gen) {                                                \
			cas_value_ = bpf_map_lookup_elem(&map##_g1, key); \
			asm volatile("" : "+r"(cas_value_));              \
		} else {                                                  \
			cas_value_ = bpf_map_lookup_elem(&map##_g0, key); \
			asm volatile("" : "+r"(cas_value_));              \
		}                                                         \
		cas_value_;                                               \
	})

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAS_MAX_RULES);
	__type(key, __u32);
	__type(value, struct cas_rule);
} cas_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAS_MAX_RULES);
	__type(key, __u32);
	__type(value, struct cas_counter);
} cas_rule_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAS_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct cas_counter);
} cas_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAS_MAX_RULES);
	__type(key, __u32);
	__type(value, struct cas_rule_buckets);
} cas_rule_gcra SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cas_global_buckets);
} cas_global_gcra SEC(".maps");

/*
 * Per-source SYN state: a fixed sketch, not a hash of sources, so that no
 * flood can evict or reset anyone's state (docs/ratelimit.md).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAS_SOURCE_ROWS *CAS_SOURCE_CELLS);
	__type(key, __u32);
	__type(value, __u64);
} cas_source_gcra SEC(".maps");

#endif /* CAS_MAPS_H */
