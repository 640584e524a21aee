/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shield.h - the lifecycle of a shielded interface: load (skeleton, maps,
 * pins, bpf_link), open (from the pins), inspect and unload. State lives in
 * bpffs under CAS_PIN_ROOT/IFACE so that the shield outlives the CLI.
 */
#ifndef CAS_USER_SHIELD_H
#define CAS_USER_SHIELD_H

#include <net/if.h>
#include <stdbool.h>
#include "maps.h"

#define CAS_BPFFS	    "/sys/fs/bpf"
#define CAS_PIN_ROOT	    CAS_BPFFS "/casshield"

#define CAS_MAX_RULES_LIMIT (16u << 20)

struct cas_load_options {
	enum cas_attach_mode mode;
	bool monitor;
	struct cas_port_list ports;
	__u32 max_rules; /* 0: CAS_MAX_RULES */
};

/* An interface whose pins were opened. */
struct cas_iface {
	char name[IF_NAMESIZE];
	char pin_dir[64];
	struct cas_maps maps;
};

struct cas_attachment {
	bool attached; /* the pinned link still holds the program on ifindex */
	__u32 ifindex; /* from the link (0 once detached) */
	__u32 prog_id;
	__u32 link_id;
};

struct shield_bpf;
/*
 * Probe the kernel, open the skeleton, size its rule maps (max_rules, 0
 * for the default), give it a random hash seed, load it (not attach).
 * 0, or -errno with errbuf (CAS_ERRBUF) saying why; -EOPNOTSUPP when this
 * kernel cannot run the shield (a feature missing, the verifier refused).
 */
int cas_shield_open_and_load(struct shield_bpf **skel, __u32 max_rules,
			     char *errbuf);

/* Settings and ports of freshly loaded maps (loader and unit tests). */
int cas_shield_init_maps(const struct cas_maps *maps,
			 const struct cas_load_options *opts, __u32 ifindex,
			 __u32 max_rules);

/* The error paths print their own one-line message. */
int cas_shield_load(const char *ifname, const struct cas_load_options *opts);
int cas_shield_unload(const char *ifname);
/* load, with prepare(maps) run on the configured maps before the attach. */
int cas_shield_load_prepared(
	const char *ifname, const struct cas_load_options *opts,
	int (*prepare)(const struct cas_maps *maps, void *ctx), void *ctx);
int cas_iface_open(const char *ifname, struct cas_iface *iface);
/*
 * What every verb on one interface does first: check privileges, resolve
 * -i (NULL: the only shielded interface), take the state lock if it will
 * write, open the pins. CAS_EXIT_* after a one-line error.
 */
int cas_iface_open_for(const char *ifname_opt, bool writer,
		       struct cas_iface *iface);
/* Serialise changes of the shield's state between processes: an fd held
 * until closed or the process exits, or -errno. */
int cas_state_lock(void);
void cas_iface_close(struct cas_iface *iface);
int cas_iface_attachment(const struct cas_iface *iface,
			 struct cas_attachment *attachment);

/* Names of the shielded interfaces (pin directories), sorted. */
int cas_shielded_list(char (**names)[IF_NAMESIZE], size_t *count);
bool cas_is_shielded(const char *ifname);
/* "IFACE" from -i, or the single shielded interface when ifname is NULL. */
int cas_resolve_iface(const char *ifname, char *out);

const char *cas_mode_name(__u32 mode);

#endif /* CAS_USER_SHIELD_H */
