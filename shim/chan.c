/* SPDX-License-Identifier: MIT */
/*
 * chan.c - the shim's end of the broker socket.
 *
 * One connection per process, parked at fd >= DLP_SHIM_FD_BASE, CLOEXEC,
 * serialised by a mutex with all signals blocked around each round trip (a
 * handler that writes to a socket then cannot deadlock on our lock). After
 * fork the child drops the inherited connection and opens its own; where
 * atfork handlers did not run (vfork, raw clone) a temporary connection is
 * used and shared state is left untouched. Without DLPJAIL_SOCK the shim
 * finds the per-user broker or starts one (`dlpjail broker`). Every failure
 * here makes the caller refuse the egress: nothing leaves unchecked.
 * Internals use raw syscalls so our own hooks never see them.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/dlp_err.h"
#include "common/log.h"
#include "common/paths.h"
#include "shim/shim_int.h"

extern char **environ;

struct shim_chan {
	pthread_mutex_t lock;
	int fd;                 /* -1: not connected */
	pid_t owner;            /* process that opened fd */
	dev_t dev;              /* identity of our socket, to spot an fd swap */
	ino_t ino;
	uint32_t seq;
	bool zone_ready;
	msgpack_zone zone;
};

/* Globals: the channel; fields under chan.lock, fd also read atomically. */
static struct shim_chan chan = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.fd = -1,
};
/* Globals: the last HELLO_ACK's session flags (DLP_ACK_*) | SHIM_ACK_KNOWN,
 * 0 before the first; written by hello(), read atomically. The session is
 * the same for every process of the jail, so a fork keeps it. */
#define SHIM_ACK_KNOWN 0x80000000u
static uint32_t chan_ack;
/* Globals: set once (ad hoc backstop failed), read atomically: refuse all. */
static bool chan_closed;

static long sys_close(int fd)
{
	return SHIM_SYS(SYS_close, fd);
}

/* AS-SAFE */
int shim_chan_fd(void)
{
	return __atomic_load_n(&chan.fd, __ATOMIC_RELAXED);
}

/*
 * Where the broker is: $DLPJAIL_SOCK (set by the launcher); else
 * /etc/dlpjail.sock, which the launcher's private mount namespace links to
 * the session socket for processes that scrubbed their environment (env -i);
 * else the per-user ad hoc broker, started on demand (*adhoc).
 */
static int sock_path(char *dst, size_t cap, bool *adhoc)
{
	static const char ns_sock[] = "/etc/dlpjail.sock";
	const char *s = getenv(DLP_ENV_SOCK);

	*adhoc = false;
	if (s && *s) {
		if (strlen(s) >= cap)
			return -ENAMETOOLONG;
		memcpy(dst, s, strlen(s) + 1);
		return 0;
	}
	if (SHIM_SYS(SYS_access, ns_sock, F_OK) == 0 && sizeof(ns_sock) <= cap) {
		memcpy(dst, ns_sock, sizeof(ns_sock));
		return 0;
	}
	*adhoc = true;
	return dlp_user_sock(dst, cap);
}

static int raw_connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = (int)SHIM_SYS(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (SHIM_SYS(SYS_connect, fd, &sun, sizeof(sun)) < 0) {
		int e = errno;
		sys_close(fd);
		return -e;
	}
	return fd;
}

/* Where is dlpjail? $DLPJAIL_BIN, next to the shim (build tree/prefix), bindir. */
static int find_dlpjail(char *dst, size_t cap)
{
	const char *env = getenv(DLP_ENV_BIN);
	Dl_info di;
	char dir[PATH_MAX];
	char *slash;
	static const char *const rel[] = { "/../dlpjail", "/../bin/dlpjail", "/../../bin/dlpjail" };
	size_t i;

	if (env && *env && strlen(env) < cap) {
		memcpy(dst, env, strlen(env) + 1);
		return 0;
	}
	if (dladdr((void *)find_dlpjail, &di) && di.dli_fname &&
	    strlen(di.dli_fname) < sizeof(dir)) {
		memcpy(dir, di.dli_fname, strlen(di.dli_fname) + 1);
		slash = strrchr(dir, '/');
		if (slash) {
			*slash = '\0';
			for (i = 0; i < DLP_ARRAY_SIZE(rel); i++) {
				if (strlen(dir) + strlen(rel[i]) >= cap)
					continue;
				memcpy(dst, dir, strlen(dir));
				memcpy(dst + strlen(dir), rel[i], strlen(rel[i]) + 1);
				if (access(dst, X_OK) == 0)
					return 0;
			}
		}
	}
	if (strlen(DLP_BINDIR "/dlpjail") >= cap)
		return -ENAMETOOLONG;
	memcpy(dst, DLP_BINDIR "/dlpjail", sizeof(DLP_BINDIR "/dlpjail"));
	return access(dst, X_OK) == 0 ? 0 : -ENOENT;
}

/* Start the per-user broker (it daemonizes; we reap the short-lived parent). */
static int spawn_broker(void)
{
	char bin[PATH_MAX];
	char *argv[] = { bin, "broker", NULL };
	char **env;
	size_t n = 0, i, j = 0;
	pid_t pid;
	int rc, st = 0;   /* 0 if we cannot reap it (SIGCHLD ignored): try to connect */

	if (find_dlpjail(bin, sizeof(bin)) < 0) {
		dlp_log_as("dlpjail: no broker running and the dlpjail binary was not "
			   "found (set " DLP_ENV_BIN ")");
		return -ENOENT;
	}
	while (environ && environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			env[j++] = environ[i];
	/* posix_spawn: no atfork handlers, so our held lock is not re-taken */
	rc = posix_spawn(&pid, bin, NULL, NULL, argv, env);
	free(env);
	if (rc)
		return -rc;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* it said why on stderr (no policy, bad directory): do not wait for it */
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

static int chan_open(void)
{
	char path[PATH_MAX];
	bool adhoc;
	int fd, tries;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	if (sock_path(path, sizeof(path), &adhoc) < 0)
		return -ENAMETOOLONG;
	fd = raw_connect_unix(path);
	if (fd < 0 && adhoc && (fd == -ENOENT || fd == -ECONNREFUSED)) {
		/* the broker listens before its launcher exits, so the first
		 * try usually connects; sleep only between retries */
		if (spawn_broker() == 0)
			for (tries = 0; (fd = raw_connect_unix(path)) < 0 && tries < 150; tries++)
				nanosleep(&ts, NULL);
	}
	return fd;
}

static int write_full(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = (ssize_t)SHIM_SYS(SYS_writev, fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno ? -errno : -EPIPE;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int read_full(int fd, void *p, size_t n)
{
	char *b = p;

	while (n) {
		ssize_t r = (ssize_t)SHIM_SYS(SYS_read, fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? -EPIPE : -errno;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One frame out (the data part straight from the caller's buffer). */
static int send_frame(int fd, const struct dlp_msg *req)
{
	uint8_t head[DLP_WIRE_HEAD_MAX];
	struct iovec iov[2];
	size_t hl;
	int body, rc;

	rc = dlp_wire_encode(req, head, sizeof(head), &hl, &body);
	if (rc < 0)
		return rc;
	iov[0].iov_base = head;
	iov[0].iov_len = hl;
	iov[1].iov_base = (void *)req->data;
	iov[1].iov_len = body ? req->data_len : 0;
	return write_full(fd, iov, body ? 2 : 1);
}

/* One frame out, one frame back; reply decoded into rep. */
static int exchange(int fd, msgpack_zone *zone, struct dlp_msg *req, struct shim_reply *rep,
		    uint32_t expect)
{
	uint8_t in[DLP_WIRE_HEAD_MAX];
	struct dlp_msg m;
	uint32_t len;
	int rc;
	const char *why;

	rc = send_frame(fd, req);
	if (rc < 0)
		return rc;
	rc = read_full(fd, in, DLP_WIRE_HDR_LEN);
	if (rc < 0)
		return rc;
	if (dlp_wire_frame_len(in, &len) < 0 || len > sizeof(in))
		return -EPROTO;
	rc = read_full(fd, in, len);
	if (rc < 0)
		return rc;
	rc = dlp_wire_decode(in, len, zone, &m, &why);
	if (rc == 0 && (m.type != expect || m.seq != req->seq))
		rc = -EPROTO;
	if (rc == 0) {
		memset(rep, 0, sizeof(*rep));
		rep->verdict = m.verdict;
		rep->err = m.err;
		rep->flags = m.flags;
		if (m.reason_len)
			memcpy(rep->reason, m.reason, m.reason_len < sizeof(rep->reason) - 1
			       ? m.reason_len : sizeof(rep->reason) - 1);
		if (m.canon_len)
			memcpy(rep->canon, m.canon, m.canon_len < sizeof(rep->canon) - 1
			       ? m.canon_len : sizeof(rep->canon) - 1);
		rep->naddrs = m.naddrs;
		memcpy(rep->addrs, m.addrs, sizeof(rep->addrs));
	}
	msgpack_zone_clear(zone);
	return rc;
}

static size_t read_small(const char *path, char *dst, size_t cap, bool link)
{
	ssize_t n;
	int fd;

	if (link) {
		n = (ssize_t)SHIM_SYS(SYS_readlink, path, dst, cap);
		return n > 0 ? (size_t)n : 0;
	}
	fd = (int)SHIM_SYS(SYS_open, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = (ssize_t)SHIM_SYS(SYS_read, fd, dst, cap);
	sys_close(fd);
	return n > 0 ? (size_t)n : 0;
}

static int hello(int fd, msgpack_zone *zone, uint32_t seq)
{
	char exe[512], argv[1024];
	struct dlp_msg m = { .type = DLP_MSG_HELLO, .seq = seq };
	struct shim_reply rep;
	int rc;

	m.pid = (int64_t)SHIM_SYS0(SYS_getpid);
	m.ppid = (int64_t)SHIM_SYS0(SYS_getppid);
	m.exe = exe;
	m.exe_len = read_small("/proc/self/exe", exe, sizeof(exe), true);
	m.argv = argv;
	m.argv_len = read_small("/proc/self/cmdline", argv, sizeof(argv), false);
	DLP_SET(&m, DLP_K_PID);
	DLP_SET(&m, DLP_K_PPID);
	DLP_SET(&m, DLP_K_EXE);
	DLP_SET(&m, DLP_K_ARGV);
	rc = exchange(fd, zone, &m, &rep, DLP_MSG_HELLO_ACK);
	if (rc == 0)
		__atomic_store_n(&chan_ack, rep.flags | SHIM_ACK_KNOWN, __ATOMIC_RELAXED);
	return rc;
}

/* Park fd high and CLOEXEC so the application is unlikely to trip over it. */
static int park(int fd)
{
	int hi = (int)SHIM_SYS(SYS_fcntl, fd, F_DUPFD_CLOEXEC, DLP_SHIM_FD_BASE);

	if (hi < 0)
		return fd;
	sys_close(fd);
	return hi;
}

static void chan_drop(void)
{
	if (chan.fd >= 0) {
		shim_fd_set(chan.fd, SHIM_FD_UNKNOWN);
		sys_close(chan.fd);
	}
	__atomic_store_n(&chan.fd, -1, __ATOMIC_RELAXED);
}

static int chan_ensure(void)
{
	struct stat st;
	int fd, rc;

	if (chan.fd >= 0) {
		/* still our socket? (the app may have closed or replaced it by a raw syscall) */
		if (SHIM_SYS(SYS_fstat, chan.fd, &st) == 0 && st.st_dev == chan.dev &&
		    st.st_ino == chan.ino)
			return 0;
		__atomic_store_n(&chan.fd, -1, __ATOMIC_RELAXED);
	}
	fd = chan_open();
	if (fd < 0)
		return fd;
	fd = park(fd);
	rc = hello(fd, &chan.zone, ++chan.seq);
	if (rc < 0) {
		sys_close(fd);
		return rc;
	}
	SHIM_SYS(SYS_fstat, fd, &st);
	chan.dev = st.st_dev;
	chan.ino = st.st_ino;
	chan.owner = (pid_t)SHIM_SYS0(SYS_getpid);
	shim_fd_set(fd, SHIM_FD_BROKER);
	__atomic_store_n(&chan.fd, fd, __ATOMIC_RELAXED);
	return 0;
}

/* A process whose atfork handlers did not run (vfork/clone child): one-shot connection. */
static int call_temporary(struct dlp_msg *req, struct shim_reply *rep, uint32_t expect)
{
	msgpack_zone zone;
	int fd, rc;

	fd = chan_open();
	if (fd < 0)
		return fd;
	if (!msgpack_zone_init(&zone, 2048)) {
		sys_close(fd);
		return -ENOMEM;
	}
	rc = hello(fd, &zone, 1);
	if (rc == 0) {
		req->seq = 2;
		rc = exchange(fd, &zone, req, rep, expect);
	}
	msgpack_zone_destroy(&zone);
	sys_close(fd);
	return rc;
}

/*
 * A name lookup the broker performs: it takes as long as the name servers
 * do (a dropped AAAA question costs glibc's 5 s timeout). On the shared
 * channel it would hold every other check of this process behind it and
 * turn concurrent lookups (libuv's thread pool, tokio) into a queue, so it
 * gets a connection of its own; the addresses it learns are the broker's,
 * not the connection's, so later connects still match them.
 */
static bool is_lookup(const struct dlp_msg *req)
{
	return req->type == DLP_MSG_RESOLVE &&
	       !(DLP_HAS(req, DLP_K_FLAGS) && (req->flags & DLP_RESOLVE_JUDGE));
}

int shim_chan_call(struct dlp_msg *req, struct shim_reply *rep)
{
	sigset_t all, old;
	uint32_t expect = req->type == DLP_MSG_RESOLVE ? DLP_MSG_RESOLVED : DLP_MSG_VERDICT;
	int rc, attempt;

	if (__atomic_load_n(&chan_closed, __ATOMIC_ACQUIRE))
		return -EPERM;  /* no supervision in the ad hoc form: fail closed */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (is_lookup(req)) {
		rc = call_temporary(req, rep, expect);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc;
	}
	pthread_mutex_lock(&chan.lock);
	if (chan.fd >= 0 && chan.owner != (pid_t)SHIM_SYS0(SYS_getpid)) {
		/* forked without our atfork handler: do not touch shared state */
		pthread_mutex_unlock(&chan.lock);
		rc = call_temporary(req, rep, expect);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc;
	}
	if (!chan.zone_ready)
		chan.zone_ready = msgpack_zone_init(&chan.zone, 2048);
	rc = chan.zone_ready ? 0 : -ENOMEM;
	/* reconnect once: the app may have closed our fd (closefrom, EBADF) */
	for (attempt = 0; rc == 0 && attempt < 2; attempt++) {
		rc = chan_ensure();
		if (rc < 0)
			break;
		req->seq = ++chan.seq;
		rc = exchange(chan.fd, &chan.zone, req, rep, expect);
		if (rc == 0)
			break;
		chan_drop();
		if (rc == -EPROTO || attempt == 1)
			break;   /* garbage from the broker, or the retry failed too */
		rc = 0;
	}
	pthread_mutex_unlock(&chan.lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/*
 * AS-UNSAFE (the channel mutex, signals blocked). One frame the broker
 * answers with nothing (inbound data for events: DLP_DATA_NOREPLY, or a
 * TLS key-log line the relay waits for: DLP_TLS_POSTED; set here): the
 * caller goes on as soon as the frame is in our socket's buffer, and the
 * broker handles it meanwhile, in order with the channel's other frames.
 * The buffer is the bound: when the broker falls behind, the write waits.
 * 0 or negative errno.
 */
int shim_chan_post(struct dlp_msg *req)
{
	/* inbound DATA, or a TLS key-log line (the relay holds its records) */
	/* a NOTE is never answered, and sent only to a broker that takes it */
	bool note = req->type == DLP_MSG_NOTE;
	uint32_t flag = req->type == DLP_MSG_TLS ? DLP_TLS_POSTED : note ? 0 : DLP_DATA_NOREPLY;
	uint32_t need = req->type == DLP_MSG_TLS ? DLP_ACK_TLS_POST
		      : note ? DLP_ACK_NOTE : DLP_ACK_NOREPLY;
	struct shim_reply rep;
	sigset_t all, old;
	int rc, attempt;

	req->flags |= flag;
	DLP_SET(req, DLP_K_FLAGS);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_mutex_lock(&chan.lock);
	if (chan.fd >= 0 && chan.owner != (pid_t)SHIM_SYS0(SYS_getpid)) {
		/* forked without our atfork handler: a one-shot connection, answered */
		pthread_mutex_unlock(&chan.lock);
		if (note) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return 0;
		}
		req->flags &= ~flag;
		rc = call_temporary(req, &rep, DLP_MSG_VERDICT);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc;
	}
	if (!chan.zone_ready)
		chan.zone_ready = msgpack_zone_init(&chan.zone, 2048);
	rc = chan.zone_ready ? 0 : -ENOMEM;
	for (attempt = 0; rc == 0 && attempt < 2; attempt++) {
		rc = chan_ensure();
		if (rc < 0)
			break;
		req->seq = ++chan.seq;
		if (__atomic_load_n(&chan_ack, __ATOMIC_RELAXED) & need) {
			rc = send_frame(chan.fd, req);
		} else if (note) {
			rc = 0;         /* this broker does not take it: nothing to tell */
		} else {
			/* a broker of an older build (the ad hoc one outlives
			 * upgrades): it answers every frame, so read the answer */
			req->flags &= ~flag;
			rc = exchange(chan.fd, &chan.zone, req, &rep, DLP_MSG_VERDICT);
			req->flags |= flag;
		}
		if (rc == 0)
			break;
		chan_drop();
		if (attempt == 1 || rc == -EPROTO)
			break;
		rc = 0;
	}
	pthread_mutex_unlock(&chan.lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/*
 * AS-UNSAFE. 1 when the broker said that every TCP connect of the session
 * ends at its egress relay (DLP_ACK_RELAY), which scans both directions of
 * the stream itself; 0 when not, or when the broker cannot be reached.
 */
int shim_chan_relayed(void)
{
	uint32_t a = __atomic_load_n(&chan_ack, __ATOMIC_RELAXED);
	sigset_t all, old;

	if (!(a & SHIM_ACK_KNOWN)) {
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		pthread_mutex_lock(&chan.lock);
		if (chan.fd < 0 || chan.owner == (pid_t)SHIM_SYS0(SYS_getpid)) {
			if (!chan.zone_ready)
				chan.zone_ready = msgpack_zone_init(&chan.zone, 2048);
			if (chan.zone_ready)
				(void)chan_ensure();
		}
		pthread_mutex_unlock(&chan.lock);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		a = __atomic_load_n(&chan_ack, __ATOMIC_RELAXED);
	}
	return (a & SHIM_ACK_KNOWN) && (a & DLP_ACK_RELAY);
}

void shim_chan_evacuate(int wanted)
{
	int hi;

	if (wanted < 0 || wanted != shim_chan_fd())
		return;
	/* dup2(x, ourfd): move our socket elsewhere, then the app gets its number */
	hi = (int)SHIM_SYS(SYS_fcntl, wanted, F_DUPFD_CLOEXEC, wanted + 1);
	if (hi >= 0) {
		shim_fd_set(hi, SHIM_FD_BROKER);
		__atomic_store_n(&chan.fd, hi, __ATOMIC_RELAXED);
	}
}

void shim_chan_atfork_prepare(void)
{
	pthread_mutex_lock(&chan.lock);
}

void shim_chan_atfork_parent(void)
{
	pthread_mutex_unlock(&chan.lock);
}

/* FORK-SAFE: the child must not speak on the parent's stream. */
void shim_chan_atfork_child(void)
{
	if (chan.fd >= 0) {
		shim_fd_set(chan.fd, SHIM_FD_UNKNOWN);
		sys_close(chan.fd);
		chan.fd = -1;
	}
	chan.owner = 0;
	pthread_mutex_init(&chan.lock, NULL);
}

/* AS-SAFE: strstr and memcpy on a stack buffer, then shim_report(). */
void shim_report_reply(const char *what, const char *detail, const char *reason)
{
	const char *sep = reason ? strstr(reason, ": ") : NULL;
	char head[256];
	size_t n = sep ? (size_t)(sep - reason) : 0;

	if (!sep || n == 0 || n >= sizeof(head) || !strchr(reason, ' ') ||
	    strchr(reason, ' ') > sep) {
		shim_report(what, detail, reason);
		return;
	}
	memcpy(head, reason, n);
	head[n] = '\0';
	shim_report(head, NULL, sep + 2);
}

/* ---- the ad hoc backstop's side of the channel (see backstop.c) ---- */

bool shim_chan_adhoc(void)
{
	char path[PATH_MAX];
	bool adhoc = false;

	return sock_path(path, sizeof(path), &adhoc) == 0 && adhoc;
}

/*
 * The broker binary must not supervise itself through its own shim, and
 * the test is the file: an exported symbol (dlpjail_broker_marker) alone
 * would let any program declare itself the broker.
 */
bool shim_chan_self_is_dlpjail(void)
{
	char bin[PATH_MAX];
	struct stat a, b;

	return find_dlpjail(bin, sizeof(bin)) == 0 && SHIM_SYS(SYS_stat, bin, &b) == 0 &&
	       SHIM_SYS(SYS_stat, "/proc/self/exe", &a) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int shim_chan_open_now(void)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_mutex_lock(&chan.lock);
	if (!chan.zone_ready)
		chan.zone_ready = msgpack_zone_init(&chan.zone, 2048);
	rc = chan.zone_ready ? chan_ensure() : -ENOMEM;
	pthread_mutex_unlock(&chan.lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int shim_chan_backstop(int listener)
{
	struct dlp_msg m = { .type = DLP_MSG_BACKSTOP, .fd = listener };
	struct shim_reply rep;
	sigset_t all, old;
	int rc = -ENOTCONN;

	DLP_SET(&m, DLP_K_FD);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_mutex_lock(&chan.lock);
	/* no reconnect: connect() is trapped now and nobody answers it yet */
	if (chan.fd >= 0 && chan.zone_ready) {
		m.seq = ++chan.seq;
		rc = exchange(chan.fd, &chan.zone, &m, &rep, DLP_MSG_VERDICT);
		if (rc == 0 && rep.verdict != DLP_VERDICT_ALLOW) {
			dlp_log_as("dlpjail: %s", rep.reason[0] ? rep.reason : "backstop refused");
			rc = -EPERM;
		}
	}
	pthread_mutex_unlock(&chan.lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void shim_chan_fail_closed(void)
{
	__atomic_store_n(&chan_closed, true, __ATOMIC_RELEASE);
}
