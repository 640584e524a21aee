// SPDX-License-Identifier: GPL-2.0
/* cmd_limits.c - limits set / show: the global handshake buckets and TLS floor. */
#include <string.h>

#include "cli.h"
#include "common.h"
#include "json_print.h"
#include "shield.h"

static int cas_limits_json(FILE *out, const char *ifname,
			   const struct cas_policy *s)
{
	struct json_object *obj = json_object_new_object();

	cas_json_set_string(obj, "interface", ifname);
	cas_json_set_u64(obj, "syn_rate", s->syn_rate);
	cas_json_set_u64(obj, "syn_burst", s->syn_burst);
	cas_json_set_u64(obj, "hello_rate", s->hello_rate);
	cas_json_set_u64(obj, "hello_burst", s->hello_burst);
	cas_json_set_string(obj, "min_tls", cas_tls_version_name(s->min_tls));
	cas_json_set_bool(obj, "syn_proxy", s->flags & CAS_POLICY_SYN_PROXY);
	cas_json_set_u64(obj, "synack_rate", s->synack_rate);
	cas_json_set_u64(obj, "synack_burst", s->synack_burst);
	return cas_json_print(out, obj);
}

static void cas_limits_text(FILE *out, const char *ifname,
			    const struct cas_policy *s)
{
	fprintf(out,
		"%s: global handshake limits (per second; 0 = unlimited)\n",
		ifname);
	fprintf(out, "  syn:     rate %u, burst %u\n", s->syn_rate,
		s->syn_burst);
	fprintf(out, "  hello:   rate %u, burst %u\n", s->hello_rate,
		s->hello_burst);
	fprintf(out, "  min TLS: %s\n", cas_tls_version_name(s->min_tls));
	/* With the SYN proxy on, the syn buckets count completed handshakes. */
	fprintf(out, "  SYN proxy: %s; SYN-ACKs: rate %u, burst %u\n",
		s->flags & CAS_POLICY_SYN_PROXY ?
			"on (syn limits count completed handshakes)" :
			"off",
		s->synack_rate, s->synack_burst);
}

/* New global (rate, burst) from the options and the current values. */
static int cas_merge_bucket(const char *what, const struct cas_bucket_args *arg,
			    __u32 *rate, __u32 *burst)
{
	char err_text[CAS_ERRBUF];
	__u32 new_rate = arg->rate.given ? arg->rate.value : *rate;
	__u32 new_burst = arg->burst.value;
	bool burst_set = arg->burst.given;

	if (!arg->rate.given && !arg->burst.given)
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

/* --min-tls, and whether it was given (0 is "off"). */
struct cas_tls_opt {
	__u16 version;
	bool given;
};

static int cas_parse_min_tls(const char *text, void *target, char *err)
{
	struct cas_tls_opt *tls = target;

	tls->given = true;
	return cas_parse_tls_version(text, &tls->version, err);
}

struct cas_limits_args {
	const char *ifname;
	struct cas_bucket_args syn, hello, synack;
	struct cas_tls_opt min_tls;
	bool json;
};

static const struct cas_opt cas_limits_set_opts[] = {
	CAS_OPT_IFACE(struct cas_limits_args, ifname, 0),
	CAS_OPT_BUCKET(
		struct cas_limits_args, syn, "syn",
		"SYNs/s on the interface (with --syn-proxy: completed handshakes; 0: unlimited)",
		0),
	CAS_OPT_BUCKET(struct cas_limits_args, hello, "hello",
		       "TLS ClientHellos/s on the interface (0: unlimited)", 0),
	CAS_OPT_BUCKET(struct cas_limits_args, synack, "synack",
		       "SYN-ACKs/s the SYN proxy sends (0: no cap)", 0),
	{ .name = "min-tls",
	  .kind = CAS_OPT_CUSTOM,
	  .parse = cas_parse_min_tls,
	  .offset = offsetof(struct cas_limits_args, min_tls),
	  .value = "1.0|1.1|1.2|1.3|off",
	  .help = "the lowest TLS version a ClientHello may offer" },
	{ 0 },
};

static const struct cas_opt cas_limits_show_opts[] = {
	CAS_OPT_IFACE(struct cas_limits_args, ifname, 0),
	CAS_OPT_JSON(struct cas_limits_args, json, 0),
	{ 0 },
};

static const struct cas_syntax cas_limits_set_syntax = {
	.words = "limits set",
	.verb = "limits",
	.opts = cas_limits_set_opts,
};
static const struct cas_syntax cas_limits_show_syntax = {
	.words = "limits show",
	.verb = "limits",
	.opts = cas_limits_show_opts,
};

/* The live generation's policy, changed in place: one word at a time. */
static int cas_limits_write(struct cas_iface *iface,
			    const struct cas_limits_args *args)
{
	struct cas_policy settings;
	struct cas_gen_maps active;
	int err;

	err = cas_active_maps(&iface->maps, &active);
	if (!err)
		err = cas_policy_read(&iface->maps, active.gen, &settings);
	if (err) {
		cas_err("limits set: cannot read the settings of %s: %s",
			iface->name, strerror(-err));
		return CAS_EXIT_FAIL;
	}
	/* Validate everything before writing anything. */
	if (cas_merge_bucket("syn", &args->syn, &settings.syn_rate,
			     &settings.syn_burst) ||
	    cas_merge_bucket("hello", &args->hello, &settings.hello_rate,
			     &settings.hello_burst) ||
	    cas_merge_bucket("synack", &args->synack, &settings.synack_rate,
			     &settings.synack_burst))
		return CAS_EXIT_USAGE;
	if (args->min_tls.given)
		settings.min_tls = args->min_tls.version;
	err = cas_policy_write(&iface->maps, active.gen, &settings);
	if (err) {
		cas_err("limits set: cannot write the settings of %s: %s",
			iface->name, strerror(-err));
		return CAS_EXIT_FAIL;
	}
	return CAS_EXIT_OK;
}

static int cas_limits_set(int argc, char **argv)
{
	struct cas_limits_args args = {};
	struct cas_iface iface;
	int err;

	err = cas_opts_parse(&cas_limits_set_syntax, argc, argv, &args, NULL,
			     NULL);
	if (err)
		return err;
	if (!args.syn.rate.given && !args.syn.burst.given &&
	    !args.hello.rate.given && !args.hello.burst.given &&
	    !args.synack.rate.given && !args.synack.burst.given &&
	    !args.min_tls.given) {
		cas_err("limits set: nothing to set (see 'casshield limits --help')");
		return CAS_EXIT_USAGE;
	}
	err = cas_verb_iface(args.ifname, true, &iface);
	if (err)
		return err;
	err = cas_limits_write(&iface, &args);
	cas_iface_close(&iface);
	return err;
}

static int cas_limits_show(int argc, char **argv)
{
	struct cas_limits_args args = {};
	struct cas_policy settings;
	struct cas_iface iface;
	int err;

	err = cas_opts_parse(&cas_limits_show_syntax, argc, argv, &args, NULL,
			     NULL);
	if (err)
		return err;
	err = cas_verb_iface(args.ifname, false, &iface);
	if (err)
		return err;
	err = cas_policy_read_active(&iface.maps, &settings);
	cas_iface_close(&iface);
	if (err) {
		cas_err("limits show: cannot read the settings of %s: %s",
			iface.name, strerror(-err));
		return CAS_EXIT_FAIL;
	}
	if (args.json)
		return cas_limits_json(stdout, iface.name, &settings);
	cas_limits_text(stdout, iface.name, &settings);
	return CAS_EXIT_OK;
}

static int cas_cmd_limits(int argc, char **argv)
{
	static const struct cas_subverb subverbs[] = {
		{ "set", cas_limits_set },
		{ "show", cas_limits_show },
		{ NULL, NULL },
	};

	return cas_run_subverb(argc, argv, "limits", "set or show", subverbs);
}

static const struct cas_syntax *const cas_limits_forms[] = {
	&cas_limits_set_syntax, &cas_limits_show_syntax, NULL
};

const struct cas_verb cas_verb_limits = {
	"limits", cas_cmd_limits, cas_limits_forms,
	"global handshake limits and the minimum TLS version"
};
