/* SPDX-License-Identifier: MIT */
/*
 * adhoc_sc.c - seccomp supervisors of the ad hoc broker (see adhoc_sc.h).
 *
 * One supervisor (broker/seccomp/) per process tree that handed us its
 * listener, all sharing one egress relay (broker/relay/): the same road out
 * as under the launcher. The decisions are the launcher's (sc_decide in
 * launcher.c, repeated here so that the launcher stays untouched): shimmed
 * processes get the shim's policy, others explicit destinations only, DNS
 * to port 53 is judged query by query.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/adhoc_sc.h"
#include "broker/addr.h"
#include "broker/broker.h"
#include "broker/dnsgate.h"
#include "broker/event.h"
#include "broker/relay/relay.h"
#include "broker/seccomp/seccomp.h"
#include "broker/session.h"
#include "common/dlp_err.h"
#include "common/log.h"

struct asc {
	struct asc *next;
	struct brk_sc *sc;
	pid_t pid;
};

/* Globals: the supervised trees and the shared relay, under asc_lock. */
static pthread_mutex_t asc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct asc *asc_list;
static struct brk_relay *asc_relay;

static void asc_exe(pid_t pid, char *dst, size_t cap)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	n = readlink(path, dst, cap - 1);
	dst[n > 0 ? n : 0] = '\0';
}

static int asc_decide(void *arg, const struct brk_sc_req *req, char *why, size_t whylen)
{
	struct brk_ctx *ctx = arg;
	struct brk_addr a;
	uint16_t port = 0;
	char exe[256];
	bool shimmed = brk_pidset_has(ctx->shimmed, req->tgid);
	unsigned flags = shimmed ? BRK_DECIDE_QUIET_ALLOW : BRK_DECIDE_UNSHIMMED;

	if (brk_addr_from_sockaddr((const struct sockaddr *)&req->addr, req->addrlen, &a,
				   &port) < 0) {
		snprintf(why, whylen, "unsupported address");
		return EACCES;
	}
	asc_exe(req->tgid, exe, sizeof(exe));
	if (req->payload && port == 53 && !shimmed &&
	    brk_dnsgate_raw(ctx, req->tgid, exe, req->payload, req->payload_len, false, NULL,
			    why, whylen) != BRK_ALLOW)
		return EACCES;
	if (brk_decide_connect_ex(ctx, req->tgid, exe, &a, port, NULL,
				  shimmed ? "seccomp (ad hoc)" : "seccomp (ad hoc), unshimmed",
				  flags, why, whylen) != BRK_ALLOW)
		return EACCES;
	return 0;
}

static void asc_refused(void *arg, pid_t tid, const char *what)
{
	struct brk_ctx *ctx = arg;
	char exe[256];
	struct brk_event ev = { .op = "refuse", .pid = tid, .port = -1, .verdict = BRK_DENY,
				.enforced = true, .rule = "seccomp (ad hoc)", .reason = what };

	asc_exe(tid, exe, sizeof(exe));
	ev.exe = exe;
	brk_eventlog_write(ctx->log, &ev);
}

static int asc_relay_addr(void *arg, int family, struct sockaddr_storage *ss, socklen_t *len)
{
	(void)arg;
	return brk_relay_addr(asc_relay, family, ss, len);
}

static int asc_relay_attach(void *arg, const struct brk_sc_req *req,
			    const struct sockaddr_storage *jail_local, socklen_t jlen, int ufd)
{
	(void)arg;
	return brk_relay_attach(asc_relay, jail_local, jlen, ufd, req->tgid,
				(const struct sockaddr *)&req->addr, req->addrlen);
}

static const struct brk_sc_ops asc_ops = {
	.decide = asc_decide,
	.refused = asc_refused,
	.relay_addr = asc_relay_addr,
	.relay_attach = asc_relay_attach,
};

/*
 * ctx->adopt: take listener (an fd number in pid) and supervise it. The
 * supervisor's handoff reads the number from a socket, as from the
 * launcher's child: here it is a socketpair we write it to ourselves.
 */
static int asc_adopt(struct brk_ctx *ctx, pid_t pid, int listener)
{
	const struct brk_sc_opts opts = { .handoff_ms = 2000 };
	struct asc *e = NULL;
	char why[BRK_SC_WHY_MAX];
	int sp[2] = { -1, -1 }, rc;

	if (brk_sc_available(why, sizeof(why)) < 0) {
		dlp_log(DLP_LOG_ERR, "ad hoc backstop of pid %ld refused: %s", (long)pid, why);
		return -EOPNOTSUPP;
	}
	pthread_mutex_lock(&asc_lock);
	/* one road out: no relay, no supervision (the process then fails closed) */
	rc = asc_relay ? 0 : brk_relay_start(ctx, 2, &asc_relay);
	if (rc < 0) {
		dlp_log(DLP_LOG_ERR, "cannot start the egress relay: %s", strerror(-rc));
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		rc = -ENOMEM;
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		rc = -errno;
		goto out;
	}
	if (write(sp[1], &listener, sizeof(listener)) != (ssize_t)sizeof(listener)) {
		rc = -EIO;
		goto out;
	}
	rc = brk_sc_supervisor_start2(pid, sp[0], &asc_ops, ctx, &opts, &e->sc);
	if (rc < 0) {
		dlp_log(DLP_LOG_ERR, "cannot supervise pid %ld: %s", (long)pid, strerror(-rc));
		goto out;
	}
	e->pid = pid;
	e->next = asc_list;
	asc_list = e;
	e = NULL;
	dlp_log(DLP_LOG_INFO, "supervising pid %ld (ad hoc backstop, relay on)", (long)pid);
out:
	pthread_mutex_unlock(&asc_lock);
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	free(e);
	return dlp_rc_filter(rc);
}

void brk_adhoc_sc_enable(struct brk_ctx *ctx)
{
	ctx->adopt = asc_adopt;
}

unsigned brk_adhoc_sc_reap(void)
{
	struct asc **pp, *e;
	struct brk_sc_stats st;
	unsigned live = 0;

	pthread_mutex_lock(&asc_lock);
	for (pp = &asc_list; (e = *pp);) {
		brk_sc_stats(e->sc, &st);
		if (st.tree_exited) {
			*pp = e->next;
			brk_sc_supervisor_stop(e->sc);
			free(e);
			continue;
		}
		live++;
		pp = &e->next;
	}
	pthread_mutex_unlock(&asc_lock);
	return live;
}
