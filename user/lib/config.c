// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - loading casshield.yaml. libyaml builds the node tree (with
 * line numbers); this file walks it against the schema below and converts
 * every scalar with the same parsers the command line uses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"
#include "config_source.h"
#include "rules.h"

struct cas_walk {
	yaml_document_t *doc;
	const char *path;
	char *err;
};

static int cas_fail(struct cas_walk *walk, const yaml_node_t *node,
		    const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int cas_fail(struct cas_walk *walk, const yaml_node_t *node,
		    const char *key, const char *fmt, ...)
{
	char message[CAS_CONFIG_ERRBUF / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	snprintf(walk->err, CAS_CONFIG_ERRBUF, "%.128s:%lu: %.96s: %s",
		 walk->path,
		 node ? (unsigned long)node->start_mark.line + 1 : 1UL, key,
		 message);
	return -EINVAL;
}

static const char *cas_node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return "a value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int cas_expect(struct cas_walk *walk, const yaml_node_t *node,
		      yaml_node_type_t type, const char *key)
{
	static const char *const names[] = {
		[YAML_SCALAR_NODE] = "a value",
		[YAML_SEQUENCE_NODE] = "a list",
		[YAML_MAPPING_NODE] = "a mapping",
	};

	if (node->type == type)
		return 0;
	return cas_fail(walk, node, key, "expected %s, found %s", names[type],
			cas_node_kind(node));
}

static const char *cas_scalar(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* Check that every key of a mapping is one of allowed (NULL-terminated). */
static int cas_known_keys(struct cas_walk *walk, const yaml_node_t *map,
			  const char *where, const char *const *allowed)
{
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(walk->doc, pair->key);
		const char *const *name;
		char list[256] = "";

		if (key->type != YAML_SCALAR_NODE)
			return cas_fail(walk, key, where,
					"keys must be plain names");
		for (name = allowed; *name; name++)
			if (!strcmp(*name, cas_scalar(key)))
				break;
		if (*name) {
			yaml_node_pair_t *other;

			for (other = map->data.mapping.pairs.start;
			     other < pair; other++) {
				yaml_node_t *seen = yaml_document_get_node(
					walk->doc, other->key);

				if (!strcmp(cas_scalar(seen), cas_scalar(key)))
					return cas_fail(
						walk, key, where,
						"key '%s' appears twice",
						cas_scalar(key));
			}
			continue;
		}
		for (name = allowed; *name; name++) {
			strncat(list, *name, sizeof(list) - strlen(list) - 3);
			if (name[1])
				strncat(list, ", ",
					sizeof(list) - strlen(list) - 1);
		}
		return cas_fail(walk, key, where,
				"unknown key '%s' (expected one of: %s)",
				cas_scalar(key), list);
	}
	return 0;
}

static yaml_node_t *cas_get(struct cas_walk *walk, const yaml_node_t *map,
			    const char *name)
{
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(walk->doc, pair->key);

		if (key->type == YAML_SCALAR_NODE &&
		    !strcmp(cas_scalar(key), name))
			return yaml_document_get_node(walk->doc, pair->value);
	}
	return NULL;
}

/* A scalar value at map[name], or NULL (absent); errors for non-scalars. */
static int cas_get_scalar(struct cas_walk *walk, const yaml_node_t *map,
			  const char *name, const char *where,
			  const yaml_node_t **node, const char **value)
{
	char key[128];

	*node = cas_get(walk, map, name);
	*value = NULL;
	if (!*node)
		return 0;
	snprintf(key, sizeof(key), "%s%s", where, name);
	if (cas_expect(walk, *node, YAML_SCALAR_NODE, key))
		return -EINVAL;
	*value = cas_scalar(*node);
	return 0;
}

static int cas_get_bool(struct cas_walk *walk, const yaml_node_t *map,
			const char *name, const char *where, bool *out)
{
	const yaml_node_t *node;
	const char *value;
	char key[128];

	if (cas_get_scalar(walk, map, name, where, &node, &value))
		return -EINVAL;
	if (!value)
		return 0;
	if (!strcmp(value, "true") || !strcmp(value, "yes") ||
	    !strcmp(value, "on"))
		*out = true;
	else if (!strcmp(value, "false") || !strcmp(value, "no") ||
		 !strcmp(value, "off"))
		*out = false;
	else {
		snprintf(key, sizeof(key), "%s%s", where, name);
		return cas_fail(walk, node, key,
				"invalid value '%s' (expected true or false)",
				value);
	}
	return 0;
}

/* A rate or burst: the CLI's syntax ("20000", "20k", "500/s"). */
static int cas_get_rate(struct cas_walk *walk, const yaml_node_t *map,
			const char *name, const char *where, __u32 *out,
			bool *set)
{
	char key[128], err[CAS_ERRBUF];
	const yaml_node_t *node;
	const char *value;

	if (cas_get_scalar(walk, map, name, where, &node, &value))
		return -EINVAL;
	if (set)
		*set = value != NULL;
	if (!value)
		return 0;
	snprintf(key, sizeof(key), "%s%s", where, name);
	if (cas_parse_rate(value, out, err))
		return cas_fail(walk, node, key, "%s", err);
	return 0;
}

/* rate + burst pair with the CLI's defaults and checks. */
static int cas_get_bucket(struct cas_walk *walk, const yaml_node_t *map,
			  const char *rate_key, const char *burst_key,
			  const char *where, __u32 *rate, __u32 *burst)
{
	char key[128], err[CAS_ERRBUF];
	bool burst_set;

	if (cas_get_rate(walk, map, rate_key, where, rate, NULL) ||
	    cas_get_rate(walk, map, burst_key, where, burst, &burst_set))
		return -EINVAL;
	if (cas_check_bucket(rate_key, *rate, burst_set, burst, err)) {
		snprintf(key, sizeof(key), "%s%s", where, burst_key);
		return cas_fail(
			walk,
			cas_get(walk, map, burst_set ? burst_key : rate_key),
			key, "%s", err);
	}
	return 0;
}

/* ports: [443/tcp, 80] -> the CLI's port list syntax, item by item. */
static int cas_get_ports(struct cas_walk *walk, const yaml_node_t *map,
			 const char *where, struct cas_port_list *ports)
{
	yaml_node_t *seq = cas_get(walk, map, "ports");
	char key[128], joined[1024] = "", err[CAS_ERRBUF];
	yaml_node_item_t *item;

	snprintf(key, sizeof(key), "%sports", where);
	if (!seq)
		return 1; /* absent: the caller's default */
	if (cas_expect(walk, seq, YAML_SEQUENCE_NODE, key))
		return -EINVAL;
	for (item = seq->data.sequence.items.start;
	     item < seq->data.sequence.items.top; item++) {
		yaml_node_t *node = yaml_document_get_node(walk->doc, *item);

		if (cas_expect(walk, node, YAML_SCALAR_NODE, key))
			return -EINVAL;
		if (strchr(cas_scalar(node), ','))
			return cas_fail(walk, node, key,
					"invalid port '%s' (one port per item)",
					cas_scalar(node));
		if (*joined)
			strncat(joined, ",",
				sizeof(joined) - strlen(joined) - 1);
		strncat(joined, cas_scalar(node),
			sizeof(joined) - strlen(joined) - 1);
	}
	if (!*joined)
		return cas_fail(
			walk, seq, key,
			"empty port list (leave the key out for the default)");
	if (cas_parse_port_list(joined, ports, err))
		return cas_fail(walk, seq, key, "%s", err);
	return 0;
}

/* cidr: required, the rule's prefix. */
static int cas_load_rule_prefix(struct cas_walk *walk, const yaml_node_t *map,
				const char *where, struct cas_rule *rule)
{
	char key[128], err[CAS_ERRBUF];
	const yaml_node_t *node;
	struct cas_prefix prefix;
	const char *value;

	if (cas_get_scalar(walk, map, "cidr", where, &node, &value))
		return -EINVAL;
	snprintf(key, sizeof(key), "%scidr", where);
	if (!value)
		return cas_fail(walk, map, key,
				"missing (every rule needs a cidr)");
	if (cas_parse_prefix(value, &prefix, err))
		return cas_fail(walk, node, key, "%s", err);
	cas_rule_set_prefix(rule, &prefix);
	return 0;
}

/* name: a label for listings and metrics. */
static int cas_load_rule_name(struct cas_walk *walk, const yaml_node_t *map,
			      const char *where, struct cas_rule *rule)
{
	const yaml_node_t *node;
	const char *value;
	char key[128];

	if (cas_get_scalar(walk, map, "name", where, &node, &value))
		return -EINVAL;
	if (!value)
		return 0;
	snprintf(key, sizeof(key), "%sname", where);
	if (!cas_valid_rule_name(value))
		return cas_fail(
			walk, node, key,
			"invalid name '%s' (expected 1-%d characters of A-Z a-z 0-9 . _ -)",
			value, CAS_RULE_NAME_LEN - 1);
	snprintf(rule->name, sizeof(rule->name), "%s", value);
	return 0;
}

/* ports: a subset of the interface's (absent: all of them). */
static int cas_load_rule_ports(struct cas_walk *walk, const yaml_node_t *map,
			       const char *where,
			       const struct cas_config_iface *iface,
			       struct cas_port_list *ports)
{
	char key[128];
	unsigned int i;
	int ret;

	ret = cas_get_ports(walk, map, where, ports);
	if (ret < 0)
		return ret;
	for (i = 0; i < ports->count; i++) {
		if (cas_port_list_find(&iface->ports, &ports->ports[i]) >= 0)
			continue;
		snprintf(key, sizeof(key), "%sports", where);
		return cas_fail(walk, cas_get(walk, map, "ports"), key,
				"port %u/%s is not in the interface's ports",
				ports->ports[i].port,
				cas_proto_name(ports->ports[i].proto));
	}
	return 0;
}

/* mac and ttl: the identity binding. */
static int cas_load_rule_binding(struct cas_walk *walk, const yaml_node_t *map,
				 const char *where, struct cas_rule *rule)
{
	char key[128], err[CAS_ERRBUF];
	const yaml_node_t *node;
	const char *value;

	if (cas_get_scalar(walk, map, "mac", where, &node, &value))
		return -EINVAL;
	if (value) {
		snprintf(key, sizeof(key), "%smac", where);
		if (cas_parse_mac(value, rule->mac, err))
			return cas_fail(walk, node, key, "%s", err);
		rule->flags |= CAS_RULE_MATCH_MAC;
	}
	if (cas_get_scalar(walk, map, "ttl", where, &node, &value))
		return -EINVAL;
	if (value) {
		snprintf(key, sizeof(key), "%sttl", where);
		if (cas_parse_ttl(value, &rule->ttl_min, &rule->ttl_max, err))
			return cas_fail(walk, node, key, "%s", err);
		rule->flags |= CAS_RULE_MATCH_TTL;
	}
	return 0;
}

static int cas_load_rule(struct cas_walk *walk, const yaml_node_t *map,
			 const char *where,
			 const struct cas_config_iface *iface,
			 struct cas_config_rule *out)
{
	static const char *const keys[] = {
		"name",
		"cidr",
		"ports",
		"syn_rate",
		"syn_burst",
		"source_syn_rate",
		"source_syn_burst",
		"hello_rate",
		"hello_burst",
		"mac",
		"ttl",
		NULL,
	};
	struct cas_rule *rule = &out->rule;

	memset(out, 0, sizeof(*out));
	out->line = map->start_mark.line + 1;
	if (cas_expect(walk, map, YAML_MAPPING_NODE, where) ||
	    cas_known_keys(walk, map, where, keys) ||
	    cas_load_rule_prefix(walk, map, where, rule) ||
	    cas_load_rule_name(walk, map, where, rule) ||
	    cas_load_rule_ports(walk, map, where, iface, &out->ports) ||
	    cas_get_bucket(walk, map, "syn_rate", "syn_burst", where,
			   &rule->syn_rate, &rule->syn_burst) ||
	    cas_get_bucket(walk, map, "source_syn_rate", "source_syn_burst",
			   where, &rule->source_syn_rate,
			   &rule->source_syn_burst) ||
	    cas_get_bucket(walk, map, "hello_rate", "hello_burst", where,
			   &rule->hello_rate, &rule->hello_burst) ||
	    cas_load_rule_binding(walk, map, where, rule))
		return -EINVAL;
	return 0;
}

static int cas_load_limits(struct cas_walk *walk, const yaml_node_t *iface_map,
			   const char *where, struct cas_config_limits *limits)
{
	static const char *const keys[] = { "syn_rate",	   "syn_burst",
					    "hello_rate",  "hello_burst",
					    "synack_rate", "synack_burst",
					    "min_tls",	   NULL };
	yaml_node_t *map = cas_get(walk, iface_map, "limits");
	char inner[96], key[128], err[CAS_ERRBUF];
	const yaml_node_t *node;
	const char *value;

	memset(limits, 0, sizeof(*limits));
	limits->synack_rate = CAS_SYNACK_RATE_DEFAULT;
	limits->synack_burst = CAS_SYNACK_RATE_DEFAULT;
	if (!map)
		return 0;
	snprintf(inner, sizeof(inner), "%slimits", where);
	if (cas_expect(walk, map, YAML_MAPPING_NODE, inner) ||
	    cas_known_keys(walk, map, inner, keys))
		return -EINVAL;
	snprintf(inner, sizeof(inner), "%slimits.", where);
	if (cas_get_bucket(walk, map, "syn_rate", "syn_burst", inner,
			   &limits->syn_rate, &limits->syn_burst) ||
	    cas_get_bucket(walk, map, "hello_rate", "hello_burst", inner,
			   &limits->hello_rate, &limits->hello_burst) ||
	    cas_get_bucket(walk, map, "synack_rate", "synack_burst", inner,
			   &limits->synack_rate, &limits->synack_burst))
		return -EINVAL;
	if (cas_get_scalar(walk, map, "min_tls", inner, &node, &value))
		return -EINVAL;
	snprintf(key, sizeof(key), "%smin_tls", inner);
	if (value && cas_parse_tls_version(value, &limits->min_tls, err))
		return cas_fail(walk, node, key, "%s", err);
	return 0;
}

/* name: required, the CLI's own check (it becomes a path under bpffs). */
static int cas_load_iface_name(struct cas_walk *walk, const yaml_node_t *map,
			       const char *where,
			       struct cas_config_iface *iface)
{
	const yaml_node_t *node;
	const char *value;
	char key[128];

	if (cas_get_scalar(walk, map, "name", where, &node, &value))
		return -EINVAL;
	snprintf(key, sizeof(key), "%sname", where);
	if (!value)
		return cas_fail(walk, map, key,
				"missing (the interface's name, e.g. eth0)");
	if (!cas_valid_ifname(value))
		return cas_fail(walk, node, key, "invalid interface name '%s'",
				value);
	snprintf(iface->name, sizeof(iface->name), "%s", value);
	return 0;
}

/* mode: native (the default) or skb. */
static int cas_load_iface_mode(struct cas_walk *walk, const yaml_node_t *map,
			       const char *where,
			       struct cas_config_iface *iface)
{
	const yaml_node_t *node;
	const char *value;
	char key[128];

	if (cas_get_scalar(walk, map, "mode", where, &node, &value))
		return -EINVAL;
	if (value && !strcmp(value, "skb"))
		iface->mode = CAS_MODE_SKB;
	else if (value && strcmp(value, "native")) {
		snprintf(key, sizeof(key), "%smode", where);
		return cas_fail(walk, node, key,
				"invalid mode '%s' (expected native or skb)",
				value);
	}
	return 0;
}

/* allow: the rules, each against the interface's ports, no prefix twice. */
static int cas_load_allow(struct cas_walk *walk, const yaml_node_t *map,
			  const char *where, struct cas_config_iface *iface)
{
	yaml_node_t *allow = cas_get(walk, map, "allow");
	yaml_node_item_t *item;
	size_t i, j = 0;
	char key[128];

	if (!allow)
		return 0;
	snprintf(key, sizeof(key), "%sallow", where);
	if (cas_expect(walk, allow, YAML_SEQUENCE_NODE, key))
		return -EINVAL;
	iface->rule_count = allow->data.sequence.items.top -
			    allow->data.sequence.items.start;
	iface->rules = calloc(iface->rule_count ? iface->rule_count : 1,
			      sizeof(*iface->rules));
	if (!iface->rules)
		return cas_fail(walk, allow, key, "out of memory");
	for (item = allow->data.sequence.items.start, i = 0;
	     item < allow->data.sequence.items.top; item++, i++) {
		yaml_node_t *rule = yaml_document_get_node(walk->doc, *item);
		char rule_where[96];

		snprintf(rule_where, sizeof(rule_where), "%sallow[%zu].", where,
			 i);
		if (cas_load_rule(walk, rule, rule_where, iface,
				  &iface->rules[i]))
			return -EINVAL;
	}
	/* A rule's body starts its record: the duplicate scan reads it there. */
	_Static_assert(offsetof(struct cas_config_rule, rule) == 0,
		       "cas_config_rule starts with its rule");
	if (cas_rules_first_duplicate(iface->rules, iface->rule_count,
				      sizeof(*iface->rules), &i, &j))
		return 0;
	snprintf(key, sizeof(key), "%sallow[%zu].cidr", where, i);
	return cas_fail(walk,
			yaml_document_get_node(
				walk->doc, allow->data.sequence.items.start[i]),
			key, "the same prefix as the rule on line %u",
			iface->rules[j].line);
}

static int cas_load_iface(struct cas_walk *walk, const yaml_node_t *map,
			  unsigned int index, struct cas_config_iface *iface)
{
	static const char *const keys[] = { "name",  "mode",	 "monitor",
					    "ports", "synproxy", "limits",
					    "allow", NULL };
	char where[64], err[CAS_ERRBUF];
	int ret;

	memset(iface, 0, sizeof(*iface));
	iface->line = map->start_mark.line + 1;
	snprintf(where, sizeof(where), "interfaces[%u]", index);
	if (cas_expect(walk, map, YAML_MAPPING_NODE, where) ||
	    cas_known_keys(walk, map, where, keys))
		return -EINVAL;
	snprintf(where, sizeof(where), "interfaces[%u].", index);
	if (cas_load_iface_name(walk, map, where, iface) ||
	    cas_load_iface_mode(walk, map, where, iface) ||
	    cas_get_bool(walk, map, "monitor", where, &iface->monitor) ||
	    cas_get_bool(walk, map, "synproxy", where, &iface->synproxy))
		return -EINVAL;
	ret = cas_get_ports(walk, map, where, &iface->ports);
	if (ret < 0)
		return ret;
	if (ret > 0)
		cas_parse_port_list("443/tcp", &iface->ports, err);
	if (cas_load_limits(walk, map, where, &iface->limits))
		return -EINVAL;
	return cas_load_allow(walk, map, where, iface);
}

/* metrics: where `run` serves them. */
static int cas_load_metrics(struct cas_walk *walk, const yaml_node_t *root,
			    struct cas_config *config)
{
	static const char *const metric_keys[] = { "listen", NULL };
	yaml_node_t *metrics = cas_get(walk, root, "metrics");
	char err[CAS_ERRBUF] = "too long";
	struct cas_listen_addr addr;
	const yaml_node_t *node;
	const char *value;

	if (!metrics)
		return 0;
	if (cas_expect(walk, metrics, YAML_MAPPING_NODE, "metrics") ||
	    cas_known_keys(walk, metrics, "metrics", metric_keys) ||
	    cas_get_scalar(walk, metrics, "listen", "metrics.", &node, &value))
		return -EINVAL;
	if (!value)
		return 0;
	if (strlen(value) >= sizeof(config->listen) ||
	    cas_metrics_parse_listen(value, &addr, err))
		return cas_fail(walk, node, "metrics.listen", "%s", err);
	snprintf(config->listen, sizeof(config->listen), "%s", value);
	return 0;
}

/* interfaces: required, each named once. */
static int cas_load_ifaces(struct cas_walk *walk, const yaml_node_t *root,
			   struct cas_config *config)
{
	yaml_node_t *ifaces = cas_get(walk, root, "interfaces");
	yaml_node_item_t *item;
	size_t i, j;

	if (!ifaces)
		return cas_fail(walk, root, "interfaces",
				"missing (a list of interfaces to shield)");
	if (cas_expect(walk, ifaces, YAML_SEQUENCE_NODE, "interfaces"))
		return -EINVAL;
	config->iface_count = ifaces->data.sequence.items.top -
			      ifaces->data.sequence.items.start;
	config->ifaces = calloc(config->iface_count ? config->iface_count : 1,
				sizeof(*config->ifaces));
	if (!config->ifaces)
		return cas_fail(walk, ifaces, "interfaces", "out of memory");
	for (item = ifaces->data.sequence.items.start, i = 0;
	     item < ifaces->data.sequence.items.top; item++, i++) {
		yaml_node_t *node = yaml_document_get_node(walk->doc, *item);

		if (cas_load_iface(walk, node, i, &config->ifaces[i]))
			return -EINVAL;
		for (j = 0; j < i; j++) {
			if (strcmp(config->ifaces[j].name,
				   config->ifaces[i].name))
				continue;
			return cas_fail(walk, node, "interfaces",
					"%s is listed twice (also on line %u)",
					config->ifaces[i].name,
					config->ifaces[j].line);
		}
	}
	return 0;
}

static int cas_load_root(struct cas_walk *walk, struct cas_config *config)
{
	static const char *const keys[] = { "interfaces", "metrics", NULL };
	yaml_node_t *root = yaml_document_get_root_node(walk->doc);

	if (!root)
		return cas_fail(walk, NULL, "(file)",
				"empty (expected a mapping with 'interfaces')");
	if (cas_expect(walk, root, YAML_MAPPING_NODE, "(top level)") ||
	    cas_known_keys(walk, root, "(top level)", keys) ||
	    cas_load_metrics(walk, root, config))
		return -EINVAL;
	return cas_load_ifaces(walk, root, config);
}

/*
 * text has passed cas_yaml_prescan (one document, bounded nesting): build
 * its tree and walk it. name is the path (or what stands for it) that
 * messages start with.
 */
static int cas_config_parse(const char *text, size_t len, const char *name,
			    struct cas_config *config, char *err)
{
	struct cas_walk walk = { .path = name, .err = err };
	yaml_parser_t parser;
	yaml_document_t doc;
	int ret;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, CAS_CONFIG_ERRBUF, "%s: out of memory", name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		cas_yaml_syntax_error(&parser, text, name, err);
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	walk.doc = &doc;
	ret = cas_load_root(&walk, config);
	yaml_document_delete(&doc);
	if (ret)
		cas_config_free(config);
	return ret;
}

static void cas_config_init(struct cas_config *config)
{
	memset(config, 0, sizeof(*config));
	snprintf(config->listen, sizeof(config->listen), "%s",
		 CAS_METRICS_DEFAULT_LISTEN);
}

int cas_config_load(const char *path, struct cas_config *config, char *err)
{
	size_t len;
	char *text;
	int ret;

	cas_config_init(config);
	ret = cas_config_read_file(path, &text, &len, err);
	if (ret)
		return ret;
	ret = cas_yaml_prescan(text, len, path, err);
	if (!ret)
		ret = cas_config_parse(text, len, path, config, err);
	free(text);
	return ret;
}

int cas_config_load_string(const char *text, const char *name,
			   struct cas_config *config, char *err)
{
	size_t len = strlen(text);
	int ret;

	cas_config_init(config);
	ret = cas_yaml_prescan(text, len, name, err);
	return ret ? ret : cas_config_parse(text, len, name, config, err);
}

void cas_config_free(struct cas_config *config)
{
	size_t i;

	for (i = 0; config->ifaces && i < config->iface_count; i++)
		free(config->ifaces[i].rules);
	free(config->ifaces);
	config->ifaces = NULL;
	config->iface_count = 0;
}

const struct cas_config_iface *cas_config_find(const struct cas_config *config,
					       const char *ifname)
{
	size_t i;

	for (i = 0; i < config->iface_count; i++)
		if (!strcmp(config->ifaces[i].name, ifname))
			return &config->ifaces[i];
	return NULL;
}

static void cas_print_ports(FILE *out, const struct cas_port_list *ports)
{
	unsigned int i;

	if (!ports->count) {
		fputs("all", out);
		return;
	}
	for (i = 0; i < ports->count; i++)
		fprintf(out, "%s%u/%s", i ? "," : "", ports->ports[i].port,
			cas_proto_name(ports->ports[i].proto));
}

void cas_config_print(FILE *out, const struct cas_config *config)
{
	size_t i, j;

	for (i = 0; i < config->iface_count; i++) {
		const struct cas_config_iface *iface = &config->ifaces[i];
		const struct cas_config_limits *l = &iface->limits;

		fprintf(out, "interface %s: %s mode%s%s, ports ", iface->name,
			iface->mode == CAS_MODE_SKB ? "skb" : "native",
			iface->monitor ? ", monitor only" : "",
			iface->synproxy ? ", SYN proxy" : "");
		cas_print_ports(out, &iface->ports);
		fprintf(out,
			"\n  limits: syn %u/s burst %u, hello %u/s burst %u, min TLS %s\n",
			l->syn_rate, l->syn_burst, l->hello_rate,
			l->hello_burst, cas_tls_version_name(l->min_tls));
		if (iface->synproxy)
			fprintf(out, "  SYN-ACKs: %u/s burst %u\n",
				l->synack_rate, l->synack_burst);
		for (j = 0; j < iface->rule_count; j++) {
			const struct cas_config_rule *r = &iface->rules[j];
			struct cas_prefix prefix = {
				.family = r->rule.family,
				.prefixlen = r->rule.prefixlen,
			};
			char cidr[64];

			memcpy(prefix.addr, r->rule.addr, sizeof(prefix.addr));
			cas_format_prefix(&prefix, cidr, sizeof(cidr));
			fprintf(out, "  allow %s%s%s ports ", cidr,
				r->rule.name[0] ? " name " : "", r->rule.name);
			cas_print_ports(out, &r->ports);
			if (r->rule.syn_rate)
				fprintf(out, " syn %u/%u", r->rule.syn_rate,
					r->rule.syn_burst);
			if (r->rule.source_syn_rate)
				fprintf(out, " source-syn %u/%u",
					r->rule.source_syn_rate,
					r->rule.source_syn_burst);
			if (r->rule.hello_rate)
				fprintf(out, " hello %u/%u", r->rule.hello_rate,
					r->rule.hello_burst);
			if (r->rule.flags & CAS_RULE_MATCH_MAC)
				fprintf(out,
					" mac %02x:%02x:%02x:%02x:%02x:%02x",
					r->rule.mac[0], r->rule.mac[1],
					r->rule.mac[2], r->rule.mac[3],
					r->rule.mac[4], r->rule.mac[5]);
			if (r->rule.flags & CAS_RULE_MATCH_TTL)
				fprintf(out, " ttl %u-%u", r->rule.ttl_min,
					r->rule.ttl_max);
			fputc('\n', out);
		}
	}
	fprintf(out, "metrics: listen %s\n", config->listen);
}

static void cas_write_ports(FILE *out, const struct cas_port_list *ports)
{
	unsigned int i;

	fputc('[', out);
	for (i = 0; i < ports->count; i++)
		fprintf(out, "%s%u/%s", i ? ", " : "", ports->ports[i].port,
			cas_proto_name(ports->ports[i].proto));
	fputc(']', out);
}

static void cas_write_bucket(FILE *out, const char *rate_key,
			     const char *burst_key, __u32 rate, __u32 burst)
{
	if (rate)
		fprintf(out, ", %s: %u, %s: %u", rate_key, rate, burst_key,
			burst);
}

/*
 * A double-quoted YAML scalar: an interface name may hold what YAML reads
 * otherwise bare ("#vpn" is a comment). Control bytes cannot occur
 * (cas_valid_ifname refuses them); quote and backslash are escaped.
 */
static void cas_write_quoted(FILE *out, const char *text)
{
	fputc('"', out);
	for (; *text; text++) {
		if (*text == '"' || *text == '\\')
			fputc('\\', out);
		fputc(*text, out);
	}
	fputc('"', out);
}

/* One rule as a flow mapping on its own line. */
static void cas_write_rule(FILE *out, const struct cas_config_rule *rule)
{
	const struct cas_rule *r = &rule->rule;
	struct cas_prefix prefix;
	char cidr[64];

	cas_rule_prefix(r, &prefix);
	cas_format_prefix(&prefix, cidr, sizeof(cidr));
	fprintf(out, "      - {cidr: \"%s\"", cidr);
	if (r->name[0])
		fprintf(out, ", name: \"%s\"", r->name);
	if (rule->ports.count) {
		fputs(", ports: ", out);
		cas_write_ports(out, &rule->ports);
	}
	cas_write_bucket(out, "syn_rate", "syn_burst", r->syn_rate,
			 r->syn_burst);
	cas_write_bucket(out, "source_syn_rate", "source_syn_burst",
			 r->source_syn_rate, r->source_syn_burst);
	cas_write_bucket(out, "hello_rate", "hello_burst", r->hello_rate,
			 r->hello_burst);
	if (r->flags & CAS_RULE_MATCH_MAC)
		fprintf(out, ", mac: \"%02x:%02x:%02x:%02x:%02x:%02x\"",
			r->mac[0], r->mac[1], r->mac[2], r->mac[3], r->mac[4],
			r->mac[5]);
	if (r->flags & CAS_RULE_MATCH_TTL)
		fprintf(out, ", ttl: \"%u-%u\"", r->ttl_min, r->ttl_max);
	fputs("}\n", out);
}

static void cas_write_iface(FILE *out, const struct cas_config_iface *iface)
{
	const struct cas_config_limits *l = &iface->limits;
	size_t j;

	fputs("  - name: ", out);
	cas_write_quoted(out, iface->name);
	fprintf(out,
		"\n    mode: %s\n    monitor: %s\n    synproxy: %s\n    ports: ",
		iface->mode == CAS_MODE_SKB ? "skb" : "native",
		iface->monitor ? "true" : "false",
		iface->synproxy ? "true" : "false");
	cas_write_ports(out, &iface->ports);
	fprintf(out, "\n    limits: {min_tls: \"%s\"",
		cas_tls_version_name(l->min_tls));
	cas_write_bucket(out, "syn_rate", "syn_burst", l->syn_rate,
			 l->syn_burst);
	cas_write_bucket(out, "hello_rate", "hello_burst", l->hello_rate,
			 l->hello_burst);
	/* Always written: 0 (no cap) and the default differ. */
	fprintf(out, ", synack_rate: %u, synack_burst: %u", l->synack_rate,
		l->synack_burst);
	/* "allow:" alone would read back as null, not a list. */
	fputs(iface->rule_count ? "}\n    allow:\n" : "}\n    allow: []\n",
	      out);
	for (j = 0; j < iface->rule_count; j++)
		cas_write_rule(out, &iface->rules[j]);
}

void cas_config_write(FILE *out, const struct cas_config *config)
{
	size_t i;

	/* "interfaces:" alone would read back as null, not a list. */
	fputs(config->iface_count ? "# written by casshield\ninterfaces:\n" :
				    "# written by casshield\ninterfaces: []\n",
	      out);
	for (i = 0; i < config->iface_count; i++)
		cas_write_iface(out, &config->ifaces[i]);
	fprintf(out, "metrics:\n  listen: \"%s\"\n", config->listen);
}
