/* SPDX-License-Identifier: MIT */
/* rl_addfd_cost.c - kernel cost of the two ways to put a relay connection behind
 * a program's socket, in one thread (softirqs of loopback run inline):
 *  A  hold port: park (fcntl, connect SYN_SENT, fcntl), getsockname, join
 *     socket (REUSEPORT, bind, connect = simultaneous open, TCP_INFO)
 *  B  ADDFD: a pair connected ahead of time (socket, connect, accept: counted),
 *     then at the connect: /proc fdinfo read (FD_CLOEXEC), 6 getsockopts and
 *     getsockname (options to copy, bound?), dup2 over the fd (= ADDFD SETFD)
 * each followed by the same teardown (close both ends; both peers closed).
 * usage: rl_addfd_cost [N]   (bench/relay/README.md, branch connect-speed4;
 * run pinned, in a network namespace of its own) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static struct sockaddr_in lo(int port) { struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) }; a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); return a; }
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000, i, one = 1, v;
	socklen_t l;
	struct sockaddr_in h = lo(0), r = lo(0), ja;
	int hold = socket(AF_INET, SOCK_STREAM, 0), fill = socket(AF_INET, SOCK_STREAM, 0);
	int rl = socket(AF_INET, SOCK_STREAM, 0);
	double tp[4] = {0}, t0, ta = 0, tb = 0, tpre = 0;
	char path[64], buf[256];
	setsockopt(hold, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	bind(hold, (void *)&h, sizeof(h)); listen(hold, 0); l = sizeof(h); getsockname(hold, (void *)&h, &l);
	connect(fill, (void *)&h, sizeof(h));
	bind(rl, (void *)&r, sizeof(r)); listen(rl, 64); l = sizeof(r); getsockname(rl, (void *)&r, &l);
	for (i = 0; i < n; i++) {
		/* A */
		int t = socket(AF_INET, SOCK_STREAM, 0), a, fl;
		struct tcp_info ti;
		t0 = cpu();
		fl = fcntl(t, F_GETFL); fcntl(t, F_SETFL, fl | O_NONBLOCK);
		connect(t, (void *)&h, sizeof(h)); fcntl(t, F_SETFL, fl);
		tp[0] += cpu() - t0; t0 = cpu();
		l = sizeof(ja); getsockname(t, (void *)&ja, &l);
		a = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		bind(a, (void *)&h, sizeof(h));
		tp[1] += cpu() - t0; t0 = cpu();
		connect(a, (void *)&ja, sizeof(ja));
		l = sizeof(ti); getsockopt(a, IPPROTO_TCP, TCP_INFO, &ti, &l);
		if (ti.tcpi_state != TCP_ESTABLISHED) { fprintf(stderr, "A: no simultaneous open\n"); return 1; }
		tp[2] += cpu() - t0; t0 = cpu();
		close(t); close(a);
		tp[3] += cpu() - t0;
		ta = tp[0] + tp[1] + tp[2] + tp[3];
		/* B */
		t = socket(AF_INET, SOCK_STREAM, 0);
		t0 = cpu();
		int c = socket(AF_INET, SOCK_STREAM, 0), ac;
		connect(c, (void *)&r, sizeof(r)); ac = accept4(rl, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		tpre += cpu() - t0;
		t0 = cpu();
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", t);
		int f = open(path, O_RDONLY | O_CLOEXEC); (void)!read(f, buf, sizeof(buf)); close(f);
		l = sizeof(v); getsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, &l);
		l = sizeof(v); getsockopt(t, IPPROTO_TCP, TCP_NODELAY, &v, &l);
		l = sizeof(v); getsockopt(t, SOL_SOCKET, SO_RCVBUF, &v, &l);
		l = sizeof(v); getsockopt(t, SOL_SOCKET, SO_SNDBUF, &v, &l);
		l = sizeof(v); getsockopt(t, IPPROTO_IP, IP_TOS, &v, &l);
		l = sizeof(v); getsockopt(t, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l);
		l = sizeof(ja); getsockname(t, (void *)&ja, &l);
		dup2(c, t); close(c);
		close(t); close(ac);
		tb += cpu() - t0;
	}
	printf("A: park %.2f, join socket+bind %.2f, simultaneous open %.2f, teardown %.2f us\n", tp[0]/n, tp[1]/n, tp[2]/n, tp[3]/n);
	printf("A hold port (park+join+teardown) %.2f us\nB ADDFD at connect (+teardown) %.2f us, ahead of time %.2f us, total %.2f us\n",
	       ta / n, tb / n, tpre / n, (tb + tpre) / n);
	return 0;
}
