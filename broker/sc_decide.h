/* SPDX-License-Identifier: MIT */
/*
 * sc_decide.h - the one answer to the seccomp supervisor's questions
 * (struct brk_sc_ops), for both forms: the launcher's session and the ad
 * hoc broker's supervised trees (issue 10 item 8: the same guarantees).
 * broker/seccomp/ stays policy-free; every rule about where a trapped
 * connect, datagram or Unix socket may go lives here, once: a new rule
 * added for one form is added for the other.
 *
 * Callers: launcher.c (one struct brk_scd per session) and adhoc_sc.c (one
 * per supervised tree). The struct is the supervisor's ctx argument: it
 * must outlive the supervisor.
 */
#ifndef DLP_BROKER_SC_DECIDE_H
#define DLP_BROKER_SC_DECIDE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct brk_ctx;
struct brk_relay;
struct brk_sc_ops;

struct brk_scd {
	struct brk_ctx *ctx;
	/* event rule for this form: "seccomp" or "seccomp (ad hoc)" */
	const char *rule;
	/* the broker's own socket (dev, ino; 0: none): always reachable */
	struct stat broker_sock;
	/* the egress relay the supervisor's connects end at (NULL: none) */
	struct brk_relay *relay;
	/*
	 * The supervised tree's root process: 0 when it is our child (the
	 * launcher: the tree is below us); the ad hoc broker supervises a
	 * process it did not start, whose descendants only are the jail.
	 */
	pid_t root;
};

/*
 * The ops for d: the decisions, refusal events, Unix socket rule and, when
 * d->relay is set, the relay slots. Every rule, in order: UDP only to the
 * session's DNS proxy (else, without one, port 53 of the host's name
 * servers) or the jail's own loopback UDP sockets; DNS payloads of
 * unshimmed processes judged query by query; then the connect policy
 * (shimmed: the shim asked first; unshimmed: explicit destinations only).
 * AF_UNIX: the jail's own sockets and the broker's, else only paths a
 * `unix PATH` policy line names.
 */
const struct brk_sc_ops *brk_scd_ops(const struct brk_scd *d);

/*
 * The shim's connect question (brk_ctx.own_listener): is a:port on
 * loopback the jail's own server, in sc's tree (see brk_sc_own_listener)?
 * The caller keeps sc alive meanwhile. false for sc == NULL.
 */
struct brk_addr;
struct brk_sc;
bool brk_scd_own_listener(struct brk_sc *sc, pid_t pid, const struct brk_addr *a, int port);

#endif /* DLP_BROKER_SC_DECIDE_H */
