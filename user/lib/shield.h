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
	bool synproxy; /* answer SYNs on the protected TCP ports */
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

/*
 * Library code (docs/design.md, "One error convention"): every function
 * that can fail returns 0 or -errno and fills err (CAS_ERRBUF bytes) with
 * one line naming the object and the reason; nothing here prints. -EINVAL
 * means the caller's input is at fault, -ENOEXEC that this kernel cannot
 * run the shield (a feature missing, the verifier refused the program).
 */
struct shield_bpf;
/*
 * Probe the kernel, open the skeleton, size its rule maps (max_rules, 0
 * for the default), give it a random hash seed, load it (not attach).
 */
int cas_shield_open_and_load(struct shield_bpf **skel, __u32 max_rules,
			     char *err);

/* Settings and ports of freshly loaded maps (loader and unit tests). */
int cas_shield_init_maps(const struct cas_maps *maps,
			 const struct cas_load_options *opts, __u32 ifindex,
			 __u32 max_rules);

/*
 * Load and attach: -ENODEV no such interface, -EEXIST already shielded,
 * -EBUSY another XDP program is there, -ENOEXEC see above. A failed load
 * leaves no pin behind.
 */
int cas_shield_load(const char *ifname, const struct cas_load_options *opts,
		    char *err);
/* load, with prepare(maps) run on the configured maps before the attach. */
int cas_shield_load_prepared(const char *ifname,
			     const struct cas_load_options *opts,
			     int (*prepare)(const struct cas_maps *maps,
					    void *ctx, char *err),
			     void *ctx, char *err);
/*
 * The SYN proxy (docs/synproxy.md). cas_synproxy_policy fills a policy's
 * SYN proxy fields: the switch, the SYN-ACK cap, and what SYN-ACKs
 * advertise (the MSS from the interface's MTU, our window scale).
 * cas_synproxy_sync makes the interface's nftables table match: installed
 * for the TCP ports of ports when the policy has the proxy on (after
 * checking that this host can run it: -EOPNOTSUPP naming what is missing),
 * removed otherwise. The table goes in before the XDP program starts
 * passing cookie ACKs and comes out after it stops.
 */
void cas_synproxy_policy(const char *ifname, bool on, __u32 synack_rate,
			 __u32 synack_burst, struct cas_policy *policy);
int cas_synproxy_sync(const char *ifname, const struct cas_port_list *ports,
		      const struct cas_policy *policy, char *err);

/* Detach, remove every pin of the interface and its SYN proxy table. */
int cas_shield_unload(const char *ifname, char *err);
/* Open the pins of a shielded interface. */
int cas_iface_open(const char *ifname, struct cas_iface *iface, char *err);
/* Serialise changes of the shield's state between processes: an fd held
 * until closed or the process exits, or -errno. */
int cas_state_lock(void);
void cas_iface_close(struct cas_iface *iface);
int cas_iface_attachment(const struct cas_iface *iface,
			 struct cas_attachment *attachment);

/* Names of the shielded interfaces (pin directories), sorted. */
int cas_shielded_list(char (**names)[IF_NAMESIZE], size_t *count);
bool cas_is_shielded(const char *ifname);
/*
 * "IFACE" from -i, or the single shielded interface when ifname is NULL:
 * -EINVAL for an invalid name or when several are shielded (the command
 * line must name one), -ENOENT when it is not shielded or none is.
 */
int cas_resolve_iface(const char *ifname, char *out, char *err);

const char *cas_mode_name(__u32 mode);

#endif /* CAS_USER_SHIELD_H */
