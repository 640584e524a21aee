// SPDX-License-Identifier: GPL-2.0
/*
 * synproxy.c - the netfilter side of the SYN proxy (synproxy.h): the
 * nftables table of an interface, written and read by the nft program
 * (program.h), and nf_conntrack_tcp_loose, whose previous value the
 * tables keep.
 */
#define _GNU_SOURCE /* strchrnul */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "kernel.h"
#include "program.h"
#include "synproxy.h"
#include "text.h"

#define CAS_LOOSE_SYSCTL  "/proc/sys/net/netfilter/nf_conntrack_tcp_loose"
/* How a table's comment ends; the value follows. */
#define CAS_LOOSE_TAG	  "; nf_conntrack_tcp_loose was "
/* What tcp_loose is when nf_conntrack loads: the value an admin had. */
#define CAS_LOOSE_DEFAULT "1"
#define CAS_WSCALE_MAX	  14 /* RFC 7323 */
/* The kernel dry run of cas_probe_nft_synproxy: a name of no interface. */
#define CAS_PROBE_TABLE	  "casshield_probe"

static void cas_err_context(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Put context before the line err holds: "<context>: <line>". */
static void cas_err_context(char *err, const char *fmt, ...)
{
	char head[CAS_ERRBUF];
	size_t h, keep;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	h = strlen(head);
	if (h + 3 > CAS_ERRBUF) {
		memcpy(err, head, h + 1);
		return;
	}
	keep = strnlen(err, CAS_ERRBUF - 1);
	if (keep > CAS_ERRBUF - 3 - h)
		keep = CAS_ERRBUF - 3 - h;
	memmove(err + h + 2, err, keep);
	err[h + 2 + keep] = '\0';
	memcpy(err, head, h);
	err[h] = ':';
	err[h + 1] = ' ';
}

/* [A-Za-z0-9_], whatever the locale: the bytes a table name keeps. */
static bool cas_name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/*
 * '-' is outside the kept bytes and escaped itself, and every escape is
 * '-' and two hex digits: the name reads back one way only.
 */
void cas_synproxy_table(const char *ifname, char *buf, size_t len)
{
	struct cas_text t = {};
	const unsigned char *c;

	cas_text_printf(&t, "%s", CAS_SYNPROXY_TABLE_PREFIX);
	for (c = (const unsigned char *)ifname; *c; c++) {
		if (cas_name_byte(*c))
			cas_text_printf(&t, "%c", *c);
		else
			cas_text_printf(&t, "-%02x", *c);
	}
	/* Cut to fit (the callers' buffers fit every interface name). */
	if (len)
		snprintf(buf, len, "%s", t.failed ? "" : t.data);
	cas_text_free(&t);
}

/* An int's text, as the sysctl reads and writes it. */
static bool cas_loose_valid(const char *value)
{
	size_t i = value && value[0] == '-' ? 1 : 0, digits = 0;

	if (!value)
		return false;
	for (; value[i] >= '0' && value[i] <= '9'; i++)
		digits++;
	return digits && digits <= 10 && !value[i];
}

int cas_synproxy_saved_loose(const char *comment, char *buf, size_t len)
{
	const char *tag = NULL, *at = comment;

	/* The last tag: what follows it is ours, whatever came before. */
	while (at && (at = strstr(at, CAS_LOOSE_TAG))) {
		tag = at;
		at += strlen(CAS_LOOSE_TAG);
	}
	if (!tag || !cas_loose_valid(tag + strlen(CAS_LOOSE_TAG)))
		return -EBADMSG;
	tag += strlen(CAS_LOOSE_TAG);
	if (strlen(tag) >= len)
		return -ENOSPC;
	strcpy(buf, tag);
	return 0;
}

/*
 * What nft can take. An nft string has no escape for '"', and a '\'
 * before a final '*' is eaten (nft 1.0.6 unescapes "\*"), so names with
 * either are refused rather than matched wrongly.
 */
static int cas_params_check(const struct cas_synproxy_params *p, char *err)
{
	size_t i;

	if (strchr(p->ifname, '"') || strchr(p->ifname, '\\')) {
		snprintf(
			err, CAS_ERRBUF,
			"interface %s: nftables cannot match a name with '\"' or '\\'",
			p->ifname);
		return -EINVAL;
	}
	if (!p->nports) {
		snprintf(err, CAS_ERRBUF, "%s: no TCP port for the SYN proxy",
			 p->ifname);
		return -EINVAL;
	}
	for (i = 0; i < p->nports; i++) {
		if (!p->ports[i]) {
			snprintf(err, CAS_ERRBUF,
				 "%s: port 0 cannot be SYN-proxied", p->ifname);
			return -EINVAL;
		}
	}
	if (!p->mss4 || !p->mss6 || p->wscale > CAS_WSCALE_MAX) {
		snprintf(
			err, CAS_ERRBUF,
			"%s: SYN proxy MSS %u/%u or window scale %u out of range (MSS >= 1, scale <= %d)",
			p->ifname, p->mss4, p->mss6, p->wscale, CAS_WSCALE_MAX);
		return -EINVAL;
	}
	return 0;
}

/* The ports as set elements, each once: "443, 8443". */
static void cas_add_ports(struct cas_text *t, const __u16 *ports, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && ports[j] != ports[i]; j++)
			;
		if (j == i)
			cas_text_printf(t, "%s%u", i ? ", " : "", ports[i]);
	}
}

/*
 * The name as an nft string. A final '*' would match every name it
 * begins (nft's wildcard); "\*" is the literal star.
 */
static void cas_iifname(const char *ifname, char *buf, size_t len)
{
	size_t n = strlen(ifname);
	bool star = n && ifname[n - 1] == '*';

	snprintf(buf, len, "\"%.*s%s\"", (int)(star ? n - 1 : n), ifname,
		 star ? "\\*" : "");
}

/*
 * The table, in one transaction: "add" then "delete" makes the delete
 * succeed whether or not the table exists, so the script replaces it
 * whole or, if any line fails, changes nothing.
 *
 * Input runs at filter - 10: after conntrack (-200), which has marked the
 * cookie ACK invalid (tcp_loose 0) and the SYN untracked, and before the
 * admin's own filter chains (0), whose usual "ct state invalid drop"
 * would otherwise drop the ACK before SYNPROXY sees it.
 */
static void cas_add_table(struct cas_text *t, const char *table,
			  const struct cas_synproxy_params *p,
			  const char *saved_loose, const char *iif)
{
	static const char *const synproxy =
		"ct state invalid,untracked synproxy";

	cas_text_printf(t, "add table inet %s\ndelete table inet %s\n", table,
			table);
	cas_text_printf(t, "table inet %s {\n", table);
	cas_text_printf(t, "\tcomment \"casshield SYN proxy for %s%s%s\"\n",
			p->ifname, CAS_LOOSE_TAG, saved_loose);
	cas_text_printf(
		t, "\tset ports {\n\t\ttype inet_service\n\t\telements = { ");
	cas_add_ports(t, p->ports, p->nports);
	cas_text_printf(t, " }\n\t}\n");
	cas_text_printf(
		t,
		"\tchain prerouting {\n\t\ttype filter hook prerouting priority raw; policy accept;\n");
	cas_text_printf(
		t,
		"\t\tiifname %s tcp dport @ports tcp flags & (fin|syn|rst|ack) == syn notrack\n",
		iif);
	cas_text_printf(
		t,
		"\t}\n\tchain input {\n\t\ttype filter hook input priority filter - 10; policy accept;\n");
	cas_text_printf(
		t,
		"\t\tiifname %s meta nfproto ipv4 tcp dport @ports %s mss %u wscale %u timestamp sack-perm\n",
		iif, synproxy, p->mss4, p->wscale);
	cas_text_printf(
		t,
		"\t\tiifname %s meta nfproto ipv6 tcp dport @ports %s mss %u wscale %u timestamp sack-perm\n",
		iif, synproxy, p->mss6, p->wscale);
	cas_text_printf(
		t, "\t\tiifname %s tcp dport @ports ct state invalid drop\n",
		iif);
	cas_text_printf(t, "\t}\n}\n");
}

int cas_synproxy_ruleset(const struct cas_synproxy_params *p,
			 const char *saved_loose, char *buf, size_t len)
{
	char table[CAS_SYNPROXY_TABLE_LEN], iif[2 * 16 + 4];
	char ignored[CAS_ERRBUF];
	struct cas_text t = {};
	int ret;

	if (len)
		buf[0] = '\0';
	if (cas_params_check(p, ignored) || !cas_loose_valid(saved_loose))
		return -EINVAL;
	cas_synproxy_table(p->ifname, table, sizeof(table));
	cas_iifname(p->ifname, iif, sizeof(iif));
	cas_add_table(&t, table, p, saved_loose, iif);
	ret = cas_text_copy(&t, buf, len);
	cas_text_free(&t);
	return ret;
}

/* ---- the nft program ---- */

static bool cas_have_nft(char *path, size_t len)
{
	return !cas_program_find("nft", path, len);
}

/*
 * nft with args (NULL-terminated, after the program's name), script on
 * its stdin. 0, or -errno with err (CAS_ERRBUF) "nft: <why>".
 */
static int cas_nft(const char *const args[], const char *script, char **out,
		   char *err)
{
	char path[256];
	const char *argv[8] = { "nft" };
	size_t i;
	int ret;

	for (i = 0; args[i] && i + 2 < CAS_ARRAY_SIZE(argv); i++)
		argv[i + 1] = args[i];
	if (!cas_have_nft(path, sizeof(path))) {
		snprintf(err, CAS_ERRBUF,
			 "the nft program (package nftables) is not installed");
		return -ENOENT;
	}
	ret = cas_program_run(path, (char *const *)argv, script, out, err,
			      CAS_ERRBUF);
	if (ret)
		cas_err_context(err, "nft");
	return ret;
}

/* ---- the tables that exist, and what they saved ---- */

/*
 * `nft list tables`: "table FAMILY NAME" a line (*text: malloc'd). With
 * no nft there is no table: remove and status, which every load and
 * apply without the SYN proxy reach, must not need nftables.
 */
static int cas_list_tables(char **text, char *err)
{
	static const char *const args[] = { "list", "tables", NULL };
	char path[256];
	int ret;

	if (!cas_have_nft(path, sizeof(path))) {
		*text = strdup("");
		return *text ? 0 : -ENOMEM;
	}
	ret = cas_nft(args, NULL, text, err);
	if (ret)
		cas_err_context(err, "cannot list the nftables tables");
	return ret;
}

/* The next casshield SYN-proxy table of a listing, advancing *cursor. */
static bool cas_next_table(const char **cursor, char *name, size_t len)
{
	static const char head[] = "table inet " CAS_SYNPROXY_TABLE_PREFIX;
	const char *line = *cursor, *end;

	for (; *line; line = *end ? end + 1 : end) {
		size_t n;

		end = strchrnul(line, '\n');
		n = end - line;
		if (n < strlen(head) || strncmp(line, head, strlen(head)))
			continue;
		line += strlen("table inet ");
		n = end - line;
		if (n >= len)
			continue;
		memcpy(name, line, n);
		name[n] = '\0';
		*cursor = *end ? end + 1 : end;
		return true;
	}
	*cursor = line;
	return false;
}

/* Is table among the casshield SYN-proxy tables; are there others? */
static int cas_tables_seen(const char *table, bool *self, bool *others,
			   char *err)
{
	char name[CAS_SYNPROXY_TABLE_LEN], *text;
	const char *cursor;
	int ret;

	*self = *others = false;
	ret = cas_list_tables(&text, err);
	if (ret)
		return ret;
	for (cursor = text; cas_next_table(&cursor, name, sizeof(name));) {
		if (!strcmp(name, table))
			*self = true;
		else
			*others = true;
	}
	free(text);
	return 0;
}

/* The value a table saved, from its comment line. 0 or -errno. */
static int cas_table_saved(const char *table, char *value, size_t len,
			   char *err)
{
	const char *const args[] = { "list", "table", "inet", table, NULL };
	char *text, *line, *end;
	int ret;

	ret = cas_nft(args, NULL, &text, err);
	if (ret)
		return ret;
	ret = -EBADMSG;
	/* The table's own comment: the first line, one tab in. */
	line = strstr(text, "{\n\tcomment \"");
	if (line) {
		line += strlen("{\n\tcomment \"");
		end = strchrnul(line, '"');
		*end = '\0';
		ret = cas_synproxy_saved_loose(line, value, len);
	}
	if (ret == -EBADMSG)
		snprintf(
			err, CAS_ERRBUF,
			"table inet %s: its comment holds no saved nf_conntrack_tcp_loose",
			table);
	free(text);
	return ret;
}

/* The value saved in any casshield SYN-proxy table; -ENOENT if none. */
static int cas_any_saved(char *value, size_t len, char *err)
{
	char name[CAS_SYNPROXY_TABLE_LEN], ignored[CAS_ERRBUF], *text;
	const char *cursor;
	int ret;

	ret = cas_list_tables(&text, err);
	if (ret)
		return ret;
	ret = -ENOENT;
	for (cursor = text; ret && cas_next_table(&cursor, name, sizeof(name));)
		ret = cas_table_saved(name, value, len, ignored) ? -ENOENT : 0;
	free(text);
	return ret;
}

/* ---- nf_conntrack_tcp_loose ---- */

/* The sysctl's value; -ENOENT while nf_conntrack is not loaded. */
static int cas_loose_read(char *value, size_t len)
{
	FILE *file = fopen(CAS_LOOSE_SYSCTL, "re");
	int ret = 0;

	if (!file)
		return -errno;
	if (!fgets(value, len, file))
		ret = ferror(file) ? -EIO : -ENODATA;
	fclose(file);
	if (!ret) {
		value[strcspn(value, " \t\r\n")] = '\0';
		ret = cas_loose_valid(value) ? 0 : -EBADMSG;
	}
	return ret;
}

static int cas_loose_write(const char *value, char *err)
{
	int fd = open(CAS_LOOSE_SYSCTL, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t len = strlen(value);

	if (fd < 0 || write(fd, value, len) != (ssize_t)len)
		ret = -errno;
	if (fd >= 0 && close(fd) && !ret)
		ret = -errno;
	if (ret)
		snprintf(err, CAS_ERRBUF, "cannot set %s to %s: %s",
			 CAS_LOOSE_SYSCTL, value, strerror(-ret));
	return ret;
}

/*
 * The value to save: one a table saved already (ours, or another
 * interface's: the first table saw the admin's, we may have set 0 since),
 * else the sysctl's, else the default nf_conntrack will load with.
 */
static int cas_loose_to_save(char *value, size_t len, char *err)
{
	int ret = cas_any_saved(value, len, err);

	if (ret != -ENOENT)
		return ret;
	ret = cas_loose_read(value, len);
	if (ret == -ENOENT) {
		snprintf(value, len, "%s", CAS_LOOSE_DEFAULT);
		return 0;
	}
	if (ret)
		snprintf(err, CAS_ERRBUF, "cannot read %s: %s",
			 CAS_LOOSE_SYSCTL, strerror(-ret));
	return ret;
}

/* ---- install, remove, status ---- */

/* Delete a table in one transaction that also succeeds if it is gone. */
static int cas_table_delete(const char *table, char *err)
{
	static const char *const args[] = { "-f", "-", NULL };
	char script[2 * CAS_SYNPROXY_TABLE_LEN + 64];

	snprintf(script, sizeof(script),
		 "add table inet %s\ndelete table inet %s\n", table, table);
	return cas_nft(args, script, NULL, err);
}

/* Write the table (after the checks of install), then tcp_loose. */
static int cas_install_table(const struct cas_synproxy_params *p,
			     const char *table, const char *saved, char *err)
{
	static const char *const args[] = { "-f", "-", NULL };
	size_t len = 2048 + 8 * p->nports; /* "65535, " a port */
	char ignored[CAS_ERRBUF];
	bool existed, others;
	char *script;
	int ret;

	script = malloc(len);
	if (!script)
		return -ENOMEM;
	ret = cas_tables_seen(table, &existed, &others, err);
	if (!ret && (ret = cas_synproxy_ruleset(p, saved, script, len)))
		snprintf(err, CAS_ERRBUF, "cannot write table inet %s: %s",
			 table, strerror(-ret));
	if (!ret && (ret = cas_nft(args, script, NULL, err)))
		cas_err_context(err, "cannot install table inet %s", table);
	free(script);
	if (ret)
		return ret;
	/* After the table: nf_conntrack, which it loads, has the sysctl. */
	ret = cas_loose_write("0", err);
	if (ret && !existed && !cas_table_delete(table, ignored))
		cas_err_context(err, "table inet %s removed again", table);
	else if (ret)
		cas_err_context(err, "table inet %s installed", table);
	return ret;
}

int cas_synproxy_install(const struct cas_synproxy_params *p, char *err)
{
	char table[CAS_SYNPROXY_TABLE_LEN], saved[CAS_SYNPROXY_LOOSE_LEN];
	int ret;

	ret = cas_params_check(p, err);
	if (ret)
		return ret;
	cas_synproxy_table(p->ifname, table, sizeof(table));
	ret = cas_loose_to_save(saved, sizeof(saved), err);
	return ret ? ret : cas_install_table(p, table, saved, err);
}

int cas_synproxy_remove(const char *ifname, char *err)
{
	char table[CAS_SYNPROXY_TABLE_LEN], saved[CAS_SYNPROXY_LOOSE_LEN];
	char ignored[CAS_ERRBUF];
	bool self, others;
	int ret, unsaved;

	cas_synproxy_table(ifname, table, sizeof(table));
	ret = cas_tables_seen(table, &self, &others, err);
	if (ret || !self)
		return ret;
	/* Any table's value will do if ours lost it: they share one. */
	unsaved = cas_table_saved(table, saved, sizeof(saved), ignored);
	if (unsaved && others)
		unsaved = cas_any_saved(saved, sizeof(saved), ignored);
	ret = cas_table_delete(table, err);
	if (ret) {
		cas_err_context(err, "cannot remove table inet %s", table);
		return ret;
	}
	/* Listed again: another casshield may have added one meanwhile. */
	ret = cas_tables_seen(table, &self, &others, err);
	if (ret || others)
		return ret;
	if (unsaved) {
		snprintf(
			err, CAS_ERRBUF,
			"removed table inet %s, but it held no saved nf_conntrack_tcp_loose to restore: left as it is",
			table);
		return -EBADMSG;
	}
	return cas_loose_write(saved, err);
}

int cas_synproxy_status(const char *ifname, struct cas_synproxy_status *st,
			char *err)
{
	char table[CAS_SYNPROXY_TABLE_LEN], value[CAS_SYNPROXY_LOOSE_LEN];
	bool others;

	memset(st, 0, sizeof(*st));
	st->loose_off =
		!cas_loose_read(value, sizeof(value)) && !strcmp(value, "0");
	cas_synproxy_table(ifname, table, sizeof(table));
	return cas_tables_seen(table, &st->table, &others, err);
}

/* ---- what the host can do ---- */

/* modprobe, if there is one; its failure is the probe's to tell. */
static void cas_modprobe(const char *module)
{
	const char *argv[] = { "modprobe", "-q", module, NULL };
	char path[256], ignored[CAS_ERRBUF];

	if (!cas_program_find("modprobe", path, sizeof(path)))
		cas_program_run(path, (char *const *)argv, NULL, NULL, ignored,
				sizeof(ignored));
}

/*
 * A loaded module has /sys/module/nft_synproxy; a built-in one has none
 * (it has no parameters) and no modprobe may exist. So the kernel is
 * asked: nft -c sends a table using synproxy and aborts the transaction,
 * and the kernel refuses an expression it does not know (after trying to
 * load its module).
 */
static int cas_probe_nft_synproxy(char *err)
{
	static const char *const args[] = { "-c", "-f", "-", NULL };
	static const char script[] =
		"table inet " CAS_PROBE_TABLE " {\n"
		"\tchain input {\n"
		"\t\ttype filter hook input priority filter; policy accept;\n"
		"\t\ttcp dport 1 ct state invalid,untracked synproxy mss 1460 wscale 7\n"
		"\t}\n}\n";
	int ret;

	cas_modprobe("nft_synproxy");
	if (!access("/sys/module/nft_synproxy", F_OK))
		return 0;
	ret = cas_nft(args, script, NULL, err);
	if (!ret)
		return 0;
	if (ret == -EPERM || ret == -EACCES) {
		cas_err_context(err, "cannot ask the kernel for nft_synproxy");
		return ret;
	}
	cas_err_context(
		err,
		"this kernel lacks nft_synproxy (netfilter SYNPROXY), which the SYN proxy needs");
	return -EOPNOTSUPP;
}

int cas_synproxy_supported(char *err)
{
	char path[256];
	int ret;

	ret = libbpf_probe_bpf_helper(
		BPF_PROG_TYPE_XDP, BPF_FUNC_tcp_raw_gen_syncookie_ipv4, NULL);
	if (ret < 0) {
		snprintf(
			err, CAS_ERRBUF,
			"cannot probe the kernel for bpf_tcp_raw_gen_syncookie_ipv4: %s",
			strerror(-ret));
		return ret;
	}
	if (!ret) {
		snprintf(
			err, CAS_ERRBUF,
			"this kernel (%s) lacks the raw SYN-cookie helpers for XDP (bpf_tcp_raw_gen_syncookie_ipv4, Linux 6.0, CONFIG_SYN_COOKIES), which the SYN proxy needs",
			cas_kernel_release());
		return -EOPNOTSUPP;
	}
	if (!cas_have_nft(path, sizeof(path))) {
		snprintf(
			err, CAS_ERRBUF,
			"the nft program (package nftables) is not installed, which the SYN proxy needs");
		return -EOPNOTSUPP;
	}
	return cas_probe_nft_synproxy(err);
}
