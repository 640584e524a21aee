// SPDX-License-Identifier: GPL-2.0
/*
 * parse_config.c - libFuzzer harness for the YAML loader, through its
 * file API (cas_config_load): the input is written to a memfd and loaded
 * by its /proc/self/fd path. Properties: no memory error, leak or
 * undefined behaviour; an error names the file; a loaded
 * configuration, written back by cas_config_write (what `apply --confirm`
 * keeps for its rollback), loads again to the same ruleset.
 *
 * Every loaded configuration is written back; CAS_FUZZ_ROUNDTRIP=0 checks
 * the loader alone. The write-back defects this harness found (an empty
 * interface list, an interface without rules, names YAML reads otherwise
 * unquoted) are fixed, each with its row in tests/unit/unit_rollback.c.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

struct memfile {
	int fd;
	char path[64];
};

static void memfile_open(struct memfile *file, const char *name)
{
	file->fd = memfd_create(name, 0);
	/* the loader refuses a file others may write (StrictModes) */
	if (file->fd < 0 || fchmod(file->fd, 0600)) {
		perror("memfd_create");
		abort();
	}
	snprintf(file->path, sizeof(file->path), "/proc/self/fd/%d", file->fd);
}

static void memfile_set(struct memfile *file, const void *data, size_t size)
{
	if (ftruncate(file->fd, 0) ||
	    pwrite(file->fd, data, size, 0) != (ssize_t)size) {
		perror("memfd");
		abort();
	}
}

/* What `casshield check` prints of a configuration. */
static char *printed(const struct cas_config *config)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		abort();
	cas_config_print(out, config);
	fclose(out);
	return text;
}

static void round_trip(const struct cas_config *config, const char *input)
{
	static struct memfile second;
	struct cas_config again;
	char *written = NULL, *first_text, *again_text;
	char err[CAS_CONFIG_ERRBUF];
	size_t len = 0;
	FILE *out;

	if (!second.path[0])
		memfile_open(&second, "written");
	out = open_memstream(&written, &len);
	if (!out)
		abort();
	cas_config_write(out, config);
	fclose(out);
	memfile_set(&second, written, len);
	FZ_REQUIRE(!cas_config_load(second.path, &again, err), input,
		   "what cas_config_write wrote does not load: %s\n%s", err,
		   written);
	first_text = printed(config);
	again_text = printed(&again);
	FZ_REQUIRE(
		!strcmp(first_text, again_text), input,
		"written and loaded again, it is another configuration:\n%s\nbecame\n%s",
		first_text, again_text);
	free(first_text);
	free(again_text);
	free(written);
	cas_config_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct memfile first;
	static int check_round_trip = -1; /* 0 none, 1 all */
	char err[CAS_CONFIG_ERRBUF] = "";
	struct cas_config config;
	char *input;

	if (check_round_trip < 0) {
		const char *env = getenv("CAS_FUZZ_ROUNDTRIP");

		check_round_trip = !env || strcmp(env, "0");
		memfile_open(&first, "config");
	}
	memfile_set(&first, data, size);
	input = fz_cstring(data, size < 200 ? size : 200);
	if (cas_config_load(first.path, &config, err)) {
		FZ_REQUIRE(!strncmp(err, first.path, strlen(first.path)), input,
			   "the error does not name the file: %s", err);
	} else {
		if (check_round_trip)
			round_trip(&config, input);
		cas_config_free(&config);
	}
	free(input);
	return 0;
}
