// SPDX-License-Identifier: GPL-2.0
/* common.c - messages, libbpf logging and the privilege check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool cas_verbose;

int cas_array_reserve(void *items, size_t *capacity, size_t want, size_t size)
{
	void **array = items;
	size_t cap = *capacity ? *capacity : 16;
	void *grown;

	if (want <= *capacity)
		return 0;
	while (cap < want)
		cap *= 2;
	grown = realloc(*array, cap * size);
	if (!grown)
		return -ENOMEM;
	*array = grown;
	*capacity = cap;
	return 0;
}

void cas_escape(const char *in, char *out, size_t len)
{
	size_t used = 0;

	for (; *in; in++) {
		unsigned char c = *in;
		char piece[5] = { (char)c };

		if (c == '\n' || c == '\r' || c == '\t')
			snprintf(piece, sizeof(piece), "\\%c",
				 c == '\n' ? 'n' :
				 c == '\r' ? 'r' :
					     't');
		else if (c < 0x20 || c == 0x7f)
			snprintf(piece, sizeof(piece), "\\x%02x", c);
		if (used + strlen(piece) >= len)
			break;
		memcpy(out + used, piece, strlen(piece));
		used += strlen(piece);
	}
	out[used] = '\0';
}

static void cas_message(const char *fmt, va_list ap)
{
	/* Room for a whole error buffer and a file name around it. */
	char raw[2 * CAS_ERRBUF], escaped[8 * CAS_ERRBUF];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	cas_escape(raw, escaped, sizeof(escaped));
	fprintf(stderr, "casshield: %s\n", escaped);
}

void cas_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cas_message(fmt, ap);
	va_end(ap);
}

void cas_info(const char *fmt, ...)
{
	va_list ap;

	if (!cas_verbose)
		return;
	va_start(ap, fmt);
	cas_message(fmt, ap);
	va_end(ap);
}

static int cas_libbpf_print(enum libbpf_print_level level, const char *fmt,
			    va_list args)
{
	(void)level;
	/* The CLI reports failures itself, in one line; details need -v. */
	if (!cas_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void cas_setup_libbpf_logging(void)
{
	libbpf_set_print(cas_libbpf_print);
}

static bool cas_has_cap(const struct __user_cap_data_struct *caps, int cap)
{
	return caps[cap / 32].effective & (1u << (cap % 32));
}

int cas_require_privileges(char *err)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct caps[2] = {};

	if (syscall(SYS_capget, &header, caps)) {
		int ret = -errno;

		snprintf(err, CAS_ERRBUF,
			 "cannot read process capabilities: %s",
			 strerror(-ret));
		return ret;
	}
	if (cas_has_cap(caps, CAP_SYS_ADMIN) ||
	    (cas_has_cap(caps, CAP_BPF) && cas_has_cap(caps, CAP_NET_ADMIN)))
		return 0;
	snprintf(
		err, CAS_ERRBUF,
		"permission denied: run as root (needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)");
	return -EPERM;
}
