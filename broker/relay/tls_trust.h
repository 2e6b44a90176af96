/* SPDX-License-Identifier: MIT */
/*
 * tls_trust.h - the session CA trusted inside the jail and nowhere else:
 * PEM files in the launcher's private directory (the CA alone; host roots
 * + the CA; a user's own bundle + the CA), the environment variables that
 * point the jail's TLS clients at them, and the bundle text the private
 * /etc shows at /etc/ssl/certs/ca-certificates.crt. The host trust store
 * is only read. Caller: the launcher. 0 or negative errno.
 */
#ifndef DLP_BROKER_RELAY_TLS_TRUST_H
#define DLP_BROKER_RELAY_TLS_TRUST_H

#include <stddef.h>

struct brk_tls_ca;
struct brk_tls_trust;

/*
 * Write the files into dir/tls (created). env: the command's environment
 * as it stands, for the user's own values (SSL_CERT_FILE=... : that file
 * + the CA, not the host roots; the host's own bundle needs no copy).
 * etc_bundle: where the jail sees host roots + CA already (the private
 * /etc, BRK_TLS_TRUST_ETC), or NULL: written as dir/tls/ca-bundle.pem.
 */
#define BRK_TLS_TRUST_ETC "/etc/ssl/certs/ca-certificates.crt"
int brk_tls_trust_prepare(const struct brk_tls_ca *ca, const char *dir, char *const *env,
			  const char *etc_bundle, struct brk_tls_trust **out);
/* "NAME=PATH" entries to put into (or replace in) the command's environment. */
size_t brk_tls_trust_env(const struct brk_tls_trust *t, const char *const **out);
/* True if env entry e ("NAME=...") is one brk_tls_trust_env() replaces. */
int brk_tls_trust_replaces(const char *e);
/* Host roots + the session CA (for the private /etc). */
const char *brk_tls_trust_bundle(const struct brk_tls_trust *t, size_t *len);
/* The CA(s) alone, and the hashed-directory names ("%08lx.0") of the
 * ECDSA and the RSA CA ("" when there is none). */
const char *brk_tls_trust_ca(const struct brk_tls_trust *t, size_t *len, const char **hash0,
			     const char **hash1);
/* Remove the files. NULL is fine. */
void brk_tls_trust_free(struct brk_tls_trust *t);

#endif /* DLP_BROKER_RELAY_TLS_TRUST_H */
