/* SPDX-License-Identifier: MIT */
/*
 * sc_hold.c - how the supervisor connects a jail socket to the relay with
 * no accept and no pairing table, and how a connect stays pending with no
 * thread waiting in it.
 *
 * The hold port: a loopback listener with backlog 0 whose one queue slot
 * is taken by a connection of our own, so every SYN to it is dropped. A
 * jail socket connected there (brk_sc_hold_park) sits in SYN_SENT: to the
 * program it is a connect in progress (EINPROGRESS, no POLLOUT, SO_ERROR
 * 0), exactly as the kernel shows one. When the upstream's result is known:
 *
 *  - connected: a socket of ours bound to the hold port (SO_REUSEPORT)
 *    connects to the jail socket's own address. Its SYN meets the jail's
 *    SYN_SENT socket: a TCP simultaneous open, both ends ESTABLISHED in one
 *    loopback round (brk_sc_hold_join). Our end goes to the relay with the
 *    upstream; nothing is matched by address, so no table, no timeout, and
 *    no other local process can take the slot.
 *  - refused: the jail socket is disconnected and connected to a loopback
 *    port that is bound and never listens (brk_sc_hold_refuse): the RST
 *    leaves ECONNREFUSED in SO_ERROR and POLLERR, as for a refused
 *    non-blocking connect.
 *
 * Pending connects (brk_sc_pend_*): one thread waits for the upstream
 * sockets of every connect whose result is not known at once, in one
 * epoll set, and calls done() with the result. A blocking caller is
 * answered from there; a non-blocking one had EINPROGRESS at once. So a
 * slow or black-holed upstream holds no supervisor worker and no caller
 * thread that did not ask to wait.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/seccomp/sc_int.h"

#define SC_PEND_TICK_MS 100 /* how often waiting callers are checked for life */
#define SC_JOIN_WAIT_MS 2000 /* a loopback simultaneous open takes microseconds */

struct sc_hold_port {
	int lfd;  /* listener, backlog 0, its queue slot held by fill */
	int fill;
	int dead; /* bound, never listening: a SYN there gets a RST */
	struct sockaddr_storage addr, dead_addr;
	socklen_t len;
};

struct brk_sc_hold {
	struct sc_hold_port p[2]; /* AF_INET, AF_INET6 (p[1].lfd < 0: lo has no ::1) */
};

static void sc_hold_port_close(struct sc_hold_port *p)
{
	if (p->lfd >= 0)
		close(p->lfd);
	if (p->fill >= 0)
		close(p->fill);
	if (p->dead >= 0)
		close(p->dead);
	p->lfd = p->fill = p->dead = -1;
}

static socklen_t sc_loopback(int af, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)af;
	if (af == AF_INET) {
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(struct sockaddr_in);
	}
	((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	return sizeof(struct sockaddr_in6);
}

static int sc_hold_port_open(struct sc_hold_port *p, int af)
{
	struct sockaddr_storage ss;
	socklen_t len = sc_loopback(af, &ss), l;
	int one = 1, rc = 0;

	p->lfd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	p->fill = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	p->dead = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->lfd < 0 || p->fill < 0 || p->dead < 0 ||
	    setsockopt(p->lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    (af == AF_INET6 && setsockopt(p->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(p->lfd, (struct sockaddr *)&ss, len) < 0 || listen(p->lfd, 0) < 0 ||
	    bind(p->dead, (struct sockaddr *)&ss, len) < 0) {
		rc = -errno;
		goto out;
	}
	l = sizeof(p->addr);
	if (getsockname(p->lfd, (struct sockaddr *)&p->addr, &l) < 0) {
		rc = -errno;
		goto out;
	}
	p->len = l;
	l = sizeof(p->dead_addr);
	if (getsockname(p->dead, (struct sockaddr *)&p->dead_addr, &l) < 0 ||
	    connect(p->fill, (struct sockaddr *)&p->addr, p->len) < 0)
		rc = -errno; /* the fill is now the one queued connection: the queue is full */
out:
	if (rc < 0)
		sc_hold_port_close(p);
	return rc;
}

int brk_sc_hold_new(struct brk_sc_hold **out)
{
	struct brk_sc_hold *h = calloc(1, sizeof(*h));
	int rc;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	rc = sc_hold_port_open(&h->p[0], AF_INET);
	if (rc < 0) {
		free(h);
		return rc;
	}
	if (sc_hold_port_open(&h->p[1], AF_INET6) < 0)
		h->p[1].lfd = h->p[1].fill = h->p[1].dead = -1; /* v4-mapped then */
	*out = h;
	return 0;
}

void brk_sc_hold_free(struct brk_sc_hold *h)
{
	if (!h)
		return;
	sc_hold_port_close(&h->p[0]);
	sc_hold_port_close(&h->p[1]);
	free(h);
}

/* ::ffff:a.b.c.d:port as AF_INET, or the IPv4 address as v4-mapped. */
static void sc_v4mapped(const struct sockaddr_in *s4, struct sockaddr_in6 *s6)
{
	memset(s6, 0, sizeof(*s6));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = s4->sin_port;
	s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&s6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
}

/* Where a jail socket of family af is parked, or a refused one sent. */
static socklen_t sc_hold_dst(const struct brk_sc_hold *h, int af, bool dead,
			     struct sockaddr_storage *ss)
{
	const struct sc_hold_port *p = &h->p[af == AF_INET6 && h->p[1].lfd >= 0];
	const struct sockaddr_storage *a = dead ? &p->dead_addr : &p->addr;

	if (af == AF_INET6 && p == &h->p[0]) {
		sc_v4mapped((const struct sockaddr_in *)a, (struct sockaddr_in6 *)ss);
		return sizeof(struct sockaddr_in6);
	}
	memcpy(ss, a, sizeof(*ss));
	return p->len;
}

/* connect() whatever O_NONBLOCK says (flags: the file's, restored). */
static int sc_hold_connect(int fd, int flags, const struct sockaddr_storage *ss, socklen_t len)
{
	int r, e;

	if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)ss, len);
	e = errno;
	if (!(flags & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, flags);
	return r == 0 ? 0 : -e;
}

int brk_sc_hold_park(struct brk_sc_hold *h, int fd, int af, int flags)
{
	struct sockaddr_storage ss;
	socklen_t len = sc_hold_dst(h, af, false, &ss);
	int r = sc_hold_connect(fd, flags, &ss, len);

	return r == -EINPROGRESS ? 0 : r == 0 ? -EISCONN : r;
}

/* A socket bound to the hold port of family af (SO_REUSEPORT), or -errno. */
static int sc_join_new(struct brk_sc_hold *h, int af)
{
	struct sockaddr_storage hold;
	socklen_t hl = sc_hold_dst(h, af, false, &hold);
	int a, one = 1, r;

	a = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a < 0)
		return -errno;
	if (setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    (af == AF_INET6 && setsockopt(a, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(a, (struct sockaddr *)&hold, hl) < 0) {
		r = -errno;
		close(a);
		return r;
	}
	return a;
}

int brk_sc_hold_join(struct brk_sc_hold *h, int fd, bool fresh, int *jfd,
		     struct sockaddr_storage *jl, socklen_t *jlen)
{
	struct sockaddr_storage peer;
	struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)jl;
	struct pollfd pf;
	socklen_t l = sizeof(*jl);
	int af, a = -1, soerr = 0, r;
	struct tcp_info ti;
	socklen_t til = sizeof(ti);

	*jfd = -1;
	/*
	 * Still ours: in SYN_SENT to the hold port (not disconnected or reused
	 * meanwhile). Not asked when the caller parked it just now; a socket
	 * that is not in SYN_SENT then makes the join fail (RST) anyway.
	 */
	if (!fresh && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &til) < 0)
		return -errno;
	if (!fresh && ti.tcpi_state != TCP_SYN_SENT)
		return -ECONNABORTED;
	if (getsockname(fd, (struct sockaddr *)jl, &l) < 0)
		return -errno;
	*jlen = l;
	memcpy(&peer, jl, sizeof(peer));
	af = jl->ss_family;
	if (af == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr)) {
		/* on the wire it is IPv4: our end is an AF_INET socket */
		struct sockaddr_in *p4 = (struct sockaddr_in *)&peer;

		memset(&peer, 0, sizeof(peer));
		p4->sin_family = AF_INET;
		p4->sin_port = l6->sin6_port;
		memcpy(&p4->sin_addr, &l6->sin6_addr.s6_addr[12], 4);
		af = AF_INET;
	}
	a = sc_join_new(h, af);
	if (a < 0)
		return a;
	r = connect(a, (struct sockaddr *)&peer,
		    af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	if (r < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto fail;
	}
	/* a loopback simultaneous open is done when connect() returns */
	til = sizeof(ti);
	if (getsockopt(a, IPPROTO_TCP, TCP_INFO, &ti, &til) == 0 &&
	    ti.tcpi_state == TCP_ESTABLISHED) {
		*jfd = a;
		return 0;
	}
	pf.fd = a;
	pf.events = POLLOUT;
	r = poll(&pf, 1, 0);
	if (r == 0) {
		brk_sc_unlead();
		r = poll(&pf, 1, SC_JOIN_WAIT_MS);
	}
	l = sizeof(soerr);
	if (r <= 0 || getsockopt(a, SOL_SOCKET, SO_ERROR, &soerr, &l) < 0 || soerr) {
		r = soerr ? -soerr : -ETIMEDOUT;
		goto fail;
	}
	*jfd = a;
	return 0;
fail:
	close(a);
	return r;
}

void brk_sc_hold_refuse(struct brk_sc_hold *h, int fd, int af, int flags)
{
	struct sockaddr_storage ss;
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	socklen_t len = sc_hold_dst(h, af, true, &ss);

	/*
	 * Between the two calls the socket shows POLLHUP and ECONNRESET for a
	 * few microseconds; after them ECONNREFUSED and POLLERR, as a refused
	 * non-blocking connect (see README: the one place this differs).
	 */
	(void)connect(fd, &un, sizeof(un));
	(void)sc_hold_connect(fd, flags | O_NONBLOCK, &ss, len);
}

/* ---- pending connects -------------------------------------------------- */

struct brk_sc_pend {
	pthread_t th;
	int epfd, efd;
	atomic_bool stop;
	pthread_mutex_t lock;
	struct brk_sc_pend_item *items; /* every pending one (the tick walks them) */
	unsigned int n;
	brk_sc_pend_done_fn done;
	bool (*alive)(void *arg, const struct brk_sc_pend_item *it);
	void *arg;
};

static void sc_pend_unlink(struct brk_sc_pend *p, struct brk_sc_pend_item *it)
{
	struct brk_sc_pend_item **pp;

	for (pp = &p->items; *pp; pp = &(*pp)->next) {
		if (*pp == it) {
			*pp = it->next;
			p->n--;
			break;
		}
	}
}

/* Take it off the set and finish it: err 0 connected, a positive errno, or -1 cancelled. */
static void sc_pend_finish(struct brk_sc_pend *p, struct brk_sc_pend_item *it, int err)
{
	pthread_mutex_lock(&p->lock);
	sc_pend_unlink(p, it);
	pthread_mutex_unlock(&p->lock);
	(void)epoll_ctl(p->epfd, EPOLL_CTL_DEL, it->ufd, NULL);
	p->done(p->arg, it, err);
	free(it);
}

/* Finish the items whose caller is gone (killed while blocked in connect). */
static void sc_pend_tick(struct brk_sc_pend *p)
{
	struct brk_sc_pend_item *it, *dead;
	unsigned int k;

	for (k = 0; k < 64; k++) {
		dead = NULL;
		pthread_mutex_lock(&p->lock);
		for (it = p->items; it && !dead; it = it->next)
			if (!p->alive(p->arg, it))
				dead = it;
		pthread_mutex_unlock(&p->lock);
		if (!dead)
			break;
		sc_pend_finish(p, dead, -1);
	}
}

static void *sc_pend_main(void *arg)
{
	struct brk_sc_pend *p = arg;
	struct epoll_event ev[64];
	struct timespec last = { 0 }, now;
	int n, i;

	while (!atomic_load(&p->stop)) {
		n = epoll_wait(p->epfd, ev, 64, SC_PEND_TICK_MS);
		for (i = 0; i < n; i++) {
			struct brk_sc_pend_item *it = ev[i].data.ptr;
			int soerr = 0;
			socklen_t l = sizeof(soerr);

			if (!it)
				continue; /* the stop eventfd */
			if (getsockopt(it->ufd, SOL_SOCKET, SO_ERROR, &soerr, &l) < 0)
				soerr = errno;
			sc_pend_finish(p, it, soerr);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 >=
		    SC_PEND_TICK_MS) {
			last = now;
			sc_pend_tick(p);
		}
	}
	pthread_mutex_lock(&p->lock);
	while (p->items) {
		struct brk_sc_pend_item *it = p->items;

		sc_pend_unlink(p, it);
		pthread_mutex_unlock(&p->lock);
		p->done(p->arg, it, -1);
		free(it);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int brk_sc_pend_start(brk_sc_pend_done_fn done,
		      bool (*alive)(void *arg, const struct brk_sc_pend_item *it), void *arg,
		      struct brk_sc_pend **out)
{
	struct brk_sc_pend *p = calloc(1, sizeof(*p));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->done = done;
	p->alive = alive;
	p->arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->epfd < 0 || p->efd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->efd, &ev) < 0) {
		rc = -errno;
		goto fail;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&p->th, NULL, sc_pend_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		goto fail;
	*out = p;
	return 0;
fail:
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->efd >= 0)
		close(p->efd);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return rc;
}

int brk_sc_pend_add(struct brk_sc_pend *p, struct brk_sc_pend_item *it)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data.ptr = it };

	int rc = 0;

	/* in the set and in the list under one lock: the thread's tick, which
	 * may finish (free) a listed item, never sees one half-added */
	pthread_mutex_lock(&p->lock);
	if (p->n >= BRK_SC_PEND_MAX)
		rc = -EAGAIN;
	else if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, it->ufd, &ev) < 0)
		rc = -errno;
	if (rc == 0) {
		it->next = p->items;
		p->items = it;
		p->n++;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

unsigned int brk_sc_pend_count(struct brk_sc_pend *p)
{
	unsigned int n;

	pthread_mutex_lock(&p->lock);
	n = p->n;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void brk_sc_pend_stop(struct brk_sc_pend *p)
{
	uint64_t one = 1;

	if (!p)
		return;
	atomic_store(&p->stop, true);
	(void)!write(p->efd, &one, sizeof(one));
	pthread_join(p->th, NULL);
	close(p->epfd);
	close(p->efd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
