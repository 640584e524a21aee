// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - the one option parser (getopt_long, driven by a verb's
 * table) and the --help printed from the same tables.
 */
#include <getopt.h>
#include <string.h>

#include "common.h"
#include "options.h"
#include "values.h"

/* getopt_long's value for table entry i: past every short letter. */
#define CAS_OPT_LONG_BASE 256
/* Entries in one table, at most. */
#define CAS_OPTS_MAX	  32
/* Usage lines wrap here; help lines start at CAS_HELP_COLUMN. */
#define CAS_USAGE_WIDTH	  80
#define CAS_HELP_COLUMN	  28

static bool cas_opt_applies(const struct cas_syntax *syntax,
			    const struct cas_opt *opt)
{
	return !syntax->scope || !opt->scope || (opt->scope & syntax->scope);
}

/* "allow add: " before a message, or nothing (main's own options). */
static const char *cas_words(const struct cas_syntax *syntax)
{
	return syntax->words ? syntax->words : "";
}

static const char *cas_colon(const struct cas_syntax *syntax)
{
	return syntax->words ? ": " : "";
}

/* "casshield allow --help", or "casshield --help" for main. */
static void cas_help_hint(const struct cas_syntax *syntax, char *buf,
			  size_t len)
{
	snprintf(buf, len, "see 'casshield %s%s--help'",
		 syntax->verb ? syntax->verb : "", syntax->verb ? " " : "");
}

int cas_opts_missing(const struct cas_syntax *syntax)
{
	char hint[64];

	cas_help_hint(syntax, hint, sizeof(hint));
	cas_err("%s%smissing %s (%s)", cas_words(syntax), cas_colon(syntax),
		syntax->operands, hint);
	return CAS_EXIT_USAGE;
}

int cas_opts_unexpected(const struct cas_syntax *syntax, const char *word)
{
	char hint[64];

	cas_help_hint(syntax, hint, sizeof(hint));
	cas_err("%s%sunexpected argument '%s' (%s)", cas_words(syntax),
		cas_colon(syntax), word, hint);
	return CAS_EXIT_USAGE;
}

/* What getopt_long refused ('?' or ':'), in one line. */
static int cas_opts_refused(const struct cas_syntax *syntax, int ret,
			    const char *word)
{
	const struct cas_opt *opt = NULL;
	char hint[64];

	if (optopt >= CAS_OPT_LONG_BASE)
		opt = &syntax->opts[optopt - CAS_OPT_LONG_BASE];
	cas_help_hint(syntax, hint, sizeof(hint));
	if (ret == ':' && opt)
		cas_err("%s%soption --%s needs a value", cas_words(syntax),
			cas_colon(syntax), opt->name);
	else if (ret == ':')
		cas_err("%s%soption -%c needs a value", cas_words(syntax),
			cas_colon(syntax), optopt);
	else if (opt)
		cas_err("%s%soption --%s takes no value", cas_words(syntax),
			cas_colon(syntax), opt->name);
	else if (optopt)
		cas_err("%s%sunknown option '-%c' (%s)", cas_words(syntax),
			cas_colon(syntax), optopt, hint);
	else
		cas_err("%s%sunknown option '%s' (%s)", cas_words(syntax),
			cas_colon(syntax), word, hint);
	return CAS_EXIT_USAGE;
}

/* One option's value into its target; CAS_EXIT_USAGE after saying why. */
static int cas_opt_store(const struct cas_syntax *syntax,
			 const struct cas_opt *opt, const char *text,
			 void *args)
{
	void *target = (char *)args + opt->offset;
	struct cas_rate_opt *rate = target;
	char err[CAS_ERRBUF];
	int ret = 0;

	switch (opt->kind) {
	case CAS_OPT_FLAG:
		*(bool *)target = true;
		break;
	case CAS_OPT_STRING:
		*(const char **)target = text;
		break;
	case CAS_OPT_U32:
		ret = cas_parse_u32(text, opt->min, opt->max, target, err);
		break;
	case CAS_OPT_RATE:
		ret = cas_parse_rate(text, &rate->value, err);
		rate->given = true;
		break;
	case CAS_OPT_PORTS:
		ret = cas_parse_port_list(text, target, err);
		break;
	case CAS_OPT_CUSTOM:
		ret = opt->parse(text, target, err);
		break;
	}
	if (!ret)
		return CAS_EXIT_OK;
	/* A number's error does not name its option: say which one. */
	if (opt->kind == CAS_OPT_U32 || opt->kind == CAS_OPT_RATE)
		cas_err("%s%s--%s: %s", cas_words(syntax), cas_colon(syntax),
			opt->name, err);
	else
		cas_err("%s%s%s", cas_words(syntax), cas_colon(syntax), err);
	return CAS_EXIT_USAGE;
}

/* The table as getopt_long wants it: shortopts and longopts[count + 1]. */
static void cas_getopt_tables(const struct cas_syntax *syntax, size_t count,
			      char *shortopts, struct option *longopts)
{
	size_t i;

	/* '+': stop at the first operand; ':': tell a missing value apart. */
	if (syntax->stop_at_operand)
		*shortopts++ = '+';
	*shortopts++ = ':';
	for (i = 0; i < count; i++) {
		const struct cas_opt *opt = &syntax->opts[i];

		longopts[i] = (struct option){
			.name = opt->name,
			.has_arg = opt->value ? required_argument : no_argument,
			.val = CAS_OPT_LONG_BASE + (int)i,
		};
		if (opt->letter) {
			*shortopts++ = opt->letter;
			if (opt->value)
				*shortopts++ = ':';
		}
	}
	*shortopts = '\0';
	longopts[count] = (struct option){ 0 };
}

static const struct cas_opt *cas_opt_of(const struct cas_syntax *syntax,
					int ret)
{
	const struct cas_opt *opt;

	if (ret >= CAS_OPT_LONG_BASE)
		return &syntax->opts[ret - CAS_OPT_LONG_BASE];
	for (opt = syntax->opts; opt->name; opt++)
		if (opt->letter == ret)
			return opt;
	return NULL;
}

int cas_opts_parse(const struct cas_syntax *syntax, int argc, char **argv,
		   void *args, char ***operands, int *count)
{
	static const struct cas_opt none[] = { { 0 } };
	struct option longopts[CAS_OPTS_MAX + 1];
	char shortopts[3 + 2 * CAS_OPTS_MAX];
	struct cas_syntax self = *syntax;
	size_t n = 0;
	int ret;

	if (!self.opts)
		self.opts = none;
	while (self.opts[n].name)
		n++;
	if (n > CAS_OPTS_MAX) {
		cas_err("%s: %zu options, more than CAS_OPTS_MAX", self.words,
			n);
		return CAS_EXIT_FAIL;
	}
	cas_getopt_tables(&self, n, shortopts, longopts);
	opterr = 0;
	optind = 0; /* getopt starts afresh: verbs parse more than one argv */
	while ((ret = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		const struct cas_opt *opt = cas_opt_of(&self, ret);
		char hint[64];

		if (ret == '?' || ret == ':' || !opt)
			return cas_opts_refused(&self, ret, argv[optind - 1]);
		if (!cas_opt_applies(&self, opt)) {
			cas_help_hint(&self, hint, sizeof(hint));
			cas_err("%s%soption '--%s' does not apply (%s)",
				cas_words(&self), cas_colon(&self), opt->name,
				hint);
			return CAS_EXIT_USAGE;
		}
		if (cas_opt_store(&self, opt, optarg, args))
			return CAS_EXIT_USAGE;
	}
	if (operands)
		*operands = argv + optind;
	if (count)
		*count = argc - optind;
	if (argc - optind < self.min_operands)
		return cas_opts_missing(&self);
	if (self.max_operands >= 0 && argc - optind > self.max_operands)
		return cas_opts_unexpected(&self,
					   argv[optind + self.max_operands]);
	return CAS_EXIT_OK;
}

/* How an option is written: "-i IFACE" in usage lines, "-i, --interface
 * IFACE" in the help's list. */
static void cas_opt_text(const struct cas_opt *opt, bool in_list, char *buf,
			 size_t len)
{
	char name[40];

	if (in_list && opt->letter)
		snprintf(name, sizeof(name), "-%c, --%s", opt->letter,
			 opt->name);
	else if (in_list)
		snprintf(name, sizeof(name), "    --%s", opt->name);
	else if (opt->letter && !opt->usage_long)
		snprintf(name, sizeof(name), "-%c", opt->letter);
	else
		snprintf(name, sizeof(name), "--%s", opt->name);
	snprintf(buf, len, "%s%s%s", name, opt->value ? " " : "",
		 opt->value ? opt->value : "");
}

/* "usage: casshield allow add CIDR [-i IFACE] ...", wrapped. */
static void cas_usage_line(FILE *out, const char *lead,
			   const struct cas_syntax *syntax)
{
	const struct cas_opt *opt;
	int col, indent;

	col = fprintf(out, "%scasshield %s", lead, syntax->words);
	indent = col + 1;
	if (syntax->operands)
		col += fprintf(out, " %s", syntax->operands);
	for (opt = syntax->opts; opt && opt->name; opt++) {
		char text[80], item[96];
		int len;

		if (!cas_opt_applies(syntax, opt) || opt->own_line)
			continue;
		cas_opt_text(opt, false, text, sizeof(text));
		len = snprintf(item, sizeof(item), "[%s%s]", text,
			       opt->repeats ? " ..." : "");
		if (col + 1 + len > CAS_USAGE_WIDTH)
			col = fprintf(out, "\n%*s", indent, "") - 1;
		else
			col += fprintf(out, " ");
		col += fprintf(out, "%s", item);
	}
	if (syntax->note)
		fprintf(out, "  %s", syntax->note);
	fputc('\n', out);
}

/* Whether an earlier form, or an earlier entry of this one, has name. */
static bool cas_opt_listed(const struct cas_syntax *const *forms,
			   const struct cas_syntax *form,
			   const struct cas_opt *opt)
{
	const struct cas_opt *seen;

	for (; *forms; forms++) {
		for (seen = (*forms)->opts; seen && seen->name; seen++) {
			if (*forms == form && seen == opt)
				return false;
			if (cas_opt_applies(*forms, seen) &&
			    !strcmp(seen->name, opt->name))
				return true;
		}
	}
	return false;
}

void cas_opts_print(FILE *out, const struct cas_syntax *const *forms)
{
	const struct cas_syntax *const *form;
	const struct cas_opt *opt;
	bool any = false;

	for (form = forms; *form; form++) {
		for (opt = (*form)->opts; opt && opt->name; opt++) {
			char text[80];
			int col;

			if (!cas_opt_applies(*form, opt) ||
			    cas_opt_listed(forms, *form, opt))
				continue;
			if (!any)
				fputs("\noptions:\n", out);
			any = true;
			cas_opt_text(opt, true, text, sizeof(text));
			col = fprintf(out, "  %s", text);
			if (col > CAS_HELP_COLUMN - 2)
				col = fprintf(out, "\n") - 1;
			fprintf(out, "%*s%s\n", CAS_HELP_COLUMN - col, "",
				opt->help);
		}
	}
}

void cas_opts_help(FILE *out, const struct cas_syntax *const *forms,
		   const char *summary)
{
	const struct cas_syntax *const *form;

	for (form = forms; *form; form++)
		cas_usage_line(out, form == forms ? "usage: " : "       ",
			       *form);
	fprintf(out, "%s\n", summary);
	cas_opts_print(out, forms);
}
