// SPDX-License-Identifier: GPL-2.0
/* maps.c - opening, pinning and reading the shield's maps. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "maps.h"

struct cas_map_desc {
	const char *name;
	size_t offset; /* of the fd in struct cas_maps */
	__u32 value_size;
};

static const struct cas_map_desc cas_map_descs[] = {
#define CAS_MAP_DESC(field, map_name, size) \
	{ map_name, __builtin_offsetof(struct cas_maps, field), size },
	CAS_MAP_LIST(CAS_MAP_DESC)
#undef CAS_MAP_DESC
};

static int *cas_map_fd_slot(struct cas_maps *maps,
			    const struct cas_map_desc *desc)
{
	return (int *)((char *)maps + desc->offset);
}

static void cas_maps_reset(struct cas_maps *maps)
{
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cas_map_descs); i++)
		*cas_map_fd_slot(maps, &cas_map_descs[i]) = -1;
}

int cas_maps_from_object(struct bpf_object *obj, struct cas_maps *maps)
{
	size_t i;

	cas_maps_reset(maps);
	for (i = 0; i < CAS_ARRAY_SIZE(cas_map_descs); i++) {
		const struct cas_map_desc *desc = &cas_map_descs[i];
		struct bpf_map *map =
			bpf_object__find_map_by_name(obj, desc->name);

		if (!map || bpf_map__fd(map) < 0)
			return -ENOENT;
		*cas_map_fd_slot(maps, desc) = bpf_map__fd(map);
	}
	return 0;
}

static void cas_pin_path(char *buf, size_t len, const char *dir,
			 const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* A pin's path: the interface's directory (64 bytes) and a map's name. */
#define CAS_PIN_PATH 128

/* Whether the load that made dir got as far as attaching. */
static bool cas_dir_has_link(const char *dir)
{
	char path[CAS_PIN_PATH];

	cas_pin_path(path, sizeof(path), dir, CAS_LINK_PIN);
	return !access(path, F_OK);
}

int cas_maps_open_pinned(const char *dir, struct cas_maps *maps, char *err)
{
	size_t i;
	int ret;

	cas_maps_reset(maps);
	for (i = 0; i < CAS_ARRAY_SIZE(cas_map_descs); i++) {
		const struct cas_map_desc *desc = &cas_map_descs[i];
		struct bpf_map_info info = {};
		__u32 info_len = sizeof(info);
		char path[CAS_PIN_PATH];
		int fd;

		cas_pin_path(path, sizeof(path), dir, desc->name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			ret = -errno;
			if (ret == -ENOENT && !cas_dir_has_link(dir))
				/* load pins the maps last and then attaches */
				snprintf(
					err, CAS_ERRBUF,
					"%s holds no shield yet: a load is under way, or one failed or was interrupted (nothing is attached; 'casshield unload' clears it if no casshield process is loading)",
					dir);
			else if (ret == -ENOENT)
				snprintf(
					err, CAS_ERRBUF,
					"pinned map %s is missing: the state was left by another casshield version; unload and load again",
					path);
			else
				snprintf(err, CAS_ERRBUF,
					 "cannot open pinned map %s: %s", path,
					 strerror(-ret));
			goto fail;
		}
		*cas_map_fd_slot(maps, desc) = fd;
		if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
			ret = -errno;
			snprintf(err, CAS_ERRBUF,
				 "cannot inspect pinned map %s: %s", path,
				 strerror(-ret));
			goto fail;
		}
		if (info.value_size != desc->value_size) {
			snprintf(
				err, CAS_ERRBUF,
				"pinned map %s was made by another casshield version (value size %u, expected %u): unload and load again",
				path, info.value_size, desc->value_size);
			ret = -EPROTO;
			goto fail;
		}
	}
	return 0;
fail:
	cas_maps_close(maps);
	return ret;
}

void cas_maps_close(struct cas_maps *maps)
{
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cas_map_descs); i++) {
		int *fd = cas_map_fd_slot(maps, &cas_map_descs[i]);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int cas_maps_pin(struct bpf_object *obj, const char *dir, char *errbuf)
{
	size_t i;
	int err;

	for (i = 0; i < CAS_ARRAY_SIZE(cas_map_descs); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(
			obj, cas_map_descs[i].name);
		char path[CAS_PIN_PATH];

		cas_pin_path(path, sizeof(path), dir, cas_map_descs[i].name);
		err = map ? bpf_map__pin(map, path) : -ENOENT;
		if (err) {
			snprintf(errbuf, CAS_ERRBUF, "cannot pin map %s: %s",
				 path, strerror(-err));
			cas_maps_unpin(dir);
			return err;
		}
	}
	return 0;
}

void cas_maps_unpin(const char *dir)
{
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cas_map_descs); i++) {
		char path[CAS_PIN_PATH];

		cas_pin_path(path, sizeof(path), dir, cas_map_descs[i].name);
		unlink(path);
	}
}

int cas_settings_read(const struct cas_maps *maps, struct cas_settings *out)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(maps->settings, &key, out) ? -errno : 0;
}

void cas_gen_maps(const struct cas_maps *maps, __u32 gen,
		  struct cas_gen_maps *out)
{
	out->gen = gen & 1;
	out->ports = out->gen ? maps->ports_g1 : maps->ports_g0;
	out->prefix4 = out->gen ? maps->prefix4_g1 : maps->prefix4_g0;
	out->trie6 = out->gen ? maps->trie6_g1 : maps->trie6_g0;
	out->prefix6 = out->gen ? maps->prefix6_g1 : maps->prefix6_g0;
}

void cas_gen_prefix_maps(const struct cas_gen_maps *gen,
			 int fds[CAS_PREFIX_MAPS],
			 int families[CAS_PREFIX_MAPS])
{
	fds[0] = gen->prefix4;
	fds[1] = gen->prefix6;
	fds[2] = gen->trie6;
	families[0] = AF_INET;
	families[1] = families[2] = AF_INET6;
}

int cas_active_maps(const struct cas_maps *maps, struct cas_gen_maps *out)
{
	struct cas_settings settings;
	int err;

	err = cas_settings_read(maps, &settings);
	if (err)
		return err;
	cas_gen_maps(maps, settings.generation, out);
	return 0;
}

int cas_policy_read(const struct cas_maps *maps, __u32 gen,
		    struct cas_policy *out)
{
	gen &= 1;
	return bpf_map_lookup_elem(maps->policy, &gen, out) ? -errno : 0;
}

int cas_policy_write(const struct cas_maps *maps, __u32 gen,
		     const struct cas_policy *policy)
{
	gen &= 1;
	return bpf_map_update_elem(maps->policy, &gen, policy, BPF_ANY) ?
		       -errno :
		       0;
}

int cas_policy_read_active(const struct cas_maps *maps, struct cas_policy *out)
{
	struct cas_gen_maps active;
	int err;

	err = cas_active_maps(maps, &active);
	return err ? err : cas_policy_read(maps, active.gen, out);
}

int cas_settings_write(const struct cas_maps *maps,
		       const struct cas_settings *settings)
{
	__u32 key = 0;

	return bpf_map_update_elem(maps->settings, &key, settings, BPF_ANY) ?
		       -errno :
		       0;
}

#define CAS_PORT_COUNT 65536

/*
 * The whole port table in one batched syscall instead of 65536 lookups,
 * into a fresh array the caller frees: per call, not static, because the
 * exporter's threads read ports concurrently.
 */
static int cas_ports_read_all(int ports_fd, struct cas_port_slots **out)
{
	__u32 count = CAS_PORT_COUNT, out_batch = 0, *keys;
	struct cas_port_slots *slots;
	int err = 0;

	keys = malloc(CAS_PORT_COUNT * sizeof(*keys));
	slots = calloc(CAS_PORT_COUNT, sizeof(*slots));
	if (!keys || !slots)
		err = -ENOMEM;
	else if (bpf_map_lookup_batch(ports_fd, NULL, &out_batch, keys, slots,
				      &count, NULL) &&
		 errno != ENOENT)
		err = -errno;
	else if (count != CAS_PORT_COUNT)
		err = -EIO;
	free(keys);
	if (err) {
		free(slots);
		return err;
	}
	*out = slots;
	return 0;
}

/*
 * Ports are written one entry at a time; a port changes state in a single
 * update, so no packet sees a half-written entry.
 */
int cas_ports_set(int ports_fd, const struct cas_port_list *ports)
{
	struct cas_port_slots *current, *wanted;
	unsigned int i;
	__u32 port;
	int err;

	err = cas_ports_read_all(ports_fd, &current);
	if (err)
		return err;
	wanted = calloc(CAS_PORT_COUNT, sizeof(*wanted));
	if (!wanted) {
		free(current);
		return -ENOMEM;
	}
	for (i = 0; i < ports->count; i++)
		wanted[ports->ports[i].port]
			.slot_plus_one[ports->ports[i].proto] = i + 1;
	for (port = 0; port < CAS_PORT_COUNT && !err; port++) {
		if (!memcmp(&current[port], &wanted[port], sizeof(wanted[0])))
			continue;
		if (bpf_map_update_elem(ports_fd, &port, &wanted[port],
					BPF_ANY))
			err = -errno;
	}
	free(current);
	free(wanted);
	return err;
}

int cas_ports_get(int ports_fd, struct cas_port_list *ports)
{
	struct cas_port_list by_slot = {};
	struct cas_port_slots *slots;
	unsigned int port, proto, i;
	int err;

	memset(ports, 0, sizeof(*ports));
	err = cas_ports_read_all(ports_fd, &slots);
	if (err)
		return err;
	for (port = 0; port < CAS_PORT_COUNT; port++) {
		for (proto = 0; proto < CAS_PROTO_COUNT; proto++) {
			unsigned int slot = slots[port].slot_plus_one[proto];

			if (!slot || slot > CAS_MAX_PROTECTED_PORTS)
				continue;
			by_slot.ports[slot - 1].port = port;
			by_slot.ports[slot - 1].proto = proto;
		}
	}
	free(slots);
	/* Report in slot order: the order the admin gave. */
	for (i = 0; i < CAS_MAX_PROTECTED_PORTS; i++)
		if (by_slot.ports[i].port)
			ports->ports[ports->count++] = by_slot.ports[i];
	return 0;
}

int cas_ports_get_active(const struct cas_maps *maps,
			 struct cas_port_list *ports)
{
	struct cas_gen_maps active;
	int err;

	err = cas_active_maps(maps, &active);
	return err ? err : cas_ports_get(active.ports, ports);
}

int cas_ports_mask(const struct cas_maps *maps,
		   const struct cas_port_list *ports, __u64 *mask,
		   struct cas_port *unprotected)
{
	struct cas_gen_maps active;
	unsigned int i;
	int err;

	if (!ports->count) {
		*mask = CAS_ALL_PORTS;
		return 0;
	}
	err = cas_active_maps(maps, &active);
	if (err)
		return err;
	*mask = 0;
	for (i = 0; i < ports->count; i++) {
		__u32 port = ports->ports[i].port;
		struct cas_port_slots slots;
		unsigned int slot;

		if (bpf_map_lookup_elem(active.ports, &port, &slots))
			return -errno;
		slot = slots.slot_plus_one[ports->ports[i].proto];
		if (!slot) {
			*unprotected = ports->ports[i];
			return -ENOENT;
		}
		*mask |= 1ULL << (slot - 1);
	}
	return 0;
}

int cas_counter_sum(int map_fd, __u32 index, struct cas_counter *sum)
{
	int cpus = libbpf_num_possible_cpus();
	struct cas_counter *per_cpu;
	int err = 0;

	if (cpus < 0)
		return cpus;
	per_cpu = calloc(cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(map_fd, &index, per_cpu)) {
		err = -errno;
		goto out;
	}
	cas_counter_add_cpus(per_cpu, cpus, sum);
out:
	free(per_cpu);
	return err;
}

void cas_counter_add_cpus(const struct cas_counter *per_cpu, int cpus,
			  struct cas_counter *sum)
{
	int i;

	for (i = 0; i < cpus; i++) {
		sum->packets += per_cpu[i].packets;
		sum->bytes += per_cpu[i].bytes;
	}
}

#define CAS_READ_BATCH 4096

/*
 * Values of the array map for ids (sorted, unique) into values[i]. Dense
 * ids (the usual case: ids are handed out lowest free first) are read in
 * batches over their span; sparse ones one lookup each.
 */
int cas_read_ids(int map_fd, const __u32 *ids, size_t count, void *values,
		 size_t value_size)
{
	__u32 in_batch = 0, out_batch = 0, span, read = 0, *keys = NULL;
	char *batch = NULL, *out = values;
	bool first = true;
	size_t next = 0;
	int err = 0;

	if (!count)
		return 0;
	span = ids[count - 1] - ids[0] + 1;
	if (span > 2 * count) {
		for (next = 0; next < count; next++)
			if (bpf_map_lookup_elem(map_fd, &ids[next],
						out + next * value_size))
				return -errno;
		return 0;
	}
	keys = malloc(CAS_READ_BATCH * sizeof(*keys));
	batch = malloc(CAS_READ_BATCH * value_size);
	if (!keys || !batch) {
		err = -ENOMEM;
		goto out;
	}
	/* An array batch resumes after in_batch: start just before ids[0]. */
	if (ids[0]) {
		in_batch = ids[0] - 1;
		first = false;
	}
	while (read < span && next < count) {
		__u32 n = span - read < CAS_READ_BATCH ? span - read :
							 CAS_READ_BATCH,
		      i;

		if (bpf_map_lookup_batch(map_fd, first ? NULL : &in_batch,
					 &out_batch, keys, batch, &n, NULL) &&
		    errno != ENOENT) {
			err = -errno;
			goto out;
		}
		if (!n)
			break;
		for (i = 0; i < n && next < count; i++) {
			if (keys[i] != ids[next])
				continue;
			memcpy(out + next * value_size, batch + i * value_size,
			       value_size);
			next++;
		}
		read += n;
		in_batch = out_batch;
		first = false;
	}
	if (next < count)
		err = -EIO; /* the array is shorter than an id in a prefix map */
out:
	free(keys);
	free(batch);
	return err;
}

/* Per-element fallback where a map type has no batched update. */
int cas_map_update_many(int map_fd, const void *keys, size_t key_size,
			const void *values, size_t value_size, size_t count,
			__u64 flags)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = flags);
	size_t done = 0;

	while (done < count) {
		__u32 chunk = count - done > CAS_SCAN_CHUNK ? CAS_SCAN_CHUNK :
							      count - done;
		__u32 n = chunk;

		if (bpf_map_update_batch(
			    map_fd, (const char *)keys + done * key_size,
			    (const char *)values + done * value_size, &n,
			    &opts)) {
			if (errno != EINVAL && errno != EOPNOTSUPP &&
			    errno != ENOTSUPP)
				return -errno;
			break; /* no batch support: one by one below */
		}
		done += chunk;
	}
	for (; done < count; done++)
		if (bpf_map_update_elem(
			    map_fd, (const char *)keys + done * key_size,
			    (const char *)values + done * value_size, flags))
			return -errno;
	return 0;
}
