// SPDX-License-Identifier: GPL-2.0
/* cmd_config.c - check, apply, confirm and run: the configuration file made live. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "apply.h"
#include "cli.h"
#include "common.h"
#include "config.h"
#include "exporter.h"
#include "metrics.h"

/* The options of check, apply and run; each takes its own of them. */
struct cas_config_args {
	const char *path;
	bool prune, force, detach;
	__u32 confirm; /* seconds; 0: no rollback */
};

#define CAS_OPT_CONFIG                                                   \
	{                                                                \
		.name = "config", .letter = 'c', .kind = CAS_OPT_STRING, \
		.offset = offsetof(struct cas_config_args, path),        \
		.value = "FILE",                                         \
		.help = "the file (default " CAS_CONFIG_DEFAULT ")",     \
		.usage_long = true,                                      \
	}

static const struct cas_opt cas_check_opts[] = { CAS_OPT_CONFIG, { 0 } };

static const struct cas_opt cas_apply_opts[] = {
	CAS_OPT_CONFIG,
	{ .name = "prune",
	  .kind = CAS_OPT_FLAG,
	  .offset = offsetof(struct cas_config_args, prune),
	  .help = "also unload shielded interfaces the file omits" },
	{ .name = "force",
	  .kind = CAS_OPT_FLAG,
	  .offset = offsetof(struct cas_config_args, force),
	  .help = "apply even if it locks out this SSH session" },
	{ .name = "confirm",
	  .kind = CAS_OPT_U32,
	  .offset = offsetof(struct cas_config_args, confirm),
	  .value = "SECONDS",
	  .min = 1,
	  .max = 86400,
	  .help = "roll back unless 'casshield confirm' runs in time" },
	{ 0 },
};

static const struct cas_opt cas_run_opts[] = {
	CAS_OPT_CONFIG,
	{ .name = "detach-on-exit",
	  .kind = CAS_OPT_FLAG,
	  .offset = offsetof(struct cas_config_args, detach),
	  .help = "unload the file's interfaces on SIGTERM" },
	{ 0 },
};

static const struct cas_syntax cas_check_syntax = {
	.words = "check",
	.verb = "check",
	.opts = cas_check_opts,
};
static const struct cas_syntax cas_apply_syntax = {
	.words = "apply",
	.verb = "apply",
	.opts = cas_apply_opts,
};
static const struct cas_syntax cas_confirm_syntax = {
	.words = "confirm",
	.verb = "confirm",
};
static const struct cas_syntax cas_run_syntax = {
	.words = "run",
	.verb = "run",
	.opts = cas_run_opts,
};

/* Parse argv by syntax into args, the file's path defaulted. */
static int cas_config_args(const struct cas_syntax *syntax, int argc,
			   char **argv, struct cas_config_args *args)
{
	*args = (struct cas_config_args){ .path = CAS_CONFIG_DEFAULT };
	return cas_opts_parse(syntax, argc, argv, args, NULL, NULL);
}

static int cas_config_read(const char *path, struct cas_config *config);

static int cas_cmd_check(int argc, char **argv)
{
	struct cas_config_args args;
	struct cas_config config;
	int ret;

	ret = cas_config_args(&cas_check_syntax, argc, argv, &args);
	if (ret)
		return ret;
	ret = cas_config_read(args.path, &config);
	if (ret)
		return ret;
	cas_config_print(stdout, &config);
	cas_config_free(&config);
	return CAS_EXIT_OK;
}

/*
 * Apply config (cas_apply_config), print what failed as
 * "apply: ...", and return the exit code: 3 for a kernel that cannot run
 * the shield (a retry won't help), else 1.
 */
static int cas_config_apply(const struct cas_config *config, bool prune,
			    FILE *report, struct cas_apply_counts *counts)
{
	char err[CAS_ERRBUF] = "";
	int ret;

	ret = cas_apply_config(config, prune, report, counts, err);
	if (!ret)
		return CAS_EXIT_OK;
	cas_err("apply: %s", err[0] ? err : strerror(-ret));
	return cas_exit_code(ret);
}

/* Load the file; prints the error and returns the exit code. */
static int cas_config_read(const char *path, struct cas_config *config)
{
	char err[CAS_CONFIG_ERRBUF];
	int ret;

	ret = cas_config_load(path, config, err);
	if (!ret) {
		struct stat st;

		/* It names the proxies and admin networks: root's alone. */
		if (!stat(path, &st) && (st.st_mode & 077))
			cas_err("warning: %s is readable by others (chmod 600 %s)",
				path, path);
		return CAS_EXIT_OK;
	}
	cas_err("%s", err);
	return ret == -EINVAL ? CAS_EXIT_USAGE : CAS_EXIT_FAIL;
}

/* Pid of the rollback waiter, or 0 if none is waiting. */
static pid_t cas_pending_confirm(void)
{
	FILE *file = fopen(CAS_CONFIRM_PID_FILE, "r");
	int pid = 0;

	if (!file)
		return 0;
	if (fscanf(file, "%d", &pid) != 1 || pid <= 0 ||
	    (kill(pid, 0) && errno == ESRCH))
		pid = 0;
	fclose(file);
	return pid;
}

/*
 * The rollback waiter: detached from the terminal, it sleeps, then (if
 * `casshield confirm` did not remove its pid file first) applies the
 * snapshot taken before the change, pruning what the change attached.
 */
static void cas_rollback_waiter(__u32 seconds)
{
	struct cas_apply_counts counts;
	struct cas_config snapshot;
	FILE *log;
	int lock;

	setsid();
	umask(077);
	log = fopen(CAS_RUN_DIR "/rollback.log", "a");
	if (log) {
		dup2(fileno(log), STDERR_FILENO);
		dup2(fileno(log), STDOUT_FILENO);
	}
	sleep(seconds);
	lock = cas_state_lock();
	if (cas_pending_confirm() != getpid())
		_exit(0); /* confirmed meanwhile */
	cas_err("not confirmed within %u s: rolling back", seconds);
	if (cas_config_read(CAS_ROLLBACK_FILE, &snapshot) == CAS_EXIT_OK) {
		cas_config_apply(&snapshot, true, stdout, &counts);
		cas_config_free(&snapshot);
	}
	unlink(CAS_CONFIRM_PID_FILE);
	unlink(CAS_ROLLBACK_FILE);
	fflush(NULL);
	if (lock >= 0)
		close(lock);
	_exit(0);
}

/* Snapshot the live state into the rollback file (root only). */
static int cas_save_rollback(void)
{
	char errbuf[CAS_ERRBUF];
	struct cas_config snapshot;
	FILE *file;
	int err, fd;

	mkdir(CAS_RUN_DIR, 0700);
	err = cas_snapshot_config(&snapshot, errbuf);
	if (err) {
		cas_err("apply: --confirm: %s", errbuf);
		return CAS_EXIT_FAIL;
	}
	fd = open(CAS_ROLLBACK_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0600);
	file = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!file) {
		cas_err("apply: cannot write %s: %s", CAS_ROLLBACK_FILE,
			strerror(errno));
		cas_config_free(&snapshot);
		return CAS_EXIT_FAIL;
	}
	cas_config_write(file, &snapshot);
	fclose(file);
	cas_config_free(&snapshot);
	return CAS_EXIT_OK;
}

static int cas_start_waiter(int lock, __u32 seconds)
{
	FILE *file;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		cas_err("apply: cannot start the rollback timer: %s",
			strerror(errno));
		return CAS_EXIT_FAIL;
	}
	if (pid == 0) {
		close(lock); /* the parent's copy keeps the lock until it exits */
		cas_rollback_waiter(seconds);
	}
	file = fopen(CAS_CONFIRM_PID_FILE, "w");
	if (!file) {
		cas_err("apply: cannot write %s: %s", CAS_CONFIRM_PID_FILE,
			strerror(errno));
		kill(pid, SIGTERM);
		return CAS_EXIT_FAIL;
	}
	fprintf(file, "%d\n", (int)pid);
	fclose(file);
	return CAS_EXIT_OK;
}

/*
 * What apply checks under the state lock before changing anything: the
 * SSH session is not locked out, no rollback is pending, the rollback
 * snapshot is saved. An exit code.
 */
static int cas_apply_prepare(const struct cas_config *config,
			     const struct cas_config_args *args)
{
	char errbuf[CAS_ERRBUF];

	if (!args->force && cas_lockout_check(config, errbuf)) {
		cas_err("apply: refused: %s (nothing was changed)", errbuf);
		return CAS_EXIT_FAIL;
	}
	if (!args->confirm)
		return CAS_EXIT_OK;
	if (cas_pending_confirm()) {
		cas_err("apply: an earlier apply is waiting for 'casshield confirm' (nothing was changed)");
		return CAS_EXIT_FAIL;
	}
	return cas_save_rollback();
}

static int cas_cmd_apply(int argc, char **argv)
{
	struct cas_apply_counts counts;
	struct cas_config_args args;
	struct cas_config config;
	int ret, lock;

	ret = cas_config_args(&cas_apply_syntax, argc, argv, &args);
	if (ret)
		return ret;
	ret = cas_config_read(args.path, &config);
	if (ret)
		return ret;
	ret = cas_verb_privileges();
	if (ret)
		goto out;
	ret = CAS_EXIT_FAIL;
	lock = cas_state_lock();
	if (lock < 0) {
		cas_err("apply: cannot lock %s: %s", CAS_PIN_ROOT,
			strerror(-lock));
		goto out;
	}
	if (cas_apply_prepare(&config, &args))
		goto out;
	ret = cas_config_apply(&config, args.prune, stdout, &counts);
	printf("%u added, %u removed, %u changed, %u unchanged; %u attached, %u unloaded\n",
	       counts.added, counts.removed, counts.changed, counts.unchanged,
	       counts.attached, counts.unloaded);
	if (args.confirm && !ret) {
		ret = cas_start_waiter(lock, args.confirm);
		if (!ret)
			printf("rolling back in %u s unless 'casshield confirm' runs\n",
			       args.confirm);
	}
out:
	cas_config_free(&config);
	return ret;
}

static int cas_cmd_confirm(int argc, char **argv)
{
	pid_t pid;
	int lock;

	if (cas_opts_parse(&cas_confirm_syntax, argc, argv, NULL, NULL, NULL))
		return CAS_EXIT_USAGE;
	if (cas_verb_privileges())
		return CAS_EXIT_FAIL;
	lock = cas_state_lock();
	pid = cas_pending_confirm();
	if (!pid) {
		cas_err("confirm: no apply is waiting for confirmation");
		return CAS_EXIT_FAIL;
	}
	unlink(CAS_CONFIRM_PID_FILE);
	unlink(CAS_ROLLBACK_FILE);
	kill(pid, SIGTERM);
	if (lock >= 0)
		close(lock);
	puts("confirmed: the applied configuration stays");
	return CAS_EXIT_OK;
}

/* Apply under the state lock, logging to stderr (the journal). */
static int cas_run_apply(const struct cas_config *config, bool prune)
{
	struct cas_apply_counts counts;
	int lock, ret;

	lock = cas_state_lock();
	ret = cas_config_apply(config, prune, stderr, &counts);
	if (lock >= 0)
		close(lock);
	cas_err("%s: %u added, %u removed, %u changed, %u unchanged; %u attached, %u unloaded",
		ret ? "apply failed" : "applied", counts.added, counts.removed,
		counts.changed, counts.unchanged, counts.attached,
		counts.unloaded);
	return ret;
}

/* run's exporter: every shielded interface, and /healthz requires those
 * of the file; NULL after saying why. */
static struct cas_exporter *cas_run_exporter(const struct cas_config *config)
{
	const char *listen = config->listen;
	struct cas_exporter *exporter;
	char err[CAS_ERRBUF];

	if (cas_exporter_start(NULL, 0, listen, &exporter, err)) {
		cas_err("metrics: %s", err);
		return NULL;
	}
	if (cas_exporter_require(exporter, config)) {
		cas_err("metrics: out of memory");
		cas_exporter_stop(exporter);
		return NULL;
	}
	cas_err("serving http://%s/metrics and /healthz", listen);
	return exporter;
}

/* Unload a shielded interface for run, logging the outcome. */
static void cas_run_unload(const char *name, const char *why)
{
	char err[CAS_ERRBUF];

	if (!cas_is_shielded(name))
		return;
	if (cas_shield_unload(name, err))
		cas_err("%s", err);
	else
		cas_err("%s: %s", name, why);
}

/* Unload what config names (run --detach-on-exit). */
static void cas_run_detach_all(const struct cas_config *config)
{
	size_t i;

	for (i = 0; i < config->iface_count; i++)
		cas_run_unload(config->ifaces[i].name, "detached on exit");
}

/*
 * The service: attach or adopt what the file names, serve metrics, reload
 * on SIGHUP, exit on SIGTERM/SIGINT leaving the shield enforcing (unless
 * --detach-on-exit: the shield fails closed by default). Under systemd
 * (Type=notify) READY=1 is sent only once every interface of the file is
 * enforcing its ruleset, so "active" means "enforcing". Exit codes, which
 * the unit's RestartPreventExitStatus reads: 0 stopped by a signal, 1 a
 * failure a retry may cure (an interface not there yet), 2 the file is
 * invalid, 3 this kernel cannot run the shield.
 */
/*
 * run's SIGHUP: read the file again and apply it, keeping the running
 * ruleset if the file is invalid; *config becomes the file applied.
 */
static void cas_run_reload(const char *path, struct cas_config *config,
			   struct cas_exporter **server)
{
	struct cas_config next;
	int failed;

	sd_notify(0, "RELOADING=1");
	if (cas_config_read(path, &next)) {
		cas_err("reload refused, the running ruleset stays");
		sd_notifyf(
			0,
			"READY=1\nSTATUS=reload refused (%s is invalid); the running ruleset stays",
			path);
		return;
	}
	/* Interfaces the old file named and the new one does not are
	 * unloaded; others shielded by hand are left alone. */
	for (size_t i = 0; i < config->iface_count; i++) {
		const char *name = config->ifaces[i].name;

		if (!cas_config_find(&next, name))
			cas_run_unload(name,
				       "unloaded (no longer in the file)");
	}
	failed = cas_run_apply(&next, false);
	if (failed)
		cas_err("reload failed; what was applied before the failure stays");
	/* A server that failed to start is retried at every reload. */
	if (!*server || strcmp(next.listen, config->listen)) {
		cas_exporter_stop(*server);
		*server = cas_run_exporter(&next);
		if (!*server)
			cas_err("metrics are off until the next reload");
	} else if (cas_exporter_require(*server, &next)) {
		cas_err("metrics: out of memory: /healthz keeps the interfaces of the previous file");
	}
	cas_config_free(config);
	*config = next;
	cas_err("reloaded %s", path);
	sd_notifyf(0, "READY=1\nSTATUS=%s %zu interface(s) from %s",
		   failed ? "reload failed (see the journal); enforcing" :
			    "enforcing",
		   config->iface_count, path);
}

/*
 * The service: attach or adopt what the file names, serve metrics, reload
 * on SIGHUP, exit on SIGTERM/SIGINT leaving the shield enforcing (unless
 * --detach-on-exit: the shield fails closed by default). Under systemd
 * (Type=notify) READY=1 is sent only once every interface of the file is
 * enforcing its ruleset, so "active" means "enforcing". Exit codes, which
 * the unit's RestartPreventExitStatus reads: 0 stopped by a signal, 1 a
 * failure a retry may cure (an interface not there yet), 2 the file is
 * invalid, 3 this kernel cannot run the shield.
 */
static int cas_cmd_run(int argc, char **argv)
{
	struct cas_exporter *server = NULL;
	struct cas_config_args args;
	struct cas_config config;
	sigset_t signals;
	int ret, sig;

	ret = cas_config_args(&cas_run_syntax, argc, argv, &args);
	if (!ret)
		ret = cas_config_read(args.path, &config);
	if (ret)
		return ret;
	ret = cas_verb_privileges();
	if (ret) {
		cas_config_free(&config);
		return ret;
	}
	/* Blocked before any thread exists, so the HTTP threads inherit it. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGHUP);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	setvbuf(stderr, NULL, _IOLBF, 0);

	cas_err("run: %s", args.path);
	ret = cas_run_apply(&config, false);
	if (ret) {
		sd_notifyf(0, "STATUS=cannot apply %s (see the journal)",
			   args.path);
		goto out;
	}
	server = cas_run_exporter(&config);
	if (!server) {
		ret = CAS_EXIT_FAIL;
		goto out;
	}
	sd_notifyf(0, "READY=1\nSTATUS=enforcing %zu interface(s) from %s",
		   config.iface_count, args.path);
	for (;;) {
		if (sigwait(&signals, &sig))
			continue;
		if (sig != SIGHUP)
			break;
		cas_run_reload(args.path, &config, &server);
	}
	sd_notify(0, "STOPPING=1");
	cas_err("stopping (signal %d)%s", sig,
		args.detach ? "" : "; the shield stays attached");
	if (args.detach)
		cas_run_detach_all(&config);
	ret = CAS_EXIT_OK;
out:
	cas_exporter_stop(server);
	cas_config_free(&config);
	return ret;
}

static const struct cas_syntax *const cas_check_forms[] = { &cas_check_syntax,
							    NULL };
static const struct cas_syntax *const cas_apply_forms[] = { &cas_apply_syntax,
							    NULL };
static const struct cas_syntax *const cas_confirm_forms[] = {
	&cas_confirm_syntax, NULL
};
static const struct cas_syntax *const cas_run_forms[] = { &cas_run_syntax,
							  NULL };

const struct cas_verb cas_verb_check = {
	"check", cas_cmd_check, cas_check_forms,
	"validate a configuration file and print its ruleset"
};
const struct cas_verb cas_verb_apply = {
	"apply", cas_cmd_apply, cas_apply_forms,
	"make the live state equal to the configuration file, atomically"
};
const struct cas_verb cas_verb_confirm = {
	"confirm", cas_cmd_confirm, cas_confirm_forms,
	"keep the configuration of an 'apply --confirm'"
};
const struct cas_verb cas_verb_run = {
	"run", cas_cmd_run, cas_run_forms,
	"the service: apply the file, serve metrics, reload on SIGHUP"
};
