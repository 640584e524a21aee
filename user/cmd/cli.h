/* SPDX-License-Identifier: GPL-2.0 */
/* cli.h - verbs of the casshield command and what they share. */
#ifndef CAS_CLI_H
#define CAS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct cas_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;   /* synopsis lines, without the program name */
	const char *summary; /* one line for the verb list */
};

int cas_cmd_load(int argc, char **argv);
int cas_cmd_unload(int argc, char **argv);
int cas_cmd_status(int argc, char **argv);
int cas_cmd_allow(int argc, char **argv);
int cas_cmd_limits(int argc, char **argv);
int cas_cmd_check(int argc, char **argv);
int cas_cmd_apply(int argc, char **argv);
int cas_cmd_confirm(int argc, char **argv);
int cas_cmd_run(int argc, char **argv);

/* --config FILE for check/apply/run, with extra options handled by on_extra
 * (returning non-zero to stop). The path, or NULL after a usage error. */
const char *cas_config_option(int argc, char **argv, const char *verb,
			      const struct option *extra,
			      int (*on_extra)(int opt));
int cas_cmd_stats(int argc, char **argv);
int cas_cmd_metrics(int argc, char **argv);

/* Sub-verbs of allow and limits; a table ends with a NULL name. */
struct cas_subverb {
	const char *name;
	int (*run)(int argc, char **argv);
};

int cas_run_subverb(int argc, char **argv, const char *verb,
		    const char *expected, const struct cas_subverb *subverbs);

/*
 * A library error as an exit code: 0 for 0, CAS_EXIT_USAGE for -EINVAL
 * (the input), CAS_EXIT_KERNEL for -ENOEXEC, CAS_EXIT_FAIL otherwise.
 */
int cas_exit_code(int err);
/* Print errbuf if err is set; its exit code. */
int cas_report(int err, const char *errbuf);
/* The privilege check of a verb that needs BPF: an exit code. */
int cas_verb_privileges(void);
struct cas_iface;
/*
 * What every verb on one interface does first: check privileges, resolve
 * -i (NULL: the only shielded interface), take the state lock if it will
 * write, open the pins. An exit code, after a one-line error.
 */
int cas_verb_iface(const char *ifname_opt, bool writer,
		   struct cas_iface *iface);

/* The verb table lives in main.c; verbs print their usage through it. */
const struct cas_verb *cas_find_verb(const char *name);
void cas_print_usage(FILE *out, const struct cas_verb *verb);

/*
 * getopt_long for a verb: returns the option, or -1 at the end. Prints a
 * one-line error for an unknown option or a missing value and returns '?'.
 * --help (returned as 'h') is handled by the caller.
 */
int cas_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, const char *verb);

/* Returned by verb parsers to stop with an exit code before running. */
#define CAS_HELP_SHOWN (-100)

void cas_json_string(FILE *out, const char *text);

/* Long options shared by `allow add` and `limits set` (values > 255). */
enum cas_long_option {
	CAS_OPT_SYN_RATE = 256,
	CAS_OPT_SYN_BURST,
	CAS_OPT_SOURCE_SYN_RATE,
	CAS_OPT_SOURCE_SYN_BURST,
	CAS_OPT_HELLO_RATE,
	CAS_OPT_HELLO_BURST,
	CAS_OPT_MAC,
	CAS_OPT_TTL,
	CAS_OPT_MIN_TLS,
	CAS_OPT_REPLACE,
};

enum cas_bucket_kind {
	CAS_BUCKET_SYN,
	CAS_BUCKET_SOURCE_SYN,
	CAS_BUCKET_HELLO,
	CAS_BUCKET_COUNT
};

/* A (rate, burst) pair as given on the command line. */
struct cas_bucket_args {
	__u32 rate, burst;
	bool rate_set, burst_set;
};

/*
 * Parse one of the rate/burst options into buckets[]; 1 if opt was one of
 * them, 0 if not, -1 (after printing why) if its value is invalid.
 */
int cas_bucket_option(int opt, const char *arg, const char *verb,
		      struct cas_bucket_args buckets[CAS_BUCKET_COUNT]);
extern const char *const cas_bucket_names[CAS_BUCKET_COUNT];

#endif /* CAS_CLI_H */
