/* SPDX-License-Identifier: GPL-2.0 */
/* tls_hello.h - crafted TLS ClientHello records for the TLS tests. */
#ifndef CAS_TEST_TLS_HELLO_H
#define CAS_TEST_TLS_HELLO_H

#include <stddef.h>
#include <linux/types.h>

struct hello_spec {
	__u16 record_version; /* 0: 0x0301 */
	__u16 legacy_version; /* client_version field */
	unsigned int listed;  /* entries in supported_versions (0: none) */
	__u16 versions[16];
	unsigned int padding_ext; /* bytes of a padding extension before it */
	unsigned int session_id;  /* session id length (0..32) */
	unsigned int small_exts;  /* extensions of one byte before it */
	int empty_last; /* an empty extension (extended_master_secret) last */
};

/* Writes the record into buf (at least 1024 bytes); returns its length. */
size_t hello_build(const struct hello_spec *spec, __u8 *buf);

#endif /* CAS_TEST_TLS_HELLO_H */
