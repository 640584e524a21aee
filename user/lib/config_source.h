/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config_source.h - where a configuration's text comes from, and its
 * shape checked before libyaml builds a tree of it. Used by config.c only.
 */
#ifndef CAS_USER_CONFIG_SOURCE_H
#define CAS_USER_CONFIG_SOURCE_H

#include <stddef.h>
#include <yaml.h>

/* Deeper than the schema needs (6: interfaces, an interface, allow, a
 * rule, its ports), with room to spare; anything deeper is refused. */
#define CAS_CONFIG_MAX_DEPTH 16
/* A million rules fit in about 60 MiB of YAML. */
#define CAS_CONFIG_MAX_SIZE  (128u << 20)

/*
 * Read path whole into *text (NUL-terminated, *len bytes; free it). The
 * path must name a regular file (-EISDIR for a directory, -ESPIPE for
 * anything else: a FIFO would block forever) of at most
 * CAS_CONFIG_MAX_SIZE bytes (-EFBIG), owned by root or by the user
 * running casshield and writable by nobody else, in a directory nobody
 * else can write unless it is sticky (-EPERM, as sshd's StrictModes).
 * err (CAS_CONFIG_ERRBUF bytes) says why and what to do.
 */
int cas_config_read_file(const char *path, char **text, size_t *len, char *err);

/*
 * Walk the events of text once: -EINVAL with "NAME:LINE: ..." in err for
 * a YAML syntax error, a second document, or nesting deeper than
 * CAS_CONFIG_MAX_DEPTH. Stops at the first such event, so a hostile file
 * costs time in proportion to its length, never to its depth squared.
 */
int cas_yaml_prescan(const char *text, size_t len, const char *name, char *err);

/* "NAME:LINE: YAML syntax: problem context" for a parser that failed on
 * text; reader errors (encoding) carry a byte offset, not a line. */
void cas_yaml_syntax_error(const yaml_parser_t *parser, const char *text,
			   const char *name, char *err);

#endif /* CAS_USER_CONFIG_SOURCE_H */
