// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - casshield's entry point: global options, the verb table and
 * dispatch. Verbs parse their own options and return an exit code.
 */
#include <stdlib.h>
#include <string.h>

#include "casshield.h"
#include "cli.h"
#include "common.h"

static const struct cas_verb cas_verbs[] = {
	{ "load", cas_cmd_load,
	  "load IFACE [--mode native|skb] [--ports LIST] [--monitor] [--max-rules N]",
	  "attach the shield to an interface" },
	{ "unload", cas_cmd_unload, "unload IFACE",
	  "detach the shield and remove its pinned state" },
	{ "status", cas_cmd_status, "status [-i IFACE] [--json]",
	  "show shielded interfaces, attachment and rules" },
	{ "allow", cas_cmd_allow,
	  "allow add CIDR [-i IFACE] [--ports LIST] [--name NAME] [--replace]\n"
	  "          [--syn-rate N] [--syn-burst N] [--source-syn-rate N] [--source-syn-burst N]\n"
	  "          [--hello-rate N] [--hello-burst N] [--mac MAC] [--ttl MIN[-MAX]]\n"
	  "allow add -i IFACE --file FILE|-     (one rule a line, the syntax above)\n"
	  "allow del CIDR [-i IFACE]\n"
	  "allow list [-i IFACE] [--json]",
	  "manage the sources allowed to reach protected ports" },
	{ "limits", cas_cmd_limits,
	  "limits set [-i IFACE] [--syn-rate N] [--syn-burst N] [--hello-rate N] [--hello-burst N]\n"
	  "           [--min-tls 1.0|1.1|1.2|1.3|off]\n"
	  "limits show [-i IFACE] [--json]",
	  "global handshake limits and the minimum TLS version" },
	{ "check", cas_cmd_check, "check [--config FILE]",
	  "validate a configuration file and print its ruleset" },
	{ "apply", cas_cmd_apply,
	  "apply [--config FILE] [--prune] [--force] [--confirm SECONDS]",
	  "make the live state equal to the configuration file, atomically" },
	{ "confirm", cas_cmd_confirm, "confirm",
	  "keep the configuration of an 'apply --confirm'" },
	{ "run", cas_cmd_run, "run [--config FILE] [--detach-on-exit]",
	  "the service: apply the file, serve metrics, reload on SIGHUP" },
	{ "stats", cas_cmd_stats, "stats [-i IFACE] [--json] [--watch SECONDS]",
	  "show packet and byte counters by action and reason" },
	{ "metrics", cas_cmd_metrics,
	  "metrics [-i IFACE ...] [--listen ADDR:PORT]",
	  "serve Prometheus metrics and /healthz (default 127.0.0.1:9477)" },
};

const struct cas_verb *cas_find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cas_verbs); i++)
		if (!strcmp(cas_verbs[i].name, name))
			return &cas_verbs[i];
	return NULL;
}

void cas_print_usage(FILE *out, const struct cas_verb *verb)
{
	const char *line = verb->usage;

	fputs("usage:", out);
	while (*line) {
		size_t len = strcspn(line, "\n");

		/* A line that starts with a space continues the one above. */
		fprintf(out,
			line[0] == ' ' ? "          %.*s\n" :
					 " casshield %.*s\n",
			(int)len, line);
		line += len;
		if (*line == '\n') {
			line++;
			fputs("      ", out);
		}
	}
	fprintf(out, "%s\n", verb->summary);
}

static void cas_print_help(FILE *out)
{
	size_t i;

	fputs("usage: casshield [-v] VERB [OPTIONS]\n"
	      "       casshield --help | VERB --help | --version\n\n"
	      "XDP shield for a Client Access Server: only allowed sources reach\n"
	      "protected ports.\n\nverbs:\n",
	      out);
	for (i = 0; i < CAS_ARRAY_SIZE(cas_verbs); i++)
		fprintf(out, "  %-8s %s\n", cas_verbs[i].name,
			cas_verbs[i].summary);
	fputs("\nLIST is a comma-separated list of PORT[/tcp|/udp] (default tcp).\n"
	      "-v prints libbpf's diagnostics. Exit status: 0 success, 1 failure,\n"
	      "2 invalid input. See casshield(8).\n",
	      out);
}

int cas_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, const char *verb)
{
	const char *word;
	int opt;

	opterr = 0;
	opt = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (opt != '?' && opt != ':')
		return opt;
	/* Name the option as typed: "--watch", not the letter behind it. */
	word = argv[optind - 1];
	if (!strncmp(word, "--", 2) && strchr(word, '=') == NULL && optopt)
		cas_err("%s: option %s needs a value", verb, word);
	else if (!strncmp(word, "--", 2))
		cas_err("%s: unknown option '%s' (see 'casshield %s --help')",
			verb, word, verb);
	else if (optopt && strchr(shortopts, optopt))
		cas_err("%s: option -%c needs a value", verb, optopt);
	else
		cas_err("%s: unknown option '%s' (see 'casshield %s --help')",
			verb, word, verb);
	return '?';
}

void cas_json_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (; *text; text++) {
		unsigned char c = *text;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

int cas_run_subverb(int argc, char **argv, const char *verb,
		    const char *expected, const struct cas_subverb *subverbs)
{
	const struct cas_subverb *sub;

	if (argc < 2) {
		cas_err("%s: missing sub-verb %s (see 'casshield %s --help')",
			verb, expected, verb);
		return CAS_EXIT_USAGE;
	}
	for (sub = subverbs; sub->name; sub++) {
		if (strcmp(sub->name, argv[1]))
			continue;
		/* The sub-verb becomes argv[0] for getopt. */
		optind = 1;
		return sub->run(argc - 1, argv + 1);
	}
	cas_err("%s: unknown sub-verb '%s' (expected %s)", verb, argv[1],
		expected);
	return CAS_EXIT_USAGE;
}

static int cas_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const struct cas_verb *verb;
	int first = 1, err;

	while (first < argc && argv[first][0] == '-') {
		if (!strcmp(argv[first], "--help") ||
		    !strcmp(argv[first], "-h")) {
			cas_print_help(stdout);
			return CAS_EXIT_OK;
		}
		if (!strcmp(argv[first], "--version") ||
		    !strcmp(argv[first], "-V")) {
			printf("casshield %s\n", CAS_VERSION);
			return CAS_EXIT_OK;
		}
		if (strcmp(argv[first], "-v") &&
		    strcmp(argv[first], "--verbose")) {
			cas_err("unknown option '%s' (see 'casshield --help')",
				argv[first]);
			return CAS_EXIT_USAGE;
		}
		cas_verbose = true;
		first++;
	}
	if (first >= argc) {
		cas_print_help(stderr);
		return CAS_EXIT_USAGE;
	}
	verb = cas_find_verb(argv[first]);
	if (!verb) {
		cas_err("unknown verb '%s' (see 'casshield --help')",
			argv[first]);
		return CAS_EXIT_USAGE;
	}
	argc -= first;
	argv += first;
	if (cas_wants_help(argc, argv)) {
		cas_print_usage(stdout, verb);
		return CAS_EXIT_OK;
	}
	cas_setup_libbpf_logging();
	err = verb->run(argc, argv);
	return err;
}
