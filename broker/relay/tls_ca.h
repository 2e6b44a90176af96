/* SPDX-License-Identifier: MIT */
/*
 * tls_ca.h - the session CA of the relay's CA path: an ECDSA P-256 CA made
 * when the session starts, trusted only inside the jail (the launcher puts
 * its certificate into the jail's trust store and environment), and leaf
 * certificates it mints per requested name (SNI) for relay_mitm.c.
 *
 * The private keys live only in the broker's memory: OpenSSL's secure heap
 * (mlock'ed, MADV_DONTDUMP) holds their BIGNUMs, nothing is written to a
 * file, and brk_tls_ca_new() makes the broker non-dumpable (no core, no
 * /proc/PID/mem for a process of the same user without CAP_SYS_PTRACE).
 *
 * Thread-safe: the leaf cache has its own lock. Returns 0 or negative errno.
 */
#ifndef DLP_BROKER_RELAY_TLS_CA_H
#define DLP_BROKER_RELAY_TLS_CA_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct brk_tls_ca;

/*
 * A new CA; label goes into its subject (the session id). rsa: also an
 * RSA-2048 CA for clients that speak RSA only (node-forge); its keys cost
 * 0.1-0.2 s to make, so it is opt-in (--tls-ca-rsa).
 */
int brk_tls_ca_new(const char *label, int rsa, struct brk_tls_ca **out);
int brk_tls_ca_has_rsa(const struct brk_tls_ca *ca);
void brk_tls_ca_free(struct brk_tls_ca *ca);

/* The CA certificate(s) in PEM (NUL-terminated, owned by ca). */
const char *brk_tls_ca_pem(const struct brk_tls_ca *ca, size_t *len);
/* The OpenSSL subject hash of the ECDSA (rsa 0) or RSA CA, for the
 * hashed-directory name "%08lx.0"; 0: no such CA. */
unsigned long brk_tls_ca_hash(const struct brk_tls_ca *ca, int rsa);

/*
 * A leaf for name (RSA when rsa and the CA has an RSA half): a DNS name (SAN dNSName) or an IPv4/IPv6 literal (SAN
 * iPAddress), valid from an hour ago for a day. Cached per name (the
 * oldest of BRK_TLS_CA_CACHE dropped). *cert and *key are new references
 * (X509_free, EVP_PKEY_free). -EINVAL for a name that is neither.
 */
#define BRK_TLS_CA_CACHE 256
int brk_tls_ca_leaf(struct brk_tls_ca *ca, const char *name, int rsa, X509 **cert,
		    EVP_PKEY **key);

#endif /* DLP_BROKER_RELAY_TLS_CA_H */
