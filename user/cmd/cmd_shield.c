// SPDX-License-Identifier: GPL-2.0
/* cmd_shield.c - the load, unload and status verbs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "rules.h"
#include "shield.h"

/* --mode native|skb */
static int cas_parse_mode(const char *text, void *target, char *err)
{
	enum cas_attach_mode *mode = target;

	if (!strcmp(text, "native"))
		*mode = CAS_MODE_NATIVE;
	else if (!strcmp(text, "skb"))
		*mode = CAS_MODE_SKB;
	else {
		snprintf(err, CAS_ERRBUF,
			 "invalid mode '%s' (expected native or skb)", text);
		return -EINVAL;
	}
	return 0;
}

#define CAS_MAX_RULES_TEXT CAS_STR(CAS_MAX_RULES)

static const struct cas_opt cas_load_opts[] = {
	{ .name = "mode",
	  .kind = CAS_OPT_CUSTOM,
	  .parse = cas_parse_mode,
	  .offset = offsetof(struct cas_load_options, mode),
	  .value = "native|skb",
	  .help = "native (default: in the driver) or skb (generic)" },
	{ .name = "ports",
	  .kind = CAS_OPT_PORTS,
	  .offset = offsetof(struct cas_load_options, ports),
	  .value = "LIST",
	  .help = "protected ports, at most 64 (default 443/tcp)" },
	{ .name = "monitor",
	  .kind = CAS_OPT_FLAG,
	  .offset = offsetof(struct cas_load_options, monitor),
	  .help = "drop nothing; count would_drop instead" },
	{ .name = "max-rules",
	  .kind = CAS_OPT_U32,
	  .offset = offsetof(struct cas_load_options, max_rules),
	  .value = "N",
	  .min = 1,
	  .max = CAS_MAX_RULES_LIMIT,
	  .help = "size of the rule tables (default " CAS_MAX_RULES_TEXT ")" },
	{ 0 },
};

static const struct cas_syntax cas_load_syntax = {
	.words = "load",
	.verb = "load",
	.opts = cas_load_opts,
	.operands = "IFACE",
	.min_operands = 1,
	.max_operands = 1,
};

static int cas_cmd_load(int argc, char **argv)
{
	struct cas_load_options opts = { .mode = CAS_MODE_NATIVE };
	char err_text[CAS_ERRBUF], **operands;
	int count, ret;

	cas_parse_port_list("443/tcp", &opts.ports, err_text);
	ret = cas_opts_parse(&cas_load_syntax, argc, argv, &opts, &operands,
			     &count);
	if (ret)
		return ret;
	ret = cas_verb_privileges();
	if (ret)
		return ret;
	return cas_report(cas_shield_load(operands[0], &opts, err_text),
			  err_text);
}

static const struct cas_syntax cas_unload_syntax = {
	.words = "unload",
	.verb = "unload",
	.operands = "IFACE",
	.min_operands = 1,
	.max_operands = 1,
};

static int cas_cmd_unload(int argc, char **argv)
{
	char err[CAS_ERRBUF], **operands;
	int count, ret;

	ret = cas_opts_parse(&cas_unload_syntax, argc, argv, NULL, &operands,
			     &count);
	if (ret)
		return ret;
	ret = cas_verb_privileges();
	if (ret)
		return ret;
	if (!cas_is_shielded(operands[0])) {
		cas_err("%s is not shielded", operands[0]);
		return CAS_EXIT_FAIL;
	}
	return cas_report(cas_shield_unload(operands[0], err), err);
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

struct cas_status_args {
	const char *ifname;
	bool json;
};

static const struct cas_opt cas_status_opts[] = {
	CAS_OPT_IFACE(struct cas_status_args, ifname, 0),
	CAS_OPT_JSON(struct cas_status_args, json, 0),
	{ 0 },
};

static const struct cas_syntax cas_status_syntax = {
	.words = "status",
	.verb = "status",
	.opts = cas_status_opts,
};

static int cas_cmd_status(int argc, char **argv)
{
	struct cas_status_args args = {};
	char(*names)[IF_NAMESIZE] = NULL;
	const char *ifname;
	struct cas_status status;
	bool json;
	size_t count, i;
	int err;

	err = cas_opts_parse(&cas_status_syntax, argc, argv, &args, NULL, NULL);
	if (err)
		return err;
	ifname = args.ifname;
	json = args.json;
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

static const struct cas_syntax *const cas_load_forms[] = { &cas_load_syntax,
							   NULL };
static const struct cas_syntax *const cas_unload_forms[] = { &cas_unload_syntax,
							     NULL };
static const struct cas_syntax *const cas_status_forms[] = { &cas_status_syntax,
							     NULL };

const struct cas_verb cas_verb_load = { "load", cas_cmd_load, cas_load_forms,
					"attach the shield to an interface" };
const struct cas_verb cas_verb_unload = {
	"unload", cas_cmd_unload, cas_unload_forms,
	"detach the shield and remove its pinned state"
};
const struct cas_verb cas_verb_status = {
	"status", cas_cmd_status, cas_status_forms,
	"show shielded interfaces, attachment and rules"
};
