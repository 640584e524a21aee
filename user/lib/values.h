/* SPDX-License-Identifier: GPL-2.0 */
/*
 * values.h - parsers for the values users type: CIDRs, port lists, numbers. Each
 * returns 0 or -EINVAL and, on error, writes a one-line explanation.
 */
#ifndef CAS_USER_VALUES_H
#define CAS_USER_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "casshield.h"
#include "common.h"

struct cas_prefix {
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 prefixlen;
	__u8 addr[16];
};

struct cas_port {
	__u16 port;
	__u8 proto; /* enum cas_proto */
};

struct cas_port_list {
	unsigned int count;
	struct cas_port ports[CAS_MAX_PROTECTED_PORTS];
};

/*
 * "198.51.100.0/24", "2001:db8::/32", or a bare address (a host prefix).
 * IPv4-mapped IPv6 prefixes (inside ::ffff:0:0/96) are refused with the
 * IPv4 form to write instead.
 */
int cas_parse_prefix(const char *text, struct cas_prefix *prefix, char *err);
/* Writes "addr/len" into buf (at least 64 bytes). */
void cas_format_prefix(const struct cas_prefix *prefix, char *buf, size_t len);
/* An order of prefixes (family, length, address): 0 if the same prefix. */
int cas_prefix_order(const struct cas_prefix *a, const struct cas_prefix *b);

/* "443,80/tcp,53/udp": a bare port is TCP; duplicates are refused. */
int cas_parse_port_list(const char *text, struct cas_port_list *list,
			char *err);
const char *cas_proto_name(unsigned int proto);

/*
 * Port lists, said once. A rule's ports are a mask over its interface's
 * list (bit i = list->ports[i]); CAS_ALL_PORTS means every protected port.
 */
/* Index of port in list, or -1. */
int cas_port_list_find(const struct cas_port_list *list,
		       const struct cas_port *port);
/* "443/tcp<sep>80/tcp" into buf; "" for an empty list. */
void cas_port_list_format(const struct cas_port_list *list, const char *sep,
			  char *buf, size_t len);
/* The mask of subset over all (an empty subset: CAS_ALL_PORTS). */
__u64 cas_port_list_mask(const struct cas_port_list *all,
			 const struct cas_port_list *subset);
/* The ports of mask over all (CAS_ALL_PORTS: every port of all). */
void cas_port_list_from_mask(const struct cas_port_list *all, __u64 mask,
			     struct cas_port_list *out);
/* Same ports in the same order. */
bool cas_port_list_equal(const struct cas_port_list *a,
			 const struct cas_port_list *b);
/* Buffer size that holds any formatted list (64 x "65535/udp" + sep). */
#define CAS_PORTS_TEXT 768

/*
 * An interface name the kernel could have, checked before it becomes a
 * path under bpffs: 1..15 characters, none of '/', ':', white space or
 * control bytes, not "." or "..".
 */
bool cas_valid_ifname(const char *name);

/* Rule names become Prometheus label values: [A-Za-z0-9._-]{1,31}. */
int cas_valid_rule_name(const char *name);

/* Decimal u32 within [min, max]. */
int cas_parse_u32(const char *text, __u32 min, __u32 max, __u32 *value,
		  char *err);

/*
 * A handshake rate per second: "N", "Nk" (thousands) or "NM" (millions),
 * optionally followed by "/s". 0 means unlimited.
 */
int cas_parse_rate(const char *text, __u32 *rate, char *err);
/* "02:00:00:00:00:01" (or with '-'). */
int cas_parse_mac(const char *text, __u8 mac[6], char *err);
/* "64" or "60-64", within 1..255. */
int cas_parse_ttl(const char *text, __u8 *min, __u8 *max, char *err);
/* "1.0" .. "1.3" or "off" (0). */
int cas_parse_tls_version(const char *text, __u16 *version, char *err);
/* "1.2", or "off" for 0. */
const char *cas_tls_version_name(__u16 version);

/*
 * A (rate, burst) pair as typed: burst_set says whether a burst was given.
 * Fills *burst with its default (the rate) and refuses a zero burst with a
 * non-zero rate, or a burst without a rate. what names the pair.
 */
int cas_check_bucket(const char *what, __u32 rate, bool burst_set, __u32 *burst,
		     char *err);

#endif /* CAS_USER_VALUES_H */
