/* SPDX-License-Identifier: MIT */
/*
 * paths.h - environment variable names and where the broker socket lives.
 *
 * The one place that names them: the launcher exports these, the shim reads
 * them, the tests set them.
 */
#ifndef DLP_COMMON_PATHS_H
#define DLP_COMMON_PATHS_H

#include <stddef.h>

#define DLP_ENV_SOCK    "DLPJAIL_SOCK"     /* launcher's broker socket: never spawn */
#define DLP_ENV_BIN     "DLPJAIL_BIN"      /* dlpjail binary for ad hoc broker start */
#define DLP_ENV_DEBUG   "DLPJAIL_DEBUG"    /* log level 0-3 */
#define DLP_ENV_POLICY  "DLPJAIL_POLICY"   /* policy for an ad hoc broker */
#define DLP_SHIM_NAME   "libdlpshim.so"

/* Highest fd numbers are where the shim parks its broker socket. */
#define DLP_SHIM_FD_BASE 900

/*
 * Per-user broker directory for ad hoc use: $XDG_RUNTIME_DIR/dlpjail if
 * XDG_RUNTIME_DIR is set and absolute, else /tmp/dlpjail-$UID. Writes the
 * directory (no trailing slash) into dst. AS-SAFE (reads environ only).
 * Returns 0 or -ENAMETOOLONG.
 */
int dlp_user_dir(char *dst, size_t cap);
/* dlp_user_dir() + "/broker.sock". */
int dlp_user_sock(char *dst, size_t cap);

#endif /* DLP_COMMON_PATHS_H */
