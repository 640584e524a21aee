/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testrun.h - what the ns/packet benchmarks share: one timed
 * BPF_PROG_TEST_RUN of a program on a frame, medians, pinning to a CPU,
 * and the xdp-filter program of Debian's xdp-tools loaded for
 * BPF_PROG_TEST_RUN (not attached) with a source allowlist.
 */
#ifndef CAS_BENCH_TESTRUN_H
#define CAS_BENCH_TESTRUN_H

#include <stddef.h>
#include <linux/types.h>

struct bpf_object;

/* Runs prog_fd repeat times on frame; *ns is the kernel's mean per run. */
int bench_test_run(int prog_fd, const void *frame, size_t len, __u32 repeat,
		   __u32 *xdp_action, __u32 *ns);
double bench_median(double *values, size_t count);
int bench_pin_cpu(int cpu);
const char *bench_xdp_action_name(__u32 action);

/*
 * xdp-filter's deny-by-default program (xdpfilt_dny_ip.o, the one
 * `xdp-filter load --policy deny --features ipv4,ipv6` attaches: packets
 * whose address has a rule pass, everything else is dropped) from
 * obj_path, loaded but not attached. bench_xdp_filter_allow adds one source address (a textual
 * IPv4 or IPv6 address) the way `xdp-filter ip ADDR --mode src` does.
 */
int bench_xdp_filter_open(const char *obj_path, struct bpf_object **obj,
			  int *prog_fd);
int bench_xdp_filter_allow(struct bpf_object *obj, const char *addr);

#endif /* CAS_BENCH_TESTRUN_H */
