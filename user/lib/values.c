// SPDX-License-Identifier: GPL-2.0
/* values.c - strict parsers: nothing half-understood is accepted. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"

static const char *const cas_proto_names[CAS_PROTO_COUNT] = {
	[CAS_PROTO_TCP] = "tcp",
	[CAS_PROTO_UDP] = "udp",
};

const char *cas_proto_name(unsigned int proto)
{
	return proto < CAS_PROTO_COUNT ? cas_proto_names[proto] : "?";
}

int cas_port_list_find(const struct cas_port_list *list,
		       const struct cas_port *port)
{
	unsigned int i;

	for (i = 0; i < list->count; i++)
		if (list->ports[i].port == port->port &&
		    list->ports[i].proto == port->proto)
			return (int)i;
	return -1;
}

void cas_port_list_format(const struct cas_port_list *list, const char *sep,
			  char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < list->count && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%u/%s",
				 i ? sep : "", list->ports[i].port,
				 cas_proto_name(list->ports[i].proto));
}

__u64 cas_port_list_mask(const struct cas_port_list *all,
			 const struct cas_port_list *subset)
{
	unsigned int i;
	__u64 mask = 0;
	int slot;

	if (!subset->count)
		return CAS_ALL_PORTS;
	for (i = 0; i < subset->count; i++)
		if ((slot = cas_port_list_find(all, &subset->ports[i])) >= 0)
			mask |= 1ULL << slot;
	return mask;
}

void cas_port_list_from_mask(const struct cas_port_list *all, __u64 mask,
			     struct cas_port_list *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < all->count; i++)
		if (mask & (1ULL << i))
			out->ports[out->count++] = all->ports[i];
}

bool cas_port_list_equal(const struct cas_port_list *a,
			 const struct cas_port_list *b)
{
	unsigned int i;

	if (a->count != b->count)
		return false;
	for (i = 0; i < a->count; i++) /* not memcmp: the struct has padding */
		if (a->ports[i].port != b->ports[i].port ||
		    a->ports[i].proto != b->ports[i].proto)
			return false;
	return true;
}

bool cas_valid_ifname(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	size_t i;

	if (!len || len >= IF_NAMESIZE || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	/* The kernel's dev_valid_name refuses '/', ':' and white space;
	 * control bytes are refused too, as no message could show them. */
	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' ||
		    isspace((unsigned char)name[i]) ||
		    iscntrl((unsigned char)name[i]))
			return false;
	return true;
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

/*
 * IPv4 packets carry IPv4 addresses, never ::ffff:a.b.c.d, so a rule
 * inside ::ffff:0:0/96 would match nothing while looking like it allows
 * a proxy. Shorter prefixes (::/0) also hold real IPv6 space and pass.
 */
static int cas_refuse_mapped(const char *text, const struct cas_prefix *prefix,
			     char *err)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct cas_prefix v4 = { .family = AF_INET };
	char hint[64];

	if (prefix->family != AF_INET6 || prefix->prefixlen < 96 ||
	    memcmp(prefix->addr, mapped, sizeof(mapped)))
		return 0;
	v4.prefixlen = prefix->prefixlen - 96;
	memcpy(v4.addr, prefix->addr + 12, 4);
	cas_format_prefix(&v4, hint, sizeof(hint));
	snprintf(
		err, CAS_ERRBUF,
		"invalid CIDR '%s': an IPv4-mapped IPv6 address never matches IPv4 traffic; write %s",
		text, hint);
	return -EINVAL;
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
	return cas_refuse_mapped(text, prefix, err);
bad:
	snprintf(err, CAS_ERRBUF,
		 "invalid CIDR '%s' (expected ADDRESS[/LENGTH], IPv4 or IPv6)",
		 text);
	return -EINVAL;
}

int cas_prefix_order(const struct cas_prefix *a, const struct cas_prefix *b)
{
	if (a->family != b->family)
		return a->family - b->family;
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen - b->prefixlen;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
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
	snprintf(
		err, CAS_ERRBUF,
		"invalid port '%s' (expected 1-65535, optionally /tcp or /udp)",
		text);
	return -EINVAL;
}

int cas_parse_port_list(const char *text, struct cas_port_list *list, char *err)
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

		ret = cas_parse_port(item, &port, err);
		if (ret)
			goto out;
		if (cas_port_list_find(list, &port) >= 0) {
			snprintf(err, CAS_ERRBUF, "port %u/%s is listed twice",
				 port.port, cas_proto_name(port.proto));
			ret = -EINVAL;
			goto out;
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

int cas_parse_rate(const char *text, __u32 *rate, char *err)
{
	unsigned long long value, scale = 1;
	char *end;

	if (!*text || *text < '0' || *text > '9')
		goto bad;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno)
		goto bad;
	if (*end == 'k' || *end == 'K')
		scale = 1000, end++;
	else if (*end == 'M')
		scale = 1000000, end++;
	if (!strcmp(end, "/s") || !strcmp(end, "/sec"))
		end += strlen(end);
	if (*end) {
		snprintf(
			err, CAS_ERRBUF,
			"unknown unit '%s' in rate '%s' (expected N, Nk or NM per second, optionally /s)",
			end, text);
		return -EINVAL;
	}
	/* Compared before multiplying: value * scale could wrap. */
	if (value > 1000000000ULL / scale)
		goto bad;
	*rate = value * scale;
	return 0;
bad:
	snprintf(
		err, CAS_ERRBUF,
		"invalid rate '%s' (expected 0 to 1000000000 per second; 0 = unlimited)",
		text);
	return -EINVAL;
}

int cas_check_bucket(const char *what, __u32 rate, bool burst_set, __u32 *burst,
		     char *err)
{
	if (!burst_set) {
		*burst = rate;
		return 0;
	}
	if (rate && !*burst) {
		snprintf(err, CAS_ERRBUF,
			 "%s burst must be at least 1 when its rate is set",
			 what);
		return -EINVAL;
	}
	if (!rate && *burst) {
		snprintf(err, CAS_ERRBUF, "%s burst given without a rate",
			 what);
		return -EINVAL;
	}
	return 0;
}

int cas_parse_mac(const char *text, __u8 mac[6], char *err)
{
	unsigned int bytes[6];
	char sep1, sep2, sep3, sep4, sep5, trailing;
	int i;

	if (sscanf(text, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &bytes[0], &sep1,
		   &bytes[1], &sep2, &bytes[2], &sep3, &bytes[3], &sep4,
		   &bytes[4], &sep5, &bytes[5], &trailing) != 11 ||
	    strlen(text) != 17)
		goto bad;
	if (!((sep1 == ':' && sep2 == ':' && sep3 == ':' && sep4 == ':' &&
	       sep5 == ':') ||
	      (sep1 == '-' && sep2 == '-' && sep3 == '-' && sep4 == '-' &&
	       sep5 == '-')))
		goto bad;
	for (i = 0; i < 6; i++) {
		if (!strchr("0123456789abcdefABCDEF", text[i * 3]) ||
		    !strchr("0123456789abcdefABCDEF", text[i * 3 + 1]))
			goto bad;
		mac[i] = bytes[i];
	}
	return 0;
bad:
	snprintf(
		err, CAS_ERRBUF,
		"invalid MAC '%s' (expected six hex bytes, e.g. 02:00:00:00:00:01)",
		text);
	return -EINVAL;
}

int cas_parse_ttl(const char *text, __u8 *min, __u8 *max, char *err)
{
	char low[8], scratch[CAS_ERRBUF];
	const char *dash = strchr(text, '-');
	size_t len = dash ? (size_t)(dash - text) : strlen(text);
	__u32 lo, hi;

	if (len == 0 || len >= sizeof(low))
		goto bad;
	memcpy(low, text, len);
	low[len] = '\0';
	if (cas_parse_u32(low, 1, 255, &lo, scratch))
		goto bad;
	hi = lo;
	if (dash && cas_parse_u32(dash + 1, 1, 255, &hi, scratch))
		goto bad;
	if (lo > hi)
		goto bad;
	*min = lo;
	*max = hi;
	return 0;
bad:
	snprintf(
		err, CAS_ERRBUF,
		"invalid TTL window '%s' (expected MIN[-MAX] within 1-255, MIN <= MAX)",
		text);
	return -EINVAL;
}

static const struct {
	const char *name;
	__u16 version;
} cas_tls_versions[] = {
	{ "off", 0 },		{ "1.0", CAS_TLS_1_0 }, { "1.1", CAS_TLS_1_1 },
	{ "1.2", CAS_TLS_1_2 }, { "1.3", CAS_TLS_1_3 },
};

int cas_parse_tls_version(const char *text, __u16 *version, char *err)
{
	size_t i;

	for (i = 0; i < sizeof(cas_tls_versions) / sizeof(cas_tls_versions[0]);
	     i++) {
		if (!strcmp(text, cas_tls_versions[i].name)) {
			*version = cas_tls_versions[i].version;
			return 0;
		}
	}
	snprintf(
		err, CAS_ERRBUF,
		"unknown TLS version '%s' (expected 1.0, 1.1, 1.2, 1.3 or off)",
		text);
	return -EINVAL;
}

const char *cas_tls_version_name(__u16 version)
{
	size_t i;

	for (i = 0; i < sizeof(cas_tls_versions) / sizeof(cas_tls_versions[0]);
	     i++)
		if (cas_tls_versions[i].version == version)
			return cas_tls_versions[i].name;
	return "?";
}

int cas_valid_rule_name(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len < CAS_RULE_NAME_LEN &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}
