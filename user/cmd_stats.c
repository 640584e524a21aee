// SPDX-License-Identifier: GPL-2.0
/* cmd_stats.c - the stats verb: counters by action and reason. */
#include <string.h>

#include "cli.h"
#include "common.h"
#include "shield.h"
#include "verdicts.h"

int cas_cmd_stats(int argc, char **argv)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	const char *ifname_opt = NULL;
	char ifname[IF_NAMESIZE];
	struct cas_iface iface;
	bool json = false;
	size_t i, count;
	int opt, err;
	struct cas_verdict_count counts[CAS_VERDICT_PAIRS];

	while ((opt = cas_getopt(argc, argv, "i:", options, "stats")) != -1) {
		if (opt == 'i')
			ifname_opt = optarg;
		else if (opt == 'j')
			json = true;
		else
			return CAS_EXIT_USAGE;
	}
	if (optind != argc) {
		cas_err("stats: unexpected argument '%s'", argv[optind]);
		return CAS_EXIT_USAGE;
	}
	if (cas_require_privileges())
		return CAS_EXIT_FAIL;
	err = cas_resolve_iface(ifname_opt, ifname);
	if (err)
		return err;
	if (cas_iface_open(ifname, &iface))
		return CAS_EXIT_FAIL;
	err = cas_verdicts_read(&iface.maps, counts, &count);
	cas_iface_close(&iface);
	if (err) {
		cas_err("stats: cannot read the counters of %s: %s", ifname,
			strerror(-err));
		return CAS_EXIT_FAIL;
	}

	if (json) {
		fputs("{\"interface\": ", stdout);
		cas_json_string(stdout, ifname);
		fputs(", \"counters\": [", stdout);
	} else {
		printf("%-12s %-16s %16s %18s\n", "ACTION", "REASON",
		       "PACKETS", "BYTES");
	}
	for (i = 0; i < count; i++) {
		const struct cas_verdict_count *c = &counts[i];

		printf(json ? "%s{\"action\": \"%s\", \"reason\": \"%s\", \"packets\": %llu, \"bytes\": %llu}" :
			      "%s%-12s %-16s %16llu %18llu\n",
		       json && i ? ", " : "", c->action, c->reason,
		       (unsigned long long)c->counter.packets,
		       (unsigned long long)c->counter.bytes);
	}
	if (json)
		fputs("]}\n", stdout);
	return CAS_EXIT_OK;
}
