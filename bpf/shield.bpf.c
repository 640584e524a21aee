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

SEC("xdp")
int cas_shield(struct xdp_md *ctx)
{
	struct cas_verdict verdict = { .rule_id = CAS_NO_RULE };
	struct cas_packet pkt = {};
	int reason;

	reason = cas_parse_frame(ctx, &pkt);
	if (reason == CAS_PARSE_TO_POLICY)
		cas_decide(&pkt, &verdict);
	else
		verdict.reason = reason;
	return cas_record(ctx, &verdict);
}

char LICENSE[] SEC("license") = "GPL";
