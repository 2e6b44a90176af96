/* SPDX-License-Identifier: MIT */
/*
 * bench_hooks.c - per-call cost of the calls libdlpshim hooks, for
 * bench/run-hooks, which runs this binary bare and under dlpjail and
 * compares the two. One TCP listener on 127.0.0.1 (ephemeral port). Ops:
 *   connect  socket(); connect() to the listener; then, untimed, accept()
 *            and close() both ends in this same thread. Only connect() is
 *            timed: that is where the shim asks the broker; no other
 *            thread runs meanwhile. The client end closes with SO_LINGER 0
 *            (RST) so thousands of runs leave no TIME_WAIT.
 *   send     send() of SIZE bytes (default 1 KiB, printable filler, no
 *            secret or canary) on one connected TCP socket, one op each. A
 *            sink thread reads and discards, so sends never block; it wakes
 *            once per 32 KiB (SO_RCVLOWAT) to stay out of the sender's way.
 *   write    write() of 64 bytes to /dev/null: the shim's non-socket hot
 *            path. Timed in batches of WRITE_BATCH calls (one call is near
 *            the clock's resolution), reported per call.
 *   rtt      the floor of any synchronous broker: a forked child echoes a
 *            9-byte reply to each frame of 21 + SIZE bytes over an AF_UNIX
 *            socketpair (writev, then read 4 + read 9 bytes, as chan.c
 *            does), with no signal masking, lock, scan or msgpack.
 * Each op runs a few untimed warm-up calls first (the first hooked call
 * opens the broker channel). Timestamps are clock_gettime(CLOCK_MONOTONIC).
 * Output, one line per op (all times in ns):
 *   op=connect n=N median=.. p90=.. min=.. mean=.. hooked=0|1 seccomp=0|1|2
 * hooked says whether libdlpshim is mapped in this process; seccomp is the
 * Seccomp field of /proc/self/status.
 *
 * usage: bench_hooks [-c N] [-s N] [-w N] [-b SIZE] [-W] [connect|send|write|rtt...]
 *   -c/-s/-w  iterations for connect (1000), send and rtt (5000), write
 *             (2000 batches); no op named: all four
 *   -W        write only, untimed: the warm-up, then N x 64 calls of
 *             bench_write_loop (for callgrind --toggle-collect=bench_write_loop)
 * Exit: 0, 1 on a failed op, 2 on bad usage.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 20
#define WRITE_BATCH 64
#define WRITE_SIZE 64
#define SIZE_MAX_BENCH (1024 * 1024)
#define RTT_HEAD 21      /* frame header + msgpack map before the data, as sent */
#define RTT_REPLY 9      /* verdict body after the 4-byte length */

/* Globals: set once in main before the sink thread starts; read-only after. */
static int listen_fd = -1;

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

static int seccomp_mode(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int mode = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8)) {
			mode = (int)strtol(line + 8, NULL, 10);
			break;
		}
	fclose(f);
	return mode;
}

static bool shim_mapped(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "libdlpshim") != NULL;
	fclose(f);
	return found;
}

static void report(const char *op, double *v, size_t n)
{
	double sum = 0;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_d);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("op=%s n=%zu median=%.1f p90=%.1f min=%.1f mean=%.1f hooked=%d seccomp=%d\n",
	       op, n, n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[n * 9 / 10], v[0],
	       sum / (double)n, shim_mapped(), seccomp_mode());
	fflush(stdout);
}

/* Sink for the send op: accept one connection, read and discard until EOF. */
static void *sink(void *arg)
{
	static char buf[65536];
	int lowat = 32 * 1024;
	int c;

	(void)arg;
	do
		c = accept(listen_fd, NULL, NULL);
	while (c < 0 && (errno == EINTR || errno == ECONNABORTED));
	if (c < 0)
		return NULL;
	/* wake once per 32 KiB, not per send: keep the sink off the sender's CPU */
	setsockopt(c, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
	while (recv(c, buf, sizeof(buf), 0) > 0)
		;
	close(c);
	return NULL;
}

static int listen_start(struct sockaddr_in *addr)
{
	socklen_t l = sizeof(*addr);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	if (bind(listen_fd, (struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    listen(listen_fd, 128) < 0 ||
	    getsockname(listen_fd, (struct sockaddr *)addr, &l) < 0)
		return -errno;
	return 0;
}

/* One connect to the listener; *ns gets the time spent in connect() alone. */
static int one_connect(const struct sockaddr_in *addr, double *ns)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	double t0, t1;
	int fd, afd, rc = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	t0 = now_ns();
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0)
		rc = -errno;
	t1 = now_ns();
	/* loopback: the handshake is done, so this accept does not block */
	afd = rc == 0 ? accept(listen_fd, NULL, NULL) : -1;
	if (rc == 0 && afd < 0)
		rc = -errno;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	if (afd >= 0)
		close(afd);
	if (ns)
		*ns = t1 - t0;
	return rc;
}

static int bench_connect(const struct sockaddr_in *addr, size_t n)
{
	double *v = calloc(n, sizeof(*v));
	size_t i;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < WARMUP && rc == 0; i++)
		rc = one_connect(addr, NULL);
	for (i = 0; i < n && rc == 0; i++)
		rc = one_connect(addr, &v[i]);
	if (rc == 0)
		report("connect", v, n);
	else
		fprintf(stderr, "bench_hooks: connect: %s\n", strerror(-rc));
	free(v);
	return rc;
}

static int send_full(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int bench_send(const struct sockaddr_in *addr, size_t n, size_t size)
{
	double *v = calloc(n, sizeof(*v));
	char *buf = malloc(size);
	double t0;
	size_t i;
	pthread_t t;
	bool sinking = false, connected = false;
	int fd = -1, rc = 0;

	if (!v || !buf) {
		rc = -ENOMEM;
		goto out;
	}
	rc = -pthread_create(&t, NULL, sink, NULL);
	if (rc < 0)
		goto out;
	sinking = true;
	/*
	 * Filler nothing a detector should flag. Default: JSON-ish text, what
	 * an HTTP body mostly is. BENCH_FILLER=b64 gives letters wrapped every
	 * 64 columns, which the decode graph reads as base64 and decodes: the
	 * engine's costly case (npm publish bodies carry base64 tarballs).
	 */
	if (getenv("BENCH_FILLER") && !strcmp(getenv("BENCH_FILLER"), "b64")) {
		for (i = 0; i < size; i++)
			buf[i] = (char)(i % 64 == 63 ? '\n' : 'a' + (char)(i % 26));
	} else {
		static const char text[] =
			"{\"name\": \"left-pad\", \"version\": \"1.3.0\", \"tags\": [\"a\", \"b\"], "
			"\"description\": \"String left pad, the quick brown fox.\"}\n";
		for (i = 0; i < size; i++)
			buf[i] = text[i % (sizeof(text) - 1)];
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		rc = -errno;
		goto out;
	}
	connected = true;
	for (i = 0; i < WARMUP && rc == 0; i++)
		rc = send_full(fd, buf, size);
	for (i = 0; i < n && rc == 0; i++) {
		t0 = now_ns();
		rc = send_full(fd, buf, size);
		v[i] = now_ns() - t0;
	}
	if (rc == 0)
		report("send", v, n);
out:
	if (rc < 0)
		fprintf(stderr, "bench_hooks: send: %s\n", strerror(-rc));
	if (fd >= 0)
		close(fd);
	if (sinking && connected)
		pthread_join(t, NULL);     /* our close is its EOF */
	else if (sinking)
		pthread_detach(t);         /* left in accept(); the process exits next */
	free(buf);
	free(v);
	return rc;
}

static int read_full(int fd, void *p, size_t n)
{
	char *b = p;

	while (n) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* rtt peer: frame in, fixed reply out, until EOF. */
static void rtt_echo(int fd, size_t size)
{
	static char in[RTT_HEAD + SIZE_MAX_BENCH];
	char out[4 + RTT_REPLY] = { 0, 0, 0, RTT_REPLY };

	while (read_full(fd, in, RTT_HEAD + size) == 0)
		if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out))
			break;
}

static int bench_rtt(size_t n, size_t size)
{
	double *v = calloc(n, sizeof(*v));
	char *buf = malloc(size);
	char head[RTT_HEAD] = { 0 }, in[RTT_REPLY];
	struct iovec iov[2];
	double t0;
	size_t i;
	pid_t pid = -1;
	int sv[2] = { -1, -1 }, rc = 0, st;

	if (!v || !buf) {
		rc = -ENOMEM;
		goto out;
	}
	memset(buf, 'r', size);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		close(sv[0]);
		rtt_echo(sv[1], size);
		_exit(0);
	}
	close(sv[1]);
	sv[1] = -1;
	for (i = 0; i < WARMUP + n && rc == 0; i++) {
		t0 = now_ns();
		iov[0].iov_base = head;
		iov[0].iov_len = sizeof(head);
		iov[1].iov_base = buf;
		iov[1].iov_len = size;
		/* a short writev is not worth a loop here: AF_UNIX takes it whole */
		if (writev(sv[0], iov, 2) != (ssize_t)(sizeof(head) + size))
			rc = -EIO;
		if (rc == 0)
			rc = read_full(sv[0], in, 4);
		if (rc == 0)
			rc = read_full(sv[0], in, RTT_REPLY);
		if (i >= WARMUP)
			v[i - WARMUP] = now_ns() - t0;
	}
	if (rc == 0)
		report("rtt", v, n);
out:
	if (rc < 0)
		fprintf(stderr, "bench_hooks: rtt: %s\n", strerror(-rc));
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	free(buf);
	free(v);
	return rc;
}

/* The loop callgrind counts (--toggle-collect); kept out of line on purpose. */
__attribute__((noinline)) int bench_write_loop(int fd, const char *buf, size_t calls)
{
	size_t i;

	for (i = 0; i < calls; i++)
		if (write(fd, buf, WRITE_SIZE) != WRITE_SIZE)
			return -(errno ? errno : EIO);
	return 0;
}

static int bench_write(size_t n, bool count_only)
{
	char buf[WRITE_SIZE];
	double *v = calloc(n, sizeof(*v));
	double t0;
	size_t i;
	int fd, rc;

	memset(buf, 'w', sizeof(buf));
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (!v || fd < 0) {
		rc = v ? -errno : -ENOMEM;
		goto out;
	}
	rc = bench_write_loop(fd, buf, WARMUP);
	if (count_only) {
		if (rc == 0)
			rc = bench_write_loop(fd, buf, n * WRITE_BATCH);
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		t0 = now_ns();
		rc = bench_write_loop(fd, buf, WRITE_BATCH);
		v[i] = (now_ns() - t0) / WRITE_BATCH;
	}
	if (rc == 0)
		report("write", v, n);
out:
	if (rc < 0)
		fprintf(stderr, "bench_hooks: write: %s\n", strerror(-rc));
	if (fd >= 0)
		close(fd);
	free(v);
	return rc;
}

static int parse_count(const char *s, size_t lo, size_t hi, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_hooks [-c N] [-s N] [-w N] [-b SIZE] [-W] "
		"[connect|send|write|rtt...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	size_t nconn = 1000, nsend = 5000, nwrite = 2000, size = 1024;
	bool want[4] = { false, false, false, false }, any = false, count_only = false;
	int opt, i, rc = 0;

	while ((opt = getopt(argc, argv, "c:s:w:b:W")) != -1) {
		switch (opt) {
		case 'c': rc = parse_count(optarg, 1, 10000000, &nconn); break;
		case 's': rc = parse_count(optarg, 1, 10000000, &nsend); break;
		case 'w': rc = parse_count(optarg, 1, 10000000, &nwrite); break;
		case 'b': rc = parse_count(optarg, 1, SIZE_MAX_BENCH, &size); break;
		case 'W': count_only = true; break;
		default: return usage();
		}
		if (rc < 0)
			return usage();
	}
	for (i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "connect"))
			want[0] = true;
		else if (!strcmp(argv[i], "send"))
			want[1] = true;
		else if (!strcmp(argv[i], "write"))
			want[2] = true;
		else if (!strcmp(argv[i], "rtt"))
			want[3] = true;
		else
			return usage();
		any = true;
	}
	if (count_only)
		return bench_write(nwrite, true) < 0;
	if (!any)
		want[0] = want[1] = want[2] = want[3] = true;
	/* first, while single-threaded: the rtt peer is forked */
	if (want[3] && bench_rtt(nsend, size) < 0)
		return 1;
	if (want[0] || want[1]) {
		rc = listen_start(&addr);
		if (rc < 0) {
			fprintf(stderr, "bench_hooks: listen: %s\n", strerror(-rc));
			return 1;
		}
	}
	if (want[0] && bench_connect(&addr, nconn) < 0)
		return 1;
	if (want[1] && bench_send(&addr, nsend, size) < 0)
		return 1;
	if (want[2] && bench_write(nwrite, false) < 0)
		return 1;
	return 0;
}
