/* SPDX-License-Identifier: MIT */
/*
 * sc_bench.c - cost of the seccomp backstop, measured in the same run:
 * one child without any filter, one under the filter with an allow-all
 * supervisor. Each child times
 *   udp-connect  connect() of a UDP socket to 127.0.0.1 (trapped, emulated;
 *                isolates the notification round trip)
 *   tcp-connect  socket + connect to a local listener + close (trapped)
 *   write        64-byte write() to /dev/null (not trapped)
 *   send         64-byte send() on a connected UDP socket (not trapped:
 *                sendto without a destination never leaves the kernel)
 * as the median of REPEATS batches; bare and filtered children alternate
 * for 5 rounds and the parent prints the median of the round medians and
 * their ratio. Network traffic stays on 127.0.0.1.
 *
 * usage: sc_bench [REPEATS [BATCH]]   (default 9 x 2000)
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
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "broker/seccomp/seccomp.h"

enum { B_UDPCONN, B_TCPCONN, B_WRITE, B_SEND, B_N };
static const char *const b_name[B_N] = { "udp-connect", "tcp-connect", "write", "send" };

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int lfd;
static void *acceptor(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
	return NULL;
}

/* In the child: medians in ns per op, written to out. */
static void measure(int repeats, int batch, double med[B_N])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
	double *v = calloc((size_t)repeats, sizeof(double));
	char buf[64] = { 0 };
	socklen_t al = sizeof(a);
	pthread_t th;
	int b, r, i, fd, nul, ufd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	nul = open("/dev/null", O_WRONLY);
	ufd = socket(AF_INET, SOCK_DGRAM, 0);
	connect(ufd, (struct sockaddr *)&a, sizeof(a));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_port = 0;
	bind(lfd, (struct sockaddr *)&a, sizeof(a));
	listen(lfd, 4096);
	getsockname(lfd, (struct sockaddr *)&a, &al);
	pthread_create(&th, NULL, acceptor, NULL);
	for (b = 0; b < B_N; b++) {
		for (r = 0; r < repeats; r++) {
			int n = b == B_TCPCONN ? batch / 4 : batch;
			double t0 = now_ns();

			for (i = 0; i < n; i++) {
				switch (b) {
				case B_UDPCONN:
					connect(ufd, (struct sockaddr *)&a, sizeof(a));
					break;
				case B_TCPCONN:
					fd = socket(AF_INET, SOCK_STREAM, 0);
					connect(fd, (struct sockaddr *)&a, sizeof(a));
					close(fd);
					break;
				case B_WRITE:
					(void)!write(nul, buf, sizeof(buf));
					break;
				case B_SEND:
					(void)!send(ufd, buf, sizeof(buf), MSG_DONTWAIT);
					break;
				}
			}
			v[r] = (now_ns() - t0) / n;
		}
		qsort(v, (size_t)repeats, sizeof(double), cmp_d);
		med[b] = v[repeats / 2];
	}
	free(v);
}

static int allow_all(void *ctx, const struct brk_sc_req *q, char *why, size_t wl)
{
	(void)ctx; (void)q; (void)why; (void)wl;
	return 0;
}

static const struct brk_sc_ops bench_ops = { .decide = allow_all };

static int run_child(int filtered, int repeats, int batch, double med[B_N])
{
	struct brk_sc_filter *f = NULL;
	struct brk_sc *sc = NULL;
	int sv[2], res[2], st;
	pid_t pid;

	if (filtered && brk_sc_filter_prepare(&f) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe(res) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		close(res[0]);
		if (filtered && brk_sc_child_install(f, sv[1]) < 0)
			_exit(1);
		measure(repeats, batch, med);
		(void)!write(res[1], med, sizeof(double) * B_N);
		_exit(0);
	}
	close(sv[1]);
	close(res[1]);
	if (filtered && brk_sc_supervisor_start(pid, sv[0], &bench_ops, NULL, &sc) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		brk_sc_filter_free(f);
		return -1;
	}
	if (read(res[0], med, sizeof(double) * B_N) != (ssize_t)(sizeof(double) * B_N))
		st = -1;
	else
		st = 0;
	kill(pid, SIGKILL); /* the acceptor thread never returns */
	waitpid(pid, NULL, 0);
	brk_sc_supervisor_stop(sc);
	brk_sc_filter_free(f);
	close(sv[0]);
	close(res[0]);
	return st;
}

#define ROUNDS 5

/* Median over rounds of each op's per-round median. */
static void median_rounds(double r[ROUNDS][B_N], double out[B_N])
{
	double v[ROUNDS];
	int b, i;

	for (b = 0; b < B_N; b++) {
		for (i = 0; i < ROUNDS; i++)
			v[i] = r[i][b];
		qsort(v, ROUNDS, sizeof(double), cmp_d);
		out[b] = v[ROUNDS / 2];
	}
}

int main(int argc, char **argv)
{
	int repeats = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 9;
	int batch = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 2000, b, i;
	double bare_r[ROUNDS][B_N], filt_r[ROUNDS][B_N], bare[B_N], filt[B_N];
	char why[128];

	if (repeats < 1 || batch < 4)
		return 2;
	if (brk_sc_available(why, sizeof(why)) < 0) {
		fprintf(stderr, "sc_bench: seccomp notify unavailable: %s\n", why);
		return 77;
	}
	/* Alternate bare and filtered children so load drift hits both alike. */
	for (i = 0; i < ROUNDS; i++) {
		if (run_child(0, repeats, batch, bare_r[i]) < 0 ||
		    run_child(1, repeats, batch, filt_r[i]) < 0) {
			fprintf(stderr, "sc_bench: run failed\n");
			return 1;
		}
	}
	median_rounds(bare_r, bare);
	median_rounds(filt_r, filt);
	printf("seccomp backstop: %d alternating rounds, each the median of %d batches of %d "
	       "(tcp-connect: %d)\n", ROUNDS, repeats, batch, batch / 4);
	printf("%-12s %12s %12s %8s\n", "op", "bare ns", "filter ns", "ratio");
	for (b = 0; b < B_N; b++)
		printf("%-12s %12.0f %12.0f %8.2f%s\n", b_name[b], bare[b], filt[b], filt[b] / bare[b],
		       b == B_UDPCONN || b == B_TCPCONN ? "  (trapped)" : "  (untrapped)");
	return 0;
}
