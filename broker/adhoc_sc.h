/* SPDX-License-Identifier: MIT */
/*
 * adhoc_sc.h - the ad hoc broker supervises the processes that load the
 * shim without the launcher (`LD_PRELOAD=libdlpshim.so cmd`, issue 10 item
 * 8): the shim installs the launcher's seccomp filter on itself at load
 * time and hands the listener over (DLP_MSG_BACKSTOP); the broker answers
 * its notifications with the same decisions (broker/sc_decide.c) and the
 * egress relay on, for
 * the whole tree the filter is inherited by. Caller: launcher.c
 * brk_adhoc_broker() only.
 */
#ifndef DLP_BROKER_ADHOC_SC_H
#define DLP_BROKER_ADHOC_SC_H

struct brk_ctx;

/* Accept BACKSTOP requests on ctx (sets ctx->adopt). After any fork, after
 * brk_listen on sock (the broker's socket stays reachable from the trees). */
void brk_adhoc_sc_enable(struct brk_ctx *ctx, const char *sock);
/* Stop the supervisors whose tree has exited; returns how many still run. */
unsigned brk_adhoc_sc_reap(void);

#endif /* DLP_BROKER_ADHOC_SC_H */
