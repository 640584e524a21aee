// SPDX-License-Identifier: GPL-2.0
/*
 * unit_synproxy_nft.c - the nftables side of the SYN proxy
 * (user/lib/synproxy.c), without root or nft: the script for one port and
 * several, the MSS of each family, table names of odd interfaces (distinct
 * names, distinct tables), the saved tcp_loose read back from the
 * comment, the refusals, and a buffer too small.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "synproxy.h"

#define SCRIPT_LEN 4096

/* The whole script for eth0, ports 443 and 8443: docs/synproxy.md's table. */
static const char expected_two_ports[] =
	"add table inet casshield_synproxy_eth0\n"
	"delete table inet casshield_synproxy_eth0\n"
	"table inet casshield_synproxy_eth0 {\n"
	"\tcomment \"casshield SYN proxy for eth0; nf_conntrack_tcp_loose was 1\"\n"
	"\tset ports {\n"
	"\t\ttype inet_service\n"
	"\t\telements = { 443, 8443 }\n"
	"\t}\n"
	"\tchain prerouting {\n"
	"\t\ttype filter hook prerouting priority raw; policy accept;\n"
	"\t\tiifname \"eth0\" tcp dport @ports tcp flags & (fin|syn|rst|ack) == syn notrack\n"
	"\t}\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter - 10; policy accept;\n"
	"\t\tiifname \"eth0\" meta nfproto ipv4 tcp dport @ports ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm\n"
	"\t\tiifname \"eth0\" meta nfproto ipv6 tcp dport @ports ct state invalid,untracked synproxy mss 1440 wscale 7 timestamp sack-perm\n"
	"\t\tiifname \"eth0\" tcp dport @ports ct state invalid drop\n"
	"\t}\n"
	"}\n";

static const __u16 two_ports[] = { 443, 8443 };

static struct cas_synproxy_params params(const char *ifname, const __u16 *ports,
					 size_t nports)
{
	struct cas_synproxy_params p = {
		.ifname = ifname,
		.ports = ports,
		.nports = nports,
		.mss4 = 1460,
		.mss6 = 1440,
		.wscale = 7,
	};

	return p;
}

static int has(const char *text, const char *part, const char *what)
{
	int ok = text && strstr(text, part);

	if (!ok)
		fprintf(stderr, "FAIL %s: %s: '%s' not in:\n%s\n", check_case,
			what, part, text ? text : "(null)");
	return ok;
}

static void test_scripts(void)
{
	static const __u16 one[] = { 25 }, dup[] = { 443, 993, 443, 993 };
	struct cas_synproxy_params p = params("eth0", two_ports, 2);
	char buf[SCRIPT_LEN];
	int ok;

	check_case = "ports 443 and 8443 on eth0: the whole script";
	ok = CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)), 0,
		      "result");
	ok &= CHECK_STR(buf, expected_two_ports, "script");
	check_record(ok);

	check_case = "one port";
	p = params("eth0", one, 1);
	ok = CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)), 0,
		      "result");
	ok &= has(buf, "\t\telements = { 25 }\n", "elements");
	check_record(ok);

	check_case = "a port given twice is one element";
	p = params("eth0", dup, 4);
	ok = CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)), 0,
		      "result");
	ok &= has(buf, "\t\telements = { 443, 993 }\n", "elements");
	check_record(ok);

	check_case = "each family its MSS";
	p = params("eth1", two_ports, 2);
	p.mss4 = 8960;
	p.mss6 = 8940;
	p.wscale = 9;
	ok = CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)), 0,
		      "result");
	ok &= has(
		buf,
		"meta nfproto ipv4 tcp dport @ports ct state invalid,untracked synproxy mss 8960 wscale 9 timestamp sack-perm\n",
		"IPv4 rule");
	ok &= has(
		buf,
		"meta nfproto ipv6 tcp dport @ports ct state invalid,untracked synproxy mss 8940 wscale 9 timestamp sack-perm\n",
		"IPv6 rule");
	check_record(ok);

	check_case = "65 ports (more than the map holds) fit a sized buffer";
	{
		__u16 many[65];
		size_t i;

		for (i = 0; i < 65; i++)
			many[i] = 1000 + i;
		p = params("eth0", many, 65);
		ok = CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)),
			      0, "result");
		ok &= has(buf, "{ 1000, 1001, ", "first elements");
		ok &= has(buf, ", 1064 }\n", "last element");
	}
	check_record(ok);
}

/* Table names: the escape, and no two interfaces on one table. */
static void test_table_names(void)
{
	static const struct {
		const char *ifname, *table;
	} cases[] = {
		{ "eth0", "casshield_synproxy_eth0" },
		{ "eth_0", "casshield_synproxy_eth_0" },
		{ "eth0.100", "casshield_synproxy_eth0-2e100" },
		{ "br-lan", "casshield_synproxy_br-2dlan" },
		{ "a-2eb", "casshield_synproxy_a-2d2eb" },
		{ "v@x*", "casshield_synproxy_v-40x-2a" },
		{ "caf\xc3\xa9", "casshield_synproxy_caf-c3-a9" },
		{ "123456789012345", "casshield_synproxy_123456789012345" },
		{ "...............",
		  "casshield_synproxy_-2e-2e-2e-2e-2e-2e-2e-2e-2e-2e-2e-2e-2e-2e-2e" },
	};
	/* Names one escape away from each other, and from the cases. */
	static const char *const odd[] = {
		"a.b",	  "a-b",   "a_b",  "a-2eb", "a_2eb",
		"a--2eb", "a.2eb", "a-2e", "a.",    "a-",
		"a_",	  "A.b",   "ab",   "a-2db", "a+b",
	};
	char table[CAS_SYNPROXY_TABLE_LEN],
		names[CAS_ARRAY_SIZE(odd)][CAS_SYNPROXY_TABLE_LEN];
	size_t i, j;
	int ok = 1;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		check_case = cases[i].ifname;
		cas_synproxy_table(cases[i].ifname, table, sizeof(table));
		check_record(CHECK_STR(table, cases[i].table, "table"));
	}
	check_case = "distinct names, distinct tables";
	for (i = 0; i < CAS_ARRAY_SIZE(odd); i++) {
		cas_synproxy_table(odd[i], names[i], sizeof(names[i]));
		ok &= CHECK_EQ(
			strspn(names[i],
			       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"),
			strlen(names[i]), "only identifier bytes");
		for (j = 0; j < i; j++)
			if (!strcmp(names[i], names[j])) {
				fprintf(stderr,
					"FAIL %s: '%s' and '%s' both make %s\n",
					check_case, odd[i], odd[j], names[i]);
				ok = 0;
			}
	}
	check_record(ok);

	check_case = "a short buffer stays terminated";
	memset(table, 'x', sizeof(table));
	cas_synproxy_table("eth0", table, 8);
	check_record(CHECK_STR(table, "casshie", "truncated"));
}

/* Odd interface names inside the script: as nft must read them. */
static void test_odd_ifnames(void)
{
	static const struct {
		const char *ifname;
		int ret;
		const char *iifname; /* as written in the rules */
	} cases[] = {
		{ "eth0.100", 0, "iifname \"eth0.100\" " },
		{ "wg*", 0, "iifname \"wg\\*\" " }, /* not a wildcard */
		{ "a*b", 0, "iifname \"a*b\" " }, /* nft's star is only final */
		{ "caf\xc3\xa9", 0, "iifname \"caf\xc3\xa9\" " },
		{ "a\"b", -EINVAL },  /* nft strings have no escape for '"' */
		{ "a\\b*", -EINVAL }, /* nft would eat the '\' of "\*" */
	};
	char buf[SCRIPT_LEN];
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		struct cas_synproxy_params p =
			params(cases[i].ifname, two_ports, 2);
		int ok;

		check_case = cases[i].ifname;
		ok = CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)),
			      cases[i].ret, "result");
		if (!cases[i].ret)
			ok &= has(buf, cases[i].iifname, "iifname");
		else
			ok &= CHECK_STR(buf, "", "nothing written");
		check_record(ok);
	}
}

/* The comment line of a script, its quotes off. */
static void comment_of(const char *script, char *out, size_t len)
{
	const char *start = strstr(script, "\tcomment \""), *end;

	out[0] = '\0';
	if (!start)
		return;
	start += strlen("\tcomment \"");
	end = strchr(start, '"');
	if (end)
		snprintf(out, len, "%.*s", (int)(end - start), start);
}

static void test_comment(void)
{
	static const char *const values[] = { "0", "1", "2", "-1",
					      "2147483647" };
	static const struct {
		const char *comment;
		int ret;
		const char *value;
	} parsed[] = {
		{ "casshield SYN proxy for eth0; nf_conntrack_tcp_loose was 1",
		  0, "1" },
		{ "casshield SYN proxy for a;b; nf_conntrack_tcp_loose was 0",
		  0, "0" },
		{ "casshield SYN proxy for eth0", -EBADMSG },
		{ "casshield SYN proxy for eth0; nf_conntrack_tcp_loose was ",
		  -EBADMSG },
		{ "casshield SYN proxy for eth0; nf_conntrack_tcp_loose was 1 ",
		  -EBADMSG },
		{ "casshield SYN proxy for eth0; nf_conntrack_tcp_loose was one",
		  -EBADMSG },
		{ "casshield SYN proxy for eth0; nf_conntrack_tcp_loose was 12345678901",
		  -EBADMSG },
		{ "", -EBADMSG },
	};
	char buf[SCRIPT_LEN], comment[256], value[CAS_SYNPROXY_LOOSE_LEN];
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(values); i++) {
		struct cas_synproxy_params p = params("eth0.7", two_ports, 2);
		int ok;

		check_case = values[i];
		ok = CHECK_EQ(
			cas_synproxy_ruleset(&p, values[i], buf, sizeof(buf)),
			0, "script");
		comment_of(buf, comment, sizeof(comment));
		ok &= has(comment, "casshield SYN proxy for eth0.7; ",
			  "what the table is");
		ok &= CHECK_EQ(
			cas_synproxy_saved_loose(comment, value, sizeof(value)),
			0, "read back");
		ok &= CHECK_STR(value, values[i], "saved value");
		check_record(ok);
	}
	for (i = 0; i < CAS_ARRAY_SIZE(parsed); i++) {
		int ok;

		check_case = parsed[i].comment;
		value[0] = '\0';
		ok = CHECK_EQ(cas_synproxy_saved_loose(parsed[i].comment, value,
						       sizeof(value)),
			      parsed[i].ret, "result");
		if (!parsed[i].ret)
			ok &= CHECK_STR(value, parsed[i].value, "value");
		check_record(ok);
	}
	check_case = "a value buffer too small";
	check_record(
		CHECK_EQ(cas_synproxy_saved_loose(
				 "x; nf_conntrack_tcp_loose was 10", value, 2),
			 -ENOSPC, "result"));
}

static void test_refused(void)
{
	static const __u16 zero[] = { 443, 0 };
	static const char *const bad_loose[] = { "",	"x",   "1;",
						 "1\n", "- 1", "12345678901" };
	struct cas_synproxy_params p;
	char buf[SCRIPT_LEN];
	size_t i;

	check_case = "no port";
	p = params("eth0", two_ports, 0);
	check_record(CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)),
			      -EINVAL, "result"));
	check_case = "port 0";
	p = params("eth0", zero, 2);
	check_record(CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)),
			      -EINVAL, "result"));
	check_case = "MSS 0";
	p = params("eth0", two_ports, 2);
	p.mss6 = 0;
	check_record(CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)),
			      -EINVAL, "result"));
	check_case = "window scale 15";
	p = params("eth0", two_ports, 2);
	p.wscale = 15;
	check_record(CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)),
			      -EINVAL, "result"));
	check_case = "window scale 14";
	p.wscale = 14;
	check_record(CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, sizeof(buf)),
			      0, "result"));
	check_case = "no saved value";
	check_record(CHECK_EQ(cas_synproxy_ruleset(&p, NULL, buf, sizeof(buf)),
			      -EINVAL, "result"));
	for (i = 0; i < CAS_ARRAY_SIZE(bad_loose); i++) {
		check_case = bad_loose[i];
		check_record(CHECK_EQ(cas_synproxy_ruleset(&p, bad_loose[i],
							   buf, sizeof(buf)),
				      -EINVAL,
				      "a saved value that is no integer"));
	}
}

/* -ENOSPC at every length short of the script and its NUL; 0 from there. */
static void test_nospace(void)
{
	struct cas_synproxy_params p = params("eth0", two_ports, 2);
	size_t need = strlen(expected_two_ports) + 1, len;
	char *buf = malloc(need);
	int ok = 1;

	check_case = "every buffer length";
	if (!buf)
		exit(2);
	for (len = 0; len < need; len++) {
		ok &= CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, len), -ENOSPC,
			       "too short");
		if (len && strlen(buf) >= len) {
			fprintf(stderr, "FAIL %s: length %zu: not terminated\n",
				check_case, len);
			ok = 0;
		}
	}
	ok &= CHECK_EQ(cas_synproxy_ruleset(&p, "1", buf, need), 0,
		       "just enough");
	ok &= CHECK_STR(buf, expected_two_ports, "script");
	check_record(ok);
	free(buf);
}

int main(void)
{
	test_scripts();
	test_table_names();
	test_odd_ifnames();
	test_comment();
	test_refused();
	test_nospace();
	return check_summary("unit_synproxy_nft");
}
