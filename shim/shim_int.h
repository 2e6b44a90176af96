/* SPDX-License-Identifier: MIT */
/*
 * shim_int.h - internals shared by the shim's files. Never installed; the
 * shim exports only its hooks (libdlpshim.map).
 *
 * Marks used in comments: AS-SAFE (only async-signal-safe calls, no malloc,
 * no stdio, no locks held across a signal), FORK-SAFE (correct in a child
 * after fork/vfork).
 */
#ifndef DLP_SHIM_SHIM_INT_H
#define DLP_SHIM_SHIM_INT_H

#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "common/wire.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_TLS __attribute__((tls_model("initial-exec")))

/* ---- real symbols (hook_table.c) ---- */
typedef int connect_fn(int, const struct sockaddr *, socklen_t);
typedef int socket_fn(int, int, int);
typedef ssize_t send_fn(int, const void *, size_t, int);
typedef ssize_t sendto_fn(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t sendmsg_fn(int, const struct msghdr *, int);
typedef int sendmmsg_fn(int, struct mmsghdr *, unsigned int, int);
typedef ssize_t write_fn(int, const void *, size_t);
typedef ssize_t writev_fn(int, const struct iovec *, int);
typedef ssize_t read_fn(int, void *, size_t);
typedef ssize_t readv_fn(int, const struct iovec *, int);
typedef ssize_t recv_fn(int, void *, size_t, int);
typedef ssize_t recvfrom_fn(int, void *, size_t, int, struct sockaddr *, socklen_t *);
typedef ssize_t recvmsg_fn(int, struct msghdr *, int);
typedef int close_fn(int);
typedef int close_range_fn(unsigned int, unsigned int, int);
typedef void closefrom_fn(int);
typedef int dup_fn(int);
typedef int dup2_fn(int, int);
typedef int dup3_fn(int, int, int);
typedef int fcntl_fn(int, int, ...);
typedef int accept_fn(int, struct sockaddr *, socklen_t *);
typedef int accept4_fn(int, struct sockaddr *, socklen_t *, int);
typedef int getaddrinfo_fn(const char *, const char *, const struct addrinfo *,
			   struct addrinfo **);
typedef struct hostent *gethostbyname_fn(const char *);
typedef struct hostent *gethostbyname2_fn(const char *, int);
typedef int gethostbyname_r_fn(const char *, struct hostent *, char *, size_t,
			       struct hostent **, int *);
typedef int gethostbyname2_r_fn(const char *, int, struct hostent *, char *, size_t,
				struct hostent **, int *);

struct __res_state;
typedef int res_query_fn(const char *, int, int, unsigned char *, int);
typedef int res_querydomain_fn(const char *, const char *, int, int, unsigned char *, int);
typedef int res_nquery_fn(struct __res_state *, const char *, int, int, unsigned char *, int);
typedef int res_nquerydomain_fn(struct __res_state *, const char *, const char *, int, int,
				unsigned char *, int);
typedef int res_send_fn(const unsigned char *, int, unsigned char *, int);
typedef int res_nsend_fn(struct __res_state *, const unsigned char *, int, unsigned char *, int);
typedef int getaddrinfo_a_fn(int, struct gaicb **, int, struct sigevent *);
typedef long syscall_fn(long, ...);

struct shim_real {
	connect_fn *connect;
	socket_fn *socket;
	send_fn *send;
	sendto_fn *sendto;
	sendmsg_fn *sendmsg;
	sendmmsg_fn *sendmmsg;
	write_fn *write;
	writev_fn *writev;
	read_fn *read;
	readv_fn *readv;
	recv_fn *recv;
	recvfrom_fn *recvfrom;
	recvmsg_fn *recvmsg;
	close_fn *close;
	close_range_fn *close_range;
	closefrom_fn *closefrom;
	dup_fn *dup;
	dup2_fn *dup2;
	dup3_fn *dup3;
	fcntl_fn *fcntl;
	fcntl_fn *fcntl64;
	accept_fn *accept;
	accept4_fn *accept4;
	getaddrinfo_fn *getaddrinfo;
	gethostbyname_fn *gethostbyname;
	gethostbyname2_fn *gethostbyname2;
	gethostbyname_r_fn *gethostbyname_r;
	gethostbyname2_r_fn *gethostbyname2_r;
	res_query_fn *res_query;
	res_query_fn *res_search;
	res_querydomain_fn *res_querydomain;
	res_nquery_fn *res_nquery;
	res_nquery_fn *res_nsearch;
	res_nquerydomain_fn *res_nquerydomain;
	res_send_fn *res_send;
	res_nsend_fn *res_nsend;
	getaddrinfo_a_fn *getaddrinfo_a;
	syscall_fn *syscall;
};

/* Globals: filled once under pthread_once (shim_init), read-only after. */
extern struct shim_real shim_real;
/* Set when the shim is loaded into dlpjail itself: every hook passes through. */
extern bool shim_inert;

/*
 * The shim's own raw system calls. The shim exports a syscall() hook, so a
 * plain syscall() inside the shim would come back to it; this goes to libc.
 */
long shim_syscall(long nr, long a, long b, long c, long d, long e, long f);
#define SHIM_SYS0(nr) shim_syscall(nr, 0, 0, 0, 0, 0, 0)
#define SHIM_SYS(nr, ...) SHIM_SYS_(nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define SHIM_SYS_(nr, a, b, c, d, e, f, ...) \
	shim_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Has symbol resolution finished? (the syscall hook must not start it) AS-SAFE */
bool shim_ready(void);
/* Is p inside this copy of the shim (its load segments)? */
bool shim_is_self(const void *p);

/* Resolve real symbols; idempotent, called from the constructor and every hook. */
void shim_init(void);

/* ---- reentry guard (shim.c) ---- */
/* Returns true and enters when this thread is not already inside the shim. AS-SAFE. */
bool shim_enter(void);
void shim_leave(void);

/* ---- fd classification (fdtab.c) ---- */
enum shim_fd_kind {
	SHIM_FD_UNKNOWN = 0,   /* not seen yet: classify on first use */
	SHIM_FD_OTHER,         /* file, pipe, AF_UNIX, ...: pass through */
	SHIM_FD_INET_STREAM,   /* TCP, nothing sent yet: TLS or plaintext decided on first bytes */
	SHIM_FD_INET_PLAIN,    /* TCP that has carried plaintext: every buffer shipped */
	SHIM_FD_INET_DGRAM,    /* UDP: destination per datagram, payload shipped */
	SHIM_FD_TLS,           /* TCP whose first bytes were a TLS handshake */
	SHIM_FD_DNS_UDP,       /* UDP connected to port 53: every datagram judged as DNS */
	SHIM_FD_DNS_TCP,       /* TCP connected to port 53: DNS over TCP */
	SHIM_FD_BROKER,        /* our own channel */
	SHIM_FD_INET_RELAYED,  /* TCP we connected under the egress relay: it reads every
				* byte both ways; only a ClientHello is still shipped */
};
/* AS-SAFE. */
enum shim_fd_kind shim_fd_kind(int fd);
void shim_fd_set(int fd, enum shim_fd_kind k);
void shim_fd_copy(int from, int to);
void shim_fd_forget_range(unsigned lo, unsigned hi);
/* Bytes (ptr,len) of a partial write already approved: skip a rescan. */
bool shim_fd_already_scanned(int fd, const void *p, size_t len);
void shim_fd_note_scanned(int fd, const void *p, size_t len, ssize_t sent);

/* peer.c: what a connected inet stream fd was connect()ed to (AS-SAFE).
 * lookup: 0 with the address, -1 unknown (use the kernel's answer). */
void shim_peer_note(int fd, const struct sockaddr *sa, socklen_t len);
int shim_peer_lookup(int fd, struct sockaddr_storage *out, socklen_t *len);
void shim_peer_copy(int from, int to);

/* ---- broker channel (chan.c) ---- */
struct shim_reply {
	uint32_t verdict;
	uint32_t err;
	uint32_t flags;
	char reason[256];
	char canon[256];
	unsigned naddrs;
	struct dlp_wire_addr addrs[DLP_WIRE_MAX_ADDRS];
};
/*
 * One request/verdict round trip. Body (may be NULL) is sent without
 * copying. Returns 0 with rep filled, or -EACCES-style negative errno when
 * the broker is unreachable or answered garbage (callers fail closed).
 */
int shim_chan_call(struct dlp_msg *req, struct shim_reply *rep);
/* Fire and forget (inbound data for events): no verdict comes back. */
int shim_chan_post(struct dlp_msg *req);
/* 1 if the session's TCP goes through the broker's egress relay. */
int shim_chan_relayed(void);
/* The channel's own fd, or -1. AS-SAFE. */
int shim_chan_fd(void);
/* Move our fd out of the way when the app wants its number (dup2 target). */
void shim_chan_evacuate(int wanted);
void shim_chan_atfork_prepare(void);
void shim_chan_atfork_parent(void);
void shim_chan_atfork_child(void);

/* ---- the ad hoc backstop (backstop.c, with chan.c) ---- */
/*
 * Constructor: in the ad hoc form (no launcher session: no DLPJAIL_SOCK,
 * no /etc/dlpjail.sock) and not yet under a dlpjail filter, load the
 * launcher's seccomp filter and hand its listener to the per-user broker.
 * Any failure leaves the process failing closed.
 */
void shim_backstop_install(void);
/* Is the broker the per-user ad hoc one (no launcher session)? */
bool shim_chan_adhoc(void);
/* Is this process the dlpjail binary itself (same file, not a symbol)? */
bool shim_chan_self_is_dlpjail(void);
/* Connect (or start) the broker now, before the filter traps connect(). */
int shim_chan_open_now(void);
/* DLP_MSG_BACKSTOP on the open channel, no reconnect. 0 or negative errno. */
int shim_chan_backstop(int listener);
/* From now on every broker round trip fails: the hooks refuse egress. */
void shim_chan_fail_closed(void);

/* ---- reporting (shim.c) ---- */
/* "dlpjail: blocked <what>: <reason>" on stderr, rate-limited. AS-SAFE. */
void shim_report(const char *what, const char *detail, const char *reason);
/*
 * A refusal from the broker: its reason is the whole line after "blocked "
 * ("connect to evil.example (203.0.113.5:443): why"), the destination in
 * the broker's display form, so the shim never chooses how a name is
 * shown. Without that form, what/detail and the reason as given. AS-SAFE.
 */
void shim_report_reply(const char *what, const char *detail, const char *reason);

/* ---- checks used by hooks (hook_net.c) ---- */
/* Ask about a destination: 0 allowed, -1 with errno=EACCES refused. */
int shim_check_dest(int fd, const struct sockaddr *sa, socklen_t len, int socktype);
/* Ship bytes just read from a plaintext inet socket: 0 allowed, -1 refused. */
int shim_check_recv(int fd, const void *p, size_t len);
/* Ship a buffer: 0 allowed, -1 refused (errno EACCES). flags: DLP_DATA_*. */
int shim_check_data(int fd, const void *p, size_t len, int chan, uint32_t flags, int socktype);

#endif /* DLP_SHIM_SHIM_INT_H */
