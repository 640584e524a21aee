/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel.h - what the running kernel can do, and why it refused the
 * program: feature probes run before a load, and the one-line account of a
 * failed load (verifier rejection, missing privilege, anything else).
 * Library code: returns 0 or -errno and fills err (CAS_ERRBUF bytes).
 */
#ifndef CAS_USER_KERNEL_H
#define CAS_USER_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

/* Enough for a rejection's log at log level 1 on 6.1 (the log is not kept
 * when the load succeeds: libbpf asks for it only on a retry). */
#define CAS_VERIFIER_LOG_SIZE (16u << 20)

/*
 * 0 when the kernel has every feature the shield needs; otherwise
 * -ENOEXEC (this kernel cannot run the shield) and err names the first
 * one missing and the Linux version that brought it.
 */
int cas_kernel_probe(char *err);

/* The running kernel's release ("6.1.0-57-cloud-amd64"). */
const char *cas_kernel_release(void);

/*
 * The last line of a verifier log that says why (not the statistics,
 * instruction dumps or register states around it); "" when there is none.
 */
void cas_verifier_reason(const char *log, char *line, size_t len);

/*
 * Why loading the program failed with err (-errno), given the verifier
 * log (possibly empty), as one line in msg. True when the kernel itself
 * refused the program (the verifier): retrying on this kernel cannot help.
 */
bool cas_explain_load_error(int err, const char *log, char *msg, size_t len);

#endif /* CAS_USER_KERNEL_H */
