/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synproxy.h - the netfilter side of the SYN proxy (docs/synproxy.md).
 * The XDP program answers SYNs with cookies and passes the ACKs that
 * return a valid one; netfilter's SYNPROXY then opens the connection to
 * the listener. This needs, per shielded interface, one nftables table
 * (inet casshield_synproxy_IFNAME) and nf_conntrack_tcp_loose at 0 while
 * any such table exists: with loose on, conntrack would take the cookie
 * ACK for a connection of its own and SYNPROXY would never see it.
 *
 * The admin's previous tcp_loose is kept in each table's comment, so it
 * survives a restart of casshield and is restored when the last table
 * goes. The tables are written by the nft program (fork/exec, the script
 * on stdin), one transaction each.
 *
 * Library code: returns 0 or -errno and fills err (CAS_ERRBUF bytes) with
 * one line; prints nothing. install and remove read, then change, what
 * all interfaces share (the tables, the sysctl): callers hold the state
 * lock (cas_state_lock) around them.
 */
#ifndef CAS_USER_SYNPROXY_H
#define CAS_USER_SYNPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define CAS_SYNPROXY_TABLE_PREFIX "casshield_synproxy_"
/* The prefix, three bytes for each byte of a name (IF_NAMESIZE - 1), NUL. */
#define CAS_SYNPROXY_TABLE_LEN	  (sizeof(CAS_SYNPROXY_TABLE_PREFIX) + 3 * 15)
/* The text of a saved nf_conntrack_tcp_loose: an int, its sign, NUL. */
#define CAS_SYNPROXY_LOOSE_LEN	  16

struct cas_synproxy_params {
	const char *ifname; /* validated already (cas_valid_ifname) */
	const __u16 *ports; /* protected TCP ports, host order */
	size_t nports;	    /* >= 1 */
	__u16 mss4, mss6;   /* MSS to advertise: the XDP SYN-ACK's */
	__u8 wscale;	    /* window scale to advertise (7) */
};

/*
 * Pure: the nft script (for `nft -f -`) that atomically replaces this
 * interface's table, its comment saying that nf_conntrack_tcp_loose was
 * saved_loose (an integer's text). -EINVAL for parameters nft cannot take
 * (no port, port 0, MSS 0, wscale > 14, a name with '"' or '\', a
 * saved_loose that is no integer), -ENOSPC if len is too small, -ENOMEM.
 */
int cas_synproxy_ruleset(const struct cas_synproxy_params *p,
			 const char *saved_loose, char *buf, size_t len);

/*
 * The table's name for an interface (pure): the prefix, then the name
 * with every byte outside [A-Za-z0-9_] written as -XX (hex), so distinct
 * interfaces never share a table. CAS_SYNPROXY_TABLE_LEN bytes suffice.
 */
void cas_synproxy_table(const char *ifname, char *buf, size_t len);

/*
 * Pure: the saved nf_conntrack_tcp_loose in a table's comment (as
 * cas_synproxy_ruleset writes it) into buf. -EBADMSG when the comment
 * holds none, -ENOSPC if len is too small.
 */
int cas_synproxy_saved_loose(const char *comment, char *buf, size_t len);

/*
 * Install or replace the table (one nft transaction: nothing half-done),
 * then set tcp_loose to 0. The value saved in the table is the one saved
 * in any casshield SYN-proxy table that exists (the sysctl is per network
 * namespace, so the first table saved the admin's), else the sysctl's
 * (the kernel's default, 1, if nf_conntrack is not loaded yet). If the
 * sysctl cannot be set, a table that did not exist before is removed.
 */
int cas_synproxy_install(const struct cas_synproxy_params *p, char *err);

/*
 * Remove the table if present (absent is success); if no casshield
 * SYN-proxy table remains, restore tcp_loose to the value it saved.
 * -EBADMSG if the last table held no saved value (it is gone anyway).
 */
int cas_synproxy_remove(const char *ifname, char *err);

struct cas_synproxy_status {
	bool table;	/* the interface's table exists */
	bool loose_off; /* tcp_loose is 0 */
};

/* What is there for this interface; st is filled as far as it could be. */
int cas_synproxy_status(const char *ifname, struct cas_synproxy_status *st,
			char *err);

/*
 * Can this host run the SYN proxy? In order: the kernel's raw syncookie
 * helpers for XDP (Linux 6.0), the nft program, netfilter's SYNPROXY
 * (nft_synproxy, as a module or built in). -EOPNOTSUPP with one line
 * naming what is missing; another -errno if a check itself failed.
 */
int cas_synproxy_supported(char *err);

#endif /* CAS_USER_SYNPROXY_H */
