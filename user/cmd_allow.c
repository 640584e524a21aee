// SPDX-License-Identifier: GPL-2.0
/* cmd_allow.c - allow add / del / list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "rules.h"
#include "shield.h"

/* Options every allow sub-verb may carry; each sub-verb checks its own. */
struct cas_allow_args {
	const char *ifname;
	const char *cidr;
	const char *name;
	bool has_ports;
	struct cas_port_list ports;
	bool json;
};

/* Names become Prometheus label values: keep them plain. */
static int cas_valid_rule_name(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len >= CAS_RULE_NAME_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

static int cas_allow_parse(int argc, char **argv, const char *verb,
			   bool wants_cidr, const char *allowed_opts,
			   struct cas_allow_args *args)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "ports", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	char err_text[CAS_ERRBUF];
	int opt;

	memset(args, 0, sizeof(*args));
	while ((opt = cas_getopt(argc, argv, "i:", options, verb)) != -1) {
		if (opt == '?')
			return CAS_EXIT_USAGE;
		if (!strchr(allowed_opts, opt)) {
			cas_err("%s: option '%s' does not apply (see 'casshield allow --help')",
				verb, argv[optind - 1]);
			return CAS_EXIT_USAGE;
		}
		switch (opt) {
		case 'i':
			args->ifname = optarg;
			break;
		case 'p':
			if (cas_parse_port_list(optarg, &args->ports,
						err_text)) {
				cas_err("%s: %s", verb, err_text);
				return CAS_EXIT_USAGE;
			}
			args->has_ports = true;
			break;
		case 'n':
			if (!cas_valid_rule_name(optarg)) {
				cas_err("%s: invalid name '%s' (1-%d characters of A-Z a-z 0-9 . _ -)",
					verb, optarg, CAS_RULE_NAME_LEN - 1);
				return CAS_EXIT_USAGE;
			}
			args->name = optarg;
			break;
		case 'j':
			args->json = true;
			break;
		}
	}
	if (wants_cidr) {
		if (optind >= argc) {
			cas_err("%s: missing CIDR (see 'casshield allow --help')",
				verb);
			return CAS_EXIT_USAGE;
		}
		args->cidr = argv[optind++];
	}
	if (optind != argc) {
		cas_err("%s: unexpected argument '%s'", verb, argv[optind]);
		return CAS_EXIT_USAGE;
	}
	return CAS_EXIT_OK;
}

/* Resolve the interface and open its maps; prints its own errors. */
static int cas_allow_open(const struct cas_allow_args *args,
			  struct cas_iface *iface)
{
	char ifname[IF_NAMESIZE];
	int err;

	if (cas_require_privileges())
		return CAS_EXIT_FAIL;
	err = cas_resolve_iface(args->ifname, ifname);
	if (err)
		return err;
	return cas_iface_open(ifname, iface);
}

static int cas_allow_add(int argc, char **argv)
{
	char err_text[CAS_ERRBUF], cidr[64];
	struct cas_allow_args args;
	struct cas_prefix prefix;
	struct cas_rule rule = {};
	struct cas_iface iface;
	struct cas_port unprotected;
	__u32 id;
	int err;

	err = cas_allow_parse(argc, argv, "allow add", true, "ipn", &args);
	if (err)
		return err;
	if (cas_parse_prefix(args.cidr, &prefix, err_text)) {
		cas_err("allow add: %s", err_text);
		return CAS_EXIT_USAGE;
	}
	err = cas_allow_open(&args, &iface);
	if (err)
		return err;

	cas_format_prefix(&prefix, cidr, sizeof(cidr));
	cas_rule_set_prefix(&rule, &prefix);
	if (args.name)
		snprintf(rule.name, sizeof(rule.name), "%s", args.name);
	err = cas_ports_mask(&iface.maps, &args.ports, &rule.port_mask,
			     &unprotected);
	if (err == -ENOENT) {
		cas_err("allow add: port %u/%s is not protected on %s (see 'casshield status')",
			unprotected.port, cas_proto_name(unprotected.proto),
			iface.name);
		goto fail;
	}
	if (!err)
		err = cas_rule_add(&iface.maps, &rule, &id);
	if (err == -EEXIST)
		cas_err("allow add: %s already has a rule on %s (delete it first)",
			cidr, iface.name);
	else if (err == -ENOSPC)
		cas_err("allow add: the rule table of %s is full", iface.name);
	else if (err)
		cas_err("allow add: cannot add %s on %s: %s", cidr, iface.name,
			strerror(-err));
	if (err)
		goto fail;
	cas_iface_close(&iface);
	return CAS_EXIT_OK;
fail:
	cas_iface_close(&iface);
	return CAS_EXIT_FAIL;
}

static int cas_allow_del(int argc, char **argv)
{
	char err_text[CAS_ERRBUF], cidr[64];
	struct cas_allow_args args;
	struct cas_prefix prefix;
	struct cas_iface iface;
	int err;

	err = cas_allow_parse(argc, argv, "allow del", true, "i", &args);
	if (err)
		return err;
	if (cas_parse_prefix(args.cidr, &prefix, err_text)) {
		cas_err("allow del: %s", err_text);
		return CAS_EXIT_USAGE;
	}
	err = cas_allow_open(&args, &iface);
	if (err)
		return err;
	cas_format_prefix(&prefix, cidr, sizeof(cidr));
	err = cas_rule_del(&iface.maps, &prefix);
	if (err == -ENOENT)
		cas_err("allow del: no rule for %s on %s", cidr, iface.name);
	else if (err)
		cas_err("allow del: cannot delete %s on %s: %s", cidr,
			iface.name, strerror(-err));
	cas_iface_close(&iface);
	return err ? CAS_EXIT_FAIL : CAS_EXIT_OK;
}

/* "443/tcp,80/tcp" from a port mask, or "all". */
static void cas_mask_ports(__u64 mask, const struct cas_port_list *ports,
			   bool json, FILE *out)
{
	unsigned int i, shown = 0;

	if (mask == CAS_ALL_PORTS) {
		fputs(json ? "\"all\"" : "all", out);
		return;
	}
	for (i = 0; i < ports->count; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		fprintf(out, json ? "%s\"%u/%s\"" : "%s%u/%s",
			shown++ ? (json ? ", " : ",") : "",
			ports->ports[i].port,
			cas_proto_name(ports->ports[i].proto));
	}
}

static void cas_rules_print(FILE *out, const char *ifname,
			    const struct cas_rule_entry *entries, size_t count,
			    const struct cas_port_list *ports, bool json)
{
	size_t i;

	if (json) {
		fputs("{\"interface\": ", out);
		cas_json_string(out, ifname);
		fputs(", \"rules\": [", out);
	} else {
		fprintf(out, "%-6s %-43s %-20s %-16s %12s %14s\n", "ID",
			"CIDR", "NAME", "PORTS", "HITS", "BYTES");
	}
	for (i = 0; i < count; i++) {
		const struct cas_rule_entry *entry = &entries[i];
		struct cas_prefix prefix;
		char cidr[64], *port_buf = NULL;
		size_t port_len = 0;
		FILE *port_text;

		cas_rule_prefix(&entry->rule, &prefix);
		cas_format_prefix(&prefix, cidr, sizeof(cidr));
		if (json) {
			fprintf(out, "%s{\"id\": %u, \"cidr\": \"%s\", \"family\": \"%s\", \"name\": ",
				i ? ", " : "", entry->id, cidr,
				prefix.family == AF_INET ? "ipv4" : "ipv6");
			cas_json_string(out, entry->rule.name);
			fputs(", \"ports\": ", out);
			if (entry->rule.port_mask != CAS_ALL_PORTS)
				fputc('[', out);
			cas_mask_ports(entry->rule.port_mask, ports, true, out);
			if (entry->rule.port_mask != CAS_ALL_PORTS)
				fputc(']', out);
			fprintf(out, ", \"hits\": %llu, \"bytes\": %llu}",
				(unsigned long long)entry->hits.packets,
				(unsigned long long)entry->hits.bytes);
			continue;
		}
		fprintf(out, "%-6u %-43s %-20s ", entry->id, cidr,
			entry->rule.name[0] ? entry->rule.name : "-");
		port_text = open_memstream(&port_buf, &port_len);
		if (port_text) {
			cas_mask_ports(entry->rule.port_mask, ports, false,
				       port_text);
			fclose(port_text);
		}
		fprintf(out, "%-16s %12llu %14llu\n", port_buf ? port_buf : "?",
			(unsigned long long)entry->hits.packets,
			(unsigned long long)entry->hits.bytes);
		free(port_buf);
	}
	if (json)
		fputs("]}\n", out);
}

static int cas_allow_list(int argc, char **argv)
{
	struct cas_rule_entry *entries = NULL;
	struct cas_port_list ports;
	struct cas_allow_args args;
	struct cas_iface iface;
	size_t count;
	int err;

	err = cas_allow_parse(argc, argv, "allow list", false, "ij", &args);
	if (err)
		return err;
	err = cas_allow_open(&args, &iface);
	if (err)
		return err;
	err = cas_ports_get(&iface.maps, &ports);
	if (!err)
		err = cas_rules_list(&iface.maps, &entries, &count);
	if (err) {
		cas_err("allow list: cannot read the rules of %s: %s",
			iface.name, strerror(-err));
	} else {
		cas_rules_print(stdout, iface.name, entries, count, &ports,
				args.json);
	}
	free(entries);
	cas_iface_close(&iface);
	return err ? CAS_EXIT_FAIL : CAS_EXIT_OK;
}

int cas_cmd_allow(int argc, char **argv)
{
	if (argc < 2) {
		cas_err("allow: missing sub-verb add, del or list (see 'casshield allow --help')");
		return CAS_EXIT_USAGE;
	}
	/* The sub-verb becomes argv[0] for getopt. */
	optind = 1;
	if (!strcmp(argv[1], "add"))
		return cas_allow_add(argc - 1, argv + 1);
	if (!strcmp(argv[1], "del") || !strcmp(argv[1], "delete"))
		return cas_allow_del(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list") || !strcmp(argv[1], "ls"))
		return cas_allow_list(argc - 1, argv + 1);
	cas_err("allow: unknown sub-verb '%s' (expected add, del or list)",
		argv[1]);
	return CAS_EXIT_USAGE;
}
