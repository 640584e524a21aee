/* SPDX-License-Identifier: GPL-2.0 */
/* common.h - exit codes, messages and small helpers used by every verb. */
#ifndef CAS_COMMON_H
#define CAS_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>

/*
 * The error convention (docs/design.md): library functions return 0 or
 * -errno and, on failure, write one line naming the object and the
 * reason into an error buffer of CAS_ERRBUF bytes; they print nothing.
 * Only the verbs (user/cmd) print, and turn the -errno into an exit code
 * (cas_exit_code in cli.h): -EINVAL is input at fault, -ENOEXEC a kernel
 * that cannot run the shield, anything else a failure.
 */
#define CAS_ERRBUF 512

/* Exit codes: the CLI contract. */
enum cas_exit {
	CAS_EXIT_OK = 0,    /* success */
	CAS_EXIT_FAIL = 1,  /* well-formed request that cannot be carried out */
	CAS_EXIT_USAGE = 2, /* input that cannot be parsed */
	CAS_EXIT_KERNEL =
		3, /* this kernel cannot run the shield: retrying won't help */
};

extern bool cas_verbose;

/*
 * "casshield: <message>\n" on stderr, the message escaped (cas_escape):
 * messages quote what users typed, which must not reach a terminal raw.
 */
void cas_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cas_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copy in to out (len bytes, always terminated) with control bytes written
 * as \n, \r, \t or \xHH, so no escape sequence reaches a terminal and a
 * one-line message stays one line. Bytes >= 0x80 (UTF-8) are kept; an
 * escape that does not fit is left out whole.
 */
void cas_escape(const char *in, char *out, size_t len);

/* Route libbpf's messages through one callback, quiet unless -v. */
void cas_setup_libbpf_logging(void);

/* 0 when the process may use BPF and XDP, else -EPERM and err says why. */
int cas_require_privileges(char *err);

#define CAS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Make room for want items of size bytes in a growable array (*items with
 * *capacity items allocated), doubling; 0 or -ENOMEM, the array intact.
 */
int cas_array_reserve(void *items, size_t *capacity, size_t want, size_t size);

#endif /* CAS_COMMON_H */
