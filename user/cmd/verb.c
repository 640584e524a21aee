// SPDX-License-Identifier: GPL-2.0
/*
 * verb.c - what verbs share: sub-verb dispatch, library errors turned into
 * exit codes, the first steps of a verb on one interface.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "shield.h"

int cas_exit_code(int err)
{
	if (!err)
		return CAS_EXIT_OK;
	if (err == -EINVAL)
		return CAS_EXIT_USAGE;
	if (err == -ENOEXEC)
		return CAS_EXIT_KERNEL;
	return CAS_EXIT_FAIL;
}

int cas_report(int err, const char *errbuf)
{
	if (err)
		cas_err("%s", errbuf);
	return cas_exit_code(err);
}

int cas_verb_privileges(void)
{
	char err[CAS_ERRBUF];

	return cas_report(cas_require_privileges(err), err);
}

int cas_verb_iface(const char *ifname_opt, bool writer, struct cas_iface *iface)
{
	char ifname[IF_NAMESIZE], err[CAS_ERRBUF];
	int ret;

	ret = cas_require_privileges(err);
	if (!ret)
		ret = cas_resolve_iface(ifname_opt, ifname, err);
	if (ret)
		return cas_report(ret, err);
	if (writer && (ret = cas_state_lock()) < 0) {
		cas_err("cannot lock %s: %s", CAS_PIN_ROOT, strerror(-ret));
		return CAS_EXIT_FAIL;
	}
	return cas_report(cas_iface_open(ifname, iface, err), err);
}

int cas_run_subverb(int argc, char **argv, const char *verb,
		    const char *expected, const struct cas_subverb *subverbs)
{
	const struct cas_subverb *sub;

	if (argc < 2) {
		cas_err("%s: missing sub-verb %s (see 'casshield %s --help')",
			verb, expected, verb);
		return CAS_EXIT_USAGE;
	}
	/* The sub-verb's word becomes its argv[0]. */
	for (sub = subverbs; sub->name; sub++)
		if (!strcmp(sub->name, argv[1]))
			return sub->run(argc - 1, argv + 1);
	cas_err("%s: unknown sub-verb '%s' (expected %s)", verb, argv[1],
		expected);
	return CAS_EXIT_USAGE;
}
