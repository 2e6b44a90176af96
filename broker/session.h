/* SPDX-License-Identifier: MIT */
/*
 * session.h - what one dlpjail session has learned: the addresses the
 * broker handed out for allowed names (so connects to them are approved,
 * and events can name the host) - netjail's resolve-check-connect.
 * Thread-safe (one mutex); bounded (oldest entries are recycled).
 */
#ifndef DLP_BROKER_SESSION_H
#define DLP_BROKER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "broker/addr.h"

#define BRK_SESSION_MAX_RESOLVED 8192

struct brk_resolved;

int brk_resolved_new(struct brk_resolved **out);
void brk_resolved_free(struct brk_resolved *r);
/* Remember that host resolved to a (canonicalised here). */
void brk_resolved_add(struct brk_resolved *r, const char *host, const struct brk_addr *a);
/* Was a handed out for an allowed name? Copies the newest such name into host. */
bool brk_resolved_lookup(struct brk_resolved *r, const struct brk_addr *a,
			 char *host, size_t cap);
/*
 * Did the broker hand out a for exactly this name in this session (one of
 * the last four names it resolved to a)? The binding of a home domain: a
 * name the client itself claims (SNI, Host header, --resolve) counts only
 * when this holds for the connection's address.
 */
bool brk_resolved_has(struct brk_resolved *r, const char *host, const struct brk_addr *a);

/*
 * Which processes have a live shim connection (pid from SO_PEERCRED at
 * hello). The seccomp supervisor asks it to tell shimmed processes, whose
 * plaintext the broker sees, from static or LD_PRELOAD-less ones.
 * A pid may connect more than once (threads after fork races): counted.
 */
struct brk_pidset;
int brk_pidset_new(struct brk_pidset **out);
void brk_pidset_free(struct brk_pidset *s);
void brk_pidset_add(struct brk_pidset *s, pid_t pid);
void brk_pidset_del(struct brk_pidset *s, pid_t pid);
bool brk_pidset_has(struct brk_pidset *s, pid_t pid);

#endif /* DLP_BROKER_SESSION_H */
