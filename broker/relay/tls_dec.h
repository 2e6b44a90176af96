/* SPDX-License-Identifier: MIT */
/*
 * tls_dec.h - the relay's key path: one TLS session seen from the middle,
 * decrypted with the secrets the hooked library logged (tls_keys.h). It
 * frames records per direction (tls_rec.h), takes the client random from
 * the ClientHello and the suite from the ServerHello, derives traffic keys
 * with OpenSSL (TLS 1.3: EVP_KDF "TLS13-KDF" expand-label, KeyUpdate both
 * ways; TLS 1.2 AEAD suites: key block from EVP_KDF "TLS1-PRF"), opens
 * every record with EVP AEAD and hands the plaintext to the caller.
 * The caller forwards the original records, except those whose plaintext
 * the border swap changed (issue 15): resealed in place (tls_enc.h).
 *
 * Caller: relay_scan.c only, one thread per session.
 */
#ifndef DLP_BROKER_RELAY_TLS_DEC_H
#define DLP_BROKER_RELAY_TLS_DEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct brk_tls_keys;
struct rl_tk;

/* How long a record may wait for the keys that open it. */
#define RL_TLS_KEY_WAIT_SEC 3

int rl_tk_new(struct brk_tls_keys *keys, struct rl_tk **out);
/* Frees and wipes; the session's secrets are dropped from the key table. */
void rl_tk_free(struct rl_tk *t);

/*
 * Plaintext of direction dir (0 client -> server, 1 back): content type
 * RL_CT_APPDATA (application data) or RL_CT_HANDSHAKE (handshake messages,
 * plain or decrypted). A negative return stops the feed with that result.
 */
typedef int rl_tk_plain_fn(void *arg, int dir, int ctype, uint8_t *p, size_t n);
/* fn's answer for application data it changed in place (same length): the
 * record is encrypted again with its own key, nonce and sequence number. */
#define RL_TK_RESEAL 1
/* fn's answer for application data that may end in the start of a value
 * the border swaps (it did not scan it yet): the record is held at the
 * front of the bytes and handed again joined with the next one (up to 64
 * records, 12 KiB). ctype has RL_TK_LAST when holding is not allowed. */
#define RL_TK_HOLD 2
#define RL_TK_LAST 0x100
/* Held records of direction dir go on at the next feed (EOF, deadline). */
void rl_tk_release(struct rl_tk *t, int dir);
/* Keep encryption contexts next to the decryption ones (before the first
 * key): needed for RL_TK_RESEAL. */
void rl_tk_set_reseal(struct rl_tk *t, bool on);
/*
 * A record that grows (an HTTP/2 header block re-encoded, swap_h2.c): the
 * caller's buffer has room bytes past n for the next rl_tk_feed; inside
 * fn, rl_tk_room() is how much this record's plaintext may grow (0 for a
 * join of held records) and rl_tk_grew(d) says it did (before returning
 * RL_TK_RESEAL); the record is resealed d bytes longer (its header, and
 * TLS 1.2's additional data, say so) and the bytes after it move on;
 * rl_tk_grown() after the feed is the total (*used counts them).
 */
void rl_tk_set_room(struct rl_tk *t, size_t room);
size_t rl_tk_room(const struct rl_tk *t);
void rl_tk_grew(struct rl_tk *t, size_t d);
size_t rl_tk_grown(const struct rl_tk *t);

/*
 * Take the complete records at the start of p[0..n) of direction dir:
 * *used is how many bytes they are (forward those; the rest comes again
 * with more bytes after it). *waiting: a record waits for keys (try again
 * when keys arrive, or later). Returns 0 or a negative errno: -EPROTO (not
 * TLS, a record that does not decrypt), -ENOKEY (keys never came),
 * -EOPNOTSUPP (suite or feature not inspectable), or fn's result.
 * rl_tk_why() then says why in words (no secret in it).
 */
int rl_tk_feed(struct rl_tk *t, int dir, uint8_t *p, size_t n, rl_tk_plain_fn *fn,
		void *arg, size_t *used, bool *waiting);
const char *rl_tk_why(const struct rl_tk *t);
/* The server name the ClientHello asked for (as sent: display it through
 * brk_dnsgate_show_name), or NULL. */
const char *rl_tk_sni(const struct rl_tk *t);
/* The client random, once the ClientHello was seen (else NULL). */
const uint8_t *rl_tk_client_random(const struct rl_tk *t);
/*
 * Does the server's Certificate (TLS 1.2 in clear, TLS 1.3 decrypted with
 * the handshake keys) chain to store and name host? false when none was
 * seen (yet), it was cut, or it does not verify. The first answer is kept.
 */
struct x509_store_st;
bool rl_tk_cert_ok(struct rl_tk *t, struct x509_store_st *store, const char *host);
/*
 * The destination of the session (the relay's upstream address and port),
 * for the resumption binding of rl_tk_cert_ok (redteam-egress3): once a
 * session's certificate verified for a name, the resumption identities its
 * server issues (TLS 1.3 and 1.2 tickets, a TLS 1.2 session id) are kept
 * with that name and destination; a later session that the server resumed
 * from one of them (it sends no Certificate) counts as verified for that
 * name only at that same address and port. Without a destination no
 * identity is kept or taken.
 */
struct brk_addr;
void rl_tk_set_dst(struct rl_tk *t, const struct brk_addr *a, int port);

#endif /* DLP_BROKER_RELAY_TLS_DEC_H */
