/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.h - the shield's maps as userspace sees them: file descriptors taken
 * either from a freshly loaded skeleton or from the pins of a shielded
 * interface, and the operations on them shared by the CLI and the tests.
 */
#ifndef CAS_USER_MAPS_H
#define CAS_USER_MAPS_H

#include <stdbool.h>
#include <bpf/libbpf.h>
#include "casshield.h"
#include "values.h"

/* The pinned bpf_link: the last pin a load makes, after every map's. */
#define CAS_LINK_PIN "link"

/* Every map of the program: field, pin/object name, value size. */
#define CAS_MAP_LIST(X)                                                   \
	X(settings, "cas_settings", sizeof(struct cas_settings))          \
	X(policy, "cas_policy", sizeof(struct cas_policy))                \
	X(prefilter, "cas_prefilter", sizeof(struct cas_prefilter))       \
	X(ports_g0, "cas_ports_g0", sizeof(struct cas_port_slots))        \
	X(ports_g1, "cas_ports_g1", sizeof(struct cas_port_slots))        \
	X(prefix4_g0, "cas_prefix4_g0", sizeof(__u32))                    \
	X(prefix4_g1, "cas_prefix4_g1", sizeof(__u32))                    \
	X(trie6_g0, "cas_trie6_g0", sizeof(__u32))                        \
	X(trie6_g1, "cas_trie6_g1", sizeof(__u32))                        \
	X(prefix6_g0, "cas_prefix6_g0", sizeof(__u32))                    \
	X(prefix6_g1, "cas_prefix6_g1", sizeof(__u32))                    \
	X(rules, "cas_rules", sizeof(struct cas_rule))                    \
	X(rule_stats, "cas_rule_stats", sizeof(struct cas_counter))       \
	X(stats, "cas_stats", sizeof(struct cas_counter))                 \
	X(rule_buckets, "cas_rule_gcra", sizeof(struct cas_rule_buckets)) \
	X(global_buckets, "cas_global_gcra",                              \
	  sizeof(struct cas_global_buckets))                              \
	X(source_buckets, "cas_source_gcra", sizeof(__u64))

struct cas_maps {
#define CAS_MAP_FIELD(field, name, size) int field;
	CAS_MAP_LIST(CAS_MAP_FIELD)
#undef CAS_MAP_FIELD
};

/*
 * The per-generation maps of one generation. An IPv4 prefix is in the IPv4
 * hash whatever its length; an IPv6 prefix is in the IPv6 hash if it is a
 * /48 or longer, else in the trie.
 */
struct cas_gen_maps {
	__u32 gen;
	int ports, prefix4, trie6, prefix6;
};

/* The prefix maps of a generation with their family, for walks. */
#define CAS_PREFIX_MAPS 3
void cas_gen_prefix_maps(const struct cas_gen_maps *gen,
			 int fds[CAS_PREFIX_MAPS],
			 int families[CAS_PREFIX_MAPS]);

void cas_gen_maps(const struct cas_maps *maps, __u32 gen,
		  struct cas_gen_maps *out);
/* Those of the generation packets use now. */
int cas_active_maps(const struct cas_maps *maps, struct cas_gen_maps *out);

/* Take the fds of a loaded bpf_object (they stay owned by the object). */
int cas_maps_from_object(struct bpf_object *obj, struct cas_maps *maps);
/*
 * Open the pinned maps in dir; checks value sizes against this binary.
 * 0 or -errno with err (CAS_ERRBUF) saying which pin and why.
 */
int cas_maps_open_pinned(const char *dir, struct cas_maps *maps, char *err);
/* Pin every map of obj into dir; on failure unpins what it pinned. */
int cas_maps_pin(struct bpf_object *obj, const char *dir, char *err);
void cas_maps_unpin(const char *dir);
void cas_maps_close(struct cas_maps *maps);

/* Settings and protected ports. */
int cas_settings_read(const struct cas_maps *maps, struct cas_settings *out);
int cas_settings_write(const struct cas_maps *maps,
		       const struct cas_settings *settings);
int cas_policy_read(const struct cas_maps *maps, __u32 gen,
		    struct cas_policy *out);
int cas_policy_write(const struct cas_maps *maps, __u32 gen,
		     const struct cas_policy *policy);
/* The policy of the live generation. */
int cas_policy_read_active(const struct cas_maps *maps, struct cas_policy *out);

/* Protected ports of one generation's port map, in slot order. */
int cas_ports_set(int ports_fd, const struct cas_port_list *ports);
int cas_ports_get(int ports_fd, struct cas_port_list *ports);
/* ... and of the live generation. */
int cas_ports_get_active(const struct cas_maps *maps,
			 struct cas_port_list *ports);
/*
 * Port mask of a rule allowed on ports (each must be protected in the
 * live generation), or CAS_ALL_PORTS for an empty list. -ENOENT names the
 * first unprotected one.
 */
int cas_ports_mask(const struct cas_maps *maps,
		   const struct cas_port_list *ports, __u64 *mask,
		   struct cas_port *unprotected);

/* Counters, summed over CPUs. */
int cas_counter_sum(int map_fd, __u32 index, struct cas_counter *sum);
/* Add cpus per-CPU values of one counter to *sum. */
void cas_counter_add_cpus(const struct cas_counter *per_cpu, int cpus,
			  struct cas_counter *sum);
/*
 * Values of an array map for ids (sorted, unique) into values[i], read in
 * batches where the ids are dense.
 */
int cas_read_ids(int map_fd, const __u32 *ids, size_t count, void *values,
		 size_t value_size);

/* Entries per batched syscall: bounds the CLI's buffers, not the rules. */
#define CAS_SCAN_CHUNK 4096
#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's "operation not supported" */
#endif

/*
 * count updates of a map (keys and values packed at their sizes), in
 * batches where the map type has them, one by one where not.
 */
int cas_map_update_many(int map_fd, const void *keys, size_t key_size,
			const void *values, size_t value_size, size_t count,
			__u64 flags);

#endif /* CAS_USER_MAPS_H */
