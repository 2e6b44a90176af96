/* SPDX-License-Identifier: MIT */
/* dlp_buf.c - bounded byte buffer (see dlp_buf.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dlp_buf.h"

void dlp_buf_init(struct dlp_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int dlp_buf_reserve(struct dlp_buf *b, size_t n, uint8_t **out)
{
	size_t need, ncap;
	uint8_t *np;

	if (__builtin_add_overflow(b->len, n, &need) || need > b->max)
		return -EMSGSIZE;
	if (need > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < need)
			ncap = ncap > b->max / 2 ? b->max : ncap * 2;
		np = realloc(b->ptr, ncap);
		if (!np)
			return -ENOMEM;
		b->ptr = np;
		b->cap = ncap;
	}
	if (out)
		*out = b->ptr + b->len;
	return 0;
}

int dlp_buf_append(struct dlp_buf *b, const void *p, size_t n)
{
	uint8_t *dst;
	int rc;

	if (n == 0)
		return 0;
	rc = dlp_buf_reserve(b, n, &dst);
	if (rc < 0)
		return rc;
	memcpy(dst, p, n);
	b->len += n;
	return 0;
}

int dlp_buf_printf(struct dlp_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	char *big = NULL;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return dlp_buf_append(b, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (!big)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = dlp_buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

void dlp_buf_consume(struct dlp_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->ptr, b->ptr + n, b->len - n);
	b->len -= n;
}

void dlp_buf_reset(struct dlp_buf *b)
{
	b->len = 0;
}

void dlp_buf_free(struct dlp_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}
