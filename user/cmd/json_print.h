/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json_print.h - the --json output of the read verbs, built with json-c so
 * that every string is escaped by the library, never by printf. Output is
 * one line of compact JSON; slashes are left as they are ("443/tcp").
 */
#ifndef CAS_JSON_PRINT_H
#define CAS_JSON_PRINT_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include <linux/types.h>

#include "values.h"

/* Print obj as one line on out and release it; an exit code. */
int cas_json_print(FILE *out, struct json_object *obj);

/*
 * A list too long to hold as JSON objects (allow list: a million rules) is
 * written as it comes: the members of head, then "key": [item, ...]. Each
 * item is one object, printed as it is given; the caller may then change
 * it for the next item (cas_json_set_*), so the list never exists whole.
 */
struct cas_json_stream {
	FILE *out;
	size_t items;
};

void cas_json_stream_begin(struct cas_json_stream *stream, FILE *out,
			   struct json_object *head, const char *key);
void cas_json_stream_item(struct cas_json_stream *stream,
			  struct json_object *item);
/* Closes the list and the object. */
void cas_json_stream_end(struct cas_json_stream *stream);

/* ["443/tcp", "53/udp"] */
struct json_object *cas_json_ports(const struct cas_port_list *ports);

/*
 * Set a member of obj: in place if it has one of that type (a streamed
 * list's object is reused, not allocated anew for each item), else added.
 * A NULL string is JSON null.
 */
void cas_json_set_string(struct json_object *obj, const char *key,
			 const char *value);
void cas_json_set_u64(struct json_object *obj, const char *key, __u64 value);
void cas_json_set_bool(struct json_object *obj, const char *key, bool value);

#endif /* CAS_JSON_PRINT_H */
