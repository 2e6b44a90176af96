/* SPDX-License-Identifier: MIT */
/*
 * sc_int.h - internals shared by sc_rules.c (rule table, filter build,
 * child side) and sc_notify.c (supervisor), and by t/unit/seccomp_test.c.
 * Nothing outside broker/seccomp/ and its tests includes this.
 */
#ifndef DLP_BROKER_SECCOMP_SC_INT_H
#define DLP_BROKER_SECCOMP_SC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <linux/filter.h>
#include <linux/types.h>
#include <seccomp.h>

/* What the filter does with a row's syscall. */
enum brk_sc_kind {
	BRK_SC_K_NOTIFY, /* supervisor handles it (emulate / decide / continue) */
	BRK_SC_K_REFUSE, /* notified; supervisor answers -err and calls refused() */
	BRK_SC_K_ERRNO,  /* the kernel answers -err itself, no event */
};

/* One row of the rule table. Rows for syscalls this arch lacks are skipped. */
struct brk_sc_rule {
	const char *name;          /* syscall name as libseccomp knows it */
	enum brk_sc_kind kind;
	int err;                   /* positive errno for REFUSE / ERRNO */
	unsigned int argc;         /* 0..2 argument comparisons, ANDed */
	struct scmp_arg_cmp arg[2];
	const char *what;          /* event text for REFUSE rows */
};

extern const struct brk_sc_rule brk_sc_rules[];
extern const size_t brk_sc_nrules;

/*
 * Do these syscall arguments satisfy row r's comparisons (same semantics
 * as the BPF)? The caller matches the syscall number (resolve r->name once).
 */
int brk_sc_rule_args_match(const struct brk_sc_rule *r, const __u64 args[6]);

/* Compiled filter, built in the parent before fork. */
struct brk_sc_filter {
	struct sock_fprog prog;
	struct sock_filter *insns;
	int landlock_fd;           /* ruleset fd (no TCP connect), -1 if unavailable */
	int cg_root_fd;            /* detached cgroup2 root, -1 if no cgroup backstop */
	int cg_fd;                 /* our cgroup with the connect/sendmsg hooks, or -1 */
	bool cg_in;                /* child: created in it (brk_sc_fork), nothing to enter */
	char cg_name[64];
};

/*
 * sc_cgroup.c: cgroup v2 + BPF hooks refusing inet connect/addressed UDP
 * sends by anyone but the supervisor (root only; best effort).
 * setup: parent, before fork (0 or -errno, then f->cg_fd < 0).
 * enter: child, AS-SAFE. free: after the jailed tree is gone.
 */
int brk_sc_cgroup_setup(struct brk_sc_filter *f);
int brk_sc_cgroup_enter(const struct brk_sc_filter *f);
void brk_sc_cgroup_free(struct brk_sc_filter *f);

/*
 * rtnetlink: does this netlink payload carry anything but a GET/dump
 * request or a control message (RTM_NEW*, RTM_DEL*, RTM_SET* = a change)?
 * Returns 1 change/malformed, 0 read-only.
 */
int brk_sc_nl_is_change(const uint8_t *p, size_t len);

/*
 * Turn ::ffff:a.b.c.d into AF_INET in place (policy sees one spelling).
 * Returns the (possibly new) length.
 */
socklen_t brk_sc_addr_normalize(struct sockaddr_storage *ss, socklen_t len);

/* Port of an AF_INET/AF_INET6 address in host order, -1 otherwise. */
int brk_sc_addr_port(const struct sockaddr_storage *ss, socklen_t len);

/* "1.2.3.4:80" / "[::1]:53" / "unix:/path" into dst, for logs. */
void brk_sc_addr_str(const struct sockaddr_storage *ss, socklen_t len, char *dst, size_t cap);

/*
 * sc_own.c: the jail's own loopback listeners (inodes recorded at the
 * emulated listen(); a loopback connect matches when the kernel's LISTEN
 * entry for that address:port has one of them). Thread-safe.
 */
struct brk_sc_own;
struct brk_sc_own *brk_sc_own_new(void);
void brk_sc_own_free(struct brk_sc_own *o);
void brk_sc_own_add(struct brk_sc_own *o, unsigned long ino);
/* Has the jail listen()ed at all (cheap: a counter)? */
bool brk_sc_own_any(struct brk_sc_own *o);
bool brk_sc_own_is_listener(struct brk_sc_own *o, pid_t tid, const struct sockaddr_storage *ss);
/* 1 only the jail's TCP listeners on ss, 0 someone else's too (or not
 * loopback), -1 none; shortcut: 0 at once when the jail never listened. */
int brk_sc_own_tcp_state(struct brk_sc_own *o, pid_t tid, const struct sockaddr_storage *ss,
			 bool shortcut);
/*
 * AF_UNIX destination bound to the inode st (a path; NULL for abstract:
 * name/alen, without the leading NUL... as sun_path holds it, NUL first):
 * 1 the jail's own socket, 0 not (or none bound), negative errno.
 */
/*
 * Inbound: a loopback connect the supervisor makes (the relay's upstream,
 * or the jail's own socket without the relay) records its local address
 * first; accept() takes a peer only when it was recorded (a connection
 * the jail made), or for AF_UNIX when the peer's pid is in the tree.
 */
void brk_sc_own_expect(const struct sockaddr_storage *local);
bool brk_sc_own_take(const struct sockaddr_storage *peer);
/*
 * The relay's upstream to a loopback address records its local address
 * after connect() (no bind first: a bind(port 0) walks the port space past
 * every TIME_WAIT): begin before connect(), end(fd) after it. take_wait
 * is take that also waits for the recordings in flight (accept()).
 */
void brk_sc_own_expect_begin(void);
void brk_sc_own_expect_end(int fd);
bool brk_sc_own_take_wait(const struct sockaddr_storage *peer);
bool brk_sc_own_pid(pid_t pid, pid_t root);

struct stat;
int brk_sc_own_unix(struct brk_sc_own *o, pid_t root, const struct stat *st,
		    const char *abstract, size_t alen);

/*
 * sc_hold.c: the hold port (a jail socket parked in SYN_SENT until the
 * upstream's result is known, then joined by a simultaneous open or
 * refused) and the pending-connect thread. Thread-safe.
 */
struct brk_sc_hold;
/* sc_notify.c: a worker about to wait hands the lead on (no-op elsewhere). */
void brk_sc_unlead(void);

/*
 * sc_mem.c: the caller's memory through a /proc/TGID/mem kept per process,
 * and its exe while that memory lives (no exec since). peek: len bytes at
 * addr of thread tid into dst, exe[] the program ("" unknown); 0, -EFAULT
 * or -ESRCH, as process_vm_readv.
 */
struct brk_sc_mem;
int brk_sc_mem_new(struct brk_sc_mem **out);
void brk_sc_mem_free(struct brk_sc_mem *m);
int brk_sc_mem_peek(struct brk_sc_mem *m, pid_t tgid, pid_t tid, uint64_t addr, void *dst,
		    size_t len, char *exe, size_t cap);

int brk_sc_hold_new(struct brk_sc_hold **out);
void brk_sc_hold_free(struct brk_sc_hold *h);
/* connect fd (family af, file flags) to the hold port: 0 in SYN_SENT, or -errno. */
int brk_sc_hold_park(struct brk_sc_hold *h, int fd, int af, int flags);
/* fd parked (fresh: by the caller, just now): connect our end to it; *jfd
 * ours (non-blocking), jl fd's local address. */
int brk_sc_hold_join(struct brk_sc_hold *h, int fd, bool fresh, int *jfd,
		     struct sockaddr_storage *jl, socklen_t *jlen);
/* fd parked: make it a refused connect (SO_ERROR ECONNREFUSED). */
void brk_sc_hold_refuse(struct brk_sc_hold *h, int fd, int af, int flags);

#define BRK_SC_PEND_MAX 4096 /* beyond: the worker waits itself, as before */

struct brk_sc_req;
struct brk_sc_pend_item {
	int ufd;            /* our upstream socket, connecting */
	int tfd;            /* our copy of the target's socket */
	int tflags;         /* its file flags at the call */
	int taf;            /* its family */
	bool answer;        /* the caller waits in connect(): answer id when known */
	unsigned long long id;
	pid_t tid;
	void *req;          /* struct brk_sc_req, owned */
	struct brk_sc_pend_item *next;
};
/* err: 0 connected, a positive errno, or -1 cancelled (stop, caller gone).
 * done owns its fds and req; the item itself is freed after. */
typedef void (*brk_sc_pend_done_fn)(void *arg, struct brk_sc_pend_item *it, int err);
struct brk_sc_pend;
int brk_sc_pend_start(brk_sc_pend_done_fn done,
		      bool (*alive)(void *arg, const struct brk_sc_pend_item *it), void *arg,
		      struct brk_sc_pend **out);
/* 0: it is the thread's now; -errno: still the caller's. */
int brk_sc_pend_add(struct brk_sc_pend *p, struct brk_sc_pend_item *it);
unsigned int brk_sc_pend_count(struct brk_sc_pend *p);
void brk_sc_pend_stop(struct brk_sc_pend *p);

/* sc_own.c: before an emulated AF_UNIX connect, who the caller is (brk_sc_unix_caller). */
void brk_sc_unix_caller_set(unsigned long client_ino, pid_t tgid);

/* Built-in out-of-sandbox resolver sockets (NULL-terminated). */
extern const char *const brk_sc_resolver_socks[];

#endif /* DLP_BROKER_SECCOMP_SC_INT_H */
