// SPDX-License-Identifier: GPL-2.0
/* guard.c - deadlines and a cap for the exporter's connections (guard.h). */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "guard.h"

/* One connection libmicrohttpd holds; fd -1 when the slot is free. */
struct cas_guard_conn {
	int fd;
	uint64_t accepted_ms;
	bool head_done;	  /* the handler saw its request head */
	bool head_queued; /* a whole head waits in its socket to be read */
	bool closing;	  /* shut down here; libmicrohttpd has yet to notice */
};

/*
 * One lock for the slots: the notifications come from libmicrohttpd's
 * worker threads, the deadlines from the guard's own. A connection's fd
 * stays valid while its slot holds it, since libmicrohttpd notifies the
 * close before it closes the fd, and the notification waits for the lock.
 */
struct cas_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool thread_running, stop;
	unsigned int cap;
	unsigned int live; /* held and not closing */
	size_t slots;	   /* cap + CAS_GUARD_SLACK */
	struct cas_guard_conn conns[];
};

static uint64_t cas_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Under the lock. libmicrohttpd reads the hang-up and closes it. */
static void cas_guard_close(struct cas_guard *guard, struct cas_guard_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->closing = true;
	guard->live--;
}

/*
 * Whether a whole request head waits unread in the connection's socket: a
 * scraper sends its head at once, while a worker may not have read it yet
 * (it was busy accepting a burst); a slow client never has one.
 */
static bool cas_guard_head_queued(int fd)
{
	char buf[4096];
	ssize_t len;

	len = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	return len > 0 && memmem(buf, len, "\r\n\r\n", 4);
}

/*
 * Under the lock: the connection to close for a newcomer. The one waiting
 * longest for its head, unless that head is in and only waits to be read
 * (then the next one); when no connection waits for its head, the oldest
 * answer (a slow reader); else none, and the newcomer goes. Age alone is
 * not enough: a burst of new connections larger than the cap would make a
 * scraper that just connected the oldest one waiting.
 */
static struct cas_guard_conn *cas_guard_victim(struct cas_guard *guard,
					       const struct cas_guard_conn *new)
{
	struct cas_guard_conn *waiting, *answering, *c;

	for (;;) {
		waiting = answering = NULL;
		for (c = guard->conns; c < guard->conns + guard->slots; c++) {
			if (c->fd < 0 || c->closing || c == new ||
			    (c->head_queued && !c->head_done))
				continue;
			if (c->head_done) {
				if (!answering ||
				    c->accepted_ms < answering->accepted_ms)
					answering = c;
			} else if (!waiting ||
				   c->accepted_ms < waiting->accepted_ms) {
				waiting = c;
			}
		}
		if (!waiting)
			return answering;
		if (!cas_guard_head_queued(waiting->fd))
			return waiting;
		waiting->head_queued = true;
	}
}

static void cas_guard_started(struct cas_guard *guard,
			      struct MHD_Connection *conn, void **context)
{
	const union MHD_ConnectionInfo *info;
	struct cas_guard_conn *c, *victim;
	int fd;

	*context = NULL;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!info)
		return;
	fd = info->connect_fd;
	pthread_mutex_lock(&guard->lock);
	for (c = guard->conns; c < guard->conns + guard->slots; c++)
		if (c->fd < 0)
			break;
	if (c == guard->conns + guard->slots) {
		/* Not reached: libmicrohttpd holds at most as many. */
		shutdown(fd, SHUT_RDWR);
		pthread_mutex_unlock(&guard->lock);
		return;
	}
	*c = (struct cas_guard_conn){ .fd = fd, .accepted_ms = cas_now_ms() };
	*context = c;
	if (++guard->live > guard->cap) {
		victim = cas_guard_victim(guard, c);
		cas_guard_close(guard, victim ? victim : c);
	}
	pthread_mutex_unlock(&guard->lock);
}

void cas_guard_notify(void *cls, struct MHD_Connection *conn,
		      void **socket_context,
		      enum MHD_ConnectionNotificationCode code)
{
	struct cas_guard *guard = cls;
	struct cas_guard_conn *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		cas_guard_started(guard, conn, socket_context);
		return;
	}
	if (!c)
		return;
	pthread_mutex_lock(&guard->lock);
	if (!c->closing)
		guard->live--;
	c->fd = -1;
	pthread_mutex_unlock(&guard->lock);
	*socket_context = NULL;
}

void cas_guard_head_done(struct cas_guard *guard, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;
	struct cas_guard_conn *c;

	info = MHD_get_connection_info(conn,
				       MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	c = info ? info->socket_context : NULL;
	if (!c)
		return;
	pthread_mutex_lock(&guard->lock);
	c->head_done = true;
	pthread_mutex_unlock(&guard->lock);
}

/* Close what is past its deadline, every CAS_GUARD_SWEEP_MS. */
static void *cas_guard_sweep(void *arg)
{
	struct cas_guard *guard = arg;
	struct cas_guard_conn *c;
	struct timespec until;
	uint64_t now, age;

	pthread_mutex_lock(&guard->lock);
	while (!guard->stop) {
		now = cas_now_ms();
		for (c = guard->conns; c < guard->conns + guard->slots; c++) {
			if (c->fd < 0 || c->closing)
				continue;
			age = now - c->accepted_ms;
			if ((!c->head_done && age > CAS_GUARD_HEAD_MS) ||
			    age > CAS_GUARD_LIFETIME_MS)
				cas_guard_close(guard, c);
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += CAS_GUARD_SWEEP_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&guard->wake, &guard->lock, &until);
	}
	pthread_mutex_unlock(&guard->lock);
	return NULL;
}

int cas_guard_start(unsigned int cap, struct cas_guard **out)
{
	size_t i, slots = (size_t)cap + CAS_GUARD_SLACK;
	struct cas_guard *guard;
	pthread_condattr_t attr;
	int err;

	*out = NULL;
	guard = calloc(1, sizeof(*guard) + slots * sizeof(guard->conns[0]));
	if (!guard)
		return -ENOMEM;
	guard->cap = cap;
	guard->slots = slots;
	for (i = 0; i < slots; i++)
		guard->conns[i].fd = -1;
	pthread_mutex_init(&guard->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&guard->wake, &attr);
	pthread_condattr_destroy(&attr);
	err = pthread_create(&guard->thread, NULL, cas_guard_sweep, guard);
	if (err) {
		cas_guard_free(guard);
		return -err;
	}
	guard->thread_running = true;
	*out = guard;
	return 0;
}

void cas_guard_stop_thread(struct cas_guard *guard)
{
	if (!guard || !guard->thread_running)
		return;
	pthread_mutex_lock(&guard->lock);
	guard->stop = true;
	pthread_cond_signal(&guard->wake);
	pthread_mutex_unlock(&guard->lock);
	pthread_join(guard->thread, NULL);
	guard->thread_running = false;
}

void cas_guard_free(struct cas_guard *guard)
{
	if (!guard)
		return;
	cas_guard_stop_thread(guard);
	pthread_cond_destroy(&guard->wake);
	pthread_mutex_destroy(&guard->lock);
	free(guard);
}
