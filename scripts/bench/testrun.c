// SPDX-License-Identifier: GPL-2.0
/* testrun.c - timed BPF_PROG_TEST_RUN, medians, xdp-filter for comparison. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "testrun.h"

/*
 * xdp-filter's rule values (xdp-tools, xdp-filter/common_kern_user.h): the
 * low bits say which address of the packet the rule matches; the upper
 * bits are a hit counter the program maintains.
 */
#define XDP_FILTER_MATCH_SRC (1ULL << 0)

int bench_test_run(int prog_fd, const void *frame, size_t len, __u32 repeat,
		   __u32 *xdp_action, __u32 *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	*xdp_action = opts.retval;
	*ns = opts.duration;
	return 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *values, size_t count)
{
	if (!count)
		return 0;
	qsort(values, count, sizeof(*values), compare_doubles);
	if (count % 2)
		return values[count / 2];
	return (values[count / 2 - 1] + values[count / 2]) / 2;
}

int bench_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

const char *bench_xdp_action_name(__u32 action)
{
	static const char *const names[] = { "aborted", "drop", "pass", "tx",
					     "redirect" };

	return action < sizeof(names) / sizeof(names[0]) ? names[action] :
							   "unknown";
}

int bench_xdp_filter_open(const char *obj_path, struct bpf_object **obj,
			  int *prog_fd)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	*obj = bpf_object__open_file(obj_path, NULL);
	if (!*obj)
		return -errno;
	prog = bpf_object__next_program(*obj, NULL);
	if (!prog) {
		err = -ENOENT;
		goto fail;
	}
	bpf_program__set_type(prog, BPF_PROG_TYPE_XDP);
	/*
	 * Its maps ask to be pinned by name (for xdp-filter's CLI): here they
	 * must stay private to this process, neither reusing a pin nor
	 * leaving one behind.
	 */
	bpf_object__for_each_map(map, *obj)
	{
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			goto fail;
	}
	err = bpf_object__load(*obj);
	if (err)
		goto fail;
	*prog_fd = bpf_program__fd(prog);
	return 0;
fail:
	bpf_object__close(*obj);
	*obj = NULL;
	return err;
}

int bench_xdp_filter_allow(struct bpf_object *obj, const char *addr)
{
	int ncpus = libbpf_num_possible_cpus(), i, err = 0;
	struct bpf_map *map;
	__u64 *values;
	size_t key_size;
	__u8 key[16];

	if (inet_pton(AF_INET, addr, key) == 1) {
		map = bpf_object__find_map_by_name(obj, "filter_ipv4");
		key_size = 4;
	} else if (inet_pton(AF_INET6, addr, key) == 1) {
		map = bpf_object__find_map_by_name(obj, "filter_ipv6");
		key_size = 16;
	} else {
		return -EINVAL;
	}
	/* A layout other than the one this was written against: refuse. */
	if (!map || bpf_map__type(map) != BPF_MAP_TYPE_PERCPU_HASH ||
	    bpf_map__key_size(map) != key_size ||
	    bpf_map__value_size(map) != sizeof(*values))
		return -EPROTO;
	if (ncpus < 0)
		return ncpus;
	/* Per-CPU: the rule is set in every CPU's copy, as xdp-filter does. */
	values = calloc(ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (i = 0; i < ncpus; i++)
		values[i] = XDP_FILTER_MATCH_SRC;
	if (bpf_map_update_elem(bpf_map__fd(map), key, values, BPF_ANY))
		err = -errno;
	free(values);
	return err;
}
