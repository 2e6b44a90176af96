/* SPDX-License-Identifier: MIT */
/*
 * jar.h - the cookie values hosts set this session (Set-Cookie in what they
 * sent), so that a session cookie going back to the host that set it is
 * that host's own (a JWT session cookie, a random "auth" cookie), not a
 * leak. Only scan.c (the engine's scope decision) and, through scan.h's
 * brk_scan_cookie_learn(), the HTTP glue use it.
 *
 * The values are held like known secrets: in broker memory only, never
 * logged, wiped when forgotten. A bounded ring (BRK_JAR_MAX values of at
 * most BRK_JAR_VALUE_MAX bytes, the oldest forgotten). Thread-safe.
 */
#ifndef DLP_BROKER_SCAN_JAR_H
#define DLP_BROKER_SCAN_JAR_H

#include <stddef.h>
#include <stdint.h>

#define BRK_JAR_MAX 1024
#define BRK_JAR_VALUE_MIN 8      /* shorter values are not remembered */
#define BRK_JAR_VALUE_MAX 4096
/* A stream reports a value early, before its end has arrived: a prefix of
 * a remembered value counts when it is at least this long, and a JWT's
 * (whose common header alone is 36 characters) when it reaches into the
 * payload (BRK_JAR_PREFIX_JWT). Values are cookie octets only (no blank,
 * quote, comma, semicolon or backslash), so no PEM block is ever one. */
#define BRK_JAR_PREFIX_MIN 16
#define BRK_JAR_PREFIX_JWT 64

struct brk_jar;

/* -ENOMEM */
int brk_jar_new(struct brk_jar **out);
void brk_jar_free(struct brk_jar *j);
/* host set the cookie value v[0,n) (host compared without case or trailing dot) */
void brk_jar_learn(struct brk_jar *j, const char *host, const uint8_t *v, size_t n);
/* 1 if host set exactly v[0,n) this session, or (prefix = 1) a value that
 * starts with v[0,n), n >= BRK_JAR_PREFIX_MIN */
int brk_jar_has(struct brk_jar *j, const char *host, const uint8_t *v, size_t n, int prefix);

#endif /* DLP_BROKER_SCAN_JAR_H */
