/* SPDX-License-Identifier: MIT */
/*
 * rl_bench.c - what the egress relay costs the process it carries: connect
 * + close to a loopback server (its own thread), the time a 1 KiB send()
 * takes in the sender, a 1 KiB request / 1-byte reply round trip, and the
 * throughput of a large clean stream of JSON-like text (MiB/s until the
 * server has read it all). Run bare and under `dlpjail [--relay]`:
 * bench/relay/run.sh prints the ratios. Linked static so the shim does not
 * load: the numbers are the road (seccomp + relay), not the shim.
 * usage: rl_bench [MIB] [packuments]   (stream size, default 1024;
 *        RL_CONNECTS=N connects, RL_PORT=P connect and send to the server
 *        `rl_bench serve` printed, RL_CONNECT_ONLY=1 stop after the connects,
 *        RL_PAUSE_US=U (default 200) the pause of the paused connects, 0: none)
 * Connects are timed back to back (connect_med_us: whatever the previous
 * connection's teardown costs lands in the next connect's window), with a
 * busy pause of RL_PAUSE_US between close and the next connect
 * (pause_connect_med_us: a client doing work between connections), and the
 * close() alone (close_med_us).
 * "packuments": the stream is gen_json.h's npm-packument-like JSON (hex
 * shasums, base64 integrity hashes, URLs: what the decode graph works on),
 * from its cache file, written on the first run; default: one 64 KiB block
 * of short JSON lines, repeated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/relay/gen_json.h"

static int lfd;
static struct sockaddr_in addr, own;
static volatile long long srv_bytes;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Server: per connection, read everything; after each 1 KiB request of a
 * ping connection (first byte 'P') answer one byte. */
static void *serve_one(void *arg)
{
	static char buf[1 << 20];
	int c = (int)(long)arg;
	long long got = 0;
	ssize_t n;
	int ping = -1;

	while ((n = read(c, buf, sizeof(buf))) > 0) {
		if (ping < 0)
			ping = buf[0] == 'P';
		got += n;
		if (ping)
			while (got >= 1024) {
				got -= 1024;
				if (write(c, "k", 1) != 1)
					break;
			}
		else
			__atomic_add_fetch(&srv_bytes, n, __ATOMIC_RELAXED);
	}
	close(c);
	return NULL;
}

static void *server(void *arg)
{
	pthread_t t;
	int c;

	(void)arg;
	while ((c = accept(lfd, NULL, NULL)) >= 0) {
		pthread_create(&t, NULL, serve_one, (void *)(long)c);
		pthread_detach(t);
	}
	return NULL;
}

/* `rl_bench serve`: one thread, epoll, no thread per connection, so the
 * server's own cost stays small next to the connect being measured. */
static void serve_epoll(void)
{
	static char buf[1 << 16];
	static long long got[65536]; /* bytes per fd not yet answered */
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int ep = epoll_create1(0), n, i;

	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

				if (c >= 0 && c < 65536) {
					got[c] = 0;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				close(fd);
				continue;
			}
			/* a ping connection: one byte per 1 KiB request */
			for (got[fd] += r; got[fd] >= 1024; got[fd] -= 1024)
				if (write(fd, "k", 1) != 1)
					break;
		}
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int main(int argc, char **argv)
{
	long long mib = argc > 1 ? atoll(argv[1]) : 1024, total, sent = 0;
	socklen_t l = sizeof(addr);
	char req[1024], rep[1], *chunk;
	double t0, t_send = 0, dt, *lat, *clat, pause_us;
	pthread_t th;
	int i, fd, n = 300;
	size_t cl = 64 * 1024, k;

	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 512) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &l) < 0)
		return 1;
	if (argc > 1 && !strcmp(argv[1], "serve")) {
		/* the server alone, outside the jail: connect and send costs
		 * without the jail's own emulated accept() (run.sh) */
		printf("%d\n", ntohs(addr.sin_port));
		fflush(stdout);
		serve_epoll();
		return 0;
	}
	pthread_create(&th, NULL, server, NULL);
	own = addr;
	if (getenv("RL_PORT"))
		addr.sin_port = htons((unsigned short)atoi(getenv("RL_PORT")));

	/* connect + close: the mean, and the median of the connect() alone */
	if (getenv("RL_CONNECTS"))
		n = atoi(getenv("RL_CONNECTS"));
	if (n < 1 || n > 100000)
		n = 300;
	lat = calloc((size_t)n, sizeof(*lat));
	clat = calloc((size_t)n, sizeof(*clat));
	t0 = now();
	for (i = 0; i < n; i++) {
		double s = now(), c;

		fd = dial();
		c = now();
		lat[i] = c - s;
		close(fd);
		clat[i] = now() - c;
	}
	dt = now() - t0;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_d);
	qsort(clat, (size_t)n, sizeof(*clat), cmp_d);
	printf("connect_us %.1f\nconnect_med_us %.1f\nclose_med_us %.1f\n", dt / n * 1e6,
	       lat[n / 2] * 1e6, clat[n / 2] * 1e6);
	/* the same with a busy pause between close and the next connect */
	pause_us = getenv("RL_PAUSE_US") ? atof(getenv("RL_PAUSE_US")) : 200;
	for (i = 0; i < n && pause_us > 0; i++) {
		double s = now(), c;

		while (now() - s < pause_us * 1e-6)
			; /* a client at work: the CPU stays busy */
		s = now();
		fd = dial();
		c = now();
		lat[i] = c - s;
		close(fd);
		clat[i] = now() - c;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_d);
	qsort(clat, (size_t)n, sizeof(*clat), cmp_d);
	if (pause_us > 0)
		printf("pause_connect_med_us %.1f\npause_close_med_us %.1f\n", lat[n / 2] * 1e6,
		       clat[n / 2] * 1e6);
	free(lat);
	free(clat);

	/* non-blocking connect (node, Go, curl, asyncio): the call, and until POLLOUT */
	{
		double *call = calloc((size_t)n, sizeof(*call)), *ready = calloc((size_t)n, sizeof(*ready));

		for (i = 0; i < n; i++) {
			struct pollfd pf;
			double s = now();

			fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS) {
				perror("connect");
				return 1;
			}
			call[i] = now() - s;
			pf.fd = fd;
			pf.events = POLLOUT;
			if (poll(&pf, 1, 5000) != 1)
				return 1;
			ready[i] = now() - s;
			close(fd);
		}
		qsort(call, (size_t)n, sizeof(*call), cmp_d);
		qsort(ready, (size_t)n, sizeof(*ready), cmp_d);
		printf("nbcall_med_us %.1f\nnbready_med_us %.1f\n", call[n / 2] * 1e6,
		       ready[n / 2] * 1e6);
		free(call);
		free(ready);
	}
	if (getenv("RL_CONNECT_ONLY"))
		return 0; /* bench/relay/ab.sh: the connects alone */

	/* 1 KiB send() in the sender, and the round trip */
	memset(req, 'P', sizeof(req));
	fd = dial();
	t0 = now();
	lat = calloc(2000, sizeof(*lat));
	for (i = 0; i < 2000; i++) {
		double s = now();

		if (write(fd, req, sizeof(req)) != sizeof(req))
			return 1;
		lat[i] = now() - s;
		t_send += lat[i];
		if (read(fd, rep, 1) != 1)
			return 1;
	}
	dt = now() - t0;
	qsort(lat, 2000, sizeof(*lat), cmp_d);
	printf("send1k_us %.2f\nsend1k_med_us %.2f\nrtt1k_us %.1f\n", t_send / 2000 * 1e6,
	       lat[1000] * 1e6, dt / 2000 * 1e6);
	free(lat);
	close(fd);

	/* throughput: JSON-like text */
	if (argc > 2 && !strcmp(argv[2], "packuments")) {
		size_t dl;
		uint8_t *d = rl_gen_cached(mib, &dl);

		if (!d)
			return 1;
		total = (long long)dl;
		addr = own; /* the stream is counted by the own server */
		fd = dial();
		t0 = now();
		while (sent < total) {
			ssize_t w = write(fd, d + sent, total - sent < (long long)cl ? (size_t)(total - sent) : cl);

			if (w <= 0) {
				perror("write");
				return 1;
			}
			sent += w;
		}
		while (__atomic_load_n(&srv_bytes, __ATOMIC_RELAXED) < total)
			usleep(200);
		dt = now() - t0;
		printf("stream_mib_s %.0f\n", mib / dt);
		close(fd);
		return 0;
	}
	chunk = malloc(cl);
	for (k = 0; k < cl; ) {
		int w = snprintf(chunk + k, cl - k, "{\"id\": %zu, \"name\": \"package-%zu\", "
				 "\"tags\": [\"a\", \"b\"], \"ok\": true},\n", k, k * 7);
		if (w <= 0 || (size_t)w >= cl - k)
			break;
		k += (size_t)w;
	}
	memset(chunk + k, ' ', cl - k);
	total = mib << 20;
	addr = own; /* the stream is counted by the own server */
	fd = dial();
	t0 = now();
	while (sent < total) {
		ssize_t w = write(fd, chunk, cl);

		if (w <= 0) {
			perror("write");
			return 1;
		}
		sent += w;
	}
	while (__atomic_load_n(&srv_bytes, __ATOMIC_RELAXED) < total)
		usleep(200);
	dt = now() - t0;
	printf("stream_mib_s %.0f\n", mib / dt);
	close(fd);
	return 0;
}
