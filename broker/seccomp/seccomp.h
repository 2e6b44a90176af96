/* SPDX-License-Identifier: MIT */
/*
 * seccomp.h - the seccomp backstop: a USER_NOTIF filter on the whole jailed
 * command tree, and the supervisor that answers its notifications.
 *
 * Who calls what: only the launcher. Before fork it calls
 * brk_sc_filter_prepare(); the forked child calls brk_sc_child_install()
 * right before exec; the parent calls brk_sc_supervisor_start() with the
 * child's pid and later brk_sc_supervisor_stop(). Policy stays with the
 * caller: the supervisor asks ops->decide() about every IPv4/IPv6
 * destination and reports refusals through ops->refused().
 *
 * Mechanism (see broker/seccomp/README.md and the research note, section 3):
 *  - connect() on AF_INET/AF_INET6 sockets, sendto() with a destination
 *    or MSG_FASTOPEN, and every sendmsg()/sendmmsg() on such sockets are
 *    EMULATED: the supervisor copies the arguments once with
 *    process_vm_readv, validates the notification id, decides on its copy,
 *    takes the target's socket with pidfd_getfd and performs the call
 *    itself from its copy, then returns the result/errno. Nothing the
 *    target rewrites after the copy is ever used (no TOCTOU). O_NONBLOCK is
 *    shared, so non-blocking sockets still get EINPROGRESS.
 *  - AF_UNIX sends (sendto with a name, sendmsg, sendmmsg) are performed
 *    by the supervisor too, on the file it checked: a filesystem name is
 *    resolved once in the target's root/cwd (openat2 RESOLVE_IN_ROOT, then
 *    sent to /proc/self/fd/N of that O_PATH fd), SCM_RIGHTS fd numbers are
 *    translated with pidfd_getfd. Nothing is CONTINUEd, so a racing thread
 *    that swaps the fd number for a UDP socket gains nothing (this was the
 *    fd-swap UDP leak). Costs: a receiver with SO_PASSCRED sees the
 *    broker's pid (uid/gid are the same user), explicit SCM_CREDENTIALS
 *    naming the target's pid get EPERM, datagrams over 64 KiB EMSGSIZE.
 *  - AF_UNIX connect is performed here too (2026-12-01): the name is
 *    opened once as O_PATH in the target's view, judged on that inode
 *    (resolver rule or unix_path()), and the target's socket connected to
 *    /proc/self/fd/N; the listener's SO_PEERCRED names this process (see
 *    brk_sc_unix_caller). AF_NETLINK connect is performed here as well,
 *    so no socket call is CONTINUEd any more (only personality(), whose
 *    argument is a register). TCP is also closed
 *    kernel-side, TOCTOU-free, by two backstops the supervisor's own
 *    emulated calls are not subject to: a Landlock "no TCP connect" domain
 *    (Landlock ABI >= 4), and, as root, a private cgroup v2 whose BPF
 *    connect4/6 hooks refuse every inet connect made by a task outside the
 *    supervisor's cgroup (sc_cgroup.c).
 *  - listen() is performed by the supervisor too: an inet socket must be
 *    bound to a loopback address (else EPERM + refused()); the listening
 *    socket is remembered; brk_sc_own_listener() tells whether only such
 *    sockets listen on a loopback address:port (the jail's own server).
 *  - accept()/accept4() are performed by the supervisor and take only
 *    connections the jail made (inet: local address recorded before the
 *    supervisor's loopback connect; AF_UNIX: peer pid in the tree); the
 *    new socket is installed with SECCOMP_IOCTL_NOTIF_ADDFD (SEND flag).
 *  - Netlink sends are emulated from a copy and refused when they carry an
 *    rtnetlink change request (RTM_NEW*, RTM_DEL*, RTM_SET*).
 *  - Refused outright with EPERM and a refused() event: io_uring_*,
 *    socket() of any family but AF_UNIX/INET/INET6/NETLINK (AF_PACKET,
 *    AF_ALG, AF_VSOCK, ...), SOCK_RAW (except netlink), AF_NETLINK other
 *    than NETLINK_ROUTE, ptrace, process_vm_writev, bpf, perf_event_open,
 *    userfaultfd, unshare, setns, clone() with CLONE_NEW*, the mount API,
 *    kexec, module loading, seccomp(NEW_LISTENER), personality() other
 *    than PER_LINUX/query. clone3 gets ENOSYS (libc falls back to clone,
 *    whose flags the filter can see), without an event. Foreign
 *    architectures (i386, x32) kill the process.
 *
 * Errors: every function returns 0 or a negative errno (dlp_err.h).
 */
#ifndef DLP_BROKER_SECCOMP_SECCOMP_H
#define DLP_BROKER_SECCOMP_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/types.h>

struct brk_sc;        /* supervisor state */
struct brk_sc_filter; /* prepared (compiled) filter */

enum brk_sc_op {
	BRK_SC_CONNECT,  /* connect(2) */
	BRK_SC_SENDTO,   /* sendto/sendmsg/sendmmsg with a destination, or to a
			    connected socket's peer on port 53 (payload set) */
	BRK_SC_FASTOPEN, /* sendto/sendmsg with MSG_FASTOPEN: a connect + data */
};

#define BRK_SC_EXE_MAX 256 /* struct brk_sc_req.exe */

struct brk_sc_req {
	enum brk_sc_op op;
	pid_t tgid;   /* process (thread group) id of the caller */
	pid_t tid;    /* calling thread, as seccomp reports it */
	int family;   /* AF_INET or AF_INET6 (family of addr) */
	int socktype; /* SOCK_STREAM / SOCK_DGRAM (SO_TYPE of the socket) */
	/*
	 * The supervisor's private copy of the destination. An IPv4-mapped
	 * IPv6 address (::ffff:a.b.c.d) is presented as AF_INET, so the
	 * policy sees one spelling per address; the call itself uses the
	 * original.
	 */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	/*
	 * For datagram sends whose destination port is 53 (sendto, sendmsg,
	 * each message of sendmmsg, with or without an explicit address):
	 * the copy of the datagram that will be sent, else NULL. Valid only
	 * during decide(). Bounded by BRK_SC_PAYLOAD_MAX.
	 */
	const uint8_t *payload;
	size_t payload_len;
	/* the caller's /proc/PID/exe when the supervisor knows it (sc_mem.c),
	 * "" when decide() must read it */
	char exe[BRK_SC_EXE_MAX];
};

#define BRK_SC_PAYLOAD_MAX 65536 /* largest datagram / stream chunk we copy */
#define BRK_SC_WHY_MAX 256       /* size of the why[] buffer given to callbacks */

struct brk_sc_ops {
	/*
	 * Return 0 to allow, or a positive errno (EACCES) to refuse; fill
	 * why[] (already redacted) for logs. Called from several supervisor
	 * threads at once: must be thread-safe. Should not block for long.
	 */
	int (*decide)(void *ctx, const struct brk_sc_req *req, char *why, size_t whylen);
	/*
	 * Refused-outright events (io_uring_setup, AF_PACKET, SOCK_RAW,
	 * ptrace, ...) for the event log. Thread-safe; may be NULL.
	 */
	void (*refused)(void *ctx, pid_t tid, const char *what);
	/*
	 * Optional, may be NULL. AF_UNIX connect and every AF_UNIX send with
	 * a name: path is as the target passed it ("@NAME" for an abstract
	 * name, unprintable bytes as '?'), st the inode it names in the
	 * target's root/cwd (NULL: abstract, or nothing there), own whether
	 * that socket is the jail's own (a listener the jail listen()ed, or a
	 * datagram socket a jailed process holds). Return 0 to allow, or a
	 * positive errno (why[] filled; the supervisor reports it through
	 * refused()). When NULL, the built-in rule refuses the sockets of
	 * out-of-sandbox resolvers (nscd, systemd-resolved's varlink), which
	 * would resolve names behind the broker's DNS checks, with EACCES and
	 * a refused() event; everything else is allowed.
	 */
	int (*unix_path)(void *ctx, pid_t tgid, pid_t tid, const char *path,
			 const struct stat *st, bool own, char *why, size_t whylen);
	/*
	 * Optional, may be NULL (both or neither): the egress relay
	 * (broker/relay/). An allowed connect of an inet SOCK_STREAM socket
	 * is then not made to the destination: the supervisor connects a
	 * socket of its own there (the upstream; its result, refused,
	 * unreachable, timed out, is the target's connect result), then
	 * connects the target's socket to relay_addr() for its family and
	 * hands the upstream over with relay_attach(), keyed by the target
	 * socket's local address (ownership of ufd passes, also on error;
	 * req->addr is the destination). Thread-safe; 0 or negative errno.
	 */
	int (*relay_addr)(void *ctx, int family, struct sockaddr_storage *ss, socklen_t *len);
	int (*relay_attach)(void *ctx, const struct brk_sc_req *req,
			    const struct sockaddr_storage *jail_local, socklen_t jlen, int ufd);
	/*
	 * Optional, may be NULL: true when unix_path() would allow this
	 * destination whatever own is (the broker's own socket, a 'unix'
	 * policy line): the supervisor then skips the ownership test (a
	 * sock_diag dump of every unix socket, a /proc walk for a bound
	 * datagram socket), which every shimmed process's connect to the
	 * broker paid. Same arguments as unix_path(); no side effects.
	 */
	bool (*unix_known)(void *ctx, const char *path, const struct stat *st);
	/*
	 * Optional (with relay_addr and relay_attach): the supervisor connected the
	 * target's socket itself (sc_hold.c: parked in SYN_SENT, then a TCP
	 * simultaneous open from jfd), so no accept and no pairing: jfd is
	 * the relay's end, ufd the upstream, both owned by the callee (also
	 * on error). May be called from the supervisor's pending-connect
	 * thread. Thread-safe; 0 or negative errno.
	 */
	int (*relay_adopt)(void *ctx, const struct brk_sc_req *req,
			   const struct sockaddr_storage *jail_local, socklen_t jlen, int jfd,
			   int ufd);
};

/* Supervisor tunables; pass NULL to brk_sc_supervisor_start2 for defaults. */
struct brk_sc_opts {
	unsigned int min_threads;   /* workers started at once (default 2) */
	unsigned int max_threads;   /* cap when all are busy (default 32) */
	unsigned int handoff_ms;    /* wait for the child's listener (default 10000) */
};

/*
 * Kernel/libseccomp support check: USER_NOTIF, pidfd_open, pidfd_getfd.
 * Returns 0 when usable, else a negative errno with a reason in why[] so
 * the launcher can warn and run without the backstop.
 */
int brk_sc_available(char *why, size_t len);

/*
 * Parent, before fork: build the filter from the rule table and compile
 * it to BPF, create the Landlock ruleset (ABI >= 4) and, when running as
 * root, the backstop cgroup (see below). Allocates; free with
 * brk_sc_filter_free() in the parent AFTER brk_sc_supervisor_stop(), once
 * the jailed tree is gone: freeing removes the backstop cgroup (it stays,
 * harmlessly, while orphans of the tree still live in it). The child never
 * frees it: exec discards it. DLPJAIL_NO_LANDLOCK / DLPJAIL_NO_CGROUP_BPF
 * in the environment turn those two backstops off (for tests).
 */
int brk_sc_filter_prepare(struct brk_sc_filter **out);
/*
 * Optional, first thing at start (before brk_sc_filter_prepare, after the
 * signal mask is set: the thread inherits it): begins reaching the cgroup2
 * hierarchy for the cgroup backstop on a thread, so that its mount (10 to
 * 30 ms) overlaps the rest of the start-up. Does nothing where the backstop
 * cannot be had (not root, DLPJAIL_NO_CGROUP_BPF).
 */
void brk_sc_cgroup_early(void);
/*
 * fork() for the command: with the cgroup backstop (f may be NULL) the
 * child is created inside its cgroup (clone3 CLONE_INTO_CGROUP), which
 * spares the 10-30 ms a move into it costs; fork() where that fails.
 */
pid_t brk_sc_fork(struct brk_sc_filter *f);
void brk_sc_filter_free(struct brk_sc_filter *f);

/*
 * Which kernel-side backstops the prepared filter carries, so the launcher
 * can warn: without BRK_SC_BACKSTOP_CGROUP (needs root) a racing thread can
 * still slip a few UDP datagrams past a CONTINUEd call (see above).
 */
#define BRK_SC_BACKSTOP_LANDLOCK 0x1 /* TCP connect denied to the jail itself */
#define BRK_SC_BACKSTOP_CGROUP 0x2   /* inet connect + addressed UDP send denied */
unsigned int brk_sc_filter_backstops(const struct brk_sc_filter *f);

/*
 * A root jail without a private mount namespace (--no-mountns): the
 * prepared Landlock domain also takes file writes below /proc and /sys
 * away (uid 0 owns the kernel's knobs: kernel.core_pattern "|PROG" runs
 * PROG outside the jail). Made again with one path-beneath rule per
 * top-level directory but those two. Parent, before fork. 0, or
 * -EOPNOTSUPP without Landlock ABI 4 (the domain is left as it was).
 */
int brk_sc_filter_guard_knobs(struct brk_sc_filter *f);
/* Will the prepared filter carry the Landlock TCP domain (ABI >= 4, not
 * DLPJAIL_NO_LANDLOCK)? One system call; for decisions made before
 * brk_sc_filter_prepare(). */
bool brk_sc_landlock_available(void);

/*
 * Child, after fork, before exec. report_fd: the child's end of a
 * socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC) whose other end the
 * parent passes to brk_sc_supervisor_start(). Sets PR_SET_NO_NEW_PRIVS,
 * enters the backstop cgroup when there is one, restricts TCP connect with
 * Landlock when available (both best effort), loads the filter with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER (+ WAIT_KILLABLE_RECV when supported),
 * write()s the listener's fd NUMBER to report_fd, waits for the parent's
 * one-byte ack and closes the listener. Uses raw syscalls only (no
 * malloc, no locks): safe between fork and exec of a threaded parent.
 * Does not close report_fd. On failure the child must _exit(): a negative
 * return means no filter may be in place, or one with nobody listening.
 */
int brk_sc_child_install(struct brk_sc_filter *f, int report_fd);

/*
 * Parent: receive the listener fd number over report_fd (waits up to
 * handoff_ms), take it with pidfd_open + pidfd_getfd, ack, and start the
 * supervisor threads. ops and ctx must outlive the supervisor. Does not
 * close report_fd or reap the child. On failure the caller should kill the
 * child (it waits for an ack that never comes, then fails).
 */
int brk_sc_supervisor_start(pid_t child, int report_fd, const struct brk_sc_ops *ops, void *ctx,
			    struct brk_sc **out);
int brk_sc_supervisor_start2(pid_t child, int report_fd, const struct brk_sc_ops *ops, void *ctx,
			     const struct brk_sc_opts *opts, struct brk_sc **out);

/*
 * Stop the threads, close the listener and cached pidfds, free. Any
 * target still blocked in a trapped call then gets ENOSYS, and later
 * trapped calls too: call it after the jailed tree has exited. NULL is a
 * no-op.
 */
void brk_sc_supervisor_stop(struct brk_sc *sc);

/*
 * Is ss (AF_INET/AF_INET6, loopback) the jail's own: where only sockets the
 * jail itself listen()ed are listening now, or, with no TCP listener there
 * at all, where only UDP sockets of the tree are bound? For the broker's
 * connect questions (the shim's come before the trapped connect). tid: any task of the jail (its network
 * namespace). Thread-safe; false for sc == NULL.
 */
bool brk_sc_own_listener(struct brk_sc *sc, pid_t tid, const struct sockaddr_storage *ss);

/*
 * Is pid a process of sc's tree (its root, below it, or below us)? For
 * the ad hoc broker, which supervises several trees. false for sc == NULL.
 */
bool brk_sc_in_tree(struct brk_sc *sc, pid_t pid);

/*
 * Is ss (loopback) a UDP address where only sockets the jailed tree holds
 * are bound (the jail's own UDP server)? A netlink dump plus a walk of the
 * tree's fds: for the rare datagram the DNS-only rule would refuse.
 * The tree: processes below us (the launcher), and below root when it is
 * > 0 (the ad hoc broker supervises a process it did not start: root is
 * that process; 0 for below us only).
 */
bool brk_sc_own_datagram_dest(const struct sockaddr_storage *ss, pid_t root);

/*
 * AF_UNIX connects are performed by the supervisor (the checked inode is
 * the connected one), so the listener's SO_PEERCRED names this process.
 * For a socket accepted from such a connect (its SO_PEERCRED pid is
 * getpid()): the jailed process the supervisor connected it for, found by
 * the peer socket's inode (NETLINK_SOCK_DIAG), or -1 if none was recorded.
 * The broker uses it for its own clients.
 */
pid_t brk_sc_unix_caller(int fd);

/* Counters, for the summary and tests. */
struct brk_sc_stats {
	unsigned long notifications; /* received */
	unsigned long emulated;      /* calls performed by the supervisor */
	unsigned long continued;     /* answered with CONTINUE (AF_UNIX, ...) */
	unsigned long denied;        /* decide() or unix_path() refused */
	unsigned long refused;       /* refused outright by the rule table */
	unsigned long stale;         /* notification gone before the answer */
	unsigned int threads;        /* workers running */
	int child_exited;            /* the direct child has exited */
	int tree_exited;             /* no process uses the filter any more */
};
void brk_sc_stats(struct brk_sc *sc, struct brk_sc_stats *st);

#endif /* DLP_BROKER_SECCOMP_SECCOMP_H */
