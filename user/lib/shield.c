// SPDX-License-Identifier: GPL-2.0
/* shield.c - load, adopt, inspect and unload the shield of an interface. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "kernel.h"
#include "shield.h"
#include "shield.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

const char *cas_mode_name(__u32 mode)
{
	return mode == CAS_MODE_SKB ? "skb" : "native";
}

static void cas_pin_dir(const char *ifname, char *buf, size_t len)
{
	/* Callers validated ifname: it is shorter than IF_NAMESIZE. */
	snprintf(buf, len, "%s/%.*s", CAS_PIN_ROOT, IF_NAMESIZE - 1, ifname);
}

/* bpffs must be mounted at /sys/fs/bpf; mount it if it is not. */
static int cas_ensure_bpffs(void)
{
	struct statfs fs;
	int err;

	if (!statfs(CAS_BPFFS, &fs) && fs.f_type == BPF_FS_MAGIC)
		goto root;
	if (mount("bpf", CAS_BPFFS, "bpf", 0, "mode=0700")) {
		err = -errno;
		cas_err("cannot mount bpffs on %s: %s", CAS_BPFFS,
			strerror(-err));
		return err;
	}
root:
	/* Pins are readable by root alone. */
	if (mkdir(CAS_PIN_ROOT, 0700) && errno != EEXIST) {
		err = -errno;
		cas_err("cannot create %s: %s", CAS_PIN_ROOT, strerror(-err));
		return err;
	}
	return 0;
}

bool cas_is_shielded(const char *ifname)
{
	char dir[64];
	struct stat st;

	if (!cas_valid_ifname(ifname))
		return false;
	cas_pin_dir(ifname, dir, sizeof(dir));
	return !stat(dir, &st) && S_ISDIR(st.st_mode);
}

static int cas_name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int cas_shielded_list(char (**names)[IF_NAMESIZE], size_t *count)
{
	char(*list)[IF_NAMESIZE] = NULL;
	size_t used = 0;
	struct dirent *entry;
	DIR *dir;

	*names = NULL;
	*count = 0;
	dir = opendir(CAS_PIN_ROOT);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((entry = readdir(dir))) {
		void *grown;

		if (!cas_valid_ifname(entry->d_name) ||
		    !cas_is_shielded(entry->d_name))
			continue;
		grown = realloc(list, (used + 1) * sizeof(*list));
		if (!grown) {
			closedir(dir);
			free(list);
			return -ENOMEM;
		}
		list = grown;
		snprintf(list[used++], IF_NAMESIZE, "%.*s", IF_NAMESIZE - 1,
			 entry->d_name);
	}
	closedir(dir);
	qsort(list, used, sizeof(*list), cas_name_cmp);
	*names = list;
	*count = used;
	return 0;
}

int cas_resolve_iface(const char *ifname, char *out)
{
	char(*names)[IF_NAMESIZE];
	size_t count;
	int err;

	if (ifname) {
		if (!cas_valid_ifname(ifname)) {
			cas_err("invalid interface name '%s'", ifname);
			return CAS_EXIT_USAGE;
		}
		if (!cas_is_shielded(ifname)) {
			cas_err("%s is not shielded (see 'casshield status')",
				ifname);
			return CAS_EXIT_FAIL;
		}
		snprintf(out, IF_NAMESIZE, "%s", ifname);
		return CAS_EXIT_OK;
	}
	err = cas_shielded_list(&names, &count);
	if (err) {
		cas_err("cannot list %s: %s", CAS_PIN_ROOT, strerror(-err));
		return CAS_EXIT_FAIL;
	}
	if (count == 1)
		snprintf(out, IF_NAMESIZE, "%s", names[0]);
	free(names);
	if (count == 0) {
		cas_err("no interface is shielded (see 'casshield load')");
		return CAS_EXIT_FAIL;
	}
	if (count > 1) {
		cas_err("%zu interfaces are shielded: name one with -i IFACE",
			count);
		return CAS_EXIT_USAGE;
	}
	return CAS_EXIT_OK;
}

/*
 * Every pin in the interface's directory goes, not only the names this
 * build knows: state left by another version (maps renamed since) must not
 * keep the directory, and with it "already shielded", alive.
 */
static void cas_remove_pins(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *entry;
	DIR *pins;

	pins = opendir(dir);
	while (pins && (entry = readdir(pins))) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		unlink(path);
	}
	if (pins)
		closedir(pins);
	rmdir(dir);
}

/* Size the rule maps and seed the hash: what varies between loads. */
static int cas_shield_prepare(struct shield_bpf *skel, __u32 max_rules)
{
	struct bpf_map *sized[] = {
		skel->maps.cas_rules,	    skel->maps.cas_rule_stats,
		skel->maps.cas_rule_gcra,   skel->maps.cas_prefix4_g0,
		skel->maps.cas_prefix4_g1,  skel->maps.cas_rules_v6_g0,
		skel->maps.cas_rules_v6_g1, skel->maps.cas_prefix6_g0,
		skel->maps.cas_prefix6_g1,
	};
	__u64 seed;
	size_t i;
	int err;

	for (i = 0; max_rules && i < CAS_ARRAY_SIZE(sized); i++) {
		err = bpf_map__set_max_entries(sized[i], max_rules);
		if (err)
			return err;
	}
	/* A secret hash seed: nobody can aim a flood at a source's cells. */
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		return -errno;
	skel->rodata->cas_hash_seed = seed;
	return 0;
}

int cas_shield_open_and_load(struct shield_bpf **skel_out, __u32 max_rules,
			     char *errbuf)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct shield_bpf *skel = NULL;
	char *log;
	int err;

	*skel_out = NULL;
	err = cas_kernel_probe(errbuf);
	if (err)
		return err;
	/*
	 * libbpf loads without a log first and, only if that fails, again
	 * with this buffer at log level 1: a successful load pays nothing.
	 */
	log = calloc(1, CAS_VERIFIER_LOG_SIZE);
	if (!log) {
		snprintf(errbuf, CAS_ERRBUF,
			 "cannot allocate the verifier log");
		return -ENOMEM;
	}
	open_opts.kernel_log_buf = log;
	open_opts.kernel_log_size = CAS_VERIFIER_LOG_SIZE;
	skel = shield_bpf__open_opts(&open_opts);
	if (!skel) {
		err = -errno;
		snprintf(errbuf, CAS_ERRBUF, "cannot open the XDP program: %s",
			 strerror(-err));
		goto out;
	}
	err = cas_shield_prepare(skel, max_rules);
	if (err) {
		snprintf(errbuf, CAS_ERRBUF, "cannot size the rule maps: %s",
			 strerror(-err));
		goto out;
	}
	err = shield_bpf__load(skel);
	if (err) {
		if (cas_verbose && log[0])
			fprintf(stderr, "%s", log);
		/* The verifier's refusal is this kernel's final word. */
		if (cas_explain_load_error(err, log, errbuf, CAS_ERRBUF))
			err = -EOPNOTSUPP;
		goto out;
	}
	*skel_out = skel;
	skel = NULL;
out:
	shield_bpf__destroy(skel);
	free(log);
	return err;
}

int cas_shield_init_maps(const struct cas_maps *maps,
			 const struct cas_load_options *opts, __u32 ifindex,
			 __u32 max_rules)
{
	struct cas_settings settings = {
		.generation = 0,
		.attach_mode = opts->mode,
		.ifindex = ifindex,
		.max_rules = max_rules,
		.loaded_at = time(NULL),
	};
	struct cas_policy policy = { .monitor = opts->monitor };
	struct cas_gen_maps gen;
	int err;

	cas_gen_maps(maps, 0, &gen);
	err = cas_settings_write(maps, &settings);
	if (!err)
		err = cas_policy_write(maps, 0, &policy);
	if (!err)
		err = cas_ports_set(gen.ports, &opts->ports);
	return err;
}

static int cas_configure(struct shield_bpf *skel, const char *ifname,
			 unsigned int ifindex,
			 const struct cas_load_options *opts)
{
	struct cas_maps maps;
	int err;

	err = cas_maps_from_object(skel->obj, &maps);
	if (!err)
		err = cas_shield_init_maps(
			&maps, opts, ifindex,
			bpf_map__max_entries(skel->maps.cas_rules));
	if (err)
		cas_err("cannot configure the shield of %s: %s", ifname,
			strerror(-err));
	return err;
}

static int cas_attach(struct shield_bpf *skel, const char *ifname,
		      unsigned int ifindex, const char *dir,
		      const struct cas_load_options *opts)
{
	LIBBPF_OPTS(bpf_link_create_opts, link_opts);
	char path[PATH_MAX];
	int link_fd, err;

	link_opts.flags = opts->mode == CAS_MODE_SKB ? XDP_FLAGS_SKB_MODE :
						       XDP_FLAGS_DRV_MODE;
	link_fd = bpf_link_create(bpf_program__fd(skel->progs.cas_shield),
				  ifindex, BPF_XDP, &link_opts);
	if (link_fd < 0) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST)
			cas_err("cannot attach to %s: it already has an XDP program (see 'ip link show %s')",
				ifname, ifname);
		else if (opts->mode == CAS_MODE_NATIVE)
			cas_err("cannot attach to %s in native mode: %s (try --mode skb)",
				ifname, strerror(-err));
		else
			cas_err("cannot attach to %s: %s", ifname,
				strerror(-err));
		return err;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, CAS_LINK_PIN);
	if (bpf_obj_pin(link_fd, path)) {
		err = -errno;
		cas_err("cannot pin link %s: %s", path, strerror(-err));
		close(link_fd); /* an unpinned link detaches with its last fd */
		return err;
	}
	close(link_fd);
	return 0;
}

int cas_shield_load(const char *ifname, const struct cas_load_options *opts)
{
	return cas_shield_load_prepared(ifname, opts, NULL, NULL);
}

int cas_shield_load_prepared(
	const char *ifname, const struct cas_load_options *opts,
	int (*prepare)(const struct cas_maps *maps, void *ctx), void *ctx)
{
	struct shield_bpf *skel = NULL;
	char dir[64], errbuf[CAS_ERRBUF];
	struct cas_maps maps;
	unsigned int ifindex;
	int err;

	ifindex = cas_valid_ifname(ifname) ? if_nametoindex(ifname) : 0;
	if (!ifindex) {
		cas_err("no such interface: %s", ifname);
		return CAS_EXIT_FAIL;
	}
	if (cas_ensure_bpffs())
		return CAS_EXIT_FAIL;
	cas_pin_dir(ifname, dir, sizeof(dir));
	/* mkdir is the lock: of two concurrent loads, one wins. */
	if (mkdir(dir, 0700)) {
		err = -errno;
		if (err == -EEXIST)
			cas_err("%s is already shielded (unload it first, or use 'allow' to change its rules)",
				ifname);
		else
			cas_err("cannot create %s: %s", dir, strerror(-err));
		return CAS_EXIT_FAIL;
	}

	err = cas_shield_open_and_load(&skel, opts->max_rules, errbuf);
	if (err) {
		cas_err("%s: %s", ifname, errbuf);
		cas_remove_pins(dir);
		/* Retrying cannot help: this kernel will refuse again. */
		return err == -EOPNOTSUPP ? CAS_EXIT_KERNEL : CAS_EXIT_FAIL;
	}
	err = cas_configure(skel, ifname, ifindex, opts);
	if (err)
		goto fail;
	if (prepare) {
		err = cas_maps_from_object(skel->obj, &maps);
		if (!err)
			err = prepare(&maps, ctx);
		if (err) {
			if (err < 0)
				cas_err("cannot prepare the rules of %s: %s",
					ifname, strerror(-err));
			goto fail;
		}
	}
	err = cas_maps_pin(skel->obj, dir);
	if (err)
		goto fail;
	/* Attach last: the program sees only fully configured maps. */
	err = cas_attach(skel, ifname, ifindex, dir, opts);
	if (err)
		goto fail;
	shield_bpf__destroy(skel);
	return CAS_EXIT_OK;
fail:
	cas_remove_pins(dir);
	shield_bpf__destroy(skel);
	return CAS_EXIT_FAIL;
}

int cas_state_lock(void)
{
	int fd;

	mkdir(CAS_PIN_ROOT, 0700);
	fd = open(CAS_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		int err = -errno;

		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd; /* held until closed, or the process exits */
}

int cas_iface_open_for(const char *ifname_opt, bool writer,
		       struct cas_iface *iface)
{
	char ifname[IF_NAMESIZE];
	int err;

	if (cas_require_privileges())
		return CAS_EXIT_FAIL;
	err = cas_resolve_iface(ifname_opt, ifname);
	if (err)
		return err;
	if (writer && (err = cas_state_lock()) < 0) {
		cas_err("cannot lock %s: %s", CAS_PIN_ROOT, strerror(-err));
		return CAS_EXIT_FAIL;
	}
	return cas_iface_open(ifname, iface);
}

int cas_iface_open(const char *ifname, struct cas_iface *iface)
{
	snprintf(iface->name, sizeof(iface->name), "%s", ifname);
	cas_pin_dir(ifname, iface->pin_dir, sizeof(iface->pin_dir));
	return cas_maps_open_pinned(iface->pin_dir, &iface->maps) ?
		       CAS_EXIT_FAIL :
		       CAS_EXIT_OK;
}

void cas_iface_close(struct cas_iface *iface)
{
	cas_maps_close(&iface->maps);
}

static int cas_open_link(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, CAS_LINK_PIN);
	return bpf_obj_get(path);
}

int cas_iface_attachment(const struct cas_iface *iface,
			 struct cas_attachment *attachment)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);
	struct bpf_link_info info = {};
	__u32 info_len = sizeof(info);
	int link_fd, err = 0;

	memset(attachment, 0, sizeof(*attachment));
	link_fd = cas_open_link(iface->pin_dir);
	if (link_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_obj_get_info_by_fd(link_fd, &info, &info_len)) {
		err = -errno;
		goto out;
	}
	attachment->link_id = info.id;
	attachment->prog_id = info.prog_id;
	attachment->ifindex = info.xdp.ifindex;
	/* Detached behind our back (or the device is gone): ifindex is 0. */
	if (!attachment->ifindex)
		goto out;
	if (bpf_xdp_query(attachment->ifindex, 0, &query))
		goto out;
	attachment->attached = query.prog_id == info.prog_id ||
			       query.drv_prog_id == info.prog_id ||
			       query.skb_prog_id == info.prog_id;
out:
	close(link_fd);
	return err;
}

int cas_shield_unload(const char *ifname)
{
	char dir[64];
	int link_fd;

	cas_pin_dir(ifname, dir, sizeof(dir));
	link_fd = cas_open_link(dir);
	if (link_fd >= 0) {
		/* Detach now, even if another process holds the link. */
		if (bpf_link_detach(link_fd) && errno != ENOLINK &&
		    errno != EINVAL) {
			int err = -errno;

			cas_err("cannot detach from %s: %s", ifname,
				strerror(-err));
			close(link_fd);
			return CAS_EXIT_FAIL;
		}
		close(link_fd);
	}
	cas_remove_pins(dir);
	if (cas_is_shielded(ifname)) {
		cas_err("cannot remove %s: %s", dir, strerror(errno));
		return CAS_EXIT_FAIL;
	}
	return CAS_EXIT_OK;
}
