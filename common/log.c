/* SPDX-License-Identifier: MIT */
/* log.c - stderr diagnostics for broker (stdio) and shim (raw write). */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

/* Globals: written at init, read racily; an int store is atomic here. */
static atomic_int dlp_log_level = DLP_LOG_WARN;

void dlp_log_set_level(int level)
{
	atomic_store(&dlp_log_level, level);
}

int dlp_log_get_level(void)
{
	return atomic_load(&dlp_log_level);
}

void dlp_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (level > atomic_load(&dlp_log_level))
		return;
	n = snprintf(line, sizeof(line), "dlpjail: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* one write so concurrent lines do not interleave */
	(void)!syscall(SYS_write, 2, line, (size_t)n);
}

size_t dlp_fmt_uint(char *dst, size_t cap, unsigned long long v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(tmp));
	if (n > cap)
		return 0;
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

void dlp_log_as(const char *fmt, ...)
{
	char line[512];
	size_t n = 0, cap = sizeof(line) - 1;
	const char *p;
	va_list ap;

	va_start(ap, fmt);
	for (p = fmt; *p && n < cap; p++) {
		if (*p != '%' || !p[1]) {
			line[n++] = *p;
			continue;
		}
		p++;
		if (*p == 's') {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			while (*s && n < cap)
				line[n++] = *s++;
		} else if (*p == 'd') {
			int v = va_arg(ap, int);
			unsigned long long u = (unsigned long long)(v < 0 ? -(long long)v : v);
			if (v < 0 && n < cap)
				line[n++] = '-';
			n += dlp_fmt_uint(line + n, cap - n, u);
		} else if (*p == 'u') {
			n += dlp_fmt_uint(line + n, cap - n, va_arg(ap, unsigned));
		} else {
			line[n++] = *p;
		}
	}
	va_end(ap);
	line[n++] = '\n';
	(void)!syscall(SYS_write, 2, line, n);
}
