// SPDX-License-Identifier: GPL-2.0
/* parse.c - strict parsers: nothing half-understood is accepted. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static const char *const cas_proto_names[CAS_PROTO_COUNT] = {
	[CAS_PROTO_TCP] = "tcp",
	[CAS_PROTO_UDP] = "udp",
};

const char *cas_proto_name(unsigned int proto)
{
	return proto < CAS_PROTO_COUNT ? cas_proto_names[proto] : "?";
}

int cas_parse_u32(const char *text, __u32 min, __u32 max, __u32 *value,
		  char *err)
{
	unsigned long long parsed;
	char *end;

	if (!text || !*text || *text < '0' || *text > '9')
		goto bad;
	errno = 0;
	parsed = strtoull(text, &end, 10);
	if (errno || *end || parsed < min || parsed > max)
		goto bad;
	*value = parsed;
	return 0;
bad:
	snprintf(err, CAS_ERRBUF, "invalid number '%s' (expected %u to %u)",
		 text ? text : "", min, max);
	return -EINVAL;
}

/* True when no bit beyond prefixlen is set. */
static int cas_host_bits_clear(const __u8 *addr, unsigned int prefixlen,
			       unsigned int bits)
{
	unsigned int i;

	for (i = prefixlen; i < bits; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

int cas_parse_prefix(const char *text, struct cas_prefix *prefix, char *err)
{
	char addr_text[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned int bits;
	__u32 prefixlen;

	memset(prefix, 0, sizeof(*prefix));
	if (addr_len == 0 || addr_len >= sizeof(addr_text))
		goto bad;
	memcpy(addr_text, text, addr_len);
	addr_text[addr_len] = '\0';

	if (inet_pton(AF_INET, addr_text, prefix->addr) == 1) {
		prefix->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, addr_text, prefix->addr) == 1) {
		prefix->family = AF_INET6;
		bits = 128;
	} else {
		goto bad;
	}
	prefixlen = bits;
	if (slash) {
		char len_err[CAS_ERRBUF];

		if (cas_parse_u32(slash + 1, 0, bits, &prefixlen, len_err))
			goto bad;
	}
	prefix->prefixlen = prefixlen;
	if (!cas_host_bits_clear(prefix->addr, prefixlen, bits)) {
		snprintf(err, CAS_ERRBUF,
			 "invalid CIDR '%s': address bits set beyond /%u", text,
			 prefixlen);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, CAS_ERRBUF,
		 "invalid CIDR '%s' (expected ADDRESS[/LENGTH], IPv4 or IPv6)",
		 text);
	return -EINVAL;
}

void cas_format_prefix(const struct cas_prefix *prefix, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(prefix->family, prefix->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, prefix->prefixlen);
}

static int cas_parse_port(const char *text, struct cas_port *port, char *err)
{
	char number[8];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	__u32 value;

	port->proto = CAS_PROTO_TCP;
	if (slash) {
		if (!strcmp(slash + 1, "tcp"))
			port->proto = CAS_PROTO_TCP;
		else if (!strcmp(slash + 1, "udp"))
			port->proto = CAS_PROTO_UDP;
		else
			goto bad;
	}
	if (len == 0 || len >= sizeof(number))
		goto bad;
	memcpy(number, text, len);
	number[len] = '\0';
	if (cas_parse_u32(number, 1, 65535, &value, err))
		goto bad;
	port->port = value;
	return 0;
bad:
	snprintf(err, CAS_ERRBUF,
		 "invalid port '%s' (expected 1-65535, optionally /tcp or /udp)",
		 text);
	return -EINVAL;
}

int cas_parse_port_list(const char *text, struct cas_port_list *list,
			char *err)
{
	char *copy, *item, *save = NULL;
	int ret = 0;

	memset(list, 0, sizeof(*list));
	if (!*text) {
		snprintf(err, CAS_ERRBUF, "empty port list");
		return -EINVAL;
	}
	copy = strdup(text);
	if (!copy) {
		snprintf(err, CAS_ERRBUF, "out of memory");
		return -ENOMEM;
	}
	/* strtok_r would skip empty items ("443,,80"): refuse those. */
	if (text[0] == ',' || text[strlen(text) - 1] == ',' ||
	    strstr(text, ",,")) {
		snprintf(err, CAS_ERRBUF, "invalid port list '%s': empty item",
			 text);
		ret = -EINVAL;
		goto out;
	}
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		struct cas_port port;
		unsigned int i;

		ret = cas_parse_port(item, &port, err);
		if (ret)
			goto out;
		for (i = 0; i < list->count; i++) {
			if (list->ports[i].port == port.port &&
			    list->ports[i].proto == port.proto) {
				snprintf(err, CAS_ERRBUF,
					 "port %u/%s is listed twice", port.port,
					 cas_proto_name(port.proto));
				ret = -EINVAL;
				goto out;
			}
		}
		if (list->count == CAS_MAX_PROTECTED_PORTS) {
			snprintf(err, CAS_ERRBUF, "more than %d ports",
				 CAS_MAX_PROTECTED_PORTS);
			ret = -EINVAL;
			goto out;
		}
		list->ports[list->count++] = port;
	}
out:
	free(copy);
	return ret;
}
