/* SPDX-License-Identifier: MIT */
/*
 * tree.c - the jailed process tree ends with its command: subreaper set
 * before the fork, leftovers killed after the command exits (tree.h).
 *
 * Why kill and not wait: a daemon the command started could keep dlpjail
 * (and the terminal) waiting for ever, and the relay and supervisor must
 * not stop while any jailed process can still write on a socket. So the
 * session ends when the command ends: the leftovers are SIGKILLed first,
 * then the launcher stops the relay and the supervisor. A process cannot
 * leave the tree: the seccomp filter refuses ptrace and setns, and an
 * orphan always reparents to the nearest subreaper, which is us or one
 * of the tree's own (then it is still below us).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/tree.h"
#include "common/log.h"

int brk_tree_adopt(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

/* Parent pid of /proc/PID/stat (field 4, after the last ')'), or -1. */
static pid_t tree_ppid(const char *pid)
{
	char path[64], buf[512], *p;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	p = strrchr(buf, ')');
	if (!p || strlen(p) < 5)
		return -1;
	return (pid_t)strtol(p + 4, NULL, 10); /* ") S PPID" */
}

/*
 * SIGKILL the children /proc/self/task/TID/children lists for each of our
 * threads (a child, an adopted orphan included, is on the list of the
 * thread it belongs to). A few small reads instead of one per process of
 * the machine (hundreds on a desktop: ~8 us of kernel time each). The
 * lists can miss a child that comes or goes while they are read;
 * brk_tree_kill_leftovers() looks again until waitpid() says there is
 * none. Returns how many, or -1 when the kernel has no such files.
 */
static int tree_kill_listed(void)
{
	char path[64], buf[16384], *p, *q;
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");
	size_t len;
	ssize_t r;
	int n = 0, fd, files = 0;
	long pid;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.16s/children", d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;   /* a thread that just ended */
		files++;
		len = 0;
		while (len < sizeof(buf) - 1 &&
		       (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)r;
		close(fd);
		buf[len] = '\0';
		/* "PID PID ... ": a list longer than buf is finished next round;
		 * never a pid cut short at its end (another process's) */
		if (len == sizeof(buf) - 1 && (p = strrchr(buf, ' ')))
			p[1] = '\0';
		else if (len == sizeof(buf) - 1)
			buf[0] = '\0';
		for (p = buf; (pid = strtol(p, &q, 10)), q != p; p = q)
			if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
				n++;
	}
	closedir(dir);
	return files ? n : -1;
}

/*
 * SIGKILL every child of ours. A child's pid cannot be reused while we
 * have not reaped it, so a stale read kills nobody else. Returns how many.
 */
static unsigned int tree_kill_children(void)
{
	pid_t me = getpid();
	unsigned int n = 0;
	struct dirent *d;
	int listed = tree_kill_listed();
	DIR *dir;

	if (listed >= 0)
		return (unsigned int)listed;
	dir = opendir("/proc");   /* no children files: every process's stat */
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]) || tree_ppid(d->d_name) != me)
			continue;
		if (kill((pid_t)strtol(d->d_name, NULL, 10), SIGKILL) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

unsigned int brk_tree_kill_leftovers(void)
{
	unsigned int total = 0, n;
	pid_t r;

	for (;;) {
		n = tree_kill_children();
		total += n;
		/* one exit at a time; the grandchildren of the dead come to us next */
		do
			r = waitpid(-1, NULL, n ? 0 : WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno == ECHILD)
			break;
		if (r == 0 && !n)
			usleep(1000); /* a child between fork and its first /proc entry */
	}
	if (total)
		dlp_log(DLP_LOG_INFO, "killed %u process%s the command left behind", total,
			total == 1 ? "" : "es");
	return total;
}
