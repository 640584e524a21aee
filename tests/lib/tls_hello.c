// SPDX-License-Identifier: GPL-2.0
/* tls_hello.c - a ClientHello laid out as RFC 8446 section 4.1.2 says. */
#include <string.h>

#include "tls_hello.h"

static __u8 *put16(__u8 *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
	return p + 2;
}

size_t hello_build(const struct hello_spec *spec, __u8 *buf)
{
	__u8 *p = buf, *record_len, *handshake_len, *ext_len, *body;
	unsigned int i;

	*p++ = 22; /* handshake record */
	p = put16(p, spec->record_version ? spec->record_version : 0x0301);
	record_len = p;
	p += 2;
	*p++ = 1; /* ClientHello */
	handshake_len = p;
	p += 3;
	body = p;
	p = put16(p, spec->legacy_version);
	memset(p, 0x5a, 32); /* random */
	p += 32;
	*p++ = spec->session_id;
	memset(p, 0x11, spec->session_id);
	p += spec->session_id;
	p = put16(p, 4); /* two cipher suites */
	p = put16(p, 0x1301);
	p = put16(p, 0xc02f);
	*p++ = 1; /* one compression method: null */
	*p++ = 0;
	ext_len = p;
	p += 2;
	for (i = 0; i < spec->small_exts; i++) {
		p = put16(p, 0xff00 + i); /* private use */
		p = put16(p, 1);
		*p++ = 0;
	}
	if (spec->padding_ext) {
		p = put16(p, 0x0015);
		p = put16(p, spec->padding_ext);
		memset(p, 0, spec->padding_ext);
		p += spec->padding_ext;
	}
	if (spec->listed) {
		p = put16(p, 0x002b);
		p = put16(p, 1 + 2 * spec->listed);
		*p++ = 2 * spec->listed;
		for (i = 0; i < spec->listed; i++)
			p = put16(p, spec->versions[i]);
	}
	if (spec->empty_last) {
		p = put16(p, 0x0017);
		p = put16(p, 0);
	}
	put16(ext_len, p - ext_len - 2);
	handshake_len[0] = 0;
	put16(handshake_len + 1, p - body);
	put16(record_len, p - record_len - 2);
	return p - buf;
}
