/* SPDX-License-Identifier: MIT */
/*
 * relay.c - the egress relay's sockets: loopback listeners, the table that
 * pairs an accepted jail connection with the upstream the seccomp
 * supervisor connected for it, and a small pool of epoll threads that
 * move bytes. Each pair lives on one thread (no locks on the data path);
 * each direction reads into its buffer, has relay_scan.c judge those bytes,
 * and only then writes them on. A verdict against them resets both sides
 * (SO_LINGER 0). Design and limits: broker/relay/README.md.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/event.h"
#include "broker/relay/relay.h"
#include "broker/relay/relay_int.h"
#include "broker/relay/tls_keys.h"
#include "broker/scan/scan.h"
#include "broker/session.h"
#include "common/dlp_err.h"
#include "common/log.h"

#define RL_BUF (64u * 1024u - 64u) /* per direction; under malloc's mmap threshold */
#define RL_BUF_BULK (256u * 1024u - 64u) /* after a read filled RL_BUF: a bulk stream */
#define RL_GROW 1024u           /* past it: what resealed records may grow by */
#define RL_MAX_THREADS 8
#define RL_PARK_MAX 256         /* accepted-but-unattached and attached-but-unaccepted */
#define RL_PARK_SEC 10          /* then dropped: nobody claimed it */
#define RL_ROUNDS 8             /* read+write rounds per direction per wake-up */

struct rl_pair;

/* What an epoll event points at: a pair's fd, a listener, the inbox. */
struct rl_tag {
	struct rl_pair *p;      /* NULL: listener (i >= 0) or inbox (i < 0) */
	int i;
};

struct rl_dir {
	int src, dst;
	uint8_t *buf;
	size_t cap;             /* RL_BUF, or RL_BUF_BULK (rl_bulk) */
	bool filled;            /* the last read filled the room */
	size_t off, fwd, len;   /* buf[off..fwd) scanned, not yet written;
				 * buf[fwd..len) read, held by the scanner
				 * (an incomplete TLS record, or waiting for keys) */
	bool eof;
	bool shut;              /* SHUT_WR once buf[off..fwd) is written */
	struct rl_scan scan;
};

struct rl_thread;

struct rl_pair {
	int fd[2];              /* 0 jail side, 1 upstream */
	uint32_t mask[2];       /* epoll interest of fd[i] */
	struct rl_dir d[2];     /* 0 jail -> upstream (egress), 1 upstream -> jail */
	struct rl_who who;
	struct rl_tag tag[2];
	struct rl_thread *t;
	struct rl_pair *prev, *next;
	bool dead;              /* closed; freed after the current epoll batch */
	bool fresh;             /* registered by rl_post_direct, not yet taken:
				 * on t->fresh (through prev/next), not t->live */
	struct rl_mitm *m;      /* the CA path owns the bytes (relay_mitm.c) */
	char note[400];         /* "blind HOST (ORIGIN)": in every event of the pair */
};

struct rl_thread {
	struct brk_relay *r;
	pthread_t th;
	int epfd, efd;
	struct rl_tag inbox_tag;
	pthread_mutex_t lock;   /* inbox, fresh */
	struct rl_pair *inbox;  /* singly linked through next */
	struct rl_pair *fresh;  /* in the epoll set, no event yet (doubly linked) */
	struct rl_pair *live;   /* doubly linked, this thread only */
	struct rl_pair *dead;   /* closed during this epoll batch (through next) */
	struct rl_wd_slot *wd;  /* the watchdog's view of this thread (relay_wd.c) */
	atomic_int unsent;      /* draining: its pairs whose egress is not all out
				 * (-1: not counted yet) */
};

/* A jail connection waiting for its upstream, or the reverse. */
struct rl_slot {
	bool used;
	struct brk_addr a;
	int port;
	int jfd, ufd;
	struct rl_who who;
	time_t since;
};

struct brk_relay {
	struct brk_ctx *ctx;
	int lfd[2];             /* 127.0.0.1, ::1 (-1 when lo has no IPv6) */
	struct sockaddr_storage laddr[2];
	socklen_t llen[2];
	struct rl_tag ltag[2];
	struct rl_thread th[RL_MAX_THREADS];
	unsigned nth;
	atomic_uint next_th;
	atomic_bool stopping;
	atomic_bool draining;   /* the command is gone: count what is left to send */
	unsigned drain_late;    /* the drain ran out after this many ms (0: it did not) */
	char drain_why[160];    /* the reason of its events (main thread only) */
	pthread_mutex_t lock;   /* slots */
	struct rl_slot slot[RL_PARK_MAX];
	struct rl_tls *_Atomic tls; /* the CA path; NULL: unhooked TLS is refused */
	struct rl_wd *wd;       /* refuses a pair whose serving makes no progress */
	atomic_ulong n_pairs, n_resets;
	atomic_ullong up_bytes, down_bytes;
};

/*
 * Test hook (t/e2e/398-relay-drain.sh): with DLPJAIL_TEST_RELAY_STALL_MS=N
 * in the broker's environment (read once at start; the jail cannot set it),
 * each read of the jail's or the upstream's bytes waits N ms before it is
 * scanned, and ends its direction's round (one read per wake-up), as on a
 * relay thread slowed by a busy machine. It only delays: every byte is
 * still scanned before any of it is written on, and a stall past the
 * watchdog or the drain refuses the pair (fail closed). 1..10000, else off.
 */
#define RL_STALL_ENV "DLPJAIL_TEST_RELAY_STALL_MS"
static unsigned rl_stall_ms;

static void rl_stall_read(void)
{
	const char *e = getenv(RL_STALL_ENV);
	long v = e ? strtol(e, NULL, 10) : 0;

	rl_stall_ms = v > 0 && v <= 10000 ? (unsigned)v : 0;
	if (rl_stall_ms)
		dlp_log(DLP_LOG_INFO, "relay: test hook %s: each read waits %u ms before its scan",
			RL_STALL_ENV, rl_stall_ms);
}

bool rl_test_stall(void)
{
	if (!rl_stall_ms)
		return false;
	usleep((useconds_t)rl_stall_ms * 1000);
	return true;
}

static time_t rl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Close with an RST instead of a FIN. */
static void rl_reset_fd(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static int rl_key(const struct sockaddr_storage *ss, socklen_t len, struct brk_addr *a, int *port)
{
	uint16_t p = 0;
	int r = brk_addr_from_sockaddr((const struct sockaddr *)ss, len, a, &p);

	*port = p;
	return r;
}

/* ---- pairs ------------------------------------------------------------- */

static void rl_pair_free(struct rl_pair *p, bool reset)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (reset)
			rl_reset_fd(p->fd[i]);
		else if (p->fd[i] >= 0)
			close(p->fd[i]);
		rl_scan_free(&p->d[i].scan);
		free(p->d[i].buf);
	}
	rl_mitm_free(p->m);
	free(p);
}

static struct rl_pair *rl_pair_new(int jfd, int ufd, const struct rl_who *who, bool nb)
{
	struct rl_pair *p = calloc(1, sizeof(*p));
	int one = 1, i;

	if (!p)
		return NULL;
	p->fd[0] = jfd;
	p->fd[1] = ufd;
	p->who = *who;
	for (i = 0; i < 2; i++) {
		p->d[i].src = p->fd[i];
		p->d[i].dst = p->fd[!i];
		p->d[i].scan.dir = i ? BRK_SCAN_INGRESS : BRK_SCAN_EGRESS;
		p->d[i].scan.peer = &p->d[!i].scan;
		p->d[i].buf = malloc(RL_BUF + RL_GROW);
		p->d[i].cap = RL_BUF;
		p->tag[i].p = p;
		p->tag[i].i = i;
		if (!nb) /* the supervisor's sockets are created non-blocking */
			(void)fcntl(p->fd[i], F_SETFL, fcntl(p->fd[i], F_GETFL) | O_NONBLOCK);
		if (!p->d[i].buf) {
			p->fd[0] = p->fd[1] = -1; /* the caller still owns them */
			rl_pair_free(p, false);
			return NULL;
		}
	}
	(void)setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(jfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return p;
}

/* Take p out of the doubly linked list whose head is *head (fresh or live). */
static void rl_list_unlink(struct rl_pair **head, struct rl_pair *p)
{
	if (p->next)
		p->next->prev = p->prev;
	if (p->prev)
		p->prev->next = p->next;
	else
		*head = p->next;
}

/* Hand a new pair to a thread (round robin); the thread registers it. */
static void rl_post(struct brk_relay *r, struct rl_pair *p)
{
	struct rl_thread *t = &r->th[atomic_fetch_add(&r->next_th, 1) % r->nth];
	uint64_t one = 1;

	pthread_mutex_lock(&t->lock);
	p->next = t->inbox;
	t->inbox = p;
	pthread_mutex_unlock(&t->lock);
	if (write(t->efd, &one, sizeof(one)) < 0)
		dlp_log(DLP_LOG_WARN, "relay: cannot wake a relay thread: %s", strerror(errno));
	atomic_fetch_add(&r->n_pairs, 1);
}

/*
 * Hand a new pair to a thread (round robin) without waking it: both fds
 * go into its epoll set here, under its lock, and the thread takes the
 * pair (rl_take) at its first event, the first bytes or the close. The
 * wake-up, inbox read and the two recv()s that found nothing cost a
 * relayed connect a context switch or two; level-triggered interest
 * reports bytes that are there already. The pair must not be touched
 * after the lock is released: the thread may serve and close it at once.
 */
static void rl_post_direct(struct brk_relay *r, struct rl_pair *p)
{
	struct rl_thread *t = &r->th[atomic_fetch_add(&r->next_th, 1) % r->nth];
	int i, rc = 0;

	p->t = t;
	p->d[0].scan.mitm = atomic_load(&r->tls) != NULL;
	p->d[0].scan.trust = atomic_load(&r->tls);   /* the border's certificate check */
	p->fresh = true;
	pthread_mutex_lock(&t->lock);
	p->prev = NULL;
	p->next = t->fresh;
	if (t->fresh)
		t->fresh->prev = p;
	t->fresh = p;
	for (i = 0; i < 2 && rc == 0; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &p->tag[i] };

		p->mask[i] = EPOLLIN;
		rc = epoll_ctl(t->epfd, EPOLL_CTL_ADD, p->fd[i], &ev);
	}
	if (rc < 0) {
		/*
		 * No room in the set (ENOMEM, max_user_watches): reset it. With
		 * fd[0] in the set, its HUP makes the thread take and close
		 * the pair; with none, nothing can see it: freed here.
		 */
		dlp_log(DLP_LOG_WARN, "relay: epoll: %s", strerror(errno));
		if (i == 1) {
			rl_list_unlink(&t->fresh, p);
			pthread_mutex_unlock(&t->lock);
			rl_pair_free(p, true);
			return;
		}
		(void)shutdown(p->fd[0], SHUT_RDWR);
		(void)shutdown(p->fd[1], SHUT_RDWR);
	}
	pthread_mutex_unlock(&t->lock);
}

/* The thread's first event of a pair rl_post_direct registered: it becomes live. */
static void rl_take(struct rl_thread *t, struct rl_pair *p)
{
	pthread_mutex_lock(&t->lock); /* the poster may be between its two adds */
	rl_list_unlink(&t->fresh, p);
	p->fresh = false;
	pthread_mutex_unlock(&t->lock);
	p->prev = NULL;
	p->next = t->live;
	if (t->live)
		t->live->prev = p;
	t->live = p;
}

static void rl_unlink(struct rl_pair *p)
{
	rl_list_unlink(&p->t->live, p);
}

/*
 * Close both sides now; free the pair only after the epoll batch, which
 * may still hold an event for its other fd.
 */
static void rl_close(struct rl_pair *p, bool reset)
{
	struct rl_thread *t = p->t;
	int i;

	rl_wd_fds_gone(t->wd, p->fd);
	for (i = 0; i < 2; i++) {
		(void)epoll_ctl(t->epfd, EPOLL_CTL_DEL, p->fd[i], NULL);
		if (reset)
			rl_reset_fd(p->fd[i]);
		else
			close(p->fd[i]);
		p->fd[i] = -1;
	}
	rl_unlink(p);
	if (reset)
		atomic_fetch_add(&t->r->n_resets, 1);
	p->dead = true;
	p->next = t->dead;
	t->dead = p;
}

static void rl_reap(struct rl_thread *t)
{
	struct rl_pair *p, *next;

	for (p = t->dead; p; p = next) {
		next = p->next;
		rl_pair_free(p, false);
	}
	t->dead = NULL;
}

/*
 * Feed what was read and not yet taken (buf[fwd..len)) to the scanner.
 * 0, -EACCES, or RL_SCAN_MITM (those bytes go to the CA path, not on).
 */
static int rl_feed(struct rl_pair *p, struct rl_dir *x)
{
	size_t used = 0;
	int rc;

	/* a resealed TLS record may come out longer (HTTP/2, swap_h2.c) */
	x->scan.buf_room = x->cap + RL_GROW - x->len;
	rc = rl_scan_feed(p->t->r->ctx, &x->scan, &p->who, x->buf + x->fwd, x->len - x->fwd,
			  &used);
	x->len += x->scan.buf_grown;
	x->scan.buf_grown = 0;
	if (rc < 0)
		return -EACCES;
	x->fwd += used;
	return rc;
}

/*
 * A direction whose read filled RL_BUF (the socket had more) reads
 * RL_BUF_BULK from then on: a stream of 64 KiB reads got 32 KiB a read on
 * average, each a recv(), a send(), an epoll wake-up and the engine's
 * fixed cost per feed. Only while nothing is held (off == len): no byte
 * and no scanner state points into the old buffer. A pair of short
 * messages never grows (a connect stays under malloc's mmap threshold).
 */
static void rl_bulk(struct rl_dir *x)
{
	uint8_t *nb;

	if (!x->filled || x->cap >= RL_BUF_BULK || x->off != x->len)
		return;
	x->filled = false;
	nb = malloc(RL_BUF_BULK + RL_GROW);
	if (!nb)
		return;         /* goes on with RL_BUF */
	free(x->buf);
	x->buf = nb;
	x->off = x->fwd = x->len = 0;
	x->cap = RL_BUF_BULK;
}

/*
 * Move one direction: write what is scanned, read and scan more. 0 when
 * blocked or done, -EACCES (verdict) or another negative errno: reset.
 * Bytes the scanner holds stay at the front of the buffer and are fed
 * again with what is read after them (or on a retry, rl_retry).
 */
static int rl_pump(struct rl_pair *p, int d)
{
	struct rl_dir *x = &p->d[d];
	struct brk_relay *r = p->t->r;
	unsigned k;
	ssize_t n;
	int rc = 0;

	bool drained = false;   /* the last read did not fill the room: the socket is empty */

	for (k = 0; k < RL_ROUNDS; k++) {
		if (x->off < x->fwd) {
			n = send(x->dst, x->buf + x->off, x->fwd - x->off, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN || errno == EINTR ? 0 : -errno;
			x->off += (size_t)n;
			atomic_fetch_add(d ? &r->down_bytes : &r->up_bytes, (unsigned long long)n);
			continue;
		}
		if (x->eof) {
			if (x->shut && x->fwd >= x->len) {
				(void)shutdown(x->dst, SHUT_WR);
				x->shut = false;
			}
			return 0;
		}
		/* a short read emptied the socket: the next recv() would only say
		 * EAGAIN (level-triggered epoll reports what comes later) */
		if (drained)
			return 0;
		if (x->off) {
			memmove(x->buf, x->buf + x->off, x->len - x->off);
			x->len -= x->off;
			x->fwd -= x->off;
			x->off = 0;
		}
		rl_bulk(x);
		if (x->len >= x->cap)
			return 0;       /* full of held bytes: wait for their keys */
		n = recv(x->src, x->buf + x->len, x->cap - x->len, 0);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		drained = (size_t)n < x->cap - x->len;
		x->filled = n > 0 && !drained;
		if (n == 0) {
			/* held bytes (an incomplete record) are never forwarded */
			x->eof = true;
			/* a tail the border swap held (relay_swap.c) goes now */
			x->scan.eof = true;
			if (x->fwd < x->len && rl_feed(p, x) < 0)
				return -EACCES;
			if (x->scan.waiting && x->fwd < x->len) {
				x->shut = true; /* records wait for their keys: rl_serve
						 * feeds them again, the end follows */
				continue;
			}
			rl_scan_dropped(r->ctx, &x->scan, &p->who, x->len - x->fwd);
			x->len = x->fwd;
			if (rl_feed(p, x) < 0)
				return -EACCES;
			if (x->off < x->fwd) {
				x->shut = true;     /* after the released tail */
				continue;
			}
			/* the other way done too: rl_serve closes both now, and
			 * close() sends this FIN (one syscall less per connection) */
			if (!(p->d[!d].eof && p->d[!d].off >= p->d[!d].fwd && !p->m))
				(void)shutdown(x->dst, SHUT_WR);
			return 0;
		}
		/* scanned before a single byte of it is written on */
		x->len += (size_t)n;
		if (rl_test_stall())
			drained = true; /* one read per wake-up: a stop may come between */
		rc = rl_feed(p, x);
		if (rc < 0)
			return -EACCES;
		if (rc == RL_SCAN_MITM)  /* an unhooked ClientHello: the CA path takes over */
			return rl_mitm_new(r->ctx, atomic_load(&r->tls), &p->who, &x->scan,
					   p->fd[0], p->fd[1], x->buf + x->fwd, x->len - x->fwd,
					   &p->m);
	}
	return 0;
}

/* Interest of fd i: read while its outgoing direction is drained, write
 * while the incoming one has bytes waiting. */
static uint32_t rl_want(const struct rl_pair *p, int i)
{
	const struct rl_dir *out = &p->d[i], *in = &p->d[!i];
	uint32_t m = 0;

	/* (held bytes move to the front before the next read: room is len - off) */
	if (out->off >= out->fwd && !out->eof && out->len - out->off < out->cap)
		m |= EPOLLIN;
	if (in->off < in->fwd)
		m |= EPOLLOUT;
	return m;
}

/*
 * A pair on the CA path: relay_mitm.c moves its bytes. 1: it goes on as a
 * plain pair (a `blind HOST` session: the raw bytes wait in d[0]), 0: done.
 */
static int rl_serve_mitm(struct rl_pair *p)
{
	uint32_t m[2] = { 0, 0 };
	const uint8_t *raw;
	size_t n, scanned, used;
	int i, rc = rl_mitm_serve(p->m, m);

	if (rc == RL_MITM_BLIND) {
		raw = rl_mitm_raw(p->m, &n, &scanned);
		snprintf(p->note, sizeof(p->note), "%s", rl_mitm_note(p->m));
		p->d[0].scan.note = p->d[1].scan.note = p->note;
		if (n <= p->d[0].cap)
			memcpy(p->d[0].buf, raw, n);    /* scanned where it is forwarded from */
		if (n > p->d[0].cap || (n > scanned && rl_scan_feed(p->t->r->ctx, &p->d[0].scan,
							       &p->who, p->d[0].buf + scanned,
							       n - scanned, &used) < 0)) {
			rc = -EACCES;
		} else {
			p->d[0].off = 0;
			p->d[0].fwd = p->d[0].len = n;
		}
		rl_mitm_free(p->m);
		p->m = NULL;
		if (rc != -EACCES)
			return 1;
	}
	if (rc != 0) {
		rl_close(p, rc < 0);   /* 1: finished; an alert may still be in flight */
		return 0;
	}
	for (i = 0; i < 2; i++) {
		struct epoll_event ev = { .events = m[i], .data.ptr = &p->tag[i] };

		if (m[i] != p->mask[i] && epoll_ctl(p->t->epfd, EPOLL_CTL_MOD, p->fd[i], &ev) == 0)
			p->mask[i] = m[i];
	}
	return 0;
}

/*
 * Serve pair p. dirs: bit d set = direction d may move (its source read,
 * or its destination writable); RL_BOTH after a key, a hand-over, an
 * error. One readable socket moves one direction: the other's recv()
 * would only say EAGAIN, two syscalls per message for nothing.
 */
#define RL_BOTH 3u

static unsigned rl_dirs(int i, uint32_t events)
{
	unsigned dirs = 0;

	if (events & (EPOLLERR | EPOLLHUP))
		return RL_BOTH;
	if (events & EPOLLIN)
		dirs |= 1u << i;        /* fd i is the source of direction i */
	if (events & EPOLLOUT)
		dirs |= 1u << !i;       /* ... and the destination of direction !i */
	return dirs ? dirs : RL_BOTH;
}

static void rl_serve(struct rl_pair *p, unsigned dirs)
{
	int i, rc = 0;

	if (p->dead)
		return;
	if (p->m && !rl_serve_mitm(p))
		return;
	/* bytes that waited for TLS keys: try them again first */
	for (i = 0; i < 2 && rc == 0 && !p->m; i++)
		if (p->d[i].scan.waiting && p->d[i].fwd < p->d[i].len) {
			dirs |= 1u << i;        /* what it frees goes out below */
			rc = rl_feed(p, &p->d[i]) < 0 ? -EACCES : 0;
		}
	for (i = 0; i < 2 && rc == 0 && !p->m; i++)
		if (dirs & (1u << i))
			rc = rl_pump(p, i);
	if (p->m && rc == 0) {
		if (!rl_serve_mitm(p))
			return;
		for (i = 0; i < 2 && rc == 0; i++)   /* blind: the raw hello goes out */
			rc = rl_pump(p, i);
	}
	if (rc < 0) {
		dlp_log(DLP_LOG_DEBUG, "relay: pair of pid %d reset: %s", (int)p->who.pid,
			strerror(-rc));
		rl_close(p, true);
		return;
	}
	if (p->d[0].eof && p->d[1].eof && p->d[0].off >= p->d[0].fwd &&
	    p->d[1].off >= p->d[1].fwd && p->d[0].fwd >= p->d[0].len) {
		rl_close(p, false);
		return;
	}
	for (i = 0; i < 2; i++) {
		uint32_t m = rl_want(p, i);
		struct epoll_event ev = { .events = m, .data.ptr = &p->tag[i] };

		if (m != p->mask[i] && epoll_ctl(p->t->epfd, EPOLL_CTL_MOD, p->fd[i], &ev) == 0)
			p->mask[i] = m;
	}
}

/*
 * After serving p for an EPOLLERR on fd i: a pending socket error that no
 * recv() or send() of the pump took (it resets the pair when one does)
 * means that side was reset while neither direction could move: the
 * jail's socket closed on unread bytes after its EOF, or the upstream's
 * after its own. The pair is reset like any other error. Left alone, the
 * level-triggered EPOLLERR|EPOLLHUP of the dead socket would wake this
 * thread at once, forever, until the other side closes.
 */
static void rl_serve_err(struct rl_pair *p, int i, uint32_t events)
{
	int err = 0;
	socklen_t l = sizeof(err);

	if (!(events & EPOLLERR) || p->dead)
		return;
	if (getsockopt(p->fd[i], SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err) {
		dlp_log(DLP_LOG_DEBUG, "relay: pair of pid %d reset: %s side: %s",
			(int)p->who.pid, i ? "upstream" : "jail", strerror(err));
		rl_close(p, true);
	}
}

static void rl_adopt(struct rl_thread *t, struct rl_pair *p)
{
	int i;

	p->t = t;
	p->d[0].scan.mitm = atomic_load(&t->r->tls) != NULL;
	p->d[0].scan.trust = atomic_load(&t->r->tls);   /* the border's certificate check */
	p->prev = NULL;
	p->next = t->live;
	if (t->live)
		t->live->prev = p;
	t->live = p;
	for (i = 0; i < 2; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &p->tag[i] };

		p->mask[i] = EPOLLIN;
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, p->fd[i], &ev) < 0) {
			dlp_log(DLP_LOG_WARN, "relay: epoll: %s", strerror(errno));
			rl_close(p, true);
			return;
		}
	}
	rl_wd_enter(t->wd, p->fd, &p->who);
	rl_serve(p, RL_BOTH); /* bytes may already wait on either side */
	rl_wd_leave(t->wd);
}

/* ---- pairing ----------------------------------------------------------- */

static void rl_slot_drop(struct rl_slot *s)
{
	rl_reset_fd(s->jfd);
	if (s->ufd >= 0)
		close(s->ufd);
	s->used = false;
}

/* Under r->lock: a free slot, the oldest one dropped when all are used. */
static struct rl_slot *rl_slot_get(struct brk_relay *r)
{
	struct rl_slot *old = &r->slot[0];
	unsigned i;

	for (i = 0; i < RL_PARK_MAX; i++) {
		if (!r->slot[i].used)
			return &r->slot[i];
		if (r->slot[i].since < old->since)
			old = &r->slot[i];
	}
	rl_slot_drop(old);
	return old;
}

/* Under r->lock: the slot with this key holding the other half. */
static struct rl_slot *rl_slot_find(struct brk_relay *r, const struct brk_addr *a, int port,
				    bool want_jfd)
{
	unsigned i;

	for (i = 0; i < RL_PARK_MAX; i++) {
		struct rl_slot *s = &r->slot[i];

		if (s->used && s->port == port && !memcmp(&s->a, a, sizeof(*a)) &&
		    (want_jfd ? s->jfd >= 0 : s->ufd >= 0))
			return s;
	}
	return NULL;
}

static void rl_sweep(struct brk_relay *r)
{
	time_t now = rl_now();
	unsigned i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < RL_PARK_MAX; i++)
		if (r->slot[i].used && now - r->slot[i].since > RL_PARK_SEC)
			rl_slot_drop(&r->slot[i]);
	pthread_mutex_unlock(&r->lock);
}

static void rl_accept(struct rl_thread *t, int lfd)
{
	struct brk_relay *r = t->r;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct brk_addr a;
	struct rl_slot *s;
	struct rl_pair *p;
	struct rl_who who;
	int jfd, port, ufd;

	jfd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (jfd < 0)
		return;
	if (rl_key(&ss, sl, &a, &port) < 0) {
		rl_reset_fd(jfd);
		return;
	}
	pthread_mutex_lock(&r->lock);
	s = rl_slot_find(r, &a, port, false);
	if (!s) {
		/* the supervisor has not attached it yet (or nobody will: swept) */
		s = rl_slot_get(r);
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->a = a;
		s->port = port;
		s->jfd = jfd;
		s->ufd = -1;
		s->since = rl_now();
		pthread_mutex_unlock(&r->lock);
		return;
	}
	ufd = s->ufd;
	who = s->who;
	s->used = false;
	pthread_mutex_unlock(&r->lock);
	p = rl_pair_new(jfd, ufd, &who, false);
	if (!p) {
		rl_reset_fd(jfd);
		rl_reset_fd(ufd);
		return;
	}
	atomic_fetch_add(&r->n_pairs, 1);
	rl_adopt(t, p);
}

/* Who a jail connection belongs to: pid, exe (NULL: read it here), the
 * destination, the jail socket's local address (the TLS claims' key). */
static int rl_who_fill(struct brk_relay *r, struct rl_who *who, pid_t pid, const char *exe,
		       const struct sockaddr_storage *jail_local, socklen_t jlen,
		       const struct sockaddr *dst, socklen_t dlen)
{
	char path[64];
	uint16_t dport = 0;
	ssize_t n;
	int rc;

	memset(who, 0, sizeof(*who));
	who->pid = pid;
	if (exe) {
		snprintf(who->exe, sizeof(who->exe), "%s", exe);
	} else {
		snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
		n = readlink(path, who->exe, sizeof(who->exe) - 1);
		who->exe[n > 0 ? n : 0] = '\0';
	}
	rc = brk_addr_from_sockaddr(dst, dlen, &who->a, &dport);
	if (rc == 0)
		rc = rl_key(jail_local, jlen, &who->la, &who->lport);
	if (rc < 0)
		return rc;
	who->port = dport;
	if (!brk_resolved_lookup(r->ctx->resolved, &who->a, who->host, sizeof(who->host)))
		who->host[0] = '\0';
	return 0;
}

int brk_relay_attach(struct brk_relay *r, const struct sockaddr_storage *jail_local,
		     socklen_t jlen, int ufd, pid_t pid, const struct sockaddr *dst,
		     socklen_t dlen)
{
	struct rl_who who;
	struct rl_slot *s;
	struct rl_pair *p;
	int jfd, rc;

	rc = rl_who_fill(r, &who, pid, NULL, jail_local, jlen, dst, dlen);
	if (rc < 0) {
		close(ufd);
		return rc;
	}
	pthread_mutex_lock(&r->lock);
	s = rl_slot_find(r, &who.la, who.lport, true);
	if (!s) {
		s = rl_slot_get(r);
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->a = who.la;
		s->port = who.lport;
		s->jfd = -1;
		s->ufd = ufd;
		s->who = who;
		s->since = rl_now();
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	jfd = s->jfd;
	s->used = false;
	pthread_mutex_unlock(&r->lock);
	p = rl_pair_new(jfd, ufd, &who, false);
	if (!p) {
		rl_reset_fd(jfd);
		close(ufd);
		return -ENOMEM;
	}
	rl_post(r, p);
	return 0;
}

int brk_relay_adopt(struct brk_relay *r, const struct sockaddr_storage *jail_local,
		    socklen_t jlen, int jfd, int ufd, pid_t pid, const char *exe,
		    const struct sockaddr *dst, socklen_t dlen)
{
	struct rl_who who;
	struct rl_pair *p;
	int rc = rl_who_fill(r, &who, pid, exe, jail_local, jlen, dst, dlen);

	p = rc < 0 ? NULL : rl_pair_new(jfd, ufd, &who, true);
	if (!p) {
		rl_reset_fd(jfd);
		close(ufd);
		return rc < 0 ? rc : -ENOMEM;
	}
	atomic_fetch_add(&r->n_pairs, 1);
	rl_post_direct(r, p);
	return 0;
}

/* ---- threads ----------------------------------------------------------- */

/*
 * The jail side of p has reached its end and every byte of it is scanned
 * and written on: nothing held either (a record waiting for its keys). On
 * the CA path relay_mitm.c moves the bytes and knows.
 */
static bool rl_egress_done(const struct rl_pair *p)
{
	const struct rl_dir *x = &p->d[0];

	if (p->m)
		return rl_mitm_egress_done(p->m);
	return x->eof && x->off >= x->fwd && x->fwd >= x->len;
}

/* Pairs of this thread whose egress is not all out (an inbox not yet
 * taken counts as one). */
static int rl_unsent(struct rl_thread *t)
{
	const struct rl_pair *p;
	int n;

	pthread_mutex_lock(&t->lock);
	n = t->inbox != NULL;
	for (p = t->fresh; p; p = p->next)
		n++;            /* no event yet: its jail side has not ended */
	pthread_mutex_unlock(&t->lock);
	for (p = t->live; p; p = p->next)
		if (!rl_egress_done(p))
			n++;
	return n;
}

static void rl_drain_inbox(struct rl_thread *t)
{
	struct rl_pair *p, *next;
	uint64_t v;

	if (read(t->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&t->lock);
	p = t->inbox;
	t->inbox = NULL;
	pthread_mutex_unlock(&t->lock);
	for (; p; p = next) {
		next = p->next;
		rl_adopt(t, p);
	}
}

/* Pairs whose bytes wait for TLS keys, or whose CA-path tail the border
 * holds: after a key arrived (the inbox wake-up) or a second passed (the
 * keys' deadline, the hold's). */
static void rl_retry_waiting(struct rl_thread *t)
{
	struct rl_pair *p, *next;

	for (p = t->live; p; p = next) {
		next = p->next;
		if (p->d[0].scan.waiting || p->d[1].scan.waiting ||
		    (p->m && rl_mitm_waiting(p->m))) {
			rl_wd_enter(t->wd, p->fd, &p->who);
			rl_serve(p, RL_BOTH);
			rl_wd_leave(t->wd);
		}
	}
}

/* A TLS key arrived (tls_keys.c, a broker thread): wake every relay thread. */
static void rl_wake_all(void *arg)
{
	struct brk_relay *r = arg;
	uint64_t one = 1;
	unsigned i;

	for (i = 0; i < r->nth; i++)
		if (write(r->th[i].efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			dlp_log(DLP_LOG_DEBUG, "relay: wake: %s", strerror(errno));
}

static void *rl_main(void *arg)
{
	struct rl_thread *t = arg;
	struct brk_relay *r = t->r;
	struct epoll_event ev[64];
	time_t swept = rl_now(), retried = swept;
	sigset_t pipe;
	bool woken;
	int n, i;

	/* OpenSSL's socket BIOs (the CA path) write() without MSG_NOSIGNAL: a
	 * jail side gone away must be EPIPE here, not SIGPIPE for the whole
	 * broker (the disposition cannot be SIG_IGN: the command inherits it) */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	while (!atomic_load(&r->stopping)) {
		bool draining = atomic_load(&r->draining);

		n = epoll_wait(t->epfd, ev, 64, draining ? 10 : 1000);
		woken = false;
		for (i = 0; i < n; i++) {
			struct rl_tag *tg = ev[i].data.ptr;

			if (tg->p) {
				if (tg->p->fresh)
					rl_take(t, tg->p);
				/* the watchdog times each pair's serving (its scans) */
				rl_wd_enter(t->wd, tg->p->fd, &tg->p->who);
				rl_serve(tg->p, rl_dirs(tg->i, ev[i].events));
				rl_serve_err(tg->p, tg->i, ev[i].events);
				rl_wd_leave(t->wd);
			} else if (tg->i >= 0) {
				rl_accept(t, r->lfd[tg->i]);
			} else {
				rl_drain_inbox(t);
				woken = true;    /* a new pair, or a TLS key arrived */
			}
		}
		/* not after every batch: a walk of all pairs per message otherwise */
		if (woken || rl_now() != retried) {
			retried = rl_now();
			rl_retry_waiting(t);
		}
		rl_reap(t);
		/* read again: the drain's wake-up is what ended this epoll_wait,
		 * the value from before it would leave the drain waiting 10 ms
		 * (every session's teardown) */
		if (atomic_load(&r->draining))
			atomic_store(&t->unsent, rl_unsent(t));
		if (t == &r->th[0] && rl_now() != swept) {
			swept = rl_now();
			rl_sweep(r);
		}
	}
	return NULL;
}

/* ---- setup ------------------------------------------------------------- */

static int rl_listen(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd, one = 1;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		*len = sizeof(*s6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)ss, *len) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)ss, len) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int brk_relay_start(struct brk_ctx *ctx, unsigned nthreads, struct brk_relay **out)
{
	struct brk_relay *r;
	unsigned i;
	int j, rc = 0;

	*out = NULL;
	if (nthreads < 1 || nthreads > RL_MAX_THREADS)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ctx = ctx;
	rl_stall_read();
	pthread_mutex_init(&r->lock, NULL);
	r->lfd[0] = rl_listen(AF_INET, &r->laddr[0], &r->llen[0]);
	r->lfd[1] = rl_listen(AF_INET6, &r->laddr[1], &r->llen[1]);
	if (r->lfd[0] < 0) {
		rc = r->lfd[0];
		goto out;
	}
	rc = rl_wd_start(ctx, nthreads, &r->wd);
	for (i = 0; i < nthreads && rc == 0; i++) {
		struct rl_thread *t = &r->th[i];

		t->r = r;
		t->wd = rl_wd_slot(r->wd, i);
		pthread_mutex_init(&t->lock, NULL);
		t->epfd = epoll_create1(EPOLL_CLOEXEC);
		t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		t->inbox_tag.i = -1;
		if (t->epfd < 0 || t->efd < 0) {
			rc = -errno;
			break;
		}
		{
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &t->inbox_tag };

			if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->efd, &ev) < 0)
				rc = -errno;
		}
		for (j = 0; j < 2 && rc == 0; j++) {
			struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
						  .data.ptr = &r->ltag[j] };

			r->ltag[j].i = j;
			if (r->lfd[j] >= 0 && epoll_ctl(t->epfd, EPOLL_CTL_ADD, r->lfd[j], &ev) < 0)
				rc = -errno;
		}
		if (rc == 0) {
			rc = -pthread_create(&t->th, NULL, rl_main, t);
			if (rc == 0)
				r->nth++;
		}
	}
out:
	if (rc < 0) {
		brk_relay_stop(r);
		return rc;
	}
	/* claimed TLS sessions are decrypted here (tls_dec.c) from now on */
	brk_tls_keys_set_notify(ctx->tlskeys, rl_wake_all, r);
	brk_tls_keys_set_relay(ctx->tlskeys, true);
	*out = r;
	return 0;
}

static const char *rl_drain_reason(struct brk_relay *r)
{
	snprintf(r->drain_why, sizeof(r->drain_why), "the command exited; its last bytes were "
		 "not all scanned and sent within %u ms: connection reset", r->drain_late);
	return r->drain_why;
}

void brk_relay_drain(struct brk_relay *r, unsigned ms)
{
	unsigned i, waited;

	if (!r)
		return;
	for (i = 0; i < r->nth; i++)
		atomic_store(&r->th[i].unsent, -1);
	atomic_store(&r->draining, true);
	for (i = 0; i < r->nth; i++) {
		uint64_t one = 1;

		if (write(r->th[i].efd, &one, sizeof(one)) < 0)
			dlp_log(DLP_LOG_DEBUG, "relay: wake: %s", strerror(errno));
	}
	for (waited = 0; waited < ms; waited += 2) {
		bool done = true;

		for (i = 0; i < r->nth && done; i++)
			done = atomic_load(&r->th[i].unsent) == 0;
		if (done)
			return;
		usleep(2000);
	}
	r->drain_late = ms;     /* brk_relay_stop() resets them, each with an event */
	/* a thread still inside a serving would keep the stop's join waiting:
	 * its pair is refused now (the teardown deadline bounds the rest) */
	rl_wd_drain_late(r->wd, rl_drain_reason(r));
}

/*
 * The drain ran out: p is reset with its egress not all out. Fail closed,
 * and say so: the event names program and destination (never bytes).
 */
static void rl_drain_refuse(struct brk_relay *r, struct rl_pair *p)
{
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "relay-drain", .enforced = true };

	ev.reason = rl_drain_reason(r);
	rl_event(r->ctx, &p->d[0].scan, &p->who, &ev);
}

/* After the threads stopped: what the drain could not finish is reset. */
static unsigned rl_drain_refuse_all(struct brk_relay *r, struct rl_thread *t)
{
	struct rl_pair *p;
	unsigned n = 0;

	if (!r->drain_late)
		return 0;
	for (p = t->live; p; p = p->next)
		if (!rl_egress_done(p)) {
			rl_drain_refuse(r, p);
			n++;
		}
	for (p = t->inbox; p; p = p->next, n++)
		rl_drain_refuse(r, p);
	for (p = t->fresh; p; p = p->next, n++)
		rl_drain_refuse(r, p);
	return n;
}

void brk_relay_stop(struct brk_relay *r)
{
	unsigned i, late = 0;
	int j;

	if (!r)
		return;
	brk_tls_keys_set_relay(r->ctx->tlskeys, false);
	brk_tls_keys_set_notify(r->ctx->tlskeys, NULL, NULL);
	atomic_store(&r->stopping, true);
	for (i = 0; i < r->nth; i++) {
		uint64_t one = 1;

		if (write(r->th[i].efd, &one, sizeof(one)) < 0)
			dlp_log(DLP_LOG_DEBUG, "relay: wake: %s", strerror(errno));
		pthread_join(r->th[i].th, NULL);
	}
	for (i = 0; i < RL_MAX_THREADS; i++) {
		struct rl_thread *t = &r->th[i];
		struct rl_pair *p, *next;

		if (!t->r)
			continue;
		late += rl_drain_refuse_all(r, t);
		/* a pair whose egress is all out closes without a reset: what it
		 * handed to the kernel still reaches a server slow to read it,
		 * as from a client that exits after its last write */
		while (t->live)
			rl_close(t->live, !rl_egress_done(t->live));
		rl_reap(t);
		for (p = t->inbox; p; p = next) {
			next = p->next;
			rl_pair_free(p, true);
		}
		for (p = t->fresh; p; p = next) {
			next = p->next;
			rl_pair_free(p, true);
		}
		if (t->epfd > 0)
			close(t->epfd);
		if (t->efd > 0)
			close(t->efd);
		pthread_mutex_destroy(&t->lock);
	}
	if (late)
		dlp_log(DLP_LOG_WARN, "relay: %u connection%s still sending %u ms after the "
			"command exited: reset", late, late == 1 ? "" : "s", r->drain_late);
	for (i = 0; i < RL_PARK_MAX; i++)
		if (r->slot[i].used)
			rl_slot_drop(&r->slot[i]);
	for (j = 0; j < 2; j++)
		if (r->lfd[j] >= 0)
			close(r->lfd[j]);
	rl_tls_free(atomic_load(&r->tls));
	rl_wd_stop(r->wd);      /* after the closes above: they tell their slots */
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int brk_relay_addr(struct brk_relay *r, int family, struct sockaddr_storage *ss, socklen_t *len)
{
	if (family == AF_INET || (family == AF_INET6 && r->lfd[1] >= 0)) {
		int i = family == AF_INET6;

		memcpy(ss, &r->laddr[i], r->llen[i]);
		*len = r->llen[i];
		return 0;
	}
	if (family == AF_INET6) {
		/* lo without IPv6: the v4 listener, v4-mapped */
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&r->laddr[0];
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		memset(ss, 0, sizeof(*ss));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = s4->sin_port;
		s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
		*len = sizeof(*s6);
		return 0;
	}
	return -EAFNOSUPPORT;
}

void brk_relay_stats(struct brk_relay *r, struct brk_relay_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!r)
		return;
	st->pairs = atomic_load(&r->n_pairs);
	st->resets = atomic_load(&r->n_resets);
	st->up_bytes = atomic_load(&r->up_bytes);
	st->down_bytes = atomic_load(&r->down_bytes);
}

int brk_relay_set_ca(struct brk_relay *r, struct brk_tls_ca *ca, const char *upstream_ca,
		     char *err, size_t errlen)
{
	struct rl_tls *t;
	int rc = rl_tls_new(ca, upstream_ca, &t, err, errlen);

	if (rc == 0)
		rl_tls_free(atomic_exchange(&r->tls, t));
	return rc;
}
