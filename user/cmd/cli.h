/* SPDX-License-Identifier: GPL-2.0 */
/* cli.h - verbs of the casshield command and what they share. */
#ifndef CAS_CLI_H
#define CAS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "options.h"

/* A verb: what it runs, its usage lines (--help) and its line in the list. */
struct cas_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const struct cas_syntax *const *forms; /* ends with NULL */
	const char *summary;
};

/* Each verb is declared in its own file, main.c lists them. */
extern const struct cas_verb cas_verb_load, cas_verb_unload, cas_verb_status,
	cas_verb_allow, cas_verb_limits, cas_verb_check, cas_verb_apply,
	cas_verb_confirm, cas_verb_run, cas_verb_stats, cas_verb_metrics;

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

#define CAS_STR_(x) #x
#define CAS_STR(x)  CAS_STR_(x)

/* Options several verbs take, for their tables. */
#define CAS_OPT_IFACE(type, field, scope_)                                    \
	{                                                                     \
		.name = "interface", .letter = 'i', .kind = CAS_OPT_STRING,   \
		.offset = offsetof(type, field), .value = "IFACE",            \
		.help = "the interface (not needed if only one is shielded)", \
		.scope = (scope_),                                            \
	}
#define CAS_OPT_JSON(type, field, scope_)                                  \
	{                                                                  \
		.name = "json", .kind = CAS_OPT_FLAG,                      \
		.offset = offsetof(type, field),                           \
		.help = "print JSON with stable field names, for scripts", \
		.scope = (scope_),                                         \
	}

/* A handshake bucket's (rate, burst) as given: allow add, limits set. */
struct cas_bucket_args {
	struct cas_rate_opt rate, burst;
};

/* --NAME-rate N and --NAME-burst N of a bucket, for a table. */
#define CAS_OPT_BUCKET(type, field, flag, rate_help, scope_)                \
	{                                                                   \
		.name = flag "-rate",                                       \
		.kind = CAS_OPT_RATE,                                       \
		.offset = offsetof(type, field.rate),                       \
		.value = "N",                                               \
		.help = rate_help,                                          \
		.scope = (scope_),                                          \
	},                                                                  \
	{                                                                   \
		.name = flag "-burst", .kind = CAS_OPT_RATE,                \
		.offset = offsetof(type, field.burst), .value = "N",        \
		.help = "its burst (default: the rate)", .scope = (scope_), \
	}

#endif /* CAS_CLI_H */
