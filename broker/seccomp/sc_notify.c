/* SPDX-License-Identifier: MIT */
/*
 * sc_notify.c - the seccomp supervisor: receives the child's listener,
 * answers its notifications from a small thread pool. Only the launcher
 * calls it (through seccomp.h).
 *
 * Threads: a leader/follower pool. The worker holding lead_lock polls
 * [listener, child pidfd, stop eventfd] and receives one notification,
 * and handles it itself (no queue). An inet connect() is handled with the
 * lead kept, unless another notification is already waiting: handing the
 * lead on wakes a follower per trap only for it to poll and sleep again,
 * two context switches of ~40 us a relayed connect costs. Every other
 * call, and every handler at the point it would wait (sc_wait, the
 * pending fallback, a slow join), hands the lead on first (sc_unlead).
 * The pool starts with min_threads and grows up to max_threads when
 * nobody is left to lead (all busy, e.g. in slow connects). A handler never
 * blocks for long: emulated connects and sends on blocking sockets are
 * done non-blocking and waited for with poll(), re-checking that the
 * notification is still alive, so stop and target death are noticed.
 *
 * Every pointer argument is copied once with process_vm_readv, the
 * notification id is validated after the copy and after pidfd_getfd, and
 * only the copy is used (see seccomp.h for the mechanism). AF_INET/AF_INET6
 * and AF_NETLINK calls are performed here; others continue in the target.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "broker/seccomp/sc_int.h"
#include "broker/seccomp/seccomp.h"
#include "common/dlp_err.h"
#include "common/log.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* 0x80, kernel >= 6.9 */
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS /* linux/seccomp.h of 6.6 */
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024
#endif

#define SC_PIDFD_CACHE 64
#define SC_CTL_MAX 4096        /* control bytes copied for inet sendmsg */
#define SC_WAIT_SLICE_MS 100   /* poll slice while waiting on a blocking call */
#define SC_MAX_RESOLVERS 8

/* Syscalls with a handler; the rest of the table is refusals. */
enum sc_call { SC_CONNECT, SC_SENDTO, SC_SENDMSG, SC_SENDMMSG, SC_PERSONALITY, SC_LISTEN,
	       SC_ACCEPT, SC_ACCEPT4, SC_NCALLS };

struct sc_pidfd_ent {
	pid_t key;       /* tid (thread pidfds) or tgid (fallback) */
	pid_t tgid;
	int pidfd;
	unsigned long used;
};

struct sc_worker {
	struct brk_sc *sc;
	pthread_t th;
	bool leading;              /* holds lead_lock (this thread only) */
	uint8_t *buf;              /* BRK_SC_PAYLOAD_MAX */
	struct iovec *tiov;        /* UIO_MAXIOV target iovecs */
	uint8_t *ctl;              /* SC_CTL_MAX */
	struct mmsghdr *mmsg;      /* UIO_MAXIOV target mmsghdrs */
	struct seccomp_notif_resp *resp;
};

struct brk_sc {
	int notify_fd;
	int child_pidfd;
	int stop_efd;
	pid_t child;
	const struct brk_sc_ops *ops;
	void *ctx;
	struct brk_sc_opts opts;
	int call_nr[SC_NCALLS];
	int *rule_nr;              /* resolved number per brk_sc_rules row */
	bool thread_pidfd;         /* PIDFD_THREAD works */
	struct { dev_t dev; ino_t ino; const char *path; } resolvers[SC_MAX_RESOLVERS];
	unsigned int nresolvers;

	pthread_mutex_t lead_lock; /* held by the one worker that polls and receives */
	pthread_mutex_t lock;      /* workers[], nworkers */
	struct sc_worker *workers; /* max_threads slots */
	unsigned int nworkers;
	atomic_uint busy;          /* workers handling a notification */
	atomic_bool stopping;
	atomic_bool done;          /* stop or tree gone: workers leave */

	pthread_mutex_t cache_lock; /* pidfd cache */
	pthread_mutex_t accept_lock; /* around the O_NONBLOCK toggle of emulated accepts */
	struct sc_pidfd_ent cache[SC_PIDFD_CACHE];
	unsigned long cache_tick;

	atomic_ulong n_notif, n_emul, n_cont, n_denied, n_refused, n_stale;
	atomic_int child_exited, tree_exited;
	struct brk_sc_own *own;    /* the jail's own listeners (sc_own.c) */
	struct brk_sc_hold *hold;  /* relay connects: the hold port (sc_hold.c) */
	struct brk_sc_pend *pend;  /* and the connects waiting for their upstream */
	struct brk_sc_mem *mem;    /* callers' memory and exe per process (sc_mem.c) */
	int test_delay_ms;         /* DLPJAIL_TEST_CONNECT_DELAY_MS (sc_test_delay) */
};

/* ---- memory and ids ---------------------------------------------------- */

/* Copy len bytes at addr in thread tid. -EFAULT unless all of it is read. */
static int sc_peek(pid_t tid, uint64_t addr, void *dst, size_t len)
{
	struct iovec l = { .iov_base = dst, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (!len)
		return 0;
	if (!addr)
		return -EFAULT;
	n = process_vm_readv(tid, &l, 1, &r, 1, 0);
	if (n < 0)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	return (size_t)n == len ? 0 : -EFAULT;
}

static int sc_poke(pid_t tid, uint64_t addr, const void *src, size_t len)
{
	struct iovec l = { .iov_base = (void *)(uintptr_t)src, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };

	return process_vm_writev(tid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

static bool sc_alive(struct brk_sc *sc, const struct seccomp_notif *n)
{
	return seccomp_notify_id_valid(sc->notify_fd, n->id) == 0;
}

static pid_t sc_read_tgid(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	p = strstr(buf, "\nTgid:");
	if (!p)
		return -1;
	return (pid_t)strtol(p + 6, NULL, 10);
}

/*
 * Take the target's fd with pidfd_getfd, using a cached pidfd. A cached
 * pidfd names one task for good: if that task died and its number was
 * reused, pidfd_getfd fails with ESRCH and we reopen. The caller validates
 * the notification id afterwards, which proves the tid still names the
 * notifying thread. Returns the local fd or -errno; *tgid is set.
 */
static int sc_getfd(struct brk_sc *sc, pid_t tid, int tfd, pid_t *tgid)
{
	struct sc_pidfd_ent *e = NULL, *victim;
	pid_t key = tid, tg = -1;
	int fd = -EBADF, attempt, i;

	if (!sc->thread_pidfd) {
		tg = sc_read_tgid(tid);
		if (tg <= 0)
			return -ESRCH;
		key = tg;
	}
	pthread_mutex_lock(&sc->cache_lock);
	for (attempt = 0; attempt < 2; attempt++) {
		e = NULL;
		victim = &sc->cache[0];
		for (i = 0; i < SC_PIDFD_CACHE; i++) {
			struct sc_pidfd_ent *c = &sc->cache[i];

			if (c->pidfd >= 0 && c->key == key) {
				e = c;
				break;
			}
			/* LRU victim, empty slots first */
			if (victim->pidfd >= 0 && (c->pidfd < 0 || c->used < victim->used))
				victim = c;
		}
		if (!e) {
			int pfd;

			if (sc->thread_pidfd) {
				tg = sc_read_tgid(tid);
				if (tg <= 0) {
					fd = -ESRCH;
					break;
				}
				pfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
			} else {
				pfd = (int)syscall(SYS_pidfd_open, tg, 0);
			}
			if (pfd < 0) {
				fd = -ESRCH;
				break;
			}
			e = victim;
			if (e->pidfd >= 0)
				close(e->pidfd);
			e->key = key;
			e->tgid = tg;
			e->pidfd = pfd;
		}
		e->used = ++sc->cache_tick;
		fd = (int)syscall(SYS_pidfd_getfd, e->pidfd, tfd, 0);
		if (fd >= 0) {
			*tgid = e->tgid;
			break;
		}
		fd = -errno;
		if (fd != -ESRCH)
			break;
		close(e->pidfd); /* stale: that task is gone */
		e->pidfd = -1;
	}
	pthread_mutex_unlock(&sc->cache_lock);
	return fd;
}

/* ---- answers ----------------------------------------------------------- */

static void sc_respond(struct sc_worker *w, const struct seccomp_notif *n, long val, int err,
		       bool cont)
{
	struct seccomp_notif_resp *r = w->resp;

	memset(r, 0, sizeof(*r));
	r->id = n->id;
	if (cont) {
		r->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else if (err) {
		r->error = -err;
	} else {
		r->val = val;
	}
	if (seccomp_notify_respond(w->sc->notify_fd, r) < 0)
		atomic_fetch_add(&w->sc->n_stale, 1); /* target interrupted or gone */
}

/* Answer a notification from a thread without a worker's buffer. */
static void sc_respond_id(struct brk_sc *sc, __u64 id, int err)
{
	union {
		struct seccomp_notif_resp r;
		char room[sizeof(struct seccomp_notif_resp) + 64];
	} u;

	memset(&u, 0, sizeof(u));
	u.r.id = id;
	u.r.error = -err;
	if (seccomp_notify_respond(sc->notify_fd, &u.r) < 0)
		atomic_fetch_add(&sc->n_stale, 1);
}

/* Count, log and report a refusal; the caller answers. */
static void sc_report(struct brk_sc *sc, const struct seccomp_notif *n, const char *what)
{
	atomic_fetch_add(&sc->n_refused, 1);
	dlp_log(DLP_LOG_INFO, "seccomp: refused %s in pid %d", what, (int)n->pid);
	if (sc->ops->refused)
		sc->ops->refused(sc->ctx, (pid_t)n->pid, what);
}

static void sc_refuse(struct sc_worker *w, const struct seccomp_notif *n, int err, const char *what)
{
	sc_report(w->sc, n, what);
	sc_respond(w, n, 0, err, false);
}

static int sc_file_id(int fd, struct stat *st)
{
	return fstat(fd, st) < 0 ? -errno : 0;
}

/*
 * Let the call continue in the target. The fd number is re-resolved right
 * before answering: if another thread replaced it (dup2, close + socket)
 * while this one was blocked in the trapped call, that is the fd-swap
 * attack on CONTINUE (see seccomp.h): the call is refused and the whole
 * process killed, so the race cannot be retried until it is won. A
 * correct program never swaps an fd another thread is using. The window
 * after this check remains (documented residual risk for UDP).
 */
static void sc_continue(struct sc_worker *w, const struct seccomp_notif *n, int tfd, int sfd)
{
	struct stat a, b;
	pid_t tg = 0;
	int again;

	if (sfd >= 0) {
		again = sc_getfd(w->sc, (pid_t)n->pid, tfd, &tg);
		if (again < 0 || sc_file_id(sfd, &a) < 0 || sc_file_id(again, &b) < 0 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
			if (again >= 0)
				close(again);
			if (tg > 0 && sc_alive(w->sc, n))
				(void)syscall(SYS_tgkill, tg, (pid_t)n->pid, SIGKILL);
			sc_refuse(w, n, EBADF, "fd replaced during a trapped call (process killed)");
			return;
		}
		close(again);
	}
	atomic_fetch_add(&w->sc->n_cont, 1);
	sc_respond(w, n, 0, 0, true);
}

/* ---- sockets ----------------------------------------------------------- */

struct sc_sock {
	int domain, type, flags; /* SO_DOMAIN, SO_TYPE, F_GETFL */
};

static int sc_sockinfo(int sfd, struct sc_sock *si)
{
	socklen_t l = sizeof(int);

	if (getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, &si->domain, &l) < 0)
		return -errno; /* ENOTSOCK for files */
	l = sizeof(int);
	if (getsockopt(sfd, SOL_SOCKET, SO_TYPE, &si->type, &l) < 0)
		return -errno;
	si->flags = fcntl(sfd, F_GETFL);
	if (si->flags < 0)
		return -errno;
	return 0;
}

static bool sc_is_inet(int af)
{
	return af == AF_INET || af == AF_INET6;
}

/*
 * sc_sockinfo for connect(): an inet socket that answers TCP_INFO is a TCP
 * (or MPTCP) stream, so that one call gives the type and the TCP state
 * (*state, -1 unknown) the handler needs, instead of SO_TYPE and then
 * TCP_INFO.
 */
static int sc_sockinfo_conn(int sfd, struct sc_sock *si, int *state)
{
	struct tcp_info ti;
	socklen_t l = sizeof(int);

	*state = -1;
	if (getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, &si->domain, &l) < 0)
		return -errno;
	l = sizeof(ti);
	if (sc_is_inet(si->domain) && getsockopt(sfd, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0) {
		si->type = SOCK_STREAM;
		*state = ti.tcpi_state;
	} else {
		l = sizeof(int);
		if (getsockopt(sfd, SOL_SOCKET, SO_TYPE, &si->type, &l) < 0)
			return -errno;
	}
	si->flags = fcntl(sfd, F_GETFL);
	return si->flags < 0 ? -errno : 0;
}

/* Minimum length the kernel wants for an address of this family. */
static socklen_t sc_min_len(int af)
{
	return af == AF_INET ? sizeof(struct sockaddr_in) :
	       af == AF_INET6 ? sizeof(struct sockaddr_in6) - sizeof(uint32_t) : 0;
}

/* Wait until a call on a blocking socket may proceed; -EINTR if we must give up. */
static int sc_wait(struct brk_sc *sc, const struct seccomp_notif *n, int sfd, short ev)
{
	struct pollfd p = { .fd = sfd, .events = ev };

	if (poll(&p, 1, 0) > 0)
		return 0; /* a loopback peer answers at once */
	brk_sc_unlead(); /* someone else receives while this one waits */
	for (;;) {
		int r = poll(&p, 1, SC_WAIT_SLICE_MS);

		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (atomic_load(&sc->stopping) || !sc_alive(sc, n))
			return -EINTR;
	}
}

/*
 * connect() and wait for the result whatever O_NONBLOCK says; the file's
 * flags (si->flags) are restored afterwards.
 */
static int sc_connect_wait(struct brk_sc *sc, const struct seccomp_notif *n, int sfd,
			   const struct sc_sock *si, const struct sockaddr_storage *ss,
			   socklen_t len)
{
	socklen_t l = sizeof(int);
	int r, e, soerr = 0;

	/*
	 * Connect non-blocking and wait here in slices, so
	 * a dead target or a stop is noticed. O_NONBLOCK lives in the shared
	 * file; it is set only around the connect() call itself.
	 */
	if (fcntl(sfd, F_SETFL, si->flags | O_NONBLOCK) < 0)
		return -errno;
	r = connect(sfd, (const struct sockaddr *)ss, len);
	e = errno;
	(void)fcntl(sfd, F_SETFL, si->flags);
	if (r == 0)
		return 0;
	if (e != EINPROGRESS)
		return -e;
	r = sc_wait(sc, n, sfd, POLLOUT);
	if (r < 0)
		return r;
	if (getsockopt(sfd, SOL_SOCKET, SO_ERROR, &soerr, &l) < 0)
		return -errno;
	return -soerr;
}

/* connect() on the target's socket from our copy; blocking semantics kept. */
static int sc_do_connect(struct brk_sc *sc, const struct seccomp_notif *n, int sfd,
			 const struct sc_sock *si, const struct sockaddr_storage *ss, socklen_t len)
{
	if (si->flags & O_NONBLOCK)
		return connect(sfd, (const struct sockaddr *)ss, len) < 0 ? -errno : 0;
	return sc_connect_wait(sc, n, sfd, si, ss, len);
}

/* sendmsg() from our copies; MSG_NOSIGNAL so SIGPIPE never hits the broker. */
static long sc_do_sendmsg(struct brk_sc *sc, const struct seccomp_notif *n, int sfd,
			  const struct sc_sock *si, struct msghdr *m, int flags, pid_t tgid)
{
	bool block = !(si->flags & O_NONBLOCK) && !(flags & MSG_DONTWAIT);
	int f = flags | MSG_NOSIGNAL | (block ? MSG_DONTWAIT : 0);
	ssize_t r;

	for (;;) {
		r = sendmsg(sfd, m, f);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (block && errno == EINPROGRESS && (f & MSG_FASTOPEN)) {
			/*
			 * Blocking TFO without a cookie: the SYN went out bare.
			 * Wait for the handshake, then send the data normally,
			 * as the kernel does for a blocking caller.
			 */
			int soerr = 0;
			socklen_t l = sizeof(soerr);

			if (sc_wait(sc, n, sfd, POLLOUT) < 0)
				return -EINTR;
			if (getsockopt(sfd, SOL_SOCKET, SO_ERROR, &soerr, &l) == 0 && soerr)
				return -soerr;
			f &= ~MSG_FASTOPEN;
			m->msg_name = NULL;
			m->msg_namelen = 0;
			continue;
		}
		if (!block || (errno != EAGAIN && errno != EWOULDBLOCK))
			break;
		if (sc_wait(sc, n, sfd, POLLOUT) < 0)
			return -EINTR;
	}
	if (errno == EPIPE && !(flags & MSG_NOSIGNAL))
		(void)syscall(SYS_tgkill, tgid, (pid_t)n->pid, SIGPIPE); /* as the kernel would */
	return -errno;
}

/* ---- AF_UNIX ----------------------------------------------------------- */

/*
 * Judge an AF_UNIX destination. path: as the target gave it, "@NAME" for
 * an abstract one (st NULL, abs/alen the raw sun_path bytes); st: the
 * inode it names in the target's view, NULL if none. With ops->unix_path
 * the policy decides, told whether the socket is the jail's own
 * (sc_own.c); without, the built-in rule refuses out-of-sandbox resolvers.
 * 0 allow, else a positive errno; why[] filled on refusal.
 */
static int sc_unix_judge(struct brk_sc *sc, const struct seccomp_notif *n, pid_t tgid,
			 const char *path, const struct stat *st, const char *abs, size_t alen,
			 char *why, size_t wl)
{
	unsigned int i;
	int own = 0, r;

	if (sc->ops->unix_path) {
		if ((st || abs) && !(sc->ops->unix_known && sc->ops->unix_known(sc->ctx, path, st)))
			own = brk_sc_own_unix(sc->own, sc->child, st, abs, alen);
		r = sc->ops->unix_path(sc->ctx, tgid, (pid_t)n->pid, path, st, own > 0, why, wl);
		return r < 0 ? -r : r;
	}
	for (i = 0; st && i < sc->nresolvers; i++) {
		if (st->st_dev == sc->resolvers[i].dev && st->st_ino == sc->resolvers[i].ino) {
			snprintf(why, wl, "AF_UNIX %s: out-of-sandbox resolver (%s)", path,
				 sc->resolvers[i].path);
			return EACCES;
		}
	}
	return 0;
}

/* "@NAME" for an abstract sun_path (unprintable bytes as '?'). */
static void sc_unix_abstract_name(const char *sp, size_t plen, char *dst, size_t cap)
{
	size_t i, o = 0;

	dst[o++] = '@';
	for (i = 1; i < plen && o + 1 < cap; i++)
		dst[o++] = (sp[i] >= 0x21 && sp[i] < 0x7f) ? sp[i] : '?';
	dst[o] = '\0';
}

/*
 * Open a filesystem AF_UNIX name once in the target's view (root for an
 * absolute name, with RESOLVE_IN_ROOT; cwd for a relative one) as O_PATH.
 * canon[] gets the name of the inode it reached, symlinks resolved (what a
 * policy line is matched against: a symlink the jail planted gains
 * nothing). Returns the fd or -errno.
 */
static int sc_unix_open(const struct seccomp_notif *n, const char *path, char *canon,
			size_t cap)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	char dir[64], self[64];
	ssize_t l;
	int dfd, fd;

	if (path[0] == '/')
		how.resolve = RESOLVE_IN_ROOT;
	snprintf(dir, sizeof(dir), path[0] == '/' ? "/proc/%d/root" : "/proc/%d/cwd", (int)n->pid);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -ESRCH;
	fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(dfd);
	if (fd >= 0 && canon) {
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		l = readlink(self, canon, cap - 1);
		if (l > 0)
			canon[l] = '\0';
		else
			snprintf(canon, cap, "%s", path);
	}
	return fd;
}

/*
 * connect(): 0 allow, a positive errno to refuse (why[] filled), or a
 * negative errno to answer silently (no such socket).
 */
static int sc_unix_check(struct brk_sc *sc, const struct seccomp_notif *n, pid_t tgid,
			 const struct sockaddr_storage *ss, socklen_t len, char *why, size_t wl)
{
	const struct sockaddr_un *su = (const struct sockaddr_un *)ss;
	char path[sizeof(su->sun_path) + 2], canon[PATH_MAX];
	size_t plen;
	struct stat st;
	int fd, r;

	if (len <= offsetof(struct sockaddr_un, sun_path) || su->sun_family != AF_UNIX)
		return 0;
	plen = len - offsetof(struct sockaddr_un, sun_path);
	if (plen > sizeof(su->sun_path))
		plen = sizeof(su->sun_path);
	if (su->sun_path[0] == '\0') {
		sc_unix_abstract_name(su->sun_path, plen, path, sizeof(path));
		return sc_unix_judge(sc, n, tgid, path, NULL, su->sun_path, plen, why, wl);
	}
	memcpy(path, su->sun_path, plen);
	path[plen] = '\0';
	/* the kernel resolves the name again after CONTINUE (see README) */
	fd = sc_unix_open(n, path, canon, sizeof(canon));
	if (fd == -ENOENT || fd == -ENOTDIR)
		return fd; /* nothing there: the kernel's answer, no event (glibc tries nscd) */
	if (fd < 0) { /* cannot tell: judged by the name */
		if (path[0] != '/') /* "./@x" is a file, never an abstract "@x" */
			snprintf(canon, sizeof(canon), "./%s", path);
		return sc_unix_judge(sc, n, tgid, path[0] == '/' ? path : canon, NULL, NULL, 0,
				     why, wl);
	}
	r = fstat(fd, &st) == 0 ? sc_unix_judge(sc, n, tgid, canon, &st, NULL, 0, why, wl) : EBADF;
	close(fd);
	return r;
}


/*
 * An AF_UNIX destination for a send the supervisor performs: a filesystem
 * name is resolved once, in the target's root (absolute) or cwd (relative),
 * to an O_PATH fd, and the send goes to "/proc/self/fd/N" (the kernel
 * follows the magic link to that very socket inode: no second lookup, no
 * TOCTOU, and the target's mount namespace is respected). The resolver and
 * policy checks judge the inode that was opened. Abstract and autobind
 * names are used as they are. *pfd is the O_PATH fd to close, or -1.
 * Returns 0 or -errno (the errno the kernel would give, or the refusal).
 */
static int sc_unix_dest(struct brk_sc *sc, const struct seccomp_notif *n, pid_t tgid,
			struct sockaddr_storage *ss, socklen_t *len, int *pfd)
{
	struct sockaddr_un *su = (struct sockaddr_un *)ss;
	char path[sizeof(su->sun_path) + 2], canon[PATH_MAX], why[BRK_SC_WHY_MAX] = "";
	size_t plen;
	struct stat st;
	int fd, r;

	*pfd = -1;
	if (*len < sizeof(sa_family_t) || su->sun_family != AF_UNIX)
		return -EINVAL;
	if (*len == sizeof(sa_family_t))
		return 0; /* autobind: no destination */
	plen = *len - offsetof(struct sockaddr_un, sun_path);
	if (plen > sizeof(su->sun_path))
		plen = sizeof(su->sun_path);
	if (su->sun_path[0] == '\0') {
		sc_unix_abstract_name(su->sun_path, plen, path, sizeof(path));
		r = sc_unix_judge(sc, n, tgid, path, NULL, su->sun_path, plen, why, sizeof(why));
		if (r)
			sc_report(sc, n, why);
		return -r;
	}
	memcpy(path, su->sun_path, plen);
	path[plen] = '\0';
	fd = sc_unix_open(n, path, canon, sizeof(canon));
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		close(fd);
		return -ECONNREFUSED; /* as the kernel answers a non-socket */
	}
	r = sc_unix_judge(sc, n, tgid, canon, &st, NULL, 0, why, sizeof(why));
	if (r) {
		close(fd);
		sc_report(sc, n, why);
		return -r;
	}
	memset(ss, 0, sizeof(*ss));
	su->sun_family = AF_UNIX;
	r = snprintf(su->sun_path, sizeof(su->sun_path), "/proc/self/fd/%d", fd);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)r + 1);
	*pfd = fd;
	return 0;
}

/*
 * SCM_RIGHTS carries fd numbers of the target: replace each by our copy
 * (pidfd_getfd) in the control buffer, remembering them in got[] for the
 * caller to close. SCM_CREDENTIALS is sent as it is: the kernel checks it
 * against the supervisor (see README). Returns 0 or -errno.
 */
#define SC_MAX_PASSFD 253 /* SCM_MAX_FD */
static int sc_unix_rights(struct brk_sc *sc, const struct seccomp_notif *n, struct msghdr *m,
			  int *got, unsigned int *ngot)
{
	struct cmsghdr *c;
	pid_t tg;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t k, cnt;
		int *fds = (int *)(void *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		if (c->cmsg_len < CMSG_LEN(0))
			return -EINVAL;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt; k++) {
			int tfd, mine;

			memcpy(&tfd, &fds[k], sizeof(tfd));
			if (*ngot >= SC_MAX_PASSFD)
				return -EINVAL;
			mine = sc_getfd(sc, (pid_t)n->pid, tfd, &tg);
			if (mine < 0)
				return mine == -ESRCH ? -ESRCH : -EBADF;
			got[(*ngot)++] = mine;
			memcpy(&fds[k], &mine, sizeof(mine));
		}
	}
	return 0;
}

/* ---- decisions --------------------------------------------------------- */

static const char *const sc_op_name[] = {
	[BRK_SC_CONNECT] = "connect",
	[BRK_SC_SENDTO] = "sendto",
	[BRK_SC_FASTOPEN] = "sendto(MSG_FASTOPEN)",
};

/* Ask the policy. 0 allow, else positive errno (logged and counted). */
static int sc_decide_req(struct brk_sc *sc, const struct seccomp_notif *n, pid_t tgid,
			 enum brk_sc_op op, const struct sc_sock *si,
			 const struct sockaddr_storage *ss, socklen_t len, const uint8_t *payload,
			 size_t plen, const char *exe, struct brk_sc_req *qp)
{
	struct brk_sc_req tmp, *qq = qp ? qp : &tmp;
#define q (*qq)
	char why[BRK_SC_WHY_MAX] = "", dst[96] = "";
	int r;

	memset(&q, 0, sizeof(q));
	q.op = op;
	q.tgid = tgid;
	q.tid = (pid_t)n->pid;
	q.socktype = si->type;
	memcpy(&q.addr, ss, sizeof(q.addr));
	q.addrlen = brk_sc_addr_normalize(&q.addr, len);
	q.family = q.addr.ss_family;
	if (exe)
		snprintf(q.exe, sizeof(q.exe), "%s", exe);
	if (si->type == SOCK_DGRAM && brk_sc_addr_port(&q.addr, q.addrlen) == 53) {
		q.payload = payload;
		q.payload_len = plen;
	}
	r = sc->ops->decide(sc->ctx, &q, why, sizeof(why));
	if (r < 0)
		r = -r;
	/* formatted only for a line that is written (an allowed connect's
	 * DEBUG line rarely is: inet_ntop + snprintf per connect otherwise) */
	if (r || dlp_log_get_level() >= DLP_LOG_DEBUG)
		brk_sc_addr_str(&q.addr, q.addrlen, dst, sizeof(dst));
	if (r) {
		atomic_fetch_add(&sc->n_denied, 1);
		dlp_log(DLP_LOG_INFO, "seccomp: denied %s %s pid %d: %s", sc_op_name[op], dst,
			(int)tgid, why);
	} else {
		dlp_log(DLP_LOG_DEBUG, "seccomp: allowed %s %s pid %d", sc_op_name[op], dst,
			(int)tgid);
	}
	q.payload = NULL; /* valid only during decide() */
	q.payload_len = 0;
#undef q
	return r;
}

static int sc_decide(struct brk_sc *sc, const struct seccomp_notif *n, pid_t tgid,
		     enum brk_sc_op op, const struct sc_sock *si, const struct sockaddr_storage *ss,
		     socklen_t len, const uint8_t *payload, size_t plen)
{
	return sc_decide_req(sc, n, tgid, op, si, ss, len, payload, plen, NULL, NULL);
}

static bool sc_local_is_loopback(const struct sockaddr_storage *ss);

/*
 * Before a loopback connect the supervisor makes: record the socket's local
 * address, so that the jail's accept() knows the connection is the jail's
 * own (brk_sc_own_take). An unbound socket is bound to the loopback address
 * of its family first (may_bind), so the address is known before the
 * listener can see the connection. Returns true when recorded.
 */
static bool sc_expect_loopback(int fd, const struct sockaddr_storage *dst, bool may_bind)
{
	struct sockaddr_storage l, b;
	socklen_t ll = sizeof(l);
	bool pure = dst->ss_family == AF_INET ||
		    IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)dst)->sin6_addr);

	if (!sc_local_is_loopback(dst))
		return false;
	memset(&l, 0, sizeof(l));
	if (getsockname(fd, (struct sockaddr *)&l, &ll) < 0)
		return false;
	if (brk_sc_addr_port(&l, ll) == 0) {
		if (!may_bind || !pure || l.ss_family != dst->ss_family)
			return false;
		memset(&b, 0, sizeof(b));
		b.ss_family = dst->ss_family;
		if (b.ss_family == AF_INET)
			((struct sockaddr_in *)&b)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else
			((struct sockaddr_in6 *)&b)->sin6_addr = in6addr_loopback;
		if (bind(fd, (struct sockaddr *)&b, b.ss_family == AF_INET ?
			 sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) < 0)
			return false;
		ll = sizeof(l);
		if (getsockname(fd, (struct sockaddr *)&l, &ll) < 0)
			return false;
	}
	brk_sc_own_expect(&l);
	return true;
}

/* Is the stream socket fd connected (to the relay, under the relay's road)? */
static bool sc_stream_connected(int fd)
{
	struct sockaddr_storage pa;
	socklen_t plen = sizeof(pa);

	return getpeername(fd, (struct sockaddr *)&pa, &plen) == 0;
}

/*
 * The relay's road (ops->relay_attach set): an own socket connects to the
 * destination q->addr first and its result is the target's; only then is
 * the target's socket (shared file) connected to the relay's loopback
 * listener and the upstream handed over, keyed by the target socket's
 * local address. The target's fd stays a TCP socket, so getsockopt,
 * setsockopt(TCP_NODELAY), shutdown and poll behave as before; its peer
 * is the relay (getpeername). A non-blocking caller waits here for the
 * upstream too and then gets EINPROGRESS on a socket that is already
 * connected (SO_ERROR 0), or the upstream's error at once.
 * Returns 0, -EINPROGRESS or the negative errno the target gets.
 */
static int sc_relay_connect(struct brk_sc *sc, const struct seccomp_notif *n, int sfd,
			    const struct sc_sock *si, const struct brk_sc_req *q)
{
	struct sc_sock usi = { .domain = q->addr.ss_family, .type = SOCK_STREAM, .flags = O_RDWR };
	struct sockaddr_storage ra, jl;
	socklen_t rlen = sizeof(ra), jlen = sizeof(jl);
	int ufd, r;

	ufd = socket(q->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ufd < 0)
		return -errno;
	(void)sc_expect_loopback(ufd, &q->addr, true); /* maybe the jail's own server */
	r = sc_connect_wait(sc, n, ufd, &usi, &q->addr, q->addrlen);
	if (r == 0)
		r = sc->ops->relay_addr(sc->ctx, si->domain, &ra, &rlen);
	if (r == 0)
		r = sc_connect_wait(sc, n, sfd, si, &ra, rlen);
	if (r == 0 && getsockname(sfd, (struct sockaddr *)&jl, &jlen) < 0)
		r = -errno;
	if (r < 0) {
		close(ufd);
		return r == -EINTR ? -EINTR : r;
	}
	r = sc->ops->relay_attach(sc->ctx, q, &jl, jlen, ufd); /* takes ufd */
	if (r < 0) {
		/* the relay will not carry it: the target's socket must not stay usable */
		(void)shutdown(sfd, SHUT_RDWR);
		return -ECONNABORTED;
	}
	return si->flags & O_NONBLOCK ? -EINPROGRESS : 0;
}

/* ---- the relay's road with the hold port (sc_hold.c) ------------------- */

/* The caller's answer, sent once: by the worker or the pending-connect thread. */
struct sc_ans {
	struct brk_sc *sc;
	__u64 id;
	bool due; /* not sent yet */
	int ok;   /* what success is: 0, or EINPROGRESS for a non-blocking caller */
};

static void sc_ans_send(struct sc_ans *a, int err)
{
	if (!a->due)
		return;
	a->due = false;
	sc_respond_id(a->sc, a->id, err);
}

/*
 * The upstream ufd is connected: park the target's socket sfd at the hold
 * port unless it is there already, join it by a simultaneous open, answer
 * the caller (0: its socket is connected now), and only then hand both
 * ends to the relay, so the caller runs while the relay thread wakes up.
 * Returns 0 or the negative errno the caller gets when not yet answered;
 * the target's socket never stays usable after a failure.
 */
static int sc_relay_join(struct brk_sc *sc, int sfd, int flags, int af,
			 const struct brk_sc_req *q, int ufd, bool parked, struct sc_ans *ans)
{
	struct sockaddr_storage jl;
	socklen_t jlen = sizeof(jl);
	int jfd, r = parked ? 0 : brk_sc_hold_park(sc->hold, sfd, af, flags);

	if (r < 0) {
		close(ufd);
		return r;
	}
	r = brk_sc_hold_join(sc->hold, sfd, !parked, &jfd, &jl, &jlen);
	if (r < 0) {
		close(ufd);
		brk_sc_hold_refuse(sc->hold, sfd, af, flags);
		return -ECONNABORTED;
	}
	sc_ans_send(ans, ans->ok);
	if (sc->ops->relay_adopt(sc->ctx, q, &jl, jlen, jfd, ufd) < 0) /* takes both */
		(void)shutdown(sfd, SHUT_RDWR); /* reset: the relay will not carry it */
	return 0;
}

/*
 * The upstream's result is known: err 0 (connected) or a positive errno.
 * A parked socket (non-blocking caller, answered EINPROGRESS) is joined or
 * made a refused connect; ETIMEDOUT is left to its own SYN timer, which
 * runs out the same way. Answers the caller if still due.
 */
static void sc_relay_finish(struct brk_sc *sc, int sfd, int flags, int af,
			    const struct brk_sc_req *q, int ufd, bool parked, int err,
			    struct sc_ans *ans)
{
	int r;

	if (!err) {
		r = sc_relay_join(sc, sfd, flags, af, q, ufd, parked, ans);
	} else {
		close(ufd);
		if (parked && err != ETIMEDOUT)
			brk_sc_hold_refuse(sc->hold, sfd, af, flags);
		r = -err;
	}
	sc_ans_send(ans, -r);
}

/* The pending-connect thread: an upstream's result arrived (or -1: cancelled). */
static void sc_pend_done(void *arg, struct brk_sc_pend_item *it, int err)
{
	struct brk_sc *sc = arg;
	struct sc_ans ans = { .sc = sc, .id = it->id, .due = it->answer };

	if (err < 0)
		close(it->ufd);
	else
		sc_relay_finish(sc, it->tfd, it->tflags, it->taf, it->req, it->ufd, !it->answer, err,
				&ans);
	close(it->tfd);
	free(it->req);
}

static bool sc_pend_alive(void *arg, const struct brk_sc_pend_item *it)
{
	struct brk_sc *sc = arg;

	if (atomic_load(&sc->stopping))
		return false;
	return !it->answer || seccomp_notify_id_valid(sc->notify_fd, it->id) == 0;
}

/*
 * Test hook (t/e2e/363-relay-listen-race.sh): with DLPJAIL_TEST_CONNECT_DELAY_MS
 * in the supervisor's environment (read once at start; the jail cannot set
 * it), a loopback upstream connect waits that long before connect() and
 * again before its address is recorded: the windows a listen() or an
 * accept() of the jail can race.
 */
static void sc_test_delay(const struct brk_sc *sc)
{
	struct timespec ts;

	if (sc->test_delay_ms <= 0)
		return;
	brk_sc_unlead(); /* others are served meanwhile (the jail's listen, accept) */
	ts.tv_sec = sc->test_delay_ms / 1000;
	ts.tv_nsec = (long)(sc->test_delay_ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/*
 * The relay's road (ops->relay_adopt and the hold port). An own socket
 * connects to the destination q->addr; its result is the target's. An
 * error the kernel gives at once (no route) is answered at once. A
 * non-blocking caller's socket is then parked in SYN_SENT and the caller
 * answered EINPROGRESS before anything else is done (no POLLOUT until the
 * upstream is there, then POLLOUT or POLLERR with SO_ERROR as the kernel
 * shows it). Known at once (a loopback upstream): joined here; otherwise
 * the pending thread finishes it, and a blocking caller stays in connect()
 * until that thread answers, so no worker waits. On success the target's
 * socket is joined to a socket of the relay by a simultaneous open
 * (sc_hold.c). *psfd may be taken (set to -1). Answers the caller.
 */
static void sc_relay_connect2(struct brk_sc *sc, const struct seccomp_notif *n, int *psfd,
			      const struct sc_sock *si, const struct brk_sc_req *q)
{
	struct sc_ans ans = { .sc = sc, .id = n->id, .due = true };
	bool nb = si->flags & O_NONBLOCK;
	struct brk_sc_pend_item *it;
	struct pollfd pf;
	int ufd, r, soerr = 0;
	socklen_t l = sizeof(soerr);
	bool loop;

	ufd = socket(q->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ufd < 0) {
		sc_ans_send(&ans, errno);
		return;
	}
	/*
	 * Maybe the jail's own server, now or by the time the SYN arrives
	 * (a listen() racing this connect): its accept() takes only
	 * connections whose address was recorded. Recorded after connect()
	 * (the kernel's port choice; an explicit bind(port 0) would search
	 * the port space past every TIME_WAIT of earlier upstreams), and an
	 * accept() in between waits for it (brk_sc_own_take_wait).
	 */
	loop = sc_local_is_loopback(&q->addr);
	if (loop)
		brk_sc_own_expect_begin();
	sc_test_delay(sc);
	r = connect(ufd, (const struct sockaddr *)&q->addr, q->addrlen) < 0 ? -errno : 0;
	if (loop) {
		sc_test_delay(sc);
		/* a refused connect has no address anyone could accept */
		brk_sc_own_expect_end(r == 0 || r == -EINPROGRESS ? ufd : -1);
	}
	if (r < 0 && r != -EINPROGRESS) { /* the kernel's immediate answer */
		close(ufd);
		sc_ans_send(&ans, -r);
		return;
	}
	if (r == -EINPROGRESS) {
		/* a loopback upstream has answered when connect() returns */
		struct tcp_info ti;
		socklen_t til = sizeof(ti);

		if (getsockopt(ufd, IPPROTO_TCP, TCP_INFO, &ti, &til) == 0 &&
		    ti.tcpi_state == TCP_ESTABLISHED) {
			r = 0;
		} else {
			pf.fd = ufd;
			pf.events = POLLOUT;
			if (poll(&pf, 1, 0) == 1 &&
			    getsockopt(ufd, SOL_SOCKET, SO_ERROR, &soerr, &l) == 0)
				r = -soerr;
		}
	}
	if (r != -EINPROGRESS) {
		/*
		 * Known now (a loopback upstream): a refusal is answered at
		 * once, as asyncio, libuv and Go accept; a non-blocking caller
		 * is answered EINPROGRESS once its socket is joined.
		 */
		ans.ok = nb ? EINPROGRESS : 0;
		sc_relay_finish(sc, *psfd, si->flags, si->domain, q, ufd, false, -r, &ans);
		return;
	}
	if (nb) {
		r = brk_sc_hold_park(sc->hold, *psfd, si->domain, si->flags);
		if (r < 0) {
			close(ufd);
			sc_ans_send(&ans, -r);
			return;
		}
		sc_ans_send(&ans, EINPROGRESS); /* the caller runs on from here */
	}
	it = calloc(1, sizeof(*it));
	if (it && !(it->req = malloc(sizeof(*q)))) {
		free(it);
		it = NULL;
	}
	if (it) {
		memcpy(it->req, q, sizeof(*q));
		it->ufd = ufd;
		it->tfd = *psfd;
		it->tflags = si->flags;
		it->taf = si->domain;
		it->answer = ans.due;
		it->id = n->id;
		it->tid = (pid_t)n->pid;
		if (brk_sc_pend_add(sc->pend, it) == 0) {
			*psfd = -1;
			return;
		}
		free(it->req);
		free(it);
	}
	/* no room: wait here, as before the pending thread (answered: no id to watch) */
	brk_sc_unlead();
	if (ans.due) {
		r = sc_wait(sc, n, ufd, POLLOUT);
	} else {
		pf.fd = ufd;
		pf.events = POLLOUT;
		while ((r = poll(&pf, 1, SC_WAIT_SLICE_MS)) == 0 && !atomic_load(&sc->stopping))
			;
		r = r > 0 ? 0 : -EINTR;
	}
	if (r == 0 && getsockopt(ufd, SOL_SOCKET, SO_ERROR, &soerr, &l) < 0)
		r = -errno;
	if (r < 0) {
		close(ufd);
		if (nb)
			brk_sc_hold_refuse(sc->hold, *psfd, si->domain, si->flags);
		sc_ans_send(&ans, -r);
		return;
	}
	sc_relay_finish(sc, *psfd, si->flags, si->domain, q, ufd, nb, soerr, &ans);
}

/* ---- handlers ---------------------------------------------------------- */

/*
 * AF_UNIX connect(), performed here on the target's socket (never
 * CONTINUEd: the kernel would read the path again from the target's memory
 * and look it up again, so a thread re-pointing a symlink or rewriting
 * the name, or swapping the fd for a UDP socket, would win the race). A
 * filesystem name is opened once as O_PATH in the target's root or cwd
 * (sc_unix_open), judged on that inode, and the connect goes to
 * "/proc/self/fd/N": the inode checked is the inode connected. Abstract
 * names are judged and connected as given. The listener's SO_PEERCRED
 * then names the broker's pid: the caller's tgid is recorded by the
 * client socket's inode for brk_sc_unix_caller() (the broker's own
 * clients); other listeners see the same uid/gid and the broker's pid.
 */
static void h_connect_unix(struct sc_worker *w, const struct seccomp_notif *n, int sfd,
			   const struct sc_sock *si, pid_t tgid, struct sockaddr_storage *ss,
			   socklen_t alen)
{
	struct brk_sc *sc = w->sc;
	struct sockaddr_un *su = (struct sockaddr_un *)ss;
	char why[BRK_SC_WHY_MAX] = "";
	struct stat cst;
	socklen_t len = alen;
	int pfd = -1, r;

	if (alen > sizeof(sa_family_t) && ss->ss_family == AF_UNIX) {
		if (su->sun_path[0] == '\0') {
			r = sc_unix_check(sc, n, tgid, ss, alen, why, sizeof(why));
			if (r > 0) {
				sc_refuse(w, n, r, why);
				return;
			}
			if (r < 0) {
				sc_respond(w, n, 0, -r, false);
				return;
			}
		} else {
			/* resolve once, judge that inode, connect to it (sc_unix_dest) */
			r = sc_unix_dest(sc, n, tgid, ss, &len, &pfd);
			if (r < 0) { /* refusals are reported there */
				sc_respond(w, n, 0, -r, false);
				return;
			}
		}
	}
	if (fstat(sfd, &cst) == 0)
		brk_sc_unix_caller_set((unsigned long)cst.st_ino, tgid);
	for (;;) {
		r = sc_do_connect(sc, n, sfd, si, ss, len);
		/* a full backlog: the kernel makes a blocking caller wait for room */
		if (r != -EAGAIN || (si->flags & O_NONBLOCK) || atomic_load(&sc->stopping) ||
		    !sc_alive(sc, n))
			break;
		(void)poll(NULL, 0, 10);
	}
	if (pfd >= 0)
		close(pfd);
	atomic_fetch_add(&sc->n_emul, 1);
	if (r == -EINTR && !sc_alive(sc, n))
		return;
	sc_respond(w, n, 0, -r, false);
}

static void h_connect(struct sc_worker *w, const struct seccomp_notif *n)
{
	struct brk_sc *sc = w->sc;
	struct sockaddr_storage ss;
	struct brk_sc_req q;
	int tfd = (int)n->data.args[0];
	int alen = (int)n->data.args[2];
	struct sc_sock si;
	char exe[BRK_SC_EXE_MAX] = "";
	pid_t tgid = 0;
	int sfd = -1, tstate = -1, r;

	memset(&ss, 0, sizeof(ss));
	if (alen < 0 || (size_t)alen > sizeof(ss)) {
		sc_respond(w, n, 0, EINVAL, false);
		return;
	}
	/* the fd first: it names the caller's process, whose memory is read */
	sfd = sc_getfd(sc, (pid_t)n->pid, tfd, &tgid);
	r = sfd < 0 ? sfd : brk_sc_mem_peek(sc->mem, tgid, (pid_t)n->pid, n->data.args[1], &ss,
					    (size_t)alen, exe, sizeof(exe));
	if (r == 0)
		r = sc_sockinfo_conn(sfd, &si, &tstate);
	if (!sc_alive(sc, n)) { /* after every read: pid reuse guard */
		atomic_fetch_add(&sc->n_stale, 1);
		goto out;
	}
	if (r < 0) {
		sc_respond(w, n, 0, r == -ESRCH ? EBADF : -r, false);
		goto out;
	}
	if (si.domain == AF_UNIX) {
		brk_sc_unlead(); /* a path lookup in the jail's view may take its time */
		h_connect_unix(w, n, sfd, &si, tgid, &ss, (socklen_t)alen);
		goto out;
	}
	if (!sc_is_inet(si.domain)) {
		/*
		 * AF_NETLINK: performed here on our copy too (it only sets a
		 * default peer). CONTINUE would let a thread swap a UDP socket
		 * onto the fd number and point the name at any address.
		 */
		r = connect(sfd, (const struct sockaddr *)&ss, (socklen_t)alen) < 0 ? errno : 0;
		atomic_fetch_add(&sc->n_emul, 1);
		sc_respond(w, n, 0, r, false);
		goto out;
	}
	if ((size_t)alen < sizeof(sa_family_t)) {
		sc_respond(w, n, 0, EINVAL, false);
		goto out;
	}
	if (ss.ss_family != AF_UNSPEC) { /* AF_UNSPEC = dissolve the association */
		if (!sc_is_inet(ss.ss_family)) {
			sc_respond(w, n, 0, EAFNOSUPPORT, false);
			goto out;
		}
		if ((socklen_t)alen < sc_min_len(ss.ss_family)) {
			sc_respond(w, n, 0, EINVAL, false);
			goto out;
		}
		if (si.type == SOCK_STREAM && sc->ops->relay_adopt && sc->hold &&
		    (r = tstate) != TCP_CLOSE && r >= 0) {
			/*
			 * Connected (EISCONN, see below), or parked at the hold
			 * port waiting for its upstream: what the kernel answers
			 * a connect() in progress.
			 */
			sc_respond(w, n, 0, r == TCP_SYN_SENT ? EALREADY : EISCONN, false);
			goto out;
		}
		if (si.type == SOCK_STREAM && sc->ops->relay_attach && !sc->hold &&
		    sc_stream_connected(sfd)) {
			/*
			 * A second connect() on a connected stream: the kernel's answer
			 * is EISCONN (how Ruby, Java and others finish a non-blocking
			 * connect). Never a new upstream: an unpaired one would hold
			 * a single-threaded server until the pairing timeout.
			 */
			sc_respond(w, n, 0, EISCONN, false);
			goto out;
		}
		r = sc_decide_req(sc, n, tgid, BRK_SC_CONNECT, &si, &ss, (socklen_t)alen, NULL, 0,
				  exe, &q);
		if (r) {
			sc_respond(w, n, 0, r, false);
			goto out;
		}
		if (si.type == SOCK_STREAM && sc->ops->relay_adopt && sc->hold) {
			atomic_fetch_add(&sc->n_emul, 1);
			sc_relay_connect2(sc, n, &sfd, &si, &q); /* answers */
			goto out;
		}
		if (si.type == SOCK_STREAM && sc->ops->relay_attach) {
			r = sc_relay_connect(sc, n, sfd, &si, &q);
			atomic_fetch_add(&sc->n_emul, 1);
			sc_respond(w, n, 0, -r, false);
			goto out;
		}
	}
	{
		bool rec = si.type == SOCK_STREAM && ss.ss_family != AF_UNSPEC &&
			   sc_expect_loopback(sfd, &ss, true);

		r = sc_do_connect(sc, n, sfd, &si, &ss, (socklen_t)alen);
		if (!rec && si.type == SOCK_STREAM && ss.ss_family != AF_UNSPEC)
			(void)sc_expect_loopback(sfd, &ss, false); /* v4-mapped: after the fact */
	}
	atomic_fetch_add(&sc->n_emul, 1);
	sc_respond(w, n, 0, -r, false);
out:
	if (sfd >= 0)
		close(sfd);
}

/* One send as the target described it (pointers into the target). */
struct sc_tmsg {
	uint64_t name;
	int namelen;
	uint64_t iov;       /* target struct iovec[] ... */
	size_t iovlen;
	uint64_t buf;       /* ... or one buffer (sendto) */
	size_t len;
	uint64_t control;
	size_t controllen;
};

/*
 * Copy, judge and perform one send on an AF_INET/AF_INET6/AF_NETLINK socket.
 * Returns bytes sent or -errno (-EACCES etc. on refusal, already reported).
 */
static long sc_send_inner(struct sc_worker *w, const struct seccomp_notif *n, int sfd,
			  const struct sc_sock *si, const struct sc_tmsg *t, int flags, pid_t tgid,
			  int *keep, unsigned int *nkeep)
{
	struct brk_sc *sc = w->sc;
	pid_t tid = (pid_t)n->pid;
	struct sockaddr_storage ss;
	struct msghdr m;
	struct iovec one;
	size_t total = 0, cap = BRK_SC_PAYLOAD_MAX, i;
	socklen_t nlen = 0;
	enum brk_sc_op op;
	bool stream = si->type == SOCK_STREAM;
	int r;

	memset(&ss, 0, sizeof(ss));
	memset(&m, 0, sizeof(m));
	/* Name: the kernel clamps an oversize length to sockaddr_storage. */
	if (t->name && t->namelen) {
		if (t->namelen < 0)
			return -EINVAL;
		nlen = (socklen_t)t->namelen;
		if (nlen > sizeof(ss))
			nlen = sizeof(ss);
		r = sc_peek(tid, t->name, &ss, nlen);
		if (r < 0)
			return r;
	}
	/* Payload: gather into our buffer. Streams may be cut short (a short write). */
	if (t->iov) {
		if (t->iovlen > UIO_MAXIOV)
			return -EMSGSIZE;
		r = sc_peek(tid, t->iov, w->tiov, t->iovlen * sizeof(struct iovec));
		if (r < 0)
			return r;
		for (i = 0; i < t->iovlen && total < cap; i++) {
			size_t l = w->tiov[i].iov_len;

			if (l > SSIZE_MAX)
				return -EINVAL;
			if (l > cap - total) {
				if (!stream)
					return -EMSGSIZE;
				l = cap - total;
			}
			r = sc_peek(tid, (uint64_t)(uintptr_t)w->tiov[i].iov_base, w->buf + total, l);
			if (r < 0)
				return r;
			total += l;
		}
		for (; i < t->iovlen; i++)
			if (w->tiov[i].iov_len && !stream)
				return -EMSGSIZE;
	} else if (t->len) {
		total = t->len;
		if (total > cap) {
			if (!stream)
				return -EMSGSIZE;
			total = cap;
		}
		r = sc_peek(tid, t->buf, w->buf, total);
		if (r < 0)
			return r;
	}
	if (t->control && t->controllen) {
		/* Netlink would parse SCM_RIGHTS/CREDENTIALS as OUR fds and creds
		 * (AF_UNIX rights are translated below). */
		if (si->domain == AF_NETLINK || t->controllen > SC_CTL_MAX)
			return -EOPNOTSUPP;
		r = sc_peek(tid, t->control, w->ctl, t->controllen);
		if (r < 0)
			return r;
		m.msg_control = w->ctl;
		m.msg_controllen = t->controllen;
		if (si->domain == AF_UNIX && (r = sc_unix_rights(sc, n, &m, keep, nkeep)) < 0)
			return r;
	}
	if (!sc_alive(sc, n))
		return -EINTR;

	if (si->domain == AF_UNIX) {
		/* performed here, never CONTINUEd: the fd cannot be swapped under it */
		if (nlen && (r = sc_unix_dest(sc, n, tgid, &ss, &nlen, &keep[*nkeep])) < 0)
			return r;
		if (nlen && keep[*nkeep] >= 0)
			(*nkeep)++;
	} else if (si->domain == AF_NETLINK) {
		if (brk_sc_nl_is_change(w->buf, total)) {
			sc_report(sc, n, "netlink route change (RTM_NEW*/DEL*/SET*)");
			return -EPERM;
		}
	} else {
		op = (flags & MSG_FASTOPEN) ? BRK_SC_FASTOPEN : BRK_SC_SENDTO;
		if (op == BRK_SC_FASTOPEN && stream && sc->ops->relay_attach) {
			/* data in the SYN would go straight to the destination;
			 * a denied one is still refused as such */
			if (nlen >= sc_min_len(AF_INET) && sc_is_inet(ss.ss_family) &&
			    nlen >= sc_min_len(ss.ss_family) &&
			    (r = sc_decide(sc, n, tgid, op, si, &ss, nlen, NULL, 0)) != 0)
				return -r;
			sc_report(sc, n, "TCP Fast Open under the relay (connect first)");
			return -EOPNOTSUPP;
		}
		if (nlen >= sizeof(sa_family_t) && ss.ss_family == AF_UNSPEC) {
			/* UDPv4 reads sin_addr of an AF_UNSPEC name; UDPv6 ignores the name. */
			if (si->domain == AF_INET6) {
				nlen = 0;
			} else {
				if (nlen < sizeof(struct sockaddr_in))
					return -EINVAL;
				ss.ss_family = AF_INET;
			}
		}
		if (nlen) {
			if (nlen < sizeof(sa_family_t) || !sc_is_inet(ss.ss_family))
				return -EAFNOSUPPORT;
			if (nlen < sc_min_len(ss.ss_family))
				return -EINVAL;
			r = sc_decide(sc, n, tgid, op, si, &ss, nlen, w->buf, total);
			if (r)
				return -r;
		} else if (si->type == SOCK_DGRAM) {
			/* Connected datagram socket: show DNS payloads to the policy. */
			struct sockaddr_storage peer;
			socklen_t pl = sizeof(peer);

			if (getpeername(sfd, (struct sockaddr *)&peer, &pl) == 0 &&
			    brk_sc_addr_port(&peer, pl) == 53) {
				r = sc_decide(sc, n, tgid, op, si, &peer, pl, w->buf, total);
				if (r)
					return -r;
			}
		}
		/* TFO without a name (deferred-connect socket): vetted at connect. */
	}
	one.iov_base = w->buf;
	one.iov_len = total;
	m.msg_name = nlen ? &ss : NULL;
	m.msg_namelen = nlen;
	m.msg_iov = &one;
	m.msg_iovlen = 1;
	atomic_fetch_add(&sc->n_emul, 1);
	return sc_do_sendmsg(sc, n, sfd, si, &m, flags, tgid);
}

/*
 * Copy, judge and perform one send on an AF_INET/AF_INET6/AF_NETLINK/AF_UNIX
 * socket. Returns bytes sent or -errno (-EACCES etc. on refusal, already
 * reported). Our copies of passed fds and the O_PATH destination are
 * closed once the kernel has taken its references.
 */
static long sc_send_one(struct sc_worker *w, const struct seccomp_notif *n, int sfd,
			const struct sc_sock *si, const struct sc_tmsg *t, int flags, pid_t tgid)
{
	int keep[SC_MAX_PASSFD + 1];
	unsigned int nkeep = 0, i;
	long r = sc_send_inner(w, n, sfd, si, t, flags, tgid, keep, &nkeep);

	for (i = 0; i < nkeep; i++)
		close(keep[i]);
	return r;
}

/* Reply with the result of sc_send_one. */
static void sc_send_reply(struct sc_worker *w, const struct seccomp_notif *n, long r)
{
	sc_respond(w, n, r < 0 ? 0 : r, r < 0 ? (int)-r : 0, false);
}

/* Common front part: fetch the socket, or answer. Returns sfd or -1 (answered). */
static int sc_front(struct sc_worker *w, const struct seccomp_notif *n, int tfd,
		    struct sc_sock *si, pid_t *tgid)
{
	int sfd = sc_getfd(w->sc, (pid_t)n->pid, tfd, tgid);
	int r = sfd < 0 ? sfd : sc_sockinfo(sfd, si);

	if (!sc_alive(w->sc, n)) {
		atomic_fetch_add(&w->sc->n_stale, 1);
		r = -ESRCH;
	} else if (r < 0) {
		sc_respond(w, n, 0, r == -ESRCH ? EBADF : -r, false);
	}
	if (r < 0) {
		if (sfd >= 0)
			close(sfd);
		return -1;
	}
	return sfd;
}

/* Sends of every family the filter lets exist are performed here (no CONTINUE). */
static bool sc_emulated_domain(int af)
{
	return sc_is_inet(af) || af == AF_NETLINK || af == AF_UNIX;
}

static void h_sendto(struct sc_worker *w, const struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	struct sc_tmsg t = { .buf = a[1], .len = (size_t)a[2], .name = a[4], .namelen = (int)a[5] };
	struct sc_sock si;
	pid_t tgid;
	int sfd = sc_front(w, n, (int)a[0], &si, &tgid);

	if (sfd < 0)
		return;
	if (!sc_emulated_domain(si.domain))
		sc_refuse(w, n, EOPNOTSUPP, "send on a socket family the jail cannot create");
	else
		sc_send_reply(w, n, sc_send_one(w, n, sfd, &si, &t, (int)a[3], tgid));
	close(sfd);
}

static void h_sendmsg(struct sc_worker *w, const struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	struct msghdr um;
	struct sc_tmsg t;
	struct sc_sock si;
	pid_t tgid;
	int sfd, r;

	r = sc_peek((pid_t)n->pid, a[1], &um, sizeof(um));
	if (r < 0) {
		if (sc_alive(w->sc, n))
			sc_respond(w, n, 0, EFAULT, false);
		return;
	}
	sfd = sc_front(w, n, (int)a[0], &si, &tgid);
	if (sfd < 0)
		return;
	if (!sc_emulated_domain(si.domain)) {
		sc_refuse(w, n, EOPNOTSUPP, "send on a socket family the jail cannot create");
	} else {
		t = (struct sc_tmsg){
			.name = (uint64_t)(uintptr_t)um.msg_name, .namelen = (int)um.msg_namelen,
			.iov = (uint64_t)(uintptr_t)um.msg_iov, .iovlen = um.msg_iovlen,
			.control = (uint64_t)(uintptr_t)um.msg_control,
			.controllen = um.msg_controllen,
		};
		if (!t.iov && t.iovlen)
			sc_send_reply(w, n, -EFAULT);
		else
			sc_send_reply(w, n, sc_send_one(w, n, sfd, &si, &t, (int)a[2], tgid));
	}
	close(sfd);
}

static void h_sendmmsg(struct sc_worker *w, const struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	unsigned int vlen = (unsigned int)a[2], i, sent = 0;
	struct sc_sock si;
	pid_t tgid;
	long r = 0;
	int sfd;

	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV; /* as the kernel does */
	if (sc_peek((pid_t)n->pid, a[1], w->mmsg, vlen * sizeof(struct mmsghdr)) < 0) {
		if (sc_alive(w->sc, n))
			sc_respond(w, n, 0, EFAULT, false);
		return;
	}
	sfd = sc_front(w, n, (int)a[0], &si, &tgid);
	if (sfd < 0)
		return;
	if (!sc_emulated_domain(si.domain)) {
		sc_refuse(w, n, EOPNOTSUPP, "send on a socket family the jail cannot create");
		close(sfd);
		return;
	}
	for (i = 0; i < vlen; i++) {
		const struct msghdr *um = &w->mmsg[i].msg_hdr;
		struct sc_tmsg t = {
			.name = (uint64_t)(uintptr_t)um->msg_name, .namelen = (int)um->msg_namelen,
			.iov = (uint64_t)(uintptr_t)um->msg_iov, .iovlen = um->msg_iovlen,
			.control = (uint64_t)(uintptr_t)um->msg_control,
			.controllen = um->msg_controllen,
		};
		unsigned int len32;

		r = sc_send_one(w, n, sfd, &si, &t, (int)a[3], tgid);
		if (r < 0)
			break;
		len32 = (unsigned int)r;
		/* The caller reads msg_len (glibc's resolver checks it). */
		if (sc_poke((pid_t)n->pid,
			    a[1] + i * sizeof(struct mmsghdr) + offsetof(struct mmsghdr, msg_len),
			    &len32, sizeof(len32)) < 0) {
			r = -EFAULT;
			break;
		}
		sent++;
	}
	if (sent)
		sc_respond(w, n, sent, 0, false);
	else
		sc_send_reply(w, n, r);
	close(sfd);
}

static void h_personality(struct sc_worker *w, const struct seccomp_notif *n)
{
	uint32_t p = (uint32_t)n->data.args[0];

	/* A register argument: CONTINUE cannot be raced. */
	if (p == 0 || p == 0xffffffffU)
		sc_continue(w, n, -1, -1);
	else
		sc_refuse(w, n, EPERM, "personality change");
}

/* Is this bound local address a loopback one (127/8, ::1, ::ffff:127/104)? */
static bool sc_local_is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family != AF_INET6)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127;
}

/*
 * listen(): performed here on the file we checked, never CONTINUEd (a
 * swapped fd would listen unvetted). An inet socket must be bound to a
 * loopback address first: a listener on any other address (or an unbound
 * one, which listen() binds to every address) lets a remote peer connect
 * and read what the jail writes on the accepted socket, which no relay
 * sees. AF_UNIX listeners are the jail's own (the peer credentials their
 * clients see are the broker's pid, same uid/gid).
 */
static void h_listen(struct sc_worker *w, const struct seccomp_notif *n)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct sc_sock si;
	char what[BRK_SC_WHY_MAX], a[96];
	pid_t tgid;
	int sfd = sc_front(w, n, (int)n->data.args[0], &si, &tgid);

	if (sfd < 0)
		return;
	if (sc_is_inet(si.domain)) {
		memset(&ss, 0, sizeof(ss));
		if (getsockname(sfd, (struct sockaddr *)&ss, &sl) < 0) {
			sc_respond(w, n, 0, errno, false);
			goto out;
		}
		if (brk_sc_addr_port(&ss, sl) <= 0 || !sc_local_is_loopback(&ss)) {
			brk_sc_addr_str(&ss, sl, a, sizeof(a));
			snprintf(what, sizeof(what), "listen on %s (only loopback listeners: an "
				 "inbound connection is an outbound channel)",
				 brk_sc_addr_port(&ss, sl) <= 0 ? "an unbound socket (every address)" : a);
			sc_refuse(w, n, EPERM, what);
			goto out;
		}
	}
	atomic_fetch_add(&w->sc->n_emul, 1);
	if (listen(sfd, (int)n->data.args[1]) < 0) {
		sc_respond(w, n, 0, errno, false);
		goto out;
	}
	{
		struct stat st; /* inet and AF_UNIX: a listener of the jail's own */

		if (fstat(sfd, &st) == 0)
			brk_sc_own_add(w->sc->own, (unsigned long)st.st_ino);
	}
	sc_respond(w, n, 0, 0, false);
out:
	close(sfd);
}

/*
 * accept()/accept4(): performed here (never CONTINUEd), and a connection
 * the jail did not make is refused: a host process connecting to a jail
 * listener on loopback could read what the jail writes on the accepted
 * socket, which no relay sees (a browser page through DNS rebinding, any
 * local user). Inet peers must be recorded by sc_expect_loopback (the
 * relay's upstream to the jail's own server, or the jail's socket without
 * the relay); AF_UNIX peers must be processes of the tree (SO_PEERCRED).
 * A refused connection is reset and evented; a blocking caller waits for
 * the next one, a non-blocking one gets EAGAIN (as after a spurious
 * wake-up). The accepted socket is installed with ADDFD_FLAG_SEND.
 */
static void h_accept(struct sc_worker *w, const struct seccomp_notif *n, bool four)
{
	struct brk_sc *sc = w->sc;
	const __u64 *a = n->data.args;
	int flags = four ? (int)a[3] : 0, sfd, nfd = -1, r;
	struct sockaddr_storage peer;
	socklen_t plen;
	struct sc_sock si;
	pid_t tgid;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
		sc_respond(w, n, 0, EINVAL, false);
		return;
	}
	sfd = sc_front(w, n, (int)a[0], &si, &tgid);
	if (sfd < 0)
		return;
	for (;;) {
		struct ucred uc;
		socklen_t ul = sizeof(uc);
		char what[BRK_SC_WHY_MAX], ps[96];
		bool ok;

		plen = sizeof(peer);
		memset(&peer, 0, sizeof(peer));
		/*
		 * O_NONBLOCK lives in the file the target's other threads and
		 * processes share (prefork servers accept on one socket): set it
		 * only around our call, and read the real flags under a lock all
		 * emulated accepts take, so that none of them mistakes another's
		 * toggle for the caller's mode.
		 */
		pthread_mutex_lock(&sc->accept_lock);
		si.flags = fcntl(sfd, F_GETFL);
		if (si.flags >= 0 && !(si.flags & O_NONBLOCK))
			(void)fcntl(sfd, F_SETFL, si.flags | O_NONBLOCK);
		nfd = accept4(sfd, (struct sockaddr *)&peer, &plen,
			      SOCK_CLOEXEC | (flags & SOCK_NONBLOCK));
		r = nfd < 0 ? errno : 0;
		if (si.flags >= 0 && !(si.flags & O_NONBLOCK))
			(void)fcntl(sfd, F_SETFL, si.flags);
		pthread_mutex_unlock(&sc->accept_lock);
		if (si.flags < 0)
			si.flags = 0;
		if (nfd < 0 && (r == EAGAIN || r == EWOULDBLOCK) && !(si.flags & O_NONBLOCK)) {
			if (sc_wait(sc, n, sfd, POLLIN) < 0) {
				r = EINTR;
				break;
			}
			continue;
		}
		if (nfd < 0)
			break;
		if (si.domain == AF_UNIX)
			ok = getsockopt(nfd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == 0 &&
			     (uc.pid == getpid() || brk_sc_own_pid(uc.pid, sc->child));
		else
			ok = brk_sc_own_take_wait(&peer);
		if (ok)
			break;
		if (si.domain == AF_UNIX)
			snprintf(ps, sizeof(ps), "pid %d", (int)uc.pid);
		else
			brk_sc_addr_str(&peer, plen, ps, sizeof(ps));
		snprintf(what, sizeof(what), "inbound connection from %s, not a process of the "
			 "jail, to its listener (reset)", ps);
		sc_report(sc, n, what);
		{
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			(void)setsockopt(nfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(nfd);
		nfd = -1;
		if (si.flags & O_NONBLOCK) {
			r = EAGAIN;
			break;
		}
	}
	if (nfd < 0) {
		sc_respond(w, n, 0, r, false);
		goto out;
	}
	if (a[1] && a[2]) { /* the peer address, truncated as the kernel does */
		socklen_t ulen;

		if (sc_peek((pid_t)n->pid, a[2], &ulen, sizeof(ulen)) < 0 ||
		    sc_poke((pid_t)n->pid, a[1], &peer, ulen < plen ? ulen : plen) < 0 ||
		    sc_poke((pid_t)n->pid, a[2], &plen, sizeof(plen)) < 0) {
			close(nfd);
			sc_respond(w, n, 0, EFAULT, false);
			goto out;
		}
	}
	{
		struct seccomp_notif_addfd af = {
			.id = n->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (__u32)nfd,
			.newfd_flags = (flags & SOCK_CLOEXEC) ? O_CLOEXEC : 0,
		};

		atomic_fetch_add(&sc->n_emul, 1);
		if (ioctl(sc->notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &af) < 0)
			atomic_fetch_add(&sc->n_stale, 1); /* the target is gone or interrupted */
	}
	close(nfd);
out:
	close(sfd);
}

/* ---- dispatch ---------------------------------------------------------- */

static void sc_handle(struct sc_worker *w, const struct seccomp_notif *n)
{
	struct brk_sc *sc = w->sc;
	int nr = n->data.nr;
	size_t i;

	for (i = 0; i < brk_sc_nrules; i++) {
		const struct brk_sc_rule *r = &brk_sc_rules[i];

		if (sc->rule_nr[i] == nr && r->kind == BRK_SC_K_REFUSE &&
		    brk_sc_rule_args_match(r, n->data.args)) {
			sc_refuse(w, n, r->err, r->what);
			return;
		}
	}
	if (nr == sc->call_nr[SC_CONNECT])
		h_connect(w, n);
	else if (nr == sc->call_nr[SC_SENDTO])
		h_sendto(w, n);
	else if (nr == sc->call_nr[SC_SENDMSG])
		h_sendmsg(w, n);
	else if (nr == sc->call_nr[SC_SENDMMSG])
		h_sendmmsg(w, n);
	else if (nr == sc->call_nr[SC_PERSONALITY])
		h_personality(w, n);
	else if (nr == sc->call_nr[SC_LISTEN])
		h_listen(w, n);
	else if (nr == sc->call_nr[SC_ACCEPT])
		h_accept(w, n, false);
	else if (nr == sc->call_nr[SC_ACCEPT4])
		h_accept(w, n, true);
	else
		sc_refuse(w, n, ENOSYS, "syscall trapped without a handler"); /* table bug */
}

static int sc_spawn_worker(struct brk_sc *sc);

static __thread struct sc_worker *sc_self; /* the worker this thread is */

/*
 * Hand the lead on, if this thread has it: before anything that may
 * wait, so the next notification is received meanwhile. Everyone else
 * busy (a slow connect, say): grow so someone leads.
 */
void brk_sc_unlead(void)
{
	struct sc_worker *w = sc_self;
	struct brk_sc *sc;

	if (!w || !w->leading)
		return;
	sc = w->sc;
	w->leading = false;
	pthread_mutex_unlock(&sc->lead_lock);
	pthread_mutex_lock(&sc->lock);
	if (atomic_load(&sc->busy) >= sc->nworkers && sc_spawn_worker(sc) == 0)
		dlp_log(DLP_LOG_DEBUG, "seccomp: %u supervisor threads", sc->nworkers);
	pthread_mutex_unlock(&sc->lock);
}

/*
 * Handle this one with the lead kept? Only an inet connect() (its waits
 * hand the lead on; AF_UNIX ones hand it on in h_connect), and only when
 * no other notification waits already: a burst is still received in
 * parallel.
 */
static bool sc_keeps_lead(struct brk_sc *sc, const struct seccomp_notif *n)
{
	struct pollfd p = { .fd = sc->notify_fd, .events = POLLIN };

	if (n->data.nr != sc->call_nr[SC_CONNECT])
		return false;
	return poll(&p, 1, 0) == 0;
}

/*
 * Leader step: poll and receive one notification into *n. Returns 1 with
 * a notification, 0 for nothing (spurious wake-up, vanished target), -1
 * when the pool must stop. Called with lead_lock held.
 */
static int sc_lead(struct brk_sc *sc, struct seccomp_notif *req)
{
	struct pollfd p[3] = {
		{ .fd = sc->notify_fd, .events = POLLIN },
		{ .fd = sc->stop_efd, .events = POLLIN },
		{ .fd = atomic_load(&sc->child_exited) ? -1 : sc->child_pidfd, .events = POLLIN },
	};
	int r;

	if (atomic_load(&sc->done))
		return -1;
	r = poll(p, 3, -1);
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		dlp_log(DLP_LOG_ERR, "seccomp: poll: %s", strerror(errno));
		atomic_store(&sc->done, true);
		return -1;
	}
	if (p[1].revents || atomic_load(&sc->stopping)) {
		atomic_store(&sc->done, true);
		return -1;
	}
	if (p[2].revents)
		atomic_store(&sc->child_exited, 1);
	if (p[0].revents & POLLIN) {
		/* memset first: the kernel rejects a dirty buffer with EINVAL */
		memset(req, 0, sizeof(*req));
		if (seccomp_notify_receive(sc->notify_fd, req) < 0)
			return 0; /* ENOENT: the target went away between poll and receive */
		atomic_fetch_add(&sc->n_notif, 1);
		return 1;
	}
	if (p[0].revents & (POLLHUP | POLLERR)) {
		/* No task uses the filter any more: the whole tree is gone. */
		atomic_store(&sc->tree_exited, 1);
		atomic_store(&sc->done, true);
		return -1;
	}
	return 0;
}

static void *sc_worker_main(void *arg)
{
	struct sc_worker *w = arg;
	struct brk_sc *sc = w->sc;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	int r;

	/* the kernel's notification may be larger than our struct: size it like libseccomp */
	if (seccomp_notify_alloc(&req, &resp) < 0) {
		dlp_log(DLP_LOG_ERR, "seccomp: cannot allocate notification buffers");
		return NULL;
	}
	sc_self = w;
	for (;;) {
		if (!w->leading) {
			pthread_mutex_lock(&sc->lead_lock);
			w->leading = true;
		}
		r = sc_lead(sc, req);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		atomic_fetch_add(&sc->busy, 1);
		if (!sc_keeps_lead(sc, req))
			brk_sc_unlead();
		sc_handle(w, req);
		atomic_fetch_sub(&sc->busy, 1);
	}
	brk_sc_unlead();
	seccomp_notify_free(req, resp);
	return NULL;
}

static void sc_worker_free(struct sc_worker *w)
{
	free(w->buf);
	free(w->tiov);
	free(w->ctl);
	free(w->mmsg);
	free(w->resp);
	w->buf = NULL;
	w->tiov = NULL;
	w->ctl = NULL;
	w->mmsg = NULL;
	w->resp = NULL;
}

/* Caller holds sc->lock. Signals stay with the launcher's own threads. */
static int sc_spawn_worker(struct brk_sc *sc)
{
	struct sc_worker *w;
	sigset_t all, old;
	int rc;

	if (sc->nworkers >= sc->opts.max_threads)
		return -EAGAIN;
	w = &sc->workers[sc->nworkers];
	memset(w, 0, sizeof(*w));
	w->sc = sc;
	w->buf = malloc(BRK_SC_PAYLOAD_MAX);
	w->tiov = malloc(UIO_MAXIOV * sizeof(struct iovec));
	w->ctl = malloc(SC_CTL_MAX);
	w->mmsg = malloc(UIO_MAXIOV * sizeof(struct mmsghdr));
	/* The kernel's resp may be larger than ours: size it like libseccomp does. */
	w->resp = calloc(1, sizeof(struct seccomp_notif_resp) + 64);
	if (!w->buf || !w->tiov || !w->ctl || !w->mmsg || !w->resp) {
		sc_worker_free(w);
		return -ENOMEM;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->th, NULL, sc_worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		sc_worker_free(w);
		return -rc;
	}
	sc->nworkers++;
	return 0;
}

/* ---- start / stop ------------------------------------------------------ */

static int sc_read_listener(struct brk_sc *sc, int report_fd, int *num)
{
	struct pollfd p[2] = {
		{ .fd = report_fd, .events = POLLIN },
		{ .fd = sc->child_pidfd, .events = POLLIN },
	};
	size_t got = 0;
	int r;

	while (got < sizeof(*num)) {
		r = poll(p, 2, (int)sc->opts.handoff_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0)
			return -errno;
		if (p[0].revents & POLLIN) {
			ssize_t n = read(report_fd, (char *)num + got, sizeof(*num) - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -EPIPE;
			got += (size_t)n;
		} else if (p[1].revents || p[0].revents) {
			return -EPIPE; /* child died before handing over */
		}
	}
	return 0;
}

static void sc_resolvers_init(struct brk_sc *sc)
{
	size_t i;
	unsigned int j;
	struct stat st;

	for (i = 0; brk_sc_resolver_socks[i] && sc->nresolvers < SC_MAX_RESOLVERS; i++) {
		if (stat(brk_sc_resolver_socks[i], &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		for (j = 0; j < sc->nresolvers; j++)
			if (sc->resolvers[j].dev == st.st_dev && sc->resolvers[j].ino == st.st_ino)
				break;
		if (j < sc->nresolvers)
			continue;
		sc->resolvers[sc->nresolvers].dev = st.st_dev;
		sc->resolvers[sc->nresolvers].ino = st.st_ino;
		sc->resolvers[sc->nresolvers].path = brk_sc_resolver_socks[i];
		sc->nresolvers++;
	}
}

static int sc_resolve_calls(struct brk_sc *sc)
{
	static const char *const names[SC_NCALLS] = {
		[SC_CONNECT] = "connect", [SC_SENDTO] = "sendto", [SC_SENDMSG] = "sendmsg",
		[SC_SENDMMSG] = "sendmmsg", [SC_PERSONALITY] = "personality",
		[SC_LISTEN] = "listen", [SC_ACCEPT] = "accept", [SC_ACCEPT4] = "accept4",
	};
	size_t i;

	for (i = 0; i < SC_NCALLS; i++)
		sc->call_nr[i] = seccomp_syscall_resolve_name(names[i]);
	sc->rule_nr = calloc(brk_sc_nrules, sizeof(int));
	if (!sc->rule_nr)
		return -ENOMEM;
	for (i = 0; i < brk_sc_nrules; i++)
		sc->rule_nr[i] = seccomp_syscall_resolve_name(brk_sc_rules[i].name);
	return 0;
}

int brk_sc_supervisor_start(pid_t child, int report_fd, const struct brk_sc_ops *ops, void *ctx,
			    struct brk_sc **out)
{
	return brk_sc_supervisor_start2(child, report_fd, ops, ctx, NULL, out);
}

int brk_sc_supervisor_start2(pid_t child, int report_fd, const struct brk_sc_ops *ops, void *ctx,
			     const struct brk_sc_opts *opts, struct brk_sc **out)
{
	struct brk_sc *sc;
	unsigned int i;
	int num = -1, rc, tp;
	char ack = 'K';

	*out = NULL;
	if (!ops || !ops->decide || child <= 0 || report_fd < 0)
		return -EINVAL;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	sc->notify_fd = sc->child_pidfd = sc->stop_efd = -1;
	sc->child = child;
	if (getenv("DLPJAIL_TEST_CONNECT_DELAY_MS"))
		sc->test_delay_ms = atoi(getenv("DLPJAIL_TEST_CONNECT_DELAY_MS"));
	sc->ops = ops;
	sc->ctx = ctx;
	sc->opts.min_threads = 2;
	sc->opts.max_threads = 32;
	sc->opts.handoff_ms = 10000;
	if (opts) {
		if (opts->min_threads)
			sc->opts.min_threads = opts->min_threads;
		if (opts->max_threads)
			sc->opts.max_threads = opts->max_threads;
		if (opts->handoff_ms)
			sc->opts.handoff_ms = opts->handoff_ms;
	}
	if (sc->opts.max_threads < sc->opts.min_threads)
		sc->opts.max_threads = sc->opts.min_threads;
	pthread_mutex_init(&sc->lock, NULL);
	pthread_mutex_init(&sc->lead_lock, NULL);
	pthread_mutex_init(&sc->cache_lock, NULL);
	pthread_mutex_init(&sc->accept_lock, NULL);
	for (i = 0; i < SC_PIDFD_CACHE; i++)
		sc->cache[i].pidfd = -1;

	rc = sc_resolve_calls(sc);
	if (rc < 0)
		goto fail;
	sc->own = brk_sc_own_new();
	if (!sc->own) {
		rc = -ENOMEM;
		goto fail;
	}
	sc->workers = calloc(sc->opts.max_threads, sizeof(*sc->workers));
	if (!sc->workers) {
		rc = -ENOMEM;
		goto fail;
	}
	sc->child_pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (sc->child_pidfd < 0) {
		rc = -errno;
		goto fail;
	}
	/* PIDFD_THREAD lets us open the notifying thread directly (6.9+). */
	tp = (int)syscall(SYS_pidfd_open, (pid_t)syscall(SYS_gettid), PIDFD_THREAD);
	sc->thread_pidfd = tp >= 0;
	if (tp >= 0)
		close(tp);
	sc->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sc->stop_efd < 0) {
		rc = -errno;
		goto fail;
	}
	sc_resolvers_init(sc);
	if (brk_sc_mem_new(&sc->mem) < 0)
		sc->mem = NULL; /* every peek by process_vm_readv, every exe by decide() */
	/* no loopback (a fresh network namespace): the relay's listener path, as before */
	if (ops->relay_adopt && (brk_sc_hold_new(&sc->hold) < 0 ||
				 brk_sc_pend_start(sc_pend_done, sc_pend_alive, sc, &sc->pend) < 0)) {
		dlp_log(DLP_LOG_DEBUG, "seccomp: no hold port on loopback: relay connects pair by address");
		brk_sc_hold_free(sc->hold);
		sc->hold = NULL;
	}

	rc = sc_read_listener(sc, report_fd, &num);
	if (rc < 0)
		goto fail;
	sc->notify_fd = (int)syscall(SYS_pidfd_getfd, sc->child_pidfd, num, 0);
	if (sc->notify_fd < 0) {
		rc = -errno;
		goto fail;
	}
	/*
	 * 6.6+: the target's wake-up of the supervisor and the answer's
	 * wake-up of the target stay on the waker's CPU (the two take turns:
	 * one is always blocked), not a migration per trap. Older kernels:
	 * EINVAL, the same road without it.
	 */
	(void)ioctl(sc->notify_fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		    (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	if (write(report_fd, &ack, 1) != 1) {
		rc = -EPIPE;
		goto fail;
	}

	pthread_mutex_lock(&sc->lock);
	for (i = 0; i < sc->opts.min_threads; i++) {
		rc = sc_spawn_worker(sc);
		if (rc < 0)
			break;
	}
	pthread_mutex_unlock(&sc->lock);
	if (rc < 0)
		goto fail;
	dlp_log(DLP_LOG_DEBUG, "seccomp: supervising pid %d (listener fd %d in child)", (int)child,
		num);
	*out = sc;
	return 0;
fail:
	brk_sc_supervisor_stop(sc);
	return dlp_rc_filter(rc);
}

void brk_sc_supervisor_stop(struct brk_sc *sc)
{
	uint64_t one = 1;
	unsigned int i;

	if (!sc)
		return;
	atomic_store(&sc->stopping, true);
	if (sc->stop_efd >= 0)
		(void)!write(sc->stop_efd, &one, sizeof(one)); /* stays readable: every leader sees it */
	/* workers may still spawn workers until they see the stop: read nworkers under lock */
	for (i = 0;; i++) {
		pthread_mutex_lock(&sc->lock);
		if (i >= sc->nworkers) {
			pthread_mutex_unlock(&sc->lock);
			break;
		}
		pthread_mutex_unlock(&sc->lock);
		pthread_join(sc->workers[i].th, NULL);
	}
	brk_sc_pend_stop(sc->pend); /* answers nobody: the tree is gone or being killed */
	for (i = 0; i < sc->nworkers; i++)
		sc_worker_free(&sc->workers[i]);
	for (i = 0; i < SC_PIDFD_CACHE; i++)
		if (sc->cache[i].pidfd >= 0)
			close(sc->cache[i].pidfd);
	if (sc->notify_fd >= 0)
		close(sc->notify_fd);
	if (sc->child_pidfd >= 0)
		close(sc->child_pidfd);
	if (sc->stop_efd >= 0)
		close(sc->stop_efd);
	pthread_mutex_destroy(&sc->lead_lock);
	pthread_mutex_destroy(&sc->lock);
	pthread_mutex_destroy(&sc->cache_lock);
	pthread_mutex_destroy(&sc->accept_lock);
	brk_sc_own_free(sc->own);
	brk_sc_hold_free(sc->hold);
	brk_sc_mem_free(sc->mem);
	free(sc->workers);
	free(sc->rule_nr);
	free(sc);
}

bool brk_sc_in_tree(struct brk_sc *sc, pid_t pid)
{
	return sc && pid > 0 && brk_sc_own_pid(pid, sc->child);
}

bool brk_sc_own_listener(struct brk_sc *sc, pid_t tid, const struct sockaddr_storage *ss)
{
	int t;

	if (!sc)
		return false;
	t = brk_sc_own_tcp_state(sc->own, tid, ss, false);
	/* no TCP listener at all: maybe the jail's own UDP socket (a TCP
	 * connect there finds nobody, and is relayed anyway) */
	return t > 0 || (t < 0 && brk_sc_own_datagram_dest(ss, sc->child));
}

void brk_sc_stats(struct brk_sc *sc, struct brk_sc_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!sc)
		return;
	st->notifications = atomic_load(&sc->n_notif);
	st->emulated = atomic_load(&sc->n_emul);
	st->continued = atomic_load(&sc->n_cont);
	st->denied = atomic_load(&sc->n_denied);
	st->refused = atomic_load(&sc->n_refused);
	st->stale = atomic_load(&sc->n_stale);
	pthread_mutex_lock(&sc->lock);
	st->threads = sc->nworkers;
	pthread_mutex_unlock(&sc->lock);
	st->child_exited = atomic_load(&sc->child_exited);
	st->tree_exited = atomic_load(&sc->tree_exited);
}
