// SPDX-License-Identifier: GPL-2.0
/*
 * unit_kernel.c - honest load errors: the reason read out of verifier logs
 * (table: log -> the line that says why), a program this kernel's verifier
 * really rejects explained in one line, a missing privilege named without
 * blaming the verifier, and the feature probes passing on this kernel.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "check.h"
#include "common.h"
#include "kernel.h"
#include "values.h"

/* Logs as 6.1 and 6.18 print them, cut to their last lines. */
static void test_reasons(void)
{
	static const struct {
		const char *name, *log, *reason;
	} cases[] = {
		{ "6.1 packet access (Debian 12, tls.h)",
		  "; return (__u16)p[0] << 8 | p[1];\n"
		  "1464: (71) r0 = *(u8 *)(r9 +1)\n"
		  "invalid access to packet, off=1 size=1, R9(id=153,off=1,r=0)\n"
		  "R9 offset is outside of the packet\n"
		  "processed 4334 insns (limit 1000000) max_states_per_insn 7 total_states 173 peak_states 154 mark_read 38\n",
		  "R9 offset is outside of the packet" },
		{ "6.1 map value math (policy.h prefilter)",
		  "1486: (4c) w9 |= w7                   ; R7_w=scalar(umax=255) R9_w=scalar()\n"
		  "1487: (0f) r2 += r9\n"
		  "math between map_value pointer and register with unbounded min value is not allowed\n"
		  "processed 900 insns (limit 1000000) max_states_per_insn 1 total_states 50 peak_states 50 mark_read 9\n"
		  "-- END PROG LOAD LOG --\n",
		  "math between map_value pointer and register with unbounded min value is not allowed" },
		{ "register state lines are context",
		  "0: R1=ctx(off=0,imm=0) R10=fp0\n"
		  "0: (bf) r0 = r2\n"
		  "R2 !read_ok\n"
		  "R0_w=scalar()\n"
		  "verification time 12 usec\n"
		  "stack depth 0\n",
		  "R2 !read_ok" },
		{ "a log of statistics only", "processed 3 insns\nstack depth 0\n", "" },
		{ "an empty log", "", "" },
		{ "no trailing newline", "0: (95) exit\nR0 !read_ok", "R0 !read_ok" },
	};
	char line[256];
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(cases); i++) {
		check_case = cases[i].name;
		cas_verifier_reason(cases[i].log, line, sizeof(line));
		check_record(CHECK_STR(line, cases[i].reason, "reason"));
	}
}

/* The kernel's own verifier on a program that reads an unset register. */
static void test_real_rejection(void)
{
	static char log[1 << 16];
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_0,
		  .src_reg = BPF_REG_2 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log,
		    .log_size = sizeof(log), .log_level = 1);
	char msg[CAS_ERRBUF], want[CAS_ERRBUF];
	int fd, err, refused;

	check_case = "a program the verifier rejects";
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, NULL, "GPL", insns,
			   CAS_ARRAY_SIZE(insns), &opts);
	err = fd < 0 ? -errno : 0;
	refused = cas_explain_load_error(err, log, msg, sizeof(msg));
	snprintf(want, sizeof(want),
		 "the kernel's verifier rejected the program (kernel %s): R2 !read_ok; -v prints the whole log",
		 cas_kernel_release());
	check_record(CHECK_EQ(fd < 0, 1, "refused") &
		     CHECK_EQ(refused, 1, "final on this kernel") &
		     CHECK_STR(msg, want, "message"));
}

static void test_other_errors(void)
{
	char msg[CAS_ERRBUF];
	int refused;

	check_case = "EPERM without a log names the privilege";
	refused = cas_explain_load_error(-EPERM, "", msg, sizeof(msg));
	check_record(CHECK_EQ(refused, 0, "may succeed with privileges") &
		     CHECK_EQ(!!strstr(msg, "CAP_BPF"), 1, "names CAP_BPF") &
		     CHECK_EQ(!strstr(msg, "verifier"), 1, "does not blame the verifier"));

	check_case = "ENOMEM is neither";
	refused = cas_explain_load_error(-ENOMEM, NULL, msg, sizeof(msg));
	check_record(CHECK_EQ(refused, 0, "not final") &
		     CHECK_EQ(!!strstr(msg, strerror(ENOMEM)), 1, "says why") &
		     CHECK_EQ(!strstr(msg, "root"), 1, "no 'are you root'"));
}

static void test_probe(void)
{
	char err[CAS_ERRBUF] = "";

	check_case = "this kernel has every feature";
	check_record(CHECK_EQ(cas_kernel_probe(err), 0, err));
}

int main(void)
{
	test_reasons();
	test_real_rejection();
	test_other_errors();
	test_probe();
	return check_summary("unit_kernel");
}
