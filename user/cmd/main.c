// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - casshield's entry point: global options, the verb table and
 * dispatch. Verbs parse their own options and return an exit code.
 */
#include <string.h>

#include "casshield.h"
#include "cli.h"
#include "common.h"

static const struct cas_verb *const cas_verbs[] = {
	&cas_verb_load,	 &cas_verb_unload,  &cas_verb_status,
	&cas_verb_allow, &cas_verb_limits,  &cas_verb_check,
	&cas_verb_apply, &cas_verb_confirm, &cas_verb_run,
	&cas_verb_stats, &cas_verb_metrics,
};

/* The options before the verb. */
struct cas_main_args {
	bool verbose, help, version;
};

static const struct cas_opt cas_main_opts[] = {
	{ .name = "verbose",
	  .letter = 'v',
	  .kind = CAS_OPT_FLAG,
	  .offset = offsetof(struct cas_main_args, verbose),
	  .help = "print libbpf's diagnostics (the verifier log)" },
	{ .name = "help",
	  .letter = 'h',
	  .kind = CAS_OPT_FLAG,
	  .offset = offsetof(struct cas_main_args, help),
	  .help = "this help; after a verb, the verb's" },
	{ .name = "version",
	  .letter = 'V',
	  .kind = CAS_OPT_FLAG,
	  .offset = offsetof(struct cas_main_args, version),
	  .help = "print the version" },
	{ 0 },
};

/* No words: main's messages are "casshield: unknown option ...". */
static const struct cas_syntax cas_main_syntax = {
	.opts = cas_main_opts,
	.max_operands = -1,
	.stop_at_operand = true,
};

static void cas_print_help(FILE *out)
{
	static const struct cas_syntax *const forms[] = { &cas_main_syntax,
							  NULL };
	size_t i;

	fputs("usage: casshield [-v] VERB [OPTIONS]\n"
	      "       casshield --help | VERB --help | --version\n\n"
	      "XDP shield for a Client Access Server: only allowed sources reach\n"
	      "protected ports.\n\nverbs:\n",
	      out);
	for (i = 0; i < CAS_ARRAY_SIZE(cas_verbs); i++)
		fprintf(out, "  %-8s %s\n", cas_verbs[i]->name,
			cas_verbs[i]->summary);
	cas_opts_print(out, forms);
	fputs("\nLIST is a comma-separated list of PORT[/tcp|/udp] (default tcp).\n"
	      "Exit status: 0 success, 1 failure, 2 invalid input. See casshield(8).\n",
	      out);
}

static const struct cas_verb *cas_find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cas_verbs); i++)
		if (!strcmp(cas_verbs[i]->name, name))
			return cas_verbs[i];
	return NULL;
}

static bool cas_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct cas_main_args args = {};
	const struct cas_verb *verb;
	char **rest;
	int count, err;

	err = cas_opts_parse(&cas_main_syntax, argc, argv, &args, &rest,
			     &count);
	if (err)
		return err;
	if (args.help) {
		cas_print_help(stdout);
		return CAS_EXIT_OK;
	}
	if (args.version) {
		printf("casshield %s\n", CAS_VERSION);
		return CAS_EXIT_OK;
	}
	cas_verbose = args.verbose;
	if (!count) {
		cas_print_help(stderr);
		return CAS_EXIT_USAGE;
	}
	verb = cas_find_verb(rest[0]);
	if (!verb) {
		cas_err("unknown verb '%s' (see 'casshield --help')", rest[0]);
		return CAS_EXIT_USAGE;
	}
	if (cas_wants_help(count, rest)) {
		cas_opts_help(stdout, verb->forms, verb->summary);
		return CAS_EXIT_OK;
	}
	cas_setup_libbpf_logging();
	return verb->run(count, rest);
}
