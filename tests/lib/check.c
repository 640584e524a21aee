// SPDX-License-Identifier: GPL-2.0
/* check.c - counting cases and the summary line. */
#include "check.h"

unsigned int check_passed, check_failed;
const char *check_case = "";

void check_record(int ok)
{
	if (ok) {
		check_passed++;
	} else {
		check_failed++;
		fprintf(stderr, "  case failed: %s\n", check_case);
	}
}

int check_summary(const char *suite)
{
	printf("%s: %u passed, %u failed\n", suite, check_passed,
	       check_failed);
	return check_failed ? 1 : 0;
}
