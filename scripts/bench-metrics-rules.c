// SPDX-License-Identifier: GPL-2.0
/*
 * bench-metrics-rules.c - fills a shielded interface with N allow rules for
 * scripts/bench-metrics.sh: 10.X.Y.0/24 prefixes, every other one named.
 * Rules go to ids 0..N-1 of a freshly loaded shield directly, because
 * `allow add` looks for the lowest free id each time: fine for people,
 * quadratic for ten thousand rules.
 *
 *   bench-metrics-rules IFACE COUNT
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
	struct cas_gen_maps active;
	struct cas_iface iface;
	struct cas_settings settings;
	long count, i;

	if (argc != 3 || (count = strtol(argv[2], NULL, 10)) <= 0 ||
	    count > 65536) {
		fprintf(stderr, "usage: %s IFACE COUNT (1..65536)\n", argv[0]);
		return 2;
	}
	if (cas_iface_open(argv[1], &iface) ||
	    cas_settings_read(&iface.maps, &settings))
		return 1;
	if (count > settings.max_rules) {
		fprintf(stderr, "%s holds at most %u rules\n", argv[1],
			settings.max_rules);
		return 1;
	}
	if (cas_active_maps(&iface.maps, &active)) {
		perror("bench-metrics-rules: cannot read the live generation");
		return 1;
	}
	for (i = 0; i < count; i++) {
		struct cas_prefix prefix = { .family = AF_INET, .prefixlen = 24 };
		struct cas_rule rule = { .port_mask = CAS_ALL_PORTS,
					 .flags = CAS_RULE_IN_USE };
		struct cas_lpm_v4 key = { .prefixlen = 24 };
		__u32 id = i;

		prefix.addr[0] = 10;
		prefix.addr[1] = i / 256;
		prefix.addr[2] = i % 256;
		cas_rule_set_prefix(&rule, &prefix);
		if (i % 2)
			snprintf(rule.name, sizeof(rule.name), "bench-%06ld", i);
		memcpy(key.addr, prefix.addr, 4);
		if (bpf_map_update_elem(iface.maps.rules, &id, &rule, BPF_ANY) ||
		    bpf_map_update_elem(active.prefix4, &key, &id,
					BPF_NOEXIST)) {
			perror("bench-metrics-rules: cannot write a rule (was the shield freshly loaded?)");
			return 1;
		}
	}
	cas_iface_close(&iface);
	return 0;
}
