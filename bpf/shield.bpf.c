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

/*
 * Used only if the policy map could not be read: enforce, no limits. Not
 * const: the verifier lets a global function take only writable memory,
 * and cas_decide is given this policy too.
 */
static struct cas_policy cas_default_policy;

SEC("xdp")
int cas_shield(struct xdp_md *ctx)
{
	struct cas_verdict verdict = { .rule_id = CAS_NO_RULE };
	__u64 bytes = ctx->data_end - ctx->data;
	const struct cas_settings *settings;
	const struct cas_policy *policy;
	struct cas_packet pkt = {};
	__u32 zero = 0, gen = 0;
	int reason;

	/* The generation is read once: the whole packet sees one ruleset. */
	settings = bpf_map_lookup_elem(&cas_settings, &zero);
	if (settings)
		gen = *(volatile __u32 *)&settings->generation & 1;
	policy = bpf_map_lookup_elem(&cas_policy, &gen);
	if (!policy)
		policy = &cas_default_policy;
	reason = cas_parse_frame(ctx, &pkt);
	if (reason == CAS_PARSE_TO_POLICY)
		reason = cas_screen(gen, &pkt);
	if (reason == CAS_SCREEN_LOOKUP)
		cas_decide(ctx, gen, policy, &pkt, &verdict);
	else
		verdict.reason = reason;
	return cas_record(policy, &verdict, bytes);
}

char LICENSE[] SEC("license") = "GPL";
