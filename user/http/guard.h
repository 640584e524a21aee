/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard.h - keeps slow and idle clients from starving the exporter
 * (issue 12, slowloris). libmicrohttpd's own timeout is an idle timeout:
 * every byte restarts it, so a client trickling a header line every few
 * seconds holds its connection for ever, and once the connection limit is
 * reached new connections wait in the kernel's queue. The guard adds what
 * libmicrohttpd 0.9.75 lacks, from its connection notifications:
 *
 *   - a deadline for the whole request head, counted from the accept,
 *     that bytes arriving do not extend; and a lifetime for the whole
 *     connection, answer included;
 *   - a cap on connections, high enough that held connections leave room
 *     for a scraper (issue 12 holds 1,000 from the scraper's own address,
 *     where a per-address limit would lock the scraper out too), past
 *     which a new connection closes the oldest one still waiting for its
 *     head (sparing one whose whole head already waits unread in its
 *     socket) rather than waiting in the kernel's queue.
 *
 * It closes a connection with shutdown(2): libmicrohttpd sees the hang-up
 * and closes the connection itself, so the guard never frees its objects.
 */
#ifndef CAS_HTTP_GUARD_H
#define CAS_HTTP_GUARD_H

#include <microhttpd.h>

/*
 * Slots beyond the cap: connections the guard closed that libmicrohttpd
 * has yet to notice. Its MHD_OPTION_CONNECTION_LIMIT is cap + slack.
 */
#define CAS_GUARD_SLACK	      256
/* From the accept: the request head must be in, the answer sent. */
#define CAS_GUARD_HEAD_MS     5000
#define CAS_GUARD_LIFETIME_MS 30000
/* How often deadlines are checked. */
#define CAS_GUARD_SWEEP_MS    250

struct cas_guard;

/*
 * Past cap connections, a new one closes another. 0 and *out with the
 * deadline thread running, or -errno.
 */
int cas_guard_start(unsigned int cap, struct cas_guard **out);
/* Stop the thread; free only after the daemon stopped (it notifies). */
void cas_guard_stop_thread(struct cas_guard *guard);
void cas_guard_free(struct cas_guard *guard);

/* MHD_OPTION_NOTIFY_CONNECTION, with the guard as its closure. */
void cas_guard_notify(void *cls, struct MHD_Connection *conn,
		      void **socket_context,
		      enum MHD_ConnectionNotificationCode code);
/* From the request handler: the head is in, its deadline no longer holds. */
void cas_guard_head_done(struct cas_guard *guard, struct MHD_Connection *conn);

#endif /* CAS_HTTP_GUARD_H */
