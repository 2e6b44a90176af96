/* SPDX-License-Identifier: MIT */
/*
 * redact.h - the one way a secret is shown anywhere (events, logs, stderr).
 *
 * Form: up to 4 leading characters, a fixed mask, the first 8 hex digits of
 * the secret's SHA-256, and its length: "ghp_•••••a3f2b7c9 (len=40)".
 * The prefix shrinks for short secrets (never more than a quarter of the
 * value) and non-printable bytes in it become '?', so the output is plain
 * JSON-safe text. Equal secrets give equal output, so events correlate.
 * Broker only (uses libcrypto).
 */
#ifndef DLP_COMMON_REDACT_H
#define DLP_COMMON_REDACT_H

#include <stddef.h>
#include <stdint.h>

#define DLP_REDACT_MASK "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
/* Enough for any output of dlp_redact(). */
#define DLP_REDACT_MAX 64

/* Writes the redacted form of p[0..len) into dst; returns its length. */
size_t dlp_redact(const uint8_t *p, size_t len, char *dst, size_t cap);

#endif /* DLP_COMMON_REDACT_H */
