// SPDX-License-Identifier: GPL-2.0
/*
 * parse_identity.c - libFuzzer harness for the small values of a rule and
 * an interface: cas_parse_mac (--mac), cas_parse_ttl (--ttl),
 * cas_parse_tls_version (--min-tls) and cas_metrics_parse_listen
 * (metrics.listen). The first byte picks the parser, the rest is the text.
 * Properties: no memory error or undefined behaviour; what is accepted has
 * the documented form and the value it says; the plain forms are
 * accepted.
 */
#include <ctype.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "harness.h"
#include "metrics.h"
#include "values.h"

static int hex(int c)
{
	return isdigit(c)  ? c - '0' :
	       isxdigit(c) ? (tolower(c) - 'a' + 10) :
			     -1;
}

/* "xx:xx:xx:xx:xx:xx" or with '-': 1 and the bytes, else 0. */
static int mac_oracle(const char *text, __u8 mac[6])
{
	int i;

	if (strlen(text) != 17)
		return 0;
	for (i = 0; i < 6; i++) {
		int hi = hex((unsigned char)text[3 * i]),
		    lo = hex((unsigned char)text[3 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		if (i < 5 && text[3 * i + 2] != text[2])
			return 0;
		mac[i] = hi << 4 | lo;
	}
	return text[2] == ':' || text[2] == '-';
}

static void check_mac(const char *text)
{
	char err[CAS_ERRBUF];
	__u8 mac[6], want[6];
	int valid = mac_oracle(text, want);

	if (cas_parse_mac(text, mac, err)) {
		FZ_REQUIRE(!valid, text, "a MAC refused: %s", err);
		return;
	}
	FZ_REQUIRE(valid, text, "accepted, but not a MAC");
	FZ_REQUIRE(!memcmp(mac, want, 6), text, "accepted as another MAC");
}

/* Digits from *p: the value (capped) and how many digits. */
static unsigned int digits(const char **p, unsigned long *value)
{
	unsigned int n = 0;

	*value = 0;
	for (; isdigit((unsigned char)**p); (*p)++, n++)
		if (*value < 100000)
			*value = *value * 10 + (**p - '0');
	return n;
}

static void check_ttl(const char *text)
{
	unsigned long lo, hi;
	unsigned int lo_digits, hi_digits = 0;
	const char *p = text;
	char err[CAS_ERRBUF];
	__u8 min, max;
	int form;

	lo_digits = digits(&p, &lo);
	hi = lo;
	if (*p == '-') {
		p++;
		hi_digits = digits(&p, &hi);
		form = lo_digits && hi_digits && !*p;
	} else {
		form = lo_digits && !*p;
	}
	form = form && lo >= 1 && lo <= hi && hi <= 255;
	if (cas_parse_ttl(text, &min, &max, err)) {
		/* three digits a side is plain; longer ones may be refused */
		FZ_REQUIRE(!(form && lo_digits <= 3 && hi_digits <= 3), text,
			   "a TTL window refused: %s", err);
		return;
	}
	FZ_REQUIRE(form, text, "accepted, but not MIN[-MAX] within 1-255");
	FZ_REQUIRE(min == lo && max == hi, text, "accepted as %u-%u", min, max);
}

static void check_tls(const char *text)
{
	static const char *const names[] = { "off", "1.0", "1.1", "1.2",
					     "1.3" };
	static const __u16 values[] = { 0, CAS_TLS_1_0, CAS_TLS_1_1,
					CAS_TLS_1_2, CAS_TLS_1_3 };
	char err[CAS_ERRBUF];
	__u16 version;
	int i, want = -1;

	for (i = 0; i < 5; i++)
		if (!strcmp(text, names[i]))
			want = i;
	if (cas_parse_tls_version(text, &version, err)) {
		FZ_REQUIRE(want < 0, text, "a version refused");
		return;
	}
	FZ_REQUIRE(want >= 0 && version == values[want], text,
		   "accepted as 0x%04x", version);
	FZ_REQUIRE(!strcmp(cas_tls_version_name(version), text), text,
		   "named back as %s", cas_tls_version_name(version));
}

static void check_listen(const char *text)
{
	struct cas_listen_addr addr;
	char err[CAS_ERRBUF];

	if (cas_metrics_parse_listen(text, &addr, err))
		return;
	if (text[0] == '[')
		FZ_REQUIRE(addr.addr.ss_family == AF_INET6 &&
				   addr.len == sizeof(struct sockaddr_in6),
			   text, "[...] accepted as something else");
	else
		FZ_REQUIRE(addr.addr.ss_family == AF_INET &&
				   addr.len == sizeof(struct sockaddr_in),
			   text, "accepted as something else than IPv4");
	FZ_REQUIRE(((struct sockaddr_in *)&addr.addr)->sin_port != 0, text,
		   "port 0 accepted");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!size)
		return 0;
	text = fz_cstring(data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		check_mac(text);
		break;
	case 1:
		check_ttl(text);
		break;
	case 2:
		check_tls(text);
		break;
	default:
		check_listen(text);
	}
	free(text);
	return 0;
}
