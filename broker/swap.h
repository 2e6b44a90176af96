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
#include <stdio.h>

#include "secrets.h"

struct brk_swap {
	uint8_t *real;                    /* owned, explicit_bzero'd on free */
	uint8_t *ph;                      /* owned: the placeholder, same len,
					   * or NULL (--real-secrets, an
					   * in-process key let in, nothing to
					   * draw); may be set when !replaced */
	size_t len;
	size_t ph_len;    /* == len, except for a private key: a fresh key of
			   * the same type, never swapped; ph holds at least
			   * len bytes (zero padded) so reading len is safe */
	char *home[BRK_SECRET_HOMES];     /* owned: exact hosts or "*.domain"
					   * from its file; the detector's homes
					   * (brk_scan_detector_homes(detector),
					   * "!x" = excluded) apply too, as in the
					   * engine: an env token has only those */
	size_t nhome;
	bool swaps;       /* the profile needs it (and it has a home): swapped
			   * at its homes; else never */
	bool replaced;    /* the jail holds only the placeholder (false: it can
			   * read the real value: --real-secrets, an in-process
			   * key the profile needs, a credential file where no
			   * mount namespace covers it; the environment may
			   * still hold ph, which then swaps as usual) */
	bool embedded;    /* a key inside another file (secrets.h): real in
			   * the jail, which reads that file as it is */
	char source[200];                 /* "env NPM_TOKEN", "~/.npmrc:3" */
	const char *detector;             /* recognizing detector id, or NULL */
	unsigned kind;                    /* BRK_SECRET_K_* (profile.h) */
	int key;                          /* a private key file */
};

struct brk_swaps {
	struct brk_swap v[BRK_SECRETS_MAX];
	size_t n;
};

struct brk_scan_engine;

/* brk_swaps_build() flags */
#define BRK_SWAPS_REAL 0x1u      /* --real-secrets: nothing is replaced */
#define BRK_SWAPS_KEYCACHE 0x2u  /* keep fresh keys in the cache directory */
#define BRK_SWAPS_NOKEYGEN 0x4u  /* no key generation (listings): stand-ins */

/*
 * Build sw from the collected secrets s and the needs of profile (NULL:
 * "default"; profile.h brk_profile_secret_needs()): a needed credential
 * with a home swaps; every other one gets a placeholder that never swaps;
 * an in-process one (AWS secret key, private key) is let in real only
 * when the profile needs it. sw is reset first. 0, -ENOMEM, -EIO.
 */
int brk_swaps_build(struct brk_swaps *sw, const struct brk_secrets *s, const char *profile,
		    unsigned flags);
/* Wipe (explicit_bzero) and free every value; sw is empty afterwards. */
void brk_swaps_free(struct brk_swaps *sw);

/*
 * Hand the table to the engine (replaces brk_secrets_apply()): each real
 * value as a known secret ("known-secret", allowed at its homes) and each
 * placeholder in the jail as one of kind placeholder (finding
 * "placeholder", scan.h brk_scan_known.placeholder): allowed at the
 * entry's homes, where it is harmless (the border swapped it, or it never
 * swaps and fails authentication), refused anywhere else, in every
 * transform the engine knows; not a private key's fresh stand-in (worth
 * nothing to anyone, and a key file's forms are many patterns: 8 ms of
 * start-up). Before the engine is shared. 0 or -errno.
 */
int brk_swaps_apply(const struct brk_swaps *sw, struct brk_scan_engine *e);

/*
 * Replace, in place, every occurrence in b[0,len) of a replaced entry's
 * real value by its placeholder: raw and percent-encoded (either hex case;
 * the placeholder keeps every non-alphanumeric byte, so both encodings
 * have the same length). Private keys are whole files: only an exact
 * match is replaced, and only when ph_len == len. Returns the count.
 */
size_t brk_swaps_subst(const struct brk_swaps *sw, uint8_t *b, size_t len);

/* The entry whose real value is v[0,n), or NULL. */
const struct brk_swap *brk_swaps_find(const struct brk_swaps *sw, const uint8_t *v, size_t n);

/*
 * `dlpjail --show-secrets [-P PROFILE] [-- command]`: the known secrets
 * (secrets.h listing) and, under each, its placeholder (redacted) and
 * where it may go for profile: "swaps at its homes", "never swaps", or
 * why it goes in real. flags as for brk_swaps_build(). Exit status.
 */
int brk_swaps_show(FILE *out, const char *profile, unsigned flags);

#endif /* DLP_BROKER_SWAP_H */
