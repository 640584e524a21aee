// SPDX-License-Identifier: GPL-2.0
/*
 * config_source.c - the configuration's text: a file only root can
 * change, read whole, and a first pass over its YAML events that refuses
 * what libyaml's tree builder would choke on (deep nesting) or silently
 * drop (a second document).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_source.h"

static const char *cas_file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a file";
}

/* Owned by root or by us, writable by nobody else (StrictModes). */
static int cas_check_owner(const char *path, const struct stat *st, bool is_dir,
			   char *err)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(
			err, CAS_CONFIG_ERRBUF,
			"%s is owned by uid %u, not root: refused, as another user could change the policy (chown root %s)",
			path, (unsigned int)st->st_uid, path);
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(is_dir && (st->st_mode & S_ISVTX))) {
		snprintf(
			err, CAS_CONFIG_ERRBUF,
			"%s is writable by group or others: refused, as they could change the policy (chmod go-w %s)",
			path, path);
		return -EPERM;
	}
	return 0;
}

static int cas_check_dir_of(const char *path, char *err)
{
	char copy[PATH_MAX], *dir;
	struct stat st;

	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (stat(dir, &st)) {
		int ret = -errno;

		snprintf(err, CAS_CONFIG_ERRBUF, "%s: cannot stat: %s", dir,
			 strerror(-ret));
		return ret;
	}
	return cas_check_owner(dir, &st, true, err);
}

static int cas_read_all(int fd, const char *path, char **text, size_t *len,
			char *err)
{
	size_t used = 0, capacity = 0;
	char *buf = NULL;
	ssize_t got;

	do {
		if (used + 1 > CAS_CONFIG_MAX_SIZE) {
			free(buf);
			snprintf(err, CAS_CONFIG_ERRBUF,
				 "%s: larger than %u MiB", path,
				 CAS_CONFIG_MAX_SIZE >> 20);
			return -EFBIG;
		}
		if (cas_array_reserve(&buf, &capacity, used + 65536, 1)) {
			free(buf);
			snprintf(err, CAS_CONFIG_ERRBUF, "%s: out of memory",
				 path);
			return -ENOMEM;
		}
		got = read(fd, buf + used, capacity - used - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int ret = -errno;

			free(buf);
			snprintf(err, CAS_CONFIG_ERRBUF, "%s: cannot read: %s",
				 path, strerror(-ret));
			return ret;
		}
		used += got;
	} while (got > 0);
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

int cas_config_read_file(const char *path, char **text, size_t *len, char *err)
{
	struct stat st;
	int fd, ret;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, CAS_CONFIG_ERRBUF, "%s: cannot open: %s", path,
			 strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, CAS_CONFIG_ERRBUF, "%s: cannot stat: %s", path,
			 strerror(-ret));
	} else if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -ESPIPE;
		snprintf(
			err, CAS_CONFIG_ERRBUF,
			"%s: not a regular file (%s): give the path of the YAML file",
			path, cas_file_kind(st.st_mode));
	} else if (st.st_size > CAS_CONFIG_MAX_SIZE) {
		ret = -EFBIG;
		snprintf(err, CAS_CONFIG_ERRBUF, "%s: larger than %u MiB", path,
			 CAS_CONFIG_MAX_SIZE >> 20);
	} else {
		ret = cas_check_owner(path, &st, false, err);
		if (!ret)
			ret = cas_check_dir_of(path, err);
		if (!ret)
			ret = cas_read_all(fd, path, text, len, err);
	}
	close(fd);
	return ret;
}

void cas_yaml_syntax_error(const yaml_parser_t *parser, const char *text,
			   const char *name, char *err)
{
	unsigned long line = parser->problem_mark.line + 1;

	if (parser->error == YAML_READER_ERROR) {
		const char *at = text, *end = text + parser->problem_offset;

		/* The reader stops before it marks a line: count them. */
		for (line = 1; at < end && *at; at++)
			line += *at == '\n';
	}
	snprintf(err, CAS_CONFIG_ERRBUF, "%.128s:%lu: YAML syntax: %s%s%s",
		 name, line, parser->problem ? parser->problem : "error",
		 parser->context ? " " : "",
		 parser->context ? parser->context : "");
}

static int cas_prescan_event(const yaml_event_t *event, const char *name,
			     unsigned int *depth, unsigned int *documents,
			     char *err)
{
	unsigned long line = event->start_mark.line + 1;

	switch (event->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*documents == 1)
			return 0;
		snprintf(
			err, CAS_CONFIG_ERRBUF,
			"%.128s:%lu: (file): a second YAML document: one file holds one configuration",
			name, line);
		return -EINVAL;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++*depth <= CAS_CONFIG_MAX_DEPTH)
			return 0;
		snprintf(
			err, CAS_CONFIG_ERRBUF,
			"%.128s:%lu: (file): nested deeper than %d levels (the configuration needs 6)",
			name, line, CAS_CONFIG_MAX_DEPTH);
		return -EINVAL;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		--*depth;
		return 0;
	default:
		return 0;
	}
}

int cas_yaml_prescan(const char *text, size_t len, const char *name, char *err)
{
	unsigned int depth = 0, documents = 0;
	yaml_parser_t parser;
	yaml_event_t event;
	int ret = 0;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, CAS_CONFIG_ERRBUF, "%s: out of memory", name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &event)) {
			cas_yaml_syntax_error(&parser, text, name, err);
			ret = -EINVAL;
			break;
		}
		ret = cas_prescan_event(&event, name, &depth, &documents, err);
		if (ret || event.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&event);
			break;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	return ret;
}
