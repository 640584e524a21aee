// SPDX-License-Identifier: GPL-2.0
/* kernel.c - kernel feature probes and honest load errors (kernel.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "kernel.h"
#include "values.h"

const char *cas_kernel_release(void)
{
	static struct utsname uts;

	if (!uts.release[0] && uname(&uts))
		snprintf(uts.release, sizeof(uts.release), "unknown");
	return uts.release;
}

/*
 * A program of one 64-bit compare-and-exchange on the stack: the GCRA
 * buckets (bpf/ratelimit.h) need it, and a kernel without BPF_ATOMIC
 * refuses the opcode.
 */
static int cas_probe_cmpxchg(void)
{
	/* BPF_ATOMIC's encodings, spelled out: older uapi headers lack them. */
	const __u8 atomic_mode = 0xc0, cmpxchg = 0xf0 | 0x01 /* BPF_FETCH */;
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1 },
		{ .code = BPF_STX | BPF_DW | BPF_MEM,
		  .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_1,
		  .off = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_STX | BPF_DW | atomic_mode,
		  .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_1,
		  .off = -8,
		  .imm = cmpxchg },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, NULL, "GPL", insns,
			   CAS_ARRAY_SIZE(insns), NULL);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int cas_probe_xdp(void)
{
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) == 1;
}

static int cas_probe_lpm_trie(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_LPM_TRIE, NULL) == 1;
}

/* What the shield needs, oldest first; each names the version that brought it. */
static const struct {
	const char *feature;
	const char *since;
	int (*probe)(void);
} cas_features[] = {
	{ "XDP programs", "4.8", cas_probe_xdp },
	{ "LPM trie maps", "4.11", cas_probe_lpm_trie },
	{ "BPF atomic compare-and-exchange", "5.12", cas_probe_cmpxchg },
};

int cas_kernel_probe(char *err)
{
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cas_features); i++) {
		if (cas_features[i].probe())
			continue;
		snprintf(err, CAS_ERRBUF,
			 "this kernel (%s) lacks %s, which came in Linux %s",
			 cas_kernel_release(), cas_features[i].feature,
			 cas_features[i].since);
		return -ENOEXEC;
	}
	return 0;
}

/*
 * A log line that only describes (statistics, source, instructions,
 * register states, precision tracking), not why the program was refused.
 */
static bool cas_log_line_is_context(const char *line, size_t len)
{
	static const char *const prefixes[] = {
		"processed ",	"verification time",
		"stack depth",	"func#",
		"Func#",	"; ",
		"from ",	"last_idx ",
		"regs=",	"parent ",
		"mark_precise", "-- ",
		"Validating",	"propagating",
		"libbpf: ",
	};
	size_t i, digits;

	if (!len)
		return true;
	/* "123: (71) r0 = ..." is an instruction dump. */
	if (isdigit((unsigned char)line[0]))
		return true;
	/* "R1_w=pkt(...)" and "R0=..." are states; "R9 offset is ..." is why. */
	for (digits = 1; digits < len && isdigit((unsigned char)line[digits]);)
		digits++;
	if (line[0] == 'R' && digits > 1 && digits < len &&
	    (line[digits] == '=' || line[digits] == '_'))
		return true;
	for (i = 0; i < CAS_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (len >= n && !strncmp(line, prefixes[i], n))
			return true;
	}
	return false;
}

void cas_verifier_reason(const char *log, char *line, size_t len)
{
	const char *end = log ? log + strlen(log) : NULL;

	line[0] = '\0';
	while (end && end > log) {
		const char *start = end;
		size_t n;

		while (start > log && start[-1] != '\n')
			start--;
		n = end - start;
		if (n && start[n - 1] == '\n')
			n--;
		if (!cas_log_line_is_context(start, n)) {
			snprintf(line, len, "%.*s", (int)n, start);
			return;
		}
		end = start > log ? start - 1 : log;
	}
}

bool cas_explain_load_error(int err, const char *log, char *msg, size_t len)
{
	char reason[256];

	cas_verifier_reason(log, reason, sizeof(reason));
	if (reason[0]) {
		snprintf(
			msg, len,
			"the kernel's verifier rejected the program (kernel %s): %s; -v prints the whole log",
			cas_kernel_release(), reason);
		return true;
	}
	switch (err) {
	case -EPERM:
		snprintf(
			msg, len,
			"the kernel refused to load the program: %s (it needs CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON, or CAP_SYS_ADMIN; kernel lockdown or an LSM policy can also refuse BPF)",
			strerror(-err));
		return false;
	case -E2BIG:
		snprintf(
			msg, len,
			"the program is too large or too complex for this kernel's verifier (kernel %s): %s",
			cas_kernel_release(), strerror(-err));
		return true;
	}
	snprintf(msg, len, "cannot load the XDP program (kernel %s): %s",
		 cas_kernel_release(), strerror(-err));
	return false;
}
