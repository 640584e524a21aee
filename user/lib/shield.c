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
#include "synproxy.h"

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
static int cas_ensure_bpffs(char *err)
{
	struct statfs fs;
	int ret;

	if (!statfs(CAS_BPFFS, &fs) && fs.f_type == BPF_FS_MAGIC)
		goto root;
	if (mount("bpf", CAS_BPFFS, "bpf", 0, "mode=0700")) {
		ret = -errno;
		snprintf(err, CAS_ERRBUF, "cannot mount bpffs on %s: %s",
			 CAS_BPFFS, strerror(-ret));
		return ret;
	}
root:
	/* Pins are readable by root alone. */
	if (mkdir(CAS_PIN_ROOT, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, CAS_ERRBUF, "cannot create %s: %s", CAS_PIN_ROOT,
			 strerror(-ret));
		return ret;
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
	size_t used = 0, capacity = 0;
	struct dirent *entry;
	DIR *dir;

	*names = NULL;
	*count = 0;
	dir = opendir(CAS_PIN_ROOT);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((entry = readdir(dir))) {
		if (!cas_valid_ifname(entry->d_name) ||
		    !cas_is_shielded(entry->d_name))
			continue;
		if (cas_array_reserve(&list, &capacity, used + 1,
				      sizeof(*list))) {
			closedir(dir);
			free(list);
			return -ENOMEM;
		}
		snprintf(list[used++], IF_NAMESIZE, "%.*s", IF_NAMESIZE - 1,
			 entry->d_name);
	}
	closedir(dir);
	if (used)
		qsort(list, used, sizeof(*list), cas_name_cmp);
	*names = list;
	*count = used;
	return 0;
}

int cas_resolve_iface(const char *ifname, char *out, char *err)
{
	char(*names)[IF_NAMESIZE];
	size_t count;
	int ret;

	if (ifname) {
		if (!cas_valid_ifname(ifname)) {
			snprintf(err, CAS_ERRBUF, "invalid interface name '%s'",
				 ifname);
			return -EINVAL;
		}
		if (!cas_is_shielded(ifname)) {
			snprintf(err, CAS_ERRBUF,
				 "%s is not shielded (see 'casshield status')",
				 ifname);
			return -ENOENT;
		}
		snprintf(out, IF_NAMESIZE, "%s", ifname);
		return 0;
	}
	ret = cas_shielded_list(&names, &count);
	if (ret) {
		snprintf(err, CAS_ERRBUF, "cannot list %s: %s", CAS_PIN_ROOT,
			 strerror(-ret));
		return ret;
	}
	if (count == 1)
		snprintf(out, IF_NAMESIZE, "%s", names[0]);
	free(names);
	if (count == 0) {
		snprintf(err, CAS_ERRBUF,
			 "no interface is shielded (see 'casshield load')");
		return -ENOENT;
	}
	if (count > 1) {
		snprintf(err, CAS_ERRBUF,
			 "%zu interfaces are shielded: name one with -i IFACE",
			 count);
		return -EINVAL; /* the command line must say which */
	}
	return 0;
}

/*
 * Every pin in the interface's directory goes, not only the names this
 * build knows: state left by another version (maps renamed since) must not
 * keep the directory, and with it "already shielded", alive.
 */
static void cas_remove_pins(const char *dir)
{
	struct dirent *entry;
	DIR *pins;

	pins = opendir(dir);
	while (pins && (entry = readdir(pins))) {
		if (entry->d_name[0] == '.')
			continue;
		unlinkat(dirfd(pins), entry->d_name, 0);
	}
	if (pins)
		closedir(pins);
	rmdir(dir);
}

/* Size the rule maps and seed the hash: what varies between loads. */
static int cas_shield_prepare(struct shield_bpf *skel, __u32 max_rules)
{
	struct bpf_map *sized[] = {
		skel->maps.cas_rules,	   skel->maps.cas_rule_stats,
		skel->maps.cas_rule_gcra,  skel->maps.cas_prefix4_g0,
		skel->maps.cas_prefix4_g1, skel->maps.cas_trie6_g0,
		skel->maps.cas_trie6_g1,   skel->maps.cas_prefix6_g0,
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
		return errno ? -errno : -EIO; /* a short read sets no errno */
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
		if (err >= 0) /* never 0 without a skeleton */
			err = -ENOMEM;
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
		/*
		 * The verifier's refusal is this kernel's final word; its
		 * EINVAL is the kernel's, not the caller's input.
		 */
		if (cas_explain_load_error(err, log, errbuf, CAS_ERRBUF))
			err = -ENOEXEC;
		else if (err == -EINVAL)
			err = -EIO;
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
	char name[IF_NAMESIZE] = "";
	struct cas_gen_maps gen;
	int err;

	if_indextoname(ifindex, name); /* "" (MTU 1500) in unit tests */
	cas_synproxy_policy(name, opts->synproxy, CAS_SYNACK_RATE_DEFAULT,
			    CAS_SYNACK_RATE_DEFAULT, &policy);
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
			 const struct cas_load_options *opts, char *err)
{
	struct cas_maps maps;
	int ret;

	ret = cas_maps_from_object(skel->obj, &maps);
	if (!ret)
		ret = cas_shield_init_maps(
			&maps, opts, ifindex,
			bpf_map__max_entries(skel->maps.cas_rules));
	if (ret)
		snprintf(err, CAS_ERRBUF,
			 "cannot configure the shield of %s: %s", ifname,
			 strerror(-ret));
	return ret;
}

/*
 * The SYN proxy's table for what the live generation says (the loader's
 * options, or the ruleset an apply prepared), before the attach.
 */
static int cas_synproxy_load(const char *ifname, struct shield_bpf *skel,
			     char *err)
{
	struct cas_port_list ports;
	struct cas_policy policy;
	struct cas_maps maps;
	int ret;

	ret = cas_maps_from_object(skel->obj, &maps);
	if (!ret)
		ret = cas_policy_read_active(&maps, &policy);
	if (!ret)
		ret = cas_ports_get_active(&maps, &ports);
	if (ret) {
		snprintf(err, CAS_ERRBUF, "cannot read the new state of %s: %s",
			 ifname, strerror(-ret));
		return ret;
	}
	return cas_synproxy_sync(ifname, &ports, &policy, err);
}

static int cas_attach(struct shield_bpf *skel, const char *ifname,
		      unsigned int ifindex, const char *dir,
		      const struct cas_load_options *opts, char *err)
{
	LIBBPF_OPTS(bpf_link_create_opts, link_opts);
	char path[128]; /* a pin: the directory (64) and a name */
	int link_fd, ret;

	link_opts.flags = opts->mode == CAS_MODE_SKB ? XDP_FLAGS_SKB_MODE :
						       XDP_FLAGS_DRV_MODE;
	link_fd = bpf_link_create(bpf_program__fd(skel->progs.cas_shield),
				  ifindex, BPF_XDP, &link_opts);
	if (link_fd < 0) {
		ret = -errno;
		if (ret == -EBUSY || ret == -EEXIST)
			snprintf(
				err, CAS_ERRBUF,
				"cannot attach to %s: it already has an XDP program (see 'ip link show %s')",
				ifname, ifname);
		else if (opts->mode == CAS_MODE_NATIVE)
			snprintf(
				err, CAS_ERRBUF,
				"cannot attach to %s in native mode: %s (try --mode skb)",
				ifname, strerror(-ret));
		else
			snprintf(err, CAS_ERRBUF, "cannot attach to %s: %s",
				 ifname, strerror(-ret));
		/* The kernel's EINVAL is the driver's refusal, not our input. */
		return ret == -EINVAL ? -EOPNOTSUPP : ret;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, CAS_LINK_PIN);
	if (bpf_obj_pin(link_fd, path)) {
		ret = -errno;
		snprintf(err, CAS_ERRBUF, "cannot pin link %s: %s", path,
			 strerror(-ret));
		close(link_fd); /* an unpinned link detaches with its last fd */
		return ret;
	}
	close(link_fd);
	return 0;
}

/* The interface's MTU, or Ethernet's if it cannot be read. */
static unsigned int cas_iface_mtu(const char *ifname)
{
	char path[64 + IF_NAMESIZE];
	unsigned int mtu = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", ifname);
	f = ifname[0] ? fopen(path, "re") : NULL;
	if (f) {
		if (fscanf(f, "%u", &mtu) != 1)
			mtu = 0;
		fclose(f);
	}
	return mtu >= 1280 && mtu <= 65535 ? mtu : 1500;
}

void cas_synproxy_policy(const char *ifname, bool on, __u32 synack_rate,
			 __u32 synack_burst, struct cas_policy *policy)
{
	unsigned int mtu = cas_iface_mtu(ifname);

	policy->flags = on ? policy->flags | CAS_POLICY_SYN_PROXY :
			     policy->flags & ~CAS_POLICY_SYN_PROXY;
	policy->synack_rate = synack_rate;
	policy->synack_burst = synack_burst;
	/* IPv4 and TCP headers (40), IPv6 and TCP (60): RFC 879, 8200. */
	policy->mss4 = mtu - 40;
	policy->mss6 = mtu - 60;
	policy->wscale = CAS_SYNPROXY_WSCALE;
}

int cas_synproxy_sync(const char *ifname, const struct cas_port_list *ports,
		      const struct cas_policy *policy, char *err)
{
	struct cas_synproxy_params params = {
		.ifname = ifname,
		.mss4 = policy->mss4,
		.mss6 = policy->mss6,
		.wscale = policy->wscale,
	};
	__u16 tcp[CAS_MAX_PROTECTED_PORTS];
	unsigned int i;
	int ret;

	for (i = 0; i < ports->count; i++)
		if (ports->ports[i].proto == CAS_PROTO_TCP)
			tcp[params.nports++] = ports->ports[i].port;
	params.ports = tcp;
	/* No TCP port protected: nothing for SYNPROXY to finish. */
	if (!(policy->flags & CAS_POLICY_SYN_PROXY) || !params.nports)
		return cas_synproxy_remove(ifname, err);
	/* What is missing stays missing on a retry: exit 3, like a kernel
	 * that cannot run the shield, so `run` does not loop on it. */
	ret = cas_synproxy_supported(err);
	if (ret)
		return ret == -EOPNOTSUPP ? -ENOEXEC : ret;
	return cas_synproxy_install(&params, err);
}

int cas_shield_load(const char *ifname, const struct cas_load_options *opts,
		    char *err)
{
	return cas_shield_load_prepared(ifname, opts, NULL, NULL, err);
}

/* The interface's index, and its pin directory made (mkdir is the lock:
 * of two concurrent loads, one wins). */
static int cas_claim_iface(const char *ifname, unsigned int *ifindex, char *dir,
			   size_t dir_len, char *err)
{
	int ret;

	if (!cas_valid_ifname(ifname)) {
		snprintf(err, CAS_ERRBUF, "invalid interface name '%s'",
			 ifname);
		return -EINVAL;
	}
	*ifindex = if_nametoindex(ifname);
	if (!*ifindex) {
		snprintf(err, CAS_ERRBUF, "no such interface: %s", ifname);
		return -ENODEV;
	}
	ret = cas_ensure_bpffs(err);
	if (ret)
		return ret;
	cas_pin_dir(ifname, dir, dir_len);
	if (!mkdir(dir, 0700))
		return 0;
	ret = -errno;
	if (ret == -EEXIST)
		snprintf(
			err, CAS_ERRBUF,
			"%s is already shielded (unload it first, or use 'allow' to change its rules)",
			ifname);
	else
		snprintf(err, CAS_ERRBUF, "cannot create %s: %s", dir,
			 strerror(-ret));
	return ret;
}

int cas_shield_load_prepared(const char *ifname,
			     const struct cas_load_options *opts,
			     int (*prepare)(const struct cas_maps *maps,
					    void *ctx, char *err),
			     void *ctx, char *err)
{
	struct shield_bpf *skel = NULL;
	struct cas_maps maps;
	unsigned int ifindex;
	char dir[64];
	int ret;

	ret = cas_claim_iface(ifname, &ifindex, dir, sizeof(dir), err);
	if (ret)
		return ret;
	ret = cas_shield_open_and_load(&skel, opts->max_rules, err);
	if (ret)
		goto fail;
	ret = cas_configure(skel, ifname, ifindex, opts, err);
	if (ret)
		goto fail;
	if (prepare) {
		ret = cas_maps_from_object(skel->obj, &maps);
		if (ret)
			snprintf(err, CAS_ERRBUF, "cannot open the maps: %s",
				 strerror(-ret));
		else
			ret = prepare(&maps, ctx, err);
		if (ret)
			goto fail;
	}
	ret = cas_maps_pin(skel->obj, dir, err);
	if (!ret)
		ret = cas_synproxy_load(ifname, skel, err);
	if (ret)
		goto fail;
	/* Attach last: the program sees only fully configured maps. */
	ret = cas_attach(skel, ifname, ifindex, dir, opts, err);
fail:
	if (ret) {
		char ignored[CAS_ERRBUF];

		cas_remove_pins(dir);
		cas_synproxy_remove(ifname, ignored);
	}
	shield_bpf__destroy(skel);
	return ret;
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

int cas_iface_open(const char *ifname, struct cas_iface *iface, char *err)
{
	snprintf(iface->name, sizeof(iface->name), "%s", ifname);
	cas_pin_dir(ifname, iface->pin_dir, sizeof(iface->pin_dir));
	return cas_maps_open_pinned(iface->pin_dir, &iface->maps, err);
}

void cas_iface_close(struct cas_iface *iface)
{
	cas_maps_close(&iface->maps);
}

static int cas_open_link(const char *dir)
{
	char path[128]; /* a pin: the directory (64) and a name */

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

int cas_shield_unload(const char *ifname, char *err)
{
	char dir[64];
	int link_fd, ret;

	cas_pin_dir(ifname, dir, sizeof(dir));
	link_fd = cas_open_link(dir);
	if (link_fd >= 0) {
		/* Detach now, even if another process holds the link. */
		if (bpf_link_detach(link_fd) && errno != ENOLINK &&
		    errno != EINVAL) {
			ret = -errno;
			snprintf(err, CAS_ERRBUF, "cannot detach from %s: %s",
				 ifname, strerror(-ret));
			close(link_fd);
			return ret;
		}
		close(link_fd);
	}
	cas_remove_pins(dir);
	if (cas_is_shielded(ifname)) {
		snprintf(err, CAS_ERRBUF,
			 "cannot remove %s: something else keeps it", dir);
		return -EBUSY;
	}
	/* After the detach: no program passes cookie ACKs any more. */
	return cas_synproxy_remove(ifname, err);
}
