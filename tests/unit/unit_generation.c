// SPDX-License-Identifier: GPL-2.0
/*
 * unit_generation.c - what a killed change leaves, left on purpose: rule
 * bodies nothing publishes, a half-built spare generation, a flip whose
 * old generation was never freed. The listing, the exporter's count, the
 * free slots, the lookups and the datapath must all see exactly the live
 * generation, and the next change must work (docs/design.md, "Crash
 * safety"). The deterministic half of tests/integration/test_crash.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/if_ether.h>
#include <linux/bpf.h>

#include "check.h"
#include "common.h"
#include "datapath.h"
#include "frame.h"
#include "generation.h"
#include "metrics.h"
#include "rules.h"

#define TABLE 16

static struct cas_rule rule_of(const char *cidr)
{
	struct cas_rule rule = { .port_mask = CAS_ALL_PORTS };
	struct cas_prefix prefix;
	char err[CAS_ERRBUF];

	if (cas_parse_prefix(cidr, &prefix, err)) {
		fprintf(stderr, "unit_generation: %s\n", err);
		exit(2);
	}
	cas_rule_set_prefix(&rule, &prefix);
	return rule;
}

/* A body in slot id and its prefix in generation gen: what a switch writes. */
static void write_unpublished(struct dp_fixture *fx, __u32 gen, __u32 id,
			      const char *cidr, bool publish)
{
	struct cas_rule body = rule_of(cidr);
	struct cas_prefix_key key;
	struct cas_gen_maps maps;
	struct cas_prefix prefix;

	body.flags = CAS_RULE_IN_USE;
	cas_rule_prefix(&body, &prefix);
	cas_gen_maps(&fx->maps, gen, &maps);
	cas_prefix_key_in(&maps, &prefix, &key);
	if (bpf_map_update_elem(fx->maps.rules, &id, &body, BPF_ANY) ||
	    (publish && bpf_map_update_elem(key.map_fd, &key.key, &id, BPF_ANY)) ||
	    cas_prefilter_update(&fx->maps, gen, false, &prefix, 1)) {
		perror("unit_generation: cannot write the garbage");
		exit(1);
	}
}

static __u32 send_from(struct dp_fixture *fx, const char *src)
{
	__u8 frame[FRAME_MAX];
	size_t len;

	len = frame_build(&(struct frame_spec){ .kind = strchr(src, ':') ? FRAME_IPV6 : FRAME_IPV4, .src = src, .dport = 443 }, frame);
	return dp_run(fx, frame, len);
}

/* "n: cidr,cidr,..." of the listing, in id order. */
static void listing(struct dp_fixture *fx, char *out, size_t len)
{
	struct cas_rule_entry *entries = NULL;
	struct cas_prefix prefix;
	size_t count = 0, i, used;
	char cidr[64];

	if (cas_rules_list(&fx->maps, &entries, &count)) {
		snprintf(out, len, "list failed");
		return;
	}
	used = snprintf(out, len, "%zu:", count);
	for (i = 0; i < count && used < len; i++) {
		cas_rule_prefix(&entries[i].rule, &prefix);
		cas_format_prefix(&prefix, cidr, sizeof(cidr));
		used += snprintf(out + used, len - used, "%s%u=%s", i ? "," : " ", entries[i].id, cidr);
	}
	free(entries);
}

static size_t metric_rules(struct dp_fixture *fx)
{
	struct cas_metric_iface iface = {};
	size_t n;

	if (cas_metrics_read_maps(&fx->maps, true, &iface))
		return ~(size_t)0;
	n = iface.rules_v4 + iface.rules_v6;
	free(iface.rules);
	return n;
}

/* A switch killed before its flip: bodies in free slots, a spare half built. */
static void test_killed_before_flip(void)
{
	char text[512], err[CAS_ERRBUF];
	struct cas_rule more[TABLE];
	struct dp_fixture fx;
	struct cas_prefix prefix;
	size_t failed, i;
	__u32 ids[TABLE], id;
	int ok;

	check_case = "killed before the flip";
	dp_open_sized(&fx, "443", TABLE);
	dp_allow(&fx, "198.51.100.1/32", NULL, "a");
	dp_allow(&fx, "198.51.100.2/32", NULL, "b");
	dp_allow(&fx, "2001:db8::/32", NULL, "c");
	/* Slots 3..12 written, half of them published in the spare only. */
	for (i = 3; i < 13; i++) {
		snprintf(text, sizeof(text), "203.0.113.%zu", i);
		write_unpublished(&fx, 1, i, text, i % 2);
	}
	listing(&fx, text, sizeof(text));
	ok = CHECK_STR(text, "3: 0=198.51.100.1/32,1=198.51.100.2/32,2=2001:db8::/32", "listing");
	ok &= CHECK_EQ(metric_rules(&fx), 3, "the exporter's count");
	ok &= CHECK_EQ(cas_rule_free_slots(&fx.maps, ids, 4), 0, "free slots") &
	      CHECK_EQ(ids[0], 3, "an unpublished body's slot is free") & CHECK_EQ(ids[3], 6, "and the next ones");
	ok &= CHECK_EQ(cas_rule_free_slots(&fx.maps, ids, TABLE - 3), 0, "every slot but the live rules' is free");
	ok &= CHECK_EQ(cas_rule_free_slots(&fx.maps, ids, TABLE - 2), -ENOSPC, "and no more");
	cas_parse_prefix("203.0.113.3", &prefix, err);
	ok &= CHECK_EQ(cas_rule_find(&fx.maps, &prefix, &id), -ENOENT, "an unpublished rule is not found");
	ok &= CHECK_EQ(cas_rule_del(&fx.maps, &prefix), -ENOENT, "nor deleted");
	ok &= CHECK_EQ(send_from(&fx, "203.0.113.3"), XDP_DROP, "nor enforced");
	ok &= CHECK_EQ(send_from(&fx, "198.51.100.1"), XDP_PASS, "the live rules are");
	/* Every command works: the same prefixes can be added, all of them. */
	for (i = 0; i < TABLE - 3; i++) {
		char cidr[32];

		snprintf(cidr, sizeof(cidr), "203.0.113.%zu", 3 + i);
		more[i] = rule_of(cidr);
	}
	ok &= CHECK_EQ(cas_rules_add_bulk(&fx.maps, more, TABLE - 3, &failed, err), 0, "the table fills up exactly");
	ok &= CHECK_EQ(metric_rules(&fx), TABLE, "all of them counted");
	ok &= CHECK_EQ(send_from(&fx, "203.0.113.3"), XDP_PASS, "and enforced");
	ok &= CHECK_EQ(cas_rules_add_bulk(&fx.maps, more, 1, &failed, err), -EEXIST, "a second time, refused") &
	      CHECK_EQ(failed, 0, "naming the rule");
	check_record(ok);
	dp_close(&fx);
}

/*
 * A switch killed after its flip: the new generation whole, the old one
 * still holding its prefixes and its bodies.
 */
static void test_killed_after_flip(void)
{
	struct cas_gen_maps spare;
	struct cas_settings settings;
	struct cas_rule add = rule_of("192.0.2.7");
	struct dp_fixture fx;
	char text[512], err[CAS_ERRBUF];
	size_t failed;
	__u32 ids[TABLE];
	int ok;

	check_case = "killed after the flip";
	dp_open_sized(&fx, "443", TABLE);
	dp_allow(&fx, "198.51.100.1/32", NULL, "old1"); /* slots 0, 1: old */
	dp_allow(&fx, "198.51.100.2/32", NULL, "old2");
	/* The new generation (1): its rules in slots 2 and 3, and a flip. */
	cas_settings_read(&fx.maps, &settings);
	cas_gen_maps(&fx.maps, 1, &spare);
	cas_ports_set(spare.ports, &(struct cas_port_list){ 1, { { 443, CAS_PROTO_TCP } } });
	write_unpublished(&fx, 1, 2, "203.0.113.1", true);
	write_unpublished(&fx, 1, 3, "2001:db8:1::/48", true);
	settings.generation = 1;
	cas_settings_write(&fx.maps, &settings);

	listing(&fx, text, sizeof(text));
	ok = CHECK_STR(text, "2: 2=203.0.113.1/32,3=2001:db8:1::/48", "exactly the new rules listed");
	ok &= CHECK_EQ(metric_rules(&fx), 2, "and counted");
	ok &= CHECK_EQ(send_from(&fx, "198.51.100.1"), XDP_DROP, "the old rules are gone");
	ok &= CHECK_EQ(send_from(&fx, "203.0.113.1"), XDP_PASS, "the new ones enforced");
	ok &= CHECK_EQ(cas_rule_free_slots(&fx.maps, ids, TABLE - 2), 0, "the old slots are free") &
	      CHECK_EQ(ids[0], 0, "first of all");
	/* The next switch clears what the old generation still holds. */
	ok &= CHECK_EQ(cas_rules_add_bulk(&fx.maps, &add, 1, &failed, err), 0, "the next change works");
	listing(&fx, text, sizeof(text));
	ok &= CHECK_STR(text, "3: 0=192.0.2.7/32,2=203.0.113.1/32,3=2001:db8:1::/48", "and brings back none of the old rules");
	ok &= CHECK_EQ(send_from(&fx, "198.51.100.2"), XDP_DROP, "nor enforces them");
	ok &= CHECK_EQ(send_from(&fx, "192.0.2.7"), XDP_PASS, "the added rule is enforced");
	check_record(ok);
	dp_close(&fx);
}

/* A switch keeps the slots, counters and buckets of the rules it keeps. */
static void test_switch_keeps_slots(void)
{
	struct cas_rule want[3] = { rule_of("198.51.100.1"), rule_of("198.51.100.3"), rule_of("198.51.100.2") };
	struct cas_gen_switch sw = {};
	struct dp_fixture fx;
	char text[512], err[CAS_ERRBUF];
	struct cas_policy policy = { .syn_rate = 7, .syn_burst = 7 };
	int ok, i;

	check_case = "a switch keeps what it keeps";
	dp_open_sized(&fx, "443", TABLE);
	dp_allow(&fx, "198.51.100.1/32", NULL, NULL);
	dp_allow(&fx, "198.51.100.2/32", NULL, NULL);
	dp_allow(&fx, "198.51.100.9/32", NULL, NULL);
	for (i = 0; i < 3; i++)
		want[i].flags = CAS_RULE_IN_USE;
	want[2].syn_rate = want[2].syn_burst = 5; /* changed */
	ok = CHECK_EQ(cas_gen_switch_read(&fx.maps, &sw), 0, "read");
	ok &= CHECK_EQ(cas_gen_switch_plan(&sw, want, 3, err), 0, "plan");
	ok &= CHECK_EQ(sw.plan.unchanged, 1, "unchanged") & CHECK_EQ(sw.plan.changed, 1, "changed") &
	      CHECK_EQ(sw.plan.added, 1, "added") & CHECK_EQ(sw.plan.removed, 1, "removed");
	ok &= CHECK_EQ(cas_gen_switch_commit(&sw, want, 3, &sw.live_ports, &policy), 0, "commit");
	cas_gen_switch_release(&sw);
	listing(&fx, text, sizeof(text));
	ok &= CHECK_STR(text, "3: 0=198.51.100.1/32,3=198.51.100.3/32,4=198.51.100.2/32", "kept slot 0, fresh slots for the rest");
	ok &= CHECK_EQ(send_from(&fx, "198.51.100.9"), XDP_DROP, "the removed rule is gone");
	ok &= CHECK_EQ(send_from(&fx, "198.51.100.3"), XDP_PASS, "the added one enforced");
	check_record(ok);
	dp_close(&fx);
}

int main(void)
{
	test_killed_before_flip();
	test_killed_after_flip();
	test_switch_keeps_slots();
	return check_summary("unit_generation");
}
