/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - parsers for what users type: CIDRs, port lists, numbers. Each
 * returns 0 or -EINVAL and, on error, writes a one-line explanation.
 */
#ifndef CAS_USER_PARSE_H
#define CAS_USER_PARSE_H

#include <stddef.h>
#include <linux/types.h>
#include "casshield.h"

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

#define CAS_ERRBUF 256

/* "198.51.100.0/24", "2001:db8::/32", or a bare address (a host prefix). */
int cas_parse_prefix(const char *text, struct cas_prefix *prefix, char *err);
/* Writes "addr/len" into buf (at least 64 bytes). */
void cas_format_prefix(const struct cas_prefix *prefix, char *buf, size_t len);

/* "443,80/tcp,53/udp": a bare port is TCP; duplicates are refused. */
int cas_parse_port_list(const char *text, struct cas_port_list *list,
			char *err);
const char *cas_proto_name(unsigned int proto);

/* Decimal u32 within [min, max]. */
int cas_parse_u32(const char *text, __u32 min, __u32 max, __u32 *value,
		  char *err);

#endif /* CAS_USER_PARSE_H */
