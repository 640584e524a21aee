// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_metrics.c - the metrics verb: serve Prometheus metrics and /healthz
 * (http/exporter.c) until SIGINT or SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "exporter.h"
#include "metrics.h"
#include "values.h"

int cas_cmd_metrics(int argc, char **argv)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "listen", required_argument, NULL, 'l' },
		{ 0 },
	};
	const char *listen_text = CAS_METRICS_DEFAULT_LISTEN;
	struct cas_listen_addr listen_addr;
	struct cas_exporter *exporter;
	char err_text[CAS_ERRBUF];
	const char **names;
	size_t count = 0;
	int opt, ret, sig, err;
	sigset_t stop;

	names = calloc(argc, sizeof(*names));
	if (!names) {
		cas_err("metrics: out of memory");
		return CAS_EXIT_FAIL;
	}
	ret = CAS_EXIT_USAGE;
	while ((opt = cas_getopt(argc, argv, "i:", options, "metrics")) != -1) {
		if (opt == 'i') {
			if (!cas_valid_ifname(optarg)) {
				cas_err("metrics: invalid interface name '%s'",
					optarg);
				goto out;
			}
			names[count++] = optarg;
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
	ret = cas_verb_privileges();
	if (ret)
		goto out;
	ret = CAS_EXIT_FAIL;
	/* Blocked before the server threads exist, so they inherit it. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	err = cas_exporter_start(names, count, listen_text, &exporter,
				 err_text);
	if (err) {
		cas_err("metrics: %s", err_text);
		goto out;
	}
	fprintf(stderr, "casshield: serving http://%s/metrics and /healthz\n",
		listen_text);
	while (sigwait(&stop, &sig))
		;
	cas_exporter_stop(exporter);
	ret = CAS_EXIT_OK;
out:
	free(names);
	return ret;
}
