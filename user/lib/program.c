// SPDX-License-Identifier: GPL-2.0
/* program.c - running another program (program.h). */
#define _GNU_SOURCE /* memfd_create, strchrnul */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "program.h"

int cas_program_find(const char *name, char *path, size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin" };
	const char *env = getenv("PATH"), *dir, *end;
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(dirs); i++) {
		snprintf(path, len, "%s/%s", dirs[i], name);
		if (!access(path, X_OK))
			return 0;
	}
	for (dir = env; dir && *dir; dir = *end ? end + 1 : end) {
		end = strchrnul(dir, ':');
		/* An empty entry is the current directory: never for root. */
		if (end == dir || *dir != '/')
			continue;
		snprintf(path, len, "%.*s/%s", (int)(end - dir), dir, name);
		if (!access(path, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* A memory file holding text (may be NULL: empty), read from its start. */
static int cas_memfd(const char *name, const char *text)
{
	size_t len = text ? strlen(text) : 0, done = 0;
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int ret = n < 0 ? -errno : -EIO;

			close(fd);
			return ret;
		}
		done += n;
	}
	return lseek(fd, 0, SEEK_SET) ? -errno : fd;
}

/* All a memory file holds, as a string (*text: malloc'd). 0 or -errno. */
static int cas_memfd_text(int fd, char **text)
{
	struct stat st;
	ssize_t n;

	*text = NULL;
	if (fstat(fd, &st))
		return -EIO;
	*text = malloc(st.st_size + 1);
	if (!*text)
		return -ENOMEM;
	n = pread(fd, *text, st.st_size, 0);
	if (n < 0) {
		free(*text);
		*text = NULL;
		return -EIO; /* a memory file: nothing more to say */
	}
	(*text)[n] = '\0';
	return 0;
}

/*
 * Run path with argv, fds[0..2] as its stdin, stdout, stderr; its exit
 * status (128 + the signal that killed it, as a shell says), or -errno if
 * it could not be started.
 */
static int cas_spawn(const char *path, char *const argv[], const int fds[3])
{
	int status, i;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* fds rise, so none is overwritten before it is copied; one
		 * already in place (stdio was closed) must lose CLOEXEC. */
		for (i = 0; i < 3; i++)
			if ((fds[i] == i ? fcntl(i, F_SETFD, 0) :
					   dup2(fds[i], i)) < 0)
				_exit(127);
		execv(path, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The line that says why: the first with "Error:" (nft adds the line it
 * refused and a caret line after it), else the first that is not empty.
 */
static void cas_why_line(const char *text, char *line, size_t len)
{
	const char *start = strstr(text, "Error:"), *end;

	if (start)
		while (start > text && start[-1] != '\n')
			start--;
	else
		start = text + strspn(text, "\n");
	end = strchrnul(start, '\n');
	snprintf(line, len, "%.*s", (int)(end - start), start);
}

/* The errno whose text the line holds, for callers that tell them apart. */
static int cas_why_errno(const char *line)
{
	/* Not EINVAL: the kernel's, it would read as the user's (common.h). */
	static const int known[] = { EPERM,  EACCES, ENOENT, EOPNOTSUPP,
				     EEXIST, EBUSY,  ENOMEM };
	size_t i;

	for (i = 0; i < CAS_ARRAY_SIZE(known); i++)
		if (strstr(line, strerror(known[i])))
			return -known[i];
	return -EIO;
}

/* program.h says what it does. */
int cas_program_run(const char *path, char *const argv[], const char *input,
		    char **out, char *why, size_t why_len)
{
	int fds[3] = { -1, -1, -1 }, ret, i;
	char *errors = NULL;

	why[0] = '\0';
	fds[0] = ret = cas_memfd("casshield-in", input);
	if (ret >= 0)
		fds[1] = ret = cas_memfd("casshield-out", NULL);
	if (ret >= 0)
		fds[2] = ret = cas_memfd("casshield-err", NULL);
	if (ret >= 0)
		ret = cas_spawn(path, argv, fds);
	if (ret < 0) {
		snprintf(why, why_len, "cannot run %s: %s", path,
			 strerror(-ret));
	} else if (ret > 0) {
		if (!cas_memfd_text(fds[2], &errors))
			cas_why_line(errors, why, why_len);
		if (!why[0])
			snprintf(why, why_len, "%s failed (exit status %d)",
				 path, ret);
		ret = cas_why_errno(why);
		free(errors);
	} else if (out) {
		ret = cas_memfd_text(fds[1], out);
	}
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}
