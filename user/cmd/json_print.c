// SPDX-License-Identifier: GPL-2.0
/* json_print.c - --json output through json-c. */
#include <stdbool.h>

#include "common.h"
#include "json_print.h"

/* Compact, and "443/tcp" rather than json-c's default "443\/tcp". */
#define CAS_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int cas_json_print(FILE *out, struct json_object *obj)
{
	if (!obj) {
		cas_err("out of memory");
		return CAS_EXIT_FAIL;
	}
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(obj, CAS_JSON_FLAGS));
	json_object_put(obj);
	return CAS_EXIT_OK;
}

/* A value, or an object key, as JSON text. */
static void cas_json_put(FILE *out, struct json_object *value)
{
	fputs(json_object_to_json_string_ext(value, CAS_JSON_FLAGS), out);
}

static void cas_json_put_key(FILE *out, const char *key)
{
	struct json_object *text = json_object_new_string(key);

	cas_json_put(out, text);
	json_object_put(text);
	fputc(':', out);
}

void cas_json_stream_begin(struct cas_json_stream *stream, FILE *out,
			   struct json_object *head, const char *key)
{
	stream->out = out;
	stream->items = 0;
	fputc('{', out);
	json_object_object_foreach(head, name, value)
	{
		cas_json_put_key(out, name);
		cas_json_put(out, value);
		fputc(',', out);
	}
	json_object_put(head);
	cas_json_put_key(out, key);
	fputc('[', out);
}

void cas_json_stream_item(struct cas_json_stream *stream,
			  struct json_object *item)
{
	if (stream->items++)
		fputc(',', stream->out);
	cas_json_put(stream->out, item);
}

void cas_json_stream_end(struct cas_json_stream *stream)
{
	fputs("]}\n", stream->out);
}

struct json_object *cas_json_ports(const struct cas_port_list *ports)
{
	struct json_object *list = json_object_new_array();
	unsigned int i;

	for (i = 0; i < ports->count; i++) {
		char text[16];

		snprintf(text, sizeof(text), "%u/%s", ports->ports[i].port,
			 cas_proto_name(ports->ports[i].proto));
		json_object_array_add(list, json_object_new_string(text));
	}
	return list;
}

/* The member key of obj if it has that type, else NULL. */
static struct json_object *cas_json_member(struct json_object *obj,
					   const char *key, json_type type)
{
	struct json_object *member;

	if (json_object_object_get_ex(obj, key, &member) &&
	    json_object_is_type(member, type))
		return member;
	return NULL;
}

void cas_json_set_string(struct json_object *obj, const char *key,
			 const char *value)
{
	struct json_object *member;

	/* Not "" in place: json-c 0.16 (Debian 12) then loses the buffer
	 * of the longer string it held (json-c issue 780, fixed in 0.17). */
	member = value && *value ? cas_json_member(obj, key, json_type_string) :
				   NULL;
	if (member)
		json_object_set_string(member, value);
	else
		json_object_object_add(
			obj, key, value ? json_object_new_string(value) : NULL);
}

void cas_json_set_u64(struct json_object *obj, const char *key, __u64 value)
{
	struct json_object *member = cas_json_member(obj, key, json_type_int);

	if (member)
		json_object_set_uint64(member, value);
	else
		json_object_object_add(obj, key, json_object_new_uint64(value));
}

void cas_json_set_bool(struct json_object *obj, const char *key, bool value)
{
	struct json_object *member;

	member = cas_json_member(obj, key, json_type_boolean);
	if (member)
		json_object_set_boolean(member, value);
	else
		json_object_object_add(obj, key,
				       json_object_new_boolean(value));
}
