// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_metrics.c - the metrics verb: serve Prometheus metrics and /healthz
 * (http/exporter.c) until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "exporter.h"
#include "metrics.h"
#include "values.h"

/* The interfaces named with -i, in order. */
struct cas_metrics_args {
	const char **names;
	size_t count, capacity;
	const char *listen;
};

/* -i IFACE, again for each interface. */
static int cas_metrics_add_iface(const char *text, void *target, char *err)
{
	struct cas_metrics_args *args = target;

	if (!cas_valid_ifname(text)) {
		snprintf(err, CAS_ERRBUF, "invalid interface name '%s'", text);
		return -EINVAL;
	}
	if (cas_array_reserve(&args->names, &args->capacity, args->count + 1,
			      sizeof(*args->names))) {
		snprintf(err, CAS_ERRBUF, "out of memory");
		return -ENOMEM;
	}
	args->names[args->count++] = text;
	return 0;
}

static const struct cas_opt cas_metrics_opts[] = {
	{ .name = "interface",
	  .letter = 'i',
	  .kind = CAS_OPT_CUSTOM,
	  .parse = cas_metrics_add_iface,
	  .offset = 0 /* the whole struct */,
	  .value = "IFACE",
	  .repeats = true,
	  .help = "serve only these interfaces (default: all)" },
	{ .name = "listen",
	  .kind = CAS_OPT_STRING,
	  .offset = offsetof(struct cas_metrics_args, listen),
	  .value = "ADDR:PORT",
	  .help = "serve on ADDR:PORT (default " CAS_METRICS_DEFAULT_LISTEN
		  ")" },
	{ 0 },
};

static const struct cas_syntax cas_metrics_syntax = {
	.words = "metrics",
	.verb = "metrics",
	.opts = cas_metrics_opts,
};

/* Serve until SIGINT or SIGTERM; an exit code. */
static int cas_metrics_serve(const struct cas_metrics_args *args)
{
	struct cas_exporter *exporter;
	char err_text[CAS_ERRBUF];
	sigset_t stop;
	int sig;

	/* Blocked before the server threads exist, so they inherit it. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	if (cas_exporter_start(args->names, args->count, args->listen,
			       &exporter, err_text)) {
		cas_err("metrics: %s", err_text);
		return CAS_EXIT_FAIL;
	}
	cas_err("serving http://%s/metrics and /healthz", args->listen);
	while (sigwait(&stop, &sig))
		;
	cas_exporter_stop(exporter);
	return CAS_EXIT_OK;
}

static int cas_cmd_metrics(int argc, char **argv)
{
	struct cas_metrics_args args = { .listen = CAS_METRICS_DEFAULT_LISTEN };
	struct cas_listen_addr listen_addr;
	char err_text[CAS_ERRBUF];
	int ret;

	ret = cas_opts_parse(&cas_metrics_syntax, argc, argv, &args, NULL,
			     NULL);
	if (!ret &&
	    cas_metrics_parse_listen(args.listen, &listen_addr, err_text)) {
		cas_err("metrics: --listen: %s", err_text);
		ret = CAS_EXIT_USAGE;
	}
	if (!ret)
		ret = cas_verb_privileges();
	if (!ret)
		ret = cas_metrics_serve(&args);
	free(args.names);
	return ret;
}

static const struct cas_syntax *const cas_metrics_forms[] = {
	&cas_metrics_syntax, NULL
};

const struct cas_verb cas_verb_metrics = {
	"metrics", cas_cmd_metrics, cas_metrics_forms,
	"serve Prometheus metrics and /healthz (default " CAS_METRICS_DEFAULT_LISTEN
	")"
};
