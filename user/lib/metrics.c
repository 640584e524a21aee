// SPDX-License-Identifier: GPL-2.0
/* metrics.c - the exporter's snapshot of the pins and its exposition text. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "common.h"
#include "metrics.h"
#include "rules.h"

void cas_text_label_value(struct cas_text *text, const char *value)
{
	/* Worst case every character doubles, plus the quotes. */
	if (!cas_text_reserve(text, 2 * strlen(value) + 2))
		return;
	text->data[text->len++] = '"';
	for (; *value; value++) {
		if (*value == '\\' || *value == '"') {
			text->data[text->len++] = '\\';
			text->data[text->len++] = *value;
		} else if (*value == '\n') {
			text->data[text->len++] = '\\';
			text->data[text->len++] = 'n';
		} else {
			text->data[text->len++] = *value;
		}
	}
	text->data[text->len++] = '"';
	text->data[text->len] = '\0';
}

/* A name that resolves differently tomorrow is no place to expose counters. */
int cas_metrics_parse_listen(const char *text, struct cas_listen_addr *out,
			     char *err)
{
	char host[INET6_ADDRSTRLEN + 2], port_err[CAS_ERRBUF];
	const char *colon, *host_start = text;
	size_t host_len;
	bool v6 = false;
	__u32 port;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			goto bad;
		host_start = text + 1;
		host_len = close - host_start;
		colon = close + 1;
		v6 = true;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			goto bad;
		host_len = colon - text;
	}
	if (!host_len || host_len >= sizeof(host))
		goto bad;
	memcpy(host, host_start, host_len);
	host[host_len] = '\0';
	if (cas_parse_u32(colon + 1, 1, 65535, &port, port_err)) {
		snprintf(err, CAS_ERRBUF, "invalid port in '%.64s': %.160s",
			 text, port_err);
		return -EINVAL;
	}
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->addr;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		out->len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->addr;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto bad;
		out->len = sizeof(*sin);
	}
	return 0;
bad:
	snprintf(
		err, CAS_ERRBUF,
		"invalid address '%.64s' (expected IPV4:PORT or [IPV6]:PORT, e.g. %s)",
		text, CAS_METRICS_DEFAULT_LISTEN);
	return -EINVAL;
}

static int cas_label_cmp(const void *a, const void *b)
{
	const struct cas_metric_rule *x = a, *y = b;

	return strcmp(x->label, y->label);
}

void cas_metrics_merge_rules(struct cas_metric_rule *rules, size_t *count)
{
	size_t i, used = 0;

	if (!*count)
		return;
	qsort(rules, *count, sizeof(*rules), cas_label_cmp);
	for (i = 1; i < *count; i++) {
		if (!strcmp(rules[used].label, rules[i].label)) {
			rules[used].hits.packets += rules[i].hits.packets;
			rules[used].hits.bytes += rules[i].hits.bytes;
		} else {
			rules[++used] = rules[i];
		}
	}
	*count = used + 1;
}

/*
 * Reading the rules of a scrape. A lookup per id of the 65536-entry rule
 * table costs a syscall each, and even a batched scan of it takes tens of
 * milliseconds: instead the prefix maps, which hold exactly the rules in use,
 * give the ids, and only those ids are read from the rule and counter
 * arrays.
 */

/* Labels, families and summed per-CPU hits of the refs' rules. */
static int cas_read_rule_bodies(const struct cas_maps *maps,
				const struct cas_rule_ref *refs, size_t n,
				struct cas_metric_iface *iface)
{
	int cpus = libbpf_num_possible_cpus();
	struct cas_counter *hits = NULL;
	struct cas_rule *bodies = NULL;
	__u32 *ids = NULL;
	size_t i;
	int err;

	if (cpus < 0)
		return cpus;
	ids = malloc((n ? n : 1) * sizeof(*ids));
	bodies = malloc((n ? n : 1) * sizeof(*bodies));
	hits = malloc((n ? n : 1) * cpus * sizeof(*hits));
	iface->rules = calloc(n ? n : 1, sizeof(*iface->rules));
	if (!ids || !bodies || !hits || !iface->rules) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		ids[i] = refs[i].id;
	err = cas_read_ids(maps->rules, ids, n, bodies, sizeof(*bodies));
	if (!err)
		err = cas_read_ids(maps->rule_stats, ids, n, hits,
				   cpus * sizeof(*hits));
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		struct cas_metric_rule *rule = &iface->rules[iface->rule_count];
		const struct cas_counter *per_cpu = &hits[i * cpus];

		/* Deleted or reused since the prefix map was read. */
		if (!cas_ref_matches(&refs[i], &bodies[i]))
			continue;
		cas_rule_label(&bodies[i], rule->label, sizeof(rule->label));
		cas_counter_add_cpus(per_cpu, cpus, &rule->hits);
		if (bodies[i].family == AF_INET)
			iface->rules_v4++;
		else
			iface->rules_v6++;
		iface->rule_count++;
	}
	cas_metrics_merge_rules(iface->rules, &iface->rule_count);
out:
	free(ids);
	free(bodies);
	free(hits);
	return err;
}

static int cas_read_rules(const struct cas_maps *maps,
			  struct cas_metric_iface *iface)
{
	struct cas_rule_ref *refs = NULL;
	struct cas_gen_maps active;
	size_t count = 0;
	int err;

	/* The rules in force are those of the live generation's prefix maps. */
	err = cas_active_maps(maps, &active);
	if (!err)
		err = cas_gen_refs(&active, &refs, &count);
	if (!err)
		err = cas_read_rule_bodies(maps, refs, count, iface);
	free(refs);
	return err;
}

int cas_metrics_read_maps(const struct cas_maps *maps, bool with_rules,
			  struct cas_metric_iface *out)
{
	int err;

	err = cas_settings_read(maps, &out->settings);
	if (!err)
		err = cas_policy_read_active(maps, &out->policy);
	if (!err)
		err = cas_verdicts_read(maps, out->verdicts,
					&out->verdict_count);
	if (!err && with_rules)
		err = cas_read_rules(maps, out);
	out->readable = !err;
	return err;
}

static void cas_collect_iface(const char *name, bool with_rules,
			      struct cas_metric_iface *out)
{
	char errbuf[CAS_ERRBUF];
	struct cas_iface iface;
	int err;

	snprintf(out->name, sizeof(out->name), "%s", name);
	out->shielded = cas_is_shielded(name);
	if (!out->shielded) {
		snprintf(out->problem, sizeof(out->problem), "not shielded");
		return;
	}
	/* On failure the pin directory is still known: attachment works. */
	if (cas_iface_open(name, &iface, errbuf)) {
		/* The problem is a label-free line: the pin's reason is in status. */
		snprintf(
			out->problem, sizeof(out->problem),
			"cannot open its pinned maps (run 'casshield status')");
	} else {
		err = cas_metrics_read_maps(&iface.maps, with_rules, out);
		if (err)
			snprintf(out->problem, sizeof(out->problem),
				 "cannot read its maps: %s", strerror(-err));
	}
	err = cas_iface_attachment(&iface, &out->attachment);
	cas_iface_close(&iface);
	if (out->problem[0])
		return;
	if (err)
		snprintf(out->problem, sizeof(out->problem),
			 "cannot inspect its link: %s", strerror(-err));
	else if (!out->attachment.attached)
		snprintf(
			out->problem, sizeof(out->problem),
			"program detached (run 'casshield unload %s', then load)",
			name);
}

static int cas_name_known(const struct cas_metrics_snapshot *snap,
			  const char *name)
{
	size_t i;

	for (i = 0; i < snap->count; i++)
		if (!strcmp(snap->ifaces[i].name, name))
			return 1;
	return 0;
}

/* Into snap: each name once, in the order given. */
static int cas_collect_names(const char *const *names, size_t count,
			     bool with_rules, struct cas_metrics_snapshot *snap)
{
	size_t i;

	snap->ifaces = calloc(count ? count : 1, sizeof(*snap->ifaces));
	if (!snap->ifaces)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		/* An interface named twice would give duplicate series. */
		if (cas_name_known(snap, names[i]))
			continue;
		cas_collect_iface(names[i], with_rules,
				  &snap->ifaces[snap->count++]);
	}
	return 0;
}

static int cas_name_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cas_metrics_collect_also(const char *const *names, size_t count,
			     bool with_rules, struct cas_metrics_snapshot *snap)
{
	char(*shielded)[IF_NAMESIZE] = NULL;
	size_t i, n = 0, shielded_count = 0;
	const char **all;
	int err;

	memset(snap, 0, sizeof(*snap));
	/* Listed at each call: interfaces shielded later appear. */
	err = cas_shielded_list(&shielded, &shielded_count);
	if (err)
		return err;
	all = calloc(shielded_count + count + 1, sizeof(*all));
	if (!all) {
		free(shielded);
		return -ENOMEM;
	}
	for (i = 0; i < shielded_count; i++)
		all[n++] = shielded[i];
	for (i = 0; i < count; i++)
		all[n++] = names[i];
	qsort(all, n, sizeof(*all), cas_name_ptr_cmp);
	err = cas_collect_names(all, n, with_rules, snap);
	free(all);
	free(shielded);
	return err;
}

int cas_metrics_collect(const char *const *names, size_t count, bool with_rules,
			struct cas_metrics_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	if (!count)
		return cas_metrics_collect_also(NULL, 0, with_rules, snap);
	return cas_collect_names(names, count, with_rules, snap);
}

void cas_metrics_snapshot_free(struct cas_metrics_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->count; i++)
		free(snap->ifaces[i].rules);
	free(snap->ifaces);
	memset(snap, 0, sizeof(*snap));
}

static void cas_family(struct cas_text *out, const char *name, const char *type,
		       const char *help)
{
	cas_text_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			type);
}

/*
 * Samples are assembled from plain appends: with printf, formatting took
 * most of the time of a 10,000-rule scrape.
 */
static void cas_text_append(struct cas_text *text, const char *str)
{
	size_t len = strlen(str);

	if (!cas_text_reserve(text, len))
		return;
	memcpy(text->data + text->len, str, len + 1);
	text->len += len;
}

/* name{interface="..." */
static void cas_series_start(struct cas_text *out, const char *name,
			     const struct cas_metric_iface *iface)
{
	cas_text_append(out, name);
	cas_text_append(out, "{interface=");
	cas_text_label_value(out, iface->name);
}

static void cas_label(struct cas_text *out, const char *label,
		      const char *value)
{
	cas_text_append(out, ",");
	cas_text_append(out, label);
	cas_text_append(out, "=");
	cas_text_label_value(out, value);
}

/* "} VALUE\n", closing the labels of a sample. */
static void cas_sample_end(struct cas_text *out, unsigned long long value)
{
	char digits[32];
	size_t at = sizeof(digits);

	digits[--at] = '\0';
	digits[--at] = '\n';
	do {
		digits[--at] = '0' + value % 10;
		value /= 10;
	} while (value);
	digits[--at] = ' ';
	digits[--at] = '}';
	cas_text_append(out, digits + at);
}

enum cas_switch { CAS_SWITCH_MONITOR, CAS_SWITCH_SYN_PROXY };

/* A 0/1 gauge per readable interface: one of its policy's switches. */
static void cas_render_switch(const struct cas_metrics_snapshot *snap,
			      struct cas_text *out, const char *name,
			      const char *help, enum cas_switch which)
{
	size_t i;

	cas_family(out, name, "gauge", help);
	for (i = 0; i < snap->count; i++) {
		const struct cas_policy *p = &snap->ifaces[i].policy;

		if (!snap->ifaces[i].readable)
			continue;
		cas_series_start(out, name, &snap->ifaces[i]);
		cas_sample_end(out,
			       which == CAS_SWITCH_MONITOR ?
				       p->monitor != 0 :
				       (p->flags & CAS_POLICY_SYN_PROXY) != 0);
	}
}

static void cas_render_state(const struct cas_metrics_snapshot *snap,
			     struct cas_text *out)
{
	size_t i;

	cas_family(
		out, "casshield_build_info", "gauge",
		"Always 1; the version label is the exporter's casshield version.");
	cas_text_append(out, "casshield_build_info{version=");
	cas_text_label_value(out, CAS_VERSION);
	cas_sample_end(out, 1);

	cas_family(
		out, "casshield_attached", "gauge",
		"1 while the shield's XDP program is attached to the interface, 0 once detached.");
	for (i = 0; i < snap->count; i++) {
		const struct cas_metric_iface *iface = &snap->ifaces[i];

		if (!iface->shielded)
			continue;
		cas_series_start(out, "casshield_attached", iface);
		cas_label(out, "mode",
			  iface->readable ?
				  cas_mode_name(iface->settings.attach_mode) :
				  "unknown");
		cas_sample_end(out, iface->attachment.attached);
	}

	cas_render_switch(
		snap, out, "casshield_monitor_mode",
		"1 when the shield only counts drops (would_drop) instead of dropping.",
		CAS_SWITCH_MONITOR);
	cas_render_switch(
		snap, out, "casshield_syn_proxy",
		"1 when SYNs to the protected TCP ports are answered with cookies.",
		CAS_SWITCH_SYN_PROXY);

	cas_family(out, "casshield_rules", "gauge",
		   "Allow rules installed, by address family.");
	for (i = 0; i < snap->count; i++) {
		const struct cas_metric_iface *iface = &snap->ifaces[i];

		if (!iface->readable)
			continue;
		cas_series_start(out, "casshield_rules", iface);
		cas_label(out, "family", "ipv4");
		cas_sample_end(out, iface->rules_v4);
		cas_series_start(out, "casshield_rules", iface);
		cas_label(out, "family", "ipv6");
		cas_sample_end(out, iface->rules_v6);
	}
}

static void cas_render_verdicts(const struct cas_metrics_snapshot *snap,
				struct cas_text *out, bool bytes)
{
	const char *name =
		bytes ? "casshield_bytes_total" : "casshield_packets_total";
	size_t i, j;

	cas_family(
		out, name, "counter",
		bytes ? "Bytes of the packets the shield handled, by action and reason." :
			"Packets the shield handled, by action and reason.");
	for (i = 0; i < snap->count; i++) {
		const struct cas_metric_iface *iface = &snap->ifaces[i];

		if (!iface->readable)
			continue;
		for (j = 0; j < iface->verdict_count; j++) {
			const struct cas_verdict_count *v = &iface->verdicts[j];

			cas_series_start(out, name, iface);
			cas_label(out, "action", v->action);
			cas_label(out, "reason", v->reason);
			cas_sample_end(out, bytes ? v->counter.bytes :
						    v->counter.packets);
		}
	}
}

static void cas_render_rules(const struct cas_metrics_snapshot *snap,
			     struct cas_text *out, bool bytes)
{
	const char *name = bytes ? "casshield_rule_bytes_total" :
				   "casshield_rule_packets_total";
	size_t i, j;

	cas_family(
		out, name, "counter",
		bytes ? "Bytes of the packets an allow rule let through; rules sharing a name are summed." :
			"Packets an allow rule let through; rules sharing a name are summed.");
	for (i = 0; i < snap->count; i++) {
		const struct cas_metric_iface *iface = &snap->ifaces[i];

		if (!iface->readable)
			continue;
		for (j = 0; j < iface->rule_count; j++) {
			const struct cas_metric_rule *r = &iface->rules[j];

			cas_series_start(out, name, iface);
			cas_label(out, "rule", r->label);
			cas_sample_end(out,
				       bytes ? r->hits.bytes : r->hits.packets);
		}
	}
}

void cas_metrics_render(const struct cas_metrics_snapshot *snap,
			struct cas_text *out)
{
	cas_render_state(snap, out);
	cas_render_verdicts(snap, out, false);
	cas_render_verdicts(snap, out, true);
	cas_render_rules(snap, out, false);
	cas_render_rules(snap, out, true);
}

bool cas_metrics_health(const struct cas_metrics_snapshot *snap,
			struct cas_text *out)
{
	bool healthy = true;
	size_t i;

	for (i = 0; i < snap->count; i++)
		if (snap->ifaces[i].problem[0])
			healthy = false;
	cas_text_printf(out, "%s\n", healthy ? "ok" : "unhealthy");
	if (!snap->count)
		cas_text_printf(out, "no interface is shielded\n");
	for (i = 0; i < snap->count; i++) {
		const struct cas_metric_iface *iface = &snap->ifaces[i];

		if (iface->problem[0])
			cas_text_printf(out, "%s: %s\n", iface->name,
					iface->problem);
		else
			cas_text_printf(
				out, "%s: attached (%s mode)\n", iface->name,
				cas_mode_name(iface->settings.attach_mode));
	}
	return healthy;
}
