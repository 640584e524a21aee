// SPDX-License-Identifier: GPL-2.0
/*
 * metrics_rules.c - fills a shielded interface with N allow rules for
 * scripts/bench/metrics.sh: 10.X.Y.0/24 prefixes, every other one named,
 * through the bulk add that `allow add --file` uses (it makes the names
 * here without a file).
 *
 *   build/bench/metrics_rules IFACE COUNT
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "rules.h"
#include "shield.h"

int main(int argc, char **argv)
{
	struct cas_settings settings;
	struct cas_iface iface;
	struct cas_rule *rules;
	long count, i;
	char errbuf[CAS_ERRBUF];
	size_t failed;
	int err;

	if (argc != 3 || (count = strtol(argv[2], NULL, 10)) <= 0 ||
	    count > 65536) {
		fprintf(stderr, "usage: %s IFACE COUNT (1..65536)\n", argv[0]);
		return 2;
	}
	if (cas_iface_open(argv[1], &iface, errbuf)) {
		fprintf(stderr, "%s\n", errbuf);
		return 1;
	}
	if (cas_settings_read(&iface.maps, &settings))
		return 1;
	if (count > settings.max_rules) {
		fprintf(stderr, "%s holds at most %u rules\n", argv[1],
			settings.max_rules);
		return 1;
	}
	rules = calloc(count, sizeof(*rules));
	if (!rules)
		return 1;
	for (i = 0; i < count; i++) {
		struct cas_prefix prefix = { .family = AF_INET,
					     .prefixlen = 24 };

		prefix.addr[0] = 10;
		prefix.addr[1] = i / 256;
		prefix.addr[2] = i % 256;
		rules[i].port_mask = CAS_ALL_PORTS;
		cas_rule_set_prefix(&rules[i], &prefix);
		if (i % 2)
			snprintf(rules[i].name, sizeof(rules[i].name),
				 "bench-%06ld", i);
	}
	err = cas_rules_add_bulk(&iface.maps, rules, count, &failed, errbuf);
	if (err)
		fprintf(stderr,
			"bench-metrics-rules: cannot add the rules: %s (rule %zu)\n",
			errbuf, failed + 1);
	free(rules);
	cas_iface_close(&iface);
	return err ? 1 : 0;
}
