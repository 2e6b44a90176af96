/* SPDX-License-Identifier: MIT */
/*
 * tls_keys.h - the broker's table of hooked TLS sessions: claims ("the
 * session about to start on the jail socket with local address L is run
 * by a hooked library"), the secrets those libraries hand over through
 * their key-log callbacks (NSS key-log lines, keyed by client random), and
 * the relay's verdict on a session (so the hook's next call can print why
 * its connection was reset).
 *
 * Writers: broker.c h_tls() (claims, key lines, status questions, one
 * client thread each); reader: the relay (relay_scan.c, tls_dec.c). One
 * mutex, one condition variable (a relay thread may wait a bounded time
 * for keys). Secrets never leave this table except into the relay's
 * session state; they are wiped when dropped and never logged.
 * Every function returns 0 / true on success or a negative errno.
 */
#ifndef DLP_BROKER_RELAY_TLS_KEYS_H
#define DLP_BROKER_RELAY_TLS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/addr.h"

#define BRK_TLS_SECRET_MAX 64

/* The key-log labels the relay uses (NSS key-log format). */
enum brk_tls_label {
	BRK_TLS_MASTER = 0,     /* CLIENT_RANDOM: TLS 1.2 master secret */
	BRK_TLS_C_HS,           /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	BRK_TLS_S_HS,           /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	BRK_TLS_C_AP,           /* CLIENT_TRAFFIC_SECRET_0 */
	BRK_TLS_S_AP,           /* SERVER_TRAFFIC_SECRET_0 */
	BRK_TLS_C_EARLY,        /* CLIENT_EARLY_TRAFFIC_SECRET */
	BRK_TLS_NLABELS
};

struct brk_tls_keys;

int brk_tls_keys_new(struct brk_tls_keys **out);
void brk_tls_keys_free(struct brk_tls_keys *k);

/* Set by the relay while it runs: claimed sessions are decrypted there. */
void brk_tls_keys_set_relay(struct brk_tls_keys *k, bool on);
bool brk_tls_keys_relay(struct brk_tls_keys *k);

/* A claim for the jail socket la:lport of pid (replaces an older one). */
int brk_tls_claim(struct brk_tls_keys *k, const struct brk_addr *la, int lport, pid_t pid);
/* The relay at a ClientHello: was la:lport claimed? Consumes the claim. */
bool brk_tls_claim_take(struct brk_tls_keys *k, const struct brk_addr *la, int lport);

/*
 * One key-log line ("LABEL <64 hex client random> <hex secret>", no
 * newline needed) from pid. Labels the relay does not use are accepted and
 * dropped. -EINVAL for a malformed line, -EEXIST when the same label of
 * the same session came before with a different secret (the relay then
 * refuses that session: two keys for one session are one too many).
 */
int brk_tls_keylog(struct brk_tls_keys *k, pid_t pid, const uint8_t *line, size_t len);

/*
 * The secret for (client random, label): copied into out (cap >=
 * BRK_TLS_SECRET_MAX), its length in *outlen. Waits up to wait_ms for it.
 * -ENOENT: never came; -EKEYREJECTED: the session had conflicting lines.
 */
int brk_tls_secret(struct brk_tls_keys *k, const uint8_t cr[32], enum brk_tls_label label,
		   uint8_t *out, size_t *outlen, unsigned wait_ms);
/* The relay is done with this session: wipe and forget its secrets. */
void brk_tls_keys_drop(struct brk_tls_keys *k, const uint8_t cr[32]);

/* The relay reset the session at la:lport: line is the readable reason. */
void brk_tls_set_status(struct brk_tls_keys *k, const struct brk_addr *la, int lport,
			const char *line);
/* 1 and line filled when la:lport was reset by the relay (consumed), else 0. */
int brk_tls_status(struct brk_tls_keys *k, const struct brk_addr *la, int lport, char *line,
		   size_t cap);

#endif /* DLP_BROKER_RELAY_TLS_KEYS_H */
