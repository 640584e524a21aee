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
#include "generation.h"
#include "rules.h"
#include "shield.h"
#include "synproxy.h"

static void cas_report_rule(FILE *report, const char *ifname, char sign,
			    const struct cas_rule *rule)
{
	struct cas_prefix prefix;
	char cidr[64];

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
	       a->hello_burst == b->hello_burst && a->min_tls == b->min_tls &&
	       a->flags == b->flags && a->synack_rate == b->synack_rate &&
	       a->synack_burst == b->synack_burst && a->mss4 == b->mss4 &&
	       a->mss6 == b->mss6 && a->wscale == b->wscale;
}

static void cas_policy_of(const struct cas_config_iface *want,
			  struct cas_policy *policy)
{
	*policy = (struct cas_policy){
		.monitor = want->monitor,
		.syn_rate = want->limits.syn_rate,
		.syn_burst = want->limits.syn_burst,
		.hello_rate = want->limits.hello_rate,
		.hello_burst = want->limits.hello_burst,
		.min_tls = want->limits.min_tls,
	};
	cas_synproxy_policy(want->name, want->synproxy,
			    want->limits.synack_rate, want->limits.synack_burst,
			    policy);
}

/* The file's rules as the maps hold them: a port mask, in use. */
static struct cas_rule *cas_apply_bodies(const struct cas_config_iface *want)
{
	struct cas_rule *bodies = calloc(want->rule_count + 1, sizeof(*bodies));
	size_t i;

	for (i = 0; bodies && i < want->rule_count; i++) {
		bodies[i] = want->rules[i].rule;
		bodies[i].port_mask =
			cas_port_list_mask(&want->ports, &want->rules[i].ports);
		bodies[i].flags |= CAS_RULE_IN_USE;
	}
	return bodies;
}

/* Report what changed, once it has happened. */
static void cas_ruleset_report(const struct cas_gen_switch *sw,
			       const struct cas_config_iface *want,
			       const struct cas_policy *p, FILE *report,
			       struct cas_apply_counts *counts)
{
	char ports[CAS_PORTS_TEXT];
	size_t i;

	counts->added += sw->plan.added;
	counts->changed += sw->plan.changed;
	counts->unchanged += sw->plan.unchanged;
	counts->removed += sw->plan.removed;
	if (!report)
		return;
	for (i = 0; i < want->rule_count; i++)
		if (sw->plan.steps[i].kind != CAS_PLAN_KEEP)
			cas_report_rule(report, want->name,
					sw->plan.steps[i].kind == CAS_PLAN_ADD ?
						'+' :
						'~',
					&want->rules[i].rule);
	for (i = 0; i < sw->live_count; i++)
		if (sw->plan.fates[i] == CAS_PLAN_REMOVED)
			cas_report_rule(report, want->name, '-',
					&sw->live[i].body);
	if (!cas_port_list_equal(&sw->live_ports, &want->ports)) {
		cas_port_list_format(&want->ports, ",", ports, sizeof(ports));
		fprintf(report, "%s: ports %s\n", want->name, ports);
	}
	if (!cas_policy_equal(&sw->live_policy, p))
		fprintf(report,
			"%s: monitor %s, limits syn %u/s burst %u, hello %u/s burst %u, min TLS %s, SYN proxy %s (SYN-ACKs %u/s burst %u)\n",
			want->name, p->monitor ? "on" : "off", p->syn_rate,
			p->syn_burst, p->hello_rate, p->hello_burst,
			cas_tls_version_name(p->min_tls),
			p->flags & CAS_POLICY_SYN_PROXY ? "on" : "off",
			p->synack_rate, p->synack_burst);
}

/*
 * Make the ruleset of one shielded interface (maps open) equal to want:
 * read, plan, build the spare generation, flip and free (generation.h),
 * report. Nothing packets can see changes before the flip.
 */
static int cas_apply_ruleset(const struct cas_maps *maps,
			     const struct cas_config_iface *want, FILE *report,
			     struct cas_apply_counts *counts, char *err)
{
	struct cas_gen_switch sw = {};
	struct cas_rule *bodies = NULL;
	struct cas_policy policy;
	int ret;

	err[0] = '\0';
	cas_policy_of(want, &policy);
	ret = cas_gen_switch_read(maps, &sw);
	if (!ret && !(bodies = cas_apply_bodies(want)))
		ret = -ENOMEM;
	if (!ret)
		ret = cas_gen_switch_plan(&sw, bodies, want->rule_count, err);
	if (ret == -ENOSPC)
		snprintf(
			err, CAS_ERRBUF,
			"%s holds at most %u rules (load --max-rules): the file needs %zu new slots while the %zu live rules keep theirs until the switch; nothing was changed",
			want->name, sw.table_size, sw.plan.fresh,
			sw.live_count);
	if (!ret)
		ret = cas_gen_switch_commit(&sw, bodies, want->rule_count,
					    &want->ports, &policy);
	if (!ret)
		cas_ruleset_report(&sw, want, &policy, report, counts);
	else if (!err[0])
		snprintf(err, CAS_ERRBUF, "cannot apply the rules of %s: %s",
			 want->name, strerror(-ret));
	free(bodies);
	cas_gen_switch_release(&sw);
	return ret;
}

struct cas_prepare_ctx {
	const struct cas_config_iface *want;
	FILE *report;
	struct cas_apply_counts *counts;
};

static int cas_prepare_new(const struct cas_maps *maps, void *ctx, char *err)
{
	struct cas_prepare_ctx *prepare = ctx;

	return cas_apply_ruleset(maps, prepare->want, prepare->report,
				 prepare->counts, err);
}

/* Everything that could refuse, checked before anything changes. */
static int cas_apply_precheck(const struct cas_config *config, char *err)
{
	struct cas_settings settings;
	struct cas_iface iface;
	size_t i;
	int ret;

	for (i = 0; i < config->iface_count; i++) {
		const struct cas_config_iface *want = &config->ifaces[i];

		if (want->synproxy && (ret = cas_synproxy_supported(err))) {
			snprintf(err + strlen(err), CAS_ERRBUF - strlen(err),
				 " (nothing was changed)");
			return ret == -EOPNOTSUPP ? -ENOEXEC : ret;
		}
		if (!if_nametoindex(want->name)) {
			snprintf(err, CAS_ERRBUF,
				 "no such interface: %s (nothing was changed)",
				 want->name);
			return -ENODEV;
		}
		if (!cas_is_shielded(want->name))
			continue;
		ret = cas_iface_open(want->name, &iface, err);
		if (ret)
			return ret;
		ret = cas_settings_read(&iface.maps, &settings);
		cas_iface_close(&iface);
		if (ret) {
			snprintf(
				err, CAS_ERRBUF,
				"cannot read the settings of %s: %s (nothing was changed)",
				want->name, strerror(-ret));
			return ret;
		}
		if (settings.attach_mode != want->mode) {
			snprintf(
				err, CAS_ERRBUF,
				"%s is attached in %s mode, the file says %s: changing the mode needs 'casshield unload %s' first (nothing was changed)",
				want->name, cas_mode_name(settings.attach_mode),
				cas_mode_name(want->mode), want->name);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/*
 * A shielded interface's ruleset with its SYN proxy table around it: the
 * table goes in before the flip that turns the proxy on (the cookie ACKs
 * the program then passes need SYNPROXY), comes out after the flip that
 * turns it off, and a failed apply takes out a table it put in.
 */
static int cas_apply_synproxy(const struct cas_maps *maps,
			      const struct cas_config_iface *want, FILE *report,
			      struct cas_apply_counts *counts, char *err)
{
	struct cas_policy live, policy;
	char ignored[CAS_ERRBUF];
	int ret;

	ret = cas_policy_read_active(maps, &live);
	if (ret) {
		snprintf(err, CAS_ERRBUF, "cannot read the settings of %s: %s",
			 want->name, strerror(-ret));
		return ret;
	}
	cas_policy_of(want, &policy);
	if (want->synproxy) {
		ret = cas_synproxy_sync(want->name, &want->ports, &policy, err);
		if (ret)
			return ret;
	}
	ret = cas_apply_ruleset(maps, want, report, counts, err);
	if (!ret && !want->synproxy)
		ret = cas_synproxy_sync(want->name, &want->ports, &policy, err);
	else if (ret && want->synproxy && !(live.flags & CAS_POLICY_SYN_PROXY))
		cas_synproxy_remove(want->name, ignored);
	return ret;
}

/* One interface of the file: update it, or attach it with its ruleset. */
static int cas_apply_iface(const struct cas_config_iface *want, FILE *report,
			   struct cas_apply_counts *counts, char *err)
{
	struct cas_prepare_ctx ctx = { want, report, counts };
	struct cas_load_options opts = {
		.mode = want->mode,
		.monitor = want->monitor,
		.ports = want->ports,
	};
	struct cas_iface iface;
	int ret;

	opts.synproxy = want->synproxy;
	if (cas_is_shielded(want->name)) {
		ret = cas_iface_open(want->name, &iface, err);
		if (ret)
			return ret;
		ret = cas_apply_synproxy(&iface.maps, want, report, counts,
					 err);
		cas_iface_close(&iface);
		return ret;
	}
	/* The ruleset goes in before the program is attached. */
	ret = cas_shield_load_prepared(want->name, &opts, cas_prepare_new, &ctx,
				       err);
	if (ret)
		return ret;
	counts->attached++;
	if (report)
		fprintf(report, "%s: attached (%s mode)\n", want->name,
			cas_mode_name(want->mode));
	return 0;
}

/* --prune: unload the shielded interfaces the file does not name. */
static int cas_apply_prune(const struct cas_config *config,
			   char (*shielded)[IF_NAMESIZE], size_t count,
			   FILE *report, struct cas_apply_counts *counts,
			   char *err)
{
	size_t i;
	int ret;

	for (i = 0; i < count; i++) {
		if (cas_config_find(config, shielded[i]))
			continue;
		ret = cas_shield_unload(shielded[i], err);
		if (ret)
			return ret;
		counts->unloaded++;
		if (report)
			fprintf(report, "%s: unloaded (not in the file)\n",
				shielded[i]);
	}
	return 0;
}

int cas_apply_config(const struct cas_config *config, bool prune, FILE *report,
		     struct cas_apply_counts *counts, char *err)
{
	char(*shielded)[IF_NAMESIZE] = NULL;
	size_t shielded_count = 0, i;
	int ret;

	memset(counts, 0, sizeof(*counts));
	err[0] = '\0';
	ret = cas_shielded_list(&shielded, &shielded_count);
	if (ret) {
		snprintf(err, CAS_ERRBUF, "cannot list %s: %s", CAS_PIN_ROOT,
			 strerror(-ret));
		return ret;
	}
	ret = cas_apply_precheck(config, err);
	for (i = 0; !ret && i < config->iface_count; i++)
		ret = cas_apply_iface(&config->ifaces[i], report, counts, err);
	if (!ret && prune)
		ret = cas_apply_prune(config, shielded, shielded_count, report,
				      counts, err);
	free(shielded);
	/* The loader checked the file: an EINVAL here is the kernel's. */
	return ret == -EINVAL ? -EIO : ret;
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

static int cas_snapshot_iface(const char *name, struct cas_config_iface *out,
			      char *errbuf)
{
	const struct cas_policy *policy;
	struct cas_gen_switch live = {};
	struct cas_iface iface;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (cas_iface_open(name, &iface, errbuf))
		return -EIO;
	err = cas_gen_switch_read(&iface.maps, &live);
	cas_iface_close(&iface);
	if (!err &&
	    !(out->rules = calloc(live.live_count + 1, sizeof(*out->rules))))
		err = -ENOMEM;
	if (err) {
		snprintf(errbuf, CAS_ERRBUF, "cannot read the state of %s: %s",
			 name, strerror(-err));
		goto out;
	}
	policy = &live.live_policy;
	out->mode = live.settings.attach_mode;
	out->monitor = policy->monitor;
	out->synproxy = policy->flags & CAS_POLICY_SYN_PROXY;
	out->limits = (struct cas_config_limits){
		.syn_rate = policy->syn_rate,
		.syn_burst = policy->syn_burst,
		.hello_rate = policy->hello_rate,
		.hello_burst = policy->hello_burst,
		.synack_rate = policy->synack_rate,
		.synack_burst = policy->synack_burst,
		.min_tls = policy->min_tls,
	};
	out->ports = live.live_ports;
	for (i = 0; i < live.live_count; i++) {
		struct cas_config_rule *rule = &out->rules[i];

		rule->rule = live.live[i].body;
		rule->rule.flags &= ~CAS_RULE_IN_USE;
		cas_mask_to_ports(live.live[i].body.port_mask, &out->ports,
				  &rule->ports);
		rule->rule.port_mask = 0;
	}
	out->rule_count = live.live_count;
out:
	cas_gen_switch_release(&live);
	return err;
}

int cas_snapshot_config(struct cas_config *config, char *errbuf)
{
	char(*names)[IF_NAMESIZE] = NULL;
	size_t count, i;
	int err;

	memset(config, 0, sizeof(*config));
	snprintf(config->listen, sizeof(config->listen), "%s",
		 CAS_METRICS_DEFAULT_LISTEN);
	err = cas_shielded_list(&names, &count);
	if (err) {
		snprintf(errbuf, CAS_ERRBUF, "cannot list %s: %s", CAS_PIN_ROOT,
			 strerror(-err));
		return err;
	}
	config->ifaces = calloc(count + 1, sizeof(*config->ifaces));
	if (!config->ifaces) {
		free(names);
		snprintf(errbuf, CAS_ERRBUF, "cannot read the live state: %s",
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	for (i = 0; i < count && !err; i++) {
		/* Pins of a deleted interface cannot be restored: skip them. */
		if (!if_nametoindex(names[i]))
			continue;
		err = cas_snapshot_iface(
			names[i], &config->ifaces[config->iface_count], errbuf);
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

int cas_lockout_check(const struct cas_config *config, char *errbuf)
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
			errbuf, CAS_ERRBUF,
			"the file protects %u/tcp on %s without allowing %s, the source of this SSH session: it would lock you out (allow it, or use --force)",
			server_port, iface->name, client_text);
		return -EPERM;
	}
	return 0;
}
