/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - the smallest test harness that says what it compared: every
 * CHECK prints the case, the expression, expected and actual on failure.
 * A binary ends with "NAME: N passed, N failed" and exits 1 on a failure.
 */
#ifndef CAS_TEST_CHECK_H
#define CAS_TEST_CHECK_H

#include <stdio.h>

extern unsigned int check_passed, check_failed;
extern const char *check_case; /* the case being run, for messages */

#define CHECK_EQ(actual, expected, what)                                       \
	({                                                                     \
		unsigned long long __a = (actual), __e = (expected);           \
		int __ok = __a == __e;                                         \
		if (!__ok)                                                     \
			fprintf(stderr,                                        \
				"FAIL %s: %s: expected %llu, got %llu (%s:%d)\n", \
				check_case, what, __e, __a, __FILE__,          \
				__LINE__);                                     \
		__ok;                                                          \
	})

#define CHECK_STR(actual, expected, what)                                      \
	({                                                                     \
		const char *__a = (actual), *__e = (expected);                 \
		int __ok = __a && __e && !strcmp(__a, __e);                    \
		if (!__ok)                                                     \
			fprintf(stderr,                                        \
				"FAIL %s: %s: expected '%s', got '%s' (%s:%d)\n", \
				check_case, what, __e ? __e : "(null)",        \
				__a ? __a : "(null)", __FILE__, __LINE__);     \
		__ok;                                                          \
	})

/* Count one case as passed when ok, failed otherwise. */
void check_record(int ok);
/* Prints the summary line; returns the exit code. */
int check_summary(const char *suite);

#endif /* CAS_TEST_CHECK_H */
