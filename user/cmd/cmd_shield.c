// SPDX-License-Identifier: GPL-2.0
/* cmd_shield.c - the load, unload and status verbs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "json_print.h"
#include "rules.h"
#include "shield.h"
#include "synproxy.h"

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
	{ .name = "syn-proxy",
	  .kind = CAS_OPT_FLAG,
	  .offset = offsetof(struct cas_load_options, synproxy),
	  .help = "answer SYNs to the protected TCP ports with cookies" },
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
	struct cas_synproxy_status synproxy; /* the nftables side */
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
	/* No nft here reads as "no table": status still reports the rest. */
	if (cas_synproxy_status(ifname, &status->synproxy, errbuf))
		memset(&status->synproxy, 0, sizeof(status->synproxy));
	return CAS_EXIT_OK;
}

static struct json_object *
cas_status_synproxy_json(const char *ifname, const struct cas_status *status)
{
	struct json_object *obj = json_object_new_object();
	const struct cas_policy *p = &status->policy;
	char table[128];

	cas_synproxy_table(ifname, table, sizeof(table));
	cas_json_set_bool(obj, "enabled", p->flags & CAS_POLICY_SYN_PROXY);
	cas_json_set_string(obj, "table", table);
	cas_json_set_bool(obj, "table_present", status->synproxy.table);
	cas_json_set_bool(obj, "tcp_loose_off", status->synproxy.loose_off);
	cas_json_set_u64(obj, "synack_rate", p->synack_rate);
	cas_json_set_u64(obj, "synack_burst", p->synack_burst);
	cas_json_set_u64(obj, "mss4", p->mss4);
	cas_json_set_u64(obj, "mss6", p->mss6);
	cas_json_set_u64(obj, "wscale", p->wscale);
	return obj;
}

static struct json_object *cas_status_json(const char *ifname,
					   const struct cas_status *status)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *rules = json_object_new_object();
	char pin_dir[64 + IF_NAMESIZE];

	cas_json_set_string(obj, "interface", ifname);
	cas_json_set_bool(obj, "attached", status->attachment.attached);
	cas_json_set_string(obj, "mode",
			    cas_mode_name(status->settings.attach_mode));
	cas_json_set_bool(obj, "monitor", status->policy.monitor);
	cas_json_set_u64(obj, "ifindex", status->settings.ifindex);
	cas_json_set_u64(obj, "prog_id", status->attachment.prog_id);
	cas_json_set_u64(obj, "link_id", status->attachment.link_id);
	json_object_object_add(obj, "ports", cas_json_ports(&status->ports));
	cas_json_set_u64(rules, "ipv4", status->rules_v4);
	cas_json_set_u64(rules, "ipv6", status->rules_v6);
	json_object_object_add(obj, "rules", rules);
	cas_json_set_u64(obj, "max_rules", status->settings.max_rules);
	cas_json_set_u64(obj, "loaded_at", status->settings.loaded_at);
	snprintf(pin_dir, sizeof(pin_dir), "%s/%s", CAS_PIN_ROOT, ifname);
	cas_json_set_string(obj, "pin_dir", pin_dir);
	json_object_object_add(obj, "syn_proxy",
			       cas_status_synproxy_json(ifname, status));
	return obj;
}

static void cas_status_synproxy_text(FILE *out, const char *ifname,
				     const struct cas_status *status)
{
	const struct cas_policy *p = &status->policy;
	char table[128];

	if (!(p->flags & CAS_POLICY_SYN_PROXY)) {
		fputs("  SYN proxy: off\n", out);
		return;
	}
	cas_synproxy_table(ifname, table, sizeof(table));
	if (p->synack_rate)
		fprintf(out,
			"  SYN proxy: on, SYN-ACKs at most %u/s (burst %u), MSS %u/%u, wscale %u\n",
			p->synack_rate, p->synack_burst, p->mss4, p->mss6,
			p->wscale);
	else
		fprintf(out,
			"  SYN proxy: on, SYN-ACKs not capped, MSS %u/%u, wscale %u\n",
			p->mss4, p->mss6, p->wscale);
	fprintf(out,
		"  nftables: table inet %s %s, nf_conntrack_tcp_loose %s\n",
		table,
		status->synproxy.table ? "present" :
					 "MISSING (run 'casshield apply')",
		status->synproxy.loose_off ? "0" : "NOT 0");
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
	cas_status_synproxy_text(out, ifname, status);
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

/* The interfaces status reports: -i's, or every shielded one. */
static int cas_status_names(const char *ifname_opt, char (**names)[IF_NAMESIZE],
			    size_t *count)
{
	char resolved[IF_NAMESIZE], errbuf[CAS_ERRBUF];
	int err;

	if (!ifname_opt) {
		err = cas_shielded_list(names, count);
		if (err)
			cas_err("cannot list %s: %s", CAS_PIN_ROOT,
				strerror(-err));
		return err ? CAS_EXIT_FAIL : CAS_EXIT_OK;
	}
	err = cas_resolve_iface(ifname_opt, resolved, errbuf);
	if (err)
		return cas_report(err, errbuf);
	*names = calloc(1, sizeof(**names));
	if (!*names)
		return CAS_EXIT_FAIL;
	snprintf((*names)[0], IF_NAMESIZE, "%s", resolved);
	*count = 1;
	return CAS_EXIT_OK;
}

/*
 * One interface: its object, as stats prints; none or several:
 * {"interfaces": [...]}. A failure stops at that interface, after
 * printing the ones before it.
 */
static int cas_status_print_json(char (*names)[IF_NAMESIZE], size_t count)
{
	struct json_object *root, *list;
	struct cas_status status;
	size_t i;
	int err = CAS_EXIT_OK;

	if (count == 1) {
		err = cas_status_read(names[0], &status);
		return err ? err :
			     cas_json_print(stdout,
					    cas_status_json(names[0], &status));
	}
	root = json_object_new_object();
	list = json_object_new_array();
	json_object_object_add(root, "interfaces", list);
	for (i = 0; i < count && !err; i++) {
		err = cas_status_read(names[i], &status);
		if (!err)
			json_object_array_add(
				list, cas_status_json(names[i], &status));
	}
	cas_json_print(stdout, root);
	return err;
}

static int cas_status_print_text(char (*names)[IF_NAMESIZE], size_t count)
{
	struct cas_status status;
	size_t i;
	int err;

	if (!count)
		puts("no interface is shielded");
	for (i = 0; i < count; i++) {
		err = cas_status_read(names[i], &status);
		if (err)
			return err;
		cas_status_text(stdout, names[i], &status);
	}
	return CAS_EXIT_OK;
}

static int cas_cmd_status(int argc, char **argv)
{
	struct cas_status_args args = {};
	char(*names)[IF_NAMESIZE] = NULL;
	size_t count = 0;
	int err;

	err = cas_opts_parse(&cas_status_syntax, argc, argv, &args, NULL, NULL);
	if (!err)
		err = cas_verb_privileges();
	if (!err)
		err = cas_status_names(args.ifname, &names, &count);
	if (err)
		return err;
	if (args.json)
		err = cas_status_print_json(names, count);
	else
		err = cas_status_print_text(names, count);
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
