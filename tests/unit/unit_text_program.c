// SPDX-License-Identifier: GPL-2.0
/*
 * unit_text_program.c - the growing text buffer (text.h) and the program
 * runner (program.h), without root: /bin/sh stands in for nft.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "program.h"
#include "text.h"

static void test_text(void)
{
	struct cas_text t = {};
	char buf[16];
	size_t len;
	int ok = 1, i;

	check_case = "appends past the first allocation";
	for (i = 0; i < 1000; i++)
		cas_text_printf(&t, "%d,", i % 10);
	ok &= CHECK_EQ(t.len, 2000, "length");
	ok &= CHECK_EQ(strlen(t.data), 2000, "terminated");
	ok &= CHECK_EQ(cas_text_status(&t), 0, "status");
	check_record(ok);
	cas_text_free(&t);

	check_case = "copy: -ENOSPC short of the text and its NUL, 0 from there";
	ok = 1;
	cas_text_printf(&t, "%s", "0123456789");
	for (len = 0; len <= 11; len++) {
		memset(buf, 'x', sizeof(buf));
		ok &= CHECK_EQ(cas_text_copy(&t, buf, len),
			       len < 11 ? -ENOSPC : 0, "copy");
		if (len && len < 11)
			ok &= CHECK_STR(buf, "", "nothing half-copied");
	}
	ok &= CHECK_STR(buf, "0123456789", "copied");
	check_record(ok);

	check_case = "after a failed append, nothing is appended or copied";
	ok = 1;
	t.failed = true;
	cas_text_printf(&t, "%s", "more");
	ok &= CHECK_EQ(t.len, 10, "length kept");
	ok &= CHECK_EQ(cas_text_status(&t), -ENOMEM, "status");
	ok &= CHECK_EQ(cas_text_copy(&t, buf, sizeof(buf)), -ENOMEM, "copy");
	ok &= CHECK_STR(buf, "", "buffer emptied");
	check_record(ok);
	cas_text_free(&t);
	check_record(CHECK_EQ(t.data == NULL && t.len == 0 && !t.failed, 1,
			      "free resets"));
}

/* Run sh -c script with input; the result, *out and why. */
static int run_sh(const char *script, const char *input, char **out,
		  char *why)
{
	char path[256];
	char *const argv[] = { "sh", "-c", (char *)script, NULL };

	if (cas_program_find("sh", path, sizeof(path)))
		return -ENOENT;
	return cas_program_run(path, argv, input, out, why, CAS_ERRBUF);
}

static void test_program(void)
{
	static const struct {
		const char *name, *script, *input;
		int ret;
		const char *out, *why; /* out: NULL when not asked for */
	} cases[] = {
		{ "stdin to stdout", "cat", "table inet t {}\n", 0,
		  "table inet t {}\n", "" },
		{ "no input: an empty stdin", "cat; echo end", NULL, 0, "end\n",
		  "" },
		{ "exit 0 with errors printed is success", "echo noise >&2",
		  NULL, 0, "", "" },
		{ "nft's refusal: the Error: line, its errno",
		  "echo 'x.nft:3:1-2: Error: Could not process rule: Operation not permitted' >&2; echo 'add rule' >&2; echo '^^^' >&2; exit 1",
		  NULL, -EPERM, NULL,
		  "x.nft:3:1-2: Error: Could not process rule: Operation not permitted" },
		{ "no Error: line: the first line not empty",
		  "printf '\\n\\nNo such file or directory\\nmore\\n' >&2; exit 1",
		  NULL, -ENOENT, NULL, "No such file or directory" },
		{ "an unknown reason is -EIO", "echo 'it broke' >&2; exit 3",
		  NULL, -EIO, NULL, "it broke" },
		{ "silent failure names the exit status", "exit 4", NULL, -EIO,
		  NULL, "failed (exit status 4)" },
		{ "killed by a signal: 128 + the signal", "kill -9 $$", NULL,
		  -EIO, NULL, "failed (exit status 137)" },
	};
	char why[CAS_ERRBUF], *out;
	size_t i;
	int ok;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		check_case = cases[i].name;
		out = NULL;
		ok = CHECK_EQ(run_sh(cases[i].script, cases[i].input,
				     cases[i].out ? &out : NULL, why),
			      cases[i].ret, "result");
		if (cases[i].out)
			ok &= CHECK_STR(out, cases[i].out, "stdout");
		/* "failed ..." lines start with the program's path. */
		if (!strncmp(cases[i].why, "failed", 6))
			ok &= CHECK_EQ(strstr(why, cases[i].why) != NULL, 1,
				       "why");
		else
			ok &= CHECK_STR(why, cases[i].why, "why");
		check_record(ok);
		free(out);
	}

	check_case = "a program found nowhere";
	{
		char path[256];

		check_record(CHECK_EQ(cas_program_find("casshield-no-such-program",
						       path, sizeof(path)),
				      -ENOENT, "find"));
	}
}

int main(void)
{
	test_text();
	test_program();
	return check_summary("unit_text_program");
}
