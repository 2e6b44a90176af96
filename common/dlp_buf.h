/* SPDX-License-Identifier: MIT */
/*
 * dlp_buf.h - bounded, growable byte buffer.
 *
 * Every variable-length datum the broker holds lives in a dlp_buf with a
 * hard maximum fixed at init: appends past it fail with -EMSGSIZE and leave
 * the buffer unchanged. Not for the shim's hot path (it allocates).
 */
#ifndef DLP_COMMON_DLP_BUF_H
#define DLP_COMMON_DLP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct dlp_buf {
	uint8_t *ptr;
	size_t len;
	size_t cap;
	size_t max;
};

/* Empty buffer that may grow up to max bytes. Allocates nothing yet. */
void dlp_buf_init(struct dlp_buf *b, size_t max);
/* Append n bytes; 0, -EMSGSIZE (would pass max) or -ENOMEM. */
int dlp_buf_append(struct dlp_buf *b, const void *p, size_t n);
/* Append a formatted string (no NUL kept); same returns as dlp_buf_append. */
int dlp_buf_printf(struct dlp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Make room for n more bytes, return a pointer to them (len unchanged). */
int dlp_buf_reserve(struct dlp_buf *b, size_t n, uint8_t **out);
/* Drop the first n bytes (n <= len). */
void dlp_buf_consume(struct dlp_buf *b, size_t n);
void dlp_buf_reset(struct dlp_buf *b);
void dlp_buf_free(struct dlp_buf *b);

#endif /* DLP_COMMON_DLP_BUF_H */
