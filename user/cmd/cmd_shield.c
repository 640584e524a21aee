// SPDX-License-Identifier: GPL-2.0
/* cmd_shield.c - the load, unload and status verbs. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "rules.h"
#include "shield.h"

static int cas_parse_mode(const char *text, enum cas_attach_mode *mode)
{
	if (!strcmp(text, "native"))
		*mode = CAS_MODE_NATIVE;
	else if (!strcmp(text, "skb"))
		*mode = CAS_MODE_SKB;
	else {
		cas_err("load: invalid mode '%s' (expected native or skb)",
			text);
		return -1;
	}
	return 0;
}

/* Exactly one positional IFACE after the options. */
static const char *cas_one_operand(int argc, char **argv, const char *verb)
{
	if (optind != argc - 1) {
		cas_err(optind >= argc ?
				"%s: missing IFACE (see 'casshield %s --help')" :
				"%s: unexpected argument (see 'casshield %s --help')",
			verb, verb);
		return NULL;
	}
	return argv[optind];
}

int cas_cmd_load(int argc, char **argv)
{
	static const struct option options[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "ports", required_argument, NULL, 'p' },
		{ "monitor", no_argument, NULL, 'M' },
		{ "max-rules", required_argument, NULL, 'R' },
		{ 0 },
	};
	struct cas_load_options opts = { .mode = CAS_MODE_NATIVE };
	char err_text[CAS_ERRBUF];
	const char *ifname;
	int opt, ret;

	cas_parse_port_list("443/tcp", &opts.ports, err_text);
	while ((opt = cas_getopt(argc, argv, "", options, "load")) != -1) {
		switch (opt) {
		case 'm':
			if (cas_parse_mode(optarg, &opts.mode))
				return CAS_EXIT_USAGE;
			break;
		case 'p':
			if (cas_parse_port_list(optarg, &opts.ports,
						err_text)) {
				cas_err("load: %s", err_text);
				return CAS_EXIT_USAGE;
			}
			break;
		case 'M':
			opts.monitor = true;
			break;
		case 'R':
			if (cas_parse_u32(optarg, 1, CAS_MAX_RULES_LIMIT,
					  &opts.max_rules, err_text)) {
				cas_err("load: --max-rules: %s", err_text);
				return CAS_EXIT_USAGE;
			}
			break;
		default:
			return CAS_EXIT_USAGE;
		}
	}
	ifname = cas_one_operand(argc, argv, "load");
	if (!ifname)
		return CAS_EXIT_USAGE;
	ret = cas_verb_privileges();
	if (ret)
		return ret;
	return cas_report(cas_shield_load(ifname, &opts, err_text), err_text);
}

int cas_cmd_unload(int argc, char **argv)
{
	static const struct option options[] = { { 0 } };
	char err[CAS_ERRBUF];
	const char *ifname;
	int ret;

	if (cas_getopt(argc, argv, "", options, "unload") != -1)
		return CAS_EXIT_USAGE;
	ifname = cas_one_operand(argc, argv, "unload");
	if (!ifname)
		return CAS_EXIT_USAGE;
	ret = cas_verb_privileges();
	if (ret)
		return ret;
	if (!cas_is_shielded(ifname)) {
		cas_err("%s is not shielded", ifname);
		return CAS_EXIT_FAIL;
	}
	return cas_report(cas_shield_unload(ifname, err), err);
}

/* Everything status reports about one interface. */
struct cas_status {
	struct cas_attachment attachment;
	struct cas_settings settings;
	struct cas_policy policy;
	struct cas_port_list ports;
	size_t rules_v4, rules_v6;
};

static int cas_status_read(const char *ifname, struct cas_status *status)
{
	char errbuf[CAS_ERRBUF];
	struct cas_rule_entry *entries;
	struct cas_iface iface;
	size_t count, i;
	int err;

	memset(status, 0, sizeof(*status));
	err = cas_iface_open(ifname, &iface, errbuf);
	if (err)
		return cas_report(err, errbuf);
	err = cas_iface_attachment(&iface, &status->attachment);
	if (!err)
		err = cas_settings_read(&iface.maps, &status->settings);
	if (!err)
		err = cas_policy_read_active(&iface.maps, &status->policy);
	if (!err)
		err = cas_ports_get_active(&iface.maps, &status->ports);
	if (!err)
		err = cas_rules_list(&iface.maps, &entries, &count);
	cas_iface_close(&iface);
	if (err) {
		cas_err("cannot read the state of %s: %s", ifname,
			strerror(-err));
		return CAS_EXIT_FAIL;
	}
	for (i = 0; i < count; i++) {
		if (entries[i].rule.family == AF_INET)
			status->rules_v4++;
		else
			status->rules_v6++;
	}
	free(entries);
	return CAS_EXIT_OK;
}

static void cas_status_json(FILE *out, const char *ifname,
			    const struct cas_status *status)
{
	unsigned int i;

	fputs("{\"interface\": ", out);
	cas_json_string(out, ifname);
	fprintf(out,
		", \"attached\": %s, \"mode\": \"%s\", \"monitor\": %s, \"ifindex\": %u, \"prog_id\": %u, \"link_id\": %u, \"ports\": [",
		status->attachment.attached ? "true" : "false",
		cas_mode_name(status->settings.attach_mode),
		status->policy.monitor ? "true" : "false",
		status->settings.ifindex, status->attachment.prog_id,
		status->attachment.link_id);
	for (i = 0; i < status->ports.count; i++)
		fprintf(out, "%s\"%u/%s\"", i ? ", " : "",
			status->ports.ports[i].port,
			cas_proto_name(status->ports.ports[i].proto));
	fprintf(out,
		"], \"rules\": {\"ipv4\": %zu, \"ipv6\": %zu}, \"max_rules\": %u, \"loaded_at\": %llu, \"pin_dir\": \"%s/%s\"}",
		status->rules_v4, status->rules_v6, status->settings.max_rules,
		(unsigned long long)status->settings.loaded_at, CAS_PIN_ROOT,
		ifname);
}

static void cas_status_text(FILE *out, const char *ifname,
			    const struct cas_status *status)
{
	unsigned int i;

	fprintf(out, "%s: %s (%s mode), %s\n", ifname,
		status->attachment.attached ?
			"attached" :
			"NOT ATTACHED (run unload, then load)",
		cas_mode_name(status->settings.attach_mode),
		status->policy.monitor ? "monitor only (nothing dropped)" :
					 "enforcing");
	fputs("  protected ports:", out);
	for (i = 0; i < status->ports.count; i++)
		fprintf(out, "%s %u/%s", i ? "," : "",
			status->ports.ports[i].port,
			cas_proto_name(status->ports.ports[i].proto));
	fprintf(out, "\n  allow rules: %zu IPv4, %zu IPv6 (max %u)\n",
		status->rules_v4, status->rules_v6, status->settings.max_rules);
	fprintf(out, "  program id %u, link id %u, pinned in %s/%s\n",
		status->attachment.prog_id, status->attachment.link_id,
		CAS_PIN_ROOT, ifname);
}

int cas_cmd_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	char(*names)[IF_NAMESIZE] = NULL;
	const char *ifname = NULL;
	struct cas_status status;
	bool json = false;
	size_t count, i;
	int opt, err;

	while ((opt = cas_getopt(argc, argv, "i:", options, "status")) != -1) {
		if (opt == 'i')
			ifname = optarg;
		else if (opt == 'j')
			json = true;
		else
			return CAS_EXIT_USAGE;
	}
	if (optind != argc) {
		cas_err("status: unexpected argument '%s'", argv[optind]);
		return CAS_EXIT_USAGE;
	}
	err = cas_verb_privileges();
	if (err)
		return err;

	if (ifname) {
		char resolved[IF_NAMESIZE], errbuf[CAS_ERRBUF];

		err = cas_resolve_iface(ifname, resolved, errbuf);
		if (err)
			return cas_report(err, errbuf);
		names = calloc(1, sizeof(*names));
		if (!names)
			return CAS_EXIT_FAIL;
		snprintf(names[0], IF_NAMESIZE, "%s", resolved);
		count = 1;
	} else if ((err = cas_shielded_list(&names, &count))) {
		cas_err("cannot list %s: %s", CAS_PIN_ROOT, strerror(-err));
		return CAS_EXIT_FAIL;
	}
	if (!count) {
		if (json)
			puts("{\"interfaces\": []}");
		else
			puts("no interface is shielded");
		free(names);
		return CAS_EXIT_OK;
	}

	/* One interface: one object, as stats prints; several: a list. */
	if (json && count > 1)
		fputs("{\"interfaces\": [", stdout);
	for (i = 0; i < count; i++) {
		err = cas_status_read(names[i], &status);
		if (err)
			break;
		if (json) {
			if (i)
				fputs(", ", stdout);
			cas_status_json(stdout, names[i], &status);
		} else {
			cas_status_text(stdout, names[i], &status);
		}
	}
	if (json)
		fputs(count > 1 ? "]}\n" : "\n", stdout);
	free(names);
	return err;
}
