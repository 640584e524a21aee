// SPDX-License-Identifier: GPL-2.0
/* program.c - a model ruleset made true in the program's maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "program.h"
#include "rules.h"

/*
 * An empty bucket: its theoretical arrival time so far ahead (146 years)
 * that "TAT - now > tolerance" holds for any tolerance the fuzzer's
 * empty buckets have (at most 1000 intervals of at most a second), on any
 * clock. A refusal leaves it unchanged. 0 is a full bucket.
 */
#define FZ_FAR_AHEAD (1ULL << 62)

static __u64 bucket_tat(enum model_bucket state)
{
	return state == MODEL_EMPTY ? FZ_FAR_AHEAD : 0;
}

/*
 * An open sketch cell is charged at most a second (one interval at 1/s)
 * per run, and open buckets tolerate 2^31 ms and more: rewritten well
 * before a million runs could matter.
 */
#define FZ_SKETCH_RUNS 1000000

int fz_program_open(struct fz_program *prog)
{
	memset(prog, 0, sizeof(*prog));
	prog->sketch = -1;
	dp_open_sized(&prog->fx, "443", FZ_MAX_RULES);
	prog->cpus = libbpf_num_possible_cpus();
	if (prog->cpus <= 0)
		return prog->cpus ? prog->cpus : -EINVAL;
	prog->scratch = calloc((size_t)FZ_MAX_RULES * prog->cpus,
			       sizeof(struct cas_counter));
	prog->keys = calloc(FZ_MAX_RULES, sizeof(__u32));
	return prog->scratch && prog->keys ? 0 : -ENOMEM;
}

void fz_program_close(struct fz_program *prog)
{
	dp_close(&prog->fx);
	free(prog->scratch);
	free(prog->keys);
}

static void port_list(const struct model_port *ports, unsigned int count,
		      struct cas_port_list *list)
{
	unsigned int i;

	memset(list, 0, sizeof(*list));
	for (i = 0; i < count; i++) {
		list->ports[i].port = ports[i].port;
		list->ports[i].proto = ports[i].proto;
	}
	list->count = count;
}

static void rule_prefix(const struct model_rule *rule,
			struct cas_prefix *prefix)
{
	memset(prefix, 0, sizeof(*prefix));
	prefix->family = rule->family;
	prefix->prefixlen = rule->prefixlen;
	memcpy(prefix->addr, rule->addr, 16);
}

/* The rule's body as the CLI writes it. */
static void rule_body(const struct model_ruleset *set,
		      const struct model_rule *rule, struct cas_rule *body)
{
	struct cas_port_list all, subset;
	struct cas_prefix prefix;

	memset(body, 0, sizeof(*body));
	rule_prefix(rule, &prefix);
	cas_rule_set_prefix(body, &prefix);
	port_list(set->ports, set->port_count, &all);
	port_list(rule->ports, rule->port_count, &subset);
	body->port_mask = cas_port_list_mask(&all, &subset);
	if (rule->match_mac) {
		body->flags |= CAS_RULE_MATCH_MAC;
		memcpy(body->mac, rule->mac, 6);
	}
	if (rule->match_ttl) {
		body->flags |= CAS_RULE_MATCH_TTL;
		body->ttl_min = rule->ttl_min;
		body->ttl_max = rule->ttl_max;
	}
	body->syn_rate = rule->syn.rate;
	body->syn_burst = rule->syn.burst;
	body->source_syn_rate = rule->source_syn.rate;
	body->source_syn_burst = rule->source_syn.burst;
	body->hello_rate = rule->hello.rate;
	body->hello_burst = rule->hello.burst;
}

static int set_rule_buckets(struct fz_program *prog,
			    const struct model_rule *rule)
{
	struct cas_rule_buckets buckets = {
		.syn_tat = bucket_tat(rule->syn.state),
		.hello_tat = bucket_tat(rule->hello.state),
	};

	if (bpf_map_update_elem(prog->fx.maps.rule_buckets, &rule->id, &buckets,
				BPF_ANY))
		return -errno;
	return 0;
}

/* The global buckets and every cell of the per-source sketch. */
static int set_shared_buckets(struct fz_program *prog,
			      const struct model_ruleset *set)
{
	static __u64 cells[CAS_SOURCE_ROWS * CAS_SOURCE_CELLS];
	static __u32 keys[CAS_SOURCE_ROWS * CAS_SOURCE_CELLS];
	struct cas_global_buckets global = {
		.syn_tat = bucket_tat(set->global_syn.state),
		.hello_tat = bucket_tat(set->global_hello.state),
	};
	__u32 i, zero = 0, count = CAS_SOURCE_ROWS * CAS_SOURCE_CELLS;

	if (bpf_map_update_elem(prog->fx.maps.global_buckets, &zero, &global,
				BPF_ANY))
		return -errno;
	/* 1 MiB: only when its state changes, or open cells got charged */
	if (prog->sketch == (int)set->sketch &&
	    (set->sketch == MODEL_EMPTY ||
	     prog->runs_since_sketch < FZ_SKETCH_RUNS))
		return 0;
	prog->sketch = set->sketch;
	prog->runs_since_sketch = 0;
	for (i = 0; i < count; i++) {
		keys[i] = i;
		cells[i] = bucket_tat(set->sketch);
	}
	if (bpf_map_update_batch(prog->fx.maps.source_buckets, keys, cells,
				 &count, NULL))
		return -errno;
	return 0;
}

/*
 * A generation's port table: the library's cas_ports_set the first time
 * (it reads the whole table, 65536 entries), then only the entries of
 * the ports that leave or come, as casshield.h lays them out.
 */
static int write_ports(struct fz_program *prog, const struct cas_gen_maps *gen,
		       const struct model_ruleset *set)
{
	unsigned int i, j, g = gen->gen & 1;

	if (!prog->ports_known[g]) {
		struct cas_port_list all;
		int err;

		port_list(set->ports, set->port_count, &all);
		err = cas_ports_set(gen->ports, &all);
		if (err)
			return err;
	} else {
		for (i = 0; i < prog->port_count[g] + set->port_count; i++) {
			__u32 port = i < prog->port_count[g] ?
					     prog->ports[g][i].port :
					     set->ports[i - prog->port_count[g]]
						     .port;
			struct cas_port_slots slots = {};

			for (j = 0; j < set->port_count; j++)
				if (set->ports[j].port == port)
					slots.slot_plus_one[set->ports[j]
								    .proto] =
						j + 1;
			if (bpf_map_update_elem(gen->ports, &port, &slots,
						BPF_ANY))
				return -errno;
		}
	}
	prog->ports_known[g] = true;
	prog->port_count[g] = set->port_count;
	memcpy(prog->ports[g], set->ports, sizeof(prog->ports[g]));
	return 0;
}

static int clear_prefixes(const struct cas_gen_maps *gen)
{
	int fds[CAS_PREFIX_MAPS], families[CAS_PREFIX_MAPS], i, err = 0;

	cas_gen_prefix_maps(gen, fds, families);
	for (i = 0; i < CAS_PREFIX_MAPS && !err; i++)
		err = cas_prefix_map_clear(fds[i]);
	return err;
}

int fz_program_apply(struct fz_program *prog, struct model_ruleset *set)
{
	const struct cas_maps *maps = &prog->fx.maps;
	static struct cas_prefix prefixes[MODEL_MAX_RULES];
	__u32 ids[MODEL_MAX_RULES];
	struct cas_policy policy = {
		.monitor = set->monitor,
		.syn_rate = set->global_syn.rate,
		.syn_burst = set->global_syn.burst,
		.hello_rate = set->global_hello.rate,
		.hello_burst = set->global_hello.burst,
		.min_tls = set->min_tls,
	};
	struct cas_settings settings;
	struct cas_gen_maps spare, old;
	unsigned int i;
	int err;

	err = cas_settings_read(maps, &settings);
	if (err)
		return err;
	cas_gen_maps(maps, settings.generation, &old);
	cas_gen_maps(maps, settings.generation ^ 1, &spare);
	err = clear_prefixes(&spare);
	if (!err)
		err = write_ports(prog, &spare, set);
	if (!err)
		err = cas_rule_free_slots(maps, ids, set->rule_count);
	for (i = 0; i < set->rule_count && !err; i++) {
		struct model_rule *rule = &set->rules[i];
		struct cas_rule_buckets buckets = {
			.syn_tat = bucket_tat(rule->syn.state),
			.hello_tat = bucket_tat(rule->hello.state),
		};
		struct cas_prefix_key key;
		struct cas_rule body;

		rule->id = ids[i];
		rule_body(set, rule, &body);
		err = cas_rule_prepare_id(maps, rule->id, &body, &buckets);
		if (err)
			break;
		rule_prefix(rule, &prefixes[i]);
		cas_prefix_key_in(&spare, &prefixes[i], &key);
		if (bpf_map_update_elem(key.map_fd, &key.key, &rule->id,
					BPF_NOEXIST))
			err = -errno;
	}
	if (!err)
		err = cas_policy_write(maps, spare.gen, &policy);
	if (!err)
		err = cas_prefilter_update(maps, spare.gen, true, prefixes,
					   set->rule_count);
	if (err)
		return err;
	/* The flip; then the old generation's slots and prefixes go. */
	settings.generation = spare.gen;
	err = cas_settings_write(maps, &settings);
	if (err)
		return err;
	for (i = 0; i < prog->live_count; i++)
		cas_rule_free_slot(maps, prog->live_ids[i]);
	for (i = 0; i < set->rule_count; i++)
		prog->live_ids[i] = set->rules[i].id;
	prog->live_count = set->rule_count;
	err = clear_prefixes(&old);
	return err ? err : set_shared_buckets(prog, set);
}

int fz_program_add(struct fz_program *prog, struct model_ruleset *set,
		   const struct model_rule *rule)
{
	struct model_rule *added = &set->rules[set->rule_count];
	struct cas_rule body;
	int err;

	if (set->rule_count == MODEL_MAX_RULES ||
	    prog->live_count == FZ_MAX_RULES)
		return -ENOSPC;
	*added = *rule;
	rule_body(set, added, &body);
	err = cas_rule_add(&prog->fx.maps, &body, &added->id);
	if (!err)
		err = set_rule_buckets(prog, added);
	if (err)
		return err;
	prog->live_ids[prog->live_count++] = added->id;
	set->rule_count++;
	return 0;
}

int fz_program_del(struct fz_program *prog, struct model_ruleset *set,
		   unsigned int index)
{
	struct cas_prefix prefix;
	unsigned int i;
	int err;

	rule_prefix(&set->rules[index], &prefix);
	err = cas_rule_del(&prog->fx.maps, &prefix);
	if (err)
		return err;
	for (i = 0; i < prog->live_count; i++)
		if (prog->live_ids[i] == set->rules[index].id)
			prog->live_ids[i] = prog->live_ids[--prog->live_count];
	set->rules[index] = set->rules[--set->rule_count];
	return 0;
}

__u32 fz_program_run(struct fz_program *prog, const __u8 *frame, size_t len)
{
	prog->runs_since_sketch++;
	return dp_run(&prog->fx, frame, len);
}

/* A per-CPU array's first count counters, summed, in one or a few calls. */
static int read_percpu(struct fz_program *prog, int fd, __u32 count,
		       struct cas_counter *out)
{
	struct cas_counter *values = prog->scratch;
	__u32 done = 0, batch, i, out_batch;
	int cpu, err;

	memset(out, 0, count * sizeof(*out));
	while (done < count) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 in_batch = done;

		batch = count - done;
		err = bpf_map_lookup_batch(fd, done ? &in_batch : NULL,
					   &out_batch, prog->keys, values,
					   &batch, &opts);
		if (err && errno != ENOENT)
			return -errno;
		for (i = 0; i < batch; i++) {
			__u32 key = prog->keys[i];

			if (key >= count)
				continue;
			for (cpu = 0; cpu < prog->cpus; cpu++) {
				out[key].packets +=
					values[i * prog->cpus + cpu].packets;
				out[key].bytes +=
					values[i * prog->cpus + cpu].bytes;
			}
		}
		if (err || !batch) /* ENOENT: the map's end */
			break;
		done += batch;
	}
	return 0;
}

int fz_program_counters(struct fz_program *prog, __u32 rule_limit,
			struct fz_counters *out)
{
	int err;

	if (rule_limit > FZ_MAX_RULES)
		rule_limit = FZ_MAX_RULES;
	err = read_percpu(prog, prog->fx.maps.stats, CAS_STATS_SLOTS,
			  out->stats);
	if (!err && rule_limit)
		err = read_percpu(prog, prog->fx.maps.rule_stats, rule_limit,
				  out->rules);
	return err;
}
