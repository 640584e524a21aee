// SPDX-License-Identifier: GPL-2.0
/* cmd_config.c - check: validate a configuration file and show its ruleset. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "config.h"

/* --config FILE (default CAS_CONFIG_DEFAULT); returns the path or NULL. */
const char *cas_config_option(int argc, char **argv, const char *verb,
			      const struct option *extra, int (*on_extra)(int opt))
{
	struct option options[16] = {
		{ "config", required_argument, NULL, 'c' },
	};
	const char *path = CAS_CONFIG_DEFAULT;
	size_t n = 1;
	int opt;

	for (; extra && extra->name && n < CAS_ARRAY_SIZE(options) - 1; extra++)
		options[n++] = *extra;
	while ((opt = cas_getopt(argc, argv, "c:", options, verb)) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == '?' || !on_extra || on_extra(opt))
			return NULL;
	}
	if (optind != argc) {
		cas_err("%s: unexpected argument '%s'", verb, argv[optind]);
		return NULL;
	}
	return path;
}

int cas_cmd_check(int argc, char **argv)
{
	char err[CAS_CONFIG_ERRBUF];
	struct cas_config config;
	const char *path;
	int ret;

	path = cas_config_option(argc, argv, "check", NULL, NULL);
	if (!path)
		return CAS_EXIT_USAGE;
	ret = cas_config_load(path, &config, err);
	if (ret) {
		cas_err("%s", err);
		/* A file that is not there is not a syntax error. */
		return ret == -EINVAL ? CAS_EXIT_USAGE : CAS_EXIT_FAIL;
	}
	cas_config_print(stdout, &config);
	cas_config_free(&config);
	return CAS_EXIT_OK;
}
