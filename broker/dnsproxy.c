/* SPDX-License-Identifier: MIT */
/*
 * dnsproxy.c - judging DNS proxy on 127.53.x.y:53 for the jail's
 * resolv.conf (see dnsproxy.h). Only the launcher calls it. Parsing is
 * broker/dns/dns_msg.c's strict query parser; forwarding is plain sockets.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/dns/dns_msg.h"
#include "broker/dnsproxy.h"

#define PX_PORT			53
#define PX_RCODE_FORMERR	1
#define PX_RCODE_SERVFAIL	2
#define PX_RCODE_REFUSED	5
#define PX_TCP_TIMEOUT_MS	5000
#define PX_ADDR_TRIES		256

struct brk_dnsproxy {
	const struct brk_dnsproxy_ops *ops;
	void *ctx;
	int udp, tcp;
	int wake[2];			/* stop() writes, the loop polls */
	pthread_t loop;
	/* upstreams: init-only, read by workers */
	struct sockaddr_storage up[BRK_DNSPROXY_UPSTREAM_MAX];
	socklen_t uplen[BRK_DNSPROXY_UPSTREAM_MAX];
	unsigned nup;
	int up_timeout_ms;
	int up_attempts;
	/* workers and TCP client fds, under lock */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned udp_inflight, tcp_clients;
	int tcp_fd[BRK_DNSPROXY_TCP_CLIENTS];
};

struct px_udp_job {
	struct brk_dnsproxy *px;
	struct sockaddr_storage from;
	socklen_t fromlen;
	size_t len;
	uint8_t q[];
};

struct px_tcp_job {
	struct brk_dnsproxy *px;
	int fd;
	int slot;
};

static long px_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline (monotonic ms). 1 ready, 0 timeout, <0. */
static int px_wait(int fd, short events, long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long left;
	int n;

	for (;;) {
		left = deadline - px_now_ms();
		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		return n > 0 ? 1 : 0;
	}
}

/* Reads exactly len bytes before deadline. 0, -ETIMEDOUT, -EPIPE, -errno. */
static int px_read_full(int fd, uint8_t *p, size_t len, long deadline)
{
	ssize_t n;
	int rc;

	while (len > 0) {
		rc = px_wait(fd, POLLIN, deadline);
		if (rc <= 0)
			return rc ? rc : -ETIMEDOUT;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int px_write_full(int fd, const uint8_t *p, size_t len, long deadline)
{
	ssize_t n;
	int rc;

	while (len > 0) {
		rc = px_wait(fd, POLLOUT, deadline);
		if (rc <= 0)
			return rc ? rc : -ETIMEDOUT;
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * An error response: the query's header with QR set, RD kept, the rcode,
 * and the question echoed when qend (end of the question) is known.
 */
static size_t px_error(const uint8_t *q, size_t qend, int rcode, uint8_t *r)
{
	memcpy(r, q, BRK_DNS_HDR_LEN);
	r[2] = (uint8_t)((q[2] & 0x79) | 0x80);	/* QR, opcode, RD; no AA/TC */
	r[3] = (uint8_t)(0x80 | (rcode & 0xf));	/* RA, rcode */
	memset(r + 4, 0, 8);
	if (qend > BRK_DNS_HDR_LEN) {
		r[5] = 1;
		memcpy(r + BRK_DNS_HDR_LEN, q + BRK_DNS_HDR_LEN, qend - BRK_DNS_HDR_LEN);
		return qend;
	}
	return BRK_DNS_HDR_LEN;
}

/* Is r a response to q (id, QR, one question equal to q's)? */
static int px_matches(const uint8_t *q, size_t qend, const uint8_t *r, size_t rlen)
{
	size_t i;
	uint8_t a, b;

	if (rlen < qend || rlen < BRK_DNS_HDR_LEN)
		return 0;
	if (r[0] != q[0] || r[1] != q[1] || !(r[2] & 0x80) || r[4] != 0 || r[5] != 1)
		return 0;
	/* ASCII case folded (0x20 mixing); length bytes are < 64, never letters */
	for (i = BRK_DNS_HDR_LEN; i < qend; i++) {
		a = q[i] >= 'A' && q[i] <= 'Z' ? q[i] | 0x20 : q[i];
		b = r[i] >= 'A' && r[i] <= 'Z' ? r[i] | 0x20 : r[i];
		if (a != b)
			return 0;
	}
	return 1;
}

/* Forwards over UDP to upstream i. Response length, or negative. */
static int px_fwd_udp(struct brk_dnsproxy *px, unsigned i, const uint8_t *q, size_t len,
		      size_t qend, uint8_t *r, size_t cap)
{
	long deadline;
	ssize_t n;
	int fd, rc = -ETIMEDOUT;

	fd = socket(px->up[i].ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connected: the kernel drops datagrams from anyone else */
	if (connect(fd, (struct sockaddr *)&px->up[i], px->uplen[i]) < 0 ||
	    send(fd, q, len, MSG_NOSIGNAL) != (ssize_t)len) {
		rc = -errno;
		goto out;
	}
	deadline = px_now_ms() + px->up_timeout_ms;
	for (;;) {
		rc = px_wait(fd, POLLIN, deadline);
		if (rc <= 0) {
			rc = rc ? rc : -ETIMEDOUT;
			goto out;
		}
		n = recv(fd, r, cap, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			rc = -errno;	/* ECONNREFUSED: nobody there */
			goto out;
		}
		if (px_matches(q, qend, r, (size_t)n)) {
			rc = (int)n;
			goto out;
		}
		/* a stray or spoofed datagram: keep waiting */
	}
out:
	close(fd);
	return rc;
}

/* Forwards over TCP to upstream i. Response length, or negative. */
static int px_fwd_tcp(struct brk_dnsproxy *px, unsigned i, const uint8_t *q, size_t len,
		      size_t qend, uint8_t *r, size_t cap)
{
	long deadline = px_now_ms() + PX_TCP_TIMEOUT_MS;
	uint8_t pre[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	socklen_t sl = sizeof(int);
	size_t rlen;
	int fd, rc, err = 0;

	fd = socket(px->up[i].ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&px->up[i], px->uplen[i]) < 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
			goto out;
		}
		rc = px_wait(fd, POLLOUT, deadline);
		if (rc <= 0) {
			rc = rc ? rc : -ETIMEDOUT;
			goto out;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err) {
			rc = err ? -err : -errno;
			goto out;
		}
	}
	rc = px_write_full(fd, pre, 2, deadline);
	if (rc == 0)
		rc = px_write_full(fd, q, len, deadline);
	if (rc == 0)
		rc = px_read_full(fd, pre, 2, deadline);
	if (rc < 0)
		goto out;
	rlen = (size_t)pre[0] << 8 | pre[1];
	if (rlen > cap || rlen < BRK_DNS_HDR_LEN) {
		rc = -EPROTO;
		goto out;
	}
	rc = px_read_full(fd, r, rlen, deadline);
	if (rc < 0)
		goto out;
	rc = px_matches(q, qend, r, rlen) ? (int)rlen : -EPROTO;
out:
	close(fd);
	return rc;
}

/*
 * Answers one query q[0..len) into r (cap >= BRK_DNS_MSG_MAX). Returns the
 * response length, or 0 to send nothing (not even a header to answer).
 */
static size_t px_handle(struct brk_dnsproxy *px, const uint8_t *q, size_t len, int tcp,
			uint8_t *r, size_t cap)
{
	struct brk_dns_query pq;
	char why[256] = "";
	size_t qend;
	unsigned i;
	int a, rc, verdict;

	if (len < BRK_DNS_HDR_LEN || (q[2] & 0x80))
		return 0;	/* no header, or a response: never answer (loops) */
	if (brk_dns_query_parse(q, len, &pq) < 0)
		return px_error(q, 0, PX_RCODE_FORMERR, r);
	qend = BRK_DNS_HDR_LEN + pq.wire_name_len + 4;
	verdict = px->ops->judge(px->ctx, q, len, why, sizeof(why));
	if (verdict != 0)
		return px_error(q, qend, PX_RCODE_REFUSED, r);
	/* RFC 6761: localhost and *.localhost never leave the machine */
	if (brk_dns_is_localhost(pq.name))
		return brk_dns_localhost_answer(q, qend, pq.qtype, r, cap);
	for (a = 0; a < (tcp ? 1 : px->up_attempts); a++) {
		for (i = 0; i < px->nup; i++) {
			rc = tcp ? px_fwd_tcp(px, i, q, len, qend, r, cap)
				 : px_fwd_udp(px, i, q, len, qend, r, cap);
			if (rc > 0)
				return (size_t)rc;
		}
	}
	return px_error(q, qend, PX_RCODE_SERVFAIL, r);
}

static void px_worker_done(struct brk_dnsproxy *px, int tcp_slot, int udp)
{
	pthread_mutex_lock(&px->lock);
	if (udp)
		px->udp_inflight--;
	if (tcp_slot >= 0) {
		px->tcp_fd[tcp_slot] = -1;
		px->tcp_clients--;
	}
	if (px->udp_inflight == 0 && px->tcp_clients == 0)
		pthread_cond_broadcast(&px->idle);
	pthread_mutex_unlock(&px->lock);
}

static void *px_udp_worker(void *arg)
{
	struct px_udp_job *job = arg;
	struct brk_dnsproxy *px = job->px;
	uint8_t *r = malloc(BRK_DNS_MSG_MAX);
	size_t n;

	if (r) {
		n = px_handle(px, job->q, job->len, 0, r, BRK_DNS_MSG_MAX);
		if (n > 0)
			sendto(px->udp, r, n, MSG_NOSIGNAL, (struct sockaddr *)&job->from,
			       job->fromlen);
	}
	free(r);
	free(job);
	px_worker_done(px, -1, 1);
	return NULL;
}

static void *px_tcp_worker(void *arg)
{
	struct px_tcp_job *job = arg;
	struct brk_dnsproxy *px = job->px;
	uint8_t *q = malloc(BRK_DNS_MSG_MAX), *r = malloc(BRK_DNS_MSG_MAX + 2);
	uint8_t pre[2];
	size_t len, n;
	int k;

	if (!q || !r)
		goto out;
	for (k = 0; k < BRK_DNSPROXY_TCP_QUERIES; k++) {
		long deadline = px_now_ms() + BRK_DNSPROXY_TCP_IDLE_MS;

		if (px_read_full(job->fd, pre, 2, deadline) < 0)
			break;
		len = (size_t)pre[0] << 8 | pre[1];
		if (len < BRK_DNS_HDR_LEN || px_read_full(job->fd, q, len, deadline) < 0)
			break;
		n = px_handle(px, q, len, 1, r + 2, BRK_DNS_MSG_MAX);
		if (n == 0)
			break;
		r[0] = (uint8_t)(n >> 8);
		r[1] = (uint8_t)n;
		if (px_write_full(job->fd, r, n + 2, px_now_ms() + PX_TCP_TIMEOUT_MS) < 0)
			break;
	}
out:
	free(q);
	free(r);
	pthread_mutex_lock(&px->lock);
	px->tcp_fd[job->slot] = -1;	/* stop() must not shut a reused number */
	close(job->fd);
	pthread_mutex_unlock(&px->lock);
	px_worker_done(px, job->slot, 0);
	free(job);
	return NULL;
}

static int px_spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	pthread_t t;
	int rc;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	rc = pthread_create(&t, &at, fn, arg);
	pthread_attr_destroy(&at);
	return -rc;
}

static void px_on_udp(struct brk_dnsproxy *px, uint8_t *buf)
{
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct px_udp_job *job;
	ssize_t n;

	n = recvfrom(px->udp, buf, BRK_DNS_MSG_MAX, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n < BRK_DNS_HDR_LEN)
		return;
	pthread_mutex_lock(&px->lock);
	if (px->udp_inflight >= BRK_DNSPROXY_UDP_INFLIGHT) {
		pthread_mutex_unlock(&px->lock);
		return;		/* overloaded: drop, the client retries */
	}
	px->udp_inflight++;
	pthread_mutex_unlock(&px->lock);
	job = malloc(sizeof(*job) + (size_t)n);
	if (!job)
		goto fail;
	job->px = px;
	job->from = from;
	job->fromlen = fl;
	job->len = (size_t)n;
	memcpy(job->q, buf, (size_t)n);
	if (px_spawn(px_udp_worker, job) == 0)
		return;
	free(job);
fail:
	px_worker_done(px, -1, 1);
}

static void px_on_tcp(struct brk_dnsproxy *px)
{
	struct px_tcp_job *job;
	int fd, slot = -1, i;

	fd = accept4(px->tcp, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pthread_mutex_lock(&px->lock);
	for (i = 0; i < BRK_DNSPROXY_TCP_CLIENTS && slot < 0; i++)
		if (px->tcp_fd[i] < 0)
			slot = i;
	if (slot >= 0) {
		px->tcp_fd[slot] = fd;
		px->tcp_clients++;
	}
	pthread_mutex_unlock(&px->lock);
	if (slot < 0) {
		close(fd);	/* too many clients */
		return;
	}
	job = malloc(sizeof(*job));
	if (job) {
		job->px = px;
		job->fd = fd;
		job->slot = slot;
		if (px_spawn(px_tcp_worker, job) == 0)
			return;
		free(job);
	}
	pthread_mutex_lock(&px->lock);
	px->tcp_fd[slot] = -1;
	close(fd);
	pthread_mutex_unlock(&px->lock);
	px_worker_done(px, slot, 0);
}

static void *px_loop(void *arg)
{
	struct brk_dnsproxy *px = arg;
	struct pollfd pf[3] = {
		{ .fd = px->wake[0], .events = POLLIN },
		{ .fd = px->udp, .events = POLLIN },
		{ .fd = px->tcp, .events = POLLIN },
	};
	uint8_t *buf = malloc(BRK_DNS_MSG_MAX);

	if (!buf)
		return NULL;
	for (;;) {
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents)
			break;
		if (pf[1].revents & POLLIN)
			px_on_udp(px, buf);
		if (pf[2].revents & POLLIN)
			px_on_tcp(px);
	}
	free(buf);
	return NULL;
}

/* The host's name servers, from /etc/resolv.conf via res_ninit(). */
static int px_upstreams(struct brk_dnsproxy *px, char *why, size_t whylen)
{
	struct __res_state rs;
	int i;

	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) < 0) {
		snprintf(why, whylen, "cannot read the host's resolver configuration");
		return -EOPNOTSUPP;
	}
	for (i = 0; i < rs.nscount && px->nup < BRK_DNSPROXY_UPSTREAM_MAX; i++) {
		if (rs.nsaddr_list[i].sin_family == AF_INET) {
			memcpy(&px->up[px->nup], &rs.nsaddr_list[i], sizeof(struct sockaddr_in));
			px->uplen[px->nup++] = sizeof(struct sockaddr_in);
		} else if (rs._u._ext.nsaddrs[i] &&
			   rs._u._ext.nsaddrs[i]->sin6_family == AF_INET6) {
			/* glibc keeps IPv6 servers out of nsaddr_list */
			memcpy(&px->up[px->nup], rs._u._ext.nsaddrs[i],
			       sizeof(struct sockaddr_in6));
			px->uplen[px->nup++] = sizeof(struct sockaddr_in6);
		}
	}
	px->up_timeout_ms = (rs.retrans < 1 ? 1 : rs.retrans > 5 ? 5 : rs.retrans) * 1000;
	px->up_attempts = rs.retry < 1 ? 1 : rs.retry > 3 ? 3 : rs.retry;
	res_nclose(&rs);
	if (px->nup == 0) {
		snprintf(why, whylen, "no name server in /etc/resolv.conf to forward to");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int px_is_upstream(const struct brk_dnsproxy *px, const struct sockaddr_in *a)
{
	unsigned i;

	for (i = 0; i < px->nup; i++)
		if (px->up[i].ss_family == AF_INET &&
		    ((const struct sockaddr_in *)&px->up[i])->sin_addr.s_addr == a->sin_addr.s_addr)
			return 1;
	return 0;
}

/*
 * Binds UDP and TCP port 53 on one free 127.53.x.y, starting from a
 * pid-derived address so concurrent jails rarely collide.
 */
static int px_bind(struct brk_dnsproxy *px, char *why, size_t whylen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PX_PORT) };
	unsigned seed = (unsigned)getpid() * 2654435761u, i, x, y;
	int one = 1, rc = -EOPNOTSUPP;

	for (i = 0; i < PX_ADDR_TRIES; i++) {
		x = (seed >> 8) & 0xff;
		y = (seed + i) % 254 + 1;
		a.sin_addr.s_addr = htonl(0x7f350000u | x << 8 | y);
		if (px_is_upstream(px, &a))
			continue;
		px->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		px->tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (px->udp < 0 || px->tcp < 0) {
			rc = -errno;
			snprintf(why, whylen, "socket: %s", strerror(-rc));
			return rc;
		}
		setsockopt(px->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(px->udp, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    bind(px->tcp, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    listen(px->tcp, BRK_DNSPROXY_TCP_CLIENTS) == 0)
			return 0;
		rc = -errno;
		close(px->udp);
		close(px->tcp);
		px->udp = px->tcp = -1;
		if (rc == -EACCES || rc == -EPERM) {
			snprintf(why, whylen, "cannot bind port 53 (needs root or "
				 "CAP_NET_BIND_SERVICE): %s", strerror(-rc));
			return -EACCES;
		}
		if (rc != -EADDRINUSE) {
			snprintf(why, whylen, "cannot bind 127.53.%u.%u:53: %s", x, y,
				 strerror(-rc));
			return rc == -EADDRNOTAVAIL ? -EOPNOTSUPP : rc;
		}
	}
	snprintf(why, whylen, "no free address in 127.53.0.0/16 for port 53");
	return -EOPNOTSUPP;
}

int brk_dnsproxy_start(const struct brk_dnsproxy_ops *ops, void *ctx,
		       struct brk_dnsproxy **out, char *addr_text, size_t addr_cap,
		       char *why, size_t whylen)
{
	struct brk_dnsproxy *px;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int rc, i;

	if (whylen)
		why[0] = '\0';
	if (!ops || !ops->judge || !out || !addr_text || addr_cap < INET_ADDRSTRLEN)
		return -EINVAL;
	*out = NULL;
	px = calloc(1, sizeof(*px));
	if (!px)
		return -ENOMEM;
	px->ops = ops;
	px->ctx = ctx;
	px->udp = px->tcp = px->wake[0] = px->wake[1] = -1;
	for (i = 0; i < BRK_DNSPROXY_TCP_CLIENTS; i++)
		px->tcp_fd[i] = -1;
	pthread_mutex_init(&px->lock, NULL);
	pthread_cond_init(&px->idle, NULL);
	rc = px_upstreams(px, why, whylen);
	if (rc == 0)
		rc = px_bind(px, why, whylen);
	if (rc < 0)
		goto out;
	if (pipe2(px->wake, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	if (getsockname(px->udp, (struct sockaddr *)&a, &al) < 0 ||
	    !inet_ntop(AF_INET, &a.sin_addr, addr_text, (socklen_t)addr_cap)) {
		rc = -errno;
		goto out;
	}
	rc = -pthread_create(&px->loop, NULL, px_loop, px);
	if (rc < 0)
		snprintf(why, whylen, "cannot start the DNS proxy thread: %s", strerror(-rc));
out:
	if (rc < 0) {
		if (px->udp >= 0)
			close(px->udp);
		if (px->tcp >= 0)
			close(px->tcp);
		if (px->wake[0] >= 0) {
			close(px->wake[0]);
			close(px->wake[1]);
		}
		pthread_mutex_destroy(&px->lock);
		pthread_cond_destroy(&px->idle);
		free(px);
		return rc;
	}
	*out = px;
	return 0;
}

void brk_dnsproxy_stop(struct brk_dnsproxy *px)
{
	ssize_t n;
	int i;

	if (!px)
		return;
	n = write(px->wake[1], "x", 1);	/* our own empty pipe: cannot fill */
	(void)n;
	pthread_join(px->loop, NULL);
	pthread_mutex_lock(&px->lock);
	for (i = 0; i < BRK_DNSPROXY_TCP_CLIENTS; i++)
		if (px->tcp_fd[i] >= 0)
			shutdown(px->tcp_fd[i], SHUT_RDWR);
	/* UDP workers end within the upstream timeouts */
	while (px->udp_inflight || px->tcp_clients)
		pthread_cond_wait(&px->idle, &px->lock);
	pthread_mutex_unlock(&px->lock);
	close(px->udp);
	close(px->tcp);
	close(px->wake[0]);
	close(px->wake[1]);
	pthread_mutex_destroy(&px->lock);
	pthread_cond_destroy(&px->idle);
	free(px);
}
