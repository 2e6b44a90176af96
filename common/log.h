/* SPDX-License-Identifier: MIT */
/*
 * log.h - diagnostics on stderr, always prefixed "dlpjail".
 *
 * dlp_log() is for the broker and launcher (stdio, may allocate).
 * dlp_log_as() is for the shim: it formats into a stack buffer with no
 * allocation and issues one raw write(2) syscall, so it is AS-SAFE and is
 * never seen by the shim's own write hook. It understands %s, %d, %u and %%.
 */
#ifndef DLP_COMMON_LOG_H
#define DLP_COMMON_LOG_H

#include <stddef.h>

enum dlp_log_level { DLP_LOG_ERR = 0, DLP_LOG_WARN = 1, DLP_LOG_INFO = 2, DLP_LOG_DEBUG = 3 };

/* Messages above this level are dropped; set from DLPJAIL_DEBUG at init. */
void dlp_log_set_level(int level);
int dlp_log_get_level(void);
void dlp_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dlp_log_as(const char *fmt, ...);

/* AS-SAFE helpers used by dlp_log_as and the shim. */
size_t dlp_fmt_uint(char *dst, size_t cap, unsigned long long v);

#endif /* DLP_COMMON_LOG_H */
