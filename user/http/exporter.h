/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exporter.h - the HTTP side of the Prometheus exporter (libmicrohttpd):
 * /metrics, /healthz and an index, served from background threads. Each
 * request reads the pins afresh (lib/metrics.c renders them) and keeps
 * nothing open in between, so the exporter and the shield start, stop and
 * reload independently, and concurrent requests share no state. Used by
 * `casshield metrics` and by `casshield run`.
 */
#ifndef CAS_HTTP_EXPORTER_H
#define CAS_HTTP_EXPORTER_H

#include <stddef.h>

struct cas_exporter;

/*
 * Serve the interfaces named (count 0: every shielded one) on listen_text
 * ("IPV4:PORT" or "[IPV6]:PORT"). 0 and *out, or -errno with err
 * (CAS_ERRBUF bytes) saying why: a bad address (-EINVAL), one in use or
 * not of this host, a server that would not start.
 */
int cas_exporter_start(const char *const *names, size_t count,
		       const char *listen_text, struct cas_exporter **out,
		       char *err);
/* Stop serving and free; NULL is a no-op. */
void cas_exporter_stop(struct cas_exporter *exporter);

struct cas_config;
/*
 * For `run`, on an exporter of every shielded interface: the interfaces
 * the configuration names are exported too, and /healthz answers 503,
 * naming one, while it is not shielded with its program attached (an
 * unload behind run's back must show). Replaces the previous file's
 * list, also while requests are served. 0 or -ENOMEM.
 */
int cas_exporter_require(struct cas_exporter *exporter,
			 const struct cas_config *config);

#endif /* CAS_HTTP_EXPORTER_H */
