/* SPDX-License-Identifier: GPL-2.0 */
/*
 * program.h - running another program (nft, modprobe) and reading what it
 * said: found in the sbin directories first, started with fork/exec and
 * no shell, its stdin, stdout and stderr memory files, so nothing it
 * writes can block it and no temporary file is left behind. The child
 * calls only async-signal-safe functions: the exporter has threads.
 */
#ifndef CAS_PROGRAM_H
#define CAS_PROGRAM_H

#include <stddef.h>

/*
 * A program's path: /usr/sbin and /sbin first (root's PATH may lack them,
 * e.g. under sudo or cron), then PATH's absolute entries. 0 or -ENOENT.
 */
int cas_program_find(const char *name, char *path, size_t len);

/*
 * Run path with argv (argv[0] its name, NULL-terminated), input (may be
 * NULL) on its stdin; *out (if out: malloc'd) gets its stdout. 0 if it
 * exited 0. Else -errno, and why (why_len bytes) holds the telling line
 * of its stderr (the first with "Error:", else the first not empty) or
 * says it could not be started or how it ended; the -errno is the one
 * whose text that line holds (EPERM, EACCES, ENOENT, EOPNOTSUPP, EEXIST,
 * EBUSY, ENOMEM), else -EIO.
 */
int cas_program_run(const char *path, char *const argv[], const char *input,
		    char **out, char *why, size_t why_len);

#endif /* CAS_PROGRAM_H */
