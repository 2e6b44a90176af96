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

#include "broker/addr.h"

#define BRK_SESSION_MAX_RESOLVED 8192

struct brk_resolved;

int brk_resolved_new(struct brk_resolved **out);
void brk_resolved_free(struct brk_resolved *r);
/* Remember that host resolved to a (canonicalised here). */
void brk_resolved_add(struct brk_resolved *r, const char *host, const struct brk_addr *a);
/* Was a handed out for an allowed name? Copies the name into host if so. */
bool brk_resolved_lookup(struct brk_resolved *r, const struct brk_addr *a,
			 char *host, size_t cap);

#endif /* DLP_BROKER_SESSION_H */
