// SPDX-License-Identifier: GPL-2.0
/*
 * unit_metrics.c - the exporter's text without HTTP: label escaping, rule
 * label merging, the exposition of a hand-made snapshot (every reason of
 * the X-macro list, HELP/TYPE once per family, families contiguous), the
 * health report, and the batched map reads against the real program's
 * maps after crafted frames (compared with the CLI's per-id reads).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "check.h"
#include "common.h"
#include "datapath.h"
#include "frame.h"
#include "metrics.h"

static int contains(const char *text, const char *needle)
{
	return text && strstr(text, needle) != NULL;
}

static size_t count_lines_starting(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, prefix, len))
			n++;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

static void test_escaping(void)
{
	struct cas_text text = {};

	check_case = "label values are escaped";
	cas_text_label_value(&text, "a\\b\"c\nd");
	check_record(CHECK_STR(text.data, "\"a\\\\b\\\"c\\nd\"", "escaped"));
	cas_text_free(&text);

	check_case = "a long text grows its buffer";
	for (int i = 0; i < 10000; i++)
		cas_text_printf(&text, "%05d\n", i);
	check_record(CHECK_EQ(text.len, 60000, "length") &
		     CHECK_EQ(cas_text_status(&text), 0, "status") &
		     CHECK_EQ(strlen(text.data), 60000, "terminated"));
	cas_text_free(&text);
}

static void test_listen(void)
{
	static const struct {
		const char *text;
		int family; /* 0: refused */
		unsigned int port;
	} cases[] = {
		{ "127.0.0.1:9477", AF_INET, 9477 },
		{ "0.0.0.0:1", AF_INET, 1 },
		{ "[::1]:65535", AF_INET6, 65535 },
		{ "[::]:9477", AF_INET6, 9477 },
		{ "", 0 },
		{ ":9477", 0 },
		{ "127.0.0.1", 0 },
		{ "127.0.0.1:", 0 },
		{ "127.0.0.1:0", 0 },
		{ "127.0.0.1:65536", 0 },
		{ "127.0.0.1:94x", 0 },
		{ "localhost:9477", 0 },
		{ "::1:9477", 0 },
		{ "[::1]9477", 0 },
		{ "[::1:9477", 0 },
		{ "[127.0.0.1]:9477", 0 },
		{ "300.0.0.1:9477", 0 },
	};
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		struct cas_listen_addr addr;
		char err[CAS_ERRBUF] = "";
		int ret, ok;

		check_case = cases[i].text;
		ret = cas_metrics_parse_listen(cases[i].text, &addr, err);
		if (!cases[i].family) {
			ok = CHECK_EQ(ret, -EINVAL, "refused") &
			     CHECK_EQ(err[0] != '\0', 1, "explained");
		} else {
			const struct sockaddr_in *sin = (const void *)&addr.addr;
			const struct sockaddr_in6 *sin6 = (const void *)&addr.addr;

			ok = CHECK_EQ(ret, 0, "accepted") &
			     CHECK_EQ(addr.addr.ss_family, cases[i].family, "family") &
			     CHECK_EQ(ntohs(cases[i].family == AF_INET ? sin->sin_port : sin6->sin6_port),
				      cases[i].port, "port") &
			     CHECK_EQ(addr.len, cases[i].family == AF_INET ? sizeof(*sin) : sizeof(*sin6), "length");
		}
		check_record(ok);
	}
}

static void test_merge(void)
{
	struct cas_metric_rule rules[] = {
		{ "proxies", { 1, 100 } },
		{ "10.0.0.0/8", { 5, 500 } },
		{ "proxies", { 2, 200 } },
		{ "dns", { 7, 700 } },
		{ "proxies", { 4, 400 } },
	};
	size_t count = CAS_ARRAY_SIZE(rules);

	check_case = "rules sharing a label are summed, labels sorted";
	cas_metrics_merge_rules(rules, &count);
	check_record(CHECK_EQ(count, 3, "series") &
		     CHECK_STR(rules[0].label, "10.0.0.0/8", "first") &
		     CHECK_STR(rules[1].label, "dns", "second") &
		     CHECK_STR(rules[2].label, "proxies", "third") &
		     CHECK_EQ(rules[2].hits.packets, 7, "summed packets") &
		     CHECK_EQ(rules[2].hits.bytes, 700, "summed bytes"));
}

/* Every producible verdict with packets = 10 * index + 1. */
static void fill_verdicts(struct cas_metric_iface *iface)
{
	size_t i;

	iface->verdict_count = 0;
	for (i = 0; i < CAS_REASON_COUNT; i++) {
		__u32 actions[2];
		size_t a, n = cas_reason_actions(i, actions);

		for (a = 0; a < n; a++) {
			struct cas_verdict_count *v =
				&iface->verdicts[iface->verdict_count];

			v->action = cas_action_names[actions[a]];
			v->reason = cas_reason_names[i];
			v->counter.packets = 10 * iface->verdict_count + 1;
			v->counter.bytes = 1000 * iface->verdict_count;
			iface->verdict_count++;
		}
	}
}

static void test_render(void)
{
	struct cas_metric_rule rules[] = { { "10.0.0.0/8", { 3, 300 } },
					   { "proxy", { 9, 900 } } };
	struct cas_metric_iface ifaces[3] = {};
	struct cas_metrics_snapshot snap = { ifaces, 3 };
	struct cas_text text = {};
	char line[160];
	size_t i;
	int ok;

	snprintf(ifaces[0].name, IF_NAMESIZE, "cas0");
	ifaces[0].shielded = ifaces[0].readable = true;
	ifaces[0].attachment.attached = true;
	ifaces[0].settings.attach_mode = CAS_MODE_NATIVE;
	ifaces[0].rules_v4 = 2;
	ifaces[0].rules = rules;
	ifaces[0].rule_count = 2;
	fill_verdicts(&ifaces[0]);
	snprintf(ifaces[1].name, IF_NAMESIZE, "we\"ird");
	ifaces[1].shielded = ifaces[1].readable = true;
	ifaces[1].settings.attach_mode = CAS_MODE_SKB;
	ifaces[1].policy.monitor = 1;
	ifaces[1].rules_v6 = 1;
	fill_verdicts(&ifaces[1]);
	snprintf(ifaces[1].problem, sizeof(ifaces[1].problem),
		 "program detached");
	snprintf(ifaces[2].name, IF_NAMESIZE, "gone0");
	snprintf(ifaces[2].problem, sizeof(ifaces[2].problem), "not shielded");
	cas_metrics_render(&snap, &text);

	check_case = "state gauges";
	ok = CHECK_EQ(contains(text.data, "casshield_build_info{version=\"" CAS_VERSION "\"} 1\n"), 1, "build_info") &
	     CHECK_EQ(contains(text.data, "casshield_attached{interface=\"cas0\",mode=\"native\"} 1\n"), 1, "attached") &
	     CHECK_EQ(contains(text.data, "casshield_attached{interface=\"we\\\"ird\",mode=\"skb\"} 0\n"), 1, "detached, escaped") &
	     CHECK_EQ(contains(text.data, "casshield_monitor_mode{interface=\"we\\\"ird\"} 1\n"), 1, "monitor") &
	     CHECK_EQ(contains(text.data, "casshield_rules{interface=\"cas0\",family=\"ipv4\"} 2\n"), 1, "rules v4") &
	     CHECK_EQ(contains(text.data, "casshield_rules{interface=\"cas0\",family=\"ipv6\"} 0\n"), 1, "rules v6") &
	     CHECK_EQ(contains(text.data, "gone0"), 0, "unshielded interface has no series");
	check_record(ok);

	check_case = "every verdict of the X-macro lists, packets and bytes";
	ok = CHECK_EQ(count_lines_starting(text.data, "casshield_packets_total{"), 2 * ifaces[0].verdict_count, "packet series") &
	     CHECK_EQ(count_lines_starting(text.data, "casshield_bytes_total{"), 2 * ifaces[0].verdict_count, "byte series");
	for (i = 0; i < ifaces[0].verdict_count; i++) {
		const struct cas_verdict_count *v = &ifaces[0].verdicts[i];

		snprintf(line, sizeof(line),
			 "casshield_packets_total{interface=\"cas0\",action=\"%s\",reason=\"%s\"} %llu\n",
			 v->action, v->reason,
			 (unsigned long long)v->counter.packets);
		ok &= CHECK_EQ(contains(text.data, line), 1, line);
		snprintf(line, sizeof(line),
			 "casshield_bytes_total{interface=\"cas0\",action=\"%s\",reason=\"%s\"} %llu\n",
			 v->action, v->reason,
			 (unsigned long long)v->counter.bytes);
		ok &= CHECK_EQ(contains(text.data, line), 1, line);
	}
	check_record(ok);

	check_case = "rule counters";
	ok = CHECK_EQ(contains(text.data, "casshield_rule_packets_total{interface=\"cas0\",rule=\"10.0.0.0/8\"} 3\n"), 1, "cidr label") &
	     CHECK_EQ(contains(text.data, "casshield_rule_packets_total{interface=\"cas0\",rule=\"proxy\"} 9\n"), 1, "name label") &
	     CHECK_EQ(contains(text.data, "casshield_rule_bytes_total{interface=\"cas0\",rule=\"proxy\"} 900\n"), 1, "bytes");
	check_record(ok);

	check_case = "one HELP and TYPE per family, samples right after";
	{
		static const char *const families[] = {
			"casshield_build_info", "casshield_attached",
			"casshield_monitor_mode", "casshield_syn_proxy",
			"casshield_rules",
			"casshield_packets_total", "casshield_bytes_total",
			"casshield_rule_packets_total", "casshield_rule_bytes_total",
		};
		const char *cursor = text.data;

		ok = 1;
		for (i = 0; i < CAS_ARRAY_SIZE(families); i++) {
			char help[96];
			const char *at;

			snprintf(help, sizeof(help), "# HELP %s ", families[i]);
			ok &= CHECK_EQ(count_lines_starting(text.data, help), 1, help);
			snprintf(help, sizeof(help), "# TYPE %s ", families[i]);
			ok &= CHECK_EQ(count_lines_starting(text.data, help), 1, help);
			/* Families appear in order, so samples cannot interleave. */
			at = strstr(cursor, help);
			ok &= CHECK_EQ(at != NULL, 1, "family order");
			if (at)
				cursor = at;
		}
		check_record(ok);
	}
	cas_text_free(&text);

	check_case = "health names the failing interfaces";
	ok = CHECK_EQ(cas_metrics_health(&snap, &text), 0, "unhealthy") &
	     CHECK_EQ(contains(text.data, "unhealthy\n"), 1, "first line") &
	     CHECK_EQ(contains(text.data, "we\"ird: program detached\n"), 1, "detached") &
	     CHECK_EQ(contains(text.data, "gone0: not shielded\n"), 1, "not shielded") &
	     CHECK_EQ(contains(text.data, "cas0: attached (native mode)\n"), 1, "healthy one");
	check_record(ok);
	cas_text_free(&text);

	check_case = "health of attached interfaces";
	snap.count = 1;
	ok = CHECK_EQ(cas_metrics_health(&snap, &text), 1, "healthy") &
	     CHECK_EQ(contains(text.data, "ok\n"), 1, "first line");
	check_record(ok);
	cas_text_free(&text);

	check_case = "health with nothing shielded";
	snap.count = 0;
	ok = CHECK_EQ(cas_metrics_health(&snap, &text), 1, "healthy") &
	     CHECK_EQ(contains(text.data, "no interface is shielded"), 1, "says so");
	check_record(ok);
	cas_text_free(&text);
}

static __u64 hits_of(const struct cas_metric_iface *iface, const char *label)
{
	size_t i;

	for (i = 0; i < iface->rule_count; i++)
		if (!strcmp(iface->rules[i].label, label))
			return iface->rules[i].hits.packets;
	return ~0ULL;
}

/*
 * A rule written straight into the maps at a chosen id: cas_rule_add looks
 * for the lowest free id, which is slow for thousands of rules and never
 * leaves the gaps these cases need.
 */
static void write_rule(struct dp_fixture *fx, __u32 id, __u8 a, __u8 b,
		       __u8 c, __u8 prefixlen, const char *name)
{
	struct cas_rule body = {
		.port_mask = CAS_ALL_PORTS,
		.flags = CAS_RULE_IN_USE,
		.family = AF_INET,
		.prefixlen = prefixlen,
		.addr = { a, b, c },
	};
	struct cas_lpm_v4 key = { .prefixlen = prefixlen, .addr = { a, b, c } };

	struct cas_prefix prefix = { .family = AF_INET,
				     .prefixlen = prefixlen,
				     .addr = { a, b, c } };

	if (name)
		snprintf(body.name, sizeof(body.name), "%s", name);
	/* As cas_rule_add does: the prefilter admits the prefix first. */
	if (cas_prefilter_update(&fx->maps, 0, false, &prefix, 1) ||
	    bpf_map_update_elem(fx->maps.rules, &id, &body, BPF_ANY) ||
	    bpf_map_update_elem(fx->maps.prefix4_g0, &key, &id, BPF_ANY)) {
		perror("unit_metrics: cannot write a rule");
		exit(1);
	}
}

static void send_from(struct dp_fixture *fx, enum frame_kind kind,
		      const char *src, int times)
{
	__u8 frame[FRAME_MAX];
	size_t len;

	len = frame_build(&(struct frame_spec){ .kind = kind, .src = src, .dport = 443 }, frame);
	while (times-- > 0)
		dp_run(fx, frame, len);
}

/* What the exporter reads agrees with the CLI's reads, rule by rule. */
static int agrees_with_cli(struct dp_fixture *fx,
			   const struct cas_metric_iface *iface)
{
	struct cas_rule_entry *entries;
	__u64 sum = 0, cli_sum = 0;
	size_t count, i;
	char label[64];
	int ok;

	ok = CHECK_EQ(cas_rules_list(&fx->maps, &entries, &count), 0, "list");
	for (i = 0; ok && i < count; i++) {
		cli_sum += entries[i].hits.packets;
		cas_rule_label(&entries[i].rule, label, sizeof(label));
		ok &= CHECK_EQ(hits_of(iface, label) != ~0ULL, 1, label);
	}
	for (i = 0; i < iface->rule_count; i++)
		sum += iface->rules[i].hits.packets;
	ok &= CHECK_EQ(sum, cli_sum, "total hits");
	ok &= CHECK_EQ(iface->rules_v4 + iface->rules_v6, count, "rules");
	free(entries);
	return ok;
}

static void test_read_maps(void)
{
	struct cas_metric_iface iface = {};
	struct cas_prefix prefix;
	char err_text[CAS_ERRBUF];
	struct dp_fixture fx;
	size_t i;
	int ok, n;

	dp_open(&fx, "443");
	dp_allow(&fx, "198.51.100.10/32", NULL, "proxies");
	dp_allow(&fx, "198.51.100.11/32", NULL, "proxies");
	dp_allow(&fx, "2001:db8:1::/48", NULL, NULL);
	for (n = 0; n < 50; n++) {
		char cidr[32];

		snprintf(cidr, sizeof(cidr), "10.%d.%d.0/24", n / 16, n % 16);
		dp_allow(&fx, cidr, NULL, NULL);
	}
	write_rule(&fx, 60000, 10, 200, 0, 16, "last"); /* far away: sparse */
	send_from(&fx, FRAME_IPV4, "198.51.100.10", 1);
	send_from(&fx, FRAME_IPV4, "198.51.100.11", 2);
	send_from(&fx, FRAME_IPV6, "2001:db8:1::5", 1);
	send_from(&fx, FRAME_IPV4, "10.200.1.1", 4);
	send_from(&fx, FRAME_IPV4, "10.2.3.9", 1);
	send_from(&fx, FRAME_IPV4, "203.0.113.9", 1);

	check_case = "sparse ids: one lookup each";
	ok = CHECK_EQ(cas_metrics_read_maps(&fx.maps, true, &iface), 0, "read") &
	     CHECK_EQ(iface.readable, 1, "readable") &
	     CHECK_EQ(iface.rules_v4, 53, "ipv4 rules") &
	     CHECK_EQ(iface.rules_v6, 1, "ipv6 rules") &
	     CHECK_EQ(iface.rule_count, 53, "series (two rules share a name)") &
	     CHECK_EQ(hits_of(&iface, "proxies"), 3, "proxies summed") &
	     CHECK_EQ(hits_of(&iface, "2001:db8:1::/48"), 1, "unnamed v6") &
	     CHECK_EQ(hits_of(&iface, "last"), 4, "rule at id 60000") &
	     CHECK_EQ(hits_of(&iface, "10.2.3.0/24"), 1, "unnamed v4") &
	     CHECK_EQ(hits_of(&iface, "10.0.0.0/24"), 0, "idle rule") &
	     agrees_with_cli(&fx, &iface);
	check_record(ok);

	check_case = "verdict counters from the maps";
	ok = 0;
	for (i = 0; i < iface.verdict_count; i++)
		if (!strcmp(iface.verdicts[i].action, "drop") &&
		    !strcmp(iface.verdicts[i].reason, "not_allowed"))
			ok = CHECK_EQ(iface.verdicts[i].counter.packets, 1,
				      "drop/not_allowed");
	check_record(ok);
	free(iface.rules);

	/*
	 * Dense ids spanning several batches of 4096, starting past id 0
	 * (its rule deleted), with a rule deep in the third batch.
	 */
	cas_parse_prefix("198.51.100.10/32", &prefix, err_text);
	cas_rule_del(&fx.maps, &prefix);
	cas_parse_prefix("10.200.0.0/16", &prefix, err_text);
	cas_rule_del(&fx.maps, &prefix);
	for (n = 0; n < 9000; n++)
		write_rule(&fx, 100 + n, 11, n / 256, n % 256, 24,
			   n == 8500 ? "deep" : NULL);
	send_from(&fx, FRAME_IPV4, "11.33.52.1", 5); /* 8500 = 33 * 256 + 52 */
	send_from(&fx, FRAME_IPV4, "11.0.0.1", 2);

	check_case = "dense ids: batched over several batches";
	memset(&iface, 0, sizeof(iface));
	ok = CHECK_EQ(cas_metrics_read_maps(&fx.maps, true, &iface), 0, "read") &
	     CHECK_EQ(iface.rules_v4, 9051, "ipv4 rules") &
	     CHECK_EQ(iface.rules_v6, 1, "ipv6 rules") &
	     CHECK_EQ(hits_of(&iface, "proxies"), 2, "the remaining proxy") &
	     CHECK_EQ(hits_of(&iface, "last"), ~0ULL, "deleted rule gone") &
	     CHECK_EQ(hits_of(&iface, "deep"), 5, "rule at id 8600") &
	     CHECK_EQ(hits_of(&iface, "11.0.0.0/24"), 2, "rule at id 100") &
	     agrees_with_cli(&fx, &iface);
	check_record(ok);
	free(iface.rules);
	dp_close(&fx);
}

int main(void)
{
	test_escaping();
	test_listen();
	test_merge();
	test_render();
	test_read_maps();
	return check_summary("unit_metrics");
}
