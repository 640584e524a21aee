// SPDX-License-Identifier: GPL-2.0
/*
 * unit_rollback.c - what cas_config_write writes (the snapshot `apply
 * --confirm` keeps in /run/casshield/rollback.yaml) loads back with
 * cas_config_load to the same configuration. One row per configuration:
 * the YAML loaded, written, loaded again, and both printed the way `check`
 * prints them. The rows after the first are what the config harness
 * found (tests/fuzz/parse_config.c, docs/testing.md), each fixed in
 * cas_config_write.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "config.h"

static const struct {
	const char *name, *yaml;
} cases[] = {
	{ "an interface with rules, ports and limits",
	  "interfaces:\n  - {name: eth0, ports: [443, 53/udp], limits: {syn_rate: 20k, min_tls: \"1.3\"},\n     allow: [{cidr: 198.51.100.0/24, name: dmz, ports: [53/udp], ttl: 60-64}]}\n" },
	/* The harness's finds: an empty list is written as nothing (null). */
	{ "no interface (nothing shielded when --confirm took its snapshot)",
	  "interfaces: []\n" },
	{ "an interface without a rule",
	  "interfaces:\n  - name: eth0\n" },
	/* Names are written unquoted: "#vpn" reads back as a comment. */
	{ "an interface whose name YAML reads otherwise unquoted",
	  "interfaces:\n  - {name: \"#vpn\", allow: [{cidr: 10.0.0.0/8}]}\n" },
};

static char *temp_file(const char *text, size_t len)
{
	char *path = strdup("/tmp/unit_rollback.XXXXXX");
	int fd = path ? mkstemp(path) : -1;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		perror("unit_rollback: temporary file");
		exit(2);
	}
	close(fd);
	return path;
}

static char *printed(const struct cas_config *config)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	cas_config_print(out, config);
	fclose(out);
	return text;
}

static int round_trip(const char *yaml)
{
	char err[CAS_CONFIG_ERRBUF], *path, *written = NULL, *again_path;
	char *first_text = NULL, *again_text = NULL;
	struct cas_config config, again;
	size_t len = 0;
	FILE *out;
	int ok;

	path = temp_file(yaml, strlen(yaml));
	ok = CHECK_EQ(-cas_config_load(path, &config, err), 0, "loads (-errno)");
	unlink(path);
	free(path);
	if (!ok) {
		fprintf(stderr, "  %s\n", err);
		return 0;
	}
	out = open_memstream(&written, &len);
	cas_config_write(out, &config);
	fclose(out);
	again_path = temp_file(written, len);
	ok = CHECK_EQ(-cas_config_load(again_path, &again, err), 0,
		      "what cas_config_write wrote loads (-errno)");
	unlink(again_path);
	free(again_path);
	if (ok) {
		first_text = printed(&config);
		again_text = printed(&again);
		ok = CHECK_STR(again_text, first_text, "the same configuration");
		cas_config_free(&again);
	} else {
		fprintf(stderr, "  %s\n  written:\n%s", err, written);
	}
	free(first_text);
	free(again_text);
	free(written);
	cas_config_free(&config);
	return ok;
}

int main(void)
{
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		check_case = cases[i].name;
		check_record(round_trip(cases[i].yaml));
	}
	return check_summary("unit_rollback");
}
