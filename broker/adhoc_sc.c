/* SPDX-License-Identifier: MIT */
/*
 * adhoc_sc.c - seccomp supervisors of the ad hoc broker (see adhoc_sc.h).
 *
 * One supervisor (broker/seccomp/) per process tree that handed us its
 * listener, all sharing one egress relay (broker/relay/): the same road out
 * as under the launcher, with the launcher's answers (broker/sc_decide.c,
 * one struct brk_scd per tree, rooted at the process that handed us its
 * listener): the UDP gate (the ad hoc form has no private /etc, so no DNS
 * proxy: DNS goes only to port 53 of the host's name servers, judged
 * query by query, the shim's resolver hooks first), the connect policy,
 * listen/accept on loopback only, and Unix sockets outside the tree only
 * when a `unix PATH` line names them (this broker's socket stays open).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/adhoc_sc.h"
#include "broker/addr.h"
#include "broker/broker.h"
#include "broker/dnsgate.h"
#include "broker/event.h"
#include "broker/relay/relay.h"
#include "broker/sc_decide.h"
#include "broker/seccomp/seccomp.h"
#include "broker/session.h"
#include "common/dlp_err.h"
#include "common/log.h"

struct asc {
	struct asc *next;
	struct brk_sc *sc;
	struct brk_scd scd; /* the supervisor's ctx: lives as long as it */
	pid_t pid;
};

/* Globals: the supervised trees and the shared relay, under asc_lock;
 * the broker's socket (dev, ino), set once by brk_adhoc_sc_enable. */
static pthread_mutex_t asc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct asc *asc_list;
static struct brk_relay *asc_relay;
static struct stat asc_sock_st;

/* ctx->own_listener: the shim asks before connecting to a loopback
 * server; the jail's own (in the asker's tree) needs no policy line. */
static bool asc_own_listener(pid_t pid, const struct brk_addr *a, int port)
{
	struct asc *e;
	bool r = false;

	pthread_mutex_lock(&asc_lock);
	for (e = asc_list; e; e = e->next)
		if (brk_sc_in_tree(e->sc, pid)) {
			r = brk_scd_own_listener(e->sc, pid, a, port);
			break;
		}
	pthread_mutex_unlock(&asc_lock);
	return r;
}

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
	e->pid = pid;
	e->scd = (struct brk_scd){ .ctx = ctx, .rule = "seccomp (ad hoc)",
				   .broker_sock = asc_sock_st, .relay = asc_relay, .root = pid };
	rc = brk_sc_supervisor_start2(pid, sp[0], brk_scd_ops(&e->scd), &e->scd, &opts, &e->sc);
	if (rc < 0) {
		dlp_log(DLP_LOG_ERR, "cannot supervise pid %ld: %s", (long)pid, strerror(-rc));
		goto out;
	}
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

void brk_adhoc_sc_enable(struct brk_ctx *ctx, const char *sock)
{
	if (stat(sock, &asc_sock_st) < 0)
		memset(&asc_sock_st, 0, sizeof(asc_sock_st));
	ctx->adopt = asc_adopt;
	ctx->own_listener = asc_own_listener;
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
