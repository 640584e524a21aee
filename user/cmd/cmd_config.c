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

/* --config FILE (default CAS_CONFIG_DEFAULT); returns the path or NULL. */
const char *cas_config_option(int argc, char **argv, const char *verb,
			      const struct option *extra,
			      int (*on_extra)(int opt))
{
	struct option options[16] = {
		{ "config", required_argument, NULL, 'c' },
	};
	const char *path = CAS_CONFIG_DEFAULT;
	size_t n = 1;
	int opt;

	for (; extra && extra->name && n < CAS_ARRAY_SIZE(options) - 1; extra++)
		options[n++] = *extra;
	while ((opt = cas_getopt(argc, argv, "c:", options, verb)) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == '?' || !on_extra || on_extra(opt))
			return NULL;
	}
	if (optind != argc) {
		cas_err("%s: unexpected argument '%s'", verb, argv[optind]);
		return NULL;
	}
	return path;
}

static int cas_config_read(const char *path, struct cas_config *config);

int cas_cmd_check(int argc, char **argv)
{
	struct cas_config config;
	const char *path;
	int ret;

	path = cas_config_option(argc, argv, "check", NULL, NULL);
	if (!path)
		return CAS_EXIT_USAGE;
	ret = cas_config_read(path, &config);
	if (ret)
		return ret;
	cas_config_print(stdout, &config);
	cas_config_free(&config);
	return CAS_EXIT_OK;
}

static bool cas_apply_prune, cas_apply_force, cas_run_detach;
static __u32 cas_apply_confirm;

static int cas_apply_extra(int opt)
{
	char err[CAS_ERRBUF];

	switch (opt) {
	case 'p':
		cas_apply_prune = true;
		return 0;
	case 'f':
		cas_apply_force = true;
		return 0;
	case 'C':
		if (cas_parse_u32(optarg, 1, 86400, &cas_apply_confirm, err)) {
			cas_err("apply: --confirm: %s", err);
			return 1;
		}
		return 0;
	case 'D':
		cas_run_detach = true;
		return 0;
	}
	return 1;
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
			fprintf(stderr,
				"casshield: warning: %s is readable by others (chmod 600 %s)\n",
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
	fprintf(stderr, "casshield: not confirmed within %u s: rolling back\n",
		seconds);
	if (cas_config_read(CAS_ROLLBACK_FILE, &snapshot) == CAS_EXIT_OK) {
		cas_apply_config(&snapshot, true, stdout, &counts);
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
	struct cas_config snapshot;
	FILE *file;
	int err, fd;

	mkdir(CAS_RUN_DIR, 0700);
	err = cas_snapshot_config(&snapshot);
	if (err) {
		cas_err("apply: cannot read the live state for --confirm: %s",
			strerror(-err));
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

static int cas_start_waiter(int lock)
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
		cas_rollback_waiter(cas_apply_confirm);
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

int cas_cmd_apply(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "prune", no_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "confirm", required_argument, NULL, 'C' },
		{ 0 },
	};
	struct cas_apply_counts counts;
	struct cas_config config;
	char message[512];
	const char *path;
	int ret, lock;

	path = cas_config_option(argc, argv, "apply", extra, cas_apply_extra);
	if (!path)
		return CAS_EXIT_USAGE;
	ret = cas_config_read(path, &config);
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
	if (!cas_apply_force &&
	    cas_lockout_check(&config, message, sizeof(message))) {
		cas_err("apply: refused: %s (nothing was changed)", message);
		goto out;
	}
	if (cas_apply_confirm) {
		if (cas_pending_confirm()) {
			cas_err("apply: an earlier apply is waiting for 'casshield confirm' (nothing was changed)");
			goto out;
		}
		if (cas_save_rollback())
			goto out;
	}
	ret = cas_apply_config(&config, cas_apply_prune, stdout, &counts);
	printf("%u added, %u removed, %u changed, %u unchanged; %u attached, %u unloaded\n",
	       counts.added, counts.removed, counts.changed, counts.unchanged,
	       counts.attached, counts.unloaded);
	if (cas_apply_confirm && !ret) {
		ret = cas_start_waiter(lock);
		if (!ret)
			printf("rolling back in %u s unless 'casshield confirm' runs\n",
			       cas_apply_confirm);
	}
out:
	cas_config_free(&config);
	return ret;
}

int cas_cmd_confirm(int argc, char **argv)
{
	static const struct option options[] = { { 0 } };
	pid_t pid;
	int lock;

	if (cas_getopt(argc, argv, "", options, "confirm") != -1)
		return CAS_EXIT_USAGE;
	if (optind != argc) {
		cas_err("confirm: unexpected argument '%s'", argv[optind]);
		return CAS_EXIT_USAGE;
	}
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
	ret = cas_apply_config(config, prune, stderr, &counts);
	if (lock >= 0)
		close(lock);
	fprintf(stderr,
		"casshield: %s: %u added, %u removed, %u changed, %u unchanged; %u attached, %u unloaded\n",
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
	fprintf(stderr, "casshield: serving http://%s/metrics and /healthz\n",
		listen);
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
		fprintf(stderr, "casshield: %s: %s\n", name, why);
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
int cas_cmd_run(int argc, char **argv)
{
	static const struct option extra[] = {
		{ "detach-on-exit", no_argument, NULL, 'D' },
		{ 0 },
	};
	struct cas_config config, next;
	struct cas_exporter *server = NULL;
	const char *path;
	sigset_t signals;
	int ret, sig, reload_failed;

	path = cas_config_option(argc, argv, "run", extra, cas_apply_extra);
	if (!path)
		return CAS_EXIT_USAGE;
	ret = cas_config_read(path, &config);
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

	fprintf(stderr, "casshield: run: %s\n", path);
	ret = cas_run_apply(&config, false);
	if (ret) {
		sd_notifyf(0, "STATUS=cannot apply %s (see the journal)", path);
		goto out;
	}
	server = cas_run_exporter(&config);
	if (!server) {
		ret = CAS_EXIT_FAIL;
		goto out;
	}
	sd_notifyf(0, "READY=1\nSTATUS=enforcing %zu interface(s) from %s",
		   config.iface_count, path);
	for (;;) {
		if (sigwait(&signals, &sig))
			continue;
		if (sig != SIGHUP)
			break;
		sd_notify(0, "RELOADING=1");
		if (cas_config_read(path, &next)) {
			fprintf(stderr,
				"casshield: reload refused, the running ruleset stays\n");
			sd_notifyf(
				0,
				"READY=1\nSTATUS=reload refused (%s is invalid); the running ruleset stays",
				path);
			continue;
		}
		/* Interfaces the old file named and the new one does not are
		 * unloaded; others shielded by hand are left alone. */
		for (size_t i = 0; i < config.iface_count; i++) {
			const char *name = config.ifaces[i].name;

			if (!cas_config_find(&next, name))
				cas_run_unload(
					name,
					"unloaded (no longer in the file)");
		}
		reload_failed = cas_run_apply(&next, false);
		if (reload_failed)
			fprintf(stderr,
				"casshield: reload failed; what was applied before the failure stays\n");
		/* A server that failed to start is retried at every reload. */
		if (!server || strcmp(next.listen, config.listen)) {
			cas_exporter_stop(server);
			server = cas_run_exporter(&next);
			if (!server)
				fprintf(stderr,
					"casshield: metrics are off until the next reload\n");
		} else if (cas_exporter_require(server, &next)) {
			cas_err("metrics: out of memory: /healthz keeps the interfaces of the previous file");
		}
		cas_config_free(&config);
		config = next;
		fprintf(stderr, "casshield: reloaded %s\n", path);
		sd_notifyf(
			0, "READY=1\nSTATUS=%s %zu interface(s) from %s",
			reload_failed ?
				"reload failed (see the journal); enforcing" :
				"enforcing",
			config.iface_count, path);
	}
	sd_notify(0, "STOPPING=1");
	fprintf(stderr, "casshield: stopping (signal %d)%s\n", sig,
		cas_run_detach ? "" : "; the shield stays attached");
	if (cas_run_detach)
		cas_run_detach_all(&config);
	ret = CAS_EXIT_OK;
out:
	cas_exporter_stop(server);
	cas_config_free(&config);
	return ret;
}
