/* SPDX-License-Identifier: GPL-2.0 */
/*
 * text.h - a growing text buffer, the one every writer of text uses: the
 * exporter's exposition and the SYN proxy's nftables script. After a
 * failed allocation every append is a no-op, so a writer appends freely
 * and asks cas_text_status once at the end.
 */
#ifndef CAS_TEXT_H
#define CAS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct cas_text {
	char *data; /* NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
	bool failed;
};

void cas_text_printf(struct cas_text *text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Room for more bytes and a NUL after len; false once an allocation failed. */
bool cas_text_reserve(struct cas_text *text, size_t more);
/* 0, or -ENOMEM if an append failed. */
int cas_text_status(const struct cas_text *text);
/*
 * The text into buf (len bytes, terminated): 0, -ENOMEM if an append
 * failed, -ENOSPC if it does not fit (buf then holds "").
 */
int cas_text_copy(const struct cas_text *text, char *buf, size_t len);
void cas_text_free(struct cas_text *text);

#endif /* CAS_TEXT_H */
