// SPDX-License-Identifier: GPL-2.0
/*
 * unit_config.c - the YAML loader (user/lib/config.c) on strings, without
 * root or a file: what a good file means, field by field; every refusal
 * names the line and the key; the rollback writer's output reads back as
 * the same configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "config.h"
#include "rules.h"

#define NAME "test.yaml"

static const char good[] = "interfaces:\n"
			   "  - name: eth0\n"
			   "    mode: skb\n"
			   "    monitor: yes\n"
			   "    synproxy: on\n"
			   "    ports: [443/tcp, 8443, 53/udp]\n"
			   "    limits: {syn_rate: 20k, syn_burst: 40000, hello_rate: 500/s, synack_rate: 0, min_tls: \"1.2\"}\n"
			   "    allow:\n"
			   "      - {name: proxy, cidr: 198.51.100.10, ports: [443], mac: \"02:00:00:00:00:10\", ttl: \"60-64\"}\n"
			   "      - cidr: 2001:db8::/32\n"
			   "        syn_rate: 100\n"
			   "        source_syn_rate: 10\n"
			   "        source_syn_burst: 20\n"
			   "        hello_rate: 5\n"
			   "  - name: eth1\n"
			   "metrics:\n"
			   "  listen: \"[::1]:9999\"\n";

static const char *cidr_of(const struct cas_rule *rule, char *buf)
{
	struct cas_prefix prefix;

	cas_rule_prefix(rule, &prefix);
	cas_format_prefix(&prefix, buf, 64);
	return buf;
}

static const char *ports_of(const struct cas_port_list *ports, char *buf)
{
	cas_port_list_format(ports, ",", buf, CAS_PORTS_TEXT);
	return buf;
}

static int check_iface0(const struct cas_config_iface *i)
{
	char text[CAS_PORTS_TEXT];
	int ok;

	ok = CHECK_STR(i->name, "eth0", "name");
	ok &= CHECK_EQ(i->mode, CAS_MODE_SKB, "mode");
	ok &= CHECK_EQ(i->monitor, 1, "monitor");
	ok &= CHECK_EQ(i->synproxy, 1, "synproxy");
	ok &= CHECK_EQ(i->limits.synack_rate, 0, "synack_rate 0: no cap") &
	      CHECK_EQ(i->limits.synack_burst, 0, "synack_burst follows");
	ok &= CHECK_STR(ports_of(&i->ports, text), "443/tcp,8443/tcp,53/udp", "ports");
	ok &= CHECK_EQ(i->limits.syn_rate, 20000, "syn_rate") &
	      CHECK_EQ(i->limits.syn_burst, 40000, "syn_burst") &
	      CHECK_EQ(i->limits.hello_rate, 500, "hello_rate") &
	      CHECK_EQ(i->limits.hello_burst, 500, "hello_burst defaults to the rate") &
	      CHECK_EQ(i->limits.min_tls, CAS_TLS_1_2, "min_tls");
	ok &= CHECK_EQ(i->rule_count, 2, "rules");
	ok &= CHECK_EQ(i->line, 2, "line of the interface");
	return ok;
}

static int check_rules0(const struct cas_config_iface *i)
{
	const struct cas_rule *proxy = &i->rules[0].rule, *net = &i->rules[1].rule;
	char text[CAS_PORTS_TEXT];
	int ok;

	ok = CHECK_STR(cidr_of(proxy, text), "198.51.100.10/32", "a bare address is a host");
	ok &= CHECK_STR(proxy->name, "proxy", "rule name");
	ok &= CHECK_STR(ports_of(&i->rules[0].ports, text), "443/tcp", "rule ports");
	ok &= CHECK_EQ(proxy->flags, CAS_RULE_MATCH_MAC | CAS_RULE_MATCH_TTL, "binding flags");
	ok &= CHECK_EQ(proxy->mac[5], 0x10, "mac") & CHECK_EQ(proxy->ttl_min, 60, "ttl min") &
	      CHECK_EQ(proxy->ttl_max, 64, "ttl max");
	ok &= CHECK_EQ(proxy->port_mask, 0, "the loader leaves the mask to apply");
	ok &= CHECK_EQ(i->rules[0].line, 9, "rule line");
	ok &= CHECK_STR(cidr_of(net, text), "2001:db8::/32", "IPv6 rule");
	ok &= CHECK_EQ(i->rules[1].ports.count, 0, "no ports: every protected port");
	ok &= CHECK_EQ(net->syn_rate, 100, "syn_rate") & CHECK_EQ(net->syn_burst, 100, "syn_burst") &
	      CHECK_EQ(net->source_syn_rate, 10, "source_syn_rate") &
	      CHECK_EQ(net->source_syn_burst, 20, "source_syn_burst") &
	      CHECK_EQ(net->hello_rate, 5, "hello_rate") & CHECK_EQ(net->flags, 0, "no binding");
	ok &= CHECK_EQ(i->rules[1].line, 10, "block-style rule line");
	return ok;
}

static void test_good(void)
{
	char err[CAS_CONFIG_ERRBUF] = "", text[CAS_PORTS_TEXT];
	const struct cas_config_iface *eth1;
	struct cas_config config;
	int ok;

	check_case = "a good file, field by field";
	ok = CHECK_EQ(cas_config_load_string(good, NAME, &config, err), 0, "loaded");
	if (!ok) {
		fprintf(stderr, "  %s\n", err);
		check_record(0);
		return;
	}
	ok &= CHECK_EQ(config.iface_count, 2, "interfaces");
	ok &= check_iface0(&config.ifaces[0]) & check_rules0(&config.ifaces[0]);
	eth1 = cas_config_find(&config, "eth1");
	ok &= CHECK_EQ(eth1 == &config.ifaces[1], 1, "find");
	ok &= CHECK_EQ(cas_config_find(&config, "eth2") == NULL, 1, "find a missing one");
	if (eth1) {
		ok &= CHECK_EQ(eth1->mode, CAS_MODE_NATIVE, "default mode");
		ok &= CHECK_EQ(eth1->monitor, 0, "default monitor");
		ok &= CHECK_EQ(eth1->synproxy, 0, "default: no SYN proxy");
		ok &= CHECK_EQ(eth1->limits.synack_rate, CAS_SYNACK_RATE_DEFAULT, "default SYN-ACK cap") &
		      CHECK_EQ(eth1->limits.synack_burst, CAS_SYNACK_RATE_DEFAULT, "default SYN-ACK burst");
		ok &= CHECK_STR(ports_of(&eth1->ports, text), "443/tcp", "default ports");
		ok &= CHECK_EQ(eth1->rule_count, 0, "no allow: no rules");
	}
	ok &= CHECK_STR(config.listen, "[::1]:9999", "metrics.listen");
	cas_config_free(&config);
	ok &= CHECK_EQ(config.ifaces == NULL && config.iface_count == 0, 1, "freed");
	check_record(ok);
}

static void test_defaults(void)
{
	char err[CAS_CONFIG_ERRBUF];
	struct cas_config config;
	int ok;

	check_case = "an empty interface list, the default listen address";
	ok = CHECK_EQ(cas_config_load_string("interfaces: []\n", NAME, &config, err), 0, "loaded");
	if (ok) {
		ok &= CHECK_EQ(config.iface_count, 0, "interfaces");
		ok &= CHECK_STR(config.listen, CAS_METRICS_DEFAULT_LISTEN, "listen");
		cas_config_free(&config);
	}
	check_record(ok);
}

/* A refused document: the error starts "NAME:LINE: KEY: ..." */
struct bad {
	const char *what, *yaml, *error;
};

static const struct bad bads[] = {
	{ "an empty document", "", NAME ":1: (file): empty" },
	{ "a second document", "interfaces: []\n---\ninterfaces: []\n", NAME ":2: (file): a second YAML document" },
	{ "a second document after an end marker", "interfaces: []\n...\n--- x\n", NAME ":3: (file): a second YAML document" },
	/* libyaml reports reader errors by byte offset, not by mark */
	{ "an invalid UTF-8 byte on line 3", "interfaces:\n  - name: eth0\n    mode: \xff\n", NAME ":3: YAML syntax: invalid leading UTF-8 octet" },
	{ "a control byte on line 2", "interfaces: []\nmetrics: {listen: \"a\x01b\"}\n", NAME ":2: YAML syntax: control characters are not allowed" },
	{ "a YAML syntax error", "interfaces: [\n  - name\n", NAME ":2: YAML syntax" },
	{ "a list at the top", "- a\n", NAME ":1: (top level): expected a mapping, found a list" },
	{ "an unknown top-level key", "interfaces: []\nfrob: 1\n", NAME ":2: (top level): unknown key 'frob' (expected one of: interfaces, metrics)" },
	{ "a key twice", "interfaces: []\ninterfaces: []\n", NAME ":2: (top level): key 'interfaces' appears twice" },
	{ "no interfaces", "metrics: {listen: \"127.0.0.1:1\"}\n", NAME ":1: interfaces: missing" },
	{ "interfaces not a list", "interfaces: eth0\n", NAME ":1: interfaces: expected a list, found a value" },
	{ "an interface twice", "interfaces:\n  - name: eth0\n  - name: eth0\n", NAME ":3: interfaces: eth0 is listed twice (also on line 2)" },
	{ "an unknown interface key", "interfaces:\n  - name: eth0\n    frob: 1\n", NAME ":3: interfaces[0]: unknown key 'frob'" },
	{ "a missing interface name", "interfaces:\n  - mode: skb\n", NAME ":2: interfaces[0].name: missing" },
	{ "an interface named ..", "interfaces:\n  - name: \"..\"\n", NAME ":2: interfaces[0].name: invalid interface name '..'" },
	{ "a name too long for an interface", "interfaces:\n  - name: abcdefghijklmnop\n", NAME ":2: interfaces[0].name: invalid interface name" },
	{ "a bad mode", "interfaces:\n  - name: eth0\n    mode: turbo\n", NAME ":3: interfaces[0].mode: invalid mode 'turbo' (expected native or skb)" },
	{ "a bad boolean", "interfaces:\n  - name: eth0\n    monitor: maybe\n", NAME ":3: interfaces[0].monitor: invalid value 'maybe' (expected true or false)" },
	{ "a bad synproxy", "interfaces:\n  - name: eth0\n    synproxy: 1\n", NAME ":3: interfaces[0].synproxy: invalid value '1' (expected true or false)" },
	{ "a bad port", "interfaces:\n  - name: eth0\n    ports: [443, 99999]\n", NAME ":3: interfaces[0].ports: invalid port '99999'" },
	{ "two ports in one item", "interfaces:\n  - name: eth0\n    ports: [\"443,80\"]\n", NAME ":3: interfaces[0].ports: invalid port '443,80' (one port per item)" },
	{ "an empty port list", "interfaces:\n  - name: eth0\n    ports: []\n", NAME ":3: interfaces[0].ports: empty port list" },
	{ "ports not a list", "interfaces:\n  - name: eth0\n    ports: 443\n", NAME ":3: interfaces[0].ports: expected a list, found a value" },
	{ "a rate with an unknown unit", "interfaces:\n  - name: eth0\n    limits: {syn_rate: 10x}\n", NAME ":3: interfaces[0].limits.syn_rate: unknown unit 'x'" },
	{ "a zero burst", "interfaces:\n  - name: eth0\n    limits: {syn_rate: 10, syn_burst: 0}\n", NAME ":3: interfaces[0].limits.syn_burst: syn_rate burst must be at least 1" },
	{ "a bad TLS version", "interfaces:\n  - name: eth0\n    limits: {min_tls: \"1.4\"}\n", NAME ":3: interfaces[0].limits.min_tls: unknown TLS version '1.4'" },
	{ "an unknown limits key", "interfaces:\n  - name: eth0\n    limits: {frob: 1}\n", NAME ":3: interfaces[0].limits: unknown key 'frob'" },
	{ "allow not a list", "interfaces:\n  - name: eth0\n    allow: {cidr: 198.51.100.0/24}\n", NAME ":3: interfaces[0].allow: expected a list, found a mapping" },
	{ "a rule that is a value", "interfaces:\n  - name: eth0\n    allow: [198.51.100.0/24]\n", NAME ":3: interfaces[0].allow[0].: expected a mapping, found a value" },
	{ "a rule without a cidr", "interfaces:\n  - name: eth0\n    allow:\n      - {name: x}\n", NAME ":4: interfaces[0].allow[0].cidr: missing (every rule needs a cidr)" },
	{ "a bad CIDR", "interfaces:\n  - name: eth0\n    allow:\n      - {cidr: 198.51.100.1/24}\n", NAME ":4: interfaces[0].allow[0].cidr: invalid CIDR '198.51.100.1/24': address bits set beyond /24" },
	{ "a bad rule name", "interfaces:\n  - name: eth0\n    allow:\n      - {cidr: 198.51.100.0/24, name: \"a b\"}\n", NAME ":4: interfaces[0].allow[0].name: invalid name 'a b'" },
	{ "a rule port the interface does not protect", "interfaces:\n  - name: eth0\n    ports: [443]\n    allow:\n      - {cidr: 198.51.100.0/24, ports: [22]}\n", NAME ":5: interfaces[0].allow[0].ports: port 22/tcp is not in the interface's ports" },
	{ "a burst without a rate", "interfaces:\n  - name: eth0\n    allow:\n      - {cidr: 198.51.100.0/24, source_syn_burst: 5}\n", NAME ":4: interfaces[0].allow[0].source_syn_burst: " },
	{ "a bad MAC", "interfaces:\n  - name: eth0\n    allow:\n      - {cidr: 198.51.100.0/24, mac: \"02:00\"}\n", NAME ":4: interfaces[0].allow[0].mac: invalid MAC" },
	{ "a bad TTL", "interfaces:\n  - name: eth0\n    allow:\n      - {cidr: 198.51.100.0/24, ttl: 0}\n", NAME ":4: interfaces[0].allow[0].ttl: invalid TTL window '0'" },
	{ "an unknown rule key", "interfaces:\n  - name: eth0\n    allow:\n      - {cidr: 198.51.100.0/24, port: 443}\n", NAME ":4: interfaces[0].allow[0].: unknown key 'port'" },
	{ "a duplicate prefix", "interfaces:\n  - name: eth0\n    allow:\n      - {cidr: 198.51.100.0/24}\n      - {cidr: 198.51.100.0/24, name: again}\n", NAME ":5: interfaces[0].allow[1].cidr: the same prefix as the rule on line 4" },
	{ "the first of several duplicates, in file order", "interfaces:\n  - name: eth0\n    allow:\n      - {cidr: 198.51.100.1}\n      - {cidr: 198.51.100.2}\n      - {cidr: 198.51.100.0/24}\n      - {cidr: 198.51.100.2/32}\n      - {cidr: 198.51.100.1/32}\n", NAME ":7: interfaces[0].allow[3].cidr: the same prefix as the rule on line 5" },
	{ "a bad listen address", "metrics:\n  listen: localhost\ninterfaces: []\n", NAME ":2: metrics.listen: " },
	{ "a listen address too long", "metrics:\n  listen: \"[1111:2222:3333:4444:5555:6666:7777:8888]:65535xxxxxxxxxxxxxxxxxxxxxxxxx\"\ninterfaces: []\n", NAME ":2: metrics.listen: too long" },
	{ "an unknown metrics key", "metrics:\n  port: 1\ninterfaces: []\n", NAME ":2: metrics: unknown key 'port'" },
};

static void test_bad(const struct bad *bad)
{
	char err[CAS_CONFIG_ERRBUF] = "";
	struct cas_config config;
	int ok;

	check_case = bad->what;
	ok = CHECK_EQ(cas_config_load_string(bad->yaml, NAME, &config, err), -EINVAL, "refused");
	ok &= CHECK_EQ(config.ifaces == NULL && config.iface_count == 0, 1, "nothing left allocated");
	if (strncmp(err, bad->error, strlen(bad->error))) {
		fprintf(stderr, "FAIL %s: expected an error starting '%s', got '%s'\n", bad->what, bad->error, err);
		ok = 0;
	}
	check_record(ok);
}

/*
 * Nesting is refused at the first level the schema cannot hold, before
 * libyaml builds a tree: 100,000 levels took libyaml over 20 s (its work
 * grows with the square of the depth). Flow and block nesting alike.
 */
static void test_deep(void)
{
	static const struct {
		const char *what, *start, *open, *close, *error;
	} cases[] = {
		{ "100,000 nested flow lists", "interfaces: ", "[", "]", NAME ":1: (file): nested deeper than 16" },
		{ "100,000 nested flow mappings", "interfaces: ", "{a: ", "}", NAME ":1: (file): nested deeper than 16" },
		{ "100,000 nested block lists", "interfaces:\n", "- ", "", NAME ":2: (file): nested deeper than 16" },
	};
	size_t i, level, levels = 100000;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		size_t open = strlen(cases[i].open), close = strlen(cases[i].close);
		char *text = malloc(levels * (open + close) + 32), *at = text;
		char err[CAS_CONFIG_ERRBUF] = "";
		struct cas_config config;
		struct timespec t0, t1;
		int ok;

		check_case = cases[i].what;
		if (!text) {
			check_record(0);
			continue;
		}
		at = stpcpy(at, cases[i].start);
		for (level = 0; level < levels; level++)
			at = stpcpy(at, cases[i].open);
		at = stpcpy(at, "x");
		for (level = 0; level < levels; level++)
			at = stpcpy(at, cases[i].close);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ok = CHECK_EQ(cas_config_load_string(text, NAME, &config, err), -EINVAL, "refused");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ok &= CHECK_EQ(strstr(err, cases[i].error) != NULL, 1, err);
		printf("  %s: refused in %.3f s\n", cases[i].what,
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		free(text);
		check_record(ok);
	}
}

/*
 * cas_config_write (the rollback snapshot) reads back as the same thing,
 * also an interface without rules (eth1).
 */
static void test_round_trip(void)
{
	struct cas_config first, again;
	char err[CAS_CONFIG_ERRBUF] = "";
	char *text = NULL;
	size_t len = 0, i, j;
	FILE *out;
	int ok;

	check_case = "written and read back";
	ok = CHECK_EQ(cas_config_load_string(good, NAME, &first, err), 0, "loaded");
	out = open_memstream(&text, &len);
	if (!ok || !out) {
		check_record(0);
		return;
	}
	cas_config_write(out, &first);
	fclose(out);
	ok = CHECK_EQ(cas_config_load_string(text, "written", &again, err), 0, "read back");
	if (!ok) {
		fprintf(stderr, "  %s\n%s", err, text);
		goto out;
	}
	ok &= CHECK_EQ(again.iface_count, first.iface_count, "interfaces");
	ok &= CHECK_STR(again.listen, first.listen, "listen");
	for (i = 0; ok && i < first.iface_count; i++) {
		const struct cas_config_iface *a = &first.ifaces[i], *b = &again.ifaces[i];

		ok &= CHECK_STR(b->name, a->name, "name") & CHECK_EQ(b->mode, a->mode, "mode") &
		      CHECK_EQ(b->monitor, a->monitor, "monitor") &
		      CHECK_EQ(b->synproxy, a->synproxy, "synproxy") &
		      CHECK_EQ(cas_port_list_equal(&a->ports, &b->ports), 1, "ports") &
		      CHECK_EQ(memcmp(&a->limits, &b->limits, sizeof(a->limits)), 0, "limits") &
		      CHECK_EQ(b->rule_count, a->rule_count, "rule count");
		for (j = 0; ok && j < a->rule_count; j++)
			ok &= CHECK_EQ(memcmp(&a->rules[j].rule, &b->rules[j].rule, sizeof(a->rules[j].rule)), 0, "rule body") &
			      CHECK_EQ(cas_port_list_equal(&a->rules[j].ports, &b->rules[j].ports), 1, "rule ports");
	}
	cas_config_free(&again);
out:
	cas_config_free(&first);
	free(text);
	check_record(ok);
}

/* A file and the same text as a string load alike; a missing file says so. */
static void test_file(void)
{
	char path[] = "/tmp/unit_config.XXXXXX", err[CAS_CONFIG_ERRBUF];
	struct cas_config config;
	FILE *file;
	int fd, ok;

	check_case = "the file loader";
	fd = mkstemp(path);
	file = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!file) {
		check_record(0);
		return;
	}
	fputs("interfaces:\n  - name: eth0\n    mode: native\n    frob: 1\n", file);
	fclose(file);
	ok = CHECK_EQ(cas_config_load(path, &config, err), -EINVAL, "refused");
	ok &= CHECK_EQ(strstr(err, ":4: interfaces[0]: unknown key 'frob'") != NULL && !strncmp(err, path, strlen(path)), 1, "names the path and the line");
	unlink(path);
	ok &= CHECK_EQ(cas_config_load(path, &config, err), -ENOENT, "missing file");
	ok &= CHECK_EQ(strstr(err, "cannot open") != NULL, 1, "says it cannot open it");
	check_record(ok);
}

/*
 * Only a regular file that only its owner (root, or the user running
 * casshield) can write is read: a FIFO would block forever, a directory
 * is a mistake, and a file others can write would let them change the
 * policy (sshd's StrictModes). Each refusal says what to do.
 */
static void test_file_kinds(void)
{
	char dir[] = "/tmp/unit_config.XXXXXX", path[64], err[CAS_CONFIG_ERRBUF];
	struct cas_config config;
	int ok = 1, fd;

	check_case = "file kinds and modes";
	if (!mkdtemp(dir)) {
		check_record(0);
		return;
	}
	ok &= CHECK_EQ(cas_config_load(dir, &config, err), -EISDIR, "a directory");
	ok &= CHECK_EQ(strstr(err, "not a regular file (a directory)") != NULL, 1, err);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ok &= CHECK_EQ(mkfifo(path, 0600), 0, "mkfifo");
	ok &= CHECK_EQ(cas_config_load(path, &config, err), -ESPIPE, "a FIFO, at once");
	ok &= CHECK_EQ(strstr(err, "not a regular file (a FIFO)") != NULL, 1, err);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ok &= CHECK_EQ(fd >= 0 && write(fd, "interfaces: []\n", 15) == 15, 1, "write");
	close(fd);
	ok &= CHECK_EQ(cas_config_load(path, &config, err), 0, "mode 0600 is read");
	cas_config_free(&config);
	chmod(path, 0620);
	ok &= CHECK_EQ(cas_config_load(path, &config, err), -EPERM, "group-writable");
	ok &= CHECK_EQ(strstr(err, "writable by group or others") && strstr(err, "chmod go-w"), 1, err);
	chmod(path, 0602);
	ok &= CHECK_EQ(cas_config_load(path, &config, err), -EPERM, "world-writable");
	chmod(path, 0644);
	ok &= CHECK_EQ(cas_config_load(path, &config, err), 0, "readable by others is read");
	cas_config_free(&config);
	chmod(dir, 0777);
	ok &= CHECK_EQ(cas_config_load(path, &config, err), -EPERM, "in a directory others can write");
	ok &= CHECK_EQ(strstr(err, "chmod go-w") != NULL, 1, err);
	chmod(dir, 01777);
	ok &= CHECK_EQ(cas_config_load(path, &config, err), 0, "in a sticky directory (/tmp)");
	cas_config_free(&config);
	unlink(path);
	rmdir(dir);
	check_record(ok);
}

int main(void)
{
	size_t i;

	test_good();
	test_defaults();
	for (i = 0; i < CAS_ARRAY_SIZE(bads); i++)
		test_bad(&bads[i]);
	test_deep();
	test_round_trip();
	test_file();
	test_file_kinds();
	return check_summary("unit_config");
}
