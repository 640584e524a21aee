// SPDX-License-Identifier: GPL-2.0
/*
 * apply.c - the configuration made live, atomically per interface.
 *
 * A packet reads cas_settings.generation once and then uses that
 * generation's ports, prefix maps and policy. `apply` rebuilds the spare
 * generation from scratch, writes the new rule bodies into free slots
 * (unchanged rules keep theirs, so their counters and buckets go on), then
 * flips the generation word: every packet sees the old ruleset or the new
 * one, never a mix. After a grace period (in-flight XDP runs last
 * microseconds) the slots only the old generation used are freed and its
 * prefix maps emptied.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "apply.h"
#include "common.h"
#include "rules.h"

/* Longer than any XDP run, shorter than anyone notices. */
#define CAS_GRACE_US 20000

/* A live rule: its prefix, slot and body. */
struct cas_live_rule {
	struct cas_prefix prefix;
	__u32 id;
	struct cas_rule body;
	bool kept;     /* the new generation uses this slot too */
	bool replaced; /* a rule of the file has its prefix, in a new slot */
};

struct cas_live {
	const struct cas_maps *maps;
	struct cas_live_rule *rules;
	size_t count, capacity;
};

static int cas_live_visit(const struct cas_prefix *prefix, __u32 id, void *ctx)
{
	struct cas_live *live = ctx;
	struct cas_live_rule *rule;

	if (live->count == live->capacity) {
		size_t capacity = live->capacity ? live->capacity * 2 : 64;
		struct cas_live_rule *grown =
			realloc(live->rules, capacity * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		live->rules = grown;
		live->capacity = capacity;
	}
	rule = &live->rules[live->count];
	memset(rule, 0, sizeof(*rule));
	rule->prefix = *prefix;
	rule->id = id;
	if (bpf_map_lookup_elem(live->maps->rules, &id, &rule->body))
		return -errno;
	live->count++;
	return 0;
}

/* By the prefix the generation's map holds. */
static int cas_live_cmp(const void *a, const void *b)
{
	return cas_prefix_order(&((const struct cas_live_rule *)a)->prefix,
				&((const struct cas_live_rule *)b)->prefix);
}

/* The rules of a generation, read from its prefix maps. */
static int cas_live_read(const struct cas_maps *maps,
			 const struct cas_gen_maps *gen, struct cas_live *live)
{
	int err;

	int fds[CAS_PREFIX_MAPS], families[CAS_PREFIX_MAPS], i;

	memset(live, 0, sizeof(*live));
	live->maps = maps;
	cas_gen_prefix_maps(gen, fds, families);
	for (i = 0, err = 0; i < CAS_PREFIX_MAPS && !err; i++)
		err = cas_prefix_map_walk(fds[i], families[i], cas_live_visit,
					  live);
	/* Sorted by prefix, so that matching a file against it is n log n. */
	if (!err && live->count)
		qsort(live->rules, live->count, sizeof(*live->rules),
		      cas_live_cmp);
	return err;
}

/* Empty every prefix map of a generation that packets no longer use. */
static int cas_prefixes_clear(const struct cas_gen_maps *gen)
{
	int fds[CAS_PREFIX_MAPS], families[CAS_PREFIX_MAPS], i, err = 0;

	cas_gen_prefix_maps(gen, fds, families);
	for (i = 0; i < CAS_PREFIX_MAPS && !err; i++)
		err = cas_prefix_map_clear(fds[i]);
	return err;
}

/* The live rule with rule's prefix: live is sorted by cas_live_read. */
static struct cas_live_rule *cas_live_find(struct cas_live *live,
					   const struct cas_rule *rule)
{
	struct cas_live_rule needle;

	cas_rule_prefix(rule, &needle.prefix);
	return bsearch(&needle, live->rules, live->count, sizeof(needle),
		       cas_live_cmp);
}

/* A rule's port list as a mask over the interface's port slots. */
static __u64 cas_config_mask(const struct cas_config_iface *want,
			     const struct cas_port_list *ports)
{
	unsigned int i, j;
	__u64 mask = 0;

	if (!ports->count)
		return CAS_ALL_PORTS;
	for (i = 0; i < ports->count; i++)
		for (j = 0; j < want->ports.count; j++)
			if (want->ports.ports[j].port == ports->ports[i].port &&
			    want->ports.ports[j].proto == ports->ports[i].proto)
				mask |= 1ULL << j;
	return mask;
}

static void cas_report_rule(FILE *report, const char *ifname, char sign,
			    const struct cas_rule *rule)
{
	struct cas_prefix prefix;
	char cidr[64];

	if (!report)
		return;
	cas_rule_prefix(rule, &prefix);
	cas_format_prefix(&prefix, cidr, sizeof(cidr));
	fprintf(report, "%s: %c allow %s%s%s%s\n", ifname, sign, cidr,
		rule->name[0] ? " (" : "", rule->name,
		rule->name[0] ? ")" : "");
}

static int cas_policy_equal(const struct cas_policy *a,
			    const struct cas_policy *b)
{
	return a->monitor == b->monitor && a->syn_rate == b->syn_rate &&
	       a->syn_burst == b->syn_burst && a->hello_rate == b->hello_rate &&
	       a->hello_burst == b->hello_burst && a->min_tls == b->min_tls;
}

static int cas_ports_equal(const struct cas_port_list *a,
			   const struct cas_port_list *b)
{
	unsigned int i;

	if (a->count != b->count)
		return 0;
	for (i = 0; i < a->count; i++)
		if (a->ports[i].port != b->ports[i].port ||
		    a->ports[i].proto != b->ports[i].proto)
			return 0;
	return 1;
}

static void cas_report_ports(FILE *report, const char *ifname,
			     const struct cas_port_list *ports)
{
	unsigned int i;

	fprintf(report, "%s: ports ", ifname);
	for (i = 0; i < ports->count; i++)
		fprintf(report, "%s%u/%s", i ? "," : "", ports->ports[i].port,
			cas_proto_name(ports->ports[i].proto));
	fputc('\n', report);
}

/* The spare generation's prefilter: exactly the prefixes of the file. */
static int cas_spare_prefilter(const struct cas_maps *maps, __u32 gen,
			       const struct cas_config_iface *want)
{
	struct cas_prefix *prefixes;
	size_t i;
	int err;

	prefixes = calloc(want->rule_count + 1, sizeof(*prefixes));
	if (!prefixes)
		return -ENOMEM;
	for (i = 0; i < want->rule_count; i++)
		cas_rule_prefix(&want->rules[i].rule, &prefixes[i]);
	err = cas_prefilter_update(maps, gen, true, prefixes, want->rule_count);
	free(prefixes);
	return err;
}

/*
 * Make the ruleset of one shielded interface (maps open) equal to want.
 * Nothing packets can see changes until the generation flips.
 */
static int cas_apply_ruleset(const struct cas_maps *maps, const char *ifname,
			     const struct cas_config_iface *want, FILE *report,
			     struct cas_apply_counts *counts)
{
	struct cas_policy old_policy, new_policy = {
		.monitor = want->monitor,
		.syn_rate = want->limits.syn_rate,
		.syn_burst = want->limits.syn_burst,
		.hello_rate = want->limits.hello_rate,
		.hello_burst = want->limits.hello_burst,
		.min_tls = want->limits.min_tls,
	};
	struct cas_port_list old_ports;
	struct cas_gen_maps live_gen, spare;
	struct cas_settings settings;
	__u32 *new_ids = NULL, *slots = NULL;
	struct cas_live live = {};
	size_t i, fresh = 0, used = 0, unchanged = 0;
	int err;

	err = cas_settings_read(maps, &settings);
	if (err)
		return err;
	cas_gen_maps(maps, settings.generation, &live_gen);
	cas_gen_maps(maps, settings.generation ^ 1, &spare);
	err = cas_live_read(maps, &live_gen, &live);
	if (!err)
		err = cas_policy_read(maps, live_gen.gen, &old_policy);
	if (!err)
		err = cas_ports_get(live_gen.ports, &old_ports);
	if (err)
		goto out;

	/* Which rules keep their slot, which need a fresh one. */
	new_ids = calloc(want->rule_count + 1, sizeof(*new_ids));
	if (!new_ids) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < want->rule_count; i++) {
		struct cas_rule body = want->rules[i].rule;
		struct cas_live_rule *old;

		body.port_mask = cas_config_mask(want, &want->rules[i].ports);
		body.flags |= CAS_RULE_IN_USE;
		old = cas_live_find(&live, &body);
		if (old && !memcmp(&old->body, &body, sizeof(body))) {
			old->kept = true;
			new_ids[i] = old->id;
			unchanged++;
		} else {
			new_ids[i] = CAS_NO_RULE;
			fresh++;
		}
	}
	slots = calloc(fresh + 1, sizeof(*slots));
	if (!slots) {
		err = -ENOMEM;
		goto out;
	}
	err = cas_rule_free_slots(maps, slots, fresh);
	if (err == -ENOSPC) {
		cas_err("apply: %s holds at most %u rules (load --max-rules): the file needs %zu new slots while the %zu live rules keep theirs until the switch; nothing was changed",
			ifname, settings.max_rules, fresh, live.count);
		err = 1; /* said */
	}
	if (err)
		goto out;

	/* The spare generation, from scratch. */
	err = cas_prefixes_clear(&spare);
	if (!err)
		err = cas_ports_set(spare.ports, &want->ports);
	for (i = 0; i < want->rule_count && !err; i++) {
		struct cas_rule body = want->rules[i].rule;
		struct cas_rule_buckets buckets = {};
		struct cas_live_rule *old;
		struct cas_prefix_key key;
		struct cas_prefix prefix;

		body.port_mask = cas_config_mask(want, &want->rules[i].ports);
		if (new_ids[i] == CAS_NO_RULE) {
			old = cas_live_find(&live, &body);
			/* A changed rule keeps its bucket state. */
			if (old)
				bpf_map_lookup_elem(maps->rule_buckets,
						    &old->id, &buckets);
			new_ids[i] = slots[used++];
			err = cas_rule_prepare_id(maps, new_ids[i], &body,
						  &buckets);
			if (err)
				break;
		}
		cas_rule_prefix(&body, &prefix);
		cas_prefix_key_in(&spare, &prefix, &key);
		if (bpf_map_update_elem(key.map_fd, &key.key, &new_ids[i],
					BPF_NOEXIST))
			err = -errno;
	}
	if (!err)
		err = cas_policy_write(maps, spare.gen, &new_policy);
	if (!err)
		err = cas_spare_prefilter(maps, spare.gen, want);
	if (err) {
		for (i = 0; i < used; i++)
			cas_rule_free_slot(maps, slots[i]);
		goto out;
	}

	/* The flip: one word, and every packet after it sees the new set. */
	settings.generation = spare.gen;
	err = cas_settings_write(maps, &settings);
	if (err) {
		for (i = 0; i < used; i++)
			cas_rule_free_slot(maps, slots[i]);
		goto out;
	}
	usleep(CAS_GRACE_US);
	for (i = 0; i < live.count; i++)
		if (!live.rules[i].kept)
			cas_rule_free_slot(maps, live.rules[i].id);
	cas_prefixes_clear(&live_gen);

	/* What changed: counted once it has happened. */
	counts->unchanged += unchanged;
	for (i = 0; i < want->rule_count; i++) {
		struct cas_rule body = want->rules[i].rule;
		struct cas_live_rule *old = cas_live_find(&live, &body);

		if (old && old->kept)
			continue;
		cas_report_rule(report, ifname, old ? '~' : '+', &body);
		if (old) {
			old->replaced = true;
			counts->changed++;
		} else {
			counts->added++;
		}
	}
	for (i = 0; i < live.count; i++) {
		if (live.rules[i].kept || live.rules[i].replaced)
			continue;
		cas_report_rule(report, ifname, '-', &live.rules[i].body);
		counts->removed++;
	}
	if (report && !cas_ports_equal(&old_ports, &want->ports))
		cas_report_ports(report, ifname, &want->ports);
	if (report && !cas_policy_equal(&old_policy, &new_policy))
		fprintf(report,
			"%s: monitor %s, limits syn %u/s burst %u, hello %u/s burst %u, min TLS %s\n",
			ifname, new_policy.monitor ? "on" : "off",
			new_policy.syn_rate, new_policy.syn_burst,
			new_policy.hello_rate, new_policy.hello_burst,
			cas_tls_version_name(new_policy.min_tls));
out:
	free(live.rules);
	free(new_ids);
	free(slots);
	return err;
}

struct cas_prepare_ctx {
	const struct cas_config_iface *want;
	FILE *report;
	struct cas_apply_counts *counts;
};

static int cas_prepare_new(const struct cas_maps *maps, void *ctx, char *err)
{
	struct cas_prepare_ctx *prepare = ctx;
	int ret;

	ret = cas_apply_ruleset(maps, prepare->want->name, prepare->want,
				prepare->report, prepare->counts);
	if (ret > 0) { /* already said */
		err[0] = '\0';
		return -ECANCELED;
	}
	if (ret)
		snprintf(err, CAS_ERRBUF, "cannot apply the rules of %s: %s",
			 prepare->want->name, strerror(-ret));
	return ret;
}

int cas_apply_config(const struct cas_config *config, bool prune, FILE *report,
		     struct cas_apply_counts *counts)
{
	char(*shielded)[IF_NAMESIZE] = NULL;
	size_t shielded_count = 0, i, j;
	int err, ret = CAS_EXIT_OK;
	char errbuf[CAS_ERRBUF];

	memset(counts, 0, sizeof(*counts));
	err = cas_shielded_list(&shielded, &shielded_count);
	if (err) {
		cas_err("apply: cannot list %s: %s", CAS_PIN_ROOT,
			strerror(-err));
		return CAS_EXIT_FAIL;
	}

	/* Everything that could refuse is checked before anything changes. */
	for (i = 0; i < config->iface_count; i++) {
		const struct cas_config_iface *want = &config->ifaces[i];
		struct cas_settings settings;
		struct cas_iface iface;

		if (!if_nametoindex(want->name)) {
			cas_err("apply: no such interface: %s (nothing was changed)",
				want->name);
			ret = CAS_EXIT_FAIL;
			goto out;
		}
		if (!cas_is_shielded(want->name))
			continue;
		if (cas_iface_open(want->name, &iface, errbuf)) {
			cas_err("apply: %s", errbuf);
			ret = CAS_EXIT_FAIL;
			goto out;
		}
		err = cas_settings_read(&iface.maps, &settings);
		cas_iface_close(&iface);
		if (err || settings.attach_mode != want->mode) {
			cas_err("apply: %s is attached in %s mode, the file says %s: changing the mode needs 'casshield unload %s' first (nothing was changed)",
				want->name, cas_mode_name(settings.attach_mode),
				cas_mode_name(want->mode), want->name);
			ret = CAS_EXIT_FAIL;
			goto out;
		}
	}

	for (i = 0; i < config->iface_count; i++) {
		const struct cas_config_iface *want = &config->ifaces[i];
		struct cas_prepare_ctx ctx = { want, report, counts };

		if (cas_is_shielded(want->name)) {
			struct cas_iface iface;

			if (cas_iface_open(want->name, &iface, errbuf)) {
				cas_err("apply: %s", errbuf);
				ret = CAS_EXIT_FAIL;
				goto out;
			}
			err = cas_apply_ruleset(&iface.maps, want->name, want,
						report, counts);
			cas_iface_close(&iface);
		} else {
			struct cas_load_options opts = {
				.mode = want->mode,
				.monitor = want->monitor,
				.ports = want->ports,
			};

			/* The ruleset goes in before the program is attached. */
			err = cas_shield_load_prepared(want->name, &opts,
						       cas_prepare_new, &ctx,
						       errbuf);
			if (err && errbuf[0])
				cas_err("apply: %s", errbuf);
			if (!err) {
				counts->attached++;
				if (report)
					fprintf(report,
						"%s: attached (%s mode)\n",
						want->name,
						cas_mode_name(want->mode));
			}
		}
		if (err) {
			if (err < 0 && cas_is_shielded(want->name))
				cas_err("apply: cannot apply the rules of %s: %s",
					want->name, strerror(-err));
			/* -ENOEXEC: this kernel cannot run it; retrying won't help. */
			ret = err == -ENOEXEC ? CAS_EXIT_KERNEL : CAS_EXIT_FAIL;
			goto out;
		}
	}

	for (j = 0; prune && j < shielded_count; j++) {
		if (cas_config_find(config, shielded[j]))
			continue;
		if (cas_shield_unload(shielded[j], errbuf)) {
			cas_err("apply: %s", errbuf);
			ret = CAS_EXIT_FAIL;
			goto out;
		}
		counts->unloaded++;
		if (report)
			fprintf(report, "%s: unloaded (not in the file)\n",
				shielded[j]);
	}
out:
	free(shielded);
	return ret;
}

/* A rule's port list from its mask over the interface's ports. */
static void cas_mask_to_ports(__u64 mask, const struct cas_port_list *all,
			      struct cas_port_list *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	if (mask == CAS_ALL_PORTS)
		return;
	for (i = 0; i < all->count; i++)
		if (mask & (1ULL << i))
			out->ports[out->count++] = all->ports[i];
}

static int cas_snapshot_iface(const char *name, struct cas_config_iface *out)
{
	struct cas_gen_maps live_gen;
	struct cas_settings settings;
	struct cas_policy policy;
	struct cas_live live = {};
	char errbuf[CAS_ERRBUF];
	struct cas_iface iface;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (cas_iface_open(name, &iface, errbuf))
		return -EIO;
	err = cas_settings_read(&iface.maps, &settings);
	if (!err) {
		cas_gen_maps(&iface.maps, settings.generation, &live_gen);
		err = cas_policy_read(&iface.maps, live_gen.gen, &policy);
	}
	if (!err)
		err = cas_ports_get(live_gen.ports, &out->ports);
	if (!err)
		err = cas_live_read(&iface.maps, &live_gen, &live);
	cas_iface_close(&iface);
	if (err)
		goto out;
	out->mode = settings.attach_mode;
	out->monitor = policy.monitor;
	out->limits = (struct cas_config_limits){
		policy.syn_rate,    policy.syn_burst, policy.hello_rate,
		policy.hello_burst, policy.min_tls,
	};
	out->rules = calloc(live.count + 1, sizeof(*out->rules));
	if (!out->rules) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < live.count; i++) {
		struct cas_config_rule *rule = &out->rules[i];

		rule->rule = live.rules[i].body;
		rule->rule.flags &= ~CAS_RULE_IN_USE;
		cas_mask_to_ports(live.rules[i].body.port_mask, &out->ports,
				  &rule->ports);
		rule->rule.port_mask = 0;
	}
	out->rule_count = live.count;
out:
	free(live.rules);
	return err;
}

int cas_snapshot_config(struct cas_config *config)
{
	char(*names)[IF_NAMESIZE] = NULL;
	size_t count, i;
	int err;

	memset(config, 0, sizeof(*config));
	snprintf(config->listen, sizeof(config->listen), "%s",
		 CAS_METRICS_DEFAULT_LISTEN);
	err = cas_shielded_list(&names, &count);
	if (err)
		return err;
	config->ifaces = calloc(count + 1, sizeof(*config->ifaces));
	if (!config->ifaces) {
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < count && !err; i++) {
		/* Pins of a deleted interface cannot be restored: skip them. */
		if (!if_nametoindex(names[i]))
			continue;
		err = cas_snapshot_iface(names[i],
					 &config->ifaces[config->iface_count]);
		/* Unloaded meanwhile: nothing to restore. */
		if (err && !cas_is_shielded(names[i])) {
			free(config->ifaces[config->iface_count].rules);
			err = 0;
			continue;
		}
		config->iface_count++;
	}
	free(names);
	if (err)
		cas_config_free(config);
	return err;
}

/* Does the configuration's longest matching rule allow client on port? */
static int cas_config_allows(const struct cas_config_iface *iface,
			     const struct cas_prefix *client, __u16 port)
{
	const struct cas_config_rule *best = NULL;
	unsigned int i, bits = client->family == AF_INET ? 32 : 128;
	size_t r;

	for (r = 0; r < iface->rule_count; r++) {
		const struct cas_rule *rule = &iface->rules[r].rule;
		bool covers = rule->family == client->family;

		for (i = 0; covers && i < rule->prefixlen && i < bits; i++)
			covers = ((rule->addr[i / 8] ^ client->addr[i / 8]) &
				  (0x80 >> (i % 8))) == 0;
		if (covers && (!best || rule->prefixlen > best->rule.prefixlen))
			best = &iface->rules[r];
	}
	if (!best)
		return 0;
	if (!best->ports.count)
		return 1;
	for (i = 0; i < best->ports.count; i++)
		if (best->ports.ports[i].port == port &&
		    best->ports.ports[i].proto == CAS_PROTO_TCP)
			return 1;
	return 0;
}

/* The interface holding addr, or "" if none does. */
static void cas_iface_of(const struct cas_prefix *addr, char *name)
{
	struct ifaddrs *list, *it;

	name[0] = '\0';
	if (getifaddrs(&list))
		return;
	for (it = list; it; it = it->ifa_next) {
		const void *a;

		if (!it->ifa_addr || it->ifa_addr->sa_family != addr->family)
			continue;
		a = addr->family == AF_INET ?
			    (const void *)&((struct sockaddr_in *)it->ifa_addr)
				    ->sin_addr :
			    (const void *)&((struct sockaddr_in6 *)it->ifa_addr)
				    ->sin6_addr;
		if (!memcmp(a, addr->addr, addr->family == AF_INET ? 4 : 16)) {
			snprintf(name, IF_NAMESIZE, "%s", it->ifa_name);
			break;
		}
	}
	freeifaddrs(list);
}

int cas_lockout_check(const struct cas_config *config, char *message,
		      size_t len)
{
	const char *ssh = getenv("SSH_CONNECTION");
	char client_text[64], server_text[64], err[CAS_ERRBUF],
		owner[IF_NAMESIZE];
	struct cas_prefix client, server;
	unsigned int client_port, server_port;
	size_t i;

	if (!ssh || sscanf(ssh, "%63s %u %63s %u", client_text, &client_port,
			   server_text, &server_port) != 4)
		return 0;
	if (cas_parse_prefix(client_text, &client, err) ||
	    cas_parse_prefix(server_text, &server, err) || server_port > 65535)
		return 0;
	/* The session arrives on the interface that holds the server address;
	 * if none does here, every interface of the file is suspect. */
	cas_iface_of(&server, owner);
	for (i = 0; i < config->iface_count; i++) {
		const struct cas_config_iface *iface = &config->ifaces[i];
		bool protected = false;
		unsigned int p;

		if (owner[0] && strcmp(owner, iface->name))
			continue;
		for (p = 0; p < iface->ports.count; p++)
		protected |= iface->ports.ports[p].port == server_port &&
			     iface->ports.ports[p].proto == CAS_PROTO_TCP;
		if (!protected || iface->monitor ||
		    cas_config_allows(iface, &client, server_port))
			continue;
		snprintf(
			message, len,
			"the file protects %u/tcp on %s without allowing %s, the source of this SSH session: it would lock you out (allow it, or use --force)",
			server_port, iface->name, client_text);
		return 1;
	}
	return 0;
}
