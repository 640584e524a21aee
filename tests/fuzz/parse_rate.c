// SPDX-License-Identifier: GPL-2.0
/*
 * parse_rate.c - libFuzzer harness for cas_parse_rate (--syn-rate and
 * friends, YAML rates) and cas_check_bucket. Properties: no memory error
 * or undefined behaviour; accepted exactly when the text is digits, then
 * k, K or M, then /s or /sec, each optional, worth at most 10^9 per
 * second (docs/ratelimit.md), and then worth what it says.
 */
#include <ctype.h>
#include <stdbool.h>

#include "harness.h"
#include "values.h"

#define RATE_MAX 1000000000ULL

/* The rate the text says, or -1 when it is not a rate. */
static long long oracle(const char *text)
{
	unsigned long long value = 0, scale = 1;
	bool too_big = false;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		value = value * 10 + (*p - '0');
		if (value > RATE_MAX)
			too_big = true, value = RATE_MAX + 1;
	}
	if (*p == 'k' || *p == 'K')
		scale = 1000, p++;
	else if (*p == 'M')
		scale = 1000000, p++;
	if (!strcmp(p, "/s") || !strcmp(p, "/sec"))
		p += strlen(p);
	if (*p || too_big || value > RATE_MAX / scale)
		return -1;
	return value * scale;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_cstring(data, size), err[CAS_ERRBUF] = "";
	long long want = oracle(text);
	__u32 rate = 0, burst;
	int ret;

	ret = cas_parse_rate(text, &rate, err);
	FZ_REQUIRE(!ret == (want >= 0), text, "%s, the oracle says %lld",
		   ret ? err : "accepted", want);
	if (!ret) {
		FZ_REQUIRE(rate == want, text, "rate %u, the oracle says %lld",
			   rate, want);
		/* a rate and its default burst always make a bucket */
		FZ_REQUIRE(!cas_check_bucket("syn", rate, false, &burst, err) &&
				   burst == rate,
			   text, "default burst");
	}
	free(text);
	return 0;
}
