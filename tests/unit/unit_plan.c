// SPDX-License-Identifier: GPL-2.0
/*
 * unit_plan.c - the plan of an apply (user/lib/plan.c), table-driven and
 * without root or a kernel: live rules and wanted rules in, what happens
 * to each out (keep, change, add; kept, replaced, removed), the counts,
 * and the refusals (a table too small for the switch, a prefix twice);
 * and the fresh slots a switch takes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "plan.h"
#include "rules.h"

#define MAX_SIDE 8

/* A rule of a row: its prefix and what may tell two bodies apart. */
struct row_rule {
	const char *cidr; /* NULL ends the list */
	__u32 syn_rate;
	const char *name;
	bool no_in_use; /* written without CAS_RULE_IN_USE */
};

struct row {
	const char *name;
	struct row_rule live[MAX_SIDE]; /* live[i] has slot 100 + i */
	struct row_rule want[MAX_SIDE];
	__u32 max_rules;
	int ret;
	const char *kinds; /* per wanted rule: K keep, C change, A add */
	const char *fates; /* per live rule: k kept, r replaced, - removed */
	size_t added, changed, unchanged, removed, fresh, free;
	size_t dup, first;   /* -EEXIST */
	const char *message; /* in the error, for a refusal */
};

static const struct row rows[] = {
	{ "nothing to nothing", {}, {}, 16, 0, "", "", .free = 16 },
	{ "add to an empty table", {}, { { "198.51.100.1" }, { "2001:db8::/32" } }, 16, 0, "AA", "", .added = 2, .fresh = 2, .free = 16 },
	{ "remove everything", { { "198.51.100.1" }, { "2001:db8:1::/48" } }, {}, 16, 0, "", "--", .removed = 2, .free = 14 },
	{ "unchanged keeps the slots", { { "198.51.100.1", 0, "proxy" }, { "2001:db8::1" } }, { { "2001:db8::1" }, { "198.51.100.1", 0, "proxy" } }, 16, 0, "KK", "kk", .unchanged = 2, .free = 14 },
	{ "a changed limit is a change", { { "198.51.100.0/24" } }, { { "198.51.100.0/24", 10 } }, 16, 0, "C", "r", .changed = 1, .fresh = 1, .free = 15 },
	{ "a changed name is a change", { { "198.51.100.0/24", 0, "old" } }, { { "198.51.100.0/24", 0, "new" } }, 16, 0, "C", "r", .changed = 1, .fresh = 1, .free = 15 },
	{ "the in-use flag is no difference", { { "198.51.100.7" } }, { { "198.51.100.7", 0, NULL, true } }, 16, 0, "K", "k", .unchanged = 1, .free = 15 },
	{ "add, change, keep, remove at once", { { "198.51.100.1" }, { "198.51.100.2" }, { "198.51.100.3" } }, { { "198.51.100.3", 5 }, { "198.51.100.4" }, { "198.51.100.1" } }, 16, 0, "CAK", "k-r", .added = 1, .changed = 1, .unchanged = 1, .removed = 1, .fresh = 2, .free = 13 },
	{ "another length is another prefix", { { "10.0.0.0/16" } }, { { "10.0.0.0/24" } }, 16, 0, "A", "-", .added = 1, .removed = 1, .fresh = 1, .free = 15 },
	{ "another family is another prefix", { { "::/0" } }, { { "0.0.0.0/0" } }, 16, 0, "A", "-", .added = 1, .removed = 1, .fresh = 1, .free = 15 },
	{ "a bare address is its host prefix", { { "198.51.100.9/32" } }, { { "198.51.100.9" } }, 16, 0, "K", "k", .unchanged = 1, .free = 15 },
	{ "capacity: exactly full", { { "198.51.100.1" }, { "198.51.100.2" } }, { { "198.51.100.1" }, { "198.51.100.2" }, { "198.51.100.3" }, { "198.51.100.4" } }, 4, 0, "KKAA", "kk", .added = 2, .unchanged = 2, .fresh = 2, .free = 2 },
	{ "capacity: refused, new rules beside the live ones", { { "198.51.100.1" }, { "198.51.100.2" }, { "198.51.100.3" } }, { { "198.51.100.11" }, { "198.51.100.12" } }, 4, -ENOSPC, .fresh = 2, .free = 1, .message = "need 2 new slots and 1 are free" },
	{ "capacity: a change needs a slot too", { { "198.51.100.1" }, { "198.51.100.2" } }, { { "198.51.100.1", 7 }, { "198.51.100.2" } }, 2, -ENOSPC, .fresh = 1, .free = 0, .message = "need 1 new slots and 0 are free" },
	{ "capacity: removals free nothing before the switch", { { "198.51.100.1" }, { "198.51.100.2" }, { "198.51.100.3" } }, { { "198.51.100.4" } }, 3, -ENOSPC, .fresh = 1, .free = 0 },
	{ "capacity: a full table that changes nothing", { { "198.51.100.1" }, { "198.51.100.2" } }, { { "198.51.100.2" }, { "198.51.100.1" } }, 2, 0, "KK", "kk", .unchanged = 2 },
	{ "duplicates: wanted twice", {}, { { "198.51.100.1" }, { "198.51.100.2" }, { "198.51.100.1", 3 } }, 16, -EEXIST, .dup = 2, .first = 0, .message = "wanted rule 2 has the prefix 198.51.100.1/32 of wanted rule 0" },
	{ "duplicates: the first repeat in order", {}, { { "198.51.100.1" }, { "198.51.100.2" }, { "198.51.100.2/32" }, { "198.51.100.1" } }, 16, -EEXIST, .dup = 2, .first = 1 },
	{ "duplicates: IPv6 spelled two ways", {}, { { "2001:db8::1" }, { "2001:0db8:0::1/128" } }, 16, -EEXIST, .dup = 1, .first = 0 },
	{ "duplicates: in the live rules", { { "198.51.100.1" }, { "198.51.100.1" } }, { { "198.51.100.1" } }, 16, -EEXIST, .dup = 1, .first = 0, .message = "live rule 1" },
	{ "duplicates refused before capacity", {}, { { "198.51.100.1" }, { "198.51.100.1" } }, 1, -EEXIST, .dup = 1, .first = 0 },
};

static size_t row_rules(const struct row_rule *spec, struct cas_rule *out)
{
	char err[CAS_ERRBUF];
	size_t n;

	for (n = 0; n < MAX_SIDE && spec[n].cidr; n++) {
		struct cas_prefix prefix;

		memset(&out[n], 0, sizeof(out[n]));
		if (cas_parse_prefix(spec[n].cidr, &prefix, err)) {
			fprintf(stderr, "unit_plan: bad row CIDR %s: %s\n",
				spec[n].cidr, err);
			exit(2);
		}
		cas_rule_set_prefix(&out[n], &prefix);
		out[n].port_mask = CAS_ALL_PORTS;
		out[n].flags = spec[n].no_in_use ? 0 : CAS_RULE_IN_USE;
		out[n].syn_rate = out[n].syn_burst = spec[n].syn_rate;
		if (spec[n].name)
			snprintf(out[n].name, sizeof(out[n].name), "%s",
				 spec[n].name);
	}
	return n;
}

static char kind_letter(enum cas_plan_kind kind)
{
	return kind == CAS_PLAN_KEEP ? 'K' : kind == CAS_PLAN_CHANGE ? 'C' : 'A';
}

static char fate_letter(enum cas_plan_fate fate)
{
	return fate == CAS_PLAN_KEPT ? 'k' : fate == CAS_PLAN_REPLACED ? 'r' : '-';
}

/* Steps agree with the live rules: a kept rule's slot, a paired prefix. */
static int check_steps(const struct cas_plan *plan,
		       const struct cas_plan_live *live, size_t live_count,
		       const struct cas_rule *want, size_t want_count)
{
	int ok = 1;
	size_t i;

	for (i = 0; i < want_count; i++) {
		const struct cas_plan_step *step = &plan->steps[i];

		if (step->kind == CAS_PLAN_ADD) {
			ok &= CHECK_EQ(step->live, CAS_PLAN_NONE, "an added rule has no live rule");
			ok &= CHECK_EQ(step->id, CAS_NO_RULE, "an added rule has no slot yet");
			continue;
		}
		ok &= CHECK_EQ(step->live < live_count, 1, "a paired rule names a live rule");
		if (step->live >= live_count)
			continue;
		ok &= CHECK_EQ(cas_rule_prefix_order(&live[step->live].body, &want[i]), 0, "paired by prefix");
		ok &= CHECK_EQ(step->id, step->kind == CAS_PLAN_KEEP ? live[step->live].id : CAS_NO_RULE, "slot");
	}
	return ok;
}

static int check_plan(const struct row *row, const struct cas_plan *plan,
		      const struct cas_plan_live *live, size_t live_count,
		      const struct cas_rule *want, size_t want_count)
{
	char kinds[MAX_SIDE + 1] = "", fates[MAX_SIDE + 1] = "";
	size_t i;
	int ok;

	for (i = 0; i < want_count; i++)
		kinds[i] = kind_letter(plan->steps[i].kind);
	for (i = 0; i < live_count; i++)
		fates[i] = fate_letter(plan->fates[i]);
	ok = CHECK_STR(kinds, row->kinds, "kinds");
	ok &= CHECK_STR(fates, row->fates, "fates");
	ok &= CHECK_EQ(plan->added, row->added, "added");
	ok &= CHECK_EQ(plan->changed, row->changed, "changed");
	ok &= CHECK_EQ(plan->unchanged, row->unchanged, "unchanged");
	ok &= CHECK_EQ(plan->removed, row->removed, "removed");
	ok &= check_steps(plan, live, live_count, want, want_count);
	return ok;
}

static void run_row(const struct row *row)
{
	struct cas_rule live_bodies[MAX_SIDE], want[MAX_SIDE];
	struct cas_plan_live live[MAX_SIDE];
	size_t live_count, want_count, i;
	char err[CAS_ERRBUF] = "";
	struct cas_plan plan;
	int ok, ret;

	check_case = row->name;
	live_count = row_rules(row->live, live_bodies);
	want_count = row_rules(row->want, want);
	for (i = 0; i < live_count; i++) {
		live[i].id = 100 + i;
		live[i].body = live_bodies[i];
	}
	ret = cas_plan_ruleset(live, live_count, want, want_count,
			       row->max_rules, &plan, err);
	ok = CHECK_EQ(ret, row->ret, "result");
	if (!ret && !row->ret)
		ok &= check_plan(row, &plan, live, live_count, want, want_count);
	if (row->ret == -ENOSPC || row->ret == 0)
		ok &= CHECK_EQ(plan.fresh, row->fresh, "fresh slots") &
		      CHECK_EQ(plan.free, row->free, "free slots");
	if (row->ret == -EEXIST)
		ok &= CHECK_EQ(plan.dup, row->dup, "duplicate") &
		      CHECK_EQ(plan.first, row->first, "its first");
	if (row->ret)
		ok &= CHECK_EQ(plan.steps == NULL && plan.fates == NULL, 1, "a refusal leaves nothing allocated");
	if (row->message && !strstr(err, row->message)) {
		fprintf(stderr, "FAIL %s: error '%s' lacks '%s'\n", row->name, err, row->message);
		ok = 0;
	}
	if (!ret)
		cas_plan_free(&plan);
	check_record(ok);
}

/* The plan leaves its inputs as they were: it is a function, not an act. */
static void test_inputs_untouched(void)
{
	struct cas_rule live_bodies[MAX_SIDE], want[MAX_SIDE], want_copy[MAX_SIDE];
	const struct row *row = &rows[7]; /* add, change, keep, remove */
	struct cas_plan_live live[MAX_SIDE], live_copy[MAX_SIDE];
	size_t live_count, want_count, i;
	char err[CAS_ERRBUF];
	struct cas_plan plan;
	int ok;

	check_case = "the inputs are not changed";
	live_count = row_rules(row->live, live_bodies);
	want_count = row_rules(row->want, want);
	for (i = 0; i < live_count; i++) {
		live[i].id = 7 - i;
		live[i].body = live_bodies[i];
	}
	memcpy(live_copy, live, sizeof(live));
	memcpy(want_copy, want, sizeof(want));
	ok = CHECK_EQ(cas_plan_ruleset(live, live_count, want, want_count, 16, &plan, err), 0, "planned");
	ok &= CHECK_EQ(memcmp(live, live_copy, sizeof(live)), 0, "live rules");
	ok &= CHECK_EQ(memcmp(want, want_copy, sizeof(want)), 0, "wanted rules");
	ok &= CHECK_EQ(plan.steps[2].id, 7, "the kept rule keeps its own slot, whatever the order");
	cas_plan_free(&plan);
	check_record(ok);
}

/* A large plan: pairing is by sorted prefix, not pairwise. */
static void test_large(void)
{
	size_t n = 200000, i;
	struct cas_plan_live *live = calloc(n, sizeof(*live));
	struct cas_rule *want = calloc(n, sizeof(*want));
	char err[CAS_ERRBUF];
	struct cas_plan plan;
	int ok;

	check_case = "200,000 rules, every other one changed";
	if (!live || !want)
		exit(2);
	for (i = 0; i < n; i++) {
		live[i].id = i;
		live[i].body.family = AF_INET;
		live[i].body.prefixlen = 32;
		live[i].body.flags = CAS_RULE_IN_USE;
		live[i].body.addr[0] = 10;
		live[i].body.addr[1] = i >> 16;
		live[i].body.addr[2] = i >> 8;
		live[i].body.addr[3] = i;
		want[n - 1 - i] = live[i].body;
		want[n - 1 - i].syn_rate = i % 2;
	}
	ok = CHECK_EQ(cas_plan_ruleset(live, n, want, n, 2 * n, &plan, err), 0, "planned");
	ok &= CHECK_EQ(plan.unchanged, n / 2, "unchanged") &
	      CHECK_EQ(plan.changed, n / 2, "changed") &
	      CHECK_EQ(plan.added, 0, "added") & CHECK_EQ(plan.removed, 0, "removed");
	ok &= CHECK_EQ(plan.steps[n - 1].id, 0, "the last wanted rule is live rule 0");
	cas_plan_free(&plan);
	free(live);
	free(want);
	check_record(ok);
}

/*
 * The fresh slots: the lowest ids no live rule holds, whatever the bodies
 * say (a slot a killed change wrote but never published is free).
 */
static void test_free_ids(void)
{
	static const struct {
		const char *name;
		__u32 used[8];
		size_t used_count;
		__u32 max_rules;
		size_t want;
		int ret;
		const char *ids; /* the ids found, comma-separated */
	} cases[] = {
		{ "an empty table", {}, 0, 8, 3, 0, "0,1,2" },
		{ "the gaps first", { 0, 2, 3, 6 }, 4, 8, 3, 0, "1,4,5" },
		{ "up to the last slot", { 0, 1, 2, 3, 4, 5 }, 6, 8, 2, 0, "6,7" },
		{ "one slot short", { 0, 1, 2, 3, 4, 5 }, 6, 8, 3, -ENOSPC },
		{ "a full table", { 0, 1, 2, 3 }, 4, 4, 1, -ENOSPC },
		{ "nothing wanted of a full table", { 0, 1, 2, 3 }, 4, 4, 0, 0, "" },
		{ "ids past the table are no slots", { 1, 9 }, 2, 4, 3, 0, "0,2,3" },
	};
	size_t i, j;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		__u32 ids[8];
		char text[64] = "";
		int ok;

		check_case = cases[i].name;
		ok = CHECK_EQ(cas_plan_free_ids(cases[i].used, cases[i].used_count, cases[i].max_rules, ids, cases[i].want), cases[i].ret, "result");
		if (!cases[i].ret) {
			for (j = 0; j < cases[i].want; j++)
				snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%u", j ? "," : "", ids[j]);
			ok &= CHECK_STR(text, cases[i].ids, "ids");
		}
		check_record(ok);
	}
}

int main(void)
{
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(rows); i++)
		run_row(&rows[i]);
	test_inputs_untouched();
	test_large();
	test_free_ids();
	return check_summary("unit_plan");
}
