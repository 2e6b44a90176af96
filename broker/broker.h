/* SPDX-License-Identifier: MIT */
/*
 * broker.h - the broker: listens on a Unix socket, serves every shimmed
 * process of a session (one thread per client connection), answers
 * connect / resolve / data requests from the policy and writes events.
 *
 * Callers: main.c (ad hoc `dlpjail broker`) and launcher.c. The seccomp
 * supervisor reaches the same decisions through brk_decide_connect().
 */
#ifndef DLP_BROKER_BROKER_H
#define DLP_BROKER_BROKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/un.h>

#include "broker/addr.h"
#include "broker/policy.h"

struct brk_eventlog;
struct brk_resolved;
struct brk_pidset;
struct brk_dnsgate;
struct brk_scan_engine;
struct brk_watchdog;
struct brk_tls_keys;
struct brk_swaps;

struct brk_ctx {
	/* owned, read-only once serving; swapped whole by brk_ctx_set_policy() */
	struct brk_policy *_Atomic policy;
	struct brk_eventlog *log;           /* owned */
	struct brk_resolved *resolved;      /* owned */
	struct brk_pidset *shimmed;         /* owned: pids with a live shim connection */
	struct brk_scan_engine *_Atomic scan; /* owned: detectors + canaries, shared */
	struct brk_dnsgate *dnsgate;        /* owned */
	struct brk_tls_keys *tlskeys;       /* owned: hooked TLS sessions (relay/tls_keys.h) */
	const struct brk_swaps *swaps;      /* the secretless jail's table (swap.h), or NULL */
	atomic_bool monitor;
	atomic_bool relay;                  /* the launcher's egress relay carries every TCP connect */
	struct brk_watchdog *watchdog;      /* owned: client progress records + thread */
	int listen_fd;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_t accept_thread;
	bool accepting;
	atomic_int nclients;                /* live client threads */
	atomic_int nbusy;                   /* of them, inside a handler now */
	atomic_long last_activity;          /* CLOCK_MONOTONIC seconds */
	atomic_bool stopping;
	/* Optional (launcher, set before serving): is a:port a loopback listener
	 * the jail itself opened (the seccomp supervisor knows)? Then a connect
	 * there needs no policy entry (issue 10 item 11); it is still relayed. */
	bool (*own_listener)(pid_t pid, const struct brk_addr *a, int port);
	/*
	 * The ad hoc broker's supervisor (broker/adhoc_sc.c): take the seccomp
	 * listener fd NUMBER listener of process pid (pidfd_getfd) and supervise
	 * it. NULL (the launcher's broker): a BACKSTOP request is refused.
	 * 0 or negative errno.
	 */
	int (*adopt)(struct brk_ctx *ctx, pid_t pid, int listener);
	/*
	 * Optional (launcher): is path (absolute) one of the files that run
	 * outside the jail, kept read-only in it (persist.h)? Then a write the
	 * shim saw refused there (DLP_MSG_NOTE, EROFS) is an event.
	 */
	bool (*persist_hit)(const char *path);
};

/*
 * Build a context from a policy (ownership passes to ctx) and an event
 * log path (NULL: summary only). Canary tokens come from the policy plus
 * extra (may be NULL/0). Returns 0 or negative errno with err filled.
 * The canaries are matched once the caller adds the known secrets
 * (brk_scan_engine_add_known(), e.g. brk_secrets_load() or
 * brk_swap_jail_build()), which it must do before serving.
 */
int brk_ctx_init(struct brk_ctx *ctx, struct brk_policy *policy, const char *log_path,
		 const char *const *extra_canaries, size_t nextra, char *err, size_t errlen);
void brk_ctx_fini(struct brk_ctx *ctx);

/*
 * Replace the policy of a serving context (policy reload of the ad hoc
 * broker). Destination rules, mode and watchdog apply to the next request;
 * changed canary or home lines get a new scanning engine (streams already
 * open finish on the old one); dns settings apply at the next start (a
 * warning says so). Extra canaries given to brk_ctx_init() are not kept.
 * The old policy and engine are never freed (a client thread may still
 * hold them): they are handed back in *old_policy / *old_scan for the
 * caller to keep. Returns 0, or negative errno with err filled and the
 * context unchanged (new policy freed).
 */
int brk_ctx_set_policy(struct brk_ctx *ctx, struct brk_policy *policy,
		       struct brk_policy **old_policy, struct brk_scan_engine **old_scan,
		       char *err, size_t errlen);

/* The event reason of a finding in inbound data (never refused). */
const char *brk_inbound_reason(bool canary);

/* Bind and listen on path (unlinks a stale socket). 0 or negative errno. */
int brk_listen(struct brk_ctx *ctx, const char *path);
/* Accept clients on a background thread. */
int brk_serve_start(struct brk_ctx *ctx);
void brk_serve_stop(struct brk_ctx *ctx);

/*
 * The connect decision shared by the shim path and the seccomp path:
 * policy + session memory, writes the event, returns BRK_ALLOW/BRK_DENY
 * as enforced (monitor mode turns a deny into an allow). via names the
 * path in the event ("shim", "seccomp").
 */
int brk_decide_connect(struct brk_ctx *ctx, pid_t pid, const char *exe,
		       const struct brk_addr *a, int port, const char *host_hint,
		       const char *via, char *reason, size_t rlen);

/* Flags of brk_decide_connect_ex(). */
#define BRK_DECIDE_QUIET_ALLOW 0x1u  /* no event for an allow (already evented by the shim) */
#define BRK_DECIDE_UNSHIMMED   0x2u  /* caller has no shim: explicit destinations only */
int brk_decide_connect_ex(struct brk_ctx *ctx, pid_t pid, const char *exe,
			  const struct brk_addr *a, int port, const char *host_hint,
			  const char *via, unsigned flags, char *reason, size_t rlen);

#endif /* DLP_BROKER_BROKER_H */
