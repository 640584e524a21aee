// SPDX-License-Identifier: GPL-2.0
/* common.c - messages, libbpf logging and the privilege check. */
#include <errno.h>
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

void cas_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("casshield: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cas_info(const char *fmt, ...)
{
	va_list ap;

	if (!cas_verbose)
		return;
	va_start(ap, fmt);
	fputs("casshield: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
