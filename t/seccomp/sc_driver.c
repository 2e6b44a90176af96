/* SPDX-License-Identifier: MIT */
/*
 * sc_driver.c - run one command under the seccomp backstop alone, without
 * the launcher: the policy allows 127.0.0.1 / ::1 (any port) plus the
 * addresses given with -a, denies everything else, and prints each
 * decision and refusal on stderr as one line:
 *   sc: decide connect 127.0.0.2:4000 tgid=123 stream -> deny
 *   sc: refused tid=123 io_uring_setup
 *   sc: dns 127.0.0.1:53 len=29 qname=example.com
 * Used by t/seccomp/run.sh and bench/seccomp/. Exit status: the command's.
 *
 * usage: sc_driver [-a IPv4] [-u PATH] [-A] [-q] [-s] [-n] -- command [args]
 *   -A allow everything (still emulated)   -q no decide lines
 *   -s print counters at exit             -n no filter at all (baseline)
 *   -u PATH  refuse AF_UNIX connects to PATH through ops.unix_path
 *            (without -u the built-in resolver-socket rule applies)
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/seccomp/seccomp.h"
#include "common/log.h"

struct drv {
	struct in_addr extra[8];
	int nextra;
	int allow_all;
	int quiet;
	const char *deny_unix;
	pthread_mutex_t out; /* one line at a time */
};

static const char *const op_names[] = {
	[BRK_SC_CONNECT] = "connect",
	[BRK_SC_SENDTO] = "sendto",
	[BRK_SC_FASTOPEN] = "fastopen",
};

/* DNS question name of a query, for the log line. */
static void qname(const uint8_t *p, size_t len, char *dst, size_t cap)
{
	size_t off = 12, o = 0;

	dst[0] = '\0';
	while (off < len && p[off] && o + 1 < cap) {
		size_t l = p[off++], i;

		if (l > 63 || off + l > len)
			break;
		for (i = 0; i < l && o + 2 < cap; i++)
			dst[o++] = (p[off + i] >= 0x21 && p[off + i] < 0x7f) ? (char)p[off + i] : '?';
		dst[o++] = '.';
		off += l;
	}
	if (o)
		o--;
	dst[o] = '\0';
}

static int drv_decide(void *ctx, const struct brk_sc_req *q, char *why, size_t wl)
{
	struct drv *d = ctx;
	char ip[INET6_ADDRSTRLEN] = "?", qn[256];
	int port = 0, allow = d->allow_all, i;

	if (q->family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&q->addr;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
		if (s->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			allow = 1;
		for (i = 0; i < d->nextra; i++)
			if (s->sin_addr.s_addr == d->extra[i].s_addr)
				allow = 1;
	} else if (q->family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&q->addr;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
		if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			allow = 1;
	}
	pthread_mutex_lock(&d->out);
	if (q->payload) {
		qname(q->payload, q->payload_len, qn, sizeof(qn));
		fprintf(stderr, "sc: dns %s:%d len=%zu qname=%s\n", ip, port, q->payload_len, qn);
	}
	if (!d->quiet)
		fprintf(stderr, "sc: decide %s %s:%d tgid=%d %s -> %s\n", op_names[q->op], ip, port,
			(int)q->tgid, q->socktype == SOCK_STREAM ? "stream" : "dgram",
			allow ? "allow" : "deny");
	pthread_mutex_unlock(&d->out);
	if (allow)
		return 0;
	snprintf(why, wl, "%s not allowed by sc_driver", ip);
	return EACCES;
}

static void drv_refused(void *ctx, pid_t tid, const char *what)
{
	struct drv *d = ctx;

	pthread_mutex_lock(&d->out);
	fprintf(stderr, "sc: refused tid=%d %s\n", (int)tid, what);
	pthread_mutex_unlock(&d->out);
}

static int drv_unix(void *ctx, pid_t tgid, pid_t tid, const char *path, const struct stat *st,
		    bool own, char *why, size_t wl)
{
	(void)st;
	(void)own;
	struct drv *d = ctx;
	int deny = !strcmp(path, d->deny_unix);

	pthread_mutex_lock(&d->out);
	fprintf(stderr, "sc: unix %s tgid=%d -> %s\n", path, (int)tgid, deny ? "deny" : "allow");
	pthread_mutex_unlock(&d->out);
	if (!deny)
		return 0;
	snprintf(why, wl, "unix:%s refused by sc_driver -u", path);
	return EACCES;
}

static const struct brk_sc_ops drv_ops = {
	.decide = drv_decide,
	.refused = drv_refused,
};

static const struct brk_sc_ops drv_ops_unix = {
	.decide = drv_decide,
	.refused = drv_refused,
	.unix_path = drv_unix,
};

int main(int argc, char **argv)
{
	struct drv d = { .out = PTHREAD_MUTEX_INITIALIZER };
	struct brk_sc_filter *f = NULL;
	struct brk_sc *sc = NULL;
	struct brk_sc_stats st;
	char why[256];
	int sv[2], opt, stats = 0, nofilter = 0, status = 0, rc;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+a:u:Aqsnv")) != -1) {
		switch (opt) {
		case 'a':
			if (d.nextra < 8 && inet_pton(AF_INET, optarg, &d.extra[d.nextra]) == 1)
				d.nextra++;
			break;
		case 'A': d.allow_all = 1; break;
		case 'u': d.deny_unix = optarg; break;
		case 'q': d.quiet = 1; break;
		case 's': stats = 1; break;
		case 'n': nofilter = 1; break;
		case 'v': dlp_log_set_level(DLP_LOG_DEBUG); break;
		default: goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	if (!nofilter) {
		if (brk_sc_available(why, sizeof(why)) < 0) {
			fprintf(stderr, "sc_driver: seccomp notify unavailable: %s\n", why);
			return 77;
		}
		rc = brk_sc_filter_prepare(&f);
		if (rc < 0) {
			fprintf(stderr, "sc_driver: filter: %s\n", strerror(-rc));
			return 1;
		}
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(sv[0]);
		if (!nofilter && brk_sc_child_install(f, sv[1]) < 0)
			_exit(126);
		close(sv[1]);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	close(sv[1]);
	if (!nofilter) {
		if (stats)
			fprintf(stderr, "sc: backstops landlock=%s cgroup=%s\n",
				brk_sc_filter_backstops(f) & BRK_SC_BACKSTOP_LANDLOCK ? "on" : "off",
				brk_sc_filter_backstops(f) & BRK_SC_BACKSTOP_CGROUP ? "on" : "off");
		rc = brk_sc_supervisor_start(pid, sv[0], d.deny_unix ? &drv_ops_unix : &drv_ops,
					     &d, &sc);
		if (rc < 0) {
			fprintf(stderr, "sc_driver: supervisor: %s\n", strerror(-rc));
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			brk_sc_filter_free(f);
			return 1;
		}
	}
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (stats && sc) {
		brk_sc_stats(sc, &st);
		fprintf(stderr,
			"sc: stats notifications=%lu emulated=%lu continued=%lu denied=%lu "
			"refused=%lu stale=%lu threads=%u\n",
			st.notifications, st.emulated, st.continued, st.denied, st.refused, st.stale,
			st.threads);
	}
	brk_sc_supervisor_stop(sc);
	brk_sc_filter_free(f); /* after the tree: removes the backstop cgroup */
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "sc: child killed by signal %d\n", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
usage:
	fprintf(stderr, "usage: sc_driver [-a IPv4] [-u PATH] [-A] [-q] [-s] [-n] -- command [args]\n");
	return 2;
}
