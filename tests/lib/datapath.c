// SPDX-License-Identifier: GPL-2.0
/* datapath.c - BPF_PROG_TEST_RUN fixture for the shield program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "values.h"
#include "shield.h"
#include "verdicts.h"

static void dp_die(const char *what, int err)
{
	fprintf(stderr, "datapath fixture: %s: %s\n", what, strerror(-err));
	exit(2);
}

void dp_open(struct dp_fixture *fx, const char *ports)
{
	dp_open_sized(fx, ports, 0);
}

void dp_open_sized(struct dp_fixture *fx, const char *ports, __u32 max_rules)
{
	struct cas_load_options opts = { .mode = CAS_MODE_NATIVE };
	char err_text[CAS_ERRBUF];
	int err;

	memset(fx, 0, sizeof(*fx));
	err = cas_shield_open_and_load(&fx->skel, max_rules, err_text);
	if (err) {
		fprintf(stderr, "datapath fixture: %s\n", err_text);
		exit(2);
	}
	err = cas_maps_from_object(fx->skel->obj, &fx->maps);
	if (err)
		dp_die("maps", err);
	if (cas_parse_port_list(ports, &opts.ports, err_text)) {
		fprintf(stderr, "datapath fixture: %s\n", err_text);
		exit(2);
	}
	err = cas_shield_init_maps(
		&fx->maps, &opts, 1,
		bpf_map__max_entries(fx->skel->maps.cas_rules));
	if (err)
		dp_die("init maps", err);
	fx->prog_fd = bpf_program__fd(fx->skel->progs.cas_shield);
}

void dp_close(struct dp_fixture *fx)
{
	shield_bpf__destroy(fx->skel);
	memset(fx, 0, sizeof(*fx));
}

__u32 dp_add(struct dp_fixture *fx, const char *cidr, const char *ports,
	     struct cas_rule *rule)
{
	char err_text[CAS_ERRBUF];
	struct cas_port_list list = {};
	struct cas_port unprotected;
	struct cas_prefix prefix;
	__u32 id;
	int err;

	if (cas_parse_prefix(cidr, &prefix, err_text) ||
	    (ports && cas_parse_port_list(ports, &list, err_text))) {
		fprintf(stderr, "datapath fixture: %s\n", err_text);
		exit(2);
	}
	cas_rule_set_prefix(rule, &prefix);
	err = cas_ports_mask(&fx->maps, &list, &rule->port_mask, &unprotected);
	if (!err)
		err = cas_rule_add(&fx->maps, rule, &id);
	if (err)
		dp_die(cidr, err);
	return id;
}

__u32 dp_allow(struct dp_fixture *fx, const char *cidr, const char *ports,
	       const char *name)
{
	struct cas_rule rule = {};

	if (name)
		snprintf(rule.name, sizeof(rule.name), "%s", name);
	return dp_add(fx, cidr, ports, &rule);
}

void dp_set_limits(struct dp_fixture *fx, const struct cas_policy *limits)
{
	struct cas_policy policy;
	int err;

	err = cas_policy_read_active(&fx->maps, &policy);
	policy.syn_rate = limits->syn_rate;
	policy.syn_burst = limits->syn_burst;
	policy.hello_rate = limits->hello_rate;
	policy.hello_burst = limits->hello_burst;
	policy.min_tls = limits->min_tls;
	if (!err)
		err = cas_policy_write(&fx->maps, 0, &policy);
	if (err)
		dp_die("policy", err);
}

void dp_set_monitor(struct dp_fixture *fx, bool monitor)
{
	struct cas_policy policy;
	int err;

	err = cas_policy_read_active(&fx->maps, &policy);
	policy.monitor = monitor;
	if (!err)
		err = cas_policy_write(&fx->maps, 0, &policy);
	if (err)
		dp_die("policy", err);
}

__u32 dp_run(struct dp_fixture *fx, const void *frame, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(fx->prog_fd, &opts);
	if (err)
		dp_die("BPF_PROG_TEST_RUN", -errno);
	return opts.retval;
}

void dp_snapshot(struct dp_fixture *fx, struct dp_snapshot *snap)
{
	__u32 i;
	int err;

	for (i = 0; i < CAS_STATS_SLOTS; i++) {
		err = cas_counter_sum(fx->maps.stats, i, &snap->stats[i]);
		if (err)
			dp_die("stats", err);
	}
	for (i = 0; i < DP_TRACKED_RULES; i++) {
		err = cas_counter_sum(fx->maps.rule_stats, i, &snap->rules[i]);
		if (err)
			dp_die("rule stats", err);
	}
}

__u32 dp_counted_action(__u32 xdp, enum cas_reason reason)
{
	if (xdp == XDP_DROP)
		return CAS_ACTION_DROP;
	if (xdp == XDP_TX)
		return CAS_ACTION_TX;
	return cas_reason_kinds[reason] == CAS_VERDICT_DROP ?
		       CAS_ACTION_WOULD_DROP :
		       CAS_ACTION_PASS;
}
