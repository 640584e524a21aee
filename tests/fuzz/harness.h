/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - what the parser harnesses (parse_*.c, libFuzzer) share: the
 * input as a C string, as a command line or a YAML scalar would give it,
 * and a check that names the input and the property before it aborts (a
 * broken property is a crash to libFuzzer, kept as an artifact).
 */
#ifndef CAS_FUZZ_HARNESS_H
#define CAS_FUZZ_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input up to its first NUL, NUL-terminated, in its own allocation. */
static inline char *fz_cstring(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

#define FZ_REQUIRE(cond, input, ...)                                          \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "property broken for '%s': ", input); \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			abort();                                              \
		}                                                             \
	} while (0)

#endif /* CAS_FUZZ_HARNESS_H */
