// SPDX-License-Identifier: GPL-2.0
/*
 * parse_ports.c - libFuzzer harness for cas_parse_port_list (--ports,
 * allow --ports, YAML ports). Properties: no memory error or undefined
 * behaviour; an accepted list has 1 to 64 distinct ports of 1-65535, each
 * the number its item says (tcp unless /udp), and formats back to itself;
 * a list of plain items ("443", "53/udp", at most five digits, no
 * duplicate, at most 64) is accepted.
 */
#include <ctype.h>

#include "harness.h"
#include "values.h"

/* One item: digits, then optionally /tcp or /udp; -1 if not that form. */
static long item_port(const char *item, size_t len, int *proto, int *short_form)
{
	size_t digits = 0;
	long value = 0;

	while (digits < len && isdigit((unsigned char)item[digits])) {
		if (value < 1000000)
			value = value * 10 + (item[digits] - '0');
		digits++;
	}
	*proto = CAS_PROTO_TCP;
	*short_form = digits >= 1 && digits <= 5 && item[0] != '0';
	if (!digits)
		return -1;
	if (digits == len)
		return value;
	if (len - digits == 4 && !strncmp(item + digits, "/tcp", 4))
		return value;
	if (len - digits == 4 && !strncmp(item + digits, "/udp", 4)) {
		*proto = CAS_PROTO_UDP;
		return value;
	}
	return -1;
}

/* The list as the oracle reads it; 1 if every item is plainly valid. */
static int oracle(const char *text, struct cas_port_list *want, int *plain)
{
	const char *item = text;

	memset(want, 0, sizeof(*want));
	*plain = 1;
	for (;;) {
		const char *comma = strchr(item, ',');
		size_t len = comma ? (size_t)(comma - item) : strlen(item);
		int proto, short_form;
		long port = item_port(item, len, &proto, &short_form);
		struct cas_port p = { .port = port, .proto = proto };

		if (port < 1 || port > 65535 || want->count == 64)
			return 0;
		if (cas_port_list_find(want, &p) >= 0)
			return 0;
		*plain &= short_form;
		want->ports[want->count++] = p;
		if (!comma)
			return 1;
		item = comma + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_cstring(data, size), err[CAS_ERRBUF] = "";
	char formatted[CAS_PORTS_TEXT], again_err[CAS_ERRBUF];
	struct cas_port_list list, again, want;
	int ret, valid, plain;

	ret = cas_parse_port_list(text, &list, err);
	valid = oracle(text, &want, &plain);
	if (ret) {
		FZ_REQUIRE(err[0] && memchr(err, 0, sizeof(err)), text,
			   "refused without a message");
		FZ_REQUIRE(!(valid && plain), text, "a plain list refused: %s",
			   err);
		free(text);
		return 0;
	}
	FZ_REQUIRE(valid, text, "accepted, but not a list of ports");
	FZ_REQUIRE(cas_port_list_equal(&list, &want), text,
		   "accepted as other ports");
	cas_port_list_format(&list, ",", formatted, sizeof(formatted));
	FZ_REQUIRE(!cas_parse_port_list(formatted, &again, again_err), text,
		   "its formatted form '%s' is refused: %s", formatted,
		   again_err);
	FZ_REQUIRE(cas_port_list_equal(&list, &again), text,
		   "'%s' parses to other ports", formatted);
	free(text);
	return 0;
}
