// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_metrics.c - the metrics verb: a Prometheus exporter over HTTP
 * (libmicrohttpd). Each request reads the pins afresh (metrics.c) and keeps
 * nothing open in between, so the exporter and the shield start, stop and
 * reload independently, and concurrent requests share no state.
 */
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "common.h"
#include "metrics.h"
#include "parse.h"

/* Enough for Prometheus, a health checker and a human with curl. */
#define CAS_HTTP_THREADS	 4
#define CAS_HTTP_MAX_CONNECTIONS 64
#define CAS_HTTP_TIMEOUT_S	 10

struct cas_exporter {
	const char **names; /* from -i; none: every shielded interface */
	size_t count;
};

/* The listening socket, bound here so that failures name their cause. */
static int cas_listen(const struct cas_listen_addr *listen_addr,
		      const char *text)
{
	int fd, one = 1, err;

	fd = socket(listen_addr->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		cas_err("metrics: cannot create a socket: %s", strerror(-err));
		return err;
	}
	/* A restart must not wait for the old connections' TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&listen_addr->addr,
		 listen_addr->len) ||
	    listen(fd, 64)) {
		err = -errno;
		if (err == -EADDRINUSE)
			cas_err("metrics: cannot listen on %s: %s (another exporter running? pick another port with --listen)",
				text, strerror(-err));
		else if (err == -EADDRNOTAVAIL)
			cas_err("metrics: cannot listen on %s: %s (not an address of this host)",
				text, strerror(-err));
		else
			cas_err("metrics: cannot listen on %s: %s", text,
				strerror(-err));
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

static unsigned int cas_serve_metrics(const struct cas_exporter *exporter,
				      struct cas_text *body)
{
	struct cas_metrics_snapshot snap;
	int err;

	err = cas_metrics_collect(exporter->names, exporter->count, true,
				  &snap);
	if (err) {
		cas_text_printf(body, "cannot read the shield: %s\n",
				strerror(-err));
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	cas_metrics_render(&snap, body);
	cas_metrics_snapshot_free(&snap);
	return MHD_HTTP_OK;
}

static unsigned int cas_serve_health(const struct cas_exporter *exporter,
				     struct cas_text *body)
{
	struct cas_metrics_snapshot snap;
	bool healthy;
	int err;

	err = cas_metrics_collect(exporter->names, exporter->count, false,
				  &snap);
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
	const struct cas_exporter *exporter = cls;
	const char *type = "text/plain; charset=utf-8";
	struct cas_text body = {};
	unsigned int status;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)state;
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
			"casshield %s exporter\n/metrics  Prometheus metrics\n/healthz  200 while every shielded interface is attached, else 503\n",
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

static bool cas_valid_name_syntax(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len < IF_NAMESIZE && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

static struct MHD_Daemon *cas_start(const struct cas_exporter *exporter,
				    int listen_fd, const char *listen_text)
{
	struct MHD_Daemon *daemon;

	signal(SIGPIPE, SIG_IGN);
	daemon = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		cas_handle, (void *)exporter, MHD_OPTION_LISTEN_SOCKET,
		listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned int)CAS_HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)CAS_HTTP_MAX_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CAS_HTTP_TIMEOUT_S,
		MHD_OPTION_EXTERNAL_LOGGER, cas_mhd_log, NULL, MHD_OPTION_END);
	if (!daemon) {
		cas_err("metrics: cannot start the HTTP server on %s (run with -v for details)",
			listen_text);
		close(listen_fd);
		return NULL;
	}
	fprintf(stderr, "casshield: serving http://%s/metrics and /healthz\n",
		listen_text);
	return daemon;
}

static int cas_serve(const struct cas_exporter *exporter, int listen_fd,
		     const char *listen_text)
{
	struct MHD_Daemon *daemon;
	sigset_t stop;
	int sig;

	/* Blocked before the server threads exist, so they inherit it. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	daemon = cas_start(exporter, listen_fd, listen_text);
	if (!daemon)
		return CAS_EXIT_FAIL;
	while (sigwait(&stop, &sig))
		;
	MHD_stop_daemon(daemon); /* closes listen_fd too */
	return CAS_EXIT_OK;
}

/* The exporter of `casshield run`: every shielded interface. */
static const struct cas_exporter cas_all_interfaces;

void *cas_metrics_start(const char *listen_text)
{
	struct cas_listen_addr listen_addr;
	char err_text[CAS_ERRBUF];
	int listen_fd;

	if (cas_metrics_parse_listen(listen_text, &listen_addr, err_text)) {
		cas_err("metrics: %s", err_text);
		return NULL;
	}
	libbpf_num_possible_cpus();
	listen_fd = cas_listen(&listen_addr, listen_text);
	if (listen_fd < 0)
		return NULL;
	return cas_start(&cas_all_interfaces, listen_fd, listen_text);
}

void cas_metrics_stop(void *server)
{
	if (server)
		MHD_stop_daemon(server);
}

int cas_cmd_metrics(int argc, char **argv)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "listen", required_argument, NULL, 'l' },
		{ 0 },
	};
	const char *listen_text = CAS_METRICS_DEFAULT_LISTEN;
	struct cas_exporter exporter = {};
	struct cas_listen_addr listen_addr;
	char err_text[CAS_ERRBUF];
	int opt, listen_fd, ret;

	exporter.names = calloc(argc, sizeof(*exporter.names));
	if (!exporter.names) {
		cas_err("metrics: out of memory");
		return CAS_EXIT_FAIL;
	}
	ret = CAS_EXIT_USAGE;
	while ((opt = cas_getopt(argc, argv, "i:", options, "metrics")) != -1) {
		if (opt == 'i') {
			if (!cas_valid_name_syntax(optarg)) {
				cas_err("metrics: invalid interface name '%s'",
					optarg);
				goto out;
			}
			exporter.names[exporter.count++] = optarg;
		} else if (opt == 'l') {
			listen_text = optarg;
		} else {
			goto out;
		}
	}
	if (optind != argc) {
		cas_err("metrics: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (cas_metrics_parse_listen(listen_text, &listen_addr, err_text)) {
		cas_err("metrics: --listen: %s", err_text);
		goto out;
	}
	ret = CAS_EXIT_FAIL;
	if (cas_require_privileges())
		goto out;
	/* Cached now, before concurrent requests ask for it. */
	libbpf_num_possible_cpus();
	listen_fd = cas_listen(&listen_addr, listen_text);
	if (listen_fd < 0)
		goto out;
	ret = cas_serve(&exporter, listen_fd, listen_text);
out:
	free(exporter.names);
	return ret;
}
