/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy.h - the allowlist decision for a parsed TCP/UDP packet: is its
 * destination port protected, and if so, does the most specific allow rule
 * covering its source include that port?
 */
#ifndef CAS_POLICY_H
#define CAS_POLICY_H

#include "maps.h"
#include "parse.h"

struct cas_verdict {
	__u32 reason;  /* enum cas_reason */
	__u32 rule_id; /* CAS_NO_RULE unless a rule allowed the packet */
};

/* Protected slot of the destination port, or -1 if the port is open. */
static __always_inline int cas_port_slot(const struct cas_packet *pkt)
{
	__u32 port = pkt->dport;
	struct cas_port_slots *slots = bpf_map_lookup_elem(&cas_ports, &port);

	if (!slots || pkt->proto >= CAS_PROTO_COUNT)
		return -1;
	return (int)slots->slot_plus_one[pkt->proto] - 1;
}

/* Id of the most specific rule whose prefix covers the source. */
static __always_inline __u32 cas_match_rule(const struct cas_packet *pkt)
{
	__u32 *rule_id;

	if (pkt->family == CAS_AF_INET) {
		struct cas_lpm_v4 key = { .prefixlen = 32 };

		__builtin_memcpy(key.addr, pkt->src, 4);
		rule_id = bpf_map_lookup_elem(&cas_rules_v4, &key);
	} else {
		struct cas_lpm_v6 key = { .prefixlen = 128 };

		__builtin_memcpy(key.addr, pkt->src, 16);
		rule_id = bpf_map_lookup_elem(&cas_rules_v6, &key);
	}
	return rule_id ? *rule_id : CAS_NO_RULE;
}

static __always_inline void cas_decide(const struct cas_packet *pkt,
				       struct cas_verdict *verdict)
{
	struct cas_rule *rule;
	__u32 rule_id;
	int slot;

	slot = cas_port_slot(pkt);
	if (slot < 0) {
		verdict->reason = CAS_REASON_UNPROTECTED;
		return;
	}
	rule_id = cas_match_rule(pkt);
	rule = bpf_map_lookup_elem(&cas_rules, &rule_id);
	/* The longest match decides; a narrower rule never falls back. */
	if (!rule || !(rule->flags & CAS_RULE_IN_USE) ||
	    !(rule->port_mask & (1ULL << (slot & 63)))) {
		verdict->reason = CAS_REASON_NOT_ALLOWED;
		return;
	}
	verdict->reason = CAS_REASON_ALLOWED;
	verdict->rule_id = rule_id;
}

#endif /* CAS_POLICY_H */
