// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_stats.c - the stats verb: counters by action and reason, once, or
 * as rates redrawn in place (--watch) for a human at the console.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"
#include "json_print.h"
#include "shield.h"
#include "verdicts.h"

#define CAS_WATCH_MIN_S 0.1
#define CAS_WATCH_MAX_S 3600.0

/* ANSI: cursor home, clear to end of line, clear to end of screen. */
#define CAS_ANSI_HOME	"\033[H"
#define CAS_ANSI_EOL	"\033[K"
#define CAS_ANSI_EOS	"\033[J"

static volatile sig_atomic_t cas_watch_stop;

static void cas_watch_on_signal(int sig)
{
	(void)sig;
	cas_watch_stop = 1;
}

/* Counters of ifname, its maps opened and closed again (unload must work). */
static int cas_stats_read(const char *ifname, struct cas_verdict_count *counts,
			  size_t *count)
{
	char errbuf[CAS_ERRBUF];
	struct cas_iface iface;
	int err;

	err = cas_iface_open(ifname, &iface, errbuf);
	if (err)
		return cas_report(err, errbuf);
	err = cas_verdicts_read(&iface.maps, counts, count);
	cas_iface_close(&iface);
	if (err) {
		cas_err("stats: cannot read the counters of %s: %s", ifname,
			strerror(-err));
		return CAS_EXIT_FAIL;
	}
	return CAS_EXIT_OK;
}

static int cas_stats_json(const char *ifname,
			  const struct cas_verdict_count *counts, size_t count)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *list = json_object_new_array();
	size_t i;

	cas_json_set_string(obj, "interface", ifname);
	for (i = 0; i < count; i++) {
		struct json_object *pair = json_object_new_object();

		cas_json_set_string(pair, "action", counts[i].action);
		cas_json_set_string(pair, "reason", counts[i].reason);
		cas_json_set_u64(pair, "packets", counts[i].counter.packets);
		cas_json_set_u64(pair, "bytes", counts[i].counter.bytes);
		json_object_array_add(list, pair);
	}
	json_object_object_add(obj, "counters", list);
	return cas_json_print(stdout, obj);
}

static void cas_stats_text(const struct cas_verdict_count *counts, size_t count)
{
	size_t i;

	printf("%-12s %-16s %16s %18s\n", "ACTION", "REASON", "PACKETS",
	       "BYTES");
	for (i = 0; i < count; i++)
		printf("%-12s %-16s %16llu %18llu\n", counts[i].action,
		       counts[i].reason,
		       (unsigned long long)counts[i].counter.packets,
		       (unsigned long long)counts[i].counter.bytes);
}

static double cas_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A counter that went backwards was reset (shield reloaded): count anew. */
static __u64 cas_delta(__u64 now, __u64 before)
{
	return now >= before ? now - before : now;
}

static void cas_watch_frame(const char *ifname, double interval, bool ansi,
			    const struct cas_verdict_count *now,
			    const struct cas_verdict_count *before,
			    size_t count, double elapsed)
{
	const char *eol = ansi ? CAS_ANSI_EOL "\n" : "\n";
	char clock_text[16];
	time_t wall = time(NULL);
	size_t i;

	strftime(clock_text, sizeof(clock_text), "%H:%M:%S", localtime(&wall));
	if (ansi)
		fputs(CAS_ANSI_HOME, stdout);
	printf("casshield stats %s, every %gs, %s (Ctrl-C to quit)%s%s", ifname,
	       interval, clock_text, eol, eol);
	printf("%-12s %-16s %12s %14s %16s%s", "ACTION", "REASON", "PACKETS/S",
	       "BYTES/S", "PACKETS", eol);
	for (i = 0; i < count; i++) {
		const struct cas_counter *c = &now[i].counter;

		printf("%-12s %-16s ", now[i].action, now[i].reason);
		if (before)
			printf("%12.1f %14.1f ",
			       cas_delta(c->packets,
					 before[i].counter.packets) /
				       elapsed,
			       cas_delta(c->bytes, before[i].counter.bytes) /
				       elapsed);
		else
			printf("%12s %14s ", "-", "-");
		printf("%16llu%s", (unsigned long long)c->packets, eol);
	}
	if (ansi)
		fputs(CAS_ANSI_EOS, stdout);
	else
		putchar('\n');
	fflush(stdout);
}

/* Sleeps until the deadline or a stop signal. */
static void cas_watch_sleep(double until)
{
	double left;

	while (!cas_watch_stop && (left = until - cas_now()) > 0) {
		struct timespec ts = {
			.tv_sec = (time_t)left,
			.tv_nsec = (long)((left - (time_t)left) * 1e9),
		};

		nanosleep(&ts, NULL); /* EINTR on Ctrl-C: the loop checks */
	}
}

static int cas_stats_watch(const char *ifname, double interval)
{
	struct cas_verdict_count a[CAS_VERDICT_PAIRS] = {},
				 b[CAS_VERDICT_PAIRS] = {};
	struct cas_verdict_count *now = a, *before = NULL;
	bool ansi = isatty(STDOUT_FILENO);
	struct sigaction on_stop = { .sa_handler = cas_watch_on_signal };
	double taken = 0, next;
	size_t count = 0;
	int err = CAS_EXIT_OK;

	/* No SA_RESTART: the signal must cut the sleep short. */
	sigaction(SIGINT, &on_stop, NULL);
	sigaction(SIGTERM, &on_stop, NULL);
	if (ansi)
		fputs("\033[2J", stdout);
	next = cas_now();
	while (!cas_watch_stop) {
		double at;

		if (!cas_is_shielded(ifname)) {
			cas_err("stats: %s is no longer shielded", ifname);
			err = CAS_EXIT_FAIL;
			break;
		}
		err = cas_stats_read(ifname, now, &count);
		if (err)
			break;
		at = cas_now();
		cas_watch_frame(ifname, interval, ansi, now, before, count,
				at - taken);
		taken = at;
		before = now;
		now = now == a ? b : a;
		next += interval;
		cas_watch_sleep(next);
	}
	return err;
}

/* --watch SECONDS */
static int cas_parse_interval(const char *text, void *target, char *err)
{
	double *seconds = target;
	char *end;
	double value;

	errno = 0;
	value = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(value) ||
	    value < CAS_WATCH_MIN_S || value > CAS_WATCH_MAX_S) {
		snprintf(
			err, CAS_ERRBUF,
			"invalid --watch interval '%s' (expected seconds, %g to %g)",
			text, CAS_WATCH_MIN_S, CAS_WATCH_MAX_S);
		return -EINVAL;
	}
	*seconds = value;
	return 0;
}

struct cas_stats_args {
	const char *ifname;
	bool json;
	double interval; /* --watch; 0: print once */
};

static const struct cas_opt cas_stats_opts[] = {
	CAS_OPT_IFACE(struct cas_stats_args, ifname, 0),
	CAS_OPT_JSON(struct cas_stats_args, json, 0),
	{ .name = "watch",
	  .kind = CAS_OPT_CUSTOM,
	  .parse = cas_parse_interval,
	  .offset = offsetof(struct cas_stats_args, interval),
	  .value = "SECONDS",
	  .help = "redraw per-reason rates every SECONDS" },
	{ 0 },
};

static const struct cas_syntax cas_stats_syntax = {
	.words = "stats",
	.verb = "stats",
	.opts = cas_stats_opts,
};

static int cas_cmd_stats(int argc, char **argv)
{
	struct cas_verdict_count counts[CAS_VERDICT_PAIRS];
	char ifname[IF_NAMESIZE], errbuf[CAS_ERRBUF];
	struct cas_stats_args args = {};
	size_t count = 0;
	int err;

	err = cas_opts_parse(&cas_stats_syntax, argc, argv, &args, NULL, NULL);
	if (err)
		return err;
	if (args.json && args.interval) {
		cas_err("stats: --watch is for the console; scripts use --json alone, or 'casshield metrics'");
		return CAS_EXIT_USAGE;
	}
	err = cas_verb_privileges();
	if (err)
		return err;
	err = cas_resolve_iface(args.ifname, ifname, errbuf);
	if (err)
		return cas_report(err, errbuf);
	if (args.interval)
		return cas_stats_watch(ifname, args.interval);
	err = cas_stats_read(ifname, counts, &count);
	if (err)
		return err;
	if (args.json)
		return cas_stats_json(ifname, counts, count);
	cas_stats_text(counts, count);
	return CAS_EXIT_OK;
}

static const struct cas_syntax *const cas_stats_forms[] = { &cas_stats_syntax,
							    NULL };

const struct cas_verb cas_verb_stats = {
	"stats", cas_cmd_stats, cas_stats_forms,
	"show packet and byte counters by action and reason"
};
