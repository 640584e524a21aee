// SPDX-License-Identifier: GPL-2.0
/*
 * shield.bpf.c - casshield's XDP program: parse -> decide -> record.
 *
 * Packets to a protected port pass only from an allowed source; everything
 * the host needs for its own networking passes; every verdict leaves
 * through cas_record(), which counts it.
 */
#include "maps.h"
#include "parse.h"
#include "policy.h"
#include "stats.h"

/* Used only if the settings map could not be read: enforce, no limits. */
static const struct cas_settings cas_default_settings;

SEC("xdp")
int cas_shield(struct xdp_md *ctx)
{
	struct cas_verdict verdict = { .rule_id = CAS_NO_RULE };
	const struct cas_settings *settings;
	struct cas_packet pkt = {};
	__u32 zero = 0;
	int reason;

	settings = bpf_map_lookup_elem(&cas_settings, &zero);
	if (!settings)
		settings = &cas_default_settings;
	reason = cas_parse_frame(ctx, &pkt);
	if (reason == CAS_PARSE_TO_POLICY)
		cas_decide(ctx, &pkt, settings, &verdict);
	else
		verdict.reason = reason;
	return cas_record(ctx, settings, &verdict);
}

char LICENSE[] SEC("license") = "GPL";
