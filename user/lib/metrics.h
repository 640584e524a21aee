/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - what the exporter publishes: a snapshot of the shielded
 * interfaces read from their pins, and its rendering as Prometheus text
 * exposition and as a health report. No HTTP here (http/exporter.c
 * serves it), so tests can check the text without a server.
 *
 * The metric names and labels are a contract documented in docs/metrics.md;
 * action and reason values come from the X-macro lists of casshield.h.
 */
#ifndef CAS_USER_METRICS_H
#define CAS_USER_METRICS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "values.h"
#include "shield.h"
#include "text.h"
#include "verdicts.h"

#define CAS_METRICS_CONTENT_TYPE   "text/plain; version=0.0.4; charset=utf-8"
/* 9477: in the range exporters use, and free in Prometheus' port list. */
#define CAS_METRICS_DEFAULT_LISTEN "127.0.0.1:9477"

/* Where the exporter listens. */
struct cas_listen_addr {
	struct sockaddr_storage addr;
	socklen_t len;
};

/*
 * "IPV4:PORT" or "[IPV6]:PORT", numeric, port 1-65535. 0, or -EINVAL with
 * a one-line explanation in err (CAS_ERRBUF bytes).
 */
int cas_metrics_parse_listen(const char *text, struct cas_listen_addr *out,
			     char *err);

/* A label value escaped per the exposition format: \\, \" and \n. */
void cas_text_label_value(struct cas_text *text, const char *value);

/* One rule series: rules sharing a label are summed into one. */
struct cas_metric_rule {
	char label[64]; /* the rule's name, or its CIDR when unnamed */
	struct cas_counter hits;
};

struct cas_metric_iface {
	char name[IF_NAMESIZE];
	bool shielded; /* its pin directory exists */
	bool readable; /* its maps were opened and read */
	struct cas_attachment attachment;
	struct cas_settings settings;
	struct cas_policy policy; /* of the live generation */
	struct cas_verdict_count verdicts[CAS_VERDICT_PAIRS];
	size_t verdict_count;
	size_t rules_v4, rules_v6;
	struct cas_metric_rule *rules; /* sorted by label, labels unique */
	size_t rule_count;
	char problem[160]; /* why it is unhealthy; empty when healthy */
};

struct cas_metrics_snapshot {
	struct cas_metric_iface *ifaces;
	size_t count;
};

/*
 * Read the interfaces named (or every shielded one when count is 0) from
 * their pins, opening and closing the maps within the call so that the
 * exporter never keeps a shield alive. Without rules, only attachment and
 * verdict counters are read (the health check). An interface that cannot
 * be read is still in the snapshot, with its problem; the call fails only
 * when memory or the pin root cannot be listed.
 */
int cas_metrics_collect(const char *const *names, size_t count, bool with_rules,
			struct cas_metrics_snapshot *snap);
/*
 * Every shielded interface and also those named, shielded or not, sorted
 * by name: `run` reports the interfaces of its file even once unloaded.
 */
int cas_metrics_collect_also(const char *const *names, size_t count,
			     bool with_rules,
			     struct cas_metrics_snapshot *snap);
void cas_metrics_snapshot_free(struct cas_metrics_snapshot *snap);

/*
 * Settings, verdict counters and (with_rules) rules of open maps into out,
 * whose name and attachment the caller fills. Sets out->readable.
 */
int cas_metrics_read_maps(const struct cas_maps *maps, bool with_rules,
			  struct cas_metric_iface *out);

/* Sort rules by label and sum those sharing one; updates *count. */
void cas_metrics_merge_rules(struct cas_metric_rule *rules, size_t *count);

/* The exposition text of a snapshot. */
void cas_metrics_render(const struct cas_metrics_snapshot *snap,
			struct cas_text *out);
/* True when every interface is attached; a line per interface either way. */
bool cas_metrics_health(const struct cas_metrics_snapshot *snap,
			struct cas_text *out);

#endif /* CAS_USER_METRICS_H */
