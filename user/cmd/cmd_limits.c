// SPDX-License-Identifier: GPL-2.0
/* cmd_limits.c - limits set / show, and the rate options allow add shares. */
#include <string.h>

#include "cli.h"
#include "common.h"
#include "shield.h"

const char *const cas_bucket_names[CAS_BUCKET_COUNT] = {
	[CAS_BUCKET_SYN] = "syn",
	[CAS_BUCKET_SOURCE_SYN] = "source-syn",
	[CAS_BUCKET_HELLO] = "hello",
};

int cas_bucket_option(int opt, const char *arg, const char *verb,
		      struct cas_bucket_args buckets[CAS_BUCKET_COUNT])
{
	static const struct {
		int opt;
		enum cas_bucket_kind kind;
		bool burst;
	} table[] = {
		{ CAS_OPT_SYN_RATE, CAS_BUCKET_SYN, false },
		{ CAS_OPT_SYN_BURST, CAS_BUCKET_SYN, true },
		{ CAS_OPT_SOURCE_SYN_RATE, CAS_BUCKET_SOURCE_SYN, false },
		{ CAS_OPT_SOURCE_SYN_BURST, CAS_BUCKET_SOURCE_SYN, true },
		{ CAS_OPT_HELLO_RATE, CAS_BUCKET_HELLO, false },
		{ CAS_OPT_HELLO_BURST, CAS_BUCKET_HELLO, true },
	};
	char err_text[CAS_ERRBUF];
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(table); i++) {
		struct cas_bucket_args *bucket = &buckets[table[i].kind];

		if (table[i].opt != opt)
			continue;
		if (cas_parse_rate(arg,
				   table[i].burst ? &bucket->burst :
						    &bucket->rate,
				   err_text)) {
			cas_err("%s: --%s-%s: %s", verb,
				cas_bucket_names[table[i].kind],
				table[i].burst ? "burst" : "rate", err_text);
			return -1;
		}
		if (table[i].burst)
			bucket->burst_set = true;
		else
			bucket->rate_set = true;
		return 1;
	}
	return 0;
}

static void cas_limits_print(FILE *out, const char *ifname,
			     const struct cas_policy *s, bool json)
{
	if (json) {
		fputs("{\"interface\": ", out);
		cas_json_string(out, ifname);
		fprintf(out,
			", \"syn_rate\": %u, \"syn_burst\": %u, \"hello_rate\": %u, \"hello_burst\": %u, \"min_tls\": \"%s\"}\n",
			s->syn_rate, s->syn_burst, s->hello_rate,
			s->hello_burst, cas_tls_version_name(s->min_tls));
		return;
	}
	fprintf(out,
		"%s: global handshake limits (per second; 0 = unlimited)\n",
		ifname);
	fprintf(out, "  syn:     rate %u, burst %u\n", s->syn_rate,
		s->syn_burst);
	fprintf(out, "  hello:   rate %u, burst %u\n", s->hello_rate,
		s->hello_burst);
	fprintf(out, "  min TLS: %s\n", cas_tls_version_name(s->min_tls));
}

/* New global (rate, burst) from the options and the current values. */
static int cas_merge_bucket(const char *what, const struct cas_bucket_args *arg,
			    __u32 *rate, __u32 *burst)
{
	char err_text[CAS_ERRBUF];
	__u32 new_rate = arg->rate_set ? arg->rate : *rate;
	__u32 new_burst = arg->burst;
	bool burst_set = arg->burst_set;

	if (!arg->rate_set && !arg->burst_set)
		return 0;
	/* A new rate without a burst resets the burst to the rate; a burst
	 * alone applies to the current rate. */
	if (cas_check_bucket(what, new_rate, burst_set, &new_burst, err_text)) {
		cas_err("limits set: %s", err_text);
		return -1;
	}
	*rate = new_rate;
	*burst = new_burst;
	return 0;
}

static int cas_limits_set(int argc, char **argv)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "syn-rate", required_argument, NULL, CAS_OPT_SYN_RATE },
		{ "syn-burst", required_argument, NULL, CAS_OPT_SYN_BURST },
		{ "hello-rate", required_argument, NULL, CAS_OPT_HELLO_RATE },
		{ "hello-burst", required_argument, NULL, CAS_OPT_HELLO_BURST },
		{ "min-tls", required_argument, NULL, CAS_OPT_MIN_TLS },
		{ 0 },
	};
	struct cas_bucket_args buckets[CAS_BUCKET_COUNT] = {};
	char err_text[CAS_ERRBUF];
	const char *ifname_opt = NULL;
	struct cas_policy settings;
	struct cas_gen_maps active;
	bool min_tls_set = false, any = false;
	struct cas_iface iface;
	__u16 min_tls = 0;
	int opt, err;

	while ((opt = cas_getopt(argc, argv, "i:", options, "limits set")) !=
	       -1) {
		if (opt == 'i') {
			ifname_opt = optarg;
			continue;
		}
		if (opt == CAS_OPT_MIN_TLS) {
			if (cas_parse_tls_version(optarg, &min_tls, err_text)) {
				cas_err("limits set: %s", err_text);
				return CAS_EXIT_USAGE;
			}
			min_tls_set = any = true;
			continue;
		}
		err = opt == '?' ? -1 :
				   cas_bucket_option(opt, optarg, "limits set",
						     buckets);
		if (err <= 0)
			return CAS_EXIT_USAGE;
		any = true;
	}
	if (optind != argc) {
		cas_err("limits set: unexpected argument '%s'", argv[optind]);
		return CAS_EXIT_USAGE;
	}
	if (!any) {
		cas_err("limits set: nothing to set (see 'casshield limits --help')");
		return CAS_EXIT_USAGE;
	}
	err = cas_verb_iface(ifname_opt, true, &iface);
	if (err)
		return err;
	/* The live generation's policy changes in place: one word at a time. */
	err = cas_active_maps(&iface.maps, &active);
	if (!err)
		err = cas_policy_read(&iface.maps, active.gen, &settings);
	if (err) {
		cas_err("limits set: cannot read the settings of %s: %s",
			iface.name, strerror(-err));
		goto fail;
	}
	/* Validate everything before writing anything. */
	if (cas_merge_bucket("syn", &buckets[CAS_BUCKET_SYN],
			     &settings.syn_rate, &settings.syn_burst) ||
	    cas_merge_bucket("hello", &buckets[CAS_BUCKET_HELLO],
			     &settings.hello_rate, &settings.hello_burst)) {
		cas_iface_close(&iface);
		return CAS_EXIT_USAGE;
	}
	if (min_tls_set)
		settings.min_tls = min_tls;
	err = cas_policy_write(&iface.maps, active.gen, &settings);
	if (err) {
		cas_err("limits set: cannot write the settings of %s: %s",
			iface.name, strerror(-err));
		goto fail;
	}
	cas_iface_close(&iface);
	return CAS_EXIT_OK;
fail:
	cas_iface_close(&iface);
	return CAS_EXIT_FAIL;
}

static int cas_limits_show(int argc, char **argv)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	const char *ifname_opt = NULL;
	struct cas_policy settings;
	struct cas_iface iface;
	bool json = false;
	int opt, err;

	while ((opt = cas_getopt(argc, argv, "i:", options, "limits show")) !=
	       -1) {
		if (opt == 'i')
			ifname_opt = optarg;
		else if (opt == 'j')
			json = true;
		else
			return CAS_EXIT_USAGE;
	}
	if (optind != argc) {
		cas_err("limits show: unexpected argument '%s'", argv[optind]);
		return CAS_EXIT_USAGE;
	}
	err = cas_verb_iface(ifname_opt, false, &iface);
	if (err)
		return err;
	err = cas_policy_read_active(&iface.maps, &settings);
	cas_iface_close(&iface);
	if (err) {
		cas_err("limits show: cannot read the settings of %s: %s",
			iface.name, strerror(-err));
		return CAS_EXIT_FAIL;
	}
	cas_limits_print(stdout, iface.name, &settings, json);
	return CAS_EXIT_OK;
}

int cas_cmd_limits(int argc, char **argv)
{
	static const struct cas_subverb subverbs[] = {
		{ "set", cas_limits_set },
		{ "show", cas_limits_show },
		{ NULL, NULL },
	};

	return cas_run_subverb(argc, argv, "limits", "set or show", subverbs);
}
