/* SPDX-License-Identifier: MIT */
/*
 * tls_roots.h - the host's trust store for the CA path's upstream leg,
 * loaded lazily. SSL_CTX_set_default_verify_paths() parses the whole
 * bundle file (Debian: ~140 roots, ~30 ms of CPU) at the first CA-path
 * session of every run, although a run meets a handful of issuers. Here
 * the same two sources are looked up on demand: the hashed directory
 * (SSL_CERT_DIR or OpenSSL's default; one file per issuer asked for), then,
 * only when an issuer is not there, the bundle file (SSL_CERT_FILE or the
 * default), parsed once. The set of trusted roots is exactly the default
 * paths' (the file's and the directory's): only the time they are read
 * changes. 0 or -EIO.
 */
#ifndef DLP_BROKER_RELAY_TLS_ROOTS_H
#define DLP_BROKER_RELAY_TLS_ROOTS_H

#include <openssl/ssl.h>

int rl_roots_default(SSL_CTX *ctx);
/* The same for a bare store (the border's check of an upstream leaf
 * without a CA path, relay_swap.c). */
int rl_roots_store(X509_STORE *st);

/*
 * The trust store as it is on disk now: file (NULL: the host's default
 * paths above) is stat()ed at every get, and a store is read again when
 * the file or the hashed directory changed (a root removed, a bundle
 * replaced), so a run never goes on trusting what the host stopped
 * trusting. get: the current store (owned by l; a connection takes its
 * own reference) and its generation; -EIO when the file no longer loads
 * (fail closed). Thread-safe.
 */
struct rl_roots_live;
int rl_roots_live_new(const char *file, struct rl_roots_live **out);
int rl_roots_live_get(struct rl_roots_live *l, X509_STORE **st, unsigned long *gen);
void rl_roots_live_free(struct rl_roots_live *l);

#endif /* DLP_BROKER_RELAY_TLS_ROOTS_H */
