/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options.h - options declared once, in a table per verb, and parsed by one
 * helper (the idea of xdp-tools' params, written for us). A table entry
 * gives an option's names, kind, place in the verb's own arguments struct
 * and help line; the parser fills that struct, counts the operands and
 * prints the usage errors; the verb's --help is printed from the same
 * tables, so the help cannot drift from what is parsed.
 */
#ifndef CAS_OPTIONS_H
#define CAS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

enum cas_opt_kind {
	CAS_OPT_FLAG,	/* bool: true when given */
	CAS_OPT_STRING, /* const char *: the value as typed, NULL if absent */
	CAS_OPT_U32,	/* __u32 within [min, max] */
	CAS_OPT_RATE,	/* struct cas_rate_opt: N, Nk or NM, optionally "/s" */
	CAS_OPT_PORTS,	/* struct cas_port_list: a LIST, never empty if given */
	CAS_OPT_CUSTOM, /* whatever parse() makes of it */
};

/* A rate or a burst, and whether it was given: absent is not 0. */
struct cas_rate_opt {
	__u32 value;
	bool given;
};

/*
 * CAS_OPT_CUSTOM: text into target; 0, or non-zero with one line in err
 * (CAS_ERRBUF bytes), printed after the verb's words.
 */
typedef int (*cas_opt_parse_fn)(const char *text, void *target, char *err);

struct cas_opt {
	const char *name; /* long name without "--"; NULL ends a table */
	char letter;	  /* short name, or 0 */
	enum cas_opt_kind kind;
	size_t offset;	   /* of the target in the verb's arguments struct */
	const char *value; /* the value in usage lines ("N"); NULL: a flag */
	const char *help;  /* one line for --help */
	/* The forms (struct cas_syntax.scope) it belongs to; 0: every one.
	 * Given to another form of the same table, it "does not apply". */
	unsigned int scope;
	__u32 min, max;		/* CAS_OPT_U32 */
	cas_opt_parse_fn parse; /* CAS_OPT_CUSTOM */
	bool repeats;		/* may be given again: "[-i IFACE ...]" */
	bool own_line;		/* shown on a usage line of its own */
	bool usage_long;	/* usage lines show --name, not -letter */
};

/* How a verb or sub-verb is called, and its usage line. */
struct cas_syntax {
	const char *words; /* "allow add": starts messages and usage */
	const char *verb; /* "allow": named in "see 'casshield allow --help'" */
	const struct cas_opt *opts; /* NULL: no option */
	unsigned int scope;	    /* options of opts it takes; 0: all */
	const char *operands;	    /* "CIDR": in usage, and named if missing */
	int min_operands, max_operands; /* max < 0: no limit */
	bool stop_at_operand; /* options end at the first operand (the verb) */
	const char *note;     /* after the usage line's options */
};

/*
 * Parse argv (argv[0] is the verb's own word) into args, the struct the
 * table's offsets point into; its defaults are set by the caller. On
 * success *operands and *count (either may be NULL) are the operands left,
 * in order (argv is permuted), and CAS_EXIT_OK is returned; otherwise
 * CAS_EXIT_USAGE, after one line "casshield: WORDS: what is wrong".
 */
int cas_opts_parse(const struct cas_syntax *syntax, int argc, char **argv,
		   void *args, char ***operands, int *count);

/* The usage errors every verb words the same way; they return CAS_EXIT_USAGE. */
int cas_opts_missing(const struct cas_syntax *syntax);
int cas_opts_unexpected(const struct cas_syntax *syntax, const char *word);

/*
 * --help: a usage line per form (forms ends with NULL), the summary, then
 * each option of the forms once, with its help line.
 */
void cas_opts_help(FILE *out, const struct cas_syntax *const *forms,
		   const char *summary);
/* Only the options part of that (main's own options). */
void cas_opts_print(FILE *out, const struct cas_syntax *const *forms);

#endif /* CAS_OPTIONS_H */
