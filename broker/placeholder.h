/* SPDX-License-Identifier: MIT */
/*
 * placeholder.h - the stand-ins of the secretless jail (swap.h): a value
 * of the same shape and length as a real credential, so clients accept it
 * locally, that authenticates nowhere.
 *
 * Callers: broker/swap.c (building the table) and the unit tests.
 */
#ifndef DLP_BROKER_PLACEHOLDER_H
#define DLP_BROKER_PLACEHOLDER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write the placeholder of real[0,len) to ph[0,len). detector is the id of
 * the detector that recognizes the value (secrets.h), or NULL.
 *  - the detector's fixed prefix ("npm_", "ghp_", "github_pat_", "AKIA",
 *    "xoxb-", "pypi-AgEIcHlwaS5vcmc" ...) and a JWT's header are kept;
 *  - every byte that is not [A-Za-z0-9] stays in place;
 *  - every other byte is drawn (OpenSSL's CSPRNG) from the alphabet of its
 *    run (the bytes between two separators): digits stay digits, lower or
 *    upper hex stays hex, upper+digits (base32 key ids: 2-7) and
 *    lower+digits stay so, anything else is any of [A-Za-z0-9]. Drawing
 *    per byte class would tell the jail which positions of the real value
 *    are digits, lower or upper case;
 *  - npm and GitHub ghp_/gho_/ghu_/ghs_/ghr_ tokens get a valid CRC32
 *    base62 tail (the same code the detectors verify with);
 *  - a recognized value gives a placeholder the same detector recognizes,
 *    and the placeholder never equals the real value.
 * Returns 0, -EINVAL (len 0 or > 16 KiB), -EIO (no randomness), -EAGAIN
 * (no distinct placeholder: fewer than 4 bytes to draw).
 */
int brk_placeholder_make(const uint8_t *real, size_t len, const char *detector, uint8_t *ph);

/*
 * A private key file (PEM: RSA, EC, PKCS#8 with RSA/EC/Ed25519/Ed448; OpenSSH:
 * ed25519, RSA, ECDSA): a freshly generated key of the same type and size
 * in the same file format. It is never swapped (keys sign in-process), so
 * its length need not match: *out (malloc'd, wipe with explicit_bzero)
 * and *outlen. Returns 0, -EINVAL (not a key file we can parse),
 * -EOPNOTSUPP (an encrypted key or an unsupported type), -ENOMEM, -EIO.
 */
int brk_placeholder_key(const uint8_t *real, size_t len, uint8_t **out, size_t *outlen);

/*
 * The public key line ("TYPE BASE64 COMMENT\n", as in id_*.pub) of an
 * unencrypted private key file key[0,len) in either format above (the
 * stand-in brk_placeholder_key() made): comment NULL keeps an OpenSSH
 * file's own. *out malloc'd. 0, -EINVAL, -EOPNOTSUPP, -ENOMEM, -EIO.
 */
int brk_placeholder_key_pub(const uint8_t *key, size_t len, const char *comment, char **out,
			    size_t *outlen);

#endif /* DLP_BROKER_PLACEHOLDER_H */
