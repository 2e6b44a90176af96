/* SPDX-License-Identifier: MIT */
/*
 * swap.h - the secretless jail (issue 15): each credential the command
 * could read is replaced inside the jail by a placeholder of the same
 * shape and length; the real value stays here, in the broker, and the
 * relay puts it back only on the way to its home.
 *
 * Two halves share this table:
 *   inside  (broker/swap.c, placeholder.c, launcher, mountns): build it
 *           from the known secrets (secrets.h) and the profile's needs,
 *           put the placeholders into the child's environment and, through
 *           the private mount namespace, into the credential files;
 *   border  (broker/relay/swap_*.c): outbound, on a connection bound to an
 *           entry's home (broker-resolved address; for TLS SNI and upstream
 *           certificate agree), replace placeholder -> real in the forwarded
 *           plaintext (raw, Basic auth, percent-encoded) and re-encrypt;
 *           a placeholder anywhere else is proof of exfiltration (blocked,
 *           rule "placeholder"); inbound, replace real -> placeholder
 *           before the jail reads it.
 *
 * A placeholder has the real value's length, keeps every byte that is not
 * [A-Za-z0-9] and every known fixed prefix ("npm_", "ghp_", "AKIA", ...) in
 * place, draws each other byte from the same class (digit, lower, upper),
 * and carries a valid checksum where the format has one. So every encoding
 * the border undoes (base64, percent, JSON escapes) has the same length
 * for both, and records keep their length when re-encrypted.
 *
 * The table is built before the broker serves and is read-only afterwards
 * (no lock on the data path). Real values never leave it in clear: logs,
 * events and listings show dlp_redact() forms.
 */
#ifndef DLP_BROKER_SWAP_H
#define DLP_BROKER_SWAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "secrets.h"

struct brk_swap {
	uint8_t *real;                    /* owned, explicit_bzero'd on free */
	uint8_t *ph;                      /* owned: the placeholder, same len */
	size_t len;
	char *home[BRK_SECRET_HOMES];     /* owned: exact hosts or "*.domain" */
	size_t nhome;
	bool swaps;       /* the profile needs it: swapped at its home; else never */
	bool replaced;    /* a placeholder is in the jail (false: let in real, e.g.
			   * --real-secrets or an in-process key the profile needs) */
	char source[200];                 /* "env NPM_TOKEN", "~/.npmrc:3" */
	const char *detector;             /* recognizing detector id, or NULL */
};

struct brk_swaps {
	struct brk_swap v[BRK_SECRETS_MAX];
	size_t n;
};

#endif /* DLP_BROKER_SWAP_H */
