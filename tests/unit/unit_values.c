// SPDX-License-Identifier: GPL-2.0
/*
 * unit_parse.c - the parsers behind every CLI argument, table-driven:
 * input -> accepted or refused -> canonical form.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "values.h"

static void test_prefixes(void)
{
	static const struct {
		const char *text, *canonical; /* NULL: refused */
	} cases[] = {
		{ "198.51.100.10", "198.51.100.10/32" },
		{ "198.51.100.0/24", "198.51.100.0/24" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "2001:db8::/32", "2001:db8::/32" },
		{ "2001:db8::1", "2001:db8::1/128" },
		{ "::/0", "::/0" },
		{ "198.51.100.1/24", NULL },   /* host bits */
		{ "198.51.100.0/33", NULL },
		{ "198.51.100.0/-1", NULL },
		{ "198.51.100.0/", NULL },
		{ "198.51.100.0/24x", NULL },
		{ "198.51.100.0/ 24", NULL },
		{ "300.1.1.1", NULL },
		{ "2001:db8::/129", NULL },
		{ "2001:db8::1/64", NULL },
		{ "proxy", NULL },
		{ "", NULL },
		{ "/24", NULL },
	};
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		struct cas_prefix prefix;
		char err[CAS_ERRBUF], text[64];
		int ok;

		check_case = cases[i].text;
		if (!cases[i].canonical) {
			ok = CHECK_EQ(cas_parse_prefix(cases[i].text, &prefix,
						       err) != 0,
				      1, "refused");
			ok &= CHECK_EQ(strstr(err, cases[i].text) != NULL, 1,
				       "error names the input");
		} else {
			ok = CHECK_EQ(cas_parse_prefix(cases[i].text, &prefix,
						       err),
				      0, "accepted");
			cas_format_prefix(&prefix, text, sizeof(text));
			ok &= CHECK_STR(text, cases[i].canonical, "canonical");
		}
		check_record(ok);
	}
}

/* IPv4 packets never carry an IPv4-mapped IPv6 address: such a rule would
 * match nothing, so it is refused with the IPv4 form to write instead. */
static void test_mapped_prefixes(void)
{
	static const struct {
		const char *text, *hint; /* hint: NULL when accepted */
	} cases[] = {
		{ "::ffff:10.251.77.3", "write 10.251.77.3/32" },
		{ "::ffff:198.51.100.0/120", "write 198.51.100.0/24" },
		{ "::ffff:0:0/96", "write 0.0.0.0/0" },
		{ "::/80", NULL }, /* holds the mapped range and more */
		{ "::/0", NULL },
		{ "2001:db8::ffff:a00:1", NULL },
	};
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		struct cas_prefix prefix;
		char err[CAS_ERRBUF] = "";
		int ret, ok;

		check_case = cases[i].text;
		ret = cas_parse_prefix(cases[i].text, &prefix, err);
		if (!cases[i].hint) {
			check_record(CHECK_EQ(ret, 0, "accepted"));
			continue;
		}
		ok = CHECK_EQ(ret, -EINVAL, "refused");
		ok &= CHECK_EQ(strstr(err, cases[i].hint) != NULL, 1, err);
		ok &= CHECK_EQ(strstr(err, "IPv4-mapped") != NULL, 1, err);
		check_record(ok);
	}
}

/* Messages echo what users typed: control bytes must not reach a
 * terminal raw (escape injection) nor split a one-line error. */
static void test_escape(void)
{
	static const struct {
		const char *in, *out;
		size_t len;
	} cases[] = {
		{ "plain text", "plain text", 64 },
		{ "a\033[31mb", "a\\x1b[31mb", 64 },
		{ "line\nnext\r\t", "line\\nnext\\r\\t", 64 },
		{ "del\177", "del\\x7f", 64 },
		{ "caf\xc3\xa9", "caf\xc3\xa9", 64 }, /* UTF-8 kept */
		{ "\033\033\033", "\\x1b", 6 }, /* cut whole, never mid-escape */
		{ "", "", 1 },
	};
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		char out[64];

		check_case = cases[i].out;
		cas_escape(cases[i].in, out, cases[i].len);
		check_record(CHECK_STR(out, cases[i].out, "escaped"));
	}
}

static void test_port_lists(void)
{
	static const struct {
		const char *text;
		int count; /* -1: refused */
		unsigned int first_port, first_proto;
	} cases[] = {
		{ "443", 1, 443, CAS_PROTO_TCP },
		{ "443/tcp,80", 2, 443, CAS_PROTO_TCP },
		{ "53/udp,443", 2, 53, CAS_PROTO_UDP },
		{ "443/tcp,443/udp", 2, 443, CAS_PROTO_TCP },
		{ "65535", 1, 65535, CAS_PROTO_TCP },
		{ "0", -1 },
		{ "65536", -1 },
		{ "443/sctp", -1 },
		{ "443,443", -1 },
		{ "443,,80", -1 },
		{ ",443", -1 },
		{ "443,", -1 },
		{ "", -1 },
		{ "https", -1 },
		{ "44 3", -1 },
		{ "/tcp", -1 },
	};
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		struct cas_port_list list;
		char err[CAS_ERRBUF];
		int ret, ok;

		check_case = cases[i].text;
		ret = cas_parse_port_list(cases[i].text, &list, err);
		if (cases[i].count < 0) {
			check_record(CHECK_EQ(ret != 0, 1, "refused"));
			continue;
		}
		ok = CHECK_EQ(ret, 0, "accepted");
		ok &= CHECK_EQ(list.count, cases[i].count, "count");
		ok &= CHECK_EQ(list.ports[0].port, cases[i].first_port, "port");
		ok &= CHECK_EQ(list.ports[0].proto, cases[i].first_proto,
			       "protocol");
		check_record(ok);
	}
}

static void test_rates(void)
{
	static const struct {
		const char *text;
		long long rate; /* -1: refused */
		const char *error;
	} cases[] = {
		{ "0", 0 },
		{ "2000", 2000 },
		{ "20k", 20000 },
		{ "20K/s", 20000 },
		{ "3M", 3000000 },
		{ "500/s", 500 },
		{ "500/sec", 500 },
		{ "10x", -1, "unknown unit 'x'" },
		{ "10/min", -1, "unknown unit '/min'" },
		{ "10kk", -1, "unknown unit" },
		{ "-5", -1, "invalid rate" },
		{ "", -1, "invalid rate" },
		{ "2000M", -1, "invalid rate" },
		{ "1000M", 1000000000 },
		{ "1000001k", -1, "invalid rate '1000001k'" },
		{ "4294967296", -1, "invalid rate '4294967296'" },
		/* value * scale wraps: once stored 448384 */
		{ "18446744073710M", -1, "invalid rate '18446744073710M'" },
		{ "18446744073709551616", -1, "invalid rate" }, /* ERANGE */
	};
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		char err[CAS_ERRBUF] = "";
		__u32 rate = 0;
		int ret, ok;

		check_case = cases[i].text;
		ret = cas_parse_rate(cases[i].text, &rate, err);
		if (cases[i].rate < 0) {
			ok = CHECK_EQ(ret != 0, 1, "refused");
			ok &= CHECK_EQ(strstr(err, cases[i].error) != NULL, 1,
				       cases[i].error);
		} else {
			ok = CHECK_EQ(ret, 0, "accepted");
			ok &= CHECK_EQ(rate, cases[i].rate, "rate");
		}
		check_record(ok);
	}
}

static void test_buckets(void)
{
	static const struct {
		const char *name;
		__u32 rate, burst;
		bool burst_set;
		long long expected; /* burst after defaults, -1: refused */
	} cases[] = {
		{ "burst defaults to the rate", 2000, 0, false, 2000 },
		{ "explicit burst", 2000, 4000, true, 4000 },
		{ "unlimited", 0, 0, false, 0 },
		{ "zero burst with a rate", 2000, 0, true, -1 },
		{ "burst without a rate", 0, 100, true, -1 },
	};
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		char err[CAS_ERRBUF];
		__u32 burst = cases[i].burst;
		int ret;

		check_case = cases[i].name;
		ret = cas_check_bucket("syn", cases[i].rate, cases[i].burst_set,
				       &burst, err);
		if (cases[i].expected < 0)
			check_record(CHECK_EQ(ret != 0, 1, "refused"));
		else
			check_record(CHECK_EQ(ret, 0, "accepted") &&
				     CHECK_EQ(burst, cases[i].expected, "burst"));
	}
}

static void test_mac_ttl_tls(void)
{
	static const struct {
		const char *text;
		int kind; /* 0 mac, 1 ttl, 2 tls */
		int valid;
		unsigned int a, b; /* mac: first, last byte; ttl: min, max; tls: version */
	} cases[] = {
		{ "02:00:00:00:00:01", 0, 1, 0x02, 0x01 },
		{ "02-AB-00-00-00-ff", 0, 1, 0x02, 0xff },
		{ "02:00:00:00:00", 0, 0 },
		{ "02:00:00:00:00:01:03", 0, 0 },
		{ "02:00:00:00:00:0g", 0, 0 },
		{ "02:00-00:00:00:01", 0, 0 },
		{ "2:0:0:0:0:1", 0, 0 },
		{ "64", 1, 1, 64, 64 },
		{ "60-64", 1, 1, 60, 64 },
		{ "1-255", 1, 1, 1, 255 },
		{ "0", 1, 0 },
		{ "256", 1, 0 },
		{ "64-60", 1, 0 },
		{ "64-", 1, 0 },
		{ "-64", 1, 0 },
		{ "1.0", 2, 1, CAS_TLS_1_0 },
		{ "1.2", 2, 1, CAS_TLS_1_2 },
		{ "1.3", 2, 1, CAS_TLS_1_3 },
		{ "off", 2, 1, 0 },
		{ "1.4", 2, 0 },
		{ "tls1.2", 2, 0 },
	};
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		char err[CAS_ERRBUF];
		__u8 mac[6], lo = 0, hi = 0;
		__u16 version = 0;
		int ret, ok;

		check_case = cases[i].text;
		if (cases[i].kind == 0)
			ret = cas_parse_mac(cases[i].text, mac, err);
		else if (cases[i].kind == 1)
			ret = cas_parse_ttl(cases[i].text, &lo, &hi, err);
		else
			ret = cas_parse_tls_version(cases[i].text, &version,
						    err);
		ok = CHECK_EQ(ret == 0, cases[i].valid, "accepted");
		if (ret == 0 && cases[i].kind == 0)
			ok &= CHECK_EQ(mac[0], cases[i].a, "first byte") &&
			      CHECK_EQ(mac[5], cases[i].b, "last byte");
		if (ret == 0 && cases[i].kind == 1)
			ok &= CHECK_EQ(lo, cases[i].a, "min") &&
			      CHECK_EQ(hi, cases[i].b, "max");
		if (ret == 0 && cases[i].kind == 2)
			ok &= CHECK_EQ(version, cases[i].a, "version") &&
			      CHECK_STR(cas_tls_version_name(version),
					cases[i].text, "name");
		check_record(ok);
	}
}

/* A rule's ports as a mask over its interface's list, and back. */
static void test_port_masks(void)
{
	static const struct {
		const char *subset; /* "" = every port */
		__u64 mask;
		const char *back; /* from the mask, formatted */
	} cases[] = {
		{ "", CAS_ALL_PORTS, "443/tcp,80/tcp,53/udp" },
		{ "443", 1, "443/tcp" },
		{ "53/udp,443", 5, "443/tcp,53/udp" }, /* the interface's order */
		{ "53/tcp", 0, "" },		  /* not a protected port */
	};
	char text[CAS_PORTS_TEXT], err[CAS_ERRBUF];
	struct cas_port_list all, subset, back;
	size_t i;

	cas_parse_port_list("443,80/tcp,53/udp", &all, err);
	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		check_case = cases[i].subset;
		memset(&subset, 0, sizeof(subset));
		if (cases[i].subset[0])
			cas_parse_port_list(cases[i].subset, &subset, err);
		cas_port_list_from_mask(&all, cas_port_list_mask(&all, &subset),
					&back);
		cas_port_list_format(&back, ",", text, sizeof(text));
		check_record(CHECK_EQ(cas_port_list_mask(&all, &subset),
				      cases[i].mask, "mask") &
			     CHECK_STR(text, cases[i].back, "ports of the mask"));
	}
	check_case = "format with a separator; equal lists";
	cas_port_list_format(&all, ", ", text, sizeof(text));
	cas_parse_port_list("443/tcp,80,53/udp", &back, err);
	check_record(CHECK_STR(text, "443/tcp, 80/tcp, 53/udp", "format") &
		     CHECK_EQ(cas_port_list_equal(&all, &back), 1, "equal") &
		     CHECK_EQ(cas_port_list_equal(&all, &subset), 0, "unequal"));
}

static void test_ifnames(void)
{
	static const struct {
		const char *name;
		int valid;
	} cases[] = {
		{ "eth0", 1 },	  { "enp0s31f6", 1 }, { "a", 1 },
		{ "abcdefghijklmno", 1 }, /* 15: the kernel's longest */
		{ "abcdefghijklmnop", 0 },
		{ "", 0 },	  { ".", 0 },	      { "..", 0 },
		{ "a/b", 0 },	  { "..x", 1 },
		/* What the kernel's dev_valid_name refuses, and control bytes. */
		{ "a b", 0 },	  { "a\nb", 0 },     { "a:b", 0 },
		{ "a\033b", 0 },  { "a\tb", 0 },
	};
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		check_case = cases[i].name;
		check_record(CHECK_EQ(cas_valid_ifname(cases[i].name),
				      cases[i].valid, "valid"));
	}
}

int main(void)
{
	test_prefixes();
	test_mapped_prefixes();
	test_escape();
	test_port_lists();
	test_port_masks();
	test_ifnames();
	test_rates();
	test_buckets();
	test_mac_ttl_tls();
	return check_summary("unit_values");
}
