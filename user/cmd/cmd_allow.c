// SPDX-License-Identifier: GPL-2.0
/* cmd_allow.c - allow add / del / list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "json_print.h"
#include "rules.h"
#include "shield.h"

/* The forms of allow, for the scope of its options. */
enum cas_allow_form {
	CAS_ALLOW_ADD = 1 << 0,	 /* allow add CIDR [options] */
	CAS_ALLOW_FILE = 1 << 1, /* allow add -i IFACE --file FILE */
	CAS_ALLOW_LINE = 1 << 2, /* a line of that file: CIDR [options] */
	CAS_ALLOW_DEL = 1 << 3,
	CAS_ALLOW_LIST = 1 << 4,
};

/* The handshake buckets of a rule. */
enum cas_bucket_kind {
	CAS_BUCKET_SYN,
	CAS_BUCKET_SOURCE_SYN,
	CAS_BUCKET_HELLO,
	CAS_BUCKET_COUNT
};

/* A rule's MAC and TTL binding, and whether each was given. */
struct cas_mac_opt {
	bool given;
	__u8 mac[6];
};

struct cas_ttl_opt {
	bool given;
	__u8 min, max;
};

/* Options of every allow form; each form takes its own (the table's scope). */
struct cas_allow_args {
	const char *ifname;
	const char *cidr; /* the operand */
	const char *name;
	struct cas_port_list ports; /* empty: every protected port */
	bool json;
	bool replace;
	const char *file;
	struct cas_bucket_args buckets[CAS_BUCKET_COUNT];
	struct cas_mac_opt mac;
	struct cas_ttl_opt ttl;
};

static const char *const cas_bucket_names[CAS_BUCKET_COUNT] = {
	[CAS_BUCKET_SYN] = "syn",
	[CAS_BUCKET_SOURCE_SYN] = "source-syn",
	[CAS_BUCKET_HELLO] = "hello",
};

static int cas_parse_rule_name(const char *text, void *target, char *err)
{
	if (!cas_valid_rule_name(text)) {
		snprintf(
			err, CAS_ERRBUF,
			"invalid name '%s' (1-%d characters of A-Z a-z 0-9 . _ -)",
			text, CAS_RULE_NAME_LEN - 1);
		return -EINVAL;
	}
	*(const char **)target = text;
	return 0;
}

static int cas_parse_mac_opt(const char *text, void *target, char *err)
{
	struct cas_mac_opt *mac = target;

	mac->given = true;
	return cas_parse_mac(text, mac->mac, err);
}

static int cas_parse_ttl_opt(const char *text, void *target, char *err)
{
	struct cas_ttl_opt *ttl = target;

	ttl->given = true;
	return cas_parse_ttl(text, &ttl->min, &ttl->max, err);
}

/* What a rule is made of: on the command line and in a file's lines. */
#define CAS_RULE_OPTS (CAS_ALLOW_ADD | CAS_ALLOW_LINE)

static const struct cas_opt cas_allow_opts[] = {
	CAS_OPT_IFACE(struct cas_allow_args, ifname,
		      CAS_ALLOW_ADD | CAS_ALLOW_FILE | CAS_ALLOW_DEL |
			      CAS_ALLOW_LIST),
	{ .name = "ports",
	  .kind = CAS_OPT_PORTS,
	  .offset = offsetof(struct cas_allow_args, ports),
	  .value = "LIST",
	  .help = "protected ports the rule allows (default: all)",
	  .scope = CAS_RULE_OPTS },
	{ .name = "name",
	  .kind = CAS_OPT_CUSTOM,
	  .parse = cas_parse_rule_name,
	  .offset = offsetof(struct cas_allow_args, name),
	  .value = "NAME",
	  .help = "rule label: up to 31 of A-Z a-z 0-9 . _ -",
	  .scope = CAS_RULE_OPTS },
	{ .name = "replace",
	  .kind = CAS_OPT_FLAG,
	  .offset = offsetof(struct cas_allow_args, replace),
	  .help = "atomically swap the prefix's existing rule",
	  .scope = CAS_RULE_OPTS },
	CAS_OPT_BUCKET(
		struct cas_allow_args, buckets[CAS_BUCKET_SYN], "syn",
		"SYNs/s (with --syn-proxy: completed handshakes), shared by the rule's sources",
		CAS_RULE_OPTS),
	CAS_OPT_BUCKET(struct cas_allow_args, buckets[CAS_BUCKET_SOURCE_SYN],
		       "source-syn", "SYNs/s of each source (IPv6: each /64)",
		       CAS_RULE_OPTS),
	CAS_OPT_BUCKET(struct cas_allow_args, buckets[CAS_BUCKET_HELLO],
		       "hello", "TLS ClientHellos/s of the rule",
		       CAS_RULE_OPTS),
	{ .name = "mac",
	  .kind = CAS_OPT_CUSTOM,
	  .parse = cas_parse_mac_opt,
	  .offset = offsetof(struct cas_allow_args, mac),
	  .value = "MAC",
	  .help = "require this Ethernet source (else: spoofed)",
	  .scope = CAS_RULE_OPTS },
	{ .name = "ttl",
	  .kind = CAS_OPT_CUSTOM,
	  .parse = cas_parse_ttl_opt,
	  .offset = offsetof(struct cas_allow_args, ttl),
	  .value = "MIN[-MAX]",
	  .help = "require a TTL or hop limit in this window",
	  .scope = CAS_RULE_OPTS },
	{ .name = "file",
	  .kind = CAS_OPT_STRING,
	  .offset = offsetof(struct cas_allow_args, file),
	  .value = "FILE|-",
	  .help = "add FILE's rules (-: stdin), all or none",
	  .scope = CAS_ALLOW_FILE,
	  .own_line = true },
	CAS_OPT_JSON(struct cas_allow_args, json, CAS_ALLOW_LIST),
	{ 0 },
};

static const struct cas_syntax cas_allow_add_syntax = {
	.words = "allow add",
	.verb = "allow",
	.opts = cas_allow_opts,
	.scope = CAS_ALLOW_ADD | CAS_ALLOW_FILE,
	.operands = "CIDR",
	.max_operands = 1, /* none with --file */
};
/* Only a usage line: allow add parses --file. */
static const struct cas_syntax cas_allow_file_syntax = {
	.words = "allow add",
	.operands = "-i IFACE --file FILE|-",
	.note = "(one rule a line, as above)",
};
static const struct cas_syntax cas_allow_line_syntax = {
	.verb = "allow",
	.opts = cas_allow_opts,
	.scope = CAS_ALLOW_LINE,
	.operands = "CIDR",
	.min_operands = 1,
	.max_operands = 1,
};
static const struct cas_syntax cas_allow_del_syntax = {
	.words = "allow del",
	.verb = "allow",
	.opts = cas_allow_opts,
	.scope = CAS_ALLOW_DEL,
	.operands = "CIDR",
	.min_operands = 1,
	.max_operands = 1,
};
static const struct cas_syntax cas_allow_list_syntax = {
	.words = "allow list",
	.verb = "allow",
	.opts = cas_allow_opts,
	.scope = CAS_ALLOW_LIST,
};

/* Parse argv by syntax into args; the CIDR operand, if any, in args->cidr. */
static int cas_allow_parse(const struct cas_syntax *syntax, int argc,
			   char **argv, struct cas_allow_args *args)
{
	char **operands;
	int count, err;

	memset(args, 0, sizeof(*args));
	err = cas_opts_parse(syntax, argc, argv, args, &operands, &count);
	if (!err && count)
		args->cidr = operands[0];
	return err;
}

/* Limits and binding of a new rule from its options; prints its errors. */
static int cas_allow_rule_limits(const struct cas_allow_args *args,
				 struct cas_rule *rule)
{
	__u32 *fields[CAS_BUCKET_COUNT][2] = {
		[CAS_BUCKET_SYN] = { &rule->syn_rate, &rule->syn_burst },
		[CAS_BUCKET_SOURCE_SYN] = { &rule->source_syn_rate,
					    &rule->source_syn_burst },
		[CAS_BUCKET_HELLO] = { &rule->hello_rate, &rule->hello_burst },
	};
	char err_text[CAS_ERRBUF];
	int kind;

	for (kind = 0; kind < CAS_BUCKET_COUNT; kind++) {
		const struct cas_bucket_args *bucket = &args->buckets[kind];

		*fields[kind][0] = bucket->rate.value;
		*fields[kind][1] = bucket->burst.value;
		if (cas_check_bucket(cas_bucket_names[kind], bucket->rate.value,
				     bucket->burst.given, fields[kind][1],
				     err_text)) {
			cas_err("allow add: %s", err_text);
			return -1;
		}
	}
	if (args->mac.given) {
		rule->flags |= CAS_RULE_MATCH_MAC;
		memcpy(rule->mac, args->mac.mac, sizeof(rule->mac));
	}
	if (args->ttl.given) {
		rule->flags |= CAS_RULE_MATCH_TTL;
		rule->ttl_min = args->ttl.min;
		rule->ttl_max = args->ttl.max;
	}
	return 0;
}

/* Rules parsed from a file, with the line each came from. */
struct cas_rule_batch {
	struct cas_rule *rules;
	unsigned int *lines;
	size_t count, capacity;
};

static int cas_batch_push(struct cas_rule_batch *batch,
			  const struct cas_rule *rule, unsigned int line)
{
	if (batch->count == batch->capacity) {
		size_t capacity = batch->capacity ? batch->capacity * 2 : 1024;
		struct cas_rule *rules =
			realloc(batch->rules, capacity * sizeof(*rules));
		unsigned int *lines;

		if (!rules)
			return -ENOMEM;
		batch->rules = rules;
		lines = realloc(batch->lines, capacity * sizeof(*lines));
		if (!lines)
			return -ENOMEM;
		batch->lines = lines;
		batch->capacity = capacity;
	}
	batch->rules[batch->count] = *rule;
	batch->lines[batch->count++] = line;
	return 0;
}

/* One line of a rule file: "CIDR [options]", the command line's syntax. */
static int cas_allow_parse_line(char *text, const char *where,
				const struct cas_iface *iface,
				struct cas_rule *rule)
{
	struct cas_syntax syntax = cas_allow_line_syntax;
	char *argv[64], *save = NULL, *word, err_text[CAS_ERRBUF];
	struct cas_allow_args args;
	struct cas_port unprotected;
	struct cas_prefix prefix;
	int argc = 0, err;

	argv[argc++] = "add";
	for (word = strtok_r(text, " \t\r\n", &save); word;
	     word = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == (int)CAS_ARRAY_SIZE(argv) - 1) {
			cas_err("%s: too many words", where);
			return CAS_EXIT_USAGE;
		}
		argv[argc++] = word;
	}
	argv[argc] = NULL;
	syntax.words = where;
	err = cas_allow_parse(&syntax, argc, argv, &args);
	if (err)
		return err;
	if (cas_parse_prefix(args.cidr, &prefix, err_text)) {
		cas_err("%s: %s", where, err_text);
		return CAS_EXIT_USAGE;
	}
	memset(rule, 0, sizeof(*rule));
	cas_rule_set_prefix(rule, &prefix);
	if (cas_allow_rule_limits(&args, rule))
		return CAS_EXIT_USAGE;
	if (args.name)
		snprintf(rule->name, sizeof(rule->name), "%s", args.name);
	err = cas_ports_mask(&iface->maps, &args.ports, &rule->port_mask,
			     &unprotected);
	if (err == -ENOENT) {
		cas_err("%s: port %u/%s is not protected on %s", where,
			unprotected.port, cas_proto_name(unprotected.proto),
			iface->name);
		return CAS_EXIT_FAIL;
	}
	if (err) {
		cas_err("%s: %s", where, strerror(-err));
		return CAS_EXIT_FAIL;
	}
	return CAS_EXIT_OK;
}

static bool cas_buckets_given(const struct cas_allow_args *args)
{
	int kind;

	for (kind = 0; kind < CAS_BUCKET_COUNT; kind++)
		if (args->buckets[kind].rate.given ||
		    args->buckets[kind].burst.given)
			return true;
	return false;
}

/* A file's rules, each line parsed and its ports checked; an exit code. */
static int cas_allow_read_file(FILE *in, const char *name,
			       const struct cas_iface *iface,
			       struct cas_rule_batch *batch)
{
	unsigned int line_no = 0;
	char *line = NULL, where[300];
	size_t line_cap = 0;
	int err = CAS_EXIT_OK;

	while (!err && getline(&line, &line_cap, in) > 0) {
		char *hash = strchr(line, '#');
		struct cas_rule rule;

		line_no++;
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		snprintf(where, sizeof(where), "allow add: %.200s:%u", name,
			 line_no);
		err = cas_allow_parse_line(line, where, iface, &rule);
		if (!err && cas_batch_push(batch, &rule, line_no)) {
			cas_err("allow add: out of memory at line %u", line_no);
			err = CAS_EXIT_FAIL;
		}
	}
	free(line);
	return err;
}

/* The batch added at once, or none of it; an exit code. */
static int cas_allow_add_batch(const struct cas_iface *iface,
			       const struct cas_rule_batch *batch,
			       const char *path, const char *name)
{
	char cidr[64], errbuf[CAS_ERRBUF];
	struct cas_prefix prefix;
	size_t failed;
	int err;

	err = cas_rules_add_bulk(&iface->maps, batch->rules, batch->count,
				 &failed, errbuf);
	if (err == -EEXIST && failed < batch->count) {
		cas_rule_prefix(&batch->rules[failed], &prefix);
		cas_format_prefix(&prefix, cidr, sizeof(cidr));
		cas_err("allow add: %s:%u: %s already has a rule (nothing was added)",
			name, batch->lines[failed], cidr);
	} else if (err == -ENOSPC) {
		cas_err("allow add: %zu rules do not fit in the rule table of %s (see load --max-rules; nothing was added)",
			batch->count, iface->name);
	} else if (err) {
		cas_err("allow add: cannot add the rules of %s: %s (nothing was added)",
			path, errbuf);
	}
	return err ? CAS_EXIT_FAIL : CAS_EXIT_OK;
}

/*
 * allow add --file FILE: every line parsed and checked first, then all
 * rules added at once (cas_rules_add_bulk), or none. The protected ports
 * are read first, so a line's ports are checked as it is read.
 */
static int cas_allow_add_file(const struct cas_allow_args *args)
{
	struct cas_rule_batch batch = {};
	const char *path = args->file;
	const char *name = strcmp(path, "-") ? path : "stdin";
	struct cas_iface iface;
	FILE *in;
	int err;

	if (args->name || args->ports.count || args->mac.given ||
	    args->ttl.given || args->replace || cas_buckets_given(args)) {
		cas_err("allow add: --file takes the rules from the file; give only -i with it");
		return CAS_EXIT_USAGE;
	}
	err = cas_verb_iface(args->ifname, true, &iface);
	if (err)
		return err;
	in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!in) {
		cas_err("allow add: cannot open %s: %s", path, strerror(errno));
		cas_iface_close(&iface);
		return CAS_EXIT_FAIL;
	}
	err = cas_allow_read_file(in, name, &iface, &batch);
	if (!err)
		err = cas_allow_add_batch(&iface, &batch, path, name);
	if (in != stdin)
		fclose(in);
	free(batch.rules);
	free(batch.lines);
	cas_iface_close(&iface);
	return err;
}

/* rule, its prefix and limits set, completed and added on iface. */
static int cas_allow_add_rule(const struct cas_allow_args *args,
			      const struct cas_iface *iface,
			      struct cas_rule *rule, const char *cidr)
{
	struct cas_port unprotected;
	__u32 id;
	int err;

	if (args->name)
		snprintf(rule->name, sizeof(rule->name), "%s", args->name);
	err = cas_ports_mask(&iface->maps, &args->ports, &rule->port_mask,
			     &unprotected);
	if (err == -ENOENT) {
		cas_err("allow add: port %u/%s is not protected on %s (see 'casshield status')",
			unprotected.port, cas_proto_name(unprotected.proto),
			iface->name);
		return CAS_EXIT_FAIL;
	}
	if (!err)
		err = args->replace ?
			      cas_rule_replace(&iface->maps, rule, &id) :
			      cas_rule_add(&iface->maps, rule, &id);
	if (err == -EEXIST)
		cas_err("allow add: %s already has a rule on %s (use --replace to change it)",
			cidr, iface->name);
	else if (err == -ENOENT && args->replace)
		cas_err("allow add: --replace: no rule for %s on %s", cidr,
			iface->name);
	else if (err == -ENOSPC)
		cas_err("allow add: the rule table of %s is full", iface->name);
	else if (err)
		cas_err("allow add: cannot add %s on %s: %s", cidr, iface->name,
			strerror(-err));
	return err ? CAS_EXIT_FAIL : CAS_EXIT_OK;
}

static int cas_allow_add(int argc, char **argv)
{
	char err_text[CAS_ERRBUF], cidr[64];
	struct cas_allow_args args;
	struct cas_prefix prefix;
	struct cas_rule rule = {};
	struct cas_iface iface;
	int err;

	err = cas_allow_parse(&cas_allow_add_syntax, argc, argv, &args);
	if (err)
		return err;
	if (args.file && args.cidr)
		return cas_opts_unexpected(&cas_allow_add_syntax, args.cidr);
	if (args.file)
		return cas_allow_add_file(&args);
	if (!args.cidr)
		return cas_opts_missing(&cas_allow_add_syntax);
	if (cas_parse_prefix(args.cidr, &prefix, err_text)) {
		cas_err("allow add: %s", err_text);
		return CAS_EXIT_USAGE;
	}
	cas_rule_set_prefix(&rule, &prefix);
	if (cas_allow_rule_limits(&args, &rule))
		return CAS_EXIT_USAGE;
	err = cas_verb_iface(args.ifname, true, &iface);
	if (err)
		return err;
	cas_format_prefix(&prefix, cidr, sizeof(cidr));
	err = cas_allow_add_rule(&args, &iface, &rule, cidr);
	cas_iface_close(&iface);
	return err;
}

static int cas_allow_del(int argc, char **argv)
{
	char err_text[CAS_ERRBUF], cidr[64];
	struct cas_allow_args args;
	struct cas_prefix prefix;
	struct cas_iface iface;
	int err;

	err = cas_allow_parse(&cas_allow_del_syntax, argc, argv, &args);
	if (err)
		return err;
	if (cas_parse_prefix(args.cidr, &prefix, err_text)) {
		cas_err("allow del: %s", err_text);
		return CAS_EXIT_USAGE;
	}
	err = cas_verb_iface(args.ifname, true, &iface);
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

static void cas_mac_text(const __u8 *mac, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

static void cas_ttl_text(const struct cas_rule *rule, char *buf, size_t len)
{
	if (rule->ttl_min == rule->ttl_max)
		snprintf(buf, len, "%u", rule->ttl_min);
	else
		snprintf(buf, len, "%u-%u", rule->ttl_min, rule->ttl_max);
}

/* Limits (0 = unlimited) and binding (null = none) of a rule, as members. */
static void cas_rule_extras_json(struct json_object *obj,
				 const struct cas_rule *rule)
{
	char text[32];

	cas_json_set_u64(obj, "syn_rate", rule->syn_rate);
	cas_json_set_u64(obj, "syn_burst", rule->syn_burst);
	cas_json_set_u64(obj, "source_syn_rate", rule->source_syn_rate);
	cas_json_set_u64(obj, "source_syn_burst", rule->source_syn_burst);
	cas_json_set_u64(obj, "hello_rate", rule->hello_rate);
	cas_json_set_u64(obj, "hello_burst", rule->hello_burst);
	cas_mac_text(rule->mac, text, sizeof(text));
	cas_json_set_string(obj, "mac",
			    rule->flags & CAS_RULE_MATCH_MAC ? text : NULL);
	cas_ttl_text(rule, text, sizeof(text));
	cas_json_set_string(obj, "ttl",
			    rule->flags & CAS_RULE_MATCH_TTL ? text : NULL);
}

/* A second, indented line for rules that have limits or a binding. */
static void cas_rule_extras_text(FILE *out, const struct cas_rule *rule)
{
	const struct {
		const char *name;
		__u32 rate, burst;
	} buckets[] = {
		{ "syn", rule->syn_rate, rule->syn_burst },
		{ "source-syn", rule->source_syn_rate, rule->source_syn_burst },
		{ "hello", rule->hello_rate, rule->hello_burst },
	};
	char text[32];
	bool any = false;
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(buckets); i++) {
		if (!buckets[i].rate)
			continue;
		fprintf(out, "%s%s %u/s burst %u", any ? ", " : "       ",
			buckets[i].name, buckets[i].rate, buckets[i].burst);
		any = true;
	}
	if (rule->flags & CAS_RULE_MATCH_MAC) {
		cas_mac_text(rule->mac, text, sizeof(text));
		fprintf(out, "%smac %s", any ? ", " : "       ", text);
		any = true;
	}
	if (rule->flags & CAS_RULE_MATCH_TTL) {
		cas_ttl_text(rule, text, sizeof(text));
		fprintf(out, "%sttl %s", any ? ", " : "       ", text);
		any = true;
	}
	if (any)
		fputc('\n', out);
}

/* A rule's members, set in obj (the same object for every rule). */
static void cas_rule_json(struct json_object *obj,
			  const struct cas_rule_entry *entry,
			  const struct cas_port_list *ports)
{
	const struct cas_rule *rule = &entry->rule;
	char cidr[64], name[sizeof(rule->name) + 1];
	struct cas_port_list subset;
	struct cas_prefix prefix;

	cas_rule_prefix(rule, &prefix);
	cas_format_prefix(&prefix, cidr, sizeof(cidr));
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(rule->name),
		 rule->name);
	cas_json_set_u64(obj, "id", entry->id);
	cas_json_set_string(obj, "cidr", cidr);
	cas_json_set_string(obj, "family",
			    prefix.family == AF_INET ? "ipv4" : "ipv6");
	cas_json_set_string(obj, "name", name);
	if (rule->port_mask == CAS_ALL_PORTS) {
		cas_json_set_string(obj, "ports", "all");
	} else {
		cas_port_list_from_mask(ports, rule->port_mask, &subset);
		json_object_object_add(obj, "ports", cas_json_ports(&subset));
	}
	cas_json_set_u64(obj, "hits", entry->hits.packets);
	cas_json_set_u64(obj, "bytes", entry->hits.bytes);
	cas_rule_extras_json(obj, rule);
}

/* {"interface": ..., "rules": [...]}, one rule at a time. */
static int cas_rules_json(FILE *out, const char *ifname,
			  const struct cas_rule_entry *entries, size_t count,
			  const struct cas_port_list *ports)
{
	struct json_object *head = json_object_new_object();
	struct json_object *rule = json_object_new_object();
	struct cas_json_stream stream;
	size_t i;

	if (!head || !rule) {
		json_object_put(head);
		json_object_put(rule);
		cas_err("allow list: out of memory");
		return CAS_EXIT_FAIL;
	}
	cas_json_set_string(head, "interface", ifname);
	cas_json_stream_begin(&stream, out, head, "rules");
	for (i = 0; i < count; i++) {
		cas_rule_json(rule, &entries[i], ports);
		cas_json_stream_item(&stream, rule);
	}
	cas_json_stream_end(&stream);
	json_object_put(rule);
	return CAS_EXIT_OK;
}

static void cas_rules_text(FILE *out, const struct cas_rule_entry *entries,
			   size_t count, const struct cas_port_list *ports)
{
	size_t i;

	fprintf(out, "%-6s %-43s %-20s %-16s %12s %14s\n", "ID", "CIDR", "NAME",
		"PORTS", "HITS", "BYTES");
	for (i = 0; i < count; i++) {
		const struct cas_rule_entry *entry = &entries[i];
		char cidr[64], port_text[CAS_PORTS_TEXT];
		struct cas_port_list subset;
		struct cas_prefix prefix;

		cas_rule_prefix(&entry->rule, &prefix);
		cas_format_prefix(&prefix, cidr, sizeof(cidr));
		cas_port_list_from_mask(ports, entry->rule.port_mask, &subset);
		if (entry->rule.port_mask == CAS_ALL_PORTS)
			snprintf(port_text, sizeof(port_text), "all");
		else
			cas_port_list_format(&subset, ",", port_text,
					     sizeof(port_text));
		fprintf(out, "%-6u %-43s %-20s %-16s %12llu %14llu\n",
			entry->id, cidr,
			entry->rule.name[0] ? entry->rule.name : "-", port_text,
			(unsigned long long)entry->hits.packets,
			(unsigned long long)entry->hits.bytes);
		cas_rule_extras_text(out, &entry->rule);
	}
}

static int cas_allow_list(int argc, char **argv)
{
	struct cas_rule_entry *entries = NULL;
	struct cas_port_list ports;
	struct cas_allow_args args;
	struct cas_iface iface;
	size_t count;
	int err;

	err = cas_allow_parse(&cas_allow_list_syntax, argc, argv, &args);
	if (err)
		return err;
	err = cas_verb_iface(args.ifname, false, &iface);
	if (err)
		return err;
	err = cas_ports_get_active(&iface.maps, &ports);
	if (!err)
		err = cas_rules_list(&iface.maps, &entries, &count);
	if (err) {
		cas_err("allow list: cannot read the rules of %s: %s",
			iface.name, strerror(-err));
	} else {
		if (args.json)
			err = cas_rules_json(stdout, iface.name, entries, count,
					     &ports);
		else
			cas_rules_text(stdout, entries, count, &ports);
	}
	free(entries);
	cas_iface_close(&iface);
	return err ? CAS_EXIT_FAIL : CAS_EXIT_OK;
}

static int cas_cmd_allow(int argc, char **argv)
{
	static const struct cas_subverb subverbs[] = {
		{ "add", cas_allow_add },    { "del", cas_allow_del },
		{ "delete", cas_allow_del }, { "list", cas_allow_list },
		{ "ls", cas_allow_list },    { NULL, NULL },
	};

	return cas_run_subverb(argc, argv, "allow", "add, del or list",
			       subverbs);
}

static const struct cas_syntax *const cas_allow_forms[] = {
	&cas_allow_add_syntax, &cas_allow_file_syntax, &cas_allow_del_syntax,
	&cas_allow_list_syntax, NULL
};

const struct cas_verb cas_verb_allow = {
	"allow", cas_cmd_allow, cas_allow_forms,
	"manage the sources allowed to reach protected ports"
};
