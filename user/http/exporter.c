// SPDX-License-Identifier: GPL-2.0
/* exporter.c - the exporter's HTTP server (exporter.h). */
#include <errno.h>
#include <microhttpd.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "config.h"
#include "exporter.h"
#include "guard.h"
#include "metrics.h"
#include "values.h"

/*
 * Enough for Prometheus, a health checker and a human with curl, and for
 * them to be served while others hold connections open (issue 12): the
 * threads wait on epoll (libmicrohttpd picks it on Linux), so a held
 * connection costs a slot and a file descriptor, not a thread. guard.c
 * bounds the slots, their request heads and their lifetime. The idle
 * timeout still ends an answer the client stopped reading.
 *
 * The cap is above the 1,000 held connections the issue asks to survive:
 * below it nothing is ever closed for room, so a scraper's connection is
 * safe however fast the others come and go; past it a newcomer closes the
 * oldest connection still waiting for its head. It takes descriptors:
 * the soft RLIMIT_NOFILE (1,024 under systemd) is raised toward the hard
 * one, and the cap shrinks to what that allows. The backlog holds a burst
 * of connections (the kernel caps it at net.core.somaxconn): a full queue
 * drops a scraper's SYN, whose retry comes 1 s later.
 */
#define CAS_HTTP_THREADS     4
#define CAS_HTTP_TIMEOUT_S   10
#define CAS_HTTP_CONNECTIONS 2048
#define CAS_HTTP_FD_RESERVE  256 /* pins, maps, libraries, stdio */
#define CAS_HTTP_MIN_CAP     64
#define CAS_HTTP_BACKLOG     4096

struct cas_exporter {
	char (*names)[IF_NAMESIZE]; /* none: every shielded interface */
	const char **name_ptrs;	    /* into names, for cas_metrics_collect */
	size_t count;
	/* Without names: required too, shielded or not (run's file). */
	pthread_mutex_t lock; /* for required, which a reload replaces */
	char (*required)[IF_NAMESIZE];
	size_t required_count;
	struct cas_guard *guard;
	struct MHD_Daemon *daemon;
};

/* The connection cap that the descriptor limit allows, raised if need be. */
static unsigned int cas_http_cap(void)
{
	const rlim_t want =
		CAS_HTTP_CONNECTIONS + CAS_GUARD_SLACK + CAS_HTTP_FD_RESERVE;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim))
		return CAS_HTTP_MIN_CAP;
	if (lim.rlim_cur < want) {
		lim.rlim_cur = lim.rlim_max < want ? lim.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &lim);
		getrlimit(RLIMIT_NOFILE, &lim);
	}
	if (lim.rlim_cur >= want)
		return CAS_HTTP_CONNECTIONS;
	if (lim.rlim_cur <
	    CAS_HTTP_MIN_CAP + CAS_GUARD_SLACK + CAS_HTTP_FD_RESERVE)
		return CAS_HTTP_MIN_CAP;
	return lim.rlim_cur - CAS_GUARD_SLACK - CAS_HTTP_FD_RESERVE;
}

/* The listening socket, bound here so that failures name their cause. */
static int cas_listen(const struct cas_listen_addr *listen_addr,
		      const char *text, char *errbuf)
{
	int fd, one = 1, err;

	fd = socket(listen_addr->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(errbuf, CAS_ERRBUF, "cannot create a socket: %s",
			 strerror(-err));
		return err;
	}
	/* A restart must not wait for the old connections' TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&listen_addr->addr,
		 listen_addr->len) ||
	    listen(fd, CAS_HTTP_BACKLOG)) {
		err = -errno;
		snprintf(
			errbuf, CAS_ERRBUF, "cannot listen on %s: %s%s", text,
			strerror(-err),
			err == -EADDRINUSE ?
				" (another exporter running? pick another port)" :
			err == -EADDRNOTAVAIL ?
				" (not an address of this host)" :
				"");
		close(fd);
		return err;
	}
	return fd;
}

static enum MHD_Result cas_reply(struct MHD_Connection *conn,
				 unsigned int status, const char *type,
				 struct cas_text *body)
{
	struct MHD_Response *response;
	enum MHD_Result ret;

	if (cas_text_status(body) || !body->data) {
		cas_text_free(body);
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		cas_text_printf(body, "out of memory\n");
		if (!body->data)
			return MHD_NO; /* drops the connection */
	}
	/* The response takes the buffer and frees it when sent. */
	response = MHD_create_response_from_buffer_with_free_callback(
		body->len, body->data, free);
	if (!response) {
		cas_text_free(body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW,
					"GET, HEAD");
	ret = MHD_queue_response(conn, status, response);
	MHD_destroy_response(response);
	return ret;
}

/*
 * The interfaces of -i; without, every shielded one and those required,
 * copied under the lock since a reload may replace them meanwhile.
 */
static int cas_exporter_collect(struct cas_exporter *exporter, bool with_rules,
				struct cas_metrics_snapshot *snap)
{
	char(*copy)[IF_NAMESIZE];
	const char **names;
	size_t i, count;
	int err;

	if (exporter->count)
		return cas_metrics_collect(exporter->name_ptrs, exporter->count,
					   with_rules, snap);
	pthread_mutex_lock(&exporter->lock);
	count = exporter->required_count;
	copy = calloc(count + 1, sizeof(*copy));
	names = calloc(count + 1, sizeof(*names));
	if (copy && names)
		memcpy(copy, exporter->required, count * sizeof(*copy));
	pthread_mutex_unlock(&exporter->lock);
	err = -ENOMEM;
	if (copy && names) {
		for (i = 0; i < count; i++)
			names[i] = copy[i];
		err = cas_metrics_collect_also(names, count, with_rules, snap);
	}
	free(names);
	free(copy);
	return err;
}

static unsigned int cas_serve_metrics(struct cas_exporter *exporter,
				      struct cas_text *body)
{
	struct cas_metrics_snapshot snap;
	int err;

	err = cas_exporter_collect(exporter, true, &snap);
	if (err) {
		cas_text_printf(body, "cannot read the shield: %s\n",
				strerror(-err));
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	cas_metrics_render(&snap, body);
	cas_metrics_snapshot_free(&snap);
	return MHD_HTTP_OK;
}

static unsigned int cas_serve_health(struct cas_exporter *exporter,
				     struct cas_text *body)
{
	struct cas_metrics_snapshot snap;
	bool healthy;
	int err;

	err = cas_exporter_collect(exporter, false, &snap);
	if (err) {
		cas_text_printf(body, "unhealthy\ncannot list %s: %s\n",
				CAS_PIN_ROOT, strerror(-err));
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	healthy = cas_metrics_health(&snap, body);
	cas_metrics_snapshot_free(&snap);
	return healthy ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
}

static enum MHD_Result cas_handle(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **state)
{
	struct cas_exporter *exporter = cls;
	const char *type = "text/plain; charset=utf-8";
	struct cas_text body = {};
	unsigned int status;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)state;
	/*
	 * The head is in. Answered at this first call, the request is the
	 * connection's only one (libmicrohttpd then closes the connection),
	 * so the guard's head deadline, counted from the accept, is its.
	 */
	cas_guard_head_done(exporter->guard, conn);
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		cas_text_printf(&body,
				"method %s not allowed: use GET or HEAD\n",
				method);
	} else if (!strcmp(url, "/metrics")) {
		status = cas_serve_metrics(exporter, &body);
		if (status == MHD_HTTP_OK)
			type = CAS_METRICS_CONTENT_TYPE;
	} else if (!strcmp(url, "/healthz")) {
		status = cas_serve_health(exporter, &body);
	} else if (!strcmp(url, "/")) {
		status = MHD_HTTP_OK;
		cas_text_printf(
			&body,
			"casshield %s exporter\n/metrics  Prometheus metrics\n/healthz  200 while every exported interface is attached, else 503\n",
			CAS_VERSION);
	} else {
		status = MHD_HTTP_NOT_FOUND;
		cas_text_printf(&body, "not found: try /metrics or /healthz\n");
	}
	/* MHD leaves the body out of answers to HEAD. */
	return cas_reply(conn, status, type, &body);
}

static void cas_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (!cas_verbose)
		return;
	fputs("casshield: metrics: ", stderr);
	vfprintf(stderr, fmt, ap);
}

void cas_exporter_stop(struct cas_exporter *exporter)
{
	if (!exporter)
		return;
	/* The daemon notifies the guard of every close: the guard goes last. */
	cas_guard_stop_thread(exporter->guard);
	if (exporter->daemon)
		MHD_stop_daemon(exporter->daemon); /* closes the socket too */
	cas_guard_free(exporter->guard);
	pthread_mutex_destroy(&exporter->lock);
	free(exporter->required);
	free(exporter->names);
	free(exporter->name_ptrs);
	free(exporter);
}

/* The exporter's state and its copy of the names; NULL without memory. */
static struct cas_exporter *cas_exporter_new(const char *const *names,
					     size_t count)
{
	struct cas_exporter *exporter = calloc(1, sizeof(*exporter));
	size_t i;

	if (!exporter)
		return NULL;
	pthread_mutex_init(&exporter->lock, NULL);
	if (count) {
		exporter->names = calloc(count, sizeof(*exporter->names));
		exporter->name_ptrs = calloc(count, sizeof(char *));
		if (!exporter->names || !exporter->name_ptrs) {
			cas_exporter_stop(exporter);
			return NULL;
		}
	}
	for (i = 0; i < count; i++) {
		snprintf(exporter->names[i], IF_NAMESIZE, "%s", names[i]);
		exporter->name_ptrs[i] = exporter->names[i];
	}
	exporter->count = count;
	return exporter;
}

int cas_exporter_start(const char *const *names, size_t count,
		       const char *listen_text, struct cas_exporter **out,
		       char *err)
{
	struct cas_listen_addr listen_addr;
	struct cas_exporter *exporter;
	unsigned int cap;
	int listen_fd, ret;

	*out = NULL;
	ret = cas_metrics_parse_listen(listen_text, &listen_addr, err);
	if (ret)
		return ret;
	exporter = cas_exporter_new(names, count);
	if (!exporter) {
		snprintf(err, CAS_ERRBUF, "out of memory");
		return -ENOMEM;
	}
	cap = cas_http_cap();
	ret = cas_guard_start(cap, &exporter->guard);
	if (ret) {
		cas_exporter_stop(exporter);
		snprintf(err, CAS_ERRBUF,
			 "cannot start the connection guard: %s",
			 strerror(-ret));
		return ret;
	}
	/* Cached now, before concurrent requests ask for it. */
	libbpf_num_possible_cpus();
	listen_fd = cas_listen(&listen_addr, listen_text, err);
	if (listen_fd < 0) {
		cas_exporter_stop(exporter);
		return listen_fd;
	}
	signal(SIGPIPE, SIG_IGN);
	exporter->daemon = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		cas_handle, exporter, MHD_OPTION_EXTERNAL_LOGGER, cas_mhd_log,
		NULL, MHD_OPTION_LISTEN_SOCKET, listen_fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)CAS_HTTP_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, cap + CAS_GUARD_SLACK,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CAS_HTTP_TIMEOUT_S,
		MHD_OPTION_NOTIFY_CONNECTION, cas_guard_notify, exporter->guard,
		MHD_OPTION_END);
	if (!exporter->daemon) {
		close(listen_fd);
		cas_exporter_stop(exporter);
		snprintf(
			err, CAS_ERRBUF,
			"cannot start the HTTP server on %s (run with -v for details)",
			listen_text);
		return -EIO;
	}
	*out = exporter;
	return 0;
}

int cas_exporter_require(struct cas_exporter *exporter,
			 const struct cas_config *config)
{
	char(*names)[IF_NAMESIZE], (*old)[IF_NAMESIZE];
	size_t i;

	names = calloc(config->iface_count + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (i = 0; i < config->iface_count; i++)
		snprintf(names[i], IF_NAMESIZE, "%s", config->ifaces[i].name);
	pthread_mutex_lock(&exporter->lock);
	old = exporter->required;
	exporter->required = names;
	exporter->required_count = config->iface_count;
	pthread_mutex_unlock(&exporter->lock);
	free(old);
	return 0;
}
