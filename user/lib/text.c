// SPDX-License-Identifier: GPL-2.0
/* text.c - the growing text buffer (text.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

bool cas_text_reserve(struct cas_text *text, size_t more)
{
	size_t cap;
	char *grown;

	if (text->failed)
		return false;
	if (text->len + more < text->cap)
		return true;
	cap = text->cap ? text->cap : 4096;
	while (cap <= text->len + more)
		cap *= 2;
	grown = realloc(text->data, cap);
	if (!grown) {
		text->failed = true;
		return false;
	}
	text->data = grown;
	text->cap = cap;
	return true;
}

void cas_text_printf(struct cas_text *text, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0) {
		text->failed = true; /* an encoding error: the text would lie */
		return;
	}
	if (!cas_text_reserve(text, len))
		return;
	va_start(ap, fmt);
	vsnprintf(text->data + text->len, text->cap - text->len, fmt, ap);
	va_end(ap);
	text->len += len;
}

int cas_text_status(const struct cas_text *text)
{
	return text->failed ? -ENOMEM : 0;
}

int cas_text_copy(const struct cas_text *text, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	if (text->failed)
		return -ENOMEM;
	if (text->len >= len)
		return -ENOSPC;
	if (text->len)
		memcpy(buf, text->data, text->len);
	buf[text->len] = '\0';
	return 0;
}

void cas_text_free(struct cas_text *text)
{
	free(text->data);
	memset(text, 0, sizeof(*text));
}
