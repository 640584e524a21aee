/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apply.h - making the live state equal to a configuration: the ruleset of
 * an interface is written into its spare generation and switched in with
 * one word (docs/config.md); interfaces are attached with their ruleset in
 * place before the first packet; a snapshot of the live state serves
 * commit-confirm rollbacks.
 */
#ifndef CAS_USER_APPLY_H
#define CAS_USER_APPLY_H

#include <stdio.h>
#include "config.h"
#include "shield.h"

#define CAS_RUN_DIR	     "/run/casshield"
#define CAS_ROLLBACK_FILE    CAS_RUN_DIR "/rollback.yaml"
#define CAS_CONFIRM_PID_FILE CAS_RUN_DIR "/confirm.pid"

struct cas_apply_counts {
	unsigned int added, removed, changed, unchanged;
	unsigned int attached, unloaded;
};

/*
 * Apply a whole configuration: check everything first (interfaces exist,
 * modes match), then attach or update each interface; with prune, unload
 * shielded interfaces the configuration does not name. The changes are
 * written to report (NULL: silent), a line each, prefixed by the
 * interface: that is the caller's output, not an error.
 *
 * 0 or -errno with err (CAS_ERRBUF) holding one line, without a "apply: "
 * prefix; nothing is printed. -ENODEV an interface of the file does not
 * exist, -EOPNOTSUPP a mode change, -ENOSPC the rule table cannot hold the
 * switch, -ENOEXEC this kernel cannot run the shield; the file was checked
 * by the loader, so nothing returned is -EINVAL (cas_exit_code gives 1,
 * or 3 for -ENOEXEC). Nothing was changed on the interface that failed;
 * interfaces before it in the file were applied (counts says what).
 */
int cas_apply_config(const struct cas_config *config, bool prune, FILE *report,
		     struct cas_apply_counts *counts, char *err);

/*
 * The live state of every shielded interface as a configuration (for
 * commit-confirm's rollback file). 0 or -errno with errbuf (CAS_ERRBUF).
 */
int cas_snapshot_config(struct cas_config *config, char *errbuf);

/*
 * The lockout guard: -EPERM, with errbuf (CAS_ERRBUF) saying why, if the
 * configuration protects the port of the SSH session in SSH_CONNECTION
 * without allowing its client; else 0.
 */
int cas_lockout_check(const struct cas_config *config, char *errbuf);

#endif /* CAS_USER_APPLY_H */
