/* SPDX-License-Identifier: MIT */
/*
 * sc_own.c - the jail's own listeners (issue 10 items 4 and 11): the
 * supervisor performs every listen() (sc_notify.c h_listen) and records the
 * listening socket's inode here; a later connect() to a loopback address
 * is "to the jail's own server" when the sockets LISTENing on that address
 * and port (the kernel's own table through NETLINK_SOCK_DIAG, read at
 * connect time) have those inodes. A listener the jail closed, whose port a
 * host process took over since, does not match. For AF_UNIX, the socket a
 * path or abstract name is bound to is found with NETLINK_SOCK_DIAG: a
 * listener is ours when we recorded its inode at listen(), a bound
 * datagram socket when a process of the jailed tree holds it. Only
 * sc_notify.c calls it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "broker/seccomp/sc_int.h"
#include "broker/seccomp/seccomp.h"

#define SC_OWN_MAX 1024 /* listeners remembered; the oldest is forgotten first */

struct brk_sc_own {
	pthread_mutex_t lock;
	unsigned long ino[SC_OWN_MAX];
	_Atomic unsigned int next; /* listeners recorded so far (written under lock) */
};

bool brk_sc_own_any(struct brk_sc_own *o)
{
	return o && atomic_load_explicit(&o->next, memory_order_relaxed) > 0;
}

struct brk_sc_own *brk_sc_own_new(void)
{
	struct brk_sc_own *o = calloc(1, sizeof(*o));

	if (o)
		pthread_mutex_init(&o->lock, NULL);
	return o;
}

void brk_sc_own_free(struct brk_sc_own *o)
{
	if (!o)
		return;
	pthread_mutex_destroy(&o->lock);
	free(o);
}

void brk_sc_own_add(struct brk_sc_own *o, unsigned long ino)
{
	if (!o || !ino)
		return;
	pthread_mutex_lock(&o->lock);
	o->ino[atomic_fetch_add(&o->next, 1) % SC_OWN_MAX] = ino;
	pthread_mutex_unlock(&o->lock);
}

static bool sc_own_has(struct brk_sc_own *o, unsigned long ino)
{
	bool hit = false;
	unsigned int i;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < SC_OWN_MAX && !hit; i++)
		hit = ino && o->ino[i] == ino;
	pthread_mutex_unlock(&o->lock);
	return hit;
}

/* Is the socket with inode ino one of ours? (sc_diag_count) */
typedef bool sc_ours_fn(unsigned long ino, const void *arg);

/*
 * Every socket of protocol proto in states (a TCP_* bit mask) bound to port
 * on addr (4 or 16 bytes) or the wildcard: *nown of them are ours (ours()),
 * *nother not. NETLINK_SOCK_DIAG asks the kernel for just those: for TCP
 * LISTEN it walks its listening hash, not every connection (parsing
 * /proc/net/tcp cost milliseconds per connect with TIME_WAIT sockets). An
 * answer we cannot read counts as not ours. The supervisor shares the
 * jail's network namespace.
 */
static void sc_diag_count(int family, int proto, uint32_t states, const void *addr,
			  unsigned int port, sc_ours_fn *ours, const void *arg,
			  unsigned int *nown, unsigned int *nother)
{
	/*
	 * The kernel filters by local port (bytecode sport == port), so only
	 * the few sockets on that port are copied, not the host's whole table.
	 */
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
		struct rtattr rta;
		struct inet_diag_bc_op op[2];
	} q = {
		.nlh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = (uint8_t)family, .sdiag_protocol = (uint8_t)proto,
			 .idiag_states = states },
		.rta = { .rta_len = RTA_LENGTH(sizeof(q.op)), .rta_type = INET_DIAG_REQ_BYTECODE },
		.op = { { .code = INET_DIAG_BC_S_EQ, .yes = sizeof(q.op),
			  .no = sizeof(q.op) + 4 },
			{ .no = (uint16_t)port } },
	};
	static __thread char buf[16384];
	static const uint8_t zero[16];
	size_t alen = family == AF_INET ? 4 : 16;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0 || send(fd, &q, sizeof(q), 0) != (ssize_t)sizeof(q)) {
		(*nother)++; /* cannot tell: not ours */
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			(*nother)++;
			goto out;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				(*nother)++;
				goto out;
			}
			if (ntohs(m->id.idiag_sport) != port ||
			    (memcmp(m->id.idiag_src, addr, alen) && memcmp(m->id.idiag_src, zero, alen)))
				continue;
			if (ours(m->idiag_inode, arg))
				(*nown)++;
			else
				(*nother)++;
		}
	}
out:
	if (fd >= 0)
		close(fd);
}

static bool sc_own_listener_ours(unsigned long ino, const void *arg)
{
	return sc_own_has((struct brk_sc_own *)arg, ino);
}

/* Every TCP socket LISTENing on port at addr or the wildcard, which could take the connection. */
static void sc_own_count(struct brk_sc_own *o, int family, const void *addr, unsigned int port,
			 unsigned int *nown, unsigned int *nother)
{
	sc_diag_count(family, IPPROTO_TCP, 1U << TCP_LISTEN, addr, port, sc_own_listener_ours, o,
		      nown, nother);
}

/*
 * Ours when every listener that could take a connect to ss is ours: a host
 * service sharing the port through SO_REUSEPORT, or on the wildcard
 * address, makes it not ours.
 */
bool brk_sc_own_is_listener(struct brk_sc_own *o, pid_t tid, const struct sockaddr_storage *ss)
{
	return brk_sc_own_tcp_state(o, tid, ss, true) > 0;
}

/* 1: only the jail's listeners there, 0: someone else's too, -1: no listener. */
int brk_sc_own_tcp_state(struct brk_sc_own *o, pid_t tid, const struct sockaddr_storage *ss,
			 bool shortcut)
{
	uint8_t a6[16];
	unsigned int port, nown = 0, nother = 0;

	(void)tid;
	if (!o || (shortcut && !atomic_load_explicit(&o->next, memory_order_relaxed)))
		return 0; /* the jail never listened: nothing to look up */
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			return false;
		port = ntohs(s4->sin_port);
		sc_own_count(o, AF_INET, &s4->sin_addr, port, &nown, &nother);
		/* an AF_INET6 listener on ::ffff:127.x.y.z or :: takes v4 connects too */
		memset(a6, 0, 10);
		a6[10] = a6[11] = 0xff;
		memcpy(a6 + 12, &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return false; /* v4-mapped destinations arrive as AF_INET */
		port = ntohs(s6->sin6_port);
		memcpy(a6, &s6->sin6_addr, 16);
	} else {
		return false;
	}
	sc_own_count(o, AF_INET6, a6, port, &nown, &nother);
	return nother ? 0 : nown ? 1 : -1;
}

/* ---- AF_UNIX: is this bound socket the jail's own? ----------------------- */

/*
 * One socket found by NETLINK_SOCK_DIAG (unix_diag): its inode, state and,
 * for a filesystem name, the inode it is bound to (the kernel's s_dev
 * encoding, major << 20 | minor).
 */
struct sc_unix_hit {
	unsigned long ino;
	unsigned int state;
	bool found;
};

/* Dump every unix socket with its name and bound inode; keep the one that matches. */
static int sc_unix_diag(const struct stat *st, const char *abstract, size_t alen,
			struct sc_unix_hit *hit)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = ~0U,
			 .udiag_show = UDIAG_SHOW_VFS | UDIAG_SHOW_NAME },
	};
	static __thread char buf[32768];
	uint32_t kdev = st ? (uint32_t)((major(st->st_dev) << 20) | minor(st->st_dev)) : 0;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int rc = -EIO;

	if (fd < 0)
		return -errno;
	if (send(fd, &q, sizeof(q), 0) != (ssize_t)sizeof(q)) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct unix_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a;
			int al;
			bool match = false;

			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				goto out;
			if (hit->found)
				continue; /* drain the dump */
			a = (struct rtattr *)(m + 1);
			al = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			for (; RTA_OK(a, al); a = RTA_NEXT(a, al)) {
				if (st && a->rta_type == UNIX_DIAG_VFS &&
				    RTA_PAYLOAD(a) >= sizeof(struct unix_diag_vfs)) {
					struct unix_diag_vfs v;

					memcpy(&v, RTA_DATA(a), sizeof(v));
					match = v.udiag_vfs_ino == (uint32_t)st->st_ino &&
						v.udiag_vfs_dev == kdev;
				} else if (!st && a->rta_type == UNIX_DIAG_NAME &&
					   RTA_PAYLOAD(a) == alen &&
					   !memcmp(RTA_DATA(a), abstract, alen)) {
					match = true;
				}
			}
			if (match) {
				hit->found = true;
				hit->ino = m->udiag_ino;
				hit->state = m->udiag_state;
			}
		}
	}
out:
	close(fd);
	return rc;
}

/* Does a process of the jailed tree (below us, or below root: see
 * brk_sc_own_pid; root 0: below us only) hold socket inode ino? One pass
 * over /proc. */
/* Does /proc/PID/fd/FD name socket inode ino? (want: "socket:[INO]") */
static bool sc_fd_is(pid_t pid, const char *fd, const char *want)
{
	char path[300], link[64];
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fd);
	r = readlink(path, link, sizeof(link) - 1);
	if (r <= 0)
		return false;
	link[r] = '\0';
	return !strcmp(link, want);
}

/* The fd walk: a process of the tree holding socket inode ino (*pid, *fd), or false. */
static bool sc_held_by_tree_at(unsigned long ino, pid_t root, pid_t *hpid, int *hfd)
{
	char want[48], path[300];
	pid_t self = getpid();
	bool held = false;
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir)
		return false;
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	while (!held && (d = readdir(dir))) {
		pid_t pid = (pid_t)strtol(d->d_name, NULL, 10);
		DIR *fds;
		struct dirent *f;

		if (pid <= 0 || pid == self || !brk_sc_own_pid(pid, root > 0 ? root : -1))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!held && (f = readdir(fds))) {
			if (f->d_name[0] == '.')
				continue;
			held = sc_fd_is(pid, f->d_name, want);
			if (held) {
				*hpid = pid;
				*hfd = (int)strtol(f->d_name, NULL, 10);
			}
		}
		closedir(fds);
	}
	closedir(dir);
	return held;
}

static bool sc_unix_held_by_tree(unsigned long ino, pid_t root)
{
	pid_t pid;
	int fd;

	return sc_held_by_tree_at(ino, root, &pid, &fd);
}

/*
 * Who held a socket inode, remembered (issue 10: the fd walk costs ~1 ms
 * per addressed datagram on a busy host). A hit is re-checked with one
 * readlink of that very /proc/PID/fd/FD and the tree test of PID, so a
 * socket the tree no longer holds there falls back to the walk.
 */
#define SC_HELD_MAX 64
static struct {
	unsigned long ino;
	pid_t pid;
	int fd;
	unsigned long used;
} sc_held[SC_HELD_MAX]; /* under sc_held_lock */
static unsigned long sc_held_tick;
static pthread_mutex_t sc_held_lock = PTHREAD_MUTEX_INITIALIZER;

static bool sc_held_by_tree_cached(unsigned long ino, pid_t root)
{
	char want[48], fds[16];
	unsigned int i, victim = 0;
	pid_t pid = 0;
	int fd = -1;

	pthread_mutex_lock(&sc_held_lock);
	for (i = 0; i < SC_HELD_MAX; i++) {
		if (sc_held[i].ino == ino && ino) {
			pid = sc_held[i].pid;
			fd = sc_held[i].fd;
			sc_held[i].used = ++sc_held_tick;
			break;
		}
	}
	pthread_mutex_unlock(&sc_held_lock);
	if (fd >= 0) {
		snprintf(want, sizeof(want), "socket:[%lu]", ino);
		snprintf(fds, sizeof(fds), "%d", fd);
		if (sc_fd_is(pid, fds, want) && brk_sc_own_pid(pid, root > 0 ? root : -1))
			return true;
	}
	if (!sc_held_by_tree_at(ino, root, &pid, &fd))
		return false;
	pthread_mutex_lock(&sc_held_lock);
	for (i = 0; i < SC_HELD_MAX; i++) {
		if (sc_held[i].ino == ino) {
			victim = i;
			break;
		}
		if (sc_held[i].used < sc_held[victim].used)
			victim = i;
	}
	sc_held[victim].ino = ino;
	sc_held[victim].pid = pid;
	sc_held[victim].fd = fd;
	sc_held[victim].used = ++sc_held_tick;
	pthread_mutex_unlock(&sc_held_lock);
	return true;
}

int brk_sc_own_unix(struct brk_sc_own *o, pid_t root, const struct stat *st,
		    const char *abstract, size_t alen)
{
	struct sc_unix_hit hit = { .found = false };
	int rc;

	if (!o)
		return 0;
	rc = sc_unix_diag(st, abstract, alen, &hit);
	if (rc < 0)
		return rc;
	if (!hit.found)
		return 0;
	if (hit.state == TCP_LISTEN)
		return sc_own_has(o, hit.ino) ? 1 : 0;
	return sc_unix_held_by_tree(hit.ino, root) ? 1 : 0; /* a bound datagram socket */
}

/* ---- AF_UNIX connects performed here: who asked ------------------------- */

#define SC_UCALL_MAX 1024 /* open addressing by inode */
#define SC_UCALL_PROBE 16
#define SC_UCALL_TTL 60   /* s: a connection nobody accepted by then is forgotten */

static struct {
	unsigned long ino; /* the client socket's inode, 0: free */
	pid_t pid;
	time_t at;
} sc_ucall[SC_UCALL_MAX]; /* under sc_ucall_lock */
static pthread_mutex_t sc_ucall_lock = PTHREAD_MUTEX_INITIALIZER;

void brk_sc_unix_caller_set(unsigned long client_ino, pid_t tgid)
{
	time_t now = time(NULL);
	unsigned int i, v = client_ino % SC_UCALL_MAX;

	pthread_mutex_lock(&sc_ucall_lock);
	for (i = 0; i < SC_UCALL_PROBE; i++) {
		unsigned int k = (unsigned int)((client_ino + i) % SC_UCALL_MAX);

		if (sc_ucall[k].ino == client_ino || !sc_ucall[k].ino ||
		    now - sc_ucall[k].at > SC_UCALL_TTL) {
			v = k;
			break;
		}
		if (sc_ucall[k].at < sc_ucall[v].at)
			v = k;
	}
	sc_ucall[v].ino = client_ino;
	sc_ucall[v].pid = tgid;
	sc_ucall[v].at = now;
	pthread_mutex_unlock(&sc_ucall_lock);
}

/* The inode of the peer of the unix socket with inode ino (UDIAG_SHOW_PEER), 0 if none. */
static unsigned long sc_unix_peer_ino(unsigned long ino)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = ~0U, .udiag_ino = (uint32_t)ino,
			 .udiag_show = UDIAG_SHOW_PEER,
			 .udiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } },
	};
	char buf[512];
	unsigned long peer = 0;
	struct nlmsghdr *h;
	ssize_t n;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0)
		return 0;
	if (send(fd, &q, sizeof(q), 0) != (ssize_t)sizeof(q))
		goto out;
	n = recv(fd, buf, sizeof(buf), 0);
	for (h = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		struct unix_diag_msg *m = NLMSG_DATA(h);
		struct rtattr *a = (struct rtattr *)(m + 1);
		int al = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));

		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || m->udiag_ino != ino)
			continue;
		for (; RTA_OK(a, al); a = RTA_NEXT(a, al))
			if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t))
				peer = *(uint32_t *)RTA_DATA(a);
	}
out:
	close(fd);
	return peer;
}

pid_t brk_sc_unix_caller(int fd)
{
	struct stat st;
	unsigned long peer;
	unsigned int i;
	pid_t pid = -1;

	if (fstat(fd, &st) < 0 || !(peer = sc_unix_peer_ino((unsigned long)st.st_ino)))
		return -1;
	pthread_mutex_lock(&sc_ucall_lock);
	for (i = 0; i < SC_UCALL_PROBE; i++) {
		unsigned int k = (unsigned int)((peer + i) % SC_UCALL_MAX);

		if (sc_ucall[k].ino == peer) {
			pid = sc_ucall[k].pid;
			sc_ucall[k].ino = 0; /* one accept per connect */
			break;
		}
	}
	pthread_mutex_unlock(&sc_ucall_lock);
	return pid;
}

/* ---- inbound: connections the jail itself made to its own listeners ----- */

#define SC_EXPECT_MAX 4096 /* as deep as the largest listen backlog (somaxconn) */
#define SC_EXPECT_PROBE 16 /* open addressing by port */
#define SC_EXPECT_TTL 30   /* s: a connect nobody accepted by then is forgotten */

struct sc_expect {
	int family;        /* 0: free */
	uint16_t port;     /* network order */
	uint8_t addr[16];
	time_t at;
};
static struct sc_expect sc_expect_tab[SC_EXPECT_MAX]; /* under sc_expect_lock */
static pthread_mutex_t sc_expect_lock = PTHREAD_MUTEX_INITIALIZER;

static int sc_expect_key(const struct sockaddr_storage *ss, uint16_t *port, uint8_t a[16])
{
	memset(a, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		/* as an AF_INET6 listener sees it: ::ffff:a.b.c.d */
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &s4->sin_addr, 4);
		*port = s4->sin_port;
		return 1;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		memcpy(a, &s6->sin6_addr, 16);
		*port = s6->sin6_port;
		return 1;
	}
	return 0;
}

void brk_sc_own_expect(const struct sockaddr_storage *local)
{
	struct sc_expect *e, *victim = NULL;
	time_t now = time(NULL);
	unsigned int i, h;
	uint8_t a[16];
	uint16_t port;

	if (!sc_expect_key(local, &port, a))
		return;
	h = ntohs(port);
	pthread_mutex_lock(&sc_expect_lock);
	for (i = 0; i < SC_EXPECT_PROBE; i++) {
		e = &sc_expect_tab[(h + i) % SC_EXPECT_MAX];
		if (!e->family || now - e->at > SC_EXPECT_TTL) {
			victim = e;
			break;
		}
		if (!victim || e->at < victim->at)
			victim = e;
	}
	victim->family = AF_INET6;
	victim->port = port;
	memcpy(victim->addr, a, 16);
	victim->at = now;
	pthread_mutex_unlock(&sc_expect_lock);
}

/*
 * Loopback connects of ours between connect() and brk_sc_own_expect(): the
 * kernel picks the local port in connect(), and the handshake with a
 * listener is done before connect() returns, so a jail's accept() can see
 * the connection before its address is recorded. brk_sc_own_take_wait()
 * waits for them instead of resetting a connection of the jail's own.
 */
static atomic_uint sc_expect_inflight;

void brk_sc_own_expect_begin(void)
{
	atomic_fetch_add(&sc_expect_inflight, 1);
}

void brk_sc_own_expect_end(int fd)
{
	struct sockaddr_storage l;
	socklen_t ll = sizeof(l);

	memset(&l, 0, sizeof(l));
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&l, &ll) == 0)
		brk_sc_own_expect(&l);
	atomic_fetch_sub(&sc_expect_inflight, 1);
}

#define SC_EXPECT_WAIT_MS 1000 /* a recording takes microseconds (test hook: longer) */

bool brk_sc_own_take_wait(const struct sockaddr_storage *peer)
{
	struct timespec t0, now, nap = { .tv_sec = 0, .tv_nsec = 50000 };

	if (brk_sc_own_take(peer))
		return true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (atomic_load(&sc_expect_inflight) > 0) {
		nanosleep(&nap, NULL);
		if (brk_sc_own_take(peer))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >
		    SC_EXPECT_WAIT_MS)
			break;
	}
	return brk_sc_own_take(peer);
}

bool brk_sc_own_take(const struct sockaddr_storage *peer)
{
	time_t now = time(NULL);
	bool hit = false;
	unsigned int i, h;
	uint8_t a[16];
	uint16_t port;

	if (!sc_expect_key(peer, &port, a))
		return false;
	h = ntohs(port);
	pthread_mutex_lock(&sc_expect_lock);
	for (i = 0; i < SC_EXPECT_PROBE && !hit; i++) {
		struct sc_expect *e = &sc_expect_tab[(h + i) % SC_EXPECT_MAX];

		if (e->family && now - e->at <= SC_EXPECT_TTL && e->port == port &&
		    !memcmp(e->addr, a, 16)) {
			e->family = 0;
			hit = true;
		}
	}
	pthread_mutex_unlock(&sc_expect_lock);
	return hit;
}

/*
 * Is pid a process of the jailed tree: below root (the supervised child),
 * or below us (the launcher is the tree's subreaper: orphans come to it)?
 * The ad hoc broker supervises a process it did not start: there only
 * root's descendants count.
 */
bool brk_sc_own_pid(pid_t pid, pid_t root)
{
	pid_t self = getpid(), p = pid;
	unsigned int depth;

	if (pid == root)
		return true;
	for (depth = 0; p > 1 && p != self && p != root && depth < 64; depth++) {
		char sp[64], sb[512], *c;
		ssize_t r;
		int fd;

		snprintf(sp, sizeof(sp), "/proc/%d/stat", (int)p);
		fd = open(sp, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		r = read(fd, sb, sizeof(sb) - 1);
		close(fd);
		if (r <= 0)
			return false;
		sb[r] = '\0';
		c = strrchr(sb, ')');
		p = c && strlen(c) > 4 ? (pid_t)strtol(c + 4, NULL, 10) : 0;
	}
	return (p == self || p == root) && pid != self;
}

/* ---- the jail's own UDP sockets ------------------------------------------ */

static bool sc_own_udp_ours(unsigned long ino, const void *arg)
{
	return sc_held_by_tree_cached(ino, *(const pid_t *)arg); /* any socket inode */
}

/* Every UDP socket bound to port on addr or the wildcard: held by the tree or not. */
static void sc_own_udp_count(int family, const void *addr, unsigned int port, pid_t root,
			     unsigned int *nown, unsigned int *nother)
{
	sc_diag_count(family, IPPROTO_UDP, ~0U, addr, port, sc_own_udp_ours, &root, nown, nother);
}

bool brk_sc_own_datagram_dest(const struct sockaddr_storage *ss, pid_t root)
{
	uint8_t a6[16];
	unsigned int port, nown = 0, nother = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			return false;
		port = ntohs(s4->sin_port);
		sc_own_udp_count(AF_INET, &s4->sin_addr, port, root, &nown, &nother);
		memset(a6, 0, 10);
		a6[10] = a6[11] = 0xff;
		memcpy(a6 + 12, &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return false;
		port = ntohs(s6->sin6_port);
		memcpy(a6, &s6->sin6_addr, 16);
	} else {
		return false;
	}
	sc_own_udp_count(AF_INET6, a6, port, root, &nown, &nother);
	return nown > 0 && nother == 0;
}
