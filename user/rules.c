// SPDX-License-Identifier: GPL-2.0
/* rules.c - allow rules: add, delete, find, list. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "common.h"
#include "rules.h"

void cas_rule_prefix(const struct cas_rule *rule, struct cas_prefix *prefix)
{
	memset(prefix, 0, sizeof(*prefix));
	prefix->family = rule->family;
	prefix->prefixlen = rule->prefixlen;
	memcpy(prefix->addr, rule->addr, sizeof(prefix->addr));
}

void cas_rule_set_prefix(struct cas_rule *rule, const struct cas_prefix *prefix)
{
	rule->family = prefix->family;
	rule->prefixlen = prefix->prefixlen;
	memcpy(rule->addr, prefix->addr, sizeof(rule->addr));
}

void cas_rule_label(const struct cas_rule *rule, char *buf, size_t len)
{
	struct cas_prefix prefix;

	if (rule->name[0]) {
		snprintf(buf, len, "%.*s", CAS_RULE_NAME_LEN, rule->name);
		return;
	}
	cas_rule_prefix(rule, &prefix);
	cas_format_prefix(&prefix, buf, len);
}

/* The trie and key for a prefix: keys are the LPM layouts of casshield.h. */
struct cas_trie_key {
	int map_fd;
	union {
		struct cas_lpm_v4 v4;
		struct cas_lpm_v6 v6;
	};
};

static void cas_trie_key(const struct cas_maps *maps,
			 const struct cas_prefix *prefix,
			 struct cas_trie_key *key)
{
	memset(key, 0, sizeof(*key));
	if (prefix->family == AF_INET) {
		key->map_fd = maps->rules_v4;
		key->v4.prefixlen = prefix->prefixlen;
		memcpy(key->v4.addr, prefix->addr, 4);
	} else {
		key->map_fd = maps->rules_v6;
		key->v6.prefixlen = prefix->prefixlen;
		memcpy(key->v6.addr, prefix->addr, 16);
	}
}

int cas_rule_find(const struct cas_maps *maps, const struct cas_prefix *prefix,
		  __u32 *id)
{
	struct cas_trie_key key;
	struct cas_rule rule;
	__u32 found;

	/*
	 * An LPM lookup returns the longest prefix covering the key; when an
	 * exact entry exists it is that one, so compare the rule's prefix.
	 */
	cas_trie_key(maps, prefix, &key);
	if (bpf_map_lookup_elem(key.map_fd, &key.v4, &found))
		return errno == ENOENT ? -ENOENT : -errno;
	if (bpf_map_lookup_elem(maps->rules, &found, &rule))
		return -errno;
	if (!(rule.flags & CAS_RULE_IN_USE) || rule.family != prefix->family ||
	    rule.prefixlen != prefix->prefixlen ||
	    memcmp(rule.addr, prefix->addr, sizeof(rule.addr)))
		return -ENOENT;
	*id = found;
	return 0;
}

static int cas_rule_free_id(const struct cas_maps *maps, __u32 *id)
{
	struct cas_settings settings;
	__u32 candidate;
	int err;

	err = cas_settings_read(maps, &settings);
	if (err)
		return err;
	for (candidate = 0; candidate < settings.max_rules; candidate++) {
		struct cas_rule rule;

		if (bpf_map_lookup_elem(maps->rules, &candidate, &rule))
			return -errno;
		if (!(rule.flags & CAS_RULE_IN_USE)) {
			*id = candidate;
			return 0;
		}
	}
	return -ENOSPC;
}

static int cas_rule_stats_clear(const struct cas_maps *maps, __u32 id)
{
	int cpus = libbpf_num_possible_cpus();
	struct cas_counter *zeros;
	int err = 0;

	if (cpus < 0)
		return cpus;
	zeros = calloc(cpus, sizeof(*zeros));
	if (!zeros)
		return -ENOMEM;
	if (bpf_map_update_elem(maps->rule_stats, &id, zeros, BPF_ANY))
		err = -errno;
	free(zeros);
	return err;
}

/* Body, counters and buckets of a fresh slot, before anything points at it. */
static int cas_rule_prepare(const struct cas_maps *maps,
			    const struct cas_rule *rule, __u32 *id,
			    const struct cas_rule_buckets *buckets)
{
	struct cas_rule body = *rule;
	int err;

	err = cas_rule_free_id(maps, id);
	if (!err)
		err = cas_rule_stats_clear(maps, *id);
	if (err)
		return err;
	if (bpf_map_update_elem(maps->rule_buckets, id, buckets, BPF_ANY))
		return -errno;
	body.flags |= CAS_RULE_IN_USE;
	if (bpf_map_update_elem(maps->rules, id, &body, BPF_ANY))
		return -errno;
	return 0;
}

static void cas_rule_release(const struct cas_maps *maps, __u32 id)
{
	struct cas_rule unused = {};

	bpf_map_update_elem(maps->rules, &id, &unused, BPF_ANY);
}

int cas_rule_add(const struct cas_maps *maps, const struct cas_rule *rule,
		 __u32 *id)
{
	const struct cas_rule_buckets full = {};
	struct cas_prefix prefix;
	struct cas_trie_key key;
	__u32 existing;
	int err;

	cas_rule_prefix(rule, &prefix);
	err = cas_rule_find(maps, &prefix, &existing);
	if (!err)
		return -EEXIST;
	if (err != -ENOENT)
		return err;
	/* Body, fresh counters and full buckets first; the prefix last. */
	err = cas_rule_prepare(maps, rule, id, &full);
	if (err)
		return err;
	cas_trie_key(maps, &prefix, &key);
	if (bpf_map_update_elem(key.map_fd, &key.v4, id, BPF_NOEXIST)) {
		err = -errno;
		cas_rule_release(maps, *id);
		return err;
	}
	return 0;
}

/*
 * A rule's body cannot be rewritten in place (a packet could read half of
 * it), so the new body goes to a fresh slot, with the old slot's bucket
 * state, and the trie entry is switched to it in one update: every packet
 * sees either the old rule or the new one.
 */
int cas_rule_replace(const struct cas_maps *maps, const struct cas_rule *rule,
		     __u32 *id)
{
	struct cas_rule_buckets buckets;
	struct cas_prefix prefix;
	struct cas_trie_key key;
	__u32 old_id;
	int err;

	cas_rule_prefix(rule, &prefix);
	err = cas_rule_find(maps, &prefix, &old_id);
	if (err)
		return err;
	if (bpf_map_lookup_elem(maps->rule_buckets, &old_id, &buckets))
		return -errno;
	err = cas_rule_prepare(maps, rule, id, &buckets);
	if (err)
		return err;
	cas_trie_key(maps, &prefix, &key);
	if (bpf_map_update_elem(key.map_fd, &key.v4, id, BPF_EXIST)) {
		err = -errno;
		cas_rule_release(maps, *id);
		return err;
	}
	cas_rule_release(maps, old_id);
	return 0;
}

int cas_rule_del(const struct cas_maps *maps, const struct cas_prefix *prefix)
{
	struct cas_trie_key key;
	__u32 id;
	int err;

	err = cas_rule_find(maps, prefix, &id);
	if (err)
		return err;
	/* Withdraw the prefix first; then the body can no longer be reached. */
	cas_trie_key(maps, prefix, &key);
	if (bpf_map_delete_elem(key.map_fd, &key.v4))
		return -errno;
	cas_rule_release(maps, id);
	return 0;
}

int cas_rules_list(const struct cas_maps *maps,
		   struct cas_rule_entry **entries, size_t *count)
{
	struct cas_rule_entry *list = NULL;
	struct cas_settings settings;
	size_t used = 0, capacity = 0;
	__u32 id;
	int err;

	*entries = NULL;
	*count = 0;
	err = cas_settings_read(maps, &settings);
	if (err)
		return err;
	for (id = 0; id < settings.max_rules; id++) {
		struct cas_rule rule;

		if (bpf_map_lookup_elem(maps->rules, &id, &rule)) {
			err = -errno;
			goto fail;
		}
		if (!(rule.flags & CAS_RULE_IN_USE))
			continue;
		if (used == capacity) {
			struct cas_rule_entry *grown;

			capacity = capacity ? capacity * 2 : 16;
			grown = realloc(list, capacity * sizeof(*list));
			if (!grown) {
				err = -ENOMEM;
				goto fail;
			}
			list = grown;
		}
		list[used].id = id;
		list[used].rule = rule;
		err = cas_counter_sum(maps->rule_stats, id, &list[used].hits);
		if (err)
			goto fail;
		used++;
	}
	*entries = list;
	*count = used;
	return 0;
fail:
	free(list);
	return err;
}
