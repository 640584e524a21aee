/* SPDX-License-Identifier: GPL-2.0 */
/* cli.h - verbs of the casshield command and what they share. */
#ifndef CAS_CLI_H
#define CAS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct cas_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;   /* synopsis lines, without the program name */
	const char *summary; /* one line for the verb list */
	bool privileged;     /* needs CAP_BPF + CAP_NET_ADMIN */
};

int cas_cmd_load(int argc, char **argv);
int cas_cmd_unload(int argc, char **argv);
int cas_cmd_status(int argc, char **argv);
int cas_cmd_allow(int argc, char **argv);
int cas_cmd_stats(int argc, char **argv);

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

#endif /* CAS_CLI_H */
