/* SPDX-License-Identifier: MIT */
/*
 * tls_resume.h - TLS session resumption on both legs of the relay's CA
 * path (relay_mitm.c), so that a client's second connection to a host
 * costs neither leg a full handshake (no certificate signed for the jail,
 * no upstream chain verified again).
 *
 * Jail leg (we are the server): session tickets, each bound to the name
 * verified upstream for the connection that issued it. A ticket is taken
 * only on a connection whose upstream name, verified in this very
 * connection (or resumed for that name, below), is the same; any other
 * ticket means a full handshake. Resumption changes nothing else: the
 * plaintext is read and scanned as in a full handshake (the hello
 * callback, the upstream decision and the scan all still happen).
 * No 0-RTT (early data stays off).
 *
 * Upstream leg (we are the client): one session per (verified name,
 * upstream address, port, ALPN offer, trust store), kept only from a
 * handshake that verified the certificate for that name (SSL_VERIFY_PEER +
 * SSL_set1_host or the IP check) and whose certificate names it; offered
 * only to a connection with the same key. Resuming proves only that the
 * server holds the session's secret: a ticket key shared by another
 * address under the same name (one operator's servers, one of them with a
 * certificate we would refuse) must not stand in for that address's own
 * certificate, so the address is part of the key. A resumed handshake is
 * checked again (rl_resume_up_check): the session carries the key it was
 * verified for, its verify result and the peer certificate, which must
 * name the host, and the peer chain it kept is verified again
 * (X509_verify_cert) against the connection's trust store as it is now
 * (tls_roots.c re-reads a store whose files changed): a root removed or a
 * chain expired within the session's lifetime is not resumed.
 *
 * Thread-safe (the relay's epoll threads share one cache). 0 or -errno.
 */
#ifndef DLP_BROKER_RELAY_TLS_RESUME_H
#define DLP_BROKER_RELAY_TLS_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct rl_resume;

#define RL_RESUME_UP_CACHE 64   /* upstream sessions kept (LRU) */

/* A cache; installs its callbacks on down (server) and up (client). */
int rl_resume_new(SSL_CTX *down, SSL_CTX *up, struct rl_resume **out);
void rl_resume_free(struct rl_resume *r);

/*
 * Before the upstream handshake of us: host is the name (or address
 * literal) SSL_set1_host / the IP check will verify, addr and port the
 * upstream's, alpn the offer in wire format; the trust store is us's
 * context's, gen the generation of us's verify store (tls_roots.h: a
 * session verified under another generation has its chain verified again
 * when it resumes, one of the same only the certificates' expiry). Offers
 * a cached session for that key and remembers the key for the session the
 * handshake makes. 0 or -ENOMEM.
 */
int rl_resume_up_prepare(struct rl_resume *r, SSL *us, const char *host, const char *addr,
			 int port, const uint8_t *alpn, size_t nalpn, unsigned long gen);

/*
 * After the upstream handshake of us succeeded: 0 when it was a full one,
 * or a resumption of a session verified for exactly this key whose
 * certificate names the host and whose chain verifies now against us's
 * verify store (SSL_set1_verify_cert_store) or its context's; -EACCES
 * otherwise (fail the connection).
 */
int rl_resume_up_check(SSL *us);

/* Before the jail-side handshake resumes: tickets of cs name host. */
int rl_resume_down_bind(SSL *cs, const char *host);

/* After a finished handshake (up: 1 upstream leg): counts full / resumed. */
void rl_resume_count(struct rl_resume *r, SSL *s, int up);

/* The counters: [0] jail leg, [1] upstream leg; full and resumed handshakes. */
void rl_resume_stats(const struct rl_resume *r, unsigned long full[2],
		     unsigned long resumed[2]);

#endif /* DLP_BROKER_RELAY_TLS_RESUME_H */
