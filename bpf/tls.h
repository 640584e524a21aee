/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tls.h - recognising a TLS ClientHello at the start of a TCP segment and
 * the highest TLS version it offers. What is and is not detected is
 * documented in docs/ratelimit.md; in short:
 *   - a segment whose payload begins a handshake record (type 22, major
 *     version 3) holding a ClientHello (handshake type 1);
 *   - a segment that begins a handshake record but is too short to show
 *     the handshake type counts as a hello too (fail closed on tiny
 *     segments, which no real client sends);
 *   - an SSLv2-compatible ClientHello (2-byte header, message type 1),
 *     and, as for a handshake record, a segment too short to show the
 *     message type whose first byte has the SSLv2 header's high bit;
 *   - not: a hello that starts mid-segment after another record, or one
 *     whose record header is split from the start of the segment.
 */
#ifndef CAS_TLS_H
#define CAS_TLS_H

#include "bound.h"
#include "parse.h"

#define CAS_TLS_RECORD_HANDSHAKE       22
#define CAS_TLS_CLIENT_HELLO	       1
#define CAS_TLS_EXT_SUPPORTED_VERSIONS 0x002b
#define CAS_TLS_VERSION_UNKNOWN	       0xffff /* cannot be judged: no floor applies */
#define CAS_TLS_MAX_EXTENSIONS	       32
#define CAS_TLS_MAX_LISTED_VERSIONS    8
#define CAS_TLS_SCAN_LIMIT	       2048 /* bytes of payload the walk may reach */

/* Offsets inside a ClientHello record (record header 5, handshake header 4). */
#define CAS_TLS_OFF_HANDSHAKE_TYPE     5
#define CAS_TLS_OFF_LEGACY_VERSION     9
#define CAS_TLS_OFF_SESSION_ID	       43 /* after 32 bytes of random */

static __always_inline __u16 cas_be16(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

static __always_inline int cas_tls_grease(__u16 version)
{
	return (version & 0x0f0f) == 0x0a0a;
}

/*
 * n bytes at offset off of the hello, or NULL past the segment or the scan
 * limit. The mask restates the limit check on the register that is added
 * to the pointer (bound.h): clang tests a stack copy of off otherwise.
 */
static __always_inline __u8 *cas_tls_at(__u8 *hello, __u32 off, __u32 n,
					void *end, void *data_end)
{
	__u8 *p;

	if (off >= CAS_TLS_SCAN_LIMIT)
		return NULL;
	p = hello + cas_bound(off, CAS_TLS_SCAN_LIMIT - 1);
	if (CAS_PAST(p + n, end, data_end))
		return NULL;
	return p;
}

/* Step over a vector whose length fills its first len_bytes (1 or 2). */
static __always_inline int cas_tls_skip(__u8 *hello, __u32 *off,
					__u32 len_bytes, void *end,
					void *data_end)
{
	__u8 *p = cas_tls_at(hello, *off, len_bytes, end, data_end);

	if (!p)
		return -1;
	*off += len_bytes + (len_bytes == 1 ? p[0] : cas_be16(p));
	return 0;
}

/*
 * Highest version a ClientHello offers, from its supported_versions
 * extension; the legacy version when the extensions were walked to their
 * end without one; CAS_TLS_VERSION_UNKNOWN when the walk could not finish
 * (the hello continues in the next segment) or the list is longer than
 * CAS_TLS_MAX_LISTED_VERSIONS (docs/ratelimit.md: not judged).
 */
static __always_inline __u16 cas_tls_offered(__u8 *hello, __u16 legacy,
					     void *end, void *data_end)
{
	__u32 off = CAS_TLS_OFF_SESSION_ID, ext_end, i, j;
	__u8 *p;

	/* session id, cipher suites, compression methods, then extensions */
	if (cas_tls_skip(hello, &off, 1, end, data_end) ||
	    cas_tls_skip(hello, &off, 2, end, data_end) ||
	    cas_tls_skip(hello, &off, 1, end, data_end))
		return CAS_TLS_VERSION_UNKNOWN;
	p = cas_tls_at(hello, off, 2, end, data_end);
	if (!p)
		return CAS_TLS_VERSION_UNKNOWN;
	ext_end = off + 2 + cas_be16(p);
	off += 2;

	for (i = 0; i < CAS_TLS_MAX_EXTENSIONS; i++) {
		__u16 best = 0;

		if (off >= ext_end)
			return legacy; /* every extension seen, none listed */
		/* type and length; an empty extension may end the segment */
		p = cas_tls_at(hello, off, 4, end, data_end);
		if (!p)
			return CAS_TLS_VERSION_UNKNOWN;
		if (cas_be16(p) != CAS_TLS_EXT_SUPPORTED_VERSIONS) {
			off += 4 + cas_be16(p + 2);
			continue;
		}
		/* supported_versions: the list's length ends its header */
		if (CAS_PAST(p + 5, end, data_end))
			return CAS_TLS_VERSION_UNKNOWN;
		/* A longer list is not read: what it offers is not known. */
		if (p[4] / 2 > CAS_TLS_MAX_LISTED_VERSIONS)
			return CAS_TLS_VERSION_UNKNOWN;
		for (j = 0; j < CAS_TLS_MAX_LISTED_VERSIONS; j++) {
			__u8 *v = cas_tls_at(hello, off + 5 + 2 * j, 2, end,
					     data_end);
			__u16 version;

			if (2 * j + 2 > p[4])
				break;
			if (!v) /* the list goes on in the next segment */
				return CAS_TLS_VERSION_UNKNOWN;
			version = cas_be16(v);
			if (!cas_tls_grease(version) && version > best)
				best = version;
		}
		return best ? best : legacy;
	}
	/* After the 32nd: all walked if it was the last, else not known. */
	return off >= ext_end ? legacy : CAS_TLS_VERSION_UNKNOWN;
}

/*
 * 1 if the segment carries a ClientHello; *version is the highest version
 * it offers, or CAS_TLS_VERSION_UNKNOWN. Extensions are walked only when
 * the floor is above what the legacy version field can show (TLS 1.3).
 */
static __always_inline int cas_tls_client_hello(const struct cas_packet *pkt,
						void *data, void *data_end,
						__u16 min_tls, __u16 *version)
{
	/*
	 * XDP sees at most a page of linear data: 16 KiB bounds every offset,
	 * and the masks tell the verifier so (its packet pointers must stay
	 * below 64 KiB, offsets included).
	 */
	__u8 *p = data + (pkt->payload_off & 0x3fff);
	void *end = (void *)p + (pkt->payload_len & 0x3fff);
	__u16 legacy;

	*version = CAS_TLS_VERSION_UNKNOWN;
	if (CAS_PAST(p + 1, end, data_end))
		return 0;
	if (p[0] & 0x80) { /* SSLv2-compatible: [len:2][type][version:2] */
		if (CAS_PAST(p + 3, end, data_end))
			return 1; /* hides its type, as a cut record does */
		if (p[2] != CAS_TLS_CLIENT_HELLO)
			return 0;
		/* Cut before its version: a hello all the same, not judged. */
		if (!CAS_PAST(p + 5, end, data_end))
			*version = cas_be16(p + 3);
		return 1;
	}
	if (p[0] != CAS_TLS_RECORD_HANDSHAKE)
		return 0;
	if (CAS_PAST(p + CAS_TLS_OFF_HANDSHAKE_TYPE + 1, end, data_end))
		return 1; /* begins a handshake record, hides its type */
	if (p[1] != 3 || p[CAS_TLS_OFF_HANDSHAKE_TYPE] != CAS_TLS_CLIENT_HELLO)
		return 0;
	if (CAS_PAST(p + CAS_TLS_OFF_LEGACY_VERSION + 2, end, data_end))
		return 1;
	legacy = cas_be16(p + CAS_TLS_OFF_LEGACY_VERSION);
	*version = legacy;
	/* TLS 1.3 hides behind legacy 1.2: only then walk the extensions. */
	if (min_tls > legacy && legacy >= CAS_TLS_1_2)
		*version = cas_tls_offered(p, legacy, end, data_end);
	return 1;
}

#endif /* CAS_TLS_H */
